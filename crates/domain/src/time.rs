//! The one place that turns instants into Beijing time: every day, deadline
//! and displayed time of yunwei is in Asia/Shanghai (UTC+08:00 all year, no
//! daylight saving since 1991); instants are stored as UTC microseconds.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// Asia/Shanghai: UTC+08:00 all year.
pub fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// An instant stored as UTC microseconds, in Beijing time.
pub fn beijing(us: i64) -> Option<DateTime<FixedOffset>> {
    DateTime::<Utc>::from_timestamp_micros(us).map(|t| t.with_timezone(&shanghai()))
}

/// `YYYY-MM-DD HH:MM:SS` in Beijing time (exports, audit, messages); empty
/// for an instant out of range.
pub fn fmt_us(us: i64) -> String {
    beijing(us)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// `YYYY-MM-DD HH:MM` in Beijing time (pages); empty for an instant out of
/// range.
pub fn fmt_minute(us: i64) -> String {
    beijing(us)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// The calendar date of an instant in Asia/Shanghai.
pub fn date_in_shanghai(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&shanghai()).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beijing_time_is_utc_plus_eight_across_midnight() {
        // 2026-03-01T16:30:00Z is 00:30 on 2 March in Beijing.
        let us = 1_772_382_600_000_000;
        assert_eq!(fmt_us(us), "2026-03-02 00:30:00");
        assert_eq!(fmt_minute(us), "2026-03-02 00:30");
        let t = DateTime::<Utc>::from_timestamp_micros(us).unwrap();
        assert_eq!(date_in_shanghai(t).to_string(), "2026-03-02");
        assert_eq!(fmt_us(i64::MAX), "");
    }
}
