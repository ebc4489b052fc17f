//! Knowledge base articles (`kb_articles`): the cause and solution of a
//! problem, as a draft or published (EEDS-3.2.4, NTCZ-6.1.2).
//!
//! Who sees what is decided by the caller: [`Visibility`] carries the scope
//! in which published articles may be read and the scope in which drafts
//! may be read (those who edit knowledge there).

use sea_query::{Cond, Expr, ExprTrait, Func, Order, Query, SelectStatement};
use sqlx::any::AnyRow;
use yunwei_domain::AppError;

use crate::db::{DbConn, RowExt};
use crate::Scope;

pub const STATUS_DRAFT: &str = "draft";
pub const STATUS_PUBLISHED: &str = "published";

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ArticleRow {
    pub id: String,
    pub title: String,
    /// 产生原因.
    pub cause: String,
    /// 解决方案.
    pub solution: String,
    /// [`STATUS_DRAFT`] or [`STATUS_PUBLISHED`].
    pub status: String,
    /// The ticket whose closing recorded the article, if any.
    pub source_ticket_id: Option<String>,
    pub org_id: String,
    pub org_path: String,
    pub author_id: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub published_at: Option<i64>,
}

const COLS: [&str; 12] = [
    "id",
    "title",
    "cause",
    "solution",
    "status",
    "source_ticket_id",
    "org_id",
    "org_path",
    "author_id",
    "created_at",
    "updated_at",
    "published_at",
];

fn from_row(r: &AnyRow) -> Result<ArticleRow, AppError> {
    Ok(ArticleRow {
        id: r.s("id")?,
        title: r.s("title")?,
        cause: r.s("cause")?,
        solution: r.s("solution")?,
        status: r.s("status")?,
        source_ticket_id: r.os("source_ticket_id")?,
        org_id: r.s("org_id")?,
        org_path: r.s("org_path")?,
        author_id: r.s("author_id")?,
        created_at: r.i("created_at")?,
        updated_at: r.i("updated_at")?,
        published_at: r.oi("published_at")?,
    })
}

fn select() -> SelectStatement {
    Query::select().columns(COLS).from("kb_articles").to_owned()
}

pub async fn insert(c: &mut DbConn, a: &ArticleRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("kb_articles")
            .columns(COLS)
            .values_panic([
                a.id.clone().into(),
                a.title.clone().into(),
                a.cause.clone().into(),
                a.solution.clone().into(),
                a.status.clone().into(),
                a.source_ticket_id.clone().into(),
                a.org_id.clone().into(),
                a.org_path.clone().into(),
                a.author_id.clone().into(),
                a.created_at.into(),
                a.updated_at.into(),
                a.published_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn get(c: &mut DbConn, id: &str) -> Result<Option<ArticleRow>, AppError> {
    let q = select().and_where(Expr::col("id").eq(id)).to_owned();
    c.optional(&q).await?.as_ref().map(from_row).transpose()
}

/// Writes title, cause, solution, status and times of an existing article;
/// guarded by the `updated_at` it was read with, false when someone else
/// changed it meanwhile.
pub async fn update(
    c: &mut DbConn,
    a: &ArticleRow,
    expected_updated: i64,
) -> Result<bool, AppError> {
    let n = c
        .exec(
            &Query::update()
                .table("kb_articles")
                .values([
                    ("title", a.title.clone().into()),
                    ("cause", a.cause.clone().into()),
                    ("solution", a.solution.clone().into()),
                    ("status", a.status.clone().into()),
                    ("updated_at", a.updated_at.into()),
                    ("published_at", a.published_at.into()),
                ])
                .and_where(Expr::col("id").eq(a.id.clone()))
                .and_where(Expr::col("updated_at").eq(expected_updated))
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

/// The article recorded from a ticket, if any (the first one).
pub async fn by_ticket(c: &mut DbConn, ticket_id: &str) -> Result<Option<ArticleRow>, AppError> {
    let q = select()
        .and_where(Expr::col("source_ticket_id").eq(ticket_id))
        .order_by("created_at", Order::Asc)
        .order_by("id", Order::Asc)
        .limit(1)
        .to_owned();
    c.optional(&q).await?.as_ref().map(from_row).transpose()
}

/// Who may read which articles.
#[derive(Debug, Clone)]
pub struct Visibility {
    /// Published articles in this scope.
    pub published: Scope,
    /// Drafts in this scope.
    pub drafts: Scope,
}

impl Visibility {
    fn condition(&self) -> Cond {
        Cond::any()
            .add(
                Cond::all()
                    .add(Expr::col("status").eq(STATUS_PUBLISHED))
                    .add(self.published.condition("org_path")),
            )
            .add(
                Cond::all()
                    .add(Expr::col("status").eq(STATUS_DRAFT))
                    .add(self.drafts.condition("org_path")),
            )
    }
}

fn filtered(v: &Visibility, status: Option<&str>) -> SelectStatement {
    let mut q = Query::select();
    q.from("kb_articles").cond_where(v.condition());
    if let Some(s) = status {
        q.and_where(Expr::col("status").eq(s));
    }
    q
}

/// One page of visible articles (optionally of one status), most recently
/// updated first, with the total.
pub async fn list(
    c: &mut DbConn,
    v: &Visibility,
    status: Option<&str>,
    offset: u64,
    limit: u64,
) -> Result<(Vec<ArticleRow>, i64), AppError> {
    let base = filtered(v, status);
    let count = base
        .clone()
        .expr_as(Func::count(Expr::col("id")), "n")
        .to_owned();
    let total = c.one(&count).await?.i("n")?;
    if total == 0 {
        return Ok((Vec::new(), 0));
    }
    let page = base
        .clone()
        .columns(COLS)
        .order_by("updated_at", Order::Desc)
        .order_by("id", Order::Desc)
        .offset(offset)
        .limit(limit)
        .to_owned();
    let rows = c
        .all(&page)
        .await?
        .iter()
        .map(from_row)
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}

/// The visible articles among `ids` (search hits), any order.
pub async fn visible_by_ids(
    c: &mut DbConn,
    v: &Visibility,
    status: Option<&str>,
    ids: &[String],
) -> Result<Vec<ArticleRow>, AppError> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let q = filtered(v, status)
        .columns(COLS)
        .and_where(Expr::col("id").is_in(ids.iter().cloned()))
        .to_owned();
    c.all(&q).await?.iter().map(from_row).collect()
}
