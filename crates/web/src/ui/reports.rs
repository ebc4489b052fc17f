//! `/reports`: the monthly SLA report in the browser session (the same use
//! case as `/api/v1/reports/sla`): a month picker, the table by process and
//! level, the on-time rate per process as an SVG chart, and the audited
//! Excel export; `/reports/faults`, the yearly fault statistics per device
//! type (EEDS-3.5.2, `/api/v1/reports/faults`) with its export.

use crate::extract::Query;
use askama::Template;
use axum::extract::State;
use serde::Deserialize;
use yunwei_core::fault_statistics;
use yunwei_core::home::{Chart, ChartKind, Point};
use yunwei_core::reports::{self, SlaCounts, SlaReport};
use yunwei_domain::AppError;

use super::error::{correctable, Page};
use super::form::UiForm;
use super::page::{render, Layout};
use super::session::{business, UiUser};
use crate::error::status_of;
use crate::extract::ReqCtx;
use crate::AppState;

#[derive(Deserialize, Default)]
pub(super) struct ReportQuery {
    /// `YYYY-MM`; the current month when empty.
    #[serde(default)]
    month: String,
}

/// One line of the table: process, level, the counts as shown, a subtotal?
struct Line {
    process: String,
    level: String,
    cells: Vec<String>,
    subtotal: bool,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportTpl {
    l: Layout,
    month: String,
    lines: Vec<Line>,
    chart: String,
    reason: String,
    /// The tickets list of the month's new tickets.
    opened_link: String,
}

fn cells(c: &SlaCounts) -> Vec<String> {
    vec![
        c.opened.to_string(),
        c.closed.to_string(),
        c.still_open.to_string(),
        c.breached.to_string(),
        c.closed_on_time.to_string(),
        c.on_time_rate
            .map(|r| format!("{:.1}%", r * 100.0))
            .unwrap_or_else(|| "—".into()),
    ]
}

fn lines(r: &SlaReport) -> Vec<Line> {
    let mut out = Vec::new();
    for p in &r.processes {
        for l in &p.levels {
            out.push(Line {
                process: p.process_name.clone(),
                level: l.level_label.clone(),
                cells: cells(&l.counts),
                subtotal: false,
            });
        }
        out.push(Line {
            process: p.process_name.clone(),
            level: "小计".into(),
            cells: cells(&p.counts),
            subtotal: true,
        });
    }
    out.push(Line {
        process: "合计".into(),
        level: String::new(),
        cells: cells(&r.total),
        subtotal: true,
    });
    out
}

/// The page answered with the status of the error it shows, if any.
fn with_status_of(page: Page, error: Option<&AppError>) -> Page {
    match error {
        Some(e) => {
            let mut r = page?;
            *r.status_mut() = status_of(e.kind);
            Ok(r)
        }
        None => page,
    }
}

fn month_of(s: &AppState, m: &str) -> String {
    let m = m.trim();
    if m.is_empty() {
        reports::current_month(s.platform.clock.now())
    } else {
        m.to_string()
    }
}

async fn view(
    s: &AppState,
    u: &UiUser,
    month: String,
    reason: String,
    error: Option<&AppError>,
) -> Page {
    business(u)?;
    let mut shown_error = error.map(|e| e.message.clone());
    let report = match reports::monthly_sla(&s.platform, &u.principal, &month).await {
        Ok(r) => Some(r),
        Err(e) if correctable(&e) && e.kind != yunwei_domain::ErrorKind::Forbidden => {
            shown_error = shown_error.or(Some(e.message));
            None
        }
        Err(e) => return Err(e.into()),
    };
    let (lines, chart) = match &report {
        Some(r) => {
            let chart = Chart {
                id: "sla_month".into(),
                title: format!("{} 各流程按时办结率", r.month),
                kind: ChartKind::Bar,
                percent: true,
                points: r
                    .processes
                    .iter()
                    .map(|p| Point {
                        label: p.process_name.clone(),
                        value: p.counts.on_time_rate.unwrap_or(0.0),
                        text: p
                            .counts
                            .on_time_rate
                            .map(|x| format!("{:.1}%", x * 100.0))
                            .unwrap_or_else(|| "—".into()),
                        link: format!("/tickets?process={}", super::form::urlencoding(&p.process)),
                    })
                    .collect(),
            };
            (lines(r), super::charts::svg(&chart))
        }
        None => (vec![], String::new()),
    };
    let page = render(&ReportTpl {
        l: Layout::for_user(u, "/reports").with(None, shown_error),
        opened_link: report
            .as_ref()
            .map(|r| format!("/tickets?since={}-01", r.month))
            .unwrap_or_default(),
        month: report.map(|r| r.month).unwrap_or(month),
        lines,
        chart,
        reason,
    });
    with_status_of(page, error)
}

pub(super) async fn page(
    State(s): State<AppState>,
    u: UiUser,
    Query(q): Query<ReportQuery>,
) -> Page {
    let month = month_of(&s, &q.month);
    view(&s, &u, month, String::new(), None).await
}

#[derive(Deserialize)]
pub(super) struct ExportForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    month: String,
}

