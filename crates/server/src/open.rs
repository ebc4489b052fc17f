//! Opening the database and assembling the [`Platform`] for a command.

use std::sync::Arc;

use anyhow::{bail, Context as _};
use yunwei_core::{Keys, Platform};
use yunwei_domain::clock::SystemClock;
use yunwei_domain::crypto::SoftwareCrypto;
use yunwei_store::{migrate, Db};

use crate::settings::{mask_url, Settings};

/// Connects to the configured database. With `create`, the data directory
/// (and thereby the default SQLite file) is created; otherwise a missing
/// default database file is an error rather than silently created empty.
pub async fn connect(settings: &Settings, create: bool) -> anyhow::Result<Db> {
    let url = settings.database_url()?;
    if settings.uses_default_database() {
        let data_dir = settings.data_dir_abs()?;
        if create {
            create_private_dir(&data_dir)?;
        } else {
            let file = settings.default_sqlite_path()?;
            if !file.exists() {
                bail!(
                    "数据库文件 {} 不存在：请用 --data-dir 指定服务使用的数据目录，或用 --database-url 指定数据库",
                    file.display()
                );
            }
        }
    }
    Db::connect(&url)
        .await
        .map_err(|e| anyhow::anyhow!("无法连接数据库 {}：{}", mask_url(&url), e.message))
}

/// Creates `dir` (and missing parents) readable by the owner only: it
/// holds the database and the keys.
pub fn create_private_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .with_context(|| format!("无法创建数据目录 {}", dir.display()))
}

/// Refuses to work on a database whose schema this binary does not match.
pub async fn require_schema(db: &Db) -> anyhow::Result<i64> {
    let latest = migrate::latest_version();
    let current = migrate::current_version(db).await.unwrap_or(0);
    if current < latest {
        bail!("数据库结构版本为 {current}，本程序需要 {latest}：请先运行 yunwei migrate");
    }
    if current > latest {
        bail!("数据库结构版本 {current} 高于本程序支持的 {latest}：请使用更新版本的 yunwei");
    }
    Ok(current)
}

pub fn platform(db: Db, keys: Keys, settings: &Settings) -> Platform {
    Platform::new(
        db,
        Arc::new(SoftwareCrypto),
        Arc::new(SystemClock),
        keys,
        settings.password_iterations,
        Arc::new(enabled_packs(settings)),
        settings.data_dir.join("files"),
    )
    .with_pdf_font(settings.pdf_font())
    .with_directory(settings.ldap.clone())
    .with_notify(settings.notify.clone())
    .with_alertmanager(settings.alertmanager())
    .with_audit_syslog(settings.audit_syslog.clone())
}

/// The shipped packs the settings enable (all when not configured).
pub fn enabled_packs(settings: &Settings) -> Vec<yunwei_domain::policy::Pack> {
    yunwei_domain::policy::embedded::packs()
        .into_iter()
        .filter(|p| {
            settings
                .packs
                .as_ref()
                .is_none_or(|ids| ids.contains(&p.id))
        })
        .collect()
}

pub fn now_us() -> i64 {
    chrono::Utc::now().timestamp_micros()
}
