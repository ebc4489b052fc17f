//! UKEYs of the administrators (JSCZ-53, ADR 0008, ADR 0009):
//! 「各级系统管理员必须通过UKEY访问信息系统；由各级财政部门负责系统管理员UKEY的申请、
//! 分配及回收，一把UKEY分配给一名系统管理员……UKEY持有者将UKEY遗失，须第一时间通知财政
//! 部门项目负责人，启动UKEY挂失流程」. A UKEY goes to an administrator of
//! yunwei or of a managed system, one in use per administrator and per
//! serial; the finance department of the entry's level (its security
//! administrator) issues, amends and collects it, for that level only; a
//! loss is told to the project leads at once and reissued within the
//! pack's days; a key leaves use only by the holder or an administrator of
//! the same role; whether someone holds one in use.

use std::future::ready;

use yunwei_domain::org::OrgKind;
use yunwei_domain::register::{Spec, Step, Val};
use yunwei_domain::roles::{role_allows, Role};
use yunwei_domain::{AppError, ErrorKind};
use yunwei_store::registers::{self as store, EntryRow};
use yunwei_store::DbConn;

use super::{done_ref, invalid, spec_named, subject, text, ymd};
use crate::kernel::due;
use crate::kernel::seams::{Change, RegisterRules, SeamFuture};
use crate::{Platform, Principal};

/// The kind of the notice that a UKEY was reported lost (JSCZ-53).
pub const LOSS_NOTICE_KIND: &str = "ukey_lost";

pub static RULES: RegisterRules = RegisterRules {
    register: "ukeys",
    check,
    step_refusal,
    before_step,
    after_write,
    flags,
    ..RegisterRules::NONE
};

fn check<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    spec: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, ()> {
    Box::pin(check_ukey(p, c, spec, e))
}

/// Who may hold a UKEY: 「各级系统管理员」 (JSCZ-53), yunwei's own
/// administrators (三员 and the third party's system administrator
/// account) and the administrators of the managed systems (JSCZ-8: system,
/// security and network administrators).
fn holds_administration(r: Role) -> bool {
    r.is_three_admin()
        || matches!(
            r,
            Role::VendorAdmin | Role::SystemsAdmin | Role::SecurityOfficer | Role::NetworkAdmin
        )
}

/// A UKEY goes to one administrator, who holds at most one in use; a
/// serial is not in use twice; and whoever files or amends it is the
/// finance department of the entry's level (JSCZ-53). The filer is the
/// entry's `updated_by`, set to the caller before this check.
async fn check_ukey(
    p: &Platform,
    c: &mut DbConn,
    spec: &'static Spec,
    e: &EntryRow,
) -> Result<(), AppError> {
    let holder = text(e, "holder");
    let user = yunwei_store::users::by_username(c, holder)
        .await?
        .ok_or_else(|| invalid("register.ukey_holder", format!("账号「{holder}」不存在")))?;
    let admin = yunwei_store::users::grants_of(c, &user.id)
        .await?
        .iter()
        .filter_map(|g| Role::parse(&g.role))
        .any(holds_administration);
    if !admin {
        return Err(invalid(
            "register.ukey_holder",
            format!(
                "「{}」不是系统管理员，UKEY 只发给各级系统管理员：本平台的系统、安全、审计管理员和第三方系统管理员，以及所运维信息系统的系统、安全、网络管理员（JSCZ-53）",
                user.display_name
            ),
        ));
    }
    let now = p.now_us();
    let filer_grants: Vec<(Role, String)> = yunwei_store::users::grants_of(c, &e.updated_by)
        .await?
        .into_iter()
        .filter(|g| g.valid_until.is_none_or(|end| end > now))
        .filter_map(|g| Role::parse(&g.role).map(|r| (r, g.scope_path)))
        .collect();
    if let Some(refusal) = level_refusal(c, spec, &e.org_path, &filer_grants).await? {
        return Err(refusal);
    }
    // The SM2 key the holder logs in with, if given (ADR 0008).
    crate::features::ukey::check_public_key(e)?;
    let in_use = |field: &'static str, value: &str| {
        vec![
            (field, Val::Text(value.to_string())),
            ("status", Val::Text("issued".into())),
        ]
    };
    for (field, value, msg) in [
        (
            "serial",
            text(e, "serial"),
            "该 UKEY 已发给他人在用，请先登记归还或挂失",
        ),
        (
            "holder",
            holder,
            "该管理员已有在用的 UKEY，请先登记归还或挂失",
        ),
    ] {
        let others = store::find(c, spec, &in_use(field, value), 10).await?;
        if others.iter().any(|o| o.id != e.id) {
            return Err(AppError::conflict("register.ukey_in_use", msg));
        }
    }
    Ok(())
}

