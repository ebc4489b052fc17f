//! `/inspections`: inspection, patrol and maintenance plans (EEDS-1.4.1,
//! EEDS-2.2.1.4, EEDS-2.2.2.6, EEDS-3.4, EEDS-3.5) — the list with the new
//! plan form (checklist items one per line) and the audited Excel export
//! of the list, a plan's page with its
//! occurrences, its records and the form to file one (正常 / 异常 and a
//! note per item, a photo or file, 发现异常时登记事件); `/maintenance`: the
//! maintenance records of EEDS-2.2.2.2 with their form and export. Every
//! check is in
//! `yunwei_core::inspections`.

use crate::extract::Query;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use yunwei_core::inspections::PlanRow;
use yunwei_core::inspections::{
    self, FileInput, ItemInput, MaintenanceInput, MaintenanceListFilter, MaintenanceView,
    PlanDetail, PlanInput, PlanListFilter, PlanSummary, PlanUpdate, RecordInput,
};
use yunwei_domain::roles::Action;
use yunwei_domain::schedule::Recurrence;
use yunwei_domain::time::fmt_minute;
use yunwei_domain::AppError;

use super::error::{correctable, refused, with_error, Page};
use super::form::{opts, org_options, urlencoding, Opt, UiForm};
use super::page::{render, Layout};
use super::session::{business, UiUser};
use crate::extract::ReqCtx;
use crate::AppState;

fn kind_options() -> Vec<(String, String)> {
    inspections::KINDS
        .iter()
        .map(|k| (k.0.to_string(), format!("{}（{}）", k.1, k.2)))
        .collect()
}

fn recurrence_options() -> Vec<(String, String)> {
    Recurrence::ALL
        .iter()
        .map(|r| (r.as_str().to_string(), r.label().to_string()))
        .collect()
}

fn maintenance_kind_options() -> Vec<(String, String)> {
    inspections::MAINTENANCE_KINDS
        .iter()
        .map(|k| (k.0.to_string(), k.1.to_string()))
        .collect()
}

// ---- the plan list ----

/// The 新建 form's values, kept when it is refused.
#[derive(Default, Deserialize)]
pub(super) struct PlanForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    recurrence: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    first_date: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    ci_id: String,
    #[serde(default)]
    checklist: String,
}

#[derive(Deserialize, Default, Clone)]
pub(super) struct ListQuery {
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    kind: String,
    /// `true`, `false` or empty.
    #[serde(default)]
    active: String,
}

impl ListQuery {
    fn filter(&self) -> PlanListFilter {
        PlanListFilter {
            org_id: Some(self.org_id.clone()),
            kind: Some(self.kind.clone()),
            active: match self.active.as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
        }
    }
}

#[derive(Template)]
#[template(path = "inspections.html")]
struct ListTpl {
    l: Layout,
    q: ListQuery,
    /// The export's reason as typed (kept when refused).
    reason: String,
    orgs: Vec<Opt>,
    kinds: Vec<Opt>,
    plans: Vec<PlanSummary>,
    can_edit: bool,
    edit_orgs: Vec<Opt>,
    new_kinds: Vec<Opt>,
    recurrences: Vec<Opt>,
    draft: PlanForm,
}

async fn list_view(
    s: &AppState,
    u: &UiUser,
    q: ListQuery,
    draft: PlanForm,
    reason: String,
    error: Option<&AppError>,
) -> Page {
    business(u)?;
    let pr = &u.principal;
    let f = q.filter();
    let mut shown_error = error.map(|e| e.message.clone());
    let plans = match inspections::list_plans(&s.platform, pr, &f).await {
        Ok(p) => p,
        Err(e) if correctable(&e) && e.kind != yunwei_domain::ErrorKind::Forbidden => {
            shown_error = shown_error.or(Some(e.message));
            vec![]
        }
        Err(e) => return Err(e.into()),
    };
    let can_edit = inspections::can_edit_somewhere(pr);
    let edit_orgs = if can_edit {
        org_options(s, u, Action::RegisterEdit).await?
    } else {
        vec![]
    };
    let orgs = org_options(s, u, Action::BusinessRead).await?;
    let current_org = if draft.org_id.is_empty() {
        pr.org_id.clone()
    } else {
        draft.org_id.clone()
    };
    let recurrence = if draft.recurrence.is_empty() {
        "monthly".to_string()
    } else {
        draft.recurrence.clone()
    };
    render(&ListTpl {
        l: Layout::for_user(u, "/inspections").with(None, shown_error),
        orgs: opts(orgs, &q.org_id),
        kinds: opts(kind_options(), &q.kind),
        plans,
        can_edit,
        edit_orgs: opts(edit_orgs, &current_org),
        new_kinds: opts(kind_options(), &draft.kind),
        recurrences: opts(recurrence_options(), &recurrence),
        draft,
        q,
        reason,
    })
}

