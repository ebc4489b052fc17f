//! Inspection plans, their records and maintenance records under
//! `/api/v1` (EEDS-1.4.1, EEDS-2.2.1.4, EEDS-2.2.2.2, EEDS-2.2.2.6,
//! EEDS-3.4, EEDS-3.5), and the audited Excel exports of both lists.

use crate::extract::Query;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use yunwei_core::inspections::{
    self, MaintenanceInput, MaintenanceListFilter, MaintenancePage, PlanDetail, PlanInput,
    PlanListFilter, PlanSummary, PlanUpdate, RecordInput, RecordView,
};

use super::{ApiResult, Body, ExportReason, Paging};
use crate::error::WebError;
use crate::extract::{ApiUser, ReqCtx};
use crate::openapi::{
    BadRequest, Binary, Conflict, Forbidden, Internal, NotFound, TooLarge, Unauthorized,
};
use crate::AppState;

/// Plans.
#[derive(Serialize, ToSchema)]
pub(crate) struct PlanList {
    plans: Vec<PlanSummary>,
}

#[utoipa::path(
    get,
    path = "/api/v1/inspection-plans",
    operation_id = "inspections_list_plans",
    tag = "巡检与维护",
    summary = "巡检、网站内容巡查和维护作业计划列表（org_id, kind, active），含逾期周期数和最近待办周期",
    params(PlanListFilter),
    responses(
        (status = 200, description = "计划", body = PlanList),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn list_plans(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(q): Query<PlanListFilter>,
) -> ApiResult<Json<PlanList>> {
    let plans = inspections::list_plans(&s.platform, &pr, &q).await?;
    Ok(Json(PlanList { plans }))
}

#[utoipa::path(
    get,
    path = "/api/v1/inspection-plans/export.xlsx",
    operation_id = "inspections_export_plans",
    tag = "巡检与维护",
    summary = "导出计划列表（Excel，筛选同列表：org_id, kind, active；须填 reason，记入审计）",
    params(ExportReason, PlanListFilter),
    responses(
        (status = 200, description = "Excel 工作簿", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Binary),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn export_plans(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Query(q): Query<PlanListFilter>,
    Query(r): Query<ExportReason>,
) -> Result<Response, WebError> {
    let bytes = inspections::export_plans(&s.platform, &ctx, &pr, &q, r.text()).await?;
    Ok(super::xlsx("inspection-plans.xlsx", bytes))
}

#[utoipa::path(
    post,
    path = "/api/v1/inspection-plans",
    operation_id = "inspections_create_plan",
    tag = "巡检与维护",
    summary = "新建计划（须有维护运维台账权限）：kind=inspection|patrol|maintenance，recurrence=daily|weekly|monthly|quarterly|half_yearly|yearly，checklist 为检查项（EEDS-3.5.1），first_date 缺省为今天，source 缺省按类型（EEDS-1.4.1 / EEDS-2.2.1.4 / EEDS-3.4）；保存后生成截至今天的各周期到期事项",
    request_body = PlanInput,
    responses(
        (status = 201, description = "已新建", body = PlanDetail),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn create_plan(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Body(b): Body<PlanInput>,
) -> ApiResult<(StatusCode, Json<PlanDetail>)> {
    let plan = inspections::create_plan(&s.platform, &ctx, &pr, &b).await?;
    let v = inspections::get_plan(&s.platform, &pr, &plan.id).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[utoipa::path(
    get,
    path = "/api/v1/inspection-plans/{id}",
    operation_id = "inspections_get_plan",
    tag = "巡检与维护",
    summary = "计划详情：检查表、各周期（状态、期限、完成情况）、记录（逐项结果、异常、关联事件）",
    params(("id" = String, Path, description = "计划 ID")),
    responses(
        (status = 200, description = "计划详情", body = PlanDetail),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn get_plan(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<PlanDetail>> {
    Ok(Json(inspections::get_plan(&s.platform, &pr, &id).await?))
}

#[utoipa::path(
    put,
    path = "/api/v1/inspection-plans/{id}",
    operation_id = "inspections_update_plan",
    tag = "巡检与维护",
    summary = "修改、停用（active=false，撤销未到期的周期，逾期未做的保留）或恢复计划；未提供的字段不变；expected_updated_at 为读取时的 updated_at，计划已被他人修改时拒绝（inspection.changed）",
    params(("id" = String, Path, description = "计划 ID")),
    request_body = PlanUpdate,
    responses(
        (status = 200, description = "已修改", body = PlanDetail),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn update_plan(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<PlanUpdate>,
) -> ApiResult<Json<PlanDetail>> {
    inspections::update_plan(&s.platform, &ctx, &pr, &id, &b).await?;
    Ok(Json(inspections::get_plan(&s.platform, &pr, &id).await?))
}

/// A filed record and its plan after it.
#[derive(Serialize, ToSchema)]
pub(crate) struct FiledRecord {
    /// The record, as the plan's page shows it.
    record: Option<RecordView>,
    plan: PlanSummary,
}

#[utoipa::path(
    post,
    path = "/api/v1/inspection-plans/{id}/records",
    operation_id = "inspections_file_record",
    tag = "巡检与维护",
    summary = "登记巡检记录（EEDS-3.5.3）：results 按检查表顺序逐项填写 {status: normal|abnormal, note}，异常须说明；control_id 缺省为本周期（已完成时为最早的逾期周期）；open_incident=true 时为异常项同时登记 JSCZ 事件（监控巡检发现）并关联",
    params(("id" = String, Path, description = "计划 ID")),
    request_body = RecordInput,
    responses(
        (status = 201, description = "已登记", body = FiledRecord),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn file_record(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<RecordInput>,
) -> ApiResult<(StatusCode, Json<FiledRecord>)> {
    let r = inspections::file_record(&s.platform, &ctx, &pr, &id, &b).await?;
    let plan = inspections::get_plan(&s.platform, &pr, &id).await?;
    let record = plan.records.iter().find(|x| x.id == r.id).cloned();
    Ok((
        StatusCode::CREATED,
        Json(FiledRecord {
            record,
            plan: plan.plan,
        }),
    ))
}

/// The maintenance list's filters.
#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct MaintenanceQuery {
    /// This organisation and the ones below it.
    #[serde(default)]
    pub org_id: Option<String>,
    /// `routine`, `fault`, `improvement`, `data_change`, `backup_restore`
    /// or `enhancement`.
    #[serde(default)]
    pub kind: Option<String>,
    /// Records of this configuration item only.
    #[serde(default)]
    pub ci_id: Option<String>,
}

impl MaintenanceQuery {
    fn filter(&self) -> MaintenanceListFilter {
        MaintenanceListFilter {
            org_id: self.org_id.clone(),
            kind: self.kind.clone(),
            ci_id: self.ci_id.clone(),
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/maintenance-records",
    operation_id = "inspections_list_maintenance",
    tag = "巡检与维护",
    summary = "维护记录列表（EEDS-2.2.2.2；org_id, kind, ci_id, page, per_page）",
    params(MaintenanceQuery, Paging),
    responses(
        (status = 200, description = "一页维护记录", body = MaintenancePage),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn list_maintenance(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(q): Query<MaintenanceQuery>,
    Query(paging): Query<Paging>,
) -> ApiResult<Json<MaintenancePage>> {
    let page = inspections::list_maintenance(
        &s.platform,
        &pr,
        &q.filter(),
        paging.page.unwrap_or(1),
        paging.per_page.unwrap_or(20),
    )
    .await?;
    Ok(Json(page))
}

/// A maintenance record as filed.
#[derive(Serialize, ToSchema)]
pub(crate) struct MaintenanceRecord {
    id: String,
    org_id: String,
    org_path: String,
    /// The configuration item maintained, if any.
    ci_id: Option<String>,
    /// One of the kinds of EEDS-2.2.2.2 (`routine`, `fault`, ...).
    kind: String,
    /// UTC microseconds.
    performed_at: i64,
    performer_id: String,
    description: String,
    result: String,
    /// The ticket the work belongs to, if any.
    ticket_id: Option<String>,
    created_at: i64,
}

#[utoipa::path(
    post,
    path = "/api/v1/maintenance-records",
    operation_id = "inspections_create_maintenance",
    tag = "巡检与维护",
    summary = "登记维护记录（EEDS-2.2.2.2）：kind=routine|fault|improvement|data_change|backup_restore|enhancement，performed_at 缺省为当前时间，ticket 为工单编号或 ID",
    request_body = MaintenanceInput,
    responses(
        (status = 201, description = "已登记", body = MaintenanceRecord),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn create_maintenance(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Body(b): Body<MaintenanceInput>,
) -> ApiResult<(StatusCode, Json<MaintenanceRecord>)> {
    let m = inspections::create_maintenance(&s.platform, &ctx, &pr, &b).await?;
    Ok((
        StatusCode::CREATED,
        Json(MaintenanceRecord {
            id: m.id,
            org_id: m.org_id,
            org_path: m.org_path,
            ci_id: m.ci_id,
            kind: m.kind,
            performed_at: m.performed_at,
            performer_id: m.performer_id,
            description: m.description,
            result: m.result,
            ticket_id: m.ticket_id,
            created_at: m.created_at,
        }),
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/maintenance-records/export.xlsx",
    operation_id = "inspections_export_maintenance",
    tag = "巡检与维护",
    summary = "导出维护记录（Excel，筛选同列表：org_id, kind, ci_id；须填 reason，记入审计）",
    params(ExportReason, MaintenanceQuery),
    responses(
        (status = 200, description = "Excel 工作簿", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Binary),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn export_maintenance(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Query(q): Query<MaintenanceQuery>,
    Query(r): Query<ExportReason>,
) -> Result<Response, WebError> {
    let bytes =
        inspections::export_maintenance(&s.platform, &ctx, &pr, &q.filter(), r.text()).await?;
    Ok(super::xlsx("maintenance-records.xlsx", bytes))
}
