//! Use cases of yunwei. Every operation takes the caller's [`Principal`],
//! checks what it may do, and writes its change together with the audit
//! record in one transaction.
//!
//! The crate is built in floors that import only downward (ARCHITECTURE.md,
//! the `core_floors` test):
//!
//! 1. [`kernel`]: principal, audit, export, notices, files, search,
//!    calendar, the due-date engine and the seams;
//! 2. the engines: [`tickets`] (packs' processes) and [`registers`]
//!    (declarative registers and the shared spreadsheet import);
//! 3. [`features`]: identity, access, CMDB, inspections, reviews,
//!    knowledge, archives, reports and one file of rules per register;
//! 4. [`jobs`]: the one list of background jobs.
//!
//! `demo` (the `demo` feature) seeds a province and a city for
//! `serve --demo`, the tests and the benchmark.

#[cfg(feature = "demo")]
pub mod demo;
pub mod features;
pub mod jobs;
pub mod kernel;
pub mod registers;
pub mod tickets;

pub use kernel::platform::{Keys, Platform};
pub use kernel::principal::{Authorized, Ctx, Principal};

// The use cases by name, for the web and command-line layers.
pub use features::{
    access, alerts, archives, auth, bootstrap, cloud, cmdb, departure, directory, fault_statistics,
    home, inspections, knowledge, metrics, mfa, orgs, passwords, policy, publications, reports,
    reviews, roles, rules as register_rules, search_index, ukey, users,
};
pub use kernel::{
    audit, audit_forward, calendar, channels, due as controls, export, files, notify, outbox, pdf,
    search, syslog,
};
pub use registers::import;

impl Platform {
    /// A platform on `db` with the features' seams ([`SEAMS`]).
    pub fn new(
        db: yunwei_store::Db,
        crypto: std::sync::Arc<dyn yunwei_domain::crypto::Crypto>,
        clock: std::sync::Arc<dyn yunwei_domain::clock::Clock>,
        keys: Keys,
        password_iterations: u32,
        packs: std::sync::Arc<Vec<yunwei_domain::policy::Pack>>,
        files_dir: std::path::PathBuf,
    ) -> Platform {
        Platform {
            db,
            crypto,
            clock,
            keys,
            password_iterations,
            packs,
            files_dir,
            pdf_font: kernel::pdf::PdfFont::default(),
            directory: None,
            channels: std::sync::Arc::default(),
            metrics: std::sync::Arc::new(kernel::metrics::Metrics::new(
                &features::metrics::gauge_specs(),
            )),
            alertmanager: std::sync::Arc::default(),
            audit_syslog: None,
            seams: &SEAMS,
        }
    }
}

/// Whether the database answers (`/healthz`): one read of a setting.
pub async fn health(p: &Platform) -> Result<(), yunwei_domain::AppError> {
    let mut c = p.db.read().await?;
    yunwei_store::settings::get(&mut c, "healthz").await?;
    Ok(())
}

/// The seams every platform carries: the hooks packs name and the rules of
/// each register (ADR 0010).
pub static SEAMS: kernel::seams::Seams = kernel::seams::Seams {
    gates: features::hooks::GATES,
    effects: features::hooks::EFFECTS,
    on_final: features::hooks::ON_FINAL,
    registers: features::rules::ALL,
};
