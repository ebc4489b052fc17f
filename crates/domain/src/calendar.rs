//! Working days (工作日) under the State Council's holiday notices, per
//! DESIGN.md section 6.
//!
//! The holiday data is the holiday-cn per-year format (`calendar/`,
//! see its README): `{year, papers: [..], days: [{name, date, isOffDay}]}`.
//! A listed date with `isOffDay: true` is a rest day, with `isOffDay: false`
//! a make-up working day (调休上班); an unlisted date follows the week
//! (Monday to Friday working). All files are merged by date: the file year
//! is the year in the notice's title, and a notice may list days of the
//! previous December.
//!
//! A year is *announced* when a file of that year names its notice
//! (`papers` not empty). Dates of a year that is not announced are
//! classified by the week alone, and every computation reports the years it
//! relied on without an announcement ([`Computed::unannounced_years`]), so
//! that callers can warn instead of silently trusting weekends.
//!
//! Days are classified in Asia/Shanghai (UTC+08:00, no daylight saving).
//! Pure code: no IO; the built-in files are compiled in.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::AppError;

/// The built-in holiday files (copied from holiday-cn, see
/// `calendar/README.md`), as (file year, JSON text).
pub const BUILTIN_FILES: [(i32, &str); 3] = [
    (2024, include_str!("../../../calendar/2024.json")),
    (2025, include_str!("../../../calendar/2025.json")),
    (2026, include_str!("../../../calendar/2026.json")),
];

/// Where the built-in files come from, recorded as their import source.
pub const BUILTIN_SOURCE: &str = "内置数据（holiday-cn d4e53bf）";

/// Largest `n` the API and command line accept (about 40 years).
pub const MAX_WORKDAYS: u32 = 10_000;

pub use crate::time::{date_in_shanghai, shanghai};

/// 23:59:59 Asia/Shanghai on `d`, as UTC.
pub fn end_of_day_shanghai(d: NaiveDate) -> DateTime<Utc> {
    let local = d.and_hms_opt(23, 59, 59).expect("valid time");
    shanghai()
        .from_local_datetime(&local)
        .single()
        .expect("fixed offset is unambiguous")
        .with_timezone(&Utc)
}

/// One listed day of a holiday file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HolidayDay {
    pub date: NaiveDate,
    /// The holiday it belongs to (春节, 国庆节, ...).
    pub name: String,
    /// true: rest day; false: make-up working day (调休上班).
    pub off_day: bool,
}

/// One validated per-year file.
#[derive(Debug, Clone, PartialEq, Eq, utoipa::ToSchema)]
pub struct YearFile {
    /// The year in the notice's title.
    pub year: i32,
    /// Address(es) of the State Council notice; empty = not yet published.
    pub papers: Vec<String>,
    /// Listed days, in date order, each date once.
    pub days: Vec<HolidayDay>,
}

fn invalid(message: String) -> AppError {
    AppError::bad_request("calendar.invalid_file", message)
}

