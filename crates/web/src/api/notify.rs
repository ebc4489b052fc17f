//! `/api/v1/notify`: the outbox of the external notice channels for the
//! system administrator: the dead letters, their retry, and a test
//! message per channel (ADR 0022).

use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yunwei_core::outbox::{self, Backlog, DeadLetter};

use super::{ApiResult, Body};
use crate::extract::{ApiUser, ReqCtx};
use crate::openapi::{BadRequest, Conflict, Forbidden, Internal, NotFound, TooLarge, Unauthorized};
use crate::AppState;

/// The dead letters and the outbox's counts.
#[derive(Serialize, ToSchema)]
pub(super) struct DeadLetters {
    backlog: Backlog,
    /// Newest first, at most 500.
    items: Vec<DeadLetter>,
}

#[utoipa::path(
    get,
    path = "/api/v1/notify/dead-letters",
    operation_id = "notify_dead_letters",
    tag = "通知渠道",
    summary = "发送失败的邮件、企业微信和钉钉通知（系统管理员）",
    responses(
        (status = 200, description = "发送失败列表与待发送数量", body = DeadLetters),
        Unauthorized, Forbidden, Internal,
    ),
    security(("bearer" = []))
)]
pub(super) async fn dead_letters(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
) -> ApiResult<Json<DeadLetters>> {
    let items = outbox::dead_letters(&s.platform, &pr).await?;
    let backlog = outbox::backlog(&s.platform).await?;
    Ok(Json(DeadLetters { backlog, items }))
}

/// What was done.
#[derive(Serialize, ToSchema)]
pub(super) struct Done {
    /// `queued` or `sent`.
    status: &'static str,
}

#[utoipa::path(
    post,
    path = "/api/v1/notify/dead-letters/{id}/retry",
    operation_id = "notify_retry",
    tag = "通知渠道",
    summary = "重新发送一条发送失败的通知（系统管理员；记入审计日志）",
    params(("id" = String, Path, description = "失败通知的编号")),
    responses(
        (status = 200, description = "已重新排队", body = Done),
        Unauthorized, Forbidden, NotFound, Conflict, Internal,
    ),
    security(("bearer" = []))
)]
pub(super) async fn retry(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Done>> {
    outbox::retry(&s.platform, &ctx, &pr, &id).await?;
    Ok(Json(Done { status: "queued" }))
}

/// Which channel to test.
#[derive(Deserialize, ToSchema)]
pub(super) struct TestRequest {
    /// `email`, `wecom_app`, `wecom_robot` or `dingtalk_robot`.
    channel: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/notify/test",
    operation_id = "notify_test",
    tag = "通知渠道",
    summary = "通过一个渠道立即发送测试消息（邮件和企业微信应用消息发给本人，群机器人发到所配置的群；失败时返回中文原因）",
    request_body = TestRequest,
    responses(
        (status = 200, description = "已发送", body = Done),
        BadRequest, Unauthorized, Forbidden, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub(super) async fn test(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Body(req): Body<TestRequest>,
) -> ApiResult<Json<Done>> {
    outbox::send_test(&s.platform, &ctx, &pr, &req.channel).await?;
    Ok(Json(Done { status: "sent" }))
}
