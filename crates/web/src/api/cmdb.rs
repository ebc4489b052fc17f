//! The CMDB under `/api/v1/cis` and `/api/v1/ip-segments` (EEDS-1.3,
//! EEDS-3.6, JSCZ-10).

use crate::extract::Query;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use yunwei_core::cmdb::{
    self, AllocationInput, CiDetail, CiInput, CiPage, CiRow, ImportReport, LinkedCi, ListQuery,
    RelationInput, SegmentDetail, SegmentInput, SegmentView,
};

use super::{ApiResult, Body, ExportReason, Paging};
use crate::error::WebError;
use crate::extract::{ApiUser, ReqCtx};
use crate::openapi::{
    AllocationRowRef, BadRequest, Binary, Conflict, Forbidden, Internal, NotFound, SegmentRowRef,
    TooLarge, Unauthorized,
};
use crate::AppState;

#[utoipa::path(
    get,
    path = "/api/v1/cis",
    operation_id = "cmdb_list",
    tag = "配置管理",
    summary = "配置项列表（category, status, org_id 含下级, q 编号/名称/类型/厂商/位置, page, per_page），按编号排序",
    params(ListQuery, Paging),
    responses(
        (status = 200, description = "一页配置项", body = CiPage),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(filter): Query<ListQuery>,
    Query(paging): Query<Paging>,
) -> ApiResult<Json<CiPage>> {
    cmdb::may_read(&pr)?;
    let page = cmdb::list(
        &s.platform,
        &pr,
        &filter,
        paging.page.unwrap_or(1),
        paging.per_page.unwrap_or(50),
    )
    .await?;
    Ok(Json(page))
}

