//! `/registers`: the pages of the declarative registers (ADR 0006), one set
//! for all of them, drawn from their specs: the index by group, a list with
//! filters, sorting, paging and the audited Excel export, the entry page
//! with its flags, steps, records below it, due dates and version history,
//! and the forms. Every check is in `yunwei_core::registers`.

use std::collections::BTreeMap;

use crate::extract::Query;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use yunwei_core::controls::ControlView;
use yunwei_core::register_rules;
use yunwei_core::registers::{
    self, ChildList, EntryDetail, EntryInput, EntryView, HistoryView, ListFilter,
};
use yunwei_domain::register::{self as spec, Kind, Spec};
use yunwei_domain::time::fmt_minute;
use yunwei_domain::AppError;

use super::error::{correctable, with_error, Page, UiError};
use super::form::{bad_upload, opts, org_options, read_upload, urlencoding, Opt, UiForm};
use super::page::{render, Layout};
use super::session::UiUser;
use crate::extract::ReqCtx;
use crate::AppState;

fn spec_of(key: &str) -> Result<&'static Spec, AppError> {
    registers::spec_of(key)
}

fn readable(u: &UiUser, spec: &Spec) -> Result<(), AppError> {
    if u.principal.can_somewhere(spec.read) {
        Ok(())
    } else {
        Err(AppError::forbidden(format!(
            "无权查看{}（系统管理员、安全管理员和审计管理员不办理业务）",
            spec.label
        )))
    }
}

/// An entry as a row of a table: the listed columns' values with links.
struct Row {
    id: String,
    register: &'static str,
    title: String,
    org_name: String,
    flags: Vec<String>,
    cells: Vec<(String, Option<String>)>,
    created: String,
}

/// The listed fields of a register (the parent reference left out).
fn columns(spec: &Spec) -> Vec<&'static spec::Field> {
    spec.fields
        .iter()
        .filter(|f| f.listed && Some(f.name) != spec.parent.map(|p| p.1))
        .collect()
}

fn row(spec: &Spec, e: &EntryView) -> Row {
    let cells = columns(spec)
        .iter()
        .map(|c| {
            e.fields
                .iter()
                .find(|f| f.name == c.name)
                .map(|f| (f.display.clone(), f.link.clone()))
                .unwrap_or_default()
        })
        .collect();
    Row {
        id: e.id.clone(),
        register: e.register,
        title: e.title.clone(),
        org_name: e.org_name.clone(),
        flags: e.flags.clone(),
        cells,
        created: fmt_minute(e.created_at),
    }
}

fn headers(spec: &Spec) -> Vec<&'static str> {
    columns(spec).iter().map(|f| f.label).collect()
}

// ---- index ----

struct GroupView {
    name: &'static str,
    registers: Vec<registers::RegisterInfo>,
}

#[derive(Template)]
#[template(path = "registers.html")]
struct IndexTpl {
    l: Layout,
    groups: Vec<GroupView>,
    /// The viewer may open 到期事项 (the link is shown only then).
    controls_link: bool,
}

pub(super) async fn index(u: UiUser) -> Page {
    let list = registers::registers(&u.principal)?;
    if list.is_empty() {
        return Err(AppError::forbidden(
            "无权查看运维台账（系统管理员、安全管理员和审计管理员不办理业务）",
        )
        .into());
    }
    let mut groups: Vec<GroupView> = vec![];
    for r in list {
        match groups.iter_mut().find(|g| g.name == r.group) {
            Some(g) => g.registers.push(r),
            None => groups.push(GroupView {
                name: r.group,
                registers: vec![r],
            }),
        }
    }
    render(&IndexTpl {
        l: Layout::for_user(&u, "/registers"),
        groups,
        controls_link: yunwei_core::controls::may_view(&u.principal),
    })
}

// ---- list ----

#[derive(Deserialize, Default, Clone)]
pub(super) struct ListQ {
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    order: String,
    #[serde(default)]
    page: Option<u64>,
    #[serde(default)]
    parent_id: String,
}

