//! `yunwei-bench`: the project's benchmark (DESIGN.md section 11).
//!
//! 1. Creates a fresh data directory and database (a SQLite file, or a new
//!    database on the PostgreSQL server given by `--database-url`), runs
//!    the migrations, bootstrap and demo seed through the library, and
//!    creates an API token for the demo project lead.
//! 2. Bulk-loads N tickets through the store, with their search entries.
//! 3. Starts the release `yunwei serve` as a child process on a free port
//!    of 127.0.0.1 (keys passed in the environment) and times its start.
//! 4. Drives bounded HTTP/1.1 keep-alive load from concurrent clients:
//!    ticket creates, filtered list pages, Chinese searches, the monthly
//!    SLA report; reads the server's memory from /proc.
//! 5. Prints one JSON object, stops the server, removes what it created
//!    (unless `--keep`).
//!
//! With `--cloud-systems N` it measures only the government cloud (issue
//! 14, `cloud.rs`): steps 1, a bulk load of a cloud platform's year, and
//! the judging and billing use cases timed in-process; no server.
//!
//! Run it from a release build: `cargo build --release -p yunwei-bench -p
//! yunwei && target/release/yunwei-bench`.

mod cloud;
mod http;
mod load;
mod seed;
mod words;

use std::io::{BufRead as _, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use clap::Parser;
use serde_json::{json, Value};
use yunwei_core::Keys;
use yunwei_domain::crypto::{Crypto as _, SoftwareCrypto};
use yunwei_store::Db;

use crate::http::{enc, Client};
use crate::load::{MakeReq, Req};
use crate::words::Rng;

#[derive(Debug, Parser)]
#[command(
    name = "yunwei-bench",
    about = "yunwei benchmark: seed, serve, load, report JSON"
)]
struct Args {
    /// Tickets to seed before the load.
    #[arg(long, default_value_t = 1_000_000)]
    tickets: u64,
    /// A PostgreSQL server (a role with CREATEDB); a fresh database is
    /// created on it and dropped afterwards. Default: a SQLite file.
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// Data directory (must not exist or be empty). Default: a new
    /// directory in the system temporary directory.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The `yunwei` binary to start. Default: next to this program.
    #[arg(long, value_name = "FILE")]
    server_bin: Option<PathBuf>,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Ticket creates in the create phase.
    #[arg(long, default_value_t = 20_000)]
    creates: u64,
    /// Filtered list requests.
    #[arg(long, default_value_t = 5_000)]
    lists: u64,
    /// Search requests.
    #[arg(long, default_value_t = 3_000)]
    searches: u64,
    /// Monthly SLA report requests (one at a time).
    #[arg(long, default_value_t = 5)]
    sla_runs: u32,
    /// Time limit of each load phase, in seconds.
    #[arg(long, default_value_t = 120)]
    phase_secs: u64,
    /// The server's log level (`serve` logs every request at info).
    #[arg(long, default_value = "info")]
    server_log: String,
    /// Seed of the ticket generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Keep the data directory and database afterwards.
    #[arg(long)]
    keep: bool,
    /// Measure again on a data directory kept by `--keep` (its keys and
    /// SQLite file; with `--database-url`, the PostgreSQL database that URL
    /// names): no new database, no seeding. Nothing is removed afterwards.
    #[arg(long, requires = "data_dir")]
    reuse: bool,
    /// Extra environment for the server, `KEY=VALUE` (repeatable), e.g.
    /// `TOKIO_WORKER_THREADS=1` for experiments.
    #[arg(long, value_name = "KEY=VALUE")]
    server_env: Vec<String>,
    /// Measure only the government cloud (no server, no tickets): N
    /// online systems, a year of utilisation; times judging a month and
    /// computing the twelve bills.
    #[arg(long, value_name = "N", conflicts_with = "reuse")]
    cloud_systems: Option<usize>,
    /// Resources per system in the cloud measurement.
    #[arg(long, default_value_t = 1, value_name = "R")]
    cloud_resources_per_system: usize,
    /// The pack of the cloud platform (one with a `cloud.toml`).
    #[arg(long, default_value = "snyp", value_name = "PACK")]
    cloud_pack: String,
    /// The year billed and judged. Default: the last full year.
    #[arg(long, value_name = "YYYY")]
    cloud_year: Option<i32>,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("yunwei-bench: runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async {
        let mut env = match Env::create(&args).await {
            Ok(env) => env,
            Err(e) => return Err(e),
        };
        let outcome = tokio::select! {
            r = run(&args, &mut env) => r,
            _ = tokio::signal::ctrl_c() => Err(anyhow!("interrupted")),
        };
        // Stop the server before removing its database, also on error.
        env.server.take();
        env.cleanup(args.keep).await;
        outcome
    });
    match result {
        Ok(v) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&v).unwrap_or_else(|_| v.to_string())
            );
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("yunwei-bench: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// What the benchmark created, removed at the end.
struct Env {
    data_dir: PathBuf,
    remove_dir: bool,
    /// (admin URL, database name) of a PostgreSQL database we created.
    pg: Option<(String, String)>,
    /// The URL the library and the server use.
    url: String,
    postgres: bool,
    server: Option<Server>,
}

impl Env {
    async fn create(args: &Args) -> anyhow::Result<Env> {
        if args.reuse {
            let data_dir = std::path::absolute(args.data_dir.as_ref().expect("clap requires it"))?;
            if !data_dir.join("keys").is_dir() {
                bail!("{} holds no keys: not kept by --keep", data_dir.display());
            }
            let (url, postgres) = match &args.database_url {
                Some(u) => (u.clone(), true),
                None => (
                    format!("sqlite://{}?mode=rw", data_dir.join("yunwei.db").display()),
                    false,
                ),
            };
            return Ok(Env {
                data_dir,
                remove_dir: false,
                pg: None,
                postgres,
                url,
                server: None,
            });
        }
        let (data_dir, remove_dir) = match &args.data_dir {
            Some(d) => {
                if d.exists() && std::fs::read_dir(d)?.next().is_some() {
                    bail!("data directory {} is not empty", d.display());
                }
                (std::path::absolute(d)?, !d.exists())
            }
            None => (
                std::env::temp_dir()
                    .join(format!("yunwei-bench-{}", uuid::Uuid::now_v7().simple())),
                true,
            ),
        };
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("create {}", data_dir.display()))?;
        let (url, pg) = match &args.database_url {
            Some(admin) if admin.starts_with("postgres") => {
                use sqlx::Connection as _;
                let name = format!("yunwei_bench_{}", uuid::Uuid::now_v7().simple());
                let mut c = sqlx::PgConnection::connect(admin)
                    .await
                    .context("connect to PostgreSQL")?;
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut c)
                    .await
                    .with_context(|| format!("create database {name}"))?;
                let _ = c.close().await;
                (with_database(admin, &name), Some((admin.clone(), name)))
            }
            Some(other) => bail!("--database-url must be postgres://...; got {other}"),
            None => (
                format!("sqlite://{}?mode=rwc", data_dir.join("yunwei.db").display()),
                None,
            ),
        };
        Ok(Env {
            data_dir,
            remove_dir,
            postgres: pg.is_some(),
            pg,
            url,
            server: None,
        })
    }

    async fn cleanup(&mut self, keep: bool) {
        if keep && (self.remove_dir || self.pg.is_some()) {
            eprintln!(
                "kept: data directory {}, database {}",
                self.data_dir.display(),
                self.url
            );
            return;
        }
        if let Some((admin, name)) = self.pg.take() {
            use sqlx::Connection as _;
            if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut c)
                    .await;
                let _ = c.close().await;
            }
        }
        if self.remove_dir {
            let _ = std::fs::remove_dir_all(&self.data_dir);
        }
    }
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.find('?') {
        Some(q) => (&url[..q], &url[q..]),
        None => (url, ""),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[authority_start..]
        .find('/')
        .map(|i| i + authority_start)
        .unwrap_or(base.len());
    format!("{}/{name}{query}", &base[..path_start])
}

