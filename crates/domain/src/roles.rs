//! Roles, actions and the permission model.
//!
//! Roles are granted on a scope: an organisation, optionally with its
//! subtree. The three built-in administrators (三员) are mutually exclusive
//! (DESIGN.md section 7); vendor administrator accounts get configuration
//! rights only (`JSCZ-50`); each level administers its own users and roles
//! and those below (`JSCZ-6`).

use serde::{Deserialize, Serialize};

use crate::org::is_within;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 系统管理员: accounts and configuration; grants nothing, reads no business data.
    SysAdmin,
    /// 安全管理员: grants roles, sets security policy, manages sessions.
    SecAdmin,
    /// 审计管理员: reads, searches and exports the audit trail; changes nothing.
    AudAdmin,
    /// 第三方系统管理员账号 (`JSCZ-50`): configuration only.
    VendorAdmin,
    /// 中心主任
    Director,
    /// 中心分管主任 (deputy director in charge)
    DeputyDirector,
    /// 项目负责人
    ProjectLead,
    /// 硬件运维科
    HardwareOps,
    /// 软件科
    SoftwareDev,
    /// 系统管理员 of the managed systems (JSCZ-8, JSCZ-47): opens and
    /// removes accounts and rights in them. Not yunwei's own 系统管理员
    /// ([`Role::SysAdmin`]), who administers the platform (ADR 0007).
    SystemsAdmin,
    /// 安全管理员 of the managed systems (JSCZ-8).
    SecurityOfficer,
    /// 网络管理员 (JSCZ-8): network addresses, firewalls, the bastion host.
    NetworkAdmin,
    /// 业务人员 (finance departments, budget units)
    BusinessStaff,
    /// 厂商工程师 (承建厂商 / 运维服务商)
    VendorEngineer,
    /// 政务云管理人员 of the city's competent department (市数据局 /
    /// 市政务服务和大数据管理局, ZMDY-7, SNYP-6; ADR 0016).
    CloudManager,
    /// 县区政务云管理人员 (ZMDY-9, SNYP-12): reviews its own units first
    /// and settles their bills.
    CountyCloudManager,
    /// 云服务商工程师 (ZMDY-12, SNYP-6): a vendor's staff.
    CloudProvider,
    /// 云监管服务商工程师 (SNYP-6, SNYP-22): a vendor's staff.
    CloudMonitor,
    /// 信息化项目管理人员 of the city's data bureau (SNXM-5: 统一规划、
    /// 年度计划、技术方案审查、履约验收前置核准、绩效监督; ADR 0017).
    ProjectManager,
    /// 县（市、区）、市直园区数据主管部门 (SNXM-13): sends its major
    /// projects to the city bureau.
    CountyProjectManager,
    /// 首席数据官、首席数据执行官 of a unit (SNXM-18): consents first.
    ChiefDataOfficer,
    /// 市财政局 (SNXM-5, SNXM-15, SNXM-24): funding opinion, budget review.
    ProjectFinance,
    /// 市发展改革委 (SNXM-14): 立项审批.
    ProjectDevelopment,
    /// 市委网信办、市公安局 (SNXM-23): 信息安全审核意见.
    ProjectSecurity,
    /// 市委保密机要局 (SNXM-23): 安全可靠、电子文件管理和密码应用合规性.
    ProjectSecrecy,
    /// 处（科）室负责人 (JSCZ-54): the head of a division or section of a
    /// finance department, granted on that division; consents before its
    /// people pass production data to another division.
    DivisionHead,
    /// 本级财政负责人 (JSCZ-54): the head of the finance department of one
    /// level (province, city or county), granted on that level; consents
    /// before its production data go to a third party.
    FinanceHead,
}

