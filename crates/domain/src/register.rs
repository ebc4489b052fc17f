//! Declarative registers (ADR 0006): the operations registers that are
//! tables of typed fields with an owner organisation, a few workflow steps
//! and rules on their dates (backup plans and their logs, emergency plans
//! and drills, vendors' contracts, staff, NDAs and reports, training
//! records, asset requisitions).
//!
//! Each register is a [`Spec`]: its fields, where its organisation comes
//! from, who reads and writes it, and its steps. One engine (core
//! `registers`) stores, checks, audits, lists, exports and renders them
//! all; what is particular to one register (the dates it feeds into the
//! due-date engine, its flags) lives in core `register_rules`.
//!
//! This module is pure: the specs and the parsing of submitted values.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::roles::{Action, Role};
use crate::AppError;

/// Choices of a field: (code, label).
pub type Choices = &'static [(&'static str, &'static str)];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// One line of at most this many characters.
    Text(usize),
    /// Several lines of at most this many characters.
    LongText(usize),
    /// A local date, stored as `YYYY-MM-DD`.
    Date,
    /// A whole number within (min, max).
    Int(i64, i64),
    /// Yes or no, stored as 0 or 1.
    Bool,
    Choice(Choices),
    /// An entry of the named register.
    Entry(&'static str),
    /// A CMDB configuration item (its id or code).
    Ci,
    /// A ticket (its id or number).
    Ticket,
    /// An organisation (its id).
    Org,
}

impl Kind {
    /// Stored as an integer column (else text).
    pub fn is_int(self) -> bool {
        matches!(self, Kind::Int(..) | Kind::Bool)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    pub required: bool,
    /// Shown as a column of the list.
    pub listed: bool,
    /// Set by the platform (a step, an approval, a later record), never by
    /// the form; starts as `default`.
    pub locked: bool,
    pub default: &'static str,
    pub help: &'static str,
}

const fn field(name: &'static str, label: &'static str, kind: Kind) -> Field {
    Field {
        name,
        label,
        kind,
        required: false,
        listed: false,
        locked: false,
        default: "",
        help: "",
    }
}

impl Field {
    const fn req(mut self) -> Self {
        self.required = true;
        self
    }
    const fn list(mut self) -> Self {
        self.listed = true;
        self
    }
    const fn locked(mut self, default: &'static str) -> Self {
        self.locked = true;
        self.default = default;
        self
    }
    const fn help(mut self, help: &'static str) -> Self {
        self.help = help;
        self
    }
    /// The label of a stored value (choices, yes/no), else the value.
    pub fn display(&self, v: &Val) -> String {
        match (self.kind, v) {
            (_, Val::Null) => String::new(),
            (Kind::Bool, Val::Int(i)) => if *i != 0 { "是" } else { "否" }.to_string(),
            (Kind::Choice(cs), Val::Text(t)) => cs
                .iter()
                .find(|(c, _)| c == t)
                .map(|(_, l)| l.to_string())
                .unwrap_or_else(|| t.clone()),
            (_, Val::Text(t)) => t.clone(),
            (_, Val::Int(i)) => i.to_string(),
        }
    }
}

/// Where an entry's owner organisation comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgFrom {
    /// Chosen on the form.
    Chosen,
    /// The parent entry's (and its partner organisation too).
    Parent,
    /// The owner of the configuration item in this field.
    Ci(&'static str),
    /// The organisation of the ticket in this field; the organisation of
    /// its assignee (the vendor implementing it) is the partner.
    Ticket(&'static str),
}

/// A workflow step: moves the status field from one of `from` to `to`.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub name: &'static str,
    pub label: &'static str,
    pub from: &'static [&'static str],
    pub to: &'static str,
    pub action: Action,
    /// The partner organisation's holders of `action` may take it too
    /// (a borrower returns an asset, a vendor submits its report).
    pub partner_may: bool,
    /// When not empty, only a holder of one of these roles (with `action`,
    /// over the entry) may take it: the text names who (a backup plan is
    /// approved by the 分管领导, EEDS-3.7.2).
    pub roles: &'static [Role],
}

impl Step {
    /// The step restricted to holders of `roles`.
    pub const fn only(self, roles: &'static [Role]) -> Step {
        Step { roles, ..self }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// Table name and URL segment.
    pub key: &'static str,
    pub label: &'static str,
    /// Heading the register is listed under.
    pub group: &'static str,
    /// The articles it implements.
    pub source: &'static str,
    /// The field that names an entry.
    pub title: &'static str,
    pub fields: &'static [Field],
    pub org_from: OrgFrom,
    /// (parent register, field holding the parent's id).
    pub parent: Option<(&'static str, &'static str)>,
    /// A field of kind [`Kind::Org`] naming a second organisation whose
    /// register keepers see and write the entry too (the vendor of a
    /// contract, the borrower of an asset).
    pub partner: Option<&'static str>,
    /// The partner organisation's keepers may file and amend too (false:
    /// they only read, as a vendor reads its contract).
    pub partner_writes: bool,
    pub read: Action,
    pub write: Action,
    /// Entries may be amended after filing (false: a record, filed once).
    pub amendable: bool,
    /// Amending is allowed only in these statuses (empty: always).
    pub amendable_in: &'static [&'static str],
    /// The status field, set by the steps only.
    pub status: Option<&'static str>,
    /// Entries may be imported from Excel or CSV.
    pub importable: bool,
    /// Entries are filed by the platform only, never by a form or an
    /// import (temporary grants come from approved requests, ADR 0007).
    pub platform_filed: bool,
    pub steps: &'static [Step],
}

impl Spec {
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }
    pub fn step(&self, name: &str) -> Option<&'static Step> {
        self.steps.iter().find(|s| s.name == name)
    }
    /// The registers whose parent this one is.
    pub fn children(&self) -> impl Iterator<Item = &'static Spec> + '_ {
        SPECS
            .iter()
            .filter(move |s| s.parent.is_some_and(|(p, _)| p == self.key))
    }
}

/// A stored value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
#[derive(utoipa::ToSchema)]
pub enum Val {
    Null,
    Text(String),
    Int(i64),
}

impl Val {
    pub fn text(&self) -> Option<&str> {
        match self {
            Val::Text(t) => Some(t),
            _ => None,
        }
    }
    pub fn int(&self) -> Option<i64> {
        match self {
            Val::Int(i) => Some(*i),
            _ => None,
        }
    }
    pub fn date(&self) -> Option<NaiveDate> {
        self.text()
            .and_then(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
    }
    pub fn is_true(&self) -> bool {
        self.int().is_some_and(|i| i != 0)
    }
}

/// The code of an empty (invisible-only) value of `field`.
fn field_code(field: &Field) -> &'static str {
    if field.required {
        "register.field_required"
    } else {
        "register.field_invalid"
    }
}

fn bad(field: &Field, what: String) -> AppError {
    AppError::bad_request("register.field_invalid", format!("{}：{what}", field.label))
}

/// Parses one submitted value of `field` (forms send text; an absent
/// checkbox is "").
pub fn parse_value(field: &Field, raw: &str) -> Result<Val, AppError> {
    let t = raw.trim();
    if let Kind::Bool = field.kind {
        return match t {
            "" | "0" | "false" | "off" | "否" => Ok(Val::Int(0)),
            "1" | "true" | "on" | "是" => Ok(Val::Int(1)),
            _ => Err(bad(field, "应为“是”或“否”".into())),
        };
    }
    if t.is_empty() {
        return if field.required {
            Err(AppError::bad_request(
                "register.field_required",
                format!("{}不能为空", field.label),
            ))
        } else {
            Ok(Val::Null)
        };
    }
    match field.kind {
        Kind::Text(max) | Kind::LongText(max) => {
            if t.chars().count() > max {
                return Err(bad(field, format!("不得超过{max}字")));
            }
            if matches!(field.kind, Kind::Text(_)) && t.contains(['\n', '\r']) {
                return Err(bad(field, "不能换行".into()));
            }
            // Bidi and control characters (line breaks and tabs in a
            // multi-line field) and invisible-only values are refused.
            let checked = if matches!(field.kind, Kind::Text(_)) {
                crate::text::clean_name(t, max)
            } else {
                crate::text::clean_body(t, max)
            };
            checked
                .map(Val::Text)
                .map_err(|e| e.error(field_code(field), field.label))
        }
        Kind::Date => NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map(|d| Val::Text(d.format("%Y-%m-%d").to_string()))
            .map_err(|_| bad(field, format!("日期「{t}」无效，格式应为 YYYY-MM-DD"))),
        Kind::Int(min, max) => match t.parse::<i64>() {
            Ok(i) if (min..=max).contains(&i) => Ok(Val::Int(i)),
            _ => Err(bad(field, format!("应为 {min} 至 {max} 之间的整数"))),
        },
        // The code, or the label a person writes in a spreadsheet.
        Kind::Choice(cs) => cs
            .iter()
            .find(|(c, l)| *c == t || *l == t)
            .map(|(c, _)| Val::Text(c.to_string()))
            .ok_or_else(|| {
                let all: Vec<&str> = cs.iter().map(|(_, l)| *l).collect();
                bad(field, format!("应为{}之一", all.join("、")))
            }),
        Kind::Entry(_) | Kind::Ci | Kind::Ticket | Kind::Org => {
            if t.len() > 64 || t.chars().any(char::is_whitespace) {
                Err(bad(field, format!("「{t}」无效")))
            } else {
                Ok(Val::Text(t.to_string()))
            }
        }
        Kind::Bool => unreachable!("handled above"),
    }
}

