//! `/archives`: the technical archive pages (EEDS-3.6, NTCZ-3.1.7). The
//! list of documents in the caller's scope with filters and paging, its
//! audited Excel export (with a reason, the filters as shown), the form
//! that registers a document with its first version; a document with
//! all its versions, the download of each and the form for a new version.
//! Every check is in `yunwei_core::archives`: readers see which documents
//! exist, only those who keep the registers upload and download, and every
//! download and every refused one is audited there. A refused form comes
//! back on its page with what was typed; a refused download is the error
//! page.

use std::collections::HashMap;

use crate::extract::Query;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use yunwei_core::archives::{self, DocView, ListFilter, NewDoc, MAX_FILE_BYTES};
use yunwei_core::cmdb::may_read;
use yunwei_domain::cmdb::ArchiveKind;
use yunwei_domain::org::is_within;
use yunwei_domain::roles::Action;
use yunwei_domain::time::fmt_minute;
use yunwei_domain::AppError;

use super::error::{correctable, with_error, Page};
use super::form::{
    bad_upload, indented, opts, org_choices, read_upload, urlencoding, Opt, UiForm, Upload,
};
use super::page::{render, Layout};
use super::session::UiUser;
use crate::extract::ReqCtx;
use crate::AppState;

/// Documents on one page of the list.
const PER_PAGE: usize = 50;
/// Largest upload request: the file plus the form around it.
pub(super) const UPLOAD_LIMIT: usize = MAX_FILE_BYTES + 64 * 1024;

/// The archives are read with `BusinessRead`; the three administrators are
/// refused.
fn readers(u: &UiUser) -> Result<(), AppError> {
    may_read(&u.principal).map(|_| ())
}

/// Uploads need `RegisterEdit` somewhere (the use case checks the
/// organisation).
fn editor(u: &UiUser) -> Result<(), AppError> {
    readers(u)?;
    u.principal
        .authorize_somewhere(Action::RegisterEdit)
        .map(|_| ())
}

/// A file size for people: bytes, KB or MB.
fn fmt_size(n: i64) -> String {
    const KB: f64 = 1024.0;
    let f = n as f64;
    if f < KB {
        format!("{n} 字节")
    } else if f < KB * KB {
        format!("{:.1} KB", f / KB)
    } else {
        format!("{:.1} MB", f / KB / KB)
    }
}

fn kind_opts(current: &str) -> Vec<Opt> {
    opts(
        ArchiveKind::ALL
            .iter()
            .map(|k| (k.as_str().to_string(), k.label().to_string()))
            .collect(),
        current,
    )
}

fn notice_of(msg: &str) -> Option<String> {
    Some(
        match msg {
            "created" => "技术资料已登记",
            "version_added" => "新版本已上传",
            _ => return None,
        }
        .to_string(),
    )
}

fn back_to(id: &str, msg: &str) -> Page {
    Ok(Redirect::to(&format!("/archives/{}?msg={msg}", urlencoding(id))).into_response())
}

// ---- the upload forms ----

fn too_big() -> AppError {
    AppError::bad_request("archive.size", "文件不能为空，且不超过50MB")
}

