//! Monthly utilisation of the systems on a government cloud (SNYP-13,
//! SNYP-14, ZMDY-20, ZMDY-22; ADR 0016).
//!
//! The provider or the monitoring provider imports its monthly
//! 资源使用情况表 (.xlsx or .csv) through the one spreadsheet reader
//! ([`crate::registers::import`]): the permission is checked before the
//! file is read or stored; every row is checked and one bad row writes
//! nothing; re-importing a month replaces that month's rows of the same
//! systems. Each row is judged at once by the pack's thresholds
//! ([`yunwei_domain::cloud::judge`]): a system is not monitored before
//! `monitor_after_months` of stable operation (SNYP-14: 新上云系统稳定运行
//! 3个月后开始监测), a month with too few sample days is 数据不足, never
//! low. A low (or mixed) month opens one 降配/回收 proposal
//! ([`super::reclaim`]); a high (or mixed) month tells the unit it may ask
//! for an expansion.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;
use yunwei_domain::cloud::{days_in_month, judge, Finding, Money as Decimal, Usage, Verdict};
use yunwei_domain::ids::new_id;
use yunwei_domain::policy::cloud::CloudRules;
use yunwei_domain::roles::{Action, Role};
use yunwei_domain::AppError;
use yunwei_store::cloud::PlatformRow;
use yunwei_store::cloud_usage::{self as store, ReclaimRow, SystemRef, UsageRow};
use yunwei_store::{in_tx, DbConn};

use crate::kernel::audit::{deny, record, Actor, Event};
use crate::kernel::notify::{notify, Notice};
use crate::{Authorized, Ctx, Platform, Principal};

/// Most data rows of one import (a city runs a few thousand systems).
pub const MAX_ROWS: usize = 20_000;
/// Digits after the decimal point kept of a percentage or a size in GB:
/// values are stored as integers × 10,000.
pub const SCALE: u32 = 4;

/// The columns of the 资源使用情况表, in order.
pub const COLUMNS: [&str; 7] = [
    "系统编码",
    "月份",
    "CPU平均利用率(%)",
    "内存平均利用率(%)",
    "存储已用(GB)",
    "存储总量(GB)",
    "采样天数",
];

fn file_error(msg: String) -> AppError {
    AppError::bad_request("cloud_usage.file", msg)
}

fn platform_not_found() -> AppError {
    AppError::not_found("政务云平台")
}

/// A line of the file that was refused, and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = CloudUsageRowError)]
pub struct RowError {
    pub line: u32,
    pub reason: String,
}

/// What an import did. With any error nothing is written.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UsageImportReport {
    /// Data rows read.
    pub rows: usize,
    /// Rows written (0 when any row had an error).
    pub imported: usize,
    /// Rows of the same systems and months the import replaced.
    pub replaced: u64,
    /// Proposals opened by low months.
    pub proposals: usize,
    pub errors: Vec<RowError>,
    /// The months the file covers.
    pub months: Vec<String>,
}

/// The platform the caller may report on.
pub(crate) async fn platform_of(c: &mut DbConn, id: &str) -> Result<PlatformRow, AppError> {
    yunwei_store::cloud::get_platform(c, id)
        .await?
        .ok_or_else(platform_not_found)
}

/// Whether the principal is one of the platform's provider's or
/// monitor's people holding `CloudReport`.
pub(crate) fn is_platform_vendor(pr: &Principal, pl: &PlatformRow) -> bool {
    (pr.org_id == pl.provider_org_id || pl.monitor_org_id.as_deref() == Some(&pr.org_id))
        && pr.can(Action::CloudReport, &pr.org_path)
}

/// Who may import: the platform's provider or monitor (`CloudReport` in
/// their own organisation), or a cloud manager over the platform's
/// region.
pub(crate) fn may_report<'a>(
    pr: &'a Principal,
    pl: &PlatformRow,
) -> Result<Authorized<'a>, AppError> {
    if pr.org_id == pl.provider_org_id || pl.monitor_org_id.as_deref() == Some(&pr.org_id) {
        return pr.authorize(Action::CloudReport, &pr.org_path);
    }
    pr.authorize(Action::CloudManage, &pl.region_path)
}

