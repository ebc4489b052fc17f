//! Tickets, search and the inbox under `/api/v1`.

use crate::extract::Query;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use yunwei_core::search::SearchResults;
use yunwei_core::tickets::TicketFilter;
use yunwei_core::tickets::{
    self, OpenInput, TicketDetail, TicketSummary, TodoItem, TransitionInput,
};
use yunwei_domain::AppError;

use super::{ApiResult, Body, ExportReason, Paging};
use crate::error::WebError;
use crate::extract::{ApiUser, ReqCtx};
use crate::openapi::{
    AttachmentRowRef, BadRequest, Binary, Conflict, Forbidden, Internal, NotFound, TooLarge,
    Unauthorized,
};
use crate::AppState;

/// A choice of a choice field.
#[derive(Serialize, ToSchema)]
pub(crate) struct PackChoice {
    id: String,
    label: String,
}

/// A field of a process.
#[derive(Serialize, ToSchema)]
pub(crate) struct PackField {
    id: String,
    label: String,
    /// The field type, e.g. `text`, `choice`, `date`.
    #[serde(rename = "type")]
    ty: &'static str,
    choices: Vec<PackChoice>,
    /// Set by the platform when the ticket is opened (e.g.
    /// `outside_working_hours`); a value sent for it is refused.
    set_at_open: Option<&'static str>,
    /// The article that demands it.
    source: Option<String>,
}

/// A state of a process.
#[derive(Serialize, ToSchema)]
pub(crate) struct PackState {
    id: String,
    label: String,
    /// The ticket is closed in this state.
    #[serde(rename = "final")]
    is_final: bool,
}

/// A process of a policy pack.
#[derive(Serialize, ToSchema)]
pub(crate) struct PackProcess {
    id: String,
    name: String,
    source: Option<String>,
    fields: Vec<PackField>,
    states: Vec<PackState>,
}

/// An enabled policy pack.
#[derive(Serialize, ToSchema)]
pub(crate) struct PackInfo {
    id: String,
    name: String,
    version: String,
    processes: Vec<PackProcess>,
}

/// The enabled policy packs.
#[derive(Serialize, ToSchema)]
pub(crate) struct PackList {
    packs: Vec<PackInfo>,
}

