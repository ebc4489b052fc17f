//! Chinese full-text search over business documents (tickets, knowledge
//! articles, configuration items, technical archives, register entries),
//! DESIGN.md section 9 and docs/adr/0004-chinese-search.md.
//!
//! Use cases that create, change or delete a searchable document call
//! [`index_document`] (or [`index_document_for`]) / [`remove_document`]
//! inside their own transaction, so the index is committed (or rolled
//! back) together with the data. Each document carries who may find it:
//! the action a reader needs (its audience) over its organisation or its
//! partner organisation, the same check its own list applies; [`search`]
//! only ever returns documents the caller could open by id.

use serde::Serialize;
use yunwei_domain::roles::Action;
use yunwei_domain::search::{index_tokens, search_query};
use yunwei_domain::AppError;
use yunwei_store::search::{self as store, Reader, SearchDoc, SearchHit};
use yunwei_store::DbConn;

use crate::{Platform, Principal};

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 100;
/// Most results on one page.
pub const MAX_PER_PAGE: u64 = 100;

/// A document as the search index sees it.
#[derive(Debug, Clone, Copy)]
pub struct Document<'a> {
    /// Short lower-case type name (`ticket`, `article`); with the id it
    /// forms the index key, so it holds only `a-z` and `_`.
    pub doc_type: &'a str,
    pub doc_id: &'a str,
    /// Path of the organisation the document belongs to; decides who may
    /// find it.
    pub org_path: &'a str,
    pub title: &'a str,
    /// The searchable text besides the title (description, comments ...).
    pub body: &'a str,
    pub updated_at: i64,
}

/// The actions a search document may require of its readers, with the
/// name stored in `search_docs.audience`: business documents, draft
/// knowledge articles (their editors), the registers read with
/// `RoleView` (UKEYs, security reviews).
const AUDIENCES: [(Action, &str); 3] = [
    (Action::BusinessRead, BUSINESS_AUDIENCE),
    (Action::KnowledgeEdit, DRAFT_AUDIENCE),
    (Action::RoleView, "role_view"),
];

/// The stored name of the audience that needs `read`; an internal error
/// for an action no document is read with.
fn audience(read: Action) -> Result<&'static str, AppError> {
    AUDIENCES
        .iter()
        .find(|(a, _)| *a == read)
        .map(|(_, n)| *n)
        .ok_or_else(AppError::internal)
}

/// Whether documents read with `read` can be indexed (every register's read
/// action must be one; a test checks it).
pub fn is_searchable_read(read: Action) -> bool {
    audience(read).is_ok()
}

/// Who may find a document: readers holding `read` over its organisation
/// or over `partner_path`.
#[derive(Debug, Clone, Copy)]
pub struct Access<'a> {
    pub read: Action,
    pub partner_path: Option<&'a str>,
}

impl Access<'_> {
    /// A business document: `BusinessRead` over its organisation.
    pub const BUSINESS: Access<'static> = Access {
        read: Action::BusinessRead,
        partner_path: None,
    };
}

fn check_doc_type(t: &str) -> Result<(), AppError> {
    if !t.is_empty() && t.len() <= 32 && t.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        Ok(())
    } else {
        Err(AppError::bad_request("search.doc_type", "文档类型无效"))
    }
}

/// The index tokens of a document's title and body, as [`index_document`]
/// stores them; bulk loaders (the benchmark's seed) compute them with this
/// and write through `yunwei_store::search::insert_many`.
pub fn document_tokens(doc: &Document<'_>) -> Result<(String, String), AppError> {
    check_doc_type(doc.doc_type)?;
    Ok((index_tokens(doc.title), index_tokens(doc.body)))
}

/// (Re-)indexes a business document (found by those who may read business
/// data of its organisation) inside the caller's transaction: the title
/// and the body are tokenised separately so title matches rank higher.
pub async fn index_document(c: &mut DbConn, doc: &Document<'_>) -> Result<(), AppError> {
    index_document_for(c, doc, Access::BUSINESS).await
}

