//! The maintenance commands: migrate, audit verify, admin reset-password,
//! admin ukey-requirement, config show.

use std::io::{IsTerminal as _, Write as _};
use std::path::Path;
use std::process::ExitCode;

use anyhow::bail;
use serde::Serialize;
use yunwei_core::Ctx;
use yunwei_domain::ids::new_id;
use yunwei_store::migrate;

use crate::keys::{self, KeySource, AUDIT_KEY, FIELD_KEY};
use crate::open;
use crate::settings::{mask_url, Settings};

pub async fn migrate(settings: &Settings) -> anyhow::Result<ExitCode> {
    let db = open::connect(settings, true).await?;
    let applied = migrate::run(&db, open::now_us())
        .await
        .map_err(|e| anyhow::anyhow!("数据库迁移失败：{}", e.message))?;
    let version = open::require_schema(&db).await?;
    println!(
        "数据库：{}（{}）",
        mask_url(&settings.database_url()?),
        db.backend().name()
    );
    println!("本次执行迁移 {applied} 个，当前结构版本 {version}");
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn audit_verify(settings: &Settings, anchor: Option<&Path>) -> anyhow::Result<ExitCode> {
    let anchors = match anchor {
        Some(path) => read_anchors(path)?,
        None => vec![],
    };
    let data_dir = settings.data_dir_abs()?;
    let loaded = keys::load_for_audit(&data_dir)?;
    let db = open::connect(settings, false).await?;
    open::require_schema(&db).await?;
    let p = open::platform(db, loaded.keys, settings);
    let tty = std::io::stderr().is_terminal();
    let mut shown = false;
    let report = yunwei_core::audit::verify_with_anchors(&p, &anchors, |n| {
        if tty {
            shown = true;
            eprint!("\r已校验 {n} 条");
            let _ = std::io::stderr().flush();
        }
    })
    .await
    .map_err(|e| anyhow::anyhow!("审计链校验无法完成：{}", e.message))?;
    if shown {
        eprintln!();
    }
    p.close().await;
    println!(
        "已校验 {} 条审计记录，用时 {:.3} 秒（每秒 {:.0} 条）",
        report.checked,
        report.seconds,
        report.per_second()
    );
    if let Some(path) = anchor {
        println!("已核对库外锚点 {} 个（{}）", anchors.len(), path.display());
    }
    match report.fault {
        None => {
            println!("审计链完整");
            Ok(ExitCode::SUCCESS)
        }
        Some(fault) => {
            println!("审计链校验失败：{}", fault.describe());
            Ok(ExitCode::from(1))
        }
    }
}

/// Most anchors read from one file (a line every few minutes for decades).
const MAX_ANCHORS: usize = 10_000_000;

/// The anchors of an anchor file, one JSON object a line; a line that is
/// not one is an error (the file is evidence, not best effort).
fn read_anchors(path: &Path) -> anyhow::Result<Vec<yunwei_core::audit::Anchor>> {
    use std::io::BufRead as _;
    let f = std::fs::File::open(path)
        .map_err(|e| anyhow::anyhow!("无法读取锚点文件 {}：{e}", path.display()))?;
    let mut out = vec![];
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| anyhow::anyhow!("无法读取锚点文件 {}：{e}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        if out.len() >= MAX_ANCHORS {
            bail!("锚点文件 {} 超过 {MAX_ANCHORS} 行", path.display());
        }
        let a: yunwei_core::audit::Anchor = serde_json::from_str(&line)
            .map_err(|_| anyhow::anyhow!("锚点文件 {} 第 {} 行格式错误", path.display(), i + 1))?;
        out.push(a);
    }
    Ok(out)
}

/// The platform of the configured database and the account named
/// `username` (an error when there is none), for the admin commands.
async fn platform_and_user(
    settings: &Settings,
    username: &str,
) -> anyhow::Result<(yunwei_core::Platform, yunwei_store::users::UserRow)> {
    let data_dir = settings.data_dir_abs()?;
    let loaded = keys::load(&data_dir, false)?;
    let db = open::connect(settings, false).await?;
    open::require_schema(&db).await?;
    let p = open::platform(db, loaded.keys, settings);
    let username = username.trim().to_ascii_lowercase();
    let user = yunwei_core::users::by_username_on_server(&p, &username)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    match user {
        Some(user) => Ok((p, user)),
        None => {
            p.close().await;
            bail!("用户 {username} 不存在")
        }
    }
}

