//! Reports under `/api/v1/reports`: the monthly SLA report and the
//! yearly fault statistics per device type.

use crate::extract::Query;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use yunwei_core::fault_statistics::{self, FaultReport};
use yunwei_core::reports::{self, SlaReport};

use super::{ApiResult, ExportReason};
use crate::error::WebError;
use crate::extract::{ApiUser, ReqCtx};
use crate::openapi::{BadRequest, Binary, Forbidden, Internal, NotFound, Unauthorized};
use crate::AppState;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlaQuery {
    /// `YYYY-MM`; the current month (China time) when absent.
    #[serde(default)]
    pub(crate) month: Option<String>,
}

pub(crate) fn month_of(s: &AppState, q: &SlaQuery) -> String {
    q.month
        .clone()
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| reports::current_month(s.platform.clock.now()))
}

#[utoipa::path(
    get,
    path = "/api/v1/reports/sla",
    operation_id = "reports_sla",
    tag = "报表",
    summary = "SLA 月报（month=YYYY-MM，北京时间）：按流程与级别统计本月登记、本月办结、本月登记未办结、超时与按时办结率",
    params(SlaQuery),
    responses(
        (status = 200, description = "SLA 月报", body = SlaReport),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn sla(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(q): Query<SlaQuery>,
) -> ApiResult<Json<SlaReport>> {
    let r = reports::monthly_sla(&s.platform, &pr, &month_of(&s, &q)).await?;
    Ok(Json(r))
}

#[utoipa::path(
    get,
    path = "/api/v1/reports/sla/export.xlsx",
    operation_id = "reports_sla_export",
    tag = "报表",
    summary = "导出 SLA 月报（Excel，month=YYYY-MM，须填 reason）",
    params(ExportReason, SlaQuery),
    responses(
        (status = 200, description = "Excel 工作簿", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Binary),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn sla_export(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Query(q): Query<SlaQuery>,
    Query(r): Query<ExportReason>,
) -> Result<Response, WebError> {
    let month = month_of(&s, &q);
    let bytes = reports::export_sla(&s.platform, &ctx, &pr, &month, r.text()).await?;
    Ok(super::xlsx(&format!("sla-{month}.xlsx"), bytes))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// `YYYY`; the current year (China time) when absent.
    #[serde(default)]
    pub(crate) year: Option<String>,
}

pub(crate) fn year_of(s: &AppState, y: Option<&str>) -> Result<i32, WebError> {
    match y.map(str::trim).filter(|y| !y.is_empty()) {
        Some(y) => Ok(fault_statistics::parse_year(y)?),
        None => {
            use chrono::Datelike;
            Ok(yunwei_domain::calendar::date_in_shanghai(s.platform.clock.now()).year())
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/reports/faults",
    operation_id = "reports_faults",
    tag = "报表",
    summary = "各类型设备故障统计（year=YYYY，EEDS-3.5.2）：本年登记的故障类工单按所涉配置项的类别和设备类型统计故障数、未办结数和涉及设备数",
    params(YearQuery),
    responses(
        (status = 200, description = "故障统计", body = FaultReport),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn faults(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(q): Query<YearQuery>,
) -> ApiResult<Json<FaultReport>> {
    let year = year_of(&s, q.year.as_deref())?;
    Ok(Json(
        fault_statistics::yearly(&s.platform, &pr, year).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/reports/faults/export.xlsx",
    operation_id = "reports_faults_export",
    tag = "报表",
    summary = "导出各类型设备故障统计（Excel，year=YYYY，须填 reason）",
    params(ExportReason, YearQuery),
    responses(
        (status = 200, description = "Excel 工作簿", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Binary),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn faults_export(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Query(q): Query<YearQuery>,
    Query(r): Query<ExportReason>,
) -> Result<Response, WebError> {
    let year = year_of(&s, q.year.as_deref())?;
    let bytes = fault_statistics::export(&s.platform, &ctx, &pr, year, r.text()).await?;
    Ok(super::xlsx(&format!("faults-{year}.xlsx"), bytes))
}

/// The publications the reader's tree receives.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct PublicationList {
    pub publications: Vec<yunwei_core::publications::Publication>,
}

#[utoipa::path(
    get,
    path = "/api/v1/publications",
    operation_id = "reports_publications",
    tag = "报表",
    summary = "变更公告（JSCZ-26）：省厅信息中心向各级财政部门发布的变更实施方案、更新成功报告和变更延期说明，最新的在前（最多 200 条）",
    responses(
        (status = 200, description = "变更公告", body = PublicationList),
        Unauthorized, Forbidden, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn publications(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
) -> ApiResult<Json<PublicationList>> {
    let publications = yunwei_core::publications::list(&s.platform, &pr, 200).await?;
    Ok(Json(PublicationList { publications }))
}
