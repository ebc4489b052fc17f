//! `/cmdb`: the configuration management pages (EEDS-1.3, EEDS-3.6,
//! JSCZ-10; ADR 0005). The list with filters, paging, Excel export and,
//! for those who keep the register, Excel import and the 登记 form; an
//! item with its relations, impact, tickets and addresses; the IP address
//! plan. Every check is in `yunwei_core::cmdb`; a refusal comes back on
//! the page it came from with what was typed.

use crate::extract::Query;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use yunwei_core::cmdb::CiRow;
use yunwei_core::cmdb::{
    self, AllocationInput, CiDetail, CiInput, RelationInput, RowError, SegmentInput,
};
use yunwei_domain::cmdb::{Category, CiStatus, RelationKind};
use yunwei_domain::roles::Action;
use yunwei_domain::time::{date_in_shanghai, fmt_minute};
use yunwei_domain::AppError;

use super::error::{correctable, with_error, Page, UiError};
use super::form::{
    bad_upload, indented, opts, org_choices, read_upload, urlencoding, Opt, UiForm, Upload,
};
use super::page::{render, Layout};
use super::session::UiUser;
use crate::extract::ReqCtx;
use crate::AppState;

/// Items on one page of the list.
const PER_PAGE: u64 = 50;
/// Largest import file.
const MAX_IMPORT_BYTES: usize = yunwei_core::import::MAX_FILE_BYTES;
/// Largest import request: the file plus the form around it.
pub(super) const IMPORT_LIMIT: usize = MAX_IMPORT_BYTES + 64 * 1024;
/// What an item the caller may not read is called (`core::cmdb`).
const HIDDEN: &str = "（无权查看）";

/// The CMDB is read with `BusinessRead`; the three administrators are
/// refused.
fn readers(u: &UiUser) -> Result<(), AppError> {
    cmdb::may_read(&u.principal).map(|_| ())
}

/// Forms that write the register need `RegisterEdit` somewhere.
fn editor(u: &UiUser) -> Result<(), AppError> {
    readers(u)?;
    u.principal
        .authorize_somewhere(Action::RegisterEdit)
        .map(|_| ())
}

fn category_opts(current: &str) -> Vec<Opt> {
    opts(
        Category::ALL
            .iter()
            .map(|c| (c.as_str().to_string(), c.label().to_string()))
            .collect(),
        current,
    )
}

fn status_opts(current: &str) -> Vec<Opt> {
    opts(
        CiStatus::ALL
            .iter()
            .map(|c| (c.as_str().to_string(), c.label().to_string()))
            .collect(),
        current,
    )
}

fn kind_opts(current: &str) -> Vec<Opt> {
    opts(
        RelationKind::ALL
            .iter()
            .map(|k| (k.as_str().to_string(), k.label().to_string()))
            .collect(),
        current,
    )
}

/// Organisations the caller may act on, indented, the current one
/// selected.
async fn org_opts(
    s: &AppState,
    u: &UiUser,
    action: Action,
    current: &str,
) -> Result<Vec<Opt>, UiError> {
    let list = org_choices(s, u, action).await?;
    Ok(opts(
        list.iter().map(|o| (o.id.clone(), indented(o))).collect(),
        current,
    ))
}

