//! The demo tenant: 江苏省财政厅 with its 信息中心, two city and two county
//! bureaus, a budget unit, two vendors, and one user for every role; and
//! 宿迁市's government cloud (issue 14, ADR 0016): its data bureau, units of
//! every funding type and level, a county bureau, the cloud provider and
//! the monitoring provider; and 淮安市's smaller cloud on the other pack
//! (its data bureau, three city units, its provider and monitor); and
//! 遂宁市's government IT projects (issue 15, ADR 0017): its data bureau,
//! the reviewing authorities, three city units, a county with its bureau
//! and a unit, the builder and the supervisor (`demo::projects`).

pub mod cloud;
pub mod cmdb;
pub mod library;
pub mod owners;
pub mod projects;
pub mod registers;
pub mod tickets;

use yunwei_domain::org::OrgKind;
use yunwei_domain::password::id_number_check_digit;
use yunwei_domain::roles::Role;
use yunwei_domain::AppError;
use yunwei_store::orgs::{self, OrgRow};
use yunwei_store::{in_tx, users as ustore, DbConn};

use crate::kernel::audit::{record, Actor, Event};
use crate::{Ctx, Platform};

pub struct DemoAccount {
    pub username: &'static str,
    pub display_name: &'static str,
    pub org: &'static str,
    pub role: Role,
}

/// How long the demo's third-party grants last from the demo's start
/// (JSCZ-49: a third party's grant names its end).
pub const THIRD_PARTY_GRANT_DAYS: i64 = 365;

