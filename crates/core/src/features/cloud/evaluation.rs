//! Quarterly evaluation of the cloud provider and the monitoring provider
//! and the annual settlement it feeds (ZMDY-36, ZMDY-39, SNYP-35; ADR
//! 0016).
//!
//! - The indicators are the pack's (`[evaluation]` of `cloud.toml`:
//!   ZMDY-39 技术保障能力、云资源使用率、安全状况、服务响应、服务满意度、服务质量;
//!   SNYP-35 服务响应、服务满意度、保密情况、保障情况和服务质量). Their weights and
//!   the score-to-deduction bands are the contract's: the bureau enters
//!   them per platform and vendor role ([`set_scheme`]).
//! - A quarter's evaluation scores each indicator 0–100 (exact, at most
//!   one decimal); the weighted total picks the band; the bureau confirms
//!   it ([`save`], [`confirm`]).
//! - The annual settlement ([`settlement`]) adds up, per payer, the year's
//!   bills reported to finance, and takes off per quarter that quarter's
//!   billed amount × the provider's confirmed deduction percentage,
//!   rounded to the 分 half away from zero (ZMDY-39: 考评结果作为服务费用结算
//!   的重要依据; SNYP-35: 将监督结果与年度结算挂钩). The monitoring provider's
//!   fee is not in the units' bills: its deduction is shown for its own
//!   contract.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use yunwei_domain::cloud::{format_fen, Money, Payer};
use yunwei_domain::ids::new_id;
use yunwei_domain::policy::cloud::Indicator;
use yunwei_domain::roles::Action;
use yunwei_domain::AppError;
use yunwei_store::cloud::PlatformRow;
use yunwei_store::cloud_billing::{self as store, EvaluationRow, SchemeRow, SettlementRow};
use yunwei_store::{in_tx, DbConn};

use super::billing::{div_round, format_bp, may_manage_city, parse_rate};
use crate::kernel::audit::{record, Actor, Event};
use crate::{Ctx, Platform, Principal};

pub const PROVIDER: &str = "provider";
pub const MONITOR: &str = "monitor";

pub fn vendor_role_label(r: &str) -> &'static str {
    match r {
        PROVIDER => "云服务商",
        MONITOR => "云监管服务商",
        _ => "其他",
    }
}

fn check_role(r: &str) -> Result<&'static str, AppError> {
    match r.trim() {
        PROVIDER => Ok(PROVIDER),
        MONITOR => Ok(MONITOR),
        _ => Err(AppError::bad_request(
            "cloud_eval.role",
            "请选择云服务商或云监管服务商",
        )),
    }
}

/// 'YYYY-Qn' → (year, n).
pub fn parse_quarter(s: &str) -> Result<(i32, u32), AppError> {
    let bad = || AppError::bad_request("cloud_eval.quarter", "季度格式应为 YYYY-Qn，如 2026-Q1");
    let (y, q) = s.trim().split_once("-Q").ok_or_else(bad)?;
    let y: i32 = y.parse().map_err(|_| bad())?;
    let q: u32 = q.parse().map_err(|_| bad())?;
    if !(2000..=2100).contains(&y) || !(1..=4).contains(&q) {
        return Err(bad());
    }
    Ok((y, q))
}

/// A score 0–100 with at most one decimal, in tenths.
pub fn parse_score(s: &str) -> Result<i64, AppError> {
    let bad = || {
        AppError::bad_request(
            "cloud_eval.score",
            "得分应为 0 到 100 之间的数，最多一位小数",
        )
    };
    let d = Money::from_str_exact(s.trim()).map_err(|_| bad())?;
    if d.is_sign_negative() || d > Money::ONE_HUNDRED || d.normalize().scale() > 1 {
        return Err(bad());
    }
    let mut d = d;
    d.rescale(1);
    i64::try_from(d.mantissa()).map_err(|_| bad())
}

/// Tenths as "95.5".
pub fn format_tenths(t: i64) -> String {
    format!("{}.{}", t / 10, t % 10)
}

