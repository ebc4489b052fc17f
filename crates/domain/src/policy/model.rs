//! The checked, in-memory form of a policy pack (ADR 0003).
//!
//! Values of these types only come out of [`super::check::load_pack`], which
//! has already verified every cross-reference (roles, states, fields,
//! transitions, processes), so the engine can rely on them.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::condition::Condition;

/// A ticket field's value. Text, long text and choices are `Text` (a
/// choice holds its id).
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Text(String),
    Integer(i64),
    Number(f64),
    /// Money in yuan, exact to the fen (`type = "money"`).
    Money(Decimal),
    Bool(bool),
    Date(NaiveDate),
    DateTime(DateTime<Utc>),
}

impl FieldValue {
    /// Set means present and, for text, not blank.
    pub fn is_set(&self) -> bool {
        match self {
            FieldValue::Text(s) => !s.trim().is_empty(),
            FieldValue::Number(n) => !n.is_nan(),
            _ => true,
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            FieldValue::Text(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<f64> {
        match *self {
            FieldValue::Integer(i) => Some(i as f64),
            FieldValue::Number(n) => Some(n),
            _ => None,
        }
    }

    /// Whether the value fits a field of type `ty` (a choice must also be
    /// one of the field's choices; the caller checks that).
    pub fn fits(&self, ty: FieldType) -> bool {
        match self {
            FieldValue::Text(_) => ty.is_textual(),
            FieldValue::Integer(_) => matches!(ty, FieldType::Integer | FieldType::Number),
            FieldValue::Number(_) => ty == FieldType::Number,
            FieldValue::Money(_) => ty == FieldType::Money,
            FieldValue::Bool(_) => ty == FieldType::Bool,
            FieldValue::Date(_) => ty == FieldType::Date,
            FieldValue::DateTime(_) => ty == FieldType::DateTime,
        }
    }

    /// Converts a value written in a pack (`derive` values, conversion
    /// `set`) to a field of type `ty`.
    pub fn from_pack_literal(ty: FieldType, s: &str) -> Option<FieldValue> {
        match ty {
            FieldType::Text | FieldType::LongText | FieldType::Choice | FieldType::Ci => {
                Some(FieldValue::Text(s.to_string()))
            }
            FieldType::Integer => s.trim().parse().ok().map(FieldValue::Integer),
            FieldType::Number => s
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .map(FieldValue::Number),
            FieldType::Money => parse_money(s).map(FieldValue::Money),
            FieldType::Bool => match s.trim() {
                "true" => Some(FieldValue::Bool(true)),
                "false" => Some(FieldValue::Bool(false)),
                _ => None,
            },
            FieldType::Date => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .ok()
                .map(FieldValue::Date),
            FieldType::DateTime => DateTime::parse_from_rfc3339(s.trim())
                .ok()
                .map(|d| FieldValue::DateTime(d.with_timezone(&Utc))),
        }
    }
}

/// The largest amount a money field holds: 999,999,999,999.99 元 (under a
/// trillion; every sum of a project's contracts stays exact in an `i64` of
/// fen).
pub const MONEY_MAX_FEN: i64 = 99_999_999_999_999;

/// Parses an amount in yuan: digits, optionally `.` and at most two
/// decimals, thousands separators `,` allowed; not negative, at most
/// [`MONEY_MAX_FEN`]. Written with its two decimals (`300000.00`).
pub fn parse_money(s: &str) -> Option<Decimal> {
    let t: String = s
        .trim()
        .chars()
        .filter(|c| *c != ',' && *c != '，')
        .collect();
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    if whole.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
        || !frac.chars().all(|c| c.is_ascii_digit())
        || whole.len() > 13
    {
        return None;
    }
    let d: Decimal = format!("{whole}.{frac:0<2}").parse().ok()?;
    let fen = (d * Decimal::from(100)).trunc();
    (fen <= Decimal::from(MONEY_MAX_FEN)).then(|| d.round_dp(2))
}

/// An amount in fen, for storage (exact: at most two decimals).
pub fn money_to_fen(d: Decimal) -> i64 {
    use rust_decimal::prelude::ToPrimitive;
    (d * Decimal::from(100))
        .trunc()
        .to_i64()
        .unwrap_or(i64::MAX)
}

/// An amount of fen as yuan with two decimals.
pub fn fen_to_money(fen: i64) -> Decimal {
    Decimal::new(fen, 2)
}

/// A ticket's fields by id.
pub type Fields = BTreeMap<String, FieldValue>;

/// Where a rule is written: file, line and column (both 1-based).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin {
    pub file: String,
    pub line: u32,
    pub col: u32,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// Built-in pack role: the user who opened the ticket.
pub const ROLE_REQUESTER: &str = "requester";
/// Built-in pack role: the user the ticket is assigned to.
pub const ROLE_ASSIGNEE: &str = "assignee";

/// A policy pack: `pack.toml` plus one file per process.
#[derive(Debug, Clone, PartialEq)]
pub struct Pack {
    pub id: String,
    pub name: String,
    pub version: String,
    /// File name of the regulation under `shared/seeds/`, if any.
    pub document: Option<String>,
    /// The heading line where the pack's part of a shared document starts,
    /// and the line where it ends (exclusive); `None`: the whole file.
    pub document_from: Option<String>,
    pub document_until: Option<String>,
    pub roles: Vec<PackRole>,
    pub processes: Vec<Process>,
    /// The government-cloud rules of `cloud.toml`, for packs that govern a
    /// city's cloud (ZMDY, SNYP; ADR 0016).
    pub cloud: Option<super::cloud::CloudRules>,
    /// The IT-project rules (`projects.toml`, ADR 0017), if the pack has
    /// them.
    pub projects: Option<super::projects::ProjectRules>,
    /// The articles left out on purpose (`coverage.toml`, ADR 0019): not
    /// rules, the reasons `policy trace` gives for them.
    pub omissions: Vec<super::coverage::Omission>,
    /// The pack's parameters (`parameters.toml`, ADR 0018): numbers and
    /// due rules the code uses, each cited; empty when the pack has none.
    pub parameters: Vec<super::parameters::Parameter>,
    pub origin: Origin,
}

/// A pack role and the platform roles (`roles::Role::as_str`) that hold it.
#[derive(Debug, Clone, PartialEq)]
pub struct PackRole {
    pub id: String,
    pub label: String,
    pub platform: Vec<String>,
    /// Which of the platform roles' holders hold it for a given ticket
    /// (`holder = "..."`; ADR 0020).
    pub holder: Holder,
    pub source: Option<String>,
    pub origin: Origin,
}

/// Which holders of a pack role's platform roles hold it for a ticket
/// (`holder` in `[roles.<id>]`, ADR 0020). Every holder's grant already
/// covers the ticket's organisation; this says where on the ticket's line
/// of organisations the grant may sit. The ticket's level is its region:
/// the nearest province, city or county at or above its organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Holder {
    /// Any grant covering the ticket's organisation (the default).
    #[default]
    Covering,
    /// `same_org`: a grant on the ticket's own organisation or on a unit
    /// above it inside its level (its section or division), never on the
    /// level itself nor above it: 「本处（科）室负责人」 (JSCZ-54).
    SameOrg,
    /// `same_level`: a grant on the ticket's level or below it, never
    /// above it: the province's for a provincial ticket, the city's for a
    /// city's: 「本级财政负责人」 (JSCZ-54).
    SameLevel,
}

impl Holder {
    pub const ALL: [Holder; 3] = [Holder::Covering, Holder::SameOrg, Holder::SameLevel];

    pub fn as_str(self) -> &'static str {
        match self {
            Holder::Covering => "covering",
            Holder::SameOrg => "same_org",
            Holder::SameLevel => "same_level",
        }
    }

    pub fn parse(s: &str) -> Option<Holder> {
        Self::ALL.into_iter().find(|h| h.as_str() == s)
    }

    /// Whether a grant on `scope_path`, which covers the ticket's
    /// organisation, makes its holder hold the pack role for a ticket
    /// whose level (region) is `level_path`. An unknown level (`None`)
    /// admits only [`Holder::Covering`].
    pub fn admits(self, scope_path: &str, level_path: Option<&str>) -> bool {
        match (self, level_path) {
            (Holder::Covering, _) => true,
            (_, None) => false,
            (Holder::SameOrg, Some(level)) => {
                scope_path.starts_with(level) && scope_path.len() > level.len()
            }
            (Holder::SameLevel, Some(level)) => scope_path.starts_with(level),
        }
    }
}

/// One workflow: change, incident, service request...
#[derive(Debug, Clone, PartialEq)]
pub struct Process {
    pub id: String,
    pub name: String,
    pub number_prefix: Option<String>,
    pub source: Option<String>,
    pub origin: Origin,
    pub fields: Vec<Field>,
    pub derives: Vec<Derive>,
    pub states: Vec<State>,
    pub transitions: Vec<Transition>,
    pub approvals: Vec<Approval>,
    pub timers: Vec<Timer>,
    pub lead_times: Vec<LeadTime>,
    pub required_ifs: Vec<RequiredIf>,
    pub conversions: Vec<Conversion>,
    /// Labels of the pack's roles, for messages.
    pub role_labels: BTreeMap<String, String>,
    /// Where else its tickets come from ([`super::hooks::INTAKES`]), e.g.
    /// `inspection_finding`.
    pub intake: Vec<String>,
    /// The holders of the review action (`ProjectReview`: 财政, 发展改革,
    /// 网信, 公安, 保密机要) read this process's tickets in their scope,
    /// without reading the rest of those organisations' business
    /// (`reviewers_read = true`, SNXM-23; ADR 0017).
    pub reviewers_read: bool,
    /// Its tickets are the faults counted per device type in the yearly
    /// fault statistics (`fault_statistics = true`, EEDS-3.5.2).
    pub fault_statistics: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    Text,
    LongText,
    Integer,
    Number,
    Choice,
    Date,
    DateTime,
    Bool,
    /// An amount of money in yuan, exact decimal with at most two places
    /// (never floating point).
    Money,
    /// A configuration item of the CMDB, held by its code (`type = "ci"`):
    /// the system a ticket concerns. The ticket is linked to the item and
    /// belongs to the item's owner organisation (ADR 0015).
    Ci,
}

impl FieldType {
    pub const ALL: [FieldType; 10] = [
        FieldType::Text,
        FieldType::LongText,
        FieldType::Integer,
        FieldType::Number,
        FieldType::Money,
        FieldType::Choice,
        FieldType::Date,
        FieldType::DateTime,
        FieldType::Bool,
        FieldType::Ci,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::LongText => "long_text",
            FieldType::Integer => "integer",
            FieldType::Number => "number",
            FieldType::Money => "money",
            FieldType::Choice => "choice",
            FieldType::Date => "date",
            FieldType::DateTime => "datetime",
            FieldType::Bool => "bool",
            FieldType::Ci => "ci",
        }
    }

