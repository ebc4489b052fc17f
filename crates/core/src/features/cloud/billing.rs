//! Monthly bills of a government cloud by payer (ZMDY-34..36, SNYP-6,
//! SNYP-14, SNYP-17, SNYP-18; ADR 0016).
//!
//! - [`compute`] / [`compute_year`]: one query joins the resource rows in
//!   service during the months with the price rows of their items (each
//!   price over its span, up to the next one); Rust prorates each (row,
//!   price span) by the days inside each month over the month's real
//!   length, rounded once to the 分 half away from zero, decides the payer
//!   by the pack's table (SNYP-17) and the settling department (ZMDY-36).
//!   A computed bill is a draft: its run holds the totals, and its lines
//!   are derived again from the append-only history whenever it is read
//!   ([`run_lines`]), so computing a year of bills writes twelve runs,
//!   not a hundred thousand lines. The first verification freezes the
//!   lines (stored from then on), after checking the data still gives the
//!   totals computed (`cloud_bill.stale` otherwise). A draft is
//!   recomputed in place; a verified or sent bill is frozen. Prices are
//!   effective-dated, so a past month recomputed gives the same bill.
//! - [`adjust`]: the bureau's reductions, each with its reason: 核减
//!   (SNYP-14, fees caused by low utilisation) by an amount, 费率下调
//!   (SNYP-18) by an exact percentage.
//! - [`verify`]: each competent department verifies what it settles: the
//!   city's cloud managers the lines of city units, a county's the lines
//!   of its units (ZMDY-36). When every part is verified the bill is
//!   verified; [`send`] reports it to finance (SNYP-6) with [`excel`] and
//!   [`pdf`] as the attachments.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use yunwei_domain::cloud::{
    days_in_month, format_fen, format_unit_price, next_month_start, parse_amount, payer,
    prorate_integer, Funding, Money, Payer, ServiceMode, UnitLevel,
};
use yunwei_domain::ids::new_id;
use yunwei_domain::roles::{Action, Role};
use yunwei_domain::AppError;
use yunwei_store::cloud::PlatformRow;
use yunwei_store::cloud_billing::{self as store, AdjustmentRow, LineRow, RunRow, VerificationRow};
use yunwei_store::{in_tx, orgs, DbConn};

use crate::kernel::audit::{record, Actor, Event};
use crate::kernel::principal::Authorized;
use crate::{Ctx, Platform, Principal};

pub const DRAFT: &str = "draft";
pub const VERIFIED: &str = "verified";
pub const SENT: &str = "sent";

/// A reduction by an amount (SNYP-14: 核减因使用率低而额外产生的云服务费用).
pub const REDUCTION: &str = "reduction";
/// A rate reduction by a percentage (SNYP-18: 适当下调服务费).
pub const RATE_CUT: &str = "rate_cut";

pub fn state_label(s: &str) -> &'static str {
    match s {
        DRAFT => "待核实",
        VERIFIED => "已核实",
        SENT => "已报送财政",
        _ => "未知",
    }
}

pub fn kind_label(k: &str) -> &'static str {
    match k {
        REDUCTION => "核减（资源利用率低）",
        RATE_CUT => "费率下调",
        _ => "其他",
    }
}

fn not_found() -> AppError {
    AppError::not_found("云服务账单")
}

/// Largest month's bill, 分 (a sanity bound, not a rule: 10^14 元). Every
/// later sum (parts, payers, a year's settlement) stays far inside i64.
pub const MAX_BILL_FEN: i64 = 10_000_000_000_000_000;

/// `round_half_up(num / den)` for non-negative integers: the rounding
/// rule of every amount (四舍五入 to the 分).
pub(crate) fn div_round(num: i128, den: i128) -> i64 {
    ((num * 2 + den) / (den * 2)) as i64
}

/// A month written 'YYYY-MM'.
pub fn parse_month(s: &str) -> Result<NaiveDate, AppError> {
    let bad = || AppError::bad_request("cloud_bill.month", "月份格式应为 YYYY-MM，如 2026-02");
    let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
    if y.len() != 4 || m.len() != 2 {
        return Err(bad());
    }
    let (y, m) = (
        y.parse::<i32>().map_err(|_| bad())?,
        m.parse::<u32>().map_err(|_| bad())?,
    );
    NaiveDate::from_ymd_opt(y, m, 1)
        .filter(|_| (2000..=2100).contains(&y))
        .ok_or_else(bad)
}

fn day(s: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| {
        tracing::error!(error = %e, value = s, "bad day in cloud resources");
        AppError::internal()
    })
}

fn fmt_day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

// ------------------------------------------------------------ permission

/// Whether `pr` settles for `settler` on `platform`: the city's cloud
/// managers for the city's part, the county's cloud managers for a
/// county's part (ZMDY-36: 市级……由政务云主管部门进行统一结算和支付。县(区)……由
/// 各县(区)政务服务和大数据管理局统一结算和支付). Each verifies what it pays.
pub(crate) fn may_settle<'a>(
    pr: &'a Principal,
    platform: &PlatformRow,
    settler_org_id: &str,
    settler_path: &str,
) -> Result<Authorized<'a>, AppError> {
    let role = if settler_org_id == platform.bureau_org_id {
        Role::CloudManager
    } else {
        Role::CountyCloudManager
    };
    let holds = pr
        .grants
        .iter()
        .any(|g| g.role == role && g.covers(settler_path));
    if !holds {
        return Err(AppError::forbidden(if role == Role::CloudManager {
            "市本级费用由市政务云主管部门核实和结算"
        } else {
            "县（区）费用由本县（区）政务云主管部门核实和结算"
        }));
    }
    pr.authorize(Action::CloudManage, settler_path)
}

/// The city's cloud managers of a platform (compute, send, evaluate).
pub(crate) fn may_manage_city<'a>(
    pr: &'a Principal,
    platform: &PlatformRow,
) -> Result<Authorized<'a>, AppError> {
    may_settle(pr, platform, &platform.bureau_org_id, &platform.bureau_path)
}

/// Whether `pr` sees the bills of `platform` at all: the city's managers,
/// or a county's whose scope lies in the platform's region.
pub(crate) fn sees_platform(pr: &Principal, platform: &PlatformRow) -> bool {
    pr.can(Action::CloudManage, &platform.bureau_path)
        || (pr.can_somewhere(Action::CloudManage)
            && pr.grants.iter().any(|g| {
                g.role == Role::CountyCloudManager
                    && yunwei_domain::org::is_within(&g.scope_path, &platform.region_path)
            }))
}

/// Whether `pr` sees the part of a bill settled by `settler_path`.
fn sees_part(pr: &Principal, platform: &PlatformRow, settler_path: &str) -> bool {
    pr.can(Action::CloudManage, &platform.bureau_path) || pr.can(Action::CloudManage, settler_path)
}

async fn platform_for(
    c: &mut DbConn,
    pr: &Principal,
    platform_id: &str,
) -> Result<PlatformRow, AppError> {
    yunwei_store::cloud::get_platform(c, platform_id)
        .await?
        .filter(|pl| sees_platform(pr, pl))
        .ok_or_else(|| AppError::not_found("政务云平台"))
}

