//! The SLA timers of a ticket: started, paused, resumed and stopped as the
//! pack's transitions say, in working days or calendar time, and the job
//! that warns before and marks the breach (each once across nodes).

use super::*;

// ---- timers ----

pub(super) fn add_duration(
    cal: &HolidayCalendar,
    from: DateTime<Utc>,
    d: TimerDuration,
) -> (DateTime<Utc>, Vec<i32>) {
    match d {
        TimerDuration::WallClock(m) => (from + Duration::minutes(i64::from(m)), vec![]),
        TimerDuration::CalendarDays(n) => {
            let day =
                yunwei_domain::calendar::date_in_shanghai(from) + Duration::days(i64::from(n));
            (yunwei_domain::calendar::end_of_day_shanghai(day), vec![])
        }
        TimerDuration::WorkingDays(n) => {
            let c = cal.due_end_of_workdays(from, n);
            (c.value, c.unannounced_years)
        }
        TimerDuration::Months(n) => {
            let day = yunwei_domain::calendar::date_in_shanghai(from);
            // chrono keeps the day of the month, or takes the month's last
            // day when it is shorter (31 January + 1 month = 28 February).
            let day = day
                .checked_add_months(chrono::Months::new(n))
                .unwrap_or(day);
            (yunwei_domain::calendar::end_of_day_shanghai(day), vec![])
        }
    }
}

pub(super) fn minutes_of(d: TimerDuration) -> i64 {
    match d {
        TimerDuration::WallClock(m) => i64::from(m),
        TimerDuration::CalendarDays(n) | TimerDuration::WorkingDays(n) => i64::from(n) * 24 * 60,
        // Only a warning's lead uses it: a month is counted as 30 days.
        TimerDuration::Months(n) => i64::from(n) * 30 * 24 * 60,
    }
}

/// A timer started now.
pub(super) fn started_timer(
    cal: &HolidayCalendar,
    def: &yunwei_domain::policy::model::Timer,
    ticket_id: &str,
    now: DateTime<Utc>,
) -> TimerRow {
    let (due, _) = add_duration(cal, now, def.duration);
    let warn_at = def
        .warn_before
        .map(|w| (due - Duration::minutes(minutes_of(w))).timestamp_micros());
    TimerRow {
        id: new_id(),
        ticket_id: ticket_id.into(),
        timer_id: def.id.clone(),
        status: "running".into(),
        started_at: now.timestamp_micros(),
        due_at: due.timestamp_micros(),
        warn_at,
        remaining_us: None,
        warned: false,
        breached: false,
        stopped_at: None,
    }
}

