//! `/calendar`: the working-day calendar of a year, month by month, a
//! working-day calculator, and the import form for those allowed
//! (DESIGN.md section 6).

use crate::extract::Query;
use askama::Template;
use axum::extract::State;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use yunwei_core::calendar::{self, Importer};
use yunwei_domain::calendar::{end_of_day_shanghai, DayKind};
use yunwei_domain::time::{fmt_minute, fmt_us};

use super::error::{correctable, Page};
use super::form::UiForm;
use super::page::{render, Layout};
use super::session::UiUser;
use crate::api::calendar::{parse_date, parse_n, parse_year, YEARS};
use crate::extract::ReqCtx;
use crate::AppState;

/// One day of a month grid; `day == 0` is an empty cell.
struct Cell {
    day: u32,
    date: String,
    class: &'static str,
    mark: &'static str,
    title: String,
}

struct Month {
    name: String,
    weeks: Vec<Vec<Cell>>,
}

/// A listed day, for the table under the grids.
struct Listed {
    date: String,
    weekday: &'static str,
    name: String,
    label: &'static str,
    class: &'static str,
}

/// The calculator's answer.
struct Calc {
    from: String,
    n: u32,
    date: String,
    due_at: String,
    warning: Option<String>,
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarTpl {
    l: Layout,
    year: i32,
    prev: i32,
    next: i32,
    announced: bool,
    papers: Vec<String>,
    source: String,
    imported_at: String,
    months: Vec<Month>,
    listed: Vec<Listed>,
    can_manage: bool,
    json: String,
    reason: String,
    calc_from: String,
    calc_n: String,
    calc: Option<Calc>,
}

const WEEKDAYS: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];

fn weekday_label(d: NaiveDate) -> &'static str {
    WEEKDAYS[d.weekday().num_days_from_monday() as usize]
}

fn class_of(kind: DayKind) -> (&'static str, &'static str) {
    match kind {
        DayKind::Workday => ("cal-work", ""),
        DayKind::Weekend => ("cal-weekend", ""),
        DayKind::Holiday => ("cal-holiday", "休"),
        DayKind::MakeupWorkday => ("cal-makeup", "班"),
    }
}

fn empty_cell() -> Cell {
    Cell {
        day: 0,
        date: String::new(),
        class: "cal-empty",
        mark: "",
        title: String::new(),
    }
}

/// Twelve Monday-first month grids.
fn months(cal: &yunwei_domain::calendar::HolidayCalendar, year: i32) -> Vec<Month> {
    (1..=12)
        .filter_map(|m| {
            let first = NaiveDate::from_ymd_opt(year, m, 1)?;
            let mut cells: Vec<Cell> = (0..first.weekday().num_days_from_monday())
                .map(|_| empty_cell())
                .collect();
            let mut d = first;
            while d.month() == m && d.year() == year {
                let kind = cal.kind(d);
                let (class, mark) = class_of(kind);
                let title = match cal.entry(d) {
                    Some(e) => format!("{} · {}", e.name, kind.label()),
                    None => String::new(),
                };
                cells.push(Cell {
                    day: d.day(),
                    date: d.format("%Y-%m-%d").to_string(),
                    class,
                    mark,
                    title,
                });
                match d.succ_opt() {
                    Some(n) => d = n,
                    None => break,
                }
            }
            let pad = (7 - cells.len() % 7) % 7;
            cells.extend((0..pad).map(|_| empty_cell()));
            let mut weeks = Vec::new();
            let mut it = cells.into_iter().peekable();
            while it.peek().is_some() {
                weeks.push(it.by_ref().take(7).collect());
            }
            Some(Month {
                name: format!("{m}月"),
                weeks,
            })
        })
        .collect()
}

struct Shown {
    json: String,
    reason: String,
    calc_from: String,
    calc_n: String,
}

