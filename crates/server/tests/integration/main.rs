//! The integration test binary of the workspace (one binary keeps link
//! time down). Runs on SQLite, or on PostgreSQL when
//! `YUNWEI_TEST_DATABASE_URL` is set.

mod access;
mod api;
mod archives_ui;
mod audit_tamper;
mod calendar;
mod cli;
mod cloud;
mod cloud_billing;
mod cloud_dashboard;
mod cloud_duties;
mod cloud_packs;
mod cloud_probes;
mod cloud_usage;
mod cmdb;
mod cmdb_ui;
mod controls;
mod cross_org_reads;
mod dashboards;
mod hostile_input;
mod inputs;
mod knowledge;
mod layering;
mod openapi;
mod ownership;
mod packs;
mod page_walk;
mod pdf;
mod permission_matrix;
mod policy;
mod probe_regressions;
mod projects;
mod projects_demo;
mod projects_rules;
mod registers;
mod reports;
mod scale;
mod search;
mod support;
mod ticket_forms;
mod ticket_ui;
mod tickets;
mod timers;
mod ui_csrf;
mod ukey;
