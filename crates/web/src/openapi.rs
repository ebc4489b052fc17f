//! The OpenAPI document of `/api/v1`, built from one table of operations
//! with utoipa's builders. Each operation states its success status (taken
//! from its handler: 201 for creates, 204 for handlers that return no
//! content), its query parameters and its request body; the error
//! responses follow from those and carry the shared `Error` schema. The
//! API test checks every routed path is listed, and the test kit checks
//! every status a test receives against this table.

use axum::Json;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, SchemaType, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref,
    Required, ResponseBuilder,
};
use HttpMethod::{Delete, Get, Post, Put};

/// What a successful answer carries.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Reply {
    /// 200 with a JSON body.
    Json,
    /// 201 with the created object as JSON.
    Created,
    /// 204 without a body.
    NoContent,
    /// 200 with an Excel workbook.
    Xlsx,
    /// 200 with a stored file.
    File,
}

/// One operation of the API.
pub struct Op {
    pub method: HttpMethod,
    pub path: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    /// JSON body fields `name[:type]`, `?` = optional.
    pub json: &'static [&'static str],
    /// The body is a raw file (`application/octet-stream`).
    pub raw: bool,
    /// Query parameters `name[:type]`, `!` = required.
    pub query: &'static [&'static str],
    pub reply: Reply,
}

const fn op(
    method: HttpMethod,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
) -> Op {
    Op {
        method,
        path,
        tag,
        summary,
        json: &[],
        raw: false,
        query: &[],
        reply: Reply::Json,
    }
}

impl Op {
    const fn json(mut self, fields: &'static [&'static str]) -> Op {
        self.json = fields;
        self
    }
    const fn raw(mut self) -> Op {
        self.raw = true;
        self
    }
    const fn query(mut self, params: &'static [&'static str]) -> Op {
        self.query = params;
        self
    }
    const fn created(mut self) -> Op {
        self.reply = Reply::Created;
        self
    }
    const fn no_content(mut self) -> Op {
        self.reply = Reply::NoContent;
        self
    }
    const fn xlsx(mut self) -> Op {
        self.reply = Reply::Xlsx;
        self
    }
    const fn file(mut self) -> Op {
        self.reply = Reply::File;
        self
    }
}

