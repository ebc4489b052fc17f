//! Tickets of the regulated processes: open, move through the route of
//! their policy pack, vote, comment, attach, and the SLA timers
//! (ADR 0003). The engine decides; this module loads, persists, audits,
//! indexes for search and notifies, all in one transaction per action.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use yunwei_domain::calendar::HolidayCalendar;
use yunwei_domain::ids::new_id;
use yunwei_domain::policy::engine::{self, conversion_fields, TimerAction, TimerOp};
use yunwei_domain::policy::model::{FieldType, TimerDuration};
use yunwei_domain::policy::{
    Actor as PackActor, ApprovalVote, FieldValue, Fields, Pack, Process, Refusal, TicketSnapshot,
    Workdays,
};
use yunwei_domain::roles::{Action, Role};
use yunwei_domain::{AppError, ErrorKind};
use yunwei_store::tickets::{
    self as store, EventRow, NotificationRow, TicketRow, TimerRow, VoteRow,
};
use yunwei_store::{in_tx, orgs, users as ustore, DbConn};

use crate::audit::{record, Actor, Event};
use crate::{Ctx, Platform, Principal};

pub use yunwei_store::tickets::TicketFilter;

/// Working days for the engine, from the holiday calendar.
pub struct CalendarDays<'a>(pub &'a HolidayCalendar);

impl Workdays for CalendarDays<'_> {
    fn sub_workdays(&self, d: NaiveDate, n: u32) -> NaiveDate {
        self.0.sub_workdays(d, n).value
    }
}

fn refusal(r: Refusal) -> AppError {
    let kind = match r.code {
        "policy.role" => ErrorKind::Forbidden,
        "policy.wrong_state" | "policy.approval_not_open" | "policy.already_voted" => {
            ErrorKind::Conflict
        }
        _ => ErrorKind::BadRequest,
    };
    AppError::new(kind, r.code, r.to_string())
}

/// The enabled pack with this id (tickets pin the version they opened under).
pub fn pack<'a>(p: &'a Platform, id: &str, version: Option<&str>) -> Result<&'a Pack, AppError> {
    p.packs
        .iter()
        .find(|pk| pk.id == id && version.is_none_or(|v| pk.version == v))
        .ok_or_else(|| {
            AppError::new(
                ErrorKind::Conflict,
                "policy.pack_unavailable",
                format!(
                    "策略包 {id} {} 未启用或已不在本版本中",
                    version.unwrap_or("")
                ),
            )
        })
}

fn process<'a>(pk: &'a Pack, id: &str) -> Result<&'a Process, AppError> {
    pk.process(id).ok_or_else(|| {
        AppError::bad_request(
            "ticket.process_invalid",
            format!("策略包中没有流程「{id}」"),
        )
    })
}

// ---- field values <-> JSON ----

pub fn value_to_json(v: &FieldValue) -> Value {
    match v {
        FieldValue::Text(s) => Value::String(s.clone()),
        FieldValue::Integer(i) => Value::from(*i),
        FieldValue::Number(n) => serde_json::Number::from_f64(*n)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        FieldValue::Bool(b) => Value::Bool(*b),
        FieldValue::Date(d) => Value::String(d.format("%Y-%m-%d").to_string()),
        FieldValue::DateTime(t) => Value::String(t.to_rfc3339()),
    }
}

pub fn fields_to_json(fields: &Fields) -> String {
    let m: Map<String, Value> = fields
        .iter()
        .map(|(k, v)| (k.clone(), value_to_json(v)))
        .collect();
    Value::Object(m).to_string()
}

