//! Business reports over the tickets the caller may read.
//!
//! [`monthly_sla`]: per process and level, for one calendar month in China
//! time, how many tickets were opened, closed, are still open, breached an
//! SLA timer, and the share closed on time. Computed by the database with
//! grouped queries (`store::reports`), never by loading tickets.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use serde::Serialize;
use yunwei_domain::roles::Action;
use yunwei_domain::{AppError, ErrorKind};
use yunwei_store::reports::{self as store, SlaGroup};

use crate::{Platform, Principal};

/// The counts of one line of the SLA report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SlaCounts {
    /// Opened (registered) in the month.
    pub opened: i64,
    /// Closed in the month, whenever opened.
    pub closed: i64,
    /// Opened in the month and not closed yet.
    pub still_open: i64,
    /// Opened in the month and breached an SLA timer (overdue now, or a
    /// timer breached before it stopped).
    pub breached: i64,
    /// Closed in the month without a breach.
    pub closed_on_time: i64,
    /// `closed_on_time / closed`, 0..1; `None` when nothing was closed.
    pub on_time_rate: Option<f64>,
}

impl SlaCounts {
    fn add(&mut self, g: &SlaGroup) {
        self.opened += g.opened;
        self.closed += g.closed;
        self.still_open += g.still_open;
        self.breached += g.breached;
        self.closed_on_time += g.closed - g.closed_breached;
        self.rate();
    }

    fn rate(&mut self) {
        self.on_time_rate = (self.closed > 0).then(|| {
            let r = self.closed_on_time as f64 / self.closed as f64;
            (r * 10_000.0).round() / 10_000.0
        });
    }
}

/// One level of a process.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SlaLevel {
    /// The `level` field's value; `None` for tickets without a level yet.
    pub level: Option<String>,
    pub level_label: String,
    #[serde(flatten)]
    pub counts: SlaCounts,
}

/// One process, with its subtotal and its levels.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SlaProcess {
    pub pack: String,
    pub process: String,
    pub process_name: String,
    #[serde(flatten)]
    pub counts: SlaCounts,
    pub levels: Vec<SlaLevel>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SlaReport {
    /// `YYYY-MM`.
    pub month: String,
    /// The month in UTC microseconds, `[from, to)`, China time boundaries.
    pub from: i64,
    pub to: i64,
    pub processes: Vec<SlaProcess>,
    pub total: SlaCounts,
}

/// Parses `YYYY-MM` into the month's bounds (China time) in UTC
/// microseconds.
pub fn month_bounds(month: &str) -> Result<(NaiveDate, i64, i64), AppError> {
    let invalid =
        || AppError::bad_request("report.month_invalid", "月份格式应为 YYYY-MM，例如 2026-03");
    let m = month.trim();
    if m.len() != 7 || m.as_bytes()[4] != b'-' {
        return Err(invalid());
    }
    let first = NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").map_err(|_| invalid())?;
    if !(2000..=2100).contains(&first.year()) {
        return Err(invalid());
    }
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    }
    .ok_or_else(invalid)?;
    let start = |d: NaiveDate| -> Result<i64, AppError> {
        let local = d.and_hms_opt(0, 0, 0).ok_or_else(invalid)?;
        Ok(yunwei_domain::calendar::shanghai()
            .from_local_datetime(&local)
            .single()
            .ok_or_else(invalid)?
            .with_timezone(&Utc)
            .timestamp_micros())
    };
    Ok((first, start(first)?, start(next)?))
}

/// The current month in China time, `YYYY-MM`.
pub fn current_month(now: DateTime<Utc>) -> String {
    yunwei_domain::calendar::date_in_shanghai(now)
        .format("%Y-%m")
        .to_string()
}

/// The monthly SLA report over the tickets in the caller's business-read
/// scope.
pub async fn monthly_sla(p: &Platform, pr: &Principal, month: &str) -> Result<SlaReport, AppError> {
    if pr.must_change_password {
        return Err(AppError::new(
            ErrorKind::Forbidden,
            "auth.password_change_required",
            "请先修改密码（初始密码或已到期的密码）",
        ));
    }
    let (first, from, to) = month_bounds(month)?;
    let scope = pr.scope_for(Action::BusinessRead);
    if scope.is_empty() {
        return Err(AppError::forbidden("无权查看业务报表"));
    }
    let groups = {
        let mut c = p.db.read().await?;
        store::sla_groups(&mut c, &scope, from, to).await?
    };
    let mut processes: Vec<SlaProcess> = Vec::new();
    let mut total = SlaCounts::default();
    for g in &groups {
        total.add(g);
        let process = p
            .packs
            .iter()
            .filter(|pk| pk.id == g.pack_id)
            .find_map(|pk| pk.process(&g.process_id));
        let at = match processes
            .iter()
            .position(|x| x.pack == g.pack_id && x.process == g.process_id)
        {
            Some(i) => i,
            None => {
                processes.push(SlaProcess {
                    pack: g.pack_id.clone(),
                    process: g.process_id.clone(),
                    process_name: process
                        .map(|x| x.name.clone())
                        .unwrap_or_else(|| g.process_id.clone()),
                    counts: SlaCounts::default(),
                    levels: Vec::new(),
                });
                processes.len() - 1
            }
        };
        let level_label = match &g.level {
            None => "未定级".to_string(),
            Some(l) => process
                .and_then(|x| x.field("level"))
                .and_then(|f| f.choice(l))
                .map(|c| c.label.clone())
                .unwrap_or_else(|| l.clone()),
        };
        let mut counts = SlaCounts::default();
        counts.add(g);
        let entry = &mut processes[at];
        entry.counts.add(g);
        entry.levels.push(SlaLevel {
            level: g.level.clone(),
            level_label,
            counts,
        });
    }
    Ok(SlaReport {
        month: first.format("%Y-%m").to_string(),
        from,
        to,
        processes,
        total,
    })
}