pub const OPERATIONS: &[Op] = &[
    op(Post, "/api/v1/auth/login", "认证", "登录，返回会话令牌；已启用动态口令的账号须同时提交 totp_code（缺少为 auth.totp_required，错误为 auth.totp_invalid 并计入连续失败次数）；已登记 UKEY 签名公钥的管理员不提交 totp_code 时为 auth.ukey_required，改用 UKEY 签名登录")
        .json(&["username", "password", "totp_code?"]),
    op(Post, "/api/v1/auth/login/ukey/challenge", "认证", "UKEY 签名登录第一步（等保三级双因素，JSCZ-53）：核对密码（错误计入连续失败次数），返回 login_token、挑战码 challenge（5 分钟内有效，仅可使用一次）、UKEY 序列号和到期时间；没有登记签名公钥的在用 UKEY 时为 auth.ukey_not_registered")
        .json(&["username", "password"]),
    op(Post, "/api/v1/auth/login/ukey", "认证", "UKEY 签名登录第二步：提交 login_token 和 UKEY 对 challenge 原文（UTF-8）的 SM2 签名（SM3 杂凑，默认用户标识 1234567812345678，r‖s 共 64 字节的十六进制）；成功返回会话令牌，签名错误 auth.ukey_signature_invalid、挑战码已用 auth.ukey_challenge_used、已过期 auth.ukey_challenge_expired、UKEY 已挂失或更换 auth.ukey_not_in_use，均计入连续失败次数")
        .json(&["login_token", "signature"]),
    op(Post, "/api/v1/auth/logout", "认证", "退出登录")
        .no_content(),
    op(Post, "/api/v1/auth/password", "认证", "修改本人密码")
        .json(&["current_password", "new_password", "confirm_password"])
        .no_content(),
    op(Get, "/api/v1/me", "认证", "当前用户及其角色"),
    op(Get, "/api/v1/me/totp", "认证", "本人动态口令（TOTP）状态：是否启用、是否有待确认的密钥"),
    op(Post, "/api/v1/me/totp", "认证", "生成动态口令密钥（等保三级双因素，JSCZ-53）：返回 secret（Base32）和 otpauth:// 地址，用验证器添加后确认"),
    op(Post, "/api/v1/me/totp/confirm", "认证", "用验证器上的 6 位动态口令确认启用；此后登录须提交 totp_code")
        .json(&["code"])
        .no_content(),
    op(Post, "/api/v1/users/{id}/totp/reset", "角色授权", "安全管理员清除用户的动态口令（手机丢失等，须填原因），用户重新绑定")
        .json(&["reason"])
        .no_content(),
    op(Get, "/api/v1/orgs", "组织机构", "可见范围内的组织机构树"),
    op(Post, "/api/v1/orgs", "组织机构", "新建下级机构")
        .json(&["parent_id", "kind", "name"])
        .created(),
    op(Get, "/api/v1/orgs/{id}", "组织机构", "机构详情"),
    op(Put, "/api/v1/orgs/{id}", "组织机构", "机构更名")
        .json(&["name"]),
    op(Get, "/api/v1/orgs/{id}/config", "系统参数", "机构参数（工作时间、通知）"),
    op(Put, "/api/v1/orgs/{id}/config", "系统参数", "修改机构参数")
        .json(&["business_hours_start", "business_hours_end", "notice"])
        .no_content(),
    op(Get, "/api/v1/users", "用户", "用户列表（q, org_id, status, page, per_page）")
        .query(&["q", "org_id", "status", "page", "per_page"]),
    op(Post, "/api/v1/users", "用户", "创建账号，返回一次性初始密码")
        .json(&["username", "display_name", "org_id", "phone?", "id_number?"])
        .created(),
    op(Get, "/api/v1/users/export.xlsx", "用户", "导出用户列表（Excel，须填 reason）")
        .query(&["reason!", "q", "org_id", "status"])
        .xlsx(),
    op(Get, "/api/v1/users/{id}", "用户", "用户详情（个人信息脱敏）"),
    op(Put, "/api/v1/users/{id}", "用户", "修改用户信息")
        .json(&["display_name?", "phone?", "id_number?"]),
    op(Post, "/api/v1/users/{id}/disable", "用户", "停用账号（须填原因）")
        .json(&["reason"]),
    op(Post, "/api/v1/users/{id}/departure", "用户管理", "登记人员离岗（须填原因）：停用账号、结束会话、吊销接口令牌、收回全部授权、厂商人员记录离场，并通知审计管理员和中心主任审查其操作记录（JSCZ-51）")
        .json(&["reason"]),
    op(Post, "/api/v1/users/{id}/enable", "用户", "启用账号并解除锁定（须填原因）")
        .json(&["reason"]),
    op(Post, "/api/v1/users/{id}/reset-password", "用户", "重置密码（须填原因）")
        .json(&["reason"]),
    op(Get, "/api/v1/users/{id}/roles", "角色授权", "用户的角色授权"),
    op(Get, "/api/v1/roles", "角色授权", "角色目录"),
    op(Post, "/api/v1/roles/grants", "角色授权", "授予角色（须填原因）；valid_until 为有效期（YYYY-MM-DD 当日有效，或 RFC 3339 时刻），第三方人员必填，到期由系统自动收回并通知（JSCZ-49）")
        .json(&["user_id", "role", "scope_org_id?", "subtree?:boolean", "reason", "valid_until?"])
        .created(),
    op(Post, "/api/v1/roles/grants/{id}/revoke", "角色授权", "收回角色（须填原因）")
        .json(&["reason"])
        .no_content(),
    op(Get, "/api/v1/sessions", "会话", "本人会话；all=true 时为管理范围内全部会话")
        .query(&["all:boolean"]),
    op(Post, "/api/v1/sessions/{id}/revoke", "会话", "强制结束会话")
        .no_content(),
    op(Get, "/api/v1/tokens", "接口令牌", "本人的接口令牌"),
    op(Post, "/api/v1/tokens", "接口令牌", "创建接口令牌（仅显示一次）")
        .json(&["name", "days?:integer"])
        .created(),
    op(Post, "/api/v1/tokens/{id}/revoke", "接口令牌", "吊销接口令牌")
        .no_content(),
    op(Get, "/api/v1/security-policy", "安全策略", "查看安全策略"),
    op(Put, "/api/v1/security-policy", "安全策略", "修改安全策略（不得低于法规下限）")
        .json(&["password_min_length:integer", "password_history:integer", "lockout_threshold:integer", "lockout_minutes:integer", "idle_timeout_minutes:integer", "audit_retention_days:integer", "api_token_max_days:integer", "reason"])
        .no_content(),
    op(Get, "/api/v1/audit", "审计", "检索审计记录（from, to, actor, action, object_type, object_id, before_seq, limit）")
        .query(&["from", "to", "actor", "action", "object_type", "object_id", "before_seq", "limit"]),
    op(Get, "/api/v1/audit/export.xlsx", "审计", "导出审计记录（Excel，须填 reason）")
        .query(&["reason!", "from", "to", "actor", "action", "object_type", "object_id"])
        .xlsx(),
    op(Get, "/api/v1/calendar/{year}", "工作日历", "某年的节假日与调休上班日，及该年安排是否已公布（announced）"),
    op(Post, "/api/v1/calendar/import", "工作日历", "导入一个年度的节假日文件（请求体即 holiday-cn 格式的年度 JSON；可选 reason 查询参数；须有维护工作日历权限）")
        .json(&["year:integer", "papers:array", "days:array"])
        .query(&["reason"]),
    op(Get, "/api/v1/calendar/add-workdays", "工作日历", "date 之后第 n 个工作日及其截止时刻（当日 23:59:59 北京时间）；跨越未公布年度时给出 warning")
        .query(&["date", "n"]),
    op(Get, "/api/v1/packs", "工单", "已启用的策略包及其流程、字段、状态"),
    op(Get, "/api/v1/tickets", "工单", "工单列表（process, state, level, org_id, assignee, overdue, mine=requested|assigned, open, page, per_page）")
        .query(&["process", "state", "level", "org_id", "assignee", "overdue", "mine", "open", "page", "per_page"]),
    op(Post, "/api/v1/tickets", "工单", "登记工单：按策略包流程，fields 为字段值；热线登记时 on_behalf_of 为来电人用户名")
        .json(&["pack", "process", "title", "org_id?", "on_behalf_of?", "fields?:object"])
        .created(),
    op(Get, "/api/v1/tickets/export.xlsx", "工单", "导出工单列表（Excel，须填 reason）")
        .query(&["reason!", "process", "state", "level", "org_id", "assignee", "overdue", "mine", "open"])
        .xlsx(),
    op(Get, "/api/v1/tickets/{id}", "工单", "工单详情：流程步骤、当前可办操作、审批、时限、时间线、附件、关联"),
    op(Post, "/api/v1/tickets/{id}/transitions", "工单", "办理一步流程操作（策略包校验角色、条件、必填字段、附件和提前量）")
        .json(&["transition", "fields?:object", "comment?", "assignee?"]),
    op(Post, "/api/v1/tickets/{id}/votes", "工单", "审批（同意或驳回，驳回须填意见）")
        .json(&["approval", "approve:boolean", "comment?"]),
    op(Post, "/api/v1/tickets/{id}/comments", "工单", "添加评论")
        .json(&["body"])
        .no_content(),
    op(Post, "/api/v1/tickets/{id}/attachments", "工单", "上传附件：请求体为文件内容，查询参数 kind（如 backup、script、result）与 filename")
        .raw()
        .query(&["kind!", "filename!"])
        .created(),
    op(Get, "/api/v1/attachments/{id}", "工单", "下载附件")
        .file(),
    op(Get, "/api/v1/todo", "工单", "我的待办：当前可由我办理或审批的工单"),
    op(Get, "/api/v1/search", "搜索", "中文全文检索（q, type, page）")
        .query(&["q", "type", "page"]),
    op(Get, "/api/v1/knowledge", "知识库", "知识列表：已发布的知识，及有编辑权限者范围内的草稿（q 中文检索, status=draft|published, page, per_page）")
        .query(&["q", "status", "page", "per_page"]),
    op(Post, "/api/v1/knowledge", "知识库", "新建知识草稿（须有编辑和发布知识权限；org_id 缺省为本人机构）")
        .json(&["title", "cause?", "solution?", "org_id?"])
        .created(),
    op(Get, "/api/v1/knowledge/{id}", "知识库", "知识详情：产生原因、解决方案、来源工单"),
    op(Put, "/api/v1/knowledge/{id}", "知识库", "修改知识（标题、产生原因、解决方案；未提供的字段不变；记录修改前后内容）")
        .json(&["title?", "cause?", "solution?"]),
    op(Post, "/api/v1/knowledge/{id}/publish", "知识库", "发布知识草稿（须已填写产生原因和解决方案，EEDS-3.2.4）"),
    op(Get, "/api/v1/archives", "技术档案", "技术资料列表（ci_id 可选）：名称、类别、版本及各版本 SM3；有查看业务数据权限者可见")
        .query(&["ci_id"]),
    op(Post, "/api/v1/archives", "技术档案", "上传技术资料第 1 版（请求体为文件；查询参数 title, kind, filename, ci?, org_id?, note?；EEDS-3.6）")
        .raw()
        .query(&["title!", "kind!", "filename!", "ci", "org_id", "note"])
        .created(),
    op(Get, "/api/v1/archives/export.xlsx", "技术档案", "导出技术资料列表（Excel：名称、类别、配置项、机构、当前版本及其 SM3、更新时间；筛选 ci_id, kind, org_id（含下级），须填 reason，记入审计）")
        .query(&["reason!", "ci_id", "kind", "org_id"])
        .xlsx(),
    op(Get, "/api/v1/archives/{id}", "技术档案", "技术资料详情与版本历史"),
    op(Post, "/api/v1/archives/{id}/versions", "技术档案", "上传新版本（请求体为文件；查询参数 filename, note?；旧版本保留）")
        .raw()
        .query(&["filename!", "note"])
        .created(),
    op(Get, "/api/v1/archive-versions/{id}/download", "技术档案", "下载某一版本（须有维护运维台账权限；每次下载及被拒绝的下载均记录审计）")
        .file(),
    op(Get, "/api/v1/cis", "配置管理", "配置项列表（category, status, org_id 含下级, q 编号/名称/类型/厂商/位置, page, per_page），按编号排序")
        .query(&["category", "status", "org_id", "q", "page", "per_page"]),
    op(Post, "/api/v1/cis", "配置管理", "登记配置项（EEDS-1.3 四类：hardware/network/base_software/application；须有维护运维台账权限）")
        .json(&["name", "category", "code?", "ci_type?", "org_id?", "vendor?", "location?", "status?", "version?", "patch_level?", "licence?", "licence_expires?", "notes?"])
        .created(),
    op(Get, "/api/v1/cis/export.xlsx", "配置管理", "按筛选条件导出配置项 Excel（reason 必填，记录审计；可再导入）")
        .query(&["reason!", "category", "status", "org_id", "q"])
        .xlsx(),
    op(Post, "/api/v1/cis/import", "配置管理", "从 Excel 导入配置项（请求体为 .xlsx 文件；dry_run=true 只校验）：逐行校验，错误行给出行号和原因，其余行在一个事务中写入")
        .raw()
        .query(&["dry_run:boolean"]),
    op(Get, "/api/v1/cis/{id}", "配置管理", "配置项详情：属性、关系、影响范围（运行于或依赖它的全部配置项）、关联工单、IP 地址"),
    op(Put, "/api/v1/cis/{id}", "配置管理", "修改配置项（全部字段；expected_updated_at 防止覆盖他人修改）")
        .json(&["name", "category", "code?", "expected_updated_at?"]),
    op(Post, "/api/v1/cis/{id}/relations", "配置管理", "建立关系：本配置项 runs_on / depends_on / connects_to 另一配置项（to 为编号或 id）")
        .json(&["to", "kind"])
        .created(),
    op(Delete, "/api/v1/ci-relations/{id}", "配置管理", "删除关系")
        .no_content(),
    op(Get, "/api/v1/tickets/{id}/cis", "配置管理", "工单关联的配置项"),
    op(Post, "/api/v1/tickets/{id}/cis", "配置管理", "工单关联配置项（ci 为编号或 id；须能办理该工单）")
        .json(&["ci"])
        .created(),
    op(Delete, "/api/v1/tickets/{id}/cis/{ci}", "配置管理", "取消工单与配置项的关联")
        .no_content(),
    op(Get, "/api/v1/ip-segments", "配置管理", "IP 地址规划：网段列表与已用数量"),
    op(Post, "/api/v1/ip-segments", "配置管理", "登记网段（如 10.12.0.0/24；与已有网段重叠的拒绝）")
        .json(&["cidr", "name?", "org_id?"])
        .created(),
    op(Get, "/api/v1/ip-segments/{id}", "配置管理", "网段详情与地址分配"),
    op(Post, "/api/v1/ip-segments/{id}/allocations", "配置管理", "分配 IP 地址（地址冲突、网络地址和广播地址拒绝；ci 为编号或 id）")
        .json(&["address", "ci?", "purpose?"])
        .created(),
    op(Delete, "/api/v1/ip-allocations/{id}", "配置管理", "释放 IP 地址")
        .no_content(),
    op(Get, "/api/v1/reports/sla", "报表", "SLA 月报（month=YYYY-MM，北京时间）：按流程与级别统计本月登记、本月办结、本月登记未办结、超时与按时办结率")
        .query(&["month"]),
    op(Get, "/api/v1/reports/sla/export.xlsx", "报表", "导出 SLA 月报（Excel，month=YYYY-MM，须填 reason）")
        .query(&["reason!", "month"])
        .xlsx(),
    op(Get, "/api/v1/registers", "运维台账", "台账目录（ADR 0006）：备份计划 backup_plans、备份日志 backup_logs、备份日志检查 backup_reviews、恢复测试 restore_tests、应急预案 emergency_plans、应急演练 drills、上线应急方案 golive_plans、厂商合同 vendor_contracts、厂商工作报告 vendor_reports、厂商人员 vendor_staff、保密协议 ndas、人员变更申请 staff_changes、培训记录 trainings、资产领用 asset_requisitions、上线前安全检测 prelaunch_checks（JSCZ-42）、安全检查与审查 security_reviews（日志审查由审计管理员、权限审查由安全管理员登记）、数据库访问授权 db_access（须有有效保密协议，JSCZ-36）、管理员 UKEY ukeys（安全管理员登记，report_lost 挂失后持有人不能以管理员身份操作，JSCZ-53）；含各台账的字段（名称、类型、是否必填、选项）和流程步骤"),
    op(Post, "/api/v1/registers/security_reviews/draft", "运维台账", "按期间数据生成安全审查清单（kind=access_review 权限审查|log_review 操作和安全日志审查|self_check 安全自查；EEDS-3.7.1、NTCZ-6.3.1），返回 checklist")
        .json(&["kind", "period_start", "period_end"]),
    op(Post, "/api/v1/registers/vendor_reports/draft", "运维台账", "按周期数据生成厂商工作报告草稿（工单新建与办结、SLA、巡检检查演练、备份与恢复测试；JSCZ-7），返回 body 供厂商补充后登记")
        .json(&["contract_id", "report_kind", "period_start", "period_end"]),
    op(Get, "/api/v1/registers/{register}", "运维台账", "台账条目列表：筛选 org_id（所属或合作机构含下级）、parent_id、status、q（名称包含），排序 sort（列表字段、created_at、updated_at）与 order（asc|desc），page（每页50条）；每条含显示值和提示（flags，如逾期未归还、保密协议过期、恢复测试超过一年）")
        .query(&["org_id", "parent_id", "status", "q", "sort", "order", "page"]),
    op(Post, "/api/v1/registers/{register}", "运维台账", "登记条目（须有该台账的维护权限）：values 为字段名到值的对象（日期 YYYY-MM-DD，配置项填编号，工单填编号），org_id 为所属机构（由上级条目、配置项或工单决定的台账不填）；写入审计并按规则生成到期事项")
        .json(&["values:object", "org_id?"])
        .created(),
    op(Post, "/api/v1/registers/{register}/import", "运维台账", "从 Excel（.xlsx）或 UTF-8 CSV 导入条目（可导入的台账：漏洞台账 vulnerabilities、培训记录 trainings）：请求体为文件，表头为字段名称（可设“所属机构”）；dry_run=true 仅校验；逐行校验，合格行在同一事务中写入并记入审计，不合格行报告行号和原因")
        .raw()
        .query(&["dry_run:boolean"]),
    op(Get, "/api/v1/registers/{register}/export.xlsx", "运维台账", "导出台账（Excel，筛选同列表，须填 reason，记入审计）")
        .query(&["reason!", "org_id", "parent_id", "status", "q", "sort", "order"])
        .xlsx(),
    op(Get, "/api/v1/registers/{register}/{id}", "运维台账", "条目详情：字段、提示、下级记录（如备份日志、演练记录、保密协议）、历史版本和到期事项"),
    op(Put, "/api/v1/registers/{register}/{id}", "运维台账", "修改条目（可修改的台账；旧值存入历史版本）：values 同登记，expected_version 为读取时的版本号")
        .json(&["values:object", "expected_version:integer", "org_id?"]),
    op(Post, "/api/v1/registers/{register}/{id}/steps/{step}", "运维台账", "办理流程步骤（如资产领用 approve|reject|return，备份计划 approve|retire|reactivate，人员变更 approve|reject，厂商报告 submit|accept|send_back），note 为说明")
        .json(&["note?"]),
    op(Get, "/api/v1/controls", "到期事项", "到期事项总览（ADR 0005）：本人可见范围内的未完成事项，分已逾期（overdue）、7日内到期（due_soon）和其他（other），含状态标签；筛选 org_id（含下级）、kind（inspection|patrol|maintenance）、status（open|overdue|due_soon|pending|done|all）")
        .query(&["org_id", "kind", "status"]),
    op(Get, "/api/v1/controls/export.xlsx", "到期事项", "导出到期事项（Excel，筛选同总览，须填 reason，记入审计）")
        .query(&["reason!", "org_id", "kind", "status"])
        .xlsx(),
    op(Get, "/api/v1/inspection-plans", "巡检与维护", "巡检、网站内容巡查和维护作业计划列表（org_id, kind, active），含逾期周期数和最近待办周期")
        .query(&["org_id", "kind", "active:boolean"]),
    op(Post, "/api/v1/inspection-plans", "巡检与维护", "新建计划（须有维护运维台账权限）：kind=inspection|patrol|maintenance，recurrence=daily|weekly|monthly|quarterly|half_yearly|yearly，checklist 为检查项（EEDS-3.5.1），first_date 缺省为今天，source 缺省按类型（EEDS-1.4.1 / EEDS-2.2.1.4 / EEDS-3.4）；保存后生成截至今天的各周期到期事项")
        .json(&["name", "kind", "recurrence", "checklist:array", "org_id?", "ci_id?", "source?", "first_date?"])
        .created(),
    op(Get, "/api/v1/inspection-plans/export.xlsx", "巡检与维护", "导出计划列表（Excel，筛选同列表：org_id, kind, active；须填 reason，记入审计）")
        .query(&["reason!", "org_id", "kind", "active:boolean"])
        .xlsx(),
    op(Get, "/api/v1/inspection-plans/{id}", "巡检与维护", "计划详情：检查表、各周期（状态、期限、完成情况）、记录（逐项结果、异常、关联事件）"),
    op(Put, "/api/v1/inspection-plans/{id}", "巡检与维护", "修改、停用（active=false，撤销未到期的周期，逾期未做的保留）或恢复计划；未提供的字段不变；expected_updated_at 为读取时的 updated_at，计划已被他人修改时拒绝（inspection.changed）")
        .json(&["name?", "recurrence?", "checklist?:array", "org_id?", "ci_id?", "source?", "first_date?", "active?:boolean", "expected_updated_at?:integer"]),
    op(Post, "/api/v1/inspection-plans/{id}/records", "巡检与维护", "登记巡检记录（EEDS-3.5.3）：results 按检查表顺序逐项填写 {status: normal|abnormal, note}，异常须说明；control_id 缺省为本周期（已完成时为最早的逾期周期）；open_incident=true 时为异常项同时登记 JSCZ 事件（监控巡检发现）并关联")
        .json(&["results:array", "control_id?", "summary?", "open_incident?:boolean"])
        .created(),
    op(Get, "/api/v1/maintenance-records", "巡检与维护", "维护记录列表（EEDS-2.2.2.2；org_id, kind, ci_id, page, per_page）")
        .query(&["org_id", "kind", "ci_id", "page", "per_page"]),
    op(Post, "/api/v1/maintenance-records", "巡检与维护", "登记维护记录（EEDS-2.2.2.2）：kind=routine|fault|improvement|data_change|backup_restore|enhancement，performed_at 缺省为当前时间，ticket 为工单编号或 ID")
        .json(&["kind", "description", "result", "org_id?", "ci_id?", "performed_at?", "ticket?"])
        .created(),
    op(Get, "/api/v1/maintenance-records/export.xlsx", "巡检与维护", "导出维护记录（Excel，筛选同列表：org_id, kind, ci_id；须填 reason，记入审计）")
        .query(&["reason!", "org_id", "kind", "ci_id"])
        .xlsx(),
    op(Get, "/api/v1/notifications", "消息", "站内消息（时限预警、超时、流转通知）"),
    op(Post, "/api/v1/notifications/{id}/read", "消息", "标记已读")
        .no_content(),
    op(Get, "/api/v1/openapi.json", "文档", "本文档"),
];

