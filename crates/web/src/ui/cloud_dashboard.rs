//! `/cloud`: 政务云总览, the bureau's dashboard of a platform (issue 14
//! item 8): systems by state and by unit, the month's low and high
//! utilisation, applications in progress with their deadlines, overdue
//! provider reports and the latest bill by payer, as inline SVG bars (each
//! a link to its list) and tables. Every figure is computed in
//! `yunwei_core::features::cloud::dashboard` under the viewer's scope.

use crate::extract::Query;
use askama::Template;
use axum::extract::State;
use serde::Deserialize;
use yunwei_core::features::cloud::dashboard::{self, Count, Dashboard};
use yunwei_core::home::{Chart, ChartKind, Point};
use yunwei_domain::time::fmt_minute;

use super::error::Page;
use super::page::{render, Layout};
use super::session::UiUser;
use crate::AppState;

#[derive(Deserialize, Default)]
pub(super) struct DashQuery {
    #[serde(default)]
    platform_id: String,
    #[serde(default)]
    month: String,
}

/// An application row as shown: the deadline in China time.
struct AppRow {
    number: String,
    title: String,
    process_name: String,
    state_label: String,
    due: String,
    overdue: bool,
    link: String,
}

#[derive(Template)]
#[template(path = "cloud_dashboard.html")]
struct DashTpl {
    l: Layout,
    /// (id, name, selected).
    platforms: Vec<(String, String, bool)>,
    d: Option<Dashboard>,
    month: String,
    state_chart: String,
    unit_chart: String,
    verdict_chart: String,
    applications: Vec<AppRow>,
}

fn chart(id: &str, title: &str, counts: &[Count]) -> String {
    super::charts::svg(&Chart {
        id: id.into(),
        title: title.into(),
        kind: ChartKind::Bar,
        percent: false,
        points: counts
            .iter()
            .map(|c| Point {
                label: c.label.clone(),
                value: c.count as f64,
                text: c.count.to_string(),
                link: c.link.clone(),
            })
            .collect(),
    })
}

pub(super) async fn page(State(s): State<AppState>, u: UiUser, Query(q): Query<DashQuery>) -> Page {
    let pr = &u.principal;
    let all = dashboard::platforms(&s.platform, pr).await?;
    let chosen = all
        .iter()
        .find(|(id, _)| *id == q.platform_id)
        .or(all.first())
        .map(|(id, _)| id.clone());
    let month = q.month.trim().to_string();
    let d = match &chosen {
        Some(id) => Some(
            dashboard::dashboard(
                &s.platform,
                pr,
                id,
                Some(month.as_str()).filter(|m| !m.is_empty()),
            )
            .await?,
        ),
        None => None,
    };
    let (state_chart, unit_chart, verdict_chart, applications) = match &d {
        None => (String::new(), String::new(), String::new(), vec![]),
        Some(d) => (
            chart("cloud-states", "各状态上云系统数", &d.by_state),
            chart("cloud-units", "各单位上云系统数", &d.by_unit),
            chart("cloud-month-verdicts", "本月利用率判定", &d.verdicts),
            d.applications
                .iter()
                .map(|a| AppRow {
                    number: a.number.clone(),
                    title: a.title.clone(),
                    process_name: a.process_name.clone(),
                    state_label: a.state_label.clone(),
                    due: a.due_at.map(fmt_minute).unwrap_or_else(|| "—".into()),
                    overdue: a.overdue,
                    link: a.link.clone(),
                })
                .collect(),
        ),
    };
    render(&DashTpl {
        l: Layout::for_user(&u, "/cloud"),
        platforms: all
            .into_iter()
            .map(|(id, name)| {
                let sel = Some(&id) == chosen.as_ref();
                (id, name, sel)
            })
            .collect(),
        month: d
            .as_ref()
            .and_then(|d| d.usage_month.clone())
            .unwrap_or(month),
        d,
        state_chart,
        unit_chart,
        verdict_chart,
        applications,
    })
}
