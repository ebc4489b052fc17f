//! What is particular to each declarative register (ADR 0006), one file
//! per register (or per family of registers that is one subject), each
//! holding the [`RegisterRules`] of its registers behind the one seam the
//! registers engine reaches them through: checks across fields, derived
//! fields, who files, steps, the dates each one feeds into the due-date
//! engine, the flags shown beside its entries, the periods it rolls
//! forward, and the drafts and look-ups other features ask of it.
//!
//! | file                  | registers                                                | due-date engine (`controls`), drafts and look-ups    |
//! |-----------------------|----------------------------------------------------------|------------------------------------------------------|
//! | `access_grants`       | access_grants                                            | the removal after a revocation (JSCZ-49)             |
//! | `asset_requisitions`  | asset_requisitions                                       | the return date (JSCZ-9)                             |
//! | `backups`             | backup_plans, backup_logs, backup_reviews, restore_tests | log review every period (EEDS-3.7.4); restore test a year after the last (EEDS-3.7.5) |
//! | `db_access`           | db_access                                                | access only with an NDA in force (JSCZ-36)           |
//! | `emergency`           | emergency_plans, drills                                  | drills once, twice or four times a year (JSCZ-7, ZMDY-20) |
//! | `golive`              | golive_plans, prelaunch_checks                           | the `golive_plan` and `prelaunch_checks` gates (NTCZ-3.4.1, JSCZ-42); the entries of a ticket |
//! | `ndas`                | ndas                                                     | the NDA's expiry on the person (JSCZ-37); `nda_of`   |
//! | `network_checks`      | network_checks                                           | every measure of EEDS-3.8.4 confirmed                |
//! | `security_reviews`    | security_reviews                                         | answers the reviews due (`reviews`); the review checklist draft |
//! | `system_log_reviews`  | system_log_reviews                                       | the maintenance staff's log review of the three log classes, answers the reviews due; reviewed by the deputy director, then the higher department (EEDS-3.7.1) |
//! | `staff_changes`       | staff_changes                                            | an approved change takes effect (NTCZ-6.1.7)         |
//! | `ukeys`               | ukeys                                                    | issued by the level's finance department; a loss told to the project leads at once, reissued within the pack's days (JSCZ-53); `holds_ukey` |
//! | `om_tools`            | om_tools                                                 | flagged until the purchaser approves (NTCZ-6.3.2)    |
//! | `upgrade_plans`       | upgrade_plans                                            | done only once approved, the day recorded; late flagged (EEDS-2.2.2.10) |
//! | `peak_periods`        | peak_periods                                             | more on site than usual; a running period short of its on-site staff flagged (NTCZ-3.4.2) |
//! | `undertakings`        | security_undertakings, accountability_records            | every commitment ticked (JSCZ-38/44/46/52/57); the third party told when notified, closed with its result (JSCZ-51, JSCZ-57) |
//! | `vendor_contracts`    | vendor_contracts, vendor_reports, implementation_plans   | weekly / monthly reports, yearly plan and summary (JSCZ-7); an important project started only with an approved implementation plan (JSCZ-7); the report draft; `contract_regions` |
//! | `contract_milestones` | contract_renewals, contract_acceptances, contract_payments | a renewal after a passed assessment, a year at most, twice at most, counted under a lock on the contract (NTCZ-5.1); the expert panel's acceptance (NTCZ-7); the two payments due 7 working days after signing and after the passed acceptance (NTCZ-8) |
//! | `vendor_staff`        | vendor_staff                                             | the NDA flag (JSCZ-37); `staff_departed` (JSCZ-51); the development team of a contract in force (NTCZ-6.1.4) |
//! | `vulnerabilities`     | vulnerabilities                                          | the fix by severity (JSCZ-42); an import answers the scans due (JSCZ-10) |
//! | `vuln_scans`          | vuln_scans                                               | answers the scans due (`reviews`, JSCZ-10)           |
//!
//! A register without a file (trainings, data_returns) has nothing particular: the seam
//! answers [`RegisterRules::NONE`] for it. This file keeps the helpers the
//! files share, the list of every file's rules ([`ALL`]) and the job that
//! rolls the periodic occurrences forward ([`roll_forward`]). A file
//! imports no sibling that imports it back.

