//! Tickets, search and the inbox under `/api/v1`.

use crate::extract::Query;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use yunwei_core::tickets::TicketFilter;
use yunwei_core::tickets::{self, OpenInput, TransitionInput};
use yunwei_domain::AppError;

use super::{ApiResult, Body};
use crate::error::WebError;
use crate::extract::{ApiUser, ReqCtx};
use crate::AppState;

pub async fn packs(State(s): State<AppState>, ApiUser(_pr): ApiUser) -> ApiResult {
    let list: Vec<Value> = s
        .platform
        .packs
        .iter()
        .map(|pk| {
            json!({
                "id": pk.id,
                "name": pk.name,
                "version": pk.version,
                "processes": pk.processes.iter().map(|p| json!({
                    "id": p.id,
                    "name": p.name,
                    "source": p.source,
                    "fields": p.fields.iter().map(|f| json!({
                        "id": f.id, "label": f.label, "type": f.ty.as_str(),
                        "choices": f.choices.iter().map(|c| json!({"id": c.id, "label": c.label})).collect::<Vec<_>>(),
                        "source": f.source,
                    })).collect::<Vec<_>>(),
                    "states": p.states.iter().map(|st| json!({"id": st.id, "label": st.label, "final": st.is_final})).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(json!({ "packs": list })))
}

#[derive(Deserialize, Default)]
pub(crate) struct TicketQuery {
    #[serde(default)]
    pub process: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub level: Option<String>,
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
    #[serde(default)]
    pub open: Option<String>,
    #[serde(default)]
    pub page: Option<u64>,
    #[serde(default)]
    pub per_page: Option<u64>,
    #[serde(default)]
    pub reason: Option<String>,
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
    };
    match q.mine.as_deref() {
        Some("requested") => f.requester_id = Some(user_id.to_string()),
        Some("assigned") => f.assignee_id = Some(user_id.to_string()),
        _ => {}
    }
    Ok(f)
}

pub async fn list(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(q): Query<TicketQuery>,
) -> ApiResult {
    let f = ticket_filter(&s, &pr.user_id, &q).await?;
    let page = tickets::list(
        &s.platform,
        &pr,
        &f,
        q.page.unwrap_or(1),
        q.per_page.unwrap_or(50),
    )
    .await?;
    Ok(Json(
        json!({ "tickets": page.tickets, "total": page.total, "total_capped": page.total_capped }),
    ))
}

pub async fn export(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Query(q): Query<TicketQuery>,
) -> Result<Response, WebError> {
    let f = ticket_filter(&s, &pr.user_id, &q).await?;
    let bytes = tickets::export(
        &s.platform,
        &ctx,
        &pr,
        &f,
        q.reason.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(super::xlsx("tickets.xlsx", bytes))
}

pub async fn open(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Body(b): Body<OpenInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let t = tickets::open(&s.platform, &ctx, &pr, &b).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!(tickets::summary(&s.platform, &t))),
    ))
}

pub async fn detail(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(Json(json!(tickets::detail(&s.platform, &pr, &id).await?)))
}

pub async fn transition(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<TransitionInput>,
) -> ApiResult {
    let t = tickets::transition(&s.platform, &ctx, &pr, &id, &b).await?;
    Ok(Json(json!(tickets::summary(&s.platform, &t))))
}

#[derive(Deserialize)]
pub struct VoteBody {
    approval: String,
    approve: bool,
    #[serde(default)]
    comment: String,
}

pub async fn vote(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<VoteBody>,
) -> ApiResult {
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
    Ok(Json(json!(tickets::summary(&s.platform, &t))))
}

#[derive(Deserialize)]
pub struct CommentBody {
    body: String,
}

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

#[derive(Deserialize)]
pub struct AttachQuery {
    kind: String,
    filename: String,
}

/// The request body is the file itself.
pub async fn attach(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Query(q): Query<AttachQuery>,
    super::RawBody(body): super::RawBody,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let a = tickets::attach(&s.platform, &ctx, &pr, &id, &q.kind, &q.filename, &body).await?;
    Ok((StatusCode::CREATED, Json(json!(a))))
}

pub async fn download(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (a, bytes) = tickets::download(&s.platform, &pr, &id).await?;
    Ok(attachment_response(&a.filename, bytes))
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

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default, rename = "type")]
    doc_type: Option<String>,
    #[serde(default)]
    page: Option<u64>,
}

pub async fn search(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(q): Query<SearchQuery>,
) -> ApiResult {
    let page = yunwei_core::search::PageRequest {
        page: q.page.unwrap_or(1),
        per_page: 20,
    };
    let r =
        yunwei_core::search::search(&s.platform, &pr, &q.q, q.doc_type.as_deref(), page).await?;
    Ok(Json(json!(r)))
}

pub async fn todo(State(s): State<AppState>, ApiUser(pr): ApiUser) -> ApiResult {
    Ok(Json(
        json!({ "tickets": tickets::todo(&s.platform, &pr).await? }),
    ))
}

pub async fn notifications(State(s): State<AppState>, ApiUser(pr): ApiUser) -> ApiResult {
    Ok(Json(
        json!({ "notifications": tickets::notifications(&s.platform, &pr, 100).await? }),
    ))
}

pub async fn mark_read(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    tickets::mark_read(&s.platform, &pr, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
