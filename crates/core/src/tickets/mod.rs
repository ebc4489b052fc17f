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
use yunwei_domain::policy::model::{FieldType, Holder, PackRole, SetAtOpen, TimerDuration};
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

use crate::kernel::audit::{record, Actor, Event};
use crate::{Authorized, Ctx, Platform, Principal};

pub use yunwei_store::tickets::{Sort, SortKey, TicketFilter};

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
        // Money as text with its two decimals, never a JSON float.
        FieldValue::Money(m) => Value::String(format!("{m:.2}")),
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
        FieldType::Text | FieldType::LongText | FieldType::Choice | FieldType::Ci => {
            Some(FieldValue::Text(text))
        }
        FieldType::Integer => text.parse().ok().map(FieldValue::Integer),
        FieldType::Number => text
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(FieldValue::Number),
        FieldType::Money => yunwei_domain::policy::model::parse_money(&text).map(FieldValue::Money),
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
        if field.set_at_open.is_some() {
            return Err(AppError::bad_request(
                "ticket.field_set_by_platform",
                format!("「{}」由平台在登记时自动判定，无需填写", field.label),
            ));
        }
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

/// Refuses values no one can have entered truthfully: a `not_future`
/// date or time after now (an occurrence in the future).
pub fn check_values(pr: &Process, fields: &Fields, now: DateTime<Utc>) -> Result<(), AppError> {
    match pr.impossible_values(fields, now) {
        Some((_, message)) => Err(AppError::bad_request("ticket.field_impossible", message)),
        None => Ok(()),
    }
}

/// Whether the caller may name a configuration item of `org_path` as the
/// system a ticket concerns: an item it may read, or, for a vendor
/// engineer, one in the regions its vendor's contracts in force cover
/// (where it takes tickets, ADR 0009). The CI picker offers exactly these.
pub fn may_name_ci(pr: &Principal, org_path: &str) -> bool {
    pr.can(Action::BusinessRead, org_path) || pr.unassigned_ticket_scope().contains(org_path)
}

/// The configuration items the `ci` fields of `fields` name by code (or
/// id) that the caller may name ([`may_name_ci`]); each such value is
/// rewritten to the item's code. A value naming no such item stays as
/// typed: a system not (yet) in the CMDB, shown as such (ADR 0015).
pub(crate) async fn resolve_cis(
    c: &mut DbConn,
    pr: &Principal,
    pr_: &Process,
    fields: &mut Fields,
) -> Result<Vec<yunwei_store::cmdb::CiRow>, AppError> {
    let mut out: Vec<yunwei_store::cmdb::CiRow> = Vec::new();
    for f in pr_.ci_fields() {
        let Some(FieldValue::Text(named)) = fields.get(&f.id) else {
            continue;
        };
        let named = named.trim().to_string();
        let found = match yunwei_store::cmdb::ci_by_code(c, &named).await? {
            Some(a) => Some(a),
            None => yunwei_store::cmdb::get_ci(c, &named).await?,
        };
        if let Some(a) = found.filter(|a| may_name_ci(pr, &a.org_path)) {
            fields.insert(f.id.clone(), FieldValue::Text(a.code.clone()));
            if !out.iter().any(|o| o.id == a.id) {
                out.push(a);
            }
        }
    }
    Ok(out)
}

