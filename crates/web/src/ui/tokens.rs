//! API tokens: the caller's tokens, a new one (shown once), revoking one.

use askama::Template;
use axum::extract::{Path, State};
use serde::Deserialize;
use yunwei_core::{auth, policy};
use yunwei_domain::time::fmt_us;

use super::error::{correctable, Page};
use super::form::UiForm;
use super::page::{render, Layout, SecretTpl};
use super::session::UiUser;
use crate::extract::ReqCtx;
use crate::AppState;

struct TokenLine {
    id: String,
    name: String,
    created: String,
    expires: String,
    last_used: String,
    state: &'static str,
    active: bool,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensTpl {
    l: Layout,
    tokens: Vec<TokenLine>,
    max_days: u32,
}

pub(super) async fn tokens_view(
    s: &AppState,
    u: &UiUser,
    notice: Option<String>,
    error: Option<String>,
) -> Page {
    let now = s.platform.now_us();
    let rows = auth::tokens(&s.platform, &u.principal).await?;
    let pol = policy::current(&s.platform).await?;
    let tokens = rows
        .into_iter()
        .map(|t| {
            let active = t.revoked_at.is_none() && t.expires_at > now;
            TokenLine {
                id: t.id,
                name: t.name,
                created: fmt_us(t.created_at),
                expires: fmt_us(t.expires_at),
                last_used: t.last_used_at.map(fmt_us).unwrap_or_else(|| "-".into()),
                state: if t.revoked_at.is_some() {
                    "已吊销"
                } else if active {
                    "有效"
                } else {
                    "已过期"
                },
                active,
            }
        })
        .collect();
    render(&TokensTpl {
        l: Layout::for_user(u, "/tokens").with(notice, error),
        tokens,
        max_days: pol.api_token_max_days,
    })
}

pub(super) async fn page(State(s): State<AppState>, u: UiUser) -> Page {
    tokens_view(&s, &u, None, None).await
}

#[derive(Deserialize)]
pub(super) struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    days: String,
}

pub(super) async fn create(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<TokenForm>,
) -> Page {
    let days = f.days.trim().parse::<u32>().unwrap_or(0);
    match auth::create_token(&s.platform, &ctx, &u.principal, &f.name, days).await {
        Ok(t) => render(&SecretTpl {
            l: Layout::for_user(&u, "/tokens"),
            title: "接口令牌",
            explain: format!(
                "令牌“{}”如下，调用接口时放在请求头 Authorization: Bearer 之后：",
                t.row.name
            ),
            secret: t.token,
            back: "/tokens".into(),
        }),
        Err(e) if correctable(&e) => tokens_view(&s, &u, None, Some(e.message)).await,
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn revoke(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
) -> Page {
    auth::revoke_token(&s.platform, &ctx, &u.principal, &id).await?;
    tokens_view(&s, &u, Some("令牌已吊销".into()), None).await
}
