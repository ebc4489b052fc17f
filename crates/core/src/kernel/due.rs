//! The due-date engine (ADR 0005): every obligation that must happen on
//! time is a row of `controls`, one per occurrence. Recurring plans get one
//! row per calendar period (Asia/Shanghai; due at 00:00 after the period's
//! last day, so a monthly patrol not done in March is overdue from 1 April
//! 00:00, EEDS-1.4.1); a missed occurrence stays open and overdue, the next
//! period gets its own row. Done = a record filed against it.
//!
//! - [`ensure_periodic`] creates the occurrences of a subject up to today
//!   (bounded), inside the caller's transaction;
//! - the features roll their plans forward (jobs of their own) and
//!   `features::overdue` notifies each overdue occurrence once;
//! - [`overview`] lists the open occurrences in the caller's scope, overdue
//!   first, then those due within 7 days, then the later ones, and
//!   [`export`] writes it to Excel (audited).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use yunwei_domain::calendar::date_in_shanghai;
use yunwei_domain::ids::new_id;
use yunwei_domain::roles::Action;
use yunwei_domain::schedule::{periods_through, DueOffset, DueStatus, Recurrence};
use yunwei_domain::{AppError, ErrorKind};
use yunwei_store::controls::{self as store, ControlFilter, ControlRow, StatusFilter};
use yunwei_store::{orgs, DbConn};

use crate::{Ctx, Platform, Principal};

/// Due within this window counts as "this week" (due soon).
pub const WARN_US: i64 = 7 * 24 * 3_600 * 1_000_000;
/// Most periods created for one subject at a time (a daily plan left alone
/// for years cannot flood anyone).
pub const MAX_PERIODS: usize = 24;
/// Most occurrences in one overview.
pub const OVERVIEW_LIMIT: u64 = 500;
/// Most occurrences in one export.
pub const EXPORT_LIMIT: u64 = 50_000;
// The subject types of occurrences beside the registers (whose subject
// type is the register's key).
/// An inspection plan's occurrences.
pub const INSPECTION_PLAN: &str = "inspection_plan";
/// A configuration item's (a licence's end).
pub const CONFIGURATION_ITEM: &str = "ci";
/// A government-cloud system's (its old system kept, its exit).
pub const CLOUD_SYSTEM: &str = "cloud_system";
/// The administrators' periodic reviews; the subject is the organisation.
pub const REVIEW_SCHEDULE: &str = "review_schedule";

// The government cloud's duties (features::cloud::duties, issue 14): the
// subject is one duty of one platform (or of one unit on it), the kind
// says who owes it.
/// A cloud duty's occurrences; the subject id is `platform/duty` or
/// `platform/duty/unit`.
pub const CLOUD_DUTY: &str = "cloud_duty";
/// Owed by the platform's cloud provider (ZMDY-20, ZMDY-28, ZMDY-29).
pub const CLOUD_PROVIDER_DUTY: &str = "cloud_provider_duty";
/// Owed by the platform's monitoring provider (SNYP-19, SNYP-22).
pub const CLOUD_MONITOR_DUTY: &str = "cloud_monitor_duty";
/// Owed by the competent department (ZMDY-32).
pub const CLOUD_BUREAU_DUTY: &str = "cloud_bureau_duty";
/// Owed by every unit on the platform (ZMDY-37).
pub const CLOUD_UNIT_DUTY: &str = "cloud_unit_duty";

/// An IT project's (SNXM-34, SNXM-36; ADR 0017); the subject is the project.
pub const IT_PROJECT: &str = "it_project";
/// A supervision finding's rectification (SNXM-37); the subject is
/// `project id/finding id`.
pub const IT_PROJECT_FINDING: &str = "it_project_finding";
/// The rectification of a supervision finding by its deadline (SNXM-37).
pub const PROJECT_RECTIFICATION: &str = "project_rectification";
/// The self-evaluation within 12 months of operation (SNXM-36).
pub const PROJECT_SELF_EVALUATION: &str = "project_self_evaluation";
/// The end of the free O&M period (SNXM-34).
pub const PROJECT_FREE_OM: &str = "project_free_om";

/// The notification kind of an overdue occurrence.
pub const NOTICE_KIND: &str = "control_overdue";