/// Parses a value for a field of `ty` from JSON or form text; None when it
/// does not fit (the caller reports the field).
pub fn value_from_json(ty: FieldType, v: &Value) -> Option<FieldValue> {
    let text = match v {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    match ty {
        FieldType::Text | FieldType::LongText | FieldType::Choice => Some(FieldValue::Text(text)),
        FieldType::Integer => text.parse().ok().map(FieldValue::Integer),
        FieldType::Number => text
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(FieldValue::Number),
        FieldType::Bool => match text.as_str() {
            "true" | "on" | "1" | "是" => Some(FieldValue::Bool(true)),
            "false" | "off" | "0" | "否" => Some(FieldValue::Bool(false)),
            _ => None,
        },
        FieldType::Date => NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .ok()
            .map(FieldValue::Date),
        FieldType::DateTime => DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .ok()
            .or_else(|| {
                // `<input type="datetime-local">` sends China time without an offset.
                chrono::NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M")
                    .ok()
                    .map(|t| (t - Duration::hours(8)).and_utc())
            })
            .map(FieldValue::DateTime),
    }
}

/// Input fields of a process from a JSON object; empty strings are skipped.
pub fn parse_fields(pr: &Process, input: &Map<String, Value>) -> Result<Fields, AppError> {
    let mut out = Fields::new();
    for (k, v) in input {
        if matches!(v, Value::Null) || v.as_str().is_some_and(|s| s.trim().is_empty()) {
            continue;
        }
        let field = pr.field(k).ok_or_else(|| {
            AppError::bad_request(
                "ticket.field_unknown",
                format!("流程「{}」没有字段「{k}」", pr.name),
            )
        })?;
        let value = value_from_json(field.ty, v).ok_or_else(|| {
            AppError::bad_request(
                "ticket.field_invalid",
                format!("「{}」的值格式不正确", field.label),
            )
        })?;
        out.insert(k.clone(), value);
    }
    Ok(out)
}

fn fields_from_json(pr: &Process, json: &str) -> Fields {
    let Ok(Value::Object(m)) = serde_json::from_str::<Value>(json) else {
        return Fields::new();
    };
    m.iter()
        .filter_map(|(k, v)| {
            pr.field(k)
                .and_then(|f| value_from_json(f.ty, v))
                .map(|v| (k.clone(), v))
        })
        .collect()
}

// ---- who acts ----

/// The pack roles the principal holds for a ticket in `org_path`: roles
/// whose grant covers the ticket's organisation. A vendor's staff serve the
/// region their vendor belongs to, so their grants cover the vendor's
/// parent subtree.
pub fn pack_roles(pk: &Pack, pr: &Principal, org_path: &str) -> BTreeSet<String> {
    if pr.must_change_password {
        return BTreeSet::new();
    }
    let held: Vec<&str> = pr
        .grants
        .iter()
        .filter(|g| g.role.is_business())
        .filter(|g| {
            if g.role == Role::VendorEngineer {
                let parent = parent_path(&g.scope_path);
                org_path.starts_with(parent.as_str())
            } else {
                g.covers(org_path)
            }
        })
        .map(|g| g.role.as_str())
        .collect();
    pk.pack_roles_for(held)
}

fn parent_path(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rfind('/') {
        Some(i) => trimmed[..=i].to_string(),
        None => "/".into(),
    }
}

/// Whether the principal may see the ticket: exactly what the lists show
/// (`store::tickets::visibility`): tickets in the business-read scope,
/// those the caller filed or is assigned to, and for a vendor engineer the
/// unassigned tickets of the regions its vendor's contracts in force cover
/// (its intake queue, `JSCZ-21`). Nothing else by id.
pub(crate) fn can_see(pr: &Principal, t: &TicketRow) -> bool {
    pr.can(Action::BusinessRead, &t.org_path)
        || (!pr.must_change_password
            && (t.requester_id == pr.user_id || t.assignee_id.as_deref() == Some(&pr.user_id)))
        || (t.assignee_id.is_none() && pr.unassigned_ticket_scope().contains(&t.org_path))
}

/// What the caller's ticket lists show (`can_see` by id is the same).
fn visible_to<'a>(
    pr: &'a Principal,
    scope: &'a yunwei_store::Scope,
    unassigned: &'a yunwei_store::Scope,
) -> store::Visible<'a> {
    store::Visible {
        scope,
        user_id: &pr.user_id,
        unassigned,
    }
}

// ---- loading ----

/// What the engine needs of a stored ticket: its state, typed fields, the
/// votes of the current round and the kinds of attachment present.
fn snapshot_of(
    pr_: &Process,
    row: &TicketRow,
    votes: &[VoteRow],
    attachments: BTreeSet<String>,
) -> TicketSnapshot {
    TicketSnapshot {
        state: row.state.clone(),
        fields: fields_from_json(pr_, &row.fields_json),
        approvals: votes
            .iter()
            .map(|v| ApprovalVote {
                approval_id: v.approval_id.clone(),
                pack_role: v.pack_role.clone(),
                user_id: v.user_id.clone(),
                approve: v.approve,
            })
            .collect(),
        attachments,
        requester_id: row.requester_id.clone(),
        assignee_id: row.assignee_id.clone(),
    }
}

struct Loaded {
    row: TicketRow,
    snapshot: TicketSnapshot,
    votes: Vec<VoteRow>,
}

async fn load(c: &mut DbConn, p: &Platform, pr: &Principal, id: &str) -> Result<Loaded, AppError> {
    let row = store::get(c, id)
        .await?
        .ok_or_else(|| AppError::not_found("工单"))?;
    if !can_see(pr, &row) {
        return Err(AppError::not_found("工单"));
    }
    let pk = pack(p, &row.pack_id, Some(&row.pack_version))?;
    let pr_ = process(pk, &row.process_id)?;
    let votes = store::votes_since(c, &row.id, row.state_since).await?;
    let attachments = store::attachments_of(c, &row.id)
        .await?
        .into_iter()
        .map(|a| a.kind)
        .collect();
    let snapshot = snapshot_of(pr_, &row, &votes, attachments);
    Ok(Loaded {
        row,
        snapshot,
        votes,
    })
}

// ---- timers ----

