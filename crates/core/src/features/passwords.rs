//! The password rules that need the organisation tree: a new password must
//! not be built from the names of the user's organisation and those above
//! it up to the tenant (`JSCZ-43`, `EEDS-3.8.6`), checked by
//! [`crate::features::auth::change_password`] with the rest of the policy.

use yunwei_domain::AppError;
use yunwei_store::{orgs, DbConn};

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