/// What a control is, in Chinese.
pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "inspection" => "巡检",
        "patrol" => "网站内容巡查",
        "maintenance" => "维护作业",
        "restore_test" => "恢复测试",
        "drill" => "应急演练",
        "nda" => "保密协议",
        "asset_return" => "资产归还",
        "backup_review" => "备份日志检查",
        "licence" => "软件许可到期",
        "ukey_reissue" => "UKEY 补发",
        "grant_removal" => "临时授权收回确认",
        "log_review" => "平台审计日志审查",
        "system_log_review" => "信息系统日志审查",
        "vuln_scan" => "漏洞扫描",
        "access_review" => "权限审查",
        "self_check" => "安全自查",
        "vuln_fix" => "漏洞修复",
        "vendor_weekly" => "厂商周报",
        "vendor_monthly" => "厂商月报",
        "vendor_plan" => "厂商工作计划",
        "vendor_summary" => "厂商总结报告",
        "contract_first_payment" => "首笔合同款支付",
        "contract_final_payment" => "剩余合同款支付",
        "cloud_keep_old" => "上云后原系统保留",
        "cloud_exit_transition" => "政务云退出过渡期",
        PROJECT_SELF_EVALUATION => "信息化项目绩效自评价",
        PROJECT_FREE_OM => "信息化项目免费运维期届满",
        PROJECT_RECTIFICATION => "信息化项目限期整改",
        CLOUD_PROVIDER_DUTY => "云服务商报告",
        CLOUD_MONITOR_DUTY => "云监管服务商报告",
        CLOUD_BUREAU_DUTY => "政务云主管部门工作",
        CLOUD_UNIT_DUTY => "使用单位报送",
        _ => "到期事项",
    }
}

/// The kinds the overview can filter by: (code, label).
pub fn kinds() -> Vec<(&'static str, &'static str)> {
    [
        "inspection",
        "patrol",
        "maintenance",
        "backup_review",
        "restore_test",
        "drill",
        "nda",
        "asset_return",
        "licence",
        "ukey_reissue",
        "grant_removal",
        "log_review",
        "system_log_review",
        "access_review",
        "self_check",
        "vuln_scan",
        "vuln_fix",
        "vendor_weekly",
        "vendor_monthly",
        "vendor_plan",
        "vendor_summary",
        "contract_first_payment",
        "contract_final_payment",
        "cloud_keep_old",
        "cloud_exit_transition",
        CLOUD_PROVIDER_DUTY,
        CLOUD_MONITOR_DUTY,
        CLOUD_BUREAU_DUTY,
        CLOUD_UNIT_DUTY,
    ]
    .into_iter()
    .map(|k| (k, kind_label(k)))
    .collect()
}

/// The statuses the overview can filter by: (code, label).
pub fn statuses() -> Vec<(&'static str, &'static str)> {
    vec![
        ("open", "未完成（全部）"),
        ("overdue", "已逾期"),
        ("due_soon", "7日内到期"),
        ("pending", "未到期"),
        ("done", "已完成"),
        ("all", "全部"),
    ]
}

fn parse_status(s: Option<&str>) -> Result<StatusFilter, AppError> {
    Ok(match s.map(str::trim).unwrap_or("") {
        "" | "open" => StatusFilter::Open,
        "overdue" => StatusFilter::Overdue,
        "due_soon" => StatusFilter::DueSoon,
        "pending" => StatusFilter::Pending,
        "done" => StatusFilter::Done,
        "all" => StatusFilter::All,
        _ => {
            return Err(AppError::bad_request(
                "controls.status_invalid",
                "状态无效，应为 open、overdue、due_soon、pending、done 或 all",
            ))
        }
    })
}

/// Today in Beijing at the platform's clock.
pub fn today(p: &Platform) -> NaiveDate {
    date_in_shanghai(p.clock.now())
}

/// The subject a set of periodic occurrences belongs to.
#[derive(Debug, Clone)]
pub struct Subject<'a> {
    pub kind: &'a str,
    pub subject_type: &'a str,
    pub subject_id: &'a str,
    pub org_id: &'a str,
    pub org_path: &'a str,
    pub title: &'a str,
    pub source: &'a str,
}

/// Creates the occurrences of `s` for every period of `r` from the one
/// containing `first` through the one containing `today` (at most
/// [`MAX_PERIODS`], the newest), in the caller's transaction. Existing
/// ones are left alone. Returns how many were created.
pub async fn ensure_periodic(
    c: &mut DbConn,
    s: &Subject<'_>,
    r: Recurrence,
    first: NaiveDate,
    today: NaiveDate,
    now_us: i64,
) -> Result<usize, AppError> {
    ensure_periodic_due(c, s, (r, DueOffset::PeriodEnd), first, today, now_us).await
}

