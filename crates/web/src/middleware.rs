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
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

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
    if let Some(e) = res.extensions_mut().remove::<WebError>() {
        res = render_error(e, &request_id);
    }
    let status = res.status();
    span.in_scope(|| {
        tracing::info!(%method, %path, status = status.as_u16(), ms = started.elapsed().as_millis() as u64, "handled")
    });
    let h = res.headers_mut();
    h.insert(
        "x-request-id",
        HeaderValue::from_str(&request_id).unwrap_or(HeaderValue::from_static("-")),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
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

fn render_error(e: WebError, request_id: &str) -> Response {
    let status = crate::error::status_of(e.err.kind);
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
    let body = serde_json::json!({ "code": e.err.code, "message": e.err.message, "request_id": request_id });
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}
