//! Backups (EEDS-3.7, JSCZ-45): a plan, the backups done under it, the
//! reviews of its logs and its restore tests. An active plan's log
//! review is due every period (EEDS-3.7.4) and a restore test a year after
//! the last (EEDS-3.7.5); the plan is flagged when backups stop arriving,
//! the restore test is late or the plan misses what a backup must cover.

use std::future::ready;

use chrono::{Months, NaiveDate};
use yunwei_domain::register::{Spec, Val};
use yunwei_domain::schedule::Recurrence;
use yunwei_domain::AppError;
use yunwei_store::registers::{self as store, EntryRow};
use yunwei_store::DbConn;

use super::{created_day, date, done_ref, set_values, spec_named, subject, text, ymd};
use crate::kernel::due;
use crate::kernel::seams::{Change, RegisterRules, Rolling, SeamFuture};
use crate::Platform;

pub static BACKUP_PLANS: RegisterRules = RegisterRules {
    register: "backup_plans",
    after_write: plan_written,
    // The plan's flag says a late restore test better.
    covered_kinds: &["restore_test"],
    flags: plan_flags,
    rolling: Some(Rolling {
        recurrence: plan_recurrence,
        schedule: plan_schedule,
    }),
    ..RegisterRules::NONE
};

pub static BACKUP_LOGS: RegisterRules = RegisterRules {
    register: "backup_logs",
    after_write: log_written,
    ..RegisterRules::NONE
};

pub static BACKUP_REVIEWS: RegisterRules = RegisterRules {
    register: "backup_reviews",
    after_write: review_written,
    ..RegisterRules::NONE
};

pub static RESTORE_TESTS: RegisterRules = RegisterRules {
    register: "restore_tests",
    after_write: restore_test_written,
    ..RegisterRules::NONE
};

fn a_year_after(d: NaiveDate) -> NaiveDate {
    d.checked_add_months(Months::new(12)).unwrap_or(d)
}

fn review_recurrence(e: &EntryRow) -> Recurrence {
    match text(e, "review_every") {
        "weekly" => Recurrence::Weekly,
        "quarterly" => Recurrence::Quarterly,
        _ => Recurrence::Monthly,
    }
}

fn backup_window_days(frequency: &str) -> i64 {
    match frequency {
        "daily" => 1,
        "weekly" => 7,
        _ => 31,
    }
}

/// An active plan's log reviews recur; a plan not in force has none.
fn plan_recurrence(e: &EntryRow, _: NaiveDate) -> Option<Recurrence> {
    (text(e, "status") == "active").then(|| review_recurrence(e))
}

fn plan_schedule<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    spec: &'static Spec,
    e: &'a EntryRow,
    from: NaiveDate,
) -> SeamFuture<'a, ()> {
    Box::pin(schedule_backup_plan(p, c, spec, e, from))
}

/// An active plan's log reviews from `from` and its next restore test.
async fn schedule_backup_plan(
    p: &Platform,
    c: &mut DbConn,
    spec: &Spec,
    plan: &EntryRow,
    from: NaiveDate,
) -> Result<(), AppError> {
    let title = crate::registers::title_of(spec, plan);
    let now = p.now_us();
    let today = due::today(p);
    // When a period's review is due is the pack's (EEDS-3.7.4 「定期」).
    let rule = crate::kernel::parameters::due(p, "backup_review.due")?;
    due::ensure_periodic_due(
        c,
        &subject(spec, plan, "backup_review", &title, "EEDS-3.7.4"),
        (review_recurrence(plan), rule),
        from.min(today),
        today,
        now,
    )
    .await?;
    // One open restore test at a time: a year after the last one, or after
    // the plan came into force.
    let open = yunwei_store::controls::of_subject(c, spec.key, &plan.id, 500)
        .await?
        .into_iter()
        .any(|ctl| ctl.kind == "restore_test" && ctl.done_at.is_none());
    if !open {
        let last = date(plan, "last_restore_test_on").unwrap_or(today);
        due::ensure_once(
            c,
            &subject(spec, plan, "restore_test", &title, "EEDS-3.7.5"),
            due::day_end(a_year_after(last)),
            now,
        )
        .await?;
    }
    Ok(())
}

/// A plan put in force gets its occurrences, a retired one loses those not
/// yet due, a change of its review period reschedules them.
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
            Change::Step(st) if st.to == "active" => {
                schedule_backup_plan(p, c, spec, e, today).await?;
            }
            Change::Step(st) if st.to == "retired" => {
                yunwei_store::controls::delete_open_not_due(c, spec.key, &e.id, now).await?;
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
                if text(e, "status") == "active"
                    && text(old, "review_every") != text(e, "review_every")
                {
                    yunwei_store::controls::delete_open_not_due(c, spec.key, &e.id, now).await?;
                    schedule_backup_plan(p, c, spec, e, today).await?;
                }
            }
            _ => {}
        }
        Ok(())
    })
}

