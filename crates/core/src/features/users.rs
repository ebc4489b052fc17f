//! Accounts: create, update, disable, reset password, list (system
//! administrator, within their level and below, `JSCZ-6`).

use serde::Serialize;
use yunwei_domain::crypto::{encrypt_field, hash_password};
use yunwei_domain::ids::new_id;
use yunwei_domain::mask::{mask_id_number, mask_phone};
use yunwei_domain::password::{birthday_from_id_number, generate_password, id_number_check_digit};
use yunwei_domain::roles::{three_admin_protection, AccountAct, Action, Role};
use yunwei_domain::{AppError, ErrorKind};
use yunwei_store::users::{self as store, UserRow};

pub use yunwei_store::users::UserFilter;
use yunwei_store::{in_tx, orgs, sessions, DbConn};

use crate::kernel::audit::{deny, record, Actor, Event};
use crate::{Authorized, Ctx, Platform, Principal};

/// A user as shown to administrators: personal fields masked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub org_id: String,
    pub org_path: String,
    pub status: String,
    pub must_change_password: bool,
    pub locked: bool,
    pub phone: Option<String>,
    pub id_number: Option<String>,
    pub builtin: bool,
    pub created_at: i64,
}

impl UserView {
    pub fn from_row(u: &UserRow, now_us: i64) -> Self {
        UserView {
            id: u.id.clone(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            org_id: u.org_id.clone(),
            org_path: u.org_path.clone(),
            status: u.status.clone(),
            must_change_password: u.must_change_password,
            locked: u.locked_until.is_some_and(|t| t > now_us),
            phone: u.phone_masked.clone(),
            id_number: u.id_number_masked.clone(),
            builtin: u.builtin,
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub org_id: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub id_number: Option<String>,
}

pub use crate::kernel::audit::require_reason;

pub fn validate_username(s: &str) -> Result<String, AppError> {
    let s = s.trim();
    let ok = (3..=32).contains(&s.len())
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if !ok {
        return Err(AppError::bad_request(
            "user.username_invalid",
            "用户名须为3到32位字母、数字、下划线、点或连字符，并以字母开头",
        ));
    }
    Ok(s.to_ascii_lowercase())
}

pub fn validate_display_name(s: &str) -> Result<String, AppError> {
    yunwei_domain::text::clean_name(s, 50).map_err(|e| e.error("user.display_name_invalid", "姓名"))
}

pub fn validate_phone(s: &str) -> Result<String, AppError> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let mobile = s.len() == 11 && s.starts_with('1') && s.chars().all(|c| c.is_ascii_digit());
    let landline = s.starts_with('0')
        && (10..=13).contains(&s.len())
        && s.chars().all(|c| c.is_ascii_digit() || c == '-');
    if !(mobile || landline) {
        return Err(AppError::bad_request(
            "user.phone_invalid",
            "手机号须为11位数字（或区号开头的固定电话）",
        ));
    }
    Ok(s)
}

/// 18-character resident ID number with a valid birthday and check digit
/// (GB 11643).
pub fn validate_id_number(s: &str) -> Result<String, AppError> {
    let s = s.trim().to_ascii_uppercase();
    let bad = || AppError::bad_request("user.id_number_invalid", "身份证号码格式或校验位不正确");
    let chars: Vec<char> = s.chars().collect();
    if chars.len() != 18 || !chars[..17].iter().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    if id_number_check_digit(&s[..17]) != Some(chars[17]) || birthday_from_id_number(&s).is_none() {
        return Err(bad());
    }
    Ok(s)
}

pub(crate) async fn load_in_scope<'a>(
    c: &mut DbConn,
    pr: &'a Principal,
    id: &str,
    action: Action,
) -> Result<(UserRow, Authorized<'a>), AppError> {
    let u = store::get(c, id)
        .await?
        .ok_or_else(|| AppError::not_found("用户"))?;
    // Objects outside the caller's scope are reported as absent.
    if !pr.scope_for(Action::UserView).contains(&u.org_path) && !pr.can(action, &u.org_path) {
        return Err(AppError::not_found("用户"));
    }
    let auth = pr.authorize(action, &u.org_path)?;
    Ok((u, auth))
}

/// 三员分立, checked inside the act's transaction with the account's row
/// locked (a concurrent grant locks it too, so a role granted meanwhile is
/// seen): the refusal to return, if `pr` may not do `act` to `target`.
/// The command line acts as the system and is not asked.
pub(crate) async fn three_admin_refusal(
    c: &mut DbConn,
    by: Option<&Principal>,
    target: &UserRow,
    act: AccountAct,
) -> Result<Option<AppError>, AppError> {
    let Some(pr) = by else {
        return Ok(None);
    };
    store::get_for_update(c, &target.id).await?;
    let held: Vec<Role> = store::grants_of(c, &target.id)
        .await?
        .iter()
        .filter_map(|g| Role::parse(&g.role))
        .collect();
    Ok(three_admin_protection(&pr.roles(), &held, act)
        .map(|(code, msg)| AppError::new(ErrorKind::Forbidden, code, msg)))
}

/// Who acts on an account: a user, checked inside the use case, or the
/// server's command line (`yunwei admin …`), audited as the system.
#[derive(Clone, Copy)]
pub(crate) enum By<'a> {
    User(&'a Principal),
    Server { org_path: &'a str },
}

impl<'a> By<'a> {
    /// The account `id` for the act, with the actor of its audit record:
    /// for a user, in their scope and with the proof of `action`.
    pub(crate) async fn load(
        self,
        c: &mut DbConn,
        id: &str,
        action: Action,
    ) -> Result<(UserRow, Actor<'a>), AppError> {
        Ok(match self {
            By::User(pr) => {
                let (u, auth) = load_in_scope(c, pr, id, action).await?;
                (u, Actor::User(auth))
            }
            By::Server { org_path } => (
                store::get(c, id)
                    .await?
                    .ok_or_else(|| AppError::not_found("用户"))?,
                Actor::System { org_path },
            ),
        })
    }

    /// The user, None for the command line.
    pub(crate) fn principal(self) -> Option<&'a Principal> {
        match self {
            By::User(pr) => Some(pr),
            By::Server { .. } => None,
        }
    }

    pub(crate) fn user_id(self) -> &'a str {
        match self {
            By::User(pr) => &pr.user_id,
            By::Server { .. } => "system",
        }
    }
}

