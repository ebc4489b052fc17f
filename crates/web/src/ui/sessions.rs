//! Sessions: the caller's own (or, for who may manage them, everyone's),
//! and ending one.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use yunwei_core::auth::{self, SessionView};
use yunwei_domain::roles::Action;

use super::error::Page;
use super::page::{render, Layout};
use super::session::UiUser;
use crate::extract::{Query, ReqCtx};
use crate::AppState;

#[derive(Template)]
#[template(path = "sessions.html")]
struct SessionsTpl {
    l: Layout,
    sessions: Vec<SessionView>,
    all: bool,
    can_manage: bool,
}

#[derive(Deserialize, Default)]
pub(super) struct SessionsQuery {
    #[serde(default)]
    all: bool,
}

pub(super) async fn sessions_view(
    s: &AppState,
    u: &UiUser,
    all: bool,
    notice: Option<String>,
) -> Page {
    let can_manage = u.principal.can_somewhere(Action::SessionManage);
    let list = auth::sessions(&s.platform, &u.principal, all && can_manage).await?;
    render(&SessionsTpl {
        l: Layout::for_user(u, "/sessions").with(notice, None),
        sessions: list,
        all: all && can_manage,
        can_manage,
    })
}

pub(super) async fn page(
    State(s): State<AppState>,
    u: UiUser,
    Query(q): Query<SessionsQuery>,
) -> Page {
    sessions_view(&s, &u, q.all, None).await
}

pub(super) async fn revoke(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
) -> Page {
    auth::revoke_session(&s.platform, &ctx, &u.principal, &id).await?;
    if Some(id.as_str()) == u.principal.session_id.as_deref() {
        return Ok(Redirect::to("/login").into_response());
    }
    sessions_view(
        &s,
        &u,
        u.principal.can_somewhere(Action::SessionManage),
        Some("会话已结束".into()),
    )
    .await
}