/// Whether `username` holds a UKEY in use (JSCZ-53).
pub async fn holds_ukey(c: &mut DbConn, username: &str) -> Result<bool, AppError> {
    let ukeys = spec_named("ukeys")?;
    Ok(!store::find(
        c,
        ukeys,
        &[
            ("holder", Val::Text(username.to_string())),
            ("status", Val::Text("issued".into())),
        ],
        1,
    )
    .await?
    .is_empty())
}

/// The finance department (a region: province, city or county) whose
/// level an organisation is at: itself if it is one, else the nearest one
/// above it.
async fn level_of(c: &mut DbConn, org_path: &str) -> Result<String, AppError> {
    let ids: Vec<&str> = org_path.split('/').filter(|s| !s.is_empty()).collect();
    for id in ids.iter().rev() {
        if let Some(o) = yunwei_store::orgs::get(c, id).await? {
            if matches!(
                OrgKind::parse(&o.kind),
                Some(OrgKind::Province | OrgKind::City | OrgKind::County)
            ) {
                return Ok(o.path);
            }
        }
    }
    Ok(ids
        .first()
        .map(|id| yunwei_domain::org::root_path(id))
        .unwrap_or_default())
}

/// JSCZ-53 「由各级财政部门负责系统管理员UKEY的申请、分配及回收」: a UKEY of
/// a level (the region of the entry's organisation) is issued, amended and
/// collected by that level's finance department: one holding the
/// register's write action on a scope at that same level. A city's
/// security administrator acts for the city, not for the province, another
/// city or a county below it (each has its own). The refusal, if any.
async fn level_refusal(
    c: &mut DbConn,
    spec: &Spec,
    org_path: &str,
    grants: &[(Role, String)],
) -> Result<Option<AppError>, AppError> {
    let level = level_of(c, org_path).await?;
    for (role, scope) in grants {
        if role_allows(*role, spec.write) && level_of(c, scope).await? == level {
            return Ok(None);
        }
    }
    let name = match level.split('/').rfind(|s| !s.is_empty()) {
        Some(id) => yunwei_store::orgs::get(c, id)
            .await?
            .map(|o| o.name)
            .unwrap_or_default(),
        None => String::new(),
    };
    Ok(Some(AppError::new(
        ErrorKind::Forbidden,
        "register.ukey_level",
        format!("UKEY 由各级财政部门负责申请、分配及回收（JSCZ-53）：「{name}」的 UKEY 须由该级财政部门的管理员办理"),
    )))
}

fn step_refusal<'a>(
    c: &'a mut DbConn,
    pr: &'a Principal,
    spec: &'static Spec,
    step: &'static Step,
    e: &'a EntryRow,
) -> SeamFuture<'a, Option<AppError>> {
    Box::pin(async move {
        // Collecting it (归还) is the level's finance department's, like
        // issuing it; a loss is reported by whoever learns of it.
        if step.name == "return" {
            let grants: Vec<(Role, String)> = pr
                .grants
                .iter()
                .map(|g| (g.role, g.scope_path.clone()))
                .collect();
            if let Some(refusal) = level_refusal(c, spec, &e.org_path, &grants).await? {
                return Ok(Some(refusal));
            }
        }
        three_admin_step_refusal(c, pr, step, e).await
    })
}

/// 三员分立 (ADR 0009): a UKEY of a holder with a 三员 role leaves use
/// (reported lost, returned) only by the holder or an administrator of the
/// same role, since with the UKEY requirement on that takes the holder's
/// administrator duties (JSCZ-53). The refusal to return, if any.
async fn three_admin_step_refusal(
    c: &mut DbConn,
    pr: &Principal,
    step: &Step,
    e: &EntryRow,
) -> Result<Option<AppError>, AppError> {
    if !matches!(step.name, "report_lost" | "return") {
        return Ok(None);
    }
    let holder = text(e, "holder");
    if holder == pr.username {
        return Ok(None);
    }
    let Some(user) = yunwei_store::users::by_username(c, holder).await? else {
        return Ok(None);
    };
    Ok(crate::features::users::three_admin_refusal(
        c,
        Some(pr),
        &user,
        yunwei_domain::roles::AccountAct::Disable,
    )
    .await?
    .map(|e| {
        AppError::new(
            e.kind,
            "register.three_admin_protected",
            "三员分立：不能挂失或收回其他管理员的 UKEY（启用 UKEY 要求时这会取消其管理员职权），请由持有人本人或同类管理员办理",
        )
    }))
}