/// The org path of account `id` (for an act on the server's command line).
pub(crate) async fn org_path_of(p: &Platform, id: &str) -> Result<String, AppError> {
    let mut c = p.db.read().await?;
    Ok(store::get(&mut c, id)
        .await?
        .ok_or_else(|| AppError::not_found("用户"))?
        .org_path)
}

/// The inner result of a transaction whose only inner error is a refusal
/// ([`three_admin_refusal`]): the refusal is recorded as `denied` (in its
/// own transaction, since the act's was not committed) and returned.
pub(crate) async fn audited<T>(
    p: &Platform,
    ctx: &Ctx,
    by: By<'_>,
    ev: Event,
    r: Result<T, AppError>,
) -> Result<T, AppError> {
    match (r, by) {
        (Err(e), By::User(pr)) => deny(p, ctx, pr, ev, e).await,
        (r, _) => r,
    }
}

fn encrypt_opt(p: &Platform, v: Option<&str>) -> Option<String> {
    v.map(|v| encrypt_field(p.crypto.as_ref(), &p.keys.field, v))
}

/// Creates an account with a generated initial password that must be
/// changed at first login; returns the user and that password (shown once).
pub async fn create(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    input: &NewUser,
) -> Result<(UserView, String), AppError> {
    let username = validate_username(&input.username)?;
    let display_name = validate_display_name(&input.display_name)?;
    let phone = input
        .phone
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(validate_phone)
        .transpose()?;
    let id_number = input
        .id_number
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(validate_id_number)
        .transpose()?;
    let password = generate_password(p.crypto.as_ref());
    let view = in_tx!(p.db, |c| {
        let org = orgs::get(&mut c, &input.org_id)
            .await?
            .ok_or_else(|| AppError::not_found("机构"))?;
        let auth = pr.authorize(Action::UserCreate, &org.path)?;
        let now = p.now_us();
        let hash = hash_password(p.crypto.as_ref(), &password, p.password_iterations);
        let row = UserRow {
            id: new_id(),
            username: username.clone(),
            display_name: display_name.clone(),
            org_id: org.id.clone(),
            org_path: org.path.clone(),
            password_hash: hash.clone(),
            must_change_password: true,
            status: "active".into(),
            failed_attempts: 0,
            locked_until: None,
            phone_enc: encrypt_opt(p, phone.as_deref()),
            phone_masked: phone.as_deref().map(mask_phone),
            id_number_enc: encrypt_opt(p, id_number.as_deref()),
            id_number_masked: id_number.as_deref().map(mask_id_number),
            builtin: false,
            created_at: now,
            updated_at: now,
            password_changed_at: now,
        };
        store::insert(&mut c, &row).await?;
        store::add_password_history(&mut c, &new_id(), &row.id, &hash, now).await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("user.create", "user", &row.id).after(format!(
                "用户名={username} 姓名={display_name} 机构={}",
                org.name
            )),
        )
        .await?;
        Ok(UserView::from_row(&row, now))
    })?;
    Ok((view, password))
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct UserUpdate {
    pub display_name: Option<String>,
    pub phone: Option<String>,
    pub id_number: Option<String>,
}