impl ListQ {
    fn filter(&self) -> ListFilter {
        ListFilter {
            org_id: Some(self.org_id.clone()),
            parent_id: Some(self.parent_id.clone()),
            status: Some(self.status.clone()),
            q: Some(self.q.clone()),
            sort: Some(self.sort.clone()),
            order: Some(self.order.clone()),
            page: self.page,
        }
    }

    /// The query string of this filter on another page.
    fn link(&self, page: u64) -> String {
        format!(
            "org_id={}&status={}&q={}&sort={}&order={}&parent_id={}&page={page}",
            urlencoding(&self.org_id),
            urlencoding(&self.status),
            urlencoding(&self.q),
            urlencoding(&self.sort),
            urlencoding(&self.order),
            urlencoding(&self.parent_id),
        )
    }
}

#[derive(Template)]
#[template(path = "register_list.html")]
struct ListTpl {
    l: Layout,
    spec: &'static Spec,
    headers: Vec<&'static str>,
    orgs: Vec<Opt>,
    statuses: Vec<Opt>,
    sorts: Vec<Opt>,
    q: ListQ,
    rows: Vec<Row>,
    total: i64,
    page: u64,
    pages: u64,
    prev: Option<String>,
    next: Option<String>,
    can_file: bool,
    reason: String,
    /// The register takes Excel / CSV imports and the caller may file.
    can_import: bool,
    /// The last import's rows refused: (line, reason).
    import_errors: Vec<registers::RowError>,
    /// The periodic reviews owed (安全检查与审查 only).
    reviews_due: Vec<yunwei_core::controls::ControlView>,
}

fn status_choices(spec: &Spec) -> Vec<(String, String)> {
    match spec.status.and_then(|s| spec.field(s)).map(|f| f.kind) {
        Some(Kind::Choice(cs)) => cs
            .iter()
            .map(|(c, l)| (c.to_string(), l.to_string()))
            .collect(),
        _ => vec![],
    }
}

async fn list_view(
    s: &AppState,
    u: &UiUser,
    key: &str,
    q: ListQ,
    reason: String,
    error: Option<&AppError>,
) -> Page {
    list_view_with(s, u, key, q, reason, error, None, vec![]).await
}

#[allow(clippy::too_many_arguments)]
async fn list_view_with(
    s: &AppState,
    u: &UiUser,
    key: &str,
    q: ListQ,
    reason: String,
    error: Option<&AppError>,
    notice: Option<String>,
    import_errors: Vec<registers::RowError>,
) -> Page {
    let spec = spec_of(key)?;
    readable(u, spec)?;
    let mut shown_error = error.map(|e| e.message.clone());
    let page = match registers::list(&s.platform, &u.principal, key, &q.filter()).await {
        Ok(p) => p,
        Err(e) if correctable(&e) && e.kind != yunwei_domain::ErrorKind::Forbidden => {
            shown_error = shown_error.or(Some(e.message));
            registers::EntryPage {
                register: spec.key,
                label: spec.label,
                entries: vec![],
                total: 0,
                page: 1,
                pages: 1,
            }
        }
        Err(e) => return Err(e.into()),
    };
    let orgs = org_options(s, u, spec.read).await?;
    let reviews_due = if yunwei_core::reviews::has_duties(spec.key) {
        yunwei_core::reviews::open_for(&s.platform, &u.principal, spec.key).await?
    } else {
        vec![]
    };
    let mut sorts = vec![
        ("created_at".to_string(), "登记时间".to_string()),
        ("updated_at".to_string(), "更新时间".to_string()),
    ];
    sorts.extend(
        spec.fields
            .iter()
            .filter(|f| f.listed)
            .map(|f| (f.name.to_string(), f.label.to_string())),
    );
    let rendered = render(&ListTpl {
        l: Layout::for_user(u, "/registers").with(notice, shown_error),
        spec,
        headers: headers(spec),
        orgs: opts(orgs, &q.org_id),
        statuses: opts(status_choices(spec), &q.status),
        sorts: opts(sorts, &q.sort),
        rows: page.entries.iter().map(|e| row(spec, e)).collect(),
        total: page.total,
        page: page.page,
        pages: page.pages,
        prev: (page.page > 1).then(|| q.link(page.page - 1)),
        next: (page.page < page.pages).then(|| q.link(page.page + 1)),
        can_file: spec.parent.is_none() && registers::can_file_somewhere(&u.principal, spec),
        can_import: spec.importable && registers::can_file_somewhere(&u.principal, spec),
        import_errors,
        reviews_due,
        q,
        reason,
    });
    with_error(rendered, error)
}

