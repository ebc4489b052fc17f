//! What the home page shows about the signed-in user.

use yunwei_domain::AppError;
use yunwei_store::{orgs, settings, Scope};

use crate::features::policy::OrgConfig;
use crate::{Platform, Principal};

/// One of the caller's roles as the home page lists it.
#[derive(Debug, Clone)]
pub struct RoleLine {
    /// The role's name.
    pub role: String,
    /// The organisation it applies to, "及下级" added for a subtree.
    pub scope: String,
    /// What the role is for.
    pub duty: String,
}

#[derive(Debug, Clone)]
pub struct HomeSummary {
    /// The name of the caller's own organisation.
    pub org_name: String,
    pub roles: Vec<RoleLine>,
    /// The notice of the caller's organisation (empty when none or when
    /// its configuration cannot be read).
    pub notice: String,
}

/// The caller's organisation, roles and notice. Only names of the caller's
/// own organisation and of the organisations its grants name.
pub async fn summary(p: &Platform, pr: &Principal) -> Result<HomeSummary, AppError> {
    let mut c = p.db.read().await?;
    let org_name = orgs::get(&mut c, &pr.org_id)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    let mut roles = Vec::new();
    for g in &pr.grants {
        let scope = orgs::list(&mut c, &Scope::ranges(vec![(g.scope_path.clone(), false)])).await?;
        let name = scope.first().map(|o| o.name.clone()).unwrap_or_default();
        let name = if g.subtree {
            format!("{name}及下级")
        } else {
            name
        };
        roles.push(RoleLine {
            role: g.role.label().to_string(),
            scope: name,
            duty: g.role.duty().to_string(),
        });
    }
    let notice = match settings::get(&mut c, &crate::features::policy::config_key(&pr.org_id)).await
    {
        Ok(Some(v)) => serde_json::from_str::<OrgConfig>(&v)
            .map(|c| c.notice)
            .unwrap_or_default(),
        _ => String::new(),
    };
    Ok(HomeSummary {
        org_name,
        roles,
        notice,
    })
}