/// A value in ten-thousandths: empty is `None`; a trailing `%` is allowed
/// for percentages; at most four decimals; not negative; a percentage at
/// most 100.
fn parse_scaled(s: &str, what: &str, pct: bool) -> Result<Option<i64>, String> {
    let t = s.trim();
    let t = if pct {
        t.strip_suffix('%')
            .or_else(|| t.strip_suffix('％'))
            .unwrap_or(t)
            .trim()
    } else {
        t
    };
    if t.is_empty() {
        return Ok(None);
    }
    let d = Decimal::from_str_exact(t).map_err(|_| format!("{what}「{s}」不是数字"))?;
    if d.is_sign_negative() {
        return Err(format!("{what}不能为负数"));
    }
    if d.normalize().scale() > SCALE {
        return Err(format!("{what}最多 {SCALE} 位小数"));
    }
    if pct && d > Decimal::ONE_HUNDRED {
        return Err(format!("{what}不能超过 100"));
    }
    if d > Decimal::from(1_000_000_000i64) {
        return Err(format!("{what}超出允许范围"));
    }
    let mut x = d;
    x.rescale(SCALE);
    i64::try_from(x.mantissa())
        .map(Some)
        .map_err(|_| format!("{what}超出允许范围"))
}

fn scaled(v: Option<i64>) -> Option<Decimal> {
    v.map(|x| Decimal::new(x, SCALE))
}

/// A stored value for a page: "12.5".
pub fn format_scaled(v: Option<i64>) -> String {
    match scaled(v) {
        Some(d) => d.normalize().to_string(),
        None => "—".into(),
    }
}

/// `YYYY-MM`, `YYYY/MM`, `YYYY年MM月` or a date (an Excel date cell).
pub fn parse_month(s: &str) -> Option<NaiveDate> {
    let t = s.trim().replace(['/', '.'], "-").replace('年', "-");
    let t = t.trim_end_matches('月');
    let mut it = t.split('-');
    let y: i32 = it.next()?.trim().parse().ok()?;
    let m: u32 = it.next()?.trim().parse().ok()?;
    if !(2000..=2999).contains(&y) {
        return None;
    }
    NaiveDate::from_ymd_opt(y, m, 1)
}

pub fn month_text(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

/// The day monitoring of a system begins: `monitor_after_months` after
/// it went online (SNYP-14: 新上云系统稳定运行3个月后开始监测).
pub fn monitoring_starts(rules: &CloudRules, online_on: &str) -> Option<NaiveDate> {
    let on = NaiveDate::parse_from_str(online_on, "%Y-%m-%d").ok()?;
    on.checked_add_months(Months::new(rules.monitor_after_months))
}

/// Judges one system's month. A month is judged only when all of it lies
/// in the monitoring period: its first day on or after the day monitoring
/// begins; a system not yet online is not monitored.
pub fn judge_month_of(
    rules: &CloudRules,
    online_on: Option<&str>,
    month_start: NaiveDate,
    u: &Usage,
) -> (Verdict, Vec<Finding>) {
    match online_on.and_then(|o| monitoring_starts(rules, o)) {
        Some(start) if month_start >= start => judge(u, &rules.thresholds),
        _ => (Verdict::NotMonitored, Vec::new()),
    }
}

fn usage_of(r: &UsageRow) -> Usage {
    Usage {
        cpu_avg_pct: scaled(r.cpu_avg_e4),
        mem_avg_pct: scaled(r.mem_avg_e4),
        storage_used_gb: scaled(r.storage_used_e4),
        storage_total_gb: scaled(r.storage_total_e4),
        sample_days: r.sample_days.clamp(0, 31) as u32,
    }
}

pub fn findings_text(f: &[Finding]) -> String {
    f.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(",")
}

/// The Chinese names of a stored findings list.
pub fn findings_labels(s: &str) -> Vec<&'static str> {
    const ALL: [Finding; 7] = [
        Finding::CpuLow,
        Finding::MemoryLow,
        Finding::StorageLow,
        Finding::StorageLowWithFreeSpace,
        Finding::CpuHigh,
        Finding::MemoryHigh,
        Finding::StorageHigh,
    ];
    s.split(',')
        .filter_map(|c| ALL.iter().find(|f| f.as_str() == c))
        .map(|f| f.label())
        .collect()
}

fn header_key(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '％' => '%',
            c => c.to_ascii_uppercase(),
        })
        .collect()
}

struct Parsed {
    system: SystemRef,
    month: NaiveDate,
    cpu: Option<i64>,
    mem: Option<i64>,
    used: Option<i64>,
    total: Option<i64>,
    days: i64,
}

