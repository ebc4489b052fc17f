//! Recurring controls: the periods of a plan that must be done "at least
//! once a day / week / month / year" (EEDS-1.4.1 monthly website patrol,
//! EEDS-2.2.2.6 annual inspection, EEDS-3.7.5 restore tests, ...).
//!
//! A period is a range of local (Asia/Shanghai) calendar days; the control
//! of a period is due at the end of its last day, so a monthly patrol not
//! done in March is overdue from 1 April 00:00 Beijing time. Weeks start on
//! Monday. Periods are calendar periods, not working days: the regulations
//! say "每月不少于一次", not "每 22 个工作日".

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{shanghai, HolidayCalendar};
use crate::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recurrence {
    Daily,
    Weekly,
    Monthly,
    Quarterly,
    HalfYearly,
    Yearly,
}

impl Recurrence {
    pub const ALL: [Recurrence; 6] = [
        Recurrence::Daily,
        Recurrence::Weekly,
        Recurrence::Monthly,
        Recurrence::Quarterly,
        Recurrence::HalfYearly,
        Recurrence::Yearly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Recurrence::Daily => "daily",
            Recurrence::Weekly => "weekly",
            Recurrence::Monthly => "monthly",
            Recurrence::Quarterly => "quarterly",
            Recurrence::HalfYearly => "half_yearly",
            Recurrence::Yearly => "yearly",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Recurrence::Daily => "每日",
            Recurrence::Weekly => "每周",
            Recurrence::Monthly => "每月",
            Recurrence::Quarterly => "每季度",
            Recurrence::HalfYearly => "每半年",
            Recurrence::Yearly => "每年",
        }
    }

    pub fn parse(s: &str) -> Result<Recurrence, AppError> {
        Recurrence::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim() || r.label() == s.trim())
            .ok_or_else(|| {
                AppError::bad_request(
                    "schedule.recurrence_invalid",
                    "周期无效，应为每日、每周、每月、每季度、每半年或每年",
                )
            })
    }

    fn months(self) -> Option<u32> {
        match self {
            Recurrence::Monthly => Some(1),
            Recurrence::Quarterly => Some(3),
            Recurrence::HalfYearly => Some(6),
            Recurrence::Yearly => Some(12),
            Recurrence::Daily | Recurrence::Weekly => None,
        }
    }

    /// The period that contains local day `d`.
    pub fn period_of(self, d: NaiveDate) -> Period {
        let start = match self {
            Recurrence::Daily => d,
            Recurrence::Weekly => d - Duration::days(d.weekday().num_days_from_monday() as i64),
            _ => {
                let m = self.months().unwrap_or(1);
                let month0 = (d.month0() / m) * m;
                NaiveDate::from_ymd_opt(d.year(), month0 + 1, 1).unwrap_or(d)
            }
        };
        Period {
            start,
            end: self.next_start(start) - Duration::days(1),
        }
    }

    fn next_start(self, start: NaiveDate) -> NaiveDate {
        match self {
            Recurrence::Daily => start + Duration::days(1),
            Recurrence::Weekly => start + Duration::days(7),
            _ => start + Months::new(self.months().unwrap_or(1)),
        }
    }
}

/// 00:00 Asia/Shanghai on `d`, as UTC.
pub fn start_of_day_shanghai(d: NaiveDate) -> DateTime<Utc> {
    d.and_time(chrono::NaiveTime::MIN)
        .and_local_timezone(shanghai())
        .single()
        .expect("fixed offset is unambiguous")
        .with_timezone(&Utc)
}

/// A closed range of local days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Period {
    /// The moment the period's control becomes overdue: the end of its last
    /// local day.
    pub fn due_at(&self) -> DateTime<Utc> {
        start_of_day_shanghai(self.end + Duration::days(1))
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        self.start <= d && d <= self.end
    }

    pub fn label(&self) -> String {
        if self.start == self.end {
            self.start.format("%Y-%m-%d").to_string()
        } else {
            format!(
                "{} 至 {}",
                self.start.format("%Y-%m-%d"),
                self.end.format("%Y-%m-%d")
            )
        }
    }
}

