//! Chinese names of the internal codes that audit records carry (actions,
//! object types, actor roles, results, ticket states), in one place: the
//! audit page, its filter and the audit Excel export all read them here,
//! so no internal code reaches a reader (issue 13, item 6).
//!
//! An action not in [`ACTIONS`] is still named in Chinese from its two
//! halves (`register.import` → 台账 · 导入), never shown as the code.

use crate::policy::Pack;
use crate::roles::Role;

/// Groups of the audit filter's action choices, in the order shown.
pub const ACTION_GROUPS: &[&str] = &[
    "登录与会话",
    "用户与权限",
    "工单",
    "配置与台账",
    "安全与系统",
];

/// Every action the platform records: (code, group index in
/// [`ACTION_GROUPS`], Chinese name).
pub const ACTIONS: &[(&str, usize, &str)] = &[
    ("auth.login", 0, "登录"),
    ("auth.logout", 0, "退出登录"),
    ("auth.lockout", 0, "账号锁定"),
    ("auth.session_revoke", 0, "注销会话"),
    ("auth.session_timeout", 0, "会话超时"),
    ("auth.ukey_challenge", 0, "UKEY 登录挑战"),
    ("mfa.enroll", 0, "绑定动态口令"),
    ("mfa.enable", 0, "启用动态口令"),
    ("mfa.reset", 0, "重置动态口令"),
    ("api_token.create", 0, "创建接口令牌"),
    ("api_token.revoke", 0, "吊销接口令牌"),
    ("user.create", 1, "创建用户"),
    ("user.update", 1, "修改用户"),
    ("user.disable", 1, "停用用户"),
    ("user.enable", 1, "启用用户"),
    ("user.password_change", 1, "修改密码"),
    ("user.password_reset", 1, "重置密码"),
    ("user.password_expiry_notice", 1, "密码到期提醒"),
    ("auth.password_expired", 0, "密码到期须修改"),
    ("user.departure", 1, "登记离岗"),
    ("user.export", 1, "导出用户"),
    ("role.grant", 1, "授予角色"),
    ("role.revoke", 1, "收回角色"),
    ("role.expire", 1, "角色到期收回"),
    // Directory login (issue 17, ADR 0021).
    ("directory.account_create", 1, "目录账号首次登录建号"),
    ("directory.sync", 1, "目录账号同步"),
    ("directory.test", 4, "测试目录服务连接"),
    // Notification channels (issue 17, ADR 0022).
    ("notify.my_settings", 1, "修改个人通知设置"),
    ("notify.org_prefs", 3, "修改单位默认通知方式"),
    ("notify.retry", 4, "重新发送失败通知"),
    ("notify.test", 4, "发送通知渠道测试消息"),
    ("notify.export", 4, "导出发送失败的通知"),
    ("org.create", 1, "创建机构"),
    ("org.rename", 1, "机构更名"),
    ("ticket.open", 2, "新建工单"),
    ("ticket.transition", 2, "工单流转"),
    ("ticket.vote", 2, "工单审批"),
    ("ticket.comment", 2, "工单备注"),
    ("ticket.alert", 2, "监控告警更新"),
    ("ticket.attach", 2, "上传工单附件"),
    ("ticket.export", 2, "导出工单"),
    ("ticket.sla_warning", 2, "时限预警"),
    ("ticket.sla_breach", 2, "时限超期"),
    ("ticket.claim", 2, "认领工单"),
    ("ticket.assign", 2, "指派工单"),
    ("ticket.reassign", 2, "转派工单"),
    ("ticket.pdf", 2, "下载工单 PDF"),
    ("ticket_filter.save", 2, "保存常用筛选"),
    ("ticket_filter.delete", 2, "删除常用筛选"),
    ("cmdb.create", 3, "新建配置项"),
    ("cmdb.update", 3, "修改配置项"),
    ("cmdb.import", 3, "导入配置项"),
    ("cmdb.export", 3, "导出配置项"),
    ("cmdb.relation_add", 3, "添加配置项关系"),
    ("cmdb.relation_remove", 3, "删除配置项关系"),
    ("cmdb.ticket_link", 3, "工单关联配置项"),
    ("cmdb.ticket_unlink", 3, "工单取消关联配置项"),
    ("cmdb.segment_create", 3, "新建网段"),
    ("cmdb.ip_allocate", 3, "分配地址"),
    ("cmdb.ip_release", 3, "释放地址"),
    // The government cloud: bills, settlement and evaluation (issue 14).
    ("cloud_bill.compute", 3, "计算云服务账单"),
    ("cloud_bill.adjust", 3, "核减云服务费用"),
    ("cloud_bill.verify", 3, "核实云服务账单"),
    ("cloud_bill.send", 3, "账单报送财政"),
    ("cloud_bill.export", 3, "导出云服务账单"),
    ("cloud_bill.pdf", 3, "下载云服务费用结算单"),
    ("cloud_eval.scheme", 3, "设置服务考评办法"),
    ("cloud_eval.save", 3, "录入服务考评"),
    ("cloud_eval.confirm", 3, "确认服务考评"),
    ("cloud_settlement.confirm", 3, "确认年度结算"),
    ("archive.create", 3, "新建技术档案"),
    ("archive.version", 3, "上传档案新版本"),
    ("archive.download", 3, "下载技术档案"),
    ("archives.export", 3, "导出技术档案目录"),
    ("cloud_usage.import", 3, "导入政务云资源使用情况"),
    ("cloud_usage.judge", 3, "重新判定政务云资源使用率"),
    ("cloud_usage.export", 3, "导出政务云资源使用率"),
    ("cloud_reclaim.plan", 3, "拟定降配回收方案"),
    ("cloud_reclaim.confirm", 3, "确认降配回收方案"),
    ("cloud_reclaim.accept", 3, "使用单位接受降配回收"),
    ("cloud_reclaim.refuse", 3, "使用单位拒绝降配回收"),
    ("cloud_reclaim.close", 3, "认定拒绝理由成立"),
    ("cloud_reclaim.reject", 3, "认定拒绝理由不成立"),
    ("cloud_reclaim.implement", 3, "实施降配回收"),
    ("cloud.platform_create", 3, "新建政务云平台"),
    ("cloud.platform_update", 3, "修改政务云平台"),
    ("cloud.unit_set", 3, "登记政务云使用单位"),
    ("cloud.item_create", 3, "新增服务目录项"),
    ("cloud.item_update", 3, "修改服务目录项"),
    ("cloud.price_add", 3, "调整服务价格"),
    ("cloud.system_register", 3, "登记上云系统"),
    ("cloud.system_update", 3, "修改上云系统"),
    ("cloud.resource_request", 3, "申请云资源"),
    ("cloud.resource_withdraw", 3, "撤回云资源申请"),
    ("cloud.systems_export", 3, "导出上云系统"),
    ("cloud.route_provider", 2, "转交云服务商"),
    ("cloud.allocate", 3, "分配云资源"),
    ("cloud.go_live", 3, "上云系统上线"),
    ("it_project.register", 2, "登记信息化项目申报"),
    ("it_project.library", 2, "信息化项目入库"),
    ("it_project.plan", 2, "调整年度计划清单"),
    ("it_project.contract", 2, "登记项目合同"),
    ("it_project.start", 2, "项目开工建设"),
    ("it_project.trial", 2, "项目开始试运行"),
    ("it_project.accept", 2, "项目验收"),
    ("it_project.supplement", 2, "登记补充合同"),
    ("it_project.finding", 3, "下达项目整改要求"),
    ("it_project.self_evaluation", 2, "报送项目绩效自评报告"),
    ("it_project.report_download", 2, "下载项目绩效自评报告"),
    ("it_project.plan_call", 2, "征集年度信息化建设需求"),
    ("it_project.rectify", 3, "登记项目整改完成"),
    ("it_project.export", 3, "导出信息化项目"),
    ("ci.dispose", 3, "处置信息系统"),
    ("cloud.withdraw", 3, "撤回未分配资源"),
    ("cloud.change_opened", 3, "提交云资源变更"),
    ("cloud.change_applied", 3, "变更云资源"),
    ("cloud.exit_approved", 3, "上云系统进入退出"),
    ("cloud.reclaimed", 3, "回收云资源"),
    ("register.create", 3, "台账登记"),
    ("register.update", 3, "修改台账"),
    ("register.step", 3, "台账办理"),
    ("register.import", 3, "导入台账"),
    ("register.export", 3, "导出台账"),
    ("inspection.plan_create", 3, "新建巡检计划"),
    ("inspection.plan_update", 3, "修改巡检计划"),
    ("inspection.plan_activate", 3, "启用巡检计划"),
    ("inspection.plan_deactivate", 3, "停用巡检计划"),
    ("inspection.record", 3, "登记巡检"),
    ("inspection.export", 3, "导出巡检记录"),
    ("maintenance.create", 3, "登记维护记录"),
    ("maintenance.export", 3, "导出维护记录"),
    ("knowledge.create", 3, "新建知识"),
    ("knowledge.update", 3, "修改知识"),
    ("knowledge.publish", 3, "发布知识"),
    ("controls.overdue", 3, "到期事项逾期"),
    ("controls.schedule", 3, "生成到期事项"),
    ("controls.export", 3, "导出到期事项"),
    ("security_policy.update", 4, "修改安全策略"),
    ("config.update", 4, "修改系统参数"),
    ("calendar.import", 4, "导入工作日历"),
    ("report.export", 4, "导出报表"),
    ("report.pdf", 4, "下载报表 PDF"),
    ("publication.publish", 3, "向各级财政部门发布"),
    ("audit.export", 4, "导出审计日志"),
    ("audit.syslog_test", 4, "测试审计日志转发"),
    ("files.collect", 4, "清理文件存储"),
    // The government cloud's duties (issue 14 item 6).
    ("cloud.duty_report", 3, "报送政务云报告"),
    ("cloud.duty_report_download", 3, "下载政务云报告"),
    ("cloud.commitment", 3, "登记安全承诺书"),
    ("cloud.commitment_download", 3, "下载安全承诺书"),
    ("cloud.unit_score", 3, "单位监督评分"),
];