/// The upload form (its CSRF token checked by the route's layer before).
async fn multipart_form(
    m: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Upload, AppError> {
    read_upload(m.map_err(|_| bad_upload())?, MAX_FILE_BYTES, too_big).await
}

// ---- the list ----

#[derive(Deserialize, Default, Clone)]
pub(super) struct ListQuery {
    #[serde(default)]
    kind: String,
    /// The item's code as typed in the filter.
    #[serde(default)]
    ci: String,
    /// The item's id (the link on the item's page).
    #[serde(default)]
    ci_id: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    page: String,
}

impl ListQuery {
    fn page(&self) -> usize {
        self.page.trim().parse::<usize>().unwrap_or(1).max(1)
    }

    fn url(&self, page: usize) -> String {
        format!(
            "/archives?kind={}&ci={}&org_id={}&page={page}",
            urlencoding(&self.kind),
            urlencoding(&self.ci),
            urlencoding(&self.org_id),
        )
    }
}

/// The create form as typed (kept when refused; the file is not).
#[derive(Default)]
struct CreateForm {
    title: String,
    kind: String,
    ci: String,
    org_id: String,
    note: String,
}

struct Line {
    id: String,
    title: String,
    kind: &'static str,
    ci_id: String,
    ci_code: String,
    org: String,
    version: i64,
    updated: String,
    can_download: bool,
}

#[derive(Template)]
#[template(path = "archives.html")]
struct ListTpl {
    l: Layout,
    q: ListQuery,
    /// The export's reason as typed (kept when refused).
    reason: String,
    kinds: Vec<Opt>,
    orgs: Vec<Opt>,
    lines: Vec<Line>,
    total: usize,
    page: usize,
    pages: usize,
    prev_url: String,
    next_url: String,
    can_edit: bool,
    f: CreateForm,
    form_kinds: Vec<Opt>,
    form_orgs: Vec<Opt>,
}

/// The item named by the filter (`ci_id` from a link, else the code
/// typed), among those the caller may read: (id, code).
async fn filter_item(
    s: &AppState,
    u: &UiUser,
    q: &ListQuery,
) -> Result<Option<(String, String)>, AppError> {
    let (key, by_id) = if !q.ci_id.trim().is_empty() {
        (q.ci_id.trim(), true)
    } else if !q.ci.trim().is_empty() {
        (q.ci.trim(), false)
    } else {
        return Ok(None);
    };
    yunwei_core::cmdb::find_readable(&s.platform, &u.principal, key, by_id)
        .await?
        .map(|a| Some((a.id, a.code)))
        .ok_or_else(|| AppError::bad_request("cmdb.ci_unknown", format!("找不到配置项“{key}”")))
}

async fn list_view(
    s: &AppState,
    u: &UiUser,
    mut q: ListQuery,
    f: CreateForm,
    reason: String,
    error: Option<&AppError>,
) -> Page {
    let pr = &u.principal;
    let readable = org_choices(s, u, Action::BusinessRead).await?;
    // Filters that do not hold (a hand-made URL, an unknown code) are
    // shown, not fatal.
    let mut filter_error: Option<AppError> = None;
    if !q.kind.is_empty() {
        if let Err(e) = ArchiveKind::parse(&q.kind) {
            filter_error = Some(e);
        }
    }
    let org_path = if q.org_id.is_empty() {
        None
    } else {
        match readable.iter().find(|o| o.id == q.org_id) {
            Some(o) => Some(o.path.clone()),
            None => {
                filter_error.get_or_insert(AppError::bad_request(
                    "archive.org_unknown",
                    "找不到该机构，或超出您的查看范围",
                ));
                None
            }
        }
    };
    let item = match filter_item(s, u, &q).await {
        Ok(item) => item,
        Err(e) if correctable(&e) => {
            filter_error.get_or_insert(e);
            None
        }
        Err(e) => return Err(e.into()),
    };
    if let Some((_, code)) = &item {
        q.ci = code.clone();
    }
    let docs: Vec<DocView> = if filter_error.is_some() {
        vec![]
    } else {
        archives::list(&s.platform, pr, item.as_ref().map(|(id, _)| id.as_str()))
            .await?
            .into_iter()
            .filter(|d| q.kind.is_empty() || d.doc.kind == q.kind)
            .filter(|d| {
                org_path
                    .as_ref()
                    .is_none_or(|p| is_within(&d.doc.org_path, p))
            })
            .collect()
    };
    let total = docs.len();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page_no = q.page();
    let org_name = |id: &str| {
        readable
            .iter()
            .find(|o| o.id == id)
            .map(|o| o.name.clone())
            .unwrap_or_default()
    };
    let lines: Vec<Line> = docs
        .into_iter()
        .skip((page_no - 1) * PER_PAGE)
        .take(PER_PAGE)
        .map(|d| Line {
            org: org_name(&d.doc.org_id),
            kind: d.kind_label,
            ci_id: d.doc.ci_id.clone().unwrap_or_default(),
            ci_code: d.ci_code,
            version: d.doc.current_version,
            updated: fmt_minute(d.doc.updated_at),
            can_download: d.can_download,
            id: d.doc.id,
            title: d.doc.title,
        })
        .collect();
    let can_edit = pr.can_somewhere(Action::RegisterEdit);
    let mut f = f;
    if f.org_id.is_empty() {
        f.org_id = pr.org_id.clone();
    }
    if f.ci.is_empty() && error.is_none() {
        f.ci = q.ci.clone();
    }
    let form_orgs = if can_edit {
        let keep = org_choices(s, u, Action::RegisterEdit).await?;
        opts(
            keep.iter().map(|o| (o.id.clone(), indented(o))).collect(),
            &f.org_id,
        )
    } else {
        vec![]
    };
    let shown = error.or(filter_error.as_ref());
    let page = render(&ListTpl {
        l: Layout::for_user(u, "/archives").with(None, shown.map(|e| e.message.clone())),
        kinds: kind_opts(&q.kind),
        orgs: opts(
            readable
                .iter()
                .map(|o| (o.id.clone(), indented(o)))
                .collect(),
            &q.org_id,
        ),
        lines,
        total,
        page: page_no,
        pages,
        prev_url: q.url(page_no.saturating_sub(1).max(1)),
        next_url: q.url(page_no + 1),
        can_edit,
        form_kinds: kind_opts(&f.kind),
        form_orgs,
        f,
        q,
        reason,
    });
    with_error(page, shown)
}

pub(super) async fn list(State(s): State<AppState>, u: UiUser, Query(q): Query<ListQuery>) -> Page {
    readers(&u)?;
    list_view(&s, &u, q, CreateForm::default(), String::new(), None).await
}

#[derive(Deserialize)]
pub(super) struct ExportForm {
    #[serde(default)]
    reason: String,
    #[serde(flatten)]
    q: ListQuery,
}

/// The list as filtered on the page, to Excel (audited); a refusal (no
/// reason, a filter that does not hold) comes back on the list with the
/// filters and the reason kept.
pub(super) async fn export(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<ExportForm>,
) -> Page {
    readers(&u)?;
    let item = match filter_item(&s, &u, &f.q).await {
        Ok(item) => item,
        Err(e) if correctable(&e) => {
            return list_view(&s, &u, f.q, CreateForm::default(), f.reason, Some(&e)).await
        }
        Err(e) => return Err(e.into()),
    };
    let filter = ListFilter {
        ci_id: item.map(|(id, _)| id),
        kind: Some(f.q.kind.clone()),
        org_id: Some(f.q.org_id.clone()),
    };
    match archives::export(&s.platform, &ctx, &u.principal, &filter, &f.reason).await {
        Ok(bytes) => Ok(crate::api::xlsx("archives.xlsx", bytes)),
        Err(e) if correctable(&e) => {
            list_view(&s, &u, f.q, CreateForm::default(), f.reason, Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// 登记技术资料: the document and its first version in one form.
pub(super) async fn create(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    m: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Page {
    let up = multipart_form(m).await?;
    editor(&u)?;
    let input = NewDoc {
        title: up.field("title"),
        kind: up.field("kind"),
        ci: up.field("ci"),
        org_id: up.field("org_id"),
        filename: up.filename.clone(),
        note: up.field("note"),
    };
    match archives::create(&s.platform, &ctx, &u.principal, &input, &up.content).await {
        Ok(d) => back_to(&d.doc.id, "created"),
        Err(e) if correctable(&e) => {
            let kept = CreateForm {
                title: input.title,
                kind: input.kind,
                ci: input.ci,
                org_id: input.org_id,
                note: input.note,
            };
            list_view(&s, &u, ListQuery::default(), kept, String::new(), Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- one document ----

struct VersionLine {
    id: String,
    version: i64,
    filename: String,
    sm3: String,
    size: String,
    bytes: i64,
    note: String,
    uploader: String,
    at: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "archive.html")]
struct DocTpl {
    l: Layout,
    d: DocView,
    org: String,
    created: String,
    updated: String,
    versions: Vec<VersionLine>,
    /// The note typed into the new-version form (kept when refused).
    note: String,
}

async fn doc_view(
    s: &AppState,
    u: &UiUser,
    id: &str,
    notice: Option<String>,
    error: Option<&AppError>,
    note: String,
) -> Page {
    let d = archives::get(&s.platform, &u.principal, id).await?;
    let org = yunwei_core::orgs::name_of(&s.platform, &d.doc.org_id).await?;
    let mut names: HashMap<String, String> = HashMap::new();
    for v in &d.versions {
        if !names.contains_key(&v.uploaded_by) {
            let name = yunwei_core::users::display_name_of(&s.platform, &v.uploaded_by).await?;
            names.insert(v.uploaded_by.clone(), name);
        }
    }
    let versions = d
        .versions
        .iter()
        .map(|v| VersionLine {
            id: v.id.clone(),
            version: v.version,
            filename: v.filename.clone(),
            sm3: v.sm3.clone(),
            size: fmt_size(v.size),
            bytes: v.size,
            note: v.note.clone(),
            uploader: names.get(&v.uploaded_by).cloned().unwrap_or_default(),
            at: fmt_minute(v.uploaded_at),
            current: v.version == d.doc.current_version,
        })
        .collect();
    let page = render(&DocTpl {
        l: Layout::for_user(u, "/archives").with(notice, error.map(|e| e.message.clone())),
        org,
        created: fmt_minute(d.doc.created_at),
        updated: fmt_minute(d.doc.updated_at),
        versions,
        note,
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
    doc_view(&s, &u, &id, notice_of(&q.msg), None, String::new()).await
}

/// A new version; the earlier ones stay.
pub(super) async fn add_version(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    m: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Page {
    let up = multipart_form(m).await?;
    readers(&u)?;
    let note = up.field("note");
    match archives::add_version(
        &s.platform,
        &ctx,
        &u.principal,
        &id,
        &up.filename,
        &note,
        &up.content,
    )
    .await
    {
        Ok(d) => back_to(&d.doc.id, "version_added"),
        Err(e) if correctable(&e) => doc_view(&s, &u, &id, None, Some(&e), note).await,
        Err(e) => Err(e.into()),
    }
}

/// A version's file as an attachment; the use case audits the download,
/// or the refusal, which then comes back as the error page.
pub(super) async fn download(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(vid): Path<String>,
) -> Page {
    readers(&u)?;
    let (v, bytes) = archives::download(&s.platform, &ctx, &u.principal, &vid).await?;
    Ok(crate::api::tickets::attachment_response(&v.filename, bytes))
}
