//! `/api/v1/calendar`: the working-day calendar (DESIGN.md section 6).

use crate::extract::Query;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::Json;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use yunwei_core::calendar::{self, ImportOutcome, Importer, Snapshot};
use yunwei_domain::calendar::{end_of_day_shanghai, shanghai, YearFile, MAX_WORKDAYS};
use yunwei_domain::AppError;

use super::ApiResult;
use crate::extract::{ApiUser, ReqCtx};
use crate::openapi::{BadRequest, Conflict, Forbidden, Internal, NotFound, TooLarge, Unauthorized};
use crate::AppState;

/// Years the calendar pages and API answer for.
pub(crate) const YEARS: std::ops::RangeInclusive<i32> = 2000..=2200;

pub(crate) fn parse_year(s: &str) -> Result<i32, AppError> {
    s.trim()
        .parse::<i32>()
        .ok()
        .filter(|y| YEARS.contains(y))
        .ok_or_else(|| {
            AppError::bad_request(
                "calendar.year_invalid",
                format!("年份须为 {} 至 {} 的整数", YEARS.start(), YEARS.end()),
            )
        })
}

pub(crate) fn parse_date(s: &str) -> Result<NaiveDate, AppError> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|d| s.len() == 10 && YEARS.contains(&chrono::Datelike::year(d)))
        .ok_or_else(|| {
            AppError::bad_request(
                "calendar.date_invalid",
                "日期须为 YYYY-MM-DD 格式的有效日期",
            )
        })
}

pub(crate) fn parse_n(s: &str) -> Result<u32, AppError> {
    s.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| *n <= MAX_WORKDAYS)
        .ok_or_else(|| {
            AppError::bad_request(
                "calendar.n_invalid",
                format!("工作日数须为 0 至 {MAX_WORKDAYS} 的整数"),
            )
        })
}

/// One listed day of a year.
#[derive(Serialize, ToSchema)]
pub(super) struct CalendarDay {
    /// `YYYY-MM-DD`.
    date: String,
    /// The holiday it belongs to (春节, 国庆节, ...).
    name: String,
    /// `true`: rest day; `false`: make-up working day (调休上班).
    off_day: bool,
    /// `holiday` or `makeup_workday`.
    kind: &'static str,
}

/// A year of the calendar: its listed days and whether it is announced.
#[derive(Serialize, ToSchema)]
pub(super) struct CalendarYear {
    year: i32,
    /// The State Council has published the year's arrangement.
    announced: bool,
    /// Addresses of the State Council notice(s).
    papers: Vec<String>,
    /// Where the year's data came from; absent for years without data.
    source: Option<String>,
    /// When it was imported (RFC 3339).
    imported_at: Option<String>,
    days: Vec<CalendarDay>,
}

/// One year: its listed days and whether it is announced.
fn year_view(snap: &Snapshot, year: i32) -> CalendarYear {
    let days = snap
        .calendar
        .entries_in_year(year)
        .map(|d| CalendarDay {
            date: d.date.format("%Y-%m-%d").to_string(),
            name: d.name.clone(),
            off_day: d.off_day,
            kind: if d.off_day {
                "holiday"
            } else {
                "makeup_workday"
            },
        })
        .collect();
    let info = snap.year(year);
    CalendarYear {
        year,
        announced: snap.calendar.is_announced(year),
        papers: info.map(|i| i.papers.clone()).unwrap_or_default(),
        source: info.map(|i| i.source.clone()),
        imported_at: info
            .and_then(|i| i.imported_at)
            .and_then(chrono::DateTime::from_timestamp_micros)
            .map(|t| t.to_rfc3339()),
        days,
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/calendar/{year}",
    operation_id = "calendar_year",
    tag = "工作日历",
    summary = "某年的节假日与调休上班日，及该年安排是否已公布（announced）",
    params(("year" = String, Path, description = "年份（2000 至 2200）")),
    responses(
        (status = 200, description = "该年的日历", body = CalendarYear),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub(super) async fn year(
    State(s): State<AppState>,
    ApiUser(_pr): ApiUser,
    Path(year): Path<String>,
) -> ApiResult<Json<CalendarYear>> {
    let year = parse_year(&year)?;
    let snap = calendar::snapshot(&s.platform).await?;
    Ok(Json(year_view(&snap, year)))
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ImportQuery {
    /// Why the year is imported (recorded in the audit trail).
    #[serde(default)]
    reason: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/calendar/import",
    operation_id = "calendar_import",
    tag = "工作日历",
    summary = "导入一个年度的节假日文件（请求体即 holiday-cn 格式的年度 JSON；可选 reason 查询参数；须有维护工作日历权限）",
    params(ImportQuery),
    request_body(content = YearFile, description = "holiday-cn 格式的年度文件（UTF-8 JSON）", content_type = "application/json"),
    responses(
        (status = 200, description = "已导入", body = ImportOutcome),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub(super) async fn import(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> ApiResult<Json<ImportOutcome>> {
    let text = std::str::from_utf8(&body).map_err(|_| {
        AppError::bad_request("calendar.invalid_file", "文件须为 UTF-8 编码的 JSON")
    })?;
    let outcome = calendar::import_year(
        &s.platform,
        &ctx,
        Importer::User(&pr),
        text,
        q.reason.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(Json(outcome))
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct StepQuery {
    /// The start day, `YYYY-MM-DD` (required).
    #[serde(default)]
    #[param(required = true, format = Date)]
    date: Option<String>,
    /// Working days to add, 0 to `MAX_WORKDAYS` (required).
    #[serde(default)]
    #[param(required = true, value_type = u32, maximum = 10000)]
    n: Option<String>,
}

/// The `n`-th working day after a day.
#[derive(Serialize, ToSchema)]
pub(super) struct WorkdaySum {
    /// The start day, `YYYY-MM-DD`.
    from: String,
    n: u32,
    /// The working day reached, `YYYY-MM-DD`.
    date: String,
    /// The end of that day in Beijing time (RFC 3339).
    due_at: String,
    /// Years crossed whose arrangement is not announced yet.
    unannounced_years: Vec<i32>,
    /// A warning about those years, if any.
    warning: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/calendar/add-workdays",
    operation_id = "calendar_add_workdays",
    tag = "工作日历",
    summary = "date 之后第 n 个工作日及其截止时刻（当日 23:59:59 北京时间）；跨越未公布年度时给出 warning",
    params(StepQuery),
    responses(
        (status = 200, description = "结果", body = WorkdaySum),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub(super) async fn add_workdays(
    State(s): State<AppState>,
    ApiUser(_pr): ApiUser,
    Query(q): Query<StepQuery>,
) -> ApiResult<Json<WorkdaySum>> {
    let from = parse_date(q.date.as_deref().unwrap_or(""))?;
    let n = parse_n(q.n.as_deref().unwrap_or(""))?;
    let cal = calendar::load(&s.platform).await?;
    let r = cal.add_workdays(from, n);
    Ok(Json(WorkdaySum {
        from: from.format("%Y-%m-%d").to_string(),
        n,
        date: r.value.format("%Y-%m-%d").to_string(),
        due_at: end_of_day_shanghai(r.value)
            .with_timezone(&shanghai())
            .to_rfc3339(),
        warning: r.warning(),
        unannounced_years: r.unannounced_years,
    }))
}