/// Chinese names of the first half of a code (the subject).
const SUBJECTS: &[(&str, &str)] = &[
    ("auth", "登录"),
    ("mfa", "动态口令"),
    ("api_token", "接口令牌"),
    ("user", "用户"),
    ("directory", "目录服务"),
    ("role", "角色"),
    ("org", "机构"),
    ("ticket", "工单"),
    ("ticket_filter", "常用筛选"),
    ("cmdb", "配置项"),
    ("archive", "技术档案"),
    ("archives", "技术档案"),
    ("cloud_usage", "政务云资源使用率"),
    ("cloud_reclaim", "政务云降配回收"),
    ("register", "台账"),
    ("inspection", "巡检"),
    ("maintenance", "维护记录"),
    ("knowledge", "知识"),
    ("controls", "到期事项"),
    ("security_policy", "安全策略"),
    ("config", "系统参数"),
    ("calendar", "工作日历"),
    ("report", "报表"),
    ("audit", "审计日志"),
    ("files", "文件存储"),
    ("access", "临时授权"),
    ("grant", "临时授权"),
    ("ukey", "UKEY"),
    ("cloud", "政务云"),
];

/// Chinese names of common second halves (the verb).
const VERBS: &[(&str, &str)] = &[
    ("create", "新建"),
    ("update", "修改"),
    ("delete", "删除"),
    ("import", "导入"),
    ("export", "导出"),
    ("revoke", "收回"),
    ("grant", "授予"),
    ("expire", "到期"),
    ("approve", "审批"),
    ("reject", "驳回"),
    ("confirm", "确认"),
    ("suspend", "暂停"),
    ("resume", "恢复"),
    ("download", "下载"),
    ("step", "办理"),
];