fn weekday_label(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "星期一",
        Weekday::Tue => "星期二",
        Weekday::Wed => "星期三",
        Weekday::Thu => "星期四",
        Weekday::Fri => "星期五",
        Weekday::Sat => "星期六",
        Weekday::Sun => "星期日",
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Earliest and latest year accepted in a file.
const MIN_YEAR: i64 = 2000;
const MAX_YEAR: i64 = 2200;

impl YearFile {
    /// Parses and validates a holiday-cn year file: `year` present and
    /// plausible, every date `YYYY-MM-DD` and near that year, every
    /// make-up working day a Saturday or Sunday, and no date listed twice
    /// with different meanings (listed twice alike is accepted once).
    /// Errors are Chinese and name the offending entry.
    pub fn parse(text: &str) -> Result<YearFile, AppError> {
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            invalid(format!(
                "文件不是有效的 JSON（第 {} 行第 {} 列附近）",
                e.line(),
                e.column()
            ))
        })?;
        let obj = v
            .as_object()
            .ok_or_else(|| invalid("文件须为含 year、papers、days 的 JSON 对象".into()))?;
        let year = match obj.get("year") {
            None | Some(serde_json::Value::Null) => {
                return Err(invalid("缺少 year（年度）字段".into()))
            }
            Some(y) => y
                .as_i64()
                .filter(|y| (MIN_YEAR..=MAX_YEAR).contains(y))
                .ok_or_else(|| {
                    invalid(format!(
                        "year 须为 {MIN_YEAR} 至 {MAX_YEAR} 之间的整数，实为 {y}"
                    ))
                })? as i32,
        };
        let papers = match obj.get("papers") {
            None | Some(serde_json::Value::Null) => {
                return Err(invalid("缺少 papers（国务院通知网址列表）字段".into()))
            }
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .map(|p| {
                    p.as_str()
                        .map(|s| s.trim().to_string())
                        .filter(|s| {
                            (s.starts_with("https://") || s.starts_with("http://"))
                                && s.len() <= 500
                                && !s.chars().any(char::is_whitespace)
                        })
                        .ok_or_else(|| {
                            invalid(format!(
                                "papers 的每一项须为国务院通知的网址（http:// 或 https:// 开头），实为 {p}"
                            ))
                        })
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(_) => return Err(invalid("papers 须为网址列表".into())),
        };
        let raw_days = match obj.get("days") {
            None | Some(serde_json::Value::Null) => {
                return Err(invalid("缺少 days（日期列表）字段".into()))
            }
            Some(serde_json::Value::Array(items)) => items,
            Some(_) => return Err(invalid("days 须为日期列表".into())),
        };
        // The notice of a year may list days of the December before it;
        // anything further away is a mistake.
        let earliest = NaiveDate::from_ymd_opt(year - 1, 12, 1).expect("valid date");
        let latest = NaiveDate::from_ymd_opt(year + 1, 1, 31).expect("valid date");
        let mut days: BTreeMap<NaiveDate, HolidayDay> = BTreeMap::new();
        for (i, d) in raw_days.iter().enumerate() {
            let no = i + 1;
            let entry = d
                .as_object()
                .ok_or_else(|| invalid(format!("days 第 {no} 项须为对象")))?;
            let date_text = entry
                .get("date")
                .and_then(|x| x.as_str())
                .ok_or_else(|| invalid(format!("days 第 {no} 项缺少 date（日期）")))?;
            let date = NaiveDate::parse_from_str(date_text.trim(), "%Y-%m-%d")
                .ok()
                .filter(|_| date_text.trim().len() == 10)
                .ok_or_else(|| {
                    invalid(format!(
                        "日期“{date_text}”无法解析（days 第 {no} 项），须为 YYYY-MM-DD 格式的有效日期"
                    ))
                })?;
            let off_day = entry
                .get("isOffDay")
                .and_then(|x| x.as_bool())
                .ok_or_else(|| {
                    invalid(format!(
                        "{date} 缺少 isOffDay（true 为休息日，false 为调休上班）"
                    ))
                })?;
            let name = entry
                .get("name")
                .and_then(|x| x.as_str())
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .ok_or_else(|| invalid(format!("{date} 缺少 name（节日名称）")))?;
            if date < earliest || date > latest {
                return Err(invalid(format!(
                    "{date} 不属于 {year} 年度的节假日安排（应在 {earliest} 至 {latest} 之间）"
                )));
            }
            if !off_day && !is_weekend(date) {
                return Err(invalid(format!(
                    "{date} 标为调休上班，但该日是{}；调休上班日只能是星期六或星期日",
                    weekday_label(date.weekday())
                )));
            }
            let day = HolidayDay {
                date,
                name,
                off_day,
            };
            if let Some(prev) = days.get(&date) {
                if prev.off_day != day.off_day {
                    return Err(invalid(format!(
                        "{date} 重复出现且含义矛盾：一处为休息日，一处为调休上班"
                    )));
                }
                continue;
            }
            days.insert(date, day);
        }
        Ok(YearFile {
            year,
            papers,
            days: days.into_values().collect(),
        })
    }

    pub fn is_announced(&self) -> bool {
        !self.papers.is_empty()
    }

    /// Rest days listed.
    pub fn off_days(&self) -> usize {
        self.days.iter().filter(|d| d.off_day).count()
    }

    /// Make-up working days listed.
    pub fn makeup_workdays(&self) -> usize {
        self.days.iter().filter(|d| !d.off_day).count()
    }

    /// One line for the audit record and the command line, e.g.
    /// "2027年：节假日28天，调休上班5天".
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{}年：节假日{}天，调休上班{}天",
            self.year,
            self.off_days(),
            self.makeup_workdays()
        );
        if !self.is_announced() {
            s.push_str("（未附国务院通知，该年度仍按未公布处理）");
        }
        s
    }
}

