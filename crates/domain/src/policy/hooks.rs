//! The registry of hook names a pack may put on a transition (ADR 0010).
//!
//! A pack names platform behaviour by keyword instead of the platform
//! recognising pack process ids: `[[transition.gate]]` lists checks that
//! must hold before the transition is taken, `[[transition.effect]]` side
//! effects applied in the transition's transaction. `yunwei policy check`
//! refuses any name not listed here; `core::hooks` implements each one.

/// A go-live emergency plan (`golive_plans` register) names the ticket.
pub const GOLIVE_PLAN: &str = "golive_plan";
/// A pre-launch security check (`prelaunch_checks` register) of the
/// ticket passed code review, virus scan and vulnerability scan.
pub const PRELAUNCH_CHECKS: &str = "prelaunch_checks";
/// The `grantee` field names an active account and the `valid_from` /
/// `valid_until` dates are in order and not past.
pub const GRANTEE: &str = "grantee";
/// As [`GRANTEE`], and the account belongs to the ticket's organisation.
pub const GRANTEE_OF_ORG: &str = "grantee_of_org";

/// Files a temporary grant (`access_grants`) for the ticket's `grantee`,
/// of the organisation, from `access_kind`, `scope` and the dates.
pub const TEMPORARY_GRANT: &str = "temporary_grant";
/// Files a temporary grant for an account created for `grantee`
/// (`account`, `rights`, `admin_account`, `valid_until`).
pub const ACCOUNT_GRANT: &str = "account_grant";
/// Revokes (and confirms the removal of) the `grantee`'s grants on the
/// ticket's `system`.
pub const REVOKE_GRANT: &str = "revoke_grant";
/// Links the configuration item named by the ticket's `server` field.
pub const LINK_NAMED_CI: &str = "link_named_ci";

/// Intake: tickets of the process are also opened by the inspections
/// feature, from the abnormal items of an inspection record whose filer
/// asks for it (JSCZ-28: 事件……主要来源于问题上报或监控巡检发现; JSCZ-31:
/// 将问题单或巡检单转为事件登记单).
pub const INSPECTION_FINDING: &str = "inspection_finding";

/// Where else a process's tickets come from (`intake = [...]` on a
/// process): name and what it means.
pub const INTAKES: &[(&str, &str)] = &[(INSPECTION_FINDING, "巡检发现异常时登记")];

pub fn is_intake(name: &str) -> bool {
    INTAKES.iter().any(|(n, _)| *n == name)
}

/// Gates: name and what it checks, for messages and docs.
pub const GATES: &[(&str, &str)] = &[
    (GOLIVE_PLAN, "已登记上线应急方案"),
    (PRELAUNCH_CHECKS, "上线前安全检测全部通过"),
    (GRANTEE, "使用人为有效账号，授权有效期未过"),
    (GRANTEE_OF_ORG, "使用人为申请单位的有效账号，授权有效期未过"),
];

/// Effects: name and what it does.
pub const EFFECTS: &[(&str, &str)] = &[
    (TEMPORARY_GRANT, "登记临时授权"),
    (ACCOUNT_GRANT, "为新开账号登记临时授权"),
    (REVOKE_GRANT, "收回账号在该系统上的授权"),
    (LINK_NAMED_CI, "关联 server 字段所指的配置项"),
];

pub fn is_gate(name: &str) -> bool {
    GATES.iter().any(|(n, _)| *n == name)
}

pub fn is_effect(name: &str) -> bool {
    EFFECTS.iter().any(|(n, _)| *n == name)
}

/// Every hook name, gates first.
pub fn all() -> impl Iterator<Item = &'static str> {
    GATES.iter().chain(EFFECTS).map(|(n, _)| *n)
}