/// Parses the submitted values of every field the form may set. Unknown
/// names are refused, so a misspelt API field is not silently dropped;
/// `extra` are names the caller handles itself (`org_id`).
pub fn parse_input(
    spec: &Spec,
    input: &BTreeMap<String, String>,
    extra: &[&str],
) -> Result<BTreeMap<&'static str, Val>, AppError> {
    for k in input.keys() {
        let known = spec.fields.iter().any(|f| f.name == k && !f.locked);
        if !known && !extra.contains(&k.as_str()) {
            return Err(AppError::bad_request(
                "register.field_unknown",
                format!("{}没有可填写的字段「{k}」", spec.label),
            ));
        }
    }
    let mut out = BTreeMap::new();
    for f in spec.fields.iter().filter(|f| !f.locked) {
        let raw = input.get(f.name).map(String::as_str).unwrap_or("");
        out.insert(f.name, parse_value(f, raw)?);
    }
    Ok(out)
}

/// The starting values of the locked fields.
pub fn locked_defaults(spec: &Spec) -> BTreeMap<&'static str, Val> {
    spec.fields
        .iter()
        .filter(|f| f.locked)
        .map(|f| {
            let v = if f.default.is_empty() {
                if f.kind.is_int() {
                    Val::Int(0)
                } else {
                    Val::Null
                }
            } else if f.kind.is_int() {
                Val::Int(f.default.parse().unwrap_or(0))
            } else {
                Val::Text(f.default.to_string())
            };
            (f.name, v)
        })
        .collect()
}

pub fn spec(key: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.key == key)
}

// ---------------------------------------------------------------- specs

use Action::{BusinessRead, RegisterApprove, RegisterEdit, RoleGrant, RoleView};

const FREQUENCY: Choices = &[("daily", "每日"), ("weekly", "每周"), ("monthly", "每月")];
const REVIEW: Choices = &[
    ("weekly", "每周"),
    ("monthly", "每月"),
    ("quarterly", "每季度"),
];
const PLAN_STATUS: Choices = &[
    ("draft", "待批准"),
    ("active", "执行中"),
    ("retired", "已停用"),
];
const OUTCOME: Choices = &[("success", "成功"), ("failure", "失败")];
const REQUEST_STATUS: Choices = &[
    ("requested", "待审批"),
    ("approved", "已批准"),
    ("rejected", "已驳回"),
];

/// Backups (EEDS-3.7.2..3.7.5, JSCZ-45, NTCZ-3.1.6).
const BACKUP_PLAN: &[Field] = &[
    field("name", "计划名称", Kind::Text(100)).req().list(),
    field("ci_id", "所属系统", Kind::Ci)
        .list()
        .help("配置项编号，如 APP-001"),
    field("scope", "备份内容", Kind::LongText(2000)).req(),
    field("covers_system", "含系统软件和数据", Kind::Bool).help("EEDS-3.7.3"),
    field("covers_business", "含业务数据", Kind::Bool),
    field("covers_logs", "含操作日志", Kind::Bool),
    field("frequency", "备份频率", Kind::Choice(FREQUENCY))
        .req()
        .list(),
    field("location", "存放位置（异机）", Kind::Text(200)).req(),
    field("offsite_location", "异地存放位置", Kind::Text(200))
        .list()
        .help("源代码、程序包和数据库文件须异地备份（JSCZ-45）"),
    field("retention_days", "保存期限（天）", Kind::Int(1, 36_500)).req(),
    field("review_every", "备份日志检查周期", Kind::Choice(REVIEW))
        .req()
        .help("EEDS-3.7.4"),
    field("status", "状态", Kind::Choice(PLAN_STATUS))
        .list()
        .locked("draft"),
    field("last_backup_on", "最近成功备份", Kind::Date)
        .list()
        .locked(""),
    field("last_restore_test_on", "最近恢复测试", Kind::Date)
        .list()
        .locked(""),
];

const BACKUP_LOG: &[Field] = &[
    field("plan_id", "备份计划", Kind::Entry("backup_plans")).req(),
    field("performed_on", "备份日期", Kind::Date).req().list(),
    field("outcome", "结果", Kind::Choice(OUTCOME)).req().list(),
    field("size_mb", "大小（MB）", Kind::Int(0, 1_000_000_000)).list(),
    field("checksum", "校验值", Kind::Text(128)).list(),
    field("note", "说明", Kind::Text(500)),
];

const REVIEW_CONCLUSION: Choices = &[("normal", "正常"), ("abnormal", "发现问题")];
const BACKUP_REVIEW: &[Field] = &[
    field("plan_id", "备份计划", Kind::Entry("backup_plans")).req(),
    field("reviewed_on", "检查日期", Kind::Date).req().list(),
    field("conclusion", "结论", Kind::Choice(REVIEW_CONCLUSION))
        .req()
        .list(),
    field("findings", "问题与整改", Kind::LongText(2000)),
];

const RESTORE_RESULT: Choices = &[("pass", "恢复成功"), ("fail", "恢复失败")];
const RESTORE_TEST: &[Field] = &[
    field("plan_id", "备份计划", Kind::Entry("backup_plans")).req(),
    field("tested_on", "测试日期", Kind::Date).req().list(),
    field("backup_used", "所用备份", Kind::Text(200))
        .req()
        .list(),
    field("result", "结果", Kind::Choice(RESTORE_RESULT))
        .req()
        .list(),
    field("duration_minutes", "耗时（分钟）", Kind::Int(0, 100_000)),
    field("findings", "记录与问题", Kind::LongText(2000)),
];

/// Emergency plans and drills (JSCZ-7, ZMDY-20, NTCZ-3.4).
const DRILLS_PER_YEAR: Choices = &[
    ("0", "不要求"),
    ("1", "每年一次"),
    ("2", "每年两次"),
    ("4", "每年四次"),
];
const EMERGENCY_PLAN: &[Field] = &[
    field("name", "预案名称", Kind::Text(100)).req().list(),
    field("ci_id", "适用系统", Kind::Ci)
        .list()
        .help("配置项编号；平台级预案可不填"),
    field("scope", "适用范围", Kind::LongText(2000)).req(),
    field("content", "预案内容", Kind::LongText(20_000)).req(),
    field("contact", "应急联系人", Kind::Text(100)).req().list(),
    field("drills", "演练要求", Kind::Choice(DRILLS_PER_YEAR))
        .req()
        .list()
        .help("ZMDY-20「每年至少组织两次应急演练」的，选“每年两次”：当年内完成两次即可"),
    field("last_drill_on", "最近演练", Kind::Date)
        .list()
        .locked(""),
];

const DRILL_KIND: Choices = &[("tabletop", "桌面推演"), ("live", "实战演练")];
const DRILL: &[Field] = &[
    field("plan_id", "应急预案", Kind::Entry("emergency_plans")).req(),
    field("held_on", "演练日期", Kind::Date).req().list(),
    field("kind", "演练形式", Kind::Choice(DRILL_KIND))
        .req()
        .list(),
    field("scenario", "演练场景", Kind::Text(500)).req().list(),
    field("participants", "参加人员", Kind::LongText(2000)).req(),
    field("findings", "发现问题", Kind::LongText(5000)),
    field("follow_up", "整改措施", Kind::LongText(5000)),
];

/// The go-live emergency plan of a release or major change (NTCZ-3.4.1).
const GOLIVE_PLAN: &[Field] = &[
    field("ticket_id", "发布或变更工单", Kind::Ticket)
        .req()
        .list()
        .help("工单编号，如 BG-20261101-0001"),
    field("title", "方案名称", Kind::Text(100)).req().list(),
    field("scope", "应急处置范围", Kind::LongText(5000)).req(),
    field("risks", "风险分析", Kind::LongText(5000)).req(),
    field("pass_criteria", "验证通过准则", Kind::LongText(2000)).req(),
    field(
        "fail_criteria",
        "验证失败准则（回退条件）",
        Kind::LongText(2000),
    )
    .req(),
    field("method", "应急处置方法", Kind::LongText(5000)).req(),
    field("follow_up", "问题跟踪策略", Kind::LongText(2000)).req(),
];

/// Vendors, their contracts, staff, NDAs, staff changes and training
/// (JSCZ-5, JSCZ-7, JSCZ-37, JSCZ-51, NTCZ-3.3, NTCZ-6.1.4..7).
const CONTRACT: &[Field] = &[
    field("name", "项目名称", Kind::Text(200)).req().list(),
    field("contract_no", "合同编号", Kind::Text(64))
        .req()
        .list(),
    field("vendor_org_id", "服务厂商", Kind::Org).req().list(),
    field("service_scope", "服务范围", Kind::LongText(5000)).req(),
    field("starts_on", "服务开始", Kind::Date).req().list(),
    field("ends_on", "服务结束", Kind::Date).req().list(),
    field("weekly_report", "报送周报", Kind::Bool).help("JSCZ-7"),
    field("monthly_report", "报送月报", Kind::Bool),
    field("annual_plan", "报送年度工作计划", Kind::Bool),
    field("annual_summary", "报送年度总结报告", Kind::Bool),
    // JSCZ-7 重要项目应有实施方案: an important project starts only with an
    // approved implementation plan.
    field("important", "重要项目", Kind::Bool)
        .list()
        .help("重要项目应有实施方案（JSCZ-7）：须有经项目负责人批准的实施方案方可登记开始实施"),
    field("work_started_on", "开始实施日期", Kind::Date)
        .list()
        .help("项目实际开始实施的日期；重要项目须先有经批准的实施方案（JSCZ-7）"),
    // NTCZ-5.1 / NTCZ-8: the signing day and the amount the two payments are computed from, and the renewals
    // filed so far (set by the platform).
    field("signed_on", "合同签订日期", Kind::Date)
        .help("NTCZ-8：签订合同后7个工作日内支付首笔合同款"),
    field("contract_value", "合同金额（元）", Kind::Text(20)).help("精确到分，如 1200000.00"),
    field("renewals", "已续签次数", Kind::Int(0, 100))
        .list()
        .locked("0"),
];