/// Thousandths as "92.35" (trailing zeros trimmed, one decimal at least).
pub fn format_milli(m: i64) -> String {
    let s = format!("{}.{:03}", m / 1000, m % 1000);
    let s = s.trim_end_matches('0');
    if s.ends_with('.') {
        format!("{s}0")
    } else {
        s.to_string()
    }
}

fn indicators<'a>(p: &'a Platform, platform: &PlatformRow) -> Result<&'a [Indicator], AppError> {
    let rules = super::rules(p, platform)?;
    if rules.indicators.is_empty() {
        return Err(AppError::bad_request(
            "cloud_eval.no_indicators",
            "本平台适用的制度未列出考评指标",
        ));
    }
    Ok(&rules.indicators)
}

// --------------------------------------------------------------- scheme

/// One band of the contract's table: a weighted total of at least
/// `min_score` costs `deduction` percent of the quarter's fees.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Band {
    pub min_score: String,
    pub deduction: String,
}

/// The contract's weights and bands for one vendor role.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct SchemeInput {
    /// Indicator id → weight in whole percent; the weights add up to 100.
    pub weights: BTreeMap<String, String>,
    /// The bands, any order; one must start at 0.
    pub bands: Vec<Band>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SchemeView {
    pub vendor_role: String,
    pub vendor_role_label: &'static str,
    /// (indicator id, label, source, weight)
    pub weights: Vec<(String, String, String, i64)>,
    /// (min total in thousandths, deduction in basis points), highest first.
    pub bands: Vec<(i64, i64)>,
    pub bands_text: Vec<(String, String)>,
    pub version: i64,
    pub set: bool,
}

/// Indicator id → weight in whole percent.
type Weights = BTreeMap<String, i64>;
/// (min total in thousandths, deduction in basis points), highest first.
type Bands = Vec<(i64, i64)>;

fn parse_scheme(inds: &[Indicator], input: &SchemeInput) -> Result<(Weights, Bands), AppError> {
    let mut weights = BTreeMap::new();
    for i in inds {
        let raw = input.weights.get(&i.id).map(|s| s.trim()).unwrap_or("");
        let w: i64 = raw
            .parse()
            .ok()
            .filter(|w| (0..=100).contains(w))
            .ok_or_else(|| {
                AppError::bad_request(
                    "cloud_eval.weight",
                    format!("「{}」的权重应为 0 到 100 的整数", i.label),
                )
            })?;
        weights.insert(i.id.clone(), w);
    }
    if let Some(k) = input
        .weights
        .keys()
        .find(|k| !inds.iter().any(|i| &i.id == *k))
    {
        return Err(AppError::bad_request(
            "cloud_eval.indicator",
            format!("未知的考评指标「{k}」"),
        ));
    }
    if weights.values().sum::<i64>() != 100 {
        return Err(AppError::bad_request(
            "cloud_eval.weight_sum",
            "各项指标权重之和应为 100",
        ));
    }
    let mut bands = Vec::new();
    for b in &input.bands {
        if b.min_score.trim().is_empty() && b.deduction.trim().is_empty() {
            continue;
        }
        let min = parse_score(&b.min_score)? * 100; // tenths → thousandths
        let bp = if b.deduction.trim().trim_end_matches('%') == "0" {
            0
        } else {
            parse_rate(&b.deduction).map_err(|_| {
                AppError::bad_request(
                    "cloud_eval.deduction",
                    "扣减比例应为 0 到 100 的百分数，最多两位小数",
                )
            })?
        };
        if bands.iter().any(|(m, _)| *m == min) {
            return Err(AppError::bad_request(
                "cloud_eval.band_twice",
                "扣减档次的起始分重复",
            ));
        }
        bands.push((min, bp));
    }
    bands.sort_by_key(|b| std::cmp::Reverse(b.0));
    if bands.last().map(|b| b.0) != Some(0) {
        return Err(AppError::bad_request(
            "cloud_eval.band_zero",
            "扣减档次应覆盖全部得分：需有一档起始分为 0",
        ));
    }
    // A lower score never costs less.
    if bands.windows(2).any(|w| w[0].1 > w[1].1) {
        return Err(AppError::bad_request(
            "cloud_eval.band_order",
            "得分越低，扣减比例不应越小",
        ));
    }
    Ok((weights, bands))
}

