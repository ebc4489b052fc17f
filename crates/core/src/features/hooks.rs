//! The platform behaviour a pack names on a transition (ADR 0010).
//!
//! A transition lists `[[transition.gate]]`s, checks that must hold before
//! it is taken, and `[[transition.effect]]`s, side effects applied in its
//! transaction. The names are the domain's registry
//! ([`yunwei_domain::policy::hooks`]); this module is the one place that
//! implements them, as a table of named functions (the integration test
//! `policy::core_hooks_implement_the_registry` holds the two equal). `tickets::transition`
//! runs the hooks the transition names (whose `when` holds on the merged
//! fields), in the order written; no process id of any pack is matched in
//! Rust.

use yunwei_domain::policy::hooks as names;
use yunwei_store::DbConn;

use crate::kernel::seams::{Hook, HookCall, SeamFuture};

/// Every gate, registered once.
pub static GATES: &[Hook] = &[
    Hook {
        name: names::GOLIVE_PLAN,
        run: golive_plan,
    },
    Hook {
        name: names::PRELAUNCH_CHECKS,
        run: prelaunch_checks,
    },
    Hook {
        name: names::NAMED_TICKET,
        run: |c, h| {
            Box::pin(crate::tickets::check_named_tickets(
                h.p, c, h.pr, h.ticket, h.fields,
            ))
        },
    },
    Hook {
        name: names::GRANTEE,
        run: grantee,
    },
    Hook {
        name: names::GRANTEE_OF_ORG,
        run: grantee_of_org,
    },
    Hook {
        name: names::CLOUD_APPLY_READY,
        run: cloud_apply_ready,
    },
    Hook {
        name: names::CLOUD_TRIAL_ELAPSED,
        run: cloud_trial_elapsed,
    },
    Hook {
        name: names::CLOUD_CHANGE_READY,
        run: cloud_change_ready,
    },
    Hook {
        name: names::CLOUD_EXIT_READY,
        run: cloud_exit_ready,
    },
    Hook {
        name: names::CLOUD_NOT_BARRED,
        run: cloud_not_barred,
    },
    Hook {
        name: names::CHECKLIST_TICKED,
        run: |c, h| Box::pin(projects::checklist_ticked(c, h)),
    },
    Hook {
        name: names::PROJECT_UNIT_UNBLOCKED,
        run: |c, h| Box::pin(projects::unit_unblocked(c, h)),
    },
    Hook {
        name: names::PROJECT_NO_REFUSAL_CASE,
        run: |c, h| Box::pin(projects::no_refusal_case(c, h)),
    },
    Hook {
        name: names::PROJECT_ON_PLAN,
        run: |c, h| Box::pin(projects::on_plan(c, h)),
    },
    Hook {
        name: names::PROJECT_CONTRACT_TERMS,
        run: |c, h| Box::pin(projects::contract_terms(c, h)),
    },
    Hook {
        name: names::PROJECT_TRIAL_ELAPSED,
        run: |c, h| Box::pin(projects::trial_elapsed(c, h)),
    },
    Hook {
        name: names::PROJECT_SUPPLEMENT_WITHIN_LIMIT,
        run: |c, h| Box::pin(projects::supplement_within_limit(c, h)),
    },
    Hook {
        name: names::DISPOSAL_CASE_HOLDS,
        run: |c, h| Box::pin(projects::disposal_case_holds(c, h)),
    },
];

/// Run whenever a ticket reaches a final state.
pub static ON_FINAL: &[Hook] = &[Hook {
    name: "knowledge_draft",
    run: knowledge_draft,
}];