/// A field spec `name[:type]` with an optional or required mark.
fn field(spec: &str) -> (&str, Type) {
    match spec.split_once(':') {
        Some((n, "integer")) => (n, Type::Integer),
        Some((n, "boolean")) => (n, Type::Boolean),
        Some((n, "array")) => (n, Type::Array),
        Some((n, "object")) => (n, Type::Object),
        Some((n, _)) => (n, Type::String),
        None => (spec, Type::String),
    }
}

fn json_body(fields: &[&str]) -> utoipa::openapi::request_body::RequestBody {
    let mut obj = ObjectBuilder::new().schema_type(Type::Object);
    for f in fields {
        let (spec, optional) = match f.strip_suffix('?') {
            Some(n) => (n, true),
            None => (*f, false),
        };
        let (name, ty) = field(spec);
        let (name, optional) = match name.strip_suffix('?') {
            Some(n) => (n, true),
            None => (name, optional),
        };
        obj = obj.property(name, ObjectBuilder::new().schema_type(ty));
        if !optional {
            obj = obj.required(name);
        }
    }
    RequestBodyBuilder::new()
        .content(
            "application/json",
            ContentBuilder::new().schema(Some(obj.build())).build(),
        )
        .required(Some(Required::True))
        .build()
}

fn binary() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
}

