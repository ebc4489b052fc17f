//! What is particular to each declarative register (ADR 0006): checks
//! across fields, the dates each one feeds into the due-date engine, the
//! flags shown beside its entries, the go-live plan gate on releases and
//! major changes, and the drafts of vendor reports.
//!
//! | register           | due-date engine (`controls`)                         |
//! |--------------------|------------------------------------------------------|
//! | backup_plans       | log review every period (EEDS-3.7.4); restore test a year after the last (EEDS-3.7.5) |
//! | emergency_plans    | drills once, twice or four times a year (JSCZ-7, ZMDY-20) |
//! | vendor_contracts   | weekly / monthly reports, yearly plan and summary (JSCZ-7) |
//! | vendor_staff       | the NDA's expiry (JSCZ-37)                           |
//! | asset_requisitions | the return date (JSCZ-9)                             |

use chrono::{Months, NaiveDate};
use yunwei_domain::ids::new_id;
use yunwei_domain::register::{spec, Spec, Step, Val};
use yunwei_domain::schedule::{start_of_day_shanghai, Recurrence};
use yunwei_domain::AppError;
use yunwei_store::registers::{self as store, EntryRow};
use yunwei_store::{in_tx, DbConn};

use crate::kernel::audit::{record, Actor, Event};
use crate::kernel::due::{self, Subject};
use crate::kernel::seams::{Change, RegisterRules, SeamFuture};
use crate::{Ctx, Platform, Principal};

fn date(e: &EntryRow, f: &str) -> Option<NaiveDate> {
    e.get(f).date()
}

fn text<'a>(e: &'a EntryRow, f: &str) -> &'a str {
    e.get(f).text().unwrap_or("")
}

fn invalid(code: &'static str, msg: impl Into<String>) -> AppError {
    AppError::bad_request(code, msg)
}

fn spec_named(key: &str) -> Result<&'static Spec, AppError> {
    spec(key).ok_or_else(AppError::internal)
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn a_year_after(d: NaiveDate) -> NaiveDate {
    d.checked_add_months(Months::new(12)).unwrap_or(d)
}

// ---- derived fields ----

/// Days to remediate a vulnerability by severity.
fn fix_days(severity: &str) -> i64 {
    match severity {
        "critical" => 7,
        "high" => 30,
        "medium" => 90,
        _ => 180,
    }
}

/// Fields the platform computes from the others before a check.
pub fn derive(spec: &Spec, e: &mut EntryRow) {
    if spec.key == "vulnerabilities" {
        let due = date(e, "found_on")
            .map(|d| ymd(d + chrono::Duration::days(fix_days(text(e, "severity")))));
        e.values
            .insert("due_on", due.map(Val::Text).unwrap_or(Val::Null));
    }
}

// ---- checks across fields ----