/// The monthly SLA report as .xlsx, marked with the exporter's name; the
/// export is audited with its reason.
pub async fn export_sla(
    p: &Platform,
    ctx: &crate::Ctx,
    pr: &Principal,
    month: &str,
    reason: &str,
) -> Result<Vec<u8>, AppError> {
    let reason = crate::kernel::audit::require_reason(reason)?;
    let report = monthly_sla(p, pr, month).await?;
    let auth = pr.authorize_somewhere(Action::BusinessRead)?;
    let data = table_rows(&report);
    let bytes = crate::kernel::export::table_xlsx(
        &format!("{} SLA 月报", report.month),
        &pr.display_name,
        p.clock.now(),
        &[
            "流程",
            "级别",
            "本月登记",
            "本月办结",
            "本月登记未办结",
            "本月登记超时",
            "本月按时办结",
            "按时办结率",
        ],
        &data,
    )?;
    yunwei_store::in_tx!(p.db, |c| {
        crate::kernel::audit::record(
            p,
            &mut c,
            ctx,
            crate::kernel::audit::Actor::User(auth),
            crate::kernel::audit::Event::success("report.export", "report", "sla")
                .after(format!("导出 {} SLA 月报", report.month))
                .reason(reason.clone()),
        )
        .await?;
        Ok(())
    })?;
    Ok(bytes)
}

/// The monthly SLA report as a PDF to print and sign (ADR 0013), for
/// whoever may read the report; the download is audited.
pub async fn sla_pdf(
    p: &Platform,
    ctx: &crate::Ctx,
    pr: &Principal,
    month: &str,
) -> Result<Vec<u8>, AppError> {
    use crate::kernel::pdf::{col, PdfDoc};
    let report = monthly_sla(p, pr, month).await?;
    let auth = pr.authorize_somewhere(Action::BusinessRead)?;
    let title = format!("{} SLA 月报", report.month);
    let mut doc = PdfDoc::new(&p.pdf_font, &title, &title)?;
    doc.heading_title(&title);
    doc.note(&format!(
        "统计范围：{}登记或办结、您有权查看的工单（北京时间）。按时办结率 = 本月按时办结 ÷ 本月办结。",
        report.month
    ));
    let rows = table_rows(&report);
    doc.heading("按流程与级别");
    doc.table(
        &[
            col("流程", 0.2),
            col("级别", 0.14),
            col("本月登记", 0.1),
            col("本月办结", 0.1),
            col("本月登记未办结", 0.12),
            col("本月登记超时", 0.11),
            col("本月按时办结", 0.11),
            col("按时办结率", 0.12),
        ],
        &rows,
    );
    if report.processes.is_empty() {
        doc.paragraph("本月没有登记或办结的工单。");
    }
    doc.signatures(&["经办人", "审核人", "日期"]);
    let bytes = doc.finish(&pr.display_name, p.clock.now())?;
    yunwei_store::in_tx!(p.db, |c| {
        crate::kernel::audit::record(
            p,
            &mut c,
            ctx,
            crate::kernel::audit::Actor::User(auth),
            crate::kernel::audit::Event::success("report.pdf", "report", "sla")
                .after(format!("下载 {} SLA 月报 PDF", report.month)),
        )
        .await?;
        Ok(())
    })?;
    Ok(bytes)
}

/// The report as table rows (process, level, counts, on-time rate), with a
/// subtotal per process and the total: the Excel export's and the PDF's.
fn table_rows(report: &SlaReport) -> Vec<Vec<String>> {
    let rate = |c: &SlaCounts| {
        c.on_time_rate
            .map(|r| format!("{:.1}%", r * 100.0))
            .unwrap_or_else(|| "—".into())
    };
    let line = |process: &str, level: &str, c: &SlaCounts| {
        vec![
            process.to_string(),
            level.to_string(),
            c.opened.to_string(),
            c.closed.to_string(),
            c.still_open.to_string(),
            c.breached.to_string(),
            c.closed_on_time.to_string(),
            rate(c),
        ]
    };
    let mut data = Vec::new();
    for pr_ in &report.processes {
        for l in &pr_.levels {
            data.push(line(&pr_.process_name, &l.level_label, &l.counts));
        }
        data.push(line(&pr_.process_name, "小计", &pr_.counts));
    }
    data.push(line("合计", "", &report.total));
    data
}
