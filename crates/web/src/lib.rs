//! HTTP layer: the JSON API under `/api/v1` (with its OpenAPI document) and
//! the server-rendered Chinese UI. Handlers only translate HTTP to use cases
//! in `yunwei-core`; every permission check happens there, on the server.

mod api;
mod error;
mod extract;
mod metrics;
mod middleware;
pub mod openapi;
mod ui;

use axum::routing::get;
use axum::Router;
use yunwei_core::Platform;

pub use error::WebError;
pub use metrics::listener_router as metrics_listener_router;
pub use ui::{guards as ui_routes, Guard as UiGuard};

#[derive(Clone, Debug, Default)]
pub struct WebOptions {
    /// Mark cookies `Secure` (set when served behind HTTPS).
    pub secure_cookies: bool,
    /// Serve `/metrics` on this router to requests bearing this token
    /// (ADR 0025); `None`: `/metrics` is `request.not_found` here.
    pub metrics_token: Option<yunwei_core::metrics::MetricsToken>,
}

#[derive(Clone)]
pub(crate) struct AppState {
    pub platform: Platform,
    pub options: WebOptions,
}

pub fn router(platform: Platform, options: WebOptions) -> Router {
    let state = AppState { platform, options };
    let metrics_platform = state.platform.clone();
    Router::new()
        .merge(api::routes())
        .merge(ui::routes(&state))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::on_main))
        .route("/static/app.css", get(ui::stylesheet))
        .route("/static/app.js", get(ui::script))
        .route("/static/print.css", get(ui::print_stylesheet))
        .fallback(middleware::not_found)
        .method_not_allowed_fallback(middleware::method_not_allowed)
        .layer(axum::middleware::from_fn(middleware::request_context))
        // Outermost: the latency includes the error rendering.
        .layer(axum::middleware::from_fn_with_state(
            metrics_platform,
            metrics::track,
        ))
        .with_state(state)
}

async fn healthz(
    axum::extract::State(s): axum::extract::State<AppState>,
) -> Result<&'static str, WebError> {
    yunwei_core::health(&s.platform)
        .await
        .map_err(WebError::api)?;
    Ok("ok")
}