pub mod access_grants;
pub mod asset_requisitions;
pub mod backups;
pub mod contract_milestones;
pub mod db_access;
pub mod emergency;
pub mod golive;
pub mod ndas;
pub mod network_checks;
pub mod om_tools;
pub mod peak_periods;
pub mod security_reviews;
pub mod staff_changes;
pub mod system_log_reviews;
pub mod ukeys;
pub mod undertakings;
pub mod upgrade_plans;
pub mod vendor_contracts;
pub mod vendor_staff;
pub mod vuln_scans;
pub mod vulnerabilities;

// What other features and the web layer ask of the registers.
pub use crate::kernel::contracts::contract_regions;
pub use golive::{entries_for_ticket, require_golive_plan, require_prelaunch_checks};
pub use ndas::nda_of;
pub use security_reviews::{draft_review, STALE_DAYS};
pub use ukeys::holds_ukey;
pub use vendor_contracts::draft_report;
pub use vendor_staff::staff_departed;

use chrono::NaiveDate;
use yunwei_domain::ids::new_id;
use yunwei_domain::register::{spec, Spec, Val};
use yunwei_domain::schedule::Recurrence;
use yunwei_domain::AppError;
use yunwei_store::registers::{self as store, EntryRow};
use yunwei_store::{in_tx, DbConn};

use crate::kernel::audit::{record, Actor, Event};
use crate::kernel::due::{self, Subject};
use crate::kernel::seams::RegisterRules;
use crate::{Ctx, Platform};

/// Every register with rules of its own.
pub static ALL: &[&RegisterRules] = &[
    &access_grants::RULES,
    &asset_requisitions::RULES,
    &backups::BACKUP_PLANS,
    &backups::BACKUP_LOGS,
    &backups::BACKUP_REVIEWS,
    &backups::RESTORE_TESTS,
    &db_access::RULES,
    &emergency::EMERGENCY_PLANS,
    &emergency::DRILLS,
    &golive::GOLIVE_PLANS,
    &golive::PRELAUNCH_CHECKS,
    &ndas::RULES,
    &network_checks::RULES,
    &security_reviews::RULES,
    &system_log_reviews::RULES,
    &staff_changes::RULES,
    &ukeys::RULES,
    &undertakings::UNDERTAKINGS,
    &undertakings::ACCOUNTABILITY,
    &upgrade_plans::RULES,
    &om_tools::RULES,
    &peak_periods::RULES,
    &vendor_contracts::VENDOR_CONTRACTS,
    &vendor_contracts::VENDOR_REPORTS,
    &vendor_contracts::IMPLEMENTATION_PLANS,
    &contract_milestones::RENEWALS,
    &contract_milestones::ACCEPTANCES,
    &contract_milestones::PAYMENTS,
    &vendor_staff::RULES,
    &vuln_scans::RULES,
    &vulnerabilities::RULES,
];

// ---- helpers the files share ----

fn date(e: &EntryRow, f: &str) -> Option<NaiveDate> {
    e.get(f).date()
}

fn text<'a>(e: &'a EntryRow, f: &str) -> &'a str {
    e.get(f).text().unwrap_or("")
}

fn invalid(code: &'static str, msg: impl Into<String>) -> AppError {
    AppError::bad_request(code, msg)
}

fn spec_named(key: &str) -> Result<&'static Spec, AppError> {
    spec(key).ok_or_else(AppError::internal)
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Refuses `e` when its date `b` comes before its date `a`.
fn order(e: &EntryRow, a: &str, b: &str, msg: &str) -> Result<(), AppError> {
    match (date(e, a), date(e, b)) {
        (Some(x), Some(y)) if y < x => Err(invalid("register.dates_reversed", msg)),
        _ => Ok(()),
    }
}

/// What a change of `e` answers an occurrence with (`done_ref`).
fn done_ref(spec: &Spec, e: &EntryRow) -> String {
    format!("{}:{}", spec.key, e.id)
}

/// Writes derived fields of another entry (a plan's last backup), with a
/// new version so a form read before cannot overwrite them.
async fn set_values(
    c: &mut DbConn,
    spec: &Spec,
    id: &str,
    values: &[(&'static str, Val)],
    now: i64,
) -> Result<(), AppError> {
    let Some(old) = store::get(c, spec, id).await? else {
        return Ok(());
    };
    let mut e = EntryRow {
        version: old.version + 1,
        updated_at: now.max(old.updated_at + 1),
        ..old.clone()
    };
    for (k, v) in values {
        e.values.insert(k, v.clone());
    }
    if !store::update(c, spec, &e, old.version).await? {
        return Err(AppError::conflict(
            "register.changed",
            format!("该{}已被他人修改，请重试", spec.label),
        ));
    }
    crate::registers::index_entry(c, spec, &e).await
}

fn subject<'a>(
    spec: &'a Spec,
    e: &'a EntryRow,
    kind: &'a str,
    title: &'a str,
    source: &'a str,
) -> Subject<'a> {
    Subject {
        kind,
        subject_type: spec.key,
        subject_id: &e.id,
        org_id: &e.org_id,
        org_path: &e.org_path,
        title,
        source,
    }
}

