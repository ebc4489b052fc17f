//! Reports under `/api/v1/reports`.

use crate::extract::Query;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use yunwei_core::reports;

use super::ApiResult;
use crate::error::WebError;
use crate::extract::{ApiUser, ReqCtx};
use crate::AppState;

#[derive(Deserialize)]
pub struct SlaQuery {
    /// `YYYY-MM`; the current month (China time) when absent.
    #[serde(default)]
    month: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

fn month_of(s: &AppState, q: &SlaQuery) -> String {
    q.month
        .clone()
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| reports::current_month(s.platform.clock.now()))
}

pub async fn sla(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(q): Query<SlaQuery>,
) -> ApiResult {
    let r = reports::monthly_sla(&s.platform, &pr, &month_of(&s, &q)).await?;
    Ok(Json(json!(r)))
}

pub async fn sla_export(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Query(q): Query<SlaQuery>,
) -> Result<Response, WebError> {
    let month = month_of(&s, &q);
    let bytes = reports::export_sla(
        &s.platform,
        &ctx,
        &pr,
        &month,
        q.reason.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(super::xlsx(&format!("sla-{month}.xlsx"), bytes))
}