/// The platforms whose bills `pr` sees.
pub async fn platforms(p: &Platform, pr: &Principal) -> Result<Vec<PlatformRow>, AppError> {
    pr.authorize_somewhere(Action::CloudManage)?;
    let mut c = p.db.read().await?;
    Ok(yunwei_store::cloud::platforms(&mut c)
        .await?
        .into_iter()
        .filter(|pl| sees_platform(pr, pl))
        .collect())
}

// --------------------------------------------------------------- compute

/// Why a month cannot be billed: an item in service without a price on
/// some of its days.
fn unpriced(item: &str, from: NaiveDate, to: NaiveDate) -> AppError {
    AppError::bad_request(
        "cloud_bill.unpriced",
        format!(
            "目录项「{item}」在 {} 至 {} 没有生效的单价，请先在服务目录中录入价格",
            fmt_day(from),
            fmt_day(to.pred_opt().unwrap_or(to))
        ),
    )
}

/// A price over its days `[from, to)` (to: none while in force).
#[derive(Clone, Copy)]
struct PriceDays {
    price_e4: i64,
    from: NaiveDate,
    to: Option<NaiveDate>,
}

/// A resource row read once and made ready for any month: days parsed,
/// its item's prices attached, payer decided by the pack's table
/// (SNYP-17), settling department chosen (ZMDY-36).
struct Ready<'a> {
    row: &'a store::BillableRow,
    from: NaiveDate,
    to: Option<NaiveDate>,
    prices: &'a [PriceDays],
    mode: ServiceMode,
    payer: Payer,
    settler: (&'a str, &'a str),
}

fn ready<'a>(
    rows: &'a [store::BillableRow],
    prices: &'a HashMap<String, Vec<PriceDays>>,
    platform: &'a PlatformRow,
    rules: &yunwei_domain::policy::cloud::CloudRules,
    settlers: &'a HashMap<String, String>,
) -> Result<Vec<Ready<'a>>, AppError> {
    rows.iter()
        .map(|s| {
            let level = UnitLevel::parse(&s.level).ok_or_else(AppError::internal)?;
            let funding = Funding::parse(&s.funding).ok_or_else(AppError::internal)?;
            let mode = ServiceMode::parse(&s.mode).ok_or_else(AppError::internal)?;
            let (payer, _) = payer(&rules.payers, level, funding, mode, s.local_finance_pays)
                .ok_or_else(|| {
                    tracing::error!(pack = %platform.pack_id, "payer table has a gap");
                    AppError::internal()
                })?;
            let settler = match (&s.county_bureau_org_id, level) {
                (Some(id), UnitLevel::County | UnitLevel::Park) => match settlers.get(id) {
                    Some(path) => (id.as_str(), path.as_str()),
                    None => (
                        platform.bureau_org_id.as_str(),
                        platform.bureau_path.as_str(),
                    ),
                },
                _ => (
                    platform.bureau_org_id.as_str(),
                    platform.bureau_path.as_str(),
                ),
            };
            Ok(Ready {
                row: s,
                from: day(&s.from_day)?,
                to: s.to_day.as_deref().map(day).transpose()?,
                prices: prices.get(&s.item_id).map(Vec::as_slice).unwrap_or(&[]),
                mode,
                payer,
                settler,
            })
        })
        .collect()
}

/// One line of a month before it becomes a row: the resource row at one
/// price, its days `[a, b)` inside the month and its amount.
struct Cut<'r, 'a> {
    r: &'r Ready<'a>,
    price_e4: i64,
    a: NaiveDate,
    b: NaiveDate,
    days: i64,
    amount_fen: i64,
}

/// The lines of the month starting `month`: each (row, price span) cut to
/// its days inside the month, prorated over the month's real length with
/// `prorate_integer`. Refuses a month with a day in service unpriced.
fn cuts<'r, 'a>(ready: &'r [Ready<'a>], month: NaiveDate) -> Result<Vec<Cut<'r, 'a>>, AppError> {
    let (start, end) = (month, next_month_start(month));
    let month_days = days_in_month(month.year(), month.month());
    let mut out = Vec::new();
    for r in ready {
        let from = r.from.max(start);
        let to = r.to.unwrap_or(end).min(end);
        if from >= to {
            continue;
        }
        // Days billed, to prove every day in service was priced.
        let mut covered = 0;
        for p in r.prices {
            let a = from.max(p.from);
            let b = to.min(p.to.unwrap_or(end));
            let days = (b - a).num_days();
            if days <= 0 {
                continue;
            }
            covered += days;
            out.push(Cut {
                r,
                price_e4: p.price_e4,
                a,
                b,
                days,
                amount_fen: prorate_integer(p.price_e4, r.row.quantity, days as u32, month_days),
            });
        }
        if covered < (to - from).num_days() {
            return Err(unpriced(&r.row.item_name, from, to));
        }
    }
    Ok(out)
}

/// The bill lines of the month starting `month` of run `run_id`.
fn lines_of(ready: &[Ready], run_id: &str, month: NaiveDate) -> Result<Vec<LineRow>, AppError> {
    let month_days = days_in_month(month.year(), month.month()) as i64;
    Ok(cuts(ready, month)?
        .into_iter()
        .map(|c| {
            let s = c.r.row;
            LineRow {
                id: new_id(),
                run_id: run_id.to_string(),
                unit_org_id: s.unit_org_id.clone(),
                unit_path: s.unit_path.clone(),
                settler_org_id: c.r.settler.0.to_string(),
                settler_path: c.r.settler.1.to_string(),
                system_id: s.system_id.clone(),
                resource_id: s.resource_id.clone(),
                item_id: s.item_id.clone(),
                mode: c.r.mode.as_str().into(),
                payer: c.r.payer.as_str().into(),
                quantity: s.quantity,
                from_day: fmt_day(c.a),
                to_day: fmt_day(c.b),
                days: c.days,
                month_days,
                price_e4: c.price_e4,
                amount_fen: c.amount_fen,
            }
        })
        .collect())
}

/// The amount a rate cut of `rate_bp` (0.01 %) takes off `base_fen`.
fn rate_amount(base_fen: i64, rate_bp: i64) -> i64 {
    div_round(base_fen as i128 * rate_bp as i128, 10_000)
}

/// The settling departments' paths of the county bureaus the rows name.
async fn settlers_of(
    c: &mut DbConn,
    rows: &[store::BillableRow],
) -> Result<HashMap<String, String>, AppError> {
    let mut settlers = HashMap::new();
    for s in rows {
        if let Some(id) = &s.county_bureau_org_id {
            if !settlers.contains_key(id) {
                if let Some(o) = orgs::get(c, id).await? {
                    settlers.insert(id.clone(), o.path);
                }
            }
        }
    }
    Ok(settlers)
}

