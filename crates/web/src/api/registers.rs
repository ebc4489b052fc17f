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
use serde::Deserialize;
use serde_json::{json, Value};
use yunwei_core::register_rules;
use yunwei_core::registers::{self, EntryInput, ListFilter};
use yunwei_domain::AppError;

use super::{ApiResult, Body};
use crate::error::WebError;
use crate::extract::{ApiUser, ReqCtx};
use crate::AppState;

pub async fn index(State(_s): State<AppState>, ApiUser(pr): ApiUser) -> ApiResult {
    Ok(Json(json!({ "registers": registers::registers(&pr)? })))
}

#[derive(Deserialize, Default)]
pub(crate) struct ListParams {
    #[serde(flatten)]
    pub filter: ListFilter,
    /// Export only: why (audited).
    #[serde(default)]
    pub reason: Option<String>,
}

pub async fn list(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(key): Path<String>,
    Query(q): Query<ListParams>,
) -> ApiResult {
    Ok(Json(json!(
        registers::list(&s.platform, &pr, &key, &q.filter).await?
    )))
}

pub async fn export(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(key): Path<String>,
    Query(q): Query<ListParams>,
) -> Result<Response, WebError> {
    let bytes = registers::export(
        &s.platform,
        &ctx,
        &pr,
        &key,
        &q.filter,
        q.reason.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(super::xlsx(&format!("{key}.xlsx"), bytes))
}

/// A body: `org_id` where the register lets the caller choose, and the
/// fields by name as strings, numbers or booleans.
#[derive(Deserialize)]
pub(crate) struct EntryBody {
    #[serde(default)]
    pub org_id: Option<String>,
    #[serde(default)]
    pub values: serde_json::Map<String, Value>,
    /// Updates: the version read (optimistic locking).
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

pub async fn create(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(key): Path<String>,
    Body(b): Body<EntryBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let e = registers::create(&s.platform, &ctx, &pr, &key, &b.input()?).await?;
    Ok((StatusCode::CREATED, Json(json!(e))))
}

pub async fn get(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path((key, id)): Path<(String, String)>,
) -> ApiResult {
    Ok(Json(json!(
        registers::get(&s.platform, &pr, &key, &id).await?
    )))
}

pub async fn update(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path((key, id)): Path<(String, String)>,
    Body(b): Body<EntryBody>,
) -> ApiResult {
    let version = b.expected_version.ok_or_else(|| {
        AppError::bad_request(
            "register.version_required",
            "请提供读取时的版本号 expected_version",
        )
    })?;
    let e = registers::update(&s.platform, &ctx, &pr, &key, &id, version, &b.input()?).await?;
    Ok(Json(json!(e)))
}

#[derive(Deserialize, Default)]
pub(crate) struct StepBody {
    #[serde(default)]
    pub note: String,
}

pub async fn step(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path((key, id, step)): Path<(String, String, String)>,
    Body(b): Body<StepBody>,
) -> ApiResult {
    let e = registers::take_step(&s.platform, &ctx, &pr, &key, &id, &step, &b.note).await?;
    Ok(Json(json!(e)))
}

#[derive(Deserialize, Default)]
pub(crate) struct ImportQuery {
    /// `true`: check and report only.
    #[serde(default)]
    pub dry_run: bool,
}

/// The request body is the .xlsx or CSV file.
pub async fn import(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(key): Path<String>,
    Query(q): Query<ImportQuery>,
    super::RawBody(body): super::RawBody,
) -> ApiResult {
    let r = registers::import(&s.platform, &ctx, &pr, &key, &body, q.dry_run).await?;
    Ok(Json(json!(r)))
}

#[derive(Deserialize)]
pub(crate) struct ReviewDraftBody {
    pub kind: String,
    pub period_start: String,
    pub period_end: String,
}

pub async fn draft_review(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Body(b): Body<ReviewDraftBody>,
) -> ApiResult {
    let checklist =
        register_rules::draft_review(&s.platform, &pr, &b.kind, &b.period_start, &b.period_end)
            .await?;
    Ok(Json(json!({ "checklist": checklist })))
}

#[derive(Deserialize)]
pub(crate) struct DraftBody {
    pub contract_id: String,
    pub report_kind: String,
    pub period_start: String,
    pub period_end: String,
}

pub async fn draft_report(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Body(b): Body<DraftBody>,
) -> ApiResult {
    let body = register_rules::draft_report(
        &s.platform,
        &pr,
        &b.contract_id,
        &b.report_kind,
        &b.period_start,
        &b.period_end,
    )
    .await?;
    Ok(Json(json!({ "body": body })))
}