pub(super) async fn list(State(s): State<AppState>, u: UiUser, Query(q): Query<ListQuery>) -> Page {
    list_view(&s, &u, q, PlanForm::default(), String::new(), None).await
}

#[derive(Deserialize)]
pub(super) struct ExportForm {
    #[serde(default)]
    reason: String,
    #[serde(flatten)]
    q: ListQuery,
}

/// The list as filtered, to Excel (audited); a refusal (no reason) comes
/// back on the list with the filters and the reason kept.
pub(super) async fn export(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<ExportForm>,
) -> Page {
    business(&u)?;
    match inspections::export_plans(&s.platform, &ctx, &u.principal, &f.q.filter(), &f.reason).await
    {
        Ok(bytes) => Ok(crate::api::xlsx("inspection-plans.xlsx", bytes)),
        Err(e) if correctable(&e) => refused(
            list_view(&s, &u, f.q, PlanForm::default(), f.reason, Some(&e)).await,
            &e,
        ),
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn create(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<PlanForm>,
) -> Page {
    business(&u)?;
    let input = PlanInput {
        name: f.name.clone(),
        kind: f.kind.clone(),
        recurrence: f.recurrence.clone(),
        checklist: vec![f.checklist.clone()],
        org_id: Some(f.org_id.clone()).filter(|s| !s.is_empty()),
        ci_id: Some(f.ci_id.clone()),
        source: Some(f.source.clone()),
        first_date: Some(f.first_date.clone()),
    };
    match inspections::create_plan(&s.platform, &ctx, &u.principal, &input).await {
        Ok(p) => Ok(Redirect::to(&format!("/inspections/{}", urlencoding(&p.id))).into_response()),
        Err(e) if correctable(&e) => refused(
            list_view(&s, &u, ListQuery::default(), f, String::new(), Some(&e)).await,
            &e,
        ),
        Err(e) => Err(e.into()),
    }
}

// ---- a plan's page ----

/// The record form's values, kept when it is refused.
#[derive(Default)]
struct RecordForm {
    control_id: String,
    /// (status, note) per checklist item.
    items: Vec<(String, String)>,
    files: Vec<Option<FileInput>>,
    summary: String,
    open_incident: bool,
}

struct ItemLine {
    index: usize,
    text: String,
    status: String,
    note: String,
}

#[derive(Template)]
#[template(path = "inspection_plan.html")]
struct PlanTpl {
    l: Layout,
    d: PlanDetail,
    items: Vec<ItemLine>,
    occurrences: Vec<OccurrenceLine>,
    records: Vec<RecordLine>,
    fileable: Vec<Opt>,
    summary: String,
    open_incident: bool,
}

struct OccurrenceLine {
    period: String,
    due_date: String,
    status: String,
    overdue: bool,
    done: String,
    record_id: String,
}

struct ResultLine {
    index: usize,
    item: String,
    status: &'static str,
    abnormal: bool,
    note: String,
    file: Option<String>,
}

struct RecordLine {
    id: String,
    period: String,
    performed: String,
    performer: String,
    abnormal_count: i64,
    ticket_id: String,
    ticket_number: String,
    summary: String,
    results: Vec<ResultLine>,
}

async fn plan_view(
    s: &AppState,
    u: &UiUser,
    id: &str,
    notice: Option<String>,
    kept: Option<(&AppError, RecordForm)>,
) -> Page {
    business(u)?;
    let d = inspections::get_plan(&s.platform, &u.principal, id).await?;
    let (error, form) = match kept {
        Some((e, f)) => (Some(e.message.clone()), f),
        None => (None, RecordForm::default()),
    };
    let items = d
        .checklist
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let (status, note) = form.items.get(i).cloned().unwrap_or_default();
            ItemLine {
                index: i,
                text: text.clone(),
                status,
                note,
            }
        })
        .collect();
    let occurrences = d
        .occurrences
        .iter()
        .map(|c| OccurrenceLine {
            period: c.period_label.clone(),
            due_date: c.due_date.clone(),
            status: if c.done_late {
                "逾期完成".to_string()
            } else {
                c.status_label.to_string()
            },
            overdue: c.status == "overdue",
            done: c.done_at.map(fmt_minute).unwrap_or_default(),
            record_id: c
                .done_ref
                .as_deref()
                .and_then(|r| r.strip_prefix("inspection_record:"))
                .unwrap_or_default()
                .to_string(),
        })
        .collect();
    let records = d
        .records
        .iter()
        .map(|r| RecordLine {
            id: r.id.clone(),
            period: r.period_label.clone(),
            performed: fmt_minute(r.performed_at),
            performer: r.performer_name.clone(),
            abnormal_count: r.abnormal_count,
            ticket_id: r.ticket_id.clone().unwrap_or_default(),
            ticket_number: r.ticket_number.clone().unwrap_or_default(),
            summary: r.summary.clone(),
            results: r
                .results
                .iter()
                .enumerate()
                .map(|(i, x)| ResultLine {
                    index: i,
                    item: x.item.clone(),
                    status: inspections::item_status_label(&x.status),
                    abnormal: x.status == inspections::STATUS_ABNORMAL,
                    note: x.note.clone(),
                    file: x.attachment.as_ref().map(|f| f.filename.clone()),
                })
                .collect(),
        })
        .collect();
    let fileable = d
        .fileable
        .iter()
        .map(|c| {
            (
                c.id.clone(),
                format!(
                    "{}（截止 {}，{}）",
                    c.period_label, c.due_date, c.status_label
                ),
            )
        })
        .collect();
    let current = if form.control_id.is_empty() {
        // The current period's when open, otherwise the oldest overdue.
        d.fileable
            .iter()
            .find(|c| c.status != "overdue")
            .or(d.fileable.first())
            .map(|c| c.id.clone())
            .unwrap_or_default()
    } else {
        form.control_id.clone()
    };
    render(&PlanTpl {
        l: Layout::for_user(u, "/inspections").with(notice, error),
        items,
        occurrences,
        records,
        fileable: opts(fileable, &current),
        summary: form.summary,
        open_incident: form.open_incident,
        d,
    })
}