fn raw_body() -> utoipa::openapi::request_body::RequestBody {
    RequestBodyBuilder::new()
        .description(Some("文件内容"))
        .content(
            "application/octet-stream",
            ContentBuilder::new().schema(Some(binary().build())).build(),
        )
        .required(Some(Required::True))
        .build()
}

/// The `{name}` segments of a path.
fn path_params(path: &str) -> impl Iterator<Item = &str> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
}

/// Operations anyone may call, without a bearer token.
fn is_public(path: &str) -> bool {
    path.starts_with("/api/v1/auth/login") || path == "/api/v1/openapi.json"
}

impl Op {
    /// The success status.
    pub fn success(&self) -> u16 {
        match self.reply {
            Reply::Created => 201,
            Reply::NoContent => 204,
            Reply::Json | Reply::Xlsx | Reply::File => 200,
        }
    }

    fn has_body(&self) -> bool {
        !self.json.is_empty() || self.raw
    }

    fn has_input(&self) -> bool {
        self.has_body() || !self.query.is_empty() || path_params(self.path).next().is_some()
    }

    /// The error statuses the operation can answer with (see
    /// `error::status_for`).
    pub fn errors(&self) -> Vec<u16> {
        let public = is_public(self.path);
        let login = self.path.starts_with("/api/v1/auth/login");
        let writes = matches!(self.method, Post | Put | Delete);
        let mut out = Vec::new();
        if self.has_input() || writes {
            out.push(400);
        }
        if !public || login {
            out.push(401);
            out.push(403);
        }
        if !public && (self.has_input() || writes) {
            out.push(404);
        }
        if !public && writes {
            out.push(409);
        }
        if self.has_body() {
            out.push(413);
        }
        if login || self.path == "/api/v1/auth/password" {
            out.push(423);
        }
        out.push(500);
        out
    }

