//! `yunwei serve`: prepare the database, keys and built-in accounts, then
//! serve HTTP until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context as _};
use yunwei_core::bootstrap::CreatedAdmin;
use yunwei_store::migrate;

use crate::keys::{self, KeySource, LoadedKeys};
use crate::open;
use crate::settings::{mask_url, Settings};

/// Where the demo password came from.
#[cfg_attr(not(feature = "demo"), allow(dead_code))]
enum DemoPassword {
    Generated(String),
    FromEnv,
    /// The demo data was already there; its password is unchanged.
    Existing,
}

struct StartInfo {
    addr: SocketAddr,
    /// Where `/metrics` is served, if anywhere (ADR 0025).
    metrics: Option<String>,
    backend: &'static str,
    database_url: String,
    data_dir: std::path::PathBuf,
    root_name: String,
    keys: LoadedKeys,
    applied_migrations: usize,
    created: Vec<CreatedAdmin>,
    demo: Option<DemoPassword>,
    started: Instant,
}

pub async fn serve(settings: &Settings, demo: bool, started: Instant) -> anyhow::Result<ExitCode> {
    let data_dir = settings.data_dir_abs()?;
    open::create_private_dir(&data_dir)?;
    let db = open::connect(settings, true).await?;
    let applied = migrate::run(&db, open::now_us())
        .await
        .map_err(|e| anyhow::anyhow!("数据库迁移失败：{}", e.message))?;
    open::require_schema(&db).await?;

    // New keys only for a database without an audit trail: a fresh key
    // for an existing chain would make it unverifiable.
    let has_audit = {
        let mut c = db
            .read()
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.message))?;
        yunwei_store::audit::head(&mut c)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.message))?
            .is_some()
    };
    let loaded = keys::load(&data_dir, !has_audit).with_context(|| {
        if has_audit {
            "数据库中已有审计记录，必须使用原有密钥"
        } else {
            "无法准备密钥"
        }
    })?;

    let p = open::platform(db, loaded.keys.clone(), settings);
    let admin_password = env_nonempty("YUNWEI_ADMIN_PASSWORD");
    let root_name = settings.root_org(demo).to_string();
    let boot = yunwei_core::bootstrap::ensure(&p, &root_name, admin_password.as_deref())
        .await
        .map_err(|e| anyhow::anyhow!("初始化失败：{}", e.message))?;

    let demo_password = if demo {
        Some(seed_demo(&p).await?)
    } else {
        None
    };

    // The Alertmanager sources against the packs and the organisations
    // (the demo's exist by now), and their service accounts (ADR 0024).
    yunwei_core::alerts::prepare(&p)
        .await
        .map_err(|e| anyhow::anyhow!("告警接入配置无效：{}", e.message))?;

    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("无法监听 {}", settings.listen))?;
    let addr = listener.local_addr().context("无法获取监听地址")?;
    let router = yunwei_web::router(
        p.clone(),
        yunwei_web::WebOptions {
            secure_cookies: settings.secure_cookies,
            metrics_token: settings.metrics.bearer(),
        },
    );
    // The separate metrics listener (`metrics.listen`), bound before the
    // banner so a wrong address stops the start.
    let metrics_listener = match &settings.metrics.listen {
        Some(l) => Some(
            tokio::net::TcpListener::bind(l)
                .await
                .with_context(|| format!("无法监听监控指标地址 {l}"))?,
        ),
        None => None,
    };
    let metrics_addr = metrics_listener.as_ref().and_then(|l| l.local_addr().ok());

    let metrics = match (metrics_addr, settings.metrics.token.is_some()) {
        (Some(a), token) => Some(format!(
            "http://{a}/metrics{}",
            if token { "（须携带令牌）" } else { "" }
        )),
        (None, true) => Some(format!("http://{addr}/metrics（须携带令牌）")),
        (None, false) => None,
    };
    let info = StartInfo {
        addr,
        metrics,
        backend: p.backend_name(),
        database_url: mask_url(&settings.database_url()?),
        data_dir,
        root_name: boot.root.name.clone(),
        keys: loaded,
        applied_migrations: applied,
        created: boot.created,
        demo: demo_password,
        started,
    };
    // Listen for signals before announcing the address, so a stop sent as
    // soon as the banner appears is a graceful one.
    let shutdown = shutdown_signal()?;
    let anchor_file = settings.anchor_file()?;
    if anchor_file.starts_with(settings.data_dir_abs()?) {
        tracing::warn!(
            file = %anchor_file.display(),
            "the audit anchor file is inside the data directory: whoever can roll the database back can roll it back too; set audit_anchor_file to other storage (README, 安全 / security)"
        );
    }
    // Without the CJK font the pages and printing work; only the PDF
    // downloads answer pdf.font_missing (ADR 0013).
    if let Err(e) = yunwei_core::pdf::check_font(&p.pdf_font) {
        tracing::warn!(
            font = %p.pdf_font.path.display(),
            code = e.code,
            "the PDF font cannot be used: PDF downloads are refused until it is installed (apt-get install fonts-noto-cjk) or pdf_font names another CJK font"
        );
    }
    // The background jobs of this node (crates/server/src/jobs.rs): the
    // same list as `yunwei jobs run`, each on its own interval.
    let (stop_jobs, jobs_stopped) = tokio::sync::oneshot::channel::<()>();
    let jobs = tokio::spawn(yunwei_core::jobs::run_forever(
        yunwei_core::jobs::JobEnv::new(p.clone(), Some(anchor_file)),
        async move {
            let _ = jobs_stopped.await;
        },
    ));
    let metrics_server = metrics_listener.map(|l| {
        let router = yunwei_web::metrics_listener_router(p.clone(), settings.metrics.bearer());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(
                l,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        })
    });
    // Audit forwarding to syslog (ADR 0023): its own loop, so a slow or
    // unreachable collector never delays the jobs; stopped cleanly below
    // so the lease is given up and the next start goes on at once.
    let (stop_forwarding, forwarding_stopped) = tokio::sync::oneshot::channel::<()>();
    let forwarding = match p.audit_syslog.clone().filter(|c| c.enabled) {
        Some(cfg) => {
            tracing::info!(server = %cfg.server, "forwarding the audit trail to syslog");
            Some(tokio::spawn(yunwei_core::audit_forward::run_forever(
                p.clone(),
                cfg,
                async move {
                    let _ = forwarding_stopped.await;
                },
            )))
        }
        None => None,
    };
    print!("{}", banner(&info));
    tracing::info!(%addr, backend = info.backend, "yunwei listening");

    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .context("HTTP 服务异常退出")?;
    // The turn under way finishes (bounded), so no job is cut off inside
    // a transaction while the forwarder below still writes.
    let _ = stop_jobs.send(());
    let jobs_abort = jobs.abort_handle();
    if tokio::time::timeout(std::time::Duration::from_secs(20), jobs)
        .await
        .is_err()
    {
        tracing::warn!("the background jobs did not finish their turn within 20 s");
        jobs_abort.abort();
    }
    if let Some(m) = metrics_server {
        m.abort();
    }
    let _ = stop_forwarding.send(());
    if let Some(handle) = forwarding {
        // Bounded: a batch in flight finishes or times out (syslog::IO_TIMEOUT).
        let _ = tokio::time::timeout(std::time::Duration::from_secs(20), handle).await;
    }
    p.close().await;
    println!("yunwei 已停止");
    Ok(ExitCode::SUCCESS)
}

