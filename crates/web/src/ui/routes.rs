//! The one table of UI routes. A route is a page (GET) or a form post; a
//! form post is made only by [`form`], [`upload`] or [`login`], which put it
//! behind its CSRF layer ([`csrf`]): no UI route changes anything without
//! the check, and [`guards`] lists every route with its guard for the test
//! that posts to each of them without a token.

use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post, MethodRouter};
use axum::Router;

use super::{
    account, archives, audit, audit_forward, calendar, cloud, cloud_billing, cloud_dashboard,
    cloud_duties, cloud_usage, cmdb, controls, csrf, directory, home, inspections, knowledge,
    login, notify, orgs, pdf, projects, registers, reports, search, sessions, settings,
    ticket_lists, tickets, tokens, users,
};
use crate::AppState;

/// How a UI route is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Guard {
    /// A page: GET, reads only.
    Page,
    /// A form post of a logged-in user: the session's CSRF token, checked
    /// by [`csrf::session_forms`].
    Form,
    /// A multipart upload of a logged-in user: the session's CSRF token,
    /// checked by [`csrf::session_forms`] before the file is read, and the
    /// route's body limit.
    Upload,
    /// A login form, before there is a session: the login pages' token,
    /// checked by [`csrf::login_forms`].
    Login,
}

/// One method of a route with its guard.
pub struct Entry {
    guard: Guard,
    method: MethodRouter<AppState>,
    limit: Option<usize>,
}

fn page<H: Handler<T, AppState>, T: 'static>(h: H) -> Entry {
    Entry {
        guard: Guard::Page,
        method: get(h),
        limit: None,
    }
}

fn form<H: Handler<T, AppState>, T: 'static>(h: H) -> Entry {
    Entry {
        guard: Guard::Form,
        method: post(h),
        limit: None,
    }
}

fn upload<H: Handler<T, AppState>, T: 'static>(h: H, limit: usize) -> Entry {
    Entry {
        guard: Guard::Upload,
        method: post(h),
        limit: Some(limit),
    }
}

fn login<H: Handler<T, AppState>, T: 'static>(h: H) -> Entry {
    Entry {
        guard: Guard::Login,
        method: post(h),
        limit: None,
    }
}

impl Entry {
    /// The method router with its guard: the CSRF layer on the handler only
    /// (a wrong method still answers 405), the body limit around it.
    fn guarded(self, state: &AppState) -> MethodRouter<AppState> {
        let m = match self.guard {
            Guard::Page => self.method,
            Guard::Form | Guard::Upload => self
                .method
                .route_layer(from_fn_with_state(state.clone(), csrf::session_forms)),
            Guard::Login => self
                .method
                .route_layer(from_fn_with_state(state.clone(), csrf::login_forms)),
        };
        match self.limit {
            Some(limit) => m.layer(DefaultBodyLimit::max(limit)),
            None => m,
        }
    }
}

