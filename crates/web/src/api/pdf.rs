//! PDFs to print and sign (ADR 0013): a ticket, the monthly SLA report.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use yunwei_core::{reports, tickets};

use super::reports::SlaQuery;
use crate::error::WebError;
use crate::extract::{ApiUser, Query, ReqCtx};
use crate::openapi::{BadRequest, Binary, Forbidden, Internal, NotFound, Unauthorized};
use crate::AppState;

/// A PDF download named `name` (ASCII fallback and UTF-8 name).
pub(crate) fn pdf_response(name: &str, bytes: Vec<u8>) -> Response {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        bytes,
    )
        .into_response()
}

#[utoipa::path(
    get,
    path = "/api/v1/tickets/{id}/pdf",
    operation_id = "pdf_ticket",
    tag = "工单",
    summary = "工单 PDF（打印、签字存档）：基本信息、工单内容、办理流程、审批、时限、办理记录和签字栏；下载记入审计。服务器未安装中文字体时答 pdf.font_missing",
    params(("id" = String, Path, description = "工单 ID")),
    responses(
        (status = 200, description = "PDF 文件", content_type = "application/pdf", body = Binary),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn ticket(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (t, bytes) = tickets::ticket_pdf(&s.platform, &ctx, &pr, &id).await?;
    Ok(pdf_response(&format!("{}.pdf", t.number), bytes))
}

#[utoipa::path(
    get,
    path = "/api/v1/reports/sla/pdf",
    operation_id = "pdf_sla",
    tag = "报表",
    summary = "SLA 月报 PDF（month=YYYY-MM，北京时间；打印、签字存档）；下载记入审计。服务器未安装中文字体时答 pdf.font_missing",
    params(SlaQuery),
    responses(
        (status = 200, description = "PDF 文件", content_type = "application/pdf", body = Binary),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn sla(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Query(q): Query<SlaQuery>,
) -> Result<Response, WebError> {
    let month = super::reports::month_of(&s, &q);
    let bytes = reports::sla_pdf(&s.platform, &ctx, &pr, &month).await?;
    Ok(pdf_response(&format!("sla-{month}.pdf"), bytes))
}