/// Reads the resource rows and price spans of `[first, end)` once and
/// hands them, made ready, to `each`: a year of bills is two queries and
/// arithmetic in memory.
async fn with_ready<T>(
    c: &mut DbConn,
    platform: &PlatformRow,
    rules: &yunwei_domain::policy::cloud::CloudRules,
    first: NaiveDate,
    end: NaiveDate,
    each: impl FnOnce(&[Ready]) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let (first, end) = (fmt_day(first), fmt_day(end));
    let rows = store::billable_rows(c, &platform.id, &first, &end).await?;
    let mut prices: HashMap<String, Vec<PriceDays>> = HashMap::new();
    for p in store::price_spans(c, &platform.id, &first, &end).await? {
        prices
            .entry(p.item_id.clone())
            .or_default()
            .push(PriceDays {
                price_e4: p.price_e4,
                from: day(&p.from_day)?,
                to: p.to_day.as_deref().map(day).transpose()?,
            });
    }
    let settlers = settlers_of(c, &rows).await?;
    let ready = ready(&rows, &prices, platform, rules, &settlers)?;
    each(&ready)
}

/// The lines of a bill: stored once a part of it is verified (frozen),
/// else derived from the resource and price history, so a draft always
/// shows the data as it stands.
async fn run_lines(
    p: &Platform,
    c: &mut DbConn,
    platform: &PlatformRow,
    run: &RunRow,
) -> Result<Vec<LineRow>, AppError> {
    if run.state != DRAFT || !store::verifications(c, &run.id).await?.is_empty() {
        return store::lines(c, &run.id).await;
    }
    let rules = super::rules(p, platform)?;
    let m = parse_month(&run.month)?;
    with_ready(c, platform, rules, m, next_month_start(m), |ready| {
        lines_of(ready, &run.id, m)
    })
    .await
}

fn too_large() -> AppError {
    AppError::bad_request(
        "cloud_bill.too_large",
        "本月账单金额超出可结算范围，请核对服务目录单价和资源数量",
    )
}

/// A sum of amounts in 分 within the bill's bound.
fn bounded_sum(amounts: impl IntoIterator<Item = i64>) -> Result<i64, AppError> {
    amounts
        .into_iter()
        .try_fold(0i64, |a, x| a.checked_add(x))
        .filter(|t| *t <= MAX_BILL_FEN)
        .ok_or_else(too_large)
}

/// Whether a draft's lines still give the totals it was computed with.
fn is_current(run: &RunRow, lines: &[LineRow]) -> bool {
    run.line_count == lines.len() as i64
        && Some(run.lines_fen) == bounded_sum(lines.iter().map(|l| l.amount_fen)).ok()
}

/// Computes (or recomputes) the bill of `month` ('YYYY-MM') of a
/// platform. Only a month that has ended is billed; a verified or sent
/// bill is frozen.
pub async fn compute(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    platform_id: &str,
    month: &str,
) -> Result<RunRow, AppError> {
    let m = parse_month(month)?;
    let today = yunwei_domain::time::date_in_shanghai(p.clock.now());
    if next_month_start(m) > today {
        return Err(AppError::bad_request(
            "cloud_bill.month_open",
            "该月尚未结束，月末之后才能生成账单",
        ));
    }
    let mut runs = compute_months(p, ctx, pr, platform_id, &[m], false).await?;
    runs.pop().ok_or_else(AppError::internal)
}

/// What [`compute_year`] did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct YearReport {
    pub year: i32,
    /// The bills computed or recomputed, by month.
    pub runs: Vec<RunRow>,
    /// Months skipped because their bill is verified or sent (frozen).
    pub frozen: Vec<String>,
}

/// Computes (or recomputes) at once every ended month of `year` whose
/// bill is not frozen, for the annual settlement (ZMDY-36: 政务云服务费按
/// 年度结算): one read of the year's resources and prices.
pub async fn compute_year(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    platform_id: &str,
    year: i32,
) -> Result<YearReport, AppError> {
    let today = yunwei_domain::time::date_in_shanghai(p.clock.now());
    let months: Vec<NaiveDate> = (1..=12)
        .filter_map(|mo| NaiveDate::from_ymd_opt(year, mo, 1))
        .filter(|m| next_month_start(*m) <= today)
        .collect();
    if months.is_empty() || !(2000..=2999).contains(&year) {
        return Err(AppError::bad_request(
            "cloud_bill.year_open",
            "该年度还没有已结束的月份，月末之后才能生成账单",
        ));
    }
    let runs = compute_months(p, ctx, pr, platform_id, &months, true).await?;
    let done: Vec<&str> = runs.iter().map(|r| r.month.as_str()).collect();
    let frozen = months
        .iter()
        .map(|m| m.format("%Y-%m").to_string())
        .filter(|m| !done.contains(&m.as_str()))
        .collect();
    Ok(YearReport { year, runs, frozen })
}

