//! Inspection plans, their records and maintenance records under
//! `/api/v1` (EEDS-1.4.1, EEDS-2.2.1.4, EEDS-2.2.2.2, EEDS-2.2.2.6,
//! EEDS-3.4, EEDS-3.5), and the audited Excel exports of both lists.

use crate::extract::Query;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use yunwei_core::inspections::{
    self, MaintenanceInput, MaintenanceListFilter, PlanInput, PlanListFilter, PlanUpdate,
    RecordInput,
};

use super::{ApiResult, Body};
use crate::error::WebError;
use crate::extract::{ApiUser, ReqCtx};
use crate::AppState;

pub async fn list_plans(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(q): Query<PlanListFilter>,
) -> ApiResult {
    let plans = inspections::list_plans(&s.platform, &pr, &q).await?;
    Ok(Json(json!({ "plans": plans })))
}

/// The list's filters and the export's reason.
#[derive(Deserialize, Default)]
pub(crate) struct PlansQuery {
    #[serde(default)]
    pub org_id: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
    /// Required for the export.
    #[serde(default)]
    pub reason: Option<String>,
}

impl PlansQuery {
    fn filter(&self) -> PlanListFilter {
        PlanListFilter {
            org_id: self.org_id.clone(),
            kind: self.kind.clone(),
            active: self.active,
        }
    }
}

pub async fn export_plans(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Query(q): Query<PlansQuery>,
) -> Result<Response, WebError> {
    let bytes = inspections::export_plans(
        &s.platform,
        &ctx,
        &pr,
        &q.filter(),
        q.reason.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(super::xlsx("inspection-plans.xlsx", bytes))
}

pub async fn create_plan(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Body(b): Body<PlanInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let plan = inspections::create_plan(&s.platform, &ctx, &pr, &b).await?;
    let v = inspections::get_plan(&s.platform, &pr, &plan.id).await?;
    Ok((StatusCode::CREATED, Json(json!(v))))
}

pub async fn get_plan(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(Json(json!(
        inspections::get_plan(&s.platform, &pr, &id).await?
    )))
}

pub async fn update_plan(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<PlanUpdate>,
) -> ApiResult {
    inspections::update_plan(&s.platform, &ctx, &pr, &id, &b).await?;
    Ok(Json(json!(
        inspections::get_plan(&s.platform, &pr, &id).await?
    )))
}

pub async fn file_record(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<RecordInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let r = inspections::file_record(&s.platform, &ctx, &pr, &id, &b).await?;
    let plan = inspections::get_plan(&s.platform, &pr, &id).await?;
    let record = plan.records.iter().find(|x| x.id == r.id).cloned();
    Ok((
        StatusCode::CREATED,
        Json(json!({ "record": record, "plan": plan.plan })),
    ))
}

#[derive(Deserialize, Default)]
pub(crate) struct MaintenanceQuery {
    #[serde(default)]
    pub org_id: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub ci_id: Option<String>,
    #[serde(default)]
    pub page: Option<u64>,
    #[serde(default)]
    pub per_page: Option<u64>,
    /// Required for the export.
    #[serde(default)]
    pub reason: Option<String>,
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

pub async fn list_maintenance(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(q): Query<MaintenanceQuery>,
) -> ApiResult {
    let page = inspections::list_maintenance(
        &s.platform,
        &pr,
        &q.filter(),
        q.page.unwrap_or(1),
        q.per_page.unwrap_or(20),
    )
    .await?;
    Ok(Json(json!(page)))
}

pub async fn create_maintenance(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Body(b): Body<MaintenanceInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let m = inspections::create_maintenance(&s.platform, &ctx, &pr, &b).await?;
    Ok((StatusCode::CREATED, Json(json!(m))))
}

pub async fn export_maintenance(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Query(q): Query<MaintenanceQuery>,
) -> Result<Response, WebError> {
    let bytes = inspections::export_maintenance(
        &s.platform,
        &ctx,
        &pr,
        &q.filter(),
        q.reason.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(super::xlsx("maintenance-records.xlsx", bytes))
}
