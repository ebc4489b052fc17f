//! The caller's own account: the password change (forced after an initial
//! or reset password) and the second factors (one-time codes, UKEY
//! status).

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use yunwei_core::policy;
use yunwei_domain::AppError;

use super::error::{correctable, with_error, Page};
use super::form::UiForm;
use super::page::{render, Layout};
use super::session::UiUser;
use crate::extract::ReqCtx;
use crate::AppState;

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordTpl {
    l: Layout,
    forced: bool,
    min_len: u32,
    history: u32,
}

pub(super) async fn password_form(s: &AppState, u: &UiUser, error: Option<String>) -> Page {
    let pol = policy::current(&s.platform).await?;
    render(&PasswordTpl {
        l: Layout::for_user(u, "/password/change").with(None, error),
        forced: u.principal.must_change_password,
        min_len: pol.password_min_length,
        history: pol.password_history,
    })
}

#[derive(Template)]
#[template(path = "mfa.html")]
struct MfaTpl {
    l: Layout,
    status: yunwei_core::mfa::Status,
    /// Just generated: shown once.
    enrollment: Option<yunwei_core::mfa::Enrollment>,
    ukey: yunwei_core::ukey::Status,
}

pub(super) async fn mfa_view(
    s: &AppState,
    u: &UiUser,
    enrollment: Option<yunwei_core::mfa::Enrollment>,
    notice: Option<String>,
    error: Option<&AppError>,
) -> Page {
    let status = yunwei_core::mfa::status(&s.platform, &u.principal).await?;
    let ukey = yunwei_core::ukey::status(&s.platform, &u.principal).await?;
    let page = render(&MfaTpl {
        l: Layout::for_user(u, "/mfa").with(notice, error.map(|e| e.message.clone())),
        status,
        enrollment,
        ukey,
    });
    with_error(page, error)
}

pub(super) async fn mfa_page(State(s): State<AppState>, u: UiUser) -> Page {
    mfa_view(&s, &u, None, None, None).await
}

pub(super) async fn mfa_enroll(State(s): State<AppState>, ReqCtx(ctx): ReqCtx, u: UiUser) -> Page {
    let e = yunwei_core::mfa::enroll(&s.platform, &ctx, &u.principal).await?;
    mfa_view(&s, &u, Some(e), None, None).await
}

#[derive(Deserialize)]
pub(super) struct MfaCodeForm {
    #[serde(default)]
    code: String,
}

pub(super) async fn mfa_confirm(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<MfaCodeForm>,
) -> Page {
    match yunwei_core::mfa::confirm(&s.platform, &ctx, &u.principal, &f.code).await {
        Ok(()) => {
            mfa_view(
                &s,
                &u,
                None,
                Some("动态口令已启用，下次登录时请输入".into()),
                None,
            )
            .await
        }
        Err(e) if correctable(&e) => mfa_view(&s, &u, None, None, Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn password_page(State(s): State<AppState>, u: UiUser) -> Page {
    password_form(&s, &u, None).await
}

#[derive(Deserialize)]
pub(super) struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

pub(super) async fn password_submit(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<PasswordForm>,
) -> Page {
    match yunwei_core::auth::change_password(
        &s.platform,
        &ctx,
        &u.principal,
        &f.current_password,
        &f.new_password,
        &f.confirm_password,
    )
    .await
    {
        Ok(()) => Ok(Redirect::to("/").into_response()),
        Err(e) if correctable(&e) => password_form(&s, &u, Some(e.message)).await,
        Err(e) => Err(e.into()),
    }
}