/// Computes the bills of `months` in one transaction: the run of each
/// month with its totals (the lines of a draft are derived, not stored;
/// see [`run_lines`]), the reductions of an existing draft re-applied to
/// its lines, an audit record per month. A frozen month is refused, or
/// skipped when `skip_frozen`.
async fn compute_months(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    platform_id: &str,
    months: &[NaiveDate],
    skip_frozen: bool,
) -> Result<Vec<RunRow>, AppError> {
    in_tx!(p.db, |c| {
        let platform = platform_for(&mut c, pr, platform_id).await?;
        let auth = may_manage_city(pr, &platform)?;
        let rules = super::rules(p, &platform)?;
        // The months to compute with their run (existing drafts keep
        // their id and adjustments).
        let mut todo: Vec<(NaiveDate, Option<RunRow>)> = Vec::new();
        for m in months {
            let month = m.format("%Y-%m").to_string();
            let existing = store::run_of_month(&mut c, &platform.id, &month).await?;
            if let Some(r) = &existing {
                if r.state != DRAFT || !store::verifications(&mut c, &r.id).await?.is_empty() {
                    if skip_frozen {
                        continue;
                    }
                    return Err(AppError::conflict(
                        "cloud_bill.frozen",
                        "该月账单已核实，不能重新计算",
                    ));
                }
            }
            todo.push((*m, existing));
        }
        // The reductions of the drafts recomputed, read before the one
        // pass over the months' data.
        let mut adjustments = Vec::with_capacity(todo.len());
        for (_, existing) in &todo {
            adjustments.push(match existing {
                Some(r) => store::adjustments(&mut c, &r.id).await?,
                None => Vec::new(),
            });
        }
        let (Some(first), Some(last)) = (todo.first(), todo.last()) else {
            return Ok(Vec::new());
        };
        let (first, end) = (first.0, next_month_start(last.0));
        // Per month: lines, their sum, and each reduction's new amount
        // (rate cuts follow the lines they cover; reductions keep their
        // amount but never exceed what they reduce).
        let totals = with_ready(&mut c, &platform, rules, first, end, |ready| {
            todo.iter()
                .zip(&adjustments)
                .map(|((m, _), adjs)| {
                    let cuts = cuts(ready, *m)?;
                    let sum = bounded_sum(cuts.iter().map(|c| c.amount_fen))?;
                    let amounts: Vec<i64> = adjs
                        .iter()
                        .map(|a| {
                            let base: i64 = cuts
                                .iter()
                                .filter(|c| {
                                    c.r.row.unit_org_id == a.unit_org_id
                                        && c.r.payer.as_str() == a.payer
                                        && a.system_id
                                            .as_ref()
                                            .is_none_or(|s| *s == c.r.row.system_id)
                                })
                                .map(|c| c.amount_fen)
                                .sum();
                            match a.rate_bp {
                                Some(bp) if a.kind == RATE_CUT => rate_amount(base, bp),
                                _ => a.amount_fen.min(base),
                            }
                        })
                        .collect();
                    Ok((cuts.len() as i64, sum, amounts))
                })
                .collect::<Result<Vec<_>, AppError>>()
        })
        .await?;
        let now = p.now_us();
        let mut out = Vec::with_capacity(todo.len());
        for (((m, existing), adjs), (line_count, lines_fen, amounts)) in
            todo.iter().zip(&adjustments).zip(totals)
        {
            let month = m.format("%Y-%m").to_string();
            let mut run = RunRow {
                id: existing
                    .as_ref()
                    .map(|r| r.id.clone())
                    .unwrap_or_else(new_id),
                platform_id: platform.id.clone(),
                month: month.clone(),
                state: DRAFT.into(),
                computed_at: now,
                computed_by: pr.user_id.clone(),
                verified_by: None,
                verified_at: None,
                sent_by: None,
                sent_at: None,
                line_count,
                lines_fen,
                adjustments_fen: 0,
                total_fen: lines_fen,
                version: 1,
            };
            let mut adj_fen = 0;
            for (a, amount) in adjs.iter().zip(amounts) {
                if amount != a.amount_fen {
                    store::set_adjustment_amount(&mut c, &a.id, amount).await?;
                }
                adj_fen += amount;
            }
            run.adjustments_fen = adj_fen;
            run.total_fen = lines_fen - adj_fen;
            let before = match existing {
                Some(r) => {
                    // Lines a draft kept from before drafts were derived.
                    store::delete_lines(&mut c, &r.id).await?;
                    run.version = r.version;
                    if !store::update_run(&mut c, &run, r.version).await? {
                        return Err(changed());
                    }
                    run.version += 1;
                    format!("{} 行，合计 {} 元", r.line_count, format_fen(r.total_fen))
                }
                None => {
                    store::insert_run(&mut c, &run).await?;
                    String::new()
                }
            };
            record(
                p,
                &mut c,
                ctx,
                Actor::User(auth),
                Event::success("cloud_bill.compute", "cloud_bill", &run.id)
                    .before(before)
                    .after(format!(
                        "{} {} 账单：{} 行，合计 {} 元，核减 {} 元，应付 {} 元",
                        platform.name,
                        month,
                        run.line_count,
                        format_fen(lines_fen),
                        format_fen(adj_fen),
                        format_fen(run.total_fen)
                    )),
            )
            .await?;
            out.push(run);
        }
        Ok(out)
    })
}

fn stale() -> AppError {
    AppError::conflict(
        "cloud_bill.stale",
        "账单计算后资源或价格数据有变化，请先重新计算本月账单",
    )
}

fn changed() -> AppError {
    AppError::conflict("cloud_bill.changed", "该账单刚被他人处理，请刷新后重试")
}

// ---------------------------------------------------------- adjustments

/// A reduction of a draft bill.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct NewAdjustment {
    /// The unit whose lines it reduces.
    pub unit_org_id: String,
    /// One system of the unit only (empty: all its systems).
    #[serde(default)]
    pub system_id: String,
    /// Whose share it reduces: `city_finance`, `local_finance` or `unit`.
    pub payer: String,
    /// `reduction` (核减, SNYP-14) or `rate_cut` (费率下调, SNYP-18).
    pub kind: String,
    /// For `reduction`: the amount in 元 ("120.50").
    #[serde(default)]
    pub amount: String,
    /// For `rate_cut`: the percentage ("5", "2.5"), at most two decimals.
    #[serde(default)]
    pub rate: String,
    pub reason: String,
}

/// A percentage with at most two decimals, in (0, 100], as basis points.
pub fn parse_rate(s: &str) -> Result<i64, AppError> {
    let bad = || {
        AppError::bad_request(
            "cloud_bill.rate",
            "下调比例应为大于0、不超过100的百分数，最多两位小数，如 5 或 2.5",
        )
    };
    let t = s.trim().trim_end_matches(['%', '％']).trim();
    let d = Money::from_str_exact(t).map_err(|_| bad())?;
    if d.is_sign_negative() || d.is_zero() || d > Money::ONE_HUNDRED || d.normalize().scale() > 2 {
        return Err(bad());
    }
    let mut d = d;
    d.rescale(2);
    i64::try_from(d.mantissa()).map_err(|_| bad())
}

/// "5.25%" from basis points.
pub fn format_bp(bp: i64) -> String {
    let s = format!("{}.{:02}", bp / 100, bp % 100);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}%")
}