/// Every demo account: (username, name, organisation key, role, scope is subtree).
const ACCOUNTS: [(&str, &str, &str, Role, bool); 47] = [
    ("demo_director", "周振华", "center", Role::Director, true),
    (
        "demo_deputy",
        "徐立明",
        "center",
        Role::DeputyDirector,
        true,
    ),
    ("demo_lead", "陈思远", "center", Role::ProjectLead, true),
    // 科长 of 硬件运维科: leads its team (项目负责人 on the section,
    // issue 13): assigns its queue, sees its workload.
    ("demo_chief", "高志远", "hw", Role::ProjectLead, true),
    ("demo_hwops", "刘建军", "hw", Role::HardwareOps, false),
    ("demo_soft", "赵雨婷", "sw", Role::SoftwareDev, false),
    // The managed systems' administrators who review special access
    // requests with the business division (JSCZ-8).
    ("demo_sysop", "王磊", "hw", Role::SystemsAdmin, false),
    ("demo_secop", "陈静", "center", Role::SecurityOfficer, false),
    ("demo_netop", "黄涛", "hw", Role::NetworkAdmin, false),
    ("demo_budget", "李晓燕", "budget", Role::BusinessStaff, true),
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
    // 宿迁市's government cloud (ADR 0016): the data bureau's manager
    // covers the city, the county bureau's its county.
    (
        "demo_cloud_manager",
        "周立群",
        "cloud_bureau",
        Role::CloudManager,
        true,
    ),
    (
        "demo_county_cloud",
        "孙海燕",
        "county_bureau",
        Role::CountyCloudManager,
        true,
    ),
    (
        "demo_cloud_unit",
        "蒋文博",
        "cloud_unit",
        Role::BusinessStaff,
        false,
    ),
    (
        "demo_cloud_provider",
        "刘建华",
        "cloud_provider",
        Role::CloudProvider,
        false,
    ),
    (
        "demo_cloud_monitor",
        "吴晓东",
        "cloud_monitor",
        Role::CloudMonitor,
        false,
    ),
    // 淮安市's government cloud (ADR 0016): the data bureau's manager
    // covers the city.
    (
        "demo_ha_cloud_manager",
        "朱红梅",
        "ha_cloud_bureau",
        Role::CloudManager,
        true,
    ),
    (
        "demo_ha_cloud_unit",
        "秦志诚",
        "ha_cloud_unit",
        Role::BusinessStaff,
        false,
    ),
    (
        "demo_ha_cloud_provider",
        "顾建平",
        "ha_cloud_provider",
        Role::CloudProvider,
        false,
    ),
    (
        "demo_ha_cloud_monitor",
        "潘宇航",
        "ha_cloud_monitor",
        Role::CloudMonitor,
        false,
    ),
    // 遂宁市's government IT projects (ADR 0017): the data bureau and the
    // reviewing authorities act for the city, the county's bureau for its
    // county; each unit has its staff and its chief data officer.
    (
        "demo_xm_unit",
        "何俊杰",
        "xm_cg",
        Role::BusinessStaff,
        false,
    ),
    (
        "demo_xm_cdo",
        "罗永刚",
        "xm_cg",
        Role::ChiefDataOfficer,
        true,
    ),
    (
        "demo_xm_unit_scjg",
        "蒋雨欣",
        "xm_scjg",
        Role::BusinessStaff,
        false,
    ),
    (
        "demo_xm_cdo_scjg",
        "邓国平",
        "xm_scjg",
        Role::ChiefDataOfficer,
        true,
    ),
    (
        "demo_xm_unit_yb",
        "廖春燕",
        "xm_yb",
        Role::BusinessStaff,
        false,
    ),
    (
        "demo_xm_cdo_yb",
        "谢明远",
        "xm_yb",
        Role::ChiefDataOfficer,
        true,
    ),
    (
        "demo_xm_county_unit",
        "曾丽华",
        "xm_county_unit",
        Role::BusinessStaff,
        false,
    ),
    (
        "demo_xm_county_cdo",
        "蒲志勇",
        "xm_county_unit",
        Role::ChiefDataOfficer,
        true,
    ),
    (
        "demo_xm_bureau",
        "唐文斌",
        "xm_bureau",
        Role::ProjectManager,
        true,
    ),
    (
        "demo_xm_county_bureau",
        "文雪梅",
        "xm_county_bureau",
        Role::CountyProjectManager,
        true,
    ),
    (
        "demo_xm_finance",
        "刘佳怡",
        "xm_finance",
        Role::ProjectFinance,
        true,
    ),
    (
        "demo_xm_development",
        "张振宇",
        "xm_development",
        Role::ProjectDevelopment,
        true,
    ),
    (
        "demo_xm_cac",
        "王欣悦",
        "xm_cac",
        Role::ProjectSecurity,
        true,
    ),
    (
        "demo_xm_police",
        "陈国强",
        "xm_police",
        Role::ProjectSecurity,
        true,
    ),
    (
        "demo_xm_secrecy",
        "苟晓玲",
        "xm_secrecy",
        Role::ProjectSecrecy,
        true,
    ),
    // Who consents to a data export (JSCZ-54, ADR 0020): the province's
    // 预算处 head and the head of the provincial finance department; a
    // city's division (南京市财政局预算处) with its staff and head, and the
    // head of the city's finance bureau.
    (
        "demo_division_head",
        "林文博",
        "budget",
        Role::DivisionHead,
        true,
    ),
    (
        "demo_finance_head",
        "沈建国",
        "province",
        Role::FinanceHead,
        true,
    ),
    (
        "nj_budget",
        "马丽娟",
        "nj_budget",
        Role::BusinessStaff,
        false,
    ),
    (
        "nj_division_head",
        "钱伟东",
        "nj_budget",
        Role::DivisionHead,
        true,
    ),
    (
        "nj_finance_head",
        "许光明",
        "nanjing",
        Role::FinanceHead,
        true,
    ),
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
        "budget" => "江苏省财政厅预算处（业务处室）",
        "nanjing" => "南京市财政局",
        "nj_budget" => "南京市财政局预算处（业务处室）",
        "province" => "江苏省财政厅",
        "jiangning" => "南京市江宁区财政局",
        "unit" => "江苏省财政厅机关服务中心（预算单位）",
        "ops_vendor" => "金陵数智运维服务有限公司（运维服务商）",
        "builder" => "苏财信息技术有限公司（系统承建厂商）",
        "cloud_bureau" => "宿迁市数据局（政务云管理部门）",
        "county_bureau" => "沭阳县数据局（县级政务云管理部门）",
        "cloud_unit" => "宿迁市人力资源和社会保障局（上云单位）",
        "cloud_provider" => "中国电信股份有限公司宿迁分公司（云服务商）",
        "cloud_monitor" => "江苏数安云监测技术有限公司（云监管服务商）",
        "ha_cloud_bureau" => "淮安市数据局（政务云管理部门）",
        "ha_cloud_unit" => "淮安市市场监督管理局（上云单位）",
        "ha_cloud_provider" => "中国移动通信集团江苏有限公司淮安分公司（云服务商）",
        "ha_cloud_monitor" => "江苏淮信云安全技术有限公司（云监管服务商）",
        key => projects::org_label(key),
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
    let o =
        crate::features::orgs::insert_unchecked(c, Some(parent), kind, name, p.now_us()).await?;
    let ev = Event::success("org.create", "org", &o.id).after(format!("新建机构 {name}"));
    record(p, c, ctx, Actor::System { org_path: &o.path }, ev).await?;
    Ok(o)
}

