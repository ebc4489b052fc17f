//! The workflow engine: a pure state machine over a checked [`Process`].
//!
//! Given a ticket's snapshot (state, fields, votes, attachments), the
//! actor's pack roles and the time, it lists the transitions the actor may
//! take and applies one, or records a vote, returning the new state, the
//! timer operations and conversions to perform, or a [`Refusal`] with a
//! stable code and the citation of the rule that refused.
//!
//! Timer operations are intents: the caller ignores `Stop`, `Pause` and
//! `Resume` on a timer that is not running and `Start` on one that is;
//! `Restart` stops the timer's current clock, if any, and starts a new one
//! with the full duration.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};

use super::condition::Condition;
use super::model::{
    Approval, ApprovalMode, ApprovalOrder, Conversion, FieldValue, Fields, Process, RequiredIf,
    Transition, ROLE_ASSIGNEE, ROLE_REQUESTER,
};

/// A vote already cast on an approval (of the current round: the caller
/// passes only the votes cast since the ticket last entered the approval's
/// state).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalVote {
    pub approval_id: String,
    /// The step's pack role the vote was cast in.
    pub pack_role: String,
    pub user_id: String,
    pub approve: bool,
}

/// What the engine needs to know about a ticket.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TicketSnapshot {
    pub state: String,
    pub fields: Fields,
    pub approvals: Vec<ApprovalVote>,
    /// Kinds of the attachments present (`backup`, `script`...).
    pub attachments: BTreeSet<String>,
    pub requester_id: String,
    pub assignee_id: Option<String>,
}

/// Who acts. The caller maps the user's platform roles to pack roles
/// ([`super::model::Pack::pack_roles_for`]); `requester` and `assignee` are
/// added here by comparing user ids.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Actor {
    pub user_id: String,
    pub pack_roles: BTreeSet<String>,
}

/// Working-day arithmetic (DESIGN.md section 6), implemented by the
/// calendar.
pub trait Workdays {
    /// The n-th working day strictly before `d` (`n = 0` returns `d`).
    fn sub_workdays(&self, d: NaiveDate, n: u32) -> NaiveDate;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerAction {
    Start,
    Stop,
    Pause,
    Resume,
    /// Stop the current clock (running or paused), if any, and start a new
    /// one with the full duration: a timer's `restart` transition.
    Restart,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerOp {
    pub timer_id: String,
    pub op: TimerAction,
}

/// The result of a transition.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome<'p> {
    pub transition: &'p Transition,
    pub to_state: String,
    /// The ticket's fields after merging the input and deriving.
    pub fields: Fields,
    pub timers: Vec<TimerOp>,
    pub conversions: Vec<&'p Conversion>,
    /// The approval that starts collecting votes in the new state.
    pub approval_opened: Option<String>,
}

/// The result of a vote.
#[derive(Debug, Clone, PartialEq)]
pub struct VoteOutcome {
    /// The vote to record (with the step role it counts for).
    pub vote: ApprovalVote,
    /// Set when the approval is decided: the state the ticket enters.
    pub complete: Option<String>,
    /// `Some(true)` approved, `Some(false)` rejected, `None` still open.
    pub approved: Option<bool>,
    pub timers: Vec<TimerOp>,
    /// An approval that opens in the state entered on completion.
    pub approval_opened: Option<String>,
}

/// Why the engine refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Stable code: `policy.unknown_transition`, `policy.wrong_state`,
    /// `policy.role`, `policy.condition`, `policy.invalid_field`,
    /// `policy.missing_field`, `policy.missing_attachment`,
    /// `policy.lead_time`, `policy.unknown_approval`,
    /// `policy.approval_not_open`, `policy.already_voted`, `policy.not_your_step`.
    pub code: &'static str,
    /// Chinese, for the user.
    pub message: String,
    /// Citation of the rule that refused.
    pub source: Option<String>,
}

impl Refusal {
    fn new(code: &'static str, message: String, source: Option<&str>) -> Refusal {
        Refusal {
            code,
            message,
            source: source.map(str::to_string),
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.source {
            Some(s) => write!(f, "{}（依据 {s}）", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Refusal {}

pub use crate::time::shanghai;

/// The calendar date in Asia/Shanghai of an instant.
pub fn date_shanghai(t: DateTime<Utc>) -> NaiveDate {
    crate::time::date_in_shanghai(t)
}

/// The actor's pack roles plus `requester` / `assignee` for this ticket.
fn effective_roles(ticket: &TicketSnapshot, actor: &Actor) -> BTreeSet<String> {
    let mut roles = actor.pack_roles.clone();
    if !actor.user_id.is_empty() {
        if actor.user_id == ticket.requester_id {
            roles.insert(ROLE_REQUESTER.to_string());
        }
        if ticket.assignee_id.as_deref() == Some(actor.user_id.as_str()) {
            roles.insert(ROLE_ASSIGNEE.to_string());
        }
    }
    roles
}

/// Recomputes the derived fields: for each `derive`, the first case whose
/// condition holds sets the value; other fields are unchanged.
pub fn derive_fields(process: &Process, fields: &Fields) -> Fields {
    let mut out = fields.clone();
    for d in &process.derives {
        let Some(field) = process.field(&d.field) else {
            continue;
        };
        if let Some(case) = d.cases.iter().find(|c| c.when.holds(&out)) {
            if let Some(v) = FieldValue::from_pack_literal(field.ty, &case.value) {
                out.insert(d.field.clone(), v);
            }
        }
    }
    out
}

/// The transitions the actor may take now: from the ticket's state, with a
/// role the actor holds, and whose condition holds on the current fields.
pub fn available<'p>(
    process: &'p Process,
    ticket: &TicketSnapshot,
    actor: &Actor,
) -> Vec<&'p Transition> {
    let roles = effective_roles(ticket, actor);
    let fields = derive_fields(process, &ticket.fields);
    process
        .transitions
        .iter()
        .filter(|t| t.from.contains(&ticket.state))
        .filter(|t| t.roles.iter().any(|r| roles.contains(r)))
        .filter(|t| !(t.exclude_requester && roles.contains(ROLE_REQUESTER)))
        .filter(|t| Condition::holds_opt(t.when.as_ref(), &fields))
        .collect()
}

/// The pack roles (and `requester` / `assignee`) that may act on the ticket
/// now: those of a transition out of its state whose condition holds, and
/// the steps of its open approval that may vote (the first pending one
/// when the order is sequential). Who is told that a ticket is theirs to
/// act on next.
pub fn next_roles(process: &Process, ticket: &TicketSnapshot) -> BTreeSet<String> {
    let fields = derive_fields(process, &ticket.fields);
    let mut out: BTreeSet<String> = process
        .transitions
        .iter()
        .filter(|t| t.from.contains(&ticket.state))
        .filter(|t| Condition::holds_opt(t.when.as_ref(), &fields))
        .flat_map(|t| t.roles.iter().cloned())
        .collect();
    if let Some(approval) = process.open_approval(&ticket.state, &fields) {
        let votes: Vec<&ApprovalVote> = ticket
            .approvals
            .iter()
            .filter(|v| v.approval_id == approval.id)
            .collect();
        let filled = filled_steps(approval, &votes);
        let pending = (0..approval.steps.len()).filter(|i| filled[*i].is_none());
        let steps: Vec<usize> = match approval.order {
            ApprovalOrder::Sequential => pending.take(1).collect(),
            ApprovalOrder::Parallel => pending.collect(),
        };
        out.extend(steps.into_iter().map(|i| approval.steps[i].clone()));
    }
    out
}

/// Checks the input against the process's field types.
pub fn validate_input(process: &Process, input: &Fields) -> Result<(), Refusal> {
    for (id, value) in input {
        let Some(field) = process.field(id) else {
            return Err(Refusal::new(
                "policy.invalid_field",
                format!("流程「{}」没有字段「{id}」", process.name),
                None,
            ));
        };
        if !value.fits(field.ty) {
            return Err(Refusal::new(
                "policy.invalid_field",
                format!(
                    "「{}」的值类型不正确，应为 {}",
                    field.label,
                    field.ty.as_str()
                ),
                field.source.as_deref(),
            ));
        }
        if let FieldValue::Text(s) = value {
            if field.ty == super::model::FieldType::Choice
                && value.is_set()
                && field.choice(s).is_none()
            {
                let all: Vec<&str> = field.choices.iter().map(|c| c.label.as_str()).collect();
                return Err(Refusal::new(
                    "policy.invalid_field",
                    format!(
                        "「{}」的取值「{s}」无效，可选：{}",
                        field.label,
                        all.join("、")
                    ),
                    field.source.as_deref(),
                ));
            }
        }
    }
    Ok(())
}

/// The transition's own list plus what the `required_if` rules whose
/// condition holds add (`pick` chooses fields or attachments), in order,
/// without repeats.
fn requirements<'p>(
    process: &'p Process,
    transition: &'p Transition,
    fields: &Fields,
    own: &'p [String],
    pick: impl Fn(&'p super::model::RequiredIf) -> &'p [String],
) -> Vec<&'p str> {
    let mut out: Vec<&str> = Vec::new();
    let conditional = process
        .required_ifs
        .iter()
        .filter(|r| r.transition == transition.id && r.when.holds(fields))
        .flat_map(pick);
    for x in own.iter().chain(conditional) {
        if !out.contains(&x.as_str()) {
            out.push(x);
        }
    }
    out
}

/// The fields `transition` needs with these fields (once the input is
/// merged and derived): its `require` plus those of the `required_if` rules
/// whose condition holds. For forms.
pub fn required_fields<'p>(
    process: &'p Process,
    transition: &'p Transition,
    fields: &Fields,
) -> Vec<&'p str> {
    requirements(process, transition, fields, &transition.require, |r| {
        &r.fields
    })
}

