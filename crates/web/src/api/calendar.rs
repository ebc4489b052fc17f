//! `/api/v1/calendar`: the working-day calendar (DESIGN.md section 6).

use crate::extract::Query;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::Json;
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{json, Value};
use yunwei_core::calendar::{self, Importer, Snapshot};
use yunwei_domain::calendar::{end_of_day_shanghai, shanghai, MAX_WORKDAYS};
use yunwei_domain::AppError;

use super::ApiResult;
use crate::extract::{ApiUser, ReqCtx};
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

/// The JSON of one year: its listed days and whether it is announced.
pub(crate) fn year_json(snap: &Snapshot, year: i32) -> Value {
    let days: Vec<Value> = snap
        .calendar
        .entries_in_year(year)
        .map(|d| {
            json!({
                "date": d.date.format("%Y-%m-%d").to_string(),
                "name": d.name,
                "off_day": d.off_day,
                "kind": if d.off_day { "holiday" } else { "makeup_workday" },
            })
        })
        .collect();
    let info = snap.year(year);
    json!({
        "year": year,
        "announced": snap.calendar.is_announced(year),
        "papers": info.map(|i| i.papers.clone()).unwrap_or_default(),
        "source": info.map(|i| i.source.clone()),
        "imported_at": info.and_then(|i| i.imported_at).and_then(chrono::DateTime::from_timestamp_micros).map(|t| t.to_rfc3339()),
        "days": days,
    })
}

pub(super) async fn year(
    State(s): State<AppState>,
    ApiUser(_pr): ApiUser,
    Path(year): Path<String>,
) -> ApiResult {
    let year = parse_year(&year)?;
    let snap = calendar::snapshot(&s.platform).await?;
    Ok(Json(year_json(&snap, year)))
}

#[derive(Deserialize, Default)]
pub(super) struct ImportQuery {
    #[serde(default)]
    reason: Option<String>,
}

pub(super) async fn import(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> ApiResult {
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
    Ok(Json(json!(outcome)))
}

#[derive(Deserialize, Default)]
pub(super) struct StepQuery {
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    n: Option<String>,
}

pub(super) async fn add_workdays(
    State(s): State<AppState>,
    ApiUser(_pr): ApiUser,
    Query(q): Query<StepQuery>,
) -> ApiResult {
    let from = parse_date(q.date.as_deref().unwrap_or(""))?;
    let n = parse_n(q.n.as_deref().unwrap_or(""))?;
    let cal = calendar::load(&s.platform).await?;
    let r = cal.add_workdays(from, n);
    Ok(Json(json!({
        "from": from.format("%Y-%m-%d").to_string(),
        "n": n,
        "date": r.value.format("%Y-%m-%d").to_string(),
        "due_at": end_of_day_shanghai(r.value).with_timezone(&shanghai()).to_rfc3339(),
        "unannounced_years": r.unannounced_years,
        "warning": r.warning(),
    })))
}
