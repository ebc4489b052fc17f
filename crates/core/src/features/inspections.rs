//! Inspection, patrol and maintenance plans with their checklists, the
//! records filed against their occurrences, and maintenance records.
//!
//! - A plan (EEDS-3.5.1 固定检查表格, EEDS-3.4 维护作业计划) has a kind
//!   (`inspection` 巡检, EEDS-2.2.1.4 / EEDS-2.2.2.6; `patrol` 网站内容巡查,
//!   EEDS-1.4.1; `maintenance` 维护作业计划, EEDS-3.4), a recurrence, an
//!   ordered checklist and the organisation it belongs to. Saving it creates
//!   its occurrences (`controls`, ADR 0005) up to today; the job rolls it
//!   forward.
//! - A record (EEDS-3.5.3 详细记录和问题汇总) answers every checklist item
//!   (normal, or abnormal with a note, optionally a photo or file) and marks
//!   the occurrence done. An abnormal finding can open a JSCZ incident in the
//!   same transaction (JSCZ-28: 监控巡检发现, JSCZ-10), linked both ways.
//! - Maintenance records (EEDS-2.2.2.2, EEDS-3.4.2) are written for every
//!   maintenance action, by kind.
//!
//! Writing needs `Action::RegisterEdit` on the organisation; reading
//! `Action::BusinessRead` in scope. Every change is audited in its
//! transaction.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use yunwei_domain::calendar::shanghai;
use yunwei_domain::ids::new_id;
use yunwei_domain::policy::FieldValue;
use yunwei_domain::roles::Action;
use yunwei_domain::schedule::Recurrence;
use yunwei_domain::{AppError, ErrorKind};
use yunwei_store::controls::{self as cstore, ControlRow};
use yunwei_store::inspections::{
    self as store, MaintenanceFilter, MaintenanceRow, PlanFilter, RecordRow,
};
use yunwei_store::{in_tx, orgs, users as ustore, DbConn};

use crate::kernel::audit::{record, Actor, Event};
use crate::kernel::due::{self, ControlView, Subject};
use crate::{Authorized, Ctx, Platform, Principal};
use yunwei_domain::policy::hooks::INSPECTION_FINDING;

pub use yunwei_store::inspections::PlanRow;

/// The `subject_type` of a plan's occurrences.
pub const SUBJECT: &str = due::INSPECTION_PLAN;
/// Plan kinds: (code, label, the article that demands them).
pub const KINDS: [(&str, &str, &str); 3] = [
    ("inspection", "巡检", "EEDS-2.2.1.4"),
    ("patrol", "网站内容巡查", "EEDS-1.4.1"),
    ("maintenance", "维护作业计划", "EEDS-3.4"),
];
/// The maintenance kinds of EEDS-2.2.2.2: (code, label).
pub const MAINTENANCE_KINDS: [(&str, &str); 6] = [
    ("routine", "日常作业计划"),
    ("fault", "故障处理"),
    ("improvement", "系统改进"),
    ("data_change", "数据变更"),
    ("backup_restore", "数据备份与恢复"),
    ("enhancement", "功能完善"),
];
pub const STATUS_NORMAL: &str = "normal";
pub const STATUS_ABNORMAL: &str = "abnormal";
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_ITEMS: usize = 100;
pub const MAX_ITEM_CHARS: usize = 200;
pub const MAX_NOTE_CHARS: usize = 2_000;
pub const MAX_TEXT_CHARS: usize = 5_000;
/// Largest photo or file attached to one checklist item.
pub const MAX_ATTACHMENT_BYTES: usize = 20 * 1024 * 1024;
/// Most plans in one list.
pub const MAX_PLANS: u64 = 500;
/// Most occurrences and records shown on a plan's page.
pub const MAX_HISTORY: u64 = 100;
/// Most maintenance records on one page.
pub const MAX_PER_PAGE: u64 = 100;
/// Most plans or maintenance records in one export.
pub const EXPORT_LIMIT: u64 = 50_000;

pub fn kind_label(kind: &str) -> &'static str {
    KINDS
        .iter()
        .find(|k| k.0 == kind)
        .map(|k| k.1)
        .unwrap_or("巡检")
}

pub fn maintenance_kind_label(kind: &str) -> &'static str {
    MAINTENANCE_KINDS
        .iter()
        .find(|k| k.0 == kind)
        .map(|k| k.1)
        .unwrap_or("")
}

pub fn item_status_label(status: &str) -> &'static str {
    match status {
        STATUS_NORMAL => "正常",
        STATUS_ABNORMAL => "异常",
        _ => "",
    }
}

// ---- validation ----

fn validate_name(s: &str) -> Result<String, AppError> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::bad_request(
            "inspection.name_invalid",
            format!("计划名称不能为空，且不超过{MAX_NAME_CHARS}字"),
        ));
    }
    Ok(s.to_string())
}

fn validate_kind(s: &str) -> Result<&'static str, AppError> {
    let s = s.trim();
    KINDS
        .iter()
        .find(|k| k.0 == s || k.1 == s)
        .map(|k| k.0)
        .ok_or_else(|| {
            AppError::bad_request(
                "inspection.kind_invalid",
                "计划类型无效，应为巡检（inspection）、网站内容巡查（patrol）或维护作业计划（maintenance）",
            )
        })
}

fn validate_recurrence(s: &str) -> Result<Recurrence, AppError> {
    Recurrence::parse(s)
        .map_err(|e| AppError::bad_request("inspection.recurrence_invalid", e.message))
}

/// The checklist: one item per non-empty line, in order (EEDS-3.5.1).
fn validate_checklist(items: &[String]) -> Result<Vec<String>, AppError> {
    let items: Vec<String> = items
        .iter()
        .flat_map(|s| s.lines())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if items.is_empty() {
        return Err(AppError::bad_request(
            "inspection.checklist_empty",
            "检查表至少需要一项检查内容（每行一项，EEDS-3.5.1）",
        ));
    }
    if items.len() > MAX_ITEMS {
        return Err(AppError::bad_request(
            "inspection.checklist_too_long",
            format!("检查表不得超过{MAX_ITEMS}项"),
        ));
    }
    if let Some((i, _)) = items
        .iter()
        .enumerate()
        .find(|(_, s)| s.chars().count() > MAX_ITEM_CHARS)
    {
        return Err(AppError::bad_request(
            "inspection.checklist_item_too_long",
            format!("检查表第{}项超过{MAX_ITEM_CHARS}字", i + 1),
        ));
    }
    Ok(items)
}

fn parse_date(s: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| (2000..=2100).contains(&chrono::Datelike::year(d)))
        .ok_or_else(|| {
            AppError::bad_request(
                "inspection.first_date_invalid",
                "起始日期无效，应为 YYYY-MM-DD 格式的日期",
            )
        })
}

fn validate_source(s: Option<&str>, kind: &str) -> Result<String, AppError> {
    let s = s.map(str::trim).filter(|s| !s.is_empty());
    match s {
        None => Ok(KINDS
            .iter()
            .find(|k| k.0 == kind)
            .map(|k| k.2)
            .unwrap_or("EEDS-3.5")
            .to_string()),
        Some(s) if s.chars().count() <= 50 => Ok(s.to_string()),
        Some(_) => Err(AppError::bad_request(
            "inspection.source_invalid",
            "制度依据不得超过50字",
        )),
    }
}