/// How to fill each column of the import sheet.
fn column_note(col: &str, orgs: &[String]) -> String {
    let labels = |all: Vec<&str>| all.join("、");
    match col {
        "编号" => "留空则自动生成（CI-开头）；不能包含空格或斜杠，不能与已有编号重复".into(),
        "名称" => "必填，不超过200字".into(),
        "类别" => format!(
            "必填（EEDS-1.3），填写：{}",
            labels(Category::ALL.iter().map(|c| c.label()).collect())
        ),
        "类型" => "如 服务器、交换机、数据库、中间件".into(),
        "所属机构" => {
            let mut shown: Vec<&str> = orgs.iter().take(30).map(String::as_str).collect();
            if orgs.len() > 30 {
                shown.push("……");
            }
            format!(
                "必填，填写机构名称，须在您可维护的范围内：{}",
                shown.join("、")
            )
        }
        "维护厂商" => "负责维护的厂商名称".into(),
        "位置" => "机房、机柜等存放位置".into(),
        "状态" => format!(
            "留空为在用；可填：{}",
            labels(CiStatus::ALL.iter().map(|c| c.label()).collect())
        ),
        "IP地址" => "须属于已登记的网段，且未分配给其他配置项".into(),
        "版本" => "软件版本".into(),
        "补丁级别" => "已安装的补丁".into(),
        "许可证" => "许可证编号或说明".into(),
        "许可到期" => "日期，如 2027-06-30".into(),
        "备注" => "不超过4000字".into(),
        _ => String::new(),
    }
}

// ---- the list ----

#[derive(Deserialize, Default, Clone)]
pub(super) struct ListQuery {
    #[serde(default)]
    category: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: String,
}

impl ListQuery {
    fn core(&self) -> cmdb::ListQuery {
        cmdb::ListQuery {
            category: self.category.clone(),
            status: self.status.clone(),
            org_id: self.org_id.clone(),
            q: self.q.clone(),
        }
    }

    fn page(&self) -> u64 {
        self.page.trim().parse::<u64>().unwrap_or(1).max(1)
    }

    fn url(&self, page: u64) -> String {
        format!(
            "/cmdb?category={}&status={}&org_id={}&q={}&page={page}",
            urlencoding(&self.category),
            urlencoding(&self.status),
            urlencoding(&self.org_id),
            urlencoding(&self.q),
        )
    }
}

struct Line {
    id: String,
    code: String,
    name: String,
    category: &'static str,
    ci_type: String,
    org: String,
    vendor: String,
    location: String,
    status: &'static str,
    version: String,
}

