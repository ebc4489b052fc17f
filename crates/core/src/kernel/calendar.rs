//! The working-day calendar (DESIGN.md section 6): the built-in holiday
//! data written on first start, imports of a year's file (next year's
//! notice comes out each November), and the calendar every deadline is
//! computed with.
//!
//! Deadlines are computed with [`load`], which keeps the parsed calendar in
//! a per-process cache keyed by a generation token: every write of holiday
//! data (import, first seed) stores a fresh random token in `settings`
//! (`calendar.generation`) in the same transaction, and each [`load`] reads
//! that one row. An import is therefore seen at once by every app node,
//! and a node re-reads the two calendar tables only after one. The token
//! is random, so caches of different databases in one process (tests)
//! never mix.

use std::sync::Mutex;

use serde::Serialize;
use yunwei_domain::calendar::{
    builtin_files, HolidayCalendar, HolidayDay, YearFile, BUILTIN_SOURCE,
};
use yunwei_domain::ids::new_id;
use yunwei_domain::roles::Action;
use yunwei_domain::AppError;
use yunwei_store::calendar::{self as store, CalendarDayRow, CalendarYearRow};
use yunwei_store::{in_tx, settings, DbConn};

use crate::kernel::audit::{record, root_path, Actor, Event};
use crate::{Ctx, Platform, Principal};

/// Largest year file accepted (the real ones are about 5 KB).
pub const MAX_FILE_BYTES: usize = 256 * 1024;
/// Longest reason accepted.
pub const MAX_REASON_CHARS: usize = 500;

/// Who imports a year's file.
#[derive(Clone, Copy)]
pub enum Importer<'a> {
    /// A user; needs [`Action::CalendarManage`] at the top-level organisation.
    User(&'a Principal),
    /// The command line (`yunwei calendar import`), run by whoever holds
    /// the database and the keys; audited as the system.
    CommandLine,
}

/// What an import changed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportOutcome {
    pub year: i32,
    pub off_days: usize,
    pub makeup_workdays: usize,
    /// Whether the file names its State Council notice.
    pub announced: bool,
    /// Whether data of that year was there before and is now replaced.
    pub replaced: bool,
    /// "2027年：节假日N天，调休上班M天".
    pub summary: String,
}

/// One imported (or built-in) notice year.
#[derive(Debug, Clone, Serialize)]
pub struct YearInfo {
    pub year: i32,
    pub papers: Vec<String>,
    /// UTC microseconds; None for built-in data not yet written.
    pub imported_at: Option<i64>,
    pub source: String,
}

/// The calendar as it is now, with what is known about each notice year.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub calendar: HolidayCalendar,
    pub years: Vec<YearInfo>,
}

impl Snapshot {
    pub fn year(&self, year: i32) -> Option<&YearInfo> {
        self.years.iter().find(|y| y.year == year)
    }
}