/// Links the ticket to the items unless it already is (the item's
/// 关联工单, the impact on the ticket page), each link audited, in the
/// caller's transaction.
pub(crate) async fn link_cis(
    p: &Platform,
    c: &mut DbConn,
    ctx: &Ctx,
    auth: Authorized<'_>,
    t: &TicketRow,
    cis: &[yunwei_store::cmdb::CiRow],
    now_us: i64,
) -> Result<(), AppError> {
    if cis.is_empty() {
        return Ok(());
    }
    let linked = yunwei_store::cmdb::cis_of_ticket(c, &t.id).await?;
    for a in cis {
        if linked.iter().any(|l| l.id == a.id) {
            continue;
        }
        let by = auth.principal().user_id.clone();
        yunwei_store::cmdb::link_ticket(c, &new_id(), &t.id, &a.id, &by, now_us).await?;
        record(
            p,
            c,
            ctx,
            Actor::User(auth),
            Event::success("cmdb.ticket_link", "ticket", &t.id).after(format!(
                "工单 {} 关联配置项 {} {}",
                t.number, a.code, a.name
            )),
        )
        .await?;
    }
    Ok(())
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
/// parent subtree. A pack role with a holder rule (`holder = "same_org"`
/// or `"same_level"`, ADR 0020) is held only through a grant lying where
/// the rule says relative to the ticket's level `level` (its region,
/// [`level_of`]); with no level known, never.
pub fn pack_roles(
    pk: &Pack,
    pr: &Principal,
    org_path: &str,
    level: Option<&str>,
) -> BTreeSet<String> {
    if pr.must_change_password {
        return BTreeSet::new();
    }
    let held: Vec<(&str, String)> = pr
        .grants
        .iter()
        .filter(|g| g.role.is_business())
        .filter_map(|g| {
            let scope = if g.role.is_vendor_side() {
                parent_path(&g.scope_path)
            } else {
                g.scope_path.clone()
            };
            let covers = if g.role.is_vendor_side() {
                org_path.starts_with(scope.as_str())
            } else {
                g.covers(org_path)
            };
            covers.then_some((g.role.as_str(), scope))
        })
        .collect();
    pk.pack_roles_on(held.iter().map(|(r, s)| (*r, s.as_str())), level)
}

/// The level of an organisation: the path of the nearest province, city
/// or county at or above it (walking up as `kernel::contracts` does), or
/// None when there is none. A ticket's level decides who holds the pack
/// roles with a holder rule (ADR 0020).
pub(crate) async fn level_of(c: &mut DbConn, org_path: &str) -> Result<Option<String>, AppError> {
    let ids: Vec<&str> = org_path.split('/').filter(|s| !s.is_empty()).collect();
    for id in ids.iter().rev() {
        if let Some(o) = orgs::get(c, id).await? {
            if matches!(o.kind.as_str(), "province" | "city" | "county") {
                return Ok(Some(o.path));
            }
        }
    }
    Ok(None)
}

/// The active users who hold any of `roles` for a ticket in `org_path`:
/// the grants of their platform roles covering it, where each role's
/// holder rule admits them (ADR 0020). Whoever is told a ticket is theirs,
/// or that its timer runs out, is one of these.
pub(crate) async fn holders_on(
    c: &mut DbConn,
    roles: &[&PackRole],
    org_path: &str,
) -> Result<Vec<String>, AppError> {
    let platform_roles: BTreeSet<String> = roles
        .iter()
        .flat_map(|r| r.platform.iter().cloned())
        .collect();
    let platform_roles: Vec<String> = platform_roles.into_iter().collect();
    let grants = ustore::grants_covering(c, &platform_roles, org_path).await?;
    let level = match roles.iter().any(|r| r.holder != Holder::Covering) {
        true => level_of(c, org_path).await?,
        false => None,
    };
    let mut users: Vec<String> = grants
        .into_iter()
        .filter(|(_, role, scope)| {
            roles
                .iter()
                .any(|r| r.platform.contains(role) && r.holder.admits(scope, level.as_deref()))
        })
        .map(|(user, _, _)| user)
        .collect();
    users.dedup();
    Ok(users)
}

fn parent_path(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rfind('/') {
        Some(i) => trimmed[..=i].to_string(),
        None => "/".into(),
    }
}

/// Whether the principal may see the ticket: exactly what the lists show
/// (`store::tickets::visibility`): tickets in the business-read scope or
/// owned by a team in it (a vendor sees what is routed to it),
/// those the caller filed or is assigned to, and for a vendor engineer the
/// unassigned tickets of the regions its vendor's contracts in force cover
/// (its intake queue, `JSCZ-21`). Nothing else by id.
pub(crate) fn can_see(pr: &Principal, t: &TicketRow) -> bool {
    pr.can(Action::BusinessRead, &t.org_path)
        || (pr.can(Action::ProjectReview, &t.org_path)
            && yunwei_domain::policy::embedded::reviewers_read()
                .iter()
                .any(|(pack, process)| *pack == t.pack_id && *process == t.process_id))
        || t.team_path
            .as_deref()
            .is_some_and(|tp| pr.can(Action::BusinessRead, tp))
        || (!pr.must_change_password
            && (t.requester_id == pr.user_id || t.assignee_id.as_deref() == Some(&pr.user_id)))
        || (t.assignee_id.is_none() && pr.unassigned_ticket_scope().contains(&t.org_path))
}

/// The proof that the caller may add to a ticket it sees (a comment, an
/// attachment).
fn seen_by<'a>(pr: &'a Principal, t: &TicketRow) -> Option<Authorized<'a>> {
    can_see(pr, t).then(|| Authorized::seen(pr))
}