    pub fn parse(s: &str) -> Option<FieldType> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Text-like types hold a [`super::condition::FieldValue::Text`].
    pub fn is_textual(self) -> bool {
        matches!(
            self,
            FieldType::Text | FieldType::LongText | FieldType::Choice | FieldType::Ci
        )
    }

    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            FieldType::Integer | FieldType::Number | FieldType::Money
        )
    }

    pub fn is_temporal(self) -> bool {
        matches!(self, FieldType::Date | FieldType::DateTime)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub id: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub id: String,
    pub label: String,
    pub ty: FieldType,
    /// In the order written; empty unless `ty` is `Choice`.
    pub choices: Vec<Choice>,
    /// `not_future = true` on a date or time field: a value after the
    /// moment it is entered is refused (an occurrence time in the future).
    pub not_future: bool,
    /// `ticket_of = "<process>"` on a text field: the value is the number
    /// of a ticket of that process of the same pack, which the caller may
    /// see (checked by the `named_ticket` gate).
    pub ticket_of: Option<String>,
    /// `ticket_reached = "<state>"` with `ticket_of`: the named ticket is
    /// in that state or one its route reaches from it (an approved change,
    /// JSCZ-11).
    pub ticket_reached: Option<String>,
    /// `set_at_open = "<what>"`: the platform sets the value when the
    /// ticket is opened; no one enters it (NTCZ-6.1.2: whether a call came
    /// outside working time is the calendar's answer, not the staff's).
    pub set_at_open: Option<SetAtOpen>,
    pub source: Option<String>,
    pub origin: Origin,
}