fn validate_ci(s: Option<&str>) -> Result<Option<String>, AppError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) if s.chars().count() <= 64 => Ok(Some(s.to_string())),
        Some(_) => Err(AppError::bad_request(
            "inspection.ci_invalid",
            "配置项标识不得超过64字",
        )),
    }
}

/// How a page names the configuration item a plan or record gives (an
/// item's id or code, or free text): the item's code when it is an item's
/// id, else the text as written.
async fn ci_label(c: &mut DbConn, ci: &str) -> Result<String, AppError> {
    Ok(yunwei_store::cmdb::get_ci(c, ci)
        .await?
        .map(|item| item.code)
        .unwrap_or_else(|| ci.to_string()))
}

fn validate_text(s: &str, label: &str, max: usize, required: bool) -> Result<String, AppError> {
    let s = s.trim();
    if required && s.is_empty() {
        return Err(AppError::bad_request(
            "inspection.text_required",
            format!("请填写{label}"),
        ));
    }
    if s.chars().count() > max {
        return Err(AppError::bad_request(
            "inspection.text_too_long",
            format!("{label}不得超过{max}字"),
        ));
    }
    Ok(s.to_string())
}

fn checklist_of(plan: &PlanRow) -> Vec<String> {
    serde_json::from_str(&plan.checklist_json).unwrap_or_default()
}

fn changed() -> AppError {
    AppError::conflict("inspection.changed", "该计划已被他人修改，请刷新后重试")
}

fn not_found() -> AppError {
    AppError::not_found("巡检计划")
}

async fn org_of(
    c: &mut DbConn,
    org_id: Option<&str>,
    pr: &Principal,
) -> Result<orgs::OrgRow, AppError> {
    let id = org_id
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(pr.org_id.as_str());
    orgs::get(c, id)
        .await?
        .ok_or_else(|| AppError::not_found("机构"))
}

/// The plan's text for before/after in audit records.
fn plan_text(p: &PlanRow) -> String {
    format!(
        "{}（{}，{}，{}起，{}项检查内容，依据 {}{}）{}",
        p.name,
        kind_label(&p.kind),
        Recurrence::parse(&p.recurrence)
            .map(|r| r.label())
            .unwrap_or(""),
        p.first_date,
        checklist_of(p).len(),
        p.source,
        p.ci_id
            .as_deref()
            .map(|c| format!("，配置项 {c}"))
            .unwrap_or_default(),
        if p.active { "" } else { " 已停用" }
    )
}

fn subject(plan: &PlanRow) -> Subject<'_> {
    Subject {
        kind: &plan.kind,
        subject_type: SUBJECT,
        subject_id: &plan.id,
        org_id: &plan.org_id,
        org_path: &plan.org_path,
        title: &plan.name,
        source: &plan.source,
    }
}

/// Where the plan's occurrences continue from.
#[derive(Debug, Clone, Copy)]
enum Since {
    /// After the newest existing occurrence (or from the first day when
    /// there is none): periods of a deactivated stretch are not owed.
    Latest,
    /// From the plan's first day (it was changed).
    FirstDate,
    /// From today's period (the plan was resumed).
    Today,
}

/// Creates the plan's occurrences through today, in the caller's
/// transaction; returns how many were new.
async fn ensure_plan(
    p: &Platform,
    c: &mut DbConn,
    plan: &PlanRow,
    since: Since,
) -> Result<usize, AppError> {
    if !plan.active {
        return Ok(0);
    }
    let r = validate_recurrence(&plan.recurrence)?;
    let first = parse_date(&plan.first_date)?;
    let today = due::today(p);
    let from = match since {
        Since::FirstDate => first,
        Since::Today => first.max(today),
        Since::Latest => {
            let latest_end = cstore::of_subject(c, SUBJECT, &plan.id, 1)
                .await?
                .into_iter()
                .next()
                .and_then(|ctl| ctl.period_end)
                .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
            match latest_end {
                Some(end) => first.max(end + chrono::Duration::days(1)),
                None => first,
            }
        }
    };
    due::ensure_periodic(c, &subject(plan), r, from, today, p.now_us()).await
}

/// The job's part: every active plan gets the occurrence of the current
/// period (and any missing earlier ones, bounded), written and audited only
/// for plans that lack it. Returns how many occurrences were created.
pub async fn roll_forward(p: &Platform) -> Result<usize, AppError> {
    let today = due::today(p);
    let (plans, latest) = {
        let mut c = p.db.read().await?;
        let plans = store::active_plans(&mut c, 100_000).await?;
        let latest: HashMap<String, i64> = cstore::latest_due_by_subject(&mut c, SUBJECT)
            .await?
            .into_iter()
            .collect();
        (plans, latest)
    };
    let mut created = 0;
    for plan in plans {
        let (Ok(r), Ok(first)) = (
            Recurrence::parse(&plan.recurrence),
            parse_date(&plan.first_date),
        ) else {
            continue;
        };
        if first > today {
            continue;
        }
        let current = r.period_of(today).due_at().timestamp_micros();
        if latest.get(&plan.id).is_some_and(|d| *d >= current) {
            continue;
        }
        let ctx = Ctx::system(&new_id());
        created += in_tx!(p.db, |c| {
            let Some(plan) = store::get_plan(&mut c, &plan.id).await? else {
                return Ok(0);
            };
            let n = ensure_plan(p, &mut c, &plan, Since::Latest).await?;
            if n > 0 {
                record(
                    p,
                    &mut c,
                    &ctx,
                    Actor::System {
                        org_path: &plan.org_path,
                    },
                    Event::success("controls.schedule", SUBJECT, &plan.id)
                        .after(format!("{}：生成 {n} 个周期的到期事项", plan.name)),
                )
                .await?;
            }
            Ok(n)
        })?;
    }
    Ok(created)
}

// ---- plans ----

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct PlanInput {
    pub name: String,
    /// `inspection`, `patrol` or `maintenance`.
    pub kind: String,
    /// `daily`, `weekly`, `monthly`, `quarterly`, `half_yearly`, `yearly`
    /// (or 每日 ... 每年).
    pub recurrence: String,
    /// The checklist items in order (a text with one item per line is
    /// split).
    #[serde(default)]
    pub checklist: Vec<String>,
    /// Defaults to the caller's organisation.
    #[serde(default)]
    pub org_id: Option<String>,
    #[serde(default)]
    pub ci_id: Option<String>,
    /// The article that demands the plan; defaults by kind.
    #[serde(default)]
    pub source: Option<String>,
    /// `YYYY-MM-DD`; the first period is the one containing it. Defaults to
    /// today.
    #[serde(default)]
    pub first_date: Option<String>,
}

