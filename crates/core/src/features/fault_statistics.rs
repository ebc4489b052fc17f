//! The yearly fault statistics per device type (EEDS-3.5.2: 统计出各类型设备
//! 在运行过程中曾出现的故障), which the annual inspection starts from: the
//! fault tickets of the processes the packs mark `fault_statistics`,
//! opened in the year, counted per category and type of the configuration
//! items they name. Computed by the database (`store::reports`), over the
//! tickets the caller may read.

use chrono::NaiveDate;
use serde::Serialize;
use yunwei_domain::cmdb::Category;
use yunwei_domain::roles::Action;
use yunwei_domain::schedule::start_of_day_shanghai;
use yunwei_domain::{AppError, ErrorKind};
use yunwei_store::reports as store;

use crate::{Platform, Principal};

/// One device type's line.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FaultLine {
    /// EEDS-1.3 category (`hardware`, ...) and its label.
    pub category: String,
    pub category_label: String,
    /// The items' type as recorded in the CMDB (服务器, 交换机, ...).
    pub ci_type: String,
    /// Fault tickets of the year naming an item of the type.
    pub faults: i64,
    /// Of those, not closed yet.
    pub still_open: i64,
    /// Items of the type that had a fault.
    pub items: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FaultReport {
    pub year: i32,
    /// The processes counted, by name.
    pub processes: Vec<String>,
    pub lines: Vec<FaultLine>,
}

/// `YYYY` between 2000 and 2100.
pub fn parse_year(s: &str) -> Result<i32, AppError> {
    s.trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or_else(|| AppError::bad_request("report.year_invalid", "年份应为四位数字，例如 2026"))
}

/// The start of 1 January of `year` in Beijing time, in UTC microseconds.
fn year_start(year: i32) -> Result<i64, AppError> {
    let d = NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(AppError::internal)?;
    Ok(start_of_day_shanghai(d).timestamp_micros())
}

/// The statistics of `year` over the caller's business-read scope.
pub async fn yearly(p: &Platform, pr: &Principal, year: i32) -> Result<FaultReport, AppError> {
    if pr.must_change_password {
        return Err(AppError::new(
            ErrorKind::Forbidden,
            "auth.password_change_required",
            "请先修改密码（初始密码或已到期的密码）",
        ));
    }
    let scope = pr.scope_for(Action::BusinessRead);
    if scope.is_empty() {
        return Err(AppError::forbidden("无权查看业务报表"));
    }
    let mut counted = Vec::new();
    let mut names = Vec::new();
    for pack in p.packs.iter() {
        for process in pack.processes.iter().filter(|x| x.fault_statistics) {
            counted.push((pack.id.clone(), process.id.clone()));
            names.push(format!("{}（{}）", process.name, pack.name));
        }
    }
    let groups = {
        let mut c = p.db.read().await?;
        store::faults_by_type(
            &mut c,
            &scope,
            &counted,
            year_start(year)?,
            year_start(year + 1)?,
        )
        .await?
    };
    let lines = groups
        .into_iter()
        .map(|g| FaultLine {
            category_label: Category::parse(&g.category)
                .map(Category::label)
                .unwrap_or("未分类")
                .to_string(),
            category: g.category,
            ci_type: g.ci_type,
            faults: g.faults,
            still_open: g.still_open,
            items: g.items,
        })
        .collect();
    Ok(FaultReport {
        year,
        processes: names,
        lines,
    })
}

/// The table's rows: category, type, faults, still open, items.
pub fn rows(r: &FaultReport) -> Vec<Vec<String>> {
    r.lines
        .iter()
        .map(|l| {
            vec![
                l.category_label.clone(),
                l.ci_type.clone(),
                l.faults.to_string(),
                l.still_open.to_string(),
                l.items.to_string(),
            ]
        })
        .collect()
}

pub const HEADERS: [&str; 5] = ["类别", "设备类型", "故障数", "未办结", "涉及设备数"];

/// The statistics as .xlsx, marked with the exporter's name; the export is
/// audited with its reason.
pub async fn export(
    p: &Platform,
    ctx: &crate::Ctx,
    pr: &Principal,
    year: i32,
    reason: &str,
) -> Result<Vec<u8>, AppError> {
    let reason = crate::kernel::audit::require_reason(reason)?;
    let report = yearly(p, pr, year).await?;
    let auth = pr.authorize_somewhere(Action::BusinessRead)?;
    let bytes = crate::kernel::export::table_xlsx(
        &format!("{year} 年各类型设备故障统计"),
        &pr.display_name,
        p.clock.now(),
        &HEADERS,
        &rows(&report),
    )?;
    yunwei_store::in_tx!(p.db, |c| {
        crate::kernel::audit::record(
            p,
            &mut c,
            ctx,
            crate::kernel::audit::Actor::User(auth),
            crate::kernel::audit::Event::success("report.export", "report", "faults")
                .after(format!("导出 {year} 年各类型设备故障统计"))
                .reason(reason.clone()),
        )
        .await?;
        Ok(())
    })?;
    Ok(bytes)
}