/// What the platform writes into a `set_at_open` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetAtOpen {
    /// `outside_working_hours` (a bool): the ticket is opened on a day the
    /// holiday calendar says is not a working day, or on a working day
    /// outside the business hours of the ticket's organisation.
    OutsideWorkingHours,
}

impl SetAtOpen {
    pub const ALL: [SetAtOpen; 1] = [SetAtOpen::OutsideWorkingHours];

    pub fn as_str(self) -> &'static str {
        match self {
            SetAtOpen::OutsideWorkingHours => "outside_working_hours",
        }
    }

    pub fn parse(s: &str) -> Option<SetAtOpen> {
        SetAtOpen::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The field type the value has.
    pub fn field_type(self) -> FieldType {
        match self {
            SetAtOpen::OutsideWorkingHours => FieldType::Bool,
        }
    }
}

impl Field {
    pub fn choice(&self, id: &str) -> Option<&Choice> {
        self.choices.iter().find(|c| c.id == id)
    }

    /// The refusal of an impossible value entered at `now`: a date or time
    /// after `now` in a `not_future` field (a date compares as its day in
    /// China time).
    pub fn impossible(&self, v: &FieldValue, now: DateTime<Utc>) -> Option<String> {
        if !self.not_future {
            return None;
        }
        let future = match v {
            FieldValue::DateTime(t) => *t > now,
            FieldValue::Date(d) => *d > crate::calendar::date_in_shanghai(now),
            _ => false,
        };
        future.then(|| format!("「{}」不能晚于当前时间", self.label))
    }
}

