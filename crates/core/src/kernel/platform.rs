//! What every use case runs on: storage, crypto, time, keys, the enabled
//! packs and the seams the features plug into.

use std::sync::Arc;

use yunwei_domain::clock::Clock;
use yunwei_domain::crypto::Crypto;
use yunwei_store::Db;

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
    /// What the features plug into the engines ([`crate::SEAMS`]).
    pub seams: &'static crate::kernel::seams::Seams,
}

impl Platform {
    pub fn now_us(&self) -> i64 {
        self.clock.now().timestamp_micros()
    }
}