#[utoipa::path(
    get,
    path = "/api/v1/packs",
    operation_id = "tickets_packs",
    tag = "工单",
    summary = "已启用的策略包及其流程、字段、状态",
    responses(
        (status = 200, description = "策略包", body = PackList),
        Unauthorized, Forbidden, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn packs(State(s): State<AppState>, ApiUser(_pr): ApiUser) -> ApiResult<Json<PackList>> {
    let packs = s
        .platform
        .packs
        .iter()
        .map(|pk| PackInfo {
            id: pk.id.clone(),
            name: pk.name.clone(),
            version: pk.version.clone(),
            processes: pk
                .processes
                .iter()
                .map(|p| PackProcess {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    source: p.source.clone(),
                    fields: p
                        .fields
                        .iter()
                        .map(|f| PackField {
                            id: f.id.clone(),
                            label: f.label.clone(),
                            ty: f.ty.as_str(),
                            choices: f
                                .choices
                                .iter()
                                .map(|c| PackChoice {
                                    id: c.id.clone(),
                                    label: c.label.clone(),
                                })
                                .collect(),
                            set_at_open: f.set_at_open.map(|k| k.as_str()),
                            source: f.source.clone(),
                        })
                        .collect(),
                    states: p
                        .states
                        .iter()
                        .map(|st| PackState {
                            id: st.id.clone(),
                            label: st.label.clone(),
                            is_final: st.is_final,
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    Ok(Json(PackList { packs }))
}

/// The ticket list's filters (the UI's too).
#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TicketQuery {
    /// Process id, e.g. `incident`.
    #[serde(default)]
    pub process: Option<String>,
    /// State id.
    #[serde(default)]
    pub state: Option<String>,
    /// The `level` field's value.
    #[serde(default)]
    pub level: Option<String>,
    /// This organisation and the ones below it.
    #[serde(default)]
    pub org_id: Option<String>,
    /// Username of the assignee.
    #[serde(default)]
    pub assignee: Option<String>,
    /// `true`: only breached; `false`: only not breached.
    #[serde(default)]
    pub overdue: Option<String>,
    /// `requested`: opened by me; `assigned`: assigned to me.
    #[serde(default)]
    pub mine: Option<String>,
    /// `true`: open tickets only.
    #[serde(default)]
    pub open: Option<String>,
    /// 状态类别 across processes: `open` (with its team), `waiting` (a
    /// state the pack marks waiting, or an approval open) or `closed`.
    #[serde(default)]
    pub category: Option<String>,
    /// Owned by this team (organisation id of a section or a vendor);
    /// `none`: tickets no team owns yet.
    #[serde(default)]
    pub team_id: Option<String>,
    /// `true`: only tickets nobody has taken (a team's queue).
    #[serde(default)]
    pub unowned: Option<String>,
    /// Sort column: `created` (default), `number`, `title`, `process`,
    /// `state`, `level`, `due`, `updated`.
    #[serde(default)]
    pub sort: Option<String>,
    /// `asc` or `desc` (default: `desc` for `created` and `updated`, else
    /// `asc`).
    #[serde(default)]
    pub dir: Option<String>,
    /// `YYYY-MM-DD`: only tickets opened on or after that day (Beijing time).
    #[serde(default)]
    pub since: Option<String>,
    /// `true`: only tickets not overdue whose deadline falls within the next
    /// 24 hours.
    #[serde(default)]
    pub due_soon: Option<String>,
}

pub(crate) async fn ticket_filter(
    s: &AppState,
    user_id: &str,
    q: &TicketQuery,
) -> Result<TicketFilter, AppError> {
    let p = &s.platform;
    let org_path = match q.org_id.as_deref().filter(|v| !v.is_empty()) {
        Some(id) => Some(yunwei_core::orgs::path_of(p, id).await?),
        None => None,
    };
    let assignee_id = match q.assignee.as_deref().filter(|v| !v.is_empty()) {
        Some(u) => Some(
            yunwei_core::users::id_by_username(p, u)
                .await?
                .unwrap_or_else(|| "-".into()),
        ),
        None => None,
    };
    let flag = |v: &Option<String>| match v.as_deref() {
        Some("true") | Some("1") => Some(true),
        Some("false") | Some("0") => Some(false),
        _ => None,
    };
    let mut f = TicketFilter {
        process_id: q.process.clone(),
        state: q.state.clone(),
        level: q.level.clone(),
        org_path,
        assignee_id,
        requester_id: None,
        overdue: flag(&q.overdue),
        open_only: flag(&q.open).unwrap_or(false),
        created_from: q
            .since
            .as_deref()
            .filter(|v| !v.trim().is_empty())
            .map(super::day_start_us)
            .transpose()?,
        due_before: flag(&q.due_soon)
            .unwrap_or(false)
            .then(|| p.clock.now().timestamp_micros() + tickets::DUE_SOON_US),
        ..Default::default()
    };
    match q.mine.as_deref() {
        Some("requested") => f.requester_id = Some(user_id.to_string()),
        Some("assigned") => f.assignee_id = Some(user_id.to_string()),
        _ => {}
    }
    match q.team_id.as_deref().filter(|v| !v.is_empty()) {
        Some("none") => f.no_team = true,
        Some(t) => f.team_id = Some(t.to_string()),
        None => {}
    }
    f.unowned = flag(&q.unowned).unwrap_or(false);
    if let Some(c) = q.category.as_deref().filter(|v| !v.is_empty()) {
        let cat = tickets::StateCategory::parse(c).ok_or_else(|| {
            AppError::bad_request(
                "ticket.category_invalid",
                "状态类别只能是未完成、等待中或已关闭",
            )
        })?;
        tickets::filter_category(p, &mut f, cat);
    }
    f.sort = sort_of(q.sort.as_deref(), q.dir.as_deref())?;
    Ok(f)
}

/// The order a list asks for (`?sort=due&dir=asc`).
pub(crate) fn sort_of(sort: Option<&str>, dir: Option<&str>) -> Result<tickets::Sort, AppError> {
    let key = match sort.filter(|v| !v.is_empty()) {
        Some(k) => tickets::SortKey::parse(k)
            .ok_or_else(|| AppError::bad_request("ticket.sort_invalid", "不能按该列排序"))?,
        None => tickets::SortKey::Created,
    };
    let descending = match dir.filter(|v| !v.is_empty()) {
        Some("asc") => false,
        Some("desc") => true,
        Some(_) => {
            return Err(AppError::bad_request(
                "ticket.sort_invalid",
                "排序方向只能是升序或降序",
            ))
        }
        None => matches!(key, tickets::SortKey::Created | tickets::SortKey::Updated),
    };
    Ok(tickets::Sort { key, descending })
}

/// A page of tickets.
#[derive(Serialize, ToSchema)]
pub(crate) struct TicketList {
    tickets: Vec<TicketSummary>,
    /// Matching tickets, counted up to a cap (see `total_capped`).
    total: i64,
    /// More than `total` tickets match.
    total_capped: bool,
}

#[utoipa::path(
    get,
    path = "/api/v1/tickets",
    operation_id = "tickets_list",
    tag = "工单",
    summary = "工单列表（process, state, level, org_id, assignee, overdue, mine=requested|assigned, open, page, per_page）",
    params(TicketQuery, Paging),
    responses(
        (status = 200, description = "一页工单", body = TicketList),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(q): Query<TicketQuery>,
    Query(paging): Query<Paging>,
) -> ApiResult<Json<TicketList>> {
    let f = ticket_filter(&s, &pr.user_id, &q).await?;
    let page = tickets::list(
        &s.platform,
        &pr,
        &f,
        paging.page.unwrap_or(1),
        paging.per_page.unwrap_or(50),
    )
    .await?;
    Ok(Json(TicketList {
        tickets: page.tickets,
        total: page.total,
        total_capped: page.total_capped,
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/tickets/export.xlsx",
    operation_id = "tickets_export",
    tag = "工单",
    summary = "导出工单列表（Excel，须填 reason）",
    params(ExportReason, TicketQuery),
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
    Query(q): Query<TicketQuery>,
    Query(r): Query<ExportReason>,
) -> Result<Response, WebError> {
    let f = ticket_filter(&s, &pr.user_id, &q).await?;
    let bytes = tickets::export(&s.platform, &ctx, &pr, &f, r.text()).await?;
    Ok(super::xlsx("tickets.xlsx", bytes))
}

#[utoipa::path(
    post,
    path = "/api/v1/tickets",
    operation_id = "tickets_open",
    tag = "工单",
    summary = "登记工单：按策略包流程，fields 为字段值；热线登记时 on_behalf_of 为来电人用户名",
    request_body = OpenInput,
    responses(
        (status = 201, description = "已登记", body = TicketSummary),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn open(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Body(b): Body<OpenInput>,
) -> ApiResult<(StatusCode, Json<TicketSummary>)> {
    let t = tickets::open(&s.platform, &ctx, &pr, &b).await?;
    Ok((StatusCode::CREATED, Json(tickets::summary(&s.platform, &t))))
}

#[utoipa::path(
    get,
    path = "/api/v1/tickets/{id}",
    operation_id = "tickets_detail",
    tag = "工单",
    summary = "工单详情：流程步骤、当前可办操作、审批、时限、时间线、附件、关联",
    params(("id" = String, Path, description = "工单 ID")),
    responses(
        (status = 200, description = "工单详情", body = TicketDetail),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn detail(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<TicketDetail>> {
    Ok(Json(tickets::detail(&s.platform, &pr, &id).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/transitions",
    operation_id = "tickets_transition",
    tag = "工单",
    summary = "办理一步流程操作（策略包校验角色、条件、必填字段、附件和提前量）",
    params(("id" = String, Path, description = "工单 ID")),
    request_body = TransitionInput,
    responses(
        (status = 200, description = "办理后的工单", body = TicketSummary),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn transition(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<TransitionInput>,
) -> ApiResult<Json<TicketSummary>> {
    let t = tickets::transition(&s.platform, &ctx, &pr, &id, &b).await?;
    Ok(Json(tickets::summary(&s.platform, &t)))
}

#[derive(Deserialize, ToSchema)]
pub struct VoteBody {
    /// The approval's id.
    approval: String,
    approve: bool,
    /// Required when rejecting.
    #[serde(default)]
    comment: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/votes",
    operation_id = "tickets_vote",
    tag = "工单",
    summary = "审批（同意或驳回，驳回须填意见）",
    params(("id" = String, Path, description = "工单 ID")),
    request_body = VoteBody,
    responses(
        (status = 200, description = "审批后的工单", body = TicketSummary),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn vote(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<VoteBody>,
) -> ApiResult<Json<TicketSummary>> {
    let t = tickets::vote(
        &s.platform,
        &ctx,
        &pr,
        &id,
        &b.approval,
        b.approve,
        &b.comment,
    )
    .await?;
    Ok(Json(tickets::summary(&s.platform, &t)))
}

#[derive(Deserialize, ToSchema)]
pub struct CommentBody {
    body: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/comments",
    operation_id = "tickets_comment",
    tag = "工单",
    summary = "添加评论",
    params(("id" = String, Path, description = "工单 ID")),
    request_body = CommentBody,
    responses(
        (status = 204, description = "已添加"),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn comment(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<CommentBody>,
) -> ApiResult<StatusCode> {
    tickets::comment(&s.platform, &ctx, &pr, &id, &b.body).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AttachQuery {
    /// What the file is, e.g. `backup`, `script`, `result`.
    kind: String,
    filename: String,
}

/// The request body is the file itself.
#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/attachments",
    operation_id = "tickets_attach",
    tag = "工单",
    summary = "上传附件：请求体为文件内容，查询参数 kind（如 backup、script、result）与 filename",
    params(("id" = String, Path, description = "工单 ID"), AttachQuery),
    request_body(content = Binary, description = "文件内容", content_type = "application/octet-stream"),
    responses(
        (status = 201, description = "已上传", body = inline(AttachmentRowRef)),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn attach(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Query(q): Query<AttachQuery>,
    super::RawBody(body): super::RawBody,
) -> ApiResult<(StatusCode, Json<impl Serialize>)> {
    let a = tickets::attach(&s.platform, &ctx, &pr, &id, &q.kind, &q.filename, &body).await?;
    Ok((StatusCode::CREATED, Json(a)))
}

#[utoipa::path(
    get,
    path = "/api/v1/attachments/{id}",
    operation_id = "tickets_download",
    tag = "工单",
    summary = "下载附件",
    params(("id" = String, Path, description = "附件 ID")),
    responses(
        (status = 200, description = "文件", content_type = "application/octet-stream", body = Binary),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn download(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (a, bytes) = tickets::download(&s.platform, &pr, &id).await?;
    Ok(attachment_response(&a.filename, bytes))
}

/// A stored file shown in the browser: `Content-Disposition: inline` under
/// the type its content shows (`files::inline_type`: images and PDF only),
/// marked [`crate::middleware::InlinePreview`] so our own pages may frame
/// it; any other content is the download.
pub(crate) fn inline_response(filename: &str, bytes: Vec<u8>) -> Response {
    let Some(ty) = yunwei_core::files::inline_type(&bytes) else {
        return attachment_response(filename, bytes);
    };
    let mut res = attachment_response(filename, bytes);
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, header::HeaderValue::from_static(ty));
    if let Some(d) = h
        .get(header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("attachment"))
        .and_then(|rest| header::HeaderValue::from_str(&format!("inline{rest}")).ok())
    {
        h.insert(header::CONTENT_DISPOSITION, d);
    }
    res.extensions_mut()
        .insert(crate::middleware::InlinePreview);
    res
}

pub(crate) fn attachment_response(filename: &str, bytes: Vec<u8>) -> Response {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'.' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        bytes,
    )
        .into_response()
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words to look for (Chinese full-text search).
    #[serde(default)]
    q: String,
    /// Only this kind of document: `ticket`, `article` (knowledge), `ci`,
    /// `archive` (technical archives) or a register's key (`backup_plans`).
    #[serde(default, rename = "type")]
    doc_type: Option<String>,
    /// Page number, from 1 (20 hits a page).
    #[serde(default)]
    #[param(minimum = 1, maximum = 1000000)]
    page: Option<u64>,
}

#[utoipa::path(
    get,
    path = "/api/v1/search",
    operation_id = "tickets_search",
    tag = "搜索",
    summary = "中文全文检索（q, type, page）",
    params(SearchQuery),
    responses(
        (status = 200, description = "检索结果", body = SearchResults),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn search(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(q): Query<SearchQuery>,
) -> ApiResult<Json<SearchResults>> {
    let page = yunwei_core::search::PageRequest {
        page: q.page.unwrap_or(1),
        per_page: 20,
    };
    let r =
        yunwei_core::search::search(&s.platform, &pr, &q.q, q.doc_type.as_deref(), page).await?;
    Ok(Json(r))
}

/// My to-do list.
#[derive(Serialize, ToSchema)]
pub(crate) struct TodoList {
    tickets: Vec<TodoItem>,
}

#[utoipa::path(
    get,
    path = "/api/v1/todo",
    operation_id = "tickets_todo",
    tag = "工单",
    summary = "我的待办：当前可由我办理或审批的工单",
    responses(
        (status = 200, description = "待办", body = TodoList),
        Unauthorized, Forbidden, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn todo(State(s): State<AppState>, ApiUser(pr): ApiUser) -> ApiResult<Json<TodoList>> {
    Ok(Json(TodoList {
        tickets: tickets::todo(&s.platform, &pr).await?,
    }))
}

/// A message in the caller's inbox.
#[derive(Serialize, ToSchema)]
pub(crate) struct Notification {
    id: String,
    user_id: String,
    ticket_id: Option<String>,
    /// E.g. `timer_warning`, `timer_breach`, `transition`.
    kind: String,
    title: String,
    body: String,
    /// UTC microseconds.
    created_at: i64,
    read_at: Option<i64>,
    /// The page of the object the notice is about when it is not a ticket
    /// (a register entry, a control's subject).
    link: Option<String>,
    /// The deadline of the to-do, where one is known (UTC microseconds).
    due_at: Option<i64>,
}

/// The caller's latest messages, the newest first.
#[derive(Serialize, ToSchema)]
pub(crate) struct NotificationList {
    notifications: Vec<Notification>,
}

#[utoipa::path(
    get,
    path = "/api/v1/notifications",
    operation_id = "tickets_notifications",
    tag = "消息",
    summary = "站内消息（时限预警、超时、流转通知）",
    responses(
        (status = 200, description = "最近 100 条消息", body = NotificationList),
        Unauthorized, Forbidden, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn notifications(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
) -> ApiResult<Json<NotificationList>> {
    let rows = tickets::notifications(&s.platform, &pr, 100).await?;
    let notifications = rows
        .into_iter()
        .map(|n| Notification {
            id: n.id,
            user_id: n.user_id,
            ticket_id: n.ticket_id,
            kind: n.kind,
            title: n.title,
            body: n.body,
            created_at: n.created_at,
            read_at: n.read_at,
            link: n.link,
            due_at: n.due_at,
        })
        .collect();
    Ok(Json(NotificationList { notifications }))
}

#[utoipa::path(
    post,
    path = "/api/v1/notifications/{id}/read",
    operation_id = "tickets_mark_read",
    tag = "消息",
    summary = "标记已读",
    params(("id" = String, Path, description = "消息 ID")),
    responses(
        (status = 204, description = "已标记"),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn mark_read(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    tickets::mark_read(&s.platform, &pr, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