fn scheme_view(
    inds: &[Indicator],
    role: &str,
    row: Option<&SchemeRow>,
) -> Result<SchemeView, AppError> {
    let (w, b): (BTreeMap<String, i64>, Vec<(i64, i64)>) = match row {
        Some(r) => (
            serde_json::from_str(&r.weights).map_err(|_| AppError::internal())?,
            serde_json::from_str(&r.bands).map_err(|_| AppError::internal())?,
        ),
        None => (BTreeMap::new(), Vec::new()),
    };
    Ok(SchemeView {
        vendor_role: role.into(),
        vendor_role_label: vendor_role_label(role),
        weights: inds
            .iter()
            .map(|i| {
                (
                    i.id.clone(),
                    i.label.clone(),
                    i.source.clone(),
                    w.get(&i.id).copied().unwrap_or(0),
                )
            })
            .collect(),
        bands_text: b
            .iter()
            .map(|(m, bp)| (format_milli(*m), format_bp(*bp)))
            .collect(),
        bands: b,
        version: row.map(|r| r.version).unwrap_or(0),
        set: row.is_some(),
    })
}

async fn platform(c: &mut DbConn, pr: &Principal, id: &str) -> Result<PlatformRow, AppError> {
    yunwei_store::cloud::get_platform(c, id)
        .await?
        .filter(|pl| pr.can(Action::CloudManage, &pl.bureau_path))
        .ok_or_else(|| AppError::not_found("政务云平台"))
}

/// Enters (or replaces) the contract's weights and bands for a vendor role.
pub async fn set_scheme(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    platform_id: &str,
    vendor_role: &str,
    input: &SchemeInput,
) -> Result<SchemeView, AppError> {
    let role = check_role(vendor_role)?;
    in_tx!(p.db, |c| {
        let pl = platform(&mut c, pr, platform_id).await?;
        let auth = may_manage_city(pr, &pl)?;
        let inds = indicators(p, &pl)?;
        let (weights, bands) = parse_scheme(inds, input)?;
        let now = p.now_us();
        let existing = store::scheme(&mut c, &pl.id, role).await?;
        let mut row = SchemeRow {
            id: existing
                .as_ref()
                .map(|r| r.id.clone())
                .unwrap_or_else(new_id),
            platform_id: pl.id.clone(),
            vendor_role: role.into(),
            weights: serde_json::to_string(&weights).map_err(|_| AppError::internal())?,
            bands: serde_json::to_string(&bands).map_err(|_| AppError::internal())?,
            updated_by: pr.user_id.clone(),
            updated_at: now,
            version: 1,
        };
        match &existing {
            Some(e) => {
                if !store::update_scheme(&mut c, &row, e.version).await? {
                    return Err(AppError::conflict(
                        "cloud_eval.changed",
                        "考评办法刚被他人修改，请刷新后重试",
                    ));
                }
                row.version = e.version + 1;
            }
            None => store::insert_scheme(&mut c, &row).await?,
        }
        let v = scheme_view(inds, role, Some(&row))?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cloud_eval.scheme", "cloud_evaluation", &row.id)
                .before(
                    existing
                        .map(|e| format!("{} {}", e.weights, e.bands))
                        .unwrap_or_default(),
                )
                .after(format!(
                    "{} {}考评办法：权重 {}；扣减档次 {}",
                    pl.name,
                    vendor_role_label(role),
                    v.weights
                        .iter()
                        .map(|(_, l, _, w)| format!("{l}{w}%"))
                        .collect::<Vec<_>>()
                        .join("、"),
                    v.bands_text
                        .iter()
                        .map(|(m, d)| format!("≥{m}分扣{d}"))
                        .collect::<Vec<_>>()
                        .join("、")
                )),
        )
        .await?;
        Ok(v)
    })
}

pub async fn scheme(
    p: &Platform,
    pr: &Principal,
    platform_id: &str,
    vendor_role: &str,
) -> Result<SchemeView, AppError> {
    let role = check_role(vendor_role)?;
    let mut c = p.db.read().await?;
    let pl = platform(&mut c, pr, platform_id).await?;
    may_manage_city(pr, &pl)?;
    let inds = indicators(p, &pl)?;
    let row = store::scheme(&mut c, &pl.id, role).await?;
    scheme_view(inds, role, row.as_ref())
}