fn add_duration(
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

fn minutes_of(d: TimerDuration) -> i64 {
    match d {
        TimerDuration::WallClock(m) => i64::from(m),
        TimerDuration::CalendarDays(n) | TimerDuration::WorkingDays(n) => i64::from(n) * 24 * 60,
    }
}

/// A timer started now.
fn started_timer(
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
async fn apply_timers(
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
async fn due_summary(c: &mut DbConn, ticket_id: &str) -> Result<(Option<i64>, bool), AppError> {
    let timers = store::timers_of(c, ticket_id).await?;
    let due = timers
        .iter()
        .filter(|t| t.status == "running")
        .map(|t| t.due_at)
        .min();
    let overdue = timers.iter().any(|t| t.breached && t.status != "stopped");
    Ok((due, overdue))
}

// ---- opening ----

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct OpenInput {
    pub pack: String,
    pub process: String,
    pub title: String,
    /// Organisation the ticket belongs to; defaults to the caller's.
    #[serde(default)]
    pub org_id: Option<String>,
    /// Registered by staff for a caller (hotline): the requester's username.
    #[serde(default)]
    pub on_behalf_of: Option<String>,
    #[serde(default)]
    pub fields: Map<String, Value>,
}

pub fn validate_title(s: &str) -> Result<String, AppError> {
    yunwei_domain::text::clean_name(s, 200).map_err(|e| e.error("ticket.title_invalid", "标题"))
}

fn ticket_number(prefix: &str, now: DateTime<Utc>, n: i64) -> String {
    format!(
        "{prefix}-{}-{n:05}",
        yunwei_domain::calendar::date_in_shanghai(now).format("%Y%m%d")
    )
}

fn search_text(pr_: &Process, title: &str, fields: &Fields) -> String {
    let mut s = title.to_string();
    for f in &pr_.fields {
        if let Some(FieldValue::Text(v)) = fields.get(&f.id) {
            let shown = f
                .choice(v)
                .map(|c| c.label.clone())
                .unwrap_or_else(|| v.clone());
            s.push(' ');
            s.push_str(&shown);
        }
    }
    s
}

/// Keeps the ticket's search entry in step, in the same transaction.
async fn index(c: &mut DbConn, t: &TicketRow, body: &str) -> Result<(), AppError> {
    let title = format!("{} {}", t.number, t.title);
    let doc = crate::search::Document {
        doc_type: "ticket",
        doc_id: &t.id,
        org_path: &t.org_path,
        title: &title,
        body,
        updated_at: t.updated_at,
    };
    crate::search::index_document(c, &doc).await
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_ticket(
    p: &Platform,
    c: &mut DbConn,
    ctx: &Ctx,
    pr: &Principal,
    pk: &Pack,
    pr_: &Process,
    title: &str,
    org: &orgs::OrgRow,
    requester_id: &str,
    fields_in: &Fields,
    cal: &HolidayCalendar,
) -> Result<TicketRow, AppError> {
    let opening = engine::open(pr_, fields_in).map_err(refusal)?;
    let now = p.clock.now();
    let now_us = now.timestamp_micros();
    let prefix = pr_
        .number_prefix
        .clone()
        .unwrap_or_else(|| pr_.id.to_uppercase());
    let n = store::next_counter(c, &format!("ticket:{prefix}")).await?;
    let mut row = TicketRow {
        id: new_id(),
        number: ticket_number(&prefix, now, n),
        pack_id: pk.id.clone(),
        pack_version: pk.version.clone(),
        process_id: pr_.id.clone(),
        title: title.to_string(),
        state: opening.state.clone(),
        state_since: now_us,
        org_id: org.id.clone(),
        org_path: org.path.clone(),
        requester_id: requester_id.to_string(),
        assignee_id: None,
        fields_json: fields_to_json(&opening.fields),
        level: opening
            .fields
            .get("level")
            .and_then(|v| v.as_text())
            .map(str::to_string),
        created_at: now_us,
        updated_at: now_us,
        closed_at: None,
        due_at: None,
        overdue: false,
    };
    // A new ticket has no timers: the opening starts them, and its deadline
    // follows from them without reading them back.
    let timers: Vec<TimerRow> = opening
        .timers
        .iter()
        .filter(|op| matches!(op.op, TimerAction::Start | TimerAction::Restart))
        .filter_map(|op| pr_.timer(&op.timer_id))
        .map(|def| started_timer(cal, def, &row.id, now))
        .collect();
    row.due_at = timers.iter().map(|t| t.due_at).min();
    store::insert(c, &row).await?;
    for t in &timers {
        store::upsert_timer(c, t).await?;
    }
    store::insert_event(
        c,
        &EventRow {
            id: new_id(),
            ticket_id: row.id.clone(),
            at: now_us,
            actor_id: Some(pr.user_id.clone()),
            actor_name: pr.display_name.clone(),
            kind: "opened".into(),
            from_state: None,
            to_state: Some(row.state.clone()),
            label: format!("登记{}", pr_.name),
            body: String::new(),
        },
    )
    .await?;
    index(c, &row, &search_text(pr_, title, &opening.fields)).await?;
    record(
        p,
        c,
        ctx,
        Actor::User(pr),
        Event::success("ticket.open", "ticket", &row.id)
            .after(format!("{} {}（{}）", row.number, row.title, pr_.name)),
    )
    .await?;
    Ok(row)
}

/// Opens a ticket of a process of an enabled pack.
pub async fn open(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    input: &OpenInput,
) -> Result<TicketRow, AppError> {
    let title = validate_title(&input.title)?;
    let pk = pack(p, &input.pack, None)?;
    let pr_ = process(pk, &input.process)?;
    let mut fields = parse_fields(pr_, &input.fields)?;
    // The title is a column and, when the process declares it, a field.
    if pr_.field("title").is_some() {
        fields.insert("title".into(), FieldValue::Text(title.clone()));
    }
    let cal = crate::calendar::load(p).await?;
    // What the ticket refers to is read before the write transaction (an
    // organisation's path never changes; the references are checked again
    // by the foreign keys), so the writer's turn holds only the writes.
    let (org, requester) = {
        let mut c = p.db.read().await?;
        let org_id = input
            .org_id
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| pr.org_id.clone());
        let org = orgs::get(&mut c, &org_id)
            .await?
            .ok_or_else(|| AppError::not_found("机构"))?;
        pr.authorize(Action::BusinessOperate, &org.path)?;
        let requester = match input
            .on_behalf_of
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            Some(username) => {
                let u = ustore::by_username(&mut c, username.trim())
                    .await?
                    .ok_or_else(|| {
                        AppError::bad_request(
                            "ticket.requester_unknown",
                            format!("用户「{username}」不存在"),
                        )
                    })?;
                u.id
            }
            None => pr.user_id.clone(),
        };
        (org, requester)
    };
    in_tx!(p.db, |c| {
        insert_ticket(
            p, &mut c, ctx, pr, pk, pr_, &title, &org, &requester, &fields, &cal,
        )
        .await
    })
}

// ---- transitions and votes ----

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct TransitionInput {
    pub transition: String,
    #[serde(default)]
    pub fields: Map<String, Value>,
    #[serde(default)]
    pub comment: String,
    /// Username to assign the ticket to.
    #[serde(default)]
    pub assignee: Option<String>,
}

fn busy() -> AppError {
    AppError::conflict("ticket.changed", "工单已被他人处理，请刷新后重试")
}

async fn notify_users(
    c: &mut DbConn,
    users: &[String],
    ticket: &TicketRow,
    kind: &str,
    title: &str,
    body: &str,
    now_us: i64,
) -> Result<(), AppError> {
    let template = crate::notify::Notice {
        user_id: "",
        ticket_id: Some(&ticket.id),
        kind,
        title,
        body,
        at_us: now_us,
    };
    crate::notify::notify(c, users, &template).await
}

/// Takes a transition of the ticket's route.
pub async fn transition(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
    input: &TransitionInput,
) -> Result<TicketRow, AppError> {
    let cal = crate::calendar::load(p).await?;
    let comment = input.comment.trim().to_string();
    if comment.chars().count() > 4000 {
        return Err(AppError::bad_request(
            "ticket.comment_too_long",
            "说明不得超过4000字",
        ));
    }
    in_tx!(p.db, |c| {
        let Loaded { row, snapshot, .. } = load(&mut c, p, pr, id).await?;
        let pk = pack(p, &row.pack_id, Some(&row.pack_version))?;
        let pr_ = process(pk, &row.process_id)?;
        let fields = parse_fields(pr_, &input.fields)?;
        let actor = PackActor {
            user_id: pr.user_id.clone(),
            pack_roles: pack_roles(pk, pr, &row.org_path),
        };
        let now = p.clock.now();
        let now_us = now.timestamp_micros();
        let outcome = engine::apply(
            pr_,
            &snapshot,
            &input.transition,
            &actor,
            &fields,
            now,
            &CalendarDays(&cal),
        );
        let outcome = match outcome {
            Ok(o) => o,
            Err(r) => return Err(refusal(r)),
        };
        // The gates the pack names on the transition: a go-live plan, passed
        // pre-launch checks, the person an access request names (ADR 0010).
        let call = crate::hooks::HookCall {
            p,
            ctx,
            pr,
            ticket: &row,
            transition: &outcome.transition.id,
            fields: &outcome.fields,
            now_us,
        };
        crate::hooks::run_gates(&mut c, &call, outcome.transition.gates_for(&outcome.fields))
            .await?;
        let mut next = row.clone();
        if let Some(username) = input.assignee.as_deref().filter(|s| !s.trim().is_empty()) {
            let u = ustore::by_username(&mut c, username.trim())
                .await?
                .ok_or_else(|| {
                    AppError::bad_request(
                        "ticket.assignee_unknown",
                        format!("用户「{username}」不存在"),
                    )
                })?;
            next.assignee_id = Some(u.id);
        }
        let to_final = pr_.state(&outcome.to_state).is_some_and(|s| s.is_final);
        next.state = outcome.to_state.clone();
        if next.state != row.state {
            next.state_since = now_us;
        }
        next.fields_json = fields_to_json(&outcome.fields);
        next.level = outcome
            .fields
            .get("level")
            .and_then(|v| v.as_text())
            .map(str::to_string);
        next.updated_at = now_us.max(row.updated_at + 1);
        next.closed_at = if to_final { Some(now_us) } else { None };
        apply_timers(&mut c, &cal, pr_, &row.id, &outcome.timers, now).await?;
        let (due, overdue) = due_summary(&mut c, &row.id).await?;
        next.due_at = due;
        next.overdue = overdue;
        if !store::update(&mut c, &next, &row.state, row.updated_at).await? {
            return Err(busy());
        }
        // The effects the pack names, in this transaction: a CMDB link, a
        // temporary grant filed or revoked (ADR 0010).
        let call = crate::hooks::HookCall {
            ticket: &next,
            ..call
        };
        crate::hooks::run_effects(
            &mut c,
            &call,
            outcome.transition.effects_for(&outcome.fields),
        )
        .await?;
        let label = outcome.transition.label.clone();
        store::insert_event(
            &mut c,
            &EventRow {
                id: new_id(),
                ticket_id: row.id.clone(),
                at: now_us,
                actor_id: Some(pr.user_id.clone()),
                actor_name: pr.display_name.clone(),
                kind: "transition".into(),
                from_state: Some(row.state.clone()),
                to_state: Some(next.state.clone()),
                label: format!("{label}（{}）", outcome.transition.source),
                body: comment.clone(),
            },
        )
        .await?;
        // Conversions open the linked ticket of another process (JSCZ-21).
        for conv in &outcome.conversions {
            let target = process(pk, &conv.process)?;
            let conv_fields = conversion_fields(conv, &outcome.fields, target);
            let org = orgs::get(&mut c, &row.org_id)
                .await?
                .ok_or_else(AppError::internal)?;
            let created = insert_ticket(
                p,
                &mut c,
                ctx,
                pr,
                pk,
                target,
                &row.title,
                &org,
                &row.requester_id,
                &conv_fields,
                &cal,
            )
            .await?;
            store::insert_link(
                &mut c,
                &new_id(),
                &row.id,
                &created.id,
                "converted_to",
                now_us,
            )
            .await?;
            store::insert_event(
                &mut c,
                &EventRow {
                    id: new_id(),
                    ticket_id: row.id.clone(),
                    at: now_us,
                    actor_id: Some(pr.user_id.clone()),
                    actor_name: pr.display_name.clone(),
                    kind: "converted".into(),
                    from_state: None,
                    to_state: None,
                    label: format!("转为{} {}（{}）", target.name, created.number, conv.source),
                    body: String::new(),
                },
            )
            .await?;
        }
        let body = format!(
            "{} {}",
            search_text(pr_, &next.title, &outcome.fields),
            comment
        );
        index(&mut c, &next, &body).await?;
        // Closing records cause and solution as knowledge (EEDS-3.2.4).
        crate::knowledge::record_from_ticket(p, &mut c, ctx, pr, &next, &outcome.fields).await?;
        let mut to_notify = vec![next.requester_id.clone()];
        to_notify.extend(next.assignee_id.clone());
        to_notify.retain(|u| u != &pr.user_id);
        let state_label = pr_
            .state(&next.state)
            .map(|s| s.label.clone())
            .unwrap_or_default();
        notify_users(
            &mut c,
            &to_notify,
            &next,
            "transition",
            &format!("{} {}：{}", next.number, label, state_label),
            &comment,
            now_us,
        )
        .await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(pr),
            Event::success("ticket.transition", "ticket", &row.id)
                .before(row.state.clone())
                .after(format!(
                    "{} → {}（{}）",
                    label, next.state, outcome.transition.source
                ))
                .reason(comment.clone()),
        )
        .await?;
        Ok(next)
    })
}

/// Casts a vote on the approval open in the ticket's state.
pub async fn vote(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
    approval_id: &str,
    approve: bool,
    comment: &str,
) -> Result<TicketRow, AppError> {
    let cal = crate::calendar::load(p).await?;
    let comment = comment.trim().to_string();
    if !approve && comment.is_empty() {
        return Err(AppError::bad_request(
            "ticket.reject_reason_required",
            "驳回须填写意见",
        ));
    }
    in_tx!(p.db, |c| {
        let Loaded { row, snapshot, .. } = load(&mut c, p, pr, id).await?;
        let pk = pack(p, &row.pack_id, Some(&row.pack_version))?;
        let pr_ = process(pk, &row.process_id)?;
        let actor = PackActor {
            user_id: pr.user_id.clone(),
            pack_roles: pack_roles(pk, pr, &row.org_path),
        };
        let out = engine::vote(pr_, &snapshot, approval_id, &actor, approve).map_err(refusal)?;
        let now = p.clock.now();
        let now_us = now.timestamp_micros();
        store::insert_vote(
            &mut c,
            &VoteRow {
                id: new_id(),
                ticket_id: row.id.clone(),
                approval_id: approval_id.into(),
                pack_role: out.vote.pack_role.clone(),
                user_id: pr.user_id.clone(),
                approve,
                comment: comment.clone(),
                at: now_us,
            },
        )
        .await?;
        let mut next = row.clone();
        next.updated_at = now_us.max(row.updated_at + 1);
        if let Some(to) = &out.complete {
            next.state = to.clone();
            next.state_since = now_us.max(row.state_since + 1);
            next.closed_at = pr_.state(to).is_some_and(|s| s.is_final).then_some(now_us);
        }
        apply_timers(&mut c, &cal, pr_, &row.id, &out.timers, now).await?;
        let (due, overdue) = due_summary(&mut c, &row.id).await?;
        next.due_at = due;
        next.overdue = overdue;
        if !store::update(&mut c, &next, &row.state, row.updated_at).await? {
            return Err(busy());
        }
        crate::knowledge::record_from_ticket(p, &mut c, ctx, pr, &next, &snapshot.fields).await?;
        let approval = pr_.approval(approval_id).ok_or_else(AppError::internal)?;
        let verdict = if approve { "同意" } else { "驳回" };
        store::insert_event(
            &mut c,
            &EventRow {
                id: new_id(),
                ticket_id: row.id.clone(),
                at: now_us,
                actor_id: Some(pr.user_id.clone()),
                actor_name: pr.display_name.clone(),
                kind: "vote".into(),
                from_state: Some(row.state.clone()),
                to_state: out.complete.clone(),
                label: format!(
                    "{}：{}{}（{}）",
                    approval
                        .label
                        .clone()
                        .unwrap_or_else(|| approval.id.clone()),
                    pk.role_label(&out.vote.pack_role),
                    verdict,
                    approval.source
                ),
                body: comment.clone(),
            },
        )
        .await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(pr),
            Event::success("ticket.vote", "ticket", &row.id)
                .after(format!("{approval_id} {verdict}（{}）", approval.source))
                .reason(comment.clone()),
        )
        .await?;
        Ok(next)
    })
}

