//! A pack's IT-project rules (`projects.toml`, ADR 0017): the numbers of
//! SNXM that are not a step of a process — the share of the contract that
//! supplementary contracts may add, the shortest trial run, the shortest
//! free O&M period, the months to the self-evaluation, the idle months
//! that make a seasonal system freezable — and the refusal cases of
//! SNXM-19 the bureau's opinion is checked against. Every value carries
//! its citation; one the text leaves open says who sets it.

use serde::Deserialize;
use toml::Spanned;

use super::check::{PackError, Src};
use super::cloud::CitedValue;
use super::model::parse_citation;

/// The file of a pack that holds its project rules.
pub const PROJECTS_FILE: &str = "projects.toml";

pub fn is_projects_file(path: &str) -> bool {
    path.rsplit(['/', '\\']).next() == Some(PROJECTS_FILE)
}

/// The checked project rules of a pack.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectRules {
    /// All supplementary contracts of a project together, at most this
    /// percentage of the original contract amount (SNXM-30: 百分之十).
    pub supplement_max_percent: u32,
    /// The trial run lasts at least this many months (SNXM-32: 1个月).
    pub trial_min_months: u32,
    /// Free O&M from acceptance, at least (SNXM-34: 不少于一年).
    pub free_om_min_months: u32,
    /// The self-evaluation is due this many months after operation starts
    /// (SNXM-36: 12个月内).
    pub self_evaluation_within_months: u32,
    /// A seasonal system is frozen when idle longer than this each year
    /// (SNXM-48: 超过4个月).
    pub freeze_idle_over_months: u32,
    /// How far ahead the dashboard lists what ends (open in the text).
    pub warn_days: u32,
    /// The rectification period the finding form proposes (SNXM-37:
    /// 限期整改, the period left open).
    pub rectification_days: u32,
    /// The bool fields of the project process that are SNXM-19(二)'s
    /// refusal cases, with their citation.
    pub refusal_fields: Vec<(String, String)>,
    pub cited: Vec<CitedValue>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    supplement_max_percent: V,
    trial_min_months: V,
    free_om_min_months: V,
    self_evaluation_within_months: V,
    freeze_idle_over_months: V,
    warn_days: V,
    rectification_days: V,
    #[serde(default)]
    refusal: Vec<RawRefusal>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct V {
    value: Spanned<u32>,
    source: Spanned<String>,
    #[serde(default)]
    open: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRefusal {
    field: Spanned<String>,
    source: Spanned<String>,
}

/// Parses and checks `projects.toml`.
pub(super) fn load(src: &Src, text: &str) -> Result<ProjectRules, Vec<PackError>> {
    let raw: Raw = toml::from_str(text).map_err(|e| vec![src.toml_error(&e)])?;
    let mut errors = Vec::new();
    let mut cited = Vec::new();
    let mut take = |key: &str, label: &str, unit: &str, v: &V, range: (u32, u32)| -> u32 {
        let n = *v.value.get_ref();
        if n < range.0 || n > range.1 {
            errors.push(src.err(
                &v.value.span(),
                format!("「{label}」应在 {} 到 {} 之间", range.0, range.1),
            ));
        }
        check_source(src, &v.source, &mut errors);
        cited.push(CitedValue {
            key: key.into(),
            label: label.into(),
            value: format!("{n}{unit}"),
            source: v.source.get_ref().clone(),
            open: v.open.clone(),
            origin: src.origin(&v.source.span()),
        });
        n
    };
    let supplement_max_percent = take(
        "supplement_max_percent",
        "补充合同累计金额上限（占原合同金额）",
        "%",
        &raw.supplement_max_percent,
        (0, 100),
    );
    let trial_min_months = take(
        "trial_min_months",
        "试运行最短时间",
        "个月",
        &raw.trial_min_months,
        (0, 24),
    );
    let free_om_min_months = take(
        "free_om_min_months",
        "保修和免费运维期最短时间",
        "个月",
        &raw.free_om_min_months,
        (0, 120),
    );
    let self_evaluation_within_months = take(
        "self_evaluation_within_months",
        "投入运行后开展绩效自评价的期限",
        "个月",
        &raw.self_evaluation_within_months,
        (1, 60),
    );
    let freeze_idle_over_months = take(
        "freeze_idle_over_months",
        "季节性系统暂停冻结的停用周期（超过）",
        "个月",
        &raw.freeze_idle_over_months,
        (0, 12),
    );
    let warn_days = take(
        "warn_days",
        "到期提醒提前天数",
        "天",
        &raw.warn_days,
        (1, 365),
    );
    let rectification_days = take(
        "rectification_days",
        "限期整改的默认期限",
        "天",
        &raw.rectification_days,
        (1, 365),
    );
    let mut refusal_fields = Vec::new();
    for r in &raw.refusal {
        check_source(src, &r.source, &mut errors);
        refusal_fields.push((r.field.get_ref().clone(), r.source.get_ref().clone()));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ProjectRules {
        supplement_max_percent,
        trial_min_months,
        free_om_min_months,
        self_evaluation_within_months,
        freeze_idle_over_months,
        warn_days,
        rectification_days,
        refusal_fields,
        cited,
    })
}

fn check_source(src: &Src, source: &Spanned<String>, errors: &mut Vec<PackError>) {
    if parse_citation(source.get_ref()).is_none() {
        errors.push(src.err(
            &source.span(),
            format!(
                "依据条款「{}」格式错误，应为「代码-条款号」，如 SNXM-30",
                source.get_ref()
            ),
        ));
    }
}

impl ProjectRules {
    /// The citation of a value by its key (`supplement_max_percent`, ...).
    pub fn source_of(&self, key: &str) -> &str {
        self.cited
            .iter()
            .find(|v| v.key == key)
            .map_or("", |v| v.source.as_str())
    }
}