impl Role {
    pub const ALL: [Role; 27] = [
        Role::SysAdmin,
        Role::SecAdmin,
        Role::AudAdmin,
        Role::VendorAdmin,
        Role::Director,
        Role::DeputyDirector,
        Role::ProjectLead,
        Role::HardwareOps,
        Role::SoftwareDev,
        Role::SystemsAdmin,
        Role::SecurityOfficer,
        Role::NetworkAdmin,
        Role::BusinessStaff,
        Role::VendorEngineer,
        Role::CloudManager,
        Role::CountyCloudManager,
        Role::CloudProvider,
        Role::CloudMonitor,
        Role::ProjectManager,
        Role::CountyProjectManager,
        Role::ChiefDataOfficer,
        Role::ProjectFinance,
        Role::ProjectDevelopment,
        Role::ProjectSecurity,
        Role::ProjectSecrecy,
        Role::DivisionHead,
        Role::FinanceHead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::SysAdmin => "sys_admin",
            Role::SecAdmin => "sec_admin",
            Role::AudAdmin => "aud_admin",
            Role::VendorAdmin => "vendor_admin",
            Role::Director => "director",
            Role::DeputyDirector => "deputy_director",
            Role::ProjectLead => "project_lead",
            Role::HardwareOps => "hardware_ops",
            Role::SoftwareDev => "software_dev",
            Role::SystemsAdmin => "systems_admin",
            Role::SecurityOfficer => "security_officer",
            Role::NetworkAdmin => "network_admin",
            Role::BusinessStaff => "business_staff",
            Role::VendorEngineer => "vendor_engineer",
            Role::CloudManager => "cloud_manager",
            Role::CountyCloudManager => "county_cloud_manager",
            Role::CloudProvider => "cloud_provider",
            Role::CloudMonitor => "cloud_monitor",
            Role::ProjectManager => "project_manager",
            Role::CountyProjectManager => "county_project_manager",
            Role::ChiefDataOfficer => "chief_data_officer",
            Role::ProjectFinance => "project_finance",
            Role::ProjectDevelopment => "project_development",
            Role::ProjectSecurity => "project_security",
            Role::ProjectSecrecy => "project_secrecy",
            Role::DivisionHead => "division_head",
            Role::FinanceHead => "finance_head",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::SysAdmin => "系统管理员",
            Role::SecAdmin => "安全管理员",
            Role::AudAdmin => "审计管理员",
            Role::VendorAdmin => "第三方系统管理员",
            Role::Director => "中心主任",
            Role::DeputyDirector => "中心分管主任",
            Role::ProjectLead => "项目负责人",
            Role::HardwareOps => "硬件运维人员",
            Role::SoftwareDev => "软件科人员",
            Role::SystemsAdmin => "信息系统管理员",
            Role::SecurityOfficer => "信息系统安全管理员",
            Role::NetworkAdmin => "网络管理员",
            Role::BusinessStaff => "业务人员",
            Role::VendorEngineer => "厂商工程师",
            Role::CloudManager => "政务云管理人员",
            Role::CountyCloudManager => "县区政务云管理人员",
            Role::CloudProvider => "云服务商工程师",
            Role::CloudMonitor => "云监管服务商工程师",
            Role::ProjectManager => "信息化项目管理人员",
            Role::CountyProjectManager => "县区园区信息化项目管理人员",
            Role::ChiefDataOfficer => "首席数据官",
            Role::ProjectFinance => "财政部门项目审核人员",
            Role::ProjectDevelopment => "发展改革部门立项审批人员",
            Role::ProjectSecurity => "网信、公安部门安全审核人员",
            Role::ProjectSecrecy => "保密机要部门审核人员",
            Role::DivisionHead => "处（科）室负责人",
            Role::FinanceHead => "本级财政负责人",
        }
    }

    /// What the role may do, in one sentence for the start-up banner and UI.
    pub fn duty(self) -> &'static str {
        match self {
            Role::SysAdmin => "管理账号、组织机构和系统参数，不能授权，不能查看业务数据",
            Role::SecAdmin => "授予和收回角色、设置安全策略、管理会话，不能创建账号",
            Role::AudAdmin => "查询、导出全部审计记录（含另外两员），不能修改任何数据",
            Role::VendorAdmin => "仅可维护系统配置，不得进行业务操作（JSCZ-50）",
            Role::Director => "审批重大事项，查看和处理本级业务",
            Role::DeputyDirector => "审批分管范围内的重大变更和事件",
            Role::ProjectLead => "受理、分类和分派运维工单",
            Role::HardwareOps => "处理基础设施类事件和变更",
            Role::SoftwareDev => "处理应用类事件、需求和变更",
            Role::SystemsAdmin => "审核特殊访问权限，在被管系统中开通和收回账号与权限",
            Role::SecurityOfficer => "审核特殊访问权限，核查安全措施",
            Role::NetworkAdmin => "审核特殊访问权限，分配网络地址和堡垒机访问",
            Role::BusinessStaff => "提交服务请求，查看本单位业务",
            Role::VendorEngineer => "按分派处理运维工单",
            Role::CloudManager => "审核上云、变更和退出申请，核实云服务费用账单，考评云服务商",
            Role::CountyCloudManager => "初审本县区单位的政务云申请，结算本级费用",
            Role::CloudProvider => "分配和回收云资源，报送资源使用情况和运维、安全报告",
            Role::CloudMonitor => "监测上云系统资源使用率，报送资源使用情况",
            Role::ProjectManager => {
                "管理信息化项目库和年度计划，审查技术方案，核准履约验收，监督绩效"
            }
            Role::CountyProjectManager => "报送本县区、园区重大信息化项目，查看其进展",
            Role::ChiefDataOfficer => "同意本单位信息化项目后方可报批",
            Role::ProjectFinance => "出具资金保障意见，开展财政预算评审",
            Role::ProjectDevelopment => "办理信息化项目立项审批",
            Role::ProjectSecurity => "出具信息化项目信息安全审核意见",
            Role::ProjectSecrecy => "出具安全可靠、电子文件管理和密码应用合规性审核意见",
            Role::DivisionHead => "同意本处（科）室人员将生产数据转发其他处（科）室（JSCZ-54）",
            Role::FinanceHead => "同意本级财政将生产数据提供第三方单位、组织或个人（JSCZ-54）",
        }
    }

    /// The three built-in administrators (三员).
    pub fn is_three_admin(self) -> bool {
        matches!(self, Role::SysAdmin | Role::SecAdmin | Role::AudAdmin)
    }

    pub fn is_business(self) -> bool {
        matches!(
            self,
            Role::Director
                | Role::DeputyDirector
                | Role::ProjectLead
                | Role::HardwareOps
                | Role::SoftwareDev
                | Role::SystemsAdmin
                | Role::SecurityOfficer
                | Role::NetworkAdmin
                | Role::BusinessStaff
                | Role::VendorEngineer
                | Role::CloudManager
                | Role::CountyCloudManager
                | Role::CloudProvider
                | Role::CloudMonitor
                | Role::ProjectManager
                | Role::CountyProjectManager
                | Role::ChiefDataOfficer
                | Role::ProjectFinance
                | Role::ProjectDevelopment
                | Role::ProjectSecurity
                | Role::ProjectSecrecy
                | Role::DivisionHead
                | Role::FinanceHead
        )
    }

    /// Staff of a third party (a vendor organisation): they act on the
    /// tickets of the region their vendor serves, not of their own
    /// organisation.
    pub fn is_vendor_side(self) -> bool {
        matches!(
            self,
            Role::VendorEngineer | Role::CloudProvider | Role::CloudMonitor
        )
    }
}