impl Process {
    /// `state` and every state its route reaches from it, through
    /// transitions and approval outcomes.
    pub fn reachable_from(&self, state: &str) -> std::collections::BTreeSet<String> {
        let mut seen = std::collections::BTreeSet::from([state.to_string()]);
        let mut todo = vec![state.to_string()];
        while let Some(s) = todo.pop() {
            let next = self
                .transitions
                .iter()
                .filter(|t| t.from.contains(&s))
                .map(|t| t.to.clone())
                .chain(
                    self.approvals
                        .iter()
                        .filter(|a| a.state == s)
                        .flat_map(|a| [a.approved.clone(), a.rejected.clone()]),
                );
            for n in next.collect::<Vec<_>>() {
                if seen.insert(n.clone()) {
                    todo.push(n);
                }
            }
        }
        seen
    }

    /// The refusals of impossible values among `fields` entered at `now`
    /// ([`Field::impossible`]), as `(field id, message)`.
    pub fn impossible_values(
        &self,
        fields: &Fields,
        now: DateTime<Utc>,
    ) -> Option<(String, String)> {
        fields.iter().find_map(|(id, v)| {
            self.field(id)
                .and_then(|f| f.impossible(v, now))
                .map(|m| (id.clone(), m))
        })
    }

    /// The transitions leaving the initial state: the first step of the
    /// route (its required fields are marked on the form).
    pub fn first_steps(&self) -> impl Iterator<Item = &Transition> {
        let initial = self.initial_state().id.clone();
        self.transitions
            .iter()
            .filter(move |t| t.from.contains(&initial))
    }

    /// The one transition that submits a new ticket, when the route leaves
    /// the initial state by exactly one: the form may open and submit in
    /// one step.
    pub fn single_submit(&self) -> Option<&Transition> {
        let mut it = self.first_steps();
        match (it.next(), it.next()) {
            (Some(t), None) => Some(t),
            _ => None,
        }
    }

    /// The fields holding the configuration item the ticket concerns.
    pub fn ci_fields(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.ty == FieldType::Ci)
    }
}

/// A computed field: the first case whose condition holds sets the value;
/// when none holds the field keeps what it had.
#[derive(Debug, Clone, PartialEq)]
pub struct Derive {
    pub field: String,
    pub cases: Vec<DeriveCase>,
    pub source: String,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeriveCase {
    pub when: Condition,
    /// The value as written; converted to the field's type by the engine.
    pub value: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub id: String,
    pub label: String,
    pub initial: bool,
    /// `final = true`: the ticket is over.
    pub is_final: bool,
    /// `waiting = true`: wall-clock timers pause here (waiting for the user).
    pub waiting: bool,
    pub source: Option<String>,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub id: String,
    pub label: String,
    pub from: Vec<String>,
    pub to: String,
    /// Pack roles (or `requester` / `assignee`) allowed to take it.
    pub roles: Vec<String>,
    /// Fields that must be set once the input is merged and derived
    /// (including the `require_input` ones).
    pub require: Vec<String>,
    /// Fields that must be given, not blank, in this transition's own
    /// input: a value set earlier does not count (a monthly review record,
    /// EEDS-3.2.5).
    pub require_input: Vec<String>,
    /// Attachment kinds that must exist on the ticket.
    pub attachments: Vec<String>,
    /// The ticket's requester may not take it, whatever roles they hold
    /// (nobody answers or approves their own request).
    pub exclude_requester: bool,
    pub when: Option<Condition>,
    /// `[[transition.gate]]`: platform checks (named in [`super::hooks`])
    /// that must hold before the transition is taken, e.g. a go-live plan
    /// on file (ADR 0010).
    pub gates: Vec<HookUse>,
    /// `[[transition.effect]]`: platform side effects (named in
    /// [`super::hooks`]) applied in the transition's transaction, e.g. a
    /// temporary grant filed (ADR 0010).
    pub effects: Vec<HookUse>,
    pub source: String,
    pub origin: Origin,
}

impl Transition {
    /// The gates that apply to these fields (merged and derived).
    pub fn gates_for<'a>(&'a self, fields: &'a Fields) -> impl Iterator<Item = &'a HookUse> {
        self.gates.iter().filter(|h| h.holds(fields))
    }