/// When the occurrence of a period is due (ADR 0005, issue 14, ADR 0018):
/// by default at the end of the period's last day; a duty may instead be
/// due before its period starts (a plan for the period, JSCZ-7), a number
/// of calendar or working days after its period, a fixed day of the
/// month after its period ("每月5日前", ZMDY-20: by the 5th of the next
/// month) or on a fixed month-day of its year ("每年9月底前", ZMDY-37).
///
/// "N日前" is read as *by the end of day N*: the report filed on the 5th
/// is on time, from 00:00 on the 6th (Beijing time) it is overdue. The
/// article fixes a last day to hand in, not a day that is itself
/// excluded, and the working practice of "X日前报送" counts day X in.
///
/// In a pack (`parameters.toml`, ADR 0018) a due rule is written as text:
/// `period_start`, `period_end`, `days_after:N`, `working_days_after:N`,
/// `next_month_day:N` or `month_day:M-D` (see [`DueOffset::parse`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DueOffset {
    /// Before the period starts: the end of the day before its first day
    /// (a work plan for the year is due when the year begins).
    PeriodStart,
    /// The end of the period's last day (every plan before issue 14).
    #[default]
    PeriodEnd,
    /// The end of the N-th calendar day after the period's last day.
    DaysAfter(u32),
    /// The end of the N-th working day after the period's last day (the
    /// holiday calendar decides what a working day is).
    WorkingDaysAfter(u32),
    /// The end of day N (1-28) of the month after the period's last day.
    NextMonthDay(u32),
    /// The end of (month, day) in the year the period starts in.
    MonthDay(u32, u32),
}

impl DueOffset {
    /// Whether the due day depends on the holiday calendar.
    pub fn needs_calendar(self) -> bool {
        matches!(self, DueOffset::WorkingDaysAfter(_))
    }

    /// The last local day to do the occurrence of `p`; working days are
    /// counted on `cal`.
    pub fn last_day_in(self, p: &Period, cal: &HolidayCalendar) -> NaiveDate {
        match self {
            DueOffset::PeriodStart => p.start - Duration::days(1),
            DueOffset::PeriodEnd => p.end,
            DueOffset::DaysAfter(n) => p.end + Duration::days(i64::from(n)),
            DueOffset::WorkingDaysAfter(n) => cal.add_workdays(p.end, n).value,
            DueOffset::NextMonthDay(n) => {
                let next = p.end + Months::new(1);
                NaiveDate::from_ymd_opt(next.year(), next.month(), n.clamp(1, 28)).unwrap_or(p.end)
            }
            DueOffset::MonthDay(m, d) => {
                NaiveDate::from_ymd_opt(p.start.year(), m, d).unwrap_or(p.end)
            }
        }
    }

    /// [`DueOffset::last_day_in`] for the rules that need no calendar; a
    /// working-day rule counts Monday to Friday only here (use
    /// [`DueOffset::last_day_in`] with the platform's calendar).
    pub fn last_day(self, p: &Period) -> NaiveDate {
        self.last_day_in(p, &HolidayCalendar::empty())
    }

    /// The moment the occurrence of `p` becomes overdue: the end of
    /// [`DueOffset::last_day_in`] (00:00 Beijing time of the next day).
    pub fn due_at_in(self, p: &Period, cal: &HolidayCalendar) -> DateTime<Utc> {
        start_of_day_shanghai(self.last_day_in(p, cal) + Duration::days(1))
    }

    /// [`DueOffset::due_at_in`] without a holiday calendar.
    pub fn due_at(self, p: &Period) -> DateTime<Utc> {
        self.due_at_in(p, &HolidayCalendar::empty())
    }

    /// In Chinese: 周期开始前 / 周期结束前 / 周期结束后5日内 / 次月5日前 / 当年9月30日前.
    pub fn label(self) -> String {
        match self {
            DueOffset::PeriodStart => "周期开始前".into(),
            DueOffset::PeriodEnd => "周期结束前".into(),
            DueOffset::DaysAfter(n) => format!("周期结束后{n}日内"),
            DueOffset::WorkingDaysAfter(n) => format!("周期结束后{n}个工作日内"),
            DueOffset::NextMonthDay(n) => format!("次月{n}日前"),
            DueOffset::MonthDay(m, d) => format!("当年{m}月{d}日前"),
        }
    }

    /// Parses a due rule as a pack writes it: `period_start`,
    /// `period_end`, `days_after:N`, `working_days_after:N`,
    /// `next_month_day:N` (1-28) or `month_day:M-D`.
    pub fn parse(s: &str) -> Result<DueOffset, AppError> {
        let bad = || {
            AppError::bad_request(
                "schedule.due_rule_invalid",
                format!(
                    "到期规则「{s}」无效，应为 period_start、period_end、days_after:N、\
                     working_days_after:N、next_month_day:N 或 month_day:M-D"
                ),
            )
        };
        let num = |v: &str| v.trim().parse::<u32>().map_err(|_| bad());
        let s = s.trim();
        Ok(match s.split_once(':') {
            None if s == "period_start" => DueOffset::PeriodStart,
            None if s == "period_end" => DueOffset::PeriodEnd,
            Some(("days_after", n)) => DueOffset::DaysAfter(num(n)?),
            Some(("working_days_after", n)) => DueOffset::WorkingDaysAfter(num(n)?),
            Some(("next_month_day", n)) => match num(n)? {
                n @ 1..=28 => DueOffset::NextMonthDay(n),
                _ => return Err(bad()),
            },
            Some(("month_day", md)) => {
                let (m, d) = md.split_once('-').ok_or_else(bad)?;
                let (m, d) = (num(m)?, num(d)?);
                // Valid in every year (29 February is not).
                if NaiveDate::from_ymd_opt(2026, m, d).is_none() {
                    return Err(bad());
                }
                DueOffset::MonthDay(m, d)
            }
            _ => return Err(bad()),
        })
    }
}