/// Imports a 资源使用情况表 for `platform_id`.
pub async fn import(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    platform_id: &str,
    file_name: &str,
    bytes: &[u8],
) -> Result<UsageImportReport, AppError> {
    let pl = {
        let mut c = p.db.read().await?;
        platform_of(&mut c, platform_id).await?
    };
    let ev = Event::success("cloud_usage.import", "cloud_platform", &pl.id);
    let auth = match may_report(pr, &pl) {
        Ok(a) => a,
        Err(e) => return deny(p, ctx, pr, ev.after(file_name.to_string()), e).await,
    };
    let rules = super::rules(p, &pl)?;
    let file_name = yunwei_domain::text::clean_file_name(file_name, 200)
        .map_err(|e| e.error("cloud_usage.filename", "文件名"))?;
    let all = crate::registers::import::read(
        bytes,
        crate::registers::import::Limits {
            max_rows: MAX_ROWS,
            csv: true,
        },
        file_error,
    )
    .await?;
    let want: Vec<String> = COLUMNS.iter().map(|h| header_key(h)).collect();
    let header_at = all
        .iter()
        .take(crate::registers::import::HEADER_ROWS)
        .position(|(_, r)| r.iter().any(|c| header_key(c) == want[0]))
        .ok_or_else(|| file_error(format!("找不到表头：应有列 {}", COLUMNS.join("、"))))?;
    let header: Vec<String> = all[header_at].1.iter().map(|h| header_key(h)).collect();
    let mut pos = [0usize; 7];
    let mut missing = Vec::new();
    for (i, w) in want.iter().enumerate() {
        match header.iter().position(|h| h == w) {
            Some(j) => pos[i] = j,
            None => missing.push(COLUMNS[i]),
        }
    }
    if !missing.is_empty() {
        return Err(file_error(format!("表头缺少列：{}", missing.join("、"))));
    }
    let data = &all[header_at + 1..];
    let cell = |r: &[String], i: usize| -> String {
        r.get(pos[i]).map(|s| s.trim()).unwrap_or("").to_string()
    };
    let codes: Vec<String> = data
        .iter()
        .map(|(_, r)| cell(r, 0))
        .filter(|s| !s.is_empty())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let systems: HashMap<String, SystemRef> = {
        let mut c = p.db.read().await?;
        store::systems_by_codes(&mut c, &pl.id, &codes)
            .await?
            .into_iter()
            .map(|s| (s.code.clone(), s))
            .collect()
    };
    let this_month = {
        let t = crate::kernel::due::today(p);
        NaiveDate::from_ymd_opt(t.year(), t.month(), 1).expect("first day")
    };
    let mut good = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashMap<(String, NaiveDate), u32> = HashMap::new();
    for (line, r) in data {
        let line = *line;
        let res: Result<Parsed, String> = (|| {
            let code = cell(r, 0);
            if code.is_empty() {
                return Err("系统编码不能为空".into());
            }
            let system = systems
                .get(&code)
                .cloned()
                .ok_or_else(|| format!("系统编码「{code}」不是本平台登记的上云系统"))?;
            let month = parse_month(&cell(r, 1))
                .ok_or_else(|| format!("月份「{}」应为 YYYY-MM，如 2026-10", cell(r, 1)))?;
            if month > this_month {
                return Err(format!("月份 {} 尚未到来", month_text(month)));
            }
            let cpu = parse_scaled(&cell(r, 2), "CPU平均利用率", true)?;
            let mem = parse_scaled(&cell(r, 3), "内存平均利用率", true)?;
            let used = parse_scaled(&cell(r, 4), "存储已用", false)?;
            let total = parse_scaled(&cell(r, 5), "存储总量", false)?;
            if used.is_some() != total.is_some() {
                return Err("存储已用和存储总量应同时填写或同时留空".into());
            }
            if let (Some(u), Some(t)) = (used, total) {
                if u > t {
                    return Err("存储已用不能大于存储总量".into());
                }
            }
            let days_text = cell(r, 6);
            let days: i64 = days_text
                .parse()
                .map_err(|_| format!("采样天数「{days_text}」应为整数"))?;
            let max = days_in_month(month.year(), month.month()) as i64;
            if !(0..=max).contains(&days) {
                return Err(format!("采样天数应在 0 到 {max} 之间"));
            }
            if let Some(first) = seen.get(&(system.id.clone(), month)) {
                return Err(format!(
                    "系统「{code}」{} 的数据与第 {first} 行重复",
                    month_text(month)
                ));
            }
            Ok(Parsed {
                system,
                month,
                cpu,
                mem,
                used,
                total,
                days,
            })
        })();
        match res {
            Ok(x) => {
                seen.insert((x.system.id.clone(), x.month), line);
                good.push(x);
            }
            Err(reason) => errors.push(RowError { line, reason }),
        }
    }
    let months: Vec<String> = good
        .iter()
        .map(|g| month_text(g.month))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let rows = data.len();
    if rows == 0 {
        return Err(file_error("文件中没有数据行".into()));
    }
    if !errors.is_empty() {
        return Ok(UsageImportReport {
            rows,
            imported: 0,
            replaced: 0,
            proposals: 0,
            errors,
            months,
        });
    }
    let digest = hex::encode(p.crypto.sm3(bytes));
    let now = p.now_us();
    let (replaced, proposals) = in_tx!(p.db, |c| {
        if !store::lock_platform(&mut c, &pl.id).await? {
            return Err(platform_not_found());
        }
        // Written only once the import is allowed (issue 11).
        crate::kernel::files::store(p, &digest, bytes)?;
        let import_id = new_id();
        store::insert_import(
            &mut c,
            &store::ImportRow {
                id: import_id.clone(),
                platform_id: pl.id.clone(),
                file_name: file_name.clone(),
                sm3: digest.clone(),
                rows: good.len() as i64,
                months: months.join(","),
                imported_by: pr.user_id.clone(),
                imported_at: now,
            },
        )
        .await?;
        let mut by_month: BTreeMap<NaiveDate, Vec<&Parsed>> = BTreeMap::new();
        for g in &good {
            by_month.entry(g.month).or_default().push(g);
        }
        let mut replaced = 0;
        let mut usage = Vec::with_capacity(good.len());
        for (month, list) in &by_month {
            let ids: Vec<String> = list.iter().map(|g| g.system.id.clone()).collect();
            replaced += store::delete_usage(&mut c, &month_text(*month), &ids).await?;
            for g in list {
                let mut row = UsageRow {
                    id: new_id(),
                    platform_id: pl.id.clone(),
                    system_id: g.system.id.clone(),
                    org_id: g.system.org_id.clone(),
                    org_path: g.system.org_path.clone(),
                    month: month_text(g.month),
                    cpu_avg_e4: g.cpu,
                    mem_avg_e4: g.mem,
                    storage_used_e4: g.used,
                    storage_total_e4: g.total,
                    sample_days: g.days,
                    verdict: String::new(),
                    findings: String::new(),
                    import_id: import_id.clone(),
                    imported_by: pr.user_id.clone(),
                    imported_at: now,
                    judged_at: now,
                };
                let (v, f) = judge_month_of(
                    rules,
                    g.system.online_on.as_deref(),
                    g.month,
                    &usage_of(&row),
                );
                row.verdict = v.as_str().into();
                row.findings = findings_text(&f);
                usage.push(row);
            }
        }
        store::insert_usage(&mut c, &usage).await?;
        let systems: HashMap<&str, &SystemRef> = good
            .iter()
            .map(|g| (g.system.id.as_str(), &g.system))
            .collect();
        let proposals = follow_up(&mut c, &pl, rules, &usage, &systems, |_| true, now).await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cloud_usage.import", "cloud_platform", &pl.id)
                .after(format!(
                    "导入资源使用情况表 {file_name}（{}）{} 行，替换原有 {replaced} 行，新开降配回收建议 {proposals} 条 SM3={digest}",
                    months.join("、"),
                    usage.len()
                )),
        )
        .await?;
        Ok((replaced, proposals))
    })?;
    Ok(UsageImportReport {
        rows,
        imported: good.len(),
        replaced,
        proposals,
        errors: vec![],
        months,
    })
}