/// `yunwei audit anchor [--file FILE]`.
pub async fn audit_anchor(settings: &Settings, file: Option<&Path>) -> anyhow::Result<ExitCode> {
    let path = match file {
        Some(f) => f.to_path_buf(),
        None => settings.anchor_file()?,
    };
    let data_dir = settings.data_dir_abs()?;
    let loaded = keys::load_for_audit(&data_dir)?;
    let db = open::connect(settings, false).await?;
    open::require_schema(&db).await?;
    let p = open::platform(db, loaded.keys, settings);
    let written = yunwei_core::audit::write_anchor(&p, &path).await;
    p.close().await;
    match written.map_err(|e| anyhow::anyhow!("{}", e.message))? {
        Some(a) => {
            println!("{}", serde_json::to_string(&a)?);
            eprintln!("已把审计链头（第 {} 条）追加到 {}", a.seq, path.display());
            Ok(ExitCode::SUCCESS)
        }
        None => {
            eprintln!("审计链为空，无需锚定");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `yunwei admin departure USER --reason ...`: the departure of any account,
/// the three administrators included, done by whoever has the server
/// (DESIGN §7: no one of the three does it to another alone).
pub async fn departure(
    settings: &Settings,
    username: &str,
    reason: &str,
    yes: bool,
) -> anyhow::Result<ExitCode> {
    let reason =
        yunwei_core::users::require_reason(reason).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let (p, user) = platform_and_user(settings, username).await?;
    if !yes {
        if !std::io::stdin().is_terminal() {
            bail!("非交互运行时请加 --yes 确认：登记 {username} 离岗");
        }
        eprint!(
            "即将登记 {}（{}）离岗：停用账号，注销会话，吊销令牌，收回全部授权。\n确认请输入 yes：",
            user.username, user.display_name
        );
        std::io::stderr().flush()?;
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if answer.trim() != "yes" {
            println!("已取消。");
            return Ok(ExitCode::from(1));
        }
    }
    let ctx = Ctx::system(&new_id());
    let d = yunwei_core::departure::register_departure_on_server(&p, &ctx, &user.id, &reason)
        .await
        .map_err(|e| anyhow::anyhow!("登记离岗失败：{}", e.message));
    p.close().await;
    let d = d?;
    println!(
        "已登记 {}（{}）离岗：收回授权 {} 项，吊销接口令牌 {} 个，收回临时授权及数据库访问 {} 项。",
        user.username, user.display_name, d.grants_removed, d.tokens_revoked, d.access_revoked
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn reset_password(
    settings: &Settings,
    username: &str,
    reason: &str,
) -> anyhow::Result<ExitCode> {
    let reason =
        yunwei_core::users::require_reason(reason).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let (p, user) = platform_and_user(settings, username).await?;
    let ctx = Ctx::system(&new_id());
    let password = yunwei_core::users::reset_password_on_server(&p, &ctx, &user.id, &reason)
        .await
        .map_err(|e| anyhow::anyhow!("重置密码失败：{}", e.message))?;
    p.close().await;
    println!(
        "已重置用户 {}（{}）的密码，其全部会话已注销。",
        user.username, user.display_name
    );
    println!("新密码：{password}");
    println!("该密码只显示这一次；用户下次登录时必须修改密码。");
    Ok(ExitCode::SUCCESS)
}

/// `yunwei admin ukey-requirement on|off --reason ...`: the lockout
/// recovery of ADR 0008. Asks on a terminal unless `--yes`; refuses to run
/// unattended without `--yes`.
pub async fn ukey_requirement(
    settings: &Settings,
    on: bool,
    reason: &str,
    yes: bool,
) -> anyhow::Result<ExitCode> {
    let reason =
        yunwei_core::users::require_reason(reason).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let what = if on {
        "开启「管理员须持有在用的 UKEY」：没有在用 UKEY 的管理员将只保留非管理员角色"
    } else {
        "关闭「管理员须持有在用的 UKEY」：管理员不再需要持有在用的 UKEY 即可行使管理员权限"
    };
    if !yes {
        if !std::io::stdin().is_terminal() {
            bail!("非交互运行时请加 --yes 确认：{what}");
        }
        eprint!("即将{what}。\n确认请输入 yes：");
        std::io::stderr().flush()?;
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if answer.trim() != "yes" {
            println!("已取消，安全策略未改变。");
            return Ok(ExitCode::from(1));
        }
    }
    let data_dir = settings.data_dir_abs()?;
    let loaded = keys::load(&data_dir, false)?;
    let db = open::connect(settings, false).await?;
    open::require_schema(&db).await?;
    let p = open::platform(db, loaded.keys, settings);
    let ctx = Ctx::system(&new_id());
    let changed = yunwei_core::policy::set_ukey_requirement(&p, &ctx, on, &reason).await;
    p.close().await;
    let changed = changed.map_err(|e| anyhow::anyhow!("修改安全策略失败：{}", e.message))?;
    let state = if on { "开启" } else { "关闭" };
    if changed {
        println!("已{state}「管理员须持有在用的 UKEY」，已写入审计记录。");
    } else {
        println!("「管理员须持有在用的 UKEY」已是{state}状态，未作修改。");
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct ShownConfig {
    data_dir: String,
    listen: String,
    database_url: String,
    root_org_name: String,
    password_iterations: u32,
    secure_cookies: bool,
    log: String,
    /// The enabled policy packs (all shipped ones when not configured).
    packs: Vec<String>,
    /// Directory login, the service account's password masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    ldap: Option<yunwei_domain::directory::DirectoryConfig>,
    metrics: ShownMetrics,
    /// Where the audit trail is forwarded (ADR 0023); no secret of its
    /// own: the TLS client key is named by its file, never shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    audit_syslog: Option<yunwei_core::audit_forward::AuditSyslogSettings>,
    sensitive: ShownSensitive,
    /// The notice channels, secrets masked (ADR 0022).
    notify: yunwei_core::channels::NotifyConfig,
    /// Alertmanager sources, tokens masked (ADR 0024).
    #[serde(skip_serializing_if = "Option::is_none")]
    alertmanager: Option<yunwei_domain::alerts::AlertmanagerSettings>,
}

/// `[metrics]` (ADR 0025): where `/metrics` is served; the token masked.
#[derive(Serialize)]
struct ShownMetrics {
    served: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
}

fn shown_metrics(m: &yunwei_core::metrics::MetricsSettings) -> ShownMetrics {
    let served = match (&m.listen, &m.token) {
        (None, None) => "未启用（/metrics 不对外提供）".to_string(),
        (None, Some(_)) => "主监听地址 /metrics，须携带令牌".to_string(),
        (Some(l), None) => format!("单独监听 {l} /metrics"),
        (Some(l), Some(_)) => format!("单独监听 {l} 及主监听地址 /metrics，均须携带令牌"),
    };
    let token = m.token.as_ref().map(|_| {
        if crate::settings::metrics_token_from_env() {
            "******（环境变量 YUNWEI_METRICS_TOKEN）".to_string()
        } else {
            "******".to_string()
        }
    });
    ShownMetrics {
        served,
        listen: m.listen.clone(),
        token,
    }
}

#[derive(Serialize)]
struct ShownSensitive {
    audit_key: String,
    field_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    admin_password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    demo_password: Option<String>,
}

fn shown_key(data_dir: &std::path::Path, spec: &keys::KeySpec) -> String {
    match keys::locate(data_dir, spec) {
        KeySource::Env(var) => format!("****（环境变量 {var}）"),
        KeySource::File(path) | KeySource::Generated(path) => {
            format!("（文件 {}）", path.display())
        }
        KeySource::Missing => {
            format!(
                "（尚未生成，首次启动服务时创建于 {}）",
                keys::key_path(data_dir, spec).display()
            )
        }
    }
}

fn shown_env_secret(var: &str) -> Option<String> {
    std::env::var(var)
        .ok()
        .filter(|v| !v.is_empty())
        .map(|_| format!("****（环境变量 {var}）"))
}

pub fn config_show(settings: &Settings) -> anyhow::Result<ExitCode> {
    let data_dir = settings.data_dir_abs()?;
    let shown = ShownConfig {
        data_dir: data_dir.display().to_string(),
        listen: settings.listen.clone(),
        database_url: mask_url(&settings.database_url()?),
        root_org_name: settings.root_org(false).to_string(),
        password_iterations: settings.password_iterations,
        secure_cookies: settings.secure_cookies,
        log: settings.log.clone(),
        packs: match &settings.packs {
            Some(ids) => ids.clone(),
            None => yunwei_domain::policy::embedded::EMBEDDED
                .iter()
                .map(|p| p.id.to_string())
                .collect(),
        },
        ldap: settings.ldap.clone().map(|mut l| {
            l.bind_password = if l.bind_password.is_empty() {
                String::new()
            } else if shown_env_secret(crate::settings::LDAP_BIND_PASSWORD_ENV).is_some() {
                format!(
                    "******（环境变量 {}）",
                    crate::settings::LDAP_BIND_PASSWORD_ENV
                )
            } else {
                "******".into()
            };
            l
        }),
        metrics: shown_metrics(&settings.metrics),
        audit_syslog: settings.audit_syslog.clone(),
        sensitive: ShownSensitive {
            audit_key: shown_key(&data_dir, &AUDIT_KEY),
            field_key: shown_key(&data_dir, &FIELD_KEY),
            admin_password: shown_env_secret("YUNWEI_ADMIN_PASSWORD"),
            demo_password: shown_env_secret("YUNWEI_DEMO_PASSWORD"),
        },
        notify: crate::settings::masked_notify(&settings.notify),
        alertmanager: settings.alertmanager.clone().map(|mut am| {
            for source in am.sources.values_mut() {
                source.token = "******".into();
            }
            am
        }),
    };
    let text = toml::to_string_pretty(&shown).map_err(|e| anyhow::anyhow!("无法输出配置：{e}"))?;
    println!("# yunwei 生效配置（默认值 < yunwei.toml < YUNWEI_* 环境变量 < 命令行参数；密码和密钥已隐去）");
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}