/// What the caller's ticket lists show (`can_see` by id is the same).
fn visible_to<'a>(
    pr: &'a Principal,
    scope: &'a yunwei_store::Scope,
    unassigned: &'a yunwei_store::Scope,
    reviewed: &'a yunwei_store::Scope,
) -> store::Visible<'a> {
    store::Visible {
        scope,
        user_id: &pr.user_id,
        unassigned,
        reviewed,
        reviewed_processes: yunwei_domain::policy::embedded::reviewers_read(),
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

/// Most people told at once that a ticket is theirs to act on.
const MAX_TOLD: usize = 200;

/// Tells the people who may act on `t` in its state now (the pack roles of
/// its transitions and of the open approval's pending step, held over the
/// ticket's organisation; its requester or assignee where the pack names
/// them) that it is theirs to act on, with a link to the ticket, except
/// `actor_id`, who just acted. Returns who was told.
async fn tell_next_actors(
    c: &mut DbConn,
    pk: &Pack,
    pr_: &Process,
    t: &TicketRow,
    actor_id: &str,
    now_us: i64,
) -> Result<Vec<String>, AppError> {
    let votes = store::votes_since(c, &t.id, t.state_since).await?;
    let snapshot = snapshot_of(pr_, t, &votes, Default::default());
    let mut users = Vec::new();
    let mut pack_roles = Vec::new();
    for role in engine::next_roles(pr_, &snapshot) {
        match role.as_str() {
            yunwei_domain::policy::model::ROLE_REQUESTER => users.push(t.requester_id.clone()),
            yunwei_domain::policy::model::ROLE_ASSIGNEE => users.extend(t.assignee_id.clone()),
            _ => pack_roles.extend(pk.role(&role)),
        }
    }
    users.extend(holders_on(c, &pack_roles, &t.org_path).await?);
    users.sort();
    users.dedup();
    users.retain(|u| u != actor_id);
    users.truncate(MAX_TOLD);
    if users.is_empty() {
        return Ok(users);
    }
    let state_label = pr_.state(&t.state).map(|s| s.label.as_str()).unwrap_or("");
    let title = format!("待您处理：{} {}（{}）", t.number, t.title, state_label);
    // An approval (or any step) shows its deadline where one runs.
    let body = t
        .due_at
        .map(|d| format!("办理期限：{}", crate::kernel::export::fmt_minute(d)))
        .unwrap_or_default();
    let template = crate::kernel::notify::Notice {
        user_id: "",
        ticket_id: Some(&t.id),
        kind: "ticket_todo",
        title: &title,
        body: &body,
        at_us: now_us,
        link: None,
        due_at: t.due_at,
    };
    crate::kernel::notify::notify(c, &users, &template).await?;
    Ok(users)
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

mod assign;
mod named;
mod open;
mod pdf;
mod read;
mod timers;
mod transition;

pub use assign::*;
pub(crate) use named::check_named_tickets;
pub use open::*;
pub use pdf::*;
pub use read::*;
pub use timers::*;
pub use transition::*;