/// Creates a plan and its occurrences through today.
pub async fn create_plan(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    input: &PlanInput,
) -> Result<PlanRow, AppError> {
    let name = validate_name(&input.name)?;
    let kind = validate_kind(&input.kind)?;
    let recurrence = validate_recurrence(&input.recurrence)?;
    let checklist = validate_checklist(&input.checklist)?;
    let source = validate_source(input.source.as_deref(), kind)?;
    let ci_id = validate_ci(input.ci_id.as_deref())?;
    let first_date = match input.first_date.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => parse_date(s)?,
        _ => due::today(p),
    };
    let checklist_json = serde_json::to_string(&checklist).map_err(|_| AppError::internal())?;
    in_tx!(p.db, |c| {
        let org = org_of(&mut c, input.org_id.as_deref(), pr).await?;
        let auth = pr.authorize(Action::RegisterEdit, &org.path)?;
        let now = p.now_us();
        let plan = PlanRow {
            id: new_id(),
            name: name.clone(),
            kind: kind.to_string(),
            recurrence: recurrence.as_str().to_string(),
            checklist_json: checklist_json.clone(),
            org_id: org.id.clone(),
            org_path: org.path.clone(),
            ci_id: ci_id.clone(),
            source: source.clone(),
            first_date: first_date.format("%Y-%m-%d").to_string(),
            active: true,
            created_by: pr.user_id.clone(),
            created_at: now,
            updated_at: now,
        };
        store::insert_plan(&mut c, &plan).await?;
        let n = ensure_plan(p, &mut c, &plan, Since::FirstDate).await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("inspection.plan_create", SUBJECT, &plan.id)
                .after(format!(
                    "{}，{}：{}",
                    plan_text(&plan),
                    org.name,
                    checklist.join("；")
                ))
                .reason(format!("生成 {n} 个周期的到期事项")),
        )
        .await?;
        Ok(plan)
    })
}

/// Changes to a plan; fields left out stay as they are. `active: false`
/// deactivates it (its occurrences not yet due go; missed ones stay
/// overdue), `active: true` resumes it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct PlanUpdate {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub recurrence: Option<String>,
    #[serde(default)]
    pub checklist: Option<Vec<String>>,
    #[serde(default)]
    pub org_id: Option<String>,
    #[serde(default)]
    pub ci_id: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub first_date: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
    /// The `updated_at` the editor read: a plan saved since is refused as
    /// stale instead of overwritten.
    #[serde(default)]
    pub expected_updated_at: Option<i64>,
}

fn can_read(pr: &Principal, plan: &PlanRow) -> bool {
    pr.can(Action::BusinessRead, &plan.org_path)
}

/// Loads a plan for a change: not found when the caller may not read it,
/// refused when they may read but not edit it.
async fn load_for_edit<'a>(
    c: &mut DbConn,
    pr: &'a Principal,
    id: &str,
) -> Result<(PlanRow, Authorized<'a>), AppError> {
    let plan = store::get_plan(c, id)
        .await?
        .filter(|pl| can_read(pr, pl))
        .ok_or_else(not_found)?;
    let auth = pr.authorize(Action::RegisterEdit, &plan.org_path)?;
    Ok((plan, auth))
}

/// Edits, deactivates or resumes a plan; audited with before and after.
pub async fn update_plan(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
    input: &PlanUpdate,
) -> Result<PlanRow, AppError> {
    let name = input.name.as_deref().map(validate_name).transpose()?;
    let recurrence = input
        .recurrence
        .as_deref()
        .map(validate_recurrence)
        .transpose()?;
    let checklist = input
        .checklist
        .as_deref()
        .map(validate_checklist)
        .transpose()?;
    let first_date = input.first_date.as_deref().map(parse_date).transpose()?;
    let ci_id = input
        .ci_id
        .as_deref()
        .map(|s| validate_ci(Some(s)))
        .transpose()?;
    in_tx!(p.db, |c| {
        let (before, auth) = load_for_edit(&mut c, pr, id).await?;
        if input
            .expected_updated_at
            .is_some_and(|e| e != before.updated_at)
        {
            return Err(changed());
        }
        let mut after = before.clone();
        if let Some(n) = &name {
            after.name = n.clone();
        }
        if let Some(r) = recurrence {
            after.recurrence = r.as_str().to_string();
        }
        if let Some(items) = &checklist {
            after.checklist_json =
                serde_json::to_string(items).map_err(|_| AppError::internal())?;
        }
        if let Some(d) = first_date {
            after.first_date = d.format("%Y-%m-%d").to_string();
        }
        if let Some(ci) = &ci_id {
            after.ci_id = ci.clone();
        }
        if input.source.is_some() {
            after.source = validate_source(input.source.as_deref(), &after.kind)?;
        }
        if let Some(a) = input.active {
            after.active = a;
        }
        if let Some(org_id) = input.org_id.as_deref().filter(|s| !s.trim().is_empty()) {
            let org = org_of(&mut c, Some(org_id), pr).await?;
            pr.authorize(Action::RegisterEdit, &org.path)?;
            after.org_id = org.id;
            after.org_path = org.path;
        }
        if after == before {
            return Ok(after);
        }
        let now = p.now_us();
        after.updated_at = now.max(before.updated_at + 1);
        if !store::update_plan(&mut c, &after, before.updated_at).await? {
            return Err(changed());
        }
        let rescheduled = after.recurrence != before.recurrence
            || after.first_date != before.first_date
            || !after.active;
        let removed = if rescheduled {
            cstore::delete_open_not_due(&mut c, SUBJECT, &after.id, now).await?
        } else {
            0
        };
        if after.name != before.name || after.org_path != before.org_path {
            cstore::retitle_open(
                &mut c,
                SUBJECT,
                &after.id,
                &after.name,
                &after.org_id,
                &after.org_path,
            )
            .await?;
        }
        let since = if !before.active && after.active {
            Since::Today
        } else if after.first_date != before.first_date {
            Since::FirstDate
        } else {
            Since::Latest
        };
        let created = ensure_plan(p, &mut c, &after, since).await?;
        let action = match (before.active, after.active) {
            (true, false) => "inspection.plan_deactivate",
            (false, true) => "inspection.plan_activate",
            _ => "inspection.plan_update",
        };
        let mut before_text = plan_text(&before);
        let mut after_text = plan_text(&after);
        if after.checklist_json != before.checklist_json {
            before_text.push_str(&format!("：{}", checklist_of(&before).join("；")));
            after_text.push_str(&format!("：{}", checklist_of(&after).join("；")));
        }
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success(action, SUBJECT, &after.id)
                .before(before_text)
                .after(after_text)
                .reason(format!("撤销未到期事项 {removed} 项，生成 {created} 项")),
        )
        .await?;
        Ok(after)
    })
}

// ---- records ----

/// A photo or file for one checklist item.
#[derive(Debug, Clone, Default)]
pub struct FileInput {
    pub filename: String,
    pub content: Vec<u8>,
}

/// The answer to one checklist item, in checklist order.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ItemInput {
    /// `normal` or `abnormal` (正常 / 异常).
    #[serde(default)]
    pub status: String,
    /// Required when abnormal.
    #[serde(default)]
    pub note: String,
    /// Uploaded through the page (multipart), not the JSON API.
    #[serde(skip)]
    pub attachment: Option<FileInput>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct RecordInput {
    /// The occurrence the record is for: the current period's or an
    /// overdue one of the plan. Defaults to the current period's when it is
    /// open, otherwise the oldest overdue one.
    #[serde(default)]
    pub control_id: Option<String>,
    /// One answer per checklist item, in order.
    #[serde(default)]
    pub results: Vec<ItemInput>,
    /// 问题汇总 (EEDS-3.5.3).
    #[serde(default)]
    pub summary: String,
    /// Open a JSCZ incident for the abnormal findings in the same step.
    #[serde(default)]
    pub open_incident: bool,
}

