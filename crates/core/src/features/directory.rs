//! Directory login (LDAP / Active Directory, issue 17, ADR 0021): the
//! client that finds a user with the service account and checks their
//! password by binding as them, the local account the directory creates
//! and keeps in step (name, organisation, phone, mapped roles), and the
//! system administrator's connection test.
//!
//! `auth` decides when the directory is asked: only for a name with no
//! local account or with an account the directory created. A local
//! account (the 三员, the break-glass administrator, anyone created by
//! hand) never authenticates against the directory.

use std::sync::Arc;
use std::time::Duration;

use ldap3::{LdapConnAsync, LdapConnSettings, LdapError, Scope, SearchEntry};
use serde::Serialize;
use yunwei_domain::crypto::encrypt_field;
use yunwei_domain::directory::{DirectoryConfig, Transport};
use yunwei_domain::ids::new_id;
use yunwei_domain::mask::mask_phone;
use yunwei_domain::roles::{grant_conflict, Action, Role};
use yunwei_domain::{AppError, ErrorKind};
use yunwei_store::directory as dstore;
use yunwei_store::orgs::{self, OrgRow};
use yunwei_store::users::{self as ustore, GrantRow, UserRow};
use yunwei_store::{in_tx, DbConn};

use crate::features::users::{validate_display_name, validate_phone, validate_username};
use crate::kernel::audit::{record, record_alone, root_path, Actor, Event};
use crate::{Ctx, Platform, Principal};

/// The password hash of an account the directory created: not a hash, so
/// no local password ever matches it.
pub const NO_LOCAL_PASSWORD: &str = "directory";
/// `granted_by` of a grant a directory group gave.
const GRANTED_BY_DIRECTORY: &str = "directory";
/// Where the system's CA certificates are on Debian (when no `ca_file`).
const SYSTEM_CA_FILE: &str = "/etc/ssl/certs/ca-certificates.crt";
/// Most groups read for one user.
const MAX_GROUPS: usize = 1_000;

/// What went wrong talking to the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectoryError {
    /// The CA file cannot be read or holds no certificate.
    CaFile(String),
    /// No connection (refused, unreachable, timed out).
    Connect(String),
    /// The TLS handshake failed (untrusted or wrong certificate).
    Tls(String),
    /// The service account's bind was refused.
    ServiceBind(String),
    /// A search failed (wrong base DN, filter refused).
    Search(String),
    /// The user filter matched more than one entry.
    Ambiguous,
}

impl DirectoryError {
    /// What the system administrator reads (no internal detail).
    pub fn message(&self) -> &'static str {
        match self {
            DirectoryError::CaFile(_) => "无法读取目录服务的 CA 证书文件（ldap.ca_file）",
            DirectoryError::Connect(_) => "无法连接目录服务器：请检查 ldap.url、网络和目录服务是否运行",
            DirectoryError::Tls(_) => {
                "无法与目录服务器建立加密连接：服务器证书不受信任或与地址不符（请检查 ldap.ca_file）"
            }
            DirectoryError::ServiceBind(_) => {
                "服务账号绑定失败：请检查 ldap.bind_dn 和服务账号密码"
            }
            DirectoryError::Search(_) => "目录查询失败：请检查 ldap.base_dn 和过滤条件",
            DirectoryError::Ambiguous => "目录中有多个条目符合用户过滤条件，请检查 ldap.user_filter",
        }
    }

    fn detail(&self) -> &str {
        match self {
            DirectoryError::CaFile(d)
            | DirectoryError::Connect(d)
            | DirectoryError::Tls(d)
            | DirectoryError::ServiceBind(d)
            | DirectoryError::Search(d) => d,
            DirectoryError::Ambiguous => "",
        }
    }

    fn from_ldap(e: LdapError) -> DirectoryError {
        match &e {
            LdapError::Rustls { .. } | LdapError::DNSName { .. } => {
                DirectoryError::Tls(e.to_string())
            }
            LdapError::Io { source }
                if source
                    .get_ref()
                    .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some()) =>
            {
                DirectoryError::Tls(e.to_string())
            }
            _ => DirectoryError::Connect(e.to_string()),
        }
    }
}

