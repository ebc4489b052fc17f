//! The background jobs: one list ([`JOBS`]) that `serve` runs on its
//! schedule and `yunwei jobs run` runs once, from the command line (`crates/server/src/jobs.rs`): after
//! downtime, from cron on an installation without a resident server, or
//! with `--at` to rehearse what the jobs will do at a future time (a
//! grant's end, ADR 0007). The jobs claim their work with guarded updates,
//! so running this beside a live server fires nothing twice.
//!
//! A new job is one new entry in [`JOBS`]. A job that fails is logged with
//! its name and error code and does not stop the others: `serve` retries it
//! at its next turn, `jobs run` runs the rest and then exits non-zero,
//! naming it.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use yunwei_domain::AppError;

use crate::Platform;

/// Most batches of a batched job in one turn (each handles up to [`BATCH`]).
const MAX_BATCHES: usize = 1_000;
/// Most items a batched job handles per call; a full batch is followed at
/// once by the next.
pub const BATCH: u64 = 200;

/// How often `serve` looks for due work: the turn of the frequent jobs.
pub const TICK: Duration = Duration::from_secs(15);

/// What a job's run returns: how many items it handled.
pub type JobFuture<'a> = Pin<Box<dyn Future<Output = Result<usize, AppError>> + Send + 'a>>;

/// How a job is called.
#[derive(Clone, Copy)]
pub enum Work {
    /// Handles at most the given number of items per call and returns how
    /// many it handled; called again at once while a batch comes back full
    /// (at most [`MAX_BATCHES`] times a turn).
    Batched(for<'a> fn(&'a JobEnv, u64) -> JobFuture<'a>),
    /// Called once a turn.
    Once(for<'a> fn(&'a JobEnv) -> JobFuture<'a>),
}

/// One background job.
pub struct Job {
    /// Stable name, in logs and error messages (`ticket_timers`).
    pub name: &'static str,
    /// What it does, in Chinese, for the command line.
    pub title: &'static str,
    /// Its count in the summary line of `yunwei jobs run` ("工单计时提醒"),
    /// if it has one there.
    pub report: Option<&'static str>,
    /// How often `serve` runs it (at the first [`TICK`] after this much
    /// time since its last turn; the first turn is at start).
    pub every: Duration,
    /// Whether `yunwei jobs run` runs it too (otherwise only `serve`).
    pub in_jobs_run: bool,
    pub work: Work,
}

/// What the jobs run on.
pub struct JobEnv {
    pub p: Platform,
    /// Where the audit head is anchored (`serve` only).
    pub anchor_file: Option<PathBuf>,
    /// The sequence number last anchored by this process.
    anchored_seq: Mutex<Option<i64>>,
}

impl JobEnv {
    pub fn new(p: Platform, anchor_file: Option<PathBuf>) -> JobEnv {
        JobEnv {
            p,
            anchor_file,
            anchored_seq: Mutex::new(None),
        }
    }
}

/// The background jobs, in the order of a turn. Grants end and plans roll
/// forward before the overdue notices, so a turn notifies what became due
/// in it.
pub static JOBS: &[Job] = &[
    Job {
        name: "ticket_timers",
        title: "工单计时提醒与超时",
        report: Some("工单计时提醒"),
        every: TICK,
        in_jobs_run: true,
        work: Work::Batched(|e, n| Box::pin(crate::tickets::run_timers(&e.p, n))),
    },
    Job {
        name: "role_grants_expiry",
        title: "收回到期的角色授权",
        report: None,
        every: TICK,
        in_jobs_run: true,
        work: Work::Batched(|e, n| Box::pin(crate::features::roles::expire_grants(&e.p, n))),
    },
    Job {
        name: "access_grants_expiry",
        title: "收回到期的临时访问授权",
        report: None,
        every: TICK,
        in_jobs_run: true,
        work: Work::Batched(|e, n| {
            Box::pin(crate::features::access::expire_grants(&e.p, n as usize))
        }),
    },
    Job {
        name: "db_access",
        title: "数据库访问授权的保密协议与期限",
        report: None,
        every: TICK,
        in_jobs_run: true,
        work: Work::Batched(|e, n| {
            Box::pin(crate::features::access::enforce_db_access(&e.p, n as usize))
        }),
    },
    Job {
        name: "inspection_plans",
        title: "巡检计划生成本期事项",
        report: None,
        every: TICK,
        in_jobs_run: true,
        work: Work::Once(|e| Box::pin(crate::features::inspections::roll_forward(&e.p))),
    },
    Job {
        name: "register_periods",
        title: "台账生成本期事项",
        report: None,
        every: TICK,
        in_jobs_run: true,
        work: Work::Once(|e| Box::pin(crate::features::rules::roll_forward(&e.p))),
    },
    Job {
        name: "security_reviews",
        title: "定期安全审查生成本期事项",
        report: None,
        every: TICK,
        in_jobs_run: true,
        work: Work::Once(|e| Box::pin(crate::features::reviews::roll_forward(&e.p))),
    },
    Job {
        name: "cloud_duties",
        title: "政务云报送事项生成本期事项",
        report: None,
        every: TICK,
        in_jobs_run: true,
        work: Work::Once(|e| Box::pin(crate::features::cloud::duties::roll_forward(&e.p))),
    },
    Job {
        name: "overdue_notices",
        title: "到期事项逾期通知",
        report: Some("到期事项通知"),
        every: TICK,
        in_jobs_run: true,
        work: Work::Batched(|e, n| {
            Box::pin(crate::features::overdue::send_overdue_notices(&e.p, n))
        }),
    },
    Job {
        // Days ahead of an expiry: not every tick.
        name: "password_expiry",
        title: "密码到期提醒",
        report: Some("密码到期提醒"),
        every: Duration::from_secs(3600),
        in_jobs_run: true,
        work: Work::Batched(|e, n| {
            Box::pin(crate::features::passwords::send_expiry_reminders(&e.p, n))
        }),
    },
    Job {
        // After the jobs that notify, so their e-mails go in the same turn.
        name: "notify_outbox",
        title: "发送邮件、企业微信和钉钉通知",
        report: Some("外部通知"),
        every: TICK,
        in_jobs_run: true,
        work: Work::Batched(|e, n| Box::pin(crate::kernel::outbox::dispatch(&e.p, n))),
    },
    Job {
        // Reads one setting unless an upgrade left the index behind.
        name: "search_reindex",
        title: "升级后重建搜索索引",
        report: None,
        every: TICK,
        in_jobs_run: true,
        work: Work::Once(|e| Box::pin(crate::features::search_index::reindex_if_stale(&e.p))),
    },
    Job {
        // A walk of the whole file store: not every tick.
        name: "orphan_files",
        title: "清理未被引用的文件",
        report: Some("清理未被引用的文件"),
        every: Duration::from_secs(3600),
        in_jobs_run: true,
        work: Work::Once(|e| {
            Box::pin(crate::kernel::files::collect_orphans(
                &e.p,
                crate::kernel::files::ORPHAN_GRACE,
            ))
        }),
    },
    Job {
        // The window in which a rollback of the trail to an older genuine
        // head could go unseen by `audit verify --anchor`. From the command
        // line this is `yunwei audit anchor`.
        name: "audit_anchor",
        title: "审计链锚定",
        report: None,
        every: Duration::from_secs(300),
        in_jobs_run: false,
        work: Work::Once(|e| Box::pin(anchor(e))),
    },
];

