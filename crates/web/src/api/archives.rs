//! Technical archives under `/api/v1/archives` (EEDS-3.6, NTCZ-3.1.7),
//! with the audited Excel export of the list.

use crate::extract::Query;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use yunwei_core::archives::{self, DocView, ListFilter, NewDoc};

use super::{ApiResult, ExportReason};
use crate::error::WebError;
use crate::extract::{ApiUser, ReqCtx};
use crate::openapi::{
    BadRequest, Binary, Conflict, Forbidden, Internal, NotFound, TooLarge, Unauthorized,
};
use crate::AppState;

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// Documents of this configuration item only.
    #[serde(default)]
    pub ci_id: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/archives",
    operation_id = "archives_list",
    tag = "技术档案",
    summary = "技术资料列表（ci_id 可选）：名称、类别、版本及各版本 SM3；有查看业务数据权限者可见",
    params(ListQuery),
    responses(
        (status = 200, description = "技术资料", body = Vec<DocView>),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Vec<DocView>>> {
    Ok(Json(
        archives::list(&s.platform, &pr, q.ci_id.as_deref()).await?,
    ))
}

/// The export's filters, as the list page's.
#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ExportQuery {
    /// Documents of this configuration item only.
    #[serde(default)]
    pub ci_id: Option<String>,
    /// One archive kind.
    #[serde(default)]
    pub kind: Option<String>,
    /// This organisation and the ones below it.
    #[serde(default)]
    pub org_id: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/archives/export.xlsx",
    operation_id = "archives_export",
    tag = "技术档案",
    summary = "导出技术资料列表（Excel：名称、类别、配置项、机构、当前版本及其 SM3、更新时间；筛选 ci_id, kind, org_id（含下级），须填 reason，记入审计）",
    params(ExportReason, ExportQuery),
    responses(
        (status = 200, description = "Excel 工作簿", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Binary),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn export(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Query(q): Query<ExportQuery>,
    Query(r): Query<ExportReason>,
) -> Result<Response, WebError> {
    let f = ListFilter {
        ci_id: q.ci_id,
        kind: q.kind,
        org_id: q.org_id,
    };
    let bytes = archives::export(&s.platform, &ctx, &pr, &f, r.text()).await?;
    Ok(super::xlsx("archives.xlsx", bytes))
}

/// The request body is the file; the rest comes in the query.
#[utoipa::path(
    post,
    path = "/api/v1/archives",
    operation_id = "archives_create",
    tag = "技术档案",
    summary = "上传技术资料第 1 版（请求体为文件；查询参数 title, kind, filename, ci?, org_id?, note?；EEDS-3.6）",
    params(NewDoc),
    request_body(content = Binary, description = "文件内容", content_type = "application/octet-stream"),
    responses(
        (status = 201, description = "已上传", body = DocView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Query(q): Query<NewDoc>,
    super::RawBody(body): super::RawBody,
) -> ApiResult<(StatusCode, Json<DocView>)> {
    let d = archives::create(&s.platform, &ctx, &pr, &q, &body).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

#[utoipa::path(
    get,
    path = "/api/v1/archives/{id}",
    operation_id = "archives_get",
    tag = "技术档案",
    summary = "技术资料详情与版本历史",
    params(("id" = String, Path, description = "技术资料 ID")),
    responses(
        (status = 200, description = "技术资料", body = DocView),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn get(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<DocView>> {
    Ok(Json(archives::get(&s.platform, &pr, &id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct VersionQuery {
    pub filename: String,
    /// What changed.
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/archives/{id}/versions",
    operation_id = "archives_add_version",
    tag = "技术档案",
    summary = "上传新版本（请求体为文件；查询参数 filename, note?；旧版本保留）",
    params(("id" = String, Path, description = "技术资料 ID"), VersionQuery),
    request_body(content = Binary, description = "文件内容", content_type = "application/octet-stream"),
    responses(
        (status = 201, description = "已上传", body = DocView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn add_version(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Query(q): Query<VersionQuery>,
    super::RawBody(body): super::RawBody,
) -> ApiResult<(StatusCode, Json<DocView>)> {
    let d = archives::add_version(&s.platform, &ctx, &pr, &id, &q.filename, &q.note, &body).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

#[utoipa::path(
    get,
    path = "/api/v1/archive-versions/{id}/download",
    operation_id = "archives_download",
    tag = "技术档案",
    summary = "下载某一版本（须有维护运维台账权限；每次下载及被拒绝的下载均记录审计）",
    params(("id" = String, Path, description = "版本 ID")),
    responses(
        (status = 200, description = "文件", content_type = "application/octet-stream", body = Binary),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn download(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (v, bytes) = archives::download(&s.platform, &ctx, &pr, &id).await?;
    Ok(super::tickets::attachment_response(&v.filename, bytes))
}
