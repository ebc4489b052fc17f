//! Use cases of yunwei. Every operation takes the caller's [`Principal`],
//! checks what it may do, and writes its change together with the audit
//! record in one transaction.

pub mod access;
pub mod archives;
pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod calendar;
pub mod cmdb;
pub mod controls;
pub mod demo;
pub mod demo_cmdb;
pub mod demo_registers;
pub mod demo_tickets;
pub mod export;
pub mod files;
pub mod home;
pub mod hooks;
pub mod import;
pub mod inspections;
pub mod knowledge;
pub mod mfa;
pub mod notify;
pub mod orgs;
pub mod passwords;
pub mod policy;
pub mod principal;
pub mod register_rules;
pub mod registers;
pub mod reports;
pub mod reviews;
pub mod roles;
pub mod search;
pub mod tickets;
pub mod ukey;
pub mod users;

use std::sync::Arc;

use yunwei_domain::clock::Clock;
use yunwei_domain::crypto::Crypto;
use yunwei_store::Db;

pub use principal::{Authorized, Ctx, Principal};

/// Secrets that live outside the database (data directory or environment).
#[derive(Clone)]
pub struct Keys {
    /// HMAC-SM3 key of the audit chain.
    pub audit_mac: Vec<u8>,
    /// SM4 key for personal fields (phone, ID number).
    pub field: [u8; 16],
}

/// Everything a use case needs: storage, crypto, time and keys.
#[derive(Clone)]
pub struct Platform {
    pub db: Db,
    pub crypto: Arc<dyn Crypto>,
    pub clock: Arc<dyn Clock>,
    pub keys: Keys,
    /// PBKDF2 iterations for new password hashes (stored in each hash).
    pub password_iterations: u32,
    /// The enabled policy packs (ADR 0003).
    pub packs: Arc<Vec<yunwei_domain::policy::Pack>>,
    /// Where attachments and archives are kept, content-addressed.
    pub files_dir: std::path::PathBuf,
}

impl Platform {
    pub fn now_us(&self) -> i64 {
        self.clock.now().timestamp_micros()
    }
}

/// Whether the database answers (`/healthz`): one read of a setting.
pub async fn health(p: &Platform) -> Result<(), yunwei_domain::AppError> {
    let mut c = p.db.read().await?;
    yunwei_store::settings::get(&mut c, "healthz").await?;
    Ok(())
}