    /// Every status the operation can answer with.
    pub fn statuses(&self) -> Vec<u16> {
        let mut out = vec![self.success()];
        out.extend(self.errors());
        out
    }
}

fn error_description(status: u16) -> &'static str {
    match status {
        400 => "请求无效（参数、字段或规则校验不通过）",
        401 => "未登录、令牌无效或已过期，或登录凭据错误",
        403 => "没有权限执行此操作",
        404 => "对象不存在或不在可见范围内",
        409 => "与现有数据冲突（重复、已被他人修改或状态不允许）",
        413 => "请求内容过大",
        423 => "账号已锁定",
        _ => "服务器内部错误",
    }
}

/// The operation of `method` that routes `path` (a request path without
/// its query), as axum would: literal segments win over `{param}`.
pub fn find(method: &str, path: &str) -> Option<&'static Op> {
    let segs: Vec<&str> = path.split('/').collect();
    OPERATIONS
        .iter()
        .filter(|o| o.method_name() == method)
        .filter_map(|o| {
            let tsegs: Vec<&str> = o.path.split('/').collect();
            if tsegs.len() != segs.len() {
                return None;
            }
            let mut literal = 0;
            for (t, s) in tsegs.iter().zip(&segs) {
                if t.starts_with('{') {
                    continue;
                }
                if t != s {
                    return None;
                }
                literal += 1;
            }
            Some((literal, o))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, o)| o)
}

