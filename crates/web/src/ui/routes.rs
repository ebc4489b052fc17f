//! The one table of UI routes.

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;

use super::{
    account, archives, audit, calendar, cmdb, controls, home, inspections, knowledge, login, orgs,
    registers, sessions, settings, tickets, tokens, users,
};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::page))
        .route("/login", get(login::page).post(login::submit))
        .route(
            "/login/ukey",
            get(login::ukey_page).post(login::ukey_submit),
        )
        .route("/logout", post(login::logout))
        .route(
            "/password/change",
            get(account::password_page).post(account::password_submit),
        )
        .route("/mfa", get(account::mfa_page).post(account::mfa_enroll))
        .route("/mfa/confirm", post(account::mfa_confirm))
        .route("/orgs", get(orgs::page).post(orgs::create))
        .route("/users", get(users::list).post(users::create))
        .route("/users/export", post(users::export))
        .route("/users/{id}", get(users::page))
        .route("/users/{id}/edit", post(users::edit))
        .route("/users/{id}/disable", post(users::disable))
        .route("/users/{id}/enable", post(users::enable))
        .route("/users/{id}/departure", post(users::departure))
        .route("/users/{id}/reset-password", post(users::reset_password))
        .route("/users/{id}/roles", post(users::role_grant))
        .route("/users/{id}/roles/{gid}/revoke", post(users::role_revoke))
        .route("/sessions", get(sessions::page))
        .route("/sessions/{id}/revoke", post(sessions::revoke))
        .route("/tokens", get(tokens::page).post(tokens::create))
        .route("/tokens/{id}/revoke", post(tokens::revoke))
        .route(
            "/security-policy",
            get(settings::policy_page).post(settings::policy_submit),
        )
        .route(
            "/config",
            get(settings::config_page).post(settings::config_submit),
        )
        .route("/audit", get(audit::page))
        .route("/audit/export", post(audit::export))
        .route("/calendar", get(calendar::page))
        .route("/calendar/import", post(calendar::import_submit))
        .route("/tickets", get(tickets::list).post(tickets::open))
        .route("/tickets/new", get(tickets::new_page))
        .route("/tickets/export", post(tickets::export))
        .route("/tickets/attachments/{id}", get(tickets::download))
        .route("/tickets/{id}", get(tickets::page))
        .route("/tickets/{id}/transition", post(tickets::transition))
        .route("/tickets/{id}/vote", post(tickets::vote))
        .route("/tickets/{id}/comment", post(tickets::comment))
        .route(
            "/tickets/{id}/attachments",
            post(tickets::upload).layer(DefaultBodyLimit::max(tickets::UPLOAD_LIMIT)),
        )
        .route("/todo", get(tickets::todo))
        .route("/inbox", get(tickets::inbox))
        .route("/inbox/read-all", post(tickets::mark_all_read))
        .route("/inbox/{id}/read", post(tickets::mark_read))
        .route("/search", get(tickets::search))
        .route("/knowledge", get(knowledge::list).post(knowledge::create))
        .route("/knowledge/{id}", get(knowledge::page))
        .route("/knowledge/{id}/edit", post(knowledge::edit))
        .route("/knowledge/{id}/publish", post(knowledge::publish))
        .route("/registers", get(registers::index))
        .route("/registers/{register}", get(registers::list))
        .route(
            "/registers/{register}/new",
            get(registers::new_page).post(registers::create),
        )
        .route("/registers/{register}/export", post(registers::export))
        .route(
            "/registers/{register}/import",
            post(registers::import).layer(DefaultBodyLimit::max(
                yunwei_core::registers::MAX_IMPORT_BYTES + 64 * 1024,
            )),
        )
        .route("/registers/{register}/{id}", get(registers::page))
        .route(
            "/registers/{register}/{id}/edit",
            get(registers::edit_page).post(registers::edit),
        )
        .route(
            "/registers/{register}/{id}/steps/{step}",
            post(registers::step),
        )
        .route("/controls", get(controls::overview))
        .route("/controls/export", post(controls::export))
        .route(
            "/inspections",
            get(inspections::list).post(inspections::create),
        )
        .route("/inspections/export", post(inspections::export))
        .route("/inspections/{id}", get(inspections::page))
        .route(
            "/inspections/{id}/edit",
            get(inspections::edit_page).post(inspections::edit),
        )
        .route(
            "/inspections/{id}/records",
            post(inspections::file_record).layer(DefaultBodyLimit::max(inspections::RECORD_LIMIT)),
        )
        .route("/inspections/{id}/active", post(inspections::set_active))
        .route(
            "/inspections/records/{rid}/items/{n}",
            get(inspections::record_file),
        )
        .route(
            "/maintenance",
            get(inspections::maintenance).post(inspections::maintenance_create),
        )
        .route("/maintenance/export", post(inspections::maintenance_export))
        .route("/cmdb", get(cmdb::list))
        .route("/cmdb/new", get(cmdb::new_page).post(cmdb::create))
        .route("/cmdb/export", post(cmdb::export))
        .route(
            "/cmdb/import",
            post(cmdb::import).layer(DefaultBodyLimit::max(cmdb::IMPORT_LIMIT)),
        )
        .route("/cmdb/import-template", get(cmdb::template))
        .route("/cmdb/ip", get(cmdb::segments).post(cmdb::create_segment))
        .route("/cmdb/ip/{id}", get(cmdb::segment))
        .route("/cmdb/ip/{id}/allocate", post(cmdb::allocate))
        .route(
            "/cmdb/ip/{id}/allocations/{aid}/release",
            post(cmdb::release),
        )
        .route("/cmdb/{id}", get(cmdb::page))
        .route("/cmdb/{id}/edit", get(cmdb::edit_page).post(cmdb::edit))
        .route("/cmdb/{id}/relations", post(cmdb::add_relation))
        .route(
            "/cmdb/{id}/relations/{rid}/remove",
            post(cmdb::remove_relation),
        )
        .route(
            "/archives",
            get(archives::list)
                .post(archives::create)
                .layer(DefaultBodyLimit::max(archives::UPLOAD_LIMIT)),
        )
        .route("/archives/export", post(archives::export))
        .route("/archives/{id}", get(archives::page))
        .route(
            "/archives/{id}/versions",
            post(archives::add_version).layer(DefaultBodyLimit::max(archives::UPLOAD_LIMIT)),
        )
        .route("/archives/versions/{vid}/download", get(archives::download))
        .route("/tickets/{id}/cis", post(tickets::link_ci))
        .route("/tickets/{id}/cis/{ci}/remove", post(tickets::unlink_ci))
}
