//! The due-date overview under `/api/v1/controls` (ADR 0005): every open
//! control in the caller's scope, overdue first, and its Excel export.

use crate::extract::Query;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use yunwei_core::controls::{self, OverviewFilter};

use super::ApiResult;
use crate::error::WebError;
use crate::extract::{ApiUser, ReqCtx};
use crate::AppState;

#[derive(Deserialize, Default)]
pub(crate) struct ControlsQuery {
    #[serde(default)]
    pub org_id: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    /// `open` (default), `overdue`, `due_soon`, `pending`, `done`, `all`.
    #[serde(default)]
    pub status: Option<String>,
    /// Required for the export.
    #[serde(default)]
    pub reason: Option<String>,
}

impl ControlsQuery {
    fn filter(&self) -> OverviewFilter {
        OverviewFilter {
            org_id: self.org_id.clone(),
            kind: self.kind.clone(),
            status: self.status.clone(),
        }
    }
}

pub async fn overview(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(q): Query<ControlsQuery>,
) -> ApiResult {
    let o = controls::overview(&s.platform, &pr, &q.filter()).await?;
    Ok(Json(json!(o)))
}

pub async fn export(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Query(q): Query<ControlsQuery>,
) -> Result<Response, WebError> {
    let bytes = controls::export(
        &s.platform,
        &ctx,
        &pr,
        &q.filter(),
        q.reason.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(super::xlsx("controls.xlsx", bytes))
}
