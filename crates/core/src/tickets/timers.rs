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
    }
}

pub(super) fn minutes_of(d: TimerDuration) -> i64 {
    match d {
        TimerDuration::WallClock(m) => i64::from(m),
        TimerDuration::CalendarDays(n) | TimerDuration::WorkingDays(n) => i64::from(n) * 24 * 60,
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
            // The lead: holders of the pack roles the timer notifies.
            let platform_roles: Vec<String> = def
                .notify
                .iter()
                .filter_map(|r| pk.role(r))
                .flat_map(|r| r.platform.iter().cloned())
                .collect();
            if def.notify.iter().any(|r| r == "requester") {
                users.push(ticket.requester_id.clone());
            }
            users
                .extend(ustore::holders_covering(&mut c, &platform_roles, &ticket.org_path).await?);
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

/// The caller's inbox.
pub async fn notifications(
    p: &Platform,
    pr: &Principal,
    limit: u64,
) -> Result<Vec<NotificationRow>, AppError> {
    let mut c = p.db.read().await?;
    store::notifications_of(&mut c, &pr.user_id, limit.clamp(1, 200)).await
}

pub async fn mark_read(p: &Platform, pr: &Principal, id: &str) -> Result<(), AppError> {
    in_tx!(p.db, |c| {
        store::mark_read(&mut c, &pr.user_id, id, p.now_us()).await?;
        Ok(())
    })
}

/// Visible tickets matching the filter as .xlsx, marked with the exporter's
/// name; the export is audited with its reason.
pub async fn export(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    f: &TicketFilter,
    reason: &str,
) -> Result<Vec<u8>, AppError> {
    let reason = crate::kernel::audit::require_reason(reason)?;
    if pr.must_change_password {
        return Err(AppError::new(
            ErrorKind::Forbidden,
            "auth.password_change_required",
            "请先修改初始密码",
        ));
    }
    let scope = pr.scope_for(Action::BusinessRead);
    let unassigned = pr.unassigned_ticket_scope();
    // The rows are those the caller's lists show.
    let auth = Authorized::seen(pr);
    let rows = {
        let mut c = p.db.read().await?;
        store::list(
            &mut c,
            &visible_to(pr, &scope, &unassigned),
            f,
            0,
            EXPORT_LIMIT,
        )
        .await?
        .0
    };
    let fmt = |us: Option<i64>| us.map(crate::kernel::export::fmt_us).unwrap_or_default();
    let data: Vec<Vec<String>> = rows
        .iter()
        .map(|t| {
            let s = summary(p, t);
            vec![
                s.number,
                s.process_name,
                s.title,
                s.state_label,
                s.level_label.unwrap_or_default(),
                crate::kernel::export::fmt_us(s.created_at),
                fmt(s.due_at),
                if s.overdue {
                    "是".into()
                } else {
                    "否".into()
                },
            ]
        })
        .collect();
    let bytes = crate::kernel::export::table_xlsx(
        "工单",
        &pr.display_name,
        p.clock.now(),
        &[
            "编号",
            "流程",
            "标题",
            "状态",
            "级别",
            "登记时间",
            "期限",
            "超时",
        ],
        &data,
    )?;
    crate::kernel::audit::audit_export(
        p,
        ctx,
        auth,
        "ticket.export",
        "ticket",
        format!("导出 {} 张工单", data.len()),
        &reason,
    )
    .await?;
    Ok(bytes)
}

/// Most rows in one export.
pub const EXPORT_LIMIT: u64 = 50_000;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TodoItem {
    pub ticket: TicketSummary,
    /// What the user can do now, e.g. `分类定级`, `审批：中心主任`.
    pub actions: Vec<String>,
}

/// 待办: open tickets where the caller can take a transition or cast a vote
/// now (the newest 500 open tickets in reach are considered).
pub async fn todo(p: &Platform, pr: &Principal) -> Result<Vec<TodoItem>, AppError> {
    if pr.must_change_password {
        return Ok(vec![]);
    }
    let scope = pr.scope_for(Action::BusinessRead);
    let mut c = p.db.read().await?;
    let f = TicketFilter {
        open_only: true,
        ..Default::default()
    };
    let unassigned = pr.unassigned_ticket_scope();
    let (rows, _) = store::list(&mut c, &visible_to(pr, &scope, &unassigned), &f, 0, 500).await?;
    let mut out = Vec::new();
    for row in rows {
        let Ok(pk) = pack(p, &row.pack_id, Some(&row.pack_version)) else {
            continue;
        };
        let Some(pr_) = pk.process(&row.process_id) else {
            continue;
        };
        let roles = pack_roles(pk, pr, &row.org_path);
        let actor = PackActor {
            user_id: pr.user_id.clone(),
            pack_roles: roles,
        };
        let votes = store::votes_since(&mut c, &row.id, row.state_since).await?;
        let snapshot = snapshot_of(pr_, &row, &votes, Default::default());
        let mut actions: Vec<String> = engine::available(pr_, &snapshot, &actor)
            .iter()
            .map(|t| t.label.clone())
            .collect();
        let fields = engine::derive_fields(pr_, &snapshot.fields);
        if let Some(a) = pr_.open_approval(&row.state, &fields) {
            if engine::vote(pr_, &snapshot, &a.id, &actor, true).is_ok() {
                actions.push(format!(
                    "审批：{}",
                    a.label.clone().unwrap_or_else(|| a.id.clone())
                ));
            }
        }
        if !actions.is_empty() {
            out.push(TodoItem {
                ticket: summary(p, &row),
                actions,
            });
        }
    }
    Ok(out)
}