fn env_nonempty(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.is_empty())
}

/// Registers the stop signals now and resolves when one arrives.
#[cfg(unix)]
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("无法注册 SIGTERM 处理")?;
    let mut int = signal(SignalKind::interrupt()).context("无法注册 SIGINT 处理")?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
        tracing::info!("shutdown requested, finishing open requests");
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutdown requested, finishing open requests");
    })
}

fn banner(i: &StartInfo) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let url = if i.addr.ip().is_unspecified() {
        format!(
            "http://127.0.0.1:{}/login（已监听所有网卡，其他电脑请使用本机 IP 地址）",
            i.addr.port()
        )
    } else {
        format!("http://{}/login", i.addr)
    };
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "==================== yunwei 运维管理平台 ===================="
    );
    let _ = writeln!(s, "登录地址：{url}");
    let _ = writeln!(
        s,
        "数据库：  {}（{}）",
        backend_label(i.backend),
        i.database_url
    );
    let _ = writeln!(s, "数据目录：{}", i.data_dir.display());
    if let Some(m) = &i.metrics {
        let _ = writeln!(s, "监控指标：{m}");
    }
    let _ = writeln!(s, "顶级机构：{}", i.root_name);
    if i.applied_migrations > 0 {
        let _ = writeln!(s, "数据库迁移：本次执行 {} 个", i.applied_migrations);
    }
    let _ = writeln!(s, "审计密钥：{}", i.keys.audit.describe());
    let _ = writeln!(s, "字段密钥：{}", i.keys.field.describe());
    if matches!(i.keys.audit, KeySource::Generated(_))
        || matches!(i.keys.field, KeySource::Generated(_))
    {
        let _ = writeln!(
            s,
            "  请妥善备份密钥文件：丢失审计密钥将无法校验审计链，丢失字段密钥将无法解密个人信息。"
        );
    }

    if !i.created.is_empty() {
        let _ = writeln!(s);
        let _ = writeln!(s, "已创建内置管理员（三员）：");
        for a in &i.created {
            let pw = match &a.generated_password {
                Some(pw) => format!("初始密码：{pw}"),
                None => "（初始密码已按 YUNWEI_ADMIN_PASSWORD 设置）".to_string(),
            };
            let _ = writeln!(
                s,
                "  {}  {}  {}",
                pad(a.username, 10),
                pad(a.role.label(), 10),
                pw
            );
        }
        if i.created.iter().any(|a| a.generated_password.is_some()) {
            let _ = writeln!(s, "  以上初始密码只显示这一次，请立即记录。");
        }
        let _ = writeln!(s, "  首次登录后必须修改密码。");
    }

    if let Some(demo) = &i.demo {
        let _ = writeln!(s);
        let _ = writeln!(s, "演示账号：");
        let rows = demo_account_rows();
        let header = ["用户名", "姓名", "机构", "角色", "职责"].map(str::to_string);
        let mut widths = [0usize; 4];
        for row in std::iter::once(&header).chain(rows.iter()) {
            for (w, cell) in widths.iter_mut().zip(row.iter()) {
                *w = (*w).max(display_width(cell));
            }
        }
        for row in std::iter::once(&header).chain(rows.iter()) {
            let mut line = String::from("  ");
            for (w, cell) in widths.iter().zip(row.iter()) {
                line.push_str(&pad(cell, *w));
                line.push_str("  ");
            }
            line.push_str(&row[4]);
            let _ = writeln!(s, "{}", line.trim_end());
        }
        match demo {
            DemoPassword::Generated(pw) => {
                let _ = writeln!(s, "  演示账号密码（所有演示账号相同，只显示这一次）：{pw}");
            }
            DemoPassword::FromEnv => {
                let _ = writeln!(s, "  演示账号密码已按 YUNWEI_DEMO_PASSWORD 设置。");
            }
            DemoPassword::Existing => {
                let _ = writeln!(s, "  演示数据已存在，演示账号密码为首次写入时设置的密码。");
            }
        }
        let _ = writeln!(s, "  首次登录后必须修改密码。");
    }

    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "启动用时 {} 毫秒。按 Ctrl-C 停止服务。",
        i.started.elapsed().as_millis()
    );
    let _ = writeln!(
        s,
        "=============================================================="
    );
    s
}