/// After judging: a proposal for each low or mixed month that has none
/// (one per system and month), its provider and monitor told; the unit
/// of each high or mixed month that `tell_high` picks (new data, or a
/// verdict that became high) told it may ask for an expansion. Returns
/// the proposals opened.
async fn follow_up(
    c: &mut DbConn,
    pl: &PlatformRow,
    rules: &CloudRules,
    usage: &[UsageRow],
    systems: &HashMap<&str, &SystemRef>,
    tell_high: impl Fn(&UsageRow) -> bool,
    now: i64,
) -> Result<usize, AppError> {
    let low = |v: &str| v == Verdict::Low.as_str() || v == Verdict::Mixed.as_str();
    let high = |v: &str| v == Verdict::High.as_str() || v == Verdict::Mixed.as_str();
    let low_src = rules.source_of("utilisation.low_cpu_below_pct");
    let high_src = rules.source_of("utilisation.high_cpu_above_pct");
    let mut by_month: BTreeMap<&str, Vec<&UsageRow>> = BTreeMap::new();
    for u in usage.iter().filter(|u| low(&u.verdict)) {
        by_month.entry(u.month.as_str()).or_default().push(u);
    }
    let mut opened: Vec<ReclaimRow> = Vec::new();
    for (month, list) in by_month {
        let ids: Vec<String> = list.iter().map(|u| u.system_id.clone()).collect();
        let have: BTreeSet<String> = store::reclaimed_systems(c, month, &ids)
            .await?
            .into_iter()
            .collect();
        for u in list.into_iter().filter(|u| !have.contains(&u.system_id)) {
            opened.push(ReclaimRow {
                id: new_id(),
                platform_id: pl.id.clone(),
                system_id: u.system_id.clone(),
                org_id: u.org_id.clone(),
                org_path: u.org_path.clone(),
                month: u.month.clone(),
                verdict: u.verdict.clone(),
                findings: u.findings.clone(),
                state: super::reclaim::State::Opened.as_str().into(),
                plan: String::new(),
                changes: "[]".into(),
                planned_by: None,
                planned_at: None,
                notified_by: None,
                notified_at: None,
                answered_by: None,
                answered_at: None,
                refusal_reason: String::new(),
                decided_by: None,
                decided_at: None,
                decision_note: String::new(),
                implemented_by: None,
                implemented_at: None,
                implemented_on: None,
                created_at: now,
                updated_at: now,
                version: 1,
            });
        }
    }
    store::insert_reclaims(c, &opened).await?;
    if !opened.is_empty() {
        let mut vendors = vec![pl.provider_org_id.clone()];
        vendors.extend(pl.monitor_org_id.clone());
        let staff = store::staff_with_roles(
            c,
            &vendors,
            &[Role::CloudProvider.as_str(), Role::CloudMonitor.as_str()],
        )
        .await?;
        let name_of = |r: &ReclaimRow| {
            systems
                .get(r.system_id.as_str())
                .map(|s| s.name.clone())
                .unwrap_or_default()
        };
        // One notice per month judged: the proposal itself when there is
        // one, else the list of open proposals (a month of a large cloud
        // opens thousands; one notice each would bury the inbox and,
        // through other channels, the people).
        let mut by_month: BTreeMap<&str, Vec<&ReclaimRow>> = BTreeMap::new();
        for r in &opened {
            by_month.entry(r.month.as_str()).or_default().push(r);
        }
        for (month, list) in by_month {
            let (title, body, link) = match list.as_slice() {
                [r] => (
                    format!("{} {month} 资源利用率低，请拟定降配或回收方案", name_of(r)),
                    format!(
                        "{}。请按合同约定配合管理部门确定资源降配或回收方案（{low_src}）。",
                        findings_labels(&r.findings).join("、")
                    ),
                    format!("/cloud/reclaims/{}", r.id),
                ),
                many => {
                    let names: Vec<String> = many.iter().take(5).map(|r| name_of(r)).collect();
                    (
                        format!(
                            "{month} 有 {} 个系统资源利用率低，请拟定降配或回收方案",
                            many.len()
                        ),
                        format!(
                            "{}等 {} 个系统已生成降配回收建议，请按合同约定配合管理部门确定资源降配或回收方案（{low_src}）。",
                            names.join("、"),
                            many.len()
                        ),
                        format!("/cloud/reclaims?state={}", super::reclaim::State::Opened.as_str()),
                    )
                }
            };
            notify(
                c,
                &staff,
                &Notice {
                    user_id: "",
                    ticket_id: None,
                    kind: "cloud_reclaim",
                    title: &title,
                    body: &body,
                    at_us: now,
                    link: Some(&link),
                    due_at: None,
                },
            )
            .await?;
        }
    }
    let told: Vec<&UsageRow> = usage
        .iter()
        .filter(|u| high(&u.verdict) && tell_high(u))
        .collect();
    let orgs: BTreeSet<String> = told.iter().map(|u| u.org_id.clone()).collect();
    let unit_users = store::users_of_orgs(c, &orgs.into_iter().collect::<Vec<_>>()).await?;
    for u in told {
        let name = systems
            .get(u.system_id.as_str())
            .map(|s| s.name.as_str())
            .unwrap_or("");
        let Some(users) = unit_users.get(&u.org_id) else {
            continue;
        };
        let link = format!("/cloud/systems/{}", u.system_id);
        let title = format!("{name} {} 资源利用率高，可申请扩容", u.month);
        let body = format!(
            "{}。如需扩容，请在系统页面提出资源变更申请（{high_src}）。",
            findings_labels(&u.findings).join("、")
        );
        notify(
            c,
            users,
            &Notice {
                user_id: "",
                ticket_id: None,
                kind: "cloud_expand",
                title: &title,
                body: &body,
                at_us: now,
                link: Some(&link),
                due_at: None,
            },
        )
        .await?;
    }
    Ok(opened.len())
}

