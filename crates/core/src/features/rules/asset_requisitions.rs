//! Assets taken out and brought back (JSCZ-9): the return date checked
//! against the day taken, due once approved, answered and recorded on
//! the return, flagged when late.

use std::future::ready;

use yunwei_domain::register::{Spec, Step, Val};
use yunwei_store::registers::EntryRow;
use yunwei_store::DbConn;

use super::{ci_label, date, done_ref, order, subject, text, ymd};
use crate::kernel::due;
use crate::kernel::seams::{Change, RegisterRules, SeamFuture};
use crate::Platform;

pub static RULES: RegisterRules = RegisterRules {
    register: "asset_requisitions",
    check,
    before_step,
    after_write,
    // The overdue return says it better than the occurrence.
    covered_kinds: &["asset_return"],
    flags,
    ..RegisterRules::NONE
};

fn check<'a>(
    _: &'a Platform,
    _: &'a mut DbConn,
    _: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, ()> {
    Box::pin(ready(order(
        e,
        "borrowed_on",
        "due_back",
        "应归还日期不能早于领用日期",
    )))
}

/// The return date of an asset is the day it is returned.
fn before_step<'a>(
    p: &'a Platform,
    _: &'a mut DbConn,
    _: &'static Spec,
    step: &'static Step,
    e: &'a mut EntryRow,
    _: &'a str,
) -> SeamFuture<'a, ()> {
    if step.name == "return" {
        e.values
            .insert("returned_on", Val::Text(ymd(due::today(p))));
    }
    Box::pin(ready(Ok(())))
}

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
            Change::Step(st) if st.name == "approve" => {
                if let Some(back) = date(e, "due_back") {
                    let title = format!(
                        "{}（{}）",
                        crate::registers::title_of(spec, e),
                        ci_label(c, text(e, "ci_id")).await?
                    );
                    due::ensure_once(
                        c,
                        &subject(spec, e, "asset_return", &title, "JSCZ-9"),
                        due::day_end(back),
                        now,
                    )
                    .await?;
                }
            }
            Change::Step(st) if st.name == "return" => {
                due::complete_open(
                    c,
                    (spec.key, &e.id),
                    "asset_return",
                    |_| true,
                    usize::MAX,
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
    p: &'a Platform,
    _: &'a mut DbConn,
    _: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, Vec<String>> {
    let mut out = vec![];
    if text(e, "status") == "approved" {
        if let Some(back) = date(e, "due_back") {
            if due::today(p) > back {
                out.push(format!("逾期未归还：应于 {} 归还（JSCZ-9）", ymd(back)));
            }
        }
    }
    Box::pin(ready(Ok(out)))
}
