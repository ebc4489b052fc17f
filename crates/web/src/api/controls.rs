//! The due-date overview under `/api/v1/controls` (ADR 0005): every open
//! control in the caller's scope, overdue first, and its Excel export.

use crate::extract::Query;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use yunwei_core::controls::{self, Overview, OverviewFilter};

use super::{ApiResult, ExportReason};
use crate::error::WebError;
use crate::extract::{ApiUser, ReqCtx};
use crate::openapi::{BadRequest, Binary, Forbidden, Internal, NotFound, Unauthorized};
use crate::AppState;

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ControlsQuery {
    /// This organisation and the ones below it.
    #[serde(default)]
    pub org_id: Option<String>,
    /// `inspection`, `patrol`, `maintenance`, ...
    #[serde(default)]
    pub kind: Option<String>,
    /// `open` (default), `overdue`, `due_soon`, `pending`, `done`, `all`.
    #[serde(default)]
    pub status: Option<String>,
}

impl ControlsQuery {
    fn filter(&self) -> OverviewFilter {
        OverviewFilter {
            org_id: self.org_id.clone(),
            kind: self.kind.clone(),
            status: self.status.clone(),
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/controls",
    operation_id = "controls_overview",
    tag = "到期事项",
    summary = "到期事项总览（ADR 0005）：本人可见范围内的未完成事项，分已逾期（overdue）、7日内到期（due_soon）和其他（other），含状态标签；筛选 org_id（含下级）、kind（inspection|patrol|maintenance）、status（open|overdue|due_soon|pending|done|all）",
    params(ControlsQuery),
    responses(
        (status = 200, description = "到期事项", body = Overview),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn overview(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(q): Query<ControlsQuery>,
) -> ApiResult<Json<Overview>> {
    let o = controls::overview(&s.platform, &pr, &q.filter()).await?;
    Ok(Json(o))
}

#[utoipa::path(
    get,
    path = "/api/v1/controls/export.xlsx",
    operation_id = "controls_export",
    tag = "到期事项",
    summary = "导出到期事项（Excel，筛选同总览，须填 reason，记入审计）",
    params(ExportReason, ControlsQuery),
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
    Query(q): Query<ControlsQuery>,
    Query(r): Query<ExportReason>,
) -> Result<Response, WebError> {
    let bytes = controls::export(&s.platform, &ctx, &pr, &q.filter(), r.text()).await?;
    Ok(super::xlsx("controls.xlsx", bytes))
}
