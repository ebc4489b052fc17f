//! The declarative registers under `/api/v1/registers` (ADR 0006): backup
//! plans, logs, reviews and restore tests, emergency plans, drills and
//! go-live plans, vendor contracts, reports, staff, NDAs, staff changes,
//! training records and asset requisitions, all through one set of
//! endpoints; `GET /api/v1/registers` describes their fields and steps.

use std::collections::BTreeMap;

use crate::extract::Query;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use yunwei_core::register_rules;
use yunwei_core::registers::{
    self, EntryDetail, EntryInput, EntryPage, EntryView, ImportReport, ListFilter, RegisterInfo,
};
use yunwei_domain::AppError;

use super::{ApiResult, Body, ExportReason};
use crate::error::WebError;
use crate::extract::{ApiUser, ReqCtx};
use crate::openapi::{
    BadRequest, Binary, Conflict, Forbidden, Internal, NotFound, TooLarge, Unauthorized,
};
use crate::AppState;

/// The registers the caller may read, with their fields and steps.
#[derive(Serialize, ToSchema)]
pub(crate) struct RegisterIndex {
    registers: Vec<RegisterInfo>,
}

#[utoipa::path(
    get,
    path = "/api/v1/registers",
    operation_id = "registers_index",
    tag = "运维台账",
    summary = "台账目录（ADR 0006）：备份计划 backup_plans、备份日志 backup_logs、备份日志检查 backup_reviews、恢复测试 restore_tests、应急预案 emergency_plans、应急演练 drills、上线应急方案 golive_plans、厂商合同 vendor_contracts、厂商工作报告 vendor_reports、厂商人员 vendor_staff、保密协议 ndas、人员变更申请 staff_changes、培训记录 trainings、资产领用 asset_requisitions、上线前安全检测 prelaunch_checks（JSCZ-42）、安全检查与审查 security_reviews（日志审查由审计管理员、权限审查由安全管理员登记）、数据库访问授权 db_access（须有有效保密协议，JSCZ-36）、管理员 UKEY ukeys（安全管理员登记，report_lost 挂失后持有人不能以管理员身份操作，JSCZ-53）；含各台账的字段（名称、类型、是否必填、选项）和流程步骤",
    responses(
        (status = 200, description = "台账目录", body = RegisterIndex),
        Unauthorized, Forbidden, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn index(
    State(_s): State<AppState>,
    ApiUser(pr): ApiUser,
) -> ApiResult<Json<RegisterIndex>> {
    Ok(Json(RegisterIndex {
        registers: registers::registers(&pr)?,
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/registers/{register}",
    operation_id = "registers_list",
    tag = "运维台账",
    summary = "台账条目列表：筛选 org_id（所属或合作机构含下级）、parent_id、status、q（名称包含），排序 sort（列表字段、created_at、updated_at）与 order（asc|desc），page（每页50条）；每条含显示值和提示（flags，如逾期未归还、保密协议过期、恢复测试超过一年）",
    params(("register" = String, Path, description = "台账，如 backup_plans"), ListFilter),
    responses(
        (status = 200, description = "一页条目", body = EntryPage),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(key): Path<String>,
    Query(filter): Query<ListFilter>,
) -> ApiResult<Json<EntryPage>> {
    Ok(Json(
        registers::list(&s.platform, &pr, &key, &filter).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/registers/{register}/export.xlsx",
    operation_id = "registers_export",
    tag = "运维台账",
    summary = "导出台账（Excel，筛选同列表，须填 reason，记入审计）",
    params(("register" = String, Path, description = "台账，如 backup_plans"), ExportReason, ListFilter),
    responses(
        (status = 200, description = "Excel 工作簿", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Binary),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn export(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(key): Path<String>,
    Query(filter): Query<ListFilter>,
    Query(r): Query<ExportReason>,
) -> Result<Response, WebError> {
    let bytes = registers::export(&s.platform, &ctx, &pr, &key, &filter, r.text()).await?;
    Ok(super::xlsx(&format!("{key}.xlsx"), bytes))
}

/// A body: `org_id` where the register lets the caller choose, and the
/// fields by name as strings, numbers or booleans.
#[derive(Deserialize, ToSchema)]
pub(crate) struct EntryBody {
    /// The owner organisation, where the register lets the caller choose.
    #[serde(default)]
    pub org_id: Option<String>,
    /// Field name to value: a string (dates `YYYY-MM-DD`, items and tickets
    /// by code or number), a number, a boolean or null.
    #[serde(default)]
    pub values: serde_json::Map<String, Value>,
    /// Updates (required there): the version read (optimistic locking).
    #[serde(default)]
    pub expected_version: Option<i64>,
}

impl EntryBody {
    fn input(&self) -> Result<EntryInput, AppError> {
        let mut values = BTreeMap::new();
        for (k, v) in &self.values {
            let s = match v {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                _ => {
                    return Err(AppError::bad_request(
                        "register.value_invalid",
                        format!("字段「{k}」的值应为文字、数字或真假值"),
                    ))
                }
            };
            values.insert(k.clone(), s);
        }
        Ok(EntryInput {
            org_id: self.org_id.clone(),
            values,
        })
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/registers/{register}",
    operation_id = "registers_create",
    tag = "运维台账",
    summary = "登记条目（须有该台账的维护权限）：values 为字段名到值的对象（日期 YYYY-MM-DD，配置项填编号，工单填编号），org_id 为所属机构（由上级条目、配置项或工单决定的台账不填）；写入审计并按规则生成到期事项",
    params(("register" = String, Path, description = "台账，如 backup_plans")),
    request_body = EntryBody,
    responses(
        (status = 201, description = "已登记", body = EntryView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(key): Path<String>,
    Body(b): Body<EntryBody>,
) -> ApiResult<(StatusCode, Json<EntryView>)> {
    let e = registers::create(&s.platform, &ctx, &pr, &key, &b.input()?).await?;
    Ok((StatusCode::CREATED, Json(e)))
}

#[utoipa::path(
    get,
    path = "/api/v1/registers/{register}/{id}",
    operation_id = "registers_get",
    tag = "运维台账",
    summary = "条目详情：字段、提示、下级记录（如备份日志、演练记录、保密协议）、历史版本和到期事项",
    params(
        ("register" = String, Path, description = "台账，如 backup_plans"),
        ("id" = String, Path, description = "条目 ID"),
    ),
    responses(
        (status = 200, description = "条目详情", body = EntryDetail),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn get(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path((key, id)): Path<(String, String)>,
) -> ApiResult<Json<EntryDetail>> {
    Ok(Json(registers::get(&s.platform, &pr, &key, &id).await?))
}

#[utoipa::path(
    put,
    path = "/api/v1/registers/{register}/{id}",
    operation_id = "registers_update",
    tag = "运维台账",
    summary = "修改条目（可修改的台账；旧值存入历史版本）：values 同登记，expected_version 为读取时的版本号",
    params(
        ("register" = String, Path, description = "台账，如 backup_plans"),
        ("id" = String, Path, description = "条目 ID"),
    ),
    request_body = EntryBody,
    responses(
        (status = 200, description = "已修改", body = EntryView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn update(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path((key, id)): Path<(String, String)>,
    Body(b): Body<EntryBody>,
) -> ApiResult<Json<EntryView>> {
    let version = b.expected_version.ok_or_else(|| {
        AppError::bad_request(
            "register.version_required",
            "请提供读取时的版本号 expected_version",
        )
    })?;
    let e = registers::update(&s.platform, &ctx, &pr, &key, &id, version, &b.input()?).await?;
    Ok(Json(e))
}

#[derive(Deserialize, Default, ToSchema)]
pub(crate) struct StepBody {
    /// What the step records (a reason, a remark).
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/registers/{register}/{id}/steps/{step}",
    operation_id = "registers_step",
    tag = "运维台账",
    summary = "办理流程步骤（如资产领用 approve|reject|return，备份计划 approve|retire|reactivate，人员变更 approve|reject，厂商报告 submit|accept|send_back），note 为说明",
    params(
        ("register" = String, Path, description = "台账，如 asset_requisitions"),
        ("id" = String, Path, description = "条目 ID"),
        ("step" = String, Path, description = "流程步骤，如 approve"),
    ),
    request_body = StepBody,
    responses(
        (status = 200, description = "办理后的条目", body = EntryView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn step(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path((key, id, step)): Path<(String, String, String)>,
    Body(b): Body<StepBody>,
) -> ApiResult<Json<EntryView>> {
    let e = registers::take_step(&s.platform, &ctx, &pr, &key, &id, &step, &b.note).await?;
    Ok(Json(e))
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ImportQuery {
    /// `true`: check and report only.
    #[serde(default)]
    pub dry_run: bool,
}

/// The request body is the .xlsx or CSV file.
#[utoipa::path(
    post,
    path = "/api/v1/registers/{register}/import",
    operation_id = "registers_import",
    tag = "运维台账",
    summary = "从 Excel（.xlsx）或 UTF-8 CSV 导入条目（可导入的台账：漏洞台账 vulnerabilities、培训记录 trainings）：请求体为文件，表头为字段名称（可设“所属机构”）；dry_run=true 仅校验；逐行校验，合格行在同一事务中写入并记入审计，不合格行报告行号和原因",
    params(("register" = String, Path, description = "台账，如 trainings"), ImportQuery),
    request_body(content = Binary, description = "Excel（.xlsx）或 UTF-8 CSV 文件", content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "导入结果", body = ImportReport),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn import(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(key): Path<String>,
    Query(q): Query<ImportQuery>,
    super::RawBody(body): super::RawBody,
) -> ApiResult<Json<ImportReport>> {
    let r = registers::import(&s.platform, &ctx, &pr, &key, &body, q.dry_run).await?;
    Ok(Json(r))
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct ReviewDraftBody {
    /// `access_review`, `log_review` or `self_check`.
    pub kind: String,
    /// `YYYY-MM-DD`.
    pub period_start: String,
    /// `YYYY-MM-DD`.
    pub period_end: String,
}

/// A generated checklist, to complete before filing the review.
#[derive(Serialize, ToSchema)]
pub(crate) struct ReviewDraft {
    checklist: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/registers/security_reviews/draft",
    operation_id = "registers_draft_review",
    tag = "运维台账",
    summary = "按期间数据生成安全审查清单（kind=access_review 权限审查|log_review 平台审计日志审查|self_check 安全自查；JSCZ-10、NTCZ-6.3.1），返回 checklist",
    request_body = ReviewDraftBody,
    responses(
        (status = 200, description = "审查清单", body = ReviewDraft),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn draft_review(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Body(b): Body<ReviewDraftBody>,
) -> ApiResult<Json<ReviewDraft>> {
    let checklist =
        register_rules::draft_review(&s.platform, &pr, &b.kind, &b.period_start, &b.period_end)
            .await?;
    Ok(Json(ReviewDraft { checklist }))
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct DraftBody {
    /// The vendor contract's entry id.
    pub contract_id: String,
    /// The report's kind (a choice of the vendor report register).
    pub report_kind: String,
    /// `YYYY-MM-DD`.
    pub period_start: String,
    /// `YYYY-MM-DD`.
    pub period_end: String,
}

/// A generated report text, for the vendor to complete and file.
#[derive(Serialize, ToSchema)]
pub(crate) struct ReportDraft {
    body: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/registers/vendor_reports/draft",
    operation_id = "registers_draft_report",
    tag = "运维台账",
    summary = "按周期数据生成厂商工作报告草稿（工单新建与办结、SLA、巡检检查演练、备份与恢复测试；JSCZ-7），返回 body 供厂商补充后登记",
    request_body = DraftBody,
    responses(
        (status = 200, description = "报告草稿", body = ReportDraft),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn draft_report(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Body(b): Body<DraftBody>,
) -> ApiResult<Json<ReportDraft>> {
    let body = register_rules::draft_report(
        &s.platform,
        &pr,
        &b.contract_id,
        &b.report_kind,
        &b.period_start,
        &b.period_end,
    )
    .await?;
    Ok(Json(ReportDraft { body }))
}
