//! CSRF: every form post of the UI is checked here, in front of its
//! handler. [`routes`](super::routes) puts each POST route behind one of the
//! two layers below; there is no other way to add a form route.
//!
//! - [`session_forms`]: the logged-in user's forms carry the session's
//!   token. The layer reads the session, then the token from the body: an
//!   urlencoded form in full (up to the form limit), a multipart upload only
//!   as far as its first text fields, where the pages put the token, so a
//!   large upload is not read, let alone written, before the token is
//!   right. A missing or wrong token is the Chinese 403 error page.
//! - [`login_forms`]: the login forms, before there is a session, carry the
//!   login pages' own token (a cookie of theirs); without it the login page
//!   comes back saying it expired.
//!
//! The handler gets the body as it came, and the user the layer read.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use yunwei_domain::{AppError, ErrorKind};

use super::error::UiError;
use super::login;
use super::session::UiUser;
use crate::error::error_for_status;
use crate::extract::{cookie, LOGIN_CSRF_COOKIE};
use crate::AppState;

/// The form field of the token.
const FIELD: &str = "csrf";
/// The largest urlencoded form (axum's default body limit, as before).
const FORM_LIMIT: usize = 2 * 1024 * 1024;
/// How much of a multipart body is read to find the token before anything
/// else; the token is the first field of every upload form.
const UPLOAD_PREFIX: usize = 64 * 1024;

/// The refusal of a form without the session's token.
fn refusal() -> AppError {
    AppError::new(
        ErrorKind::Forbidden,
        "csrf.invalid",
        "页面已过期或请求来源无效，请刷新页面后重试",
    )
}

/// Whether `submitted` is the expected token (an empty one never is).
fn same_token(submitted: Option<&str>, expected: &str) -> bool {
    !expected.is_empty()
        && submitted.is_some_and(|s| {
            yunwei_domain::crypto::constant_time_eq(s.as_bytes(), expected.as_bytes())
        })
}

/// The layer of the logged-in user's form posts: the session, then its
/// token, before the handler.
pub(super) async fn session_forms(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    // Who is posting first: no session is the login page, a forced password
    // change its page, as for any page.
    let user = match UiUser::from_request_parts(&mut parts, &s).await {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    let (fields, body) = match leading_fields(&parts.headers, body).await {
        Ok(x) => x,
        Err(e) => return UiError(e).into_response(),
    };
    if !same_token(field(&fields, FIELD), &user.session.csrf_token) {
        return UiError(refusal()).into_response();
    }
    parts.extensions.insert(user);
    next.run(Request::from_parts(parts, body)).await
}

/// The layer of the login forms: the login pages' token, from their
/// cookie; without it the login page again, saying it expired.
pub(super) async fn login_forms(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let (fields, body) = match leading_fields(&parts.headers, body).await {
        Ok(x) => x,
        Err(e) => return UiError(e).into_response(),
    };
    let expected = cookie(&parts, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if !same_token(field(&fields, FIELD), &expected) {
        let username = field(&fields, "username").unwrap_or_default();
        return login::expired(&s, username).await.into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}

fn field<'f>(fields: &'f [(String, String)], name: &str) -> Option<&'f str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The form's fields as far as the token needs them, and the body to hand
/// on unchanged: all fields of an urlencoded form; the text fields before
/// the first file of a multipart form, within its first
/// [`UPLOAD_PREFIX`] bytes; none of any other body.
async fn leading_fields(
    headers: &HeaderMap,
    body: Body,
) -> Result<(Vec<(String, String)>, Body), AppError> {
    let Some(content_type) = headers.get(header::CONTENT_TYPE) else {
        return Ok((vec![], body));
    };
    let mime = content_type
        .to_str()
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "application/x-www-form-urlencoded" => {
            let (bytes, rest) = read_prefix(body, FORM_LIMIT + 1).await?;
            if rest.is_some() {
                return Err(error_for_status(StatusCode::PAYLOAD_TOO_LARGE));
            }
            let fields = form_urlencoded::parse(&bytes).into_owned().collect();
            Ok((fields, Body::from(bytes)))
        }
        "multipart/form-data" => {
            let (prefix, rest) = read_prefix(body, UPLOAD_PREFIX).await?;
            // Only the first bytes are parsed (a chunk may hold more).
            let head = prefix.slice(..prefix.len().min(UPLOAD_PREFIX));
            let fields = multipart_text_fields(content_type, head).await;
            let body = match rest {
                None => Body::from(prefix),
                Some(rest) => Body::from_stream(
                    futures_util::stream::iter([Ok::<_, axum::Error>(prefix)]).chain(rest),
                ),
            };
            Ok((fields, body))
        }
        _ => Ok((vec![], body)),
    }
}

/// Reads a body until at least `limit` bytes or its end: the bytes read,
/// and the rest of the stream if the end was not reached.
async fn read_prefix(
    body: Body,
    limit: usize,
) -> Result<(Bytes, Option<axum::body::BodyDataStream>), AppError> {
    let mut stream = body.into_data_stream();
    let mut buf: Vec<u8> = Vec::new();
    while buf.len() < limit {
        match stream.next().await {
            Some(Ok(chunk)) => buf.extend_from_slice(&chunk),
            Some(Err(_)) => {
                return Err(AppError::bad_request(
                    "request.invalid_form",
                    "表单内容不完整或格式不正确",
                ))
            }
            None => return Ok((Bytes::from(buf), None)),
        }
    }
    Ok((Bytes::from(buf), Some(stream)))
}

/// The text fields at the start of a multipart body (possibly cut short),
/// up to its first file.
async fn multipart_text_fields(content_type: &HeaderValue, prefix: Bytes) -> Vec<(String, String)> {
    let mut req = Request::new(Body::from(prefix));
    req.headers_mut()
        .insert(header::CONTENT_TYPE, content_type.clone());
    let Ok(mut m) = Multipart::from_request(req, &()).await else {
        return vec![];
    };
    let mut fields = Vec::new();
    while let Ok(Some(f)) = m.next_field().await {
        if f.file_name().is_some() {
            break;
        }
        let name = f.name().unwrap_or_default().to_string();
        match f.text().await {
            Ok(v) => fields.push((name, v)),
            Err(_) => break,
        }
    }
    fields
}
