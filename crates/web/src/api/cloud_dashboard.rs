//! 政务云总览 under `/api/v1/cloud/dashboard` (issue 14 item 8).

use crate::extract::Query;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use yunwei_core::features::cloud::dashboard::{self, Dashboard};

use super::ApiResult;
use crate::extract::ApiUser;
use crate::openapi::{BadRequest, Forbidden, Internal, NotFound, Unauthorized};
use crate::AppState;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DashboardQuery {
    /// The cloud platform.
    pub platform_id: String,
    /// `YYYY-MM` of the utilisation shown; the latest month with data when
    /// empty.
    #[serde(default)]
    pub month: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/cloud/dashboard",
    operation_id = "cloud_dashboard_get",
    tag = "政务云",
    summary = "政务云总览：按单位和状态的上云系统数、某月利用率低/高/高低并存/数据不足的系统、办理中的上云/变更/退出申请及其时限（超时在前）、服务商逾期未报的报告、最近一期账单按付费方的金额；均按调用者的查看范围统计，每项附其列表的链接",
    params(DashboardQuery),
    responses(
        (status = 200, description = "政务云总览", body = Dashboard),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn get(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(q): Query<DashboardQuery>,
) -> ApiResult<Json<Dashboard>> {
    Ok(Json(
        dashboard::dashboard(&s.platform, &pr, &q.platform_id, q.month.as_deref()).await?,
    ))
}