fn backend_label(name: &str) -> &'static str {
    match name {
        "sqlite" => "SQLite",
        "postgres" => "PostgreSQL",
        _ => "未知",
    }
}

/// Terminal columns taken by `s`: East Asian wide characters count two.
pub fn display_width(s: &str) -> usize {
    s.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum()
}

fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD)
}

fn pad(s: &str, width: usize) -> String {
    let w = display_width(s);
    let mut out = s.to_string();
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(w)));
    out
}

/// Seeds the demo province and city (`serve --demo`): the organisations
/// and accounts, tickets, inspection plans, configuration items and
/// registers. Idempotent: a second start finds them and adds nothing.
#[cfg(feature = "demo")]
async fn seed_demo(p: &yunwei_core::Platform) -> anyhow::Result<DemoPassword> {
    let (password, from_env) = match env_nonempty("YUNWEI_DEMO_PASSWORD") {
        Some(pw) => {
            let max = yunwei_domain::password::MAX_PASSWORD_BYTES;
            if pw.chars().count() < 8 || pw.len() > max {
                bail!("YUNWEI_DEMO_PASSWORD 须为8位以上，且不超过{max}字节");
            }
            (pw, true)
        }
        None => (
            yunwei_domain::password::generate_password(p.crypto.as_ref()),
            false,
        ),
    };
    let seeded = yunwei_core::demo::seed(p, &password)
        .await
        .map_err(|e| anyhow::anyhow!("写入演示数据失败：{}", e.message))?;
    yunwei_core::demo::seed_work(p)
        .await
        .map_err(|e| anyhow::anyhow!("写入演示业务数据失败：{}", e.message))?;
    Ok(match (seeded, from_env) {
        (false, _) => DemoPassword::Existing,
        (true, true) => DemoPassword::FromEnv,
        (true, false) => DemoPassword::Generated(password),
    })
}

#[cfg(not(feature = "demo"))]
async fn seed_demo(_: &yunwei_core::Platform) -> anyhow::Result<DemoPassword> {
    bail!("此版本编译时未包含演示数据（demo 功能），不能使用 --demo")
}

/// The demo accounts for the start-up message: username, name,
/// organisation, role and duty.
#[cfg(feature = "demo")]
fn demo_account_rows() -> Vec<[String; 5]> {
    yunwei_core::demo::accounts()
        .into_iter()
        .map(|a| {
            [
                a.username.to_string(),
                a.display_name.to_string(),
                yunwei_core::demo::org_label(a.org).to_string(),
                a.role.label().to_string(),
                a.role.duty().to_string(),
            ]
        })
        .collect()
}

#[cfg(not(feature = "demo"))]
fn demo_account_rows() -> Vec<[String; 5]> {
    Vec::new()
}