/// Adds a comment to the timeline.
pub async fn comment(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
    body: &str,
) -> Result<(), AppError> {
    let body = body.trim().to_string();
    if body.is_empty() || body.chars().count() > 4000 {
        return Err(AppError::bad_request(
            "ticket.comment_invalid",
            "评论不能为空，且不超过4000字",
        ));
    }
    in_tx!(p.db, |c| {
        let row = store::get(&mut c, id)
            .await?
            .ok_or_else(|| AppError::not_found("工单"))?;
        if !can_see(pr, &row) {
            return Err(AppError::not_found("工单"));
        }
        let now_us = p.now_us();
        store::insert_event(
            &mut c,
            &EventRow {
                id: new_id(),
                ticket_id: row.id.clone(),
                at: now_us,
                actor_id: Some(pr.user_id.clone()),
                actor_name: pr.display_name.clone(),
                kind: "comment".into(),
                from_state: None,
                to_state: None,
                label: "评论".into(),
                body: body.clone(),
            },
        )
        .await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(pr),
            Event::success("ticket.comment", "ticket", &row.id).after(body.clone()),
        )
        .await?;
        Ok(())
    })
}

/// Largest attachment accepted.
pub const MAX_ATTACHMENT_BYTES: usize = 20 * 1024 * 1024;