/// What [`judge_month`] found.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct JudgeReport {
    pub systems: usize,
    /// Verdict code → systems.
    pub verdicts: BTreeMap<String, usize>,
    pub proposals: usize,
}

/// Judges again every system of a platform's month (after the pack's
/// thresholds changed, or a system went online later than reported): one
/// read, the judging in memory, one update per distinct verdict, then the
/// proposals and notices of [`follow_up`]. Cloud managers over the region.
pub async fn judge_month(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    platform_id: &str,
    month: &str,
) -> Result<JudgeReport, AppError> {
    let start = parse_month(month)
        .ok_or_else(|| AppError::bad_request("cloud_usage.month", "月份应为 YYYY-MM"))?;
    let month = month_text(start);
    in_tx!(p.db, |c| {
        let pl = platform_of(&mut c, platform_id).await?;
        let auth = pr.authorize(Action::CloudManage, &pl.region_path)?;
        let rules = super::rules(p, &pl)?;
        if !store::lock_platform(&mut c, &pl.id).await? {
            return Err(platform_not_found());
        }
        let now = p.now_us();
        let inputs = store::judge_inputs(&mut c, &pl.id, &month).await?;
        let names: Vec<SystemRef> = inputs
            .iter()
            .map(|i| SystemRef {
                id: i.usage.system_id.clone(),
                platform_id: pl.id.clone(),
                org_id: i.usage.org_id.clone(),
                org_path: i.usage.org_path.clone(),
                name: i.system_name.clone(),
                code: String::new(),
                state: String::new(),
                online_on: i.online_on.clone(),
            })
            .collect();
        let by_id: HashMap<&str, &SystemRef> = names.iter().map(|s| (s.id.as_str(), s)).collect();
        let mut report = JudgeReport {
            systems: inputs.len(),
            ..Default::default()
        };
        // Only the rows whose verdict or findings change are written, one
        // statement per distinct new verdict.
        let mut groups: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        let mut was_high: BTreeSet<String> = BTreeSet::new();
        let mut rows = Vec::with_capacity(inputs.len());
        for i in &inputs {
            let mut r = i.usage.clone();
            if r.verdict == Verdict::High.as_str() || r.verdict == Verdict::Mixed.as_str() {
                was_high.insert(r.id.clone());
            }
            let (v, f) = judge_month_of(rules, i.online_on.as_deref(), start, &usage_of(&r));
            let (v, f) = (v.as_str().to_string(), findings_text(&f));
            *report.verdicts.entry(v.clone()).or_default() += 1;
            if v != r.verdict || f != r.findings {
                groups
                    .entry((v.clone(), f.clone()))
                    .or_default()
                    .push(r.id.clone());
            }
            r.verdict = v;
            r.findings = f;
            rows.push(r);
        }
        for ((v, f), ids) in &groups {
            store::set_verdicts(&mut c, &pl.id, &month, ids, v, f, now).await?;
        }
        report.proposals = follow_up(
            &mut c,
            &pl,
            rules,
            &rows,
            &by_id,
            |r| !was_high.contains(&r.id),
            now,
        )
        .await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cloud_usage.judge", "cloud_platform", &pl.id).after(format!(
                "重新判定 {month} 资源使用率 {} 个系统，新开降配回收建议 {} 条",
                report.systems, report.proposals
            )),
        )
        .await?;
        Ok(report)
    })
}