fn parse_papers(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

fn day_of_row(r: &CalendarDayRow) -> Result<HolidayDay, AppError> {
    let date = chrono::NaiveDate::parse_from_str(&r.date, "%Y-%m-%d").map_err(|e| {
        tracing::error!(date = %r.date, error = %e, "unreadable date in calendar_days");
        AppError::internal()
    })?;
    Ok(HolidayDay {
        date,
        name: r.name.clone(),
        off_day: r.off_day,
    })
}

/// Reads the calendar on `c`. Before the built-in data was written (a
/// database migrated but never started) the built-in data is used as is.
pub async fn snapshot_with(c: &mut DbConn) -> Result<Snapshot, AppError> {
    let year_rows = store::years(c).await?;
    if year_rows.is_empty() {
        let files = builtin_files();
        return Ok(Snapshot {
            calendar: HolidayCalendar::builtin(),
            years: files
                .into_iter()
                .map(|f| YearInfo {
                    year: f.year,
                    papers: f.papers,
                    imported_at: None,
                    source: BUILTIN_SOURCE.to_string(),
                })
                .collect(),
        });
    }
    let days = store::days(c)
        .await?
        .iter()
        .map(day_of_row)
        .collect::<Result<Vec<_>, _>>()?;
    let years: Vec<YearInfo> = year_rows
        .into_iter()
        .map(|y| YearInfo {
            year: y.year as i32,
            papers: parse_papers(&y.papers),
            imported_at: Some(y.imported_at),
            source: y.source,
        })
        .collect();
    let announced: Vec<i32> = years
        .iter()
        .filter(|y| !y.papers.is_empty())
        .map(|y| y.year)
        .collect();
    Ok(Snapshot {
        calendar: HolidayCalendar::from_parts(days, announced),
        years,
    })
}

pub async fn snapshot(p: &Platform) -> Result<Snapshot, AppError> {
    snapshot_with(&mut p.db.read().await?).await
}

/// Setting holding the generation token of the calendar data.
pub const GENERATION_KEY: &str = "calendar.generation";

/// Parsed calendars by generation token. A handful of entries: one per
/// database this process serves (several only in tests).
static CACHE: Mutex<Vec<(String, HolidayCalendar)>> = Mutex::new(Vec::new());
const CACHE_ENTRIES: usize = 8;

fn cached(generation: &str) -> Option<HolidayCalendar> {
    let cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    cache
        .iter()
        .find(|(g, _)| g == generation)
        .map(|(_, c)| c.clone())
}

fn remember(generation: String, cal: HolidayCalendar) {
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if cache.iter().any(|(g, _)| *g == generation) {
        return;
    }
    if cache.len() >= CACHE_ENTRIES {
        cache.remove(0);
    }
    cache.push((generation, cal));
}

/// Marks the calendar data as changed, inside the writing transaction.
async fn new_generation(p: &Platform, c: &mut DbConn) -> Result<(), AppError> {
    settings::put(c, GENERATION_KEY, &new_id(), p.now_us()).await
}

/// The calendar deadlines are computed with: from the cache when the
/// generation token in the database is the one it was loaded under.
pub async fn load(p: &Platform) -> Result<HolidayCalendar, AppError> {
    let mut c = p.db.read().await?;
    // The token first, then the data: data newer than its token can only
    // be cached under a token no longer current, never the reverse.
    let generation = settings::get(&mut c, GENERATION_KEY).await?;
    if let Some(cal) = generation.as_deref().and_then(cached) {
        return Ok(cal);
    }
    let cal = snapshot_with(&mut c).await?.calendar;
    if let Some(g) = generation {
        remember(g, cal.clone());
    }
    Ok(cal)
}

/// [`load`] on a connection or inside a transaction.
pub async fn load_with(c: &mut DbConn) -> Result<HolidayCalendar, AppError> {
    Ok(snapshot_with(c).await?.calendar)
}

/// Whether `pr` may import holiday data (configuration of the whole
/// installation, so only at the top-level organisation).
pub async fn can_manage(p: &Platform, pr: &Principal) -> Result<bool, AppError> {
    if !pr.can_somewhere(Action::CalendarManage) {
        return Ok(false);
    }
    let root = root_path(&mut p.db.read().await?).await?;
    Ok(pr.can(Action::CalendarManage, &root))
}

/// Writes the built-in years (2024-2026) when no year was ever imported.
/// Runs at every start; returns how many years it wrote.
pub async fn seed_builtin(p: &Platform, ctx: &Ctx) -> Result<usize, AppError> {
    let files = builtin_files();
    let written = in_tx!(p.db, |c| {
        if !store::is_empty(&mut c).await? {
            // Databases seeded before the generation token existed get one,
            // so their calendar is cached too.
            if settings::get(&mut c, GENERATION_KEY).await?.is_none() {
                new_generation(p, &mut c).await?;
            }
            return Ok(0);
        }
        let root = root_path(&mut c).await?;
        for f in &files {
            write_year(
                p,
                &mut c,
                ctx,
                Actor::System { org_path: &root },
                f,
                BUILTIN_SOURCE,
                "首次启动，写入内置节假日数据",
            )
            .await?;
        }
        Ok(files.len())
    });
    match written {
        // Another app node seeded at the same moment.
        Err(e) if e.code == "db.duplicate" => Ok(0),
        other => other,
    }
}

/// Validates a holiday-cn year file and replaces that year's data with it,
/// audited (`calendar.import`) in the same transaction. Nothing is written
/// when the file is refused.
pub async fn import_year(
    p: &Platform,
    ctx: &Ctx,
    by: Importer<'_>,
    json_text: &str,
    reason: &str,
) -> Result<ImportOutcome, AppError> {
    let reason = reason.trim().to_string();
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(AppError::bad_request(
            "calendar.reason_too_long",
            format!("原因不得超过{MAX_REASON_CHARS}字"),
        ));
    }
    let source = match by {
        Importer::User(pr) => format!("用户 {} 导入", pr.username),
        Importer::CommandLine => "命令行导入".to_string(),
    };
    in_tx!(p.db, |c| {
        let root = root_path(&mut c).await?;
        let actor = match by {
            Importer::User(pr) => {
                let auth = pr.authorize(Action::CalendarManage, &root)?;
                Actor::User(auth)
            }
            Importer::CommandLine => Actor::System { org_path: &root },
        };
        if json_text.len() > MAX_FILE_BYTES {
            return Err(AppError::bad_request(
                "calendar.file_too_large",
                format!("文件过大（超过 {} KB）", MAX_FILE_BYTES / 1024),
            ));
        }
        let file = YearFile::parse(json_text)?;
        write_year(p, &mut c, ctx, actor, &file, &source, &reason).await
    })
}

