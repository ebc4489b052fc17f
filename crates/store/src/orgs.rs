//! Organisation tree rows.

use sea_query::{Expr, ExprTrait, Order, Query};
use sqlx::any::AnyRow;
use yunwei_domain::AppError;

use crate::db::{DbConn, RowExt};
use crate::Scope;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OrgRow {
    pub id: String,
    pub parent_id: Option<String>,
    pub path: String,
    pub kind: String,
    pub name: String,
    pub created_at: i64,
}

const COLS: [&str; 6] = ["id", "parent_id", "path", "kind", "name", "created_at"];

fn from_row(r: &AnyRow) -> Result<OrgRow, AppError> {
    Ok(OrgRow {
        id: r.s("id")?,
        parent_id: r.os("parent_id")?,
        path: r.s("path")?,
        kind: r.s("kind")?,
        name: r.s("name")?,
        created_at: r.i("created_at")?,
    })
}

pub async fn insert(c: &mut DbConn, o: &OrgRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("orgs")
            .columns(COLS)
            .values_panic([
                o.id.clone().into(),
                o.parent_id.clone().into(),
                o.path.clone().into(),
                o.kind.clone().into(),
                o.name.clone().into(),
                o.created_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn get(c: &mut DbConn, id: &str) -> Result<Option<OrgRow>, AppError> {
    let q = Query::select()
        .columns(COLS)
        .from("orgs")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    c.optional(&q).await?.as_ref().map(from_row).transpose()
}

/// The organisation at `path`, if any.
pub async fn by_path(c: &mut DbConn, path: &str) -> Result<Option<OrgRow>, AppError> {
    let q = Query::select()
        .columns(COLS)
        .from("orgs")
        .and_where(Expr::col("path").eq(path))
        .to_owned();
    c.optional(&q).await?.as_ref().map(from_row).transpose()
}

/// The root of the tree (the top-level organisation), if any.
/// The organisation of exactly this name, when only one has it.
pub async fn by_name(c: &mut DbConn, name: &str) -> Result<Option<OrgRow>, AppError> {
    let q = Query::select()
        .columns(COLS)
        .from("orgs")
        .and_where(Expr::col("name").eq(name.trim()))
        .limit(2)
        .to_owned();
    let rows = c.all(&q).await?;
    if rows.len() != 1 {
        return Ok(None);
    }
    rows.first().map(from_row).transpose()
}

pub async fn root(c: &mut DbConn) -> Result<Option<OrgRow>, AppError> {
    let q = Query::select()
        .columns(COLS)
        .from("orgs")
        .and_where(Expr::col("parent_id").is_null())
        .order_by("path", Order::Asc)
        .limit(1)
        .to_owned();
    c.optional(&q).await?.as_ref().map(from_row).transpose()
}

pub async fn find_child(
    c: &mut DbConn,
    parent_id: &str,
    name: &str,
) -> Result<Option<OrgRow>, AppError> {
    let q = Query::select()
        .columns(COLS)
        .from("orgs")
        .and_where(Expr::col("parent_id").eq(parent_id))
        .and_where(Expr::col("name").eq(name))
        .to_owned();
    c.optional(&q).await?.as_ref().map(from_row).transpose()
}

/// All organisations in the scope, in tree (path) order.
pub async fn list(c: &mut DbConn, scope: &Scope) -> Result<Vec<OrgRow>, AppError> {
    let q = Query::select()
        .columns(COLS)
        .from("orgs")
        .cond_where(scope.condition("path"))
        .order_by("path", Order::Asc)
        .to_owned();
    c.all(&q).await?.iter().map(from_row).collect()
}

pub async fn rename(c: &mut DbConn, id: &str, name: &str) -> Result<u64, AppError> {
    c.exec(
        &Query::update()
            .table("orgs")
            .value("name", name)
            .and_where(Expr::col("id").eq(id))
            .to_owned(),
    )
    .await
}