// ----------------------------------------------------------- evaluation

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct EvaluationInput {
    /// 'YYYY-Qn'.
    pub quarter: String,
    /// `provider` or `monitor`.
    pub vendor_role: String,
    /// Indicator id → score 0–100, at most one decimal.
    pub scores: BTreeMap<String, String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EvaluationView {
    #[serde(flatten)]
    pub row: EvaluationRow,
    pub vendor_role_label: &'static str,
    pub vendor_name: String,
    /// (indicator label, weight, score)
    pub scores_text: Vec<(String, i64, String)>,
    pub total: String,
    pub deduction: String,
    pub state_label: &'static str,
}

/// Weighted total in thousandths (Σ score tenths × weight percent) and
/// the deduction of the first band it reaches.
pub fn total_and_deduction(
    scores: &BTreeMap<String, i64>,
    weights: &BTreeMap<String, i64>,
    bands: &[(i64, i64)],
) -> (i64, i64) {
    let total: i64 = weights
        .iter()
        .map(|(k, w)| scores.get(k).copied().unwrap_or(0) * w)
        .sum();
    let bp = bands
        .iter()
        .find(|(min, _)| total >= *min)
        .map(|(_, bp)| *bp)
        .unwrap_or(0);
    (total, bp)
}

async fn eval_view(
    c: &mut DbConn,
    inds: &[Indicator],
    scheme: Option<&SchemeRow>,
    row: EvaluationRow,
) -> Result<EvaluationView, AppError> {
    let scores: BTreeMap<String, i64> =
        serde_json::from_str(&row.scores).map_err(|_| AppError::internal())?;
    let weights: BTreeMap<String, i64> = match scheme {
        Some(s) => serde_json::from_str(&s.weights).map_err(|_| AppError::internal())?,
        None => BTreeMap::new(),
    };
    let vendor_name = yunwei_store::orgs::get(c, &row.vendor_org_id)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    Ok(EvaluationView {
        vendor_role_label: vendor_role_label(&row.vendor_role),
        vendor_name,
        scores_text: inds
            .iter()
            .map(|i| {
                (
                    i.label.clone(),
                    weights.get(&i.id).copied().unwrap_or(0),
                    scores
                        .get(&i.id)
                        .map(|t| format_tenths(*t))
                        .unwrap_or_default(),
                )
            })
            .collect(),
        total: format_milli(row.total_milli),
        deduction: format_bp(row.deduction_bp),
        state_label: if row.state == "confirmed" {
            "已确认"
        } else {
            "待确认"
        },
        row,
    })
}

/// Scores a quarter (a draft until confirmed; a confirmed one is final).
pub async fn save(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    platform_id: &str,
    input: &EvaluationInput,
) -> Result<EvaluationView, AppError> {
    let role = check_role(&input.vendor_role)?;
    let (y, q) = parse_quarter(&input.quarter)?;
    let quarter = format!("{y}-Q{q}");
    let note = yunwei_domain::cmdb::clean_text(&input.note, "考评说明", 2000, false)?;
    in_tx!(p.db, |c| {
        let pl = platform(&mut c, pr, platform_id).await?;
        let auth = may_manage_city(pr, &pl)?;
        let inds = indicators(p, &pl)?;
        let vendor = match role {
            PROVIDER => Some(pl.provider_org_id.clone()),
            _ => pl.monitor_org_id.clone(),
        }
        .ok_or_else(|| AppError::bad_request("cloud_eval.no_monitor", "本平台没有云监管服务商"))?;
        let scheme = store::scheme(&mut c, &pl.id, role).await?.ok_or_else(|| {
            AppError::bad_request(
                "cloud_eval.no_scheme",
                "请先录入合同约定的指标权重和扣减档次",
            )
        })?;
        let weights: BTreeMap<String, i64> =
            serde_json::from_str(&scheme.weights).map_err(|_| AppError::internal())?;
        let bands: Vec<(i64, i64)> =
            serde_json::from_str(&scheme.bands).map_err(|_| AppError::internal())?;
        let mut scores = BTreeMap::new();
        for i in inds {
            let raw = input.scores.get(&i.id).map(|s| s.as_str()).unwrap_or("");
            let t = parse_score(raw).map_err(|_| {
                AppError::bad_request(
                    "cloud_eval.score",
                    format!("「{}」得分应为 0 到 100 之间的数，最多一位小数", i.label),
                )
            })?;
            scores.insert(i.id.clone(), t);
        }
        let (total, bp) = total_and_deduction(&scores, &weights, &bands);
        let existing = store::evaluation(&mut c, &pl.id, role, &quarter).await?;
        let now = p.now_us();
        let mut row = EvaluationRow {
            id: existing
                .as_ref()
                .map(|e| e.id.clone())
                .unwrap_or_else(new_id),
            platform_id: pl.id.clone(),
            vendor_org_id: vendor,
            vendor_role: role.into(),
            quarter: quarter.clone(),
            scores: serde_json::to_string(&scores).map_err(|_| AppError::internal())?,
            total_milli: total,
            deduction_bp: bp,
            note: note.clone(),
            state: "draft".into(),
            created_by: pr.user_id.clone(),
            created_at: now,
            confirmed_by: None,
            confirmed_at: None,
            version: 1,
        };
        match &existing {
            Some(e) if e.state == "confirmed" => {
                return Err(AppError::conflict(
                    "cloud_eval.confirmed",
                    "该季度考评已确认，不能再修改",
                ))
            }
            Some(e) => {
                row.created_by = e.created_by.clone();
                row.created_at = e.created_at;
                if !store::update_evaluation(&mut c, &row, e.version).await? {
                    return Err(AppError::conflict(
                        "cloud_eval.changed",
                        "该考评刚被他人修改，请刷新后重试",
                    ));
                }
                row.version = e.version + 1;
            }
            None => store::insert_evaluation(&mut c, &row).await?,
        }
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cloud_eval.save", "cloud_evaluation", &row.id).after(format!(
                "{} {} {}考评：总分 {}，扣减 {}",
                pl.name,
                quarter,
                vendor_role_label(role),
                format_milli(total),
                format_bp(bp)
            )),
        )
        .await?;
        eval_view(&mut c, inds, Some(&scheme), row).await
    })
}