    /// The effects that apply to these fields (merged and derived).
    pub fn effects_for<'a>(&'a self, fields: &'a Fields) -> impl Iterator<Item = &'a HookUse> {
        self.effects.iter().filter(|h| h.holds(fields))
    }
}

/// One use of a platform hook on a transition: its name (one of
/// [`super::hooks::GATES`] or [`super::hooks::EFFECTS`]), when it applies
/// and the article that asks for it.
#[derive(Debug, Clone, PartialEq)]
pub struct HookUse {
    pub hook: String,
    /// Evaluated on the ticket's fields once the input is merged and
    /// derived; `None` always applies.
    pub when: Option<Condition>,
    pub source: String,
    pub origin: Origin,
}

impl HookUse {
    pub fn holds(&self, fields: &Fields) -> bool {
        Condition::holds_opt(self.when.as_ref(), fields)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalMode {
    /// Every step must approve; any rejection ends it as rejected.
    All,
    /// One approval is enough; it is rejected when every step rejected.
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalOrder {
    /// Only the first pending step may vote.
    Sequential,
    /// Any pending step may vote.
    Parallel,
}

/// Votes collected while the ticket is in `state`. When several approvals
/// name the same state, the first (in file order) whose `when` holds is the
/// one that opens.
#[derive(Debug, Clone, PartialEq)]
pub struct Approval {
    pub id: String,
    pub label: Option<String>,
    pub state: String,
    /// One pack role per step.
    pub steps: Vec<String>,
    pub mode: ApprovalMode,
    pub order: ApprovalOrder,
    pub approved: String,
    pub rejected: String,
    /// The ticket's requester may not vote, whatever roles they hold.
    pub exclude_requester: bool,
    pub when: Option<Condition>,
    pub source: String,
    pub origin: Origin,
}

/// A timer's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimerDuration {
    /// `30m`, `2h`: wall-clock minutes (7x24 unless paused).
    WallClock(u32),
    /// `2wd`: working days (工作日).
    WorkingDays(u32),
    /// `5d`: calendar days.
    CalendarDays(u32),
    /// `1mo`: calendar months (每月): due at the end of the same day of the
    /// month `n` months later, or of that month's last day when it is
    /// shorter (31 January + 1 month is 28 February).
    Months(u32),
}

impl TimerDuration {
    /// Parses `30m`, `2h`, `2wd`, `5d`, `1mo`.
    pub fn parse(s: &str) -> Option<TimerDuration> {
        let s = s.trim();
        let digits = s.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let n: u32 = s[..digits].parse().ok()?;
        match &s[digits..] {
            "m" => Some(TimerDuration::WallClock(n)),
            "h" => n.checked_mul(60).map(TimerDuration::WallClock),
            "wd" => Some(TimerDuration::WorkingDays(n)),
            "d" => Some(TimerDuration::CalendarDays(n)),
            "mo" => Some(TimerDuration::Months(n)),
            _ => None,
        }
    }

    pub fn is_wall_clock(self) -> bool {
        matches!(self, TimerDuration::WallClock(_))
    }
}

impl fmt::Display for TimerDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            TimerDuration::WallClock(m) if m % 60 == 0 && m > 0 => write!(f, "{}h", m / 60),
            TimerDuration::WallClock(m) => write!(f, "{m}m"),
            TimerDuration::WorkingDays(n) => write!(f, "{n}wd"),
            TimerDuration::CalendarDays(n) => write!(f, "{n}d"),
            TimerDuration::Months(n) => write!(f, "{n}mo"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Timer {
    pub id: String,
    pub label: String,
    pub start: Vec<String>,
    pub stop: Vec<String>,
    pub pause: Vec<String>,
    /// Whether a wall-clock timer pauses in the process's waiting states
    /// (`waiting_pauses = false` when the article gives no pause, as
    /// NTCZ-6.1.3's fault times).
    pub waiting_pauses: bool,
    pub duration: TimerDuration,
    pub warn_before: Option<TimerDuration>,
    pub notify: Vec<String>,
    /// Transitions that restart the timer with its full duration when it
    /// may be running (a periodic review resets the clock, EEDS-3.2.5).
    pub restart: Vec<String>,
    pub when: Option<Condition>,
    pub source: String,
    /// `open = "..."`: the article leaves the length open and the number is
    /// the organisation's choice; the note says what it interprets
    /// (shown by `policy trace`).
    pub open: Option<String>,
    pub origin: Origin,
}

/// `[[required_if]]`: extra fields and attachments `transition` needs when
/// `when` holds (on the fields once the input is merged and derived), e.g.
/// a justification for a change planned outside the maintenance window
/// (EEDS-3.3.4).
#[derive(Debug, Clone, PartialEq)]
pub struct RequiredIf {
    pub transition: String,
    pub when: Condition,
    pub fields: Vec<String>,
    pub attachments: Vec<String>,
    pub source: String,
    pub origin: Origin,
}

/// "At least N working days before `field`" for `transition` (DESIGN.md 6).
#[derive(Debug, Clone, PartialEq)]
pub struct LeadTime {
    pub transition: String,
    pub field: String,
    pub working_days: u32,
    pub when: Option<Condition>,
    pub source: String,
    pub origin: Origin,
}

/// Taking `transition` opens a ticket of `process` with `set` values and
/// the `copy` fields of this ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversion {
    pub transition: String,
    pub process: String,
    pub set: Vec<(String, String)>,
    pub copy: Vec<String>,
    pub source: String,
    pub origin: Origin,
}

/// Any cited item of a pack, for `policy trace`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRef {
    /// Process id, or `None` for pack-level items (roles).
    pub process: Option<String>,
    /// `process`, `role`, `field`, `derive`, `state`, `transition`,
    /// `gate`, `effect`, `approval`, `timer`, `lead_time`, `required_if`,
    /// `conversion`.
    pub kind: &'static str,
    pub id: String,
    pub source: String,
    /// A timer's `open` note: the number is the organisation's choice.
    pub open: Option<String>,
    pub origin: Origin,
}

impl Pack {
    pub fn process(&self, id: &str) -> Option<&Process> {
        self.processes.iter().find(|p| p.id == id)
    }

