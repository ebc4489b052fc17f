//! Vulnerability scans (JSCZ-10: 定期对系统进行漏洞扫描，对发现的系统漏洞及时修补):
//! a scan that found vulnerabilities says how they are fixed (each goes to
//! the vulnerability register, fixed by its deadline); a scan recorded
//! answers the scans due (`reviews`).

use std::future::ready;

use yunwei_domain::register::Spec;
use yunwei_store::registers::EntryRow;
use yunwei_store::DbConn;

use super::{date, done_ref, invalid, text};
use crate::kernel::seams::{Change, RegisterRules, SeamFuture};
use crate::Platform;

pub static RULES: RegisterRules = RegisterRules {
    register: "vuln_scans",
    check,
    after_write,
    ..RegisterRules::NONE
};

fn check<'a>(
    _: &'a Platform,
    _: &'a mut DbConn,
    _: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, ()> {
    let found = e.get("found").int().unwrap_or(0);
    let result = if found > 0 && text(e, "remediation").trim().is_empty() {
        Err(invalid(
            "register.remediation_missing",
            "发现漏洞的，须填写修补安排（JSCZ-10：对发现的系统漏洞及时修补）",
        ))
    } else {
        Ok(())
    };
    Box::pin(ready(result))
}

fn after_write<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    spec: &'static Spec,
    e: &'a EntryRow,
    change: Change<'a>,
) -> SeamFuture<'a, ()> {
    Box::pin(async move {
        if let (Change::Created, Some(day)) = (change, date(e, "scanned_on")) {
            crate::features::reviews::scanned(c, &e.org_id, day, (&done_ref(spec, e), p.now_us()))
                .await?;
        }
        Ok(())
    })
}
