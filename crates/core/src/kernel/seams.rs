//! The seams the features plug into, so that the engines below them run
//! feature behaviour without naming it (ADR 0010):
//!
//! - [`Hook`]s: the gates and effects a pack names on a transition
//!   (`[[transition.gate]]`, `[[transition.effect]]`), and what runs when a
//!   ticket reaches a final state;
//! - [`RegisterRules`]: what is particular to one register (checks across
//!   fields, derived fields, who files, steps, due dates, flags, the
//!   periods it rolls forward).
//!
//! The features implement them, each in its own file; the crate root
//! gathers them once in [`crate::SEAMS`], which [`Platform`] carries.

use std::future::Future;
use std::pin::Pin;

use chrono::NaiveDate;
use yunwei_domain::policy::model::{Fields, HookUse};
use yunwei_domain::register::{Spec, Step};
use yunwei_domain::schedule::Recurrence;
use yunwei_domain::AppError;
use yunwei_store::registers::EntryRow;
use yunwei_store::tickets::TicketRow;
use yunwei_store::DbConn;

use crate::{Authorized, Ctx, Platform, Principal};

/// The future a seam returns.
pub type SeamFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, AppError>> + Send + 'a>>;

/// What a hook sees: the ticket before the transition (a gate) or after
/// it (an effect, a final state), the transition taken (empty for a final
/// state reached by a vote) and the merged fields.
pub struct HookCall<'a> {
    pub p: &'a Platform,
    pub ctx: &'a Ctx,
    pub pr: &'a Principal,
    /// The proof the engine made when it let the caller take the step.
    pub auth: Authorized<'a>,
    pub ticket: &'a TicketRow,
    pub transition: &'a str,
    pub fields: &'a Fields,
    /// Microseconds since the epoch, the transition's instant.
    pub now_us: i64,
}

/// One hook: its registry name ([`yunwei_domain::policy::hooks`]) and its
/// function, run in the ticket's transaction.
pub struct Hook {
    pub name: &'static str,
    pub run: for<'a> fn(&'a mut DbConn, &'a HookCall<'a>) -> SeamFuture<'a, ()>,
}

/// What just happened to a register entry.
pub enum Change<'a> {
    Created,
    Updated(&'a EntryRow),
    Step(&'static Step),
}

/// The periodic occurrences of a register's entries that the
/// `register_periods` job rolls forward.
pub struct Rolling {
    /// The recurrence of `e`'s occurrences on `today`, None when it has
    /// none (an inactive plan, a contract not in force).
    pub recurrence: fn(e: &EntryRow, today: NaiveDate) -> Option<Recurrence>,
    /// Creates `e`'s occurrences from `from` to today.
    pub schedule: for<'a> fn(
        &'a Platform,
        &'a mut DbConn,
        &'static Spec,
        &'a EntryRow,
        NaiveDate,
    ) -> SeamFuture<'a, ()>,
}

/// What is particular to a register (ADR 0006), one value per register in
/// its own file. Every part has a default that does nothing
/// ([`RegisterRules::NONE`]).
pub struct RegisterRules {
    /// The register's key ([`Spec::key`]).
    pub register: &'static str,
    /// Sets the fields the platform computes before the entry is checked.
    /// May read the platform's pack parameters (ADR 0018).
    pub derive: fn(&Platform, &'static Spec, &mut EntryRow) -> Result<(), AppError>,
    /// Refuses an entry whose fields contradict each other or the entries
    /// they name.
    pub check:
        for<'a> fn(&'a Platform, &'a mut DbConn, &'static Spec, &'a EntryRow) -> SeamFuture<'a, ()>,
    /// Refuses a filer beyond the register's write action.
    pub check_filer: fn(&'static Spec, &EntryRow, &Principal) -> Result<(), AppError>,
    /// A refusal of `step` on `e` by the caller (audited as denied), if any.
    pub step_refusal: for<'a> fn(
        &'a mut DbConn,
        &'a Principal,
        &'static Spec,
        &'static Step,
        &'a EntryRow,
    ) -> SeamFuture<'a, Option<AppError>>,
    /// Sets fields of the entry before a step is stored.
    pub before_step: for<'a> fn(
        &'a Platform,
        &'a mut DbConn,
        &'static Spec,
        &'static Step,
        &'a mut EntryRow,
        &'a str,
    ) -> SeamFuture<'a, ()>,
    /// Keeps the due-date engine and derived data in step with a change, in
    /// the caller's transaction.
    pub after_write: for<'a> fn(
        &'a Platform,
        &'a mut DbConn,
        &'static Spec,
        &'a EntryRow,
        Change<'a>,
    ) -> SeamFuture<'a, ()>,
    /// Kinds of occurrence whose overdue flag the register's own flags say
    /// better.
    pub covered_kinds: &'static [&'static str],
    /// The register's own flags on `e` today.
    pub flags: for<'a> fn(
        &'a Platform,
        &'a mut DbConn,
        &'static Spec,
        &'a EntryRow,
    ) -> SeamFuture<'a, Vec<String>>,
    /// Its periodic occurrences, if it has some.
    pub rolling: Option<Rolling>,
}

