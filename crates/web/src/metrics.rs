//! `/metrics` (ADR 0025): the platform's Prometheus metrics, and the
//! middleware that counts every request by its matched route.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use yunwei_core::metrics::MetricsToken;
use yunwei_core::Platform;

use crate::error::WebError;
use crate::AppState;

/// Counts the request and its latency under axum's matched route (a
/// pattern such as `/tickets/{id}`; requests no route matched share one
/// series). Atomics only: nothing is held across the handler's await.
pub async fn track(State(p): State<Platform>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().cloned();
    let method = req.method().clone();
    let started = Instant::now();
    let res = next.run(req).await;
    p.metrics.observe_request(
        method.as_str(),
        route.as_ref().map(MatchedPath::as_str),
        res.status().as_u16(),
        started.elapsed(),
    );
    res
}

/// `/metrics` on the main listener: served only with a token configured,
/// and only to a request bearing it.
pub async fn on_main(State(s): State<AppState>, headers: HeaderMap) -> Result<Response, WebError> {
    let Some(token) = &s.options.metrics_token else {
        return Err(WebError::api(yunwei_core::metrics::not_served()));
    };
    exposition(&s.platform, Some(token), &headers).await
}

async fn exposition(
    p: &Platform,
    token: Option<&MetricsToken>,
    headers: &HeaderMap,
) -> Result<Response, WebError> {
    if let Some(token) = token {
        let authorization = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        yunwei_core::metrics::authorize_scrape(token, authorization).map_err(WebError::api)?;
    }
    let body = yunwei_core::metrics::render(p)
        .await
        .map_err(WebError::api)?;
    let mut res = body.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(yunwei_core::metrics::CONTENT_TYPE),
    );
    Ok(res)
}

#[derive(Clone)]
struct ListenerState {
    platform: Platform,
    token: Option<MetricsToken>,
}

/// The router of the separate metrics listener (`metrics.listen`): only
/// `/metrics`, behind the token when one is configured too; anything else
/// is `request.not_found`.
pub fn listener_router(platform: Platform, token: Option<MetricsToken>) -> Router {
    let state = ListenerState { platform, token };
    Router::new()
        .route(
            "/metrics",
            get(
                |State(s): State<ListenerState>, headers: HeaderMap| async move {
                    exposition(&s.platform, s.token.as_ref(), &headers).await
                },
            ),
        )
        .fallback(crate::middleware::not_found)
        .method_not_allowed_fallback(crate::middleware::method_not_allowed)
        .layer(axum::middleware::from_fn(
            crate::middleware::request_context,
        ))
        .with_state(state)
}