    /// The cited value behind a `parameter` rule of [`Pack::rules`]
    /// (cloud, project or pack parameter), by its key.
    pub fn cited_value(&self, key: &str) -> Option<super::cloud::CitedValue> {
        let cloud = self.cloud.iter().flat_map(|c| c.cited.iter().cloned());
        let projects = self.projects.iter().flat_map(|r| r.cited.iter().cloned());
        let parameters = self.parameters.iter().map(|p| p.cited());
        cloud
            .chain(projects)
            .chain(parameters)
            .find(|v| v.key == key)
    }

    /// The parameter of this pack with this key (ADR 0018).
    pub fn parameter(&self, key: &str) -> Option<&super::parameters::Parameter> {
        self.parameters.iter().find(|p| p.key == key)
    }

    pub fn role(&self, id: &str) -> Option<&PackRole> {
        self.roles.iter().find(|r| r.id == id)
    }

    /// The pack roles held by a user with these platform roles, whatever
    /// the ticket: those of [`Holder::Covering`] only (a role with a
    /// `holder` rule depends on where the ticket lies, see
    /// [`Pack::pack_roles_on`]).
    pub fn pack_roles_for<'a>(
        &self,
        platform_roles: impl IntoIterator<Item = &'a str>,
    ) -> std::collections::BTreeSet<String> {
        let held: Vec<&str> = platform_roles.into_iter().collect();
        self.roles
            .iter()
            .filter(|r| r.holder == Holder::Covering)
            .filter(|r| r.platform.iter().any(|p| held.contains(&p.as_str())))
            .map(|r| r.id.clone())
            .collect()
    }

    /// The pack roles held for a ticket by a user whose `grants` (platform
    /// role, scope path) each cover the ticket's organisation, the ticket's
    /// level (region) being `level_path` ([`Holder::admits`]).
    pub fn pack_roles_on<'a>(
        &self,
        grants: impl IntoIterator<Item = (&'a str, &'a str)>,
        level_path: Option<&str>,
    ) -> std::collections::BTreeSet<String> {
        let grants: Vec<(&str, &str)> = grants.into_iter().collect();
        self.roles
            .iter()
            .filter(|r| {
                grants.iter().any(|(role, scope)| {
                    r.platform.iter().any(|p| p == role) && r.holder.admits(scope, level_path)
                })
            })
            .map(|r| r.id.clone())
            .collect()
    }

    /// Label of a pack role, including the built-in ones.
    pub fn role_label<'a>(&'a self, id: &'a str) -> &'a str {
        match id {
            ROLE_REQUESTER => "申请人",
            ROLE_ASSIGNEE => "处理人",
            _ => self.role(id).map(|r| r.label.as_str()).unwrap_or(id),
        }
    }

    /// Every item that carries a citation, pack roles first, then each
    /// process in order.
    pub fn rules(&self) -> Vec<RuleRef> {
        let mut out = Vec::new();
        for r in &self.roles {
            if let Some(s) = &r.source {
                out.push(RuleRef {
                    process: None,
                    kind: "role",
                    id: r.id.clone(),
                    source: s.clone(),
                    open: None,
                    origin: r.origin.clone(),
                });
            }
        }
        for p in &self.processes {
            p.collect_rules(&mut out);
        }
        let cloud = self.cloud.iter().flat_map(|c| c.cited.iter());
        let projects = self.projects.iter().flat_map(|r| r.cited.iter().cloned());
        let parameters = self.parameters.iter().map(|p| p.cited());
        for v in cloud.cloned().chain(projects).chain(parameters) {
            out.push(RuleRef {
                process: None,
                kind: "parameter",
                id: v.key.clone(),
                source: v.source.clone(),
                open: None,
                origin: v.origin.clone(),
            });
        }
        out
    }

