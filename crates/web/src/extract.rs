//! Extractors that turn a request into the caller's principal. API calls
//! authenticate with `Authorization: Bearer` (a session token from
//! `/api/v1/auth/login` or an integration token); UI pages with the
//! HttpOnly session cookie.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use yunwei_core::{auth, Ctx, Principal};
use yunwei_domain::AppError;
use yunwei_store::sessions::SessionRow;

use crate::error::WebError;
use crate::AppState;

pub const SESSION_COOKIE: &str = "yw_session";
pub const LOGIN_CSRF_COOKIE: &str = "yw_login_csrf";

/// The request context (source address, request id) for audit records.
pub struct ReqCtx(pub Ctx);

impl<S: Send + Sync> FromRequestParts<S> for ReqCtx {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ReqCtx(
            parts.extensions.get::<Ctx>().cloned().unwrap_or_default(),
        ))
    }
}

pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// An authenticated API caller.
pub struct ApiUser(pub Principal);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        let ctx = parts.extensions.get::<Ctx>().cloned().unwrap_or_default();
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| WebError::api(AppError::unauthorized()))?;
        let principal = if token.starts_with(auth::API_TOKEN_PREFIX) {
            auth::authenticate_token(&s.platform, token).await?
        } else {
            auth::authenticate_session(&s.platform, &ctx, token)
                .await?
                .0
        };
        Ok(ApiUser(principal))
    }
}

/// An authenticated UI user with their session (for the CSRF token).
pub struct UiUser {
    pub principal: Principal,
    pub session: SessionRow,
}

impl FromRequestParts<AppState> for UiUser {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        let ctx = parts.extensions.get::<Ctx>().cloned().unwrap_or_default();
        let token =
            cookie(parts, SESSION_COOKIE).ok_or_else(|| WebError::ui(AppError::unauthorized()))?;
        let (principal, session) = auth::authenticate_session(&s.platform, &ctx, &token)
            .await
            .map_err(WebError::ui)?;
        let path = parts.uri.path();
        if principal.must_change_password && path != "/password/change" && path != "/logout" {
            return Err(WebError::ui(AppError::new(
                yunwei_domain::ErrorKind::Forbidden,
                "auth.password_change_required",
                "请先修改初始密码",
            )));
        }
        Ok(UiUser { principal, session })
    }
}

impl UiUser {
    /// Every UI form carries the session's CSRF token.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), WebError> {
        if yunwei_domain::crypto::constant_time_eq(
            submitted.as_bytes(),
            self.session.csrf_token.as_bytes(),
        ) {
            Ok(())
        } else {
            Err(WebError::ui(AppError::new(
                yunwei_domain::ErrorKind::Forbidden,
                "csrf.invalid",
                "页面已过期或请求来源无效，请刷新页面后重试",
            )))
        }
    }
}