/// A stored photo or file of a checklist item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StoredFile {
    pub filename: String,
    pub sm3: String,
    pub size: i64,
}

/// One answered checklist item, as kept in `results_json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ItemResult {
    pub item: String,
    pub status: String,
    #[serde(default)]
    pub note: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<StoredFile>,
}

fn check_results(
    checklist: &[String],
    input: &RecordInput,
) -> Result<Vec<(String, String, String)>, AppError> {
    if input.results.len() > checklist.len() {
        return Err(AppError::bad_request(
            "inspection.results_mismatch",
            format!(
                "检查表共{}项，提交了{}项结果，请刷新页面后重新填写",
                checklist.len(),
                input.results.len()
            ),
        ));
    }
    let mut out = Vec::new();
    for (i, item) in checklist.iter().enumerate() {
        let r = input.results.get(i);
        let status = r.map(|r| r.status.trim()).unwrap_or("");
        let status = match status {
            "" => {
                return Err(AppError::bad_request(
                    "inspection.item_unanswered",
                    format!(
                        "检查表须逐项填写（EEDS-3.5.3）：第{}项「{item}」未选择正常或异常",
                        i + 1
                    ),
                ))
            }
            STATUS_NORMAL | "正常" => STATUS_NORMAL,
            STATUS_ABNORMAL | "异常" => STATUS_ABNORMAL,
            _ => {
                return Err(AppError::bad_request(
                    "inspection.item_status_invalid",
                    format!("第{}项「{item}」的结果只能是正常或异常", i + 1),
                ))
            }
        };
        let note = r.map(|r| r.note.trim()).unwrap_or("");
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err(AppError::bad_request(
                "inspection.note_too_long",
                format!("第{}项的说明不得超过{MAX_NOTE_CHARS}字", i + 1),
            ));
        }
        if status == STATUS_ABNORMAL && note.is_empty() {
            return Err(AppError::bad_request(
                "inspection.abnormal_note_required",
                format!("第{}项「{item}」为异常，须填写异常情况说明", i + 1),
            ));
        }
        out.push((item.clone(), status.to_string(), note.to_string()));
    }
    Ok(out)
}

/// An item's file, checked and named, with the content still to write.
type PreparedFile<'a> = Option<(StoredFile, &'a [u8])>;

/// The items' files checked and named by their SM3, not yet written: they
/// are written by [`write_files`] in the record's transaction, once every
/// check has passed, before the record naming them (issue 11).
fn prepare_files<'a>(
    p: &Platform,
    input: &'a RecordInput,
) -> Result<Vec<PreparedFile<'a>>, AppError> {
    input
        .results
        .iter()
        .map(|r| {
            let Some(f) = r.attachment.as_ref().filter(|f| !f.content.is_empty()) else {
                return Ok(None);
            };
            if f.content.len() > MAX_ATTACHMENT_BYTES {
                return Err(AppError::bad_request(
                    "inspection.attachment_size",
                    "每项的照片或文件不超过20MB",
                ));
            }
            // Bidi or control characters are refused as on other uploads;
            // a photo without a name is called 附件.
            let filename = match yunwei_domain::text::clean_file_name(&f.filename, 200) {
                Ok(name) => name,
                Err(yunwei_domain::text::TextProblem::Empty) => String::new(),
                Err(e) => return Err(e.error("inspection.attachment_name", "文件名")),
            };
            let digest = hex::encode(p.crypto.sm3(&f.content));
            Ok(Some((
                StoredFile {
                    filename: if filename.is_empty() {
                        "附件".into()
                    } else {
                        filename
                    },
                    sm3: digest,
                    size: f.content.len() as i64,
                },
                f.content.as_slice(),
            )))
        })
        .collect()
}