    /// The pack's part of its regulation's text: from the line that reads
    /// `document_from` to the line before the one that reads
    /// `document_until`. `None` when the starting line is not in `text`.
    pub fn document_part<'a>(&self, text: &'a str) -> Option<&'a str> {
        let line_at = |needle: &str, from: usize| -> Option<usize> {
            let mut pos = from;
            for line in text[from..].split_inclusive('\n') {
                if line.trim() == needle {
                    return Some(pos);
                }
                pos += line.len();
            }
            None
        };
        let start = match &self.document_from {
            Some(h) => line_at(h, 0)?,
            None => 0,
        };
        let end = match &self.document_until {
            // Searched from the line after the start (a byte offset on a
            // character boundary, the texts being Chinese).
            Some(h) => {
                let next = text[start..]
                    .find('\n')
                    .map_or(text.len(), |i| start + i + 1);
                line_at(h, next).unwrap_or(text.len())
            }
            None => text.len(),
        };
        Some(&text[start..end])
    }
}

impl Process {
    pub fn field(&self, id: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.id == id)
    }

    pub fn state(&self, id: &str) -> Option<&State> {
        self.states.iter().find(|s| s.id == id)
    }

    pub fn transition(&self, id: &str) -> Option<&Transition> {
        self.transitions.iter().find(|t| t.id == id)
    }

    /// Whether any transition of the process names the hook `name` as a
    /// gate or an effect (the ticket page shows the hook's panel).
    pub fn uses_hook(&self, name: &str) -> bool {
        self.transitions
            .iter()
            .flat_map(|t| t.gates.iter().chain(&t.effects))
            .any(|h| h.hook == name)
    }

    /// The hook names the process uses, in a stable order.
    pub fn hooks_used(&self) -> std::collections::BTreeSet<String> {
        self.transitions
            .iter()
            .flat_map(|t| t.gates.iter().chain(&t.effects))
            .map(|h| h.hook.clone())
            .collect()
    }

    pub fn approval(&self, id: &str) -> Option<&Approval> {
        self.approvals.iter().find(|a| a.id == id)
    }

    pub fn timer(&self, id: &str) -> Option<&Timer> {
        self.timers.iter().find(|t| t.id == id)
    }

    /// The one initial state (guaranteed by the checker).
    pub fn initial_state(&self) -> &State {
        self.states
            .iter()
            .find(|s| s.initial)
            .expect("checked pack has an initial state")
    }

    /// The approval collected in `state` for these fields, if any.
    pub fn open_approval(&self, state: &str, fields: &Fields) -> Option<&Approval> {
        self.approvals
            .iter()
            .find(|a| a.state == state && Condition::holds_opt(a.when.as_ref(), fields))
    }

    fn collect_rules(&self, out: &mut Vec<RuleRef>) {
        let first = out.len();
        let mut push = |kind: &'static str, id: &str, source: &Option<String>, origin: &Origin| {
            if let Some(s) = source {
                out.push(RuleRef {
                    process: Some(self.id.clone()),
                    kind,
                    id: id.to_string(),
                    source: s.clone(),
                    open: None,
                    origin: origin.clone(),
                });
            }
        };
        push("process", &self.id, &self.source, &self.origin);
        for i in &self.intake {
            push("intake", i, &self.source, &self.origin);
        }
        for f in &self.fields {
            push("field", &f.id, &f.source, &f.origin);
        }
        for d in &self.derives {
            push("derive", &d.field, &Some(d.source.clone()), &d.origin);
        }
        for s in &self.states {
            push("state", &s.id, &s.source, &s.origin);
        }
        for t in &self.transitions {
            push("transition", &t.id, &Some(t.source.clone()), &t.origin);
            for (kind, uses) in [("gate", &t.gates), ("effect", &t.effects)] {
                for h in uses {
                    let id = format!("{}:{}", t.id, h.hook);
                    push(kind, &id, &Some(h.source.clone()), &h.origin);
                }
            }
        }
        for a in &self.approvals {
            push("approval", &a.id, &Some(a.source.clone()), &a.origin);
        }
        for t in &self.timers {
            push("timer", &t.id, &Some(t.source.clone()), &t.origin);
        }
        for l in &self.lead_times {
            let id = format!("{}.{}>={}wd", l.transition, l.field, l.working_days);
            push("lead_time", &id, &Some(l.source.clone()), &l.origin);
        }
        for r in &self.required_ifs {
            let items: Vec<&str> = r
                .fields
                .iter()
                .chain(&r.attachments)
                .map(String::as_str)
                .collect();
            let id = format!("{}:{}", r.transition, items.join(","));
            push("required_if", &id, &Some(r.source.clone()), &r.origin);
        }
        for c in &self.conversions {
            let id = format!("{}->{}", c.transition, c.process);
            push("conversion", &id, &Some(c.source.clone()), &c.origin);
        }
        for r in &mut out[first..] {
            if r.kind == "timer" {
                r.open = self.timer(&r.id).and_then(|t| t.open.clone());
            }
        }
    }
}

