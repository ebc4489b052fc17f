//! Key/value settings (security policy, platform configuration), stored as
//! JSON text.

use sea_query::{Expr, ExprTrait, OnConflict, Query};
use yunwei_domain::AppError;

use crate::db::{DbConn, RowExt};

pub async fn get(c: &mut DbConn, key: &str) -> Result<Option<String>, AppError> {
    let q = Query::select()
        .column("value")
        .from("settings")
        .and_where(Expr::col("key").eq(key))
        .to_owned();
    c.optional(&q).await?.map(|r| r.s("value")).transpose()
}

pub async fn put(c: &mut DbConn, key: &str, value: &str, now: i64) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("settings")
            .columns(["key", "value", "updated_at"])
            .values_panic([key.into(), value.into(), now.into()])
            .on_conflict(
                OnConflict::column("key")
                    .update_columns(["value", "updated_at"])
                    .to_owned(),
            )
            .to_owned(),
    )
    .await?;
    Ok(())
}