/// Stores a file content-addressed (by SM3) under the data directory and
/// records it as an attachment of `kind`. The file is written only after
/// the caller is found to see the ticket.
pub async fn attach(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
    kind: &str,
    filename: &str,
    content: &[u8],
) -> Result<store::AttachmentRow, AppError> {
    let kind = kind.trim();
    if kind.is_empty()
        || kind.len() > 50
        || !kind.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(AppError::bad_request(
            "ticket.attachment_kind",
            "附件类型无效",
        ));
    }
    let filename = yunwei_domain::text::clean_file_name(filename, 200)
        .map_err(|e| e.error("ticket.attachment_name", "文件名"))?;
    if content.is_empty() || content.len() > MAX_ATTACHMENT_BYTES {
        return Err(AppError::bad_request(
            "ticket.attachment_size",
            "附件不能为空，且不超过20MB",
        ));
    }
    let digest = hex::encode(p.crypto.sm3(content));
    in_tx!(p.db, |c| {
        let row = store::get(&mut c, id)
            .await?
            .ok_or_else(|| AppError::not_found("工单"))?;
        if !can_see(pr, &row) {
            return Err(AppError::not_found("工单"));
        }
        // Only now, with the ticket seen, does a byte reach the disk; the
        // row naming it follows in this transaction (issue 11).
        crate::files::store(p, &digest, content)?;
        let now_us = p.now_us();
        let a = store::AttachmentRow {
            id: new_id(),
            ticket_id: row.id.clone(),
            kind: kind.to_string(),
            filename: filename.clone(),
            sm3: digest.clone(),
            size: content.len() as i64,
            uploaded_by: pr.user_id.clone(),
            at: now_us,
        };
        store::insert_attachment(&mut c, &a).await?;
        store::insert_event(
            &mut c,
            &EventRow {
                id: new_id(),
                ticket_id: row.id.clone(),
                at: now_us,
                actor_id: Some(pr.user_id.clone()),
                actor_name: pr.display_name.clone(),
                kind: "attachment".into(),
                from_state: None,
                to_state: None,
                label: format!("上传附件（{kind}）"),
                body: filename.clone(),
            },
        )
        .await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(pr),
            Event::success("ticket.attach", "ticket", &row.id)
                .after(format!("{kind} {filename} SM3={digest}")),
        )
        .await?;
        Ok(a)
    })
}

