//! References to the content-addressed file store: which rows name a file
//! by its SM3 digest (ticket attachments, archive versions, the item files
//! of inspection records, kept in their `results_json`; the government
//! cloud's duty reports and security commitments).

use sea_query::{Expr, ExprTrait, Query};
use yunwei_domain::AppError;

use crate::db::DbConn;

/// Whether any row references the file with this digest.
pub async fn is_referenced(c: &mut DbConn, digest: &str) -> Result<bool, AppError> {
    for table in [
        "ticket_attachments",
        "archive_versions",
        "cloud_duty_reports",
        "cloud_commitments",
    ] {
        let q = Query::select()
            .column("id")
            .from(table)
            .and_where(Expr::col("sm3").eq(digest))
            .limit(1)
            .to_owned();
        if c.optional(&q).await?.is_some() {
            return Ok(true);
        }
    }
    // A digest is 64 hex digits: no LIKE wildcard can occur in it.
    let q = Query::select()
        .column("id")
        .from("inspection_records")
        .and_where(Expr::col("results_json").like(format!("%{digest}%")))
        .limit(1)
        .to_owned();
    Ok(c.optional(&q).await?.is_some())
}