/// [`ensure_periodic`] with a due rule (ADR 0018): each period's
/// occurrence is due at `offset.due_at(period)` — before the period starts
/// (a plan), N calendar or working days after it (working days on the
/// platform's holiday calendar), "by the 5th of the next month" (ZMDY-20)
/// — rather than at the end of the period.
pub async fn ensure_periodic_due(
    c: &mut DbConn,
    s: &Subject<'_>,
    (r, offset): (Recurrence, DueOffset),
    first: NaiveDate,
    today: NaiveDate,
    now_us: i64,
) -> Result<usize, AppError> {
    let cal = if offset.needs_calendar() {
        crate::kernel::calendar::snapshot_with(c).await?.calendar
    } else {
        yunwei_domain::calendar::HolidayCalendar::empty()
    };
    let mut created = 0;
    for period in periods_through(r, first, today, MAX_PERIODS) {
        let row = ControlRow {
            id: new_id(),
            kind: s.kind.to_string(),
            subject_type: s.subject_type.to_string(),
            subject_id: s.subject_id.to_string(),
            org_id: s.org_id.to_string(),
            org_path: s.org_path.to_string(),
            title: s.title.to_string(),
            source: s.source.to_string(),
            period_start: Some(period.start.format("%Y-%m-%d").to_string()),
            period_end: Some(period.end.format("%Y-%m-%d").to_string()),
            due_at: offset.due_at_in(&period, &cal).timestamp_micros(),
            done_at: None,
            done_ref: None,
            notified_at: None,
            created_at: now_us,
        };
        if store::insert_if_absent(c, &row).await? {
            created += 1;
        }
    }
    Ok(created)
}

/// Creates the one occurrence of `s` due at `due_at` (a restore test due a
/// year after the last, an NDA's expiry, an asset's return), unless it
/// exists. True when this call created it.
pub async fn ensure_once(
    c: &mut DbConn,
    s: &Subject<'_>,
    due_at: i64,
    now_us: i64,
) -> Result<bool, AppError> {
    let row = ControlRow {
        id: new_id(),
        kind: s.kind.to_string(),
        subject_type: s.subject_type.to_string(),
        subject_id: s.subject_id.to_string(),
        org_id: s.org_id.to_string(),
        org_path: s.org_path.to_string(),
        title: s.title.to_string(),
        source: s.source.to_string(),
        period_start: None,
        period_end: None,
        due_at,
        done_at: None,
        done_ref: None,
        notified_at: None,
        created_at: now_us,
    };
    store::insert_if_absent(c, &row).await
}

/// Marks done, by `done_ref` at `now_us`, the open occurrences of a
/// subject (type, id) of `kind`
/// that `matches` accepts, the oldest first, at most `max`. Returns how
/// many.
pub async fn complete_open(
    c: &mut DbConn,
    (subject_type, subject_id): (&str, &str),
    kind: &str,
    matches: impl Fn(&ControlRow) -> bool,
    max: usize,
    (done_ref, now_us): (&str, i64),
) -> Result<usize, AppError> {
    let mut open: Vec<ControlRow> = store::of_subject(c, subject_type, subject_id, 500)
        .await?
        .into_iter()
        .filter(|ctl| ctl.kind == kind && ctl.done_at.is_none() && matches(ctl))
        .collect();
    open.sort_by_key(|ctl| ctl.due_at);
    let mut n = 0;
    for ctl in open.into_iter().take(max) {
        if store::mark_done(c, &ctl.id, now_us, done_ref).await? {
            n += 1;
        }
    }
    Ok(n)
}

/// The `due_at` of something to be done by the end of `last_day`: 00:00
/// (Beijing) of the next day.
pub fn day_end(last_day: NaiveDate) -> i64 {
    yunwei_domain::schedule::start_of_day_shanghai(last_day + chrono::Duration::days(1))
        .timestamp_micros()
}

/// The local day an occurrence must be done by (the day before `due_at`).
pub fn last_day(due_at: i64) -> NaiveDate {
    let t: DateTime<Utc> = DateTime::from_timestamp_micros(due_at - 1).unwrap_or_default();
    date_in_shanghai(t)
}

/// `2026-03-01 至 2026-03-31`, or the one day, or empty.
pub fn period_label(c: &ControlRow) -> String {
    match (&c.period_start, &c.period_end) {
        (Some(s), Some(e)) if s == e => s.clone(),
        (Some(s), Some(e)) => format!("{s} 至 {e}"),
        _ => String::new(),
    }
}

/// Where an occurrence stands at `now`.
pub fn status_of(c: &ControlRow, now: i64) -> DueStatus {
    DueStatus::of(c.due_at, c.done_at.is_some(), now, WARN_US)
}