pub(super) async fn export(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<ExportForm>,
) -> Page {
    business(&u)?;
    let month = month_of(&s, &f.month);
    match reports::export_sla(&s.platform, &ctx, &u.principal, &month, &f.reason).await {
        Ok(bytes) => Ok(crate::api::xlsx(&format!("sla-{month}.xlsx"), bytes)),
        Err(e) if correctable(&e) => view(&s, &u, month, f.reason, Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------ fault statistics

#[derive(Template)]
#[template(path = "report_faults.html")]
struct FaultsTpl {
    l: Layout,
    year: String,
    processes: String,
    rows: Vec<Vec<String>>,
    headers: [&'static str; 5],
    reason: String,
}

#[derive(Deserialize, Default)]
pub(super) struct YearQuery {
    /// `YYYY`; the current year when empty.
    #[serde(default)]
    year: String,
}

async fn faults_view(
    s: &AppState,
    u: &UiUser,
    year: String,
    reason: String,
    error: Option<&AppError>,
) -> Page {
    business(u)?;
    let mut shown_error = error.map(|e| e.message.clone());
    let parsed = fault_statistics::parse_year(&year);
    let report = match parsed {
        Ok(y) => match fault_statistics::yearly(&s.platform, &u.principal, y).await {
            Ok(r) => Some(r),
            Err(e) if correctable(&e) && e.kind != yunwei_domain::ErrorKind::Forbidden => {
                shown_error = shown_error.or(Some(e.message));
                None
            }
            Err(e) => return Err(e.into()),
        },
        Err(e) => {
            shown_error = shown_error.or(Some(e.message));
            None
        }
    };
    let page = render(&FaultsTpl {
        l: Layout::for_user(u, "/reports").with(None, shown_error),
        year: report.as_ref().map(|r| r.year.to_string()).unwrap_or(year),
        processes: report
            .as_ref()
            .map(|r| r.processes.join("、"))
            .unwrap_or_default(),
        rows: report
            .as_ref()
            .map(fault_statistics::rows)
            .unwrap_or_default(),
        headers: fault_statistics::HEADERS,
        reason,
    });
    with_status_of(page, error)
}

fn year_or_current(s: &AppState, y: &str) -> String {
    match y.trim() {
        "" => crate::api::reports::year_of(s, None)
            .map(|y| y.to_string())
            .unwrap_or_default(),
        y => y.to_string(),
    }
}

pub(super) async fn faults_page(
    State(s): State<AppState>,
    u: UiUser,
    Query(q): Query<YearQuery>,
) -> Page {
    let year = year_or_current(&s, &q.year);
    faults_view(&s, &u, year, String::new(), None).await
}

#[derive(Deserialize)]
pub(super) struct FaultsExportForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    year: String,
}

pub(super) async fn faults_export(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<FaultsExportForm>,
) -> Page {
    business(&u)?;
    let year = year_or_current(&s, &f.year);
    let result = match fault_statistics::parse_year(&year) {
        Ok(y) => fault_statistics::export(&s.platform, &ctx, &u.principal, y, &f.reason).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(bytes) => Ok(crate::api::xlsx(&format!("faults-{year}.xlsx"), bytes)),
        Err(e) if correctable(&e) => faults_view(&s, &u, year, f.reason, Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------ publications

#[derive(Template)]
#[template(path = "publications.html")]
struct PublicationsTpl {
    l: Layout,
    items: Vec<(String, String, String, String)>,
}

/// `/publications`: what the centre published to the finance departments
/// about its changes (JSCZ-26), newest first.
pub(super) async fn publications(State(s): State<AppState>, u: UiUser) -> Page {
    business(&u)?;
    let list = yunwei_core::publications::list(&s.platform, &u.principal, 200).await?;
    let items = list
        .into_iter()
        .map(|p| {
            (
                yunwei_domain::time::fmt_us(p.published_at),
                p.ticket_number,
                p.title,
                p.body,
            )
        })
        .collect();
    render(&PublicationsTpl {
        l: Layout::for_user(&u, "/publications"),
        items,
    })
}
