//! The knowledge base under `/api/v1/knowledge` (EEDS-3.2.4, NTCZ-6.1.2).

use crate::extract::Query;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use yunwei_core::knowledge::{self, ArticleFilter, ArticleInput, ArticleUpdate};

use super::{ApiResult, Body};
use crate::extract::{ApiUser, ReqCtx};
use crate::AppState;

#[derive(Deserialize, Default)]
pub(crate) struct KnowledgeQuery {
    /// Words to look for (Chinese full-text search).
    #[serde(default)]
    pub q: Option<String>,
    /// `draft` or `published`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub page: Option<u64>,
    #[serde(default)]
    pub per_page: Option<u64>,
}

pub async fn list(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(q): Query<KnowledgeQuery>,
) -> ApiResult {
    let f = ArticleFilter {
        q: q.q,
        status: q.status,
    };
    let page = knowledge::list(
        &s.platform,
        &pr,
        &f,
        q.page.unwrap_or(1),
        q.per_page.unwrap_or(20),
    )
    .await?;
    Ok(Json(json!(page)))
}

pub async fn create(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Body(b): Body<ArticleInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let a = knowledge::create(&s.platform, &ctx, &pr, &b).await?;
    let v = knowledge::get(&s.platform, &pr, &a.id).await?;
    Ok((StatusCode::CREATED, Json(json!(v))))
}

pub async fn get(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(Json(json!(knowledge::get(&s.platform, &pr, &id).await?)))
}

pub async fn update(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<ArticleUpdate>,
) -> ApiResult {
    knowledge::update(&s.platform, &ctx, &pr, &id, &b).await?;
    Ok(Json(json!(knowledge::get(&s.platform, &pr, &id).await?)))
}

pub async fn publish(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult {
    knowledge::publish(&s.platform, &ctx, &pr, &id).await?;
    Ok(Json(json!(knowledge::get(&s.platform, &pr, &id).await?)))
}
