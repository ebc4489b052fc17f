//! PDF downloads from the browser session (ADR 0013): the ticket page's
//! 下载PDF and the SLA report's; errors answer the Chinese error page.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use yunwei_core::{reports, tickets};

use super::error::Page;
use super::session::{business, UiUser};
use crate::api::pdf::pdf_response;
use crate::api::reports::SlaQuery;
use crate::extract::{Query, ReqCtx};
use crate::AppState;

pub(super) async fn ticket(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
) -> Page {
    business(&u)?;
    let (t, bytes) = tickets::ticket_pdf(&s.platform, &ctx, &u.principal, &id).await?;
    Ok(pdf_response(&format!("{}.pdf", t.number), bytes))
}

pub(super) async fn sla(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Query(q): Query<SlaQuery>,
) -> Page {
    business(&u)?;
    let month = crate::api::reports::month_of(&s, &q);
    let bytes = reports::sla_pdf(&s.platform, &ctx, &u.principal, &month).await?;
    Ok(pdf_response(&format!("sla-{month}.pdf"), bytes))
}

/// The print stylesheet (`media="print"` in every page's head).
pub async fn print_stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/print.css"),
    )
}