// ------------------------------------------------------------- the report

/// One system's month on the report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UsageLine {
    pub system_id: String,
    pub system_name: String,
    pub system_code: String,
    pub org_id: String,
    pub org_name: String,
    pub cpu_avg_pct: String,
    pub mem_avg_pct: String,
    pub storage_used_gb: String,
    pub storage_total_gb: String,
    pub sample_days: i64,
    pub verdict: Verdict,
    pub verdict_label: &'static str,
    pub findings: Vec<&'static str>,
}

/// Systems of one verdict.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VerdictCount {
    pub verdict: Verdict,
    pub label: &'static str,
    pub systems: usize,
}

/// Low and high systems of one unit.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnitCount {
    pub org_name: String,
    pub low: usize,
    pub high: usize,
}

/// A platform's month of utilisation as the caller may see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MonthReport {
    pub platform: PlatformRow,
    pub month: String,
    /// Months with data, newest first.
    pub months: Vec<String>,
    pub lines: Vec<UsageLine>,
    /// Systems by verdict, every verdict.
    pub by_verdict: Vec<VerdictCount>,
    pub by_unit: Vec<UnitCount>,
    pub can_import: bool,
    pub can_judge: bool,
    /// The article the platform's pack judges utilisation by.
    pub rule_source: String,
}

