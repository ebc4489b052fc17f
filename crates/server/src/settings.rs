//! Effective settings: built-in defaults < `yunwei.toml` < `YUNWEI_*`
//! environment variables < command-line flags.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use figment::providers::{Env, Format as _, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

/// Name of the configuration file looked up in the working directory.
pub const CONFIG_FILE: &str = "yunwei.toml";
/// Top-level organisation created on a fresh database.
pub const DEFAULT_ROOT_ORG: &str = "省级财政部门";
/// Top-level organisation of the demo tenant (`serve --demo`).
pub const DEMO_ROOT_ORG: &str = "江苏省财政厅";
/// The environment variable of the LDAP service account's password.
pub const LDAP_BIND_PASSWORD_ENV: &str = "YUNWEI_LDAP_BIND_PASSWORD";
/// Lowest accepted PBKDF2 iteration count.
pub const MIN_PASSWORD_ITERATIONS: u32 = 1_000;

/// Keys of the settings that may come from `YUNWEI_*` variables. Keys and
/// passwords are read separately and never pass through here.
const ENV_KEYS: [&str; 11] = [
    "data_dir",
    "audit_anchor_file",
    "packs",
    "listen",
    "database_url",
    "root_org_name",
    "password_iterations",
    "secure_cookies",
    "log",
    "pdf_font",
    "pdf_font_index",
];

/// Keys of `[audit_syslog]` that may come from `YUNWEI_AUDIT_SYSLOG_*`
/// variables (`YUNWEI_AUDIT_SYSLOG_SERVER=10.0.0.5:6514`).
const AUDIT_SYSLOG_ENV_KEYS: [&str; 10] = [
    "enabled",
    "server",
    "transport",
    "tls_ca_file",
    "tls_server_name",
    "tls_client_cert_file",
    "tls_client_key_file",
    "facility",
    "app_name",
    "hostname",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub listen: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// `None` means the default ([`DEFAULT_ROOT_ORG`], or [`DEMO_ROOT_ORG`]
    /// with `--demo`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_org_name: Option<String>,
    pub password_iterations: u32,
    pub secure_cookies: bool,
    pub log: String,
    /// Policy packs this installation enables (`["jscz", "ntcz"]`); `None`
    /// enables every shipped pack (the demo's choice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packs: Option<Vec<String>>,
    /// Where the audit chain head is anchored outside the database
    /// (`yunwei audit anchor`, and every few minutes by `serve`); default
    /// `<data_dir>/audit-anchor.jsonl`. Put it on other storage than the
    /// database (another disk, a mount only appended to, a log collector).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_anchor_file: Option<PathBuf>,
    /// The CJK font of the PDFs (ticket, reports): a TrueType or OpenType
    /// file or collection that a package installs; default Noto Sans CJK
    /// of Debian's `fonts-noto-cjk` (ADR 0013).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdf_font: Option<PathBuf>,
    /// The face of `pdf_font` in a collection (`.ttc`); default 2 (Noto
    /// Sans CJK SC) for the default font, else 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdf_font_index: Option<u32>,
    /// Directory login (`[ldap]`, ADR 0021); absent: local accounts only.
    /// The service account's password may come from
    /// `YUNWEI_LDAP_BIND_PASSWORD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ldap: Option<yunwei_domain::directory::DirectoryConfig>,
    /// The external notice channels: e-mail, WeCom, DingTalk, quiet hours
    /// and retries (`[notify]`, ADR 0022).
    #[serde(default)]
    pub notify: yunwei_core::channels::NotifyConfig,
    /// `/metrics` for Prometheus (ADR 0025): `[metrics] token` and/or
    /// `listen`; env `YUNWEI_METRICS_TOKEN`, `YUNWEI_METRICS_LISTEN`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub metrics: yunwei_core::metrics::MetricsSettings,
    /// Alertmanager sources whose webhook notifications become incidents
    /// (`[alertmanager.sources.<name>]`, ADR 0024); tokens may come from
    /// `YUNWEI_ALERTMANAGER_<NAME>_TOKEN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alertmanager: Option<yunwei_domain::alerts::AlertmanagerSettings>,
    /// Every audit record also sent to a syslog collector (ADR 0023).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_syslog: Option<yunwei_core::audit_forward::AuditSyslogSettings>,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// Environment variables of the `[metrics]` section (nested keys do not
/// pass through [`ENV_KEYS`]); the token is a secret, so it is read here
/// and never printed.
const METRICS_TOKEN_ENV: &str = "YUNWEI_METRICS_TOKEN";
const METRICS_LISTEN_ENV: &str = "YUNWEI_METRICS_LISTEN";

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: PathBuf::from("./data"),
            listen: "127.0.0.1:8080".into(),
            database_url: None,
            root_org_name: None,
            password_iterations: yunwei_domain::crypto::PASSWORD_ITERATIONS,
            secure_cookies: false,
            log: "info".into(),
            packs: None,
            audit_anchor_file: None,
            pdf_font: None,
            pdf_font_index: None,
            ldap: None,
            notify: Default::default(),
            metrics: Default::default(),
            alertmanager: None,
            audit_syslog: None,
        }
    }
}