/// The error a login shows when the directory cannot answer.
pub(crate) fn unavailable() -> AppError {
    AppError::new(
        ErrorKind::Unauthorized,
        "auth.directory_unavailable",
        "目录服务暂时无法连接，请稍后再试或联系系统管理员",
    )
}

/// A user's entry in the directory, as a login needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryEntry {
    pub dn: String,
    pub display_name: String,
    pub phone: Option<String>,
    /// The value of `org_attr`.
    pub org_value: Option<String>,
    /// The entry matches `disabled_filter`.
    pub disabled: bool,
    /// The DNs of the user's groups.
    pub groups: Vec<String>,
}

fn tls_config(cfg: &DirectoryConfig) -> Result<Arc<rustls::ClientConfig>, DirectoryError> {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::CertificateDer;
    let path = cfg.ca_file.clone().unwrap_or_else(|| SYSTEM_CA_FILE.into());
    let mut roots = rustls::RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(&path)
        .map_err(|e| DirectoryError::CaFile(format!("{}: {e}", path.display())))?;
    for cert in certs {
        let cert = cert.map_err(|e| DirectoryError::CaFile(format!("{}: {e}", path.display())))?;
        // A system bundle may hold a certificate rustls cannot use; the
        // others still count.
        let _ = roots.add(cert);
    }
    if roots.is_empty() {
        return Err(DirectoryError::CaFile(format!(
            "{}: no certificate",
            path.display()
        )));
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| DirectoryError::Tls(e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}

/// An open connection, TLS as configured.
async fn connect(cfg: &DirectoryConfig) -> Result<ldap3::Ldap, DirectoryError> {
    let mut settings =
        LdapConnSettings::new().set_conn_timeout(Duration::from_secs(cfg.timeout_seconds));
    match cfg.transport() {
        Transport::Plain => {}
        Transport::Ldaps => settings = settings.set_config(tls_config(cfg)?),
        Transport::StartTls => {
            settings = settings.set_config(tls_config(cfg)?).set_starttls(true);
        }
    }
    let (conn, ldap) = LdapConnAsync::with_settings(settings, cfg.url.trim())
        .await
        .map_err(DirectoryError::from_ldap)?;
    ldap3::drive!(conn);
    Ok(ldap)
}

/// Bounds a whole exchange with the directory by the configured timeout.
async fn bounded<T>(
    cfg: &DirectoryConfig,
    f: impl std::future::Future<Output = Result<T, DirectoryError>>,
) -> Result<T, DirectoryError> {
    // Connect, bind and up to three searches.
    let limit = Duration::from_secs(cfg.timeout_seconds.saturating_mul(3));
    tokio::time::timeout(limit, f)
        .await
        .unwrap_or_else(|_| Err(DirectoryError::Connect("timed out".into())))
}

async fn service_bind(ldap: &mut ldap3::Ldap, cfg: &DirectoryConfig) -> Result<(), DirectoryError> {
    // An empty password would be an anonymous bind (RFC 4513 5.1.2).
    if cfg.bind_password.is_empty() {
        return Err(DirectoryError::ServiceBind("empty password".into()));
    }
    let res = ldap
        .simple_bind(&cfg.bind_dn, &cfg.bind_password)
        .await
        .map_err(DirectoryError::from_ldap)?;
    if res.rc != 0 {
        return Err(DirectoryError::ServiceBind(format!(
            "rc={} {}",
            res.rc, res.text
        )));
    }
    Ok(())
}

fn first_attr(e: &SearchEntry, name: &str) -> Option<String> {
    e.attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.first())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

async fn search_dns(
    ldap: &mut ldap3::Ldap,
    base: &str,
    scope: Scope,
    filter: &str,
) -> Result<Vec<String>, DirectoryError> {
    let (rows, _) = ldap
        .search(base, scope, filter, vec!["1.1"])
        .await
        .map_err(DirectoryError::from_ldap)?
        .success()
        .map_err(|e| DirectoryError::Search(e.to_string()))?;
    Ok(rows
        .into_iter()
        .take(MAX_GROUPS)
        .map(|r| SearchEntry::construct(r).dn)
        .collect())
}

/// Finds `username` with the service account: its entry, whether it is
/// disabled, and its groups; `None` when the directory has no such user.
pub async fn find_user(
    cfg: &DirectoryConfig,
    username: &str,
) -> Result<Option<DirectoryEntry>, DirectoryError> {
    bounded(cfg, async {
        let mut ldap = connect(cfg).await?;
        service_bind(&mut ldap, cfg).await?;
        let attrs = vec![
            cfg.display_name_attr.as_str(),
            "cn",
            cfg.phone_attr.as_str(),
            cfg.org_attr.as_str(),
        ];
        let (rows, _) = ldap
            .search(
                &cfg.base_dn,
                Scope::Subtree,
                &cfg.user_filter_for(username),
                attrs,
            )
            .await
            .map_err(DirectoryError::from_ldap)?
            .success()
            .map_err(|e| DirectoryError::Search(e.to_string()))?;
        if rows.len() > 1 {
            return Err(DirectoryError::Ambiguous);
        }
        let Some(row) = rows.into_iter().next() else {
            let _ = ldap.unbind().await;
            return Ok(None);
        };
        let e = SearchEntry::construct(row);
        let disabled = match &cfg.disabled_filter {
            Some(f) => !search_dns(&mut ldap, &e.dn, Scope::Base, f.trim())
                .await?
                .is_empty(),
            None => false,
        };
        let group_base = cfg.group_base_dn.as_deref().unwrap_or(&cfg.base_dn);
        let groups = search_dns(
            &mut ldap,
            group_base,
            Scope::Subtree,
            &cfg.group_filter_for(&e.dn),
        )
        .await?;
        let _ = ldap.unbind().await;
        Ok(Some(DirectoryEntry {
            display_name: first_attr(&e, &cfg.display_name_attr)
                .or_else(|| first_attr(&e, "cn"))
                .unwrap_or_else(|| username.to_string()),
            phone: first_attr(&e, &cfg.phone_attr),
            org_value: first_attr(&e, &cfg.org_attr),
            dn: e.dn,
            disabled,
            groups,
        }))
    })
    .await
}

/// Whether the directory accepts `password` for the entry at `dn` (a bind
/// as the user). An empty password is never sent: it would be an
/// anonymous bind that succeeds.
pub async fn check_password(
    cfg: &DirectoryConfig,
    dn: &str,
    password: &str,
) -> Result<bool, DirectoryError> {
    if password.is_empty() || dn.is_empty() {
        return Ok(false);
    }
    bounded(cfg, async {
        let mut ldap = connect(cfg).await?;
        let res = ldap
            .simple_bind(dn, password)
            .await
            .map_err(DirectoryError::from_ldap)?;
        let _ = ldap.unbind().await;
        // 49 invalidCredentials (AD adds the reason in the text: expired,
        // disabled, locked); 53 unwillingToPerform (a policy refusal).
        match res.rc {
            0 => Ok(true),
            49 | 53 => Ok(false),
            rc => Err(DirectoryError::Search(format!("bind rc={rc} {}", res.text))),
        }
    })
    .await
}

/// Whether `user_id` is an account the directory created and logs in.
pub(crate) async fn is_directory_account(c: &mut DbConn, user_id: &str) -> Result<bool, AppError> {
    dstore::is_directory_account(c, user_id).await
}

fn org_unknown(name: &str) -> AppError {
    AppError::new(
        ErrorKind::Forbidden,
        "auth.directory_org_unknown",
        format!("目录账号所属机构「{name}」在平台中不存在，请联系系统管理员"),
    )
}

/// The platform organisation of a directory entry: its `org_attr` value
/// (mapped by `org_map`), else `default_org`.
async fn org_of(
    c: &mut DbConn,
    cfg: &DirectoryConfig,
    entry: &DirectoryEntry,
) -> Result<OrgRow, AppError> {
    let named = cfg.org_name_for(entry.org_value.as_deref());
    if let Some(name) = &named {
        if let Some(org) = orgs::by_name(c, name).await? {
            return Ok(org);
        }
    }
    if let Some(name) = &cfg.default_org {
        return orgs::by_name(c, name)
            .await?
            .ok_or_else(|| org_unknown(name));
    }
    Err(org_unknown(named.as_deref().unwrap_or("（未填写）")))
}

fn shown_name(entry: &DirectoryEntry, username: &str) -> String {
    validate_display_name(&entry.display_name).unwrap_or_else(|_| username.to_string())
}

fn shown_phone(entry: &DirectoryEntry) -> Option<String> {
    entry.phone.as_deref().and_then(|p| validate_phone(p).ok())
}

/// Creates the local account of a directory user at their first login,
/// audited in the same transaction; the account a concurrent first login
/// created when there is one. It has no usable local password and no
/// roles until [`sync`] gives the mapped ones after the directory accepted
/// the password; creating it first lets the lockout count this attempt.
pub(crate) async fn provision(
    p: &Platform,
    ctx: &Ctx,
    cfg: &DirectoryConfig,
    username: &str,
    entry: &DirectoryEntry,
) -> Result<UserRow, AppError> {
    let username = validate_username(username)?;
    let display_name = shown_name(entry, &username);
    let phone = shown_phone(entry);
    let made = in_tx!(p.db, |c| {
        if let Some(existing) = ustore::by_username(&mut c, &username).await? {
            // A local account made meanwhile stays local.
            if !dstore::is_directory_account(&mut c, &existing.id).await? {
                return Err(AppError::new(
                    ErrorKind::Unauthorized,
                    "auth.invalid",
                    "用户名或密码错误",
                ));
            }
            return Ok(existing);
        }
        let org = org_of(&mut c, cfg, entry).await?;
        let now = p.now_us();
        let row = UserRow {
            id: new_id(),
            username: username.clone(),
            display_name: display_name.clone(),
            org_id: org.id.clone(),
            org_path: org.path.clone(),
            password_hash: NO_LOCAL_PASSWORD.into(),
            must_change_password: false,
            status: "active".into(),
            failed_attempts: 0,
            locked_until: None,
            phone_enc: phone
                .as_deref()
                .map(|v| encrypt_field(p.crypto.as_ref(), &p.keys.field, v)),
            phone_masked: phone.as_deref().map(mask_phone),
            id_number_enc: None,
            id_number_masked: None,
            builtin: false,
            created_at: now,
            updated_at: now,
            password_changed_at: now,
        };
        ustore::insert(&mut c, &row).await?;
        dstore::insert_account(&mut c, &row.id, &entry.dn, now).await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::System {
                org_path: &org.path,
            },
            Event::success("directory.account_create", "user", &row.id).after(format!(
                "用户名={username} 姓名={display_name} 机构={} 目录条目={}",
                org.name, entry.dn
            )),
        )
        .await?;
        Ok(row)
    });
    match made {
        // A parallel first login of the same user made the account first
        // (the username is unique): that account is this login's.
        Err(e) if e.kind == ErrorKind::Conflict => {
            let mut c = p.db.read().await?;
            match ustore::by_username(&mut c, &username).await? {
                Some(u) if dstore::is_directory_account(&mut c, &u.id).await? => Ok(u),
                _ => Err(e),
            }
        }
        other => other,
    }
}

/// Brings a directory account in step with its entry at a login the
/// directory accepted: name, phone (SM4 at rest), organisation, and the
/// roles its groups map to (a membership gone takes its role away; a role
/// a security administrator granted by hand is left alone). Audited in the
/// same transaction when anything changed. Returns the account as now.
pub(crate) async fn sync(
    p: &Platform,
    ctx: &Ctx,
    cfg: &DirectoryConfig,
    user: &UserRow,
    entry: &DirectoryEntry,
) -> Result<UserRow, AppError> {
    let display_name = shown_name(entry, &user.username);
    let phone = shown_phone(entry);
    let member_of = |group: &str| {
        let g = normalise_dn(group);
        entry.groups.iter().any(|m| normalise_dn(m) == g)
    };
    in_tx!(p.db, |c| {
        let now = p.now_us();
        let mut current = ustore::get_for_update(&mut c, &user.id)
            .await?
            .ok_or_else(AppError::internal)?;
        let mut notes: Vec<String> = vec![];
        let org = org_of(&mut c, cfg, entry).await?;
        if org.id != current.org_id {
            dstore::set_user_org(&mut c, &current.id, &org.id, &org.path, now).await?;
            notes.push(format!("机构改为{}", org.name));
            current.org_id = org.id.clone();
            current.org_path = org.path.clone();
        }
        let old_phone = current.phone_enc.as_deref().and_then(|v| {
            yunwei_domain::crypto::decrypt_field(p.crypto.as_ref(), &p.keys.field, v).ok()
        });
        if display_name != current.display_name || phone != old_phone {
            if display_name != current.display_name {
                notes.push(format!("姓名改为{display_name}"));
            }
            if phone != old_phone {
                notes.push("电话已更新".into());
            }
            current.display_name = display_name.clone();
            current.phone_enc = phone
                .as_deref()
                .map(|v| encrypt_field(p.crypto.as_ref(), &p.keys.field, v));
            current.phone_masked = phone.as_deref().map(mask_phone);
            current.updated_at = now;
            ustore::update_profile(&mut c, &current).await?;
        }
        // The grants the groups give now: (role, organisation, subtree, group).
        let mut wanted: Vec<(Role, OrgRow, bool, String)> = vec![];
        for m in cfg.role_map.iter().filter(|m| member_of(&m.group)) {
            let Ok(role) = DirectoryConfig::mapped_role(m) else {
                continue;
            };
            match orgs::by_name(&mut c, m.org.trim()).await? {
                Some(o) => {
                    wanted.push((role, o, m.subtree || role.is_three_admin(), m.group.clone()))
                }
                None => tracing::warn!(org = %m.org, "ldap.role_map names an unknown organisation"),
            }
        }
        let existing = ustore::grants_of(&mut c, &current.id).await?;
        for tracked in dstore::grants_of(&mut c, &current.id).await? {
            let grant = existing.iter().find(|g| g.id == tracked.grant_id);
            let keep = grant.is_some_and(|g| {
                wanted
                    .iter()
                    .any(|(r, o, _, _)| r.as_str() == g.role && o.id == g.scope_org_id)
            });
            if let (Some(g), false) = (grant, keep) {
                ustore::delete_grant(&mut c, &g.id).await?;
                let org_name = orgs::get(&mut c, &g.scope_org_id)
                    .await?
                    .map(|o| o.name)
                    .unwrap_or_default();
                notes.push(format!(
                    "收回{}（{}，已不在目录组 {}）",
                    Role::parse(&g.role).map(|r| r.label()).unwrap_or(""),
                    org_name,
                    tracked.group_dn
                ));
            }
            if !keep {
                dstore::delete_grant(&mut c, &tracked.grant_id).await?;
            }
        }
        let mut held: Vec<Role> = ustore::grants_of(&mut c, &current.id)
            .await?
            .iter()
            .filter_map(|g| Role::parse(&g.role))
            .collect();
        let held_rows = ustore::grants_of(&mut c, &current.id).await?;
        for (role, org, subtree, group) in &wanted {
            if held_rows
                .iter()
                .any(|g| g.role == role.as_str() && g.scope_org_id == org.id)
            {
                continue;
            }
            if let Some((_, msg)) = grant_conflict(&held, *role, false) {
                notes.push(format!("未授予{}（{}）：{msg}", role.label(), org.name));
                continue;
            }
            let g = GrantRow {
                id: new_id(),
                user_id: current.id.clone(),
                role: role.as_str().into(),
                scope_org_id: org.id.clone(),
                scope_path: org.path.clone(),
                subtree: *subtree,
                granted_by: GRANTED_BY_DIRECTORY.into(),
                created_at: now,
                valid_until: None,
            };
            ustore::insert_grant(&mut c, &g).await?;
            dstore::insert_grant(&mut c, &g.id, &current.id, group, now).await?;
            held.push(*role);
            notes.push(format!(
                "授予{}（{}，目录组 {group}）",
                role.label(),
                org.name
            ));
        }
        dstore::mark_synced(&mut c, &current.id, &entry.dn, now).await?;
        if !notes.is_empty() {
            record(
                p,
                &mut c,
                ctx,
                Actor::System {
                    org_path: &current.org_path,
                },
                Event::success("directory.sync", "user", &current.id).after(notes.join("；")),
            )
            .await?;
        }
        Ok(current)
    })
}

/// A DN compared loosely: case and spaces after commas do not matter.
fn normalise_dn(dn: &str) -> String {
    dn.split(',')
        .map(|part| part.trim().to_lowercase())
        .collect::<Vec<_>>()
        .join(",")
}

/// The `[ldap]` settings as the system administrator's page shows them
/// (the service account's password masked).
#[derive(Debug, Clone, Serialize)]
pub struct DirectorySettingsView {
    pub rows: Vec<(&'static str, String)>,
    /// (group DN, organisation, role label, subtree)
    pub role_map: Vec<(String, String, &'static str, bool)>,
}

/// Whether the caller may test the directory connection: a system
/// administrator of the whole installation (the configuration is the
/// installation's).
async fn authorize_test<'a>(
    p: &Platform,
    pr: &'a Principal,
) -> Result<crate::Authorized<'a>, AppError> {
    let root = root_path(&mut p.db.read().await?).await?;
    pr.authorize(Action::ConfigEdit, &root)
}

/// Whether the caller may see and test the directory settings.
pub async fn may_test(p: &Platform, pr: &Principal) -> Result<bool, AppError> {
    Ok(authorize_test(p, pr).await.is_ok())
}

/// The directory settings for the system administrator; `None` when no
/// directory is configured.
pub async fn settings_view(
    p: &Platform,
    pr: &Principal,
) -> Result<Option<DirectorySettingsView>, AppError> {
    authorize_test(p, pr).await?;
    let Some(cfg) = p.directory.as_deref() else {
        return Ok(None);
    };
    let mut rows = vec![
        ("目录服务器", cfg.url.clone()),
        ("连接加密", cfg.transport().label().to_string()),
        (
            "CA 证书文件",
            cfg.ca_file
                .as_ref()
                .map(|f| f.display().to_string())
                .unwrap_or_else(|| format!("系统证书（{SYSTEM_CA_FILE}）")),
        ),
        ("服务账号", cfg.bind_dn.clone()),
        (
            "服务账号密码",
            if cfg.bind_password.is_empty() {
                "（未设置）".into()
            } else {
                "******".into()
            },
        ),
        ("用户搜索起点", cfg.base_dn.clone()),
        ("用户过滤条件", cfg.user_filter.clone()),
        (
            "停用账号过滤条件",
            cfg.disabled_filter
                .clone()
                .unwrap_or_else(|| "（未设置）".into()),
        ),
        (
            "组搜索起点",
            cfg.group_base_dn
                .clone()
                .unwrap_or_else(|| cfg.base_dn.clone()),
        ),
        ("组过滤条件", cfg.group_filter.clone()),
        ("机构属性", cfg.org_attr.clone()),
        (
            "默认机构",
            cfg.default_org
                .clone()
                .unwrap_or_else(|| "（未设置）".into()),
        ),
    ];
    rows.push(("超时（秒）", cfg.timeout_seconds.to_string()));
    let role_map = cfg
        .role_map
        .iter()
        .map(|m| {
            (
                m.group.clone(),
                m.org.clone(),
                Role::parse(&m.role).map(|r| r.label()).unwrap_or(""),
                m.subtree,
            )
        })
        .collect();
    Ok(Some(DirectorySettingsView { rows, role_map }))
}

/// The outcome of a connection test, in Chinese.
#[derive(Debug, Clone, Serialize)]
pub struct DirectoryTestReport {
    pub ok: bool,
    pub message: String,
    pub details: Vec<String>,
}

/// The system administrator's test: connect, bind with the service
/// account and, with `username`, find that user and show what a login
/// would give them. Audited; never changes an account.
pub async fn test_connection(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    username: &str,
) -> Result<DirectoryTestReport, AppError> {
    let auth = authorize_test(p, pr).await?;
    let Some(cfg) = p.directory.clone() else {
        return Err(AppError::bad_request(
            "directory.not_configured",
            "未配置目录服务：请在 yunwei.toml 的 [ldap] 中配置后重启服务",
        ));
    };
    let username = username.trim().to_ascii_lowercase();
    if username.chars().count() > 64 {
        return Err(AppError::bad_request(
            "directory.username_invalid",
            "用户名过长",
        ));
    }
    let outcome = if username.is_empty() {
        bounded(&cfg, async {
            let mut ldap = connect(&cfg).await?;
            service_bind(&mut ldap, &cfg).await?;
            let _ = ldap.unbind().await;
            Ok(None)
        })
        .await
    } else {
        find_user(&cfg, &username).await.map(Some)
    };
    let report = match outcome {
        Err(e) => {
            tracing::warn!(error = %e.detail(), "directory test failed");
            DirectoryTestReport {
                ok: false,
                message: e.message().to_string(),
                details: vec![],
            }
        }
        Ok(None) => DirectoryTestReport {
            ok: true,
            message: format!(
                "连接成功：已通过{}连接目录服务器，服务账号绑定成功",
                cfg.transport().label()
            ),
            details: vec![],
        },
        Ok(Some(None)) => DirectoryTestReport {
            ok: false,
            message: format!("服务账号绑定成功，但目录中未找到用户「{username}」"),
            details: vec![],
        },
        Ok(Some(Some(entry))) => {
            let mut details = vec![
                format!("目录条目：{}", entry.dn),
                format!("姓名：{}", entry.display_name),
                format!(
                    "机构：{}",
                    cfg.org_name_for(entry.org_value.as_deref())
                        .or_else(|| cfg.default_org.clone())
                        .unwrap_or_else(|| "（未填写）".into())
                ),
                format!("所属目录组 {} 个", entry.groups.len()),
            ];
            for m in &cfg.role_map {
                if entry
                    .groups
                    .iter()
                    .any(|g| normalise_dn(g) == normalise_dn(&m.group))
                {
                    details.push(format!(
                        "映射角色：{}（{}）",
                        Role::parse(&m.role).map(|r| r.label()).unwrap_or(""),
                        m.org
                    ));
                }
            }
            if entry.disabled {
                details.push("该目录账号已停用，不能登录".into());
            }
            DirectoryTestReport {
                ok: true,
                message: format!("连接成功：已找到用户「{username}」"),
                details,
            }
        }
    };
    let ev = Event::success("directory.test", "directory", "")
        .with_result(if report.ok { "success" } else { "failure" })
        .after(if username.is_empty() {
            report.message.clone()
        } else {
            format!("{}（查找用户 {username}）", report.message)
        });
    record_alone(p, ctx, Actor::User(auth), ev).await?;
    Ok(report)
}