/// A successful backup is the plan's last one.
fn log_written<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    _: &'static Spec,
    e: &'a EntryRow,
    change: Change<'a>,
) -> SeamFuture<'a, ()> {
    Box::pin(async move {
        let Change::Created = change else {
            return Ok(());
        };
        let plans = spec_named("backup_plans")?;
        let Some(plan) = store::get(c, plans, e.parent_id.as_deref().unwrap_or("")).await? else {
            return Ok(());
        };
        let on = date(e, "performed_on");
        if text(e, "outcome") == "success" && on > date(&plan, "last_backup_on") {
            let on = on.map(ymd).map(Val::Text).unwrap_or(Val::Null);
            set_values(c, plans, &plan.id, &[("last_backup_on", on)], p.now_us()).await?;
        }
        Ok(())
    })
}

/// A review of the logs answers the plan's review of the period it falls
/// in.
fn review_written<'a>(
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
        let on = date(e, "reviewed_on").map(ymd).unwrap_or_default();
        due::complete_open(
            c,
            ("backup_plans", e.parent_id.as_deref().unwrap_or("")),
            "backup_review",
            |ctl| {
                ctl.period_start
                    .as_deref()
                    .is_some_and(|s| s <= on.as_str())
            },
            1,
            (&done_ref(spec, e), p.now_us()),
        )
        .await?;
        Ok(())
    })
}

/// A passed restore test is the plan's last one and sets the next a year
/// later.
fn restore_test_written<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    spec: &'static Spec,
    e: &'a EntryRow,
    change: Change<'a>,
) -> SeamFuture<'a, ()> {
    Box::pin(async move {
        if !matches!(change, Change::Created) || text(e, "result") != "pass" {
            return Ok(());
        }
        let now = p.now_us();
        let today = due::today(p);
        let plans = spec_named("backup_plans")?;
        let Some(plan) = store::get(c, plans, e.parent_id.as_deref().unwrap_or("")).await? else {
            return Ok(());
        };
        let on = date(e, "tested_on").unwrap_or(today);
        if Some(on) > date(&plan, "last_restore_test_on") {
            set_values(
                c,
                plans,
                &plan.id,
                &[("last_restore_test_on", Val::Text(ymd(on)))],
                now,
            )
            .await?;
        }
        // The next test is due a year after this one: it answers every
        // open occurrence due before then.
        let next = due::day_end(a_year_after(
            on.max(date(&plan, "last_restore_test_on").unwrap_or(on)),
        ));
        due::complete_open(
            c,
            (plans.key, &plan.id),
            "restore_test",
            |ctl| ctl.due_at < next,
            usize::MAX,
            (&done_ref(spec, e), now),
        )
        .await?;
        if text(&plan, "status") == "active" {
            let title = crate::registers::title_of(plans, &plan);
            due::ensure_once(
                c,
                &subject(plans, &plan, "restore_test", &title, "EEDS-3.7.5"),
                next,
                now,
            )
            .await?;
        }
        Ok(())
    })
}

fn plan_flags<'a>(
    p: &'a Platform,
    _: &'a mut DbConn,
    spec: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, Vec<String>> {
    let today = due::today(p);
    let mut out = vec![];
    if text(e, "status") != "active" {
        return Box::pin(ready(Ok(out)));
    }
    // Backups stop arriving: no success within the plan's period
    // (EEDS-3.7.4).
    let window = backup_window_days(text(e, "frequency"));
    match date(e, "last_backup_on") {
        Some(last) if (today - last).num_days() > window => out.push(format!(
            "备份中断：最近一次成功备份为 {}，已超过{}",
            ymd(last),
            spec.field("frequency")
                .map(|f| f.display(e.get("frequency")))
                .unwrap_or_default()
        )),
        None if (today - created_day(e)).num_days() > window => {
            out.push("备份中断：尚无成功备份记录".to_string())
        }
        _ => {}
    }
    // A restore test at least yearly (EEDS-3.7.5, JSCZ-45).
    match date(e, "last_restore_test_on") {
        Some(last) if today > a_year_after(last) => out.push(format!(
            "恢复测试已超过一年：最近一次为 {}（EEDS-3.7.5）",
            ymd(last)
        )),
        None if today > a_year_after(created_day(e)) => {
            out.push("一年内未做恢复测试（EEDS-3.7.5）".to_string())
        }
        _ => {}
    }
    let missing: Vec<&str> = [
        ("covers_system", "系统软件和数据"),
        ("covers_business", "业务数据"),
        ("covers_logs", "操作日志"),
    ]
    .into_iter()
    .filter(|(f, _)| !e.get(f).is_true())
    .map(|(_, l)| l)
    .collect();
    if !missing.is_empty() {
        out.push(format!(
            "备份内容未包括{}（EEDS-3.7.3）",
            missing.join("、")
        ));
    }
    if e.get("offsite_location").text().is_none() {
        out.push("未做异地备份（JSCZ-45）".to_string());
    }
    Box::pin(ready(Ok(out)))
}