/// Applies the engine's timer operations to the ticket's timer rows.
pub(super) async fn apply_timers(
    c: &mut DbConn,
    cal: &HolidayCalendar,
    pr_: &Process,
    ticket_id: &str,
    ops: &[TimerOp],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let now_us = now.timestamp_micros();
    let existing = store::timers_of(c, ticket_id).await?;
    for op in ops {
        let Some(def) = pr_.timer(&op.timer_id) else {
            continue;
        };
        let current = existing
            .iter()
            .rev()
            .find(|t| t.timer_id == op.timer_id && t.status != "stopped")
            .cloned();
        match (op.op, current) {
            (TimerAction::Start, None) => {
                store::upsert_timer(c, &started_timer(cal, def, ticket_id, now)).await?;
            }
            // A review that restarts its clock (EEDS-3.2.5): the running
            // row stops and a fresh one starts, in one step.
            (TimerAction::Restart, current) => {
                if let Some(mut t) = current {
                    t.status = "stopped".into();
                    t.stopped_at = Some(now_us);
                    store::upsert_timer(c, &t).await?;
                }
                store::upsert_timer(c, &started_timer(cal, def, ticket_id, now)).await?;
            }
            (TimerAction::Stop, Some(mut t)) => {
                t.status = "stopped".into();
                t.stopped_at = Some(now_us);
                store::upsert_timer(c, &t).await?;
            }
            (TimerAction::Pause, Some(mut t)) if t.status == "running" => {
                t.status = "paused".into();
                t.remaining_us = Some((t.due_at - now_us).max(0));
                store::upsert_timer(c, &t).await?;
            }
            (TimerAction::Resume, Some(mut t)) if t.status == "paused" => {
                let remaining = t.remaining_us.unwrap_or(0);
                let shift = now_us + remaining - t.due_at;
                t.status = "running".into();
                t.due_at = now_us + remaining;
                t.warn_at = t.warn_at.map(|w| w + shift);
                t.remaining_us = None;
                store::upsert_timer(c, &t).await?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Earliest deadline of the running timers and whether any breached.
pub(super) async fn due_summary(
    c: &mut DbConn,
    ticket_id: &str,
) -> Result<(Option<i64>, bool), AppError> {
    let timers = store::timers_of(c, ticket_id).await?;
    let due = timers
        .iter()
        .filter(|t| t.status == "running")
        .map(|t| t.due_at)
        .min();
    let overdue = timers.iter().any(|t| t.breached && t.status != "stopped");
    Ok((due, overdue))
}

// ---- SLA timers job ----

/// Sends the warnings and breaches that are due, each exactly once even
/// with several app nodes (guarded claim), notifying the assignee and the
/// pack roles the timer names, with an audit record. Returns how many.
pub async fn run_timers(p: &Platform, limit: u64) -> Result<usize, AppError> {
    let now = p.now_us();
    let due = {
        let mut c = p.db.read().await?;
        store::due_timers(&mut c, now, limit).await?
    };
    let mut done = 0;
    for t in due {
        let breach = !t.breached && t.due_at <= now;
        let ctx = Ctx::system(&new_id());
        let fired = in_tx!(p.db, |c| {
            if !store::claim(&mut c, &t.id, breach).await? {
                return Ok(false);
            }
            let Some(ticket) = store::get(&mut c, &t.ticket_id).await? else {
                return Ok(false);
            };
            let Ok(pk) = pack(p, &ticket.pack_id, Some(&ticket.pack_version)) else {
                return Ok(false);
            };
            let Some(pr_) = pk.process(&ticket.process_id) else {
                return Ok(false);
            };
            let Some(def) = pr_.timer(&t.timer_id) else {
                return Ok(false);
            };
            let (kind, word) = if breach {
                ("timer_breach", "已超时")
            } else {
                ("timer_warning", "即将超时")
            };
            let title = format!("{} {}{}（{}）", ticket.number, def.label, word, def.source);
            let mut users: Vec<String> = Vec::new();
            users.extend(ticket.assignee_id.clone());
            // The lead: holders of the pack roles the timer notifies, for
            // this ticket (their holder rules, ADR 0020).
            let roles: Vec<&PackRole> = def.notify.iter().filter_map(|r| pk.role(r)).collect();
            if def.notify.iter().any(|r| r == "requester") {
                users.push(ticket.requester_id.clone());
            }
            users.extend(holders_on(&mut c, &roles, &ticket.org_path).await?);
            notify_users(&mut c, &users, &ticket, kind, &title, "", now).await?;
            store::insert_event(
                &mut c,
                &EventRow {
                    id: new_id(),
                    ticket_id: ticket.id.clone(),
                    at: now,
                    actor_id: None,
                    actor_name: "系统".into(),
                    kind: kind.into(),
                    from_state: None,
                    to_state: None,
                    label: title.clone(),
                    body: String::new(),
                },
            )
            .await?;
            if breach {
                store::set_due(&mut c, &ticket.id, ticket.due_at, true).await?;
            }
            record(
                p,
                &mut c,
                &ctx,
                Actor::System {
                    org_path: &ticket.org_path,
                },
                Event::success(
                    if breach {
                        "ticket.sla_breach"
                    } else {
                        "ticket.sla_warning"
                    },
                    "ticket",
                    &ticket.id,
                )
                .after(title.clone()),
            )
            .await?;
            Ok(true)
        })?;
        if fired {
            done += 1;
        }
    }
    Ok(done)
}
