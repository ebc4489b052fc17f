//! The CMDB under `/api/v1/cis` and `/api/v1/ip-segments` (EEDS-1.3,
//! EEDS-3.6, JSCZ-10).

use crate::extract::Query;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use yunwei_core::cmdb::{self, AllocationInput, CiInput, ListQuery, RelationInput, SegmentInput};

use super::{ApiResult, Body};
use crate::error::WebError;
use crate::extract::{ApiUser, ReqCtx};
use crate::AppState;

#[derive(Deserialize, Default)]
pub(crate) struct CiListQuery {
    #[serde(flatten)]
    pub filter: ListQuery,
    #[serde(default)]
    pub page: Option<u64>,
    #[serde(default)]
    pub per_page: Option<u64>,
    /// Export only: why (audited).
    #[serde(default)]
    pub reason: Option<String>,
}

pub async fn list(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(q): Query<CiListQuery>,
) -> ApiResult {
    cmdb::may_read(&pr)?;
    let page = cmdb::list(
        &s.platform,
        &pr,
        &q.filter,
        q.page.unwrap_or(1),
        q.per_page.unwrap_or(50),
    )
    .await?;
    Ok(Json(json!(page)))
}

pub async fn export(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Query(q): Query<CiListQuery>,
) -> Result<Response, WebError> {
    let bytes = cmdb::export(
        &s.platform,
        &ctx,
        &pr,
        &q.filter,
        q.reason.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(super::xlsx("cmdb.xlsx", bytes))
}

#[derive(Deserialize, Default)]
pub(crate) struct ImportQuery {
    /// `true`: validate and report only.
    #[serde(default)]
    pub dry_run: bool,
}

/// The request body is the .xlsx file itself.
pub async fn import(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Query(q): Query<ImportQuery>,
    super::RawBody(body): super::RawBody,
) -> ApiResult {
    let r = cmdb::import(&s.platform, &ctx, &pr, &body, q.dry_run).await?;
    Ok(Json(json!(r)))
}

pub async fn create(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Body(b): Body<CiInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let a = cmdb::create(&s.platform, &ctx, &pr, &b).await?;
    let v = cmdb::detail(&s.platform, &pr, &a.id).await?;
    Ok((StatusCode::CREATED, Json(json!(v))))
}

pub async fn get(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(Json(json!(cmdb::detail(&s.platform, &pr, &id).await?)))
}

#[derive(Deserialize)]
pub(crate) struct CiUpdate {
    #[serde(flatten)]
    pub input: CiInput,
    /// The `updated_at` the editor read; a later change refuses the edit.
    #[serde(default)]
    pub expected_updated_at: Option<i64>,
}

pub async fn update(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<CiUpdate>,
) -> ApiResult {
    cmdb::update(&s.platform, &ctx, &pr, &id, &b.input, b.expected_updated_at).await?;
    Ok(Json(json!(cmdb::detail(&s.platform, &pr, &id).await?)))
}

pub async fn add_relation(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<RelationInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let r = cmdb::add_relation(&s.platform, &ctx, &pr, &id, &b).await?;
    Ok((StatusCode::CREATED, Json(json!(r))))
}

pub async fn remove_relation(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    cmdb::remove_relation(&s.platform, &ctx, &pr, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub(crate) struct LinkInput {
    /// The item, by id or code.
    pub ci: String,
}

pub async fn ticket_cis(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(Json(json!(
        cmdb::cis_of_ticket(&s.platform, &pr, &id).await?
    )))
}

pub async fn link_ticket(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<LinkInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let a = cmdb::link_ticket(&s.platform, &ctx, &pr, &id, &b.ci).await?;
    Ok((StatusCode::CREATED, Json(json!(a))))
}

pub async fn unlink_ticket(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path((id, ci)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    cmdb::unlink_ticket(&s.platform, &ctx, &pr, &id, &ci).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn segments(State(s): State<AppState>, ApiUser(pr): ApiUser) -> ApiResult {
    cmdb::may_read(&pr)?;
    Ok(Json(json!(cmdb::segments(&s.platform, &pr).await?)))
}

pub async fn create_segment(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Body(b): Body<SegmentInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let seg = cmdb::create_segment(&s.platform, &ctx, &pr, &b).await?;
    Ok((StatusCode::CREATED, Json(json!(seg))))
}

pub async fn segment(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(Json(json!(
        cmdb::segment_detail(&s.platform, &pr, &id).await?
    )))
}

pub async fn allocate(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<AllocationInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let a = cmdb::allocate(&s.platform, &ctx, &pr, &id, &b).await?;
    Ok((StatusCode::CREATED, Json(json!(a))))
}

pub async fn release(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    cmdb::release(&s.platform, &ctx, &pr, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