/// Everything a principal can attempt. The web layer maps each endpoint to
/// exactly one action; the permission matrix test enumerates them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    OrgView,
    OrgManage,
    UserView,
    UserCreate,
    UserUpdate,
    UserDisable,
    UserResetPassword,
    RoleView,
    RoleGrant,
    SessionManage,
    SecurityPolicyView,
    SecurityPolicyEdit,
    ConfigView,
    ConfigEdit,
    AuditRead,
    AuditExport,
    BusinessRead,
    BusinessOperate,
    /// Import holiday data into the working-day calendar (configuration).
    CalendarManage,
    /// Write, edit and publish knowledge articles (`EEDS-3.2.4`,
    /// `NTCZ-6.1.2`); reading published articles is `BusinessRead`.
    KnowledgeEdit,
    /// Keep the operations registers (CMDB, archives, inspections, backups,
    /// drills, vendors; issue 4) and download technical archives
    /// (`EEDS-3.6`); reading the registers is `BusinessRead`.
    RegisterEdit,
    /// Approve register requests: asset requisitions, backup plans,
    /// vendor staff changes (the purchaser's and the leaders' say).
    RegisterApprove,
    /// 政务云管理: the service catalogue, units' cloud profiles, reviews of
    /// bills, evaluations (ADR 0016).
    CloudManage,
    /// 报送政务云数据: a provider's or monitor's utilisation tables and
    /// reports (ADR 0016).
    CloudReport,
    /// 管理信息化项目: the project library, the annual plan, supervision
    /// findings (SNXM-5, SNXM-16, SNXM-17, SNXM-37; ADR 0017).
    ProjectManage,
    /// 审核信息化项目: read the projects in scope and give an opinion on
    /// them (SNXM-14, SNXM-15, SNXM-23, SNXM-24), without reading the
    /// other business of the organisations in that scope.
    ProjectReview,
}