/// Every UI route: (path, method with its guard). A path with a page and
/// a form is listed twice.
fn table() -> Vec<(&'static str, Entry)> {
    vec![
        ("/", page(home::page)),
        ("/login", page(login::page)),
        ("/login", login(login::submit)),
        ("/login/ukey", page(login::ukey_page)),
        ("/login/ukey", login(login::ukey_submit)),
        ("/logout", form(login::logout)),
        ("/password/change", page(account::password_page)),
        ("/password/change", form(account::password_submit)),
        ("/mfa", page(account::mfa_page)),
        ("/mfa", form(account::mfa_enroll)),
        ("/mfa/confirm", form(account::mfa_confirm)),
        ("/orgs", page(orgs::page)),
        ("/orgs", form(orgs::create)),
        ("/users", page(users::list)),
        ("/users", form(users::create)),
        ("/users/export", form(users::export)),
        ("/users/{id}", page(users::page)),
        ("/users/{id}/edit", form(users::edit)),
        ("/users/{id}/disable", form(users::disable)),
        ("/users/{id}/enable", form(users::enable)),
        ("/users/{id}/departure", form(users::departure)),
        ("/users/{id}/reset-password", form(users::reset_password)),
        ("/users/{id}/roles", form(users::role_grant)),
        ("/users/{id}/roles/{gid}/revoke", form(users::role_revoke)),
        ("/sessions", page(sessions::page)),
        ("/sessions/{id}/revoke", form(sessions::revoke)),
        ("/tokens", page(tokens::page)),
        ("/tokens", form(tokens::create)),
        ("/tokens/{id}/revoke", form(tokens::revoke)),
        ("/security-policy", page(settings::policy_page)),
        ("/security-policy", form(settings::policy_submit)),
        ("/config", page(settings::config_page)),
        ("/config", form(settings::config_submit)),
        ("/config/directory", page(directory::page)),
        ("/config/directory", form(directory::test)),
        ("/config/audit-syslog/test", form(audit_forward::send_test)),
        ("/audit", page(audit::page)),
        ("/audit/export", form(audit::export)),
        ("/notify", page(notify::page)),
        ("/notify/test", form(notify::test_submit)),
        ("/notify/dead/{id}/retry", form(notify::retry_submit)),
        ("/notify/dead/export", form(notify::export_submit)),
        ("/notify/org-prefs", form(notify::org_prefs_submit)),
        ("/notify/mine", page(notify::mine_page)),
        ("/notify/mine", form(notify::mine_submit)),
        ("/calendar", page(calendar::page)),
        ("/calendar/import", form(calendar::import_submit)),
        ("/tickets", page(ticket_lists::list)),
        ("/tickets", form(tickets::open)),
        ("/tickets/new", page(tickets::new_page)),
        ("/tickets/export", form(ticket_lists::export)),
        ("/tickets/bulk", form(ticket_lists::bulk)),
        ("/tickets/queue", page(ticket_lists::queue)),
        ("/tickets/workload", page(ticket_lists::workload)),
        ("/tickets/filters", form(ticket_lists::save_filter)),
        ("/tickets/filters/{id}", page(ticket_lists::apply_filter)),
        (
            "/tickets/filters/{id}/delete",
            form(ticket_lists::delete_filter),
        ),
        ("/tickets/attachments/{id}", page(tickets::download)),
        ("/tickets/attachments/{id}/preview", page(tickets::preview)),
        ("/tickets/ci-options", page(tickets::ci_options_page)),
        ("/tickets/{id}", page(tickets::page)),
        ("/tickets/{id}/owner", page(ticket_lists::owner)),
        ("/tickets/{id}/claim", form(ticket_lists::claim)),
        ("/tickets/{id}/assign", form(ticket_lists::assign)),
        ("/tickets/{id}/reassign", form(ticket_lists::reassign)),
        ("/tickets/{id}/pdf", page(pdf::ticket)),
        ("/reports/sla.pdf", page(pdf::sla)),
        ("/tickets/{id}/transition", form(tickets::transition)),
        ("/tickets/{id}/vote", form(tickets::vote)),
        ("/tickets/{id}/comment", form(tickets::comment)),
        (
            "/tickets/{id}/attachments",
            upload(tickets::upload, tickets::UPLOAD_LIMIT),
        ),
        ("/todo", page(ticket_lists::todo)),
        ("/inbox", page(tickets::inbox)),
        ("/inbox/read-all", form(tickets::mark_all_read)),
        ("/inbox/{id}/read", form(tickets::mark_read)),
        ("/search", page(search::search)),
        ("/knowledge", page(knowledge::list)),
        ("/knowledge", form(knowledge::create)),
        ("/knowledge/{id}", page(knowledge::page)),
        ("/knowledge/{id}/edit", form(knowledge::edit)),
        ("/knowledge/{id}/publish", form(knowledge::publish)),
        ("/registers", page(registers::index)),
        ("/registers/{register}", page(registers::list)),
        ("/registers/{register}/new", page(registers::new_page)),
        ("/registers/{register}/new", form(registers::create)),
        ("/registers/{register}/export", form(registers::export)),
        (
            "/registers/{register}/import",
            upload(registers::import, registers::IMPORT_LIMIT),
        ),
        ("/registers/{register}/{id}", page(registers::page)),
        (
            "/registers/{register}/{id}/edit",
            page(registers::edit_page),
        ),
        ("/registers/{register}/{id}/edit", form(registers::edit)),
        (
            "/registers/{register}/{id}/steps/{step}",
            form(registers::step),
        ),
        ("/controls", page(controls::overview)),
        ("/controls/export", form(controls::export)),
        ("/reports", page(reports::page)),
        ("/reports/export", form(reports::export)),
        ("/reports/faults", page(reports::faults_page)),
        ("/publications", page(reports::publications)),
        ("/reports/faults/export", form(reports::faults_export)),
        ("/inspections", page(inspections::list)),
        ("/inspections", form(inspections::create)),
        ("/inspections/export", form(inspections::export)),
        ("/inspections/{id}", page(inspections::page)),
        ("/inspections/{id}/edit", page(inspections::edit_page)),
        ("/inspections/{id}/edit", form(inspections::edit)),
        (
            "/inspections/{id}/records",
            upload(inspections::file_record, inspections::RECORD_LIMIT),
        ),
        ("/inspections/{id}/active", form(inspections::set_active)),
        (
            "/inspections/records/{rid}/items/{n}",
            page(inspections::record_file),
        ),
        ("/maintenance", page(inspections::maintenance)),
        ("/maintenance", form(inspections::maintenance_create)),
        ("/maintenance/export", form(inspections::maintenance_export)),
        ("/cmdb", page(cmdb::list)),
        ("/cmdb/new", page(cmdb::new_page)),
        ("/cmdb/new", form(cmdb::create)),
        ("/cmdb/export", form(cmdb::export)),
        ("/cmdb/import", upload(cmdb::import, cmdb::IMPORT_LIMIT)),
        ("/cmdb/import-template", page(cmdb::template)),
        ("/cmdb/ip", page(cmdb::segments)),
        ("/cmdb/ip", form(cmdb::create_segment)),
        ("/cmdb/ip/{id}", page(cmdb::segment)),
        ("/cmdb/ip/{id}/allocate", form(cmdb::allocate)),
        (
            "/cmdb/ip/{id}/allocations/{aid}/release",
            form(cmdb::release),
        ),
        ("/cmdb/{id}", page(cmdb::page)),
        ("/cmdb/{id}/edit", page(cmdb::edit_page)),
        ("/cmdb/{id}/edit", form(cmdb::edit)),
        ("/cmdb/{id}/relations", form(cmdb::add_relation)),
        (
            "/cmdb/{id}/relations/{rid}/remove",
            form(cmdb::remove_relation),
        ),
        ("/archives", page(archives::list)),
        (
            "/archives",
            upload(archives::create, archives::UPLOAD_LIMIT),
        ),
        ("/archives/export", form(archives::export)),
        ("/archives/{id}", page(archives::page)),
        (
            "/archives/{id}/versions",
            upload(archives::add_version, archives::UPLOAD_LIMIT),
        ),
        (
            "/archives/versions/{vid}/download",
            page(archives::download),
        ),
        // 政务云总览 (issue 14 item 8).
        ("/cloud", page(cloud_dashboard::page)),
        ("/cloud/catalogue", page(cloud::catalogue_page)),
        ("/cloud/catalogue", form(cloud::create_item)),
        ("/cloud/catalogue/{id}/prices", form(cloud::add_price)),
        ("/cloud/units", page(cloud::units_page)),
        ("/cloud/units", form(cloud::set_unit)),
        ("/cloud/platforms", form(cloud::create_platform)),
        ("/cloud/systems", page(cloud::systems_page)),
        ("/cloud/systems", form(cloud::register)),
        ("/cloud/systems/export", form(cloud::export)),
        ("/cloud/systems/{id}", page(cloud::system_page)),
        ("/cloud/systems/{id}/edit", form(cloud::edit_system)),
        ("/cloud/systems/{id}/resources", form(cloud::request)),
        ("/cloud/resources/{rid}/withdraw", form(cloud::withdraw)),
        // The government cloud's duties (issue 14 item 6).
        ("/cloud/duties", page(cloud_duties::duties_page)),
        (
            "/cloud/duties",
            upload(cloud_duties::file_report, cloud_duties::UPLOAD_LIMIT),
        ),
        (
            "/cloud/duties/reports/{id}/file",
            page(cloud_duties::report_file),
        ),
        ("/cloud/commitments", page(cloud_duties::commitments_page)),
        (
            "/cloud/commitments",
            upload(cloud_duties::sign_commitment, cloud_duties::UPLOAD_LIMIT),
        ),
        (
            "/cloud/commitments/{id}/file",
            page(cloud_duties::commitment_file),
        ),
        ("/cloud/scores", page(cloud_duties::scores_page)),
        ("/cloud/scores", form(cloud_duties::set_score)),
        // The government cloud's utilisation and reclaim (issue 14).
        ("/cloud/usage", page(cloud_usage::month)),
        ("/cloud/usage/export", form(cloud_usage::export)),
        ("/cloud/usage/judge", form(cloud_usage::judge)),
        ("/cloud/usage/import", page(cloud_usage::import_page)),
        (
            "/cloud/usage/import",
            upload(cloud_usage::import, cloud_usage::IMPORT_LIMIT),
        ),
        ("/cloud/usage/import-template", page(cloud_usage::template)),
        ("/cloud/reclaims", page(cloud_usage::list)),
        ("/cloud/reclaims/{id}", page(cloud_usage::page)),
        ("/cloud/reclaims/{id}/plan", form(cloud_usage::plan)),
        ("/cloud/reclaims/{id}/confirm", form(cloud_usage::confirm)),
        ("/cloud/reclaims/{id}/answer", form(cloud_usage::answer)),
        ("/cloud/reclaims/{id}/decide", form(cloud_usage::decide)),
        (
            "/cloud/reclaims/{id}/implement",
            form(cloud_usage::implement),
        ),
        // The government cloud: bills, settlement and evaluation.
        ("/cloud/bills", page(cloud_billing::bills)),
        ("/cloud/bills/compute", form(cloud_billing::compute)),
        (
            "/cloud/bills/compute-year",
            form(cloud_billing::compute_year),
        ),
        ("/cloud/bills/{id}", page(cloud_billing::bill)),
        ("/cloud/bills/{id}/adjust", form(cloud_billing::adjust)),
        ("/cloud/bills/{id}/verify", form(cloud_billing::verify)),
        ("/cloud/bills/{id}/send", form(cloud_billing::send)),
        ("/cloud/bills/{id}/bill.xlsx", page(cloud_billing::excel)),
        ("/cloud/bills/{id}/pdf", page(cloud_billing::pdf)),
        ("/cloud/evaluations", page(cloud_billing::evaluations)),
        (
            "/cloud/evaluations/scheme",
            form(cloud_billing::save_scheme),
        ),
        (
            "/cloud/evaluations/scores",
            form(cloud_billing::save_scores),
        ),
        (
            "/cloud/evaluations/confirm",
            form(cloud_billing::confirm_evaluation),
        ),
        ("/cloud/settlement", page(cloud_billing::settlement)),
        (
            "/cloud/settlement/confirm",
            form(cloud_billing::confirm_settlement),
        ),
        // Government IT projects (issue 15, ADR 0017).
        ("/projects", page(projects::list)),
        ("/projects/export", form(projects::export)),
        ("/projects/plan", page(projects::plan_page)),
        ("/projects/plan/export", form(projects::plan_export)),
        ("/projects/plan/call", form(projects::plan_call)),
        ("/projects/dashboard", page(projects::dashboard_page)),
        ("/projects/{id}", page(projects::project_page)),
        ("/projects/{id}/findings", form(projects::record_finding)),
        ("/projects/findings/{fid}/rectify", form(projects::rectify)),
        (
            "/projects/{id}/self-evaluation",
            upload(projects::file_self_evaluation, projects::UPLOAD_LIMIT),
        ),
        (
            "/projects/{id}/self-evaluation",
            page(projects::self_evaluation_file),
        ),
        ("/tickets/{id}/cis", form(tickets::link_ci)),
        ("/tickets/{id}/cis/{ci}/remove", form(tickets::unlink_ci)),
    ]
}

/// The UI's routes, each behind its guard.
pub fn routes(state: &AppState) -> Router<AppState> {
    table().into_iter().fold(Router::new(), |r, (path, e)| {
        r.route(path, e.guarded(state))
    })
}

/// Every UI route's path and guard, as [`routes`] serves them.
pub fn guards() -> Vec<(&'static str, Guard)> {
    table()
        .into_iter()
        .map(|(path, e)| (path, e.guard))
        .collect()
}