/// The Chinese name of an audit action.
pub fn action_label(code: &str) -> String {
    if let Some((_, _, l)) = ACTIONS.iter().find(|(c, _, _)| *c == code) {
        return (*l).to_string();
    }
    let (subject, verb) = code.split_once('.').unwrap_or((code, ""));
    let subject = SUBJECTS
        .iter()
        .find(|(k, _)| *k == subject)
        .map(|(_, v)| *v)
        .unwrap_or("其他");
    let verb = VERBS
        .iter()
        .find(|(k, _)| *k == verb)
        .map(|(_, v)| *v)
        .unwrap_or("操作");
    format!("{subject}{verb}")
}

/// The action choices of the audit filter, grouped:
/// `(group, [(code, label)])`.
pub fn action_choices() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    ACTION_GROUPS
        .iter()
        .enumerate()
        .map(|(i, g)| {
            (
                *g,
                ACTIONS
                    .iter()
                    .filter(|(_, gi, _)| *gi == i)
                    .map(|(c, _, l)| (*c, *l))
                    .collect(),
            )
        })
        .collect()
}

/// Object types with their Chinese names (registers are named by their
/// register, see [`object_type_label`]).
pub const OBJECT_TYPES: &[(&str, &str)] = &[
    ("cloud_bill", "云服务账单"),
    ("cloud_evaluation", "服务考评"),
    ("cloud_settlement", "年度结算"),
    ("ticket", "工单"),
    ("ticket_filter", "常用筛选"),
    ("user", "用户"),
    ("session", "会话"),
    ("directory", "目录服务"),
    ("org", "机构"),
    ("grant", "角色授权"),
    ("api_token", "接口令牌"),
    ("ci", "配置项"),
    ("ip_segment", "网段"),
    ("archive", "技术档案"),
    ("knowledge", "知识"),
    ("control", "到期事项"),
    ("inspection_plan", "巡检计划"),
    ("inspection_record", "巡检记录"),
    ("maintenance_record", "维护记录"),
    ("calendar_year", "工作日历"),
    ("settings", "安全策略"),
    ("report", "报表"),
    ("audit_log", "审计日志"),
    ("audit_forward", "审计日志转发"),
    ("file_store", "文件存储"),
    ("cloud_platform", "政务云平台"),
    ("cloud_unit", "政务云使用单位"),
    ("cloud_item", "服务目录项"),
    ("cloud_system", "上云系统"),
    ("it_project", "信息化项目"),
    ("cloud_duty", "政务云报送事项"),
    ("cloud_duty_report", "政务云报告"),
    ("cloud_commitment", "安全承诺书"),
    ("cloud_unit_score", "单位监督评分"),
    ("cloud_reclaim", "降配回收建议"),
];

