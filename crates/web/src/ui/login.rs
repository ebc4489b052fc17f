//! Login (password, then the one-time code or the UKEY signature) and
//! logout. The login forms run before there is a session: their CSRF token
//! is the login pages' own cookie.

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use yunwei_core::{auth, policy};
use yunwei_domain::AppError;

use super::error::Page;
use super::form::UiForm;
use super::page::{render, Layout};
use super::session::UiUser;
use crate::extract::{cookie, ReqCtx, LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use crate::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginTpl {
    l: Layout,
    csrf: String,
    username: String,
    threshold: u32,
    lock_minutes: u32,
    idle: u32,
}

/// The login page; `csrf` keeps the login pages' token, `None` makes a
/// new one (and its cookie).
pub(super) async fn login_form(
    s: &AppState,
    csrf: Option<String>,
    username: &str,
    error: Option<String>,
) -> Page {
    let pol = policy::current(&s.platform).await?;
    let fresh = csrf.is_none();
    let csrf =
        csrf.unwrap_or_else(|| yunwei_domain::crypto::random_token(s.platform.crypto.as_ref()));
    let mut r = render(&LoginTpl {
        l: Layout::anonymous().with(None, error),
        csrf: csrf.clone(),
        username: username.into(),
        threshold: pol.lockout_threshold,
        lock_minutes: pol.lockout_minutes,
        idle: pol.idle_timeout_minutes,
    })?;
    if fresh {
        let c = format!(
            "{LOGIN_CSRF_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict{}",
            secure(s)
        );
        r.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_str(&c).map_err(|_| AppError::internal())?,
        );
    }
    Ok(r)
}

pub(super) fn secure(s: &AppState) -> &'static str {
    if s.options.secure_cookies {
        "; Secure"
    } else {
        ""
    }
}

pub(super) async fn page(State(s): State<AppState>) -> Page {
    login_form(&s, None, "", None).await
}

/// The login page again for a login form without the login pages' token
/// (their CSRF layer's refusal), with a new token.
pub(super) async fn expired(s: &AppState, username: &str) -> Page {
    login_form(s, None, username, Some("页面已过期，请重新登录".into())).await
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    totp_code: String,
}

pub(super) async fn submit(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    headers: HeaderMap,
    UiForm(f): UiForm<LoginForm>,
) -> Page {
    // The CSRF layer has checked the form's token against this cookie.
    let expected = request_cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    let code = Some(f.totp_code.as_str()).filter(|c| !c.trim().is_empty());
    match auth::login_step(&s.platform, &ctx, &f.username, &f.password, code).await {
        Ok(auth::LoginStep::Done(ok)) => logged_in(&s, ok),
        // The password was right; the UKEY signs the challenge next
        // (ADR 0008). The pending login's token stays in a cookie of the
        // login pages only.
        Ok(auth::LoginStep::Ukey(ch)) => {
            let mut r = Redirect::to("/login/ukey").into_response();
            let c = format!(
                "{LOGIN_UKEY_COOKIE}={}; Path=/login; HttpOnly; SameSite=Strict; Max-Age={}{}",
                ch.login_token,
                yunwei_core::ukey::CHALLENGE_MINUTES * 60,
                secure(&s)
            );
            r.headers_mut().append(
                header::SET_COOKIE,
                HeaderValue::from_str(&c).map_err(|_| AppError::internal())?,
            );
            Ok(r)
        }
        Err(e) if e.kind != yunwei_domain::ErrorKind::Internal => {
            let mut r = login_form(&s, Some(expected), &f.username, Some(e.message)).await?;
            *r.status_mut() = crate::error::status_of(e.kind);
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

/// The pending UKEY login of the login pages (ADR 0008).
const LOGIN_UKEY_COOKIE: &str = "yw_login_ukey";

/// Sets the session cookie, clears the login pages' cookies and goes on.
pub(super) fn logged_in(s: &AppState, ok: auth::LoginOk) -> Page {
    let to = if ok.must_change_password {
        "/password/change"
    } else {
        "/"
    };
    let mut r = Redirect::to(to).into_response();
    let c = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict{}",
        ok.token,
        secure(s)
    );
    let h = r.headers_mut();
    h.append(
        header::SET_COOKIE,
        HeaderValue::from_str(&c).map_err(|_| AppError::internal())?,
    );
    for name in [LOGIN_CSRF_COOKIE, LOGIN_UKEY_COOKIE] {
        h.append(header::SET_COOKIE, clear_login_cookie(s, name)?);
    }
    Ok(r)
}

pub(super) fn clear_login_cookie(s: &AppState, name: &str) -> Result<HeaderValue, AppError> {
    HeaderValue::from_str(&format!(
        "{name}=; Path=/login; HttpOnly; SameSite=Strict; Max-Age=0{}",
        secure(s)
    ))
    .map_err(|_| AppError::internal())
}

#[derive(Template)]
#[template(path = "login_ukey.html")]
struct LoginUkeyTpl {
    l: Layout,
    csrf: String,
    ch: auth::UkeyChallenge,
}

pub(super) fn request_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    let (mut parts, _) = axum::http::Request::new(()).into_parts();
    parts.headers = headers.clone();
    cookie(&parts, name)
}

/// The UKEY step of the login: the challenge to sign and a field for the
/// signature. Without a pending login that can still be answered, back to
/// the login page.
pub(super) async fn ukey_page(State(s): State<AppState>, headers: HeaderMap) -> Page {
    let token = request_cookie(&headers, LOGIN_UKEY_COOKIE).unwrap_or_default();
    let csrf = request_cookie(&headers, LOGIN_CSRF_COOKIE).filter(|c| !c.is_empty());
    let pending = auth::pending_ukey(&s.platform, &token).await?;
    match (pending, csrf) {
        (Some(ch), Some(csrf)) => render(&LoginUkeyTpl {
            l: Layout::anonymous(),
            csrf,
            ch,
        }),
        _ => Ok(Redirect::to("/login").into_response()),
    }
}

#[derive(Deserialize)]
pub(super) struct LoginUkeyForm {
    #[serde(default)]
    signature: String,
}

pub(super) async fn ukey_submit(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    headers: HeaderMap,
    UiForm(f): UiForm<LoginUkeyForm>,
) -> Page {
    // The CSRF layer has checked the form's token against this cookie.
    let expected = request_cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    let token = request_cookie(&headers, LOGIN_UKEY_COOKIE).unwrap_or_default();
    match auth::login_with_ukey(&s.platform, &ctx, &token, &f.signature).await {
        Ok(ok) => logged_in(&s, ok),
        // The challenge is used up: the login starts again.
        Err(e) if e.kind != yunwei_domain::ErrorKind::Internal => {
            let mut r = login_form(&s, Some(expected), "", Some(e.message)).await?;
            *r.status_mut() = crate::error::status_of(e.kind);
            r.headers_mut().append(
                header::SET_COOKIE,
                clear_login_cookie(&s, LOGIN_UKEY_COOKIE)?,
            );
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn logout(State(s): State<AppState>, ReqCtx(ctx): ReqCtx, u: UiUser) -> Page {
    auth::logout(&s.platform, &ctx, &u.principal).await?;
    let mut r = Redirect::to("/login").into_response();
    let clear = format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        secure(&s)
    );
    r.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&clear).map_err(|_| AppError::internal())?,
    );
    Ok(r)
}
