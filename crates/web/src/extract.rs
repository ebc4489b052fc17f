//! Extractors shared by the API and the UI: the request context, the
//! query string, and the API caller's principal. API calls authenticate
//! with `Authorization: Bearer` (a session token from `/api/v1/auth/login`
//! or an integration token); UI pages with the HttpOnly session cookie
//! (`ui::session`).

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use yunwei_core::{auth, Ctx, Principal};
use yunwei_domain::AppError;

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

/// Whether a path belongs to the JSON API (errors as JSON) rather than the
/// UI (errors as a Chinese page).
pub fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// An error of the request itself, as JSON under `/api/` and as the error
/// page elsewhere.
pub fn request_error(path: &str, err: AppError) -> WebError {
    if is_api_path(path) {
        WebError::api(err)
    } else {
        WebError::ui(err)
    }
}

/// The query string, parsed with Chinese errors instead of axum's English
/// text: page parameters (`page`, `per_page`, `page_size`) must be whole
/// numbers from 1 to [`yunwei_domain::paging::MAX_PAGE`]
/// (`request.invalid_page`), anything else that does not parse is
/// `request.invalid_query`. Every handler takes its query through this.
pub struct Query<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let path = parts.uri.path().to_string();
        if let Ok(axum::extract::Query(pairs)) =
            axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
        {
            for (k, v) in &pairs {
                if yunwei_domain::paging::PAGE_PARAMS.contains(&k.as_str()) {
                    yunwei_domain::paging::parse_page_param(k, v)
                        .map_err(|e| request_error(&path, e))?;
                }
            }
        }
        match axum::extract::Query::<T>::try_from_uri(&parts.uri) {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(e) => {
                tracing::debug!(error = %e, "bad query string");
                Err(request_error(
                    &path,
                    AppError::bad_request(
                        "request.invalid_query",
                        "查询参数格式不正确，请检查链接中的参数",
                    ),
                ))
            }
        }
    }
}
