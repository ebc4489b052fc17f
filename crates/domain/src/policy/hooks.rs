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
/// Every field with `ticket_of` names, by number, a ticket of that
/// process of the same pack that the caller may see, in the state
/// `ticket_reached` or one reached from it (a release's approved change,
/// JSCZ-11, JSCZ-16).
pub const NAMED_TICKET: &str = "named_ticket";
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

/// Government cloud (ADR 0016). The ticket's `system` field (a `ci`)
/// names the CMDB item of a cloud system of the ticket's organisation; the
/// numbers come from the `cloud.toml` of the platform's pack.
///
/// Gate: the system is registered on a cloud, 申请中, with resources asked
/// for, and the ticket's `unit_level` is the unit's level on that cloud.
pub const CLOUD_APPLY_READY: &str = "cloud_apply_ready";
/// Gate: the trial has lasted its shortest length (ZMDY-16: 15-30天).
pub const CLOUD_TRIAL_ELAPSED: &str = "cloud_trial_elapsed";
/// Gate: the system is 已上线 and has resource changes asked for.
pub const CLOUD_CHANGE_READY: &str = "cloud_change_ready";
/// Gate: the system is on the cloud (部署中, 试用 or 已上线).
pub const CLOUD_EXIT_READY: &str = "cloud_exit_ready";
/// Gate: the ticket's organisation is not barred this year for refusing a
/// 降配/回收 without good reason (SNYP-14: 管理部门不再受理该单位本年度的
/// 资源申请).
pub const CLOUD_NOT_BARRED: &str = "cloud_not_barred";

/// Effect: the ticket goes to the platform's provider (its owning team).
pub const CLOUD_ROUTE_PROVIDER: &str = "cloud_route_provider";
/// Effect: the requested resources are allocated from today (billing
/// starts); the system enters its trial, or deployment where the pack has
/// no trial.
pub const CLOUD_ALLOCATE: &str = "cloud_allocate";
/// Effect: the system and its resources go live; where the pack keeps the
/// old system (ZMDY-17), that keeping is a due control.
pub const CLOUD_GO_LIVE: &str = "cloud_go_live";
/// Effect: resources asked for and not allocated are withdrawn.
pub const CLOUD_WITHDRAW: &str = "cloud_withdraw";
/// Effect: a change is submitted: the system and the rows it changes are
/// 变更中 until it is applied or refused.
pub const CLOUD_CHANGE_OPENED: &str = "cloud_change_opened";
/// Effect: the requested changes replace the rows they change, from today.
pub const CLOUD_CHANGE_APPLIED: &str = "cloud_change_applied";
/// Effect: the system enters its exit; the end of the transition (ZMDY-19:
/// 30天, SNYP-16: 3个月) is a due control.
pub const CLOUD_EXIT_APPROVED: &str = "cloud_exit_approved";
/// Effect: data cleared and resources reclaimed (billing ends today).
pub const CLOUD_RECLAIMED: &str = "cloud_reclaimed";

/// Government IT projects (ADR 0017), the numbers from the pack's
/// `projects.toml`.
///
/// Gate: every bool field the transition asks for (its `require` and the
/// `required_if`s that hold) is ticked: a checklist (SNXM-11, SNXM-22,
/// SNXM-40).
pub const CHECKLIST_TICKED: &str = "checklist_ticked";
/// Gate: the unit has no unremedied major security or cryptography
/// finding (SNXM-43).
pub const PROJECT_UNIT_UNBLOCKED: &str = "project_unit_unblocked";
/// Gate: none of the refusal cases of SNXM-19(二) is ticked.
pub const PROJECT_NO_REFUSAL_CASE: &str = "project_no_refusal_case";
/// Gate: the project is on an annual plan (SNXM-17).
pub const PROJECT_ON_PLAN: &str = "project_on_plan";
/// Gate: the contract keeps the free O&M period of the pack (SNXM-34).
pub const PROJECT_CONTRACT_TERMS: &str = "project_contract_terms";
/// Gate: the trial run has lasted its shortest length (SNXM-32).
pub const PROJECT_TRIAL_ELAPSED: &str = "project_trial_elapsed";
/// Gate: the supplementary contracts of the project, this one included,
/// stay within the pack's share of the original contract (SNXM-30).
pub const PROJECT_SUPPLEMENT_WITHIN_LIMIT: &str = "project_supplement_within_limit";
/// Gate: the case of a disposal holds (SNXM-48: idle longer than the
/// pack's months).
pub const DISPOSAL_CASE_HOLDS: &str = "disposal_case_holds";