/// The attachment kinds `transition` needs with these fields: its
/// `attachments` plus those of the `required_if` rules whose condition
/// holds.
pub fn required_attachments<'p>(
    process: &'p Process,
    transition: &'p Transition,
    fields: &Fields,
) -> Vec<&'p str> {
    requirements(process, transition, fields, &transition.attachments, |r| {
        &r.attachments
    })
}

/// Takes a transition. Checks, in order: the transition exists and leaves
/// the ticket's state, the actor holds one of its roles, its condition
/// holds, the input fits the fields, the `require_input` fields are in the
/// input, the required fields are set (after merging the input and
/// deriving; `required_if` rules add theirs), the attachments exist, and
/// the lead times are met.
#[allow(clippy::too_many_arguments)]
pub fn apply<'p>(
    process: &'p Process,
    ticket: &TicketSnapshot,
    transition_id: &str,
    actor: &Actor,
    input: &Fields,
    now: DateTime<Utc>,
    workdays: &dyn Workdays,
) -> Result<Outcome<'p>, Refusal> {
    let Some(t) = process.transition(transition_id) else {
        return Err(Refusal::new(
            "policy.unknown_transition",
            format!("流程「{}」没有操作「{transition_id}」", process.name),
            None,
        ));
    };
    let src = Some(t.source.as_str());
    if !t.from.contains(&ticket.state) {
        let here = process
            .state(&ticket.state)
            .map(|s| s.label.as_str())
            .unwrap_or(&ticket.state);
        return Err(Refusal::new(
            "policy.wrong_state",
            format!("工单当前状态为「{here}」，不能执行「{}」", t.label),
            src,
        ));
    }
    let roles = effective_roles(ticket, actor);
    if !t.roles.iter().any(|r| roles.contains(r)) {
        return Err(Refusal::new(
            "policy.role",
            format!("「{}」只能由{}执行", t.label, role_list(process, &t.roles)),
            src,
        ));
    }
    if t.exclude_requester && roles.contains(ROLE_REQUESTER) {
        return Err(Refusal::new(
            "policy.role",
            format!("「{}」不能由申请人本人执行", t.label),
            src,
        ));
    }
    validate_input(process, input)?;
    let mut merged = ticket.fields.clone();
    merged.extend(input.iter().map(|(k, v)| (k.clone(), v.clone())));
    let fields = derive_fields(process, &merged);
    if let Some(when) = &t.when {
        if !when.holds(&fields) {
            return Err(Refusal::new(
                "policy.condition",
                format!("不满足「{}」的条件：{}", t.label, when.text),
                src,
            ));
        }
    }
    let label_of = |f: &'p str| process.field(f).map(|x| x.label.as_str()).unwrap_or(f);
    let stale: Vec<&str> = t
        .require_input
        .iter()
        .filter(|f| !input.get(*f).is_some_and(FieldValue::is_set))
        .map(|f| label_of(f))
        .collect();
    if !stale.is_empty() {
        return Err(Refusal::new(
            "policy.missing_field",
            format!("「{}」需要本次重新填写：{}", t.label, stale.join("、")),
            src,
        ));
    }
    let unset = |f: &&String| !fields.get(*f).is_some_and(FieldValue::is_set);
    let missing: Vec<&str> = t
        .require
        .iter()
        .filter(unset)
        .map(|f| label_of(f))
        .collect();
    if !missing.is_empty() {
        return Err(Refusal::new(
            "policy.missing_field",
            format!("「{}」需要填写：{}", t.label, missing.join("、")),
            src,
        ));
    }
    let conditional: Vec<&RequiredIf> = process
        .required_ifs
        .iter()
        .filter(|r| r.transition == t.id && r.when.holds(&fields))
        .collect();
    for r in &conditional {
        let missing: Vec<&str> = r.fields.iter().filter(unset).map(|f| label_of(f)).collect();
        if !missing.is_empty() {
            return Err(Refusal::new(
                "policy.missing_field",
                format!(
                    "「{}」在「{}」时还需要填写：{}",
                    t.label,
                    r.when.text,
                    missing.join("、")
                ),
                Some(&r.source),
            ));
        }
    }
    // Named in Chinese, never by their kind ids.
    let absent: Vec<String> = t
        .attachments
        .iter()
        .filter(|a| !ticket.attachments.contains(*a))
        .map(|a| crate::labels::attachment_kind_label(a))
        .collect();
    if !absent.is_empty() {
        return Err(Refusal::new(
            "policy.missing_attachment",
            format!("「{}」需要先上传附件：{}", t.label, absent.join("、")),
            src,
        ));
    }
    for r in &conditional {
        let absent: Vec<String> = r
            .attachments
            .iter()
            .filter(|a| !ticket.attachments.contains(*a))
            .map(|a| crate::labels::attachment_kind_label(a))
            .collect();
        if !absent.is_empty() {
            return Err(Refusal::new(
                "policy.missing_attachment",
                format!(
                    "「{}」在「{}」时需要先上传附件：{}",
                    t.label,
                    r.when.text,
                    absent.join("、")
                ),
                Some(&r.source),
            ));
        }
    }
    check_lead_times(process, t, &fields, now, workdays)?;

    let old = derive_fields(process, &ticket.fields);
    let timers = timer_ops(process, &ticket.state, &t.to, &old, &fields, Some(&t.id));
    let approval_opened = opened_approval(process, &ticket.state, &t.to, &fields);
    let conversions = process
        .conversions
        .iter()
        .filter(|c| c.transition == t.id)
        .collect();
    Ok(Outcome {
        transition: t,
        to_state: t.to.clone(),
        fields,
        timers,
        conversions,
        approval_opened,
    })
}