#[derive(Deserialize, Default)]
pub(super) struct MsgQuery {
    #[serde(default)]
    msg: String,
}

fn notice_of(msg: &str) -> Option<String> {
    Some(
        match msg {
            "saved" => "计划已保存",
            "unchanged" => "计划未作修改",
            _ => return None,
        }
        .to_string(),
    )
}

pub(super) async fn page(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<String>,
    Query(q): Query<MsgQuery>,
) -> Page {
    plan_view(&s, &u, &id, notice_of(&q.msg), None).await
}

async fn read_record_form(mut m: Multipart) -> Result<RecordForm, AppError> {
    let bad = || AppError::bad_request("request.invalid_form", "上传内容不完整或格式不正确");
    let too_big =
        || AppError::bad_request("inspection.attachment_size", "每项的照片或文件不超过20MB");
    let mut f = RecordForm::default();
    let slot = |f: &mut RecordForm, i: usize| {
        if f.items.len() <= i {
            f.items.resize(i + 1, Default::default());
        }
        if f.files.len() <= i {
            f.files.resize(i + 1, None);
        }
    };
    loop {
        let field = match m.next_field().await {
            Ok(Some(x)) => x,
            Ok(None) => break,
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(too_big())
            }
            Err(_) => return Err(bad()),
        };
        let name = field.name().unwrap_or_default().to_string();
        let index = |prefix: &str| {
            name.strip_prefix(prefix)
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|n| *n < inspections::MAX_ITEMS)
        };
        if let Some(i) = index("file_") {
            let filename = field.file_name().unwrap_or_default().to_string();
            let content = match field.bytes().await {
                Ok(b) => b.to_vec(),
                Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(too_big())
                }
                Err(_) => return Err(bad()),
            };
            if content.len() > inspections::MAX_ATTACHMENT_BYTES {
                return Err(too_big());
            }
            slot(&mut f, i);
            if !content.is_empty() {
                f.files[i] = Some(FileInput { filename, content });
            }
            continue;
        }
        let status_i = index("status_");
        let note_i = index("note_");
        let text = field.text().await.map_err(|_| bad())?;
        if let Some(i) = status_i {
            slot(&mut f, i);
            f.items[i].0 = text;
        } else if let Some(i) = note_i {
            slot(&mut f, i);
            f.items[i].1 = text;
        } else {
            match name.as_str() {
                "control_id" => f.control_id = text,
                "summary" => f.summary = text,
                "open_incident" => f.open_incident = !text.is_empty(),
                _ => {}
            }
        }
    }
    Ok(f)
}

