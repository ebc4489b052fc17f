//! The audit log: search with filters and paging, and the audited Excel
//! export.

use askama::Template;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use serde::Deserialize;
use yunwei_core::audit;
use yunwei_domain::roles::Action;
use yunwei_domain::time::fmt_us;

use super::error::{correctable, Page};
use super::form::{urlencoding, UiForm};
use super::page::{render, Layout};
use super::session::UiUser;
use crate::api::{audit_filter, AuditQuery};
use crate::extract::{Query, ReqCtx};
use crate::AppState;

struct AuditLine {
    seq: i64,
    at: String,
    actor: String,
    role: String,
    ip: String,
    action: String,
    object: String,
    summary: String,
    reason: String,
    result: String,
    result_label: &'static str,
}

#[derive(Default)]
struct AuditShown {
    from: String,
    to: String,
    actor: String,
    action: String,
    object_type: String,
    object_id: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditTpl {
    l: Layout,
    q: AuditShown,
    records: Vec<AuditLine>,
    next_url: Option<String>,
    can_export: bool,
}

const AUDIT_PAGE: u64 = 100;

pub(super) async fn page(
    State(s): State<AppState>,
    u: UiUser,
    Query(q): Query<AuditQuery>,
) -> Page {
    let filter = match audit_filter(&q) {
        Ok(f) => f,
        Err(e) => return audit_render(&s, &u, &q, vec![], Some(e.message)),
    };
    let records = audit::search(&s.platform, &u.principal, &filter, AUDIT_PAGE).await?;
    audit_render(&s, &u, &q, records, None)
}

pub(super) fn audit_render(
    _s: &AppState,
    u: &UiUser,
    q: &AuditQuery,
    records: Vec<yunwei_domain::audit::AuditRecord>,
    error: Option<String>,
) -> Page {
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    let shown = AuditShown {
        from: v(&q.from),
        to: v(&q.to),
        actor: v(&q.actor),
        action: v(&q.action),
        object_type: v(&q.object_type),
        object_id: v(&q.object_id),
    };
    let next_url = (records.len() as u64 >= AUDIT_PAGE).then(|| {
        format!(
            "/audit?from={}&to={}&actor={}&action={}&object_type={}&object_id={}&before_seq={}",
            urlencoding(&shown.from),
            urlencoding(&shown.to),
            urlencoding(&shown.actor),
            urlencoding(&shown.action),
            urlencoding(&shown.object_type),
            urlencoding(&shown.object_id),
            records.last().map(|r| r.seq).unwrap_or(0)
        )
    });
    let lines = records
        .into_iter()
        .map(|r| AuditLine {
            seq: r.seq,
            at: fmt_us(r.at_us),
            actor: r.actor_name,
            role: r.actor_role,
            ip: r.source_ip,
            action: r.action,
            object: format!("{} {}", r.object_type, r.object_id),
            summary: if r.before.is_empty() {
                r.after
            } else {
                format!("{} → {}", r.before, r.after)
            },
            reason: r.reason,
            result_label: match r.result.as_str() {
                "success" => "成功",
                "failure" => "失败",
                _ => "拒绝",
            },
            result: r.result,
        })
        .collect();
    render(&AuditTpl {
        l: Layout::for_user(u, "/audit").with(None, error),
        q: shown,
        records: lines,
        next_url,
        can_export: u.principal.can_somewhere(Action::AuditExport),
    })
}

#[derive(Deserialize)]
pub(super) struct AuditExportForm {
    #[serde(flatten)]
    q: AuditQuery,
}

pub(super) async fn export(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<AuditExportForm>,
) -> Page {
    let filter = audit_filter(&f.q)?;
    match audit::export(
        &s.platform,
        &ctx,
        &u.principal,
        &filter,
        f.q.reason.as_deref().unwrap_or(""),
    )
    .await
    {
        Ok(bytes) => Ok((
            StatusCode::OK,
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"audit.xlsx\"",
                ),
            ],
            bytes,
        )
            .into_response()),
        Err(e) if correctable(&e) => audit_render(&s, &u, &f.q, vec![], Some(e.message)),
        Err(e) => Err(e.into()),
    }
}