/// Writes the prepared files to the content-addressed store.
fn write_files(
    p: &Platform,
    files: &[PreparedFile<'_>],
) -> Result<Vec<Option<StoredFile>>, AppError> {
    files
        .iter()
        .map(|f| match f {
            None => Ok(None),
            Some((sf, content)) => {
                crate::kernel::files::store(p, &sf.sm3, content)?;
                Ok(Some(sf.clone()))
            }
        })
        .collect()
}

/// The occurrence a record goes against.
async fn occurrence_for(
    p: &Platform,
    c: &mut DbConn,
    plan: &PlanRow,
    control_id: Option<&str>,
) -> Result<ControlRow, AppError> {
    let done = || {
        AppError::conflict(
            "inspection.occurrence_done",
            "该周期已登记过记录，无需重复登记",
        )
    };
    let today = due::today(p).format("%Y-%m-%d").to_string();
    match control_id.map(str::trim).filter(|s| !s.is_empty()) {
        Some(id) => {
            let ctl = cstore::get(c, id)
                .await?
                .filter(|c| c.subject_type == SUBJECT && c.subject_id == plan.id)
                .ok_or_else(|| {
                    AppError::bad_request("inspection.occurrence_invalid", "所选周期不属于该计划")
                })?;
            if ctl.done_at.is_some() {
                return Err(done());
            }
            if ctl
                .period_start
                .as_deref()
                .is_some_and(|s| s > today.as_str())
            {
                return Err(AppError::bad_request(
                    "inspection.occurrence_future",
                    "该周期尚未开始，不能提前登记",
                ));
            }
            Ok(ctl)
        }
        None => {
            let mut open: Vec<ControlRow> = cstore::of_subject(c, SUBJECT, &plan.id, MAX_HISTORY)
                .await?
                .into_iter()
                .filter(|c| c.done_at.is_none())
                .filter(|c| {
                    c.period_start
                        .as_deref()
                        .is_none_or(|s| s <= today.as_str())
                })
                .collect();
            open.sort_by_key(|c| c.due_at);
            let now = p.now_us();
            if let Some(cur) = open.iter().find(|c| c.due_at > now) {
                return Ok(cur.clone());
            }
            open.into_iter().next().ok_or_else(|| {
                AppError::conflict(
                    "inspection.nothing_due",
                    "本周期已登记，且没有逾期未做的周期",
                )
            })
        }
    }
}

/// Files a record against an open occurrence of an active plan: every
/// checklist item answered (EEDS-3.5.3), abnormal ones with a note. The
/// occurrence is done. With `open_incident` and an abnormal finding, a
/// JSCZ incident (事件来源：监控巡检发现) is opened in the same transaction and
/// linked to the record. Returns the record.
pub async fn file_record(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    plan_id: &str,
    input: &RecordInput,
) -> Result<RecordRow, AppError> {
    let summary = validate_text(&input.summary, "问题汇总", MAX_TEXT_CHARS, false)?;
    let plan = {
        let mut c = p.db.read().await?;
        store::get_plan(&mut c, plan_id)
            .await?
            .filter(|pl| can_read(pr, pl))
            .ok_or_else(not_found)?
    };
    let auth = pr.authorize(Action::RegisterEdit, &plan.org_path)?;
    let checklist = checklist_of(&plan);
    let answers = check_results(&checklist, input)?;
    let abnormal: Vec<(usize, &(String, String, String))> = answers
        .iter()
        .enumerate()
        .filter(|(_, a)| a.1 == STATUS_ABNORMAL)
        .collect();
    let incident = if input.open_incident {
        if abnormal.is_empty() {
            return Err(AppError::bad_request(
                "inspection.incident_without_finding",
                "没有异常项，无需登记事件",
            ));
        }
        let ticket_auth = pr.authorize(Action::BusinessOperate, &plan.org_path)?;
        // The process an enabled pack names as the intake of inspection
        // findings (`intake = ["inspection_finding"]`, JSCZ-31).
        let (pk, process) = p
            .packs
            .iter()
            .find_map(|pk| {
                pk.processes
                    .iter()
                    .find(|pr_| pr_.intake.iter().any(|i| i == INSPECTION_FINDING))
                    .map(|pr_| (pk, pr_))
            })
            .ok_or_else(incident_unavailable)?;
        Some((
            pk,
            process,
            crate::kernel::calendar::load(p).await?,
            ticket_auth,
        ))
    } else {
        None
    };
    let prepared = prepare_files(p, input)?;
    in_tx!(p.db, |c| {
        let plan = store::get_plan(&mut c, &plan.id)
            .await?
            .ok_or_else(not_found)?;
        if !plan.active {
            return Err(AppError::conflict(
                "inspection.plan_inactive",
                "该计划已停用，不能登记记录",
            ));
        }
        if plan.checklist_json != serde_json::to_string(&checklist).unwrap_or_default() {
            return Err(AppError::conflict(
                "inspection.checklist_changed",
                "检查表已被修改，请刷新页面后重新填写",
            ));
        }
        ensure_plan(p, &mut c, &plan, Since::Latest).await?;
        let ctl = occurrence_for(p, &mut c, &plan, input.control_id.as_deref()).await?;
        let now = p.now_us();
        let record_id = new_id();
        if !cstore::mark_done(
            &mut c,
            &ctl.id,
            now,
            &format!("inspection_record:{record_id}"),
        )
        .await?
        {
            return Err(AppError::conflict(
                "inspection.occurrence_done",
                "该周期已登记过记录，无需重复登记",
            ));
        }
        // Every check passed: the files reach the disk now, before the
        // record naming them.
        let files = write_files(p, &prepared)?;
        let period = due::period_label(&ctl);
        let ticket = match &incident {
            None => None,
            Some((pk, process, cal, ticket_auth)) => {
                let title = crate::tickets::validate_title(&format!(
                    "{}发现异常：{}",
                    kind_label(&plan.kind),
                    plan.name
                ))
                .unwrap_or_else(|_| "巡检发现异常".into());
                let findings: Vec<String> = abnormal
                    .iter()
                    .map(|(i, a)| format!("第{}项「{}」异常：{}", i + 1, a.0, a.2))
                    .collect();
                let description = format!(
                    "{}计划「{}」（周期 {period}，依据 {}）发现异常：\n{}{}",
                    kind_label(&plan.kind),
                    plan.name,
                    plan.source,
                    findings.join("\n"),
                    if summary.is_empty() {
                        String::new()
                    } else {
                        format!("\n问题汇总：{summary}")
                    }
                );
                let mut m = Map::new();
                m.insert(
                    "system".into(),
                    Value::String(plan.ci_id.clone().unwrap_or_else(|| plan.name.clone())),
                );
                m.insert("description".into(), Value::String(description));
                m.insert(
                    "occurred_at".into(),
                    Value::String(p.clock.now().to_rfc3339()),
                );
                m.insert("origin".into(), Value::String("inspection".into()));
                m.insert(
                    "source_ticket".into(),
                    Value::String(format!("巡检记录 {}（{period}）", plan.name)),
                );
                let mut fields = crate::tickets::parse_fields(process, &m)?;
                if process.field("title").is_some() {
                    fields.insert("title".into(), FieldValue::Text(title.clone()));
                }
                // The plan's item, by its code, linked (ADR 0015).
                let cis = crate::tickets::resolve_cis(&mut c, pr, process, &mut fields).await?;
                let org = orgs::get(&mut c, &plan.org_id)
                    .await?
                    .ok_or_else(|| AppError::not_found("机构"))?;
                let t = crate::tickets::insert_ticket(
                    p,
                    &mut c,
                    ctx,
                    *ticket_auth,
                    pk,
                    process,
                    &title,
                    &org,
                    &pr.user_id,
                    &fields,
                    cal,
                )
                .await?;
                crate::tickets::link_cis(p, &mut c, ctx, *ticket_auth, &t, &cis, t.created_at)
                    .await?;
                Some(t)
            }
        };
        let results: Vec<ItemResult> = answers
            .iter()
            .enumerate()
            .map(|(i, (item, status, note))| ItemResult {
                item: item.clone(),
                status: status.clone(),
                note: note.clone(),
                attachment: files.get(i).cloned().flatten(),
            })
            .collect();
        let row = RecordRow {
            id: record_id.clone(),
            plan_id: plan.id.clone(),
            control_id: ctl.id.clone(),
            performed_at: now,
            performer_id: pr.user_id.clone(),
            results_json: serde_json::to_string(&results).map_err(|_| AppError::internal())?,
            abnormal_count: abnormal.len() as i64,
            ticket_id: ticket.as_ref().map(|t| t.id.clone()),
            summary: summary.clone(),
            created_at: now,
        };
        store::insert_record(&mut c, &row).await?;
        let lines: Vec<String> = results
            .iter()
            .map(|r| {
                let mut s = format!("{}：{}", r.item, item_status_label(&r.status));
                if !r.note.is_empty() {
                    s.push_str(&format!("（{}）", r.note));
                }
                if let Some(f) = &r.attachment {
                    s.push_str(&format!(" 附件 {} SM3={}", f.filename, f.sm3));
                }
                s
            })
            .collect();
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("inspection.record", "inspection_record", &row.id)
                .before(format!("{} {period} 未完成", plan.name))
                .after(format!(
                    "{} {period}：{}项，异常{}项{}\n{}",
                    plan.name,
                    results.len(),
                    row.abnormal_count,
                    ticket
                        .as_ref()
                        .map(|t| format!("，登记事件 {}", t.number))
                        .unwrap_or_default(),
                    lines.join("\n")
                )),
        )
        .await?;
        Ok(row)
    })
}

fn incident_unavailable() -> AppError {
    AppError::new(
        ErrorKind::Conflict,
        "inspection.incident_unavailable",
        "未启用受理巡检异常的事件流程，无法登记事件；请取消勾选后登记，再另行报告",
    )
}

// ---- reading plans ----

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanSummary {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub kind_label: &'static str,
    pub recurrence: String,
    pub recurrence_label: &'static str,
    pub org_id: String,
    pub org_name: String,
    pub ci_id: Option<String>,
    pub source: String,
    pub first_date: String,
    pub active: bool,
    pub items: usize,
    /// Open occurrences past due.
    pub overdue: usize,
    /// The earliest open occurrence (overdue or current), if any.
    pub next: Option<ControlView>,
    /// When it was last saved (send back as `expected_updated_at`).
    pub updated_at: i64,
}

