//! `yunwei jobs run`: the background jobs of `yunwei_core::jobs::JOBS`,
//! once, from the command line: after downtime, from cron on an
//! installation without a resident server, or with `--at` to rehearse what
//! the jobs will do at a future time (a grant's end, ADR 0007). The jobs
//! claim their work with guarded updates, so running this beside a live
//! server fires nothing twice. A job that fails is logged with its name
//! and error code; the rest run and the command exits non-zero, naming it.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::bail;
use chrono::{NaiveDateTime, TimeZone};
use yunwei_core::jobs::{run_turn, JobEnv, JOBS};

use crate::settings::Settings;
use crate::{keys, open};

/// Parses `YYYY-MM-DD HH:MM` (or with seconds, or `T`) as Beijing time.
fn parse_beijing(s: &str) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    let s = s.trim().replace('T', " ");
    let naive = NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S"))
        .map_err(|_| anyhow::anyhow!("时间格式应为 YYYY-MM-DD HH:MM（北京时间），收到「{s}」"))?;
    let beijing = yunwei_domain::time::shanghai();
    match beijing.from_local_datetime(&naive).single() {
        Some(t) => Ok(t.with_timezone(&chrono::Utc)),
        None => bail!("无效的时间「{s}」"),
    }
}

/// `yunwei jobs run [--at TIME] [--yes]`: every job of [`JOBS`] that
/// `jobs run` runs, once.
pub async fn run_once(
    settings: &Settings,
    at: Option<&str>,
    yes: bool,
) -> anyhow::Result<ExitCode> {
    let when = at.map(parse_beijing).transpose()?;
    if let Some(t) = when {
        if t <= chrono::Utc::now() {
            bail!("--at 只能指定未来的时间；要补做到现在为止的作业，请不带 --at 运行");
        }
        let what = format!(
            "按 {} 执行后台作业：届时已到期的临时授权将被真实收回，逾期事项将发出通知",
            at.unwrap_or_default()
        );
        if !yes {
            if !std::io::stdin().is_terminal() {
                bail!("非交互运行时请加 --yes 确认：{what}");
            }
            eprint!("即将{what}。\n确认请输入 yes：");
            std::io::stderr().flush()?;
            let mut answer = String::new();
            std::io::stdin().read_line(&mut answer)?;
            if answer.trim() != "yes" {
                println!("已取消，未执行任何作业。");
                return Ok(ExitCode::from(1));
            }
        }
    }
    let data_dir = settings.data_dir_abs()?;
    let loaded = keys::load(&data_dir, false)?;
    let db = open::connect(settings, false).await?;
    open::require_schema(&db).await?;
    let mut p = open::platform(db, loaded.keys, settings);
    if let Some(t) = when {
        p.clock = Arc::new(yunwei_domain::clock::FixedClock::new(t));
    }
    let env = JobEnv::new(p, None);
    let results = run_turn(JOBS, &env, |_, job| job.in_jobs_run).await;
    env.p.close().await;
    let counts: Vec<String> = results
        .iter()
        .filter_map(|(job, r)| {
            let label = job.report?;
            Some(match r {
                Ok(n) => format!("{label} {n} 个"),
                Err(_) => format!("{label} 失败"),
            })
        })
        .collect();
    println!("后台作业已执行：{}。", counts.join("，"));
    let failed: Vec<_> = results
        .iter()
        .filter_map(|(job, r)| r.as_ref().err().map(|e| (job, e)))
        .collect();
    if failed.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for (job, e) in &failed {
        eprintln!(
            "后台作业失败：{}（{}）：{}［{}］",
            job.name, job.title, e.message, e.code
        );
    }
    eprintln!(
        "{} 个后台作业失败，其余 {} 个已执行。",
        failed.len(),
        results.len() - failed.len()
    );
    Ok(ExitCode::from(crate::cli::EXIT_ERROR))
}
