//! Storage for yunwei: one set of queries (sea-query, rendered per dialect)
//! and one set of migrations for SQLite and PostgreSQL, executed through the
//! sqlx `Any` driver. See docs/adr/0001-storage.md.

pub mod alerts;
pub mod archives;
pub mod audit;
pub mod audit_forward;
pub mod calendar;
pub mod cloud;
pub mod cloud_billing;
pub mod cloud_duties;
pub mod cloud_usage;
pub mod cmdb;
pub mod controls;
pub mod db;
pub mod directory;
pub mod files;
pub mod inspections;
pub mod knowledge;
pub mod metrics;
pub mod migrate;
pub mod notify;
pub mod orgs;
pub mod projects;
pub mod publications;
pub mod registers;
pub mod reports;
pub mod scope;
pub mod search;
pub mod sessions;
pub mod settings;
pub mod tickets;
pub mod users;

pub use db::{Backend, Db, DbConn, RowExt};
pub use scope::Scope;