impl Action {
    pub const ALL: [Action; 26] = [
        Action::OrgView,
        Action::OrgManage,
        Action::UserView,
        Action::UserCreate,
        Action::UserUpdate,
        Action::UserDisable,
        Action::UserResetPassword,
        Action::RoleView,
        Action::RoleGrant,
        Action::SessionManage,
        Action::SecurityPolicyView,
        Action::SecurityPolicyEdit,
        Action::ConfigView,
        Action::ConfigEdit,
        Action::AuditRead,
        Action::AuditExport,
        Action::BusinessRead,
        Action::BusinessOperate,
        Action::CalendarManage,
        Action::KnowledgeEdit,
        Action::RegisterEdit,
        Action::RegisterApprove,
        Action::CloudManage,
        Action::CloudReport,
        Action::ProjectManage,
        Action::ProjectReview,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Action::OrgView => "查看组织机构",
            Action::OrgManage => "维护组织机构",
            Action::UserView => "查看用户",
            Action::UserCreate => "创建账号",
            Action::UserUpdate => "修改账号",
            Action::UserDisable => "停用或启用账号",
            Action::UserResetPassword => "重置密码",
            Action::RoleView => "查看授权",
            Action::RoleGrant => "授予或收回角色",
            Action::SessionManage => "管理他人会话",
            Action::SecurityPolicyView => "查看安全策略",
            Action::SecurityPolicyEdit => "修改安全策略",
            Action::ConfigView => "查看系统参数",
            Action::ConfigEdit => "修改系统参数",
            Action::AuditRead => "查询审计记录",
            Action::AuditExport => "导出审计记录",
            Action::BusinessRead => "查看业务数据",
            Action::BusinessOperate => "办理业务",
            Action::CalendarManage => "维护工作日历",
            Action::KnowledgeEdit => "编辑和发布知识",
            Action::RegisterEdit => "维护运维台账",
            Action::RegisterApprove => "审批台账事项",
            Action::CloudManage => "管理政务云",
            Action::CloudReport => "报送政务云数据",
            Action::ProjectManage => "管理信息化项目",
            Action::ProjectReview => "审核信息化项目",
        }
    }
}

