//! The password rules that need the organisation tree: a new password must
//! not be built from the names of the user's organisation and those above
//! it up to the tenant (`JSCZ-43`, `EEDS-3.8.6`), checked before
//! [`crate::auth::change_password`] applies the rest of the policy.

use yunwei_domain::password::check_org_derived;
use yunwei_domain::AppError;
use yunwei_store::{orgs, users as ustore, DbConn};

use crate::{Ctx, Platform, Principal};

/// Names of the user's organisation and its ancestors, nearest first (the
/// last one is the tenant).
pub async fn org_names_of(c: &mut DbConn, org_id: &str) -> Result<Vec<String>, AppError> {
    let mut names = Vec::new();
    let mut next = Some(org_id.to_string());
    // The tree is shallow (province > city > county > department >
    // section); the bound only guards against a corrupt cycle.
    while let Some(id) = next.take() {
        if names.len() >= 16 {
            break;
        }
        if let Some(o) = orgs::get(c, &id).await? {
            names.push(o.name);
            next = o.parent_id;
        }
    }
    Ok(names)
}

/// Changes the caller's own password ([`crate::auth::change_password`]),
/// first refusing one built from an organisation's name, short form,
/// pinyin or initials with a year or a simple sequence
/// (`password.contains_org_info`).
pub async fn change_password(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    current: &str,
    new: &str,
    confirm: &str,
) -> Result<(), AppError> {
    if new == confirm {
        let names = {
            let mut c = p.db.read().await?;
            match ustore::get(&mut c, &pr.user_id).await? {
                Some(u) => org_names_of(&mut c, &u.org_id).await?,
                None => Vec::new(),
            }
        };
        check_org_derived(new, &names)
            .map_err(|pb| AppError::bad_request(pb.code(), pb.message()))?;
    }
    crate::auth::change_password(p, ctx, pr, current, new, confirm).await
}