/// Every effect, registered once.
pub static EFFECTS: &[Hook] = &[
    Hook {
        name: names::TEMPORARY_GRANT,
        run: temporary_grant,
    },
    Hook {
        name: names::ACCOUNT_GRANT,
        run: account_grant,
    },
    Hook {
        name: names::REVOKE_GRANT,
        run: revoke_grant,
    },
    Hook {
        name: names::LINK_NAMED_CI,
        run: link_named_ci,
    },
    Hook {
        name: names::CLOUD_ROUTE_PROVIDER,
        run: cloud_route_provider,
    },
    Hook {
        name: names::CLOUD_ALLOCATE,
        run: cloud_allocate,
    },
    Hook {
        name: names::CLOUD_GO_LIVE,
        run: cloud_go_live,
    },
    Hook {
        name: names::CLOUD_WITHDRAW,
        run: cloud_withdraw,
    },
    Hook {
        name: names::CLOUD_CHANGE_OPENED,
        run: cloud_change_opened,
    },
    Hook {
        name: names::CLOUD_CHANGE_APPLIED,
        run: cloud_change_applied,
    },
    Hook {
        name: names::CLOUD_EXIT_APPROVED,
        run: cloud_exit_approved,
    },
    Hook {
        name: names::CLOUD_RECLAIMED,
        run: cloud_reclaimed,
    },
    Hook {
        name: names::PROJECT_REGISTERED,
        run: |c, h| Box::pin(projects::registered(c, h)),
    },
    Hook {
        name: names::PROJECT_ENTER_LIBRARY,
        run: |c, h| Box::pin(projects::enter_library(c, h)),
    },
    Hook {
        name: names::PROJECT_PLANNED,
        run: |c, h| Box::pin(projects::planned(c, h)),
    },
    Hook {
        name: names::PROJECT_UNPLANNED,
        run: |c, h| Box::pin(projects::unplanned(c, h)),
    },
    Hook {
        name: names::PROJECT_CONTRACT_SIGNED,
        run: |c, h| Box::pin(projects::contract_signed(c, h)),
    },
    Hook {
        name: names::PROJECT_STARTED,
        run: |c, h| Box::pin(projects::started(c, h)),
    },
    Hook {
        name: names::PROJECT_TRIAL_STARTED,
        run: |c, h| Box::pin(projects::trial_started(c, h)),
    },
    Hook {
        name: names::PROJECT_ACCEPTED,
        run: |c, h| Box::pin(projects::accepted(c, h)),
    },
    Hook {
        name: names::PROJECT_SUPPLEMENT_HELD,
        run: |c, h| Box::pin(projects::supplement_held(c, h)),
    },
    Hook {
        name: names::PROJECT_SUPPLEMENT_RELEASED,
        run: |c, h| Box::pin(projects::supplement_released(c, h)),
    },
    Hook {
        name: names::PROJECT_SUPPLEMENT_APPROVED,
        run: |c, h| Box::pin(projects::supplement_approved(c, h)),
    },
    Hook {
        name: names::SYSTEM_DISPOSED,
        run: |c, h| Box::pin(projects::system_disposed(c, h)),
    },
    Hook {
        name: names::PUBLISH_TO_FINANCE,
        run: |c, h| Box::pin(crate::features::publications::publish(c, h)),
    },
];

// ---- gates ----

/// A go-live emergency plan names the ticket (NTCZ-3.4.1).
fn golive_plan<'a>(c: &'a mut DbConn, h: &'a HookCall<'a>) -> SeamFuture<'a, ()> {
    Box::pin(crate::features::rules::require_golive_plan(
        c,
        &h.ticket.id,
        &h.ticket.number,
    ))
}

/// Passed pre-launch security checks of the ticket (JSCZ-42).
fn prelaunch_checks<'a>(c: &'a mut DbConn, h: &'a HookCall<'a>) -> SeamFuture<'a, ()> {
    Box::pin(crate::features::rules::require_prelaunch_checks(
        c,
        &h.ticket.id,
        &h.ticket.number,
    ))
}

/// One active person named, dates in order and not past (JSCZ-8, JSCZ-49).
fn grantee<'a>(c: &'a mut DbConn, h: &'a HookCall<'a>) -> SeamFuture<'a, ()> {
    let today = crate::kernel::due::today(h.p);
    Box::pin(crate::features::access::check_grantee(
        c, today, h.ticket, h.fields, false,
    ))
}

/// As `grantee`, of the ticket's organisation.
fn grantee_of_org<'a>(c: &'a mut DbConn, h: &'a HookCall<'a>) -> SeamFuture<'a, ()> {
    let today = crate::kernel::due::today(h.p);
    Box::pin(crate::features::access::check_grantee(
        c, today, h.ticket, h.fields, true,
    ))
}

/// The ticket's organisation is not barred this year (SNYP-14).
fn cloud_not_barred<'a>(c: &'a mut DbConn, h: &'a HookCall<'a>) -> SeamFuture<'a, ()> {
    let today = crate::kernel::due::today(h.p);
    Box::pin(crate::features::cloud::reclaim::check_not_barred(
        c, today, h.ticket,
    ))
}

// ---- effects ----

/// Files the temporary grant of a special access (ADR 0007).
fn temporary_grant<'a>(c: &'a mut DbConn, h: &'a HookCall<'a>) -> SeamFuture<'a, ()> {
    Box::pin(crate::features::access::file_temporary_grant(
        h.p, c, h.ctx, h.pr, h.ticket, h.fields,
    ))
}

/// Files the temporary grant of an account created (ADR 0007).
fn account_grant<'a>(c: &'a mut DbConn, h: &'a HookCall<'a>) -> SeamFuture<'a, ()> {
    Box::pin(crate::features::access::file_account_grant(
        h.p, c, h.ctx, h.pr, h.ticket, h.fields,
    ))
}

