//! The `yunwei` binary: `serve`, `migrate`, `audit verify`,
//! `admin reset-password`, `config show`, `calendar` and `policy`. The
//! logic lives in this library so integration tests can reach it; `main.rs`
//! only calls [`cli::main`].

pub mod calendar;
pub mod cli;
pub mod commands;
pub mod jobs;
pub mod keys;
pub mod open;
pub mod policy;
pub mod serve;
pub mod settings;
