//! The demo tenant: 江苏省财政厅 with its 信息中心, two city and two county
//! bureaus, a budget unit, two vendors, and one user for every role.

use yunwei_domain::org::OrgKind;
use yunwei_domain::password::id_number_check_digit;
use yunwei_domain::roles::Role;
use yunwei_domain::AppError;
use yunwei_store::orgs::{self, OrgRow};
use yunwei_store::{in_tx, users as ustore, DbConn};

use crate::audit::{record, Actor, Event};
use crate::{Ctx, Platform};

pub struct DemoAccount {
    pub username: &'static str,
    pub display_name: &'static str,
    pub org: &'static str,
    pub role: Role,
}

/// Every demo account: (username, name, organisation key, role, scope is subtree).
const ACCOUNTS: [(&str, &str, &str, Role, bool); 13] = [
    ("demo_director", "周振华", "center", Role::Director, true),
    (
        "demo_deputy",
        "徐立明",
        "center",
        Role::DeputyDirector,
        true,
    ),
    ("demo_lead", "陈思远", "center", Role::ProjectLead, true),
    ("demo_hwops", "刘建军", "hw", Role::HardwareOps, false),
    ("demo_soft", "赵雨婷", "sw", Role::SoftwareDev, false),
    (
        "demo_staff",
        "孙晓梅",
        "nanjing",
        Role::BusinessStaff,
        false,
    ),
    ("demo_unit", "吴国栋", "unit", Role::BusinessStaff, false),
    (
        "demo_vendor",
        "郑海峰",
        "ops_vendor",
        Role::VendorEngineer,
        false,
    ),
    (
        "demo_vendor_admin",
        "钱立新",
        "builder",
        Role::VendorAdmin,
        true,
    ),
    ("nj_sysadmin", "冯志强", "nanjing", Role::SysAdmin, true),
    ("nj_secadmin", "韩雪", "nanjing", Role::SecAdmin, true),
    ("nj_audadmin", "杨帆", "nanjing", Role::AudAdmin, true),
    ("jn_sysadmin", "何佳", "jiangning", Role::SysAdmin, true),
];

pub fn accounts() -> Vec<DemoAccount> {
    ACCOUNTS
        .iter()
        .map(|(u, n, o, r, _)| DemoAccount {
            username: u,
            display_name: n,
            org: o,
            role: *r,
        })
        .collect()
}

/// Name of the demo organisation behind a key, for the start-up banner.
pub fn org_label(key: &str) -> &'static str {
    match key {
        "center" => "江苏省财政厅信息中心",
        "hw" => "信息中心硬件运维科",
        "sw" => "信息中心软件科",
        "nanjing" => "南京市财政局",
        "jiangning" => "南京市江宁区财政局",
        "unit" => "江苏省财政厅机关服务中心（预算单位）",
        "ops_vendor" => "金陵数智运维服务有限公司（运维服务商）",
        "builder" => "苏财信息技术有限公司（系统承建厂商）",
        _ => "",
    }
}

/// A resident ID number with a correct check digit, for demo people.
fn demo_id_number(region: &str, birthday: &str, seq: u32) -> String {
    let body = format!("{region}{birthday}{seq:03}");
    let check = id_number_check_digit(&body).expect("17 digits");
    format!("{body}{check}")
}

async fn child(
    p: &Platform,
    c: &mut DbConn,
    ctx: &Ctx,
    parent: &OrgRow,
    kind: OrgKind,
    name: &str,
) -> Result<OrgRow, AppError> {
    if let Some(o) = orgs::find_child(c, &parent.id, name).await? {
        return Ok(o);
    }
    let o = crate::orgs::insert_unchecked(c, Some(parent), kind, name, p.now_us()).await?;
    let ev = Event::success("org.create", "org", &o.id).after(format!("{name}（演示数据）"));
    record(p, c, ctx, Actor::System { org_path: &o.path }, ev).await?;
    Ok(o)
}

/// Seeds the demo tenant under the root organisation. Returns false when it
/// was already there.
pub async fn seed(p: &Platform, password: &str) -> Result<bool, AppError> {
    let ctx = Ctx::system("demo-seed");
    in_tx!(p.db, |c| {
        if ustore::by_username(&mut c, "demo_director")
            .await?
            .is_some()
        {
            return Ok(false);
        }
        let root = orgs::root(&mut c).await?.ok_or_else(AppError::internal)?;
        let center = child(p, &mut c, &ctx, &root, OrgKind::Department, "信息中心").await?;
        let hw = child(p, &mut c, &ctx, &center, OrgKind::Section, "硬件运维科").await?;
        let sw = child(p, &mut c, &ctx, &center, OrgKind::Section, "软件科").await?;
        let nanjing = child(p, &mut c, &ctx, &root, OrgKind::City, "南京市财政局").await?;
        let jiangning = child(
            p,
            &mut c,
            &ctx,
            &nanjing,
            OrgKind::County,
            "南京市江宁区财政局",
        )
        .await?;
        let suzhou = child(p, &mut c, &ctx, &root, OrgKind::City, "苏州市财政局").await?;
        child(p, &mut c, &ctx, &suzhou, OrgKind::County, "昆山市财政局").await?;
        let unit = child(
            p,
            &mut c,
            &ctx,
            &root,
            OrgKind::BudgetUnit,
            "江苏省财政厅机关服务中心",
        )
        .await?;
        let builder = child(
            p,
            &mut c,
            &ctx,
            &root,
            OrgKind::Vendor,
            "苏财信息技术有限公司",
        )
        .await?;
        let ops_vendor = child(
            p,
            &mut c,
            &ctx,
            &root,
            OrgKind::Vendor,
            "金陵数智运维服务有限公司",
        )
        .await?;
        for (i, (username, name, key, role, subtree)) in ACCOUNTS.iter().enumerate() {
            let org = match *key {
                "center" => &center,
                "hw" => &hw,
                "sw" => &sw,
                "nanjing" => &nanjing,
                "jiangning" => &jiangning,
                "unit" => &unit,
                "ops_vendor" => &ops_vendor,
                _ => &builder,
            };
            let phone = format!("139{:08}", 51_000_000 + i as u32 * 7_919);
            let id_number = demo_id_number(
                "320102",
                &format!("19{:02}0{}1{}", 70 + i, 1 + i % 9, i % 10),
                i as u32 + 11,
            );
            let user = crate::users::insert_unchecked(
                p,
                &mut c,
                org,
                username,
                name,
                password,
                Some(&phone),
                Some(&id_number),
                false,
            )
            .await?;
            // The information centre handles the systems of every level
            // (JSCZ-6: the province runs the unified systems for all levels),
            // so its roles cover the whole province.
            let centre_role = matches!(
                role,
                Role::Director
                    | Role::DeputyDirector
                    | Role::ProjectLead
                    | Role::HardwareOps
                    | Role::SoftwareDev
            );
            let (scope, subtree) = if centre_role {
                (&root, true)
            } else {
                (org, *subtree)
            };
            crate::users::grant_unchecked(p, &mut c, &user, *role, scope, subtree).await?;
            let ev = Event::success("user.create", "user", &user.id).after(format!(
                "演示账号 {username}（{name}），授予{}",
                role.label()
            ));
            record(
                p,
                &mut c,
                &ctx,
                Actor::System {
                    org_path: &org.path,
                },
                ev,
            )
            .await?;
        }
        Ok(true)
    })
}