/// (Re-)indexes a document found only by those `access` names.
pub async fn index_document_for(
    c: &mut DbConn,
    doc: &Document<'_>,
    access: Access<'_>,
) -> Result<(), AppError> {
    let (title_tokens, tokens) = document_tokens(doc)?;
    store::upsert(
        c,
        &SearchDoc {
            doc_type: doc.doc_type,
            doc_id: doc.doc_id,
            org_path: doc.org_path,
            partner_path: access.partner_path,
            audience: audience(access.read)?,
            title: doc.title,
            title_tokens: &title_tokens,
            tokens: &tokens,
            updated_at: doc.updated_at,
        },
    )
    .await
}

/// Removes a document from the index inside the caller's transaction;
/// false when it was not indexed.
pub async fn remove_document(
    c: &mut DbConn,
    doc_type: &str,
    doc_id: &str,
) -> Result<bool, AppError> {
    check_doc_type(doc_type)?;
    store::remove(c, &store::doc_key(doc_type, doc_id)).await
}

/// Which page of results to return (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u64,
    pub per_page: u64,
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            page: 1,
            per_page: 20,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    /// Matching documents in scope, over all pages; counted up to
    /// [`store::COUNT_CAP`] (see `total_capped`).
    pub total: i64,
    /// More than `total` documents match: they come newest first instead
    /// of best first, and a narrower query finds the rest.
    pub total_capped: bool,
    pub page: u64,
    pub per_page: u64,
}

/// The audience of business documents (also for bulk loaders such as the
/// benchmark's seed).
pub const BUSINESS_AUDIENCE: &str = "business_read";
/// The audience of draft knowledge articles (their editors).
pub const DRAFT_AUDIENCE: &str = "knowledge_edit";

/// Documents visible to the principal that match every word of `q`,
/// best first. `doc_type` narrows the search to one kind of document.
/// A hit is one the caller could open by id: its audience's action over
/// its organisation or partner organisation (draft articles only for
/// their editors, register entries by their register's read action).
pub async fn search(
    p: &Platform,
    pr: &Principal,
    q: &str,
    doc_type: Option<&str>,
    page: PageRequest,
) -> Result<SearchResults, AppError> {
    let scope = pr.scope_for(Action::BusinessRead);
    if scope.is_empty() {
        return Err(AppError::forbidden("无权搜索业务数据"));
    }
    let q = q.trim();
    if q.is_empty() {
        return Err(empty_query());
    }
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::bad_request(
            "search.query_too_long",
            format!("搜索关键词不能超过 {MAX_QUERY_CHARS} 个字"),
        ));
    }
    let doc_type = doc_type.filter(|t| !t.is_empty());
    if let Some(t) = doc_type {
        check_doc_type(t)?;
    }
    let terms = search_query(q);
    if terms.required.is_empty() {
        // Only punctuation or symbols: nothing to look for.
        return Err(empty_query());
    }
    let readers: Vec<Reader> = AUDIENCES
        .iter()
        .map(|(a, name)| Reader {
            audience: name,
            scope: pr.scope_for(*a),
        })
        .filter(|r| !r.scope.is_empty())
        .collect();
    let per_page = page.per_page.clamp(1, MAX_PER_PAGE);
    let page_no = page.page.max(1);
    let mut c = p.db.read().await?;
    let (hits, total) = store::query(
        &mut c,
        &readers,
        doc_type,
        &terms.required,
        &terms.boost,
        per_page,
        (page_no - 1).saturating_mul(per_page),
    )
    .await?;
    let hits = hits
        .into_iter()
        .map(|h| SearchHit {
            kind: kind_label(&h.doc_type).to_string(),
            ..h
        })
        .collect();
    Ok(SearchResults {
        hits,
        total: total.min(store::COUNT_CAP),
        total_capped: total > store::COUNT_CAP,
        page: page_no,
        per_page,
    })
}

/// The kind of a document type in Chinese: 工单, 知识, 配置项, 技术资料,
/// a register's name, else 文档.
pub fn kind_label(doc_type: &str) -> &'static str {
    match doc_type {
        "ticket" => "工单",
        "article" => "知识",
        "ci" => "配置项",
        "archive" => "技术资料",
        t => yunwei_domain::register::spec(t)
            .map(|s| s.label)
            .unwrap_or("文档"),
    }
}

fn empty_query() -> AppError {
    AppError::bad_request("search.empty_query", "请输入搜索关键词（文字或数字）")
}