/// Confirms a quarter's evaluation: its deduction enters the settlement.
pub async fn confirm(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    platform_id: &str,
    vendor_role: &str,
    quarter: &str,
) -> Result<EvaluationView, AppError> {
    let role = check_role(vendor_role)?;
    let (y, q) = parse_quarter(quarter)?;
    let quarter = format!("{y}-Q{q}");
    in_tx!(p.db, |c| {
        let pl = platform(&mut c, pr, platform_id).await?;
        let auth = may_manage_city(pr, &pl)?;
        let inds = indicators(p, &pl)?;
        let e = store::evaluation(&mut c, &pl.id, role, &quarter)
            .await?
            .ok_or_else(|| AppError::not_found("考评"))?;
        if e.state == "confirmed" {
            return Err(AppError::conflict(
                "cloud_eval.confirmed",
                "该季度考评已确认",
            ));
        }
        let mut row = e.clone();
        row.state = "confirmed".into();
        row.confirmed_by = Some(pr.user_id.clone());
        row.confirmed_at = Some(p.now_us());
        if !store::update_evaluation(&mut c, &row, e.version).await? {
            return Err(AppError::conflict(
                "cloud_eval.changed",
                "该考评刚被他人修改，请刷新后重试",
            ));
        }
        row.version = e.version + 1;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cloud_eval.confirm", "cloud_evaluation", &row.id).after(format!(
                "确认 {} {} {}考评：总分 {}，扣减 {}",
                pl.name,
                quarter,
                vendor_role_label(role),
                format_milli(row.total_milli),
                format_bp(row.deduction_bp)
            )),
        )
        .await?;
        let scheme = store::scheme(&mut c, &pl.id, role).await?;
        eval_view(&mut c, inds, scheme.as_ref(), row).await
    })
}

