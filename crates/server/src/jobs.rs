//! `yunwei jobs run`: the background jobs of `serve`, once, from the
//! command line: after downtime, from cron on an installation without a
//! resident server, or with `--at` to rehearse what the jobs will do at a
//! future time (a grant's end, ADR 0007). The jobs claim their work with
//! guarded updates, so running this beside a live server fires nothing
//! twice.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::bail;
use chrono::{NaiveDateTime, TimeZone};

use crate::settings::Settings;
use crate::{keys, open};

/// Most batches of one job in one run (each handles up to `BATCH`).
const MAX_BATCHES: usize = 1_000;
const BATCH: u64 = 200;

/// Parses `YYYY-MM-DD HH:MM` (or with seconds, or `T`) as Beijing time.
fn parse_beijing(s: &str) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    let s = s.trim().replace('T', " ");
    let naive = NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S"))
        .map_err(|_| anyhow::anyhow!("时间格式应为 YYYY-MM-DD HH:MM（北京时间），收到「{s}」"))?;
    let beijing = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
    match beijing.from_local_datetime(&naive).single() {
        Some(t) => Ok(t.with_timezone(&chrono::Utc)),
        None => bail!("无效的时间「{s}」"),
    }
}

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
    let result = run_all(&p).await;
    p.db.close().await;
    let (timers, notices, orphans) =
        result.map_err(|e| anyhow::anyhow!("后台作业失败：{}", e.message))?;
    println!(
        "后台作业已执行：工单计时提醒 {timers} 个，到期事项通知 {notices} 个，清理未被引用的文件 {orphans} 个。"
    );
    Ok(ExitCode::SUCCESS)
}

async fn run_all(
    p: &yunwei_core::Platform,
) -> Result<(usize, usize, usize), yunwei_domain::AppError> {
    let mut timers = 0;
    for _ in 0..MAX_BATCHES {
        let n = yunwei_core::tickets::run_timers(p, BATCH).await?;
        timers += n;
        if (n as u64) < BATCH {
            break;
        }
    }
    let mut notices = 0;
    for _ in 0..MAX_BATCHES {
        let n = yunwei_core::controls::run_controls(p, BATCH).await?;
        notices += n;
        if (n as u64) < BATCH {
            break;
        }
    }
    // Files no row references (issue 11), older than the grace period.
    let orphans = yunwei_core::files::collect_orphans(p, yunwei_core::files::ORPHAN_GRACE).await?;
    Ok((timers, notices, orphans))
}
