//! Technical archives (migration 9): `archive_docs` and their
//! `archive_versions`; the files themselves are in the content-addressed
//! store under `sm3`.

use sea_query::{Expr, ExprTrait, Order, Query};
use sqlx::any::AnyRow;
use yunwei_domain::AppError;

use crate::db::{DbConn, RowExt};
use crate::Scope;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct DocRow {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub ci_id: Option<String>,
    pub org_id: String,
    pub org_path: String,
    pub current_version: i64,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const DOC_COLS: [&str; 10] = [
    "id",
    "title",
    "kind",
    "ci_id",
    "org_id",
    "org_path",
    "current_version",
    "created_by",
    "created_at",
    "updated_at",
];

fn doc_from_row(r: &AnyRow) -> Result<DocRow, AppError> {
    Ok(DocRow {
        id: r.s("id")?,
        title: r.s("title")?,
        kind: r.s("kind")?,
        ci_id: r.os("ci_id")?,
        org_id: r.s("org_id")?,
        org_path: r.s("org_path")?,
        current_version: r.i("current_version")?,
        created_by: r.s("created_by")?,
        created_at: r.i("created_at")?,
        updated_at: r.i("updated_at")?,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct VersionRow {
    pub id: String,
    pub doc_id: String,
    pub version: i64,
    pub filename: String,
    pub sm3: String,
    pub size: i64,
    pub note: String,
    pub uploaded_by: String,
    pub uploaded_at: i64,
}

const VER_COLS: [&str; 9] = [
    "id",
    "doc_id",
    "version",
    "filename",
    "sm3",
    "size",
    "note",
    "uploaded_by",
    "uploaded_at",
];

fn ver_from_row(r: &AnyRow) -> Result<VersionRow, AppError> {
    Ok(VersionRow {
        id: r.s("id")?,
        doc_id: r.s("doc_id")?,
        version: r.i("version")?,
        filename: r.s("filename")?,
        sm3: r.s("sm3")?,
        size: r.i("size")?,
        note: r.s("note")?,
        uploaded_by: r.s("uploaded_by")?,
        uploaded_at: r.i("uploaded_at")?,
    })
}

pub async fn insert_doc(c: &mut DbConn, d: &DocRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("archive_docs")
            .columns(DOC_COLS)
            .values_panic([
                d.id.clone().into(),
                d.title.clone().into(),
                d.kind.clone().into(),
                d.ci_id.clone().into(),
                d.org_id.clone().into(),
                d.org_path.clone().into(),
                d.current_version.into(),
                d.created_by.clone().into(),
                d.created_at.into(),
                d.updated_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Moves the document to `version`, guarded by the version it had (two
/// uploads at once cannot both become version n+1).
pub async fn bump_version(
    c: &mut DbConn,
    id: &str,
    from: i64,
    to: i64,
    at: i64,
) -> Result<bool, AppError> {
    let n = c
        .exec(
            &Query::update()
                .table("archive_docs")
                .values([("current_version", to.into()), ("updated_at", at.into())])
                .and_where(Expr::col("id").eq(id))
                .and_where(Expr::col("current_version").eq(from))
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

pub async fn get_doc(c: &mut DbConn, id: &str) -> Result<Option<DocRow>, AppError> {
    let q = Query::select()
        .columns(DOC_COLS)
        .from("archive_docs")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    c.optional(&q).await?.as_ref().map(doc_from_row).transpose()
}

/// Documents in `scope`, optionally of one item, newest change first.
pub async fn list_docs(
    c: &mut DbConn,
    scope: &Scope,
    ci_id: Option<&str>,
    limit: u64,
) -> Result<Vec<DocRow>, AppError> {
    let mut q = Query::select();
    q.columns(DOC_COLS)
        .from("archive_docs")
        .cond_where(scope.condition("org_path"));
    if let Some(ci) = ci_id {
        q.and_where(Expr::col("ci_id").eq(ci));
    }
    q.order_by("updated_at", Order::Desc)
        .order_by("id", Order::Desc)
        .limit(limit);
    c.all(&q).await?.iter().map(doc_from_row).collect()
}

pub async fn insert_version(c: &mut DbConn, v: &VersionRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("archive_versions")
            .columns(VER_COLS)
            .values_panic([
                v.id.clone().into(),
                v.doc_id.clone().into(),
                v.version.into(),
                v.filename.clone().into(),
                v.sm3.clone().into(),
                v.size.into(),
                v.note.clone().into(),
                v.uploaded_by.clone().into(),
                v.uploaded_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn versions(c: &mut DbConn, doc_id: &str) -> Result<Vec<VersionRow>, AppError> {
    let q = Query::select()
        .columns(VER_COLS)
        .from("archive_versions")
        .and_where(Expr::col("doc_id").eq(doc_id))
        .order_by("version", Order::Desc)
        .to_owned();
    c.all(&q).await?.iter().map(ver_from_row).collect()
}

pub async fn get_version(c: &mut DbConn, id: &str) -> Result<Option<VersionRow>, AppError> {
    let q = Query::select()
        .columns(VER_COLS)
        .from("archive_versions")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    c.optional(&q).await?.as_ref().map(ver_from_row).transpose()
}
