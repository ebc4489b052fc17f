//! Alertmanager webhook integration (ADR 0024): the per-source
//! configuration of `[alertmanager]` in `yunwei.toml`, the webhook payload
//! (version 4) and the pure rules (level mapping, host of an `instance`,
//! token comparison). No IO: `core::features::alerts` runs them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::policy::model::FieldType;
use crate::policy::Pack;

/// Largest webhook body accepted (checked before it is read).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Alerts of one notification written into the incident; the rest are
/// counted, not listed (a storm must not make one huge ticket).
pub const MAX_ALERTS_LISTED: usize = 50;
/// Alerts of one notification looked at in all.
pub const MAX_ALERTS: usize = 1000;

/// `[alertmanager]`: the sources allowed to post, by name (the last path
/// segment of `POST /api/v1/integrations/alertmanager/{source}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertmanagerSettings {
    #[serde(default)]
    pub sources: BTreeMap<String, AlertSource>,
}

/// One Alertmanager (or one receiver of it) and where its alerts go. The
/// process, its fields and transitions are the pack's, named here: the
/// regulation stays data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertSource {
    /// The bearer token Alertmanager sends (`http_config.authorization`);
    /// may come from `YUNWEI_ALERTMANAGER_<SOURCE>_TOKEN` instead.
    #[serde(default)]
    pub token: String,
    /// The organisation the incidents belong to (its name, unique in the
    /// tree, or its id); the service account 「监控告警：<source>」 lives there.
    pub org: String,
    /// Pack and process of the incidents (`jscz` / `incident`).
    pub pack: String,
    pub process: String,
    /// The choice field the level goes into and the label it comes from.
    #[serde(default)]
    pub level_field: Option<String>,
    #[serde(default = "default_level_label")]
    pub level_label: String,
    /// Label value -> choice value (`critical = "2"`).
    #[serde(default)]
    pub levels: BTreeMap<String, String>,
    /// Choice value when the label is missing or not in `levels`.
    #[serde(default)]
    pub default_level: Option<String>,
    /// Long-text field that receives the alerts' summary.
    #[serde(default)]
    pub description_field: Option<String>,
    /// Date-time field that receives the earliest `startsAt`.
    #[serde(default)]
    pub occurred_field: Option<String>,
    /// Further fixed values (`origin = "inspection"`).
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// Labels tried, in order, against the CMDB (item code, IP address,
    /// name); `instance` loses its `:port`.
    #[serde(default = "default_ci_labels")]
    pub ci_labels: Vec<String>,
    /// Transition taken right after opening (the report to the next role),
    /// when the service account may take it.
    #[serde(default)]
    pub open_transition: Option<String>,
    /// Transition taken when the group is resolved, when the pack lets the
    /// service account take it from the incident's state; otherwise the
    /// resolution is only written on the timeline.
    #[serde(default)]
    pub resolved_transition: Option<String>,
    /// New incidents per window; beyond it alert groups join one open
    /// 「告警风暴」 incident. The organisation's choice; default 20 / 10 min.
    #[serde(default = "default_max_new")]
    pub max_new_incidents: u32,
    #[serde(default = "default_window")]
    pub window_minutes: u32,
}

fn default_level_label() -> String {
    "severity".into()
}
fn default_ci_labels() -> Vec<String> {
    vec!["instance".into(), "host".into(), "job".into()]
}
fn default_max_new() -> u32 {
    20
}
fn default_window() -> u32 {
    10
}

/// Source names are path segments and parts of a username.
pub fn valid_source_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 40
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The environment variable that may hold the token of `source`.
pub fn token_env_var(source: &str) -> String {
    format!(
        "YUNWEI_ALERTMANAGER_{}_TOKEN",
        source.to_ascii_uppercase().replace('-', "_")
    )
}

