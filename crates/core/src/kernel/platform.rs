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
    /// The database, private to core: every read and write goes through a
    /// use case that applies the caller's scope (`Platform::db` is for the
    /// tests and the benchmark only, behind the `test-support` feature).
    pub(crate) db: Db,
    pub crypto: Arc<dyn Crypto>,
    pub clock: Arc<dyn Clock>,
    pub keys: Keys,
    /// PBKDF2 iterations for new password hashes (stored in each hash).
    pub password_iterations: u32,
    /// The enabled policy packs (ADR 0003).
    pub packs: Arc<Vec<yunwei_domain::policy::Pack>>,
    /// Where attachments and archives are kept, content-addressed.
    pub files_dir: std::path::PathBuf,
    /// The CJK font of the PDFs (ADR 0013).
    pub pdf_font: crate::kernel::pdf::PdfFont,
    /// The directory that logs in users who are not local accounts
    /// (`[ldap]`, ADR 0021); `None`: local accounts only.
    pub directory: Option<std::sync::Arc<yunwei_domain::directory::DirectoryConfig>>,
    /// The external notice channels and their settings (ADR 0022).
    pub channels: Arc<crate::kernel::channels::Channels>,
    /// The Prometheus registry of this process (ADR 0025), shared by the
    /// clones: the request and job counters and the gauges of
    /// `features::metrics::SCRAPE_GAUGES`.
    pub metrics: Arc<crate::kernel::metrics::Metrics>,
    /// The Alertmanager sources allowed to post alerts (ADR 0024).
    pub alertmanager: Arc<yunwei_domain::alerts::AlertmanagerSettings>,
    /// Where the audit trail is forwarded (`[audit_syslog]`, ADR 0023).
    pub audit_syslog: Option<Arc<crate::kernel::audit_forward::AuditSyslogSettings>>,
    /// What the features plug into the engines ([`crate::SEAMS`]).
    pub(crate) seams: &'static crate::kernel::seams::Seams,
}

impl Platform {
    pub fn now_us(&self) -> i64 {
        self.clock.now().timestamp_micros()
    }

    /// `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        self.db.backend().name()
    }

    /// The platform with the PDFs set in `font` instead of the default.
    pub fn with_pdf_font(mut self, font: crate::kernel::pdf::PdfFont) -> Platform {
        self.pdf_font = font;
        self
    }

    /// The platform with directory login through `config` (ADR 0021).
    pub fn with_directory(
        mut self,
        config: Option<yunwei_domain::directory::DirectoryConfig>,
    ) -> Platform {
        self.directory = config.map(std::sync::Arc::new);
        self
    }

    /// The platform with the notice channels configured by `cfg`.
    pub fn with_notify(mut self, cfg: crate::kernel::channels::NotifyConfig) -> Platform {
        self.channels = crate::kernel::channels::Channels::shared(cfg);
        self
    }

    /// The platform with these Alertmanager sources (ADR 0024).
    pub fn with_alertmanager(
        mut self,
        settings: yunwei_domain::alerts::AlertmanagerSettings,
    ) -> Platform {
        self.alertmanager = Arc::new(settings);
        self
    }

    /// The platform forwarding its audit trail as `cfg` says.
    pub fn with_audit_syslog(
        mut self,
        cfg: Option<crate::kernel::audit_forward::AuditSyslogSettings>,
    ) -> Platform {
        self.audit_syslog = cfg.map(Arc::new);
        self
    }

    /// Closes the connection pool (at shutdown, at the end of a command).
    pub async fn close(&self) {
        self.db.close().await
    }

    /// The database itself, for tests that set up or inspect rows and for
    /// the benchmark's bulk seeding; not in a production build.
    #[cfg(feature = "test-support")]
    pub fn db(&self) -> &Db {
        &self.db
    }
}
