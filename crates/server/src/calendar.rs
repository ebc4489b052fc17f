//! `yunwei calendar`: import a year's holiday file, and working-day
//! arithmetic on the database's calendar (DESIGN.md section 6).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, Context as _};
use chrono::NaiveDate;
use yunwei_core::calendar::{self, Importer};
use yunwei_core::Ctx;
use yunwei_domain::calendar::MAX_WORKDAYS;
use yunwei_domain::ids::new_id;

use crate::keys;
use crate::open;
use crate::settings::Settings;

/// `yunwei calendar import FILE [--reason TEXT]`: validated, replaces that
/// year, audited as the system.
pub async fn import(
    settings: &Settings,
    file: &Path,
    reason: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("无法读取文件 {}", file.display()))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow!("文件 {} 不是 UTF-8 编码的文本", file.display()))?;
    let data_dir = settings.data_dir_abs()?;
    let loaded = keys::load(&data_dir, false)?;
    let db = open::connect(settings, false).await?;
    open::require_schema(&db).await?;
    let p = open::platform(db, loaded.keys, settings);
    let ctx = Ctx::system(&new_id());
    let outcome =
        calendar::import_year(&p, &ctx, Importer::CommandLine, &text, reason.unwrap_or("")).await;
    p.db.close().await;
    let outcome = outcome.map_err(|e| anyhow!("导入失败：{}", e.message))?;
    println!(
        "已导入 {}{}",
        outcome.summary,
        if outcome.replaced {
            "（已替换该年度原有数据）"
        } else {
            ""
        }
    );
    Ok(ExitCode::SUCCESS)
}

fn parse_date(s: &str) -> anyhow::Result<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|_| s.len() == 10)
        .ok_or_else(|| anyhow!("日期“{s}”无效，须为 YYYY-MM-DD"))
}

fn parse_n(s: &str) -> anyhow::Result<u32> {
    s.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| *n <= MAX_WORKDAYS)
        .ok_or_else(|| anyhow!("工作日数“{s}”无效，须为 0 至 {MAX_WORKDAYS} 的整数"))
}

/// `add-workdays DATE N` (forward) and `sub-workdays DATE N`: prints the
/// date; a warning on stderr when it relies on a year without an
/// announced holiday notice.
pub async fn step(
    settings: &Settings,
    date: &str,
    n: &str,
    forward: bool,
) -> anyhow::Result<ExitCode> {
    let date = parse_date(date)?;
    let n = parse_n(n)?;
    let db = open::connect(settings, false).await?;
    open::require_schema(&db).await?;
    let cal = {
        let mut c = db.read().await.map_err(|e| anyhow!("{}", e.message))?;
        calendar::load_with(&mut c)
            .await
            .map_err(|e| anyhow!("无法读取工作日历：{}", e.message))?
    };
    db.close().await;
    let r = if forward {
        cal.add_workdays(date, n)
    } else {
        cal.sub_workdays(date, n)
    };
    println!("{}", r.value.format("%Y-%m-%d"));
    if let Some(w) = r.warning() {
        eprintln!("警告：{w}");
    }
    Ok(ExitCode::SUCCESS)
}