fn created_day(e: &EntryRow) -> NaiveDate {
    chrono::DateTime::from_timestamp_micros(e.created_at)
        .map(yunwei_domain::calendar::date_in_shanghai)
        .unwrap_or_default()
}

async fn ci_label(c: &mut DbConn, id: &str) -> Result<String, AppError> {
    Ok(yunwei_store::cmdb::get_ci(c, id)
        .await?
        .map(|ci| format!("{} {}", ci.code, ci.name))
        .unwrap_or_default())
}

/// A period typed into a register's `period_start` / `period_end` fields,
/// checked like the form checks them and in order.
fn period_of(
    spec: &Spec,
    start: &str,
    end: &str,
    reversed: &str,
) -> Result<(NaiveDate, NaiveDate), AppError> {
    let day = |name: &str, raw: &str| -> Result<NaiveDate, AppError> {
        let f = spec.field(name).ok_or_else(AppError::internal)?;
        yunwei_domain::register::parse_value(f, raw)?
            .date()
            .ok_or_else(AppError::internal)
    };
    let (s, e) = (day("period_start", start)?, day("period_end", end)?);
    if e < s {
        return Err(invalid("register.dates_reversed", reversed.to_string()));
    }
    Ok((s, e))
}

// ---- the job ----

/// Rolls the periodic occurrences of the registers forward to today
/// (log reviews, drills, vendor reports: every register whose rules have
/// a [`Rolling`](crate::kernel::seams::Rolling)), audited per entry that
/// got new ones. Returns how many were created.
pub async fn roll_forward(p: &Platform) -> Result<usize, AppError> {
    let today = due::today(p);
    let mut created = 0;
    for &rules in ALL {
        let Some(rolling) = &rules.rolling else {
            continue;
        };
        let key = rules.register;
        let spec = spec_named(key)?;
        // One read of the entries and one grouped read of their newest
        // periodic occurrences per tick, whatever their number.
        let (entries, latest) = {
            let mut c = p.db.read().await?;
            let entries = store::find(&mut c, spec, &[], 100_000).await?;
            let latest: std::collections::HashMap<String, i64> =
                yunwei_store::controls::latest_periodic_due_by_subject(&mut c, key)
                    .await?
                    .into_iter()
                    .collect();
            (entries, latest)
        };
        for e in entries {
            let Some(from) = (rolling.recurrence)(&e, today)
                .and_then(|r| rolling_from(&e, r, today, latest.get(&e.id).copied()))
            else {
                continue;
            };
            let ctx = Ctx::system(&new_id());
            created += in_tx!(p.db, |c| {
                let Some(e) = store::get(&mut c, spec, &e.id).await? else {
                    return Ok(0);
                };
                let before = yunwei_store::controls::of_subject(&mut c, key, &e.id, 500)
                    .await?
                    .len();
                (rolling.schedule)(p, &mut c, spec, &e, from).await?;
                let n = yunwei_store::controls::of_subject(&mut c, key, &e.id, 500)
                    .await?
                    .len()
                    .saturating_sub(before);
                if n > 0 {
                    record(
                        p,
                        &mut c,
                        &ctx,
                        Actor::System {
                            org_path: &e.org_path,
                        },
                        Event::success("controls.schedule", spec.key, &e.id).after(format!(
                            "{}：生成 {n} 个到期事项",
                            crate::registers::title_of(spec, &e)
                        )),
                    )
                    .await?;
                }
                Ok(n)
            })?;
        }
    }
    Ok(created)
}

/// From which day the occurrences of `e`, recurring by `r`, need
/// creating, or None when the current period's exists.
fn rolling_from(
    e: &EntryRow,
    r: Recurrence,
    today: NaiveDate,
    latest_due: Option<i64>,
) -> Option<NaiveDate> {
    let current = r.period_of(today).due_at().timestamp_micros();
    if latest_due.is_some_and(|d| d >= current) {
        return None;
    }
    let latest_day = latest_due.map(due::last_day);
    Some(latest_day.map_or(created_day(e), |d| d + chrono::Duration::days(1)))
}