pub async fn update(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
    input: &UserUpdate,
) -> Result<UserView, AppError> {
    let display_name = input
        .display_name
        .as_deref()
        .map(validate_display_name)
        .transpose()?;
    let phone = input
        .phone
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(validate_phone)
        .transpose()?;
    let id_number = input
        .id_number
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(validate_id_number)
        .transpose()?;
    in_tx!(p.db, |c| {
        let (mut u, auth) = load_in_scope(&mut c, pr, id, Action::UserUpdate).await?;
        let before = format!(
            "姓名={} 电话={}",
            u.display_name,
            u.phone_masked.clone().unwrap_or_default()
        );
        if let Some(d) = &display_name {
            u.display_name = d.clone();
        }
        if let Some(ph) = &phone {
            u.phone_enc = encrypt_opt(p, Some(ph));
            u.phone_masked = Some(mask_phone(ph));
        }
        if let Some(idn) = &id_number {
            u.id_number_enc = encrypt_opt(p, Some(idn));
            u.id_number_masked = Some(mask_id_number(idn));
        }
        u.updated_at = p.now_us();
        store::update_profile(&mut c, &u).await?;
        let after = format!(
            "姓名={} 电话={}",
            u.display_name,
            u.phone_masked.clone().unwrap_or_default()
        );
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("user.update", "user", &u.id)
                .before(before)
                .after(after),
        )
        .await?;
        Ok(UserView::from_row(&u, p.now_us()))
    })
}

/// Disables (`enable = false`) or re-enables an account; disabling ends
/// its sessions. A reason is mandatory.
pub async fn set_enabled(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
    enable: bool,
    reason: &str,
) -> Result<UserView, AppError> {
    let reason = require_reason(reason)?;
    if id == pr.user_id {
        return Err(AppError::bad_request(
            "user.self_disable",
            "不能停用或启用自己的账号",
        ));
    }
    let r = in_tx!(p.db, |c| {
        let (u, auth) = load_in_scope(&mut c, pr, id, Action::UserDisable).await?;
        if !enable {
            if let Some(e) = three_admin_refusal(&mut c, Some(pr), &u, AccountAct::Disable).await? {
                return Ok(Err(e));
            }
        }
        let now = p.now_us();
        let status = if enable { "active" } else { "disabled" };
        store::set_status(&mut c, &u.id, status, now).await?;
        if enable {
            // Re-enabling also clears a lockout.
            store::set_login_state(&mut c, &u.id, 0, None).await?;
        } else {
            sessions::end_all_of(&mut c, &u.id, now, "account_disabled").await?;
        }
        let action = if enable {
            "user.enable"
        } else {
            "user.disable"
        };
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success(action, "user", &u.id)
                .before(u.status.clone())
                .after(status)
                .reason(reason.clone()),
        )
        .await?;
        let mut u = u;
        u.status = status.into();
        Ok(Ok(UserView::from_row(&u, now)))
    })?;
    let ev = Event::success("user.disable", "user", id).reason(reason);
    audited(p, ctx, By::User(pr), ev, r).await
}

/// Sets a generated password that must be changed at next login, ends the
/// user's sessions and clears any lockout; returns the new password once.
pub async fn reset_password(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
    reason: &str,
) -> Result<String, AppError> {
    reset(p, ctx, By::User(pr), id, reason).await
}

/// The password reset of the server's command line (`yunwei admin
/// reset-password`), audited as the system: how a 三员 account gets a new
/// password, since no other administrator may reset it (ADR 0009).
pub async fn reset_password_on_server(
    p: &Platform,
    ctx: &Ctx,
    id: &str,
    reason: &str,
) -> Result<String, AppError> {
    let org_path = org_path_of(p, id).await?;
    reset(
        p,
        ctx,
        By::Server {
            org_path: &org_path,
        },
        id,
        reason,
    )
    .await
}