/// The static role -> action table. Scope is checked separately.
pub fn role_allows(role: Role, action: Action) -> bool {
    use Action::*;
    match role {
        Role::SysAdmin => matches!(
            action,
            OrgView
                | OrgManage
                | UserView
                | UserCreate
                | UserUpdate
                | UserDisable
                | UserResetPassword
                | RoleView
                | SecurityPolicyView
                | ConfigView
                | ConfigEdit
                | CalendarManage
        ),
        Role::SecAdmin => matches!(
            action,
            OrgView
                | UserView
                | RoleView
                | RoleGrant
                | SessionManage
                | SecurityPolicyView
                | SecurityPolicyEdit
        ),
        Role::AudAdmin => matches!(
            action,
            OrgView | UserView | RoleView | AuditRead | AuditExport
        ),
        Role::VendorAdmin => matches!(action, ConfigView | ConfigEdit),
        // Those who solve incidents record and publish what they learnt
        // (EEDS-3.2.4, NTCZ-6.1.2).
        // Leaders and project leads approve what the registers request
        // (asset requisitions JSCZ-9, backup plans EEDS-3.7.2, vendor
        // staff changes NTCZ-6.1.7).
        Role::Director | Role::DeputyDirector | Role::ProjectLead => {
            matches!(
                action,
                OrgView
                    | BusinessRead
                    | BusinessOperate
                    | KnowledgeEdit
                    | RegisterEdit
                    | RegisterApprove
            )
        }
        // The managed systems' administrators review and handle access
        // requests and keep the registers (the temporary grants they open
        // and confirm removed, JSCZ-49).
        Role::SystemsAdmin | Role::SecurityOfficer | Role::NetworkAdmin => {
            matches!(
                action,
                OrgView | BusinessRead | BusinessOperate | RegisterEdit
            )
        }
        Role::HardwareOps | Role::SoftwareDev => {
            matches!(
                action,
                OrgView | BusinessRead | BusinessOperate | KnowledgeEdit | RegisterEdit
            )
        }
        // Vendors keep the registers they maintain (EEDS-2.2.2.4, JSCZ-10).
        Role::VendorEngineer => {
            matches!(
                action,
                BusinessRead | BusinessOperate | KnowledgeEdit | RegisterEdit
            )
        }
        Role::BusinessStaff => matches!(action, BusinessRead | BusinessOperate),
        // The heads who consent to data leaving a division or the finance
        // department (JSCZ-54) read the business of what they head, where
        // the requests wait for them.
        Role::DivisionHead | Role::FinanceHead => {
            matches!(action, OrgView | BusinessRead | BusinessOperate)
        }
        // The competent departments run the cloud's supervision (ZMDY-8,
        // ZMDY-9, SNYP-6): review, the catalogue, bills, evaluations.
        Role::CloudManager | Role::CountyCloudManager => matches!(
            action,
            OrgView | BusinessRead | BusinessOperate | RegisterEdit | RegisterApprove | CloudManage
        ),
        // Providers and monitors report what they run and measure
        // (ZMDY-12, ZMDY-20, SNYP-14, SNYP-22).
        Role::CloudProvider | Role::CloudMonitor => matches!(
            action,
            BusinessRead | BusinessOperate | RegisterEdit | CloudReport
        ),
        // The data bureau runs the projects of the city (SNXM-5); a
        // county's or park's bureau those of its region (SNXM-13).
        Role::ProjectManager => matches!(
            action,
            OrgView | BusinessRead | BusinessOperate | ProjectManage | ProjectReview
        ),
        Role::CountyProjectManager => {
            matches!(
                action,
                OrgView | BusinessRead | BusinessOperate | ProjectReview
            )
        }
        // A unit's CDO consents to its projects (SNXM-18).
        Role::ChiefDataOfficer => matches!(action, BusinessRead | BusinessOperate),
        // The reviewing authorities read the projects they give opinions
        // on, nothing else of the units (SNXM-14, SNXM-15, SNXM-23).
        Role::ProjectFinance
        | Role::ProjectDevelopment
        | Role::ProjectSecurity
        | Role::ProjectSecrecy => matches!(action, OrgView | ProjectReview),
    }
}