/// Largest record form: a few photos plus the form around them.
pub(super) const RECORD_LIMIT: usize = 2 * inspections::MAX_ATTACHMENT_BYTES + 256 * 1024;

pub(super) async fn file_record(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    m: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Page {
    let m =
        m.map_err(|_| AppError::bad_request("request.invalid_form", "表单内容不完整或格式不正确"))?;
    // A form that cannot be read, or a file over the limit: the error page.
    let f = read_record_form(m).await?;
    business(&u)?;
    let input = RecordInput {
        control_id: Some(f.control_id.clone()).filter(|s| !s.is_empty()),
        results: f
            .items
            .iter()
            .enumerate()
            .map(|(i, (status, note))| ItemInput {
                status: status.clone(),
                note: note.clone(),
                attachment: f.files.get(i).cloned().flatten(),
            })
            .collect(),
        summary: f.summary.clone(),
        open_incident: f.open_incident,
    };
    match inspections::file_record(&s.platform, &ctx, &u.principal, &id, &input).await {
        Ok(r) => {
            let notice = match &r.ticket_id {
                Some(_) => "记录已登记，已为异常项登记事件".to_string(),
                None => "记录已登记".to_string(),
            };
            plan_view(&s, &u, &id, Some(notice), None).await
        }
        Err(e) if correctable(&e) => {
            let mut kept = f;
            kept.files.clear();
            refused(plan_view(&s, &u, &id, None, Some((&e, kept))).await, &e)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(super) struct ActiveForm {
    /// `true` resumes, `false` deactivates.
    #[serde(default)]
    active: String,
}

pub(super) async fn set_active(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<ActiveForm>,
) -> Page {
    business(&u)?;
    let active = f.active == "true";
    let input = PlanUpdate {
        active: Some(active),
        ..Default::default()
    };
    match inspections::update_plan(&s.platform, &ctx, &u.principal, &id, &input).await {
        Ok(_) => {
            let notice = if active {
                "计划已恢复"
            } else {
                "计划已停用"
            };
            plan_view(&s, &u, &id, Some(notice.into()), None).await
        }
        Err(e) if correctable(&e) => refused(
            plan_view(&s, &u, &id, None, Some((&e, RecordForm::default()))).await,
            &e,
        ),
        Err(e) => Err(e.into()),
    }
}

// ---- editing a plan ----

/// The edit form's values, kept when it is refused.
#[derive(Default, Deserialize)]
pub(super) struct EditForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    recurrence: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    first_date: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    ci_id: String,
    /// One item per line.
    #[serde(default)]
    checklist: String,
    /// `true` when the box 启用 is ticked (an unticked box sends nothing).
    #[serde(default)]
    active: String,
    /// The `updated_at` the editor read.
    #[serde(default)]
    expected_updated_at: String,
}

impl EditForm {
    fn of(p: &PlanRow) -> EditForm {
        let items: Vec<String> = serde_json::from_str(&p.checklist_json).unwrap_or_default();
        EditForm {
            name: p.name.clone(),
            recurrence: p.recurrence.clone(),
            org_id: p.org_id.clone(),
            first_date: p.first_date.clone(),
            source: p.source.clone(),
            ci_id: p.ci_id.clone().unwrap_or_default(),
            checklist: items.join("\n"),
            active: if p.active {
                "true".into()
            } else {
                String::new()
            },
            expected_updated_at: p.updated_at.to_string(),
        }
    }

    /// Every field as typed: an empty 配置项 clears it, an empty 制度依据
    /// goes back to the kind's default.
    fn input(&self) -> PlanUpdate {
        PlanUpdate {
            name: Some(self.name.clone()),
            recurrence: Some(self.recurrence.clone()),
            checklist: Some(vec![self.checklist.clone()]),
            org_id: Some(self.org_id.clone()).filter(|s| !s.trim().is_empty()),
            ci_id: Some(self.ci_id.clone()),
            source: Some(self.source.clone()),
            first_date: Some(self.first_date.clone()),
            active: Some(self.active == "true"),
            expected_updated_at: self.expected_updated_at.trim().parse().ok(),
        }
    }
}

#[derive(Template)]
#[template(path = "inspection_plan_edit.html")]
struct EditTpl {
    l: Layout,
    id: String,
    /// The plan's name as saved (the typed one may differ).
    saved_name: String,
    kind_label: &'static str,
    f: EditForm,
    orgs: Vec<Opt>,
    recurrences: Vec<Opt>,
}

/// The plan for its edit form: not found when the caller may not read it,
/// refused when they may read but not edit it.
async fn editable(s: &AppState, u: &UiUser, id: &str) -> Result<PlanRow, AppError> {
    business(u)?;
    let d = inspections::get_plan(&s.platform, &u.principal, id).await?;
    if !d.can_edit {
        return Err(AppError::forbidden(
            "无权修改该计划：超出您的角色或管理范围",
        ));
    }
    // The row itself, for the time it was last saved (the stale check).
    inspections::plan_row(&s.platform, &u.principal, id).await
}

async fn edit_view(
    s: &AppState,
    u: &UiUser,
    plan: &PlanRow,
    f: EditForm,
    error: Option<&AppError>,
) -> Page {
    let orgs = org_options(s, u, Action::RegisterEdit).await?;
    let page = render(&EditTpl {
        l: Layout::for_user(u, "/inspections").with(None, error.map(|e| e.message.clone())),
        id: plan.id.clone(),
        saved_name: plan.name.clone(),
        kind_label: inspections::kind_label(&plan.kind),
        orgs: opts(orgs, &f.org_id),
        recurrences: opts(recurrence_options(), &f.recurrence),
        f,
    });
    with_error(page, error)
}

pub(super) async fn edit_page(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<String>,
) -> Page {
    let plan = editable(&s, &u, &id).await?;
    edit_view(&s, &u, &plan, EditForm::of(&plan), None).await
}

pub(super) async fn edit(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<EditForm>,
) -> Page {
    let plan = editable(&s, &u, &id).await?;
    // A form read before someone else saved is refused by `update_plan`.
    let expected = f.expected_updated_at.trim().parse::<i64>().ok();
    let saved = inspections::update_plan(&s.platform, &ctx, &u.principal, &id, &f.input()).await;
    match saved {
        Ok(p) => {
            let msg = if Some(p.updated_at) == expected {
                "unchanged"
            } else {
                "saved"
            };
            Ok(
                Redirect::to(&format!("/inspections/{}?msg={msg}", urlencoding(&p.id)))
                    .into_response(),
            )
        }
        Err(e) if correctable(&e) => edit_view(&s, &u, &plan, f, Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn record_file(
    State(s): State<AppState>,
    u: UiUser,
    Path((rid, n)): Path<(String, usize)>,
) -> Page {
    business(&u)?;
    let (name, bytes) = inspections::record_file(&s.platform, &u.principal, &rid, n).await?;
    Ok(crate::api::tickets::attachment_response(&name, bytes))
}

// ---- maintenance records ----

const PER_PAGE: u64 = 20;

#[derive(Deserialize, Default, Clone)]
pub(super) struct MaintenanceQuery {
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    page: Option<u64>,
}

impl MaintenanceQuery {
    fn filter(&self) -> MaintenanceListFilter {
        MaintenanceListFilter {
            org_id: Some(self.org_id.clone()),
            kind: Some(self.kind.clone()),
            ci_id: None,
        }
    }
}

#[derive(Default, Deserialize)]
pub(super) struct MaintenanceForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    performed_at: String,
    #[serde(default)]
    ci_id: String,
    #[serde(default)]
    ticket: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    result: String,
}

struct MaintenanceLine {
    v: MaintenanceView,
    performed: String,
}

#[derive(Template)]
#[template(path = "inspection_maintenance.html")]
struct MaintenanceTpl {
    l: Layout,
    q: MaintenanceQuery,
    /// The export's reason as typed (kept when refused).
    reason: String,
    orgs: Vec<Opt>,
    kinds: Vec<Opt>,
    lines: Vec<MaintenanceLine>,
    total: i64,
    page: u64,
    pages: u64,
    prev_url: String,
    next_url: String,
    can_edit: bool,
    edit_orgs: Vec<Opt>,
    new_kinds: Vec<Opt>,
    draft: MaintenanceForm,
}

async fn maintenance_view(
    s: &AppState,
    u: &UiUser,
    q: MaintenanceQuery,
    draft: MaintenanceForm,
    reason: String,
    notice: Option<String>,
    error: Option<&AppError>,
) -> Page {
    business(u)?;
    let pr = &u.principal;
    let page_no = q.page.unwrap_or(1).max(1);
    let f = q.filter();
    let mut shown_error = error.map(|e| e.message.clone());
    let page = match inspections::list_maintenance(&s.platform, pr, &f, page_no, PER_PAGE).await {
        Ok(p) => p,
        Err(e) if correctable(&e) && e.kind != yunwei_domain::ErrorKind::Forbidden => {
            shown_error = shown_error.or(Some(e.message));
            inspections::MaintenancePage {
                records: vec![],
                total: 0,
                page: 1,
                per_page: PER_PAGE,
            }
        }
        Err(e) => return Err(e.into()),
    };
    let can_edit = inspections::can_edit_somewhere(pr);
    let edit_orgs = if can_edit {
        org_options(s, u, Action::RegisterEdit).await?
    } else {
        vec![]
    };
    let orgs = org_options(s, u, Action::BusinessRead).await?;
    let pages = (page.total as u64).div_ceil(PER_PAGE).max(1);
    let url = |n: u64| {
        format!(
            "/maintenance?org_id={}&kind={}&page={n}",
            urlencoding(&q.org_id),
            urlencoding(&q.kind)
        )
    };
    let current_org = if draft.org_id.is_empty() {
        pr.org_id.clone()
    } else {
        draft.org_id.clone()
    };
    render(&MaintenanceTpl {
        l: Layout::for_user(u, "/maintenance").with(notice, shown_error),
        orgs: opts(orgs, &q.org_id),
        kinds: opts(maintenance_kind_options(), &q.kind),
        lines: page
            .records
            .into_iter()
            .map(|v| MaintenanceLine {
                performed: fmt_minute(v.performed_at),
                v,
            })
            .collect(),
        total: page.total,
        page: page.page,
        pages,
        prev_url: url(page_no.saturating_sub(1).max(1)),
        next_url: url(page_no + 1),
        can_edit,
        edit_orgs: opts(edit_orgs, &current_org),
        new_kinds: opts(maintenance_kind_options(), &draft.kind),
        draft,
        q,
        reason,
    })
}

pub(super) async fn maintenance(
    State(s): State<AppState>,
    u: UiUser,
    Query(q): Query<MaintenanceQuery>,
) -> Page {
    maintenance_view(
        &s,
        &u,
        q,
        MaintenanceForm::default(),
        String::new(),
        None,
        None,
    )
    .await
}

#[derive(Deserialize)]
pub(super) struct MaintenanceExportForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    kind: String,
}

/// The records as filtered, to Excel (audited); a refusal (no reason)
/// comes back on the list with the filters and the reason kept.
pub(super) async fn maintenance_export(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<MaintenanceExportForm>,
) -> Page {
    business(&u)?;
    let q = MaintenanceQuery {
        org_id: f.org_id,
        kind: f.kind,
        page: None,
    };
    match inspections::export_maintenance(&s.platform, &ctx, &u.principal, &q.filter(), &f.reason)
        .await
    {
        Ok(bytes) => Ok(crate::api::xlsx("maintenance-records.xlsx", bytes)),
        Err(e) if correctable(&e) => refused(
            maintenance_view(
                &s,
                &u,
                q,
                MaintenanceForm::default(),
                f.reason,
                None,
                Some(&e),
            )
            .await,
            &e,
        ),
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn maintenance_create(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<MaintenanceForm>,
) -> Page {
    business(&u)?;
    let input = MaintenanceInput {
        kind: f.kind.clone(),
        description: f.description.clone(),
        result: f.result.clone(),
        org_id: Some(f.org_id.clone()).filter(|s| !s.is_empty()),
        ci_id: Some(f.ci_id.clone()),
        performed_at: Some(f.performed_at.clone()),
        ticket: Some(f.ticket.clone()),
    };
    match inspections::create_maintenance(&s.platform, &ctx, &u.principal, &input).await {
        Ok(_) => {
            maintenance_view(
                &s,
                &u,
                MaintenanceQuery::default(),
                MaintenanceForm::default(),
                String::new(),
                Some("维护记录已登记".into()),
                None,
            )
            .await
        }
        Err(e) if correctable(&e) => refused(
            maintenance_view(
                &s,
                &u,
                MaintenanceQuery::default(),
                f,
                String::new(),
                None,
                Some(&e),
            )
            .await,
            &e,
        ),
        Err(e) => Err(e.into()),
    }
}
