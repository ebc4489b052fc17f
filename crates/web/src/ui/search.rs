//! The search page (`GET /search?q=&type=&page=`, also the target of the
//! header's search box): the documents the caller could open, of every
//! kind (tickets, knowledge, configuration items, technical archives,
//! register entries), best first, grouped on the page by kind with a link
//! that narrows the search to that kind. Who finds what is decided in
//! `yunwei_core::search` (docs/adr/0004-chinese-search.md).

use askama::Template;
use axum::extract::State;
use serde::Deserialize;
use yunwei_domain::time::fmt_minute;

use super::error::{correctable, refused, Page};
use super::form::urlencoding;
use super::page::{render, Layout};
use super::session::{business, UiUser};
use crate::extract::Query;
use crate::AppState;

/// Hits on one page.
const PER_PAGE: u64 = 20;

struct Hit {
    href: String,
    title: String,
    updated: String,
}

/// The hits of one kind on the page, in rank order.
struct Group {
    kind: String,
    hits: Vec<Hit>,
    /// The search narrowed to this kind (empty when it already is).
    only_url: String,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchTpl {
    l: Layout,
    q: String,
    /// The kind the search is narrowed to, in Chinese (empty: all).
    narrowed: String,
    /// The search over every kind again.
    all_url: String,
    searched: bool,
    groups: Vec<Group>,
    total: i64,
    capped: bool,
    page: u64,
    pages: u64,
    prev_url: String,
    next_url: String,
}

#[derive(Deserialize, Default)]
pub(super) struct SearchQuery {
    #[serde(default)]
    q: String,
    /// One kind of document (`ticket`, `article`, `ci`, `archive` or a
    /// register's key).
    #[serde(default, rename = "type")]
    doc_type: String,
    #[serde(default)]
    page: String,
}

/// Where a hit opens: the page of the object.
fn href(doc_type: &str, id: &str) -> String {
    let id = urlencoding(id);
    match doc_type {
        "ticket" => format!("/tickets/{id}"),
        "article" => format!("/knowledge/{id}"),
        "ci" => format!("/cmdb/{id}"),
        "archive" => format!("/archives/{id}"),
        key if yunwei_domain::register::spec(key).is_some() => {
            format!("/registers/{key}/{id}")
        }
        _ => String::new(),
    }
}

pub(super) async fn search(
    State(s): State<AppState>,
    u: UiUser,
    Query(q): Query<SearchQuery>,
) -> Page {
    business(&u)?;
    let page_no = q.page.trim().parse::<u64>().unwrap_or(1).max(1);
    let doc_type = q.doc_type.trim();
    let url = |doc_type: &str, n: u64| {
        let mut u = format!("/search?q={}", urlencoding(&q.q));
        if !doc_type.is_empty() {
            u.push_str(&format!("&type={}", urlencoding(doc_type)));
        }
        if n > 1 {
            u.push_str(&format!("&page={n}"));
        }
        u
    };
    let mut tpl = SearchTpl {
        l: Layout::for_user(&u, "/search"),
        q: q.q.clone(),
        narrowed: if doc_type.is_empty() {
            String::new()
        } else {
            yunwei_core::search::kind_label(doc_type).to_string()
        },
        all_url: url("", 1),
        searched: false,
        groups: vec![],
        total: 0,
        capped: false,
        page: page_no,
        pages: 1,
        prev_url: url(doc_type, page_no.saturating_sub(1).max(1)),
        next_url: url(doc_type, page_no + 1),
    };
    if q.q.trim().is_empty() {
        return render(&tpl);
    }
    let req = yunwei_core::search::PageRequest {
        page: page_no,
        per_page: PER_PAGE,
    };
    let narrowed = (!doc_type.is_empty()).then_some(doc_type);
    match yunwei_core::search::search(&s.platform, &u.principal, &q.q, narrowed, req).await {
        Ok(r) => {
            tpl.searched = true;
            tpl.total = r.total;
            tpl.capped = r.total_capped;
            tpl.pages = yunwei_domain::paging::page_count(
                r.total,
                r.total_capped,
                page_no,
                PER_PAGE,
                r.hits.len(),
            );
            // Grouped by kind, the kind of the best hit first.
            let mut groups: Vec<(String, Group)> = vec![];
            for h in r.hits {
                let hit = Hit {
                    href: href(&h.doc_type, &h.doc_id),
                    title: h.title,
                    updated: fmt_minute(h.updated_at),
                };
                match groups.iter_mut().find(|(t, _)| *t == h.doc_type) {
                    Some((_, g)) => g.hits.push(hit),
                    None => {
                        let only_url = if narrowed.is_some() {
                            String::new()
                        } else {
                            url(&h.doc_type, 1)
                        };
                        groups.push((
                            h.doc_type.clone(),
                            Group {
                                kind: h.kind,
                                hits: vec![hit],
                                only_url,
                            },
                        ));
                    }
                }
            }
            tpl.groups = groups.into_iter().map(|(_, g)| g).collect();
            render(&tpl)
        }
        Err(e) if correctable(&e) => {
            tpl.l = tpl.l.with(None, Some(e.message.clone()));
            refused(render(&tpl), &e)
        }
        Err(e) => Err(e.into()),
    }
}
