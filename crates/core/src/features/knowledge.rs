//! The knowledge base (EEDS-3.2.4, NTCZ-6.1.2): after a fault is solved the
//! cause and the solution are written down as a reference for similar
//! problems, and the operations knowledge base is kept up to date.
//!
//! Articles are drafts until an editor (`Action::KnowledgeEdit`) publishes
//! them; published articles are read with `Action::BusinessRead` in the
//! organisation scope they belong to. When a ticket of a process that
//! declares the fields `cause` and `solution` reaches a final state, the
//! ticket's use case calls [`record_from_ticket`] in its own transaction,
//! which records them as a draft linked to the ticket (ADR 0003, addendum).
//! Every change is indexed for search (`doc_type = "article"`) and audited
//! in the same transaction.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use yunwei_domain::ids::new_id;
use yunwei_domain::policy::Fields;
use yunwei_domain::roles::Action;
use yunwei_domain::search::search_query;
use yunwei_domain::AppError;
use yunwei_store::knowledge::{self as store, ArticleRow, Visibility};
use yunwei_store::knowledge::{STATUS_DRAFT, STATUS_PUBLISHED};
use yunwei_store::tickets::TicketRow;
use yunwei_store::{in_tx, orgs, users as ustore, DbConn};

use crate::kernel::audit::{record, Actor, Event};
use crate::{Authorized, Ctx, Platform, Principal};

/// The search index type of articles.
pub const DOC_TYPE: &str = "article";
/// The process fields recorded as knowledge when a ticket closes.
pub const CAUSE_FIELD: &str = "cause";
pub const SOLUTION_FIELD: &str = "solution";
/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest cause or solution, in characters.
pub const MAX_TEXT_CHARS: usize = 20_000;
/// Most articles on one page.
pub const MAX_PER_PAGE: u64 = 100;
/// Most search hits considered for one list with a query.
pub const MAX_SEARCH_HITS: u64 = 1_000;

pub fn status_label(status: &str) -> &'static str {
    match status {
        STATUS_PUBLISHED => "已发布",
        _ => "草稿",
    }
}

// ---- validation ----

fn validate_title(s: &str) -> Result<String, AppError> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > MAX_TITLE_CHARS {
        return Err(AppError::bad_request(
            "knowledge.title_invalid",
            format!("标题不能为空，且不超过{MAX_TITLE_CHARS}字"),
        ));
    }
    Ok(s.to_string())
}

fn validate_text(s: &str, label: &str) -> Result<String, AppError> {
    let s = s.trim();
    if s.chars().count() > MAX_TEXT_CHARS {
        return Err(AppError::bad_request(
            "knowledge.text_too_long",
            format!("{label}不得超过{MAX_TEXT_CHARS}字"),
        ));
    }
    Ok(s.to_string())
}

fn clip(s: &str, n: usize) -> String {
    s.trim().chars().take(n).collect()
}

// ---- who sees what ----

fn visibility(pr: &Principal) -> Visibility {
    Visibility {
        published: pr.scope_for(Action::BusinessRead),
        drafts: pr.scope_for(Action::KnowledgeEdit),
    }
}

fn can_read(pr: &Principal, a: &ArticleRow) -> bool {
    pr.can(Action::KnowledgeEdit, &a.org_path)
        || (a.status == STATUS_PUBLISHED && pr.can(Action::BusinessRead, &a.org_path))
}

// ---- index and audit helpers ----

/// Indexes the article for search: a published one for every reader of
/// its organisation, a draft for its editors only (as [`can_read`]).
pub(crate) async fn index(c: &mut DbConn, a: &ArticleRow) -> Result<(), AppError> {
    let body = format!("{}\n{}", a.cause, a.solution);
    let read = if a.status == STATUS_PUBLISHED {
        Action::BusinessRead
    } else {
        Action::KnowledgeEdit
    };
    crate::kernel::search::index_document_for(
        c,
        &crate::kernel::search::Document {
            doc_type: DOC_TYPE,
            doc_id: &a.id,
            org_path: &a.org_path,
            title: &a.title,
            body: &body,
            updated_at: a.updated_at,
        },
        crate::kernel::search::Access {
            read,
            partner_path: None,
        },
    )
    .await
}

/// The article's text for before/after in audit records.
fn audit_text(a: &ArticleRow) -> String {
    format!(
        "标题：{}\n产生原因：{}\n解决方案：{}",
        a.title, a.cause, a.solution
    )
}

fn changed() -> AppError {
    AppError::conflict("knowledge.changed", "该知识已被他人修改，请刷新后重试")
}

// ---- recording from tickets ----

