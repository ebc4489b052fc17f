//! The audit MAC key and the SM4 field key. They live outside the database:
//! in `YUNWEI_AUDIT_KEY` / `YUNWEI_FIELD_KEY` (hex) or in
//! `<data_dir>/keys/{audit,field}.key` (hex, mode 0600), which `serve`
//! creates on first start. Key material is never printed or logged.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use yunwei_core::Keys;
use yunwei_domain::crypto::{Crypto, SoftwareCrypto};

#[derive(Debug, Clone, Copy)]
pub struct KeySpec {
    /// Chinese name for messages.
    pub label: &'static str,
    pub env: &'static str,
    /// Names a key file anywhere (outside the data directory), read once at
    /// start; used when `env` is not set.
    pub file_env: &'static str,
    pub file_name: &'static str,
    pub len: usize,
}

pub const AUDIT_KEY: KeySpec = KeySpec {
    label: "审计密钥",
    env: "YUNWEI_AUDIT_KEY",
    file_env: "YUNWEI_AUDIT_KEY_FILE",
    file_name: "audit.key",
    len: 32,
};
pub const FIELD_KEY: KeySpec = KeySpec {
    label: "字段加密密钥",
    env: "YUNWEI_FIELD_KEY",
    file_env: "YUNWEI_FIELD_KEY_FILE",
    file_name: "field.key",
    len: 16,
};

/// Where a key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Env(&'static str),
    File(PathBuf),
    /// Created just now.
    Generated(PathBuf),
    /// Not available (only for keys a command does not need).
    Missing,
}

impl KeySource {
    /// Human-readable origin, never the key itself.
    pub fn describe(&self) -> String {
        match self {
            KeySource::Env(var) => format!("环境变量 {var}"),
            KeySource::File(p) => format!("文件 {}", p.display()),
            KeySource::Generated(p) => format!("文件 {}（本次新生成）", p.display()),
            KeySource::Missing => "未配置".into(),
        }
    }
}

pub struct LoadedKeys {
    pub keys: Keys,
    pub audit: KeySource,
    pub field: KeySource,
}

/// Directory holding the key files.
pub fn key_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("keys")
}

/// The key file: the one `file_env` names, else `<data_dir>/keys/…`.
pub fn key_path(data_dir: &Path, spec: &KeySpec) -> PathBuf {
    match std::env::var(spec.file_env)
        .ok()
        .filter(|v| !v.trim().is_empty())
    {
        Some(p) => PathBuf::from(p.trim()),
        None => key_dir(data_dir).join(spec.file_name),
    }
}

/// Whether the key file was named outside the data directory.
fn named_elsewhere(spec: &KeySpec) -> bool {
    std::env::var(spec.file_env)
        .ok()
        .is_some_and(|v| !v.trim().is_empty())
}

/// Where `spec` would be loaded from, without reading or creating anything.
pub fn locate(data_dir: &Path, spec: &KeySpec) -> KeySource {
    if env_value(spec).is_some() {
        return KeySource::Env(spec.env);
    }
    let path = key_path(data_dir, spec);
    if path.exists() {
        KeySource::File(path)
    } else {
        KeySource::Missing
    }
}

/// Loads both keys. With `create`, missing key files are generated
/// (first start); otherwise a missing key is an error.
pub fn load(data_dir: &Path, create: bool) -> anyhow::Result<LoadedKeys> {
    let (audit_mac, audit) = load_one(data_dir, &AUDIT_KEY, create)?;
    let (field, field_src) = load_one(data_dir, &FIELD_KEY, create)?;
    let field: [u8; 16] = field
        .try_into()
        .map_err(|_| anyhow::anyhow!("字段加密密钥长度错误"))?;
    Ok(LoadedKeys {
        keys: Keys { audit_mac, field },
        audit,
        field: field_src,
    })
}

/// Loads the audit key (required, never created) for commands that only
/// read the audit chain; the field key is used when present and otherwise
/// left zeroed, since those commands decrypt nothing.
pub fn load_for_audit(data_dir: &Path) -> anyhow::Result<LoadedKeys> {
    let (audit_mac, audit) = load_one(data_dir, &AUDIT_KEY, false)?;
    let (field, field_src) = match load_one(data_dir, &FIELD_KEY, false) {
        Ok((bytes, src)) => (bytes.try_into().unwrap_or([0u8; 16]), src),
        Err(_) => ([0u8; 16], KeySource::Missing),
    };
    Ok(LoadedKeys {
        keys: Keys { audit_mac, field },
        audit,
        field: field_src,
    })
}

fn env_value(spec: &KeySpec) -> Option<String> {
    std::env::var(spec.env)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn decode(spec: &KeySpec, text: &str, origin: &str) -> anyhow::Result<Vec<u8>> {
    let bytes = hex::decode(text.trim())
        .map_err(|_| anyhow::anyhow!("{}（{origin}）不是有效的十六进制字符串", spec.label))?;
    if bytes.len() != spec.len {
        bail!(
            "{}（{origin}）长度应为 {} 字节（{} 个十六进制字符），实际为 {} 字节",
            spec.label,
            spec.len,
            spec.len * 2,
            bytes.len()
        );
    }
    Ok(bytes)
}

fn load_one(data_dir: &Path, spec: &KeySpec, create: bool) -> anyhow::Result<(Vec<u8>, KeySource)> {
    if let Some(v) = env_value(spec) {
        let bytes = decode(spec, &v, &format!("环境变量 {}", spec.env))?;
        return Ok((bytes, KeySource::Env(spec.env)));
    }
    let path = key_path(data_dir, spec);
    if path.exists() {
        let text = fs::read_to_string(&path)
            .with_context(|| format!("无法读取{}文件 {}", spec.label, path.display()))?;
        warn_if_readable_by_others(&path);
        let bytes = decode(spec, &text, &format!("文件 {}", path.display()))?;
        return Ok((bytes, KeySource::File(path)));
    }
    if named_elsewhere(spec) {
        bail!(
            "{}文件 {} 不存在（由环境变量 {} 指定）；不会自动生成新密钥",
            spec.label,
            path.display(),
            spec.file_env
        );
    }
    if !create {
        bail!(
            "找不到{label}：未设置环境变量 {env}，密钥文件 {path} 也不存在。\
             请指定启动服务时使用的数据目录（--data-dir）或设置 {env}；不会自动生成新密钥",
            label = spec.label,
            env = spec.env,
            path = path.display()
        );
    }
    let bytes = SoftwareCrypto.random_bytes(spec.len);
    write_new_key(&path, &bytes)
        .with_context(|| format!("无法创建{}文件 {}", spec.label, path.display()))?;
    tracing::info!(path = %path.display(), "generated {}", spec.file_name);
    Ok((bytes, KeySource::Generated(path)))
}

fn write_new_key(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir)?;
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(hex::encode(bytes).as_bytes())?;
    f.write_all(b"\n")?;
    f.sync_all()
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(meta) = fs::metadata(path) {
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(path = %path.display(), "key file is accessible by group or others; expected mode 0600");
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}