// The implementation plan of an important project (JSCZ-7: 重要项目应有
// 实施方案): drafted by the vendor, its document kept in the technical
// archives, approved by the finance side's project lead before the work
// starts.
const IMPLEMENTATION_PLAN_STATUS: Choices = &[
    ("draft", "待批准"),
    ("approved", "已批准"),
    ("returned", "退回修改"),
];
const IMPLEMENTATION_PLAN: &[Field] = &[
    field("contract_id", "合同", Kind::Entry("vendor_contracts")).req(),
    field("title", "方案名称", Kind::Text(200)).req().list(),
    field("document_id", "方案文件（技术资料编号）", Kind::Text(64))
        .req()
        .list()
        .help("先在“技术资料”中上传实施方案文件，再填写该资料的编号（资料页面地址 /archives/ 后的编号）"),
    field(
        "summary",
        "实施内容、进度安排与保障措施",
        Kind::LongText(5000),
    )
    .req(),
    field("status", "状态", Kind::Choice(IMPLEMENTATION_PLAN_STATUS))
        .list()
        .locked("draft"),
];

// NTCZ-5.1 「服务期满后……采购人考核合格的，可续签合同，合同一年一签，续签不超过
// 两次」: a renewal of a contract, after the purchaser's assessment passed,
// for one more term of at most a year; at most two per contract (pack
// parameters `vendor_contract.renewal.*`).
const ASSESSMENT_RESULT: Choices = &[("passed", "考核合格"), ("failed", "考核不合格")];
const CONTRACT_RENEWAL: &[Field] = &[
    field("contract_id", "合同", Kind::Entry("vendor_contracts")).req(),
    field("assessed_on", "采购人考核日期", Kind::Date)
        .req()
        .list(),
    field(
        "assessment_result",
        "采购人考核结果",
        Kind::Choice(ASSESSMENT_RESULT),
    )
    .req()
    .list(),
    field("assessment_note", "考核情况", Kind::LongText(5000)).req(),
    field("starts_on", "续签服务开始", Kind::Date)
        .req()
        .list()
        .help("原服务期满后的日期"),
    field("ends_on", "续签服务结束", Kind::Date)
        .req()
        .list()
        .help("合同一年一签：续签期限不超过一年"),
];

// NTCZ-7 「邀请专家成立验收小组，按照采购合同的约定对供应商履约情况进行验收，并出具
// 验收意见」: the acceptance of a contract by an expert panel, with its
// verdict and opinion; a passed one lets the final payment fall due (NTCZ-8).
const VERDICT: Choices = &[("passed", "验收合格"), ("failed", "验收不合格")];
const CONTRACT_ACCEPTANCE: &[Field] = &[
    field("contract_id", "合同", Kind::Entry("vendor_contracts")).req(),
    field("accepted_on", "验收日期", Kind::Date).req().list(),
    field("panel", "验收小组专家", Kind::LongText(2000))
        .req()
        .help("每行一人：姓名、单位、职称"),
    field("verdict", "验收结论", Kind::Choice(VERDICT))
        .req()
        .list(),
    field("panel_opinion", "验收意见", Kind::LongText(10_000)).req(),
];

// NTCZ-8 「签订合同后7个工作日内，采购人支付合同款50%，合同期满验收合格后7个工作日内
// 支付剩余50%合同款」: the two payments of a contract, each recorded once.
const MILESTONE: Choices = &[
    ("first", "首笔合同款（签订合同后）"),
    ("final", "剩余合同款（期满验收合格后）"),
];
const CONTRACT_PAYMENT: &[Field] = &[
    field("contract_id", "合同", Kind::Entry("vendor_contracts")).req(),
    field("milestone", "付款节点", Kind::Choice(MILESTONE))
        .req()
        .list(),
    field("paid_on", "支付日期", Kind::Date).req().list(),
    field("paid_amount", "支付金额（元）", Kind::Text(20))
        .req()
        .list()
        .help("应与合同金额按比例计算的金额一致，精确到分"),
    field("voucher", "付款凭证号", Kind::Text(100)).req(),
];

const REPORT_KIND: Choices = &[
    ("weekly", "周报"),
    ("monthly", "月报"),
    ("plan", "工作计划"),
    ("summary", "总结报告"),
];
const REPORT_STATUS: Choices = &[
    ("draft", "草稿"),
    ("submitted", "已提交"),
    ("accepted", "已确认"),
];
const VENDOR_REPORT: &[Field] = &[
    field("contract_id", "合同", Kind::Entry("vendor_contracts")).req(),
    field("report_kind", "报告类型", Kind::Choice(REPORT_KIND))
        .req()
        .list(),
    field("period_start", "周期开始", Kind::Date).req().list(),
    field("period_end", "周期结束", Kind::Date).req().list(),
    field("body", "报告内容", Kind::LongText(20_000)).req(),
    field("status", "状态", Kind::Choice(REPORT_STATUS))
        .list()
        .locked("draft"),
];

const POST: Choices = &[
    ("engineer", "工程师"),
    ("onsite", "驻场工程师"),
    ("pm", "项目经理"),
];
const PRESENCE: Choices = &[("off_site", "未驻场"), ("on_site", "驻场在岗")];
const STAFF: &[Field] = &[
    field("name", "姓名", Kind::Text(50)).req().list(),
    field("client_org_id", "服务单位", Kind::Org)
        .req()
        .list()
        .help("人员驻场或服务的单位（采购人）"),
    field("username", "平台账号", Kind::Text(64)).list(),
    field("skills", "技能与资质", Kind::Text(500)),
    field("post", "岗位", Kind::Choice(POST))
        .list()
        .locked("engineer"),
    field("presence", "驻场状态", Kind::Choice(PRESENCE))
        .list()
        .locked("off_site"),
    // NTCZ-6.1.4 「组建至少4人的开发服务团队，至少1人进行驻场运维服务，且具备
    // 相应开发能力」: who counts in the development team, and who has left.
    field("developer", "开发服务团队成员（具备开发能力）", Kind::Bool)
        .list()
        .help("NTCZ-6.1.4：开发服务团队人数及其驻场人数按合同核对"),
    field("left_on", "离开日期", Kind::Date).list().locked(""),
];

const NDA: &[Field] = &[
    field("staff_id", "人员", Kind::Entry("vendor_staff")).req(),
    field("signed_on", "签订日期", Kind::Date).req().list(),
    field("valid_from", "生效日期", Kind::Date).req().list(),
    field("valid_to", "到期日期", Kind::Date).req().list(),
    field("counterparty", "签订单位", Kind::Text(100))
        .req()
        .list()
        .help("与之签订的财政部门或采购人（JSCZ-37）"),
];

const CHANGE_KIND: Choices = &[
    ("pm", "更换项目经理"),
    ("onsite_in", "驻场人员进场"),
    ("onsite_out", "驻场人员离场"),
];
const STAFF_CHANGE: &[Field] = &[
    field("vendor_org_id", "服务厂商", Kind::Org).req().list(),
    field("change_kind", "变更类型", Kind::Choice(CHANGE_KIND))
        .req()
        .list(),
    field("leaving_id", "离任人员", Kind::Entry("vendor_staff")).list(),
    field("joining_id", "接任人员", Kind::Entry("vendor_staff")).list(),
    field("reason", "变更原因", Kind::LongText(2000)).req(),
    field("status", "状态", Kind::Choice(REQUEST_STATUS))
        .list()
        .locked("requested"),
];

const TRAINING_KIND: Choices = &[
    ("end_user", "最终用户培训"),
    ("system_admin", "系统管理用户培训"),
    ("staff", "运维人员培训"),
    ("security", "安全保密培训"),
];
const TRAINING: &[Field] = &[
    field("held_on", "培训日期", Kind::Date).req().list(),
    field("topic", "培训主题", Kind::Text(200)).req().list(),
    field("kind", "培训类型", Kind::Choice(TRAINING_KIND))
        .req()
        .list(),
    field("trainer", "讲师", Kind::Text(100)).list(),
    field("hours", "学时", Kind::Int(1, 1000)).req(),
    field("participants", "参加人员", Kind::LongText(5000)).req(),
    field("note", "培训内容与效果", Kind::LongText(5000)),
];

/// Asset requisition and return (JSCZ-9).
const REQUISITION_STATUS: Choices = &[
    ("requested", "待审批"),
    ("approved", "已借出"),
    ("rejected", "已驳回"),
    ("returned", "已归还"),
];
const REQUISITION: &[Field] = &[
    field("ci_id", "资产", Kind::Ci)
        .req()
        .list()
        .help("配置项编号，如 HW-001"),
    field("borrower_org_id", "请领单位", Kind::Org).req().list(),
    field("borrower", "请领人", Kind::Text(50)).req().list(),
    field("purpose", "用途", Kind::Text(500)).req(),
    field("borrowed_on", "领用日期", Kind::Date).req(),
    field("due_back", "应归还日期", Kind::Date).req().list(),
    field("returned_on", "归还日期", Kind::Date)
        .list()
        .locked(""),
    field("status", "状态", Kind::Choice(REQUISITION_STATUS))
        .list()
        .locked("requested"),
];