async fn reset(
    p: &Platform,
    ctx: &Ctx,
    by: By<'_>,
    id: &str,
    reason: &str,
) -> Result<String, AppError> {
    let reason = require_reason(reason)?;
    let password = generate_password(p.crypto.as_ref());
    let r = in_tx!(p.db, |c| {
        let (u, actor) = by.load(&mut c, id, Action::UserResetPassword).await?;
        if let Some(e) =
            three_admin_refusal(&mut c, by.principal(), &u, AccountAct::ResetPassword).await?
        {
            return Ok(Err(e));
        }
        let now = p.now_us();
        let hash = hash_password(p.crypto.as_ref(), &password, p.password_iterations);
        store::set_password(&mut c, &u.id, &hash, true, now).await?;
        store::add_password_history(&mut c, &new_id(), &u.id, &hash, now).await?;
        let ended = sessions::end_all_of(&mut c, &u.id, now, "password_reset").await?;
        let revoked = sessions::revoke_all_tokens_of(&mut c, &u.id, now).await?;
        sessions::use_all_ukey_challenges(&mut c, &u.id, now).await?;
        record(
            p,
            &mut c,
            ctx,
            actor,
            Event::success("user.password_reset", "user", &u.id)
                .after(format!(
                    "{}：结束会话 {ended} 个，吊销接口令牌 {revoked} 个",
                    u.username
                ))
                .reason(reason.clone()),
        )
        .await?;
        Ok(Ok(()))
    })?;
    let ev = Event::success("user.password_reset", "user", id).reason(reason);
    audited(p, ctx, by, ev, r).await?;
    Ok(password)
}

pub async fn get(p: &Platform, pr: &Principal, id: &str) -> Result<UserView, AppError> {
    let mut c = p.db.read().await?;
    let u = store::get(&mut c, id)
        .await?
        .ok_or_else(|| AppError::not_found("用户"))?;
    if !pr.can(Action::UserView, &u.org_path) && u.id != pr.user_id {
        return Err(AppError::not_found("用户"));
    }
    Ok(UserView::from_row(&u, p.now_us()))
}

pub struct UserPage {
    pub users: Vec<UserView>,
    pub total: i64,
}

/// Whether `pr` may open the user list of the organisation at
/// `org_path` (the link 查看用户 is shown only then).
pub fn may_list_users_of(pr: &Principal, org_path: &str) -> bool {
    pr.can(Action::UserView, org_path)
}

pub async fn list(
    p: &Platform,
    pr: &Principal,
    f: &UserFilter,
    page: u64,
    per_page: u64,
) -> Result<UserPage, AppError> {
    let scope = pr.scope_for(Action::UserView);
    if scope.is_empty() {
        return Err(AppError::forbidden("无权查看用户"));
    }
    let per_page = per_page.clamp(1, 200);
    let mut c = p.db.read().await?;
    let (rows, total) = store::list(
        &mut c,
        &scope,
        f,
        page.saturating_sub(1) * per_page,
        per_page,
    )
    .await?;
    let now = p.now_us();
    Ok(UserPage {
        users: rows.iter().map(|u| UserView::from_row(u, now)).collect(),
        total,
    })
}