/// The return date is the day it is returned.
fn before_step<'a>(
    p: &'a Platform,
    _: &'a mut DbConn,
    _: &'static Spec,
    step: &'static Step,
    e: &'a mut EntryRow,
    _: &'a str,
) -> SeamFuture<'a, ()> {
    if step.name == "return" {
        e.values
            .insert("returned_on", Val::Text(ymd(due::today(p))));
    }
    Box::pin(ready(Ok(())))
}

fn after_write<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    spec: &'static Spec,
    e: &'a EntryRow,
    change: Change<'a>,
) -> SeamFuture<'a, ()> {
    Box::pin(async move {
        let now = p.now_us();
        let today = due::today(p);
        match change {
            Change::Step(st) if st.name == "report_lost" => {
                // A loss opens the reissue: a new UKEY within the pack's
                // days (JSCZ-53 sets none; the organisation's choice).
                let days = crate::kernel::parameters::int(p, "ukey.reissue_days")?;
                let title = format!("{}（{}）", text(e, "serial"), text(e, "holder"));
                let reissue_by = due::day_end(today + chrono::Duration::days((days - 1).max(0)));
                due::ensure_once(
                    c,
                    &subject(spec, e, "ukey_reissue", &title, "JSCZ-53"),
                    reissue_by,
                    now,
                )
                .await?;
                tell_project_leads(c, spec, e, reissue_by, now).await?;
            }
            Change::Created => {
                // A new UKEY answers the reissue of the holder's lost ones.
                let lost = store::find(
                    c,
                    spec,
                    &[
                        ("holder", e.get("holder").clone()),
                        ("status", Val::Text("lost".into())),
                    ],
                    100,
                )
                .await?;
                let done_ref = done_ref(spec, e);
                for old in lost {
                    due::complete_open(
                        c,
                        (spec.key, &old.id),
                        "ukey_reissue",
                        |_| true,
                        usize::MAX,
                        (&done_ref, now),
                    )
                    .await?;
                }
            }
            _ => {}
        }
        Ok(())
    })
}

/// JSCZ-53 「UKEY持有者将UKEY遗失，须第一时间通知财政部门项目负责人」: the
/// project leads covering the entry's organisation and the holder's are
/// told when the loss is recorded, in its transaction, not only when the
/// reissue is late.
async fn tell_project_leads(
    c: &mut DbConn,
    spec: &'static Spec,
    e: &EntryRow,
    reissue_by: i64,
    now: i64,
) -> Result<(), AppError> {
    let holder = text(e, "holder");
    let mut paths = vec![e.org_path.clone()];
    if let Some(u) = yunwei_store::users::by_username(c, holder).await? {
        paths.push(u.org_path);
    }
    let lead = [Role::ProjectLead.as_str().to_string()];
    let mut leads = Vec::new();
    for path in &paths {
        leads.extend(yunwei_store::users::holders_covering(c, &lead, path).await?);
    }
    leads.sort();
    leads.dedup();
    let title = format!("UKEY 遗失挂失：{}（持有人 {holder}）", text(e, "serial"));
    let body = format!(
        "持有人 {holder} 的 UKEY {} 已挂失（JSCZ-53 遗失须第一时间通知财政部门项目负责人），已启动挂失流程；请于 {} 前补发。",
        text(e, "serial"),
        crate::kernel::export::fmt_us(reissue_by)
    );
    let link = format!("/registers/{}/{}", spec.key, e.id);
    let notice = crate::kernel::notify::Notice {
        user_id: "",
        ticket_id: None,
        kind: LOSS_NOTICE_KIND,
        title: &title,
        body: &body,
        at_us: now,
        link: Some(&link),
        due_at: Some(reissue_by),
    };
    crate::kernel::notify::notify(c, &leads, &notice).await
}

fn flags<'a>(
    _: &'a Platform,
    _: &'a mut DbConn,
    _: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, Vec<String>> {
    let mut out = vec![];
    if text(e, "status") == "lost" {
        out.push("已挂失：持有人在补发前不能以管理员身份操作（JSCZ-53）".to_string());
    }
    Box::pin(ready(Ok(out)))
}