/// An attachment's metadata and content, for those who may see the ticket.
pub async fn download(
    p: &Platform,
    pr: &Principal,
    attachment_id: &str,
) -> Result<(store::AttachmentRow, Vec<u8>), AppError> {
    let mut c = p.db.read().await?;
    let a = store::get_attachment(&mut c, attachment_id)
        .await?
        .ok_or_else(|| AppError::not_found("附件"))?;
    let t = store::get(&mut c, &a.ticket_id)
        .await?
        .ok_or_else(|| AppError::not_found("附件"))?;
    if !can_see(pr, &t) {
        return Err(AppError::not_found("附件"));
    }
    let bytes = crate::files::read(p, &a.sm3)?;
    Ok((a, bytes))
}

// ---- reading ----

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TicketSummary {
    pub id: String,
    pub number: String,
    pub pack: String,
    pub process: String,
    pub process_name: String,
    pub title: String,
    pub state: String,
    pub state_label: String,
    pub level: Option<String>,
    pub level_label: Option<String>,
    pub org_id: String,
    pub org_path: String,
    pub requester_id: String,
    pub assignee_id: Option<String>,
    pub created_at: i64,
    pub due_at: Option<i64>,
    pub overdue: bool,
    pub closed: bool,
}

pub fn summary(p: &Platform, t: &TicketRow) -> TicketSummary {
    let pk = pack(p, &t.pack_id, Some(&t.pack_version)).ok();
    let pr_ = pk.and_then(|pk| pk.process(&t.process_id));
    let state_label = pr_
        .and_then(|x| x.state(&t.state))
        .map(|s| s.label.clone())
        .unwrap_or_else(|| t.state.clone());
    let level_label = match (pr_.and_then(|x| x.field("level")), &t.level) {
        (Some(f), Some(l)) => f.choice(l).map(|c| c.label.clone()).or(Some(l.clone())),
        _ => t.level.clone(),
    };
    TicketSummary {
        id: t.id.clone(),
        number: t.number.clone(),
        pack: t.pack_id.clone(),
        process: t.process_id.clone(),
        process_name: pr_
            .map(|x| x.name.clone())
            .unwrap_or_else(|| t.process_id.clone()),
        title: t.title.clone(),
        state: t.state.clone(),
        state_label,
        level: t.level.clone(),
        level_label,
        org_id: t.org_id.clone(),
        org_path: t.org_path.clone(),
        requester_id: t.requester_id.clone(),
        assignee_id: t.assignee_id.clone(),
        created_at: t.created_at,
        due_at: t.due_at,
        overdue: t.overdue,
        closed: t.closed_at.is_some(),
    }
}

pub struct TicketPage {
    pub tickets: Vec<TicketSummary>,
    /// Matching tickets, counted up to [`store::COUNT_CAP`].
    pub total: i64,
    /// More than `total` tickets match (show "1000+"; filters narrow it).
    pub total_capped: bool,
}