pub async fn adjust(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    run_id: &str,
    input: &NewAdjustment,
) -> Result<AdjustmentRow, AppError> {
    let reason = yunwei_domain::cmdb::clean_text(&input.reason, "核减理由", 500, true)?;
    let payer_v = Payer::parse(input.payer.trim())
        .ok_or_else(|| AppError::bad_request("cloud_bill.payer", "请选择承担方"))?;
    let (kind, amount_in, rate_bp) = match input.kind.trim() {
        REDUCTION => (
            REDUCTION,
            Some(
                parse_amount(&input.amount)
                    .map_err(|e| AppError::bad_request("cloud_bill.amount", e.message()))?,
            ),
            None,
        ),
        RATE_CUT => (RATE_CUT, None, Some(parse_rate(&input.rate)?)),
        _ => {
            return Err(AppError::bad_request(
                "cloud_bill.kind",
                "请选择核减或费率下调",
            ))
        }
    };
    let system_id = Some(input.system_id.trim().to_string()).filter(|s| !s.is_empty());
    in_tx!(p.db, |c| {
        let run = store::get_run(&mut c, run_id)
            .await?
            .ok_or_else(not_found)?;
        let platform = platform_for(&mut c, pr, &run.platform_id).await?;
        if run.state != DRAFT {
            return Err(AppError::conflict(
                "cloud_bill.frozen",
                "账单已核实，不能再核减",
            ));
        }
        let lines = run_lines(p, &mut c, &platform, &run).await?;
        if !is_current(&run, &lines) {
            return Err(stale());
        }
        let unit_lines: Vec<&LineRow> = lines
            .iter()
            .filter(|l| {
                l.unit_org_id == input.unit_org_id.trim()
                    && l.payer == payer_v.as_str()
                    && system_id.as_ref().is_none_or(|s| *s == l.system_id)
            })
            .collect();
        let Some(first) = unit_lines.first() else {
            return Err(AppError::bad_request(
                "cloud_bill.no_lines",
                "该单位在本月账单中没有由所选承担方支付的费用",
            ));
        };
        let auth = may_settle(pr, &platform, &first.settler_org_id, &first.settler_path)?;
        let verified = store::verifications(&mut c, &run.id).await?;
        if verified
            .iter()
            .any(|v| v.settler_org_id == first.settler_org_id)
        {
            return Err(AppError::conflict(
                "cloud_bill.frozen",
                "这部分账单已核实，不能再核减",
            ));
        }
        let base: i64 = unit_lines.iter().map(|l| l.amount_fen).sum();
        let existing = store::adjustments(&mut c, &run.id).await?;
        let already: i64 = existing
            .iter()
            .filter(|a| a.unit_org_id == first.unit_org_id && a.payer == payer_v.as_str())
            .map(|a| a.amount_fen)
            .sum();
        let unit_base: i64 = lines
            .iter()
            .filter(|l| l.unit_org_id == first.unit_org_id && l.payer == payer_v.as_str())
            .map(|l| l.amount_fen)
            .sum();
        let amount = match (amount_in, rate_bp) {
            (Some(a), _) => a,
            (None, Some(bp)) => rate_amount(base, bp),
            _ => 0,
        };
        if amount <= 0 {
            return Err(AppError::bad_request(
                "cloud_bill.amount",
                "核减金额应大于0",
            ));
        }
        if already + amount > unit_base {
            return Err(AppError::bad_request(
                "cloud_bill.too_much",
                format!(
                    "核减合计不能超过该单位本月应付的 {} 元（已核减 {} 元）",
                    format_fen(unit_base),
                    format_fen(already)
                ),
            ));
        }
        let a = AdjustmentRow {
            id: new_id(),
            run_id: run.id.clone(),
            unit_org_id: first.unit_org_id.clone(),
            unit_path: first.unit_path.clone(),
            settler_org_id: first.settler_org_id.clone(),
            system_id: system_id.clone(),
            payer: payer_v.as_str().into(),
            kind: kind.into(),
            rate_bp,
            amount_fen: amount,
            reason: reason.clone(),
            created_by: pr.user_id.clone(),
            created_at: p.now_us(),
        };
        store::insert_adjustment(&mut c, &a).await?;
        let mut next = run.clone();
        next.adjustments_fen += amount;
        next.total_fen -= amount;
        if !store::update_run(&mut c, &next, run.version).await? {
            return Err(changed());
        }
        let unit_name = orgs::get(&mut c, &a.unit_org_id)
            .await?
            .map(|o| o.name)
            .unwrap_or_default();
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cloud_bill.adjust", "cloud_bill", &run.id)
                .after(format!(
                    "{} {}（{}）{}{} 元",
                    run.month,
                    unit_name,
                    payer_v.label(),
                    kind_label(kind),
                    match rate_bp {
                        Some(bp) => format!(" {} 计 ", format_bp(bp)),
                        None => " ".into(),
                    } + &format_fen(amount)
                ))
                .reason(reason.clone()),
        )
        .await?;
        Ok(a)
    })
}

// ------------------------------------------------------------- verify

/// The parts of a run: the settlers of its lines, the city's first; a
/// run without lines has the city's part only.
fn parts(platform: &PlatformRow, lines: &[LineRow]) -> Vec<(String, String)> {
    let mut m: BTreeMap<String, String> = BTreeMap::new();
    for l in lines {
        m.entry(l.settler_org_id.clone())
            .or_insert_with(|| l.settler_path.clone());
    }
    let mut out = vec![(platform.bureau_org_id.clone(), platform.bureau_path.clone())];
    m.remove(&platform.bureau_org_id);
    out.extend(m);
    out
}

/// Verifies the part of a bill that `settler_org_id` settles (empty: the
/// city's). When every part is verified the bill is verified. Exactly one
/// of two people verifying at once succeeds.
pub async fn verify(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    run_id: &str,
    settler_org_id: &str,
) -> Result<RunRow, AppError> {
    in_tx!(p.db, |c| {
        let run = store::get_run(&mut c, run_id)
            .await?
            .ok_or_else(not_found)?;
        let platform = platform_for(&mut c, pr, &run.platform_id).await?;
        let lines = run_lines(p, &mut c, &platform, &run).await?;
        let all = parts(&platform, &lines);
        let settler = if settler_org_id.trim().is_empty() {
            platform.bureau_org_id.as_str()
        } else {
            settler_org_id.trim()
        };
        let Some((sid, spath)) = all.iter().find(|(id, _)| id == settler) else {
            return Err(AppError::bad_request(
                "cloud_bill.part",
                "该账单中没有这一结算部门的费用",
            ));
        };
        let auth = may_settle(pr, &platform, sid, spath)?;
        if run.state != DRAFT {
            return Err(AppError::conflict("cloud_bill.verified", "该账单已核实"));
        }
        let done = store::verifications(&mut c, &run.id).await?;
        if done.iter().any(|v| &v.settler_org_id == sid) {
            return Err(AppError::conflict(
                "cloud_bill.verified",
                "这部分账单已由他人核实",
            ));
        }
        // The first verification freezes the lines the draft derived:
        // from now on the bill is what was verified, whatever the data
        // does later. A draft whose data moved since it was computed is
        // recomputed first, so nobody verifies figures they did not see.
        if done.is_empty() {
            if !is_current(&run, &lines) {
                return Err(stale());
            }
            // A draft computed before drafts were derived kept its lines:
            // they give way to the ones verified.
            store::delete_lines(&mut c, &run.id).await?;
            store::insert_lines(&mut c, &lines).await?;
        }
        let adjs = store::adjustments(&mut c, &run.id).await?;
        let part_fen: i64 = lines
            .iter()
            .filter(|l| &l.settler_org_id == sid)
            .map(|l| l.amount_fen)
            .sum::<i64>()
            - adjs
                .iter()
                .filter(|a| &a.settler_org_id == sid)
                .map(|a| a.amount_fen)
                .sum::<i64>();
        let now = p.now_us();
        let mut next = run.clone();
        if done.len() + 1 == all.len() {
            next.state = VERIFIED.into();
            next.verified_by = Some(pr.user_id.clone());
            next.verified_at = Some(now);
        }
        // The version check serialises two verifiers: the second one's
        // update finds the version moved and fails.
        if !store::update_run(&mut c, &next, run.version).await? {
            return Err(changed());
        }
        store::insert_verification(
            &mut c,
            &VerificationRow {
                id: new_id(),
                run_id: run.id.clone(),
                settler_org_id: sid.clone(),
                settler_path: spath.clone(),
                total_fen: part_fen,
                verified_by: pr.user_id.clone(),
                verified_at: now,
            },
        )
        .await?;
        let name = orgs::get(&mut c, sid)
            .await?
            .map(|o| o.name)
            .unwrap_or_default();
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cloud_bill.verify", "cloud_bill", &run.id).after(format!(
                "核实 {} {} 结算部分：{} 元{}",
                run.month,
                name,
                format_fen(part_fen),
                if next.state == VERIFIED {
                    "；全部核实"
                } else {
                    ""
                }
            )),
        )
        .await?;
        next.version = run.version + 1;
        Ok(next)
    })
}