/// Where to look at the subject of an occurrence in the UI.
pub fn link_of(c: &ControlRow) -> String {
    match c.subject_type.as_str() {
        INSPECTION_PLAN => format!("/inspections/{}", c.subject_id),
        CONFIGURATION_ITEM => format!("/cmdb/{}", c.subject_id),
        CLOUD_SYSTEM => format!("/cloud/systems/{}", c.subject_id),
        // The project is its ticket (same id, ADR 0017); its ticket page
        // until the project pages exist.
        IT_PROJECT => format!("/projects/{}", c.subject_id),
        IT_PROJECT_FINDING => format!("/projects/{}", c.subject_id.split('/').next().unwrap_or("")),
        REVIEW_SCHEDULE => match c.kind.as_str() {
            "system_log_review" => {
                format!("/registers/system_log_reviews/new?org_id={}", c.subject_id)
            }
            "vuln_scan" => format!("/registers/vuln_scans/new?org_id={}", c.subject_id),
            _ => format!(
                "/registers/security_reviews/new?kind={}&org_id={}",
                c.kind, c.subject_id
            ),
        },
        CLOUD_DUTY => format!(
            "/cloud/duties?platform={}",
            c.subject_id.split('/').next().unwrap_or("")
        ),
        t if yunwei_domain::register::spec(t).is_some() => {
            format!("/registers/{t}/{}", c.subject_id)
        }
        _ => String::new(),
    }
}

// ---- reading ----

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ControlView {
    pub id: String,
    pub kind: String,
    pub kind_label: &'static str,
    pub subject_type: String,
    pub subject_id: String,
    pub org_id: String,
    pub org_name: String,
    pub title: String,
    pub source: String,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    pub period_label: String,
    /// Overdue from this instant (UTC microseconds).
    pub due_at: i64,
    /// The last local day to do it (`YYYY-MM-DD`).
    pub due_date: String,
    /// `overdue`, `due_soon`, `pending` or `done`.
    pub status: &'static str,
    pub status_label: &'static str,
    pub done_at: Option<i64>,
    pub done_ref: Option<String>,
    /// Done after it was due.
    pub done_late: bool,
    pub notified_at: Option<i64>,
    /// Where the UI shows its subject.
    pub link: String,
}

/// The view of an occurrence, with its organisation's name.
pub fn view(c: &ControlRow, org_name: &str, now: i64) -> ControlView {
    let st = status_of(c, now);
    ControlView {
        id: c.id.clone(),
        kind: c.kind.clone(),
        kind_label: kind_label(&c.kind),
        subject_type: c.subject_type.clone(),
        subject_id: c.subject_id.clone(),
        org_id: c.org_id.clone(),
        org_name: org_name.to_string(),
        title: c.title.clone(),
        source: c.source.clone(),
        period_start: c.period_start.clone(),
        period_end: c.period_end.clone(),
        period_label: period_label(c),
        due_at: c.due_at,
        due_date: last_day(c.due_at).format("%Y-%m-%d").to_string(),
        status: st.as_str(),
        status_label: st.label(),
        done_at: c.done_at,
        done_ref: c.done_ref.clone(),
        done_late: c.done_at.is_some_and(|d| d >= c.due_at),
        notified_at: c.notified_at,
        link: link_of(c),
    }
}

