//! The government cloud's register under `/api/v1/cloud` (ADR 0016;
//! ZMDY-34, ZMDY-35, SNYP-7, SNYP-27): platforms, units, the service
//! catalogue and its effective-dated prices, 上云系统 with their resources
//! and history, and the audited Excel export of the systems.

use crate::extract::Query;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use yunwei_core::cloud::catalogue::{self, CatalogueItemInput, CatalogueItemView, PriceInput};
use yunwei_core::cloud::platforms::{self, PlatformInput, PlatformView};
use yunwei_core::cloud::systems::{
    self, ListFilter, RequestInput, ResourceView, SystemDetail, SystemEventView, SystemInput,
    SystemPage,
};
use yunwei_core::cloud::units::{self, UnitInput, UnitView};

use super::{ApiResult, Body, ExportReason};
use crate::error::WebError;
use crate::extract::{ApiUser, ReqCtx};
use crate::openapi::{
    BadRequest, Binary, Conflict, Forbidden, Internal, NotFound, TooLarge, Unauthorized,
};
use crate::AppState;

// ---- platforms ----

#[utoipa::path(
    get,
    path = "/api/v1/cloud/platforms",
    operation_id = "cloud_list_platforms",
    tag = "政务云",
    summary = "政务云平台列表：本区域工作人员、主管部门及该平台云服务商、云监管服务商人员可见",
    responses(
        (status = 200, description = "平台", body = Vec<PlatformView>),
        Unauthorized, Forbidden, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn list_platforms(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
) -> ApiResult<Json<Vec<PlatformView>>> {
    Ok(Json(platforms::list(&s.platform, &pr).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/cloud/platforms",
    operation_id = "cloud_create_platform",
    tag = "政务云",
    summary = "新建政务云平台（制度包须含政务云规则；须对服务区域有政务云管理权限）",
    request_body = PlatformInput,
    responses(
        (status = 201, description = "已新建", body = PlatformView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn create_platform(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Body(b): Body<PlatformInput>,
) -> ApiResult<(StatusCode, Json<PlatformView>)> {
    let v = platforms::create(&s.platform, &ctx, &pr, &b).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[utoipa::path(
    get,
    path = "/api/v1/cloud/platforms/{id}",
    operation_id = "cloud_get_platform",
    tag = "政务云",
    summary = "政务云平台详情",
    params(("id" = String, Path, description = "平台 ID")),
    responses(
        (status = 200, description = "平台", body = PlatformView),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn get_platform(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<PlatformView>> {
    Ok(Json(platforms::get(&s.platform, &pr, &id).await?))
}

/// Every field of the platform, and the `updated_at` read.
#[derive(Deserialize, ToSchema)]
pub(crate) struct PlatformUpdate {
    #[serde(flatten)]
    pub input: PlatformInput,
    /// The `updated_at` the editor read; a later change refuses the edit.
    pub expected_updated_at: i64,
}

#[utoipa::path(
    put,
    path = "/api/v1/cloud/platforms/{id}",
    operation_id = "cloud_update_platform",
    tag = "政务云",
    summary = "修改政务云平台（全部字段；expected_updated_at 防止覆盖他人修改）",
    params(("id" = String, Path, description = "平台 ID")),
    request_body = PlatformUpdate,
    responses(
        (status = 200, description = "已修改", body = PlatformView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn update_platform(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<PlatformUpdate>,
) -> ApiResult<Json<PlatformView>> {
    Ok(Json(
        platforms::update(&s.platform, &ctx, &pr, &id, &b.input, b.expected_updated_at).await?,
    ))
}

// ---- units ----

#[utoipa::path(
    get,
    path = "/api/v1/cloud/platforms/{id}/units",
    operation_id = "cloud_list_units",
    tag = "政务云",
    summary = "平台的使用单位：层级、经费保障类型、费用承担（SNYP-17）",
    params(("id" = String, Path, description = "平台 ID")),
    responses(
        (status = 200, description = "使用单位", body = Vec<UnitView>),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn list_units(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<UnitView>>> {
    Ok(Json(units::list(&s.platform, &pr, &id).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/cloud/units",
    operation_id = "cloud_set_unit",
    tag = "政务云",
    summary = "登记或修改使用单位的上云信息（须对该单位有政务云管理权限；修改时带 version）",
    request_body = UnitInput,
    responses(
        (status = 200, description = "已登记", body = UnitView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn set_unit(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Body(b): Body<UnitInput>,
) -> ApiResult<Json<UnitView>> {
    Ok(Json(units::set(&s.platform, &ctx, &pr, &b).await?))
}

// ---- catalogue ----

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct CatalogueQuery {
    /// Only the items in force today.
    #[serde(default)]
    pub in_force: Option<bool>,
}

#[utoipa::path(
    get,
    path = "/api/v1/cloud/platforms/{id}/catalogue",
    operation_id = "cloud_list_catalogue",
    tag = "政务云",
    summary = "服务目录：服务项、计量单位、服务模式、有效期、当前价格及价格历史（ZMDY-34、SNYP-7）",
    params(("id" = String, Path, description = "平台 ID"), CatalogueQuery),
    responses(
        (status = 200, description = "服务目录", body = Vec<CatalogueItemView>),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn list_catalogue(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Query(q): Query<CatalogueQuery>,
) -> ApiResult<Json<Vec<CatalogueItemView>>> {
    Ok(Json(
        catalogue::list(&s.platform, &pr, &id, q.in_force.unwrap_or(false)).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/cloud/platforms/{id}/catalogue",
    operation_id = "cloud_create_item",
    tag = "政务云",
    summary = "新增服务目录项及其首个价格（元/单位/月，最多 4 位小数；主管部门调整）",
    params(("id" = String, Path, description = "平台 ID")),
    request_body = CatalogueItemInput,
    responses(
        (status = 201, description = "已新增", body = CatalogueItemView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn create_item(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<CatalogueItemInput>,
) -> ApiResult<(StatusCode, Json<CatalogueItemView>)> {
    let v = catalogue::create_item(&s.platform, &ctx, &pr, &id, &b).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[utoipa::path(
    get,
    path = "/api/v1/cloud/catalogue/{id}",
    operation_id = "cloud_get_item",
    tag = "政务云",
    summary = "服务目录项及其价格历史",
    params(("id" = String, Path, description = "服务目录项 ID")),
    responses(
        (status = 200, description = "服务目录项", body = CatalogueItemView),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn get_item(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<CatalogueItemView>> {
    Ok(Json(catalogue::get(&s.platform, &pr, &id).await?))
}

#[utoipa::path(
    put,
    path = "/api/v1/cloud/catalogue/{id}",
    operation_id = "cloud_update_item",
    tag = "政务云",
    summary = "修改服务目录项的名称、计量单位、有效期和依据（编码、类别、模式不变；带 updated_at）",
    params(("id" = String, Path, description = "服务目录项 ID")),
    request_body = CatalogueItemInput,
    responses(
        (status = 200, description = "已修改", body = CatalogueItemView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn update_item(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<CatalogueItemInput>,
) -> ApiResult<Json<CatalogueItemView>> {
    Ok(Json(
        catalogue::update_item(&s.platform, &ctx, &pr, &id, &b).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/cloud/catalogue/{id}/prices",
    operation_id = "cloud_add_price",
    tag = "政务云",
    summary = "调价：自某日起的新价格（只增不改；不得早于本月1日）",
    params(("id" = String, Path, description = "服务目录项 ID")),
    request_body = PriceInput,
    responses(
        (status = 201, description = "已调价", body = CatalogueItemView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn add_price(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<PriceInput>,
) -> ApiResult<(StatusCode, Json<CatalogueItemView>)> {
    let v = catalogue::add_price(&s.platform, &ctx, &pr, &id, &b).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

// ---- systems ----

#[utoipa::path(
    get,
    path = "/api/v1/cloud/systems",
    operation_id = "cloud_list_systems",
    tag = "政务云",
    summary = "上云系统列表（按更新时间倒序，每页 200，next 翻页）：本单位业务人员及该平台云服务商、云监管服务商可见",
    params(ListFilter),
    responses(
        (status = 200, description = "上云系统", body = SystemPage),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn list_systems(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(f): Query<ListFilter>,
) -> ApiResult<Json<SystemPage>> {
    Ok(Json(systems::list(&s.platform, &pr, &f).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/cloud/systems",
    operation_id = "cloud_register_system",
    tag = "政务云",
    summary = "登记上云系统（配置项编号为空时新建应用系统配置项；重要系统须有保密协议，SNYP-27）",
    request_body = SystemInput,
    responses(
        (status = 201, description = "已登记", body = SystemDetail),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn register_system(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Body(b): Body<SystemInput>,
) -> ApiResult<(StatusCode, Json<SystemDetail>)> {
    let v = systems::register(&s.platform, &ctx, &pr, &b).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[utoipa::path(
    get,
    path = "/api/v1/cloud/systems/export.xlsx",
    operation_id = "cloud_export_systems",
    tag = "政务云",
    summary = "导出上云系统列表（Excel；筛选同列表，须填 reason，记入审计）",
    params(ExportReason, ListFilter),
    responses(
        (status = 200, description = "Excel 工作簿", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Binary),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn export_systems(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Query(f): Query<ListFilter>,
    Query(r): Query<ExportReason>,
) -> Result<Response, WebError> {
    let bytes = systems::export(&s.platform, &ctx, &pr, &f, r.text()).await?;
    Ok(super::xlsx("cloud-systems.xlsx", bytes))
}

#[utoipa::path(
    get,
    path = "/api/v1/cloud/systems/{id}",
    operation_id = "cloud_get_system",
    tag = "政务云",
    summary = "上云系统详情：资源（每行的起止日期）、历史、可发起的流程",
    params(("id" = String, Path, description = "上云系统 ID")),
    responses(
        (status = 200, description = "上云系统", body = SystemDetail),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn get_system(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<SystemDetail>> {
    Ok(Json(systems::get(&s.platform, &pr, &id).await?))
}

#[utoipa::path(
    put,
    path = "/api/v1/cloud/systems/{id}",
    operation_id = "cloud_update_system",
    tag = "政务云",
    summary = "修改上云系统的名称、等保级别、密评、重要性和保密协议（带 version）",
    params(("id" = String, Path, description = "上云系统 ID")),
    request_body = SystemInput,
    responses(
        (status = 200, description = "已修改", body = SystemDetail),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn update_system(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<SystemInput>,
) -> ApiResult<Json<SystemDetail>> {
    Ok(Json(
        systems::update(&s.platform, &ctx, &pr, &id, &b).await?,
    ))
}

/// A system's history: every resource row with its span, and its events.
#[derive(Serialize, ToSchema)]
pub(crate) struct SystemHistory {
    resources: Vec<ResourceView>,
    events: Vec<SystemEventView>,
}

#[utoipa::path(
    get,
    path = "/api/v1/cloud/systems/{id}/history",
    operation_id = "cloud_system_history",
    tag = "政务云",
    summary = "上云系统的完整历史：每条资源记录及其起止日期、每次状态变化及其工单和办理人",
    params(("id" = String, Path, description = "上云系统 ID")),
    responses(
        (status = 200, description = "历史", body = SystemHistory),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn system_history(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<SystemHistory>> {
    let d = systems::get(&s.platform, &pr, &id).await?;
    Ok(Json(SystemHistory {
        resources: d.resources,
        events: d.history,
    }))
}

#[utoipa::path(
    post,
    path = "/api/v1/cloud/systems/{id}/resources",
    operation_id = "cloud_request_resource",
    tag = "政务云",
    summary = "申请资源：申请中的系统选服务目录中有效的服务；已上线的系统变更在用资源（replaces_id）或增加服务",
    params(("id" = String, Path, description = "上云系统 ID")),
    request_body = RequestInput,
    responses(
        (status = 201, description = "已申请", body = SystemDetail),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn request_resource(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<RequestInput>,
) -> ApiResult<(StatusCode, Json<SystemDetail>)> {
    let v = systems::request(&s.platform, &ctx, &pr, &id, &b).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[utoipa::path(
    post,
    path = "/api/v1/cloud/resources/{id}/withdraw",
    operation_id = "cloud_withdraw_resource",
    tag = "政务云",
    summary = "撤回尚未分配的资源申请",
    params(("id" = String, Path, description = "资源记录 ID")),
    responses(
        (status = 200, description = "已撤回", body = SystemDetail),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn withdraw_resource(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<SystemDetail>> {
    Ok(Json(systems::withdraw(&s.platform, &ctx, &pr, &id).await?))
}