/// The Chinese name of an audit object type: the table above, else the
/// register of that key, else 其他对象.
pub fn object_type_label(t: &str) -> String {
    if let Some((_, l)) = OBJECT_TYPES.iter().find(|(k, _)| *k == t) {
        return (*l).to_string();
    }
    if let Some(spec) = crate::register::spec(t) {
        return spec.label.to_string();
    }
    if t.is_empty() {
        String::new()
    } else {
        "其他对象".into()
    }
}

/// The actor's roles as recorded (`project_lead,director`, `system`,
/// `anonymous`, `none`) in Chinese.
pub fn actor_role_label(roles: &str) -> String {
    match roles {
        "system" => "系统".into(),
        "anonymous" => "未登录".into(),
        "none" | "" => "无角色".into(),
        _ => roles
            .split(',')
            .map(|r| Role::parse(r.trim()).map(Role::label).unwrap_or("其他角色"))
            .collect::<Vec<_>>()
            .join("、"),
    }
}

/// The actor's name as recorded (`system` for the platform itself).
pub fn actor_name_label(name: &str) -> &str {
    match name {
        "system" => "系统",
        _ => name,
    }
}

/// `success`, `failure`, `denied` in Chinese.
pub fn result_label(r: &str) -> &'static str {
    match r {
        "success" => "成功",
        "failure" => "失败",
        _ => "拒绝",
    }
}

/// The label of a ticket state in any process of these packs, if one
/// names it.
fn state_label<'p>(packs: &'p [Pack], state: &str) -> Option<&'p str> {
    packs
        .iter()
        .flat_map(|pk| pk.processes.iter())
        .flat_map(|pr| pr.states.iter())
        .find(|s| s.id == state)
        .map(|s| s.label.as_str())
}

