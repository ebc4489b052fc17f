//! Floor 1, the kernel: who is calling and what they may do, the audit
//! trail (with reasons and audited exports), spreadsheets out, notices,
//! files, search, the working-day calendar, the due-date engine and the
//! seams the features plug into. The kernel imports nothing above it.

pub mod audit;
pub mod audit_forward;
pub mod calendar;
pub mod channels;
pub mod contracts;
pub mod due;
pub mod export;
pub mod files;
pub mod metrics;
pub mod notice;
pub mod notify;
pub mod org_config;
pub mod outbox;
pub mod parameters;
pub mod pdf;
pub mod platform;
pub mod principal;
pub mod seams;
pub mod search;
pub mod syslog;