/// Records the cause and solution of a ticket that has just reached a
/// final state as a draft article linked to the ticket (EEDS-3.2.4), inside
/// the ticket's transaction: by convention (ADR 0003, addendum) any process
/// that declares the fields `cause` and `solution` does so. Nothing happens
/// when the state is not final, the process lacks the fields, both are
/// empty, or the ticket already has an article. Indexed and audited
/// (`knowledge.create`) as the principal who closed the ticket.
pub async fn record_from_ticket(
    p: &Platform,
    c: &mut DbConn,
    ctx: &Ctx,
    auth: Authorized<'_>,
    ticket: &TicketRow,
    fields: &Fields,
) -> Result<Option<ArticleRow>, AppError> {
    let pr = auth.principal();
    let Ok(pk) = crate::tickets::pack(p, &ticket.pack_id, Some(&ticket.pack_version)) else {
        return Ok(None);
    };
    let Some(process) = pk.process(&ticket.process_id) else {
        return Ok(None);
    };
    if !process.state(&ticket.state).is_some_and(|s| s.is_final)
        || process.field(CAUSE_FIELD).is_none()
        || process.field(SOLUTION_FIELD).is_none()
    {
        return Ok(None);
    }
    let text = |id: &str| {
        fields
            .get(id)
            .and_then(|v| v.as_text())
            .map(|s| clip(s, MAX_TEXT_CHARS))
            .unwrap_or_default()
    };
    let cause = text(CAUSE_FIELD);
    let solution = text(SOLUTION_FIELD);
    if cause.is_empty() && solution.is_empty() {
        return Ok(None);
    }
    if store::by_ticket(c, &ticket.id).await?.is_some() {
        return Ok(None);
    }
    let now = p.now_us();
    let a = ArticleRow {
        id: new_id(),
        title: clip(&ticket.title, MAX_TITLE_CHARS),
        cause,
        solution,
        status: STATUS_DRAFT.into(),
        source_ticket_id: Some(ticket.id.clone()),
        org_id: ticket.org_id.clone(),
        org_path: ticket.org_path.clone(),
        author_id: pr.user_id.clone(),
        created_at: now,
        updated_at: now,
        published_at: None,
    };
    store::insert(c, &a).await?;
    index(c, &a).await?;
    record(
        p,
        c,
        ctx,
        Actor::User(auth),
        Event::success("knowledge.create", "knowledge", &a.id)
            .after(audit_text(&a))
            .reason(format!(
                "工单 {} 办结，记录产生原因和解决方案（EEDS-3.2.4）",
                ticket.number
            )),
    )
    .await?;
    Ok(Some(a))
}

// ---- writing by hand ----

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ArticleInput {
    pub title: String,
    #[serde(default)]
    pub cause: String,
    #[serde(default)]
    pub solution: String,
    /// Organisation the article belongs to (who may read it); defaults to
    /// the author's.
    #[serde(default)]
    pub org_id: Option<String>,
}

/// Writes a new draft.
pub async fn create(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    input: &ArticleInput,
) -> Result<ArticleRow, AppError> {
    let title = validate_title(&input.title)?;
    let cause = validate_text(&input.cause, "产生原因")?;
    let solution = validate_text(&input.solution, "解决方案")?;
    in_tx!(p.db, |c| {
        let org_id = input
            .org_id
            .clone()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| pr.org_id.clone());
        let org = orgs::get(&mut c, org_id.trim())
            .await?
            .ok_or_else(|| AppError::not_found("机构"))?;
        let auth = pr.authorize(Action::KnowledgeEdit, &org.path)?;
        let now = p.now_us();
        let a = ArticleRow {
            id: new_id(),
            title: title.clone(),
            cause: cause.clone(),
            solution: solution.clone(),
            status: STATUS_DRAFT.into(),
            source_ticket_id: None,
            org_id: org.id.clone(),
            org_path: org.path.clone(),
            author_id: pr.user_id.clone(),
            created_at: now,
            updated_at: now,
            published_at: None,
        };
        store::insert(&mut c, &a).await?;
        index(&mut c, &a).await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("knowledge.create", "knowledge", &a.id).after(audit_text(&a)),
        )
        .await?;
        Ok(a)
    })
}

/// Changes to an article; fields left out stay as they are.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ArticleUpdate {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub cause: Option<String>,
    #[serde(default)]
    pub solution: Option<String>,
}

/// Loads an article for a change by an editor: not found when the caller
/// may not read it, refused when they may read but not edit it.
async fn load_for_edit<'a>(
    c: &mut DbConn,
    pr: &'a Principal,
    id: &str,
) -> Result<(ArticleRow, Authorized<'a>), AppError> {
    let a = store::get(c, id)
        .await?
        .filter(|a| can_read(pr, a))
        .ok_or_else(|| AppError::not_found("知识"))?;
    let auth = pr.authorize(Action::KnowledgeEdit, &a.org_path)?;
    Ok((a, auth))
}

