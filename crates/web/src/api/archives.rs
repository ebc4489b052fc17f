//! Technical archives under `/api/v1/archives` (EEDS-3.6, NTCZ-3.1.7),
//! with the audited Excel export of the list.

use crate::extract::Query;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use yunwei_core::archives::{self, ListFilter, NewDoc};

use super::ApiResult;
use crate::error::WebError;
use crate::extract::{ApiUser, ReqCtx};
use crate::AppState;

#[derive(Deserialize, Default)]
pub(crate) struct ListQuery {
    #[serde(default)]
    pub ci_id: Option<String>,
}

pub async fn list(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(q): Query<ListQuery>,
) -> ApiResult {
    Ok(Json(json!(
        archives::list(&s.platform, &pr, q.ci_id.as_deref()).await?
    )))
}

/// The list page's filters and the export's reason.
#[derive(Deserialize, Default)]
pub(crate) struct ExportQuery {
    #[serde(default)]
    pub ci_id: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub org_id: Option<String>,
    /// Required.
    #[serde(default)]
    pub reason: Option<String>,
}

pub async fn export(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Query(q): Query<ExportQuery>,
) -> Result<Response, WebError> {
    let f = ListFilter {
        ci_id: q.ci_id,
        kind: q.kind,
        org_id: q.org_id,
    };
    let bytes = archives::export(
        &s.platform,
        &ctx,
        &pr,
        &f,
        q.reason.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(super::xlsx("archives.xlsx", bytes))
}

/// The request body is the file; the rest comes in the query.
pub async fn create(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Query(q): Query<NewDoc>,
    super::RawBody(body): super::RawBody,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let d = archives::create(&s.platform, &ctx, &pr, &q, &body).await?;
    Ok((StatusCode::CREATED, Json(json!(d))))
}

pub async fn get(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(Json(json!(archives::get(&s.platform, &pr, &id).await?)))
}

#[derive(Deserialize)]
pub(crate) struct VersionQuery {
    pub filename: String,
    #[serde(default)]
    pub note: String,
}

pub async fn add_version(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Query(q): Query<VersionQuery>,
    super::RawBody(body): super::RawBody,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let d = archives::add_version(&s.platform, &ctx, &pr, &id, &q.filename, &q.note, &body).await?;
    Ok((StatusCode::CREATED, Json(json!(d))))
}

pub async fn download(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (v, bytes) = archives::download(&s.platform, &ctx, &pr, &id).await?;
    Ok(super::tickets::attachment_response(&v.filename, bytes))
}