/// One role held on a scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopedRole {
    pub role: Role,
    /// Materialised path of the scope organisation.
    pub scope_path: String,
    /// True: the organisation and everything below it; false: that organisation only.
    pub subtree: bool,
}

impl ScopedRole {
    pub fn covers(&self, target_path: &str) -> bool {
        if self.subtree {
            is_within(target_path, &self.scope_path)
        } else {
            target_path == self.scope_path
        }
    }
}

/// Does any of `grants` allow `action` on an object in organisation `target_path`?
pub fn allowed(grants: &[ScopedRole], action: Action, target_path: &str) -> bool {
    grants
        .iter()
        .any(|g| role_allows(g.role, action) && g.covers(target_path))
}

/// An act on another person's account that would hand the actor that
/// account's credentials or take away its duties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountAct {
    /// A reset whose one-time password reaches the one who resets.
    ResetPassword,
    Disable,
    Departure,
    /// Removing one role grant of the account.
    RevokeRole(Role),
}

/// 三员分立 (DESIGN §7): no one of the three administrators may obtain
/// another's credentials or remove another's duties alone. Returns why
/// `actor` may not do `act` to an account holding `target` roles over the
/// API or UI, or None when it may:
/// - the password of an account holding any 三员 role is never reset
///   online, since the one-time password would reach the one resetting
///   (the server's command line `yunwei admin reset-password` does it,
///   audited);
/// - an account holding a 三员 role the actor does not hold is not
///   disabled, nor is its departure registered, by that actor;
/// - a 三员 role is revoked only by one who holds that role too (only
///   security administrators revoke roles, so the system and audit
///   administrator roles go only by the command line's departure).
///
/// Everything refused here is done from the server's command line,
/// audited as the system with its reason.
pub fn three_admin_protection(
    actor: &[Role],
    target: &[Role],
    act: AccountAct,
) -> Option<(&'static str, String)> {
    let foreign = target
        .iter()
        .find(|r| r.is_three_admin() && !actor.contains(r));
    match act {
        AccountAct::ResetPassword => target.iter().find(|r| r.is_three_admin()).map(|r| {
            (
                "user.three_admin_reset",
                format!(
                    "三员分立：{}账号的密码不能在线重置（一次性密码会交到重置者手中），请在服务器上执行 yunwei admin reset-password",
                    r.label()
                ),
            )
        }),
        AccountAct::Disable | AccountAct::Departure => foreign.map(|r| {
            (
                "user.three_admin_protected",
                format!(
                    "三员分立：不能停用{}的账号或登记其离岗，请在服务器上执行 yunwei admin departure",
                    r.label()
                ),
            )
        }),
        AccountAct::RevokeRole(role) => (role.is_three_admin() && !actor.contains(&role)).then(|| {
            (
                "role.three_admin_protected",
                format!(
                    "三员分立：不能收回他人的{}角色，请在服务器上执行 yunwei admin departure",
                    role.label()
                ),
            )
        }),
    }
}