/// Edits title, cause and solution (drafts and published articles alike);
/// audited with the text before and after.
pub async fn update(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
    input: &ArticleUpdate,
) -> Result<ArticleRow, AppError> {
    let title = input.title.as_deref().map(validate_title).transpose()?;
    let cause = input
        .cause
        .as_deref()
        .map(|s| validate_text(s, "产生原因"))
        .transpose()?;
    let solution = input
        .solution
        .as_deref()
        .map(|s| validate_text(s, "解决方案"))
        .transpose()?;
    in_tx!(p.db, |c| {
        let (before, auth) = load_for_edit(&mut c, pr, id).await?;
        let mut a = before.clone();
        if let Some(t) = &title {
            a.title = t.clone();
        }
        if let Some(s) = &cause {
            a.cause = s.clone();
        }
        if let Some(s) = &solution {
            a.solution = s.clone();
        }
        if a == before {
            return Ok(a);
        }
        a.updated_at = p.now_us().max(before.updated_at + 1);
        if !store::update(&mut c, &a, before.updated_at).await? {
            return Err(changed());
        }
        index(&mut c, &a).await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("knowledge.update", "knowledge", &a.id)
                .before(audit_text(&before))
                .after(audit_text(&a)),
        )
        .await?;
        Ok(a)
    })
}

/// Publishes a draft for readers; it needs both cause and solution.
pub async fn publish(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
) -> Result<ArticleRow, AppError> {
    in_tx!(p.db, |c| {
        let (before, auth) = load_for_edit(&mut c, pr, id).await?;
        if before.status == STATUS_PUBLISHED {
            return Err(AppError::conflict(
                "knowledge.already_published",
                "该知识已发布",
            ));
        }
        if before.cause.trim().is_empty() || before.solution.trim().is_empty() {
            return Err(AppError::bad_request(
                "knowledge.incomplete",
                "发布前须填写产生原因和解决方案（EEDS-3.2.4）",
            ));
        }
        let now = p.now_us().max(before.updated_at + 1);
        let mut a = before.clone();
        a.status = STATUS_PUBLISHED.into();
        a.published_at = Some(now);
        a.updated_at = now;
        if !store::update(&mut c, &a, before.updated_at).await? {
            return Err(changed());
        }
        index(&mut c, &a).await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("knowledge.publish", "knowledge", &a.id)
                .before(STATUS_DRAFT)
                .after(format!("{} {}", STATUS_PUBLISHED, a.title)),
        )
        .await?;
        Ok(a)
    })
}

// ---- reading ----

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ArticleSummary {
    pub id: String,
    pub title: String,
    pub status: String,
    pub status_label: &'static str,
    pub source_ticket_id: Option<String>,
    pub org_id: String,
    pub org_path: String,
    /// The first characters of the solution.
    pub excerpt: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub published_at: Option<i64>,
}

