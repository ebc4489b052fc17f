//! The knowledge base under `/api/v1/knowledge` (EEDS-3.2.4, NTCZ-6.1.2).

use crate::extract::Query;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use yunwei_core::knowledge::{
    self, ArticleFilter, ArticleInput, ArticlePage, ArticleUpdate, ArticleView,
};

use super::{ApiResult, Body, Paging};
use crate::extract::{ApiUser, ReqCtx};
use crate::openapi::{BadRequest, Conflict, Forbidden, Internal, NotFound, TooLarge, Unauthorized};
use crate::AppState;

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct KnowledgeQuery {
    /// Words to look for (Chinese full-text search).
    #[serde(default)]
    pub q: Option<String>,
    /// `draft` or `published`.
    #[serde(default)]
    pub status: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/knowledge",
    operation_id = "knowledge_list",
    tag = "知识库",
    summary = "知识列表：已发布的知识，及有编辑权限者范围内的草稿（q 中文检索, status=draft|published, page, per_page）",
    params(KnowledgeQuery, Paging),
    responses(
        (status = 200, description = "一页知识", body = ArticlePage),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(q): Query<KnowledgeQuery>,
    Query(paging): Query<Paging>,
) -> ApiResult<Json<ArticlePage>> {
    let f = ArticleFilter {
        q: q.q,
        status: q.status,
    };
    let page = knowledge::list(
        &s.platform,
        &pr,
        &f,
        paging.page.unwrap_or(1),
        paging.per_page.unwrap_or(20),
    )
    .await?;
    Ok(Json(page))
}

#[utoipa::path(
    post,
    path = "/api/v1/knowledge",
    operation_id = "knowledge_create",
    tag = "知识库",
    summary = "新建知识草稿（须有编辑和发布知识权限；org_id 缺省为本人机构）",
    request_body = ArticleInput,
    responses(
        (status = 201, description = "已新建", body = ArticleView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Body(b): Body<ArticleInput>,
) -> ApiResult<(StatusCode, Json<ArticleView>)> {
    let a = knowledge::create(&s.platform, &ctx, &pr, &b).await?;
    let v = knowledge::get(&s.platform, &pr, &a.id).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[utoipa::path(
    get,
    path = "/api/v1/knowledge/{id}",
    operation_id = "knowledge_get",
    tag = "知识库",
    summary = "知识详情：产生原因、解决方案、来源工单",
    params(("id" = String, Path, description = "知识 ID")),
    responses(
        (status = 200, description = "知识", body = ArticleView),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn get(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<ArticleView>> {
    Ok(Json(knowledge::get(&s.platform, &pr, &id).await?))
}

#[utoipa::path(
    put,
    path = "/api/v1/knowledge/{id}",
    operation_id = "knowledge_update",
    tag = "知识库",
    summary = "修改知识（标题、产生原因、解决方案；未提供的字段不变；记录修改前后内容）",
    params(("id" = String, Path, description = "知识 ID")),
    request_body = ArticleUpdate,
    responses(
        (status = 200, description = "已修改", body = ArticleView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn update(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<ArticleUpdate>,
) -> ApiResult<Json<ArticleView>> {
    knowledge::update(&s.platform, &ctx, &pr, &id, &b).await?;
    Ok(Json(knowledge::get(&s.platform, &pr, &id).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/knowledge/{id}/publish",
    operation_id = "knowledge_publish",
    tag = "知识库",
    summary = "发布知识草稿（须已填写产生原因和解决方案，EEDS-3.2.4）",
    params(("id" = String, Path, description = "知识 ID")),
    responses(
        (status = 200, description = "已发布", body = ArticleView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Internal,
    ),
    security(("bearer" = []))
)]
pub async fn publish(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<ArticleView>> {
    knowledge::publish(&s.platform, &ctx, &pr, &id).await?;
    Ok(Json(knowledge::get(&s.platform, &pr, &id).await?))
}
