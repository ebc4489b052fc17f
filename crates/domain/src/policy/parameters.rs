//! A pack's parameters (`parameters.toml`, ADR 0018): the numbers and due
//! rules the register and feature code uses that are not a step of a
//! process — a vulnerability's fix deadline, how often a security review
//! is owed, when a vendor's annual plan is due. Each carries the article it
//! interprets; one the text leaves open says who chooses it (`open`,
//! "本单位确定"). Keys are unique across the shipped packs, so the code
//! asks for a parameter by its key alone
//! (`yunwei_core::kernel::parameters`).
//!
//! ```toml
//! # 第四十二条 ……按检测报告及时进行漏洞修复后方可启动变更流程
//! [[parameter]]
//! key = "vulnerability.fix_days.critical"
//! value = 7
//! label = "紧急漏洞修复期限（天）"
//! source = "JSCZ-42"
//! open = "本单位确定：条文只要求「及时」修复，未规定天数"
//! ```
//!
//! A key ending in `.due` is a due rule of a periodic duty and must parse
//! as one ([`crate::schedule::DueOffset::parse`]); a key ending in
//! `.every` is a recurrence ([`crate::schedule::Recurrence::parse`]).

use serde::Deserialize;
use toml::Spanned;

use super::check::{PackError, Src};
use super::cloud::CitedValue;
use super::model::{parse_citation, Origin};
use crate::schedule::{DueOffset, Recurrence};

/// The file of a pack that holds its parameters.
pub const PARAMETERS_FILE: &str = "parameters.toml";

pub fn is_parameters_file(path: &str) -> bool {
    path.rsplit(['/', '\\']).next() == Some(PARAMETERS_FILE)
}

/// A parameter's value: a whole number or a short text (a due rule, a
/// recurrence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamValue {
    Int(i64),
    Text(String),
}

impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamValue::Int(n) => write!(f, "{n}"),
            ParamValue::Text(t) => f.write_str(t),
        }
    }
}

/// One checked parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    pub key: String,
    pub value: ParamValue,
    pub label: String,
    pub source: String,
    /// Who chooses the value where the text sets none.
    pub open: Option<String>,
    pub origin: Origin,
}

impl Parameter {
    pub fn cited(&self) -> CitedValue {
        CitedValue {
            key: self.key.clone(),
            label: self.label.clone(),
            value: self.value.to_string(),
            source: self.source.clone(),
            open: self.open.clone(),
            origin: self.origin.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    parameter: Vec<RawParam>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParam {
    key: Spanned<String>,
    value: Spanned<toml::Value>,
    label: Spanned<String>,
    source: Spanned<String>,
    #[serde(default)]
    open: Option<Spanned<String>>,
}

/// Parses and checks `parameters.toml`.
pub(super) fn load(src: &Src, text: &str) -> Result<Vec<Parameter>, Vec<PackError>> {
    let raw: Raw = toml::from_str(text).map_err(|e| vec![src.toml_error(&e)])?;
    let mut errors = Vec::new();
    let mut out: Vec<Parameter> = Vec::new();
    for r in raw.parameter {
        let key = r.key.get_ref().trim().to_string();
        let key_ok = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.');
        if !key_ok {
            errors.push(src.err(
                &r.key.span(),
                format!("参数标识「{key}」无效，只能由小写字母、数字、下划线和点组成"),
            ));
        }
        if out.iter().any(|p| p.key == key) {
            errors.push(src.err(&r.key.span(), format!("参数标识「{key}」重复")));
        }
        if r.label.get_ref().trim().is_empty() {
            errors.push(src.err(&r.label.span(), "参数名称不能为空"));
        }
        if parse_citation(r.source.get_ref()).is_none() {
            errors.push(src.err(
                &r.source.span(),
                format!(
                    "依据条款「{}」格式错误，应为「代码-条款号」，如 JSCZ-42",
                    r.source.get_ref()
                ),
            ));
        }
        if let Some(o) = &r.open {
            if o.get_ref().trim().is_empty() {
                errors.push(src.err(
                    &o.span(),
                    "open 不能为空：写明由谁确定该值，如「本单位确定」",
                ));
            }
        }
        let value = match r.value.get_ref() {
            toml::Value::Integer(n) if *n >= 0 => ParamValue::Int(*n),
            toml::Value::String(t) if !t.trim().is_empty() => ParamValue::Text(t.trim().into()),
            _ => {
                errors.push(src.err(
                    &r.value.span(),
                    format!("参数「{key}」的值应为非负整数或非空文本"),
                ));
                continue;
            }
        };
        if let Some(msg) = kind_error(&key, &value) {
            errors.push(src.err(&r.value.span(), msg));
        }
        out.push(Parameter {
            key,
            value,
            label: r.label.get_ref().trim().to_string(),
            source: r.source.get_ref().clone(),
            open: r.open.map(|o| o.into_inner()),
            origin: src.origin(&r.key.span()),
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// A `.due` key needs a due rule, an `.every` key a recurrence.
fn kind_error(key: &str, value: &ParamValue) -> Option<String> {
    let text = match value {
        ParamValue::Text(t) => Some(t.as_str()),
        ParamValue::Int(_) => None,
    };
    if key.ends_with(".due") {
        return match text.map(DueOffset::parse) {
            Some(Ok(_)) => None,
            Some(Err(e)) => Some(e.message),
            None => Some(format!("参数「{key}」应为到期规则文本，如 period_end")),
        };
    }
    if key.ends_with(".every") {
        return match text.map(Recurrence::parse) {
            Some(Ok(_)) => None,
            Some(Err(e)) => Some(e.message),
            None => Some(format!("参数「{key}」应为周期文本，如 monthly")),
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<Vec<Parameter>, Vec<PackError>> {
        load(&Src::new("policies/x/parameters.toml", text), text)
    }

    #[test]
    fn parameters_load_with_value_citation_and_open_note() {
        let ps = load_text(
            "[[parameter]]\nkey = \"a.days\"\nvalue = 7\nlabel = \"期限\"\nsource = \"JSCZ-42\"\nopen = \"本单位确定\"\n\n[[parameter]]\nkey = \"a.due\"\nvalue = \"period_start\"\nlabel = \"计划\"\nsource = \"JSCZ-7\"\n",
        )
        .unwrap();
        assert_eq!(ps[0].value, ParamValue::Int(7));
        assert_eq!(ps[0].open.as_deref(), Some("本单位确定"));
        assert_eq!(ps[1].value, ParamValue::Text("period_start".into()));
        assert_eq!((ps[1].origin.line, ps[1].origin.col), (9, 7));
        assert_eq!(ps[1].cited().value, "period_start");
    }

    #[test]
    fn bad_parameters_are_reported_at_their_place() {
        let errors = load_text(
            "[[parameter]]\nkey = \"a.due\"\nvalue = \"soon\"\nlabel = \"计划\"\nsource = \"JSCZ7\"\n\n[[parameter]]\nkey = \"a.due\"\nvalue = -1\nlabel = \"\"\nsource = \"JSCZ-7\"\n",
        )
        .unwrap_err();
        let at: Vec<(u32, u32)> = errors.iter().map(|e| (e.line, e.col)).collect();
        // Citation, due rule; then the duplicate key, the empty label, the
        // negative value.
        assert_eq!(at, [(5, 10), (3, 9), (8, 7), (10, 9), (9, 9)], "{errors:?}");
        assert!(
            errors[1].message.contains("到期规则"),
            "{}",
            errors[1].message
        );
        assert!(errors[2].message.contains("重复"));
    }
}