fn summary_of(plan: &PlanRow, org_name: &str, open: &[&ControlRow], now: i64) -> PlanSummary {
    let next = open.iter().min_by_key(|c| c.due_at);
    PlanSummary {
        id: plan.id.clone(),
        name: plan.name.clone(),
        kind: plan.kind.clone(),
        kind_label: kind_label(&plan.kind),
        recurrence: plan.recurrence.clone(),
        recurrence_label: Recurrence::parse(&plan.recurrence)
            .map(|r| r.label())
            .unwrap_or(""),
        org_id: plan.org_id.clone(),
        org_name: org_name.to_string(),
        ci_id: plan.ci_id.clone(),
        source: plan.source.clone(),
        first_date: plan.first_date.clone(),
        active: plan.active,
        items: checklist_of(plan).len(),
        overdue: open.iter().filter(|c| c.due_at <= now).count(),
        next: next.map(|c| due::view(c, org_name, now)),
        updated_at: plan.updated_at,
    }
}

fn read_scope(pr: &Principal) -> Result<yunwei_store::Scope, AppError> {
    if pr.must_change_password {
        return Err(AppError::new(
            ErrorKind::Forbidden,
            "auth.password_change_required",
            "请先修改密码（初始密码或已到期的密码）",
        ));
    }
    let scope = pr.scope_for(Action::BusinessRead);
    if scope.is_empty() {
        return Err(AppError::forbidden(
            "无权查看巡检和维护记录（系统管理员、安全管理员和审计管理员不办理业务）",
        ));
    }
    Ok(scope)
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanListFilter {
    #[serde(default)]
    pub org_id: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    /// `true`: active only, `false`: deactivated only.
    #[serde(default)]
    pub active: Option<bool>,
}

/// Plans in the caller's business-read scope with where each stands.
pub async fn list_plans(
    p: &Platform,
    pr: &Principal,
    f: &PlanListFilter,
) -> Result<Vec<PlanSummary>, AppError> {
    plans_within(p, pr, f, MAX_PLANS).await
}

/// At most `limit` plans matching `f` in the caller's scope.
async fn plans_within(
    p: &Platform,
    pr: &Principal,
    f: &PlanListFilter,
    limit: u64,
) -> Result<Vec<PlanSummary>, AppError> {
    let scope = read_scope(pr)?;
    let kind = f
        .kind
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(validate_kind)
        .transpose()?;
    let now = p.now_us();
    let mut c = p.db.read().await?;
    let org_path = match f.org_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(id) => Some(
            orgs::get(&mut c, id)
                .await?
                .filter(|o| pr.can(Action::BusinessRead, &o.path))
                .ok_or_else(|| AppError::not_found("机构"))?
                .path,
        ),
    };
    let filter = PlanFilter {
        org_path: org_path.clone(),
        kind: kind.map(str::to_string),
        active: f.active,
    };
    let plans = store::list_plans(&mut c, &scope, &filter, limit).await?;
    let cf = yunwei_store::controls::ControlFilter {
        org_path,
        kind: None,
        status: yunwei_store::controls::StatusFilter::Open,
        now,
        warn_us: due::WARN_US,
        subject_type_not: None,
    };
    let (open, _) = cstore::list(&mut c, &scope, &cf, 10_000).await?;
    let mut by_plan: HashMap<&str, Vec<&ControlRow>> = HashMap::new();
    for ctl in open.iter().filter(|c| c.subject_type == SUBJECT) {
        by_plan
            .entry(ctl.subject_id.as_str())
            .or_default()
            .push(ctl);
    }
    let names = due::org_names(&mut c, plans.iter().map(|pl| &pl.org_id)).await?;
    Ok(plans
        .iter()
        .map(|pl| {
            summary_of(
                pl,
                names.get(&pl.org_id).map(String::as_str).unwrap_or(""),
                by_plan
                    .get(pl.id.as_str())
                    .map(Vec::as_slice)
                    .unwrap_or(&[]),
                now,
            )
        })
        .collect())
}