impl Op {
    pub fn method_name(&self) -> &'static str {
        match self.method {
            Get => "GET",
            Post => "POST",
            Put => "PUT",
            Delete => "DELETE",
            _ => "OTHER",
        }
    }
}

fn error_schema() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some("错误：稳定的错误代码、中文提示和请求编号"))
        .property(
            "code",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("稳定的错误代码，如 auth.invalid_credentials")),
        )
        .required("code")
        .property(
            "message",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("中文提示")),
        )
        .required("message")
        .property(
            "request_id",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("请求编号，与日志和审计记录对应")),
        )
        .required("request_id")
}

pub fn build() -> OpenApi {
    let mut paths = PathsBuilder::new();
    for o in OPERATIONS {
        let ok = ResponseBuilder::new().description("成功");
        let ok = match o.reply {
            Reply::Json | Reply::Created => ok.content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(ObjectBuilder::new().schema_type(SchemaType::AnyValue)))
                    .build(),
            ),
            Reply::NoContent => ResponseBuilder::new().description("成功，无内容"),
            Reply::Xlsx => ok.content(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ContentBuilder::new().schema(Some(binary().build())).build(),
            ),
            Reply::File => ok.content(
                "application/octet-stream",
                ContentBuilder::new().schema(Some(binary().build())).build(),
            ),
        };
        let mut op = OperationBuilder::new()
            .tag(o.tag)
            .summary(Some(o.summary))
            .response(o.success().to_string(), ok);
        if !o.json.is_empty() {
            op = op.request_body(Some(json_body(o.json)));
        } else if o.raw {
            op = op.request_body(Some(raw_body()));
        }
        for status in o.errors() {
            op = op.response(
                status.to_string(),
                ResponseBuilder::new()
                    .description(error_description(status))
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("Error")))
                            .build(),
                    ),
            );
        }
        for name in path_params(o.path) {
            op = op.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String))),
            );
        }
        for spec in o.query {
            let (spec, required) = match spec.strip_suffix('!') {
                Some(n) => (n, true),
                None => (*spec, false),
            };
            let (name, ty) = field(spec);
            op = op.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Query)
                    .required(if required {
                        Required::True
                    } else {
                        Required::False
                    })
                    .schema(Some(ObjectBuilder::new().schema_type(ty))),
            );
        }
        if !is_public(o.path) {
            op = op.security(SecurityRequirement::new("bearer", Vec::<String>::new()));
        }
        paths = paths.path(o.path, PathItem::new(o.method.clone(), op));
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("yunwei 运维管理平台 API")
                .version(env!("CARGO_PKG_VERSION"))
                .build(),
        )
        .paths(paths)
        .components(Some(
            ComponentsBuilder::new()
                .schema("Error", error_schema())
                .security_scheme(
                    "bearer",
                    SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
                )
                .build(),
        ))
        .build()
}

pub async fn document() -> Json<OpenApi> {
    Json(build())
}
