//! Temporary access to a managed system (`access`, JSCZ-8, JSCZ-49): the
//! revocation's time and reason, the confirmation that the accounts and
//! rights are gone from the target system, and the flag until then.

use std::future::ready;

use yunwei_domain::register::{Spec, Step, Val};
use yunwei_store::registers::EntryRow;
use yunwei_store::DbConn;

use super::{done_ref, invalid, text};
use crate::features::access::{self, REGISTER, REMOVAL_KIND};
use crate::kernel::due;
use crate::kernel::seams::{Change, RegisterRules, SeamFuture};
use crate::Platform;

pub static RULES: RegisterRules = RegisterRules {
    register: REGISTER,
    before_step,
    after_write,
    flags,
    ..RegisterRules::NONE
};

/// A revocation records when and why; the confirmation of the removal
/// says what was removed.
fn before_step<'a>(
    p: &'a Platform,
    _: &'a mut DbConn,
    _: &'static Spec,
    step: &'static Step,
    e: &'a mut EntryRow,
    note: &'a str,
) -> SeamFuture<'a, ()> {
    Box::pin(async move {
        match step.name {
            "revoke" => {
                e.values.insert(
                    "revoked_at",
                    Val::Text(crate::kernel::export::fmt_us(p.now_us())),
                );
                let reason = if note.trim().is_empty() {
                    "管理员提前收回"
                } else {
                    note.trim()
                };
                e.values
                    .insert("revoke_reason", Val::Text(reason.to_string()));
            }
            "confirm_removed" => {
                if note.trim().is_empty() {
                    return Err(invalid(
                        "access.removal_note_required",
                        "请在说明中写明在目标系统中删除了哪些账号和权限（JSCZ-49）",
                    ));
                }
                e.values
                    .insert("removal_note", Val::Text(note.trim().to_string()));
            }
            _ => {}
        }
        Ok(())
    })
}

/// A revocation opens the removal in the target system; the confirmation
/// answers it.
fn after_write<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    spec: &'static Spec,
    e: &'a EntryRow,
    change: Change<'a>,
) -> SeamFuture<'a, ()> {
    Box::pin(async move {
        let now = p.now_us();
        match change {
            Change::Step(st) if st.name == "revoke" => {
                access::after_revoke(p, c, e).await?;
            }
            Change::Step(st) if st.name == "confirm_removed" => {
                due::complete_open(
                    c,
                    (spec.key, &e.id),
                    REMOVAL_KIND,
                    |_| true,
                    1,
                    (&done_ref(spec, e), now),
                )
                .await?;
            }
            _ => {}
        }
        Ok(())
    })
}

fn flags<'a>(
    _: &'a Platform,
    _: &'a mut DbConn,
    _: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, Vec<String>> {
    let mut out = vec![];
    if text(e, "status") == "revoked" {
        out.push("已收回，待系统管理员确认目标系统中的账号和权限已删除（JSCZ-49）".to_string());
    }
    Box::pin(ready(Ok(out)))
}