/// The server child process; killed when dropped.
struct Server {
    child: Child,
    banner: Arc<Mutex<String>>,
}

impl Server {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Asks the server to stop (SIGTERM to its pid), waiting a bounded time.
    fn stop(mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        for _ in 0..200 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Drop kills it.
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").context("find a free port")?;
    Ok(l.local_addr()?.port())
}

fn server_bin(args: &Args) -> anyhow::Result<PathBuf> {
    let bin = match &args.server_bin {
        Some(b) => b.clone(),
        None => std::env::current_exe()?
            .parent()
            .ok_or_else(|| anyhow!("no directory of this program"))?
            .join("yunwei"),
    };
    if !bin.is_file() {
        bail!(
            "server binary {} not found: cargo build --release -p yunwei (or --server-bin)",
            bin.display()
        );
    }
    Ok(bin)
}

fn spawn_server(args: &Args, env: &Env, keys: &Keys, addr: SocketAddr) -> anyhow::Result<Server> {
    let mut cmd = Command::new(server_bin(args)?);
    // Only our settings: nothing from the caller's YUNWEI_* or RUST_LOG.
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().to_string();
        if k.starts_with("YUNWEI_") || k == "RUST_LOG" {
            cmd.env_remove(k);
        }
    }
    cmd.arg("serve")
        .arg("--listen")
        .arg(addr.to_string())
        .arg("--data-dir")
        .arg(&env.data_dir);
    if env.postgres {
        cmd.arg("--database-url").arg(&env.url);
    }
    let log = std::fs::File::create(env.data_dir.join("server.log"))?;
    cmd.env("YUNWEI_AUDIT_KEY", hex::encode(&keys.audit_mac))
        .env("YUNWEI_FIELD_KEY", hex::encode(keys.field))
        .env("YUNWEI_LOG", &args.server_log)
        .current_dir(&env.data_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log));
    for kv in &args.server_env {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| anyhow!("--server-env expects KEY=VALUE, got {kv}"))?;
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().context("start the server")?;
    let banner = Arc::new(Mutex::new(String::new()));
    if let Some(out) = child.stdout.take() {
        let banner = banner.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let mut b = banner.lock().expect("banner lock");
                if b.len() < 64 * 1024 {
                    b.push_str(&line);
                    b.push('\n');
                }
            }
        });
    }
    Ok(Server { child, banner })
}