/// The plans of [`list_plans`] (same filter, up to [`EXPORT_LIMIT`]) as an
/// Excel sheet naming the exporter; needs a reason and is audited.
pub async fn export_plans(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    f: &PlanListFilter,
    reason: &str,
) -> Result<Vec<u8>, AppError> {
    let reason = crate::kernel::audit::require_reason(reason)?;
    let plans = plans_within(p, pr, f, EXPORT_LIMIT).await?;
    let auth = pr.authorize_somewhere(Action::BusinessRead)?;
    let data: Vec<Vec<String>> = plans
        .iter()
        .map(|pl| {
            vec![
                pl.name.clone(),
                pl.kind_label.to_string(),
                pl.recurrence_label.to_string(),
                pl.org_name.clone(),
                pl.source.clone(),
                pl.first_date.clone(),
                if pl.active { "启用" } else { "已停用" }.to_string(),
                pl.items.to_string(),
                pl.overdue.to_string(),
                pl.next
                    .as_ref()
                    .map(|n| n.due_date.clone())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let bytes = crate::kernel::export::table_xlsx(
        "巡检与维护计划",
        &pr.display_name,
        p.clock.now(),
        &[
            "计划名称",
            "类型",
            "周期",
            "机构",
            "依据",
            "起始日期",
            "状态",
            "检查项数",
            "逾期周期数",
            "最近截止日期",
        ],
        &data,
    )?;
    crate::kernel::audit::audit_export(
        p,
        ctx,
        auth,
        "inspection.export",
        SUBJECT,
        format!("导出 {} 个巡检与维护计划", data.len()),
        &reason,
    )
    .await?;
    Ok(bytes)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordView {
    pub id: String,
    pub control_id: String,
    pub period_label: String,
    pub performed_at: i64,
    pub performer_id: String,
    pub performer_name: String,
    pub results: Vec<ItemResult>,
    pub abnormal_count: i64,
    pub ticket_id: Option<String>,
    /// The incident's number, when the caller may see it.
    pub ticket_number: Option<String>,
    pub summary: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanDetail {
    pub plan: PlanSummary,
    pub checklist: Vec<String>,
    pub created_by: String,
    pub created_by_name: String,
    /// The plan's configuration item as pages name it: its code, never its
    /// id (see `ci_label`).
    pub ci_code: Option<String>,
    /// The plan's occurrences, the newest first.
    pub occurrences: Vec<ControlView>,
    /// Open occurrences a record may be filed against, the oldest first.
    pub fileable: Vec<ControlView>,
    pub records: Vec<RecordView>,
    /// The caller may edit the plan and file records.
    pub can_edit: bool,
}

async fn user_name(c: &mut DbConn, id: &str) -> Result<String, AppError> {
    Ok(ustore::get(c, id)
        .await?
        .map(|u| u.display_name)
        .unwrap_or_default())
}

/// The stored plan itself (with the time it was last saved, for an edit
/// form's stale check), when the caller may read it.
pub async fn plan_row(p: &Platform, pr: &Principal, id: &str) -> Result<PlanRow, AppError> {
    read_scope(pr)?;
    let mut c = p.db.read().await?;
    store::get_plan(&mut c, id)
        .await?
        .filter(|pl| can_read(pr, pl))
        .ok_or_else(not_found)
}

/// One plan with its occurrences and records, when the caller may read it.
pub async fn get_plan(p: &Platform, pr: &Principal, id: &str) -> Result<PlanDetail, AppError> {
    read_scope(pr)?;
    let now = p.now_us();
    let today = due::today(p).format("%Y-%m-%d").to_string();
    let mut c = p.db.read().await?;
    let plan = store::get_plan(&mut c, id)
        .await?
        .filter(|pl| can_read(pr, pl))
        .ok_or_else(not_found)?;
    let org_name = orgs::get(&mut c, &plan.org_id)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    let rows = cstore::of_subject(&mut c, SUBJECT, &plan.id, MAX_HISTORY).await?;
    let open: Vec<&ControlRow> = rows.iter().filter(|c| c.done_at.is_none()).collect();
    let summary = summary_of(&plan, &org_name, &open, now);
    let mut fileable: Vec<ControlView> = open
        .iter()
        .filter(|c| {
            c.period_start
                .as_deref()
                .is_none_or(|s| s <= today.as_str())
        })
        .map(|c| due::view(c, &org_name, now))
        .collect();
    fileable.sort_by_key(|v| v.due_at);
    let periods: HashMap<&str, String> = rows
        .iter()
        .map(|c| (c.id.as_str(), due::period_label(c)))
        .collect();
    let mut records = Vec::new();
    for r in store::records_of_plan(&mut c, &plan.id, MAX_HISTORY).await? {
        let ticket_number = match &r.ticket_id {
            Some(t) => yunwei_store::tickets::get(&mut c, t)
                .await?
                .filter(|t| {
                    pr.can(Action::BusinessRead, &t.org_path)
                        || t.requester_id == pr.user_id
                        || t.assignee_id.as_deref() == Some(pr.user_id.as_str())
                })
                .map(|t| t.number),
            None => None,
        };
        records.push(RecordView {
            id: r.id.clone(),
            control_id: r.control_id.clone(),
            period_label: periods
                .get(r.control_id.as_str())
                .cloned()
                .unwrap_or_default(),
            performed_at: r.performed_at,
            performer_name: user_name(&mut c, &r.performer_id).await?,
            performer_id: r.performer_id.clone(),
            results: serde_json::from_str(&r.results_json).unwrap_or_default(),
            abnormal_count: r.abnormal_count,
            ticket_id: r.ticket_id.clone(),
            ticket_number,
            summary: r.summary.clone(),
        });
    }
    let ci_code = match plan.ci_id.as_deref() {
        Some(ci) => Some(ci_label(&mut c, ci).await?),
        None => None,
    };
    Ok(PlanDetail {
        ci_code,
        checklist: checklist_of(&plan),
        created_by_name: user_name(&mut c, &plan.created_by).await?,
        created_by: plan.created_by.clone(),
        occurrences: rows.iter().map(|c| due::view(c, &org_name, now)).collect(),
        fileable,
        records,
        can_edit: pr.can(Action::RegisterEdit, &plan.org_path),
        plan: summary,
    })
}

/// The photo or file of a checklist item of a record: (file name, bytes),
/// for those who may read the plan.
pub async fn record_file(
    p: &Platform,
    pr: &Principal,
    record_id: &str,
    item: usize,
) -> Result<(String, Vec<u8>), AppError> {
    read_scope(pr)?;
    let mut c = p.db.read().await?;
    let r = store::get_record(&mut c, record_id)
        .await?
        .ok_or_else(|| AppError::not_found("附件"))?;
    store::get_plan(&mut c, &r.plan_id)
        .await?
        .filter(|pl| can_read(pr, pl))
        .ok_or_else(|| AppError::not_found("附件"))?;
    let results: Vec<ItemResult> = serde_json::from_str(&r.results_json).unwrap_or_default();
    let f = results
        .get(item)
        .and_then(|r| r.attachment.clone())
        .ok_or_else(|| AppError::not_found("附件"))?;
    let bytes = crate::kernel::files::read(p, &f.sm3)?;
    Ok((f.filename, bytes))
}

/// Whether the principal keeps registers anywhere (menus, the 新建 forms).
pub fn can_edit_somewhere(pr: &Principal) -> bool {
    pr.can_somewhere(Action::RegisterEdit)
}

// ---- maintenance records ----

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct MaintenanceInput {
    /// One of [`MAINTENANCE_KINDS`] (code or label).
    pub kind: String,
    /// What was done.
    pub description: String,
    /// The result (and problems found, EEDS-3.4.2).
    #[serde(default)]
    pub result: String,
    /// Defaults to the caller's organisation.
    #[serde(default)]
    pub org_id: Option<String>,
    #[serde(default)]
    pub ci_id: Option<String>,
    /// When the work was done: RFC 3339 or `YYYY-MM-DDTHH:MM` (Beijing
    /// time); defaults to now. Not in the future.
    #[serde(default)]
    pub performed_at: Option<String>,
    /// The ticket the work belongs to: its id or number.
    #[serde(default)]
    pub ticket: Option<String>,
}

fn parse_performed_at(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
                .ok()
                .and_then(|t| t.and_local_timezone(shanghai()).single())
                .map(|t| t.with_timezone(&Utc))
        })
}

fn maintenance_text(m: &MaintenanceRow) -> String {
    format!(
        "{}：{}；结果：{}；时间 {}{}{}",
        maintenance_kind_label(&m.kind),
        m.description,
        m.result,
        crate::kernel::export::fmt_us(m.performed_at),
        m.ci_id
            .as_deref()
            .map(|c| format!("；配置项 {c}"))
            .unwrap_or_default(),
        m.ticket_id
            .as_deref()
            .map(|t| format!("；工单 {t}"))
            .unwrap_or_default(),
    )
}

/// Writes a maintenance record (EEDS-2.2.2.2: every maintenance action,
/// of any of its six kinds, has one); audited.
pub async fn create_maintenance(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    input: &MaintenanceInput,
) -> Result<MaintenanceRow, AppError> {
    let kind = {
        let k = input.kind.trim();
        MAINTENANCE_KINDS
            .iter()
            .find(|m| m.0 == k || m.1 == k)
            .map(|m| m.0)
            .ok_or_else(|| {
                AppError::bad_request(
                    "inspection.maintenance_kind_invalid",
                    "维护类型无效，应为日常作业计划、故障处理、系统改进、数据变更、数据备份与恢复或功能完善（EEDS-2.2.2.2）",
                )
            })?
    };
    let description = validate_text(&input.description, "维护内容", MAX_TEXT_CHARS, true)?;
    let result = validate_text(&input.result, "维护结果", MAX_TEXT_CHARS, true)?;
    let ci_id = validate_ci(input.ci_id.as_deref())?;
    let now = p.clock.now();
    let performed_at = match input.performed_at.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => parse_performed_at(s)
            .filter(|t| *t <= now + chrono::Duration::minutes(5))
            .ok_or_else(|| {
                AppError::bad_request(
                    "inspection.maintenance_time_invalid",
                    "维护时间无效：应为不晚于当前时间的日期时间",
                )
            })?,
        _ => now,
    };
    in_tx!(p.db, |c| {
        let org = org_of(&mut c, input.org_id.as_deref(), pr).await?;
        let auth = pr.authorize(Action::RegisterEdit, &org.path)?;
        let ticket_id = match input
            .ticket
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(t) => {
                let (id, _, _) = store::ticket_ref(&mut c, t)
                    .await?
                    .filter(|(_, _, path)| pr.can(Action::BusinessRead, path))
                    .ok_or_else(|| {
                        AppError::bad_request(
                            "inspection.maintenance_ticket_unknown",
                            format!("工单「{t}」不存在或无权查看"),
                        )
                    })?;
                Some(id)
            }
        };
        let m = MaintenanceRow {
            id: new_id(),
            org_id: org.id.clone(),
            org_path: org.path.clone(),
            ci_id: ci_id.clone(),
            kind: kind.to_string(),
            performed_at: performed_at.timestamp_micros(),
            performer_id: pr.user_id.clone(),
            description: description.clone(),
            result: result.clone(),
            ticket_id,
            created_at: p.now_us(),
        };
        store::insert_maintenance(&mut c, &m).await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("maintenance.create", "maintenance_record", &m.id).after(format!(
                "{}，{}",
                maintenance_text(&m),
                org.name
            )),
        )
        .await?;
        Ok(m)
    })
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MaintenanceView {
    pub id: String,
    pub org_id: String,
    pub org_name: String,
    pub ci_id: Option<String>,
    /// The configuration item as pages name it: its code, never its id
    /// (see `ci_label`).
    pub ci_code: Option<String>,
    pub kind: String,
    pub kind_label: &'static str,
    pub performed_at: i64,
    pub performer_id: String,
    pub performer_name: String,
    pub description: String,
    pub result: String,
    pub ticket_id: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct MaintenanceListFilter {
    #[serde(default)]
    pub org_id: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub ci_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MaintenancePage {
    pub records: Vec<MaintenanceView>,
    pub total: i64,
    pub page: u64,
    pub per_page: u64,
}

/// Maintenance records in the caller's business-read scope, the most
/// recent work first.
pub async fn list_maintenance(
    p: &Platform,
    pr: &Principal,
    f: &MaintenanceListFilter,
    page: u64,
    per_page: u64,
) -> Result<MaintenancePage, AppError> {
    let per_page = per_page.clamp(1, MAX_PER_PAGE);
    let page = page.max(1);
    let (records, total) =
        maintenance_within(p, pr, f, (page - 1).saturating_mul(per_page), per_page).await?;
    Ok(MaintenancePage {
        records,
        total,
        page,
        per_page,
    })
}

/// Up to `limit` maintenance records matching `f` in the caller's scope
/// from `offset`, with how many match.
async fn maintenance_within(
    p: &Platform,
    pr: &Principal,
    f: &MaintenanceListFilter,
    offset: u64,
    limit: u64,
) -> Result<(Vec<MaintenanceView>, i64), AppError> {
    let scope = read_scope(pr)?;
    let kind = match f.kind.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(k) => Some(
            MAINTENANCE_KINDS
                .iter()
                .find(|m| m.0 == k || m.1 == k)
                .map(|m| m.0.to_string())
                .ok_or_else(|| {
                    AppError::bad_request(
                        "inspection.maintenance_kind_invalid",
                        "维护类型无效（EEDS-2.2.2.2）",
                    )
                })?,
        ),
    };
    let mut c = p.db.read().await?;
    let org_path = match f.org_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(id) => Some(
            orgs::get(&mut c, id)
                .await?
                .filter(|o| pr.can(Action::BusinessRead, &o.path))
                .ok_or_else(|| AppError::not_found("机构"))?
                .path,
        ),
    };
    let filter = MaintenanceFilter {
        org_path,
        kind,
        ci_id: validate_ci(f.ci_id.as_deref())?,
    };
    let (rows, total) = store::list_maintenance(&mut c, &scope, &filter, offset, limit).await?;
    let names = due::org_names(&mut c, rows.iter().map(|m| &m.org_id)).await?;
    let mut people: HashMap<String, String> = HashMap::new();
    let mut records = Vec::new();
    for m in rows {
        if !people.contains_key(&m.performer_id) {
            let n = user_name(&mut c, &m.performer_id).await?;
            people.insert(m.performer_id.clone(), n);
        }
        let ci_code = match m.ci_id.as_deref() {
            Some(ci) => Some(ci_label(&mut c, ci).await?),
            None => None,
        };
        records.push(MaintenanceView {
            ci_code,
            org_name: names.get(&m.org_id).cloned().unwrap_or_default(),
            performer_name: people.get(&m.performer_id).cloned().unwrap_or_default(),
            kind_label: maintenance_kind_label(&m.kind),
            id: m.id,
            org_id: m.org_id,
            ci_id: m.ci_id,
            kind: m.kind,
            performed_at: m.performed_at,
            performer_id: m.performer_id,
            description: m.description,
            result: m.result,
            ticket_id: m.ticket_id,
            created_at: m.created_at,
        });
    }
    Ok((records, total))
}

/// The maintenance records of [`list_maintenance`] (same filter, up to
/// [`EXPORT_LIMIT`], the most recent first) as an Excel sheet naming the
/// exporter; needs a reason and is audited.
pub async fn export_maintenance(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    f: &MaintenanceListFilter,
    reason: &str,
) -> Result<Vec<u8>, AppError> {
    let reason = crate::kernel::audit::require_reason(reason)?;
    let (records, _) = maintenance_within(p, pr, f, 0, EXPORT_LIMIT).await?;
    let auth = pr.authorize_somewhere(Action::BusinessRead)?;
    // The linked tickets by number, when the caller may read them.
    let mut tickets: HashMap<String, String> = HashMap::new();
    {
        let mut c = p.db.read().await?;
        for id in records.iter().filter_map(|m| m.ticket_id.as_ref()) {
            if tickets.contains_key(id) {
                continue;
            }
            let number = store::ticket_ref(&mut c, id)
                .await?
                .filter(|(_, _, path)| pr.can(Action::BusinessRead, path))
                .map(|(_, number, _)| number)
                .unwrap_or_default();
            tickets.insert(id.clone(), number);
        }
    }
    let data: Vec<Vec<String>> = records
        .iter()
        .map(|m| {
            vec![
                crate::kernel::export::fmt_us(m.performed_at),
                m.kind_label.to_string(),
                m.org_name.clone(),
                m.description.clone(),
                m.result.clone(),
                m.performer_name.clone(),
                m.ci_id.clone().unwrap_or_default(),
                m.ticket_id
                    .as_ref()
                    .and_then(|t| tickets.get(t).cloned())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let bytes = crate::kernel::export::table_xlsx(
        "维护记录",
        &pr.display_name,
        p.clock.now(),
        &[
            "维护时间",
            "维护类型",
            "机构",
            "维护内容",
            "维护结果",
            "维护人",
            "配置项",
            "关联工单",
        ],
        &data,
    )?;
    crate::kernel::audit::audit_export(
        p,
        ctx,
        auth,
        "maintenance.export",
        "maintenance_record",
        format!("导出 {} 条维护记录", data.len()),
        &reason,
    )
    .await?;
    Ok(bytes)
}
