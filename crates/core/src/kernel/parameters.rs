//! Pack parameters (ADR 0018): the numbers and due rules of the loaded
//! packs' `parameters.toml`, by key. A key names one parameter across all
//! packs (checked by the domain tests), so the code asks for it without
//! naming a pack: `parameters::int(p, "vulnerability.fix_days.high")`.
//! A parameter missing from the loaded packs (a deployment without the
//! pack that sets it) is an error in Chinese naming the key.

use yunwei_domain::policy::parameters::{ParamValue, Parameter};
use yunwei_domain::schedule::{DueOffset, Recurrence};
use yunwei_domain::{AppError, ErrorKind};

use crate::Platform;

/// The parameter with this key in the loaded packs.
pub fn get<'a>(p: &'a Platform, key: &str) -> Result<&'a Parameter, AppError> {
    p.packs
        .iter()
        .find_map(|pk| pk.parameter(key))
        .ok_or_else(|| missing(key, "未在已加载的策略包中配置"))
}

fn missing(key: &str, why: &str) -> AppError {
    AppError::new(
        ErrorKind::Conflict,
        "parameters.missing",
        format!("策略包参数「{key}」{why}，请检查 parameters.toml"),
    )
}

/// A whole-number parameter (days, times).
pub fn int(p: &Platform, key: &str) -> Result<i64, AppError> {
    match &get(p, key)?.value {
        ParamValue::Int(n) => Ok(*n),
        ParamValue::Text(_) => Err(missing(key, "应为整数")),
    }
}

/// A due rule (`<duty>.due`).
pub fn due(p: &Platform, key: &str) -> Result<DueOffset, AppError> {
    match &get(p, key)?.value {
        ParamValue::Text(t) => DueOffset::parse(t),
        ParamValue::Int(_) => Err(missing(key, "应为到期规则")),
    }
}

/// A recurrence (`<duty>.every`).
pub fn every(p: &Platform, key: &str) -> Result<Recurrence, AppError> {
    match &get(p, key)?.value {
        ParamValue::Text(t) => Recurrence::parse(t),
        ParamValue::Int(_) => Err(missing(key, "应为周期")),
    }
}