/// Revokes the grants of an account closed (ADR 0007).
fn revoke_grant<'a>(c: &'a mut DbConn, h: &'a HookCall<'a>) -> SeamFuture<'a, ()> {
    Box::pin(crate::features::access::close_accounts(
        h.p, c, h.ctx, h.auth, h.fields,
    ))
}

/// Links the item the `server` field names (JSCZ-39).
fn link_named_ci<'a>(c: &'a mut DbConn, h: &'a HookCall<'a>) -> SeamFuture<'a, ()> {
    let server = h
        .fields
        .get("server")
        .and_then(|v| v.as_text())
        .unwrap_or("");
    Box::pin(crate::features::cmdb::link_named_item(
        c,
        &h.ticket.id,
        server,
        &h.pr.user_id,
        h.now_us,
    ))
}

// ---- the government cloud (ADR 0016) ----

use crate::features::cloud::lifecycle as cloud;
use crate::features::projects::lifecycle as projects;

/// The system is 申请中 with resources asked for (ZMDY-14, SNYP-11, SNYP-27).
fn cloud_apply_ready<'a>(c: &'a mut DbConn, h: &'a HookCall<'a>) -> SeamFuture<'a, ()> {
    Box::pin(cloud::apply_ready(c, h))
}

/// The trial has lasted its shortest length (ZMDY-16).
fn cloud_trial_elapsed<'a>(c: &'a mut DbConn, h: &'a HookCall<'a>) -> SeamFuture<'a, ()> {
    Box::pin(cloud::trial_elapsed(c, h))
}

/// The system is on line with changes asked for (ZMDY-18, SNYP-15).
fn cloud_change_ready<'a>(c: &'a mut DbConn, h: &'a HookCall<'a>) -> SeamFuture<'a, ()> {
    Box::pin(cloud::change_ready(c, h))
}

/// The system is on the cloud (ZMDY-19, SNYP-16).
fn cloud_exit_ready<'a>(c: &'a mut DbConn, h: &'a HookCall<'a>) -> SeamFuture<'a, ()> {
    Box::pin(cloud::exit_ready(c, h))
}

/// The ticket goes to the platform's provider.
fn cloud_route_provider<'a>(c: &'a mut DbConn, h: &'a HookCall<'a>) -> SeamFuture<'a, ()> {
    Box::pin(cloud::route_provider(c, h))
}

/// Resources allocated, billing starts (ZMDY-16, SNYP-11).
fn cloud_allocate<'a>(c: &'a mut DbConn, h: &'a HookCall<'a>) -> SeamFuture<'a, ()> {
    Box::pin(cloud::allocate(c, h))
}

/// The system goes live (ZMDY-17).
fn cloud_go_live<'a>(c: &'a mut DbConn, h: &'a HookCall<'a>) -> SeamFuture<'a, ()> {
    Box::pin(cloud::go_live(c, h))
}

/// Requests not allocated are withdrawn.
fn cloud_withdraw<'a>(c: &'a mut DbConn, h: &'a HookCall<'a>) -> SeamFuture<'a, ()> {
    Box::pin(cloud::withdraw(c, h))
}

/// A change is submitted: 变更中 until applied or refused.
fn cloud_change_opened<'a>(c: &'a mut DbConn, h: &'a HookCall<'a>) -> SeamFuture<'a, ()> {
    Box::pin(cloud::change_opened(c, h))
}

/// The changes asked for replace the rows they change (ZMDY-18, SNYP-15).
fn cloud_change_applied<'a>(c: &'a mut DbConn, h: &'a HookCall<'a>) -> SeamFuture<'a, ()> {
    Box::pin(cloud::change_applied(c, h))
}

/// The exit's transition starts (ZMDY-19, SNYP-16).
fn cloud_exit_approved<'a>(c: &'a mut DbConn, h: &'a HookCall<'a>) -> SeamFuture<'a, ()> {
    Box::pin(cloud::exit_approved(c, h))
}

/// Data cleared, resources reclaimed (ZMDY-19, SNYP-16).
fn cloud_reclaimed<'a>(c: &'a mut DbConn, h: &'a HookCall<'a>) -> SeamFuture<'a, ()> {
    Box::pin(cloud::reclaimed(c, h))
}

// ---- final states ----

/// The cause and solution of a closed ticket as a draft article
/// (EEDS-3.2.4).
fn knowledge_draft<'a>(c: &'a mut DbConn, h: &'a HookCall<'a>) -> SeamFuture<'a, ()> {
    Box::pin(async move {
        crate::features::knowledge::record_from_ticket(h.p, c, h.ctx, h.auth, h.ticket, h.fields)
            .await?;
        Ok(())
    })
}