fn role_list(process: &Process, roles: &[String]) -> String {
    let labels: Vec<String> = roles
        .iter()
        .map(|r| format!("「{}」", role_label(process, r)))
        .collect();
    labels.join("或")
}

fn role_label<'a>(process: &'a Process, id: &'a str) -> &'a str {
    match id {
        ROLE_REQUESTER => "申请人",
        ROLE_ASSIGNEE => "处理人",
        other => process
            .role_labels
            .get(other)
            .map(String::as_str)
            .unwrap_or(other),
    }
}

/// DESIGN.md section 6: on time when `date(now) <= sub_workdays(date(P), N)`
/// in Asia/Shanghai; `N = 0` means any time before P (for a date field, any
/// time on or before that day).
fn check_lead_times(
    process: &Process,
    t: &Transition,
    fields: &Fields,
    now: DateTime<Utc>,
    workdays: &dyn Workdays,
) -> Result<(), Refusal> {
    for l in process.lead_times.iter().filter(|l| l.transition == t.id) {
        if !Condition::holds_opt(l.when.as_ref(), fields) {
            continue;
        }
        let label = process
            .field(&l.field)
            .map(|f| f.label.as_str())
            .unwrap_or(&l.field);
        let src = Some(l.source.as_str());
        let today = date_shanghai(now);
        let (on_time, planned) = match fields.get(&l.field) {
            Some(FieldValue::Date(p)) if l.working_days == 0 => (today <= *p, p.to_string()),
            Some(FieldValue::DateTime(p)) if l.working_days == 0 => (
                now <= *p,
                p.with_timezone(&shanghai())
                    .format("%Y-%m-%d %H:%M")
                    .to_string(),
            ),
            Some(FieldValue::Date(p)) => (
                today <= workdays.sub_workdays(*p, l.working_days),
                p.to_string(),
            ),
            Some(FieldValue::DateTime(p)) => (
                today <= workdays.sub_workdays(date_shanghai(*p), l.working_days),
                p.with_timezone(&shanghai())
                    .format("%Y-%m-%d %H:%M")
                    .to_string(),
            ),
            _ => {
                return Err(Refusal::new(
                    "policy.missing_field",
                    format!("「{}」需要填写：{label}", t.label),
                    src,
                ))
            }
        };
        if !on_time {
            let message = if l.working_days == 0 {
                format!("「{}」须在{label}（{planned}）之前提交", t.label)
            } else {
                format!(
                    "「{}」须至少提前 {} 个工作日提交：{label}为 {planned}，今天（{today}）已晚于最迟提交日 {}",
                    t.label,
                    l.working_days,
                    fields
                        .get(&l.field)
                        .and_then(|v| match v {
                            FieldValue::Date(p) => Some(*p),
                            FieldValue::DateTime(p) => Some(date_shanghai(*p)),
                            _ => None,
                        })
                        .map(|p| workdays.sub_workdays(p, l.working_days).to_string())
                        .unwrap_or_default()
                )
            };
            return Err(Refusal::new("policy.lead_time", message, src));
        }
    }
    Ok(())
}

/// Timer operations for moving from `left` to `entered`, and the approval
/// that opens in `entered` (the fields do not change: votes, opening).
pub fn enter(
    process: &Process,
    left: &str,
    entered: &str,
    fields: &Fields,
) -> (Vec<TimerOp>, Option<String>) {
    (
        timer_ops(process, left, entered, fields, fields, None),
        opened_approval(process, left, entered, fields),
    )
}

/// The approval that opens when the ticket enters `entered`.
fn opened_approval(
    process: &Process,
    left: &str,
    entered: &str,
    fields: &Fields,
) -> Option<String> {
    if left == entered {
        None
    } else {
        process.open_approval(entered, fields).map(|a| a.id.clone())
    }
}

/// Timer operations for moving from `left` (`""` when opening) to
/// `entered` by transition `via`, the fields changing from `old` to `new`.
///
/// - Entering a stop state stops the timer; entering a pause state (or a
///   waiting state, for wall-clock timers unless `waiting_pauses = false`)
///   pauses it; leaving one resumes
///   it (each only when leaving a state where the timer may be running);
///   entering a start state from a state where it cannot be running starts
///   it.
/// - A timer's `when` is read on the new fields. When an input makes it
///   stop holding (a fault reclassified from general to major), the timer
///   is stopped; when it starts holding while the ticket is where the timer
///   runs, the timer starts then (the reclassified fault's new clock). In a
///   state that pauses the timer no clock starts: reclassify while working.
/// - A `restart` transition that neither stops nor pauses the timer
///   restarts it with its full duration.
fn timer_ops(
    process: &Process,
    left: &str,
    entered: &str,
    old: &Fields,
    new: &Fields,
    via: Option<&str>,
) -> Vec<TimerOp> {
    use TimerAction::*;
    let waiting = |s: &str| process.state(s).is_some_and(|s| s.waiting);
    let mut ops = Vec::new();
    for timer in &process.timers {
        let applies = Condition::holds_opt(timer.when.as_ref(), new);
        let applied = !left.is_empty() && Condition::holds_opt(timer.when.as_ref(), old);
        let pauses = |s: &str| {
            timer.pause.iter().any(|p| p == s)
                || (timer.waiting_pauses && timer.duration.is_wall_clock() && waiting(s))
        };
        let in_start = |s: &str| timer.start.iter().any(|x| x == s);
        let in_stop = |s: &str| timer.stop.iter().any(|x| x == s);
        let op = if !applies {
            (applied && may_run_in(process, timer, left)).then_some(Stop)
        } else {
            // Stop, pause and resume only a timer that may be running (or
            // paused) where the ticket was.
            let ran = may_run_in(process, timer, left);
            let by_state = if in_stop(entered) && !in_stop(left) && ran {
                Some(Stop)
            } else if pauses(entered) && !pauses(left) && ran {
                Some(Pause)
            } else if pauses(left) && !pauses(entered) && !in_stop(entered) && ran {
                Some(Resume)
            } else if in_start(entered) && !in_start(left) && !ran {
                Some(Start)
            } else {
                None
            };
            let runs_here = !in_stop(entered) && !pauses(entered);
            if !left.is_empty() && !applied {
                // It did not apply before this input: nothing to pause or
                // resume; it starts if the ticket is now where it runs.
                match by_state {
                    Some(Start) => by_state,
                    Some(Stop) => None,
                    _ if runs_here && may_run_in(process, timer, entered) => Some(Start),
                    _ => None,
                }
            } else if via.is_some_and(|t| timer.restart.iter().any(|r| r == t)) && runs_here {
                match by_state {
                    None | Some(Resume) => Some(Restart),
                    other => other,
                }
            } else {
                by_state
            }
        };
        if let Some(op) = op {
            ops.push(TimerOp {
                timer_id: timer.id.clone(),
                op,
            });
        }
    }
    ops
}

/// Whether `timer` may be running (or paused) while the ticket is in
/// `state`: the state is reachable from one of its start states without
/// entering a stop state. Entering a start state from such a state does
/// not restart the timer.
pub(crate) fn may_run_in(process: &Process, timer: &super::model::Timer, state: &str) -> bool {
    let mut seen: BTreeSet<&str> = timer.start.iter().map(String::as_str).collect();
    let mut queue: Vec<&str> = seen.iter().copied().collect();
    while let Some(s) = queue.pop() {
        if s == state {
            return true;
        }
        let next = process
            .transitions
            .iter()
            .filter(|t| t.from.iter().any(|f| f == s))
            .map(|t| t.to.as_str())
            .chain(
                process
                    .approvals
                    .iter()
                    .filter(|a| a.state == s)
                    .flat_map(|a| [a.approved.as_str(), a.rejected.as_str()]),
            );
        for n in next {
            if !timer.stop.iter().any(|x| x == n) && seen.insert(n) {
                queue.push(n);
            }
        }
    }
    false
}

