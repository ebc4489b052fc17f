//! Government IT projects under `/api/v1/projects` (SNXM, issue 15, ADR
//! 0017): the list with its filters and its Excel export, one project,
//! 信息化项目总览, supervision findings and their rectification (SNXM-37),
//! the self-evaluation report (SNXM-36; the body is the file) and the
//! bureau's yearly call for needs (SNXM-17).

use crate::extract::Query;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use yunwei_core::features::projects::dashboard::{
    self, ProjectDashboard, ProjectDetail, ProjectLine, ProjectListQuery,
};
use yunwei_core::features::projects::evaluation::{self, SelfEvaluationFiled, MAX_REPORT_BYTES};
use yunwei_core::features::projects::plan::{self, CallSent};
use yunwei_core::features::projects::{self, NewFinding};
use yunwei_domain::AppError;

use super::{ApiResult, Body, ExportReason};
use crate::error::WebError;
use crate::extract::{ApiUser, ReqCtx};
use crate::openapi::{
    BadRequest, Binary, Conflict, Forbidden, Internal, NotFound, TooLarge, Unauthorized,
};
use crate::AppState;

/// The largest body of the report upload: the file the core accepts.
pub(crate) const UPLOAD_LIMIT: usize = MAX_REPORT_BYTES + 64 * 1024;

