//! The articles of a pack's regulation that the platform leaves out on
//! purpose (`coverage.toml`, ADR 0019), each with the reason: a general
//! provision (purpose, scope, definitions, entry into force), an
//! exhortation with nothing to check, or a matter outside an O&M platform
//! (a budget decision, a procurement law, a building's fire code).
//! `yunwei policy trace` lists them as "不执行" with the reason, so that
//! an article without a rule is either explained here or reported as not
//! enforced yet; it never counts as covered.

use serde::Deserialize;
use toml::Spanned;

use super::check::{PackError, Src};
use super::model::{parse_citation, Origin};

/// The file of a pack that lists the articles left out on purpose.
pub const COVERAGE_FILE: &str = "coverage.toml";

pub fn is_coverage_file(path: &str) -> bool {
    path.rsplit(['/', '\\']).next() == Some(COVERAGE_FILE)
}

/// Why an article is not enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Purpose, basis, scope, definitions, interpretation, entry into force.
    General,
    /// A principle or an exhortation: nothing a platform can check.
    Exhortation,
    /// A matter an O&M platform does not hold (budgets, procurement,
    /// personnel decisions, facilities).
    Outside,
}

impl Reason {
    const ALL: [Reason; 3] = [Reason::General, Reason::Exhortation, Reason::Outside];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::General => "general",
            Reason::Exhortation => "exhortation",
            Reason::Outside => "outside",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Reason::General => "总则或附则",
            Reason::Exhortation => "原则性、倡导性要求，无可检查的事项",
            Reason::Outside => "运维管理平台之外的事项",
        }
    }

    fn parse(s: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// One article left out on purpose.
#[derive(Debug, Clone, PartialEq)]
pub struct Omission {
    pub source: String,
    pub reason: Reason,
    /// What the article asks and why the platform does not hold it.
    pub note: String,
    pub origin: Origin,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    omit: Vec<RawOmit>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOmit {
    source: Spanned<String>,
    reason: Spanned<String>,
    note: Spanned<String>,
}

/// Parses and checks `coverage.toml`: every entry cites an article, gives
/// a known reason and a note, and no article is listed twice.
pub(super) fn load(src: &Src, text: &str) -> Result<Vec<Omission>, Vec<PackError>> {
    let raw: Raw = toml::from_str(text).map_err(|e| vec![src.toml_error(&e)])?;
    let mut errors = Vec::new();
    let mut out: Vec<Omission> = Vec::new();
    for o in raw.omit {
        if parse_citation(o.source.get_ref()).is_none() {
            errors.push(src.err(
                &o.source.span(),
                format!(
                    "依据条款「{}」格式错误，应为「代码-条款号」，如 JSCZ-1",
                    o.source.get_ref()
                ),
            ));
        }
        if out.iter().any(|x| x.source == *o.source.get_ref()) {
            errors.push(src.err(
                &o.source.span(),
                format!("条款「{}」重复列出", o.source.get_ref()),
            ));
        }
        let reason = Reason::parse(o.reason.get_ref()).unwrap_or_else(|| {
            errors.push(src.err(
                &o.reason.span(),
                format!(
                    "未知的不执行原因「{}」，可用：general、exhortation、outside",
                    o.reason.get_ref()
                ),
            ));
            Reason::Outside
        });
        if o.note.get_ref().trim().is_empty() {
            errors.push(src.err(&o.note.span(), "请说明该条款要求什么、为何不由平台执行"));
        }
        out.push(Omission {
            source: o.source.get_ref().clone(),
            reason,
            note: o.note.get_ref().trim().to_string(),
            origin: src.origin(&o.source.span()),
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}
