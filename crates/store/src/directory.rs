//! The accounts the directory logs in and the grants its groups gave
//! (migration 32, ADR 0021).

use sea_query::{Expr, ExprTrait, Query};
use yunwei_domain::AppError;

use crate::db::{DbConn, RowExt};

/// Whether `user_id` is an account of the directory.
pub async fn is_directory_account(c: &mut DbConn, user_id: &str) -> Result<bool, AppError> {
    let q = Query::select()
        .column("id")
        .from("directory_accounts")
        .and_where(Expr::col("id").eq(user_id))
        .to_owned();
    Ok(c.optional(&q).await?.is_some())
}

pub async fn insert_account(
    c: &mut DbConn,
    user_id: &str,
    dn: &str,
    now: i64,
) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("directory_accounts")
            .columns(["id", "dn", "created_at", "synced_at"])
            .values_panic([user_id.into(), dn.into(), now.into(), now.into()])
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Records a login's synchronisation: the entry's DN and when.
pub async fn mark_synced(
    c: &mut DbConn,
    user_id: &str,
    dn: &str,
    now: i64,
) -> Result<(), AppError> {
    c.exec(
        &Query::update()
            .table("directory_accounts")
            .values([("dn", dn.into()), ("synced_at", now.into())])
            .and_where(Expr::col("id").eq(user_id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Moves an account to another organisation (the directory says so).
pub async fn set_user_org(
    c: &mut DbConn,
    user_id: &str,
    org_id: &str,
    org_path: &str,
    now: i64,
) -> Result<(), AppError> {
    c.exec(
        &Query::update()
            .table("users")
            .values([
                ("org_id", org_id.into()),
                ("org_path", org_path.into()),
                ("updated_at", now.into()),
            ])
            .and_where(Expr::col("id").eq(user_id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// A grant a directory group gave: (grant id, group DN).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryGrant {
    pub grant_id: String,
    pub group_dn: String,
}

pub async fn grants_of(c: &mut DbConn, user_id: &str) -> Result<Vec<DirectoryGrant>, AppError> {
    let q = Query::select()
        .columns(["id", "group_dn"])
        .from("directory_grants")
        .and_where(Expr::col("user_id").eq(user_id))
        .to_owned();
    c.all(&q)
        .await?
        .iter()
        .map(|r| {
            Ok(DirectoryGrant {
                grant_id: r.s("id")?,
                group_dn: r.s("group_dn")?,
            })
        })
        .collect()
}

pub async fn insert_grant(
    c: &mut DbConn,
    grant_id: &str,
    user_id: &str,
    group_dn: &str,
    now: i64,
) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("directory_grants")
            .columns(["id", "user_id", "group_dn", "created_at"])
            .values_panic([grant_id.into(), user_id.into(), group_dn.into(), now.into()])
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn delete_grant(c: &mut DbConn, grant_id: &str) -> Result<(), AppError> {
    c.exec(
        &Query::delete()
            .from_table("directory_grants")
            .and_where(Expr::col("id").eq(grant_id))
            .to_owned(),
    )
    .await?;
    Ok(())
}