/// Administrators' UKEYs (JSCZ-53): kept by the security administrator.
const UKEY_STATUS: Choices = &[
    ("issued", "在用"),
    ("lost", "已挂失"),
    ("returned", "已归还"),
];
const UKEY: &[Field] = &[
    field("serial", "UKEY 序列号", Kind::Text(64)).req().list(),
    field("holder", "持有人账号", Kind::Text(64))
        .req()
        .list()
        .help("管理员的登录账号；一个 UKEY 只发给一名管理员"),
    field("cert_fingerprint", "SM2 证书指纹", Kind::Text(128))
        .help("证书的 SM3 指纹，用于登录时核验签名"),
    field(
        "public_key",
        "UKEY 签名公钥（SM2，十六进制）",
        Kind::Text(300),
    )
    .help("由 UKEY 管理工具导出的 SM2 公钥：未压缩点 04‖X‖Y，共 130 位十六进制（可含空格或冒号）；登记后该管理员登录时可用 UKEY 对挑战码签名作为第二因素"),
    field("issued_on", "发放日期", Kind::Date).req().list(),
    field("returned_on", "归还日期", Kind::Date)
        .list()
        .locked(""),
    field("status", "状态", Kind::Choice(UKEY_STATUS))
        .list()
        .locked("issued"),
];

/// Database access of a vendor's engineer (JSCZ-32, JSCZ-36): granted per
/// finance region by the local finance department, only to an engineer
/// named in a valid NDA, only through the bastion host; query and
/// maintenance rights, never writes (those go through a major data
/// change, JSCZ-33).
const DB_RIGHTS: Choices = &[("query", "查询"), ("maintain", "运维（配置、备份、恢复）")];
const DB_ACCESS_STATUS: Choices = &[
    ("requested", "待授权"),
    ("granted", "已授权"),
    ("suspended", "已暂停（保密协议失效）"),
    ("rejected", "未授权"),
    ("revoked", "已收回"),
];
const DB_ACCESS: &[Field] = &[
    field("staff_id", "运维人员", Kind::Entry("vendor_staff"))
        .req()
        .list(),
    field("vendor_org_id", "服务厂商", Kind::Org).req(),
    field("database", "数据库（配置项编号）", Kind::Ci)
        .req()
        .list(),
    field("bastion", "堡垒机（配置项编号）", Kind::Ci)
        .req()
        .list()
        .help("运维人员必须通过省厅下发的堡垒机访问（JSCZ-36）"),
    field("rights", "权限", Kind::Choice(DB_RIGHTS))
        .req()
        .list(),
    field("purpose", "访问事由", Kind::LongText(2000)).req(),
    field("valid_from", "生效日期", Kind::Date).req(),
    field("valid_to", "截止日期", Kind::Date).req().list(),
    field("status", "状态", Kind::Choice(DB_ACCESS_STATUS))
        .list()
        .locked("requested"),
];

/// Temporary access granted in a managed system (JSCZ-8, JSCZ-47,
/// JSCZ-49): filed by the platform when an administrator records that an
/// approved special access request or account request was carried out.
/// It names one person and cannot be handed on (not amendable); at its end
/// the platform revokes it and asks the responsible administrator to
/// confirm the access was removed in the target system (ADR 0007).
pub const GRANT_KINDS: Choices = &[
    ("network", "网络地址及端口访问"),
    ("bastion", "堡垒机运维通道"),
    ("temp_account", "临时用户账号"),
    ("business_account", "业务用户账号"),
    ("admin_account", "系统管理员账号（仅配置权限）"),
    ("system_account", "第三方人员系统账号"),
];
const GRANT_STATUS: Choices = &[
    ("active", "有效"),
    ("revoked", "已收回，待确认目标系统已删除"),
    ("removed", "已确认收回"),
];
const ACCESS_GRANT: &[Field] = &[
    field("ticket_id", "申请工单", Kind::Ticket).req().list(),
    field("grantee", "被授权人（平台账号）", Kind::Text(64))
        .req()
        .list()
        .help("授权仅限本人使用，不得转交他人（JSCZ-8）"),
    field("grantee_name", "被授权人姓名", Kind::Text(50)).req(),
    field("vendor_org_id", "所属单位", Kind::Org).req(),
    field("system", "目标系统或资源", Kind::Text(200))
        .req()
        .list(),
    field("access_kind", "授权类别", Kind::Choice(GRANT_KINDS))
        .req()
        .list(),
    field("scope", "访问事项及权限", Kind::LongText(2000)).req(),
    field("valid_from", "生效日期", Kind::Date).req(),
    field("valid_until", "截止日期", Kind::Date).req().list(),
    field("authorisation", "书面授权", Kind::Text(200))
        .help("使用业务用户账号或临时账号时的授权人及授权书（JSCZ-49）"),
    field("responsible", "负责收回的管理员", Kind::Text(64))
        .req()
        .help("在目标系统中开通该权限的管理员，到期后确认已删除"),
    field("status", "状态", Kind::Choice(GRANT_STATUS))
        .list()
        .locked("active"),
    field("revoked_at", "收回时间", Kind::Text(20)).locked(""),
    field("revoke_reason", "收回原因", Kind::Text(200)).locked(""),
    field("removal_note", "目标系统收回情况", Kind::LongText(1000)).locked(""),
];

/// Pre-launch security checks of new systems and functions (JSCZ-42):
/// the vendor's technical lead reviews the code, the package is scanned
/// for viruses and vulnerabilities, and what the reports found is fixed
/// before the release or change is implemented.
const CHECK_RESULT: Choices = &[("pass", "通过"), ("fail", "未通过")];
const PRELAUNCH: &[Field] = &[
    field("ticket_id", "发布或变更工单", Kind::Ticket)
        .req()
        .list()
        .help("工单编号，如 RJSJ-20261101-0001"),
    field("package", "程序包及版本", Kind::Text(200))
        .req()
        .list(),
    field(
        "code_review",
        "代码规范性及安全性审核",
        Kind::Choice(CHECK_RESULT),
    )
    .req()
    .list(),
    field("reviewer", "审核人（厂商技术负责人）", Kind::Text(50)).req(),
    field("virus_scan", "病毒检测", Kind::Choice(CHECK_RESULT))
        .req()
        .list(),
    field("vuln_scan", "漏洞扫描", Kind::Choice(CHECK_RESULT))
        .req()
        .list(),
    field("reports", "检测报告编号", Kind::Text(200)).req(),
    field("fixes", "漏洞修复情况", Kind::LongText(5000)),
];

/// Vulnerabilities found by scans, each tracked to remediation by a due
/// date set by its severity, closed by a re-scan (JSCZ-42, ZMDY-31,
/// NTCZ-6.3.1).
const SEVERITY: Choices = &[
    ("critical", "紧急"),
    ("high", "高危"),
    ("medium", "中危"),
    ("low", "低危"),
];
const VULN_STATUS: Choices = &[
    ("open", "待修复"),
    ("fixed", "已修复待复测"),
    ("closed", "复测通过已关闭"),
    ("accepted", "已接受风险"),
];
const VULNERABILITY: &[Field] = &[
    field("ci_id", "系统或设备（配置项编号）", Kind::Ci)
        .req()
        .list(),
    field("title", "漏洞名称", Kind::Text(200)).req().list(),
    field("cve", "漏洞编号（CVE/CNVD）", Kind::Text(64)).list(),
    field("severity", "危险等级", Kind::Choice(SEVERITY))
        .req()
        .list(),
    field("scan", "扫描报告", Kind::Text(200)).req(),
    field("found_on", "发现日期", Kind::Date).req().list(),
    field("fix_note", "修复措施", Kind::LongText(5000)),
    field("due_on", "修复期限", Kind::Date)
        .list()
        .locked("")
        .help("紧急 7 天、高危 30 天、中危 90 天、低危 180 天"),
    field("status", "状态", Kind::Choice(VULN_STATUS))
        .list()
        .locked("open"),
];

/// Periodic reviews kept by the platform's administrators (JSCZ-10,
/// NTCZ-6.3.1): who holds which rights, the platform's own audit trail
/// (the audit administrator's 等保 security-audit duty, not the managed
/// systems' log review of EEDS-3.7.1, which is `system_log_reviews`), the
/// security self-check; a checklist generated from the data, the findings
/// and a summary opinion, filed once under the reviewer's name.
const REVIEW_KIND: Choices = &[
    ("access_review", "权限审查"),
    ("log_review", "平台审计日志审查"),
    ("self_check", "安全自查"),
];
const SECURITY_REVIEW: &[Field] = &[
    field("kind", "审查类型", Kind::Choice(REVIEW_KIND))
        .req()
        .list(),
    field("period_start", "审查期间自", Kind::Date).req().list(),
    field("period_end", "审查期间至", Kind::Date).req().list(),
    field("checklist", "检查清单", Kind::LongText(50_000))
        .req()
        .help("可用“按期间数据生成”生成后逐项核对"),
    field("findings", "发现问题及处理", Kind::LongText(10_000)),
    field("opinion", "审查汇总意见", Kind::LongText(5000)).req(),
];