/// Values given on the command line; unset ones do not override.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
}

impl Settings {
    /// Layers the sources. `config` is an explicit `--config` file, which
    /// must exist; otherwise `yunwei.toml` in the working directory is used
    /// when present.
    pub fn load(config: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Settings> {
        let mut fig = Figment::from(Serialized::defaults(Settings::default()));
        match config {
            Some(path) => {
                if !path.is_file() {
                    bail!("配置文件不存在：{}", path.display());
                }
                fig = fig.merge(Toml::file_exact(path));
            }
            None if Path::new(CONFIG_FILE).is_file() => {
                fig = fig.merge(Toml::file_exact(CONFIG_FILE))
            }
            None => {}
        }
        fig = fig
            .merge(Env::prefixed("YUNWEI_").only(&ENV_KEYS))
            .merge(Env::prefixed("YUNWEI_AUDIT_SYSLOG_").filter_map(|k| {
                AUDIT_SYSLOG_ENV_KEYS
                    .iter()
                    .find(|known| k.as_str().eq_ignore_ascii_case(known))
                    .map(|known| format!("audit_syslog.{known}").into())
            }))
            .merge(Serialized::defaults(overrides));
        let mut settings: Settings = fig
            .extract()
            .map_err(|e| anyhow::anyhow!("配置无效：{e}"))?;
        // The secret comes from the environment rather than a file others
        // may read; it overrides the file.
        if let Some(ldap) = settings.ldap.as_mut() {
            if let Ok(pw) = std::env::var(LDAP_BIND_PASSWORD_ENV) {
                if !pw.is_empty() {
                    ldap.bind_password = pw;
                }
            }
        }
        notify_from_env(&mut settings.notify, |k| {
            std::env::var(k).ok().filter(|v| !v.is_empty())
        });
        if let Some(token) = env_nonempty(METRICS_TOKEN_ENV) {
            settings.metrics.token = Some(token);
        }
        if let Some(listen) = env_nonempty(METRICS_LISTEN_ENV) {
            settings.metrics.listen = Some(listen);
        }
        settings.alertmanager_tokens_from_env();
        settings.validate()?;
        Ok(settings)
    }

    /// Secrets stay out of `ENV_KEYS`: each source's token is read from
    /// its own variable, which wins over the file.
    fn alertmanager_tokens_from_env(&mut self) {
        if let Some(am) = &mut self.alertmanager {
            for (name, source) in am.sources.iter_mut() {
                let var = yunwei_domain::alerts::token_env_var(name);
                if let Ok(token) = std::env::var(&var) {
                    if !token.is_empty() {
                        source.token = token;
                    }
                }
            }
        }
    }

    /// The Alertmanager sources (none when not configured).
    pub fn alertmanager(&self) -> yunwei_domain::alerts::AlertmanagerSettings {
        self.alertmanager.clone().unwrap_or_default()
    }

    fn validate(&self) -> anyhow::Result<()> {
        if self.password_iterations < MIN_PASSWORD_ITERATIONS {
            bail!(
                "password_iterations 不得小于 {MIN_PASSWORD_ITERATIONS}（当前为 {}）",
                self.password_iterations
            );
        }
        if self.data_dir.as_os_str().is_empty() {
            bail!("data_dir 不能为空");
        }
        if let Some(packs) = &self.packs {
            let shipped: Vec<&str> = yunwei_domain::policy::embedded::EMBEDDED
                .iter()
                .map(|p| p.id)
                .collect();
            if packs.is_empty() {
                bail!(
                    "packs 不能为空：至少启用一个策略包（可选：{}）",
                    shipped.join("、")
                );
            }
            for id in packs {
                if !shipped.contains(&id.as_str()) {
                    bail!("未知的策略包「{id}」（可选：{}）", shipped.join("、"));
                }
            }
        }
        if let Some(ldap) = &self.ldap {
            ldap.validate()
                .map_err(|e| anyhow::anyhow!("配置无效：{e}"))?;
        }
        self.notify
            .validate()
            .map_err(|e| anyhow::anyhow!("配置无效：{e}"))?;
        self.metrics.validate().map_err(|e| anyhow::anyhow!(e))?;
        if let Some(am) = &self.alertmanager {
            let packs: Vec<_> = yunwei_domain::policy::embedded::packs()
                .into_iter()
                .filter(|p| self.packs.as_ref().is_none_or(|ids| ids.contains(&p.id)))
                .collect();
            yunwei_domain::alerts::check(am, &packs).map_err(|m| anyhow::anyhow!(m))?;
        }
        if let Some(syslog) = &self.audit_syslog {
            syslog.validate().map_err(|e| anyhow::anyhow!(e))?;
        }
        if let Some(url) = &self.database_url {
            if !(url.starts_with("sqlite:")
                || url.starts_with("postgres:")
                || url.starts_with("postgresql:"))
            {
                bail!("数据库地址须以 sqlite: 或 postgres: 开头");
            }
        }
        Ok(())
    }

    /// The audit anchor file ([`Settings::audit_anchor_file`] or the
    /// default in the data directory).
    pub fn anchor_file(&self) -> anyhow::Result<PathBuf> {
        match &self.audit_anchor_file {
            Some(p) => Ok(p.clone()),
            None => Ok(self.data_dir_abs()?.join("audit-anchor.jsonl")),
        }
    }

    /// The PDF font ([`Settings::pdf_font`], [`Settings::pdf_font_index`]).
    pub fn pdf_font(&self) -> yunwei_core::pdf::PdfFont {
        match &self.pdf_font {
            None => yunwei_core::pdf::PdfFont {
                index: self
                    .pdf_font_index
                    .unwrap_or(yunwei_core::pdf::DEFAULT_FONT_INDEX),
                ..Default::default()
            },
            Some(path) => yunwei_core::pdf::PdfFont {
                path: path.clone(),
                index: self.pdf_font_index.unwrap_or(0),
            },
        }
    }

    /// The organisation name used when the database is created.
    pub fn root_org(&self, demo: bool) -> &str {
        match &self.root_org_name {
            Some(name) => name,
            None if demo => DEMO_ROOT_ORG,
            None => DEFAULT_ROOT_ORG,
        }
    }

    /// The data directory as an absolute path.
    pub fn data_dir_abs(&self) -> anyhow::Result<PathBuf> {
        std::path::absolute(&self.data_dir)
            .with_context(|| format!("无法解析数据目录 {}", self.data_dir.display()))
    }

    /// Whether the database lives in the default SQLite file in the data
    /// directory (no URL configured).
    pub fn uses_default_database(&self) -> bool {
        self.database_url.is_none()
    }

    /// Path of the default SQLite database file.
    pub fn default_sqlite_path(&self) -> anyhow::Result<PathBuf> {
        Ok(self.data_dir_abs()?.join("yunwei.db"))
    }

    /// The configured database URL, or the SQLite file in the data
    /// directory.
    pub fn database_url(&self) -> anyhow::Result<String> {
        match &self.database_url {
            Some(url) => Ok(url.clone()),
            None => Ok(sqlite_url(&self.default_sqlite_path()?)),
        }
    }
}

/// The variables of the notice channels' secrets (and the public address),
/// read apart from figment so that a secret never needs to be in
/// `yunwei.toml`. A secret of a chat robot creates its section (the rest
/// has defaults); the e-mail password only completes `[notify.email]`.
pub const NOTIFY_ENV: [&str; 6] = [
    "YUNWEI_NOTIFY_PUBLIC_URL",
    "YUNWEI_NOTIFY_EMAIL_PASSWORD",
    "YUNWEI_NOTIFY_WECOM_ROBOT_KEY",
    "YUNWEI_NOTIFY_WECOM_CORP_SECRET",
    "YUNWEI_NOTIFY_DINGTALK_ACCESS_TOKEN",
    "YUNWEI_NOTIFY_DINGTALK_SECRET",
];

fn notify_from_env(
    n: &mut yunwei_core::channels::NotifyConfig,
    var: impl Fn(&str) -> Option<String>,
) {
    use yunwei_core::channels::{DingtalkConfig, WecomConfig};
    if let Some(v) = var(NOTIFY_ENV[0]) {
        n.public_url = v;
    }
    if let (Some(v), Some(e)) = (var(NOTIFY_ENV[1]), n.email.as_mut()) {
        e.password = Some(v);
    }
    fn wecom(n: &mut yunwei_core::channels::NotifyConfig) -> &mut WecomConfig {
        n.wecom.get_or_insert_with(|| WecomConfig {
            base_url: "https://qyapi.weixin.qq.com".into(),
            robot_key: None,
            corp_id: None,
            corp_secret: None,
            agent_id: None,
        })
    }
    if let Some(v) = var(NOTIFY_ENV[2]) {
        wecom(n).robot_key = Some(v);
    }
    if let Some(v) = var(NOTIFY_ENV[3]) {
        wecom(n).corp_secret = Some(v);
    }
    fn dingtalk(n: &mut yunwei_core::channels::NotifyConfig) -> &mut DingtalkConfig {
        n.dingtalk.get_or_insert_with(|| DingtalkConfig {
            base_url: "https://oapi.dingtalk.com".into(),
            access_token: String::new(),
            secret: String::new(),
        })
    }
    if let Some(v) = var(NOTIFY_ENV[4]) {
        dingtalk(n).access_token = v;
    }
    if let Some(v) = var(NOTIFY_ENV[5]) {
        dingtalk(n).secret = v;
    }
}

/// The notice settings with every secret replaced by `******`.
pub fn masked_notify(
    n: &yunwei_core::channels::NotifyConfig,
) -> yunwei_core::channels::NotifyConfig {
    const MASK: &str = "******";
    let mut n = n.clone();
    if let Some(e) = n.email.as_mut() {
        if e.password.is_some() {
            e.password = Some(MASK.into());
        }
    }
    if let Some(w) = n.wecom.as_mut() {
        if w.robot_key.is_some() {
            w.robot_key = Some(MASK.into());
        }
        if w.corp_secret.is_some() {
            w.corp_secret = Some(MASK.into());
        }
    }
    if let Some(d) = n.dingtalk.as_mut() {
        if !d.access_token.is_empty() {
            d.access_token = MASK.into();
        }
        if !d.secret.is_empty() {
            d.secret = MASK.into();
        }
    }
    n
}

fn env_nonempty(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.trim().is_empty())
}