/// Organisation names by id for a set of rows.
pub(crate) async fn org_names(
    c: &mut DbConn,
    ids: impl Iterator<Item = &String>,
) -> Result<std::collections::HashMap<String, String>, AppError> {
    let mut out = std::collections::HashMap::new();
    for id in ids {
        if out.contains_key(id) {
            continue;
        }
        let name = orgs::get(c, id).await?.map(|o| o.name).unwrap_or_default();
        out.insert(id.clone(), name);
    }
    Ok(out)
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct OverviewFilter {
    /// Only this organisation and the ones below it.
    #[serde(default)]
    pub org_id: Option<String>,
    /// `inspection`, `patrol`, `maintenance`, ...
    #[serde(default)]
    pub kind: Option<String>,
    /// `open` (default), `overdue`, `due_soon`, `pending`, `done`, `all`.
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Overview {
    /// 已逾期: open and past due, the oldest first.
    pub overdue: Vec<ControlView>,
    /// 本周到期: open and due within 7 days.
    pub due_soon: Vec<ControlView>,
    /// 其他: due later, or done.
    pub other: Vec<ControlView>,
    /// How many match (the lists hold at most [`OVERVIEW_LIMIT`]).
    pub total: i64,
    /// When the lists were judged (UTC microseconds).
    pub now: i64,
}

/// Whether `pr` may open the overview of due items (the check of
/// [`overview`], for links to it).
pub fn may_view(pr: &Principal) -> bool {
    can_read_somewhere(pr).is_ok()
}

fn can_read_somewhere(pr: &Principal) -> Result<crate::Authorized<'_>, AppError> {
    if pr.must_change_password {
        return Err(AppError::new(
            ErrorKind::Forbidden,
            "auth.password_change_required",
            "请先修改密码（初始密码或已到期的密码）",
        ));
    }
    if pr.scope_for(Action::BusinessRead).is_empty() {
        return Err(AppError::forbidden(
            "无权查看到期事项（系统管理员、安全管理员和审计管理员不办理业务）",
        ));
    }
    pr.authorize_somewhere(Action::BusinessRead)
}

async fn rows(
    p: &Platform,
    pr: &Principal,
    f: &OverviewFilter,
    limit: u64,
) -> Result<(Vec<ControlRow>, i64, i64), AppError> {
    can_read_somewhere(pr)?;
    let status = parse_status(f.status.as_deref())?;
    let kind = f
        .kind
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|k| {
            if k.len() > 50 || !k.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_') {
                Err(AppError::bad_request(
                    "controls.kind_invalid",
                    "类型无效，应为 inspection、patrol、maintenance 等",
                ))
            } else {
                Ok(k.to_string())
            }
        })
        .transpose()?;
    let scope = pr.scope_for(Action::BusinessRead);
    let now = p.now_us();
    let mut c = p.db.read().await?;
    let org_path = match f.org_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(id) => {
            let o = orgs::get(&mut c, id)
                .await?
                .filter(|o| pr.can(Action::BusinessRead, &o.path))
                .ok_or_else(|| AppError::not_found("机构"))?;
            Some(o.path)
        }
    };
    // The administrators' reviews are theirs (三员), not the business
    // overview's.
    let filter = ControlFilter {
        org_path,
        kind,
        status,
        now,
        warn_us: WARN_US,
        subject_type_not: Some(REVIEW_SCHEDULE.to_string()),
    };
    let (rows, total) = store::list(&mut c, &scope, &filter, limit).await?;
    Ok((rows, total, now))
}

/// The open occurrences (or those the filter asks for) in the caller's
/// business-read scope: overdue first, then due within 7 days, then the
/// rest.
pub async fn overview(
    p: &Platform,
    pr: &Principal,
    f: &OverviewFilter,
) -> Result<Overview, AppError> {
    let (rows, total, now) = rows(p, pr, f, OVERVIEW_LIMIT).await?;
    let names = {
        let mut c = p.db.read().await?;
        org_names(&mut c, rows.iter().map(|r| &r.org_id)).await?
    };
    let mut out = Overview {
        overdue: vec![],
        due_soon: vec![],
        other: vec![],
        total,
        now,
    };
    for r in &rows {
        let v = view(
            r,
            names.get(&r.org_id).map(String::as_str).unwrap_or(""),
            now,
        );
        match status_of(r, now) {
            DueStatus::Overdue => out.overdue.push(v),
            DueStatus::DueSoon => out.due_soon.push(v),
            DueStatus::Pending | DueStatus::Done => out.other.push(v),
        }
    }
    Ok(out)
}

/// The overview as .xlsx, marked with the exporter's name; the export is
/// audited with its reason.
pub async fn export(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    f: &OverviewFilter,
    reason: &str,
) -> Result<Vec<u8>, AppError> {
    let reason = crate::kernel::audit::require_reason(reason)?;
    let auth = can_read_somewhere(pr)?;
    let (rows, _, now) = rows(p, pr, f, EXPORT_LIMIT).await?;
    let names = {
        let mut c = p.db.read().await?;
        org_names(&mut c, rows.iter().map(|r| &r.org_id)).await?
    };
    let fmt = |us: Option<i64>| us.map(crate::kernel::export::fmt_us).unwrap_or_default();
    let data: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let v = view(
                r,
                names.get(&r.org_id).map(String::as_str).unwrap_or(""),
                now,
            );
            vec![
                v.kind_label.to_string(),
                v.title,
                v.org_name,
                v.period_label,
                v.due_date,
                v.status_label.to_string(),
                v.source,
                fmt(v.done_at),
            ]
        })
        .collect();
    let bytes = crate::kernel::export::table_xlsx(
        "到期事项",
        &pr.display_name,
        p.clock.now(),
        &[
            "类型",
            "事项",
            "机构",
            "周期",
            "截止日期",
            "状态",
            "依据",
            "完成时间",
        ],
        &data,
    )?;
    crate::kernel::audit::audit_export(
        p,
        ctx,
        auth,
        "controls.export",
        "control",
        format!("导出 {} 项到期事项", data.len()),
        &reason,
    )
    .await?;
    Ok(bytes)
}
