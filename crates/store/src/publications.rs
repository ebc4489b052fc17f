//! What the centre publishes to the finance departments of every level
//! about a change (JSCZ-26 (4), (6)): the implementation plan, the success
//! report, the postponement note. A publication is addressed to the tree
//! of its top-level organisation; everyone in that tree reads it.

use sea_query::{Expr, ExprTrait, Order, Query};
use yunwei_domain::AppError;

use crate::db::{DbConn, RowExt};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicationRow {
    pub id: String,
    pub ticket_id: String,
    pub ticket_number: String,
    /// 变更实施方案 / 更新成功报告 / 变更延期说明, with the ticket's title.
    pub title: String,
    pub body: String,
    /// The ticket's organisation.
    pub org_path: String,
    /// Whose tree reads it: the top-level organisation's path.
    pub audience_path: String,
    pub published_by: String,
    pub published_at: i64,
}

const COLS: [&str; 9] = [
    "id",
    "ticket_id",
    "ticket_number",
    "title",
    "body",
    "org_path",
    "audience_path",
    "published_by",
    "published_at",
];

pub async fn insert(c: &mut DbConn, p: &PublicationRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("publications")
            .columns(COLS)
            .values_panic([
                p.id.clone().into(),
                p.ticket_id.clone().into(),
                p.ticket_number.clone().into(),
                p.title.clone().into(),
                p.body.clone().into(),
                p.org_path.clone().into(),
                p.audience_path.clone().into(),
                p.published_by.clone().into(),
                p.published_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// The newest publications addressed to any of `audiences` (the reader's
/// top-level organisations), at most `limit`.
pub async fn for_audiences(
    c: &mut DbConn,
    audiences: &[String],
    limit: u64,
) -> Result<Vec<PublicationRow>, AppError> {
    if audiences.is_empty() {
        return Ok(vec![]);
    }
    let q = Query::select()
        .columns(COLS)
        .from("publications")
        .and_where(Expr::col("audience_path").is_in(audiences.iter().cloned()))
        .order_by("published_at", Order::Desc)
        .order_by("id", Order::Desc)
        .limit(limit)
        .to_owned();
    c.all(&q)
        .await?
        .iter()
        .map(|r| {
            Ok(PublicationRow {
                id: r.s("id")?,
                ticket_id: r.s("ticket_id")?,
                ticket_number: r.s("ticket_number")?,
                title: r.s("title")?,
                body: r.s("body")?,
                org_path: r.s("org_path")?,
                audience_path: r.s("audience_path")?,
                published_by: r.s("published_by")?,
                published_at: r.i("published_at")?,
            })
        })
        .collect()
}

/// Ids of the active users holding one of `roles` on a scope within the
/// subtree at `path` (the finance departments of every level under it).
/// Paths are ids and slashes, with no LIKE wildcard in them (checked).
pub async fn holders_within(
    c: &mut DbConn,
    roles: &[String],
    path: &str,
) -> Result<Vec<String>, AppError> {
    if roles.is_empty() {
        return Ok(vec![]);
    }
    if path.contains(['%', '_', '\\']) {
        return Err(AppError::internal());
    }
    let q = Query::select()
        .distinct()
        .column(("role_grants", "user_id"))
        .from("role_grants")
        .inner_join(
            "users",
            Expr::col(("users", "id")).equals(("role_grants", "user_id")),
        )
        .and_where(Expr::col(("role_grants", "role")).is_in(roles.iter().cloned()))
        .and_where(Expr::col(("users", "status")).eq("active"))
        .and_where(Expr::col(("role_grants", "scope_path")).like(format!("{path}%")))
        .order_by(("role_grants", "user_id"), Order::Asc)
        .to_owned();
    c.all(&q).await?.iter().map(|r| r.s("user_id")).collect()
}