/// How a date counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    /// Monday to Friday, not listed.
    Workday,
    /// Saturday or Sunday, not listed.
    Weekend,
    /// Listed rest day (法定节假日 or the rest days around it).
    Holiday,
    /// Listed make-up working day on a weekend (调休上班).
    MakeupWorkday,
}

impl DayKind {
    pub fn is_workday(self) -> bool {
        matches!(self, DayKind::Workday | DayKind::MakeupWorkday)
    }

    pub fn label(self) -> &'static str {
        match self {
            DayKind::Workday => "工作日",
            DayKind::Weekend => "周末",
            DayKind::Holiday => "休息日",
            DayKind::MakeupWorkday => "调休上班",
        }
    }
}

/// A value computed from the calendar, with the years it crossed that have
/// no announced holiday data (ascending, empty when fully backed by data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Computed<T> {
    pub value: T,
    pub unannounced_years: Vec<i32>,
}

impl<T> Computed<T> {
    /// True when every year relied on is announced.
    pub fn is_certain(&self) -> bool {
        self.unannounced_years.is_empty()
    }

    /// The Chinese warning to show with the value, if any.
    pub fn warning(&self) -> Option<String> {
        if self.unannounced_years.is_empty() {
            return None;
        }
        let years: Vec<String> = self
            .unannounced_years
            .iter()
            .map(|y| format!("{y}年"))
            .collect();
        Some(format!(
            "计算跨越{}，该年度节假日安排尚未公布或未导入，已按周末计算，结果可能不准确",
            years.join("、")
        ))
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Computed<U> {
        Computed {
            value: f(self.value),
            unannounced_years: self.unannounced_years,
        }
    }
}

/// Listed days of all files merged by date, and the announced years.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolidayCalendar {
    days: BTreeMap<NaiveDate, HolidayDay>,
    announced: BTreeSet<i32>,
}

/// A listed date that two files classify differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateConflict {
    pub date: NaiveDate,
    pub years: (i32, i32),
}

impl HolidayCalendar {
    /// An empty calendar: every year unannounced, weekends only.
    pub fn empty() -> Self {
        Self::default()
    }

    /// From already merged parts (as stored): the listed days and the
    /// years whose notice is known.
    pub fn from_parts(
        days: impl IntoIterator<Item = HolidayDay>,
        announced: impl IntoIterator<Item = i32>,
    ) -> Self {
        HolidayCalendar {
            days: days.into_iter().map(|d| (d.date, d)).collect(),
            announced: announced.into_iter().collect(),
        }
    }

    /// Merges files by date. A date listed by two files must mean the same
    /// in both; otherwise the conflict is returned.
    pub fn from_files(files: &[YearFile]) -> Result<Self, DateConflict> {
        let mut cal = HolidayCalendar::empty();
        let mut owner: BTreeMap<NaiveDate, i32> = BTreeMap::new();
        for f in files {
            if f.is_announced() {
                cal.announced.insert(f.year);
            }
            for d in &f.days {
                if let Some(prev) = cal.days.get(&d.date) {
                    if prev.off_day != d.off_day {
                        return Err(DateConflict {
                            date: d.date,
                            years: (owner[&d.date], f.year),
                        });
                    }
                    continue;
                }
                owner.insert(d.date, f.year);
                cal.days.insert(d.date, d.clone());
            }
        }
        Ok(cal)
    }

    /// The calendar of the built-in files (2024-2026).
    pub fn builtin() -> Self {
        let files: Vec<YearFile> = builtin_files();
        Self::from_files(&files).expect("built-in holiday files agree")
    }