/// Reports a verified bill to finance (SNYP-6: 核实云服务费用账单，并将审核结果
/// 报市财政局作为资金拨付的依据): the bill becomes `sent`; its Excel and PDF
/// statement are the attachments.
pub async fn send(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    run_id: &str,
) -> Result<RunRow, AppError> {
    in_tx!(p.db, |c| {
        let run = store::get_run(&mut c, run_id)
            .await?
            .ok_or_else(not_found)?;
        let platform = platform_for(&mut c, pr, &run.platform_id).await?;
        let auth = may_manage_city(pr, &platform)?;
        if run.state != VERIFIED {
            return Err(AppError::conflict(
                "cloud_bill.not_verified",
                if run.state == SENT {
                    "该账单已报送财政"
                } else {
                    "账单全部核实后才能报送财政"
                },
            ));
        }
        let mut next = run.clone();
        next.state = SENT.into();
        next.sent_by = Some(pr.user_id.clone());
        next.sent_at = Some(p.now_us());
        if !store::update_run(&mut c, &next, run.version).await? {
            return Err(changed());
        }
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cloud_bill.send", "cloud_bill", &run.id).after(format!(
                "{} {} 账单报送财政：应付 {} 元",
                platform.name,
                run.month,
                format_fen(run.total_fen)
            )),
        )
        .await?;
        next.version = run.version + 1;
        Ok(next)
    })
}

