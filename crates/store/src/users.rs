//! Users, their password history and their role grants.

use sea_query::{Expr, ExprTrait, Func, LikeExpr, Order, Query};
use sqlx::any::AnyRow;
use yunwei_domain::AppError;

use crate::db::{DbConn, RowExt};
use crate::Scope;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub org_id: String,
    pub org_path: String,
    pub password_hash: String,
    pub must_change_password: bool,
    /// `active` or `disabled`.
    pub status: String,
    pub failed_attempts: i64,
    pub locked_until: Option<i64>,
    pub phone_enc: Option<String>,
    pub phone_masked: Option<String>,
    pub id_number_enc: Option<String>,
    pub id_number_masked: Option<String>,
    pub builtin: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub password_changed_at: i64,
}

const COLS: [&str; 18] = [
    "id",
    "username",
    "display_name",
    "org_id",
    "org_path",
    "password_hash",
    "must_change_password",
    "status",
    "failed_attempts",
    "locked_until",
    "phone_enc",
    "phone_masked",
    "id_number_enc",
    "id_number_masked",
    "builtin",
    "created_at",
    "updated_at",
    "password_changed_at",
];

fn from_row(r: &AnyRow) -> Result<UserRow, AppError> {
    Ok(UserRow {
        id: r.s("id")?,
        username: r.s("username")?,
        display_name: r.s("display_name")?,
        org_id: r.s("org_id")?,
        org_path: r.s("org_path")?,
        password_hash: r.s("password_hash")?,
        must_change_password: r.i("must_change_password")? != 0,
        status: r.s("status")?,
        failed_attempts: r.i("failed_attempts")?,
        locked_until: r.oi("locked_until")?,
        phone_enc: r.os("phone_enc")?,
        phone_masked: r.os("phone_masked")?,
        id_number_enc: r.os("id_number_enc")?,
        id_number_masked: r.os("id_number_masked")?,
        builtin: r.i("builtin")? != 0,
        created_at: r.i("created_at")?,
        updated_at: r.i("updated_at")?,
        password_changed_at: r.i("password_changed_at")?,
    })
}