pub async fn list(
    p: &Platform,
    pr: &Principal,
    f: &TicketFilter,
    page: u64,
    per_page: u64,
) -> Result<TicketPage, AppError> {
    if pr.must_change_password {
        return Err(AppError::new(
            ErrorKind::Forbidden,
            "auth.password_change_required",
            "请先修改初始密码",
        ));
    }
    let scope = pr.scope_for(Action::BusinessRead);
    let unassigned = pr.unassigned_ticket_scope();
    let per_page = per_page.clamp(1, 200);
    let mut c = p.db.read().await?;
    let (rows, total) = store::list(
        &mut c,
        &visible_to(pr, &scope, &unassigned),
        f,
        page.saturating_sub(1) * per_page,
        per_page,
    )
    .await?;
    Ok(TicketPage {
        tickets: rows.iter().map(|t| summary(p, t)).collect(),
        total: total.min(store::COUNT_CAP),
        total_capped: total > store::COUNT_CAP,
    })
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldShown {
    pub id: String,
    pub label: String,
    pub ty: &'static str,
    pub value: String,
    pub choices: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TransitionShown {
    pub id: String,
    pub label: String,
    pub to_label: String,
    pub source: String,
    pub require: Vec<FieldShown>,
    pub attachments: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApprovalShown {
    pub id: String,
    pub label: String,
    pub source: String,
    pub steps: Vec<(String, String)>,
    pub can_vote: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimerShown {
    pub label: String,
    pub source: String,
    pub status: String,
    pub due_at: i64,
    pub overdue: bool,
    pub warning: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StepShown {
    pub id: String,
    pub label: String,
    /// `done`, `current` or `todo`.
    pub status: &'static str,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TicketDetail {
    pub ticket: TicketSummary,
    pub pack_version: String,
    pub fields: Vec<FieldShown>,
    pub route: Vec<StepShown>,
    /// Who must act next, in words.
    pub next_actors: Vec<String>,
    pub transitions: Vec<TransitionShown>,
    pub approval: Option<ApprovalShown>,
    pub timers: Vec<TimerShown>,
    pub events: Vec<EventRow>,
    pub attachments: Vec<store::AttachmentRow>,
    pub links: Vec<(String, TicketSummary)>,
    pub requester_name: String,
    pub assignee_name: Option<String>,
    /// The hook names the process uses on any transition (ADR 0010): the
    /// ticket page shows a hook's panel by them.
    pub hooks: BTreeSet<String>,
}

fn show_value(f: &yunwei_domain::policy::model::Field, v: Option<&FieldValue>) -> String {
    match v {
        None => String::new(),
        Some(FieldValue::Text(s)) => f
            .choice(s)
            .map(|c| c.label.clone())
            .unwrap_or_else(|| s.clone()),
        Some(FieldValue::DateTime(t)) => t
            .with_timezone(&crate::export::cst())
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        Some(FieldValue::Bool(b)) => {
            if *b {
                "是".into()
            } else {
                "否".into()
            }
        }
        Some(v) => value_to_json(v).to_string().trim_matches('"').to_string(),
    }
}

fn field_shown(pr_: &Process, id: &str, fields: &Fields) -> Option<FieldShown> {
    let f = pr_.field(id)?;
    Some(FieldShown {
        id: f.id.clone(),
        label: f.label.clone(),
        ty: f.ty.as_str(),
        value: show_value(f, fields.get(id)),
        choices: f
            .choices
            .iter()
            .map(|c| (c.id.clone(), c.label.clone()))
            .collect(),
    })
}

/// The states along the ticket's route: those it has been in, then the
/// ones reachable from here in a simple forward walk.
fn route(pr_: &Process, events: &[EventRow], current: &str, fields: &Fields) -> Vec<StepShown> {
    let mut visited: Vec<String> = Vec::new();
    for e in events {
        if let Some(s) = &e.to_state {
            if !visited.contains(s) {
                visited.push(s.clone());
            }
        }
    }
    let mut steps: Vec<StepShown> = visited
        .iter()
        .map(|s| StepShown {
            id: s.clone(),
            label: pr_
                .state(s)
                .map(|x| x.label.clone())
                .unwrap_or_else(|| s.clone()),
            status: if s == current { "current" } else { "done" },
        })
        .collect();
    // Ahead: follow the first outgoing approval or transition whose
    // condition holds for the ticket's fields until a final state.
    let holds = |w: Option<&yunwei_domain::policy::Condition>| {
        yunwei_domain::policy::Condition::holds_opt(w, fields)
    };
    let mut at = current.to_string();
    for _ in 0..pr_.states.len() {
        if pr_.state(&at).is_some_and(|s| s.is_final) {
            break;
        }
        let next = pr_
            .approvals
            .iter()
            .find(|a| a.state == at && holds(a.when.as_ref()))
            .map(|a| a.approved.clone())
            .or_else(|| {
                pr_.transitions
                    .iter()
                    .find(|t| t.from.contains(&at) && t.to != at && holds(t.when.as_ref()))
                    .map(|t| t.to.clone())
            });
        let Some(n) = next else { break };
        if steps.iter().any(|s| s.id == n) {
            break;
        }
        steps.push(StepShown {
            id: n.clone(),
            label: pr_
                .state(&n)
                .map(|x| x.label.clone())
                .unwrap_or_else(|| n.clone()),
            status: "todo",
        });
        at = n;
    }
    steps
}

pub async fn detail(p: &Platform, pr: &Principal, id: &str) -> Result<TicketDetail, AppError> {
    let cal = crate::calendar::load(p).await?;
    let mut c = p.db.read().await?;
    let Loaded {
        row,
        snapshot,
        votes,
    } = load(&mut c, p, pr, id).await?;
    let pk = pack(p, &row.pack_id, Some(&row.pack_version))?;
    let pr_ = process(pk, &row.process_id)?;
    let roles = pack_roles(pk, pr, &row.org_path);
    let actor = PackActor {
        user_id: pr.user_id.clone(),
        pack_roles: roles,
    };
    let fields = engine::derive_fields(pr_, &snapshot.fields);
    let transitions = engine::available(pr_, &snapshot, &actor)
        .into_iter()
        .map(|t| TransitionShown {
            id: t.id.clone(),
            label: t.label.clone(),
            to_label: pr_
                .state(&t.to)
                .map(|s| s.label.clone())
                .unwrap_or_default(),
            source: t.source.clone(),
            // Conditional requirements (`required_if`) included, so the
            // form asks for everything the engine will check.
            require: engine::required_fields(pr_, t, &fields)
                .into_iter()
                .filter_map(|f| field_shown(pr_, f, &fields))
                .collect(),
            attachments: engine::required_attachments(pr_, t, &fields)
                .into_iter()
                .map(str::to_string)
                .collect(),
        })
        .collect();
    let approval = pr_.open_approval(&row.state, &fields).map(|a| {
        let voted: BTreeMap<&str, bool> = votes
            .iter()
            .filter(|v| v.approval_id == a.id)
            .map(|v| (v.pack_role.as_str(), v.approve))
            .collect();
        ApprovalShown {
            id: a.id.clone(),
            label: a.label.clone().unwrap_or_else(|| a.id.clone()),
            source: a.source.clone(),
            steps: a
                .steps
                .iter()
                .map(|s| {
                    let status = match voted.get(s.as_str()) {
                        Some(true) => "已同意",
                        Some(false) => "已驳回",
                        None => "待审批",
                    };
                    (pk.role_label(s).to_string(), status.to_string())
                })
                .collect(),
            can_vote: engine::vote(pr_, &snapshot, &a.id, &actor, true).is_ok(),
        }
    });
    let mut next_actors: Vec<String> = Vec::new();
    if let Some(a) = pr_.open_approval(&row.state, &fields) {
        for s in &a.steps {
            if !votes
                .iter()
                .any(|v| v.approval_id == a.id && &v.pack_role == s)
            {
                next_actors.push(format!("{}（审批）", pk.role_label(s)));
                if a.order == yunwei_domain::policy::model::ApprovalOrder::Sequential {
                    break;
                }
            }
        }
    }
    for t in pr_
        .transitions
        .iter()
        .filter(|t| t.from.contains(&row.state))
    {
        if yunwei_domain::policy::Condition::holds_opt(t.when.as_ref(), &fields) {
            for r in &t.roles {
                let l = format!("{}（{}）", pk.role_label(r), t.label);
                if !next_actors.contains(&l) {
                    next_actors.push(l);
                }
            }
        }
    }
    let now = p.clock.now().timestamp_micros();
    let timers = store::timers_of(&mut c, &row.id)
        .await?
        .into_iter()
        .filter(|t| t.status != "stopped")
        .filter_map(|t| {
            let def = pr_.timer(&t.timer_id)?;
            let crosses = match def.duration {
                TimerDuration::WorkingDays(n) => {
                    let start = chrono::TimeZone::timestamp_micros(&Utc, t.started_at).single()?;
                    cal.due_end_of_workdays(start, n).warning()
                }
                _ => None,
            };
            Some(TimerShown {
                label: def.label.clone(),
                source: def.source.clone(),
                status: t.status.clone(),
                due_at: t.due_at,
                overdue: t.breached || (t.status == "running" && t.due_at < now),
                warning: crosses,
            })
        })
        .collect();
    let events = store::events_of(&mut c, &row.id).await?;
    let attachments = store::attachments_of(&mut c, &row.id).await?;
    let mut links = Vec::new();
    for (kind, other) in store::links_of(&mut c, &row.id).await? {
        if let Some(t) = store::get(&mut c, &other).await? {
            if can_see(pr, &t) {
                links.push((kind, summary(p, &t)));
            }
        }
    }
    let name_of = |u: Option<ustore::UserRow>| u.map(|u| u.display_name).unwrap_or_default();
    let requester_name = name_of(ustore::get(&mut c, &row.requester_id).await?);
    let assignee_name = match &row.assignee_id {
        Some(a) => Some(name_of(ustore::get(&mut c, a).await?)),
        None => None,
    };
    Ok(TicketDetail {
        ticket: summary(p, &row),
        pack_version: row.pack_version.clone(),
        fields: pr_
            .fields
            .iter()
            .filter_map(|f| field_shown(pr_, &f.id, &fields))
            .collect(),
        route: route(pr_, &events, &row.state, &fields),
        next_actors,
        transitions,
        approval,
        timers,
        events,
        attachments,
        links,
        requester_name,
        assignee_name,
        hooks: pr_.hooks_used(),
    })
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
    let reason = crate::users::require_reason(reason)?;
    if pr.must_change_password {
        return Err(AppError::new(
            ErrorKind::Forbidden,
            "auth.password_change_required",
            "请先修改初始密码",
        ));
    }
    let scope = pr.scope_for(Action::BusinessRead);
    let unassigned = pr.unassigned_ticket_scope();
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
    let fmt = |us: Option<i64>| us.map(crate::export::fmt_us).unwrap_or_default();
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
                crate::export::fmt_us(s.created_at),
                fmt(s.due_at),
                if s.overdue {
                    "是".into()
                } else {
                    "否".into()
                },
            ]
        })
        .collect();
    let bytes = crate::export::table_xlsx(
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
    crate::export::audit_export(
        p,
        ctx,
        pr,
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