    pub fn is_announced(&self, year: i32) -> bool {
        self.announced.contains(&year)
    }

    pub fn announced_years(&self) -> impl Iterator<Item = i32> + '_ {
        self.announced.iter().copied()
    }

    /// The listed entry for `d`, if any.
    pub fn entry(&self, d: NaiveDate) -> Option<&HolidayDay> {
        self.days.get(&d)
    }

    /// Listed entries with dates in calendar year `year`, in date order.
    pub fn entries_in_year(&self, year: i32) -> impl Iterator<Item = &HolidayDay> + '_ {
        let from = NaiveDate::from_ymd_opt(year, 1, 1);
        let to = NaiveDate::from_ymd_opt(year, 12, 31);
        let range = match (from, to) {
            (Some(a), Some(b)) => Some(a..=b),
            _ => None,
        };
        range
            .into_iter()
            .flat_map(move |r| self.days.range(r).map(|(_, d)| d))
    }

    pub fn kind(&self, d: NaiveDate) -> DayKind {
        match self.days.get(&d) {
            Some(e) if e.off_day => DayKind::Holiday,
            Some(_) => DayKind::MakeupWorkday,
            None if is_weekend(d) => DayKind::Weekend,
            None => DayKind::Workday,
        }
    }

    /// A working day: listed with `isOffDay: false`, or not listed and
    /// Monday to Friday (DESIGN.md section 6).
    pub fn is_workday(&self, d: NaiveDate) -> bool {
        self.kind(d).is_workday()
    }

    /// Years in `first..=last` (calendar years of the dates examined) that
    /// are not announced.
    fn unannounced_between(&self, first: NaiveDate, last: NaiveDate) -> Vec<i32> {
        let (a, b) = if first <= last {
            (first, last)
        } else {
            (last, first)
        };
        (a.year()..=b.year())
            .filter(|y| !self.announced.contains(y))
            .collect()
    }

    /// The `n`-th working day strictly after `d` (DESIGN.md section 6:
    /// `add_workdays(d, n)`, n >= 1). `n = 0` returns `d` and examines
    /// nothing. Examines the dates in `(d, result]`. Saturates at the end
    /// of chrono's date range.
    pub fn add_workdays(&self, d: NaiveDate, n: u32) -> Computed<NaiveDate> {
        self.step_workdays(d, n, true)
    }

    /// The `n`-th working day strictly before `d`; `n = 0` returns `d`.
    /// Examines the dates in `[result, d)`.
    pub fn sub_workdays(&self, d: NaiveDate, n: u32) -> Computed<NaiveDate> {
        self.step_workdays(d, n, false)
    }

    fn step_workdays(&self, d: NaiveDate, n: u32, forward: bool) -> Computed<NaiveDate> {
        if n == 0 {
            return Computed {
                value: d,
                unannounced_years: Vec::new(),
            };
        }
        let mut cur = d;
        let mut left = n;
        while left > 0 {
            let next = if forward {
                cur.succ_opt()
            } else {
                cur.pred_opt()
            };
            let Some(next) = next else { break };
            cur = next;
            if self.is_workday(cur) {
                left -= 1;
            }
        }
        let first_examined = if forward {
            d.succ_opt().unwrap_or(d)
        } else {
            d.pred_opt().unwrap_or(d)
        };
        Computed {
            value: cur,
            unannounced_years: if cur == d {
                Vec::new()
            } else {
                self.unannounced_between(first_examined, cur)
            },
        }
    }

    /// Working days in the half-open interval `(a, b]` when `a <= b`, and
    /// minus the working days in `(b, a]` when `b < a`. So
    /// `workdays_between(d, add_workdays(d, n)) == n`, and the count from
    /// a date to itself is 0. Examines the dates in that interval.
    pub fn workdays_between(&self, a: NaiveDate, b: NaiveDate) -> Computed<i64> {
        if a == b {
            return Computed {
                value: 0,
                unannounced_years: Vec::new(),
            };
        }
        let (lo, hi, sign) = if a < b { (a, b, 1) } else { (b, a, -1) };
        let mut count = 0i64;
        let mut cur = lo;
        while cur < hi {
            let Some(next) = cur.succ_opt() else { break };
            cur = next;
            if self.is_workday(cur) {
                count += 1;
            }
        }
        let first = lo.succ_opt().unwrap_or(lo);
        Computed {
            value: sign * count,
            unannounced_years: self.unannounced_between(first, hi),
        }
    }

    /// "Within `n` working days of the event" (DESIGN.md section 6): due at
    /// 23:59:59 Asia/Shanghai of `add_workdays(date(event), n)`, where
    /// `date(event)` is the event's date in Asia/Shanghai.
    pub fn due_end_of_workdays(&self, event: DateTime<Utc>, n: u32) -> Computed<DateTime<Utc>> {
        self.add_workdays(date_in_shanghai(event), n)
            .map(end_of_day_shanghai)
    }

    /// "At least `n` working days ahead of the planned start" (DESIGN.md
    /// section 6): on time when `date(submitted) <= sub_workdays(date(P), n)`,
    /// dates in Asia/Shanghai; `n = 0` means any time before `P`.
    pub fn lead_time_ok(
        &self,
        submitted: DateTime<Utc>,
        planned_start: DateTime<Utc>,
        n: u32,
    ) -> Computed<bool> {
        if n == 0 {
            return Computed {
                value: submitted < planned_start,
                unannounced_years: Vec::new(),
            };
        }
        let latest = self.sub_workdays(date_in_shanghai(planned_start), n);
        latest.map(|last_day| date_in_shanghai(submitted) <= last_day)
    }
}

