//! A pack's government-cloud rules (`cloud.toml`, ADR 0016): the numbers
//! of ZMDY or SNYP that are not a process deadline — utilisation
//! thresholds, the trial, the exit transition, report days, who pays.
//! Every value carries its citation; a value the text leaves open carries
//! `open = "..."`, saying who sets it (the contract, the requirement
//! confirmation), and is listed as such by `yunwei policy trace`.

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use serde::Deserialize;
use toml::Spanned;

use super::check::{PackError, Src};
use super::model::parse_citation;
use crate::cloud::{Funding, Payer, PayerChoice, PayerRule, ServiceMode, Thresholds, UnitLevel};
use crate::schedule::{DueOffset, Recurrence};

/// The file of a pack that holds its cloud rules.
pub const CLOUD_FILE: &str = "cloud.toml";

pub fn is_cloud_file(path: &str) -> bool {
    path.rsplit(['/', '\\']).next() == Some(CLOUD_FILE)
}

/// The checked cloud rules of a pack.
#[derive(Debug, Clone, PartialEq)]
pub struct CloudRules {
    pub thresholds: Thresholds,
    /// Monitoring of a system starts after this many months of stable
    /// operation (SNYP-14: 3).
    pub monitor_after_months: u32,
    /// A unit that refuses a reclaim without an accepted reason may not
    /// apply again in the same year (SNYP-14).
    pub refusal_bars_applications: bool,
    /// The trial after allocation, shortest and longest in days (ZMDY-16:
    /// 15-30 天); `None` where the pack has no trial (SNYP).
    pub trial_days: Option<(u32, u32)>,
    /// The old system is kept this many months after go-live (ZMDY-17).
    pub keep_old_system_months: Option<u32>,
    /// After an exit is approved the unit has this long to take the system
    /// off the cloud (ZMDY-19: 30 days; SNYP-16: 3 months).
    pub exit_transition: Period,
    /// A unit applies to exit within this many months of no longer using
    /// the cloud (SNYP-16: 一个月内).
    pub exit_apply_within_months: Option<u32>,
    pub payers: Vec<PayerRule>,
    /// The indicators a quarter's evaluation of the provider and of the
    /// monitoring provider scores (ZMDY-39, SNYP-35); the weights and the
    /// score-to-deduction bands are the contract's, entered per platform.
    pub indicators: Vec<Indicator>,
    /// The recurring duties of the parties (`[[duty]]`): reports, drills,
    /// trainings, tests, the yearly application, each an occurrence per
    /// period in the due-date engine (features::cloud::duties).
    pub duties: Vec<DutyRule>,
    /// Every value with its label, citation and, where the text leaves
    /// it open, who sets it: for `policy trace` and the rules page.
    pub cited: Vec<CitedValue>,
}

impl CloudRules {
    /// The article a value of the pack's `cloud.toml` cites (`key` as in
    /// [`CitedValue::key`], e.g. `utilisation.low_cpu_below_pct`).
    pub fn source_of(&self, key: &str) -> &str {
        self.cited
            .iter()
            .find(|c| c.key == key)
            .map(|c| c.source.as_str())
            .unwrap_or_default()
    }
}

/// Who owes a duty of the cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DutyParty {
    /// The platform's cloud provider (云服务商).
    Provider,
    /// The platform's monitoring provider (云监管服务商).
    Monitor,
    /// Every unit on the platform (使用单位).
    Unit,
    /// The competent department (政务云主管部门).
    Bureau,
}

impl DutyParty {
    pub const ALL: [DutyParty; 4] = [
        DutyParty::Provider,
        DutyParty::Monitor,
        DutyParty::Unit,
        DutyParty::Bureau,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DutyParty::Provider => "provider",
            DutyParty::Monitor => "monitor",
            DutyParty::Unit => "unit",
            DutyParty::Bureau => "bureau",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DutyParty::Provider => "云服务商",
            DutyParty::Monitor => "云监管服务商",
            DutyParty::Unit => "使用单位",
            DutyParty::Bureau => "政务云主管部门",
        }
    }

    pub fn parse(s: &str) -> Option<DutyParty> {
        DutyParty::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// One recurring duty of a pack (`[[duty]]` in `cloud.toml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DutyRule {
    /// Stable within the pack (`ops_report`); filed reports name it.
    pub id: String,
    pub label: String,
    pub who: DutyParty,
    pub period: Recurrence,
    /// When each period's occurrence is due.
    pub due: DueOffset,
    /// How many filings make a period done ("每年至少组织两次", ZMDY-20).
    pub times: u32,
    pub source: String,
    /// Where the text leaves the due day to someone else.
    pub open: Option<String>,
}