pub(super) async fn list(
    State(s): State<AppState>,
    u: UiUser,
    Path(key): Path<String>,
    Query(q): Query<ListQ>,
) -> Page {
    list_view(&s, &u, &key, q, String::new(), None).await
}

#[derive(Deserialize)]
pub(super) struct ExportForm {
    #[serde(default)]
    reason: String,
    #[serde(flatten)]
    q: ListQ,
}

pub(super) async fn export(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(key): Path<String>,
    UiForm(f): UiForm<ExportForm>,
) -> Page {
    match registers::export(
        &s.platform,
        &ctx,
        &u.principal,
        &key,
        &f.q.filter(),
        &f.reason,
    )
    .await
    {
        Ok(bytes) => Ok(crate::api::xlsx(&format!("{key}.xlsx"), bytes)),
        Err(e) if correctable(&e) => list_view(&s, &u, &key, f.q, f.reason, Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}

/// Largest import request: the file plus the form around it.
pub(super) const IMPORT_LIMIT: usize = registers::MAX_IMPORT_BYTES + 64 * 1024;

fn too_big() -> AppError {
    AppError::bad_request(
        "register.import_size",
        "请选择要导入的 Excel 或 CSV 文件（不超过10MB）",
    )
}

/// `POST /registers/{register}/import` (multipart: csrf, file, dry_run):
/// the list again with what the import did and the rows it refused.
pub(super) async fn import(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(key): Path<String>,
    m: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Page {
    let m = m.map_err(|_| bad_upload())?;
    let up = read_upload(m, registers::MAX_IMPORT_BYTES, too_big).await?;
    match registers::import(
        &s.platform,
        &ctx,
        &u.principal,
        &key,
        &up.content,
        super::cmdb::dry_run(&up),
    )
    .await
    {
        Ok(r) => {
            let notice = if r.dry_run {
                format!(
                    "校验完成：读取 {} 行，{} 行可导入（仅校验，未导入）",
                    r.rows, r.valid
                )
            } else {
                format!(
                    "导入完成：读取 {} 行，导入 {} 行，{} 行未导入",
                    r.rows,
                    r.created,
                    r.errors.len()
                )
            };
            list_view_with(
                &s,
                &u,
                &key,
                ListQ::default(),
                String::new(),
                None,
                Some(notice),
                r.errors,
            )
            .await
        }
        Err(e) if correctable(&e) => {
            list_view(&s, &u, &key, ListQ::default(), String::new(), Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- forms ----

/// One input of a form.
struct Input {
    name: &'static str,
    label: &'static str,
    /// `text`, `textarea`, `date`, `number`, `checkbox`, `select`, `fixed`.
    control: &'static str,
    value: String,
    options: Vec<Opt>,
    required: bool,
    help: &'static str,
    /// For `fixed`: what is shown.
    shown: String,
}

#[derive(Template)]
#[template(path = "register_form.html")]
struct FormTpl {
    l: Layout,
    spec: &'static Spec,
    /// (id, title, version) when amending.
    editing: Option<(String, String, i64)>,
    /// (register, id, title) of the parent entry.
    parent: Option<(String, String, String)>,
    choose_org: bool,
    orgs: Vec<Opt>,
    inputs: Vec<Input>,
    /// The form can draft a field from the data: the hint saying how.
    draft: Option<&'static str>,
}

/// Every organisation, for a field naming a second organisation (see
/// `orgs::reference_choices` for why it is the whole tree).
async fn all_orgs(s: &AppState, u: &UiUser, spec: &Spec) -> Result<Vec<(String, String)>, UiError> {
    let rows = yunwei_core::orgs::reference_choices(&s.platform, &u.principal, spec.write).await?;
    Ok(rows
        .iter()
        .map(|o| {
            (
                o.id.clone(),
                format!("{}{}", "　".repeat(o.depth.saturating_sub(1)), o.name),
            )
        })
        .collect())
}

#[allow(clippy::too_many_arguments)]
async fn form_view(
    s: &AppState,
    u: &UiUser,
    spec: &'static Spec,
    editing: Option<(String, String, i64)>,
    org_id: &str,
    values: &BTreeMap<String, String>,
    error: Option<&AppError>,
) -> Page {
    let mut parent = None;
    let mut inputs = vec![];
    let mut every_org: Option<Vec<(String, String)>> = None;
    for f in spec.fields.iter().filter(|f| !f.locked) {
        let value = values.get(f.name).cloned().unwrap_or_default();
        let mut input = Input {
            name: f.name,
            label: f.label,
            control: "text",
            value: value.clone(),
            options: vec![],
            required: f.required,
            help: f.help,
            shown: String::new(),
        };
        match f.kind {
            Kind::LongText(_) => input.control = "textarea",
            Kind::Date => input.control = "date",
            Kind::Int(..) => input.control = "number",
            Kind::Bool => {
                input.control = "checkbox";
                input.value = if spec::parse_value(f, &value).is_ok_and(|v| v.is_true()) {
                    "1".into()
                } else {
                    String::new()
                };
            }
            Kind::Choice(cs) => {
                input.control = "select";
                input.options = opts(
                    cs.iter()
                        .map(|(c, l)| (c.to_string(), l.to_string()))
                        .collect(),
                    &value,
                );
            }
            Kind::Org => {
                input.control = "select";
                if every_org.is_none() {
                    every_org = Some(all_orgs(s, u, spec).await?);
                }
                input.options = opts(every_org.clone().unwrap_or_default(), &value);
            }
            Kind::Entry(key) if spec.parent.is_some_and(|(_, pf)| pf == f.name) => {
                input.control = "fixed";
                let pspec = spec_of(key)?;
                let d = registers::get(&s.platform, &u.principal, key, &value).await;
                let d = d?;
                input.shown = d.entry.title.clone();
                parent = Some((pspec.key.to_string(), value.clone(), d.entry.title));
            }
            Kind::Entry(key) => {
                input.control = "select";
                let list = registers::options(&s.platform, &u.principal, key, 200).await?;
                input.options = opts(list, &value);
            }
            Kind::Ci | Kind::Ticket | Kind::Text(_) => {}
        }
        inputs.push(input);
    }
    let choose_org = spec.org_from == spec::OrgFrom::Chosen;
    let orgs = if choose_org {
        opts(org_options(s, u, spec.write).await?, org_id)
    } else {
        vec![]
    };
    let page = render(&FormTpl {
        l: Layout::for_user(u, "/registers").with(None, error.map(|e| e.message.clone())),
        spec,
        editing,
        parent,
        choose_org,
        orgs,
        inputs,
        draft: match spec.key {
            "vendor_reports" => Some("选择报告类型和周期后点“按周期数据生成草稿”：系统汇总该周期的工单新建与办结、SLA、巡检检查演练、备份与恢复测试，填入报告内容，由厂商补充后登记并提交（JSCZ-7）。草稿会替换当前的报告内容。"),
            "security_reviews" => Some("选择审查类型和期间后点“按周期数据生成草稿”：权限审查列出每个账号的授权和最近登录并指出长期未登录、停用仍有授权、第三方授权无期限或无保密协议；日志审查汇总期间的操作记录和安全事件；安全自查汇总逾期事项、待修复漏洞和即将到期的授权。逐项核对后填写发现问题和审查汇总意见。"),
            _ => None,
        },
    });
    with_error(page, error)
}

/// Query of the "new" form: values to start from (the parent's id, a
/// ticket number, a report period) and `draft=1` to draft a report.
pub(super) async fn new_page(
    State(s): State<AppState>,
    u: UiUser,
    Path(key): Path<String>,
    Query(mut q): Query<BTreeMap<String, String>>,
) -> Page {
    let spec = spec_of(&key)?;
    u.principal.authorize_somewhere(spec.write).map(|_| ())?;
    registers::refuse_platform_filed(spec)?;
    q.remove("csrf");
    let org_id = q.remove("org_id").unwrap_or_default();
    if let Some(pk) = q.remove("parent_id") {
        if let Some((_, pf)) = spec.parent {
            q.insert(pf.to_string(), pk);
        }
    }
    let mut error = None;
    if q.remove("draft").as_deref() == Some("1") {
        let get = |k: &str| q.get(k).cloned().unwrap_or_default();
        let drafted = match spec.key {
            "vendor_reports" => Some((
                "body",
                register_rules::draft_report(
                    &s.platform,
                    &u.principal,
                    &get("contract_id"),
                    &get("report_kind"),
                    &get("period_start"),
                    &get("period_end"),
                )
                .await,
            )),
            "security_reviews" => Some((
                "checklist",
                register_rules::draft_review(
                    &s.platform,
                    &u.principal,
                    &get("kind"),
                    &get("period_start"),
                    &get("period_end"),
                )
                .await,
            )),
            _ => None,
        };
        match drafted {
            Some((field, Ok(text))) => {
                q.insert(field.into(), text);
            }
            Some((_, Err(e))) if correctable(&e) => error = Some(e),
            Some((_, Err(e))) => return Err(e.into()),
            None => {}
        }
    }
    form_view(&s, &u, spec, None, &org_id, &q, error.as_ref()).await
}

/// A register form's organisation, the version it was read at, and its
/// values (the CSRF token, checked by its layer, is not one of them).
fn split_form(mut f: BTreeMap<String, String>) -> (String, Option<i64>, EntryInput) {
    f.remove("csrf");
    let version = f.remove("expected_version").and_then(|v| v.parse().ok());
    let org_id = f.remove("org_id");
    (
        org_id.clone().unwrap_or_default(),
        version,
        EntryInput { org_id, values: f },
    )
}

/// Checkboxes that are not ticked are not sent: they mean "no".
fn with_unticked(spec: &Spec, mut values: BTreeMap<String, String>) -> BTreeMap<String, String> {
    for f in spec
        .fields
        .iter()
        .filter(|f| f.kind == Kind::Bool && !f.locked)
    {
        values.entry(f.name.to_string()).or_default();
    }
    values
}

pub(super) async fn create(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(key): Path<String>,
    UiForm(f): UiForm<BTreeMap<String, String>>,
) -> Page {
    let spec = spec_of(&key)?;
    let (org_id, _, mut input) = split_form(f);
    input.values = with_unticked(spec, input.values);
    match registers::create(&s.platform, &ctx, &u.principal, &key, &input).await {
        Ok(e) => Ok(Redirect::to(&format!(
            "/registers/{key}/{}?msg=created",
            urlencoding(&e.id)
        ))
        .into_response()),
        Err(e) if correctable(&e) => {
            form_view(&s, &u, spec, None, &org_id, &input.values, Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

fn form_values(d: &EntryDetail) -> BTreeMap<String, String> {
    d.entry
        .fields
        .iter()
        .map(|f| (f.name.to_string(), f.input.clone()))
        .collect()
}

pub(super) async fn edit_page(
    State(s): State<AppState>,
    u: UiUser,
    Path((key, id)): Path<(String, String)>,
) -> Page {
    let spec = spec_of(&key)?;
    let d = registers::get(&s.platform, &u.principal, &key, &id).await?;
    if !d.entry.can_amend {
        return Err(AppError::forbidden(format!(
            "该{}不能修改（已登记的记录，或当前状态下不能修改，或超出您的管理范围）",
            spec.label
        ))
        .into());
    }
    let values = form_values(&d);
    form_view(
        &s,
        &u,
        spec,
        Some((id, d.entry.title.clone(), d.entry.version)),
        &d.entry.org_id,
        &values,
        None,
    )
    .await
}

pub(super) async fn edit(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path((key, id)): Path<(String, String)>,
    UiForm(f): UiForm<BTreeMap<String, String>>,
) -> Page {
    let spec = spec_of(&key)?;
    let (org_id, version, mut input) = split_form(f);
    input.values = with_unticked(spec, input.values);
    let version = version.unwrap_or(0);
    match registers::update(&s.platform, &ctx, &u.principal, &key, &id, version, &input).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/registers/{key}/{}?msg=updated",
            urlencoding(&id)
        ))
        .into_response()),
        Err(e) if correctable(&e) => {
            let title = registers::get(&s.platform, &u.principal, &key, &id)
                .await
                .map(|d| d.entry.title)
                .unwrap_or_default();
            form_view(
                &s,
                &u,
                spec,
                Some((id, title, version)),
                &org_id,
                &input.values,
                Some(&e),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- the entry page ----

/// The records below an entry (backup logs, drills, NDAs ...).
struct ChildView {
    register: &'static str,
    label: &'static str,
    total: i64,
    can_add: bool,
    headers: Vec<&'static str>,
    rows: Vec<Row>,
}

impl ChildView {
    fn of(c: &ChildList) -> Self {
        let cs = spec::spec(c.register).expect("child spec");
        ChildView {
            register: c.register,
            label: c.label,
            total: c.total,
            can_add: c.can_add,
            headers: headers(cs),
            rows: c.entries.iter().map(|e| row(cs, e)).collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "register_entry.html")]
struct EntryTpl {
    l: Layout,
    spec: &'static Spec,
    e: EntryView,
    parent: Option<(String, String, String)>,
    children: Vec<ChildView>,
    history: Vec<HistoryView>,
    controls: Vec<ControlView>,
    created: String,
    updated: String,
    /// Links to file related entries: (href, label).
    related: Vec<(String, String)>,
}

#[derive(Deserialize, Default)]
pub(super) struct EntryQ {
    #[serde(default)]
    msg: String,
}

fn notice_of(msg: &str) -> Option<String> {
    match msg {
        "created" => Some("已登记。".into()),
        "updated" => Some("已保存，旧版本已存入历史。".into()),
        "step" => Some("已办理。".into()),
        _ => None,
    }
}

async fn entry_view(
    s: &AppState,
    u: &UiUser,
    key: &str,
    id: &str,
    notice: Option<String>,
    error: Option<&AppError>,
) -> Page {
    let spec = spec_of(key)?;
    let d = registers::get(&s.platform, &u.principal, key, id).await?;
    let mut related = vec![];
    if spec.key == "vendor_contracts" && registers::can_file_somewhere(&u.principal, spec) {
        related.push((
            format!(
                "/registers/staff_changes/new?vendor_org_id={}",
                urlencoding(
                    d.entry
                        .fields
                        .iter()
                        .find(|f| f.name == "vendor_org_id")
                        .map(|f| f.input.as_str())
                        .unwrap_or("")
                )
            ),
            "申请更换项目经理或驻场人员".to_string(),
        ));
    }
    let page = render(&EntryTpl {
        l: Layout::for_user(u, "/registers").with(notice, error.map(|e| e.message.clone())),
        spec,
        created: fmt_minute(d.entry.created_at),
        updated: fmt_minute(d.entry.updated_at),
        e: d.entry,
        parent: d.parent,
        children: d.children.iter().map(ChildView::of).collect(),
        history: d.history,
        controls: d.controls,
        related,
    });
    with_error(page, error)
}

pub(super) async fn page(
    State(s): State<AppState>,
    u: UiUser,
    Path((key, id)): Path<(String, String)>,
    Query(q): Query<EntryQ>,
) -> Page {
    entry_view(&s, &u, &key, &id, notice_of(&q.msg), None).await
}

#[derive(Deserialize)]
pub(super) struct StepForm {
    #[serde(default)]
    note: String,
}

pub(super) async fn step(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path((key, id, step)): Path<(String, String, String)>,
    UiForm(f): UiForm<StepForm>,
) -> Page {
    match registers::take_step(&s.platform, &ctx, &u.principal, &key, &id, &step, &f.note).await {
        Ok(_) => Ok(
            Redirect::to(&format!("/registers/{key}/{}?msg=step", urlencoding(&id)))
                .into_response(),
        ),
        Err(e) if correctable(&e) && e.kind != yunwei_domain::ErrorKind::Forbidden => {
            entry_view(&s, &u, &key, &id, None, Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}
