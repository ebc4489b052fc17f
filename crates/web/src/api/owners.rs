//! Owners and queues under `/api/v1` (issue 13): 认领, 指派, 转派.

use axum::extract::{Path, State};
use axum::Json;
use yunwei_core::tickets::{self, AssignInput, ReassignInput, TicketSummary};

use super::{ApiResult, Body};
use crate::extract::{ApiUser, ReqCtx};
use crate::openapi::{BadRequest, Conflict, Forbidden, Internal, NotFound, TooLarge, Unauthorized};
use crate::AppState;

#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/claim",
    operation_id = "owners_claim",
    tag = "工单",
    summary = "认领本组待认领的工单（并发认领只有一人成功）",
    params(("id" = String, Path, description = "工单 ID")),
    responses(
        (status = 200, description = "认领后的工单", body = TicketSummary),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn claim(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<TicketSummary>> {
    let t = tickets::claim(&s.platform, &ctx, &pr, &id).await?;
    Ok(Json(tickets::summary(&s.platform, &t)))
}

#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/assign",
    operation_id = "owners_assign",
    tag = "工单",
    summary = "指派工单给本组人员（本组负责人：科长、项目负责人、主任）",
    params(("id" = String, Path, description = "工单 ID")),
    request_body = AssignInput,
    responses(
        (status = 200, description = "指派后的工单", body = TicketSummary),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn assign(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<AssignInput>,
) -> ApiResult<Json<TicketSummary>> {
    let t = tickets::assign(&s.platform, &ctx, &pr, &id, &b).await?;
    Ok(Json(tickets::summary(&s.platform, &t)))
}

#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/reassign",
    operation_id = "owners_reassign",
    tag = "工单",
    summary = "转派工单到另一科室、厂商或人员（须填 reason）",
    params(("id" = String, Path, description = "工单 ID")),
    request_body = ReassignInput,
    responses(
        (status = 200, description = "转派后的工单", body = TicketSummary),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn reassign(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<ReassignInput>,
) -> ApiResult<Json<TicketSummary>> {
    let t = tickets::reassign(&s.platform, &ctx, &pr, &id, &b).await?;
    Ok(Json(tickets::summary(&s.platform, &t)))
}