/// The platform as it was at `when` (never later than now): the demo's work
/// is written through the use cases at the time it happened.
pub(crate) fn at(p: &Platform, when: chrono::DateTime<chrono::Utc>) -> Platform {
    let mut past = p.clone();
    past.clock = std::sync::Arc::new(yunwei_domain::clock::FixedClock::new(
        when.min(p.clock.now()),
    ));
    past
}

/// Seeds the demo's work once the accounts are there, in the order a real
/// tenant would have it: the configuration items first (a ticket belongs to
/// the organisation of the item it concerns, ADR 0015) and the vendor's
/// previous contract (the older tickets were handed to the vendor under
/// it), then the tickets, the inspection plans, the registers and the
/// library. Each part does nothing when its data is already there.
pub async fn seed_work(p: &Platform) -> Result<(), AppError> {
    cmdb::seed(p).await?;
    registers::seed_previous_contract(p).await?;
    tickets::seed(p).await?;
    seed_controls(p).await?;
    registers::seed(p).await?;
    library::seed(p).await?;
    cloud::seed(p).await?;
    projects::seed(p).await?;
    Ok(())
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
        let budget = child(p, &mut c, &ctx, &root, OrgKind::Department, "预算处").await?;
        let nanjing = child(p, &mut c, &ctx, &root, OrgKind::City, "南京市财政局").await?;
        let nj_budget = child(
            p,
            &mut c,
            &ctx,
            &nanjing,
            OrgKind::Department,
            "南京市财政局预算处",
        )
        .await?;
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
        let cloud = cloud_orgs(p, &mut c, &ctx, &root).await?;
        let huaian = huaian_orgs(p, &mut c, &ctx, &root).await?;
        let suining = projects::orgs(p, &mut c, &ctx, &root).await?;
        for (i, (username, name, key, role, subtree)) in ACCOUNTS.iter().enumerate() {
            let xm = suining.home_and_scope(key);
            let org = match *key {
                _ if xm.is_some() => xm.map(|(home, _)| home).unwrap_or(&root),
                "cloud_bureau" => &cloud.bureau,
                "county_bureau" => &cloud.county_bureau,
                "cloud_unit" => &cloud.hrss,
                "cloud_provider" => &cloud.provider,
                "cloud_monitor" => &cloud.monitor,
                "ha_cloud_bureau" => &huaian.bureau,
                "ha_cloud_unit" => &huaian.hrss,
                "ha_cloud_provider" => &huaian.provider,
                "ha_cloud_monitor" => &huaian.monitor,
                "center" => &center,
                "hw" => &hw,
                "sw" => &sw,
                "budget" => &budget,
                "nanjing" => &nanjing,
                "nj_budget" => &nj_budget,
                "province" => &root,
                "jiangning" => &jiangning,
                "unit" => &unit,
                "ops_vendor" => &ops_vendor,
                _ => &builder,
            };
            let phone = format!("139{:08}", 51_000_000 + i as u32 * 7_919);
            // 遂宁市船山区 for the people of 遂宁市.
            let region = if xm.is_some() { "510903" } else { "320102" };
            let id_number = demo_id_number(
                region,
                &format!("19{:02}0{}1{}", 70 + i % 30, 1 + i % 9, i % 10),
                i as u32 + 11,
            );
            let user = crate::features::users::insert_unchecked(
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
            // A section's 科长 (项目负责人 on the section) leads that
            // section only (issue 13).
            let section_chief = *role == Role::ProjectLead && *key == "hw";
            let centre_role = !section_chief
                && matches!(
                    role,
                    Role::Director
                        | Role::DeputyDirector
                        | Role::ProjectLead
                        | Role::HardwareOps
                        | Role::SoftwareDev
                        | Role::SystemsAdmin
                        | Role::SecurityOfficer
                        | Role::NetworkAdmin
                );
            // A provincial business division owns its unified system at
            // every level, so it sees the requests about it (JSCZ-8).
            // The cloud's managers act for the city or the county they run
            // the cloud for (ZMDY-8, ZMDY-9, SNYP-6).
            let (scope, subtree) = if let Some((_, scope)) = xm {
                (scope, *subtree)
            } else if centre_role || (*key == "budget" && *role == Role::BusinessStaff) {
                (&root, true)
            } else if *key == "cloud_bureau" {
                (&cloud.city, true)
            } else if *key == "ha_cloud_bureau" {
                (&huaian.city, true)
            } else if *key == "county_bureau" {
                (&cloud.county, true)
            } else {
                (org, *subtree)
            };
            // Third parties' grants must end (JSCZ-49): a vendor's people
            // get theirs for a year from the demo's start.
            let third_party = org.kind == OrgKind::Vendor.as_str();
            let valid_until = if third_party {
                let end = p.now_us() + THIRD_PARTY_GRANT_DAYS * 86_400_000_000;
                ustore::insert_grant(
                    &mut c,
                    &ustore::GrantRow {
                        id: yunwei_domain::ids::new_id(),
                        user_id: user.id.clone(),
                        role: role.as_str().into(),
                        scope_org_id: scope.id.clone(),
                        scope_path: scope.path.clone(),
                        subtree,
                        granted_by: "system".into(),
                        created_at: p.now_us(),
                        valid_until: Some(end),
                    },
                )
                .await?;
                format!("，有效期至 {}", crate::kernel::export::fmt_us(end))
            } else {
                crate::features::users::grant_unchecked(p, &mut c, &user, *role, scope, subtree)
                    .await?;
                String::new()
            };
            let ev = Event::success("user.create", "user", &user.id).after(format!(
                "新建账号 {username}（{name}），授予{}{valid_until}",
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

/// The organisations of 宿迁市's government cloud (ADR 0016).
pub(crate) struct CloudOrgs {
    pub city: OrgRow,
    pub bureau: OrgRow,
    pub hrss: OrgRow,
    pub county: OrgRow,
    pub county_bureau: OrgRow,
    pub provider: OrgRow,
    pub monitor: OrgRow,
}

/// The city's data bureau and the units on its cloud: city departments
/// of every funding type (SNYP-17), a county with its own bureau, a park,
/// the provider and the monitoring provider (both vendors of the city).
async fn cloud_orgs(
    p: &Platform,
    c: &mut DbConn,
    ctx: &Ctx,
    root: &OrgRow,
) -> Result<CloudOrgs, AppError> {
    let city = child(p, c, ctx, root, OrgKind::City, "宿迁市").await?;
    let bureau = child(p, c, ctx, &city, OrgKind::Department, "宿迁市数据局").await?;
    let hrss = child(
        p,
        c,
        ctx,
        &city,
        OrgKind::Department,
        "宿迁市人力资源和社会保障局",
    )
    .await?;
    for name in CLOUD_CITY_UNITS {
        child(p, c, ctx, &city, OrgKind::Department, name).await?;
    }
    let county = child(p, c, ctx, &city, OrgKind::County, "沭阳县").await?;
    let county_bureau = child(p, c, ctx, &county, OrgKind::Department, "沭阳县数据局").await?;
    child(p, c, ctx, &county, OrgKind::Department, "沭阳县教育局").await?;
    let provider = child(
        p,
        c,
        ctx,
        &city,
        OrgKind::Vendor,
        "中国电信股份有限公司宿迁分公司",
    )
    .await?;
    let monitor = child(
        p,
        c,
        ctx,
        &city,
        OrgKind::Vendor,
        "江苏数安云监测技术有限公司",
    )
    .await?;
    Ok(CloudOrgs {
        city,
        bureau,
        hrss,
        county,
        county_bureau,
        provider,
        monitor,
    })
}

/// The organisations of 淮安市's smaller government cloud (ADR 0016): the
/// city's data bureau, the units of `demo/cloud_huaian.toml` (the first
/// one has the demo's unit account), the provider and the monitor. It has
/// no county: `county` and `county_bureau` are the city and its bureau.
async fn huaian_orgs(
    p: &Platform,
    c: &mut DbConn,
    ctx: &Ctx,
    root: &OrgRow,
) -> Result<CloudOrgs, AppError> {
    let city = child(p, c, ctx, root, OrgKind::City, "淮安市").await?;
    let bureau = child(p, c, ctx, &city, OrgKind::Department, "淮安市数据局").await?;
    let mut units = Vec::new();
    for name in HUAIAN_CLOUD_UNITS {
        units.push(child(p, c, ctx, &city, OrgKind::Department, name).await?);
    }
    let provider = child(
        p,
        c,
        ctx,
        &city,
        OrgKind::Vendor,
        "中国移动通信集团江苏有限公司淮安分公司",
    )
    .await?;
    let monitor = child(
        p,
        c,
        ctx,
        &city,
        OrgKind::Vendor,
        "江苏淮信云安全技术有限公司",
    )
    .await?;
    Ok(CloudOrgs {
        county: city.clone(),
        county_bureau: bureau.clone(),
        hrss: units.swap_remove(0),
        city,
        bureau,
        provider,
        monitor,
    })
}

/// 淮安市's units on its cloud: the first is the demo unit account's.
pub(crate) const HUAIAN_CLOUD_UNITS: [&str; 3] = [
    "淮安市市场监督管理局",
    "淮安市公共资源交易中心",
    "淮安市广播电视台",
];

/// The city's other units on the cloud, one per funding type (SNYP-17)
/// and the park (市直园区).
pub(crate) const CLOUD_CITY_UNITS: [&str; 4] = [
    "宿迁市住房公积金管理中心",
    "宿迁市融媒体中心",
    "宿迁市水务集团有限公司",
    "宿迁经济技术开发区管理委员会",
];

// ---- inspection plans, records and due controls (issue 4) ----

/// A demo user acting in the seed (its initial password is not in the way).
pub(crate) async fn demo_principal(
    p: &Platform,
    username: &str,
) -> Result<Option<crate::Principal>, AppError> {
    let mut c = p.db.read().await?;
    let Some(u) = ustore::by_username(&mut c, username).await? else {
        return Ok(None);
    };
    let mut pr = crate::features::auth::principal_of(&mut c, &u, None, p.now_us()).await?;
    pr.must_change_password = false;
    Ok(Some(pr))
}

/// The platform with its clock moved back by `days` (whole days, same time
/// of day), for records that were filed in the past.
fn days_ago(p: &Platform, days: i64) -> Platform {
    let mut past = p.clone();
    past.clock = std::sync::Arc::new(yunwei_domain::clock::FixedClock::new(
        p.clock.now() - chrono::Duration::days(days),
    ));
    past
}

fn lines(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn answers(n: usize, abnormal: &[(usize, &str)]) -> Vec<crate::features::inspections::ItemInput> {
    (0..n)
        .map(|i| match abnormal.iter().find(|(k, _)| *k == i) {
            Some((_, note)) => crate::features::inspections::ItemInput {
                status: "abnormal".into(),
                note: (*note).into(),
                attachment: None,
            },
            None => crate::features::inspections::ItemInput {
                status: "normal".into(),
                note: String::new(),
                attachment: None,
            },
        })
        .collect()
}

/// Seeds the inspection demo once (nothing happens when plans exist),
/// through the same use cases and audit as real work: a monthly website
/// content patrol started two months ago whose last month was missed
/// (overdue, EEDS-1.4.1), the yearly inspection (EEDS-2.2.2.6), a weekly
/// machine-room inspection with its records, one abnormal finding with its
/// incident, and a few maintenance records (EEDS-2.2.2.2). Run after the
/// demo tickets. Returns how many plans were created.
pub async fn seed_controls(p: &Platform) -> Result<usize, AppError> {
    use crate::features::inspections::{self as insp, MaintenanceInput, PlanInput, RecordInput};
    use chrono::Datelike;
    let (center, hw) = {
        let mut c = p.db.read().await?;
        let existing = yunwei_store::inspections::list_plans(
            &mut c,
            &yunwei_store::Scope::system(),
            &Default::default(),
            1,
        )
        .await?;
        if !existing.is_empty() {
            return Ok(0);
        }
        let Some(root) = orgs::root(&mut c).await? else {
            return Ok(0);
        };
        let Some(center) = orgs::find_child(&mut c, &root.id, "信息中心").await? else {
            return Ok(0);
        };
        let hw = orgs::find_child(&mut c, &center.id, "硬件运维科")
            .await?
            .unwrap_or_else(|| center.clone());
        (center, hw)
    };
    let (Some(soft), Some(lead), Some(hwops)) = (
        demo_principal(p, "demo_soft").await?,
        demo_principal(p, "demo_lead").await?,
        demo_principal(p, "demo_hwops").await?,
    ) else {
        return Ok(0);
    };
    let ctx = Ctx::system("demo-controls");
    let today = crate::kernel::due::today(p);
    let mut created = 0;

    // 1. Monthly website content patrol from two months ago: the first
    // month done, last month missed (overdue since the 1st), this month open.
    let two_months_ago = today - chrono::Months::new(2);
    let start = two_months_ago.with_day(1).unwrap_or(two_months_ago);
    let back = (today - start).num_days();
    let at_start = days_ago(p, back);
    let patrol = insp::create_plan(
        &at_start,
        &ctx,
        &soft,
        &PlanInput {
            name: "门户网站内容月度巡查".into(),
            kind: "patrol".into(),
            recurrence: "monthly".into(),
            checklist: lines(&[
                "首页及各栏目信息是否按时更新",
                "发布内容是否经过审核、有无错别字",
                "是否存在过期或失效信息",
                "外部链接和附件是否可正常访问",
                "是否存在涉密或敏感信息",
            ]),
            org_id: Some(center.id.clone()),
            ci_id: None,
            source: Some("EEDS-1.4.1".into()),
            first_date: Some(start.format("%Y-%m-%d").to_string()),
        },
    )
    .await?;
    created += 1;
    insp::file_record(
        &days_ago(p, back - 12),
        &ctx,
        &soft,
        &patrol.id,
        &RecordInput {
            results: answers(5, &[]),
            summary: "各栏目更新及时，未发现问题。".into(),
            ..Default::default()
        },
    )
    .await?;

    // 2. The yearly inspection of the whole centre, due at the year's end.
    let jan1 = chrono::NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    insp::create_plan(
        p,
        &ctx,
        &lead,
        &PlanInput {
            name: "信息系统运维管理年度巡回检查".into(),
            kind: "inspection".into(),
            recurrence: "yearly".into(),
            checklist: lines(&[
                "各维护作业计划的执行情况",
                "技术档案和资料管理",
                "备份及日志管理",
                "安全保密管理制度落实情况",
                "硬件、网络、基础软件和应用软件运行状况",
            ]),
            org_id: Some(center.id.clone()),
            ci_id: None,
            source: Some("EEDS-2.2.2.6".into()),
            first_date: Some(jan1.format("%Y-%m-%d").to_string()),
        },
    )
    .await?;
    created += 1;

    // 3. The weekly machine-room inspection of the last four weeks (the
    // same weekday each week): three normal weeks, then an abnormal finding
    // with its incident; this week is open.
    let checklist = [
        "机房温湿度是否在正常范围",
        "UPS 及配电运行状态",
        "精密空调与新风运行状态",
        "服务器及存储设备指示灯与告警",
        "网络设备运行状态与链路",
        "消防与门禁设施",
    ];
    let weekly = insp::create_plan(
        &days_ago(p, 28),
        &ctx,
        &hwops,
        &PlanInput {
            name: "信息中心机房每周巡检".into(),
            kind: "inspection".into(),
            recurrence: "weekly".into(),
            checklist: lines(&checklist),
            org_id: Some(hw.id.clone()),
            ci_id: None,
            source: Some("EEDS-2.2.1.4".into()),
            first_date: Some(
                (today - chrono::Duration::days(28))
                    .format("%Y-%m-%d")
                    .to_string(),
            ),
        },
    )
    .await?;
    created += 1;
    for weeks_back in [4, 3, 2] {
        insp::file_record(
            &days_ago(p, weeks_back * 7),
            &ctx,
            &hwops,
            &weekly.id,
            &RecordInput {
                results: answers(checklist.len(), &[]),
                ..Default::default()
            },
        )
        .await?;
    }
    let jscz = p.packs.iter().any(|pk| pk.id == "jscz");
    insp::file_record(
        &days_ago(p, 7),
        &ctx,
        &hwops,
        &weekly.id,
        &RecordInput {
            results: answers(
                checklist.len(),
                &[(1, "UPS 2号电池组内阻告警，后备时间降至8分钟")],
            ),
            summary: "UPS 2号电池组老化，需联系厂商更换。".into(),
            open_incident: jscz,
            ..Default::default()
        },
    )
    .await?;

    // 4. Maintenance records of several kinds.
    let when = |days: i64| {
        (p.clock.now() - chrono::Duration::days(days))
            .with_timezone(&yunwei_domain::calendar::shanghai())
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };
    for (kind, days, description, result) in [
        (
            "routine",
            9,
            "每周服务器操作系统补丁检查与日志巡检",
            "12台服务器补丁均为最新，日志无异常",
        ),
        (
            "backup_restore",
            5,
            "预算管理一体化系统数据库全量备份恢复验证",
            "在测试环境恢复成功，数据校验一致",
        ),
        (
            "fault",
            2,
            "核心交换机 Gi1/0/24 端口故障处理，更换光模块",
            "链路恢复正常，已观察24小时无丢包",
        ),
    ] {
        insp::create_maintenance(
            p,
            &ctx,
            &hwops,
            &MaintenanceInput {
                kind: kind.into(),
                description: description.into(),
                result: result.into(),
                org_id: Some(hw.id.clone()),
                ci_id: None,
                performed_at: Some(when(days)),
                ticket: None,
            },
        )
        .await?;
    }
    // The current periods of every plan exist now.
    insp::roll_forward(p).await?;
    Ok(created)
}