/// What the caller may see of a platform's usage: the provider and the
/// monitor see all of it, others what `BusinessRead` covers.
fn usage_scope(pr: &Principal, pl: &PlatformRow) -> yunwei_store::Scope {
    if is_platform_vendor(pr, pl) {
        yunwei_store::Scope::system()
    } else {
        pr.scope_for(Action::BusinessRead)
    }
}

/// The platforms the caller deals with: those whose provider or monitor
/// they work for, or whose region or units their reading scope touches.
pub async fn platforms(p: &Platform, pr: &Principal) -> Result<Vec<PlatformRow>, AppError> {
    let mut c = p.db.read().await?;
    let all = yunwei_store::cloud::platforms(&mut c).await?;
    let scope = pr.scope_for(Action::BusinessRead);
    let mut out = Vec::new();
    for pl in all {
        if is_platform_vendor(pr, &pl)
            || pr.can(Action::BusinessRead, &pl.region_path)
            || !yunwei_store::cloud::units(&mut c, &pl.id, &scope)
                .await?
                .is_empty()
        {
            out.push(pl);
        }
    }
    Ok(out)
}

pub async fn month_report(
    p: &Platform,
    pr: &Principal,
    platform_id: &str,
    month: Option<&str>,
) -> Result<MonthReport, AppError> {
    let mut c = p.db.read().await?;
    let pl = platform_of(&mut c, platform_id).await?;
    let scope = usage_scope(pr, &pl);
    if !is_platform_vendor(pr, &pl)
        && !pr.can(Action::BusinessRead, &pl.region_path)
        && yunwei_store::cloud::units(&mut c, &pl.id, &scope)
            .await?
            .is_empty()
    {
        return Err(platform_not_found());
    }
    let months = store::months(&mut c, &pl.id).await?;
    let month = match month.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => month_text(
            parse_month(m)
                .ok_or_else(|| AppError::bad_request("cloud_usage.month", "月份应为 YYYY-MM"))?,
        ),
        None => months.first().cloned().unwrap_or_else(|| {
            let t = crate::kernel::due::today(p);
            month_text(NaiveDate::from_ymd_opt(t.year(), t.month(), 1).expect("first day"))
        }),
    };
    let rows = store::usage_of_month(&mut c, &pl.id, &month, &scope).await?;
    let ids: Vec<String> = rows.iter().map(|r| r.system_id.clone()).collect();
    let systems: HashMap<String, SystemRef> = store::systems_by_ids(&mut c, &pl.id, &ids)
        .await?
        .into_iter()
        .map(|s| (s.id.clone(), s))
        .collect();
    let org_ids: BTreeSet<&String> = rows.iter().map(|r| &r.org_id).collect();
    let names = crate::kernel::due::org_names(&mut c, org_ids.into_iter()).await?;
    let mut lines = Vec::with_capacity(rows.len());
    let mut units: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    for r in &rows {
        let v = Verdict::parse(&r.verdict).unwrap_or(Verdict::Insufficient);
        let s = systems.get(&r.system_id);
        let org_name = names.get(&r.org_id).cloned().unwrap_or_default();
        let e = units.entry(org_name.clone()).or_default();
        if matches!(v, Verdict::Low | Verdict::Mixed) {
            e.0 += 1;
        }
        if matches!(v, Verdict::High | Verdict::Mixed) {
            e.1 += 1;
        }
        *counts.entry(v.as_str()).or_default() += 1;
        lines.push(UsageLine {
            system_id: r.system_id.clone(),
            system_name: s.map(|s| s.name.clone()).unwrap_or_default(),
            system_code: s.map(|s| s.code.clone()).unwrap_or_default(),
            org_id: r.org_id.clone(),
            org_name,
            cpu_avg_pct: format_scaled(r.cpu_avg_e4),
            mem_avg_pct: format_scaled(r.mem_avg_e4),
            storage_used_gb: format_scaled(r.storage_used_e4),
            storage_total_gb: format_scaled(r.storage_total_e4),
            sample_days: r.sample_days,
            verdict: v,
            verdict_label: v.label(),
            findings: findings_labels(&r.findings),
        });
    }
    let by_verdict = [
        Verdict::Low,
        Verdict::High,
        Verdict::Mixed,
        Verdict::Normal,
        Verdict::Insufficient,
        Verdict::NotMonitored,
    ]
    .iter()
    .map(|v| VerdictCount {
        verdict: *v,
        label: v.label(),
        systems: counts.get(v.as_str()).copied().unwrap_or(0),
    })
    .collect();
    let by_unit = units
        .into_iter()
        .filter(|(_, (l, h))| l + h > 0)
        .map(|(org_name, (low, high))| UnitCount {
            org_name,
            low,
            high,
        })
        .collect();
    let rule_source = super::rules(p, &pl)?
        .source_of("utilisation.low_cpu_below_pct")
        .to_string();
    Ok(MonthReport {
        rule_source,
        can_import: may_report(pr, &pl).is_ok(),
        can_judge: pr.can(Action::CloudManage, &pl.region_path),
        platform: pl,
        month,
        months,
        lines,
        by_verdict,
        by_unit,
    })
}

