//! The audit log: search with filters and paging, and the audited Excel
//! export.

use askama::Template;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use serde::Deserialize;
use yunwei_core::audit;
use yunwei_domain::labels;
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
    /// The object's page, when the viewer may open it.
    object_href: Option<String>,
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

/// One choice of a filter's `<select>`.
struct Choice {
    value: &'static str,
    label: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditTpl {
    l: Layout,
    q: AuditShown,
    records: Vec<AuditLine>,
    /// The action choices, grouped.
    actions: Vec<(&'static str, Vec<Choice>)>,
    object_types: Vec<Choice>,
    next_url: Option<String>,
    can_export: bool,
    /// Audit forwarding to syslog, for the audit administrator.
    forwarding: Option<super::audit_forward::ForwardLine>,
}

const AUDIT_PAGE: u64 = 100;

pub(super) async fn page(
    State(s): State<AppState>,
    u: UiUser,
    Query(q): Query<AuditQuery>,
) -> Page {
    let filter = match audit_filter(&q) {
        Ok(f) => f,
        Err(e) => {
            let forwarding = super::audit_forward::line(&s, &u).await?;
            return audit_render(&s, &u, &q, vec![], Some(e.message), forwarding);
        }
    };
    let records = audit::search(&s.platform, &u.principal, &filter, AUDIT_PAGE).await?;
    let forwarding = super::audit_forward::line(&s, &u).await?;
    audit_render(&s, &u, &q, records, None, forwarding)
}

/// The page of an audit record's object, when the viewer may open pages
/// of that kind (the page itself checks the object's scope).
fn object_href(u: &UiUser, object_type: &str, id: &str) -> Option<String> {
    let p = &u.principal;
    if id.is_empty() || id.contains('/') || id.contains('?') {
        return None;
    }
    let business = p.can_somewhere(Action::BusinessRead);
    match object_type {
        "ticket" if business => Some(format!("/tickets/{id}")),
        "ci" if business => Some(format!("/cmdb/{id}")),
        "ip_segment" if business => Some(format!("/cmdb/ip/{id}")),
        "archive" if business => Some(format!("/archives/{id}")),
        "knowledge" if business => Some(format!("/knowledge/{id}")),
        "inspection_plan" if business => Some(format!("/inspections/{id}")),
        "user" if p.can_somewhere(Action::UserView) => Some(format!("/users/{id}")),
        t if business && yunwei_domain::register::spec(t).is_some() => {
            Some(format!("/registers/{t}/{id}"))
        }
        _ => None,
    }
}

pub(super) fn audit_render(
    s: &AppState,
    u: &UiUser,
    q: &AuditQuery,
    records: Vec<yunwei_domain::audit::AuditRecord>,
    error: Option<String>,
    forwarding: Option<super::audit_forward::ForwardLine>,
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
        .map(|r| {
            let (before, after) =
                labels::before_after(&r.action, &r.before, &r.after, &s.platform.packs);
            AuditLine {
                seq: r.seq,
                at: fmt_us(r.at_us),
                actor: labels::actor_name_label(&r.actor_name).to_string(),
                role: labels::actor_role_label(&r.actor_role),
                ip: r.source_ip,
                action: labels::action_label(&r.action),
                object: labels::object_type_label(&r.object_type),
                object_href: object_href(u, &r.object_type, &r.object_id),
                summary: if before.is_empty() {
                    after
                } else {
                    format!("{before} → {after}")
                },
                reason: r.reason,
                result_label: labels::result_label(&r.result),
                result: r.result,
            }
        })
        .collect();
    let actions = labels::action_choices()
        .into_iter()
        .map(|(g, items)| {
            (
                g,
                items
                    .into_iter()
                    .map(|(value, label)| Choice {
                        value,
                        label: label.to_string(),
                    })
                    .collect(),
            )
        })
        .collect();
    let object_types = labels::OBJECT_TYPES
        .iter()
        .map(|(value, label)| Choice {
            value,
            label: label.to_string(),
        })
        .chain(yunwei_domain::register::SPECS.iter().map(|sp| Choice {
            value: sp.key,
            label: sp.label.to_string(),
        }))
        .collect();
    render(&AuditTpl {
        l: Layout::for_user(u, "/audit").with(None, error),
        q: shown,
        records: lines,
        actions,
        object_types,
        next_url,
        can_export: u.principal.can_somewhere(Action::AuditExport),
        forwarding,
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
        Err(e) if correctable(&e) => {
            let forwarding = super::audit_forward::line(&s, &u).await?;
            audit_render(&s, &u, &f.q, vec![], Some(e.message), forwarding)
        }
        Err(e) => Err(e.into()),
    }
}
