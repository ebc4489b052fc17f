//! Policy packs (ADR 0003): the regulation as TOML data and a pure
//! workflow engine over it.
//!
//! - [`model`]: the checked pack: roles, processes, fields, states,
//!   transitions, approvals, timers, lead times, conversions.
//! - [`condition`]: the small condition language (`level == 'major' and
//!   type != 'data'`), parsed, never executed.
//! - [`check`]: [`check::load_pack`] parses the TOML files with source spans
//!   and reports every problem as `file:line:col: message`.
//! - [`engine`]: which transitions an actor may take, applying one, votes.
//! - [`hooks`]: the names of platform gates and effects a transition may
//!   name (ADR 0010).
//! - [`cloud`]: a pack's government-cloud rules (`cloud.toml`, ADR 0016).
//! - [`coverage`]: the articles a pack leaves out on purpose, with the
//!   reason (`coverage.toml`, ADR 0019).
//! - [`embedded`]: the packs compiled into the binary (`policies/`).

pub mod check;
pub mod cloud;
pub mod condition;
pub mod coverage;
pub mod embedded;
pub mod engine;
pub mod hooks;
pub mod model;
pub mod parameters;
pub mod projects;

pub use check::{load_pack, PackError};
pub use condition::{Condition, ConditionError, Expr};
pub use engine::{
    apply, available, derive_fields, open, vote, Actor, ApprovalVote, Opening, Outcome, Refusal,
    TicketSnapshot, TimerAction, TimerOp, VoteOutcome, Workdays,
};
pub use model::{FieldType, FieldValue, Fields, Pack, Process};
