//! Request id, access log, security headers and error rendering.

use std::net::SocketAddr;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use tracing::Instrument;
use yunwei_core::Ctx;
use yunwei_domain::ErrorKind;

use crate::error::WebError;

/// Strict CSP: only our own scripts and styles, no inline script, no
/// framing, forms post only to us.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; \
                   base-uri 'none'";

/// A file shown inline (an attachment's preview): our own pages may frame
/// it (the PDF viewer in the ticket page), nothing else.
#[derive(Debug, Clone, Copy)]
pub struct InlinePreview;

/// The policy of an inline preview: no script, no style, framed only by us.
const PREVIEW_CSP: &str = "default-src 'none'; img-src 'self'; object-src 'self'; \
                           frame-ancestors 'self'; base-uri 'none'";

pub async fn request_context(mut req: Request, next: Next) -> Response {
    let request_id = yunwei_domain::ids::new_id();
    let source_ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into());
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(200)
        .collect();
    req.extensions_mut().insert(Ctx {
        source_ip,
        request_id: request_id.clone(),
        user_agent,
    });
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let started = Instant::now();
    let span = tracing::info_span!("request", id = %request_id);
    let mut res = next.run(req).instrument(span.clone()).await;
    let allow = res.headers().get(header::ALLOW).cloned();
    if let Some(e) = res.extensions_mut().remove::<WebError>() {
        res = render_error(e, &request_id);
    } else if let Some(e) = bare_error(&res, &path) {
        // An error that left without a body of ours (an axum rejection in
        // English plain text, an empty 4xx/5xx): JSON or the error page.
        res = render_error(e, &request_id);
    }
    if let Some(allow) = allow {
        res.headers_mut().insert(header::ALLOW, allow);
    }
    let status = res.status();
    span.in_scope(|| {
        tracing::info!(%method, %path, status = status.as_u16(), ms = started.elapsed().as_millis() as u64, "handled")
    });
    let preview = res.extensions().get::<InlinePreview>().is_some();
    let h = res.headers_mut();
    h.insert(
        "x-request-id",
        HeaderValue::from_str(&request_id).unwrap_or(HeaderValue::from_static("-")),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(if preview { PREVIEW_CSP } else { CSP }),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static(if preview { "SAMEORIGIN" } else { "DENY" }),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// The error of a 4xx/5xx response whose body is not ours: empty or plain
/// text (axum's rejections), neither JSON nor HTML.
fn bare_error(res: &Response, path: &str) -> Option<WebError> {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return None;
    }
    let ours = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| !ct.starts_with("text/plain"));
    if ours {
        return None;
    }
    Some(crate::extract::request_error(
        path,
        crate::error::error_for_status(status),
    ))
}

/// Unknown routes: `request.not_found` (JSON under `/api/`, else the page).
pub async fn not_found(uri: axum::http::Uri) -> WebError {
    crate::extract::request_error(
        uri.path(),
        crate::error::error_for_status(axum::http::StatusCode::NOT_FOUND),
    )
}

/// A known route with another method: `request.method_not_allowed`.
pub async fn method_not_allowed(uri: axum::http::Uri) -> WebError {
    crate::extract::request_error(
        uri.path(),
        crate::error::error_for_status(axum::http::StatusCode::METHOD_NOT_ALLOWED),
    )
}

fn render_error(e: WebError, request_id: &str) -> Response {
    let status = crate::error::status_for(&e.err);
    if e.err.kind == ErrorKind::Internal {
        tracing::error!(code = e.err.code, "request failed with an internal error");
    }
    if e.ui {
        if e.err.kind == ErrorKind::Unauthorized {
            return Redirect::to("/login").into_response();
        }
        if e.err.code == "auth.password_change_required" {
            return Redirect::to("/password/change").into_response();
        }
        let page = crate::ui::error_page(status.as_u16(), &e.err.message, request_id);
        let mut r = (status, Html(page)).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        return r;
    }
    let body = crate::error::ErrorBody {
        code: e.err.code.to_string(),
        message: e.err.message,
        request_id: request_id.to_string(),
    };
    let body = serde_json::to_string(&body).unwrap_or_default();
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}
