//! `POST /api/v1/integrations/alertmanager/{source}`: Alertmanager's
//! webhook receiver (ADR 0024). Authenticated by the source's own bearer
//! token, not by a user session; the body limit is checked before the body
//! is read.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;
use yunwei_core::alerts::{self, Delivery};

use super::ApiResult;
use crate::extract::ReqCtx;
use crate::openapi::{BadRequest, Conflict, Forbidden, Internal, TooLarge, Unauthorized};
use crate::AppState;

/// Largest notification accepted.
pub(crate) const BODY_LIMIT: usize = yunwei_domain::alerts::MAX_BODY_BYTES;

/// Alertmanager's webhook notification, version 4 (as Alertmanager sends
/// it; unknown keys are ignored).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // documents the body; the use case parses it
pub struct AlertmanagerNotification {
    /// `4`.
    version: String,
    group_key: String,
    /// `firing` or `resolved`.
    status: String,
    receiver: String,
    group_labels: std::collections::BTreeMap<String, String>,
    common_labels: std::collections::BTreeMap<String, String>,
    /// Each with `status`, `labels`, `annotations`, `startsAt`, `endsAt`,
    /// `fingerprint`.
    alerts: Vec<serde_json::Value>,
}

#[utoipa::path(
    post,
    path = "/api/v1/integrations/alertmanager/{source}",
    operation_id = "alerts_webhook",
    tag = "集成",
    summary = "接收 Alertmanager 告警通知：同一告警组开一张事件单，重复通知更新同一事件，恢复时记入时间线（须携带该告警来源的令牌 Authorization: Bearer）",
    params(("source" = String, Path, description = "告警来源名（yunwei.toml 中 alertmanager.sources 的键）")),
    request_body = AlertmanagerNotification,
    responses(
        (status = 200, description = "已处理", body = Delivery),
        BadRequest, Unauthorized, Forbidden, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn webhook(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    Path(source): Path<String>,
    headers: HeaderMap,
    super::RawBody(body): super::RawBody,
) -> ApiResult<Json<Delivery>> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let d = alerts::receive(&s.platform, &ctx, &source, bearer, &body).await?;
    Ok(Json(d))
}
