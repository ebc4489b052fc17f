//! Emergency plans and their drills (JSCZ-7, ZMDY-20): a plan's drills
//! are due once, twice or four times a year; a drill held answers the
//! plan's drill of the period it falls in.

use chrono::NaiveDate;
use yunwei_domain::register::{Spec, Val};
use yunwei_domain::schedule::Recurrence;
use yunwei_domain::AppError;
use yunwei_store::registers::{self as store, EntryRow};
use yunwei_store::DbConn;

use super::{date, done_ref, set_values, spec_named, subject, text, ymd};
use crate::kernel::due;
use crate::kernel::seams::{Change, RegisterRules, Rolling, SeamFuture};
use crate::Platform;

pub static EMERGENCY_PLANS: RegisterRules = RegisterRules {
    register: "emergency_plans",
    after_write: plan_written,
    rolling: Some(Rolling {
        recurrence: plan_recurrence,
        schedule: plan_schedule,
    }),
    ..RegisterRules::NONE
};

pub static DRILLS: RegisterRules = RegisterRules {
    register: "drills",
    after_write: drill_written,
    ..RegisterRules::NONE
};

fn drill_recurrence(e: &EntryRow) -> Option<Recurrence> {
    match text(e, "drills") {
        "1" => Some(Recurrence::Yearly),
        "2" => Some(Recurrence::HalfYearly),
        "4" => Some(Recurrence::Quarterly),
        _ => None,
    }
}

fn plan_recurrence(e: &EntryRow, _: NaiveDate) -> Option<Recurrence> {
    drill_recurrence(e)
}

fn plan_schedule<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    spec: &'static Spec,
    e: &'a EntryRow,
    from: NaiveDate,
) -> SeamFuture<'a, ()> {
    Box::pin(schedule_drills(p, c, spec, e, from))
}

async fn schedule_drills(
    p: &Platform,
    c: &mut DbConn,
    spec: &Spec,
    e: &EntryRow,
    from: NaiveDate,
) -> Result<(), AppError> {
    let Some(r) = drill_recurrence(e) else {
        return Ok(());
    };
    let title = crate::registers::title_of(spec, e);
    let today = due::today(p);
    due::ensure_periodic(
        c,
        &subject(spec, e, "drill", &title, "JSCZ-7 ZMDY-20"),
        r,
        from.min(today),
        today,
        p.now_us(),
    )
    .await?;
    Ok(())
}

/// A new plan gets its drills; a change of how often reschedules them.
fn plan_written<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    spec: &'static Spec,
    e: &'a EntryRow,
    change: Change<'a>,
) -> SeamFuture<'a, ()> {
    Box::pin(async move {
        let now = p.now_us();
        let today = due::today(p);
        match change {
            Change::Created => {
                schedule_drills(p, c, spec, e, today).await?;
            }
            Change::Updated(old) => {
                let title = crate::registers::title_of(spec, e);
                yunwei_store::controls::retitle_open(
                    c,
                    spec.key,
                    &e.id,
                    &title,
                    &e.org_id,
                    &e.org_path,
                )
                .await?;
                if text(old, "drills") != text(e, "drills") {
                    yunwei_store::controls::delete_open_not_due(c, spec.key, &e.id, now).await?;
                    schedule_drills(p, c, spec, e, today).await?;
                }
            }
            Change::Step(_) => {}
        }
        Ok(())
    })
}

/// A drill answers its plan's drill of the period and is the plan's last
/// one.
fn drill_written<'a>(
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
        let today = due::today(p);
        let plans = spec_named("emergency_plans")?;
        let plan_id = e.parent_id.clone().unwrap_or_default();
        let on = date(e, "held_on").unwrap_or(today);
        let on_s = ymd(on);
        due::complete_open(
            c,
            (plans.key, &plan_id),
            "drill",
            |ctl| {
                ctl.period_start
                    .as_deref()
                    .is_some_and(|s| s <= on_s.as_str())
            },
            1,
            (&done_ref(spec, e), now),
        )
        .await?;
        if let Some(plan) = store::get(c, plans, &plan_id).await? {
            if Some(on) > date(&plan, "last_drill_on") {
                set_values(
                    c,
                    plans,
                    &plan_id,
                    &[("last_drill_on", Val::Text(on_s))],
                    now,
                )
                .await?;
            }
        }
        Ok(())
    })
}