/// A new ticket: its initial state, derived fields, the timers started
/// there and the approval collected there.
#[derive(Debug, Clone, PartialEq)]
pub struct Opening {
    pub state: String,
    pub fields: Fields,
    pub timers: Vec<TimerOp>,
    pub approval_opened: Option<String>,
}

/// Opens a ticket with these fields.
pub fn open(process: &Process, input: &Fields) -> Result<Opening, Refusal> {
    validate_input(process, input)?;
    let fields = derive_fields(process, input);
    let initial = process.initial_state();
    let (timers, approval_opened) = enter(process, "", &initial.id, &fields);
    Ok(Opening {
        state: initial.id.clone(),
        fields,
        timers,
        approval_opened,
    })
}

/// The fields of the ticket a conversion opens in `target`: the `set`
/// values converted to the target's types, then the `copy` fields.
pub fn conversion_fields(conversion: &Conversion, source: &Fields, target: &Process) -> Fields {
    let mut out = Fields::new();
    for (k, v) in &conversion.set {
        if let Some(f) = target.field(k) {
            if let Some(v) = FieldValue::from_pack_literal(f.ty, v) {
                out.insert(k.clone(), v);
            }
        }
    }
    for k in &conversion.copy {
        if let Some(v) = source.get(k) {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

/// Which step of `approval` the actor may vote in now, if any.
fn votable_step(
    process: &Process,
    approval: &Approval,
    votes: &[&ApprovalVote],
    roles: &BTreeSet<String>,
) -> Result<usize, Refusal> {
    let filled = filled_steps(approval, votes);
    let pending: Vec<usize> = (0..approval.steps.len())
        .filter(|i| filled[*i].is_none())
        .collect();
    let candidates: Vec<usize> = match approval.order {
        ApprovalOrder::Sequential => pending.first().copied().into_iter().collect(),
        ApprovalOrder::Parallel => pending.clone(),
    };
    candidates
        .iter()
        .copied()
        .find(|i| roles.contains(&approval.steps[*i]))
        .ok_or_else(|| {
            let who: Vec<&str> = candidates
                .iter()
                .map(|i| role_label(process, &approval.steps[*i]))
                .collect();
            Refusal::new(
                "policy.not_your_step",
                format!("当前应由「{}」审批", who.join("」或「")),
                Some(&approval.source),
            )
        })
}

/// For each step, the vote that fills it (votes fill the first free step
/// of their role, in the order cast).
fn filled_steps(approval: &Approval, votes: &[&ApprovalVote]) -> Vec<Option<bool>> {
    let mut filled: Vec<Option<bool>> = vec![None; approval.steps.len()];
    for v in votes {
        if let Some(i) = (0..approval.steps.len())
            .find(|i| filled[*i].is_none() && approval.steps[*i] == v.pack_role)
        {
            filled[i] = Some(v.approve);
        }
    }
    filled
}

/// The decision once the votes are in: `Some(true)` approved,
/// `Some(false)` rejected, `None` open.
fn decision(approval: &Approval, filled: &[Option<bool>]) -> Option<bool> {
    match approval.mode {
        ApprovalMode::All => {
            if filled.contains(&Some(false)) {
                Some(false)
            } else if filled.iter().all(|f| *f == Some(true)) {
                Some(true)
            } else {
                None
            }
        }
        ApprovalMode::Any => {
            if filled.contains(&Some(true)) {
                Some(true)
            } else if filled.iter().all(|f| *f == Some(false)) {
                Some(false)
            } else {
                None
            }
        }
    }
}

/// Casts a vote on the approval open in the ticket's state.
///
/// `all`: every step must approve, one rejection decides `rejected`.
/// `any`: one approval decides `approved`; `rejected` when every step
/// rejected. `sequential`: only the first undecided step may vote;
/// `parallel`: any undecided step. A user votes at most once per approval.
pub fn vote(
    process: &Process,
    ticket: &TicketSnapshot,
    approval_id: &str,
    actor: &Actor,
    approve: bool,
) -> Result<VoteOutcome, Refusal> {
    let Some(approval) = process.approval(approval_id) else {
        return Err(Refusal::new(
            "policy.unknown_approval",
            format!("流程「{}」没有审批「{approval_id}」", process.name),
            None,
        ));
    };
    let src = Some(approval.source.as_str());
    let fields = derive_fields(process, &ticket.fields);
    let open = process.open_approval(&ticket.state, &fields);
    if open.map(|a| a.id.as_str()) != Some(approval_id) {
        return Err(Refusal::new(
            "policy.approval_not_open",
            "工单当前不在该审批环节".to_string(),
            src,
        ));
    }
    let votes: Vec<&ApprovalVote> = ticket
        .approvals
        .iter()
        .filter(|v| v.approval_id == approval_id)
        .collect();
    if votes.iter().any(|v| v.user_id == actor.user_id) {
        return Err(Refusal::new(
            "policy.already_voted",
            "同一审批中每人只能审批一次，下一环节须由其他人审批".to_string(),
            src,
        ));
    }
    let roles = effective_roles(ticket, actor);
    if approval.exclude_requester && roles.contains(ROLE_REQUESTER) {
        return Err(Refusal::new(
            "policy.role",
            "申请人本人不能审批自己提出的申请".to_string(),
            src,
        ));
    }
    let step = votable_step(process, approval, &votes, &roles)?;
    let vote = ApprovalVote {
        approval_id: approval_id.to_string(),
        pack_role: approval.steps[step].clone(),
        user_id: actor.user_id.clone(),
        approve,
    };
    let mut all_votes = votes;
    all_votes.push(&vote);
    let filled = filled_steps(approval, &all_votes);
    let decided = decision(approval, &filled);
    let (complete, timers, approval_opened) = match decided {
        None => (None, Vec::new(), None),
        Some(ok) => {
            let to = if ok {
                &approval.approved
            } else {
                &approval.rejected
            };
            let (timers, opened) = enter(process, &ticket.state, to, &fields);
            (Some(to.clone()), timers, opened)
        }
    };
    Ok(VoteOutcome {
        vote,
        complete,
        approved: decided,
        timers,
        approval_opened,
    })
}

#[cfg(test)]
mod tests {
    use chrono::{Datelike, TimeZone, Weekday};

    use super::*;
    use crate::policy::check::load_pack;
    use crate::policy::model::Pack;

    const PACK: &str = r#"id = "t"
name = "测试包"
version = "1"
[roles.lead]
label = "负责人"
platform = ["project_lead"]
[roles.boss]
label = "主任"
platform = ["director"]
"#;

    const PROC: &str = r#"id = "t"
name = "测试流程"

[[field]]
id = "level"
label = "级别"
type = "choice"
choices = { major = "重大", minor = "一般" }
source = "JSCZ-25"
[[field]]
id = "pct"
label = "比例"
type = "number"
[[field]]
id = "start"
label = "计划日期"
type = "date"
[[field]]
id = "note"
label = "说明"
type = "text"

[[derive]]
field = "level"
cases = [{ when = "pct >= 50", value = "major" }, { when = "pct is set", value = "minor" }]
source = "JSCZ-30"

[[state]]
id = "new"
label = "新建"
initial = true
[[state]]
id = "open"
label = "处理中"
[[state]]
id = "waiting"
label = "等待用户"
waiting = true
[[state]]
id = "held"
label = "挂起"
[[state]]
id = "review"
label = "审批"
[[state]]
id = "review_any"
label = "任一审批"
[[state]]
id = "done"
label = "完成"
final = true
[[state]]
id = "rejected"
label = "驳回"
final = true

[[transition]]
id = "submit"
label = "提交"
from = ["new"]
to = "open"
roles = ["requester"]
require = ["note", "start"]
source = "JSCZ-26"
[[transition]]
id = "wait"
label = "等待用户"
from = ["open"]
to = "waiting"
roles = ["assignee"]
source = "JSCZ-26"
[[transition]]
id = "back"
label = "用户答复"
from = ["waiting"]
to = "open"
roles = ["requester"]
source = "JSCZ-26"
[[transition]]
id = "hold"
label = "挂起"
from = ["open"]
to = "held"
roles = ["lead"]
source = "JSCZ-26"
[[transition]]
id = "unhold"
label = "恢复"
from = ["held"]
to = "open"
roles = ["lead"]
source = "JSCZ-26"
[[transition]]
id = "escalate"
label = "上报审批"
from = ["open"]
to = "review"
roles = ["lead"]
when = "level == 'major'"
source = "JSCZ-26"
[[transition]]
id = "ask_any"
label = "任一审批"
from = ["open"]
to = "review_any"
roles = ["lead"]
source = "JSCZ-26"
[[transition]]
id = "finish"
label = "办结"
from = ["open"]
to = "done"
roles = ["assignee"]
attachments = ["report"]
source = "JSCZ-26"

[[approval]]
id = "seq"
state = "review"
steps = ["lead", "boss"]
mode = "all"
order = "sequential"
approved = "done"
rejected = "rejected"
source = "JSCZ-26"
[[approval]]
id = "par"
state = "review_any"
steps = ["lead", "boss"]
mode = "any"
order = "parallel"
approved = "done"
rejected = "rejected"
source = "JSCZ-26"

[[timer]]
id = "respond"
label = "响应"
start = ["open"]
stop = ["done", "rejected"]
duration = "30m"
source = "NTCZ-6.1.2"
[[timer]]
id = "resolve"
label = "解决"
start = ["open"]
stop = ["done"]
pause = ["held"]
duration = "2wd"
when = "level == 'major'"
source = "NTCZ-6.1.2"

[[lead_time]]
transition = "submit"
field = "start"
working_days = 2
when = "level == 'major'"
source = "JSCZ-27"
[[lead_time]]
transition = "submit"
field = "start"
working_days = 0
when = "level == 'minor'"
source = "JSCZ-27"

[[conversion]]
transition = "finish"
process = "t"
set = { level = "minor", pct = "5" }
copy = ["note"]
source = "JSCZ-21"
"#;

    /// Weekends only; no holidays.
    struct Weekends;

    impl Workdays for Weekends {
        fn sub_workdays(&self, mut d: NaiveDate, mut n: u32) -> NaiveDate {
            while n > 0 {
                d = d.pred_opt().expect("date");
                if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                    n -= 1;
                }
            }
            d
        }
    }

    fn pack() -> Pack {
        load_pack(&[
            ("pack.toml".into(), PACK.into()),
            ("t.toml".into(), PROC.into()),
        ])
        .unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn text(s: &str) -> FieldValue {
        FieldValue::Text(s.into())
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// `h:mm` Asia/Shanghai on a date, as UTC.
    fn sh(d: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
        shanghai()
            .from_local_datetime(&d.and_hms_opt(h, m, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc)
    }

    fn fields(pairs: &[(&str, FieldValue)]) -> Fields {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn ticket(state: &str, f: Fields) -> TicketSnapshot {
        TicketSnapshot {
            state: state.into(),
            fields: f,
            requester_id: "req".into(),
            assignee_id: Some("asg".into()),
            ..Default::default()
        }
    }

    fn actor(user: &str, roles: &[&str]) -> Actor {
        Actor {
            user_id: user.into(),
            pack_roles: roles.iter().map(|r| r.to_string()).collect(),
        }
    }

    fn ops(o: &[TimerOp]) -> Vec<(&str, TimerAction)> {
        o.iter().map(|t| (t.timer_id.as_str(), t.op)).collect()
    }

    #[test]
    fn derive_first_matching_case_wins() {
        let p = pack();
        let pr = &p.processes[0];
        let d = derive_fields(pr, &fields(&[("pct", FieldValue::Number(50.0))]));
        assert_eq!(d["level"], text("major"));
        let d = derive_fields(pr, &fields(&[("pct", FieldValue::Integer(3))]));
        assert_eq!(d["level"], text("minor"));
        // No case holds: the field keeps its value (here: absent).
        assert!(!derive_fields(pr, &Fields::new()).contains_key("level"));
    }

    #[test]
    fn available_filters_state_role_and_condition() {
        let p = pack();
        let pr = &p.processes[0];
        let t = ticket("open", fields(&[("pct", FieldValue::Number(10.0))]));
        let ids = |a: &Actor, t: &TicketSnapshot| -> Vec<String> {
            available(pr, t, a).iter().map(|t| t.id.clone()).collect()
        };
        assert_eq!(ids(&actor("x", &["lead"]), &t), ["hold", "ask_any"]);
        assert_eq!(ids(&actor("asg", &[]), &t), ["wait", "finish"]);
        assert!(ids(&actor("req", &[]), &t).is_empty());
        let major = ticket("open", fields(&[("pct", FieldValue::Number(90.0))]));
        assert_eq!(
            ids(&actor("x", &["lead"]), &major),
            ["hold", "escalate", "ask_any"]
        );
    }

    #[test]
    fn next_roles_are_those_of_the_state_and_the_pending_step() {
        let p = pack();
        let pr = &p.processes[0];
        let set = |r: &[&str]| -> BTreeSet<String> { r.iter().map(|s| s.to_string()).collect() };
        // A minor ticket in progress: the lead's transitions, the assignee's.
        let minor = ticket("open", fields(&[("pct", FieldValue::Number(10.0))]));
        assert_eq!(next_roles(pr, &minor), set(&["assignee", "lead"]));
        // Sequential approval: only the first pending step, then the next.
        let mut review = ticket("review", fields(&[("pct", FieldValue::Number(90.0))]));
        assert_eq!(next_roles(pr, &review), set(&["lead"]));
        review.approvals.push(ApprovalVote {
            approval_id: "seq".into(),
            pack_role: "lead".into(),
            user_id: "l".into(),
            approve: true,
        });
        assert_eq!(next_roles(pr, &review), set(&["boss"]));
        // Parallel approval: every pending step.
        let any = ticket("review_any", fields(&[("pct", FieldValue::Number(90.0))]));
        assert_eq!(next_roles(pr, &any), set(&["boss", "lead"]));
        // A final state: nobody.
        assert!(next_roles(pr, &ticket("done", Fields::new())).is_empty());
    }

    #[test]
    fn apply_checks_in_order() {
        let p = pack();
        let pr = &p.processes[0];
        let now = sh(date(2026, 11, 23), 9, 0);
        let req = actor("req", &[]);
        let new = ticket("new", Fields::new());
        let code = |r: Result<Outcome, Refusal>| r.map(|_| ()).unwrap_err().code;

        let r = apply(pr, &new, "nope", &req, &Fields::new(), now, &Weekends);
        assert_eq!(code(r), "policy.unknown_transition");
        let r = apply(pr, &new, "hold", &req, &Fields::new(), now, &Weekends);
        assert_eq!(code(r), "policy.wrong_state");
        let r = apply(
            pr,
            &new,
            "submit",
            &actor("x", &["lead"]),
            &Fields::new(),
            now,
            &Weekends,
        );
        let refusal = r.unwrap_err();
        assert_eq!(refusal.code, "policy.role");
        assert!(refusal.message.contains("「申请人」"), "{refusal}");
        assert_eq!(refusal.source.as_deref(), Some("JSCZ-26"));

        let bad = fields(&[("level", text("huge"))]);
        let r = apply(pr, &new, "submit", &req, &bad, now, &Weekends);
        assert_eq!(code(r), "policy.invalid_field");
        let bad = fields(&[("pct", text("many"))]);
        let r = apply(pr, &new, "submit", &req, &bad, now, &Weekends);
        assert_eq!(code(r), "policy.invalid_field");
        let bad = fields(&[("colour", text("red"))]);
        let r = apply(pr, &new, "submit", &req, &bad, now, &Weekends);
        assert_eq!(code(r), "policy.invalid_field");

        let r = apply(
            pr,
            &new,
            "submit",
            &req,
            &fields(&[("note", text(" "))]),
            now,
            &Weekends,
        );
        let refusal = r.unwrap_err();
        assert_eq!(refusal.code, "policy.missing_field");
        assert!(refusal.message.contains("说明、计划日期"), "{refusal}");

        let open = ticket("open", fields(&[("pct", FieldValue::Number(90.0))]));
        let r = apply(
            pr,
            &open,
            "escalate",
            &actor("x", &["lead"]),
            &Fields::new(),
            now,
            &Weekends,
        );
        assert!(r.is_ok());
        let minor = ticket("open", fields(&[("pct", FieldValue::Number(1.0))]));
        let r = apply(
            pr,
            &minor,
            "escalate",
            &actor("x", &["lead"]),
            &Fields::new(),
            now,
            &Weekends,
        );
        assert_eq!(code(r), "policy.condition");
        // Input takes part in the condition (merged and derived first).
        let r = apply(
            pr,
            &minor,
            "escalate",
            &actor("x", &["lead"]),
            &fields(&[("pct", FieldValue::Number(60.0))]),
            now,
            &Weekends,
        );
        assert_eq!(r.unwrap().fields["level"], text("major"));

        let r = apply(
            pr,
            &open,
            "finish",
            &actor("asg", &[]),
            &Fields::new(),
            now,
            &Weekends,
        );
        let refusal = r.unwrap_err();
        assert_eq!(refusal.code, "policy.missing_attachment");
        assert!(refusal.message.contains("报告"), "{refusal}");
        let mut with_report = open.clone();
        with_report.attachments.insert("report".into());
        let out = apply(
            pr,
            &with_report,
            "finish",
            &actor("asg", &[]),
            &Fields::new(),
            now,
            &Weekends,
        )
        .unwrap();
        assert_eq!(out.to_state, "done");
        assert_eq!(out.conversions.len(), 1);
        let converted = conversion_fields(out.conversions[0], &fields(&[("note", text("n"))]), pr);
        assert_eq!(converted["level"], text("minor"));
        assert_eq!(converted["pct"], FieldValue::Number(5.0));
        assert_eq!(converted["note"], text("n"));
    }

    #[test]
    fn lead_time_in_working_days_in_shanghai() {
        let p = pack();
        let pr = &p.processes[0];
        let req = actor("req", &[]);
        let new = ticket("new", Fields::new());
        // Planned Wednesday 2026-11-25: two working days before is Monday 23rd.
        let input = |pct: f64, d: NaiveDate| {
            fields(&[
                ("note", text("n")),
                ("pct", FieldValue::Number(pct)),
                ("start", FieldValue::Date(d)),
            ])
        };
        let wed = date(2026, 11, 25);
        let monday_late = sh(date(2026, 11, 23), 23, 59);
        assert!(apply(
            pr,
            &new,
            "submit",
            &req,
            &input(90.0, wed),
            monday_late,
            &Weekends
        )
        .is_ok());
        // 00:30 Tuesday in Shanghai is still Monday in UTC: Shanghai decides.
        let tuesday_early = sh(date(2026, 11, 24), 0, 30);
        assert_eq!(date_shanghai(tuesday_early), date(2026, 11, 24));
        let refusal = apply(
            pr,
            &new,
            "submit",
            &req,
            &input(90.0, wed),
            tuesday_early,
            &Weekends,
        )
        .unwrap_err();
        assert_eq!(refusal.code, "policy.lead_time");
        assert_eq!(refusal.source.as_deref(), Some("JSCZ-27"));
        assert!(refusal.message.contains("2026-11-23"), "{refusal}");
        // Planned Monday 30th: two working days before skips the weekend.
        let friday = sh(date(2026, 11, 26), 10, 0);
        assert!(apply(
            pr,
            &new,
            "submit",
            &req,
            &input(90.0, date(2026, 11, 30)),
            friday,
            &Weekends
        )
        .is_ok());
        let friday = sh(date(2026, 11, 27), 10, 0);
        assert!(apply(
            pr,
            &new,
            "submit",
            &req,
            &input(90.0, date(2026, 11, 30)),
            friday,
            &Weekends
        )
        .is_err());
        // N = 0: any time up to the planned day.
        let same_day = sh(wed, 18, 0);
        assert!(apply(
            pr,
            &new,
            "submit",
            &req,
            &input(1.0, wed),
            same_day,
            &Weekends
        )
        .is_ok());
        let day_after = sh(date(2026, 11, 26), 8, 0);
        assert!(apply(
            pr,
            &new,
            "submit",
            &req,
            &input(1.0, wed),
            day_after,
            &Weekends
        )
        .is_err());
    }

    #[test]
    fn timers_start_pause_resume_stop() {
        let p = pack();
        let pr = &p.processes[0];
        let now = sh(date(2026, 11, 2), 9, 0);
        let major = fields(&[
            ("note", text("n")),
            ("pct", FieldValue::Number(90.0)),
            ("start", FieldValue::Date(date(2026, 12, 31))),
        ]);
        let new = ticket("new", Fields::new());
        let out = apply(
            pr,
            &new,
            "submit",
            &actor("req", &[]),
            &major,
            now,
            &Weekends,
        )
        .unwrap();
        use TimerAction::*;
        assert_eq!(ops(&out.timers), [("respond", Start), ("resolve", Start)]);

        let open = ticket("open", out.fields.clone());
        // A waiting state pauses wall-clock timers only.
        let out = apply(
            pr,
            &open,
            "wait",
            &actor("asg", &[]),
            &Fields::new(),
            now,
            &Weekends,
        )
        .unwrap();
        assert_eq!(ops(&out.timers), [("respond", Pause)]);
        let waiting = ticket("waiting", out.fields.clone());
        let out = apply(
            pr,
            &waiting,
            "back",
            &actor("req", &[]),
            &Fields::new(),
            now,
            &Weekends,
        )
        .unwrap();
        assert_eq!(ops(&out.timers), [("respond", Resume)]);
        // `pause` states pause the timers that list them.
        let out = apply(
            pr,
            &open,
            "hold",
            &actor("l", &["lead"]),
            &Fields::new(),
            now,
            &Weekends,
        )
        .unwrap();
        assert_eq!(ops(&out.timers), [("resolve", Pause)]);
        let held = ticket("held", out.fields.clone());
        let out = apply(
            pr,
            &held,
            "unhold",
            &actor("l", &["lead"]),
            &Fields::new(),
            now,
            &Weekends,
        )
        .unwrap();
        assert_eq!(ops(&out.timers), [("resolve", Resume)]);
        let mut done = open.clone();
        done.attachments.insert("report".into());
        let out = apply(
            pr,
            &done,
            "finish",
            &actor("asg", &[]),
            &Fields::new(),
            now,
            &Weekends,
        )
        .unwrap();
        assert_eq!(ops(&out.timers), [("respond", Stop), ("resolve", Stop)]);

        // The `when` of a timer: a minor ticket has no resolution timer.
        let minor = fields(&[
            ("note", text("n")),
            ("pct", FieldValue::Number(1.0)),
            ("start", FieldValue::Date(date(2026, 12, 31))),
        ]);
        let out = apply(
            pr,
            &new,
            "submit",
            &actor("req", &[]),
            &minor,
            now,
            &Weekends,
        )
        .unwrap();
        assert_eq!(ops(&out.timers), [("respond", Start)]);
    }

    #[test]
    fn open_uses_the_initial_state() {
        let p = pack();
        let o = open(
            &p.processes[0],
            &fields(&[("pct", FieldValue::Integer(70))]),
        )
        .unwrap();
        assert_eq!(o.state, "new");
        assert_eq!(o.fields["level"], text("major"));
        assert!(o.timers.is_empty());
        assert!(open(&p.processes[0], &fields(&[("pct", text("x"))])).is_err());
    }

    #[test]
    fn sequential_all_approval() {
        let p = pack();
        let pr = &p.processes[0];
        let f = fields(&[("pct", FieldValue::Number(90.0))]);
        let now = sh(date(2026, 11, 2), 9, 0);
        let out = apply(
            pr,
            &ticket("open", f.clone()),
            "escalate",
            &actor("l", &["lead"]),
            &Fields::new(),
            now,
            &Weekends,
        )
        .unwrap();
        assert_eq!(out.approval_opened.as_deref(), Some("seq"));

        let mut t = ticket("review", f);
        let boss = actor("b", &["boss"]);
        let r = vote(pr, &t, "seq", &boss, true).unwrap_err();
        assert_eq!(r.code, "policy.not_your_step");
        assert!(r.message.contains("负责人"), "{r}");
        assert_eq!(
            vote(pr, &t, "par", &boss, true).unwrap_err().code,
            "policy.approval_not_open"
        );
        assert_eq!(
            vote(pr, &t, "zzz", &boss, true).unwrap_err().code,
            "policy.unknown_approval"
        );

        // One person holding both roles cannot fill both steps.
        let both = actor("both", &["lead", "boss"]);
        let v = vote(pr, &t, "seq", &both, true).unwrap();
        assert_eq!(v.vote.pack_role, "lead");
        assert_eq!(v.complete, None);
        t.approvals.push(v.vote);
        assert_eq!(
            vote(pr, &t, "seq", &both, true).unwrap_err().code,
            "policy.already_voted"
        );

        let v = vote(pr, &t, "seq", &boss, true).unwrap();
        assert_eq!(v.complete.as_deref(), Some("done"));
        assert_eq!(v.approved, Some(true));
        assert_eq!(
            ops(&v.timers),
            [
                ("respond", TimerAction::Stop),
                ("resolve", TimerAction::Stop)
            ]
        );

        // A rejection at any step ends it.
        let t = ticket("review", fields(&[("pct", FieldValue::Number(90.0))]));
        let v = vote(pr, &t, "seq", &actor("l", &["lead"]), false).unwrap();
        assert_eq!(v.complete.as_deref(), Some("rejected"));
        assert_eq!(v.approved, Some(false));
    }

    #[test]
    fn parallel_any_approval() {
        let p = pack();
        let pr = &p.processes[0];
        let mut t = ticket("review_any", Fields::new());
        // Either step may vote first; one approval decides.
        let v = vote(pr, &t, "par", &actor("b", &["boss"]), true).unwrap();
        assert_eq!(v.complete.as_deref(), Some("done"));
        // A rejection waits for the other step; all rejected decides.
        let v = vote(pr, &t, "par", &actor("b", &["boss"]), false).unwrap();
        assert_eq!(v.complete, None);
        t.approvals.push(v.vote);
        let v = vote(pr, &t, "par", &actor("l", &["lead"]), false).unwrap();
        assert_eq!(v.complete.as_deref(), Some("rejected"));
        let r = vote(pr, &t, "par", &actor("x", &[]), true).unwrap_err();
        assert_eq!(r.code, "policy.not_your_step");
    }

    /// A process for the later extensions: a periodic review that restarts
    /// its timer, fresh input, conditional requirements, and timers that
    /// follow their condition.
    const EXT: &str = r#"id = "x"
name = "扩展"

[[field]]
id = "severity"
label = "级别"
type = "choice"
choices = { general = "一般", major = "重大" }
source = "NTCZ-6.1.3"
[[field]]
id = "record"
label = "跟踪记录"
type = "long_text"
[[field]]
id = "in_window"
label = "窗口内实施"
type = "bool"
[[field]]
id = "justification"
label = "理由"
type = "text"

[[state]]
id = "tracking"
label = "跟踪中"
initial = true
[[state]]
id = "waiting"
label = "等待"
waiting = true
[[state]]
id = "closed"
label = "关闭"
final = true

[[transition]]
id = "review"
label = "月度跟踪"
from = ["tracking", "waiting"]
to = "tracking"
roles = ["assignee"]
require_input = ["record"]
source = "EEDS-3.2.5"
[[transition]]
id = "wait"
label = "等待"
from = ["tracking"]
to = "waiting"
roles = ["assignee"]
source = "EEDS-3.2.5"
[[transition]]
id = "close"
label = "关闭"
from = ["tracking"]
to = "closed"
roles = ["assignee"]
require = ["in_window"]
source = "EEDS-3.3.4"

[[required_if]]
transition = "close"
when = "in_window == false"
fields = ["justification"]
attachments = ["backup"]
source = "EEDS-3.3.4"

[[timer]]
id = "monthly"
label = "月度跟踪"
start = ["tracking"]
stop = ["closed"]
duration = "30d"
restart = ["review"]
source = "EEDS-3.2.5"
[[timer]]
id = "general"
label = "一般"
start = ["tracking"]
stop = ["closed"]
duration = "2h"
when = "severity == 'general'"
source = "NTCZ-6.1.3"
[[timer]]
id = "major"
label = "重大"
start = ["tracking"]
stop = ["closed"]
duration = "24h"
when = "severity == 'major'"
source = "NTCZ-6.1.3"
"#;

    fn ext() -> Pack {
        load_pack(&[
            ("pack.toml".into(), PACK.into()),
            ("x.toml".into(), EXT.into()),
        ])
        .unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn restart_transition_restarts_a_running_or_paused_timer() {
        use TimerAction::*;
        let p = ext();
        let pr = &p.processes[0];
        let o = open(pr, &Fields::new()).unwrap();
        assert_eq!(ops(&o.timers), [("monthly", Start)]);
        let now = sh(date(2026, 11, 2), 9, 0);
        let asg = actor("asg", &[]);
        let t = ticket("tracking", Fields::new());
        let out = apply(
            pr,
            &t,
            "review",
            &asg,
            &fields(&[("record", text("r"))]),
            now,
            &Weekends,
        )
        .unwrap();
        assert_eq!(out.to_state, "tracking");
        assert_eq!(ops(&out.timers), [("monthly", Restart)]);
        // From a waiting state the wall-clock timers resume; the 30-day
        // one (not wall-clock) was never paused and restarts.
        let w = ticket("waiting", Fields::new());
        let out = apply(
            pr,
            &w,
            "review",
            &asg,
            &fields(&[("record", text("r"))]),
            now,
            &Weekends,
        )
        .unwrap();
        assert_eq!(ops(&out.timers), [("monthly", Restart)]);
        // Other transitions do not restart it.
        let out = apply(pr, &t, "wait", &asg, &Fields::new(), now, &Weekends).unwrap();
        assert!(ops(&out.timers).is_empty(), "{:?}", out.timers);
    }

    #[test]
    fn require_input_needs_a_fresh_value() {
        let p = ext();
        let pr = &p.processes[0];
        let now = sh(date(2026, 11, 2), 9, 0);
        let asg = actor("asg", &[]);
        // Set by last month's review: not enough for this one.
        let t = ticket("tracking", fields(&[("record", text("上月记录"))]));
        let r = apply(pr, &t, "review", &asg, &Fields::new(), now, &Weekends).unwrap_err();
        assert_eq!(r.code, "policy.missing_field");
        assert!(r.message.contains("重新填写：跟踪记录"), "{r}");
        assert_eq!(r.source.as_deref(), Some("EEDS-3.2.5"));
        let r = apply(
            pr,
            &t,
            "review",
            &asg,
            &fields(&[("record", text(" "))]),
            now,
            &Weekends,
        );
        assert_eq!(r.unwrap_err().code, "policy.missing_field");
        let out = apply(
            pr,
            &t,
            "review",
            &asg,
            &fields(&[("record", text("本月"))]),
            now,
            &Weekends,
        )
        .unwrap();
        assert_eq!(out.fields["record"], text("本月"));
        // The field is listed among the required ones, for forms.
        assert_eq!(pr.transition("review").unwrap().require, ["record"]);
    }

    #[test]
    fn required_if_adds_fields_and_attachments_when_its_condition_holds() {
        let p = ext();
        let pr = &p.processes[0];
        let now = sh(date(2026, 11, 2), 9, 0);
        let asg = actor("asg", &[]);
        let close = pr.transition("close").unwrap();
        let t = ticket("tracking", Fields::new());
        let inside = fields(&[("in_window", FieldValue::Bool(true))]);
        assert!(apply(pr, &t, "close", &asg, &inside, now, &Weekends).is_ok());
        assert_eq!(required_fields(pr, close, &inside), ["in_window"]);
        let outside = fields(&[("in_window", FieldValue::Bool(false))]);
        assert_eq!(
            required_fields(pr, close, &outside),
            ["in_window", "justification"]
        );
        assert_eq!(required_attachments(pr, close, &outside), ["backup"]);
        let r = apply(pr, &t, "close", &asg, &outside, now, &Weekends).unwrap_err();
        assert_eq!(r.code, "policy.missing_field");
        assert_eq!(r.source.as_deref(), Some("EEDS-3.3.4"));
        assert!(
            r.message.contains("in_window == false") && r.message.contains("理由"),
            "{r}"
        );
        let mut with = outside.clone();
        with.insert("justification".into(), text("白天窗口"));
        let r = apply(pr, &t, "close", &asg, &with, now, &Weekends).unwrap_err();
        assert_eq!(r.code, "policy.missing_attachment");
        assert!(r.message.contains("备份文件"), "{r}");
        let mut t2 = t.clone();
        t2.attachments.insert("backup".into());
        assert!(apply(pr, &t2, "close", &asg, &with, now, &Weekends).is_ok());
        // An unset bool makes `in_window == false` false: `require` asks first.
        let r = apply(pr, &t, "close", &asg, &Fields::new(), now, &Weekends).unwrap_err();
        assert!(r.message.contains("窗口内实施"), "{r}");
    }

    #[test]
    fn exclude_requester_bars_the_requester_from_transitions_and_votes() {
        let proc_ = PROC
            .replacen(
                "id = \"hold\"\nlabel = \"挂起\"\nfrom = [\"open\"]\nto = \"held\"\nroles = [\"lead\"]",
                "id = \"hold\"\nlabel = \"挂起\"\nfrom = [\"open\"]\nto = \"held\"\nroles = [\"lead\"]\nexclude_requester = true",
                1,
            )
            .replacen(
                "id = \"par\"\nstate = \"review_any\"",
                "id = \"par\"\nstate = \"review_any\"\nexclude_requester = true",
                1,
            );
        assert_ne!(proc_, PROC);
        let p = load_pack(&[("pack.toml".into(), PACK.into()), ("t.toml".into(), proc_)])
            .unwrap_or_else(|e| panic!("{e:?}"));
        let pr = &p.processes[0];
        let now = sh(date(2026, 11, 2), 9, 0);
        let open_ = ticket("open", Fields::new());
        // The requester holding the lead role: not for `hold`.
        let own = actor("req", &["lead", "boss"]);
        let ids: Vec<&str> = available(pr, &open_, &own)
            .iter()
            .map(|t| t.id.as_str())
            .collect();
        assert!(
            !ids.contains(&"hold") && ids.contains(&"ask_any"),
            "{ids:?}"
        );
        let r = apply(pr, &open_, "hold", &own, &Fields::new(), now, &Weekends).unwrap_err();
        assert_eq!(r.code, "policy.role");
        assert!(r.message.contains("申请人本人"), "{r}");
        assert!(apply(
            pr,
            &open_,
            "hold",
            &actor("l", &["lead"]),
            &Fields::new(),
            now,
            &Weekends
        )
        .is_ok());
        let review = ticket("review_any", Fields::new());
        let r = vote(pr, &review, "par", &own, true).unwrap_err();
        assert_eq!(r.code, "policy.role");
        assert!(vote(pr, &review, "par", &actor("b", &["boss"]), true).is_ok());
        // Approvals without the flag still take the requester's vote.
        let seq = ticket("review", fields(&[("pct", FieldValue::Number(90.0))]));
        assert!(vote(pr, &seq, "seq", &own, true).is_ok());
    }

    #[test]
    fn timers_follow_their_condition_when_the_input_changes_it() {
        use TimerAction::*;
        let p = ext();
        let pr = &p.processes[0];
        let now = sh(date(2026, 11, 2), 9, 0);
        let asg = actor("asg", &[]);
        let o = open(pr, &fields(&[("severity", text("general"))])).unwrap();
        assert_eq!(ops(&o.timers), [("monthly", Start), ("general", Start)]);
        // Reclassified general -> major where the timers run: the general
        // clock stops, the major one starts now.
        let t = ticket("tracking", o.fields.clone());
        let major = fields(&[("severity", text("major")), ("record", text("r"))]);
        let out = apply(pr, &t, "review", &asg, &major, now, &Weekends).unwrap();
        assert_eq!(
            ops(&out.timers),
            [("monthly", Restart), ("general", Stop), ("major", Start)]
        );
        // Into a waiting state: the new timer does not start while paused.
        let w = apply(
            pr,
            &t,
            "wait",
            &asg,
            &fields(&[("severity", text("major"))]),
            now,
            &Weekends,
        )
        .unwrap();
        assert_eq!(ops(&w.timers), [("general", Stop)]);
        // Unchanged condition: nothing but the usual state rules.
        let out = apply(pr, &t, "wait", &asg, &Fields::new(), now, &Weekends).unwrap();
        assert_eq!(ops(&out.timers), [("general", Pause)]);
        // Into a stop state, a newly applying timer is not started (nor
        // stopped: it never ran).
        let mut f = fields(&[("in_window", FieldValue::Bool(true))]);
        f.insert("severity".into(), text("major"));
        let out = apply(pr, &t, "close", &asg, &f, now, &Weekends).unwrap();
        assert_eq!(ops(&out.timers), [("monthly", Stop), ("general", Stop)]);
    }
}
