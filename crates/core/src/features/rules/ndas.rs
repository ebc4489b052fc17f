//! A vendor person's non-disclosure agreements (JSCZ-36, JSCZ-37): dates
//! in order; the latest expiry is due on the person, a renewal answers
//! the expiries it covers; whether one is in force on a day.

use std::future::ready;

use chrono::NaiveDate;
use yunwei_domain::register::{Spec, Val};
use yunwei_domain::AppError;
use yunwei_store::registers::{self as store, EntryRow};
use yunwei_store::DbConn;

use super::{date, done_ref, order, spec_named, subject};
use crate::kernel::due;
use crate::kernel::seams::{Change, RegisterRules, SeamFuture};
use crate::Platform;

pub static RULES: RegisterRules = RegisterRules {
    register: "ndas",
    check,
    after_write,
    ..RegisterRules::NONE
};

fn check<'a>(
    _: &'a Platform,
    _: &'a mut DbConn,
    _: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, ()> {
    Box::pin(ready(
        order(
            e,
            "valid_from",
            "valid_to",
            "保密协议到期日期不能早于生效日期",
        )
        .and_then(|()| {
            order(
                e,
                "signed_on",
                "valid_to",
                "保密协议到期日期不能早于签订日期",
            )
        }),
    ))
}

/// A new agreement's expiry is due on the person (JSCZ-37).
fn after_write<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    spec: &'static Spec,
    e: &'a EntryRow,
    change: Change<'a>,
) -> SeamFuture<'a, ()> {
    Box::pin(async move {
        let Change::Created = change else {
            return Ok(());
        };
        let now = p.now_us();
        let staff = spec_named("vendor_staff")?;
        let Some(person) = store::get(c, staff, e.parent_id.as_deref().unwrap_or("")).await? else {
            return Ok(());
        };
        let Some(to) = date(e, "valid_to") else {
            return Ok(());
        };
        let due = due::day_end(to);
        // A renewal answers for the expiries it covers.
        due::complete_open(
            c,
            (staff.key, &person.id),
            "nda",
            |ctl| ctl.due_at < due,
            usize::MAX,
            (&done_ref(spec, e), now),
        )
        .await?;
        let title = crate::registers::title_of(staff, &person);
        due::ensure_once(
            c,
            &subject(staff, &person, "nda", &title, "JSCZ-37"),
            due,
            now,
        )
        .await?;
        Ok(())
    })
}

/// Whether the person has an NDA in force on `day`, and the latest expiry
/// on file.
pub async fn nda_of(
    c: &mut DbConn,
    staff_id: &str,
    day: NaiveDate,
) -> Result<(bool, Option<NaiveDate>), AppError> {
    let ndas = spec_named("ndas")?;
    let rows = store::find(
        c,
        ndas,
        &[("parent_id", Val::Text(staff_id.to_string()))],
        1_000,
    )
    .await?;
    let valid = rows.iter().any(|n| {
        date(n, "valid_from").is_some_and(|f| f <= day)
            && date(n, "valid_to").is_some_and(|t| t >= day)
    });
    let latest = rows.iter().filter_map(|n| date(n, "valid_to")).max();
    Ok((valid, latest))
}