/// Why a role may not be added to a user, or None when it may.
///
/// `existing` are the roles the user holds already; `user_in_vendor` tells
/// whether the user's organisation is a vendor (third party).
pub fn grant_conflict(
    existing: &[Role],
    new: Role,
    user_in_vendor: bool,
) -> Option<(&'static str, String)> {
    if new.is_three_admin() {
        if let Some(other) = existing.iter().find(|r| r.is_three_admin() && **r != new) {
            return Some((
                "role.three_admin_exclusive",
                format!(
                    "三员分立：该账号已是{}，不能再授予{}",
                    other.label(),
                    new.label()
                ),
            ));
        }
    }
    if user_in_vendor && !(new == Role::VendorAdmin || new.is_vendor_side()) {
        return Some((
            "role.vendor_restricted",
            format!(
                "第三方人员只能授予第三方系统管理员、厂商工程师、云服务商或云监管服务商工程师角色，不能授予{}（JSCZ-50）",
                new.label()
            ),
        ));
    }
    if new == Role::VendorAdmin && existing.iter().any(|r| *r != Role::VendorAdmin) {
        return Some((
            "role.vendor_admin_config_only",
            "第三方系统管理员账号仅赋予配置权限，不得同时拥有其他角色（JSCZ-50）".to_string(),
        ));
    }
    if new != Role::VendorAdmin && existing.contains(&Role::VendorAdmin) {
        return Some((
            "role.vendor_admin_config_only",
            "第三方系统管理员账号仅赋予配置权限，不得分配业务操作权限（JSCZ-50）".to_string(),
        ));
    }
    if new.is_business() && existing.iter().any(|r| r.is_three_admin()) {
        return Some((
            "role.admin_no_business",
            "三员账号不得拥有业务角色".to_string(),
        ));
    }
    if new.is_three_admin() && existing.iter().any(|r| r.is_business()) {
        return Some((
            "role.admin_no_business",
            "已有业务角色的账号不得授予三员角色".to_string(),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(role: Role, path: &str, subtree: bool) -> ScopedRole {
        ScopedRole {
            role,
            scope_path: path.into(),
            subtree,
        }
    }

    #[test]
    fn three_admin_separation_no_one_takes_over_another() {
        use AccountAct::*;
        let (sys, sec, aud) = (Role::SysAdmin, Role::SecAdmin, Role::AudAdmin);
        // Nobody resets a 三员 password online, not even one of the same kind.
        for actor in [sys, sec, aud] {
            for target in [sys, sec, aud] {
                assert!(three_admin_protection(&[actor], &[target], ResetPassword).is_some());
            }
        }
        // An ordinary account may be reset.
        assert!(three_admin_protection(&[sys], &[Role::Director], ResetPassword).is_none());
        // Disabling or a departure: only by one holding the same 三员 role.
        for act in [Disable, Departure] {
            assert!(three_admin_protection(&[sys], &[aud], act).is_some());
            assert!(three_admin_protection(&[sys], &[sec], act).is_some());
            assert!(three_admin_protection(&[sys], &[sys], act).is_none());
            assert!(three_admin_protection(&[sys], &[Role::BusinessStaff], act).is_none());
        }
        // The security administrator grants roles but does not strip the
        // audit or system administrator of theirs.
        assert!(three_admin_protection(&[sec], &[aud], RevokeRole(aud)).is_some());
        assert!(three_admin_protection(&[sec], &[sys], RevokeRole(sys)).is_some());
        assert!(three_admin_protection(&[sec], &[sec], RevokeRole(sec)).is_none());
        assert!(
            three_admin_protection(&[sec], &[Role::Director], RevokeRole(Role::Director)).is_none()
        );
    }

    #[test]
    fn three_admins_are_mutually_exclusive() {
        for a in [Role::SysAdmin, Role::SecAdmin, Role::AudAdmin] {
            for b in [Role::SysAdmin, Role::SecAdmin, Role::AudAdmin] {
                let c = grant_conflict(&[a], b, false);
                assert_eq!(c.is_some(), a != b, "{a:?} + {b:?}");
            }
        }
    }

    #[test]
    fn sysadmin_cannot_grant_or_read_business_or_audit() {
        for a in [
            Action::RoleGrant,
            Action::BusinessRead,
            Action::BusinessOperate,
            Action::KnowledgeEdit,
            Action::AuditRead,
        ] {
            assert!(!role_allows(Role::SysAdmin, a), "{a:?}");
        }
        assert!(role_allows(Role::SysAdmin, Action::UserCreate));
    }

    #[test]
    fn only_sysadmin_manages_the_working_day_calendar() {
        for r in Role::ALL {
            assert_eq!(
                role_allows(r, Action::CalendarManage),
                r == Role::SysAdmin,
                "{r:?}"
            );
        }
    }

    #[test]
    fn eeds_3_2_4_those_who_solve_incidents_edit_knowledge() {
        for r in Role::ALL {
            let solver = matches!(
                r,
                Role::Director
                    | Role::DeputyDirector
                    | Role::ProjectLead
                    | Role::HardwareOps
                    | Role::SoftwareDev
                    | Role::VendorEngineer
            );
            assert_eq!(role_allows(r, Action::KnowledgeEdit), solver, "{r:?}");
            // Every editor also reads the business data the articles live in.
            if solver {
                assert!(role_allows(r, Action::BusinessRead), "{r:?}");
            }
        }
        assert!(role_allows(Role::BusinessStaff, Action::BusinessRead));
    }

    /// JSCZ-54's heads are business roles: never on a 三员 account nor a
    /// third party's, and they read and operate only.
    #[test]
    fn jscz_54_heads_are_business_roles_apart_from_three_admins_and_vendors() {
        for head in [Role::DivisionHead, Role::FinanceHead] {
            assert_eq!(Role::parse(head.as_str()), Some(head));
            assert!(head.is_business() && !head.is_vendor_side());
            for admin in [Role::SysAdmin, Role::SecAdmin, Role::AudAdmin] {
                assert!(grant_conflict(&[admin], head, false).is_some());
                assert!(grant_conflict(&[head], admin, false).is_some());
            }
            assert!(grant_conflict(&[], head, true).is_some());
            assert!(grant_conflict(&[Role::BusinessStaff], head, false).is_none());
            for a in Action::ALL {
                assert_eq!(
                    role_allows(head, a),
                    matches!(
                        a,
                        Action::OrgView | Action::BusinessRead | Action::BusinessOperate
                    ),
                    "{head:?} {a:?}"
                );
            }
        }
    }

    #[test]
    fn secadmin_cannot_create_accounts() {
        assert!(!role_allows(Role::SecAdmin, Action::UserCreate));
        assert!(role_allows(Role::SecAdmin, Action::RoleGrant));
    }

    #[test]
    fn audadmin_changes_nothing() {
        for a in Action::ALL {
            let mutating = !matches!(
                a,
                Action::OrgView
                    | Action::UserView
                    | Action::RoleView
                    | Action::AuditRead
                    | Action::AuditExport
            );
            if mutating {
                assert!(!role_allows(Role::AudAdmin, a), "{a:?}");
            }
        }
    }

    #[test]
    fn jscz_50_vendor_admin_configuration_only() {
        for a in Action::ALL {
            assert_eq!(
                role_allows(Role::VendorAdmin, a),
                matches!(a, Action::ConfigView | Action::ConfigEdit)
            );
        }
        assert!(grant_conflict(&[Role::VendorAdmin], Role::VendorEngineer, true).is_some());
        assert!(grant_conflict(&[], Role::SysAdmin, true).is_some());
        assert!(grant_conflict(&[], Role::VendorAdmin, true).is_none());
    }

    #[test]
    fn jscz_6_scope_covers_own_level_and_below_only() {
        let city = "/p/c/";
        let grants = [g(Role::SysAdmin, city, true)];
        assert!(allowed(&grants, Action::UserCreate, "/p/c/"));
        assert!(allowed(&grants, Action::UserCreate, "/p/c/county/"));
        assert!(!allowed(&grants, Action::UserCreate, "/p/"));
        assert!(!allowed(&grants, Action::UserCreate, "/p/c2/"));
        let own_only = [g(Role::ProjectLead, city, false)];
        assert!(allowed(&own_only, Action::BusinessRead, city));
        assert!(!allowed(&own_only, Action::BusinessRead, "/p/c/county/"));
    }
}
