//! First start: the top-level organisation and the three built-in
//! administrators (三员), whose initial password comes from
//! `YUNWEI_ADMIN_PASSWORD` or is generated and printed once; and the
//! built-in holiday data of the working-day calendar.

use yunwei_domain::org::OrgKind;
use yunwei_domain::password::generate_password;
use yunwei_domain::roles::Role;
use yunwei_domain::AppError;
use yunwei_store::orgs::{self, OrgRow};
use yunwei_store::{in_tx, users as ustore};

use crate::kernel::audit::{record, Actor, Event};
use crate::{Ctx, Platform};

pub const BUILTIN_ADMINS: [(&str, &str, Role); 3] = [
    ("sysadmin", "系统管理员", Role::SysAdmin),
    ("secadmin", "安全管理员", Role::SecAdmin),
    ("audadmin", "审计管理员", Role::AudAdmin),
];

pub struct CreatedAdmin {
    pub username: &'static str,
    pub role: Role,
    /// Set when the password was generated here and must be shown once.
    pub generated_password: Option<String>,
}

pub struct Bootstrap {
    pub root: OrgRow,
    pub created: Vec<CreatedAdmin>,
}

/// Creates what is missing; running it again changes nothing.
pub async fn ensure(
    p: &Platform,
    root_name: &str,
    admin_password: Option<&str>,
) -> Result<Bootstrap, AppError> {
    if let Some(pw) = admin_password {
        let max = yunwei_domain::password::MAX_PASSWORD_BYTES;
        if pw.chars().count() < 8 || pw.len() > max {
            return Err(AppError::bad_request(
                "config.admin_password",
                format!(
                    "YUNWEI_ADMIN_PASSWORD 须为8位以上，且不超过{max}字节（登录所接受的最大长度）"
                ),
            ));
        }
    }
    let ctx = Ctx::system("bootstrap");
    let boot = in_tx!(p.db, |c| {
        let root = match orgs::root(&mut c).await? {
            Some(r) => r,
            None => {
                let r = crate::features::orgs::insert_unchecked(
                    &mut c,
                    None,
                    OrgKind::Province,
                    root_name,
                    p.now_us(),
                )
                .await?;
                let ev = Event::success("org.create", "org", &r.id)
                    .after(format!("{root_name}（首次启动）"));
                record(p, &mut c, &ctx, Actor::System { org_path: &r.path }, ev).await?;
                r
            }
        };
        let mut created = Vec::new();
        for (username, label, role) in BUILTIN_ADMINS {
            if ustore::by_username(&mut c, username).await?.is_some() {
                continue;
            }
            let generated = admin_password
                .is_none()
                .then(|| generate_password(p.crypto.as_ref()));
            let password = admin_password
                .map(str::to_string)
                .or(generated.clone())
                .unwrap_or_default();
            let user = crate::features::users::insert_unchecked(
                p, &mut c, &root, username, label, &password, None, None, true,
            )
            .await?;
            crate::features::users::grant_unchecked(p, &mut c, &user, role, &root, true).await?;
            let ev = Event::success("user.create", "user", &user.id)
                .after(format!("内置{label} {username}，授予{label}"));
            record(
                p,
                &mut c,
                &ctx,
                Actor::System {
                    org_path: &root.path,
                },
                ev,
            )
            .await?;
            created.push(CreatedAdmin {
                username,
                role,
                generated_password: generated,
            });
        }
        Ok(Bootstrap { root, created })
    })?;
    // The built-in holiday data (DESIGN.md section 6), once.
    crate::kernel::calendar::seed_builtin(p, &ctx).await?;
    Ok(boot)
}
