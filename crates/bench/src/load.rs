//! Bounded concurrent load: `clients` tasks, each with its own keep-alive
//! connection, take request numbers from a shared counter until the
//! phase's request count is reached or its time limit passes.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::http::Client;

/// One request of a phase.
pub struct Req {
    pub method: &'static str,
    pub path: String,
    pub body: Option<Vec<u8>>,
    /// Group for the per-query breakdown.
    pub label: String,
    pub expect: u16,
}

pub type MakeReq = Arc<dyn Fn(u64) -> Req + Send + Sync>;

#[derive(Default)]
struct Samples {
    all: Vec<u64>,
    by_label: BTreeMap<String, Vec<u64>>,
    errors: u64,
    first_errors: Vec<String>,
}

/// Latency summary in milliseconds.
pub fn summary(mut v: Vec<u64>) -> Value {
    if v.is_empty() {
        return json!({"count": 0});
    }
    v.sort_unstable();
    let pct = |p: f64| {
        let i = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
        ms(v[i])
    };
    let mean = v.iter().sum::<u64>() as f64 / v.len() as f64;
    json!({
        "count": v.len(),
        "p50_ms": pct(0.50),
        "p90_ms": pct(0.90),
        "p99_ms": pct(0.99),
        "max_ms": ms(*v.last().unwrap_or(&0)),
        "mean_ms": (mean / 10.0).round() / 100.0,
    })
}

fn ms(us: u64) -> f64 {
    (us as f64 / 10.0).round() / 100.0
}

/// CPU time in seconds: (all CPUs busy, the server process, this process).
/// The machine is shared; what others used shows in the difference.
fn cpu(server_pid: u32) -> (f64, f64, f64) {
    const HZ: f64 = 100.0;
    let busy = std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| {
            let line = s.lines().next()?.to_string();
            let v: Vec<f64> = line
                .split_whitespace()
                .skip(1)
                .filter_map(|x| x.parse().ok())
                .collect();
            // user nice system idle iowait irq softirq steal
            Some(v.iter().take(8).sum::<f64>() - v.get(3)? - v.get(4)?)
        })
        .unwrap_or(0.0);
    let proc_cpu = |path: String| {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|s| {
                let rest = s.rsplit_once(')')?.1.to_string();
                let f: Vec<&str> = rest.split_whitespace().collect();
                // Fields after the name: state is 3rd overall, utime 14th, stime 15th.
                Some(f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?)
            })
            .unwrap_or(0.0)
    };
    (
        busy / HZ,
        proc_cpu(format!("/proc/{server_pid}/stat")) / HZ,
        proc_cpu("/proc/self/stat".into()) / HZ,
    )
}

/// Runs `total` requests (or until `limit` passes) over `clients`
/// connections; returns the figures as JSON, with the CPU time the server,
/// this program and everything else on the machine used meanwhile.
pub async fn phase(
    addr: SocketAddr,
    server_pid: u32,
    token: &str,
    clients: usize,
    total: u64,
    limit: Duration,
    make: MakeReq,
) -> Value {
    let cpu_before = cpu(server_pid);
    let next = Arc::new(AtomicU64::new(0));
    let samples = Arc::new(Mutex::new(Samples::default()));
    let started = Instant::now();
    let deadline = started + limit;
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let next = next.clone();
        let samples = samples.clone();
        let make = make.clone();
        let token = token.to_string();
        tasks.push(tokio::spawn(async move {
            let mut client = Client::new(addr);
            let mut mine: Vec<(String, u64)> = Vec::new();
            let mut errors = 0u64;
            let mut first_errors = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total || Instant::now() >= deadline {
                    break;
                }
                let req = make(i);
                let t = Instant::now();
                let r = client
                    .send(req.method, &req.path, Some(&token), req.body.as_deref())
                    .await;
                let took = t.elapsed().as_micros() as u64;
                match r {
                    Ok(resp) if resp.status == req.expect => mine.push((req.label, took)),
                    Ok(resp) => {
                        errors += 1;
                        if first_errors.len() < 3 {
                            first_errors.push(format!(
                                "{} {} -> {}: {}",
                                req.method,
                                req.path,
                                resp.status,
                                String::from_utf8_lossy(&resp.body)
                                    .chars()
                                    .take(300)
                                    .collect::<String>()
                            ));
                        }
                    }
                    Err(e) => {
                        errors += 1;
                        if first_errors.len() < 3 {
                            first_errors.push(format!("{} {}: {e:#}", req.method, req.path));
                        }
                    }
                }
            }
            let mut s = samples.lock().expect("samples lock");
            for (label, took) in mine {
                s.all.push(took);
                s.by_label.entry(label).or_default().push(took);
            }
            s.errors += errors;
            s.first_errors.extend(first_errors);
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_after = cpu(server_pid);
    let round = |x: f64| (x * 100.0).round() / 100.0;
    let (all, server, bench) = (
        cpu_after.0 - cpu_before.0,
        cpu_after.1 - cpu_before.1,
        cpu_after.2 - cpu_before.2,
    );
    let s = std::mem::take(&mut *samples.lock().expect("samples lock"));
    let ok = s.all.len() as u64;
    let mut out = summary(s.all);
    out["clients"] = json!(clients);
    out["requested"] = json!(total);
    out["ok"] = json!(ok);
    out["errors"] = json!(s.errors);
    if !s.first_errors.is_empty() {
        out["first_errors"] = json!(s.first_errors);
    }
    out["seconds"] = json!((elapsed * 1000.0).round() / 1000.0);
    out["per_second"] = json!((ok as f64 / elapsed.max(1e-9) * 10.0).round() / 10.0);
    out["stopped_by_time_limit"] = json!(ok + s.errors < total);
    out["cpu_seconds"] = json!({
        "server": round(server),
        "bench": round(bench),
        "others": round((all - server - bench).max(0.0)),
        "server_ms_per_request": round(server * 1000.0 / (ok + s.errors).max(1) as f64),
    });
    if s.by_label.len() > 1 {
        let by: serde_json::Map<String, Value> = s
            .by_label
            .into_iter()
            .map(|(k, v)| {
                let mut x = summary(v);
                if let Some(o) = x.as_object_mut() {
                    o.remove("mean_ms");
                    o.remove("p90_ms");
                }
                (k, x)
            })
            .collect();
        out["by_query"] = Value::Object(by);
    }
    out
}