/// All users matching the filter as .xlsx (personal fields masked), marked
/// with the exporter's name; the export is audited with its reason.
pub async fn export(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    f: &UserFilter,
    reason: &str,
) -> Result<Vec<u8>, AppError> {
    let reason = require_reason(reason)?;
    let page = list_all(p, pr, f).await?;
    let auth = pr.authorize_somewhere(Action::UserView)?;
    // 机构路径 by names (province / city / ...), never by ids.
    let mut names: std::collections::HashMap<String, String> = Default::default();
    let mut paths: Vec<String> = Vec::with_capacity(page.len());
    {
        let mut c = p.db.read().await?;
        for u in &page {
            let mut parts = vec![];
            for id in u.org_path.split('/').filter(|s| !s.is_empty()) {
                if !names.contains_key(id) {
                    let name = orgs::get(&mut c, id)
                        .await?
                        .map(|o| o.name)
                        .unwrap_or_default();
                    names.insert(id.to_string(), name);
                }
                parts.push(names[id].clone());
            }
            paths.push(parts.join(" / "));
        }
    }
    let rows: Vec<Vec<String>> = page
        .iter()
        .zip(paths)
        .map(|(u, path)| {
            vec![
                u.username.clone(),
                u.display_name.clone(),
                path,
                if u.status == "active" {
                    "正常".into()
                } else {
                    "停用".into()
                },
                u.phone.clone().unwrap_or_default(),
                u.id_number.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let bytes = crate::kernel::export::table_xlsx(
        "用户",
        &pr.display_name,
        p.clock.now(),
        &["用户名", "姓名", "机构路径", "状态", "电话", "身份证号"],
        &rows,
    )?;
    crate::kernel::audit::audit_export(
        p,
        ctx,
        auth,
        "user.export",
        "user",
        format!("导出 {} 个用户", rows.len()),
        &reason,
    )
    .await?;
    Ok(bytes)
}

async fn list_all(p: &Platform, pr: &Principal, f: &UserFilter) -> Result<Vec<UserView>, AppError> {
    let scope = pr.scope_for(Action::UserView);
    if scope.is_empty() {
        return Err(AppError::forbidden("无权查看用户"));
    }
    let mut c = p.db.read().await?;
    let (rows, _) = store::list(&mut c, &scope, f, 0, 50_000).await?;
    let now = p.now_us();
    Ok(rows.iter().map(|u| UserView::from_row(u, now)).collect())
}

/// Inserts a user and its first password-history entry without permission
/// checks (bootstrap, demo data); the caller audits.
#[allow(clippy::too_many_arguments)]
pub async fn insert_unchecked(
    p: &Platform,
    c: &mut DbConn,
    org: &yunwei_store::orgs::OrgRow,
    username: &str,
    display_name: &str,
    password: &str,
    phone: Option<&str>,
    id_number: Option<&str>,
    builtin: bool,
) -> Result<UserRow, AppError> {
    let now = p.now_us();
    let hash = hash_password(p.crypto.as_ref(), password, p.password_iterations);
    let row = UserRow {
        id: new_id(),
        username: username.into(),
        display_name: display_name.into(),
        org_id: org.id.clone(),
        org_path: org.path.clone(),
        password_hash: hash.clone(),
        must_change_password: true,
        status: "active".into(),
        failed_attempts: 0,
        locked_until: None,
        phone_enc: encrypt_opt(p, phone),
        phone_masked: phone.map(mask_phone),
        id_number_enc: encrypt_opt(p, id_number),
        id_number_masked: id_number.map(mask_id_number),
        builtin,
        created_at: now,
        updated_at: now,
        password_changed_at: now,
    };
    store::insert(c, &row).await?;
    store::add_password_history(c, &new_id(), &row.id, &hash, now).await?;
    Ok(row)
}

/// Grants a role without permission checks (bootstrap, demo data).
pub async fn grant_unchecked(
    p: &Platform,
    c: &mut DbConn,
    user: &UserRow,
    role: yunwei_domain::roles::Role,
    scope: &yunwei_store::orgs::OrgRow,
    subtree: bool,
) -> Result<(), AppError> {
    store::insert_grant(
        c,
        &store::GrantRow {
            id: new_id(),
            user_id: user.id.clone(),
            role: role.as_str().into(),
            scope_org_id: scope.id.clone(),
            scope_path: scope.path.clone(),
            subtree,
            granted_by: "system".into(),
            created_at: p.now_us(),
            valid_until: None,
        },
    )
    .await
}

/// A user's display name, empty when there is none. For labelling a user
/// named by something the caller already read through a checked use case
/// (the uploader of a document version).
pub async fn display_name_of(p: &Platform, id: &str) -> Result<String, AppError> {
    let mut c = p.db.read().await?;
    Ok(store::get(&mut c, id)
        .await?
        .map(|u| u.display_name)
        .unwrap_or_default())
}

/// The id of the account with this username, for a list filter (who a
/// ticket is assigned to); None when there is none. It only narrows a
/// list: the list's own scope still applies.
pub async fn id_by_username(p: &Platform, username: &str) -> Result<Option<String>, AppError> {
    let mut c = p.db.read().await?;
    Ok(store::by_username(&mut c, username).await?.map(|u| u.id))
}

/// The account named `username`, unscoped: for the server's own command
/// line (`yunwei admin …`), whose operator holds the server, not a role.
pub async fn by_username_on_server(
    p: &Platform,
    username: &str,
) -> Result<Option<UserRow>, AppError> {
    let mut c = p.db.read().await?;
    store::by_username(&mut c, username).await
}
