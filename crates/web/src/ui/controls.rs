//! `/controls`: 到期事项总览 (ADR 0005). Every open control in the caller's
//! scope in three sections, 已逾期 (red), 本周到期 (within 7 days) and 其他,
//! filterable by organisation, kind and status, with the audited Excel
//! export. Every check is in `yunwei_core::controls`.

use crate::extract::Query;
use askama::Template;
use axum::extract::State;
use serde::Deserialize;
use yunwei_core::controls::{self, ControlView, Overview, OverviewFilter};
use yunwei_domain::roles::Action;
use yunwei_domain::AppError;

use super::error::{correctable, Page};
use super::form::{opts, org_options, Opt, UiForm};
use super::page::{render, Layout};
use super::session::{business, UiUser};
use crate::error::status_of;
use crate::extract::ReqCtx;
use crate::AppState;

#[derive(Deserialize, Default, Clone)]
pub(super) struct OverviewQuery {
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    status: String,
}

impl OverviewQuery {
    fn filter(&self) -> OverviewFilter {
        OverviewFilter {
            org_id: Some(self.org_id.clone()),
            kind: Some(self.kind.clone()),
            status: Some(self.status.clone()),
        }
    }
}

#[derive(Template)]
#[template(path = "controls.html")]
struct OverviewTpl {
    l: Layout,
    orgs: Vec<Opt>,
    kinds: Vec<Opt>,
    statuses: Vec<Opt>,
    q: OverviewQuery,
    overdue: Vec<ControlView>,
    due_soon: Vec<ControlView>,
    other: Vec<ControlView>,
    total: i64,
    shown: usize,
    /// More match than are shown.
    truncated: bool,
    reason: String,
}

async fn overview_view(
    s: &AppState,
    u: &UiUser,
    q: OverviewQuery,
    reason: String,
    error: Option<&AppError>,
) -> Page {
    business(u)?;
    let mut shown_error = error.map(|e| e.message.clone());
    let o = match controls::overview(&s.platform, &u.principal, &q.filter()).await {
        Ok(o) => o,
        Err(e) if correctable(&e) && e.kind != yunwei_domain::ErrorKind::Forbidden => {
            shown_error = shown_error.or(Some(e.message));
            Overview {
                overdue: vec![],
                due_soon: vec![],
                other: vec![],
                total: 0,
                now: s.platform.now_us(),
            }
        }
        Err(e) => return Err(e.into()),
    };
    let orgs = org_options(s, u, Action::BusinessRead).await?;
    let page = render(&OverviewTpl {
        l: Layout::for_user(u, "/controls").with(None, shown_error),
        orgs: opts(orgs, &q.org_id),
        kinds: opts(
            controls::kinds()
                .into_iter()
                .map(|(k, l)| (k.to_string(), l.to_string()))
                .collect(),
            &q.kind,
        ),
        statuses: opts(
            controls::statuses()
                .into_iter()
                .map(|(k, l)| (k.to_string(), l.to_string()))
                .collect(),
            &q.status,
        ),
        shown: o.overdue.len() + o.due_soon.len() + o.other.len(),
        truncated: ((o.overdue.len() + o.due_soon.len() + o.other.len()) as i64) < o.total,
        total: o.total,
        overdue: o.overdue,
        due_soon: o.due_soon,
        other: o.other,
        q,
        reason,
    });
    match error {
        Some(e) => {
            let mut r = page?;
            *r.status_mut() = status_of(e.kind);
            Ok(r)
        }
        None => page,
    }
}

pub(super) async fn overview(
    State(s): State<AppState>,
    u: UiUser,
    Query(q): Query<OverviewQuery>,
) -> Page {
    overview_view(&s, &u, q, String::new(), None).await
}

#[derive(Deserialize)]
pub(super) struct ExportForm {
    #[serde(default)]
    reason: String,
    #[serde(flatten)]
    q: OverviewQuery,
}

pub(super) async fn export(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<ExportForm>,
) -> Page {
    business(&u)?;
    match controls::export(&s.platform, &ctx, &u.principal, &f.q.filter(), &f.reason).await {
        Ok(bytes) => Ok(crate::api::xlsx("controls.xlsx", bytes)),
        Err(e) if correctable(&e) => overview_view(&s, &u, f.q, f.reason, Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}
