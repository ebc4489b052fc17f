//! Going live (NTCZ-3.4.1, JSCZ-42): the go-live emergency plan of a
//! release or major change and the pre-launch security checks of new
//! software, each registered against a ticket whose process names the
//! gate it answers, and the two gates that refuse the implementation
//! without them.

use yunwei_domain::policy::hooks;
use yunwei_domain::register::{Spec, Val};
use yunwei_domain::AppError;
use yunwei_store::registers::{self as store, EntryRow};
use yunwei_store::DbConn;

use super::{invalid, spec_named, text};
use crate::kernel::seams::{RegisterRules, SeamFuture};
use crate::{Platform, Principal};

pub static GOLIVE_PLANS: RegisterRules = RegisterRules {
    register: "golive_plans",
    check: check_golive_plan,
    ..RegisterRules::NONE
};

pub static PRELAUNCH_CHECKS: RegisterRules = RegisterRules {
    register: "prelaunch_checks",
    check: check_prelaunch_checks,
    ..RegisterRules::NONE
};

fn check_golive_plan<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    _: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, ()> {
    Box::pin(check_gated(p, c, e, hooks::GOLIVE_PLAN))
}

fn check_prelaunch_checks<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    _: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, ()> {
    Box::pin(check_gated(p, c, e, hooks::PRELAUNCH_CHECKS))
}

/// Only tickets whose process names the gate `hook` this register
/// answers (ADR 0010).
async fn check_gated(
    p: &Platform,
    c: &mut DbConn,
    e: &EntryRow,
    hook: &str,
) -> Result<(), AppError> {
    let t = yunwei_store::tickets::get(c, text(e, "ticket_id"))
        .await?
        .ok_or_else(AppError::internal)?;
    let gated = crate::tickets::pack(p, &t.pack_id, Some(&t.pack_version))
        .ok()
        .and_then(|pk| pk.process(&t.process_id))
        .is_some_and(|pr_| pr_.uses_hook(hook));
    if !gated {
        return Err(invalid(
            "register.golive_ticket",
            format!(
                "上线应急方案只能关联发布或变更工单，{} 不是（NTCZ-3.4.1）",
                t.number
            ),
        ));
    }
    Ok(())
}

// ---- the go-live plan and pre-launch gates (NTCZ-3.4.1, JSCZ-42) ----
//
// Run as the `golive_plan` and `prelaunch_checks` gates a pack names on a
// transition (`core::hooks`, ADR 0010).

/// Refuses the implementation of new software or functions whose code
/// review, virus scan and vulnerability scan have not all passed.
pub async fn require_prelaunch_checks(
    c: &mut DbConn,
    ticket_id: &str,
    number: &str,
) -> Result<(), AppError> {
    let checks = spec_named("prelaunch_checks")?;
    let found = store::find(
        c,
        checks,
        &[("ticket_id", Val::Text(ticket_id.to_string()))],
        50,
    )
    .await?;
    let passed = found.iter().any(|e| {
        ["code_review", "virus_scan", "vuln_scan"]
            .iter()
            .all(|f| text(e, f) == "pass")
    });
    if !passed {
        return Err(AppError::bad_request(
            "ticket.prelaunch_checks_required",
            format!(
                "{number} 尚未登记全部通过的上线前安全检测（代码审核、病毒检测、漏洞扫描），不能开始实施（JSCZ-42）"
            ),
        ));
    }
    Ok(())
}

/// Refuses the implementation of a release or major change that has no
/// go-live emergency plan.
pub async fn require_golive_plan(
    c: &mut DbConn,
    ticket_id: &str,
    number: &str,
) -> Result<(), AppError> {
    let plans = spec_named("golive_plans")?;
    let found = store::find(
        c,
        plans,
        &[("ticket_id", Val::Text(ticket_id.to_string()))],
        1,
    )
    .await?;
    if found.is_empty() {
        return Err(AppError::bad_request(
            "ticket.golive_plan_required",
            format!(
                "{number} 尚未登记上线应急方案（应急处置范围、风险分析、通过和失败准则、处置方法、问题跟踪策略），不能开始实施（NTCZ-3.4.1）"
            ),
        ));
    }
    Ok(())
}

/// The entries of a register naming a ticket (`golive_plans`,
/// `prelaunch_checks`) that the caller may see: (id, title).
pub async fn entries_for_ticket(
    p: &Platform,
    pr: &Principal,
    register: &str,
    ticket_id: &str,
) -> Result<Vec<(String, String)>, AppError> {
    let plans = spec_named(register)?;
    let mut c = p.db.read().await?;
    let rows = store::find(
        &mut c,
        plans,
        &[("ticket_id", Val::Text(ticket_id.to_string()))],
        50,
    )
    .await?;
    Ok(rows
        .iter()
        .filter(|e| crate::registers::can_read(pr, plans, e))
        .map(|e| (e.id.clone(), crate::registers::title_of(plans, e)))
        .collect())
}