/// A column of the import sheet: (name, required, how to fill it).
type Column = (&'static str, bool, String);

#[derive(Template)]
#[template(path = "cmdb.html")]
struct ListTpl {
    l: Layout,
    q: ListQuery,
    categories: Vec<Opt>,
    statuses: Vec<Opt>,
    orgs: Vec<Opt>,
    lines: Vec<Line>,
    total: i64,
    page: u64,
    pages: u64,
    prev_url: String,
    next_url: String,
    reason: String,
    can_edit: bool,
    columns: Vec<Column>,
}

async fn list_view(
    s: &AppState,
    u: &UiUser,
    q: ListQuery,
    reason: String,
    error: Option<&AppError>,
) -> Page {
    let p = &s.platform;
    let pr = &u.principal;
    let page_no = q.page();
    let (page, list_error) = match cmdb::list(p, pr, &q.core(), page_no, PER_PAGE).await {
        Ok(page) => (page, None),
        // A filter that does not parse (a hand-made URL) is shown, not fatal.
        Err(e) if correctable(&e) && e.kind != yunwei_domain::ErrorKind::Forbidden => (
            cmdb::CiPage {
                items: vec![],
                total: 0,
            },
            Some(e),
        ),
        Err(e) => return Err(e.into()),
    };
    let error = error.or(list_error.as_ref());
    let shown = error.map(|e| e.message.clone());
    with_error(
        list_render(s, u, q, reason, page, page_no, shown).await,
        error,
    )
}

async fn list_render(
    s: &AppState,
    u: &UiUser,
    q: ListQuery,
    reason: String,
    page: cmdb::CiPage,
    page_no: u64,
    error: Option<String>,
) -> Page {
    let pr = &u.principal;
    let can_edit = pr.can_somewhere(Action::RegisterEdit);
    let orgs = org_opts(s, u, Action::BusinessRead, &q.org_id).await?;
    let editable: Vec<String> = if can_edit {
        org_choices(s, u, Action::RegisterEdit)
            .await?
            .into_iter()
            .map(|o| o.name)
            .collect()
    } else {
        vec![]
    };
    let lines: Vec<Line> = page
        .items
        .into_iter()
        .map(|v| Line {
            category: v.category_label,
            status: v.status_label,
            org: v.org_name,
            id: v.ci.id,
            code: v.ci.code,
            name: v.ci.name,
            ci_type: v.ci.ci_type,
            vendor: v.ci.vendor,
            location: v.ci.location,
            version: v.ci.version,
        })
        .collect();
    let pages = (page.total as u64).div_ceil(PER_PAGE).max(1);
    render(&ListTpl {
        l: Layout::for_user(u, "/cmdb").with(None, error),
        categories: category_opts(&q.category),
        statuses: status_opts(&q.status),
        orgs,
        lines,
        total: page.total,
        page: page_no,
        pages,
        prev_url: q.url(page_no.saturating_sub(1).max(1)),
        next_url: q.url(page_no + 1),
        reason,
        can_edit,
        columns: cmdb::COLUMNS
            .iter()
            .map(|(c, req)| (*c, *req, column_note(c, &editable)))
            .collect(),
        q,
    })
}

pub(super) async fn list(State(s): State<AppState>, u: UiUser, Query(q): Query<ListQuery>) -> Page {
    readers(&u)?;
    list_view(&s, &u, q, String::new(), None).await
}

#[derive(Deserialize)]
pub(super) struct ExportForm {
    #[serde(default)]
    reason: String,
    #[serde(flatten)]
    q: ListQuery,
}

pub(super) async fn export(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<ExportForm>,
) -> Page {
    readers(&u)?;
    match cmdb::export(&s.platform, &ctx, &u.principal, &f.q.core(), &f.reason).await {
        Ok(bytes) => Ok(crate::api::xlsx("cmdb.xlsx", bytes)),
        Err(e) if correctable(&e) => list_view(&s, &u, f.q, f.reason, Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}

/// The import template: the columns on the first sheet, how to fill them
/// on the second.
pub(super) async fn template(State(s): State<AppState>, u: UiUser) -> Page {
    editor(&u)?;
    let editable: Vec<String> = org_choices(&s, &u, Action::RegisterEdit)
        .await?
        .into_iter()
        .map(|o| o.name)
        .collect();
    let mut notes = vec![vec!["列".to_string(), "是否必填".into(), "填写说明".into()]];
    for (c, req) in cmdb::COLUMNS {
        notes.push(vec![
            c.to_string(),
            if req { "必填" } else { "选填" }.into(),
            column_note(c, &editable),
        ]);
    }
    let bytes = yunwei_core::export::template_xlsx("配置项", &cmdb::COLUMNS, "填写说明", &notes)?;
    Ok(crate::api::xlsx("cmdb-template.xlsx", bytes))
}

// ---- import ----

fn too_big() -> AppError {
    AppError::bad_request(
        "cmdb.import_size",
        "请选择要导入的 Excel 文件（不超过10MB）",
    )
}

/// Whether an import form asked for a check only.
pub(super) fn dry_run(up: &Upload) -> bool {
    matches!(up.field("dry_run").as_str(), "true" | "on" | "1")
}

#[derive(Template)]
#[template(path = "cmdb_import.html")]
struct ImportTpl {
    l: Layout,
    filename: String,
    dry_run: bool,
    rows: usize,
    created: usize,
    valid: usize,
    errors: Vec<RowError>,
}

pub(super) async fn import(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    m: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Page {
    let m = m.map_err(|_| bad_upload())?;
    // A form that cannot be read, or a file over the limit: the error page.
    let up = read_upload(m, MAX_IMPORT_BYTES, too_big).await?;
    editor(&u)?;
    if up.content.is_empty() {
        let e = too_big();
        return list_view(&s, &u, ListQuery::default(), String::new(), Some(&e)).await;
    }
    match cmdb::import(&s.platform, &ctx, &u.principal, &up.content, dry_run(&up)).await {
        Ok(r) => {
            let notice = if r.dry_run {
                format!(
                    "校验完成：读取 {} 行，{} 行可导入（仅校验，未导入）",
                    r.rows, r.valid
                )
            } else {
                format!("导入完成：读取 {} 行、导入 {} 行", r.rows, r.created)
            };
            render(&ImportTpl {
                l: Layout::for_user(&u, "/cmdb").with(Some(notice), None),
                filename: up.filename,
                dry_run: r.dry_run,
                rows: r.rows,
                created: r.created,
                valid: r.valid,
                errors: r.errors,
            })
        }
        Err(e) if correctable(&e) => {
            list_view(&s, &u, ListQuery::default(), String::new(), Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- the form ----

/// The item form as posted (and shown again when refused).
#[derive(Deserialize, Default)]
pub(super) struct CiForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    ci_type: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    vendor: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    patch_level: String,
    #[serde(default)]
    licence: String,
    #[serde(default)]
    licence_expires: String,
    #[serde(default)]
    notes: String,
    /// The `updated_at` the editor read (edit only).
    #[serde(default)]
    expected_updated_at: String,
}

impl CiForm {
    fn input(&self) -> CiInput {
        CiInput {
            code: self.code.clone(),
            name: self.name.clone(),
            category: self.category.clone(),
            ci_type: self.ci_type.clone(),
            org_id: self.org_id.clone(),
            vendor: self.vendor.clone(),
            location: self.location.clone(),
            status: self.status.clone(),
            version: self.version.clone(),
            patch_level: self.patch_level.clone(),
            licence: self.licence.clone(),
            licence_expires: self.licence_expires.clone(),
            notes: self.notes.clone(),
        }
    }

    fn of(a: &CiRow) -> CiForm {
        CiForm {
            code: a.code.clone(),
            name: a.name.clone(),
            category: a.category.clone(),
            ci_type: a.ci_type.clone(),
            org_id: a.org_id.clone(),
            vendor: a.vendor.clone(),
            location: a.location.clone(),
            status: a.status.clone(),
            version: a.version.clone(),
            patch_level: a.patch_level.clone(),
            licence: a.licence.clone(),
            licence_expires: a.licence_expires.clone().unwrap_or_default(),
            notes: a.notes.clone(),
            expected_updated_at: a.updated_at.to_string(),
        }
    }
}

#[derive(Template)]
#[template(path = "cmdb_form.html")]
struct FormTpl {
    l: Layout,
    /// The item being edited (`None`: a new one) and its code as saved.
    editing: Option<(String, String)>,
    f: CiForm,
    categories: Vec<Opt>,
    statuses: Vec<Opt>,
    orgs: Vec<Opt>,
}

async fn form_view(
    s: &AppState,
    u: &UiUser,
    editing: Option<(String, String)>,
    mut f: CiForm,
    error: Option<&AppError>,
) -> Page {
    if f.org_id.is_empty() {
        f.org_id = u.principal.org_id.clone();
    }
    if f.status.is_empty() {
        f.status = CiStatus::InUse.as_str().into();
    }
    let page = render(&FormTpl {
        l: Layout::for_user(u, "/cmdb").with(None, error.map(|e| e.message.clone())),
        categories: category_opts(&f.category),
        statuses: status_opts(&f.status),
        orgs: org_opts(s, u, Action::RegisterEdit, &f.org_id).await?,
        editing,
        f,
    });
    with_error(page, error)
}

pub(super) async fn new_page(State(s): State<AppState>, u: UiUser) -> Page {
    editor(&u)?;
    form_view(&s, &u, None, CiForm::default(), None).await
}

pub(super) async fn create(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<CiForm>,
) -> Page {
    editor(&u)?;
    match cmdb::create(&s.platform, &ctx, &u.principal, &f.input()).await {
        Ok(a) => back_to(&a.id, "created"),
        Err(e) if correctable(&e) => form_view(&s, &u, None, f, Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}

/// The item for its edit form: refused when the caller may read but not
/// keep it.
async fn editable(s: &AppState, u: &UiUser, id: &str) -> Result<CiDetail, UiError> {
    let d = cmdb::detail(&s.platform, &u.principal, id).await?;
    if !d.can_edit {
        return Err(AppError::forbidden("无权维护该配置项：超出您的角色或管理范围").into());
    }
    Ok(d)
}

pub(super) async fn edit_page(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<String>,
) -> Page {
    readers(&u)?;
    let d = editable(&s, &u, &id).await?;
    let f = CiForm::of(&d.ci.ci);
    form_view(&s, &u, Some((d.ci.ci.id, d.ci.ci.code)), f, None).await
}

pub(super) async fn edit(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<CiForm>,
) -> Page {
    readers(&u)?;
    let expected = f.expected_updated_at.trim().parse::<i64>().ok();
    match cmdb::update(&s.platform, &ctx, &u.principal, &id, &f.input(), expected).await {
        Ok(a) => back_to(&a.id, "saved"),
        Err(e) if correctable(&e) => {
            let d = editable(&s, &u, &id).await?;
            form_view(&s, &u, Some((d.ci.ci.id, d.ci.ci.code)), f, Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- one item ----

struct RelLine {
    id: String,
    label: String,
    outgoing: bool,
    other_id: String,
    other_code: String,
    other_name: String,
    visible: bool,
}

struct TicketLine {
    id: String,
    number: String,
    title: String,
    state: String,
    closed: bool,
}

#[derive(Template)]
#[template(path = "cmdb_item.html")]
struct ItemTpl {
    l: Layout,
    d: CiDetail,
    licence_expires: String,
    licence_expired: bool,
    updated: String,
    relations: Vec<RelLine>,
    tickets: Vec<TicketLine>,
    kinds: Vec<Opt>,
    /// The relation form as typed (kept when refused).
    rel_to: String,
}

/// The label of a ticket's state: the state's label in the processes of
/// that id (joined when packs name it differently), else the id.
fn state_label(s: &AppState, process: &str, state: &str) -> String {
    let mut labels: Vec<String> = Vec::new();
    for st in s
        .platform
        .packs
        .iter()
        .flat_map(|pk| pk.processes.iter())
        .filter(|pr| pr.id == process)
        .flat_map(|pr| pr.states.iter())
        .filter(|st| st.id == state)
    {
        if !labels.contains(&st.label) {
            labels.push(st.label.clone());
        }
    }
    if labels.is_empty() {
        state.to_string()
    } else {
        labels.join("／")
    }
}

fn notice_of(msg: &str) -> Option<String> {
    Some(
        match msg {
            "created" => "配置项已登记",
            "saved" => "已保存",
            "relation_added" => "关系已添加",
            "relation_removed" => "关系已删除",
            _ => return None,
        }
        .to_string(),
    )
}

fn back_to(id: &str, msg: &str) -> Page {
    Ok(Redirect::to(&format!("/cmdb/{}?msg={msg}", urlencoding(id))).into_response())
}

async fn item_view(
    s: &AppState,
    u: &UiUser,
    id: &str,
    notice: Option<String>,
    error: Option<&AppError>,
    kept: Option<&RelationInput>,
) -> Page {
    let d = cmdb::detail(&s.platform, &u.principal, id).await?;
    let today = date_in_shanghai(s.platform.clock.now()).to_string();
    let licence_expires = d.ci.ci.licence_expires.clone().unwrap_or_default();
    let relations = d
        .relations
        .iter()
        .map(|r| RelLine {
            id: r.id.clone(),
            label: r.label.clone(),
            outgoing: r.outgoing,
            other_id: r.other_id.clone(),
            other_code: r.other_code.clone(),
            visible: r.other_name != HIDDEN,
            other_name: r.other_name.clone(),
        })
        .collect();
    let tickets = d
        .tickets
        .iter()
        .map(|t| TicketLine {
            id: t.ticket_id.clone(),
            number: t.number.clone(),
            title: t.title.clone(),
            state: state_label(s, &t.process_id, &t.state),
            closed: t.closed,
        })
        .collect();
    let page = render(&ItemTpl {
        l: Layout::for_user(u, "/cmdb").with(notice, error.map(|e| e.message.clone())),
        licence_expired: !licence_expires.is_empty() && licence_expires < today,
        licence_expires,
        updated: fmt_minute(d.ci.ci.updated_at),
        relations,
        tickets,
        kinds: kind_opts(kept.map(|k| k.kind.as_str()).unwrap_or("runs_on")),
        rel_to: kept.map(|k| k.to.clone()).unwrap_or_default(),
        d,
    });
    with_error(page, error)
}

#[derive(Deserialize, Default)]
pub(super) struct MsgQuery {
    #[serde(default)]
    msg: String,
}

pub(super) async fn page(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<String>,
    Query(q): Query<MsgQuery>,
) -> Page {
    readers(&u)?;
    item_view(&s, &u, &id, notice_of(&q.msg), None, None).await
}

#[derive(Deserialize)]
pub(super) struct RelationForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    to: String,
}

pub(super) async fn add_relation(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<RelationForm>,
) -> Page {
    readers(&u)?;
    let input = RelationInput {
        to: f.to,
        kind: f.kind,
    };
    match cmdb::add_relation(&s.platform, &ctx, &u.principal, &id, &input).await {
        Ok(_) => back_to(&id, "relation_added"),
        Err(e) if correctable(&e) => item_view(&s, &u, &id, None, Some(&e), Some(&input)).await,
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn remove_relation(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path((id, rid)): Path<(String, String)>,
) -> Page {
    readers(&u)?;
    match cmdb::remove_relation(&s.platform, &ctx, &u.principal, &rid).await {
        Ok(()) => back_to(&id, "relation_removed"),
        Err(e) if correctable(&e) => item_view(&s, &u, &id, None, Some(&e), None).await,
        Err(e) => Err(e.into()),
    }
}

// ---- the IP address plan ----

struct SegLine {
    id: String,
    cidr: String,
    name: String,
    org: String,
    used: usize,
    capacity: String,
}

async fn seg_line(
    s: &AppState,
    u: &UiUser,
    v: &[cmdb::SegmentView],
) -> Result<Vec<SegLine>, UiError> {
    let orgs = org_choices(s, u, Action::BusinessRead).await?;
    Ok(v.iter()
        .map(|v| SegLine {
            id: v.segment.id.clone(),
            cidr: v.segment.cidr.clone(),
            name: v.segment.name.clone(),
            org: orgs
                .iter()
                .find(|o| o.id == v.segment.org_id)
                .map(|o| o.name.clone())
                .unwrap_or_default(),
            used: v.used,
            capacity: v.capacity.to_string(),
        })
        .collect())
}

/// The segment form as typed.
#[derive(Deserialize, Default)]
pub(super) struct SegmentForm {
    #[serde(default)]
    cidr: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    org_id: String,
}

#[derive(Template)]
#[template(path = "ip_segments.html")]
struct SegmentsTpl {
    l: Layout,
    segments: Vec<SegLine>,
    can_edit: bool,
    orgs: Vec<Opt>,
    f: SegmentForm,
}

async fn segments_view(
    s: &AppState,
    u: &UiUser,
    mut f: SegmentForm,
    error: Option<&AppError>,
) -> Page {
    let list = cmdb::segments(&s.platform, &u.principal).await?;
    let can_edit = u.principal.can_somewhere(Action::RegisterEdit);
    if f.org_id.is_empty() {
        f.org_id = u.principal.org_id.clone();
    }
    let orgs = if can_edit {
        org_opts(s, u, Action::RegisterEdit, &f.org_id).await?
    } else {
        vec![]
    };
    let page = render(&SegmentsTpl {
        l: Layout::for_user(u, "/cmdb").with(None, error.map(|e| e.message.clone())),
        segments: seg_line(s, u, &list).await?,
        can_edit,
        orgs,
        f,
    });
    with_error(page, error)
}

pub(super) async fn segments(State(s): State<AppState>, u: UiUser) -> Page {
    readers(&u)?;
    segments_view(&s, &u, SegmentForm::default(), None).await
}

pub(super) async fn create_segment(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<SegmentForm>,
) -> Page {
    editor(&u)?;
    let input = SegmentInput {
        cidr: f.cidr.clone(),
        name: f.name.clone(),
        org_id: f.org_id.clone(),
    };
    match cmdb::create_segment(&s.platform, &ctx, &u.principal, &input).await {
        Ok(seg) => segment_back(&seg.id, "segment_created"),
        Err(e) if correctable(&e) => segments_view(&s, &u, f, Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}

struct AllocLine {
    id: String,
    address: String,
    ci_id: String,
    ci_code: String,
    ci_name: String,
    purpose: String,
    at: String,
}

/// The allocation form as typed.
#[derive(Deserialize, Default)]
pub(super) struct AllocForm {
    #[serde(default)]
    address: String,
    #[serde(default)]
    ci: String,
    #[serde(default)]
    purpose: String,
}

#[derive(Template)]
#[template(path = "ip_segment.html")]
struct SegmentTpl {
    l: Layout,
    seg: SegLine,
    allocations: Vec<AllocLine>,
    can_edit: bool,
    f: AllocForm,
}

fn segment_notice(msg: &str) -> Option<String> {
    Some(
        match msg {
            "segment_created" => "网段已登记",
            "allocated" => "地址已分配",
            "released" => "地址已释放",
            _ => return None,
        }
        .to_string(),
    )
}

fn segment_back(id: &str, msg: &str) -> Page {
    Ok(Redirect::to(&format!("/cmdb/ip/{}?msg={msg}", urlencoding(id))).into_response())
}

async fn segment_view(
    s: &AppState,
    u: &UiUser,
    id: &str,
    notice: Option<String>,
    f: AllocForm,
    error: Option<&AppError>,
) -> Page {
    let d = cmdb::segment_detail(&s.platform, &u.principal, id).await?;
    let seg = seg_line(s, u, std::slice::from_ref(&d.segment))
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found("网段"))?;
    let allocations = d
        .allocations
        .into_iter()
        .map(|a| AllocLine {
            id: a.allocation.id,
            address: a.allocation.address,
            ci_id: a.allocation.ci_id.unwrap_or_default(),
            ci_code: a.ci_code,
            ci_name: a.ci_name,
            purpose: a.allocation.purpose,
            at: fmt_minute(a.allocation.created_at),
        })
        .collect();
    let page = render(&SegmentTpl {
        l: Layout::for_user(u, "/cmdb").with(notice, error.map(|e| e.message.clone())),
        seg,
        allocations,
        can_edit: d.can_edit,
        f,
    });
    with_error(page, error)
}

pub(super) async fn segment(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<String>,
    Query(q): Query<MsgQuery>,
) -> Page {
    readers(&u)?;
    segment_view(
        &s,
        &u,
        &id,
        segment_notice(&q.msg),
        AllocForm::default(),
        None,
    )
    .await
}

pub(super) async fn allocate(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<AllocForm>,
) -> Page {
    readers(&u)?;
    let input = AllocationInput {
        address: f.address.clone(),
        ci: f.ci.clone(),
        purpose: f.purpose.clone(),
    };
    match cmdb::allocate(&s.platform, &ctx, &u.principal, &id, &input).await {
        Ok(_) => segment_back(&id, "allocated"),
        Err(e) if correctable(&e) => segment_view(&s, &u, &id, None, f, Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn release(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path((id, aid)): Path<(String, String)>,
) -> Page {
    readers(&u)?;
    match cmdb::release(&s.platform, &ctx, &u.principal, &aid).await {
        Ok(()) => segment_back(&id, "released"),
        Err(e) if correctable(&e) => {
            segment_view(&s, &u, &id, None, AllocForm::default(), Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}
