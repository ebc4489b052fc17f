//! Server-rendered Chinese UI. Every page re-checks permissions on the
//! server (in the use cases); menus only hide what would be refused.
//!
//! The kernel every page shares: [`routes`] (the one route table),
//! [`csrf`] (the check of every form post), [`session`] (the logged-in
//! user), [`error`] (errors as the Chinese error page), [`page`] (the frame
//! and rendering) and [`form`] (form helpers).
//! The pages: identity and administration ([`login`], [`account`],
//! [`home`], [`orgs`], [`users`], [`sessions`], [`tokens`], [`settings`],
//! [`audit`]) and the business registers and processes (the rest).

// The kernel.
mod csrf;
mod error;
mod form;
mod page;
mod routes;
mod session;

// Identity and administration pages.
mod account;
mod audit;
mod audit_forward;
mod charts;
mod directory;
mod home;
mod login;
mod notify;
mod orgs;
mod sessions;
mod settings;
mod tokens;
mod users;

// Business pages.
mod archives;
mod calendar;
mod cloud;
mod cloud_billing;
mod cloud_dashboard;
mod cloud_duties;
mod cloud_usage;
mod cmdb;
mod controls;
mod inspections;
mod knowledge;
mod pdf;
mod projects;
mod registers;
mod reports;
mod search;
mod ticket_lists;
mod tickets;

pub use page::{error_page, script, stylesheet};
pub use pdf::print_stylesheet;
pub use routes::{guards, routes, Guard};