/// Chinese names of the attachment kinds the shipped packs require and
/// the ticket form offers; a kind typed as 其他 is shown as typed.
pub const ATTACHMENT_KINDS: &[(&str, &str)] = &[
    ("signed_request", "领导审签的申请"),
    ("backup", "备份文件"),
    ("script", "执行脚本"),
    ("result", "执行结果"),
    ("report", "报告"),
    ("plan", "方案"),
    ("authorisation", "书面授权"),
    ("written_confirmation", "书面确认"),
    ("application_form", "政务云资源申请表"),
    ("project_approval", "项目立项批文"),
    ("application", "项目申报材料"),
    ("budget_evidence", "预算保障佐证材料"),
    ("decision", "投资决策文件"),
    ("technical_plan", "技术方案"),
    ("review_conclusion", "技术方案审查结论"),
    ("contract", "项目合同"),
    ("data_agreement", "数据资产权属补充协议"),
    ("supervision_contract", "监理合同"),
    ("acceptance_report", "验收报告"),
    ("other", "其他"),
];

/// The Chinese name of an attachment kind.
pub fn attachment_kind_label(kind: &str) -> String {
    ATTACHMENT_KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, l)| (*l).to_string())
        .unwrap_or_else(|| kind.to_string())
}

/// The label of an approval in any process of these packs.
fn approval_label<'p>(packs: &'p [Pack], id: &str) -> Option<&'p str> {
    packs
        .iter()
        .flat_map(|pk| pk.processes.iter())
        .flat_map(|pr| pr.approvals.iter())
        .find(|a| a.id == id)
        .map(|a| a.label.as_deref().unwrap_or("审批"))
}

/// The record's before and after as a reader reads them: a ticket's
/// transition names its states by their labels (`draft` → 草稿), a vote
/// its approval, an attachment its kind.
pub fn before_after(action: &str, before: &str, after: &str, packs: &[Pack]) -> (String, String) {
    // "{code} {rest}": the code named by `label`.
    let first_word = |label: &dyn Fn(&str) -> Option<String>| match after.split_once(' ') {
        Some((code, rest)) => match label(code) {
            Some(l) => format!("{l} {rest}"),
            None => after.to_string(),
        },
        None => after.to_string(),
    };
    match action {
        "ticket.vote" => {
            let after = first_word(&|c| approval_label(packs, c).map(str::to_string));
            return (before.to_string(), after);
        }
        "ticket.attach" => {
            let after = first_word(&|c| Some(attachment_kind_label(c)));
            return (before.to_string(), after);
        }
        "ticket.transition" => {}
        _ => return (before.to_string(), after.to_string()),
    }
    let before = state_label(packs, before).unwrap_or(before).to_string();
    // after = "{transition label} → {state}（{citation}）"
    let after = match after.split_once(" → ") {
        Some((label, rest)) => {
            let (state, tail) = match rest.find('（') {
                Some(i) => (&rest[..i], &rest[i..]),
                None => (rest, ""),
            };
            let state = state_label(packs, state).unwrap_or(state);
            format!("{label} → {state}{tail}")
        }
        None => after.to_string(),
    };
    (before, after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_a_chinese_name_and_unknown_ones_too() {
        assert_eq!(action_label("ticket.transition"), "工单流转");
        assert_eq!(action_label("register.whatever"), "台账操作");
        assert_eq!(action_label("nonsense"), "其他操作");
        for (c, g, l) in ACTIONS {
            assert!(*g < ACTION_GROUPS.len(), "{c}");
            assert!(!l.is_ascii(), "{c}");
        }
    }

    #[test]
    fn roles_and_types_read_in_chinese() {
        assert_eq!(
            actor_role_label("project_lead,director"),
            "项目负责人、中心主任"
        );
        assert_eq!(actor_role_label("system"), "系统");
        assert_eq!(object_type_label("ticket"), "工单");
        assert_eq!(object_type_label("mystery"), "其他对象");
    }
}
