//! Vulnerabilities found on a configuration item (JSCZ-42): the fix is
//! due by severity (days from the pack's parameters), a finding still open is not registered twice, and
//! closing or accepting it answers the fix. A finding registered answers
//! the scans due at its organisation (JSCZ-10).

use yunwei_domain::register::{Spec, Val};
use yunwei_domain::AppError;
use yunwei_store::registers::{self as store, EntryRow};
use yunwei_store::DbConn;

use super::{ci_label, date, done_ref, subject, text, ymd};
use crate::kernel::due;
use crate::kernel::seams::{Change, RegisterRules, SeamFuture};
use crate::Platform;

pub static RULES: RegisterRules = RegisterRules {
    register: "vulnerabilities",
    derive,
    check,
    after_write,
    ..RegisterRules::NONE
};

/// Days to remediate a vulnerability by severity: pack parameters
/// `vulnerability.fix_days.<severity>` (JSCZ-42 says 「及时」; the days are
/// the organisation's choice, ADR 0018).
fn fix_days(p: &Platform, severity: &str) -> Result<i64, AppError> {
    let key = match severity {
        "critical" => "vulnerability.fix_days.critical",
        "high" => "vulnerability.fix_days.high",
        "medium" => "vulnerability.fix_days.medium",
        _ => "vulnerability.fix_days.low",
    };
    crate::kernel::parameters::int(p, key)
}

/// The fix is due `fix_days` after the finding.
fn derive(p: &Platform, _: &'static Spec, e: &mut EntryRow) -> Result<(), AppError> {
    let due = match date(e, "found_on") {
        Some(d) => Some(ymd(d + chrono::Duration::days(fix_days(
            p,
            text(e, "severity"),
        )?))),
        None => None,
    };
    e.values
        .insert("due_on", due.map(Val::Text).unwrap_or(Val::Null));
    Ok(())
}

/// A finding already open on the item is not registered twice (the same
/// scan report imported again).
fn check<'a>(
    _: &'a Platform,
    c: &'a mut DbConn,
    spec: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, ()> {
    Box::pin(async move {
        let same = store::find(c, spec, &[("ci_id", e.get("ci_id").clone())], 10_000).await?;
        let key = |x: &EntryRow| {
            let cve = text(x, "cve");
            if cve.is_empty() {
                text(x, "title").to_string()
            } else {
                cve.to_string()
            }
        };
        if same.iter().any(|o| {
            o.id != e.id && matches!(text(o, "status"), "open" | "fixed") && key(o) == key(e)
        }) {
            return Err(AppError::conflict(
                "register.vulnerability_open",
                format!("该系统的漏洞「{}」已登记且未关闭", key(e)),
            ));
        }
        Ok(())
    })
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
        // A finding registered (typed or imported from a scan report) is
        // the result of a scan run on its day: it answers the scans due at
        // its organisation (JSCZ-10).
        if let (Change::Created, Some(found)) = (&change, date(e, "found_on")) {
            crate::features::reviews::scanned(c, &e.org_id, found, (&done_ref(spec, e), now))
                .await?;
        }
        match change {
            Change::Created | Change::Updated(_) => {
                if let Some(due) = date(e, "due_on") {
                    // A new due date (severity or date corrected) replaces
                    // the open one not yet due.
                    yunwei_store::controls::delete_open_not_due(c, spec.key, &e.id, now).await?;
                    let title = format!(
                        "{}（{}）",
                        text(e, "title"),
                        ci_label(c, text(e, "ci_id")).await?
                    );
                    due::ensure_once(
                        c,
                        &subject(spec, e, "vuln_fix", &title, "JSCZ-42"),
                        due::day_end(due),
                        now,
                    )
                    .await?;
                }
            }
            Change::Step(st) if st.to == "closed" || st.to == "accepted" => {
                due::complete_open(
                    c,
                    (spec.key, &e.id),
                    "vuln_fix",
                    |_| true,
                    usize::MAX,
                    (&done_ref(spec, e), now),
                )
                .await?;
            }
            Change::Step(_) => {}
        }
        Ok(())
    })
}