/// The evaluations of a platform, latest quarter first.
pub async fn list(
    p: &Platform,
    pr: &Principal,
    platform_id: &str,
) -> Result<Vec<EvaluationView>, AppError> {
    let mut c = p.db.read().await?;
    let pl = platform(&mut c, pr, platform_id).await?;
    may_manage_city(pr, &pl)?;
    let inds = indicators(p, &pl)?.to_vec();
    let ps = store::scheme(&mut c, &pl.id, PROVIDER).await?;
    let ms = store::scheme(&mut c, &pl.id, MONITOR).await?;
    let mut out = Vec::new();
    for e in store::evaluations(&mut c, &pl.id).await? {
        let s = if e.vendor_role == PROVIDER { &ps } else { &ms };
        out.push(eval_view(&mut c, &inds, s.as_ref(), e).await?);
    }
    Ok(out)
}

// ----------------------------------------------------------- settlement

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuarterWorking {
    pub quarter: String,
    pub billed_fen: i64,
    pub billed: String,
    /// The provider's confirmed deduction; `None`: not evaluated or not
    /// confirmed (nothing is deducted, and the page says so).
    pub deduction_bp: Option<i64>,
    pub deduction_rate: String,
    pub deduction_fen: i64,
    pub deduction: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PayerSettlement {
    pub payer: String,
    pub payer_label: &'static str,
    pub quarters: Vec<QuarterWorking>,
    pub billed_fen: i64,
    pub deduction_fen: i64,
    pub net_fen: i64,
    pub billed: String,
    pub deduction: String,
    pub net: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SettlementView {
    pub platform_id: String,
    pub platform_name: String,
    pub year: i32,
    pub payers: Vec<PayerSettlement>,
    /// Months of the year whose bill was reported to finance.
    pub months_sent: Vec<String>,
    /// Months of the year without a reported bill.
    pub months_missing: Vec<String>,
    /// The monitoring provider's confirmed results: (quarter, total, deduction).
    pub monitor: Vec<(String, String, String)>,
    pub billed: String,
    pub deduction: String,
    pub net: String,
    /// The settlement as confirmed, if it was.
    pub confirmed: Vec<SettlementRow>,
    pub can_confirm: bool,
}

fn quarter_of(month: &str) -> u32 {
    let m: u32 = month.get(5..7).and_then(|s| s.parse().ok()).unwrap_or(1);
    (m - 1) / 3 + 1
}

/// The year's settlement with its working, per payer.
pub async fn settlement(
    p: &Platform,
    pr: &Principal,
    platform_id: &str,
    year: i32,
) -> Result<SettlementView, AppError> {
    let mut c = p.db.read().await?;
    let pl = platform(&mut c, pr, platform_id).await?;
    may_manage_city(pr, &pl)?;
    compute_settlement(p, &mut c, &pl, year).await
}

async fn compute_settlement(
    p: &Platform,
    c: &mut DbConn,
    pl: &PlatformRow,
    year: i32,
) -> Result<SettlementView, AppError> {
    if !(2000..=2100).contains(&year) {
        return Err(AppError::bad_request("cloud_settlement.year", "年度无效"));
    }
    let totals = store::sent_totals_by_payer(c, &pl.id, &format!("{year}-")).await?;
    let evals = store::evaluations(c, &pl.id).await?;
    let deduction_of = |role: &str, q: u32| {
        evals
            .iter()
            .find(|e| {
                e.vendor_role == role
                    && e.quarter == format!("{year}-Q{q}")
                    && e.state == "confirmed"
            })
            .map(|e| e.deduction_bp)
    };
    let mut months_sent: Vec<String> = totals.iter().map(|t| t.0.clone()).collect();
    months_sent.dedup();
    let months_missing = (1..=12)
        .map(|m| format!("{year}-{m:02}"))
        .filter(|m| !months_sent.contains(m))
        .collect();
    let mut payers = Vec::new();
    for py in Payer::ALL {
        let mut billed_q = [0i64; 4];
        let mut any = false;
        for (month, payer, lines, adj) in &totals {
            if payer == py.as_str() {
                billed_q[(quarter_of(month) - 1) as usize] += lines - adj;
                any = true;
            }
        }
        if !any {
            continue;
        }
        let quarters: Vec<QuarterWorking> = (1..=4u32)
            .map(|q| {
                let billed = billed_q[(q - 1) as usize];
                let bp = deduction_of(PROVIDER, q);
                let ded = bp
                    .map(|bp| div_round(billed as i128 * bp as i128, 10_000))
                    .unwrap_or(0);
                QuarterWorking {
                    quarter: format!("{year}-Q{q}"),
                    billed_fen: billed,
                    billed: format_fen(billed),
                    deduction_bp: bp,
                    deduction_rate: bp.map(format_bp).unwrap_or_else(|| "未考评".into()),
                    deduction_fen: ded,
                    deduction: format_fen(ded),
                }
            })
            .collect();
        let billed_fen: i64 = quarters.iter().map(|q| q.billed_fen).sum();
        let deduction_fen: i64 = quarters.iter().map(|q| q.deduction_fen).sum();
        payers.push(PayerSettlement {
            payer: py.as_str().into(),
            payer_label: py.label(),
            quarters,
            billed_fen,
            deduction_fen,
            net_fen: billed_fen - deduction_fen,
            billed: format_fen(billed_fen),
            deduction: format_fen(deduction_fen),
            net: format_fen(billed_fen - deduction_fen),
        });
    }
    let monitor = (1..=4)
        .filter_map(|q| {
            evals
                .iter()
                .find(|e| {
                    e.vendor_role == MONITOR
                        && e.quarter == format!("{year}-Q{q}")
                        && e.state == "confirmed"
                })
                .map(|e| {
                    (
                        e.quarter.clone(),
                        format_milli(e.total_milli),
                        format_bp(e.deduction_bp),
                    )
                })
        })
        .collect();
    let confirmed = store::settlements(c, &pl.id, year as i64).await?;
    let today = yunwei_domain::time::date_in_shanghai(p.clock.now());
    use chrono::Datelike;
    let billed: i64 = payers.iter().map(|x| x.billed_fen).sum();
    let deduction: i64 = payers.iter().map(|x| x.deduction_fen).sum();
    Ok(SettlementView {
        platform_id: pl.id.clone(),
        platform_name: pl.name.clone(),
        year,
        can_confirm: confirmed.is_empty() && today.year() > year && !payers.is_empty(),
        payers,
        months_sent,
        months_missing,
        monitor,
        billed: format_fen(billed),
        deduction: format_fen(deduction),
        net: format_fen(billed - deduction),
        confirmed,
    })
}

/// Records the year's settlement as computed now (once the year is over;
/// once only), audited.
pub async fn confirm_settlement(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    platform_id: &str,
    year: i32,
) -> Result<SettlementView, AppError> {
    in_tx!(p.db, |c| {
        let pl = platform(&mut c, pr, platform_id).await?;
        let auth = may_manage_city(pr, &pl)?;
        let v = compute_settlement(p, &mut c, &pl, year).await?;
        if !v.confirmed.is_empty() {
            return Err(AppError::conflict(
                "cloud_settlement.confirmed",
                "该年度已结算",
            ));
        }
        if !v.can_confirm {
            return Err(AppError::bad_request(
                "cloud_settlement.open",
                "年度结束且有已报送财政的账单后才能结算",
            ));
        }
        let now = p.now_us();
        for ps in &v.payers {
            store::insert_settlement(
                &mut c,
                &SettlementRow {
                    id: new_id(),
                    platform_id: pl.id.clone(),
                    year: year as i64,
                    payer: ps.payer.clone(),
                    billed_fen: ps.billed_fen,
                    deduction_fen: ps.deduction_fen,
                    net_fen: ps.net_fen,
                    working: serde_json::to_string(&ps.quarters)
                        .map_err(|_| AppError::internal())?,
                    state: "confirmed".into(),
                    confirmed_by: pr.user_id.clone(),
                    confirmed_at: now,
                },
            )
            .await?;
        }
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cloud_settlement.confirm", "cloud_settlement", &pl.id).after(format!(
                "{} {} 年度结算：计费 {} 元，考评扣减 {} 元，结算 {} 元",
                pl.name, year, v.billed, v.deduction, v.net
            )),
        )
        .await?;
        compute_settlement(p, &mut c, &pl, year).await
    })
}
