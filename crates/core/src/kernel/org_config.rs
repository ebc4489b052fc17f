//! An organisation's own settings (business hours, notice), kept in the
//! settings table, and the working-time test the tickets engine applies
//! when a call is registered (NTCZ-6.1.2).

use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use yunwei_domain::calendar::HolidayCalendar;
use yunwei_domain::AppError;
use yunwei_store::{orgs, settings, DbConn};

/// Most organisation levels walked up looking for business hours.
const MAX_LEVELS: usize = 16;

/// Configuration kept per organisation (business hours, notice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrgConfig {
    /// Start of business hours, "HH:MM".
    pub business_hours_start: String,
    /// End of business hours, "HH:MM".
    pub business_hours_end: String,
    /// Notice shown on the home page of the organisation's users.
    pub notice: String,
}

impl Default for OrgConfig {
    fn default() -> Self {
        OrgConfig {
            business_hours_start: "08:30".into(),
            business_hours_end: "17:30".into(),
            notice: String::new(),
        }
    }
}

impl OrgConfig {
    pub fn validate(&self) -> Result<(), AppError> {
        let parse = |s: &str| chrono::NaiveTime::parse_from_str(s, "%H:%M").ok();
        match (
            parse(&self.business_hours_start),
            parse(&self.business_hours_end),
        ) {
            (Some(a), Some(b)) if a < b => {}
            _ => {
                return Err(AppError::bad_request(
                    "config.business_hours",
                    "工作时间须为 HH:MM 格式，且开始早于结束",
                ))
            }
        }
        if self.notice.chars().count() > 500 {
            return Err(AppError::bad_request(
                "config.notice_too_long",
                "通知公告不得超过500字",
            ));
        }
        Ok(())
    }
}

pub fn config_key(org_id: &str) -> String {
    format!("org_config:{org_id}")
}

/// The configuration that governs `org_id`: its own, else the nearest
/// ancestor's (a unit follows its bureau), else the default.
pub async fn governing(c: &mut DbConn, org_id: &str) -> Result<OrgConfig, AppError> {
    let mut next = Some(org_id.to_string());
    for _ in 0..MAX_LEVELS {
        let Some(id) = next else { break };
        if let Some(v) = settings::get(c, &config_key(&id)).await? {
            if let Ok(cfg) = serde_json::from_str::<OrgConfig>(&v) {
                return Ok(cfg);
            }
        }
        next = orgs::get(c, &id).await?.and_then(|o| o.parent_id);
    }
    Ok(OrgConfig::default())
}

/// Whether `at` falls outside working time: on a day the holiday calendar
/// says is not a working day, or outside `cfg`'s business hours (China
/// time) on a working day.
pub fn outside_working_hours(cal: &HolidayCalendar, cfg: &OrgConfig, at: DateTime<Utc>) -> bool {
    let local = at.with_timezone(&yunwei_domain::calendar::shanghai());
    if !cal.kind(local.date_naive()).is_workday() {
        return true;
    }
    let parse = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").ok();
    match (
        parse(&cfg.business_hours_start),
        parse(&cfg.business_hours_end),
    ) {
        (Some(start), Some(end)) => {
            let t = local.time();
            t < start || t >= end
        }
        _ => false,
    }
}