// ---------------------------------------------------------------- read

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LineView {
    #[serde(flatten)]
    pub line: LineRow,
    pub system_name: String,
    pub item_name: String,
    pub item_unit: String,
    pub mode_label: &'static str,
    pub price: String,
    pub amount: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnitGroup {
    pub unit_org_id: String,
    pub unit_name: String,
    pub lines: Vec<LineView>,
    pub lines_fen: i64,
    pub adjustments_fen: i64,
    pub total_fen: i64,
    pub lines_amount: String,
    pub adjustments: String,
    pub total: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PayerGroup {
    pub payer: String,
    pub payer_label: &'static str,
    pub units: Vec<UnitGroup>,
    pub lines_fen: i64,
    pub adjustments_fen: i64,
    pub total_fen: i64,
    pub adjustments: String,
    pub total: String,
}

/// The part of a bill one department settles.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Part {
    pub settler_org_id: String,
    pub settler_name: String,
    pub payers: Vec<PayerGroup>,
    pub total_fen: i64,
    pub total: String,
    pub verified_by: Option<String>,
    pub verified_at: Option<i64>,
    pub can_verify: bool,
    pub can_adjust: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AdjustmentView {
    #[serde(flatten)]
    pub adjustment: AdjustmentRow,
    pub unit_name: String,
    pub kind_label: &'static str,
    pub payer_label: &'static str,
    pub rate: String,
    pub amount: String,
    pub by_name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RunView {
    #[serde(flatten)]
    pub run: RunRow,
    pub platform_name: String,
    pub state_label: &'static str,
    /// The parts the caller sees (all of them for the city's managers).
    pub parts: Vec<Part>,
    pub adjustments: Vec<AdjustmentView>,
    /// Totals by payer over the parts the caller sees.
    pub by_payer: Vec<(String, String)>,
    pub lines_fen: i64,
    pub adjustments_fen: i64,
    pub total_fen: i64,
    pub lines_amount: String,
    pub adjustments_amount: String,
    pub total: String,
    pub can_compute: bool,
    pub can_send: bool,
    pub can_export: bool,
    /// A draft whose resources or prices changed since it was computed:
    /// it must be recomputed before it is verified or reduced.
    pub stale: bool,
}

async fn names(
    c: &mut DbConn,
    table: &'static str,
    platform_id: &str,
) -> Result<HashMap<String, (String, String)>, AppError> {
    store::names(c, table, platform_id).await
}

async fn user_names(
    c: &mut DbConn,
    ids: impl Iterator<Item = String>,
) -> Result<HashMap<String, String>, AppError> {
    let mut out = HashMap::new();
    for id in ids {
        if out.contains_key(&id) {
            continue;
        }
        let n = yunwei_store::users::get(c, &id)
            .await?
            .map(|u| u.display_name)
            .unwrap_or_default();
        out.insert(id, n);
    }
    Ok(out)
}

/// A bill with the lines the caller sees, grouped by settling department,
/// payer and unit, with totals after reductions.
pub async fn get(p: &Platform, pr: &Principal, run_id: &str) -> Result<RunView, AppError> {
    pr.authorize_somewhere(Action::CloudManage)?;
    let mut c = p.db.read().await?;
    let run = store::get_run(&mut c, run_id)
        .await?
        .ok_or_else(not_found)?;
    let platform = yunwei_store::cloud::get_platform(&mut c, &run.platform_id)
        .await?
        .filter(|pl| sees_platform(pr, pl))
        .ok_or_else(not_found)?;
    view(p, &mut c, pr, &platform, run).await
}

/// The bill of a month, if computed.
pub async fn of_month(
    p: &Platform,
    pr: &Principal,
    platform_id: &str,
    month: &str,
) -> Result<Option<RunView>, AppError> {
    pr.authorize_somewhere(Action::CloudManage)?;
    let m = parse_month(month)?.format("%Y-%m").to_string();
    let mut c = p.db.read().await?;
    let platform = platform_for(&mut c, pr, platform_id).await?;
    match store::run_of_month(&mut c, &platform.id, &m).await? {
        Some(run) => Ok(Some(view(p, &mut c, pr, &platform, run).await?)),
        None => Ok(None),
    }
}

async fn view(
    p: &Platform,
    c: &mut DbConn,
    pr: &Principal,
    platform: &PlatformRow,
    run: RunRow,
) -> Result<RunView, AppError> {
    let lines = run_lines(p, c, platform, &run).await?;
    let stale = run.state == DRAFT && !is_current(&run, &lines);
    let all_parts = parts(platform, &lines);
    let whole = all_parts.len();
    let visible: Vec<(String, String)> = all_parts
        .into_iter()
        .filter(|(_, path)| sees_part(pr, platform, path))
        .collect();
    if visible.is_empty() {
        return Err(not_found());
    }
    let adjs = store::adjustments(c, &run.id).await?;
    let verifs = store::verifications(c, &run.id).await?;
    let systems = names(c, "cloud_systems", &platform.id).await?;
    let items = names(c, "cloud_catalogue_items", &platform.id).await?;
    let org_names = crate::kernel::due::org_names(
        c,
        lines
            .iter()
            .map(|l| &l.unit_org_id)
            .chain(visible.iter().map(|(id, _)| id))
            .chain(adjs.iter().map(|a| &a.unit_org_id)),
    )
    .await?;
    let users = user_names(
        c,
        verifs
            .iter()
            .map(|v| v.verified_by.clone())
            .chain(adjs.iter().map(|a| a.created_by.clone())),
    )
    .await?;
    let mut out_parts = Vec::new();
    let mut by_payer: BTreeMap<&'static str, i64> = BTreeMap::new();
    for (sid, spath) in &visible {
        let mut payers = Vec::new();
        for py in Payer::ALL {
            let mut units: BTreeMap<String, UnitGroup> = BTreeMap::new();
            for l in lines
                .iter()
                .filter(|l| &l.settler_org_id == sid && l.payer == py.as_str())
            {
                let g = units
                    .entry(l.unit_path.clone())
                    .or_insert_with(|| UnitGroup {
                        unit_org_id: l.unit_org_id.clone(),
                        unit_name: org_names.get(&l.unit_org_id).cloned().unwrap_or_default(),
                        lines: Vec::new(),
                        lines_fen: 0,
                        adjustments_fen: 0,
                        total_fen: 0,
                        lines_amount: String::new(),
                        adjustments: String::new(),
                        total: String::new(),
                    });
                g.lines_fen += l.amount_fen;
                let (item_name, item_unit) = items.get(&l.item_id).cloned().unwrap_or_default();
                g.lines.push(LineView {
                    system_name: systems
                        .get(&l.system_id)
                        .map(|s| s.0.clone())
                        .unwrap_or_default(),
                    item_name,
                    item_unit,
                    mode_label: ServiceMode::parse(&l.mode).map(|m| m.label()).unwrap_or(""),
                    price: format_unit_price(l.price_e4),
                    amount: format_fen(l.amount_fen),
                    line: l.clone(),
                });
            }
            for a in adjs
                .iter()
                .filter(|a| &a.settler_org_id == sid && a.payer == py.as_str())
            {
                if let Some(g) = units.get_mut(&a.unit_path) {
                    g.adjustments_fen += a.amount_fen;
                }
            }
            if units.is_empty() {
                continue;
            }
            let mut units: Vec<UnitGroup> = units.into_values().collect();
            for u in &mut units {
                u.total_fen = u.lines_fen - u.adjustments_fen;
                u.total = format_fen(u.total_fen);
                u.lines_amount = format_fen(u.lines_fen);
                u.adjustments = format_fen(u.adjustments_fen);
            }
            let lines_fen = units.iter().map(|u| u.lines_fen).sum();
            let adjustments_fen = units.iter().map(|u| u.adjustments_fen).sum();
            let total_fen = lines_fen - adjustments_fen;
            *by_payer.entry(py.label()).or_default() += total_fen;
            payers.push(PayerGroup {
                payer: py.as_str().into(),
                payer_label: py.label(),
                units,
                lines_fen,
                adjustments_fen,
                total_fen,
                adjustments: format_fen(adjustments_fen),
                total: format_fen(total_fen),
            });
        }
        let total_fen = payers.iter().map(|g| g.total_fen).sum();
        let v = verifs.iter().find(|v| &v.settler_org_id == sid);
        let can = may_settle(pr, platform, sid, spath).is_ok();
        out_parts.push(Part {
            settler_org_id: sid.clone(),
            settler_name: org_names.get(sid).cloned().unwrap_or_default(),
            payers,
            total_fen,
            total: format_fen(total_fen),
            verified_by: v.map(|v| users.get(&v.verified_by).cloned().unwrap_or_default()),
            verified_at: v.map(|v| v.verified_at),
            can_verify: can && v.is_none() && run.state == DRAFT,
            can_adjust: can && v.is_none() && run.state == DRAFT,
        });
    }
    let adjustments: Vec<AdjustmentView> = adjs
        .iter()
        .filter(|a| visible.iter().any(|(id, _)| *id == a.settler_org_id))
        .map(|a| AdjustmentView {
            unit_name: org_names.get(&a.unit_org_id).cloned().unwrap_or_default(),
            kind_label: kind_label(&a.kind),
            payer_label: Payer::parse(&a.payer).map(|p| p.label()).unwrap_or(""),
            rate: a.rate_bp.map(format_bp).unwrap_or_default(),
            amount: format_fen(a.amount_fen),
            by_name: users.get(&a.created_by).cloned().unwrap_or_default(),
            adjustment: a.clone(),
        })
        .collect();
    let lines_fen: i64 = out_parts
        .iter()
        .flat_map(|p| p.payers.iter())
        .map(|g| g.lines_fen)
        .sum();
    let adjustments_fen: i64 = adjustments.iter().map(|a| a.adjustment.amount_fen).sum();
    let total_fen = lines_fen - adjustments_fen;
    let city = may_manage_city(pr, platform).is_ok();
    // The run's own figures are the whole bill's: who sees only some parts
    // (a county's managers, ZMDY-36) gets those of the parts they see.
    let mut run = run;
    if visible.len() < whole {
        run.line_count = lines
            .iter()
            .filter(|l| visible.iter().any(|(id, _)| *id == l.settler_org_id))
            .count() as i64;
        run.lines_fen = lines_fen;
        run.adjustments_fen = adjustments_fen;
        run.total_fen = total_fen;
    }
    Ok(RunView {
        platform_name: platform.name.clone(),
        state_label: state_label(&run.state),
        parts: out_parts,
        adjustments,
        by_payer: by_payer
            .into_iter()
            .map(|(k, v)| (k.to_string(), format_fen(v)))
            .collect(),
        lines_fen,
        adjustments_fen,
        total_fen,
        lines_amount: format_fen(lines_fen),
        adjustments_amount: format_fen(adjustments_fen),
        total: format_fen(total_fen),
        can_compute: city && run.state == DRAFT && verifs.is_empty(),
        can_send: city && run.state == VERIFIED,
        can_export: run.state != DRAFT,
        stale,
        run,
    })
}

/// One month's bill in the list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RunSummary {
    pub id: String,
    pub month: String,
    pub state: String,
    pub state_label: &'static str,
    pub line_count: i64,
    /// 分, after reductions; for the city's managers only (a county's
    /// open the bill to see their part).
    pub total_fen: Option<i64>,
    pub total: String,
}

/// The bills of a platform (latest month first) the caller sees.
pub async fn runs(
    p: &Platform,
    pr: &Principal,
    platform_id: &str,
) -> Result<Vec<RunSummary>, AppError> {
    pr.authorize_somewhere(Action::CloudManage)?;
    let mut c = p.db.read().await?;
    let platform = platform_for(&mut c, pr, platform_id).await?;
    let city = pr.can(Action::CloudManage, &platform.bureau_path);
    Ok(store::runs(&mut c, &platform.id)
        .await?
        .into_iter()
        .map(|r| RunSummary {
            state_label: state_label(&r.state),
            total: if city {
                format_fen(r.total_fen)
            } else {
                "—".into()
            },
            total_fen: city.then_some(r.total_fen),
            id: r.id,
            month: r.month,
            state: r.state,
            line_count: r.line_count,
        })
        .collect())
}

/// The platforms whose bills the caller sees, as (id, name).
pub async fn platform_choices(
    p: &Platform,
    pr: &Principal,
) -> Result<Vec<(String, String)>, AppError> {
    Ok(platforms(p, pr)
        .await?
        .into_iter()
        .map(|pl| (pl.id, pl.name))
        .collect())
}

/// The platforms whose evaluation and annual settlement the caller keeps:
/// the city's managers only (a county's managers verify their county's
/// bills but neither score the vendors nor settle the year).
pub async fn city_platform_choices(
    p: &Platform,
    pr: &Principal,
) -> Result<Vec<(String, String)>, AppError> {
    Ok(platforms(p, pr)
        .await?
        .into_iter()
        .filter(|pl| may_manage_city(pr, pl).is_ok())
        .map(|pl| (pl.id, pl.name))
        .collect())
}

// ------------------------------------------------------------ exports

fn statement_rows(v: &RunView) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for part in &v.parts {
        for g in &part.payers {
            for u in &g.units {
                for l in &u.lines {
                    rows.push(vec![
                        part.settler_name.clone(),
                        g.payer_label.to_string(),
                        u.unit_name.clone(),
                        l.system_name.clone(),
                        l.item_name.clone(),
                        l.mode_label.to_string(),
                        l.line.quantity.to_string(),
                        format!("{} 至 {}", l.line.from_day, last_day(&l.line.to_day)),
                        format!("{}/{}", l.line.days, l.line.month_days),
                        l.price.clone(),
                        l.amount.clone(),
                    ]);
                }
                if u.adjustments_fen > 0 {
                    rows.push(vec![
                        part.settler_name.clone(),
                        g.payer_label.to_string(),
                        u.unit_name.clone(),
                        String::new(),
                        "核减及费率下调".into(),
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                        format!("-{}", format_fen(u.adjustments_fen)),
                    ]);
                }
            }
            rows.push(vec![
                part.settler_name.clone(),
                format!("{} 小计", g.payer_label),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                g.total.clone(),
            ]);
        }
    }
    rows
}

fn last_day(to_day: &str) -> String {
    NaiveDate::parse_from_str(to_day, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.pred_opt())
        .map(fmt_day)
        .unwrap_or_default()
}

const HEADINGS: [&str; 11] = [
    "结算部门",
    "承担方",
    "使用单位",
    "上云系统",
    "服务目录项",
    "服务方式",
    "数量",
    "计费期间",
    "计费天数/当月天数",
    "单价（元/月）",
    "金额（元）",
];

async fn exportable(p: &Platform, pr: &Principal, run_id: &str) -> Result<RunView, AppError> {
    let v = get(p, pr, run_id).await?;
    if v.run.state == DRAFT {
        return Err(AppError::conflict(
            "cloud_bill.not_verified",
            "账单核实后才能导出报送",
        ));
    }
    Ok(v)
}

/// The verified bill as an Excel sheet (one row per line, reductions and
/// subtotals by payer), audited.
pub async fn excel(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    run_id: &str,
) -> Result<Vec<u8>, AppError> {
    let v = exportable(p, pr, run_id).await?;
    let auth = pr.authorize_somewhere(Action::CloudManage)?;
    let mut rows = statement_rows(&v);
    for (payer, total) in &v.by_payer {
        let mut r = vec![String::new(); HEADINGS.len()];
        r[1] = format!("{payer} 合计");
        r[10] = total.clone();
        rows.push(r);
    }
    let mut r = vec![String::new(); HEADINGS.len()];
    r[1] = "总计".into();
    r[10] = v.total.clone();
    rows.push(r);
    let bytes = crate::kernel::export::table_xlsx(
        &format!("{}云服务费用账单", v.run.month),
        &pr.display_name,
        p.clock.now(),
        &HEADINGS,
        &rows,
    )?;
    in_tx!(p.db, |c| {
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cloud_bill.export", "cloud_bill", &v.run.id).after(format!(
                "导出 {} {} 账单 Excel：{} 行，应付 {} 元",
                v.platform_name, v.run.month, v.run.line_count, v.total
            )),
        )
        .await?;
        Ok(())
    })?;
    Ok(bytes)
}