// The managed systems' log review by the maintenance staff (EEDS-3.7.1:
// 维护人员应定时对操作日志、安全日志进行审查，对异常事件及时跟进解决，并形成日志审查
// 汇总意见报分管领导及上级部门审核): the period, the three classes of log
// 3.7.1.1..3.7.1.3 name (each must be ticked), the abnormal events and
// their follow-up, the summary opinion; then the 分管领导's review and the
// higher department's, each recorded by a step with its opinion.
const SYSTEM_LOG_REVIEW_STATUS: Choices = &[
    ("submitted", "待分管领导审核"),
    ("returned", "退回修改"),
    ("reviewed", "分管领导已审核，待上级部门审核"),
    ("closed", "上级部门已审核"),
];
const SYSTEM_LOG_REVIEW: &[Field] = &[
    field("period_start", "审查期间自", Kind::Date).req().list(),
    field("period_end", "审查期间至", Kind::Date).req().list(),
    field("systems", "所审查的信息系统", Kind::Text(500))
        .req()
        .list(),
    field(
        "app_logs",
        "已审查应用系统日志：系统管理员的所有系统操作记录、所有登录访问记录、对敏感或关键数据有重大影响的操作记录及其他重要操作记录（EEDS-3.7.1.1）",
        Kind::Bool,
    ),
    field(
        "os_logs",
        "已审查操作系统日志：系统管理员的所有操作记录、所有登录日志（EEDS-3.7.1.2）",
        Kind::Bool,
    ),
    field(
        "db_logs",
        "已审查数据库系统日志：数据库登录、库表结构的变更记录（EEDS-3.7.1.3）",
        Kind::Bool,
    ),
    field("abnormal_events", "发现的异常事件", Kind::LongText(10_000))
        .help("未发现异常的不填"),
    field("follow_up", "异常事件跟进解决情况", Kind::LongText(10_000))
        .help("发现异常事件的必须填写"),
    field("opinion", "日志审查汇总意见", Kind::LongText(5000)).req(),
    field("leader_opinion", "分管领导审核意见", Kind::LongText(1000)).locked(""),
    field("superior_opinion", "上级部门审核意见", Kind::LongText(1000)).locked(""),
    field("status", "状态", Kind::Choice(SYSTEM_LOG_REVIEW_STATUS))
        .list()
        .locked("submitted"),
];

// A vulnerability scan of the systems (JSCZ-10: 定期对系统进行漏洞扫描，对发现的
// 系统漏洞及时修补): when, what, with which tool and report, how many
// found; the findings themselves go to the vulnerability register.
const VULN_SCAN: &[Field] = &[
    field("scanned_on", "扫描日期", Kind::Date).req().list(),
    field("scope", "扫描范围（系统、设备）", Kind::LongText(2000)).req(),
    field("tool", "扫描工具及版本", Kind::Text(200))
        .req()
        .list(),
    field("report", "扫描报告编号", Kind::Text(200))
        .req()
        .list(),
    field("found", "发现漏洞数", Kind::Int(0, 100_000))
        .req()
        .list(),
    field("remediation", "修补安排", Kind::LongText(5000))
        .help("发现漏洞的必须填写；漏洞逐项登记到漏洞台账，按期限修补（JSCZ-10、JSCZ-42）"),
];

// A network-security check of an organisation (EEDS-3.8.4: 在外网设备上设定病毒与
// 木马拦截，路由管理帐号禁止透漏给非信息管理人员，设定非工作需求的网络软件禁止联网，禁止
// 非允许的网络设备、软件连接工程处信息系统): the four measures, each confirmed
// in place (a check that leaves one out is refused: fix it first), what
// was found on the way and how it was fixed.
const NETWORK_CHECK: &[Field] = &[
    field("checked_on", "检查日期", Kind::Date).req().list(),
    field(
        "scope",
        "检查范围（外网设备、路由器、终端）",
        Kind::Text(500),
    )
    .req()
    .list(),
    field("checker", "检查人", Kind::Text(100)).req().list(),
    field(
        "antivirus",
        "外网设备已设定病毒与木马拦截（EEDS-3.8.4）",
        Kind::Bool,
    ),
    field(
        "router_accounts",
        "路由管理帐号未透露给非信息管理人员（EEDS-3.8.4）",
        Kind::Bool,
    ),
    field(
        "non_work_software",
        "非工作需求的网络软件已禁止联网（EEDS-3.8.4）",
        Kind::Bool,
    ),
    field(
        "unapproved_devices",
        "非允许的网络设备、软件已禁止连接本单位信息系统（EEDS-3.8.4）",
        Kind::Bool,
    ),
    field("findings", "检查发现的问题", Kind::LongText(5000)),
    field("fixes", "整改措施及结果", Kind::LongText(5000)).help("发现问题的必须填写"),
];

// Security undertakings of a third-party organisation (JSCZ-38, JSCZ-40,
// JSCZ-44, JSCZ-46, JSCZ-48, JSCZ-52, JSCZ-57): what the text forbids, each item ticked by
// the signatory; the check refuses an undertaking that leaves one out.
const UNDERTAKING: &[Field] = &[
    field("vendor_org_id", "第三方单位", Kind::Org).req().list(),
    field("signatory", "签署人", Kind::Text(100)).req().list(),
    field("signed_on", "签署日期", Kind::Date).req().list(),
    field("valid_to", "有效期至", Kind::Date)
        .list()
        .help("不填则长期有效，直至合作结束"),
    field(
        "no_publicity",
        "不以省财政厅或信息中心名义在公开平台发布系统信息、推广业务或产品（JSCZ-38）",
        Kind::Bool,
    ),
    field(
        "no_private_wireless",
        "不将私人无线路由设备接入财政专网或外网，不私自架设无线节点（JSCZ-44）",
        Kind::Bool,
    ),
    field(
        "no_document_leak",
        "未经书面授权不泄露系统架构、建设方案、需求和设计文档（JSCZ-46）",
        Kind::Bool,
    ),
    field(
        "no_unapproved_function",
        "不在系统上部署或配置未经财政用户许可上线或与业务无关的功能模块（JSCZ-40）",
        Kind::Bool,
    ),
    field(
        "no_backdoor",
        "不对系统设置后门通道绕开统一安全认证直接登录（JSCZ-48）",
        Kind::Bool,
    ),
    field(
        "no_subcontract",
        "不转包、分包承担的合同任务（JSCZ-52）",
        Kind::Bool,
    ),
    field(
        "no_remote_control",
        "不采用远程控制等不安全运维方式（JSCZ-52）",
        Kind::Bool,
    ),
    field(
        "no_disclosure",
        "不公开或未经授权向第三方提供敏感信息和发现的漏洞隐患（JSCZ-52）",
        Kind::Bool,
    ),
    field(
        "accepts_accountability",
        "违反制度的，接受通知所属组织处理及追究公司和行为人责任（JSCZ-57）",
        Kind::Bool,
    ),
    field("note", "备注", Kind::LongText(2000)),
];

const BREACH: Choices = &[
    ("publicity", "以财政名义发布信息或推广（JSCZ-38）"),
    ("private_wireless", "私接无线设备或架设无线节点（JSCZ-44）"),
    ("document_leak", "泄露系统文档（JSCZ-46）"),
    (
        "unapproved_function",
        "部署未经许可或与业务无关的功能（JSCZ-40）",
    ),
    ("backdoor", "设置后门通道（JSCZ-48）"),
    ("subcontract", "转包、分包合同任务（JSCZ-52）"),
    ("remote_control", "远程控制等不安全运维（JSCZ-52）"),
    ("disclosure", "泄露敏感信息或漏洞隐患（JSCZ-52）"),
    ("poor_duty", "履职尽责差、网络数据安全制度不落实（JSCZ-51）"),
    ("other", "其他违反本制度的行为（JSCZ-57）"),
];
const MEASURE: Choices = &[
    ("interview", "约谈问责（JSCZ-51）"),
    ("notify_org", "通知行为人所属组织处理（JSCZ-57）"),
    ("liability", "追究公司和行为人责任（JSCZ-57）"),
    ("referral", "依法依规移送处理（JSCZ-57）"),
];
const ACCOUNTABILITY_STATUS: Choices = &[
    ("recorded", "已登记"),
    ("notified", "已通知所属组织"),
    ("closed", "已办结"),
];
// Accountability records (JSCZ-51 约谈问责, JSCZ-57): a breach by a
// third party's person, the measure taken, the organisation told, and its
// handling result before the record is closed.
const ACCOUNTABILITY: &[Field] = &[
    field("vendor_org_id", "第三方单位", Kind::Org).req().list(),
    field("person", "行为人", Kind::Text(100)).req().list(),
    field("occurred_on", "发生日期", Kind::Date).req().list(),
    field("breach", "违反事项", Kind::Choice(BREACH))
        .req()
        .list(),
    field("measure", "处理措施", Kind::Choice(MEASURE))
        .req()
        .list(),
    field("facts", "事实经过", Kind::LongText(5000)).req(),
    field("loss", "造成的损失", Kind::LongText(2000)),
    field("handling_result", "所属组织处理结果", Kind::LongText(5000))
        .help("第三方单位处理后填写；办结前必须填写"),
    field("status", "状态", Kind::Choice(ACCOUNTABILITY_STATUS))
        .list()
        .locked("recorded"),
];

// O&M tools a vendor wants to connect to the finance network (NTCZ-6.3.2:
// 严格控制运维工具的使用，经过采购人审核后才可接入财政网络进行操作).
const TOOL_PURPOSE: Choices = &[
    ("remote", "远程运维/终端"),
    ("database", "数据库客户端"),
    ("monitoring", "监控与诊断"),
    ("transfer", "文件传输"),
    ("scanner", "安全检测"),
    ("other", "其他"),
];
const OM_TOOL: &[Field] = &[
    field("vendor_org_id", "服务厂商", Kind::Org).req().list(),
    field("tool_name", "工具名称", Kind::Text(100)).req().list(),
    field("tool_version", "版本", Kind::Text(50)).req().list(),
    field("purpose", "用途", Kind::Choice(TOOL_PURPOSE))
        .req()
        .list(),
    field("publisher", "出品方及获取来源", Kind::Text(200)).req(),
    field("checksum", "安装包校验值（SM3/SHA-256）", Kind::Text(128)),
    field("reason", "使用理由及操作范围", Kind::LongText(2000)).req(),
    field("status", "状态", Kind::Choice(REQUEST_STATUS))
        .list()
        .locked("requested"),
];