/// The built-in files, parsed.
pub fn builtin_files() -> Vec<YearFile> {
    BUILTIN_FILES
        .iter()
        .map(|(year, text)| {
            let f = YearFile::parse(text).expect("built-in holiday file is valid");
            assert_eq!(f.year, *year, "built-in file year");
            f
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn cal() -> HolidayCalendar {
        HolidayCalendar::builtin()
    }

    fn add(from: &str, n: u32) -> NaiveDate {
        let r = cal().add_workdays(d(from), n);
        assert!(r.is_certain(), "{from} + {n}: {r:?}");
        r.value
    }

    #[test]
    fn builtin_files_have_the_documented_entry_counts() {
        let files = builtin_files();
        let counts: Vec<(i32, usize, usize)> = files
            .iter()
            .map(|f| (f.year, f.off_days(), f.makeup_workdays()))
            .collect();
        // calendar/README.md: 2024 = 28 + 8, 2025 = 28 + 5, 2026 = 33 + 6.
        assert_eq!(counts, vec![(2024, 28, 8), (2025, 28, 5), (2026, 33, 6)]);
        let c = cal();
        for y in 2024..=2026 {
            assert!(c.is_announced(y));
        }
        assert!(!c.is_announced(2023));
        assert!(!c.is_announced(2027));
    }

    #[test]
    fn design_6_fixtures() {
        assert_eq!(add("2026-09-30", 7), d("2026-10-15"));
        assert_eq!(add("2026-09-25", 7), d("2026-10-12"));
        assert_eq!(add("2026-02-13", 1), d("2026-02-14"));
        assert_eq!(add("2026-02-13", 2), d("2026-02-24"));
        assert_eq!(add("2025-01-24", 5), d("2025-02-07"));
        assert_eq!(add("2024-12-31", 3), d("2025-01-06"));
        let s = cal().sub_workdays(d("2026-10-08"), 2);
        assert_eq!(s.value, d("2026-09-29"));
        assert!(s.is_certain());
    }

    #[test]
    fn design_6_day_kinds() {
        let c = cal();
        // 2026-02-14 is a Saturday worked for the Spring Festival.
        assert_eq!(c.kind(d("2026-02-14")), DayKind::MakeupWorkday);
        assert_eq!(c.entry(d("2026-02-14")).unwrap().name, "春节");
        assert_eq!(c.kind(d("2026-02-16")), DayKind::Holiday);
        assert_eq!(c.kind(d("2026-03-07")), DayKind::Weekend);
        assert_eq!(c.kind(d("2026-03-09")), DayKind::Workday);
        assert!(c.is_workday(d("2026-10-10")));
        assert!(!c.is_workday(d("2026-10-01")));
    }

    #[test]
    fn design_6_add_zero_and_sub_zero_return_the_date() {
        let c = cal();
        assert_eq!(c.sub_workdays(d("2026-10-08"), 0).value, d("2026-10-08"));
        assert_eq!(c.add_workdays(d("2026-10-01"), 0).value, d("2026-10-01"));
    }

    #[test]
    fn design_6_within_n_workdays_is_due_at_end_of_day_shanghai() {
        let c = cal();
        // Thursday 2026-03-05 17:00 UTC is already Friday 01:00 in
        // Shanghai, so one working day later is Monday 2026-03-09.
        let late_thu = Utc.with_ymd_and_hms(2026, 3, 5, 17, 0, 0).unwrap();
        assert_eq!(date_in_shanghai(late_thu), d("2026-03-06"));
        let due = c.due_end_of_workdays(late_thu, 1);
        assert_eq!(due.value.to_rfc3339(), "2026-03-09T15:59:59+00:00");
        assert!(due.is_certain());
        // Thursday 10:00 in Shanghai: due at the end of Friday.
        let thu = Utc.with_ymd_and_hms(2026, 3, 5, 2, 0, 0).unwrap();
        assert_eq!(
            c.due_end_of_workdays(thu, 1).value.to_rfc3339(),
            "2026-03-06T15:59:59+00:00"
        );
        // Over the National Day holiday (2026-09-30 + 7 = 2026-10-15).
        let e = Utc.with_ymd_and_hms(2026, 9, 30, 1, 0, 0).unwrap();
        assert_eq!(
            c.due_end_of_workdays(e, 7).value,
            end_of_day_shanghai(d("2026-10-15"))
        );
    }

    #[test]
    fn design_6_lead_time() {
        let c = cal();
        let at = |s: &str, h: u32| {
            shanghai()
                .from_local_datetime(&d(s).and_hms_opt(h, 0, 0).unwrap())
                .unwrap()
                .with_timezone(&Utc)
        };
        // Planned start 2026-10-08 09:00, two working days ahead: latest
        // submission day is 2026-09-29.
        let p = at("2026-10-08", 9);
        assert!(c.lead_time_ok(at("2026-09-29", 23), p, 2).value);
        assert!(!c.lead_time_ok(at("2026-09-30", 8), p, 2).value);
        // n = 0: any time before P.
        assert!(c.lead_time_ok(at("2026-10-08", 8), p, 0).value);
        assert!(!c.lead_time_ok(at("2026-10-08", 9), p, 0).value);
    }

    #[test]
    fn unannounced_years_are_reported() {
        let c = cal();
        let r = c.add_workdays(d("2026-12-30"), 3);
        assert_eq!(r.unannounced_years, vec![2027]);
        assert!(r.warning().unwrap().contains("2027年"));
        let r = c.add_workdays(d("2026-12-01"), 3);
        assert!(r.is_certain());
        let r = c.sub_workdays(d("2024-01-03"), 5);
        assert_eq!(r.unannounced_years, vec![2023]);
        let r = c.workdays_between(d("2023-06-01"), d("2028-01-01"));
        assert_eq!(r.unannounced_years, vec![2023, 2027, 2028]);
    }

    #[test]
    fn workdays_between_is_defined_on_the_half_open_interval() {
        let c = cal();
        assert_eq!(
            c.workdays_between(d("2026-09-30"), d("2026-10-15")).value,
            7
        );
        assert_eq!(
            c.workdays_between(d("2026-10-15"), d("2026-09-30")).value,
            -7
        );
        assert_eq!(
            c.workdays_between(d("2026-10-01"), d("2026-10-01")).value,
            0
        );
        // (Fri, Sat] with Sat 2026-02-14 worked.
        assert_eq!(
            c.workdays_between(d("2026-02-13"), d("2026-02-14")).value,
            1
        );
    }

    fn file(text: &str) -> Result<YearFile, AppError> {
        YearFile::parse(text)
    }

    #[test]
    fn import_validation_names_the_offending_date() {
        let e = file(r#"{"papers":[],"days":[]}"#).unwrap_err();
        assert!(e.message.contains("year"), "{e}");
        let e = file(
            r#"{"year":2027,"papers":["https://example.invalid/n"],"days":[{"name":"春节","date":"2027-02-30","isOffDay":true}]}"#,
        )
        .unwrap_err();
        assert!(e.message.contains("2027-02-30"), "{e}");
        assert!(e.message.contains("无法解析"), "{e}");
        // 2027-03-03 is a Wednesday.
        let e = file(
            r#"{"year":2027,"papers":["https://example.invalid/n"],"days":[{"name":"春节","date":"2027-03-03","isOffDay":false}]}"#,
        )
        .unwrap_err();
        assert!(e.message.contains("2027-03-03"), "{e}");
        assert!(e.message.contains("星期三"), "{e}");
        let e = file(
            r#"{"year":2027,"papers":["https://example.invalid/n"],"days":[
                {"name":"春节","date":"2027-02-06","isOffDay":true},
                {"name":"春节","date":"2027-02-06","isOffDay":false}]}"#,
        )
        .unwrap_err();
        assert!(e.message.contains("2027-02-06"), "{e}");
        assert!(e.message.contains("矛盾"), "{e}");
        let e = file(r#"{"year":2027,"papers":["javascript:alert(1)"],"days":[]}"#).unwrap_err();
        assert!(e.message.contains("papers"), "{e}");
        let e = file("{not json").unwrap_err();
        assert!(e.message.contains("JSON"), "{e}");
        let e = file(
            r#"{"year":2027,"papers":["https://example.invalid/n"],"days":[{"name":"国庆节","date":"2029-10-01","isOffDay":true}]}"#,
        )
        .unwrap_err();
        assert!(e.message.contains("2029-10-01"), "{e}");
        assert_eq!(e.code, "calendar.invalid_file");
    }

    #[test]
    fn import_accepts_repeats_with_the_same_meaning_and_previous_december() {
        let f = file(
            r#"{"year":2019,"papers":["https://example.invalid/n"],"days":[
                {"name":"元旦","date":"2018-12-29","isOffDay":false},
                {"name":"元旦","date":"2018-12-30","isOffDay":true},
                {"name":"元旦","date":"2018-12-30","isOffDay":true}]}"#,
        )
        .unwrap();
        assert_eq!(f.days.len(), 2);
        assert_eq!(f.summary(), "2019年：节假日1天，调休上班1天");
        let empty = file(r#"{"year":2027,"papers":[],"days":[]}"#).unwrap();
        assert!(!empty.is_announced());
    }

    #[test]
    fn merged_files_must_agree() {
        let a = file(r#"{"year":2030,"papers":["https://example.invalid/n"],"days":[{"name":"元旦","date":"2030-01-01","isOffDay":true}]}"#).unwrap();
        let b = file(r#"{"year":2031,"papers":["https://example.invalid/n"],"days":[{"name":"元旦","date":"2030-12-29","isOffDay":false}]}"#).unwrap();
        let c = HolidayCalendar::from_files(&[a, b]).unwrap();
        assert!(c.is_workday(d("2030-12-29")));
        assert!(!c.is_workday(d("2030-01-01")));
        // Saturday 2030-12-28: a rest day in one file, worked in another.
        let x = file(r#"{"year":2031,"papers":["https://example.invalid/n"],"days":[{"name":"元旦","date":"2030-12-28","isOffDay":false}]}"#).unwrap();
        let y = file(r#"{"year":2030,"papers":["https://example.invalid/n"],"days":[{"name":"x","date":"2030-12-28","isOffDay":true}]}"#).unwrap();
        let err = HolidayCalendar::from_files(&[x, y]).unwrap_err();
        assert_eq!(err.date, d("2030-12-28"));
        assert_eq!(err.years, (2031, 2030));
    }

    /// Dates around the built-in data, reaching into the unannounced 2023
    /// and 2027.
    fn any_date() -> impl Strategy<Value = NaiveDate> {
        (0i64..(5 * 366)).prop_map(|o| d("2023-06-01") + chrono::Duration::days(o))
    }

    /// The years in [a, b] (either order) not announced by the built-in data.
    fn expected_unannounced(a: NaiveDate, b: NaiveDate) -> Vec<i32> {
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        (a.year()..=b.year())
            .filter(|y| !(2024..=2026).contains(y))
            .collect()
    }

    proptest! {
        #[test]
        fn add_workdays_lands_on_a_working_day(date in any_date(), n in 1u32..400) {
            let c = cal();
            let r = c.add_workdays(date, n);
            prop_assert!(c.is_workday(r.value));
            prop_assert!(r.value > date);
        }

        #[test]
        fn workdays_between_inverts_add_and_sub(date in any_date(), n in 1u32..400) {
            let c = cal();
            let up = c.add_workdays(date, n).value;
            prop_assert_eq!(c.workdays_between(date, up).value, n as i64);
            prop_assert_eq!(c.workdays_between(up, date).value, -(n as i64));
            let down = c.sub_workdays(date, n).value;
            prop_assert!(c.is_workday(down));
            prop_assert!(down < date);
            // (down, date] holds n - 1 working days before date, plus date itself.
            let expected = n as i64 - 1 + i64::from(c.is_workday(date));
            prop_assert_eq!(c.workdays_between(down, date).value, expected);
        }

        #[test]
        fn add_then_sub_round_trips_onto_a_working_day(date in any_date(), n in 1u32..400) {
            let c = cal();
            let back = c.sub_workdays(c.add_workdays(date, n).value, n).value;
            if c.is_workday(date) {
                prop_assert_eq!(back, date);
            } else {
                prop_assert_eq!(back, c.sub_workdays(date, 1).value);
            }
            let fwd = c.add_workdays(c.sub_workdays(date, n).value, n).value;
            if c.is_workday(date) {
                prop_assert_eq!(fwd, date);
            } else {
                prop_assert_eq!(fwd, c.add_workdays(date, 1).value);
            }
        }

        #[test]
        fn add_workdays_is_monotonic(a in any_date(), b in any_date(), n in 1u32..300, m in 1u32..300) {
            let c = cal();
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(c.add_workdays(lo, n).value <= c.add_workdays(hi, n).value);
            let (small, big) = if n <= m { (n, m) } else { (m, n) };
            prop_assert!(c.add_workdays(a, small).value <= c.add_workdays(a, big).value);
            if small < big {
                prop_assert!(c.add_workdays(a, small).value < c.add_workdays(a, big).value);
            }
            prop_assert!(c.sub_workdays(lo, n).value <= c.sub_workdays(hi, n).value);
        }

        #[test]
        fn flagged_iff_an_unannounced_year_is_crossed(date in any_date(), n in 1u32..400) {
            let c = cal();
            let up = c.add_workdays(date, n);
            let first_after = date.succ_opt().unwrap();
            prop_assert_eq!(&up.unannounced_years, &expected_unannounced(first_after, up.value));
            let down = c.sub_workdays(date, n);
            let first_before = date.pred_opt().unwrap();
            prop_assert_eq!(&down.unannounced_years, &expected_unannounced(down.value, first_before));
            // Within the announced years nothing is flagged.
            let inside = up.value.year() <= 2026 && first_after.year() >= 2024;
            prop_assert_eq!(up.is_certain(), inside);
        }

        #[test]
        fn lead_time_matches_its_definition(date in any_date(), h in 0u32..24, n in 0u32..30) {
            let c = cal();
            let start = end_of_day_shanghai(date) - chrono::Duration::hours(i64::from(h));
            let latest = c.sub_workdays(date, n).value;
            for back in [0i64, 1, 2, 5, 20, 45] {
                let submitted = start - chrono::Duration::days(back) - chrono::Duration::minutes(1);
                let ok = c.lead_time_ok(submitted, start, n).value;
                if n == 0 {
                    prop_assert!(ok);
                } else {
                    prop_assert_eq!(ok, date_in_shanghai(submitted) <= latest);
                }
            }
        }
    }
}