/// The printable statement of a verified bill: totals by payer and by
/// unit, reductions with their reasons, the verifications, signatures.
pub async fn pdf(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    run_id: &str,
) -> Result<Vec<u8>, AppError> {
    use crate::kernel::pdf::{col, PdfDoc};
    let v = exportable(p, pr, run_id).await?;
    let auth = pr.authorize_somewhere(Action::CloudManage)?;
    let title = format!("{} {} 云服务费用结算单", v.platform_name, v.run.month);
    let mut doc = PdfDoc::new(&p.pdf_font, &title, &title)?;
    doc.heading_title(&title);
    doc.note(
        "金额 = 目录单价 × 数量 × 计费天数 ÷ 当月实际天数，逐行四舍五入到分；单价按每日生效的目录价格。",
    );
    doc.fields(&[
        ("账单状态".into(), v.state_label.to_string()),
        ("计费金额".into(), format!("{} 元", format_fen(v.lines_fen))),
        (
            "核减及费率下调".into(),
            format!("{} 元", format_fen(v.adjustments_fen)),
        ),
        ("应付合计".into(), format!("{} 元", v.total)),
    ]);
    doc.heading("按承担方");
    let payer_rows: Vec<Vec<String>> = v
        .by_payer
        .iter()
        .map(|(k, t)| vec![k.clone(), t.clone()])
        .collect();
    doc.table(&[col("承担方", 0.6), col("应付（元）", 0.4)], &payer_rows);
    doc.heading("按单位");
    let mut unit_rows = Vec::new();
    for part in &v.parts {
        for g in &part.payers {
            for u in &g.units {
                unit_rows.push(vec![
                    part.settler_name.clone(),
                    g.payer_label.to_string(),
                    u.unit_name.clone(),
                    format_fen(u.lines_fen),
                    format_fen(u.adjustments_fen),
                    u.total.clone(),
                ]);
            }
        }
    }
    doc.table(
        &[
            col("结算部门", 0.18),
            col("承担方", 0.2),
            col("使用单位", 0.22),
            col("计费（元）", 0.14),
            col("核减（元）", 0.12),
            col("应付（元）", 0.14),
        ],
        &unit_rows,
    );
    if !v.adjustments.is_empty() {
        doc.heading("核减及费率下调");
        let rows: Vec<Vec<String>> = v
            .adjustments
            .iter()
            .map(|a| {
                vec![
                    a.unit_name.clone(),
                    a.kind_label.to_string(),
                    a.rate.clone(),
                    a.amount.clone(),
                    a.adjustment.reason.clone(),
                ]
            })
            .collect();
        doc.table(
            &[
                col("使用单位", 0.2),
                col("类型", 0.18),
                col("比例", 0.1),
                col("金额（元）", 0.14),
                col("理由", 0.38),
            ],
            &rows,
        );
    }
    doc.heading("核实");
    let ver: Vec<(String, String)> = v
        .parts
        .iter()
        .map(|pt| {
            (
                pt.settler_name.clone(),
                match (&pt.verified_by, pt.verified_at) {
                    (Some(n), Some(at)) => {
                        format!("{n} 于 {} 核实", crate::kernel::export::fmt_us(at))
                    }
                    _ => "未核实".into(),
                },
            )
        })
        .collect();
    doc.fields(&ver);
    doc.signatures(&["经办人", "审核人", "政务云主管部门（盖章）", "日期"]);
    let bytes = doc.finish(&pr.display_name, p.clock.now())?;
    in_tx!(p.db, |c| {
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cloud_bill.pdf", "cloud_bill", &v.run.id).after(format!(
                "下载 {} {} 云服务费用结算单 PDF",
                v.platform_name, v.run.month
            )),
        )
        .await?;
        Ok(())
    })?;
    Ok(bytes)
}