/// Whether the metrics token came from [`METRICS_TOKEN_ENV`] (for
/// `config show`).
pub fn metrics_token_from_env() -> bool {
    env_nonempty(METRICS_TOKEN_ENV).is_some()
}

/// `sqlite://` URL for a file, created if missing (`mode=rwc`).
pub fn sqlite_url(path: &Path) -> String {
    let mut s = String::from("sqlite://");
    for ch in path.to_string_lossy().chars() {
        match ch {
            '%' => s.push_str("%25"),
            '?' => s.push_str("%3F"),
            '#' => s.push_str("%23"),
            ' ' => s.push_str("%20"),
            c => s.push(c),
        }
    }
    s.push_str("?mode=rwc");
    s
}

/// The URL with any password replaced by `****`.
pub fn mask_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return mask_query_password(url);
    };
    let userinfo = &authority[..at];
    let masked_userinfo = match userinfo.find(':') {
        Some(colon) => format!("{}:****", &userinfo[..colon]),
        None => userinfo.to_string(),
    };
    let masked = format!(
        "{}://{}{}",
        &url[..scheme_end],
        masked_userinfo,
        &rest[at..]
    );
    mask_query_password(&masked)
}

/// Masks `password=...` query parameters as well.
fn mask_query_password(url: &str) -> String {
    let Some(q) = url.find('?') else {
        return url.to_string();
    };
    let (base, query) = url.split_at(q + 1);
    let parts: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=****"),
            _ => kv.to_string(),
        })
        .collect();
    format!("{base}{}", parts.join("&"))
}