async fn view(
    s: &AppState,
    u: &UiUser,
    year: i32,
    shown: Shown,
    notice: Option<String>,
    mut error: Option<String>,
) -> Page {
    let snap = calendar::snapshot(&s.platform).await?;
    let can_manage = calendar::can_manage(&s.platform, &u.principal).await?;
    let cal = &snap.calendar;
    let mut calc = None;
    if !shown.calc_from.trim().is_empty() || !shown.calc_n.trim().is_empty() {
        match (parse_date(&shown.calc_from), parse_n(&shown.calc_n)) {
            (Ok(from), Ok(n)) => {
                let r = cal.add_workdays(from, n);
                calc = Some(Calc {
                    from: from.format("%Y-%m-%d").to_string(),
                    n,
                    date: r.value.format("%Y-%m-%d").to_string(),
                    due_at: fmt_us(end_of_day_shanghai(r.value).timestamp_micros()),
                    warning: r.warning(),
                });
            }
            (Err(e), _) | (_, Err(e)) => error = error.or(Some(e.message)),
        }
    }
    let info = snap.year(year);
    let listed = cal
        .entries_in_year(year)
        .map(|e| {
            let kind = cal.kind(e.date);
            Listed {
                date: e.date.format("%Y-%m-%d").to_string(),
                weekday: weekday_label(e.date),
                name: e.name.clone(),
                label: kind.label(),
                class: class_of(kind).0,
            }
        })
        .collect();
    render(&CalendarTpl {
        l: Layout::for_user(u, "/calendar").with(notice, error),
        year,
        prev: (year - 1).max(*YEARS.start()),
        next: (year + 1).min(*YEARS.end()),
        announced: cal.is_announced(year),
        papers: info.map(|i| i.papers.clone()).unwrap_or_default(),
        source: info.map(|i| i.source.clone()).unwrap_or_default(),
        imported_at: info
            .and_then(|i| i.imported_at)
            .map(fmt_minute)
            .unwrap_or_default(),
        months: months(cal, year),
        listed,
        can_manage,
        json: shown.json,
        reason: shown.reason,
        calc_from: shown.calc_from,
        calc_n: shown.calc_n,
        calc,
    })
}

fn this_year(s: &AppState) -> i32 {
    yunwei_domain::calendar::date_in_shanghai(s.platform.clock.now()).year()
}

#[derive(Deserialize, Default)]
pub(super) struct CalendarQuery {
    #[serde(default)]
    year: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    n: Option<String>,
}

pub(super) async fn page(
    State(s): State<AppState>,
    u: UiUser,
    Query(q): Query<CalendarQuery>,
) -> Page {
    let year = match q.year.as_deref().filter(|y| !y.trim().is_empty()) {
        Some(y) => parse_year(y)?,
        None => this_year(&s),
    };
    let shown = Shown {
        json: String::new(),
        reason: String::new(),
        calc_from: q.from.unwrap_or_default(),
        calc_n: q.n.unwrap_or_default(),
    };
    view(&s, &u, year, shown, None, None).await
}

#[derive(Deserialize)]
pub(super) struct ImportForm {
    #[serde(default)]
    year: String,
    #[serde(default)]
    json: String,
    #[serde(default)]
    reason: String,
}

pub(super) async fn import_submit(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<ImportForm>,
) -> Page {
    let shown_year = parse_year(&f.year).unwrap_or_else(|_| this_year(&s));
    if f.json.trim().is_empty() {
        let shown = Shown {
            json: f.json,
            reason: f.reason,
            calc_from: String::new(),
            calc_n: String::new(),
        };
        let msg = "请粘贴年度节假日文件（JSON）".to_string();
        return view(&s, &u, shown_year, shown, None, Some(msg)).await;
    }
    match calendar::import_year(
        &s.platform,
        &ctx,
        Importer::User(&u.principal),
        &f.json,
        &f.reason,
    )
    .await
    {
        Ok(outcome) => {
            let shown = Shown {
                json: String::new(),
                reason: String::new(),
                calc_from: String::new(),
                calc_n: String::new(),
            };
            let year = outcome.year;
            view(
                &s,
                &u,
                year,
                shown,
                Some(format!("已导入 {}", outcome.summary)),
                None,
            )
            .await
        }
        Err(e) if correctable(&e) => {
            let shown = Shown {
                json: f.json,
                reason: f.reason,
                calc_from: String::new(),
                calc_n: String::new(),
            };
            view(&s, &u, shown_year, shown, None, Some(e.message)).await
        }
        Err(e) => Err(e.into()),
    }
}