#[utoipa::path(
    get,
    path = "/api/v1/projects",
    operation_id = "projects_list",
    tag = "信息化项目",
    summary = "信息化项目列表（按调用者的查看范围：建设单位本单位、数据主管部门、审查审批部门）；可按阶段、计划年度、是否纳入年度计划、建设单位、总览列表筛选；金额为分（*_fen）及格式化的元",
    params(ProjectListQuery),
    responses(
        (status = 200, description = "项目", body = Vec<ProjectLine>),
        BadRequest, Unauthorized, Forbidden, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(q): Query<ProjectListQuery>,
) -> ApiResult<Json<Vec<ProjectLine>>> {
    Ok(Json(dashboard::lines(&s.platform, &pr, &q).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/projects/export.xlsx",
    operation_id = "projects_export",
    tag = "信息化项目",
    summary = "导出信息化项目列表（Excel；筛选同列表，due= 为总览中的列表；须填 reason，记入审计）",
    params(ExportReason, ProjectListQuery),
    responses(
        (status = 200, description = "Excel 工作簿", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Binary),
        BadRequest, Unauthorized, Forbidden, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn export(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Query(q): Query<ProjectListQuery>,
    Query(r): Query<ExportReason>,
) -> Result<Response, WebError> {
    let bytes = dashboard::export_xlsx(&s.platform, &ctx, &pr, &q, r.text()).await?;
    Ok(super::xlsx("it-projects.xlsx", bytes))
}

#[utoipa::path(
    get,
    path = "/api/v1/projects/dashboard",
    operation_id = "projects_get_dashboard",
    tag = "信息化项目",
    summary = "信息化项目总览：各阶段、各建设单位项目数，按计划年度的投资和合同金额，待审查审批、试运行即将满期或已满期、绩效自评价逾期或即将到期、免费运维期即将届满的项目，未整改的监督检查问题；均按调用者的查看范围统计，每项附其列表的链接",
    responses(
        (status = 200, description = "总览", body = ProjectDashboard),
        Unauthorized, Forbidden, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn get_dashboard(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
) -> ApiResult<Json<ProjectDashboard>> {
    Ok(Json(dashboard::dashboard(&s.platform, &pr).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/projects/{id}",
    operation_id = "projects_get",
    tag = "信息化项目",
    summary = "信息化项目详情：阶段、金额、日期、补充合同（已计入金额与上限，SNXM-30）、监督检查问题（SNXM-37）、绩效自评报告（SNXM-36）；查看范围外为 404",
    params(("id" = String, Path, description = "项目（工单）ID")),
    responses(
        (status = 200, description = "项目", body = ProjectDetail),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn get(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<ProjectDetail>> {
    Ok(Json(dashboard::detail(&s.platform, &pr, &id).await?))
}

/// A supervision finding to record (SNXM-37).
#[derive(Deserialize, ToSchema)]
pub(crate) struct FindingInput {
    /// `security` (网络安全), `crypto` (密码应用) or `other` (其他).
    pub area: String,
    /// A major problem: the unit starts no new project until it is
    /// rectified (SNXM-43).
    #[serde(default)]
    pub major: bool,
    pub finding: String,
    /// The last day of the rectification, `YYYY-MM-DD`.
    pub deadline: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/projects/{id}/findings",
    operation_id = "projects_record_finding",
    tag = "信息化项目",
    summary = "下达监督检查发现的问题及整改期限（SNXM-37；市数据局；重大网络安全、密码应用问题未整改前该单位不得申报新项目，SNXM-43；记入审计）",
    params(("id" = String, Path, description = "项目（工单）ID")),
    request_body = FindingInput,
    responses(
        (status = 201, description = "已下达", body = dashboard::FindingLine),
        BadRequest, Unauthorized, Forbidden, NotFound, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn record_finding(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<FindingInput>,
) -> ApiResult<(StatusCode, Json<dashboard::FindingLine>)> {
    let deadline = NaiveDate::parse_from_str(b.deadline.trim(), "%Y-%m-%d").map_err(|_| {
        AppError::bad_request(
            "project.finding_deadline",
            "整改期限应为“年-月-日”格式的日期",
        )
    })?;
    let f = projects::record_finding(
        &s.platform,
        &pr,
        &ctx,
        NewFinding {
            project_id: id,
            area: b.area,
            major: b.major,
            finding: b.finding,
            deadline,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(dashboard::FindingLine {
            id: f.id,
            area_label: dashboard::area_label(&f.area).to_string(),
            major: f.major,
            finding: f.finding,
            deadline: f.deadline,
            rectified_on: f.rectified_on,
            rectification: f.rectification,
            overdue: false,
        }),
    ))
}

/// What was done about a finding.
#[derive(Deserialize, ToSchema)]
pub(crate) struct RectifyInput {
    pub rectification: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/projects/findings/{id}/rectify",
    operation_id = "projects_rectify",
    tag = "信息化项目",
    summary = "登记问题整改完成（建设单位业务人员；记入审计）",
    params(("id" = String, Path, description = "问题 ID")),
    request_body = RectifyInput,
    responses(
        (status = 204, description = "已登记"),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn rectify(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<RectifyInput>,
) -> ApiResult<StatusCode> {
    projects::rectify_finding(&s.platform, &pr, &ctx, &id, &b.rectification).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ReportName {
    /// The report's file name.
    pub filename: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/projects/{id}/self-evaluation",
    operation_id = "projects_file_self_evaluation",
    tag = "信息化项目",
    summary = "报送绩效自评报告（请求体为文件；查询参数 filename）：已验收项目的建设单位报市数据局、市财政局备案（SNXM-36），完成到期事项并通知二者；只能报送一次",
    params(("id" = String, Path, description = "项目（工单）ID"), ReportName),
    request_body(content = Binary, description = "文件内容", content_type = "application/octet-stream"),
    responses(
        (status = 201, description = "已报送", body = SelfEvaluationFiled),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn file_self_evaluation(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Query(q): Query<ReportName>,
    super::RawBody(body): super::RawBody,
) -> ApiResult<(StatusCode, Json<SelfEvaluationFiled>)> {
    let f =
        evaluation::file_self_evaluation(&s.platform, &pr, &ctx, &id, &q.filename, &body).await?;
    Ok((StatusCode::CREATED, Json(f)))
}

#[utoipa::path(
    get,
    path = "/api/v1/projects/{id}/self-evaluation",
    operation_id = "projects_self_evaluation_file",
    tag = "信息化项目",
    summary = "下载绩效自评报告（记入审计）",
    params(("id" = String, Path, description = "项目（工单）ID")),
    responses(
        (status = 200, description = "文件", content_type = "application/octet-stream", body = Binary),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn self_evaluation_file(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (name, bytes) = evaluation::self_evaluation_file(&s.platform, &pr, &ctx, &id).await?;
    Ok(super::tickets::attachment_response(&name, bytes))
}

/// The year whose needs are called for.
#[derive(Deserialize, ToSchema)]
pub(crate) struct CallInput {
    /// Next year.
    pub year: i64,
}

#[utoipa::path(
    post,
    path = "/api/v1/projects/plan-call",
    operation_id = "projects_plan_call",
    tag = "信息化项目",
    summary = "发起下一年度信息化建设需求征集（SNXM-17；市数据局）：通知有入库项目、尚未纳入年度计划的建设单位的业务人员和首席数据官；返回通知的单位数和人数",
    request_body = CallInput,
    responses(
        (status = 200, description = "已发起", body = CallSent),
        BadRequest, Unauthorized, Forbidden, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn plan_call(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Body(b): Body<CallInput>,
) -> ApiResult<Json<CallSent>> {
    Ok(Json(
        plan::call_for_needs(&s.platform, &pr, &ctx, b.year).await?,
    ))
}
