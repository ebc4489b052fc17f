//! Upgrade plans of the systems' software and hardware (EEDS-2.2.2.10:
//! 制定……升级计划，审核通过后，具体实施): implemented only once approved (the
//! steps allow nothing else), with the day it was done recorded by the
//! step; an approved plan past its planned day and not done is flagged.

use std::future::ready;

use yunwei_domain::register::{Spec, Step, Val};
use yunwei_store::registers::EntryRow;
use yunwei_store::DbConn;

use super::{date, text, ymd};
use crate::kernel::due;
use crate::kernel::seams::{RegisterRules, SeamFuture};
use crate::Platform;

pub static RULES: RegisterRules = RegisterRules {
    register: "upgrade_plans",
    before_step,
    flags,
    ..RegisterRules::NONE
};

fn before_step<'a>(
    p: &'a Platform,
    _: &'a mut DbConn,
    _: &'static Spec,
    step: &'static Step,
    e: &'a mut EntryRow,
    _: &'a str,
) -> SeamFuture<'a, ()> {
    if step.name == "complete" {
        e.values.insert("done_on", Val::Text(ymd(due::today(p))));
    }
    Box::pin(ready(Ok(())))
}

fn flags<'a>(
    p: &'a Platform,
    _: &'a mut DbConn,
    _: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, Vec<String>> {
    let late =
        text(e, "status") == "approved" && date(e, "planned_on").is_some_and(|d| d < due::today(p));
    let out = if late {
        vec![format!(
            "计划于 {} 实施，尚未完成",
            date(e, "planned_on").map(ymd).unwrap_or_default()
        )]
    } else {
        vec![]
    };
    Box::pin(ready(Ok(out)))
}