/// Splits a citation `JSCZ-27` / `EEDS-3.3.4` into its code and numeric
/// article path, or `None` when it is not of that form.
pub fn parse_citation(s: &str) -> Option<(&str, Vec<u32>)> {
    let (code, article) = s.split_once('-')?;
    if code.is_empty() || !code.chars().all(|c| c.is_ascii_uppercase()) {
        return None;
    }
    let parts: Option<Vec<u32>> = article
        .split('.')
        .map(|p| {
            if p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()) {
                None
            } else {
                p.parse().ok()
            }
        })
        .collect();
    Some((code, parts?))
}

/// The test-name prefix of a citation: `JSCZ-27` -> `jscz_27_`,
/// `EEDS-3.3.4` -> `eeds_3_3_4_`.
pub fn citation_test_prefix(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    out.push('_');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// JSCZ-54 「不得未经本处（科）室负责人同意…不得未经本级财政负责人同意」:
    /// the division head's grant lies inside the level and above or on the
    /// ticket's organisation; the level head's at or below the level.
    #[test]
    fn jscz_54_holder_rules_admit_grants_by_where_they_lie() {
        let province = "/js/";
        let city = "/js/nj/";
        // A provincial grant on the whole province.
        assert!(Holder::SameLevel.admits(province, Some(province)));
        assert!(!Holder::SameLevel.admits(province, Some(city)));
        assert!(!Holder::SameOrg.admits(province, Some(province)));
        // The city's own.
        assert!(Holder::SameLevel.admits(city, Some(city)));
        // A division of the city.
        assert!(Holder::SameOrg.admits("/js/nj/it/", Some(city)));
        assert!(Holder::SameLevel.admits("/js/nj/it/", Some(city)));
        // Unknown level: only the default admits.
        assert!(Holder::Covering.admits(province, None));
        assert!(!Holder::SameLevel.admits(city, None));
        for h in Holder::ALL {
            assert_eq!(Holder::parse(h.as_str()), Some(h));
        }
    }

    #[test]
    fn durations_parse() {
        assert_eq!(
            TimerDuration::parse("30m"),
            Some(TimerDuration::WallClock(30))
        );
        assert_eq!(
            TimerDuration::parse("2h"),
            Some(TimerDuration::WallClock(120))
        );
        assert_eq!(
            TimerDuration::parse("2wd"),
            Some(TimerDuration::WorkingDays(2))
        );
        assert_eq!(
            TimerDuration::parse("5d"),
            Some(TimerDuration::CalendarDays(5))
        );
        assert_eq!(TimerDuration::parse("1mo"), Some(TimerDuration::Months(1)));
        assert_eq!(TimerDuration::Months(1).to_string(), "1mo");
        assert!(!TimerDuration::Months(1).is_wall_clock());
        for bad in ["", "h", "2", "2x", "-1d", "2 h", "1.5h", "99999999999m"] {
            assert_eq!(TimerDuration::parse(bad), None, "{bad}");
        }
        assert_eq!(TimerDuration::WallClock(120).to_string(), "2h");
        assert_eq!(TimerDuration::WallClock(30).to_string(), "30m");
    }

    #[test]
    fn citations() {
        assert_eq!(parse_citation("JSCZ-27"), Some(("JSCZ", vec![27])));
        assert_eq!(parse_citation("EEDS-3.3.4"), Some(("EEDS", vec![3, 3, 4])));
        assert_eq!(parse_citation("jscz-27"), None);
        assert_eq!(parse_citation("JSCZ-"), None);
        assert_eq!(parse_citation("JSCZ-2a"), None);
        assert_eq!(parse_citation("JSCZ27"), None);
        assert_eq!(citation_test_prefix("JSCZ-27"), "jscz_27_");
        assert_eq!(citation_test_prefix("NTCZ-6.1.2"), "ntcz_6_1_2_");
    }
}

#[cfg(test)]
mod money_tests {
    use super::*;

    #[test]
    fn money_is_exact_to_the_fen_and_bounded() {
        let d = |s: &str| parse_money(s).map(|m| m.to_string());
        assert_eq!(d("300000").as_deref(), Some("300000.00"));
        assert_eq!(d("299,999.99").as_deref(), Some("299999.99"));
        assert_eq!(d("0.1").as_deref(), Some("0.10"));
        assert_eq!(d("999999999999.99").as_deref(), Some("999999999999.99"));
        for bad in [
            "",
            "-1",
            "1.001",
            "1e6",
            "abc",
            "1.2.3",
            "1000000000000",
            " . ",
        ] {
            assert_eq!(parse_money(bad), None, "{bad}");
        }
        assert_eq!(money_to_fen(parse_money("4000000").unwrap()), 400_000_000);
        assert_eq!(fen_to_money(29_999_999).to_string(), "299999.99");
    }
}
