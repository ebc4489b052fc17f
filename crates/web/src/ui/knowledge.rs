//! `/knowledge`: the knowledge base (EEDS-3.2.4, NTCZ-6.1.2). The list
//! with its search box and, for editors, the form for a new draft; an
//! article with its source ticket, the edit form and the 发布 button for
//! editors. Every check is in `yunwei_core::knowledge`.

use crate::extract::Query;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use yunwei_core::knowledge::{self, ArticleFilter, ArticleInput, ArticleUpdate, ArticleView};
use yunwei_domain::roles::Action;
use yunwei_domain::time::fmt_minute;
use yunwei_domain::AppError;

use super::error::{correctable, refused, Page};
use super::form::{urlencoding, UiForm};
use super::page::{render, Layout};
use super::session::UiUser;
use crate::extract::ReqCtx;
use crate::AppState;

/// Articles on one page of the list.
const PER_PAGE: u64 = 20;

struct Row {
    id: String,
    title: String,
    status_label: &'static str,
    excerpt: String,
    from_ticket: bool,
    updated: String,
}

/// The 新建 form's values, kept when it is refused.
#[derive(Default)]
struct Draft {
    title: String,
    cause: String,
    solution: String,
    org_id: String,
}

#[derive(Template)]
#[template(path = "knowledge.html")]
struct ListTpl {
    l: Layout,
    q: String,
    status: String,
    articles: Vec<Row>,
    total: i64,
    page: u64,
    pages: u64,
    prev_url: String,
    next_url: String,
    can_edit: bool,
    /// Organisations where the caller may write knowledge: (id, name).
    orgs: Vec<(String, String)>,
    draft: Draft,
}

#[derive(Deserialize, Default)]
pub(super) struct ListQuery {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    page: Option<u64>,
}

async fn list_view(
    s: &AppState,
    u: &UiUser,
    q: &ListQuery,
    draft: Draft,
    error: Option<&AppError>,
) -> Page {
    let p = &s.platform;
    let pr = &u.principal;
    let text = q.q.clone().unwrap_or_default();
    let status = q.status.clone().unwrap_or_default();
    let page_no = q.page.unwrap_or(1).max(1);
    let can_edit = knowledge::can_edit_somewhere(pr);
    let f = ArticleFilter {
        q: Some(text.clone()),
        status: Some(status.clone()),
    };
    let mut shown_error = error.map(|e| e.message.clone());
    let page = match knowledge::list(p, pr, &f, page_no, PER_PAGE).await {
        Ok(page) => page,
        Err(e) if correctable(&e) && e.kind != yunwei_domain::ErrorKind::Forbidden => {
            shown_error = shown_error.or(Some(e.message));
            knowledge::ArticlePage {
                articles: vec![],
                total: 0,
                page: 1,
                per_page: PER_PAGE,
            }
        }
        Err(e) => return Err(e.into()),
    };
    let orgs = if can_edit {
        yunwei_core::orgs::choices(p, pr, Action::KnowledgeEdit)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect()
    } else {
        vec![]
    };
    let pages = (page.total as u64).div_ceil(PER_PAGE).max(1);
    let url = |n: u64| {
        format!(
            "/knowledge?q={}&status={}&page={n}",
            urlencoding(&text),
            urlencoding(&status)
        )
    };
    render(&ListTpl {
        l: Layout::for_user(u, "/knowledge").with(None, shown_error),
        articles: page
            .articles
            .iter()
            .map(|a| Row {
                id: a.id.clone(),
                title: a.title.clone(),
                status_label: a.status_label,
                excerpt: a.excerpt.clone(),
                from_ticket: a.source_ticket_id.is_some(),
                updated: fmt_minute(a.updated_at),
            })
            .collect(),
        total: page.total,
        page: page.page,
        pages,
        prev_url: url(page_no.saturating_sub(1).max(1)),
        next_url: url(page_no + 1),
        q: text,
        status,
        can_edit,
        orgs,
        draft,
    })
}

pub(super) async fn list(State(s): State<AppState>, u: UiUser, Query(q): Query<ListQuery>) -> Page {
    list_view(&s, &u, &q, Draft::default(), None).await
}

#[derive(Deserialize)]
pub(super) struct CreateForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    cause: String,
    #[serde(default)]
    solution: String,
    #[serde(default)]
    org_id: String,
}

pub(super) async fn create(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<CreateForm>,
) -> Page {
    let input = ArticleInput {
        title: f.title.clone(),
        cause: f.cause.clone(),
        solution: f.solution.clone(),
        org_id: Some(f.org_id.clone()).filter(|s| !s.is_empty()),
    };
    match knowledge::create(&s.platform, &ctx, &u.principal, &input).await {
        Ok(a) => Ok(Redirect::to(&format!("/knowledge/{}", urlencoding(&a.id))).into_response()),
        Err(e) if correctable(&e) => {
            let draft = Draft {
                title: f.title,
                cause: f.cause,
                solution: f.solution,
                org_id: f.org_id,
            };
            refused(
                list_view(&s, &u, &ListQuery::default(), draft, Some(&e)).await,
                &e,
            )
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "knowledge_article.html")]
struct ArticleTpl {
    l: Layout,
    a: ArticleView,
    created: String,
    updated: String,
    published: String,
    /// The edit form's values (the article's, or those refused).
    title: String,
    cause: String,
    solution: String,
}

async fn article_view(
    s: &AppState,
    u: &UiUser,
    id: &str,
    notice: Option<String>,
    refused_form: Option<(&AppError, ArticleUpdate)>,
) -> Page {
    let a = knowledge::get(&s.platform, &u.principal, id).await?;
    let (error, form) = match refused_form {
        Some((e, f)) => (Some(e.message.clone()), Some(f)),
        None => (None, None),
    };
    let form = form.unwrap_or_default();
    render(&ArticleTpl {
        l: Layout::for_user(u, "/knowledge").with(notice, error),
        created: fmt_minute(a.created_at),
        updated: fmt_minute(a.updated_at),
        published: a.published_at.map(fmt_minute).unwrap_or_default(),
        title: form.title.unwrap_or_else(|| a.title.clone()),
        cause: form.cause.unwrap_or_else(|| a.cause.clone()),
        solution: form.solution.unwrap_or_else(|| a.solution.clone()),
        a,
    })
}

pub(super) async fn page(State(s): State<AppState>, u: UiUser, Path(id): Path<String>) -> Page {
    article_view(&s, &u, &id, None, None).await
}

#[derive(Deserialize)]
pub(super) struct EditForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    cause: String,
    #[serde(default)]
    solution: String,
}

pub(super) async fn edit(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<EditForm>,
) -> Page {
    let input = ArticleUpdate {
        title: Some(f.title),
        cause: Some(f.cause),
        solution: Some(f.solution),
    };
    match knowledge::update(&s.platform, &ctx, &u.principal, &id, &input).await {
        Ok(_) => article_view(&s, &u, &id, Some("已保存".into()), None).await,
        Err(e) if correctable(&e) => {
            refused(article_view(&s, &u, &id, None, Some((&e, input))).await, &e)
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn publish(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
) -> Page {
    match knowledge::publish(&s.platform, &ctx, &u.principal, &id).await {
        Ok(_) => article_view(&s, &u, &id, Some("已发布".into()), None).await,
        Err(e) if correctable(&e) => refused(
            article_view(&s, &u, &id, None, Some((&e, ArticleUpdate::default()))).await,
            &e,
        ),
        Err(e) => Err(e.into()),
    }
}