fn write_key(data_dir: &std::path::Path, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let dir = data_dir.join("keys");
    std::fs::create_dir_all(&dir)?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts.open(dir.join(name))?;
    writeln!(f, "{}", hex::encode(bytes))?;
    Ok(())
}

/// Resident and peak memory of a process in MB, from /proc.
fn memory_mb(pid: u32) -> Value {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| -> Option<f64> {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| (kb / 1024.0 * 10.0).round() / 10.0)
    };
    json!({ "rss": field("VmRSS:"), "peak": field("VmHWM:") })
}

fn machine() -> Value {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let mem_mb = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map(|kb| kb / 1024)
        .unwrap_or(0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap_or_default()
        .trim()
        .to_string();
    json!({ "cpus": cpus, "cpu_model": model, "memory_mb": mem_mb, "kernel": kernel })
}

fn f(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or(f64::INFINITY)
}

async fn run(args: &Args, env: &mut Env) -> anyhow::Result<Value> {
    if let Some(systems) = args.cloud_systems {
        return run_cloud(args, env, systems).await;
    }
    let backend = if env.postgres { "postgres" } else { "sqlite" };
    eprintln!(
        "backend {backend}, data directory {}",
        env.data_dir.display()
    );
    let crypto = SoftwareCrypto;
    let keys = if args.reuse {
        let read = |name: &str| -> anyhow::Result<Vec<u8>> {
            let path = env.data_dir.join("keys").join(name);
            hex::decode(std::fs::read_to_string(&path)?.trim())
                .with_context(|| format!("key file {}", path.display()))
        };
        Keys {
            audit_mac: read("audit.key")?,
            field: read("field.key")?
                .try_into()
                .map_err(|_| anyhow!("field key length"))?,
        }
    } else {
        Keys {
            audit_mac: crypto.random_bytes(32),
            field: crypto
                .random_bytes(16)
                .try_into()
                .map_err(|_| anyhow!("field key length"))?,
        }
    };
    if args.keep && !args.reuse {
        // So the kept directory can be served again: `yunwei serve --data-dir`.
        write_key(&env.data_dir, "audit.key", &keys.audit_mac)?;
        write_key(&env.data_dir, "field.key", &keys.field)?;
    }
    // 1-2: the database through the library.
    let db = Db::connect(&env.url)
        .await
        .map_err(|e| anyhow!("connect {}: {}", env.url, e.message))?;
    let p = seed::platform(db, keys.clone(), &env.data_dir);
    let prep_started = Instant::now();
    let (token, seeded) = if args.reuse {
        (seed::token(&p).await?, seed::existing(&p).await?)
    } else {
        let token = seed::prepare(&p).await?;
        (token, seed::tickets(&p, args.tickets, args.seed).await?)
    };
    let prepare_seconds = prep_started.elapsed().as_secs_f64() - seeded.seconds;
    if env.postgres && !args.reuse {
        // What autovacuum would do shortly after a bulk load.
        let mut c = p.db().read().await.map_err(|e| anyhow!(e.message))?;
        c.exec_raw("ANALYZE")
            .await
            .map_err(|e| anyhow!(e.message))?;
    }
    let sqlite_file = env.data_dir.join("yunwei.db");
    let db_bytes = seed::database_bytes(&p, (!env.postgres).then_some(sqlite_file.as_path()))
        .await
        .unwrap_or(0);
    p.db().close().await;
    eprintln!(
        "seeded {} tickets in {:.1} s; database {:.0} MB",
        seeded.tickets,
        seeded.seconds,
        db_bytes as f64 / 1e6
    );

    // 3: the real server.
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()?).parse()?;
    let started = Instant::now();
    env.server = Some(spawn_server(args, env, &keys, addr)?);
    let mut probe = Client::new(addr);
    let startup_ms = loop {
        if started.elapsed() > Duration::from_secs(60) {
            bail!(
                "server did not answer within 60 s; see {}",
                env.data_dir.join("server.log").display()
            );
        }
        if let Some(s) = env.server.as_mut() {
            if let Ok(Some(status)) = s.child.try_wait() {
                bail!(
                    "server exited ({status}); see {}",
                    env.data_dir.join("server.log").display()
                );
            }
        }
        match probe.send("GET", "/api/v1/me", Some(&token), None).await {
            Ok(r) if r.status == 200 => break started.elapsed().as_secs_f64() * 1000.0,
            Ok(r) => bail!(
                "GET /api/v1/me -> {}: {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            ),
            Err(_) => tokio::time::sleep(Duration::from_millis(2)).await,
        }
    };
    let pid = env.server.as_ref().map(Server::pid).unwrap_or(0);
    let memory_at_start = memory_mb(pid);
    let banner_ms = env.server.as_ref().and_then(|s| {
        let b = s.banner.lock().ok()?;
        let line = b.lines().find(|l| l.starts_with("启动用时"))?;
        line.trim_start_matches("启动用时")
            .split_whitespace()
            .next()?
            .parse::<f64>()
            .ok()
    });
    eprintln!("server pid {pid} answered after {startup_ms:.0} ms");

    let limit = Duration::from_secs(args.phase_secs);
    // Each phase starts with a short unmeasured warm-up of its requests.
    let warm_up = |label: &str, make: MakeReq| {
        eprintln!("phase: {label}");
        load::phase(
            addr,
            pid,
            &token,
            args.clients,
            args.clients as u64 * 4,
            limit,
            make,
        )
    };

    // 4a: creates.
    warm_up("creates", create_req(args.seed ^ 1)).await;
    let creates = load::phase(
        addr,
        pid,
        &token,
        args.clients,
        args.creates,
        limit,
        create_req(args.seed),
    )
    .await;
    eprintln!(
        "creates: {} /s, p99 {} ms",
        creates["per_second"], creates["p99_ms"]
    );

    // 4b: filtered list pages.
    warm_up("lists", list_req()).await;
    let list = load::phase(
        addr,
        pid,
        &token,
        args.clients,
        args.lists,
        limit,
        list_req(),
    )
    .await;
    eprintln!("list: p50 {} ms, p99 {} ms", list["p50_ms"], list["p99_ms"]);

    // 4c: searches.
    warm_up("searches", search_req()).await;
    let search = load::phase(
        addr,
        pid,
        &token,
        args.clients,
        args.searches,
        limit,
        search_req(),
    )
    .await;
    eprintln!(
        "search: p50 {} ms, p99 {} ms",
        search["p50_ms"], search["p99_ms"]
    );
    // How many documents each query finds (recall of the tokenisation,
    // docs/adr/0004): counted up to the search's cap.
    let mut search = search;
    let mut totals = serde_json::Map::new();
    for w in SEARCH_WORDS {
        let r = probe
            .send(
                "GET",
                &format!("/api/v1/search?q={}", enc(w)),
                Some(&token),
                None,
            )
            .await?;
        if r.status != 200 {
            bail!("search {w} -> {}", r.status);
        }
        let j = r.json()?;
        let shown = if j["total_capped"].as_bool() == Some(true) {
            json!(format!(">{}", j["total"]))
        } else {
            j["total"].clone()
        };
        totals.insert(w.to_string(), shown);
    }
    search["hits_per_query"] = Value::Object(totals);

    // 4d: the monthly SLA report of the last full month, one at a time.
    eprintln!("phase: sla report");
    let month = last_month();
    let mut sla_runs = Vec::new();
    let mut sla_opened = Value::Null;
    for _ in 0..args.sla_runs {
        let t = Instant::now();
        let r = probe
            .send(
                "GET",
                &format!("/api/v1/reports/sla?month={month}"),
                Some(&token),
                None,
            )
            .await?;
        let took = t.elapsed().as_micros() as u64;
        if r.status != 200 {
            bail!(
                "SLA report -> {}: {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            );
        }
        sla_opened = r.json()?["total"].clone();
        sla_runs.push(took);
    }
    let mut sla = load::summary(sla_runs.clone());
    sla["month"] = json!(month);
    sla["runs_ms"] = json!(sla_runs
        .iter()
        .map(|u| *u as f64 / 1000.0)
        .collect::<Vec<_>>());
    sla["total"] = sla_opened;
    sla["seeded_in_month"] = json!(seeded.per_month.get(&month).copied().unwrap_or(0));

    // 4e: memory after the load.
    let memory_after = memory_mb(pid);
    if let Some(s) = env.server.take() {
        s.stop();
    }

    let targets = json!({
        "create_per_second_ge_2000": f(&creates, "per_second") >= 2000.0,
        "create_p99_lt_25ms": f(&creates, "p99_ms") < 25.0,
        "list_p99_lt_30ms": f(&list, "p99_ms") < 30.0,
        "search_p99_lt_50ms": f(&search, "p99_ms") < 50.0,
        "sla_report_lt_2s": f(&sla, "max_ms") < 2000.0,
        "rss_lt_200mb": memory_after["rss"].as_f64().unwrap_or(f64::INFINITY) < 200.0,
        "startup_lt_1s": startup_ms < 1000.0,
    });
    Ok(json!({
        "benchmark": "yunwei-bench",
        "version": env!("CARGO_PKG_VERSION"),
        "backend": backend,
        "machine": machine(),
        "tickets_seeded": seeded.tickets,
        "reused_database": args.reuse,
        "seed": {
            "prepare_seconds": (prepare_seconds * 100.0).round() / 100.0,
            "seconds": (seeded.seconds * 10.0).round() / 10.0,
            "per_second": (seeded.tickets as f64 / seeded.seconds.max(1e-9)).round(),
            "database_mb": (db_bytes as f64 / 1e5).round() / 10.0,
        },
        "clients": args.clients,
        "server_log": args.server_log,
        "server_env": args.server_env,
        "startup_ms": {
            "until_first_response": (startup_ms * 10.0).round() / 10.0,
            "banner": banner_ms,
        },
        "creates": creates,
        "list": list,
        "search": search,
        "sla_report": sla,
        "server_memory_mb": {
            "after_start": memory_at_start,
            "after_load": memory_after,
        },
        "targets": targets,
    }))
}

/// The cloud measurement on a fresh database: migrations, bootstrap and
/// demo through the library, then `cloud::run`.
async fn run_cloud(args: &Args, env: &mut Env, systems: usize) -> anyhow::Result<Value> {
    if systems == 0 || args.cloud_resources_per_system == 0 {
        bail!("--cloud-systems and --cloud-resources-per-system must be at least 1");
    }
    eprintln!(
        "cloud: backend {}, data directory {}",
        if env.postgres { "postgres" } else { "sqlite" },
        env.data_dir.display()
    );
    let crypto = SoftwareCrypto;
    let keys = Keys {
        audit_mac: crypto.random_bytes(32),
        field: crypto
            .random_bytes(16)
            .try_into()
            .map_err(|_| anyhow!("field key length"))?,
    };
    let db = Db::connect(&env.url)
        .await
        .map_err(|e| anyhow!("connect {}: {}", env.url, e.message))?;
    let p = seed::platform(db, keys, &env.data_dir);
    let t = Instant::now();
    seed::prepare(&p).await?;
    let prepare_seconds = t.elapsed().as_secs_f64();
    let year = args.cloud_year.unwrap_or_else(|| {
        yunwei_domain::calendar::date_in_shanghai(chrono::Utc::now()).year() - 1
    });
    let opts = cloud::Opts {
        systems,
        per_system: args.cloud_resources_per_system,
        year,
        pack: args.cloud_pack.clone(),
        seed: args.seed,
    };
    let mut v = cloud::run(&p, &opts, env.postgres).await;
    p.db().close().await;
    if let Ok(v) = v.as_mut() {
        v["load"]["prepare_seconds"] = json!((prepare_seconds * 100.0).round() / 100.0);
    }
    v
}

/// The previous calendar month in China time, `YYYY-MM`.
fn last_month() -> String {
    let today = yunwei_domain::calendar::date_in_shanghai(chrono::Utc::now());
    let first = today.with_day0(0).unwrap_or(today);
    let prev = first - chrono::Duration::days(1);
    prev.format("%Y-%m").to_string()
}

use chrono::Datelike as _;

fn create_req(seed: u64) -> MakeReq {
    let rng = Mutex::new(Rng::new(seed ^ 0xC0FFEE));
    Arc::new(move |_| {
        let mut r = rng.lock().expect("rng lock");
        let incident = r.chance(0.5);
        let title = words::title(&mut r, incident);
        let system = words::pick(&mut r, words::SYSTEMS);
        let description = words::description(&mut r, &title, system, incident);
        let body = if incident {
            json!({
                "pack": "jscz",
                "process": "incident",
                "title": title,
                "fields": {
                    "system": system,
                    "description": description,
                    "origin": "problem_report",
                }
            })
        } else {
            let level = words::pick(&mut r, &["normal", "simple", "emergency", "major"]);
            json!({
                "pack": "jscz",
                "process": "change",
                "title": title,
                "fields": {
                    "system": system,
                    "description": description,
                    "reason": words::pick(&mut r, words::REASONS),
                    "level": level,
                    "type": words::pick(&mut r, &["application", "infrastructure"]),
                    "planned_start": (chrono::Utc::now() + chrono::Duration::days(7)).to_rfc3339(),
                }
            })
        };
        Req {
            method: "POST",
            path: "/api/v1/tickets".into(),
            body: Some(body.to_string().into_bytes()),
            label: if incident { "incident" } else { "change" }.into(),
            expect: 201,
        }
    })
}

fn list_req() -> MakeReq {
    // Mostly `process=incident&state=...`, plus the other common shapes.
    const QUERIES: &[&str] = &[
        "process=incident&state=handling&page=1",
        "process=incident&state=reported&page=1",
        "process=incident&state=closed&page=1",
        "process=incident&state=assigned&page=2",
        "process=incident&state=closed&page=3",
        "process=change&state=implementing&page=1",
        "process=change&state=closed&page=1",
        "process=incident&page=1",
        "process=change&level=major&page=1",
        "open=true&page=1",
        "overdue=true&page=1",
        "page=1",
    ];
    Arc::new(|i| {
        let q = QUERIES[(i % QUERIES.len() as u64) as usize];
        Req {
            method: "GET",
            path: format!("/api/v1/tickets?{q}"),
            body: None,
            label: q.to_string(),
            expect: 200,
        }
    })
}

/// The search phase's queries, in turn.
const SEARCH_WORDS: &[&str] = &[
    "交换机",
    "堡垒机",
    "等保",
    "故障",
    "防火墙",
    "证书过期",
    "南京 交换机",
    "数据库服务器 宕机",
    "密评",
    "割接",
    // Natural queries whose words stand apart in the documents
    // (国库集中支付系统, 非税收入收缴系统): found since issue 13.
    "国库支付",
    "非税系统",
];

fn search_req() -> MakeReq {
    Arc::new(|i| {
        let w = SEARCH_WORDS[(i % SEARCH_WORDS.len() as u64) as usize];
        Req {
            method: "GET",
            path: format!("/api/v1/search?q={}", enc(w)),
            body: None,
            label: w.to_string(),
            expect: 200,
        }
    })
}