#[utoipa::path(
    get,
    path = "/api/v1/cis/export.xlsx",
    operation_id = "cmdb_export",
    tag = "配置管理",
    summary = "按筛选条件导出配置项 Excel（reason 必填，记录审计；可再导入）",
    params(ExportReason, ListQuery),
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
    Query(filter): Query<ListQuery>,
    Query(r): Query<ExportReason>,
) -> Result<Response, WebError> {
    let bytes = cmdb::export(&s.platform, &ctx, &pr, &filter, r.text()).await?;
    Ok(super::xlsx("cmdb.xlsx", bytes))
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ImportQuery {
    /// `true`: validate and report only.
    #[serde(default)]
    pub dry_run: bool,
}

/// The request body is the .xlsx file itself.
#[utoipa::path(
    post,
    path = "/api/v1/cis/import",
    operation_id = "cmdb_import",
    tag = "配置管理",
    summary = "从 Excel 导入配置项（请求体为 .xlsx 文件；dry_run=true 只校验）：逐行校验，错误行给出行号和原因，其余行在一个事务中写入",
    params(ImportQuery),
    request_body(content = Binary, description = "Excel 文件（.xlsx）", content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "导入结果", body = ImportReport),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn import(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Query(q): Query<ImportQuery>,
    super::RawBody(body): super::RawBody,
) -> ApiResult<Json<ImportReport>> {
    let r = cmdb::import(&s.platform, &ctx, &pr, &body, q.dry_run).await?;
    Ok(Json(r))
}

#[utoipa::path(
    post,
    path = "/api/v1/cis",
    operation_id = "cmdb_create",
    tag = "配置管理",
    summary = "登记配置项（EEDS-1.3 四类：hardware/network/base_software/application；须有维护运维台账权限）",
    request_body = CiInput,
    responses(
        (status = 201, description = "已登记", body = CiDetail),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Body(b): Body<CiInput>,
) -> ApiResult<(StatusCode, Json<CiDetail>)> {
    let a = cmdb::create(&s.platform, &ctx, &pr, &b).await?;
    let v = cmdb::detail(&s.platform, &pr, &a.id).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[utoipa::path(
    get,
    path = "/api/v1/cis/{id}",
    operation_id = "cmdb_get",
    tag = "配置管理",
    summary = "配置项详情：属性、关系、影响范围（运行于或依赖它的全部配置项）、关联工单、IP 地址",
    params(("id" = String, Path, description = "配置项 ID")),
    responses(
        (status = 200, description = "配置项详情", body = CiDetail),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn get(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<CiDetail>> {
    Ok(Json(cmdb::detail(&s.platform, &pr, &id).await?))
}

/// Every field of the item, and the version read.
#[derive(Deserialize, ToSchema)]
pub(crate) struct CiUpdate {
    #[serde(flatten)]
    pub input: CiInput,
    /// The `updated_at` the editor read; a later change refuses the edit.
    #[serde(default)]
    pub expected_updated_at: Option<i64>,
}

#[utoipa::path(
    put,
    path = "/api/v1/cis/{id}",
    operation_id = "cmdb_update",
    tag = "配置管理",
    summary = "修改配置项（全部字段；expected_updated_at 防止覆盖他人修改）",
    params(("id" = String, Path, description = "配置项 ID")),
    request_body = CiUpdate,
    responses(
        (status = 200, description = "已修改", body = CiDetail),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn update(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<CiUpdate>,
) -> ApiResult<Json<CiDetail>> {
    cmdb::update(&s.platform, &ctx, &pr, &id, &b.input, b.expected_updated_at).await?;
    Ok(Json(cmdb::detail(&s.platform, &pr, &id).await?))
}

/// A relation between two items.
#[derive(Serialize, ToSchema)]
pub(crate) struct Relation {
    id: String,
    from_ci: String,
    to_ci: String,
    /// `runs_on`, `depends_on` or `connects_to`.
    kind: String,
    /// UTC microseconds.
    created_at: i64,
}

#[utoipa::path(
    post,
    path = "/api/v1/cis/{id}/relations",
    operation_id = "cmdb_add_relation",
    tag = "配置管理",
    summary = "建立关系：本配置项 runs_on / depends_on / connects_to 另一配置项（to 为编号或 id）",
    params(("id" = String, Path, description = "配置项 ID")),
    request_body = RelationInput,
    responses(
        (status = 201, description = "已建立", body = Relation),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn add_relation(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<RelationInput>,
) -> ApiResult<(StatusCode, Json<Relation>)> {
    let r = cmdb::add_relation(&s.platform, &ctx, &pr, &id, &b).await?;
    Ok((
        StatusCode::CREATED,
        Json(Relation {
            id: r.id,
            from_ci: r.from_ci,
            to_ci: r.to_ci,
            kind: r.kind,
            created_at: r.created_at,
        }),
    ))
}

#[utoipa::path(
    delete,
    path = "/api/v1/ci-relations/{id}",
    operation_id = "cmdb_remove_relation",
    tag = "配置管理",
    summary = "删除关系",
    params(("id" = String, Path, description = "关系 ID")),
    responses(
        (status = 204, description = "已删除"),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn remove_relation(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    cmdb::remove_relation(&s.platform, &ctx, &pr, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct LinkInput {
    /// The item, by id or code.
    pub ci: String,
}

#[utoipa::path(
    get,
    path = "/api/v1/tickets/{id}/cis",
    operation_id = "cmdb_ticket_cis",
    tag = "配置管理",
    summary = "工单关联的配置项",
    params(("id" = String, Path, description = "工单 ID")),
    responses(
        (status = 200, description = "关联的配置项", body = Vec<LinkedCi>),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn ticket_cis(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<LinkedCi>>> {
    Ok(Json(cmdb::cis_of_ticket(&s.platform, &pr, &id).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/cis",
    operation_id = "cmdb_link_ticket",
    tag = "配置管理",
    summary = "工单关联配置项（ci 为编号或 id；须能办理该工单）",
    params(("id" = String, Path, description = "工单 ID")),
    request_body = LinkInput,
    responses(
        (status = 201, description = "已关联的配置项", body = CiRow),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn link_ticket(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<LinkInput>,
) -> ApiResult<(StatusCode, Json<CiRow>)> {
    let a = cmdb::link_ticket(&s.platform, &ctx, &pr, &id, &b.ci).await?;
    Ok((StatusCode::CREATED, Json(a)))
}

#[utoipa::path(
    delete,
    path = "/api/v1/tickets/{id}/cis/{ci}",
    operation_id = "cmdb_unlink_ticket",
    tag = "配置管理",
    summary = "取消工单与配置项的关联",
    params(
        ("id" = String, Path, description = "工单 ID"),
        ("ci" = String, Path, description = "配置项 ID 或编号"),
    ),
    responses(
        (status = 204, description = "已取消"),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn unlink_ticket(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path((id, ci)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    cmdb::unlink_ticket(&s.platform, &ctx, &pr, &id, &ci).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/api/v1/ip-segments",
    operation_id = "cmdb_segments",
    tag = "配置管理",
    summary = "IP 地址规划：网段列表与已用数量",
    responses(
        (status = 200, description = "网段", body = Vec<SegmentView>),
        Unauthorized, Forbidden, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn segments(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
) -> ApiResult<Json<Vec<SegmentView>>> {
    cmdb::may_read(&pr)?;
    Ok(Json(cmdb::segments(&s.platform, &pr).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/ip-segments",
    operation_id = "cmdb_create_segment",
    tag = "配置管理",
    summary = "登记网段（如 10.12.0.0/24；与已有网段重叠的拒绝）",
    request_body = SegmentInput,
    responses(
        (status = 201, description = "已登记", body = inline(SegmentRowRef)),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn create_segment(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Body(b): Body<SegmentInput>,
) -> ApiResult<(StatusCode, Json<impl Serialize>)> {
    let seg = cmdb::create_segment(&s.platform, &ctx, &pr, &b).await?;
    Ok((StatusCode::CREATED, Json(seg)))
}

#[utoipa::path(
    get,
    path = "/api/v1/ip-segments/{id}",
    operation_id = "cmdb_segment",
    tag = "配置管理",
    summary = "网段详情与地址分配",
    params(("id" = String, Path, description = "网段 ID")),
    responses(
        (status = 200, description = "网段详情", body = SegmentDetail),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn segment(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<SegmentDetail>> {
    Ok(Json(cmdb::segment_detail(&s.platform, &pr, &id).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/ip-segments/{id}/allocations",
    operation_id = "cmdb_allocate",
    tag = "配置管理",
    summary = "分配 IP 地址（地址冲突、网络地址和广播地址拒绝；ci 为编号或 id）",
    params(("id" = String, Path, description = "网段 ID")),
    request_body = AllocationInput,
    responses(
        (status = 201, description = "已分配", body = inline(AllocationRowRef)),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn allocate(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<AllocationInput>,
) -> ApiResult<(StatusCode, Json<impl Serialize>)> {
    let a = cmdb::allocate(&s.platform, &ctx, &pr, &id, &b).await?;
    Ok((StatusCode::CREATED, Json(a)))
}

#[utoipa::path(
    delete,
    path = "/api/v1/ip-allocations/{id}",
    operation_id = "cmdb_release",
    tag = "配置管理",
    summary = "释放 IP 地址",
    params(("id" = String, Path, description = "分配 ID")),
    responses(
        (status = 204, description = "已释放"),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn release(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    cmdb::release(&s.platform, &ctx, &pr, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
