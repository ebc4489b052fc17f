//! `yunwei calendar`: import a year's holiday file, and working-day
//! arithmetic (DESIGN.md section 6) on the database's calendar when there
//! is a database, on the built-in holiday data otherwise.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, Context as _};
use chrono::NaiveDate;
use yunwei_core::calendar::{self, Importer};
use yunwei_core::Ctx;
use yunwei_domain::calendar::{HolidayCalendar, MAX_WORKDAYS};
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
    p.close().await;
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
/// announced holiday notice. Needs no database: see [`lookup_calendar`].
pub async fn step(
    settings: &Settings,
    date: &str,
    n: &str,
    forward: bool,
) -> anyhow::Result<ExitCode> {
    let date = parse_date(date)?;
    let n = parse_n(n)?;
    let cal = lookup_calendar(settings).await?;
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

/// How long a configured database server may take to answer a lookup.
const LOOKUP_CONNECT_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The calendar of a lookup: the database's (the built-in years written at
/// its first start plus the imported ones, as `serve` computes deadlines)
/// when the configured database exists, otherwise the built-in data. The
/// SQLite file is opened only when it exists, never created; a database
/// server that does not answer, or a database without the calendar
/// tables, leaves the built-in data with a warning on stderr.
async fn lookup_calendar(settings: &Settings) -> anyhow::Result<HolidayCalendar> {
    let Some(url) = existing_database(settings)? else {
        return Ok(HolidayCalendar::builtin());
    };
    let read = async {
        let db = yunwei_store::Db::connect(&url).await?;
        let cal = match db.read().await {
            Ok(mut c) => calendar::load_with(&mut c).await,
            Err(e) => Err(e),
        };
        db.close().await;
        cal
    };
    match tokio::time::timeout(LOOKUP_CONNECT_WAIT, read).await {
        Ok(Ok(cal)) => Ok(cal),
        Ok(Err(e)) => {
            eprintln!(
                "警告：无法读取数据库 {} 中的工作日历（{}），仅按内置节假日数据计算",
                crate::settings::mask_url(&url),
                e.message
            );
            Ok(HolidayCalendar::builtin())
        }
        Err(_) => {
            eprintln!(
                "警告：数据库 {} 未在 {} 秒内应答，仅按内置节假日数据计算",
                crate::settings::mask_url(&url),
                LOOKUP_CONNECT_WAIT.as_secs()
            );
            Ok(HolidayCalendar::builtin())
        }
    }
}

/// The URL of the configured database if it may exist: a server URL, or a
/// SQLite file that is there (opened read-write but never created).
fn existing_database(settings: &Settings) -> anyhow::Result<Option<String>> {
    if settings.uses_default_database() {
        let file = settings.default_sqlite_path()?;
        if !file.is_file() {
            return Ok(None);
        }
        let url = crate::settings::sqlite_url(&file);
        return Ok(Some(url.replace("?mode=rwc", "?mode=rw")));
    }
    let url = settings.database_url()?;
    if url.starts_with("sqlite:") {
        return Ok(sqlite_file(&url).filter(|f| f.is_file()).map(|_| url));
    }
    Ok(Some(url))
}

/// The file a `sqlite:` URL names (None for an in-memory database).
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split(['?', '#']).next().unwrap_or("");
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    Some(std::path::PathBuf::from(percent_decode(path)))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        if let (b'%', Some(b)) = (bytes[i], hex) {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
