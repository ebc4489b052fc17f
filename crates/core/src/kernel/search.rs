//! Chinese full-text search over business documents (tickets, knowledge
//! articles), DESIGN.md section 9 and docs/adr/0004-chinese-search.md.
//!
//! Use cases that create, change or delete a searchable document call
//! [`index_document`] / [`remove_document`] inside their own transaction,
//! so the index is committed (or rolled back) together with the data.
//! [`search`] only ever returns documents inside the caller's
//! business-read scope.

use serde::Serialize;
use yunwei_domain::roles::Action;
use yunwei_domain::search::{index_tokens, query_terms};
use yunwei_domain::AppError;
use yunwei_store::search::{self as store, SearchDoc, SearchHit};
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

/// (Re-)indexes a document inside the caller's transaction: the title and
/// the body are tokenised separately so title matches rank higher.
pub async fn index_document(c: &mut DbConn, doc: &Document<'_>) -> Result<(), AppError> {
    let (title_tokens, tokens) = document_tokens(doc)?;
    store::upsert(
        c,
        &SearchDoc {
            doc_type: doc.doc_type,
            doc_id: doc.doc_id,
            org_path: doc.org_path,
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

/// Documents visible to the principal that match every word of `q`,
/// best first. `doc_type` narrows the search to one kind of document.
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
    let terms = query_terms(q);
    if terms.is_empty() {
        // Only punctuation or symbols: nothing to look for.
        return Err(empty_query());
    }
    let per_page = page.per_page.clamp(1, MAX_PER_PAGE);
    let page_no = page.page.max(1);
    let mut c = p.db.read().await?;
    let (hits, total) = store::query(
        &mut c,
        &scope,
        doc_type,
        &terms,
        per_page,
        (page_no - 1).saturating_mul(per_page),
    )
    .await?;
    // Draft articles are indexed for their editors; readers must not see
    // them in the general search.
    let articles: Vec<String> = hits
        .iter()
        .filter(|h| h.doc_type == "article")
        .map(|h| h.doc_id.clone())
        .collect();
    let (hits, total) = if articles.is_empty() {
        (hits, total)
    } else {
        let vis = yunwei_store::knowledge::Visibility {
            published: pr.scope_for(Action::BusinessRead),
            drafts: pr.scope_for(Action::KnowledgeEdit),
        };
        let ids =
            |rows: Vec<yunwei_store::knowledge::ArticleRow>| -> std::collections::HashSet<String> {
                rows.into_iter().map(|a| a.id).collect()
            };
        let visible =
            ids(yunwei_store::knowledge::visible_by_ids(&mut c, &vis, None, &articles).await?);
        // Documents indexed as articles that are not knowledge rows are left alone.
        let everything = yunwei_store::knowledge::Visibility {
            published: yunwei_store::Scope::system(),
            drafts: yunwei_store::Scope::system(),
        };
        let existing =
            ids(
                yunwei_store::knowledge::visible_by_ids(&mut c, &everything, None, &articles)
                    .await?,
            );
        let before = hits.len();
        let kept: Vec<SearchHit> = hits
            .into_iter()
            .filter(|h| {
                h.doc_type != "article"
                    || !existing.contains(&h.doc_id)
                    || visible.contains(&h.doc_id)
            })
            .collect();
        let hidden = (before - kept.len()) as i64;
        (kept, total - hidden)
    };
    Ok(SearchResults {
        hits,
        total: total.min(store::COUNT_CAP),
        total_capped: total > store::COUNT_CAP,
        page: page_no,
        per_page,
    })
}

fn empty_query() -> AppError {
    AppError::bad_request("search.empty_query", "请输入搜索关键词（文字或数字）")
}