fn kind_label(off_day: bool) -> &'static str {
    if off_day {
        "休息日"
    } else {
        "调休上班"
    }
}

/// Checks `file` against the other years' data, replaces its year and
/// writes the audit record, inside the caller's transaction.
async fn write_year(
    p: &Platform,
    c: &mut DbConn,
    ctx: &Ctx,
    actor: Actor<'_>,
    file: &YearFile,
    source: &str,
    reason: &str,
) -> Result<ImportOutcome, AppError> {
    let year = i64::from(file.year);
    // A date may appear in two notices (December in next year's notice);
    // both must give it the same meaning.
    for row in store::days(c).await? {
        if row.year == year {
            continue;
        }
        let theirs = day_of_row(&row)?;
        if let Some(ours) = file.days.iter().find(|d| d.date == theirs.date) {
            if ours.off_day != theirs.off_day {
                return Err(AppError::conflict(
                    "calendar.conflict",
                    format!(
                        "{} 在{}年度数据中为{}，本文件（{}年度）为{}，两者矛盾；请核对国务院通知",
                        theirs.date,
                        row.year,
                        kind_label(theirs.off_day),
                        file.year,
                        kind_label(ours.off_day)
                    ),
                ));
            }
        }
    }
    let previous = match store::year(c, year).await? {
        Some(y) => {
            let days = store::days_of_year(c, year)
                .await?
                .iter()
                .map(day_of_row)
                .collect::<Result<Vec<_>, _>>()?;
            Some(YearFile {
                year: file.year,
                papers: parse_papers(&y.papers),
                days,
            })
        }
        None => None,
    };
    let papers = serde_json::to_string(&file.papers).map_err(|_| AppError::internal())?;
    let rows: Vec<CalendarDayRow> = file
        .days
        .iter()
        .map(|d| CalendarDayRow {
            date: d.date.format("%Y-%m-%d").to_string(),
            off_day: d.off_day,
            name: d.name.clone(),
            year,
        })
        .collect();
    store::replace_year(
        c,
        &CalendarYearRow {
            year,
            papers,
            imported_at: p.now_us(),
            source: source.to_string(),
        },
        &rows,
    )
    .await?;
    new_generation(p, c).await?;
    let summary = file.summary();
    record(
        p,
        c,
        ctx,
        actor,
        Event::success("calendar.import", "calendar_year", file.year.to_string())
            .before(previous.as_ref().map(YearFile::summary).unwrap_or_default())
            .after(summary.clone())
            .reason(reason.to_string()),
    )
    .await?;
    Ok(ImportOutcome {
        year: file.year,
        off_days: file.off_days(),
        makeup_workdays: file.makeup_workdays(),
        announced: file.is_announced(),
        replaced: previous.is_some(),
        summary,
    })
}