// Upgrade plans of the trading system's software and hardware
// (EEDS-2.2.2.10: 根据相应发展制定……软件系统及硬件升级计划，审核通过后，具体实施).
const UPGRADE_SCOPE: Choices = &[
    ("software", "软件升级"),
    ("hardware", "硬件升级"),
    ("both", "软硬件升级"),
];
const UPGRADE_STATUS: Choices = &[
    ("draft", "待审核"),
    ("approved", "审核通过"),
    ("rejected", "未通过"),
    ("done", "已实施"),
];
const UPGRADE_PLAN: &[Field] = &[
    field("title", "计划名称", Kind::Text(200)).req().list(),
    field("scope", "升级范围", Kind::Choice(UPGRADE_SCOPE))
        .req()
        .list(),
    field("ci_id", "涉及系统或设备", Kind::Ci).list(),
    field("basis", "技术发展跟踪与升级依据", Kind::LongText(5000)).req(),
    field("content", "升级内容与实施步骤", Kind::LongText(5000)).req(),
    field("planned_on", "计划实施日期", Kind::Date).req().list(),
    field("done_on", "实施完成日期", Kind::Date)
        .list()
        .locked(""),
    field("status", "状态", Kind::Choice(UPGRADE_STATUS))
        .list()
        .locked("draft"),
];

// Business data returned by the province to a local finance department
// (JSCZ-35: 各地财政部门对回流的财政业务数据安全承担主责任，应坚决确保回流数据安全存储
// 及安全分析应用): what came back, where it is kept, how it is protected
// and used, and who answers for it.
const DATA_RETURN: &[Field] = &[
    field("batch", "回流批次", Kind::Text(100)).req().list(),
    field("received_on", "接收日期", Kind::Date).req().list(),
    field("data_scope", "数据范围", Kind::LongText(2000)).req(),
    field("storage", "存储位置", Kind::Text(200)).req().list(),
    field("security_measures", "安全存储措施", Kind::LongText(2000)).req(),
    field("use", "分析应用范围", Kind::LongText(2000)).req(),
    field("custodian", "数据安全责任人", Kind::Text(100))
        .req()
        .list(),
];

// Peak periods of the finance business (NTCZ-3.4.2: 为保障业务高峰期内系统平稳
// 运行，需根据财政业务周期性特点，加大运维保障力度，增加驻场服务): the period, the
// on-site staff the vendor commits to, and the 24-hour duty roster; the
// purchaser confirms it.
const PEAK_STATUS: Choices = &[
    ("requested", "待采购人确认"),
    ("confirmed", "已确认"),
    ("returned", "退回修改"),
];
const PEAK_PERIOD: &[Field] = &[
    field("name", "高峰期", Kind::Text(100))
        .req()
        .list()
        .help("如：年初预算批复、年终决算、部门预算编制"),
    field("vendor_org_id", "服务厂商", Kind::Org).req().list(),
    field("starts_on", "开始日期", Kind::Date).req().list(),
    field("ends_on", "结束日期", Kind::Date).req().list(),
    field("onsite_usual", "平时驻场人数", Kind::Int(0, 100)).req(),
    field("onsite_peak", "高峰期驻场人数", Kind::Int(1, 100))
        .req()
        .list(),
    field(
        "duty_roster",
        "24小时值班表（日期、值班人、电话）",
        Kind::LongText(5000),
    )
    .req(),
    field("status", "状态", Kind::Choice(PEAK_STATUS))
        .list()
        .locked("requested"),
];

/// The maintenance staff (EEDS-3.7.1 维护人员): the staff of 运行保障科, the
/// maintenance section (EEDS-2.1.2 「运行保障科就是实体的维护部门」, 2.2.2), who
/// maintain the hardware, networks and software: the platform's hardware
/// operations and software staff, as the EEDS pack's `maintainer` role
/// maps them. The vendors' engineers are a party of their own in EEDS
/// (3.2.1 厂商), not 维护人员.
pub const MAINTAINERS: &[Role] = &[Role::HardwareOps, Role::SoftwareDev];

const fn step(
    name: &'static str,
    label: &'static str,
    from: &'static [&'static str],
    to: &'static str,
    action: Action,
    partner_may: bool,
) -> Step {
    Step {
        name,
        label,
        from,
        to,
        action,
        partner_may,
        roles: &[],
    }
}

const RECORD: Spec = Spec {
    key: "",
    label: "",
    group: "",
    source: "",
    title: "",
    fields: &[],
    org_from: OrgFrom::Parent,
    parent: None,
    partner: None,
    partner_writes: true,
    read: BusinessRead,
    write: RegisterEdit,
    amendable: false,
    amendable_in: &[],
    status: None,
    importable: false,
    platform_filed: false,
    steps: &[],
};

