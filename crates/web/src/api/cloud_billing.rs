//! Government cloud bills, evaluations and settlements under
//! `/api/v1/cloud` (ZMDY-34..39, SNYP-6, SNYP-14, SNYP-17, SNYP-18,
//! SNYP-35; ADR 0016).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use yunwei_core::features::cloud::billing::{self, NewAdjustment, RunSummary, RunView, YearReport};
use yunwei_core::features::cloud::evaluation::{
    self, EvaluationInput, EvaluationView, SchemeInput, SchemeView, SettlementView,
};

use super::ApiResult;
use crate::error::WebError;
use crate::extract::{ApiUser, Query, ReqCtx};
use crate::openapi::{
    BadRequest, Binary, Conflict, Forbidden, Internal, NotFound, TooLarge, Unauthorized,
};
use crate::AppState;

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PlatformQuery {
    /// The cloud platform.
    pub platform_id: String,
}

#[utoipa::path(
    get,
    path = "/api/v1/cloud/bills",
    operation_id = "cloud_billing_list",
    tag = "政务云",
    summary = "云服务账单列表（按月，最新在前）：市政务云管理人员见全部金额；县区管理人员打开账单查看本级部分",
    params(PlatformQuery),
    responses(
        (status = 200, description = "账单", body = Vec<RunSummary>),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(q): Query<PlatformQuery>,
) -> ApiResult<Json<Vec<RunSummary>>> {
    Ok(Json(billing::runs(&s.platform, &pr, &q.platform_id).await?))
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct ComputeBody {
    pub platform_id: String,
    /// 'YYYY-MM', a month that has ended.
    pub month: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/cloud/bills",
    operation_id = "cloud_billing_compute",
    tag = "政务云",
    summary = "计算（或重新计算待核实的）某月账单：目录单价 × 数量 × 计费天数 ÷ 当月实际天数，逐行四舍五入到分，按每日生效价格；按 SNYP-17 / ZMDY-36 确定承担方和结算部门；已核实的账单不能重算",
    request_body = ComputeBody,
    responses(
        (status = 200, description = "账单", body = RunView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn compute(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Json(b): Json<ComputeBody>,
) -> ApiResult<Json<RunView>> {
    let run = billing::compute(&s.platform, &ctx, &pr, &b.platform_id, &b.month).await?;
    Ok(Json(billing::get(&s.platform, &pr, &run.id).await?))
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct ComputeYearBody {
    pub platform_id: String,
    /// The year, e.g. 2025: every month of it that has ended.
    pub year: i32,
}

#[utoipa::path(
    post,
    path = "/api/v1/cloud/bills/year",
    operation_id = "cloud_billing_compute_year",
    tag = "政务云",
    summary = "计算（或重新计算）某年度全部已结束月份的账单，供年度结算（ZMDY-36：政务云服务费按年度结算）；已核实或已报送的月份保持不变",
    request_body = ComputeYearBody,
    responses(
        (status = 200, description = "各月账单", body = YearReport),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn compute_year(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Json(b): Json<ComputeYearBody>,
) -> ApiResult<Json<YearReport>> {
    Ok(Json(
        billing::compute_year(&s.platform, &ctx, &pr, &b.platform_id, b.year).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/cloud/bills/{id}",
    operation_id = "cloud_billing_get",
    tag = "政务云",
    summary = "账单：按结算部门、承担方和单位分组的明细、核减及合计（县区管理人员只见本级部分）",
    params(("id" = String, Path, description = "账单 ID")),
    responses(
        (status = 200, description = "账单", body = RunView),
        Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn get(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<RunView>> {
    Ok(Json(billing::get(&s.platform, &pr, &id).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/cloud/bills/{id}/adjustments",
    operation_id = "cloud_billing_adjust",
    tag = "政务云",
    summary = "核减（SNYP-14，按金额）或费率下调（SNYP-18，按百分比）某单位某承担方的费用，须填理由，记入审计；仅待核实的部分",
    params(("id" = String, Path, description = "账单 ID")),
    request_body = NewAdjustment,
    responses(
        (status = 201, description = "核减后的账单", body = RunView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn adjust(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Json(b): Json<NewAdjustment>,
) -> ApiResult<(StatusCode, Json<RunView>)> {
    billing::adjust(&s.platform, &ctx, &pr, &id, &b).await?;
    Ok((
        StatusCode::CREATED,
        Json(billing::get(&s.platform, &pr, &id).await?),
    ))
}

#[derive(Deserialize, ToSchema, Default)]
pub(crate) struct VerifyBody {
    /// The settling department whose part is verified (empty: the city's).
    #[serde(default)]
    pub settler_org_id: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/cloud/bills/{id}/verify",
    operation_id = "cloud_billing_verify",
    tag = "政务云",
    summary = "核实账单中本部门结算的部分（市本级由市政务云管理人员，县区由本县区管理人员，ZMDY-36）；全部核实后账单为已核实",
    params(("id" = String, Path, description = "账单 ID")),
    request_body = VerifyBody,
    responses(
        (status = 200, description = "账单", body = RunView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn verify(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Json(b): Json<VerifyBody>,
) -> ApiResult<Json<RunView>> {
    billing::verify(&s.platform, &ctx, &pr, &id, &b.settler_org_id).await?;
    Ok(Json(billing::get(&s.platform, &pr, &id).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/cloud/bills/{id}/send",
    operation_id = "cloud_billing_send",
    tag = "政务云",
    summary = "已核实的账单报送财政（SNYP-6：作为资金拨付的依据），记入审计",
    params(("id" = String, Path, description = "账单 ID")),
    responses(
        (status = 200, description = "账单", body = RunView),
        Unauthorized, Forbidden, NotFound, Conflict, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn send(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<RunView>> {
    billing::send(&s.platform, &ctx, &pr, &id).await?;
    Ok(Json(billing::get(&s.platform, &pr, &id).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/cloud/bills/{id}/bill.xlsx",
    operation_id = "cloud_billing_excel",
    tag = "政务云",
    summary = "已核实账单的 Excel（每行一条计费明细，核减、按承担方小计和总计），记入审计",
    params(("id" = String, Path, description = "账单 ID")),
    responses(
        (status = 200, description = "Excel 工作簿", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Binary),
        Unauthorized, Forbidden, NotFound, Conflict, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn excel(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let bytes = billing::excel(&s.platform, &ctx, &pr, &id).await?;
    Ok(super::xlsx("cloud-bill.xlsx", bytes))
}

#[utoipa::path(
    get,
    path = "/api/v1/cloud/bills/{id}/pdf",
    operation_id = "cloud_billing_pdf",
    tag = "政务云",
    summary = "已核实账单的结算单 PDF（按承担方、按单位、核减及理由、核实记录、签字盖章栏），记入审计。服务器未安装中文字体时答 pdf.font_missing",
    params(("id" = String, Path, description = "账单 ID")),
    responses(
        (status = 200, description = "PDF 文件", content_type = "application/pdf", body = Binary),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn pdf(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let bytes = billing::pdf(&s.platform, &ctx, &pr, &id).await?;
    Ok(super::pdf::pdf_response("cloud-bill-statement.pdf", bytes))
}

#[utoipa::path(
    get,
    path = "/api/v1/cloud/platforms/{id}/evaluation-schemes/{role}",
    operation_id = "cloud_billing_scheme",
    tag = "政务云",
    summary = "服务考评办法：制度列出的考评指标（ZMDY-39 / SNYP-35）及合同约定的权重和扣减档次；role 为 provider 或 monitor",
    params(
        ("id" = String, Path, description = "政务云平台 ID"),
        ("role" = String, Path, description = "provider（云服务商）或 monitor（云监管服务商）"),
    ),
    responses(
        (status = 200, description = "考评办法", body = SchemeView),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn scheme(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path((id, role)): Path<(String, String)>,
) -> ApiResult<Json<SchemeView>> {
    Ok(Json(
        evaluation::scheme(&s.platform, &pr, &id, &role).await?,
    ))
}

#[utoipa::path(
    put,
    path = "/api/v1/cloud/platforms/{id}/evaluation-schemes/{role}",
    operation_id = "cloud_billing_put_scheme",
    tag = "政务云",
    summary = "录入合同约定的指标权重（整数，合计 100）和扣减档次（起始分、扣减百分比，须有起始分为 0 的一档），记入审计",
    params(
        ("id" = String, Path, description = "政务云平台 ID"),
        ("role" = String, Path, description = "provider 或 monitor"),
    ),
    request_body = SchemeInput,
    responses(
        (status = 200, description = "考评办法", body = SchemeView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn put_scheme(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path((id, role)): Path<(String, String)>,
    Json(b): Json<SchemeInput>,
) -> ApiResult<Json<SchemeView>> {
    Ok(Json(
        evaluation::set_scheme(&s.platform, &ctx, &pr, &id, &role, &b).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/cloud/platforms/{id}/evaluations",
    operation_id = "cloud_billing_evaluations",
    tag = "政务云",
    summary = "季度服务考评（云服务商和云监管服务商），最新在前",
    params(("id" = String, Path, description = "政务云平台 ID")),
    responses(
        (status = 200, description = "考评", body = Vec<EvaluationView>),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn evaluations(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<EvaluationView>>> {
    Ok(Json(evaluation::list(&s.platform, &pr, &id).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/cloud/platforms/{id}/evaluations",
    operation_id = "cloud_billing_save_evaluation",
    tag = "政务云",
    summary = "录入某季度考评得分（各指标 0–100，最多一位小数），按权重计算总分和扣减比例；确认前可修改，记入审计",
    params(("id" = String, Path, description = "政务云平台 ID")),
    request_body = EvaluationInput,
    responses(
        (status = 200, description = "考评", body = EvaluationView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn save_evaluation(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Json(b): Json<EvaluationInput>,
) -> ApiResult<Json<EvaluationView>> {
    Ok(Json(
        evaluation::save(&s.platform, &ctx, &pr, &id, &b).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/cloud/platforms/{id}/evaluations/{role}/{quarter}/confirm",
    operation_id = "cloud_billing_confirm_evaluation",
    tag = "政务云",
    summary = "确认某季度考评，其扣减比例计入年度结算（ZMDY-39、SNYP-35），记入审计",
    params(
        ("id" = String, Path, description = "政务云平台 ID"),
        ("role" = String, Path, description = "provider 或 monitor"),
        ("quarter" = String, Path, description = "YYYY-Qn"),
    ),
    responses(
        (status = 200, description = "考评", body = EvaluationView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn confirm_evaluation(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path((id, role, quarter)): Path<(String, String, String)>,
) -> ApiResult<Json<EvaluationView>> {
    Ok(Json(
        evaluation::confirm(&s.platform, &ctx, &pr, &id, &role, &quarter).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/cloud/platforms/{id}/settlements/{year}",
    operation_id = "cloud_billing_settlement",
    tag = "政务云",
    summary = "年度结算（ZMDY-36）：按承担方汇总已报送财政的账单，逐季度减去当季计费 × 云服务商已确认考评的扣减比例（四舍五入到分），列出计算过程",
    params(
        ("id" = String, Path, description = "政务云平台 ID"),
        ("year" = String, Path, description = "年度，如 2025"),
    ),
    responses(
        (status = 200, description = "年度结算", body = SettlementView),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn settlement(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path((id, year)): Path<(String, String)>,
) -> ApiResult<Json<SettlementView>> {
    Ok(Json(
        evaluation::settlement(&s.platform, &pr, &id, parse_year(&year)?).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/cloud/platforms/{id}/settlements/{year}/confirm",
    operation_id = "cloud_billing_confirm_settlement",
    tag = "政务云",
    summary = "确认年度结算（年度结束后、仅一次），记入审计",
    params(
        ("id" = String, Path, description = "政务云平台 ID"),
        ("year" = String, Path, description = "年度，如 2025"),
    ),
    responses(
        (status = 200, description = "年度结算", body = SettlementView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn confirm_settlement(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path((id, year)): Path<(String, String)>,
) -> ApiResult<Json<SettlementView>> {
    Ok(Json(
        evaluation::confirm_settlement(&s.platform, &ctx, &pr, &id, parse_year(&year)?).await?,
    ))
}

fn parse_year(s: &str) -> Result<i32, WebError> {
    s.trim().parse().map_err(|_| {
        WebError::api(yunwei_domain::AppError::bad_request(
            "cloud_settlement.year",
            "年度无效",
        ))
    })
}