/// Effect: the project's row is written from the application's fields
/// (name, kind, route, total investment).
pub const PROJECT_REGISTERED: &str = "project_registered";
/// Effect: the project enters the library (SNXM-16).
pub const PROJECT_ENTER_LIBRARY: &str = "project_enter_library";
/// Effect: the project is on the annual plan of its `plan_year` (SNXM-17).
pub const PROJECT_PLANNED: &str = "project_planned";
/// Effect: the project stays in the library, off the plan.
pub const PROJECT_UNPLANNED: &str = "project_unplanned";
/// Effect: the contract amount and contractor are recorded (SNXM-30).
pub const PROJECT_CONTRACT_SIGNED: &str = "project_contract_signed";
/// Effect: construction starts; the supervisor is recorded (SNXM-29).
pub const PROJECT_STARTED: &str = "project_started";
/// Effect: the trial run starts today (SNXM-32).
pub const PROJECT_TRIAL_STARTED: &str = "project_trial_started";
/// Effect: accepted today: the free O&M period and the self-evaluation are
/// due controls (SNXM-34, SNXM-36).
pub const PROJECT_ACCEPTED: &str = "project_accepted";
/// Effect: the supplementary contract's amount counts against the limit
/// while it is decided.
pub const PROJECT_SUPPLEMENT_HELD: &str = "project_supplement_held";
/// Effect: a refused supplementary contract no longer counts.
pub const PROJECT_SUPPLEMENT_RELEASED: &str = "project_supplement_released";
/// Effect: the supplementary contract is approved.
pub const PROJECT_SUPPLEMENT_APPROVED: &str = "project_supplement_approved";
/// Effect: the system is closed, merged, frozen, promoted or transferred
/// in the CMDB (SNXM-44..SNXM-48).
pub const SYSTEM_DISPOSED: &str = "system_disposed";
/// Effect: what the transition requires is published to the finance
/// departments of every level (JSCZ-26 (4), (6)).
pub const PUBLISH_TO_FINANCE: &str = "publish_to_finance";

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
    (NAMED_TICKET, "所填工单编号为本人可见、已达到要求状态的工单"),
    (GRANTEE, "使用人为有效账号，授权有效期未过"),
    (GRANTEE_OF_ORG, "使用人为申请单位的有效账号，授权有效期未过"),
    (CLOUD_APPLY_READY, "上云系统已登记并申请了资源"),
    (CLOUD_TRIAL_ELAPSED, "试用已满最短天数"),
    (CLOUD_CHANGE_READY, "系统已上线并提出了资源变更"),
    (CLOUD_EXIT_READY, "系统正在使用政务云"),
    (
        CLOUD_NOT_BARRED,
        "本年度未因拒不降配或回收被停止受理资源申请",
    ),
    (CHECKLIST_TICKED, "核对清单各项均已确认"),
    (PROJECT_UNIT_UNBLOCKED, "建设单位无未整改的重大安全隐患"),
    (PROJECT_NO_REFUSAL_CASE, "不属于不予审批情形"),
    (PROJECT_ON_PLAN, "项目已纳入年度计划"),
    (PROJECT_CONTRACT_TERMS, "合同约定的免费运维期符合要求"),
    (PROJECT_TRIAL_ELAPSED, "试运行已满最短时间"),
    (
        PROJECT_SUPPLEMENT_WITHIN_LIMIT,
        "补充合同累计金额未超过上限",
    ),
    (DISPOSAL_CASE_HOLDS, "处置情形成立"),
];

/// Effects: name and what it does.
pub const EFFECTS: &[(&str, &str)] = &[
    (TEMPORARY_GRANT, "登记临时授权"),
    (ACCOUNT_GRANT, "为新开账号登记临时授权"),
    (REVOKE_GRANT, "收回账号在该系统上的授权"),
    (LINK_NAMED_CI, "关联 server 字段所指的配置项"),
    (CLOUD_ROUTE_PROVIDER, "转交云服务商办理"),
    (CLOUD_ALLOCATE, "分配云资源并开始计费"),
    (CLOUD_GO_LIVE, "系统正式上线"),
    (CLOUD_WITHDRAW, "撤回未分配的资源申请"),
    (CLOUD_CHANGE_OPENED, "系统及所变更资源进入变更中"),
    (CLOUD_CHANGE_APPLIED, "按申请调整云资源"),
    (CLOUD_EXIT_APPROVED, "系统进入退出过渡期"),
    (CLOUD_RECLAIMED, "清除数据并回收云资源"),
    (PROJECT_REGISTERED, "登记项目申报"),
    (PROJECT_ENTER_LIBRARY, "纳入信息化项目库"),
    (PROJECT_PLANNED, "纳入年度计划清单"),
    (PROJECT_UNPLANNED, "暂不纳入年度计划"),
    (PROJECT_CONTRACT_SIGNED, "登记合同金额"),
    (PROJECT_STARTED, "开工建设，登记监理单位"),
    (PROJECT_TRIAL_STARTED, "开始试运行"),
    (PROJECT_ACCEPTED, "登记验收，开始免费运维期和绩效自评价期限"),
    (PROJECT_SUPPLEMENT_HELD, "补充合同金额计入累计"),
    (PROJECT_SUPPLEMENT_RELEASED, "补充合同金额不再计入"),
    (PROJECT_SUPPLEMENT_APPROVED, "补充合同获批"),
    (SYSTEM_DISPOSED, "按处置方式更新信息系统"),
    (PUBLISH_TO_FINANCE, "向各级财政部门发布"),
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