/// Refuses an entry whose fields contradict each other or the entries
/// they name.
pub async fn check(
    p: &Platform,
    c: &mut DbConn,
    spec: &Spec,
    e: &EntryRow,
) -> Result<(), AppError> {
    let order = |a: &str, b: &str, msg: &str| -> Result<(), AppError> {
        match (date(e, a), date(e, b)) {
            (Some(x), Some(y)) if y < x => Err(invalid("register.dates_reversed", msg)),
            _ => Ok(()),
        }
    };
    match spec.key {
        "vendor_contracts" => order("starts_on", "ends_on", "服务结束日期不能早于开始日期")?,
        "vendor_reports" => order("period_start", "period_end", "周期结束不能早于周期开始")?,
        "security_reviews" => order("period_start", "period_end", "审查期间的结束不能早于开始")?,
        "ndas" => {
            order("valid_from", "valid_to", "保密协议到期日期不能早于生效日期")?;
            order("signed_on", "valid_to", "保密协议到期日期不能早于签订日期")?;
        }
        "asset_requisitions" => order("borrowed_on", "due_back", "应归还日期不能早于领用日期")?,
        "ukeys" => check_ukey(c, spec, e).await?,
        "vulnerabilities" => {
            // A finding already open on the item is not registered twice
            // (the same scan report imported again).
            let same = store::find(c, spec, &[("ci_id", e.get("ci_id").clone())], 10_000).await?;
            let key = |x: &EntryRow| {
                let cve = text(x, "cve");
                if cve.is_empty() {
                    text(x, "title").to_string()
                } else {
                    cve.to_string()
                }
            };
            if same.iter().any(|o| {
                o.id != e.id && matches!(text(o, "status"), "open" | "fixed") && key(o) == key(e)
            }) {
                return Err(AppError::conflict(
                    "register.vulnerability_open",
                    format!("该系统的漏洞「{}」已登记且未关闭", key(e)),
                ));
            }
        }
        "db_access" => {
            order("valid_from", "valid_to", "截止日期不能早于生效日期")?;
            let staff = spec_named("vendor_staff")?;
            let person = store::get(c, staff, text(e, "staff_id"))
                .await?
                .ok_or_else(AppError::internal)?;
            if person.org_id != text(e, "vendor_org_id") {
                return Err(invalid(
                    "register.staff_vendor",
                    format!("「{}」不是该服务厂商的人员", text(&person, "name")),
                ));
            }
        }
        "golive_plans" | "prelaunch_checks" => {
            let t = yunwei_store::tickets::get(c, text(e, "ticket_id"))
                .await?
                .ok_or_else(AppError::internal)?;
            // Only tickets whose process names the gate this register
            // answers (ADR 0010).
            let hook = if spec.key == "golive_plans" {
                yunwei_domain::policy::hooks::GOLIVE_PLAN
            } else {
                yunwei_domain::policy::hooks::PRELAUNCH_CHECKS
            };
            let gated = crate::tickets::pack(p, &t.pack_id, Some(&t.pack_version))
                .ok()
                .and_then(|pk| pk.process(&t.process_id))
                .is_some_and(|pr_| pr_.uses_hook(hook));
            if !gated {
                return Err(invalid(
                    "register.golive_ticket",
                    format!(
                        "上线应急方案只能关联发布或变更工单，{} 不是（NTCZ-3.4.1）",
                        t.number
                    ),
                ));
            }
        }
        "staff_changes" => {
            let kind = text(e, "change_kind");
            let leaving = e.get("leaving_id").text();
            let joining = e.get("joining_id").text();
            match kind {
                "pm" | "onsite_in" if joining.is_none() => {
                    return Err(invalid("register.staff_change", "请选择接任或进场的人员"))
                }
                "onsite_out" if leaving.is_none() => {
                    return Err(invalid("register.staff_change", "请选择离场的人员"))
                }
                _ => {}
            }
            if leaving.is_some() && leaving == joining {
                return Err(invalid("register.staff_change", "离任和接任不能是同一人"));
            }
            // Both people belong to the vendor named on the request.
            let staff = spec_named("vendor_staff")?;
            let vendor = text(e, "vendor_org_id");
            for id in [leaving, joining].into_iter().flatten() {
                let s = store::get(c, staff, id)
                    .await?
                    .ok_or_else(AppError::internal)?;
                if s.org_id != vendor {
                    return Err(invalid(
                        "register.staff_change",
                        format!("「{}」不是该服务厂商的人员", text(&s, "name")),
                    ));
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// A UKEY goes to one administrator, who holds at most one in use; a
/// serial is not in use twice (JSCZ-53).
async fn check_ukey(c: &mut DbConn, spec: &Spec, e: &EntryRow) -> Result<(), AppError> {
    use yunwei_domain::roles::Role;
    let holder = text(e, "holder");
    let user = yunwei_store::users::by_username(c, holder)
        .await?
        .ok_or_else(|| invalid("register.ukey_holder", format!("账号「{holder}」不存在")))?;
    let admin = yunwei_store::users::grants_of(c, &user.id)
        .await?
        .iter()
        .filter_map(|g| Role::parse(&g.role))
        .any(|r| r.is_three_admin() || r == Role::VendorAdmin);
    if !admin {
        return Err(invalid(
            "register.ukey_holder",
            format!(
                "「{}」不是管理员，UKEY 只发给系统、安全、审计管理员和第三方系统管理员",
                user.display_name
            ),
        ));
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

/// Most contracts of one vendor read for its engineers' ticket coverage.
const MAX_CONTRACTS_READ: u64 = 200;

/// The regions whose tickets a vendor's engineers serve (issue 11): for
/// every contract in force on `today` (`starts_on` <= today <= `ends_on`)
/// naming `vendor_org_id` as its vendor, the subtree of the purchaser's
/// region, the nearest province, city or county at or above it. A contract
/// of the provincial information centre covers the province, since the
/// centre runs the unified systems for every level (JSCZ-6); a city
/// bureau's contract covers that city. Returned as path prefixes.
pub async fn contract_regions(
    c: &mut DbConn,
    vendor_org_id: &str,
    today: NaiveDate,
) -> Result<Vec<String>, AppError> {
    let contracts = spec_named("vendor_contracts")?;
    let rows = store::find(
        c,
        contracts,
        &[("vendor_org_id", Val::Text(vendor_org_id.to_string()))],
        MAX_CONTRACTS_READ,
    )
    .await?;
    let day = |e: &EntryRow, f: &str| {
        e.get(f)
            .text()
            .and_then(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
    };
    let mut out: Vec<String> = vec![];
    for e in rows {
        let in_force = matches!((day(&e, "starts_on"), day(&e, "ends_on")), (Some(s), Some(end)) if s <= today && today <= end);
        if !in_force {
            continue;
        }
        // The purchaser's region: walk up to a province, city or county.
        let mut org = yunwei_store::orgs::get(c, &e.org_id).await?;
        let mut hops = 0;
        while let Some(o) = &org {
            if matches!(o.kind.as_str(), "province" | "city" | "county") || hops > 16 {
                break;
            }
            hops += 1;
            org = match &o.parent_id {
                Some(parent) => yunwei_store::orgs::get(c, parent).await?,
                None => None,
            };
        }
        if let Some(o) = org {
            if !out.iter().any(|p| o.path.starts_with(p.as_str())) {
                out.retain(|p| !p.starts_with(o.path.as_str()));
                out.push(o.path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Who may file an entry beyond the register's action: the operation and
/// security log review is the audit administrator's (EEDS-3.7.1), the
/// access review the security administrator's.
pub fn check_filer(spec: &Spec, e: &EntryRow, pr: &Principal) -> Result<(), AppError> {
    use yunwei_domain::roles::Role;
    if spec.key != "security_reviews" {
        return Ok(());
    }
    let (role, kind) = match text(e, "kind") {
        "log_review" => (Role::AudAdmin, "操作和安全日志审查"),
        "access_review" => (Role::SecAdmin, "权限审查"),
        _ => return Ok(()),
    };
    if pr.has_role(role) {
        Ok(())
    } else {
        Err(AppError::forbidden(format!("{kind}由{}登记", role.label())))
    }
}

/// Sets fields of `e` before a step is stored (the return date of an
/// asset is the day it is returned).
pub async fn before_step(
    p: &Platform,
    c: &mut DbConn,
    spec: &Spec,
    step: &Step,
    e: &mut EntryRow,
    note: &str,
) -> Result<(), AppError> {
    if spec.key == crate::features::access::REGISTER {
        match step.name {
            "revoke" => {
                e.values.insert(
                    "revoked_at",
                    Val::Text(crate::kernel::export::fmt_us(p.now_us())),
                );
                let reason = if note.trim().is_empty() {
                    "管理员提前收回"
                } else {
                    note.trim()
                };
                e.values
                    .insert("revoke_reason", Val::Text(reason.to_string()));
            }
            "confirm_removed" => {
                if note.trim().is_empty() {
                    return Err(invalid(
                        "access.removal_note_required",
                        "请在说明中写明在目标系统中删除了哪些账号和权限（JSCZ-49）",
                    ));
                }
                e.values
                    .insert("removal_note", Val::Text(note.trim().to_string()));
            }
            _ => {}
        }
    }
    // Access only for an engineer named in an NDA in force (JSCZ-36).
    if spec.key == "db_access" && matches!(step.name, "grant" | "resume") {
        let staff = text(e, "staff_id").to_string();
        let (valid, latest) = nda_of(c, &staff, due::today(p)).await?;
        if !valid {
            return Err(AppError::conflict(
                "register.nda_required",
                match latest {
                    Some(d) => format!(
                        "该运维人员的保密协议已于 {} 到期，不能授权访问数据库（JSCZ-36）",
                        ymd(d)
                    ),
                    None => "该运维人员没有签订保密协议，不能授权访问数据库（JSCZ-36）".to_string(),
                },
            ));
        }
    }
    if spec.key == "ukeys" && step.name == "return" {
        e.values
            .insert("returned_on", Val::Text(ymd(due::today(p))));
    }
    if spec.key == "asset_requisitions" && step.name == "return" {
        e.values
            .insert("returned_on", Val::Text(ymd(due::today(p))));
    }
    Ok(())
}

/// 三员分立 (ADR 0009): a UKEY of a holder with a 三员 role leaves use
/// (reported lost, returned) only by the holder or an administrator of the
/// same role, since with the UKEY requirement on that takes the holder's
/// administrator duties (JSCZ-53). The refusal to return, if any.
pub async fn three_admin_step_refusal(
    c: &mut DbConn,
    pr: &Principal,
    spec: &Spec,
    step: &Step,
    e: &EntryRow,
) -> Result<Option<AppError>, AppError> {
    if spec.key != "ukeys" || !matches!(step.name, "report_lost" | "return") {
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
        Actor::User(pr),
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

/// Writes derived fields of another entry (a plan's last backup), with a
/// new version so a form read before cannot overwrite them.
async fn set_values(
    c: &mut DbConn,
    spec: &Spec,
    id: &str,
    values: &[(&'static str, Val)],
    now: i64,
) -> Result<(), AppError> {
    let Some(old) = store::get(c, spec, id).await? else {
        return Ok(());
    };
    let mut e = EntryRow {
        version: old.version + 1,
        updated_at: now.max(old.updated_at + 1),
        ..old.clone()
    };
    for (k, v) in values {
        e.values.insert(k, v.clone());
    }
    if !store::update(c, spec, &e, old.version).await? {
        return Err(AppError::conflict(
            "register.changed",
            format!("该{}已被他人修改，请重试", spec.label),
        ));
    }
    Ok(())
}

fn subject<'a>(
    spec: &'a Spec,
    e: &'a EntryRow,
    kind: &'a str,
    title: &'a str,
    source: &'a str,
) -> Subject<'a> {
    Subject {
        kind,
        subject_type: spec.key,
        subject_id: &e.id,
        org_id: &e.org_id,
        org_path: &e.org_path,
        title,
        source,
    }
}

fn created_day(e: &EntryRow) -> NaiveDate {
    chrono::DateTime::from_timestamp_micros(e.created_at)
        .map(yunwei_domain::calendar::date_in_shanghai)
        .unwrap_or_default()
}

// ---- backups ----

fn review_recurrence(e: &EntryRow) -> Recurrence {
    match text(e, "review_every") {
        "weekly" => Recurrence::Weekly,
        "quarterly" => Recurrence::Quarterly,
        _ => Recurrence::Monthly,
    }
}

/// An active plan's log reviews from `from` and its next restore test.
async fn schedule_backup_plan(
    p: &Platform,
    c: &mut DbConn,
    plan: &EntryRow,
    from: NaiveDate,
) -> Result<(), AppError> {
    let spec = spec_named("backup_plans")?;
    let title = crate::registers::title_of(spec, plan);
    let now = p.now_us();
    let today = due::today(p);
    due::ensure_periodic(
        c,
        &subject(spec, plan, "backup_review", &title, "EEDS-3.7.4"),
        review_recurrence(plan),
        from.min(today),
        today,
        now,
    )
    .await?;
    // One open restore test at a time: a year after the last one, or after
    // the plan came into force.
    let open = yunwei_store::controls::of_subject(c, spec.key, &plan.id, 500)
        .await?
        .into_iter()
        .any(|ctl| ctl.kind == "restore_test" && ctl.done_at.is_none());
    if !open {
        let last = date(plan, "last_restore_test_on").unwrap_or(today);
        due::ensure_once(
            c,
            &subject(spec, plan, "restore_test", &title, "EEDS-3.7.5"),
            due::day_end(a_year_after(last)),
            now,
        )
        .await?;
    }
    Ok(())
}

fn backup_window_days(frequency: &str) -> i64 {
    match frequency {
        "daily" => 1,
        "weekly" => 7,
        _ => 31,
    }
}

// ---- the hooks ----

/// Keeps the due-date engine and the derived fields in step with a change
/// of `e`, in the caller's transaction.
pub async fn after_write(
    p: &Platform,
    c: &mut DbConn,
    spec: &Spec,
    e: &EntryRow,
    change: Change<'_>,
) -> Result<(), AppError> {
    let now = p.now_us();
    let today = due::today(p);
    let done_ref = format!("{}:{}", spec.key, e.id);
    match (spec.key, &change) {
        ("security_reviews", Change::Created) => {
            crate::features::reviews::answered(c, e, (&done_ref, now)).await?;
        }
        (crate::features::access::REGISTER, Change::Step(st)) if st.name == "revoke" => {
            crate::features::access::after_revoke(p, c, e).await?;
        }
        (crate::features::access::REGISTER, Change::Step(st)) if st.name == "confirm_removed" => {
            due::complete_open(
                c,
                (spec.key, &e.id),
                crate::features::access::REMOVAL_KIND,
                |_| true,
                1,
                (&done_ref, now),
            )
            .await?;
        }
        ("backup_plans", Change::Step(st)) if st.to == "active" => {
            schedule_backup_plan(p, c, e, today).await?;
        }
        ("backup_plans", Change::Step(st)) if st.to == "retired" => {
            yunwei_store::controls::delete_open_not_due(c, spec.key, &e.id, now).await?;
        }
        ("backup_plans", Change::Updated(old)) => {
            let title = crate::registers::title_of(spec, e);
            yunwei_store::controls::retitle_open(
                c,
                spec.key,
                &e.id,
                &title,
                &e.org_id,
                &e.org_path,
            )
            .await?;
            if text(e, "status") == "active" && text(old, "review_every") != text(e, "review_every")
            {
                yunwei_store::controls::delete_open_not_due(c, spec.key, &e.id, now).await?;
                schedule_backup_plan(p, c, e, today).await?;
            }
        }
        ("backup_logs", Change::Created) => {
            let plans = spec_named("backup_plans")?;
            let Some(plan) = store::get(c, plans, e.parent_id.as_deref().unwrap_or("")).await?
            else {
                return Ok(());
            };
            let on = date(e, "performed_on");
            if text(e, "outcome") == "success" && on > date(&plan, "last_backup_on") {
                let on = on.map(ymd).map(Val::Text).unwrap_or(Val::Null);
                set_values(c, plans, &plan.id, &[("last_backup_on", on)], now).await?;
            }
        }
        ("backup_reviews", Change::Created) => {
            let on = date(e, "reviewed_on").map(ymd).unwrap_or_default();
            due::complete_open(
                c,
                ("backup_plans", e.parent_id.as_deref().unwrap_or("")),
                "backup_review",
                |ctl| {
                    ctl.period_start
                        .as_deref()
                        .is_some_and(|s| s <= on.as_str())
                },
                1,
                (&done_ref, now),
            )
            .await?;
        }
        ("restore_tests", Change::Created) if text(e, "result") == "pass" => {
            let plans = spec_named("backup_plans")?;
            let Some(plan) = store::get(c, plans, e.parent_id.as_deref().unwrap_or("")).await?
            else {
                return Ok(());
            };
            let on = date(e, "tested_on").unwrap_or(today);
            if Some(on) > date(&plan, "last_restore_test_on") {
                set_values(
                    c,
                    plans,
                    &plan.id,
                    &[("last_restore_test_on", Val::Text(ymd(on)))],
                    now,
                )
                .await?;
            }
            // The next test is due a year after this one: it answers every
            // open occurrence due before then.
            let next = due::day_end(a_year_after(
                on.max(date(&plan, "last_restore_test_on").unwrap_or(on)),
            ));
            due::complete_open(
                c,
                (plans.key, &plan.id),
                "restore_test",
                |ctl| ctl.due_at < next,
                usize::MAX,
                (&done_ref, now),
            )
            .await?;
            if text(&plan, "status") == "active" {
                let title = crate::registers::title_of(plans, &plan);
                due::ensure_once(
                    c,
                    &subject(plans, &plan, "restore_test", &title, "EEDS-3.7.5"),
                    next,
                    now,
                )
                .await?;
            }
        }
        ("emergency_plans", Change::Created) => {
            schedule_drills(p, c, spec, e, today).await?;
        }
        ("emergency_plans", Change::Updated(old)) => {
            let title = crate::registers::title_of(spec, e);
            yunwei_store::controls::retitle_open(
                c,
                spec.key,
                &e.id,
                &title,
                &e.org_id,
                &e.org_path,
            )
            .await?;
            if text(old, "drills") != text(e, "drills") {
                yunwei_store::controls::delete_open_not_due(c, spec.key, &e.id, now).await?;
                schedule_drills(p, c, spec, e, today).await?;
            }
        }
        ("drills", Change::Created) => {
            let plans = spec_named("emergency_plans")?;
            let plan_id = e.parent_id.clone().unwrap_or_default();
            let on = date(e, "held_on").unwrap_or(today);
            let on_s = ymd(on);
            due::complete_open(
                c,
                (plans.key, &plan_id),
                "drill",
                |ctl| {
                    ctl.period_start
                        .as_deref()
                        .is_some_and(|s| s <= on_s.as_str())
                },
                1,
                (&done_ref, now),
            )
            .await?;
            if let Some(plan) = store::get(c, plans, &plan_id).await? {
                if Some(on) > date(&plan, "last_drill_on") {
                    set_values(
                        c,
                        plans,
                        &plan_id,
                        &[("last_drill_on", Val::Text(on_s))],
                        now,
                    )
                    .await?;
                }
            }
        }
        ("vendor_contracts", Change::Created) => {
            schedule_reports(p, c, spec, e, None).await?;
        }
        ("vendor_contracts", Change::Updated(_)) => {
            let title = crate::registers::title_of(spec, e);
            yunwei_store::controls::retitle_open(
                c,
                spec.key,
                &e.id,
                &title,
                &e.org_id,
                &e.org_path,
            )
            .await?;
            yunwei_store::controls::delete_open_not_due(c, spec.key, &e.id, now).await?;
            schedule_reports(p, c, spec, e, Some(today)).await?;
        }
        ("vendor_reports", Change::Step(st)) if st.name == "submit" => {
            let kind = report_control_kind(text(e, "report_kind"));
            let end = text(e, "period_end").to_string();
            due::complete_open(
                c,
                ("vendor_contracts", e.parent_id.as_deref().unwrap_or("")),
                kind,
                |ctl| {
                    ctl.period_start
                        .as_deref()
                        .is_some_and(|s| s <= end.as_str())
                },
                1,
                (&done_ref, now),
            )
            .await?;
        }
        ("ndas", Change::Created) => {
            let staff = spec_named("vendor_staff")?;
            let Some(person) = store::get(c, staff, e.parent_id.as_deref().unwrap_or("")).await?
            else {
                return Ok(());
            };
            let Some(to) = date(e, "valid_to") else {
                return Ok(());
            };
            let due = due::day_end(to);
            // A renewal answers for the expiries it covers.
            due::complete_open(
                c,
                (staff.key, &person.id),
                "nda",
                |ctl| ctl.due_at < due,
                usize::MAX,
                (&done_ref, now),
            )
            .await?;
            let title = crate::registers::title_of(staff, &person);
            due::ensure_once(
                c,
                &subject(staff, &person, "nda", &title, "JSCZ-37"),
                due,
                now,
            )
            .await?;
        }
        ("vulnerabilities", Change::Created | Change::Updated(_)) => {
            if let Some(due) = date(e, "due_on") {
                // A new due date (severity or date corrected) replaces
                // the open one not yet due.
                yunwei_store::controls::delete_open_not_due(c, spec.key, &e.id, now).await?;
                let title = format!(
                    "{}（{}）",
                    text(e, "title"),
                    ci_label(c, text(e, "ci_id")).await?
                );
                due::ensure_once(
                    c,
                    &subject(spec, e, "vuln_fix", &title, "JSCZ-42"),
                    due::day_end(due),
                    now,
                )
                .await?;
            }
        }
        ("vulnerabilities", Change::Step(st)) if st.to == "closed" || st.to == "accepted" => {
            due::complete_open(
                c,
                (spec.key, &e.id),
                "vuln_fix",
                |_| true,
                usize::MAX,
                (&done_ref, now),
            )
            .await?;
        }
        ("ukeys", Change::Step(st)) if st.name == "report_lost" => {
            // A loss opens the reissue: a new UKEY within three days.
            let title = format!("{}（{}）", text(e, "serial"), text(e, "holder"));
            due::ensure_once(
                c,
                &subject(spec, e, "ukey_reissue", &title, "JSCZ-53"),
                due::day_end(today + chrono::Duration::days(2)),
                now,
            )
            .await?;
        }
        ("ukeys", Change::Created) => {
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
        ("staff_changes", Change::Step(st)) if st.name == "approve" => {
            apply_staff_change(c, e, now).await?;
        }
        ("asset_requisitions", Change::Step(st)) if st.name == "approve" => {
            if let Some(back) = date(e, "due_back") {
                let title = format!(
                    "{}（{}）",
                    crate::registers::title_of(spec, e),
                    ci_label(c, text(e, "ci_id")).await?
                );
                due::ensure_once(
                    c,
                    &subject(spec, e, "asset_return", &title, "JSCZ-9"),
                    due::day_end(back),
                    now,
                )
                .await?;
            }
        }
        ("asset_requisitions", Change::Step(st)) if st.name == "return" => {
            due::complete_open(
                c,
                (spec.key, &e.id),
                "asset_return",
                |_| true,
                usize::MAX,
                (&done_ref, now),
            )
            .await?;
        }
        _ => {}
    }
    Ok(())
}

async fn ci_label(c: &mut DbConn, id: &str) -> Result<String, AppError> {
    Ok(yunwei_store::cmdb::get_ci(c, id)
        .await?
        .map(|ci| format!("{} {}", ci.code, ci.name))
        .unwrap_or_default())
}

fn drill_recurrence(e: &EntryRow) -> Option<Recurrence> {
    match text(e, "drills") {
        "1" => Some(Recurrence::Yearly),
        "2" => Some(Recurrence::HalfYearly),
        "4" => Some(Recurrence::Quarterly),
        _ => None,
    }
}

async fn schedule_drills(
    p: &Platform,
    c: &mut DbConn,
    spec: &Spec,
    e: &EntryRow,
    from: NaiveDate,
) -> Result<(), AppError> {
    let Some(r) = drill_recurrence(e) else {
        return Ok(());
    };
    let title = crate::registers::title_of(spec, e);
    let today = due::today(p);
    due::ensure_periodic(
        c,
        &subject(spec, e, "drill", &title, "JSCZ-7 ZMDY-20"),
        r,
        from.min(today),
        today,
        p.now_us(),
    )
    .await?;
    Ok(())
}

/// (contract field, control kind, recurrence) of each report a contract
/// may call for.
const REPORTS: [(&str, &str, Recurrence); 4] = [
    ("weekly_report", "vendor_weekly", Recurrence::Weekly),
    ("monthly_report", "vendor_monthly", Recurrence::Monthly),
    ("annual_plan", "vendor_plan", Recurrence::Yearly),
    ("annual_summary", "vendor_summary", Recurrence::Yearly),
];

fn report_control_kind(report_kind: &str) -> &'static str {
    match report_kind {
        "weekly" => "vendor_weekly",
        "monthly" => "vendor_monthly",
        "plan" => "vendor_plan",
        _ => "vendor_summary",
    }
}

/// The reports a contract calls for, period by period from its start (or
/// `from`) to today or its end.
async fn schedule_reports(
    p: &Platform,
    c: &mut DbConn,
    spec: &Spec,
    e: &EntryRow,
    from: Option<NaiveDate>,
) -> Result<(), AppError> {
    let (Some(start), Some(end)) = (date(e, "starts_on"), date(e, "ends_on")) else {
        return Ok(());
    };
    let today = due::today(p);
    let first = from.map_or(start, |f| f.max(start));
    let through = today.min(end);
    if first > through {
        return Ok(());
    }
    let title = crate::registers::title_of(spec, e);
    for (field, kind, r) in REPORTS {
        if e.get(field).is_true() {
            due::ensure_periodic(
                c,
                &subject(spec, e, kind, &title, "JSCZ-7"),
                r,
                first,
                through,
                p.now_us(),
            )
            .await?;
        }
    }
    Ok(())
}

/// An approved change of project manager or on-site staff takes effect on
/// the people it names (NTCZ-6.1.7).
async fn apply_staff_change(c: &mut DbConn, e: &EntryRow, now: i64) -> Result<(), AppError> {
    let staff = spec_named("vendor_staff")?;
    let leaving = e.get("leaving_id").text().map(str::to_string);
    let joining = e.get("joining_id").text().map(str::to_string);
    let t = |s: &str| Val::Text(s.to_string());
    match text(e, "change_kind") {
        "pm" => {
            if let Some(id) = leaving {
                set_values(c, staff, &id, &[("post", t("engineer"))], now).await?;
            }
            if let Some(id) = joining {
                set_values(c, staff, &id, &[("post", t("pm"))], now).await?;
            }
        }
        "onsite_in" => {
            if let Some(id) = joining {
                let keep_pm = store::get(c, staff, &id)
                    .await?
                    .is_some_and(|s| text(&s, "post") == "pm");
                let mut v = vec![("presence", t("on_site"))];
                if !keep_pm {
                    v.push(("post", t("onsite")));
                }
                set_values(c, staff, &id, &v, now).await?;
            }
        }
        "onsite_out" => {
            if let Some(id) = leaving {
                set_values(c, staff, &id, &[("presence", t("off_site"))], now).await?;
            }
        }
        _ => {}
    }
    Ok(())
}

// ---- flags ----

/// What needs attention about `e` today: its overdue occurrences and the
/// register's own conditions.
pub async fn flags(
    p: &Platform,
    c: &mut DbConn,
    spec: &Spec,
    e: &EntryRow,
) -> Result<Vec<String>, AppError> {
    let today = due::today(p);
    let mut out = vec![];
    match spec.key {
        "backup_plans" if text(e, "status") == "active" => {
            // Backups stop arriving: no success within the plan's period
            // (EEDS-3.7.4).
            let window = backup_window_days(text(e, "frequency"));
            match date(e, "last_backup_on") {
                Some(last) if (today - last).num_days() > window => out.push(format!(
                    "备份中断：最近一次成功备份为 {}，已超过{}",
                    ymd(last),
                    spec.field("frequency")
                        .map(|f| f.display(e.get("frequency")))
                        .unwrap_or_default()
                )),
                None if (today - created_day(e)).num_days() > window => {
                    out.push("备份中断：尚无成功备份记录".to_string())
                }
                _ => {}
            }
            // A restore test at least yearly (EEDS-3.7.5, JSCZ-45).
            match date(e, "last_restore_test_on") {
                Some(last) if today > a_year_after(last) => out.push(format!(
                    "恢复测试已超过一年：最近一次为 {}（EEDS-3.7.5）",
                    ymd(last)
                )),
                None if today > a_year_after(created_day(e)) => {
                    out.push("一年内未做恢复测试（EEDS-3.7.5）".to_string())
                }
                _ => {}
            }
            let missing: Vec<&str> = [
                ("covers_system", "系统软件和数据"),
                ("covers_business", "业务数据"),
                ("covers_logs", "操作日志"),
            ]
            .into_iter()
            .filter(|(f, _)| !e.get(f).is_true())
            .map(|(_, l)| l)
            .collect();
            if !missing.is_empty() {
                out.push(format!(
                    "备份内容未包括{}（EEDS-3.7.3）",
                    missing.join("、")
                ));
            }
            if e.get("offsite_location").text().is_none() {
                out.push("未做异地备份（JSCZ-45）".to_string());
            }
        }
        "vendor_staff" => {
            let (valid, latest) = nda_of(c, &e.id, today).await?;
            if !valid {
                out.push(match latest {
                    Some(to) => format!("保密协议已于 {} 到期（JSCZ-37）", ymd(to)),
                    None => "未签订保密协议（JSCZ-37）".to_string(),
                });
            }
        }
        "asset_requisitions" if text(e, "status") == "approved" => {
            if let Some(back) = date(e, "due_back") {
                if today > back {
                    out.push(format!("逾期未归还：应于 {} 归还（JSCZ-9）", ymd(back)));
                }
            }
        }
        "db_access" if text(e, "status") == "granted" => {
            if date(e, "valid_to").is_some_and(|end| end < today) {
                out.push("授权已到期，请收回并确认堡垒机账号已删除".to_string());
            }
            let (valid, _) = nda_of(c, text(e, "staff_id"), today).await?;
            if !valid {
                out.push("保密协议已失效，数据库访问暂停（JSCZ-36）".to_string());
            }
        }
        crate::features::access::REGISTER if text(e, "status") == "revoked" => {
            out.push("已收回，待系统管理员确认目标系统中的账号和权限已删除（JSCZ-49）".to_string());
        }
        "db_access" if text(e, "status") == "suspended" => {
            out.push("保密协议已失效，访问已暂停；续签保密协议后可恢复（JSCZ-36）".to_string());
        }
        "ukeys" if text(e, "status") == "lost" => {
            out.push("已挂失：持有人在补发前不能以管理员身份操作（JSCZ-53）".to_string());
        }
        "vendor_contracts" if date(e, "ends_on").is_some_and(|end| end < today) => {
            out.push("合同服务期已结束".to_string());
        }
        _ => {}
    }
    Ok(out)
}

/// Whether the person has an NDA in force on `day`, and the latest expiry
/// on file.
pub async fn nda_of(
    c: &mut DbConn,
    staff_id: &str,
    day: NaiveDate,
) -> Result<(bool, Option<NaiveDate>), AppError> {
    let ndas = spec_named("ndas")?;
    let rows = store::find(
        c,
        ndas,
        &[("parent_id", Val::Text(staff_id.to_string()))],
        1_000,
    )
    .await?;
    let valid = rows.iter().any(|n| {
        date(n, "valid_from").is_some_and(|f| f <= day)
            && date(n, "valid_to").is_some_and(|t| t >= day)
    });
    let latest = rows.iter().filter_map(|n| date(n, "valid_to")).max();
    Ok((valid, latest))
}

// ---- the go-live plan and pre-launch gates (NTCZ-3.4.1, JSCZ-42) ----
//
// Run as the `golive_plan` and `prelaunch_checks` gates a pack names on a
// transition (`core::hooks`, ADR 0010).

/// Refuses the implementation of new software or functions whose code
/// review, virus scan and vulnerability scan have not all passed.
pub async fn require_prelaunch_checks(
    c: &mut DbConn,
    ticket_id: &str,
    number: &str,
) -> Result<(), AppError> {
    let checks = spec_named("prelaunch_checks")?;
    let found = store::find(
        c,
        checks,
        &[("ticket_id", Val::Text(ticket_id.to_string()))],
        50,
    )
    .await?;
    let passed = found.iter().any(|e| {
        ["code_review", "virus_scan", "vuln_scan"]
            .iter()
            .all(|f| text(e, f) == "pass")
    });
    if !passed {
        return Err(AppError::bad_request(
            "ticket.prelaunch_checks_required",
            format!(
                "{number} 尚未登记全部通过的上线前安全检测（代码审核、病毒检测、漏洞扫描），不能开始实施（JSCZ-42）"
            ),
        ));
    }
    Ok(())
}

/// Refuses the implementation of a release or major change that has no
/// go-live emergency plan.
pub async fn require_golive_plan(
    c: &mut DbConn,
    ticket_id: &str,
    number: &str,
) -> Result<(), AppError> {
    let plans = spec_named("golive_plans")?;
    let found = store::find(
        c,
        plans,
        &[("ticket_id", Val::Text(ticket_id.to_string()))],
        1,
    )
    .await?;
    if found.is_empty() {
        return Err(AppError::bad_request(
            "ticket.golive_plan_required",
            format!(
                "{number} 尚未登记上线应急方案（应急处置范围、风险分析、通过和失败准则、处置方法、问题跟踪策略），不能开始实施（NTCZ-3.4.1）"
            ),
        ));
    }
    Ok(())
}

// ---- the job ----

/// Rolls the periodic occurrences of the registers forward to today
/// (log reviews, drills, vendor reports), audited per entry that got new
/// ones. Returns how many were created.
pub async fn roll_forward(p: &Platform) -> Result<usize, AppError> {
    let today = due::today(p);
    let mut created = 0;
    for key in ["backup_plans", "emergency_plans", "vendor_contracts"] {
        let spec = spec_named(key)?;
        // One read of the entries and one grouped read of their newest
        // periodic occurrences per tick, whatever their number.
        let (entries, latest) = {
            let mut c = p.db.read().await?;
            let entries = store::find(&mut c, spec, &[], 100_000).await?;
            let latest: std::collections::HashMap<String, i64> =
                yunwei_store::controls::latest_periodic_due_by_subject(&mut c, key)
                    .await?
                    .into_iter()
                    .collect();
            (entries, latest)
        };
        for e in entries {
            let Some(from) = rolling(&e, key, today, latest.get(&e.id).copied()) else {
                continue;
            };
            let ctx = Ctx::system(&new_id());
            created += in_tx!(p.db, |c| {
                let Some(e) = store::get(&mut c, spec, &e.id).await? else {
                    return Ok(0);
                };
                let before = yunwei_store::controls::of_subject(&mut c, key, &e.id, 500)
                    .await?
                    .len();
                match key {
                    "backup_plans" => schedule_backup_plan(p, &mut c, &e, from).await?,
                    "emergency_plans" => schedule_drills(p, &mut c, spec, &e, from).await?,
                    _ => schedule_reports(p, &mut c, spec, &e, Some(from)).await?,
                }
                let n = yunwei_store::controls::of_subject(&mut c, key, &e.id, 500)
                    .await?
                    .len()
                    .saturating_sub(before);
                if n > 0 {
                    record(
                        p,
                        &mut c,
                        &ctx,
                        Actor::System {
                            org_path: &e.org_path,
                        },
                        Event::success("controls.schedule", spec.key, &e.id).after(format!(
                            "{}：生成 {n} 个到期事项",
                            crate::registers::title_of(spec, &e)
                        )),
                    )
                    .await?;
                }
                Ok(n)
            })?;
        }
    }
    Ok(created)
}

/// From which day an entry's periodic occurrences need creating, or None
/// when the current period's exists (or it has none).
fn rolling(
    e: &EntryRow,
    key: &str,
    today: NaiveDate,
    latest_due: Option<i64>,
) -> Option<NaiveDate> {
    let r = match key {
        "backup_plans" if text(e, "status") == "active" => review_recurrence(e),
        "emergency_plans" => drill_recurrence(e)?,
        "vendor_contracts" => {
            let end = date(e, "ends_on")?;
            if date(e, "starts_on")? > today || end < today {
                return None;
            }
            REPORTS
                .iter()
                .filter(|(f, _, _)| e.get(f).is_true())
                .map(|(_, _, r)| *r)
                .next()?
        }
        _ => return None,
    };
    let current = r.period_of(today).due_at().timestamp_micros();
    if latest_due.is_some_and(|d| d >= current) {
        return None;
    }
    let latest_day = latest_due.map(due::last_day);
    Some(latest_day.map_or(created_day(e), |d| d + chrono::Duration::days(1)))
}

/// A period typed into a register's `period_start` / `period_end` fields,
/// checked like the form checks them and in order.
fn period_of(
    spec: &Spec,
    start: &str,
    end: &str,
    reversed: &str,
) -> Result<(NaiveDate, NaiveDate), AppError> {
    let day = |name: &str, raw: &str| -> Result<NaiveDate, AppError> {
        let f = spec.field(name).ok_or_else(AppError::internal)?;
        yunwei_domain::register::parse_value(f, raw)?
            .date()
            .ok_or_else(AppError::internal)
    };
    let (s, e) = (day("period_start", start)?, day("period_end", end)?);
    if e < s {
        return Err(invalid("register.dates_reversed", reversed.to_string()));
    }
    Ok((s, e))
}

// ---- vendor report drafts (JSCZ-7) ----

/// The draft of a vendor report for a period, from the data of the
/// contract's organisation: tickets opened and closed with their SLA,
/// changes, the controls done (inspections, reviews, drills), backups and
/// restore tests. The vendor completes and submits it.
pub async fn draft_report(
    p: &Platform,
    pr: &Principal,
    contract_id: &str,
    report_kind: &str,
    period_start: &str,
    period_end: &str,
) -> Result<String, AppError> {
    let contracts = spec_named("vendor_contracts")?;
    let reports = spec_named("vendor_reports")?;
    let kind_field = reports
        .field("report_kind")
        .ok_or_else(AppError::internal)?;
    let kind_label = kind_field.display(&yunwei_domain::register::parse_value(
        kind_field,
        report_kind,
    )?);
    let (start, end) = period_of(
        reports,
        period_start,
        period_end,
        "周期结束不能早于周期开始",
    )?;
    if (end - start).num_days() > 366 {
        return Err(invalid("register.period_too_long", "报告周期不能超过一年"));
    }
    let mut c = p.db.read().await?;
    let contract = store::get(&mut c, contracts, contract_id)
        .await?
        .filter(|e| crate::registers::can_read(pr, contracts, e))
        .ok_or_else(|| AppError::not_found(contracts.label))?;
    let from = start_of_day_shanghai(start).timestamp_micros();
    let to = due::day_end(end);
    let scope = yunwei_store::Scope::ranges(vec![(contract.org_path.clone(), true)]);
    let groups = yunwei_store::reports::sla_groups(&mut c, &scope, from, to).await?;
    let mut names = crate::registers::Names::default();
    let org = names.org(&mut c, &contract.org_id).await?;
    let mut out = format!(
        "{}{}（{} 至 {}）\n服务单位：{org}    合同编号：{}\n\n一、工单处理情况\n",
        text(&contract, "name"),
        kind_label,
        ymd(start),
        ymd(end),
        text(&contract, "contract_no"),
    );
    let mut per_process: std::collections::BTreeMap<String, (i64, i64, i64)> = Default::default();
    for g in &groups {
        let name = p
            .packs
            .iter()
            .find(|k| k.id == g.pack_id)
            .and_then(|k| k.processes.iter().find(|pr| pr.id == g.process_id))
            .map(|pr| pr.name.clone())
            .unwrap_or_else(|| g.process_id.clone());
        let t = per_process.entry(name).or_default();
        t.0 += g.opened;
        t.1 += g.closed;
        t.2 += g.closed_breached;
    }
    let (mut closed, mut breached) = (0, 0);
    if per_process.is_empty() {
        out.push_str("本期无工单。\n");
    }
    for (name, (o, cl, b)) in &per_process {
        out.push_str(&format!(
            "- {name}：新建 {o} 张，办结 {cl} 张，其中超时 {b} 张\n"
        ));
        closed += cl;
        breached += b;
    }
    out.push_str("\n二、服务水平（SLA）\n");
    if closed > 0 {
        out.push_str(&format!(
            "本期办结 {closed} 张，按时 {} 张，按时率 {:.1}%。\n",
            closed - breached,
            (closed - breached) as f64 * 100.0 / closed as f64
        ));
    } else {
        out.push_str("本期无办结工单。\n");
    }
    out.push_str("\n三、巡检、检查与演练\n");
    let done = yunwei_store::controls::done_between(&mut c, &contract.org_path, from, to).await?;
    if done.is_empty() {
        out.push_str("本期无完成的巡检、检查或演练记录。\n");
    }
    for (kind, n, late) in &done {
        out.push_str(&format!(
            "- {}：完成 {n} 次{}\n",
            due::kind_label(kind),
            if *late > 0 {
                format!("（其中逾期完成 {late} 次）")
            } else {
                String::new()
            }
        ));
    }
    out.push_str("\n四、备份与恢复\n");
    let (s, e) = (ymd(start), ymd(end));
    let logs = store::count_between(
        &mut c,
        spec_named("backup_logs")?,
        &contract.org_path,
        "performed_on",
        &s,
        &e,
        "outcome",
    )
    .await?;
    let count = |rows: &[(String, i64)], k: &str| {
        rows.iter()
            .find(|(g, _)| g == k)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    };
    let tests = store::count_between(
        &mut c,
        spec_named("restore_tests")?,
        &contract.org_path,
        "tested_on",
        &s,
        &e,
        "result",
    )
    .await?;
    out.push_str(&format!(
        "备份 {} 次成功、{} 次失败；恢复测试 {} 次成功、{} 次失败。\n",
        count(&logs, "success"),
        count(&logs, "failure"),
        count(&tests, "pass"),
        count(&tests, "fail"),
    ));
    out.push_str("\n五、存在问题\n（请填写）\n\n六、下阶段工作计划\n（请填写）\n");
    Ok(out)
}

/// The entries of a register naming a ticket (`golive_plans`,
/// `prelaunch_checks`) that the caller may see: (id, title).
pub async fn entries_for_ticket(
    p: &Platform,
    pr: &Principal,
    register: &str,
    ticket_id: &str,
) -> Result<Vec<(String, String)>, AppError> {
    let plans = spec_named(register)?;
    let mut c = p.db.read().await?;
    let rows = store::find(
        &mut c,
        plans,
        &[("ticket_id", Val::Text(ticket_id.to_string()))],
        50,
    )
    .await?;
    Ok(rows
        .iter()
        .filter(|e| crate::registers::can_read(pr, plans, e))
        .map(|e| (e.id.clone(), crate::registers::title_of(plans, e)))
        .collect())
}

/// A person left (JSCZ-51): their vendor staff entries (by platform
/// account) go off site. Returns how many entries changed.
pub async fn staff_departed(c: &mut DbConn, username: &str, now: i64) -> Result<usize, AppError> {
    let staff = spec_named("vendor_staff")?;
    let rows = store::find(
        c,
        staff,
        &[("username", Val::Text(username.to_string()))],
        100,
    )
    .await?;
    let mut n = 0;
    for e in rows {
        if text(&e, "presence") != "off_site" || text(&e, "post") != "engineer" {
            set_values(
                c,
                staff,
                &e.id,
                &[
                    ("presence", Val::Text("off_site".into())),
                    ("post", Val::Text("engineer".into())),
                ],
                now,
            )
            .await?;
            n += 1;
        }
    }
    Ok(n)
}

// ---- review checklists (EEDS-3.7.1, JSCZ-10, NTCZ-6.3.1) ----

/// Accounts not used for this long count as stale in an access review.
pub const STALE_DAYS: i64 = 90;

/// The checklist of a review for a period, from the data the reviewer may
/// see: who holds which rights (stale accounts, disabled accounts still
/// holding grants, third parties without an end or an NDA); the audit
/// trail summarised (refusals, failed logins, exports, the administrators'
/// actions); the self-check (overdue controls, open vulnerabilities, backup
/// plans flagged, grants ending soon).
pub async fn draft_review(
    p: &Platform,
    pr: &Principal,
    kind: &str,
    period_start: &str,
    period_end: &str,
) -> Result<String, AppError> {
    use std::fmt::Write;
    use yunwei_domain::roles::{Action, Role};
    let reviews = spec_named("security_reviews")?;
    let kind_field = reviews.field("kind").ok_or_else(AppError::internal)?;
    let kind_val = yunwei_domain::register::parse_value(kind_field, kind)?;
    let (start, end) = period_of(
        reviews,
        period_start,
        period_end,
        "审查期间的结束不能早于开始",
    )?;
    if !pr.can_somewhere(Action::RoleView) {
        return Err(AppError::forbidden("无权生成审查清单"));
    }
    let from = start_of_day_shanghai(start).timestamp_micros();
    let to = due::day_end(end);
    let now = p.now_us();
    let today = due::today(p);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}（{} 至 {}）\n",
        kind_field.display(&kind_val),
        ymd(start),
        ymd(end)
    );
    let mut c = p.db.read().await?;
    match kind_val.text().unwrap_or("") {
        "access_review" => {
            let scope = pr.scope_for(Action::RoleView);
            let users = yunwei_store::users::list(
                &mut c,
                &scope,
                &yunwei_store::users::UserFilter::default(),
                0,
                10_000,
            )
            .await?;
            let staff = spec_named("vendor_staff")?;
            let _ = writeln!(out, "一、账号与授权（逐项核对是否仍需要）");
            let mut problems = vec![];
            for u in &users.0 {
                let grants = yunwei_store::users::grants_of(&mut c, &u.id).await?;
                let last = yunwei_store::sessions::last_login(&mut c, &u.id).await?;
                let roles: Vec<String> = grants
                    .iter()
                    .map(|g| {
                        let label = Role::parse(&g.role).map(|r| r.label()).unwrap_or("");
                        match g.valid_until {
                            Some(t) => {
                                format!("{label}（至 {}）", crate::kernel::export::fmt_us(t))
                            }
                            None => label.to_string(),
                        }
                    })
                    .collect();
                let _ = writeln!(
                    out,
                    "□ {}（{}）{}：{}；最近登录 {}",
                    u.display_name,
                    u.username,
                    if u.status == "active" {
                        ""
                    } else {
                        "【已停用】"
                    },
                    if roles.is_empty() {
                        "无授权".to_string()
                    } else {
                        roles.join("、")
                    },
                    last.map(crate::kernel::export::fmt_us)
                        .unwrap_or_else(|| "从未".into())
                );
                let idle = last.unwrap_or(u.created_at);
                if u.status == "active" && now - idle > STALE_DAYS * 86_400_000_000 {
                    problems.push(format!(
                        "{} 超过 {STALE_DAYS} 天未登录，建议停用",
                        u.username
                    ));
                }
                if u.status != "active" && !grants.is_empty() {
                    problems.push(format!(
                        "{} 已停用但仍有 {} 项授权",
                        u.username,
                        grants.len()
                    ));
                }
                let third = grants.iter().any(|g| {
                    matches!(
                        Role::parse(&g.role),
                        Some(Role::VendorEngineer | Role::VendorAdmin)
                    )
                });
                if third && grants.iter().any(|g| g.valid_until.is_none()) {
                    problems.push(format!(
                        "{} 为第三方人员，授权未写明有效期（JSCZ-49）",
                        u.username
                    ));
                }
                for e in store::find(
                    &mut c,
                    staff,
                    &[("username", Val::Text(u.username.clone()))],
                    10,
                )
                .await?
                {
                    if !nda_of(&mut c, &e.id, today).await?.0 {
                        problems.push(format!("{} 的保密协议缺失或已过期（JSCZ-37）", u.username));
                    }
                }
            }
            // Rights in the managed systems: temporary grants and database
            // access (JSCZ-8, JSCZ-36, JSCZ-49).
            let _ = writeln!(out, "\n目标系统临时授权及数据库访问（逐项核对是否仍需要）");
            let mut listed = 0;
            for key in [crate::features::access::REGISTER, "db_access"] {
                let rs = spec_named(key)?;
                for e in store::find(&mut c, rs, &[], 10_000).await? {
                    if !pr.can(Action::RoleView, &e.org_path) {
                        continue;
                    }
                    let status = text(&e, "status");
                    let title = crate::registers::title_of(rs, &e);
                    let label = rs
                        .field("status")
                        .map(|f| f.display(e.get("status")))
                        .unwrap_or_default();
                    let (who, until) = if key == "db_access" {
                        ("", text(&e, "valid_to"))
                    } else {
                        (text(&e, "grantee"), text(&e, "valid_until"))
                    };
                    match status {
                        "active" | "granted" | "suspended" | "revoked" => {
                            let _ =
                                writeln!(out, "□ {}：{title} {who}，至 {until}，{label}", rs.label);
                            listed += 1;
                        }
                        _ => {}
                    }
                    if status == "revoked" && key == crate::features::access::REGISTER {
                        problems.push(format!(
                            "{title}（{who}）的临时授权已收回，尚未确认在目标系统删除（JSCZ-49）"
                        ));
                    }
                    if status == "active"
                        && date(&e, "valid_until").is_some_and(|d| due::day_end(d) <= now)
                    {
                        problems.push(format!("{title}（{who}）的临时授权已到期仍未收回"));
                    }
                }
            }
            if listed == 0 {
                let _ = writeln!(out, "无。");
            }
            let _ = writeln!(out, "\n二、需要处理的问题");
            if problems.is_empty() {
                let _ = writeln!(out, "未发现。");
            }
            for p in problems {
                let _ = writeln!(out, "□ {p}");
            }
        }
        "log_review" => {
            let scope = pr.scope_for(Action::RoleView);
            let f = yunwei_store::audit::AuditFilter {
                from_us: Some(from),
                to_us: Some(to),
                ..Default::default()
            };
            let recs = yunwei_store::audit::search(&mut c, &scope, &f, 100_000).await?;
            let mut by_action: std::collections::BTreeMap<&str, usize> = Default::default();
            for r in &recs {
                *by_action.entry(r.action.as_str()).or_default() += 1;
            }
            let _ = writeln!(out, "一、操作记录（共 {} 条）", recs.len());
            for (a, n) in &by_action {
                let _ = writeln!(out, "□ {a}：{n} 条");
            }
            let count = |pred: &dyn Fn(&yunwei_domain::audit::AuditRecord) -> bool| {
                recs.iter().filter(|r| pred(r)).count()
            };
            let _ = writeln!(out, "\n二、安全事件");
            let _ = writeln!(
                out,
                "□ 被拒绝的操作：{} 条",
                count(&|r| r.result == "denied")
            );
            let _ = writeln!(
                out,
                "□ 登录失败：{} 条",
                count(&|r| r.action.contains("login") && r.result != "success")
            );
            let _ = writeln!(
                out,
                "□ 导出：{} 次",
                count(&|r| r.action.ends_with("export"))
            );
            let _ = writeln!(
                out,
                "□ 系统、安全、审计管理员的操作：{} 条",
                count(&|r| ["sys_admin", "sec_admin", "aud_admin"]
                    .iter()
                    .any(|a| r.actor_role.contains(a)))
            );
            let _ = writeln!(
                out,
                "\n三、完整性\n□ 运行 yunwei audit verify，审计链校验通过"
            );
        }
        _ => {
            let scope = pr.scope_for(Action::RoleView);
            let _ = writeln!(out, "一、到期事项");
            let filter = yunwei_store::controls::ControlFilter {
                org_path: None,
                kind: None,
                status: yunwei_store::controls::StatusFilter::Overdue,
                now,
                warn_us: due::WARN_US,
                subject_type_not: None,
            };
            let (overdue, total) =
                yunwei_store::controls::list(&mut c, &scope, &filter, 1_000).await?;
            let mut by_kind: std::collections::BTreeMap<&str, usize> = Default::default();
            for o in &overdue {
                *by_kind.entry(due::kind_label(&o.kind)).or_default() += 1;
            }
            let _ = writeln!(out, "□ 已逾期 {total} 项");
            for (k, n) in by_kind {
                let _ = writeln!(out, "  - {k}：{n} 项");
            }
            let vulns = spec_named("vulnerabilities")?;
            let open = store::find(
                &mut c,
                vulns,
                &[("status", Val::Text("open".into()))],
                10_000,
            )
            .await?;
            let _ = writeln!(out, "\n二、漏洞\n□ 待修复 {} 个", open.len());
            for sev in ["critical", "high", "medium", "low"] {
                let n = open.iter().filter(|v| text(v, "severity") == sev).count();
                if n > 0 {
                    let label = vulns
                        .field("severity")
                        .map(|f| f.display(&Val::Text(sev.into())))
                        .unwrap_or_default();
                    let _ = writeln!(out, "  - {label}：{n} 个");
                }
            }
            let soon = now + 30 * 86_400_000_000;
            let ending = yunwei_store::users::expired_grants(&mut c, soon, 10_000).await?;
            let _ = writeln!(out, "\n三、授权\n□ 30 日内到期的授权 {} 项", ending.len());
            let _ = writeln!(
                out,
                "\n四、备份与恢复\n□ 逐一查看备份计划的提示（备份中断、恢复测试超过一年）"
            );
        }
    }
    Ok(out)
}

// ---- the seams (transitional: one set of functions for every register) ----

fn check_seam<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    spec: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, ()> {
    Box::pin(check(p, c, spec, e))
}

fn step_refusal_seam<'a>(
    c: &'a mut DbConn,
    pr: &'a Principal,
    spec: &'static Spec,
    step: &'static Step,
    e: &'a EntryRow,
) -> SeamFuture<'a, Option<AppError>> {
    Box::pin(three_admin_step_refusal(c, pr, spec, step, e))
}

fn before_step_seam<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    spec: &'static Spec,
    step: &'static Step,
    e: &'a mut EntryRow,
    note: &'a str,
) -> SeamFuture<'a, ()> {
    Box::pin(before_step(p, c, spec, step, e, note))
}

fn after_write_seam<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    spec: &'static Spec,
    e: &'a EntryRow,
    change: Change<'a>,
) -> SeamFuture<'a, ()> {
    Box::pin(after_write(p, c, spec, e, change))
}

fn flags_seam<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    spec: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, Vec<String>> {
    Box::pin(flags(p, c, spec, e))
}

const fn rules_of(register: &'static str, covered_kinds: &'static [&'static str]) -> RegisterRules {
    RegisterRules {
        register,
        derive,
        check: check_seam,
        check_filer,
        step_refusal: step_refusal_seam,
        before_step: before_step_seam,
        after_write: after_write_seam,
        covered_kinds,
        flags: flags_seam,
        rolling: None,
    }
}

/// Every register with rules of its own.
pub static ALL: &[&RegisterRules] = &[
    &rules_of("access_grants", &[]),
    &rules_of("asset_requisitions", &["asset_return"]),
    &rules_of("backup_logs", &[]),
    &rules_of("backup_plans", &["restore_test"]),
    &rules_of("backup_reviews", &[]),
    &rules_of("db_access", &[]),
    &rules_of("drills", &[]),
    &rules_of("emergency_plans", &[]),
    &rules_of("golive_plans", &[]),
    &rules_of("ndas", &[]),
    &rules_of("prelaunch_checks", &[]),
    &rules_of("restore_tests", &[]),
    &rules_of("security_reviews", &[]),
    &rules_of("staff_changes", &[]),
    &rules_of("trainings", &[]),
    &rules_of("ukeys", &[]),
    &rules_of("vendor_contracts", &[]),
    &rules_of("vendor_reports", &[]),
    &rules_of("vendor_staff", &["nda"]),
    &rules_of("vulnerabilities", &[]),
];