impl DutyRule {
    /// 每月，次月5日前 / 每年2次，周期结束前.
    pub fn schedule_label(&self) -> String {
        let times = if self.times > 1 {
            format!("至少{}次", self.times)
        } else {
            String::new()
        };
        format!("{}{times}，{}", self.period.label(), self.due.label())
    }
}

/// One indicator of the vendors' evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indicator {
    /// Stable id (ASCII), the key of a score.
    pub id: String,
    pub label: String,
    pub source: String,
}

/// A length given in days or months.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Days(u32),
    Months(u32),
}

impl Period {
    pub fn label(self) -> String {
        match self {
            Period::Days(n) => format!("{n}天"),
            Period::Months(n) => format!("{n}个月"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitedValue {
    pub key: String,
    pub label: String,
    pub value: String,
    pub source: String,
    pub open: Option<String>,
    pub origin: super::model::Origin,
}

// ---------------------------------------------------------------- raw

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    utilisation: RawUtilisation,
    lifecycle: RawLifecycle,
    #[serde(default)]
    payer: Vec<Spanned<RawPayer>>,
    #[serde(default)]
    evaluation: Option<RawEvaluation>,
    #[serde(default)]
    duty: Vec<Spanned<RawDuty>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDuty {
    id: Spanned<String>,
    label: String,
    who: Spanned<String>,
    period: Spanned<String>,
    /// Due by the end of this day of the month after the period.
    #[serde(default)]
    due_next_month_day: Option<Spanned<u32>>,
    /// Due by the end of this month-day (`09-30`) of the period's year.
    #[serde(default)]
    due_date: Option<Spanned<String>>,
    #[serde(default)]
    times: Option<Spanned<u32>>,
    source: Spanned<String>,
    #[serde(default)]
    open: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct V<T> {
    value: Spanned<T>,
    source: Spanned<String>,
    #[serde(default)]
    open: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvaluation {
    indicator: Vec<RawIndicator>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    id: Spanned<String>,
    label: String,
    source: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUtilisation {
    low_cpu_below_pct: V<u32>,
    low_memory_below_pct: V<u32>,
    low_storage_below_pct: V<u32>,
    low_storage_partly_below_pct: V<u32>,
    low_storage_free_above_gb: V<u32>,
    high_cpu_above_pct: V<u32>,
    high_memory_above_pct: V<u32>,
    high_storage_at_least_pct: V<u32>,
    high_storage_free_below_gb: V<u32>,
    min_sample_days: V<u32>,
    monitor_after_months: V<u32>,
    refusal_bars_applications: V<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLifecycle {
    #[serde(default)]
    trial_min_days: Option<V<u32>>,
    #[serde(default)]
    trial_max_days: Option<V<u32>>,
    #[serde(default)]
    keep_old_system_months: Option<V<u32>>,
    #[serde(default)]
    exit_transition_days: Option<V<u32>>,
    #[serde(default)]
    exit_transition_months: Option<V<u32>>,
    #[serde(default)]
    exit_apply_within_months: Option<V<u32>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPayer {
    levels: Vec<Spanned<String>>,
    #[serde(default)]
    funding: Vec<Spanned<String>>,
    #[serde(default)]
    modes: Vec<Spanned<String>>,
    payer: Spanned<String>,
    source: Spanned<String>,
}

struct Ck<'a, 'b> {
    src: &'a Src<'b>,
    errors: Vec<PackError>,
    cited: Vec<CitedValue>,
}

impl Ck<'_, '_> {
    fn cite(
        &mut self,
        key: &str,
        label: &str,
        value: String,
        source: &Spanned<String>,
        open: &Option<String>,
    ) {
        if parse_citation(source.get_ref()).is_none() {
            self.errors.push(self.src.err(
                &source.span(),
                format!(
                    "依据条款「{}」格式错误，应为「代码-条款号」，如 SNYP-14",
                    source.get_ref()
                ),
            ));
        }
        self.cited.push(CitedValue {
            key: key.into(),
            label: label.into(),
            value,
            source: source.get_ref().clone(),
            open: open.clone(),
            origin: self.src.origin(&source.span()),
        });
    }

    fn num(&mut self, key: &str, label: &str, unit: &str, v: &V<u32>, max: u32) -> u32 {
        let n = *v.value.get_ref();
        if n > max {
            self.errors.push(
                self.src
                    .err(&v.value.span(), format!("「{label}」应不大于 {max}")),
            );
        }
        self.cite(key, label, format!("{n}{unit}"), &v.source, &v.open);
        n
    }

    fn opt(
        &mut self,
        key: &str,
        label: &str,
        unit: &str,
        v: &Option<V<u32>>,
        max: u32,
    ) -> Option<u32> {
        v.as_ref().map(|v| self.num(key, label, unit, v, max))
    }
}

/// Parses and checks `cloud.toml`.
pub(super) fn load(src: &Src, text: &str) -> Result<CloudRules, Vec<PackError>> {
    let raw: Raw = toml::from_str(text).map_err(|e| vec![src.toml_error(&e)])?;
    let mut ck = Ck {
        src,
        errors: Vec::new(),
        cited: Vec::new(),
    };
    let u = &raw.utilisation;
    let pct = |ck: &mut Ck, key: &str, label: &str, v: &V<u32>| {
        Decimal::from(ck.num(key, label, "%", v, 100))
    };
    let thresholds = Thresholds {
        low_cpu_below_pct: pct(
            &mut ck,
            "utilisation.low_cpu_below_pct",
            "利用率低：CPU平均利用率低于",
            &u.low_cpu_below_pct,
        ),
        low_mem_below_pct: pct(
            &mut ck,
            "utilisation.low_memory_below_pct",
            "利用率低：内存平均利用率低于",
            &u.low_memory_below_pct,
        ),
        low_storage_below_pct: pct(
            &mut ck,
            "utilisation.low_storage_below_pct",
            "利用率低：存储利用率低于",
            &u.low_storage_below_pct,
        ),
        low_storage_partly_below_pct: pct(
            &mut ck,
            "utilisation.low_storage_partly_below_pct",
            "利用率低：存储利用率低于（且剩余空间较大）",
            &u.low_storage_partly_below_pct,
        ),
        low_storage_free_above_gb: Decimal::from(ck.num(
            "utilisation.low_storage_free_above_gb",
            "利用率低：剩余空间大于",
            "GB",
            &u.low_storage_free_above_gb,
            1_000_000,
        )),
        high_cpu_above_pct: pct(
            &mut ck,
            "utilisation.high_cpu_above_pct",
            "利用率高：CPU平均利用率高于",
            &u.high_cpu_above_pct,
        ),
        high_mem_above_pct: pct(
            &mut ck,
            "utilisation.high_memory_above_pct",
            "利用率高：内存平均利用率超过",
            &u.high_memory_above_pct,
        ),
        high_storage_at_least_pct: pct(
            &mut ck,
            "utilisation.high_storage_at_least_pct",
            "利用率高：存储利用率达到",
            &u.high_storage_at_least_pct,
        ),
        high_storage_free_below_gb: Decimal::from(ck.num(
            "utilisation.high_storage_free_below_gb",
            "利用率高：且剩余空间小于",
            "GB",
            &u.high_storage_free_below_gb,
            1_000_000,
        )),
        min_sample_days: ck.num(
            "utilisation.min_sample_days",
            "每月至少有采样数据的天数（不足为“数据不足”）",
            "天",
            &u.min_sample_days,
            31,
        ),
    };
    if thresholds.low_cpu_below_pct >= thresholds.high_cpu_above_pct
        || thresholds.low_mem_below_pct >= thresholds.high_mem_above_pct
    {
        ck.errors.push(src.err(
            &u.low_cpu_below_pct.value.span(),
            "利用率低的阈值应小于利用率高的阈值",
        ));
    }
    let monitor_after_months = ck.num(
        "utilisation.monitor_after_months",
        "新上云系统稳定运行后开始监测（月）",
        "个月",
        &u.monitor_after_months,
        24,
    );
    let refusal_bars_applications = *u.refusal_bars_applications.value.get_ref();
    ck.cite(
        "utilisation.refusal_bars_applications",
        "无正当理由拒不降配或回收的，本年度不再受理其资源申请",
        if refusal_bars_applications {
            "是"
        } else {
            "否"
        }
        .into(),
        &u.refusal_bars_applications.source,
        &u.refusal_bars_applications.open,
    );

    let l = &raw.lifecycle;
    let trial_days = match (&l.trial_min_days, &l.trial_max_days) {
        (Some(lo), Some(hi)) => {
            let a = ck.num("lifecycle.trial_min_days", "试用期最短", "天", lo, 365);
            let b = ck.num(
                "lifecycle.trial_max_days",
                "试用期最长（延长须经主管部门同意）",
                "天",
                hi,
                365,
            );
            if a > b {
                ck.errors
                    .push(src.err(&lo.value.span(), "试用期最短天数不能大于最长天数"));
            }
            Some((a, b))
        }
        (None, None) => None,
        _ => {
            ck.errors.push(src.err(
                &(0..0),
                "[lifecycle] 的 trial_min_days 与 trial_max_days 应同时给出",
            ));
            None
        }
    };
    let keep_old_system_months = ck.opt(
        "lifecycle.keep_old_system_months",
        "正式上线后原系统至少保留",
        "个月",
        &l.keep_old_system_months,
        60,
    );
    let exit_transition = match (&l.exit_transition_days, &l.exit_transition_months) {
        (Some(d), None) => Period::Days(ck.num(
            "lifecycle.exit_transition_days",
            "退出审核通过后完成下线和数据迁移",
            "天",
            d,
            365,
        )),
        (None, Some(m)) => Period::Months(ck.num(
            "lifecycle.exit_transition_months",
            "退出过渡期",
            "个月",
            m,
            24,
        )),
        _ => {
            ck.errors.push(src.err(
                &(0..0),
                "[lifecycle] 应且只应给出 exit_transition_days 或 exit_transition_months 之一",
            ));
            Period::Days(0)
        }
    };
    let exit_apply_within_months = ck.opt(
        "lifecycle.exit_apply_within_months",
        "不再使用后提交服务终止申请的期限",
        "个月",
        &l.exit_apply_within_months,
        24,
    );

    let mut payers = Vec::new();
    for p in &raw.payer {
        let span = p.span();
        let p = p.get_ref();
        let mut levels = Vec::new();
        for l in &p.levels {
            match UnitLevel::parse(l.get_ref()) {
                Some(x) => levels.push(x),
                None => ck.errors.push(src.err(
                    &l.span(),
                    format!(
                        "未知的单位层级「{}」，可用：city、county、park",
                        l.get_ref()
                    ),
                )),
            }
        }
        let mut funding = Vec::new();
        for f in &p.funding {
            match Funding::parse(f.get_ref()) {
                Some(x) => funding.push(x),
                None => ck
                    .errors
                    .push(src.err(&f.span(), format!("未知的经费保障类型「{}」", f.get_ref()))),
            }
        }
        let mut modes = Vec::new();
        for m in &p.modes {
            match ServiceMode::parse(m.get_ref()) {
                Some(x) => modes.push(x),
                None => ck
                    .errors
                    .push(src.err(&m.span(), format!("未知的服务方式「{}」", m.get_ref()))),
            }
        }
        let choice = match p.payer.get_ref().as_str() {
            "local_rule" => Some(PayerChoice::LocalRule),
            s => Payer::parse(s).map(PayerChoice::Fixed),
        };
        let Some(choice) = choice else {
            ck.errors.push(src.err(
                &p.payer.span(),
                format!(
                    "未知的付费方「{}」，可用：city_finance、local_finance、unit、local_rule",
                    p.payer.get_ref()
                ),
            ));
            continue;
        };
        if levels.is_empty() {
            ck.errors
                .push(src.err(&span, "付费规则至少要列出一个单位层级 levels"));
        }
        let label = format!(
            "付费：{}{}{}",
            levels
                .iter()
                .map(|l| l.label())
                .collect::<Vec<_>>()
                .join("、"),
            if funding.is_empty() {
                String::new()
            } else {
                format!(
                    "（{}）",
                    funding
                        .iter()
                        .map(|f| f.label())
                        .collect::<Vec<_>>()
                        .join("、")
                )
            },
            if modes.is_empty() {
                String::new()
            } else {
                format!(
                    "的{}",
                    modes
                        .iter()
                        .map(|m| m.label())
                        .collect::<Vec<_>>()
                        .join("、")
                )
            },
        );
        let value = match choice {
            PayerChoice::Fixed(x) => x.label().to_string(),
            PayerChoice::LocalRule => "按本地区资金保障序列（本级财政或单位自行承担）".into(),
        };
        ck.cite("payer", &label, value, &p.source, &None);
        payers.push(PayerRule {
            levels,
            funding,
            modes,
            payer: choice,
            source: p.source.get_ref().clone(),
        });
    }
    // Every combination must have a payer: a gap would leave a bill line
    // without anyone to pay it.
    let mut gaps = BTreeSet::new();
    for l in UnitLevel::ALL {
        for f in Funding::ALL {
            for m in ServiceMode::ALL {
                if crate::cloud::payer(&payers, l, f, m, false).is_none() {
                    gaps.insert(format!("{}·{}·{}", l.label(), f.label(), m.label()));
                }
            }
        }
    }
    if !gaps.is_empty() && ck.errors.is_empty() {
        let first: Vec<String> = gaps.into_iter().take(3).collect();
        ck.errors.push(src.err(
            &(0..0),
            format!("付费规则不完整，以下情形没有付费方：{}……", first.join("；")),
        ));
    }

    let duties = load_duties(&mut ck, &raw.duty);

    let mut indicators: Vec<Indicator> = Vec::new();
    if let Some(ev) = &raw.evaluation {
        if ev.indicator.is_empty() {
            ck.errors
                .push(src.err(&(0..0), "[evaluation] 至少要列出一个考评指标"));
        }
        for i in &ev.indicator {
            let id = i.id.get_ref();
            if id.is_empty()
                || !id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                ck.errors.push(src.err(
                    &i.id.span(),
                    format!("考评指标编号「{id}」只能由小写字母、数字和下划线组成"),
                ));
            }
            if indicators.iter().any(|x| &x.id == id) {
                ck.errors
                    .push(src.err(&i.id.span(), format!("考评指标编号「{id}」重复")));
            }
            if i.label.trim().is_empty() {
                ck.errors
                    .push(src.err(&i.id.span(), format!("考评指标「{id}」缺少名称")));
            }
            ck.cite(
                &format!("evaluation.indicator.{id}"),
                "云服务商和云监管服务商考评指标",
                i.label.clone(),
                &i.source,
                &None,
            );
            indicators.push(Indicator {
                id: id.clone(),
                label: i.label.clone(),
                source: i.source.get_ref().clone(),
            });
        }
    }

    if !ck.errors.is_empty() {
        return Err(ck.errors);
    }
    Ok(CloudRules {
        thresholds,
        monitor_after_months,
        refusal_bars_applications,
        trial_days,
        keep_old_system_months,
        exit_transition,
        exit_apply_within_months,
        payers,
        duties,
        indicators,
        cited: ck.cited,
    })
}

fn month_day(s: &str) -> Option<(u32, u32)> {
    s.split_once('-')
        .and_then(|(m, d)| Some((m.parse::<u32>().ok()?, d.parse::<u32>().ok()?)))
        .filter(|(m, d)| chrono::NaiveDate::from_ymd_opt(2025, *m, *d).is_some())
}

fn load_duties(ck: &mut Ck, raw: &[Spanned<RawDuty>]) -> Vec<DutyRule> {
    let src = ck.src;
    let mut out: Vec<DutyRule> = Vec::new();
    for d in raw {
        let span = d.span();
        let d = d.get_ref();
        let id = d.id.get_ref().clone();
        if id.is_empty()
            || id.len() > 50
            || !id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit())
        {
            ck.errors.push(src.err(
                &d.id.span(),
                format!("职责编号「{id}」应为小写字母、数字和下划线"),
            ));
        }
        if out.iter().any(|o| o.id == id) {
            ck.errors
                .push(src.err(&d.id.span(), format!("职责编号「{id}」重复")));
        }
        let label = d.label.trim().to_string();
        if label.is_empty() || label.chars().count() > 100 {
            ck.errors
                .push(src.err(&span, "职责名称 label 不能为空，且不超过100字"));
        }
        let who = DutyParty::parse(d.who.get_ref()).unwrap_or_else(|| {
            ck.errors.push(src.err(
                &d.who.span(),
                format!(
                    "未知的履职方「{}」，可用：provider、monitor、unit、bureau",
                    d.who.get_ref()
                ),
            ));
            DutyParty::Provider
        });
        let period = match d.period.get_ref().as_str() {
            "monthly" => Recurrence::Monthly,
            "quarterly" => Recurrence::Quarterly,
            "half_yearly" => Recurrence::HalfYearly,
            "yearly" => Recurrence::Yearly,
            other => {
                ck.errors.push(src.err(
                    &d.period.span(),
                    format!("未知的周期「{other}」，可用：monthly、quarterly、half_yearly、yearly"),
                ));
                Recurrence::Monthly
            }
        };
        let due = match (&d.due_next_month_day, &d.due_date) {
            (None, None) => DueOffset::PeriodEnd,
            (Some(n), None) => {
                if !(1..=28).contains(n.get_ref()) {
                    ck.errors
                        .push(src.err(&n.span(), "次月截止日应在 1 到 28 之间"));
                }
                DueOffset::NextMonthDay(*n.get_ref())
            }
            (None, Some(md)) => match month_day(md.get_ref()) {
                Some((m, day)) if period == Recurrence::Yearly => DueOffset::MonthDay(m, day),
                Some(_) => {
                    ck.errors
                        .push(src.err(&md.span(), "due_date（月-日）只用于每年的职责"));
                    DueOffset::PeriodEnd
                }
                None => {
                    ck.errors.push(src.err(
                        &md.span(),
                        format!("「{}」不是有效的月-日，如 09-30", md.get_ref()),
                    ));
                    DueOffset::PeriodEnd
                }
            },
            (Some(n), Some(_)) => {
                ck.errors
                    .push(src.err(&n.span(), "due_next_month_day 与 due_date 只能给出其一"));
                DueOffset::PeriodEnd
            }
        };
        let times = match &d.times {
            None => 1,
            Some(t) => {
                if !(1..=12).contains(t.get_ref()) {
                    ck.errors
                        .push(src.err(&t.span(), "每周期次数 times 应在 1 到 12 之间"));
                }
                *t.get_ref()
            }
        };
        let rule = DutyRule {
            id: id.clone(),
            label: label.clone(),
            who,
            period,
            due,
            times,
            source: d.source.get_ref().clone(),
            open: d.open.clone(),
        };
        ck.cite(
            &format!("duty.{id}"),
            &format!("{}：{label}", who.label()),
            rule.schedule_label(),
            &d.source,
            &d.open,
        );
        out.push(rule);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACK: &str = include_str!("../../../../policies/zmdy/pack.toml");
    const CLOUD: &str = include_str!("../../../../policies/zmdy/cloud.toml");

    fn load(extra: &str) -> Result<CloudRules, Vec<String>> {
        let files = vec![
            ("zmdy/pack.toml".to_string(), PACK.to_string()),
            ("zmdy/cloud.toml".to_string(), format!("{CLOUD}\n{extra}")),
        ];
        super::super::check::load_pack(&files)
            .map(|p| p.cloud.expect("cloud rules"))
            .map_err(|e| e.into_iter().map(|e| e.message).collect())
    }

    #[test]
    fn zmdy_20_duties_load_with_their_due_offsets() {
        let r = load("").unwrap();
        let ops = r.duties.iter().find(|d| d.id == "ops_report").unwrap();
        assert_eq!(ops.who, DutyParty::Provider);
        assert_eq!(ops.period, Recurrence::Monthly);
        assert_eq!(ops.due, DueOffset::NextMonthDay(5));
        assert_eq!(ops.schedule_label(), "每月，次月5日前");
        let drill = r.duties.iter().find(|d| d.id == "drill").unwrap();
        assert_eq!((drill.times, drill.due), (2, DueOffset::PeriodEnd));
        let app = r.duties.iter().find(|d| d.who == DutyParty::Unit).unwrap();
        assert_eq!(app.due, DueOffset::MonthDay(9, 30));
        assert!(r.cited.iter().any(|c| c.key == "duty.ops_report"));
    }

    #[test]
    fn a_bad_duty_is_refused_with_its_reason() {
        let dup = "[[duty]]\nid = \"ops_report\"\nlabel = \"x\"\nwho = \"provider\"\nperiod = \"monthly\"\nsource = \"ZMDY-20\"\n";
        assert!(load(dup).unwrap_err().iter().any(|m| m.contains("重复")));
        let date_on_monthly = "[[duty]]\nid = \"x\"\nlabel = \"x\"\nwho = \"unit\"\nperiod = \"monthly\"\ndue_date = \"09-30\"\nsource = \"ZMDY-37\"\n";
        assert!(load(date_on_monthly)
            .unwrap_err()
            .iter()
            .any(|m| m.contains("只用于每年")));
        let day_29 = "[[duty]]\nid = \"x\"\nlabel = \"x\"\nwho = \"vendor\"\nperiod = \"monthly\"\ndue_next_month_day = 29\nsource = \"ZMDY-20\"\n";
        let errs = load(day_29).unwrap_err();
        assert!(errs.iter().any(|m| m.contains("1 到 28")), "{errs:?}");
        assert!(errs.iter().any(|m| m.contains("未知的履职方")), "{errs:?}");
    }
}
