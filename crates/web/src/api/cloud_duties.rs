//! The government cloud's duties under `/api/v1/cloud-duties` (issue 14
//! item 6): each platform's duties with this period's status and the
//! history of filed reports, filing a report (the body is the file), the
//! security commitments (ZMDY-40) and the units' supervision scores
//! (SNYP-32).

use crate::extract::Query;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use yunwei_core::features::cloud::duties::{
    self, CommitmentView, Commitments, DutyBoard, FileReport, Filed, NewCommitment, PlatformRef,
    ScoreInput, ScoreView, Scores,
};

use super::ApiResult;
use crate::error::WebError;
use crate::extract::{ApiUser, ReqCtx};
use crate::openapi::{BadRequest, Binary, Forbidden, Internal, NotFound, TooLarge, Unauthorized};
use crate::AppState;

/// The largest body of an upload route: the file the core accepts.
pub(crate) const UPLOAD_LIMIT: usize = duties::MAX_FILE_BYTES + 64 * 1024;

#[utoipa::path(
    get,
    path = "/api/v1/cloud-duties/platforms",
    operation_id = "cloud_duties_platforms",
    tag = "政务云",
    summary = "可查看报送事项的政务云平台（本平台的政务云管理人员、云服务商和云监管服务商）",
    responses(
        (status = 200, description = "平台", body = Vec<PlatformRef>),
        Unauthorized, Forbidden, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn platforms(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
) -> ApiResult<Json<Vec<PlatformRef>>> {
    Ok(Json(duties::platforms(&s.platform, &pr).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/cloud-duties/{platform_id}",
    operation_id = "cloud_duties_board",
    tag = "政务云",
    summary = "服务商报告：平台各项报送职责（依据 ZMDY-20、ZMDY-28、ZMDY-29、ZMDY-32、ZMDY-37、SNYP-19、SNYP-25、SNYP-28）、本期状态与报送历史",
    params(("platform_id" = String, Path, description = "政务云平台 ID")),
    responses(
        (status = 200, description = "报送事项", body = DutyBoard),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn board(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<DutyBoard>> {
    Ok(Json(duties::board(&s.platform, &pr, &id).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/cloud-duties/reports",
    operation_id = "cloud_duties_file_report",
    tag = "政务云",
    summary = "报送报告（请求体为文件；查询参数 platform_id, duty_id, filename, period?（周期内任一日，缺省为最早未完成的周期）, unit_org_id?, note?）；云服务商、云监管服务商报送本方事项，主管部门报送本部门及代单位报送",
    params(FileReport),
    request_body(content = Binary, description = "文件内容", content_type = "application/octet-stream"),
    responses(
        (status = 201, description = "已报送", body = Filed),
        BadRequest, Unauthorized, Forbidden, NotFound, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn file_report(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Query(q): Query<FileReport>,
    super::RawBody(body): super::RawBody,
) -> ApiResult<(StatusCode, Json<Filed>)> {
    let f = duties::file_report(&s.platform, &ctx, &pr, &q, &body).await?;
    Ok((StatusCode::CREATED, Json(f)))
}

#[utoipa::path(
    get,
    path = "/api/v1/cloud-duties/reports/{id}/file",
    operation_id = "cloud_duties_report_file",
    tag = "政务云",
    summary = "下载已报送的报告文件（记录审计）",
    params(("id" = String, Path, description = "报告 ID")),
    responses(
        (status = 200, description = "文件", content_type = "application/octet-stream", body = Binary),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn report_file(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (r, bytes) = duties::report_file(&s.platform, &ctx, &pr, &id).await?;
    Ok(super::tickets::attachment_response(&r.filename, bytes))
}

#[utoipa::path(
    get,
    path = "/api/v1/cloud-duties/{platform_id}/commitments",
    operation_id = "cloud_duties_commitments",
    tag = "政务云",
    summary = "安全承诺书（ZMDY-40）：已签订的，以及尚未签订的使用单位和服务商",
    params(("platform_id" = String, Path, description = "政务云平台 ID")),
    responses(
        (status = 200, description = "安全承诺书", body = Commitments),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn commitments(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Commitments>> {
    Ok(Json(duties::commitments(&s.platform, &pr, &id).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/cloud-duties/commitments",
    operation_id = "cloud_duties_sign_commitment",
    tag = "政务云",
    summary = "登记安全承诺书（请求体为签字盖章的文件；查询参数 platform_id, party_org_id, signed_on, filename, note?）；政务云主管部门登记",
    params(NewCommitment),
    request_body(content = Binary, description = "文件内容", content_type = "application/octet-stream"),
    responses(
        (status = 201, description = "已登记", body = CommitmentView),
        BadRequest, Unauthorized, Forbidden, NotFound, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn sign_commitment(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Query(q): Query<NewCommitment>,
    super::RawBody(body): super::RawBody,
) -> ApiResult<(StatusCode, Json<CommitmentView>)> {
    let v = duties::sign_commitment(&s.platform, &ctx, &pr, &q, &body).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[utoipa::path(
    get,
    path = "/api/v1/cloud-duties/commitments/{id}/file",
    operation_id = "cloud_duties_commitment_file",
    tag = "政务云",
    summary = "下载安全承诺书文件（记录审计）",
    params(("id" = String, Path, description = "安全承诺书 ID")),
    responses(
        (status = 200, description = "文件", content_type = "application/octet-stream", body = Binary),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn commitment_file(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (r, bytes) = duties::commitment_file(&s.platform, &ctx, &pr, &id).await?;
    Ok(super::tickets::attachment_response(&r.filename, bytes))
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct YearQuery {
    /// The year scored (default: this year).
    #[serde(default)]
    pub year: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/api/v1/cloud-duties/{platform_id}/unit-scores",
    operation_id = "cloud_duties_scores",
    tag = "政务云",
    summary = "单位监督评分（SNYP-32：应用系统整合共享、迁移上云、政务云资源利用率、安全等级保护实施）；政务云管理人员可见",
    params(("platform_id" = String, Path, description = "政务云平台 ID"), YearQuery),
    responses(
        (status = 200, description = "评分", body = Scores),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn scores(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Query(q): Query<YearQuery>,
) -> ApiResult<Json<Scores>> {
    Ok(Json(duties::scores(&s.platform, &pr, &id, q.year).await?))
}

#[utoipa::path(
    put,
    path = "/api/v1/cloud-duties/unit-scores",
    operation_id = "cloud_duties_set_score",
    tag = "政务云",
    summary = "录入或更正单位某年度的监督评分（每项 0-100；SNYP-32；记录审计，含修改前后）",
    request_body = ScoreInput,
    responses(
        (status = 200, description = "已录入", body = ScoreView),
        BadRequest, Unauthorized, Forbidden, NotFound, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn set_score(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Json(input): Json<ScoreInput>,
) -> ApiResult<Json<ScoreView>> {
    Ok(Json(
        duties::set_score(&s.platform, &ctx, &pr, &input).await?,
    ))
}