/// Anchors the audit head in the anchor file when it moved since this
/// process last anchored it. Returns 1 when it wrote a line.
async fn anchor(env: &JobEnv) -> Result<usize, AppError> {
    let Some(file) = &env.anchor_file else {
        return Ok(0);
    };
    let head = {
        let mut c = env.p.db.read().await?;
        yunwei_store::audit::head(&mut c).await?
    };
    let Some(head) = head else { return Ok(0) };
    let last = *env.anchored_seq.lock().unwrap_or_else(|e| e.into_inner());
    if last == Some(head.seq) {
        return Ok(0);
    }
    let a = crate::kernel::audit::write_anchor(&env.p, file).await?;
    *env.anchored_seq.lock().unwrap_or_else(|e| e.into_inner()) = a.map(|a| a.seq);
    Ok(1)
}

/// Runs one job's turn: a batched job until a batch comes back short.
pub async fn run_job(job: &Job, env: &JobEnv) -> Result<usize, AppError> {
    match job.work {
        Work::Once(f) => f(env).await,
        Work::Batched(f) => {
            let mut total = 0;
            for _ in 0..MAX_BATCHES {
                let n = f(env, BATCH).await?;
                total += n;
                if (n as u64) < BATCH {
                    break;
                }
            }
            Ok(total)
        }
    }
}

/// Runs the jobs `due` selects, in list order, each on its own: a failure
/// is logged with the job's name and code and the next job runs.
pub async fn run_turn<'j>(
    jobs: &'j [Job],
    env: &JobEnv,
    mut due: impl FnMut(usize, &Job) -> bool,
) -> Vec<(&'j Job, Result<usize, AppError>)> {
    let mut out = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        if !due(i, job) {
            continue;
        }
        let started = std::time::Instant::now();
        let r = run_job(job, env).await;
        env.p.metrics.observe_job(job.name, &r, started.elapsed());
        if let Err(e) = &r {
            tracing::warn!(
                job = job.name,
                code = e.code,
                error = %e.message,
                "background job failed; the others go on, this one is retried at its next turn"
            );
        }
        out.push((job, r));
    }
    out
}

/// `serve`'s loop: every [`TICK`], each job whose interval has passed,
/// until `stop` resolves. Every node runs it; the guarded claims make each
/// item fire once. A stop waits for the turn under way: a job cut off
/// mid-transaction would leave SQLite's write lock to a rollback not yet
/// run, in the way of what `serve` still writes while stopping.
pub async fn run_forever(env: JobEnv, stop: impl std::future::Future<Output = ()>) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last: Vec<Option<tokio::time::Instant>> = vec![None; JOBS.len()];
    tokio::pin!(stop);
    loop {
        tokio::select! {
            biased;
            _ = &mut stop => break,
            _ = tick.tick() => {}
        }
        run_turn(JOBS, &env, |i, job| {
            let now = tokio::time::Instant::now();
            // Half a tick of slack, so that a job due every TICK runs at
            // every tick whatever the turn before it took.
            let due = last[i].is_none_or(|t| now.duration_since(t) + TICK / 2 >= job.every);
            if due {
                last[i] = Some(now);
            }
            due
        })
        .await;
    }
}