impl From<&ArticleRow> for ArticleSummary {
    fn from(a: &ArticleRow) -> Self {
        let mut excerpt = clip(&a.solution, 80);
        if a.solution.trim().chars().count() > 80 {
            excerpt.push('…');
        }
        ArticleSummary {
            id: a.id.clone(),
            title: a.title.clone(),
            status: a.status.clone(),
            status_label: status_label(&a.status),
            source_ticket_id: a.source_ticket_id.clone(),
            org_id: a.org_id.clone(),
            org_path: a.org_path.clone(),
            excerpt,
            created_at: a.created_at,
            updated_at: a.updated_at,
            published_at: a.published_at,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ArticleFilter {
    /// Words to look for in title, cause and solution (the search index).
    pub q: Option<String>,
    /// `draft` or `published`.
    pub status: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ArticlePage {
    pub articles: Vec<ArticleSummary>,
    pub total: i64,
    pub page: u64,
    pub per_page: u64,
}

/// Articles the principal may read: published ones in the business-read
/// scope, and drafts where they edit knowledge. With `q`, the best matches
/// of the search index first (at most [`MAX_SEARCH_HITS`] are considered);
/// otherwise the most recently updated first.
pub async fn list(
    p: &Platform,
    pr: &Principal,
    f: &ArticleFilter,
    page: u64,
    per_page: u64,
) -> Result<ArticlePage, AppError> {
    let vis = visibility(pr);
    if vis.published.is_empty() && vis.drafts.is_empty() {
        return Err(AppError::forbidden("无权查看知识库"));
    }
    let status = match f.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s @ (STATUS_DRAFT | STATUS_PUBLISHED)) => Some(s),
        Some(_) => {
            return Err(AppError::bad_request(
                "knowledge.status_invalid",
                "状态只能是草稿（draft）或已发布（published）",
            ))
        }
    };
    let per_page = per_page.clamp(1, MAX_PER_PAGE);
    let page = page.max(1);
    let offset = (page - 1).saturating_mul(per_page);
    let mut c = p.db.read().await?;
    let q = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let (rows, total) = match q {
        None => store::list(&mut c, &vis, status, offset, per_page).await?,
        Some(q) => {
            if q.chars().count() > crate::kernel::search::MAX_QUERY_CHARS {
                return Err(AppError::bad_request(
                    "search.query_too_long",
                    format!(
                        "搜索关键词不能超过 {} 个字",
                        crate::kernel::search::MAX_QUERY_CHARS
                    ),
                ));
            }
            let terms = search_query(q);
            if terms.required.is_empty() {
                return Err(AppError::bad_request(
                    "search.empty_query",
                    "请输入搜索关键词（文字或数字）",
                ));
            }
            // Published articles for their readers, drafts for their
            // editors (as indexed); the status filter is applied below.
            let readers = [
                yunwei_store::search::Reader {
                    audience: crate::kernel::search::BUSINESS_AUDIENCE,
                    scope: vis.published.clone(),
                },
                yunwei_store::search::Reader {
                    audience: crate::kernel::search::DRAFT_AUDIENCE,
                    scope: vis.drafts.clone(),
                },
            ];
            let (hits, _) = yunwei_store::search::query(
                &mut c,
                &readers,
                Some(DOC_TYPE),
                &terms.required,
                &terms.boost,
                MAX_SEARCH_HITS,
                0,
            )
            .await?;
            let ids: Vec<String> = hits.into_iter().map(|h| h.doc_id).collect();
            let mut found: HashMap<String, ArticleRow> =
                store::visible_by_ids(&mut c, &vis, status, &ids)
                    .await?
                    .into_iter()
                    .map(|a| (a.id.clone(), a))
                    .collect();
            let ranked: Vec<ArticleRow> = ids.iter().filter_map(|id| found.remove(id)).collect();
            let total = ranked.len() as i64;
            let rows = ranked
                .into_iter()
                .skip(usize::try_from(offset).unwrap_or(usize::MAX))
                .take(per_page as usize)
                .collect();
            (rows, total)
        }
    };
    Ok(ArticlePage {
        articles: rows.iter().map(ArticleSummary::from).collect(),
        total,
        page,
        per_page,
    })
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ArticleView {
    pub id: String,
    pub title: String,
    pub cause: String,
    pub solution: String,
    pub status: String,
    pub status_label: &'static str,
    pub source_ticket_id: Option<String>,
    /// The source ticket's number, when the caller may see that ticket.
    pub source_ticket_number: Option<String>,
    pub org_id: String,
    pub org_path: String,
    pub org_name: String,
    pub author_id: String,
    pub author_name: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub published_at: Option<i64>,
    /// The caller may edit it.
    pub can_edit: bool,
    /// The caller may publish it now.
    pub can_publish: bool,
}

/// One article, when the principal may read it.
pub async fn get(p: &Platform, pr: &Principal, id: &str) -> Result<ArticleView, AppError> {
    let mut c = p.db.read().await?;
    let a = store::get(&mut c, id)
        .await?
        .filter(|a| can_read(pr, a))
        .ok_or_else(|| AppError::not_found("知识"))?;
    view(&mut c, pr, &a).await
}

/// The article as shown to the principal (who may read it).
pub async fn view(c: &mut DbConn, pr: &Principal, a: &ArticleRow) -> Result<ArticleView, AppError> {
    let org_name = orgs::get(c, &a.org_id)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    let author_name = ustore::get(c, &a.author_id)
        .await?
        .map(|u| u.display_name)
        .unwrap_or_default();
    let source_ticket_number = match &a.source_ticket_id {
        Some(t) => yunwei_store::tickets::get(c, t)
            .await?
            .filter(|t| {
                pr.can(Action::BusinessRead, &t.org_path)
                    || t.requester_id == pr.user_id
                    || t.assignee_id.as_deref() == Some(pr.user_id.as_str())
            })
            .map(|t| t.number),
        None => None,
    };
    let can_edit = pr.can(Action::KnowledgeEdit, &a.org_path);
    Ok(ArticleView {
        id: a.id.clone(),
        title: a.title.clone(),
        cause: a.cause.clone(),
        solution: a.solution.clone(),
        status: a.status.clone(),
        status_label: status_label(&a.status),
        source_ticket_id: a.source_ticket_id.clone(),
        source_ticket_number,
        org_id: a.org_id.clone(),
        org_path: a.org_path.clone(),
        org_name,
        author_id: a.author_id.clone(),
        author_name,
        created_at: a.created_at,
        updated_at: a.updated_at,
        published_at: a.published_at,
        can_edit,
        can_publish: can_edit && a.status == STATUS_DRAFT,
    })
}

/// Whether the principal edits knowledge anywhere (menus, the 新建 form).
pub fn can_edit_somewhere(pr: &Principal) -> bool {
    pr.can_somewhere(Action::KnowledgeEdit)
}