pub async fn insert(c: &mut DbConn, u: &UserRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("users")
            .columns(COLS)
            .values_panic([
                u.id.clone().into(),
                u.username.clone().into(),
                u.display_name.clone().into(),
                u.org_id.clone().into(),
                u.org_path.clone().into(),
                u.password_hash.clone().into(),
                i64::from(u.must_change_password).into(),
                u.status.clone().into(),
                u.failed_attempts.into(),
                u.locked_until.into(),
                u.phone_enc.clone().into(),
                u.phone_masked.clone().into(),
                u.id_number_enc.clone().into(),
                u.id_number_masked.clone().into(),
                i64::from(u.builtin).into(),
                u.created_at.into(),
                u.updated_at.into(),
                u.password_changed_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn get(c: &mut DbConn, id: &str) -> Result<Option<UserRow>, AppError> {
    let q = Query::select()
        .columns(COLS)
        .from("users")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    c.optional(&q).await?.as_ref().map(from_row).transpose()
}

/// Like [`get`], and on PostgreSQL locks the row until the transaction
/// ends (SQLite write transactions are already exclusive).
pub async fn get_for_update(c: &mut DbConn, id: &str) -> Result<Option<UserRow>, AppError> {
    let mut q = Query::select();
    q.columns(COLS)
        .from("users")
        .and_where(Expr::col("id").eq(id));
    if c.backend() == crate::Backend::Postgres {
        q.lock(sea_query::LockType::Update);
    }
    c.optional(&q).await?.as_ref().map(from_row).transpose()
}

pub async fn by_username(c: &mut DbConn, username: &str) -> Result<Option<UserRow>, AppError> {
    let q = Query::select()
        .columns(COLS)
        .from("users")
        .and_where(Expr::col("username").eq(username))
        .to_owned();
    c.optional(&q).await?.as_ref().map(from_row).transpose()
}

#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Matches username or display name (substring).
    pub q: Option<String>,
    pub org_path: Option<String>,
    pub status: Option<String>,
}

/// One page of users in the scope, ordered by organisation then username,
/// plus the total count.
pub async fn list(
    c: &mut DbConn,
    scope: &Scope,
    f: &UserFilter,
    offset: u64,
    limit: u64,
) -> Result<(Vec<UserRow>, i64), AppError> {
    let mut base = Query::select();
    base.from("users").cond_where(scope.condition("org_path"));
    if let Some(q) = f.q.as_deref().filter(|s| !s.is_empty()) {
        // Match the text literally: LIKE wildcards in it are escaped.
        let escaped = q.replace('!', "!!").replace('%', "!%").replace('_', "!_");
        let pat = format!("%{escaped}%");
        base.cond_where(
            sea_query::Cond::any()
                .add(Expr::col("username").like(LikeExpr::new(pat.clone()).escape('!')))
                .add(Expr::col("display_name").like(LikeExpr::new(pat).escape('!'))),
        );
    }
    if let Some(p) = f.org_path.as_deref().filter(|s| !s.is_empty()) {
        base.cond_where(Scope::ranges(vec![(p.to_string(), true)]).condition("org_path"));
    }
    if let Some(s) = f.status.as_deref().filter(|s| !s.is_empty()) {
        base.and_where(Expr::col("status").eq(s));
    }
    let count = base
        .clone()
        .expr_as(Func::count(Expr::col("id")), "n")
        .to_owned();
    let total = c.one(&count).await?.i("n")?;
    let page = base
        .columns(COLS)
        .order_by("org_path", Order::Asc)
        .order_by("username", Order::Asc)
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

pub async fn set_password(
    c: &mut DbConn,
    id: &str,
    hash: &str,
    must_change: bool,
    now: i64,
) -> Result<(), AppError> {
    c.exec(
        &Query::update()
            .table("users")
            .values([
                ("password_hash", hash.into()),
                ("must_change_password", i64::from(must_change).into()),
                ("password_changed_at", now.into()),
                ("updated_at", now.into()),
                ("failed_attempts", 0i64.into()),
                ("locked_until", Option::<i64>::None.into()),
            ])
            .and_where(Expr::col("id").eq(id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Marks a user's password as to be changed at once (an expired password,
/// EEDS-3.8.6); false when it already was.
pub async fn require_password_change(c: &mut DbConn, id: &str, now: i64) -> Result<bool, AppError> {
    let n = c
        .exec(
            &Query::update()
                .table("users")
                .values([
                    ("must_change_password", 1i64.into()),
                    ("updated_at", now.into()),
                ])
                .and_where(Expr::col("id").eq(id))
                .and_where(Expr::col("must_change_password").eq(0))
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

/// Active users whose password was set at or before `set_before` and who
/// have not been reminded of its expiry yet (EEDS-3.8.6), the oldest
/// password first. Users who must change their password already are left
/// out: the login asks them anyway.
pub async fn password_reminders_due(
    c: &mut DbConn,
    set_before: i64,
    limit: u64,
) -> Result<Vec<UserRow>, AppError> {
    let q = Query::select()
        .columns(COLS)
        .from("users")
        .and_where(Expr::col("status").eq("active"))
        .and_where(Expr::col("must_change_password").eq(0))
        .and_where(Expr::col("password_changed_at").lte(set_before))
        .cond_where(
            sea_query::Cond::any()
                .add(Expr::col("password_reminded_for").is_null())
                .add(Expr::col("password_reminded_for").ne(Expr::col("password_changed_at"))),
        )
        .order_by("password_changed_at", Order::Asc)
        .order_by("id", Order::Asc)
        .limit(limit)
        .to_owned();
    c.all(&q).await?.iter().map(from_row).collect()
}

/// Claims the expiry reminder of the password set at `changed_at`: false
/// when it went out already (another node) or the password changed since.
pub async fn claim_password_reminder(
    c: &mut DbConn,
    id: &str,
    changed_at: i64,
) -> Result<bool, AppError> {
    let n = c
        .exec(
            &Query::update()
                .table("users")
                .value("password_reminded_for", changed_at)
                .and_where(Expr::col("id").eq(id))
                .and_where(Expr::col("password_changed_at").eq(changed_at))
                .cond_where(
                    sea_query::Cond::any()
                        .add(Expr::col("password_reminded_for").is_null())
                        .add(Expr::col("password_reminded_for").ne(changed_at)),
                )
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

pub async fn set_login_state(
    c: &mut DbConn,
    id: &str,
    failed_attempts: i64,
    locked_until: Option<i64>,
) -> Result<(), AppError> {
    c.exec(
        &Query::update()
            .table("users")
            .values([
                ("failed_attempts", failed_attempts.into()),
                ("locked_until", locked_until.into()),
            ])
            .and_where(Expr::col("id").eq(id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn set_status(c: &mut DbConn, id: &str, status: &str, now: i64) -> Result<(), AppError> {
    c.exec(
        &Query::update()
            .table("users")
            .values([("status", status.into()), ("updated_at", now.into())])
            .and_where(Expr::col("id").eq(id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn update_profile(c: &mut DbConn, u: &UserRow) -> Result<(), AppError> {
    c.exec(
        &Query::update()
            .table("users")
            .values([
                ("display_name", u.display_name.clone().into()),
                ("phone_enc", u.phone_enc.clone().into()),
                ("phone_masked", u.phone_masked.clone().into()),
                ("id_number_enc", u.id_number_enc.clone().into()),
                ("id_number_masked", u.id_number_masked.clone().into()),
                ("updated_at", u.updated_at.into()),
            ])
            .and_where(Expr::col("id").eq(u.id.clone()))
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn add_password_history(
    c: &mut DbConn,
    id: &str,
    user_id: &str,
    hash: &str,
    now: i64,
) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("password_history")
            .columns(["id", "user_id", "password_hash", "created_at"])
            .values_panic([id.into(), user_id.into(), hash.into(), now.into()])
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// The `n` most recent password hashes of the user, newest first.
pub async fn recent_passwords(
    c: &mut DbConn,
    user_id: &str,
    n: u64,
) -> Result<Vec<String>, AppError> {
    let q = Query::select()
        .column("password_hash")
        .from("password_history")
        .and_where(Expr::col("user_id").eq(user_id))
        .order_by("created_at", Order::Desc)
        .order_by("id", Order::Desc)
        .limit(n)
        .to_owned();
    c.all(&q)
        .await?
        .iter()
        .map(|r| r.s("password_hash"))
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GrantRow {
    pub id: String,
    pub user_id: String,
    pub role: String,
    pub scope_org_id: String,
    pub scope_path: String,
    pub subtree: bool,
    pub granted_by: String,
    pub created_at: i64,
    /// The grant ends at this instant (UTC microseconds); `None`: no end.
    pub valid_until: Option<i64>,
}

const GRANT_COLS: [&str; 9] = [
    "id",
    "user_id",
    "role",
    "scope_org_id",
    "scope_path",
    "subtree",
    "granted_by",
    "created_at",
    "valid_until",
];

fn grant_from_row(r: &AnyRow) -> Result<GrantRow, AppError> {
    Ok(GrantRow {
        id: r.s("id")?,
        user_id: r.s("user_id")?,
        role: r.s("role")?,
        scope_org_id: r.s("scope_org_id")?,
        scope_path: r.s("scope_path")?,
        subtree: r.i("subtree")? != 0,
        granted_by: r.s("granted_by")?,
        created_at: r.i("created_at")?,
        valid_until: r.oi("valid_until")?,
    })
}

pub async fn insert_grant(c: &mut DbConn, g: &GrantRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("role_grants")
            .columns(GRANT_COLS)
            .values_panic([
                g.id.clone().into(),
                g.user_id.clone().into(),
                g.role.clone().into(),
                g.scope_org_id.clone().into(),
                g.scope_path.clone().into(),
                i64::from(g.subtree).into(),
                g.granted_by.clone().into(),
                g.created_at.into(),
                g.valid_until.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn grants_of(c: &mut DbConn, user_id: &str) -> Result<Vec<GrantRow>, AppError> {
    let q = Query::select()
        .columns(GRANT_COLS)
        .from("role_grants")
        .and_where(Expr::col("user_id").eq(user_id))
        .order_by("created_at", Order::Asc)
        .order_by("id", Order::Asc)
        .to_owned();
    c.all(&q).await?.iter().map(grant_from_row).collect()
}

pub async fn get_grant(c: &mut DbConn, id: &str) -> Result<Option<GrantRow>, AppError> {
    let q = Query::select()
        .columns(GRANT_COLS)
        .from("role_grants")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    c.optional(&q)
        .await?
        .as_ref()
        .map(grant_from_row)
        .transpose()
}

/// Grants whose end has passed at `now`, the earliest first.
pub async fn expired_grants(
    c: &mut DbConn,
    now: i64,
    limit: u64,
) -> Result<Vec<GrantRow>, AppError> {
    let q = Query::select()
        .columns(GRANT_COLS)
        .from("role_grants")
        .and_where(Expr::col("valid_until").lte(now))
        .order_by("valid_until", Order::Asc)
        .order_by("id", Order::Asc)
        .limit(limit)
        .to_owned();
    c.all(&q).await?.iter().map(grant_from_row).collect()
}

/// Removes a grant whose end has passed; false when it is gone already
/// (another node removed it first).
pub async fn delete_expired_grant(c: &mut DbConn, id: &str, now: i64) -> Result<bool, AppError> {
    let n = c
        .exec(
            &Query::delete()
                .from_table("role_grants")
                .and_where(Expr::col("id").eq(id))
                .and_where(Expr::col("valid_until").lte(now))
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

pub async fn delete_grant(c: &mut DbConn, id: &str) -> Result<u64, AppError> {
    c.exec(
        &Query::delete()
            .from_table("role_grants")
            .and_where(Expr::col("id").eq(id))
            .to_owned(),
    )
    .await
}

/// The grants of active users on one of `roles` whose scope covers
/// `org_path` (the organisation itself, or an ancestor with subtree), as
/// (user id, role, scope path): who may act on a ticket there, before the
/// pack's holder rules (ADR 0020) pick among them.
pub async fn grants_covering(
    c: &mut DbConn,
    roles: &[String],
    org_path: &str,
) -> Result<Vec<(String, String, String)>, AppError> {
    if roles.is_empty() {
        return Ok(vec![]);
    }
    let q = Query::select()
        .distinct()
        .column(("role_grants", "user_id"))
        .column(("role_grants", "role"))
        .column(("role_grants", "scope_path"))
        .from("role_grants")
        .inner_join(
            "users",
            Expr::col(("users", "id")).equals(("role_grants", "user_id")),
        )
        .and_where(Expr::col(("role_grants", "role")).is_in(roles.iter().cloned()))
        .and_where(Expr::col(("users", "status")).eq("active"))
        .cond_where(covering(org_path))
        .order_by(("role_grants", "user_id"), Order::Asc)
        .order_by(("role_grants", "role"), Order::Asc)
        .order_by(("role_grants", "scope_path"), Order::Asc)
        .to_owned();
    c.all(&q)
        .await?
        .iter()
        .map(|r| Ok((r.s("user_id")?, r.s("role")?, r.s("scope_path")?)))
        .collect()
}

/// A grant's scope covers `org_path`: the organisation itself, or an
/// ancestor with subtree.
fn covering(org_path: &str) -> sea_query::Cond {
    // Every ancestor path of org_path, itself included: `/a/`, `/a/b/`, ...
    let mut ancestors = Vec::new();
    for (i, ch) in org_path.char_indices().skip(1) {
        if ch == '/' {
            ancestors.push(org_path[..=i].to_string());
        }
    }
    sea_query::Cond::any()
        .add(Expr::col(("role_grants", "scope_path")).eq(org_path))
        .add(
            sea_query::Cond::all()
                .add(Expr::col(("role_grants", "subtree")).eq(1))
                .add(Expr::col(("role_grants", "scope_path")).is_in(ancestors)),
        )
}

/// Ids of active users holding one of `roles` on a scope that covers
/// `org_path` (the organisation itself, or an ancestor with subtree).
pub async fn holders_covering(
    c: &mut DbConn,
    roles: &[String],
    org_path: &str,
) -> Result<Vec<String>, AppError> {
    if roles.is_empty() {
        return Ok(vec![]);
    }
    // Every ancestor path of org_path, itself included: `/a/`, `/a/b/`, ...
    let mut ancestors = Vec::new();
    for (i, ch) in org_path.char_indices().skip(1) {
        if ch == '/' {
            ancestors.push(org_path[..=i].to_string());
        }
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
        .cond_where(
            sea_query::Cond::any()
                .add(Expr::col(("role_grants", "scope_path")).eq(org_path))
                .add(
                    sea_query::Cond::all()
                        .add(Expr::col(("role_grants", "subtree")).eq(1))
                        .add(Expr::col(("role_grants", "scope_path")).is_in(ancestors)),
                ),
        )
        .order_by(("role_grants", "user_id"), Order::Asc)
        .to_owned();
    c.all(&q).await?.iter().map(|r| r.s("user_id")).collect()
}

/// The distinct organisations (id, path) on which an active user holds
/// `role`: where that role's periodic duties fall (the reviews of the
/// security and audit administrators of each level).
pub async fn scopes_of_role(c: &mut DbConn, role: &str) -> Result<Vec<(String, String)>, AppError> {
    let q = Query::select()
        .distinct()
        .column(("role_grants", "scope_org_id"))
        .column(("role_grants", "scope_path"))
        .from("role_grants")
        .inner_join(
            "users",
            Expr::col(("users", "id")).equals(("role_grants", "user_id")),
        )
        .and_where(Expr::col(("role_grants", "role")).eq(role))
        .and_where(Expr::col(("users", "status")).eq("active"))
        .order_by(("role_grants", "scope_path"), Order::Asc)
        .to_owned();
    c.all(&q)
        .await?
        .iter()
        .map(|r| Ok((r.s("scope_org_id")?, r.s("scope_path")?)))
        .collect()
}

/// A user's TOTP second factor (migration 16).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpRow {
    pub user_id: String,
    /// The active secret (base32), SM4-encrypted.
    pub secret_enc: Option<String>,
    /// A secret being enrolled, until confirmed with a code.
    pub pending_enc: Option<String>,
    pub enabled_at: Option<i64>,
    pub updated_at: i64,
}

pub async fn get_totp(c: &mut DbConn, user_id: &str) -> Result<Option<TotpRow>, AppError> {
    let q = Query::select()
        .columns([
            "user_id",
            "secret_enc",
            "pending_enc",
            "enabled_at",
            "updated_at",
        ])
        .from("user_totp")
        .and_where(Expr::col("user_id").eq(user_id))
        .to_owned();
    c.optional(&q)
        .await?
        .map(|r| {
            Ok(TotpRow {
                user_id: r.s("user_id")?,
                secret_enc: r.os("secret_enc")?,
                pending_enc: r.os("pending_enc")?,
                enabled_at: r.oi("enabled_at")?,
                updated_at: r.i("updated_at")?,
            })
        })
        .transpose()
}

/// Replaces a user's TOTP row.
pub async fn put_totp(c: &mut DbConn, t: &TotpRow) -> Result<(), AppError> {
    c.exec(
        &Query::delete()
            .from_table("user_totp")
            .and_where(Expr::col("user_id").eq(t.user_id.clone()))
            .to_owned(),
    )
    .await?;
    c.exec(
        &Query::insert()
            .into_table("user_totp")
            .columns([
                "user_id",
                "secret_enc",
                "pending_enc",
                "enabled_at",
                "updated_at",
            ])
            .values_panic([
                t.user_id.clone().into(),
                t.secret_enc.clone().into(),
                t.pending_enc.clone().into(),
                t.enabled_at.into(),
                t.updated_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}