/// Checks the configuration against the loaded packs; the message names
/// what is wrong (startup refuses to run with it).
pub fn check(settings: &AlertmanagerSettings, packs: &[Pack]) -> Result<(), String> {
    for (name, s) in &settings.sources {
        let at = format!("alertmanager.sources.{name}");
        if !valid_source_name(name) {
            return Err(format!(
                "{at}：来源名只能由字母、数字、- 和 _ 组成（不超过40个字符）"
            ));
        }
        if s.token.len() < 16 {
            return Err(format!(
                "{at}.token：令牌须至少16个字符（可用环境变量 {} 提供）",
                token_env_var(name)
            ));
        }
        if s.org.trim().is_empty() {
            return Err(format!("{at}.org：须指定告警事件所属机构"));
        }
        if s.max_new_incidents == 0 || s.window_minutes == 0 {
            return Err(format!("{at}：max_new_incidents 和 window_minutes 须大于0"));
        }
        let pk = packs
            .iter()
            .find(|p| p.id == s.pack)
            .ok_or_else(|| format!("{at}.pack：策略包「{}」未启用或不存在", s.pack))?;
        let pr = pk
            .processes
            .iter()
            .find(|p| p.id == s.process)
            .ok_or_else(|| {
                format!(
                    "{at}.process：策略包「{}」中没有流程「{}」",
                    s.pack, s.process
                )
            })?;
        let field = |id: &str, want: &[FieldType], key: &str| -> Result<(), String> {
            let f = pr
                .field(id)
                .ok_or_else(|| format!("{at}.{key}：流程「{}」没有字段「{id}」", pr.name))?;
            if !want.is_empty() && !want.contains(&f.ty) {
                return Err(format!("{at}.{key}：字段「{}」的类型不适用", f.label));
            }
            Ok(())
        };
        if let Some(lf) = &s.level_field {
            field(lf, &[FieldType::Choice], "level_field")?;
            let f = pr.field(lf).expect("checked above");
            for v in s.levels.values().chain(s.default_level.iter()) {
                if f.choice(v).is_none() {
                    return Err(format!("{at}.levels：字段「{}」没有取值「{v}」", f.label));
                }
            }
        } else if !s.levels.is_empty() || s.default_level.is_some() {
            return Err(format!("{at}.levels：须同时指定 level_field"));
        }
        if let Some(d) = &s.description_field {
            field(
                d,
                &[FieldType::LongText, FieldType::Text],
                "description_field",
            )?;
        }
        if let Some(o) = &s.occurred_field {
            field(o, &[FieldType::DateTime], "occurred_field")?;
        }
        for (k, v) in &s.fields {
            field(k, &[], "fields")?;
            let f = pr.field(k).expect("checked above");
            if crate::policy::FieldValue::from_pack_literal(f.ty, v).is_none()
                || (f.ty == FieldType::Choice && f.choice(v).is_none())
            {
                return Err(format!(
                    "{at}.fields.{k}：「{v}」不是字段「{}」的有效取值",
                    f.label
                ));
            }
        }
        for (key, t) in [
            ("open_transition", &s.open_transition),
            ("resolved_transition", &s.resolved_transition),
        ] {
            if let Some(t) = t {
                if !pr.transitions.iter().any(|x| &x.id == t) {
                    return Err(format!("{at}.{key}：流程「{}」没有流转「{t}」", pr.name));
                }
            }
        }
    }
    Ok(())
}

/// Compares a presented token with the configured one without an early
/// exit on the first differing byte (both are hashed first, so the
/// length does not leak either).
pub fn token_matches(crypto: &dyn crate::crypto::Crypto, presented: &str, expected: &str) -> bool {
    let a = crypto.sm3(presented.as_bytes());
    let b = crypto.sm3(expected.as_bytes());
    let diff = a
        .iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y));
    diff == 0 && !expected.is_empty()
}

/// The host an `instance` label names: `10.0.0.5:9100` -> `10.0.0.5`,
/// `[::1]:9100` -> `::1`, `db01` -> `db01`.
pub fn host_of(value: &str) -> &str {
    let v = value.trim();
    if let Some(rest) = v.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match v.rsplit_once(':') {
        // One colon and digits after it: a port. More colons: bare IPv6.
        Some((host, port))
            if !host.contains(':')
                && !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit()) =>
        {
            host
        }
        _ => v,
    }
}

/// The choice value of the level for these labels.
pub fn level_for(source: &AlertSource, labels: &BTreeMap<String, String>) -> Option<String> {
    labels
        .get(&source.level_label)
        .and_then(|v| source.levels.get(v.trim()))
        .or(source.default_level.as_ref())
        .cloned()
}

/// The Alertmanager webhook payload, version 4. Unknown keys are ignored
/// (Alertmanager adds some, e.g. `truncatedAlerts`, `externalURL`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookMessage {
    pub version: String,
    pub group_key: String,
    pub status: String,
    #[serde(default)]
    pub receiver: String,
    #[serde(default)]
    pub group_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub common_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub common_annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub truncated_alerts: u64,
    pub alerts: Vec<WebhookAlert>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookAlert {
    pub status: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub starts_at: Option<String>,
    #[serde(default)]
    pub ends_at: Option<String>,
    #[serde(default)]
    pub fingerprint: String,
}

impl WebhookMessage {
    pub fn is_resolved(&self) -> bool {
        self.status == "resolved"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_loses_its_port() {
        assert_eq!(host_of("10.0.0.5:9100"), "10.0.0.5");
        assert_eq!(host_of("db01"), "db01");
        assert_eq!(host_of("[::1]:9100"), "::1");
        assert_eq!(host_of("fe80::1"), "fe80::1");
        assert_eq!(host_of("host:abc"), "host:abc");
    }

    #[test]
    fn token_compare() {
        let c = crate::crypto::SoftwareCrypto;
        assert!(token_matches(
            &c,
            "abcdefabcdefabcdef",
            "abcdefabcdefabcdef"
        ));
        assert!(!token_matches(
            &c,
            "abcdefabcdefabcdeX",
            "abcdefabcdefabcdef"
        ));
        assert!(!token_matches(&c, "", ""));
    }
}