fn no_derive(_: &Platform, _: &'static Spec, _: &mut EntryRow) -> Result<(), AppError> {
    Ok(())
}

fn no_check<'a>(
    _: &'a Platform,
    _: &'a mut DbConn,
    _: &'static Spec,
    _: &'a EntryRow,
) -> SeamFuture<'a, ()> {
    Box::pin(async { Ok(()) })
}

fn no_filer_check(_: &'static Spec, _: &EntryRow, _: &Principal) -> Result<(), AppError> {
    Ok(())
}

fn no_step_refusal<'a>(
    _: &'a mut DbConn,
    _: &'a Principal,
    _: &'static Spec,
    _: &'static Step,
    _: &'a EntryRow,
) -> SeamFuture<'a, Option<AppError>> {
    Box::pin(async { Ok(None) })
}

fn nothing_before_step<'a>(
    _: &'a Platform,
    _: &'a mut DbConn,
    _: &'static Spec,
    _: &'static Step,
    _: &'a mut EntryRow,
    _: &'a str,
) -> SeamFuture<'a, ()> {
    Box::pin(async { Ok(()) })
}

fn nothing_after_write<'a>(
    _: &'a Platform,
    _: &'a mut DbConn,
    _: &'static Spec,
    _: &'a EntryRow,
    _: Change<'a>,
) -> SeamFuture<'a, ()> {
    Box::pin(async { Ok(()) })
}

fn no_flags<'a>(
    _: &'a Platform,
    _: &'a mut DbConn,
    _: &'static Spec,
    _: &'a EntryRow,
) -> SeamFuture<'a, Vec<String>> {
    Box::pin(async { Ok(vec![]) })
}

impl RegisterRules {
    /// The rules of a register with nothing particular.
    pub const NONE: RegisterRules = RegisterRules {
        register: "",
        derive: no_derive,
        check: no_check,
        check_filer: no_filer_check,
        step_refusal: no_step_refusal,
        before_step: nothing_before_step,
        after_write: nothing_after_write,
        covered_kinds: &[],
        flags: no_flags,
        rolling: None,
    };
}

/// Every seam's implementations, gathered once.
pub struct Seams {
    /// Every gate a pack may name.
    pub gates: &'static [Hook],
    /// Every effect a pack may name.
    pub effects: &'static [Hook],
    /// Run, in order, when a ticket reaches a final state (whatever its
    /// pack): the knowledge draft of its cause and solution.
    pub on_final: &'static [Hook],
    /// The registers with rules of their own.
    pub registers: &'static [&'static RegisterRules],
}

impl Seams {
    /// The rules of register `key` (nothing particular when it has none).
    pub fn register(&self, key: &str) -> &'static RegisterRules {
        self.registers
            .iter()
            .copied()
            .find(|r| r.register == key)
            .unwrap_or(&RegisterRules::NONE)
    }

    fn find(table: &'static [Hook], name: &str) -> Result<&'static Hook, AppError> {
        // The pack checker only lets registered names through.
        table
            .iter()
            .find(|h| h.name == name)
            .ok_or_else(AppError::internal)
    }

    /// Runs the gates in `uses`, in order; the first refusal stops the
    /// transition.
    pub async fn run_gates<'a>(
        &self,
        c: &mut DbConn,
        call: &HookCall<'a>,
        uses: impl IntoIterator<Item = &HookUse>,
    ) -> Result<(), AppError> {
        for u in uses {
            (Self::find(self.gates, &u.hook)?.run)(c, call).await?;
        }
        Ok(())
    }

    /// Runs the effects in `uses`, in order, in the caller's transaction.
    pub async fn run_effects<'a>(
        &self,
        c: &mut DbConn,
        call: &HookCall<'a>,
        uses: impl IntoIterator<Item = &HookUse>,
    ) -> Result<(), AppError> {
        for u in uses {
            (Self::find(self.effects, &u.hook)?.run)(c, call).await?;
        }
        Ok(())
    }

    /// Runs every final-state hook, in the caller's transaction.
    pub async fn run_on_final<'a>(
        &self,
        c: &mut DbConn,
        call: &HookCall<'a>,
    ) -> Result<(), AppError> {
        for h in self.on_final {
            (h.run)(c, call).await?;
        }
        Ok(())
    }
}
