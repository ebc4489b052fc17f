//! Emergency plans and their drills (JSCZ-7, ZMDY-20): a plan owes its
//! drills once, twice or four times a year. ZMDY-20 says 「每年至少组织两次
//! 应急演练」 — twice within the year, not once per half-year — so the
//! drills of a year are one yearly occurrence, done when the plan's number
//! of drills were held within that year; it is due by the pack's rule
//! `drill.due` (the year's end as shipped, ADR 0018).

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

/// How many drills a year the plan owes (0: none).
fn drills_per_year(e: &EntryRow) -> usize {
    text(e, "drills").parse().unwrap_or(0)
}

fn drill_recurrence(e: &EntryRow) -> Option<Recurrence> {
    (drills_per_year(e) > 0).then_some(Recurrence::Yearly)
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
    let rule = crate::kernel::parameters::due(p, "drill.due")?;
    due::ensure_periodic_due(
        c,
        &subject(spec, e, "drill", &title, "JSCZ-7 ZMDY-20"),
        (r, rule),
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

/// A drill counts toward its plan's drills of the year it is held in; the
/// year's occurrence is done once the plan's number were held in it. The
/// drill is the plan's last one.
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
        let plan = store::get(c, plans, &plan_id).await?;
        let needed = plan.as_ref().map_or(1, drills_per_year).max(1);
        // The open occurrence whose year holds the drill.
        let within = |ctl: &yunwei_store::controls::ControlRow| {
            matches!(
                (ctl.period_start.as_deref(), ctl.period_end.as_deref()),
                (Some(s), Some(end)) if s <= on_s.as_str() && on_s.as_str() <= end
            )
        };
        let occurrence = yunwei_store::controls::of_subject(c, plans.key, &plan_id, 500)
            .await?
            .into_iter()
            .find(|ctl| ctl.kind == "drill" && ctl.done_at.is_none() && within(ctl));
        if let Some(occ) = occurrence {
            let (start, end) = (
                occ.period_start.clone().unwrap_or_default(),
                occ.period_end.clone().unwrap_or_default(),
            );
            let held = store::find(c, spec, &[("plan_id", e.get("plan_id").clone())], 10_000)
                .await?
                .iter()
                .filter(|d| d.id != e.id)
                .filter_map(|d| date(d, "held_on").map(ymd))
                .filter(|d| start <= *d && *d <= end)
                .count()
                + 1;
            if held >= needed {
                yunwei_store::controls::mark_done(c, &occ.id, now, &done_ref(spec, e)).await?;
            }
        }
        if let Some(plan) = plan {
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