pub const SPECS: &[Spec] = &[
    Spec {
        key: "backup_plans",
        label: "备份计划",
        group: "备份与恢复",
        source: "EEDS-3.7.2 EEDS-3.7.3 JSCZ-45",
        title: "name",
        fields: BACKUP_PLAN,
        org_from: OrgFrom::Chosen,
        amendable: true,
        status: Some("status"),
        steps: &[
            // EEDS-3.7.2 「制定备份计划，经过分管领导批准后组织实施」: the
            // deputy director approves, not any holder of the approval right.
            step(
                "approve",
                "分管领导批准",
                &["draft"],
                "active",
                RegisterApprove,
                false,
            )
            .only(&[Role::DeputyDirector]),
            step(
                "retire",
                "停用",
                &["active"],
                "retired",
                RegisterEdit,
                false,
            ),
            step(
                "reactivate",
                "重新启用",
                &["retired"],
                "active",
                RegisterEdit,
                false,
            ),
        ],
        ..RECORD
    },
    Spec {
        key: "backup_logs",
        label: "备份日志",
        group: "备份与恢复",
        source: "EEDS-3.7.4 NTCZ-3.1.6",
        title: "performed_on",
        fields: BACKUP_LOG,
        parent: Some(("backup_plans", "plan_id")),
        ..RECORD
    },
    Spec {
        key: "backup_reviews",
        label: "备份日志检查",
        group: "备份与恢复",
        source: "EEDS-3.7.4",
        title: "reviewed_on",
        fields: BACKUP_REVIEW,
        parent: Some(("backup_plans", "plan_id")),
        ..RECORD
    },
    Spec {
        key: "restore_tests",
        label: "恢复测试",
        group: "备份与恢复",
        source: "EEDS-3.7.5 JSCZ-45",
        title: "tested_on",
        fields: RESTORE_TEST,
        parent: Some(("backup_plans", "plan_id")),
        ..RECORD
    },
    Spec {
        key: "emergency_plans",
        label: "应急预案",
        group: "应急管理",
        source: "JSCZ-7 ZMDY-20 NTCZ-3.1.7",
        title: "name",
        fields: EMERGENCY_PLAN,
        org_from: OrgFrom::Chosen,
        amendable: true,
        ..RECORD
    },
    Spec {
        key: "drills",
        label: "应急演练",
        group: "应急管理",
        source: "JSCZ-7 ZMDY-20",
        title: "scenario",
        fields: DRILL,
        parent: Some(("emergency_plans", "plan_id")),
        ..RECORD
    },
    Spec {
        key: "golive_plans",
        label: "上线应急方案",
        group: "应急管理",
        source: "NTCZ-3.4.1",
        title: "title",
        fields: GOLIVE_PLAN,
        org_from: OrgFrom::Ticket("ticket_id"),
        amendable: true,
        ..RECORD
    },
    Spec {
        key: "prelaunch_checks",
        label: "上线前安全检测",
        group: "应急管理",
        source: "JSCZ-42",
        title: "package",
        fields: PRELAUNCH,
        org_from: OrgFrom::Ticket("ticket_id"),
        amendable: true,
        ..RECORD
    },
    Spec {
        key: "vendor_contracts",
        label: "厂商合同",
        group: "厂商管理",
        source: "JSCZ-5 JSCZ-7",
        title: "name",
        fields: CONTRACT,
        org_from: OrgFrom::Chosen,
        partner: Some("vendor_org_id"),
        partner_writes: false,
        amendable: true,
        ..RECORD
    },
    Spec {
        key: "implementation_plans",
        label: "重要项目实施方案",
        group: "厂商管理",
        source: "JSCZ-7",
        title: "title",
        fields: IMPLEMENTATION_PLAN,
        parent: Some(("vendor_contracts", "contract_id")),
        amendable: true,
        amendable_in: &["draft", "returned"],
        status: Some("status"),
        steps: &[
            // JSCZ-7: the finance side's project lead approves the plan.
            step(
                "approve",
                "项目负责人批准",
                &["draft"],
                "approved",
                RegisterApprove,
                false,
            )
            .only(&[Role::ProjectLead]),
            step(
                "return",
                "退回修改",
                &["draft"],
                "returned",
                RegisterApprove,
                false,
            )
            .only(&[Role::ProjectLead]),
            step(
                "resubmit",
                "重新提交",
                &["returned"],
                "draft",
                RegisterEdit,
                true,
            ),
        ],
        ..RECORD
    },
    Spec {
        key: "vendor_reports",
        label: "厂商工作报告",
        group: "厂商管理",
        source: "JSCZ-7",
        title: "period_start",
        fields: VENDOR_REPORT,
        parent: Some(("vendor_contracts", "contract_id")),
        amendable: true,
        amendable_in: &["draft"],
        status: Some("status"),
        steps: &[
            step(
                "submit",
                "提交",
                &["draft"],
                "submitted",
                RegisterEdit,
                true,
            ),
            step(
                "accept",
                "确认",
                &["submitted"],
                "accepted",
                RegisterApprove,
                false,
            ),
            step(
                "send_back",
                "退回修改",
                &["submitted"],
                "draft",
                RegisterApprove,
                false,
            ),
        ],
        ..RECORD
    },
    // -- NTCZ-5.1, NTCZ-7, NTCZ-8 (issue 16, helper "contracts")
    Spec {
        key: "contract_renewals",
        label: "合同续签",
        group: "厂商管理",
        source: "NTCZ-5.1",
        title: "starts_on",
        fields: CONTRACT_RENEWAL,
        parent: Some(("vendor_contracts", "contract_id")),
        partner_writes: false,
        ..RECORD
    },
    Spec {
        key: "contract_acceptances",
        label: "合同验收",
        group: "厂商管理",
        source: "NTCZ-7",
        title: "accepted_on",
        fields: CONTRACT_ACCEPTANCE,
        parent: Some(("vendor_contracts", "contract_id")),
        partner_writes: false,
        ..RECORD
    },
    Spec {
        key: "contract_payments",
        label: "合同付款",
        group: "厂商管理",
        source: "NTCZ-8",
        title: "milestone",
        fields: CONTRACT_PAYMENT,
        parent: Some(("vendor_contracts", "contract_id")),
        partner_writes: false,
        ..RECORD
    },
    // -- end NTCZ-5.1, NTCZ-7, NTCZ-8
    Spec {
        key: "vendor_staff",
        label: "厂商人员",
        group: "厂商管理",
        source: "JSCZ-51 NTCZ-6.1.4 NTCZ-6.1.5 NTCZ-6.1.7 NTCZ-6.2.2",
        title: "name",
        fields: STAFF,
        org_from: OrgFrom::Chosen,
        partner: Some("client_org_id"),
        amendable: true,
        ..RECORD
    },
    Spec {
        key: "ndas",
        label: "保密协议",
        group: "厂商管理",
        source: "JSCZ-37 JSCZ-51 NTCZ-6.3.3",
        title: "valid_to",
        fields: NDA,
        parent: Some(("vendor_staff", "staff_id")),
        ..RECORD
    },
    Spec {
        key: "staff_changes",
        label: "人员变更申请",
        group: "厂商管理",
        source: "NTCZ-6.1.7",
        title: "change_kind",
        fields: STAFF_CHANGE,
        org_from: OrgFrom::Chosen,
        partner: Some("vendor_org_id"),
        status: Some("status"),
        steps: &[
            step(
                "approve",
                "采购人确认",
                &["requested"],
                "approved",
                RegisterApprove,
                false,
            ),
            step(
                "reject",
                "驳回",
                &["requested"],
                "rejected",
                RegisterApprove,
                false,
            ),
        ],
        ..RECORD
    },
    Spec {
        key: "security_undertakings",
        label: "安全承诺书",
        group: "厂商管理",
        source: "JSCZ-38 JSCZ-40 JSCZ-44 JSCZ-46 JSCZ-48 JSCZ-52 JSCZ-57",
        title: "signatory",
        fields: UNDERTAKING,
        org_from: OrgFrom::Chosen,
        partner: Some("vendor_org_id"),
        partner_writes: false,
        ..RECORD
    },
    Spec {
        key: "accountability_records",
        label: "约谈问责记录",
        group: "厂商管理",
        source: "JSCZ-51 JSCZ-57",
        title: "person",
        fields: ACCOUNTABILITY,
        org_from: OrgFrom::Chosen,
        partner: Some("vendor_org_id"),
        partner_writes: false,
        amendable: true,
        amendable_in: &["recorded", "notified"],
        status: Some("status"),
        steps: &[
            step(
                "notify",
                "通知所属组织",
                &["recorded"],
                "notified",
                RegisterApprove,
                false,
            ),
            step(
                "close",
                "办结",
                &["notified"],
                "closed",
                RegisterApprove,
                false,
            ),
        ],
        ..RECORD
    },
    Spec {
        key: "om_tools",
        label: "运维工具审核",
        group: "厂商管理",
        source: "NTCZ-6.3.2",
        title: "tool_name",
        fields: OM_TOOL,
        org_from: OrgFrom::Chosen,
        partner: Some("vendor_org_id"),
        status: Some("status"),
        steps: &[
            step(
                "approve",
                "采购人审核通过",
                &["requested"],
                "approved",
                RegisterApprove,
                false,
            ),
            step(
                "reject",
                "驳回",
                &["requested"],
                "rejected",
                RegisterApprove,
                false,
            ),
        ],
        ..RECORD
    },
    Spec {
        key: "upgrade_plans",
        label: "升级计划",
        group: "配置与资产",
        source: "EEDS-2.2.2.10",
        title: "title",
        fields: UPGRADE_PLAN,
        org_from: OrgFrom::Chosen,
        amendable: true,
        amendable_in: &["draft"],
        status: Some("status"),
        steps: &[
            step(
                "approve",
                "审核通过",
                &["draft"],
                "approved",
                RegisterApprove,
                false,
            ),
            step(
                "reject",
                "不予通过",
                &["draft"],
                "rejected",
                RegisterApprove,
                false,
            ),
            step(
                "complete",
                "实施完成",
                &["approved"],
                "done",
                RegisterEdit,
                false,
            ),
        ],
        ..RECORD
    },
    Spec {
        key: "data_returns",
        label: "回流数据登记",
        group: "安全管理",
        source: "JSCZ-35",
        title: "batch",
        fields: DATA_RETURN,
        org_from: OrgFrom::Chosen,
        amendable: true,
        ..RECORD
    },
    Spec {
        key: "peak_periods",
        label: "业务高峰期保障",
        group: "厂商管理",
        source: "NTCZ-3.4.2",
        title: "name",
        fields: PEAK_PERIOD,
        org_from: OrgFrom::Chosen,
        partner: Some("vendor_org_id"),
        amendable: true,
        amendable_in: &["requested", "returned"],
        status: Some("status"),
        steps: &[
            step(
                "confirm",
                "采购人确认",
                &["requested"],
                "confirmed",
                RegisterApprove,
                false,
            ),
            step(
                "return",
                "退回修改",
                &["requested"],
                "returned",
                RegisterApprove,
                false,
            ),
            step(
                "resubmit",
                "重新提交",
                &["returned"],
                "requested",
                RegisterEdit,
                true,
            ),
        ],
        ..RECORD
    },
    Spec {
        key: "trainings",
        label: "培训记录",
        group: "厂商管理",
        source: "NTCZ-3.3.1 NTCZ-3.3.2 NTCZ-6.1.6 EEDS-2.2.1.5",
        title: "topic",
        fields: TRAINING,
        org_from: OrgFrom::Chosen,
        amendable: true,
        importable: true,
        ..RECORD
    },
    Spec {
        key: "ukeys",
        label: "管理员 UKEY",
        group: "安全管理",
        source: "JSCZ-53",
        title: "serial",
        fields: UKEY,
        org_from: OrgFrom::Chosen,
        read: RoleView,
        write: RoleGrant,
        amendable: true,
        amendable_in: &["issued"],
        status: Some("status"),
        steps: &[
            step("report_lost", "挂失", &["issued"], "lost", RoleView, false),
            step(
                "return",
                "登记归还",
                &["issued"],
                "returned",
                RoleGrant,
                false,
            ),
        ],
        ..RECORD
    },
    Spec {
        key: "vulnerabilities",
        label: "漏洞台账",
        group: "安全管理",
        source: "JSCZ-42 ZMDY-31 NTCZ-6.3.1",
        title: "title",
        fields: VULNERABILITY,
        org_from: OrgFrom::Ci("ci_id"),
        amendable: true,
        amendable_in: &["open", "fixed"],
        status: Some("status"),
        importable: true,
        steps: &[
            step(
                "mark_fixed",
                "登记已修复",
                &["open"],
                "fixed",
                RegisterEdit,
                false,
            ),
            step(
                "rescan_passed",
                "复测通过，关闭",
                &["fixed"],
                "closed",
                RegisterEdit,
                false,
            ),
            step(
                "rescan_failed",
                "复测未通过，重新打开",
                &["fixed"],
                "open",
                RegisterEdit,
                false,
            ),
            step(
                "accept_risk",
                "接受风险",
                &["open"],
                "accepted",
                RegisterApprove,
                false,
            ),
        ],
        ..RECORD
    },
    Spec {
        key: "security_reviews",
        label: "安全检查与审查",
        group: "安全管理",
        source: "EEDS-3.7.1 JSCZ-10 NTCZ-6.3.1",
        title: "kind",
        fields: SECURITY_REVIEW,
        org_from: OrgFrom::Chosen,
        read: RoleView,
        write: RoleView,
        ..RECORD
    },
    Spec {
        key: "system_log_reviews",
        label: "信息系统日志审查",
        group: "安全管理",
        source: "EEDS-3.7.1 EEDS-3.7.1.1 EEDS-3.7.1.2 EEDS-3.7.1.3",
        title: "systems",
        fields: SYSTEM_LOG_REVIEW,
        org_from: OrgFrom::Chosen,
        amendable: true,
        amendable_in: &["returned"],
        status: Some("status"),
        steps: &[
            // 「形成日志审查汇总意见报分管领导及上级部门审核」: the deputy
            // director reviews the summary, then the higher department's
            // review is recorded.
            step(
                "leader_review",
                "分管领导审核",
                &["submitted"],
                "reviewed",
                RegisterApprove,
                false,
            )
            .only(&[Role::DeputyDirector]),
            step(
                "send_back",
                "退回修改",
                &["submitted"],
                "returned",
                RegisterApprove,
                false,
            )
            .only(&[Role::DeputyDirector]),
            step(
                "resubmit",
                "重新报送",
                &["returned"],
                "submitted",
                RegisterEdit,
                false,
            )
            .only(MAINTAINERS),
            step(
                "superior_review",
                "登记上级部门审核意见",
                &["reviewed"],
                "closed",
                RegisterEdit,
                false,
            ),
        ],
        ..RECORD
    },
    Spec {
        key: "vuln_scans",
        label: "漏洞扫描记录",
        group: "安全管理",
        source: "JSCZ-10",
        title: "report",
        fields: VULN_SCAN,
        org_from: OrgFrom::Chosen,
        ..RECORD
    },
    Spec {
        key: "network_checks",
        label: "网络安全检查",
        group: "安全管理",
        source: "EEDS-3.8.4",
        title: "scope",
        fields: NETWORK_CHECK,
        org_from: OrgFrom::Chosen,
        ..RECORD
    },
    Spec {
        key: "db_access",
        label: "数据库访问授权",
        group: "安全管理",
        source: "JSCZ-32 JSCZ-36",
        title: "rights",
        fields: DB_ACCESS,
        org_from: OrgFrom::Chosen,
        partner: Some("vendor_org_id"),
        status: Some("status"),
        steps: &[
            step(
                "grant",
                "财政部门授权",
                &["requested"],
                "granted",
                RegisterApprove,
                false,
            ),
            step(
                "reject",
                "不予授权",
                &["requested"],
                "rejected",
                RegisterApprove,
                false,
            ),
            step(
                "revoke",
                "收回授权",
                &["granted", "suspended"],
                "revoked",
                RegisterApprove,
                false,
            ),
            // The platform suspends an access whose engineer's NDA lapsed
            // (JSCZ-36); a new NDA lets the department resume it.
            step(
                "suspend",
                "暂停访问",
                &["granted"],
                "suspended",
                RegisterApprove,
                false,
            ),
            step(
                "resume",
                "恢复访问",
                &["suspended"],
                "granted",
                RegisterApprove,
                false,
            ),
        ],
        ..RECORD
    },
    Spec {
        key: "access_grants",
        label: "临时授权",
        group: "安全管理",
        source: "JSCZ-8 JSCZ-47 JSCZ-49",
        title: "system",
        fields: ACCESS_GRANT,
        org_from: OrgFrom::Chosen,
        partner: Some("vendor_org_id"),
        partner_writes: false,
        status: Some("status"),
        platform_filed: true,
        steps: &[
            step(
                "revoke",
                "提前收回",
                &["active"],
                "revoked",
                RegisterEdit,
                false,
            ),
            step(
                "confirm_removed",
                "确认目标系统已删除",
                &["revoked"],
                "removed",
                RegisterEdit,
                false,
            ),
        ],
        ..RECORD
    },
    Spec {
        key: "asset_requisitions",
        label: "资产领用",
        group: "配置与资产",
        source: "JSCZ-9",
        title: "borrower",
        fields: REQUISITION,
        org_from: OrgFrom::Ci("ci_id"),
        partner: Some("borrower_org_id"),
        status: Some("status"),
        steps: &[
            step(
                "approve",
                "资产部门批准",
                &["requested"],
                "approved",
                RegisterApprove,
                false,
            ),
            step(
                "reject",
                "驳回",
                &["requested"],
                "rejected",
                RegisterApprove,
                false,
            ),
            step(
                "return",
                "登记归还",
                &["approved"],
                "returned",
                RegisterEdit,
                true,
            ),
        ],
        ..RECORD
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_are_consistent() {
        let mut keys = std::collections::BTreeSet::new();
        for s in SPECS {
            assert!(keys.insert(s.key), "{} twice", s.key);
            assert!(s.field(s.title).is_some(), "{}: title", s.key);
            if let Some((p, f)) = s.parent {
                assert!(spec(p).is_some(), "{}: parent", s.key);
                assert!(matches!(s.field(f).map(|f| f.kind), Some(Kind::Entry(x)) if x == p));
                assert_eq!(s.org_from, OrgFrom::Parent, "{}", s.key);
            } else {
                assert_ne!(s.org_from, OrgFrom::Parent, "{}", s.key);
            }
            if let Some(p) = s.partner {
                assert!(matches!(s.field(p).map(|f| f.kind), Some(Kind::Org)));
            }
            if let OrgFrom::Ci(f) | OrgFrom::Ticket(f) = s.org_from {
                assert!(s.field(f).is_some_and(|f| f.required), "{}", s.key);
            }
            for st in s.steps {
                let status = s.field(s.status.expect("steps need a status")).unwrap();
                let Kind::Choice(cs) = status.kind else {
                    panic!("{}: status is a choice", s.key)
                };
                assert!(status.locked);
                for v in st.from.iter().chain([&st.to]) {
                    assert!(cs.iter().any(|(c, _)| c == v), "{}: {v}", s.key);
                }
            }
            for f in s.fields {
                if let Kind::Entry(r) = f.kind {
                    assert!(spec(r).is_some(), "{}.{}", s.key, f.name);
                }
                assert!(!(f.locked && f.required), "{}.{}", s.key, f.name);
                assert!(![
                    "id",
                    "org_id",
                    "org_path",
                    "partner_path",
                    "parent_id",
                    "version"
                ]
                .contains(&f.name));
            }
        }
    }

    fn input(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defect_9c_register_text_fields_refuse_bidi_control_and_invisible_values() {
        let s = spec("backup_plans").unwrap();
        let name = s.field("name").unwrap();
        let e = parse_value(name, "月度备份\u{202E}fdp.exe").unwrap_err();
        assert_eq!(e.code, "text.bidi_control");
        assert!(
            e.message.starts_with("计划名称含有双向文本控制字符"),
            "{}",
            e.message
        );
        let e = parse_value(name, "月度\u{7}备份").unwrap_err();
        assert_eq!(e.code, "text.control_char");
        let e = parse_value(name, "\u{200B}\u{FEFF}").unwrap_err();
        assert_eq!(e.code, "register.field_required");
        // A multi-line field keeps its line breaks and tabs.
        let scope = s.field("scope").unwrap();
        assert_eq!(
            parse_value(scope, "数据库\r\n\t文件").unwrap(),
            Val::Text("数据库\r\n\t文件".into())
        );
        assert_eq!(
            parse_value(scope, "数据库\u{2067}文件").unwrap_err().code,
            "text.bidi_control"
        );
        // An optional field made only of invisible characters is refused,
        // not stored as empty.
        let note = spec("backup_logs").unwrap().field("note").unwrap();
        assert!(!note.required);
        assert_eq!(
            parse_value(note, "\u{200B}").unwrap_err().code,
            "register.field_invalid"
        );
    }

    #[test]
    fn values_are_parsed_with_clear_errors() {
        let s = spec("ndas").unwrap();
        let ok = parse_input(
            s,
            &input(&[
                ("staff_id", "abc"),
                ("signed_on", "2026-01-05"),
                ("valid_from", "2026-01-05"),
                ("valid_to", "2027-01-04"),
                ("counterparty", " 市财政局 "),
            ]),
            &[],
        )
        .unwrap();
        assert_eq!(ok["counterparty"], Val::Text("市财政局".into()));
        assert_eq!(ok["valid_to"].date(), NaiveDate::from_ymd_opt(2027, 1, 4));

        let e = parse_input(s, &input(&[("valid_to", "2027-02-30")]), &[]).unwrap_err();
        assert_eq!(e.code, "register.field_required");
        let e = parse_input(
            s,
            &input(&[
                ("staff_id", "abc"),
                ("signed_on", "2026-01-05"),
                ("valid_from", "2026-01-05"),
                ("valid_to", "2027-02-30"),
                ("counterparty", "x"),
            ]),
            &[],
        )
        .unwrap_err();
        assert!(e.message.contains("到期日期"), "{}", e.message);
        assert!(e.message.contains("2027-02-30"), "{}", e.message);

        let e = parse_input(s, &input(&[("valid_till", "2027-01-01")]), &[]).unwrap_err();
        assert_eq!(e.code, "register.field_unknown");

        let plan = spec("backup_plans").unwrap();
        let f = plan.field("frequency").unwrap();
        assert!(parse_value(f, "hourly")
            .unwrap_err()
            .message
            .contains("每日、每周、每月"));
        assert_eq!(parse_value(f, "每周").unwrap(), Val::Text("weekly".into()));
        let f = plan.field("retention_days").unwrap();
        assert_eq!(parse_value(f, "30").unwrap(), Val::Int(30));
        assert!(parse_value(f, "0").is_err());
        let f = plan.field("covers_logs").unwrap();
        assert_eq!(parse_value(f, "").unwrap(), Val::Int(0));
        assert_eq!(parse_value(f, "on").unwrap(), Val::Int(1));
        assert_eq!(f.display(&Val::Int(1)), "是");
        // A locked field cannot be set from outside.
        let e = parse_input(plan, &input(&[("status", "active")]), &[]).unwrap_err();
        assert_eq!(e.code, "register.field_unknown");
        assert_eq!(locked_defaults(plan)["status"], Val::Text("draft".into()));
    }
}
