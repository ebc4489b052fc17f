//! The government cloud's utilisation and 降配/回收 proposals under
//! `/api/v1/cloud/usage` and `/api/v1/cloud/reclaims` (SNYP-14).

use crate::extract::Query;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use yunwei_core::features::cloud::reclaim::{self, PlanInput, ReclaimItem, ReclaimView};
use yunwei_core::features::cloud::usage::{self, JudgeReport, MonthReport, UsageImportReport};

use super::{ApiResult, Body, ExportReason};
use crate::error::WebError;
use crate::extract::{ApiUser, ReqCtx};
use crate::openapi::{
    BadRequest, Binary, Conflict, Forbidden, Internal, NotFound, TooLarge, Unauthorized,
};
use crate::AppState;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct MonthQuery {
    /// The cloud platform.
    pub platform_id: String,
    /// `YYYY-MM`; the latest month with data when empty.
    #[serde(default)]
    pub month: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/cloud/usage",
    operation_id = "cloud_usage_month",
    tag = "政务云",
    summary = "某月资源使用率：各系统的 CPU、内存、存储及判定（SNYP-14），按判定和单位统计；云服务商、云监管服务商看全部，其他人看其查看范围内的单位",
    params(MonthQuery),
    responses(
        (status = 200, description = "月度资源使用率", body = MonthReport),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn month(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(q): Query<MonthQuery>,
) -> ApiResult<Json<MonthReport>> {
    Ok(Json(
        usage::month_report(&s.platform, &pr, &q.platform_id, q.month.as_deref()).await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ImportQuery {
    pub platform_id: String,
    /// The file's name, kept with its SM3.
    pub file_name: String,
}

/// The request body is the .xlsx or UTF-8 .csv file itself.
#[utoipa::path(
    post,
    path = "/api/v1/cloud/usage/import",
    operation_id = "cloud_usage_import",
    tag = "政务云",
    summary = "导入资源使用情况表（请求体为 .xlsx 或 UTF-8 .csv；列：系统编码、月份、CPU平均利用率(%)、内存平均利用率(%)、存储已用(GB)、存储总量(GB)、采样天数）。本平台的云服务商、云监管服务商或管理部门可导入；任一行有错则全部不写入并逐行给出原因；重复导入同月替换同系统的数据；按 SNYP-14 判定，利用率低的系统生成降配回收建议",
    params(ImportQuery),
    request_body(content = Binary, description = "资源使用情况表", content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "导入结果", body = UsageImportReport),
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
) -> ApiResult<Json<UsageImportReport>> {
    Ok(Json(
        usage::import(&s.platform, &ctx, &pr, &q.platform_id, &q.file_name, &body).await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct JudgeQuery {
    pub platform_id: String,
    /// `YYYY-MM`.
    pub month: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/cloud/usage/judge",
    operation_id = "cloud_usage_judge",
    tag = "政务云",
    summary = "按政策包阈值重新判定某月全部系统（管理部门）；补开缺少的降配回收建议",
    params(JudgeQuery),
    responses(
        (status = 200, description = "判定结果", body = JudgeReport),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn judge(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Query(q): Query<JudgeQuery>,
) -> ApiResult<Json<JudgeReport>> {
    Ok(Json(
        usage::judge_month(&s.platform, &ctx, &pr, &q.platform_id, &q.month).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/cloud/usage/export.xlsx",
    operation_id = "cloud_usage_export",
    tag = "政务云",
    summary = "导出某月资源使用率（Excel；须填 reason，记入审计）",
    params(MonthQuery, ExportReason),
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
    Query(q): Query<MonthQuery>,
    Query(r): Query<ExportReason>,
) -> Result<Response, WebError> {
    let bytes = usage::export(
        &s.platform,
        &ctx,
        &pr,
        &q.platform_id,
        q.month.as_deref(),
        r.text(),
    )
    .await?;
    Ok(super::xlsx("cloud-usage.xlsx", bytes))
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// opened, planned, notified, accepted, refused, implemented, closed, rejected.
    #[serde(default)]
    pub state: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/cloud/reclaims",
    operation_id = "cloud_usage_list",
    tag = "政务云",
    summary = "降配回收建议列表（最近 500 条）：本平台的云服务商、云监管服务商及查看范围内的单位、管理部门可见",
    params(ListQuery),
    responses(
        (status = 200, description = "降配回收建议", body = Vec<ReclaimItem>),
        BadRequest, Unauthorized, Forbidden, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Vec<ReclaimItem>>> {
    Ok(Json(
        reclaim::list(&s.platform, &pr, q.state.as_deref()).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/cloud/reclaims/{id}",
    operation_id = "cloud_usage_get",
    tag = "政务云",
    summary = "降配回收建议详情：判定、方案、系统在用资源、各步骤办理人和时间",
    params(("id" = String, Path, description = "建议 ID")),
    responses(
        (status = 200, description = "降配回收建议", body = ReclaimView),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn get(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<ReclaimView>> {
    Ok(Json(reclaim::get(&s.platform, &pr, &id).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/cloud/reclaims/{id}/plan",
    operation_id = "cloud_usage_plan",
    tag = "政务云",
    summary = "云服务商、云监管服务商拟定降配或回收方案：每项在用资源 resize（更小的数量）或 reclaim（SNYP-14）",
    params(("id" = String, Path, description = "建议 ID")),
    request_body = PlanInput,
    responses(
        (status = 200, description = "已拟定", body = ReclaimView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn plan(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<PlanInput>,
) -> ApiResult<Json<ReclaimView>> {
    Ok(Json(reclaim::plan(&s.platform, &ctx, &pr, &id, &b).await?))
}

/// The version of the proposal read.
#[derive(Deserialize, ToSchema)]
pub(crate) struct VersionInput {
    pub version: i64,
}

#[utoipa::path(
    post,
    path = "/api/v1/cloud/reclaims/{id}/confirm",
    operation_id = "cloud_usage_confirm",
    tag = "政务云",
    summary = "管理部门确认方案并通知使用单位",
    params(("id" = String, Path, description = "建议 ID")),
    request_body = VersionInput,
    responses(
        (status = 200, description = "已确认", body = ReclaimView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn confirm(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<VersionInput>,
) -> ApiResult<Json<ReclaimView>> {
    Ok(Json(
        reclaim::confirm(&s.platform, &ctx, &pr, &id, b.version).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct AnswerInput {
    /// true: accept the plan; false: refuse it (reason required).
    pub accept: bool,
    #[serde(default)]
    pub reason: String,
    pub version: i64,
}

#[utoipa::path(
    post,
    path = "/api/v1/cloud/reclaims/{id}/answer",
    operation_id = "cloud_usage_answer",
    tag = "政务云",
    summary = "使用单位接受方案，或说明理由拒绝",
    params(("id" = String, Path, description = "建议 ID")),
    request_body = AnswerInput,
    responses(
        (status = 200, description = "已答复", body = ReclaimView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn answer(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<AnswerInput>,
) -> ApiResult<Json<ReclaimView>> {
    Ok(Json(
        reclaim::answer(&s.platform, &ctx, &pr, &id, b.accept, &b.reason, b.version).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct DecideInput {
    /// true: the unit's reason holds (closed); false: it does not (the
    /// unit is barred for the year where the pack says so, SNYP-14).
    pub reason_holds: bool,
    #[serde(default)]
    pub note: String,
    pub version: i64,
}

#[utoipa::path(
    post,
    path = "/api/v1/cloud/reclaims/{id}/decide",
    operation_id = "cloud_usage_decide",
    tag = "政务云",
    summary = "管理部门认定拒绝理由：成立则关闭；不成立则本年度不再受理该单位的资源申请（SNYP-14）",
    params(("id" = String, Path, description = "建议 ID")),
    request_body = DecideInput,
    responses(
        (status = 200, description = "已认定", body = ReclaimView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn decide(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<DecideInput>,
) -> ApiResult<Json<ReclaimView>> {
    Ok(Json(
        reclaim::decide(
            &s.platform,
            &ctx,
            &pr,
            &id,
            b.reason_holds,
            &b.note,
            b.version,
        )
        .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct ImplementInput {
    /// `YYYY-MM-DD`, today when empty; not in the future.
    #[serde(default)]
    pub day: Option<String>,
    pub version: i64,
}

#[utoipa::path(
    post,
    path = "/api/v1/cloud/reclaims/{id}/implement",
    operation_id = "cloud_usage_implement",
    tag = "政务云",
    summary = "云服务商按已接受的方案实施：资源行自实施日起变更（原行结束、新行开始）或回收",
    params(("id" = String, Path, description = "建议 ID")),
    request_body = ImplementInput,
    responses(
        (status = 200, description = "已实施", body = ReclaimView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn implement(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<ImplementInput>,
) -> ApiResult<Json<ReclaimView>> {
    Ok(Json(
        reclaim::implement(&s.platform, &ctx, &pr, &id, b.day.as_deref(), b.version).await?,
    ))
}