/// The month report as an Excel sheet; needs a reason and is audited.
pub async fn export(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    platform_id: &str,
    month: Option<&str>,
    reason: &str,
) -> Result<Vec<u8>, AppError> {
    let reason = crate::kernel::audit::require_reason(reason)?;
    let r = month_report(p, pr, platform_id, month).await?;
    // The rows are those the caller sees (the report's own scope).
    let auth = Authorized::seen(pr);
    let data: Vec<Vec<String>> = r
        .lines
        .iter()
        .map(|l| {
            vec![
                l.system_code.clone(),
                l.system_name.clone(),
                l.org_name.clone(),
                r.month.clone(),
                l.cpu_avg_pct.clone(),
                l.mem_avg_pct.clone(),
                l.storage_used_gb.clone(),
                l.storage_total_gb.clone(),
                l.sample_days.to_string(),
                l.verdict_label.to_string(),
                l.findings.join("、"),
            ]
        })
        .collect();
    let bytes = crate::kernel::export::table_xlsx(
        &format!("{} {} 资源使用率", r.platform.name, r.month),
        &pr.display_name,
        p.clock.now(),
        &[
            "系统编码",
            "系统名称",
            "使用单位",
            "月份",
            "CPU平均利用率(%)",
            "内存平均利用率(%)",
            "存储已用(GB)",
            "存储总量(GB)",
            "采样天数",
            "判定",
            "说明",
        ],
        &data,
    )?;
    crate::kernel::audit::audit_export(
        p,
        ctx,
        auth,
        "cloud_usage.export",
        "cloud_platform",
        format!(
            "导出 {} {} 资源使用率 {} 行",
            r.platform.name,
            r.month,
            data.len()
        ),
        &reason,
    )
    .await?;
    Ok(bytes)
}

/// An empty 资源使用情况表 to fill in.
pub fn template() -> Result<Vec<u8>, AppError> {
    let cols: Vec<(&str, bool)> = COLUMNS
        .iter()
        .map(|c| (*c, matches!(*c, "系统编码" | "月份" | "采样天数")))
        .collect();
    let notes: Vec<Vec<String>> = [
        ("列", "说明"),
        ("系统编码", "上云系统在配置管理库中的编号"),
        ("月份", "YYYY-MM，如 2026-10"),
        ("CPU平均利用率(%)", "0 到 100，最多 4 位小数；未采集可留空"),
        ("内存平均利用率(%)", "0 到 100，最多 4 位小数；未采集可留空"),
        ("存储已用(GB)", "与存储总量同时填写或同时留空"),
        ("存储总量(GB)", "1TB 按 1024GB 计"),
        ("采样天数", "本月有采集数据的天数"),
    ]
    .iter()
    .map(|(a, b)| vec![a.to_string(), b.to_string()])
    .collect();
    crate::kernel::export::template_xlsx("资源使用情况表", &cols, "填写说明", &notes)
}