/// The periods of `r` from the one containing `first` up to the one
/// containing `today`, oldest first (bounded: at most `max` periods, the
/// newest ones, so a daily plan left alone for years cannot flood anyone).
pub fn periods_through(
    r: Recurrence,
    first: NaiveDate,
    today: NaiveDate,
    max: usize,
) -> Vec<Period> {
    let mut out = Vec::new();
    if today < first {
        return out;
    }
    let mut p = r.period_of(first);
    while p.start <= today {
        out.push(p);
        let start = r.next_start(p.start);
        p = r.period_of(start);
    }
    if out.len() > max {
        out.drain(..out.len() - max);
    }
    out
}

/// Where a due control stands at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DueStatus {
    Done,
    /// Due within the warning window (default 7 days).
    DueSoon,
    Pending,
    Overdue,
}

impl DueStatus {
    pub fn of(due_at: i64, done: bool, now: i64, warn_us: i64) -> DueStatus {
        if done {
            DueStatus::Done
        } else if due_at <= now {
            DueStatus::Overdue
        } else if due_at - now <= warn_us {
            DueStatus::DueSoon
        } else {
            DueStatus::Pending
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DueStatus::Done => "done",
            DueStatus::DueSoon => "due_soon",
            DueStatus::Pending => "pending",
            DueStatus::Overdue => "overdue",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DueStatus::Done => "已完成",
            DueStatus::DueSoon => "即将到期",
            DueStatus::Pending => "未到期",
            DueStatus::Overdue => "已逾期",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn monthly_period_ends_on_the_last_day_and_is_due_at_beijing_midnight() {
        let p = Recurrence::Monthly.period_of(d("2026-02-14"));
        assert_eq!((p.start, p.end), (d("2026-02-01"), d("2026-02-28")));
        // 2026-03-01 00:00 +08:00 is 2026-02-28 16:00 UTC.
        assert_eq!(p.due_at().to_rfc3339(), "2026-02-28T16:00:00+00:00");
    }

    #[test]
    fn weeks_start_on_monday_and_quarters_on_the_first_month() {
        let w = Recurrence::Weekly.period_of(d("2026-03-08")); // a Sunday
        assert_eq!((w.start, w.end), (d("2026-03-02"), d("2026-03-08")));
        let q = Recurrence::Quarterly.period_of(d("2026-05-20"));
        assert_eq!((q.start, q.end), (d("2026-04-01"), d("2026-06-30")));
        let h = Recurrence::HalfYearly.period_of(d("2026-12-31"));
        assert_eq!((h.start, h.end), (d("2026-07-01"), d("2026-12-31")));
        let y = Recurrence::Yearly.period_of(d("2028-02-29"));
        assert_eq!((y.start, y.end), (d("2028-01-01"), d("2028-12-31")));
    }

    #[test]
    fn periods_through_lists_every_period_and_keeps_the_newest() {
        let ps = periods_through(Recurrence::Monthly, d("2026-01-15"), d("2026-04-02"), 12);
        let starts: Vec<_> = ps.iter().map(|p| p.start.to_string()).collect();
        assert_eq!(
            starts,
            ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"]
        );
        let daily = periods_through(Recurrence::Daily, d("2020-01-01"), d("2026-01-01"), 5);
        assert_eq!(daily.len(), 5);
        assert_eq!(daily[4].start, d("2026-01-01"));
        assert!(
            periods_through(Recurrence::Yearly, d("2027-01-01"), d("2026-01-01"), 5).is_empty()
        );
    }

    #[test]
    fn due_status_orders_done_overdue_soon_pending() {
        let day = 86_400_000_000;
        assert_eq!(DueStatus::of(10, true, 20, day), DueStatus::Done);
        assert_eq!(DueStatus::of(10, false, 10, day), DueStatus::Overdue);
        assert_eq!(DueStatus::of(10 + day, false, 10, day), DueStatus::DueSoon);
        assert_eq!(
            DueStatus::of(10 + 8 * day, false, 10, 7 * day),
            DueStatus::Pending
        );
    }

    #[test]
    fn the_default_offset_keeps_the_period_end() {
        let p = Recurrence::Monthly.period_of(d("2026-02-14"));
        assert_eq!(DueOffset::default().due_at(&p), p.due_at());
    }

    #[test]
    fn zmdy_20_next_month_day_is_due_at_the_end_of_that_day() {
        // 每月5日前: March's report is due by the end of 5 April.
        let p = Recurrence::Monthly.period_of(d("2026-03-20"));
        let o = DueOffset::NextMonthDay(5);
        assert_eq!(o.last_day(&p), d("2026-04-05"));
        // 2026-04-06 00:00 +08:00.
        assert_eq!(o.due_at(&p).to_rfc3339(), "2026-04-05T16:00:00+00:00");
        // December's report is due in January of the next year.
        let dec = Recurrence::Monthly.period_of(d("2026-12-01"));
        assert_eq!(o.last_day(&dec), d("2027-01-05"));
        // A half year's report falls in the month after its last month.
        let h = Recurrence::HalfYearly.period_of(d("2026-02-01"));
        assert_eq!(o.last_day(&h), d("2026-07-05"));
    }

    #[test]
    fn zmdy_37_month_day_is_within_the_year() {
        // 每年9月底前.
        let y = Recurrence::Yearly.period_of(d("2026-11-11"));
        assert_eq!(DueOffset::MonthDay(9, 30).last_day(&y), d("2026-09-30"));
    }

    #[test]
    fn jscz_7_period_start_is_due_before_the_period() {
        // 定期形成工作计划: the plan for 2027 is due by the end of 2026-12-31.
        let y = Recurrence::Yearly.period_of(d("2027-06-01"));
        assert_eq!(DueOffset::PeriodStart.last_day(&y), d("2026-12-31"));
        assert_eq!(
            DueOffset::PeriodStart.due_at(&y).to_rfc3339(),
            "2026-12-31T16:00:00+00:00"
        );
        assert_eq!(
            DueOffset::parse("period_start").unwrap(),
            DueOffset::PeriodStart
        );
    }

    #[test]
    fn days_after_counts_calendar_days_after_the_period() {
        let m = Recurrence::Monthly.period_of(d("2026-02-10"));
        let o = DueOffset::parse("days_after:10").unwrap();
        assert_eq!(o, DueOffset::DaysAfter(10));
        assert_eq!(o.last_day(&m), d("2026-03-10"));
        assert_eq!(o.label(), "周期结束后10日内");
    }

    #[test]
    fn working_days_after_skips_weekends_and_holidays() {
        // September 2026 ends on a Wednesday; 1-7 October 2026 is the
        // National Day holiday in the built-in calendar.
        let m = Recurrence::Monthly.period_of(d("2026-09-15"));
        let o = DueOffset::parse("working_days_after:3").unwrap();
        assert!(o.needs_calendar());
        let cal = HolidayCalendar::builtin();
        assert!(!cal.is_workday(d("2026-10-01")));
        // 8 and 9 October, then the make-up working Saturday 10 October.
        assert_eq!(o.last_day_in(&m, &cal), d("2026-10-10"));
        // Without the calendar only the weekend counts: Thu, Fri, Mon.
        assert_eq!(o.last_day(&m), d("2026-10-05"));
        assert_eq!(o.label(), "周期结束后3个工作日内");
    }

    #[test]
    fn due_rules_parse_and_refuse() {
        assert_eq!(
            DueOffset::parse("period_end").unwrap(),
            DueOffset::PeriodEnd
        );
        assert_eq!(
            DueOffset::parse("next_month_day:5").unwrap(),
            DueOffset::NextMonthDay(5)
        );
        assert_eq!(
            DueOffset::parse("month_day:9-30").unwrap(),
            DueOffset::MonthDay(9, 30)
        );
        for bad in [
            "",
            "soon",
            "days_after:x",
            "next_month_day:31",
            "month_day:2-30",
        ] {
            assert_eq!(
                DueOffset::parse(bad).unwrap_err().code,
                "schedule.due_rule_invalid",
                "{bad}"
            );
        }
    }

    #[test]
    fn recurrence_parses_code_and_chinese_label() {
        assert_eq!(Recurrence::parse("monthly").unwrap(), Recurrence::Monthly);
        assert_eq!(Recurrence::parse("每年").unwrap(), Recurrence::Yearly);
        assert_eq!(
            Recurrence::parse("每两月").unwrap_err().code,
            "schedule.recurrence_invalid"
        );
    }
}
