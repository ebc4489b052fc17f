//! The government cloud (ZMDY, SNYP; ADR 0016): one model, governed by
//! whichever pack the city's platform names. A platform's numbers come from
//! its pack's `cloud.toml` through [`rules`]; nothing here names a pack.
//!
//! | module | what |
//! | --- | --- |
//! | `mod.rs` | platforms, the rules of a platform, units' profiles |
//! | `platforms.rs` | create, edit and list the platforms (CloudManage over the region) |
//! | `units.rs` | a unit's cloud profile: level, funding, who pays (SNYP-17) |
//! | `catalogue.rs` | the service catalogue and its append-only, effective-dated prices |
//! | `systems.rs` | 上云系统: register, request resources, who sees them, history |
//! | `lifecycle.rs` | the gates and effects of the apply, change and exit processes |
//! | `duties.rs` | the parties' recurring duties in the due-date engine, filed reports, security commitments (ZMDY-40), units' supervision scores (SNYP-32) |
//! | `usage.rs` | monthly utilisation: import, judging, the month report (SNYP-14) |
//! | `reclaim.rs` | 降配/回收 proposals, bars on units that refuse (SNYP-14) |
//! | `dashboard.rs` | 政务云总览: the bureau's dashboard of a platform, each figure linked to its list |

//! | `billing.rs` | monthly bills by payer, reductions, verification, sending to finance |
//! | `evaluation.rs` | quarterly evaluation of the vendors, annual settlement |

pub mod billing;
pub mod catalogue;
pub mod dashboard;
pub mod duties;
pub mod evaluation;
pub mod lifecycle;
pub mod platforms;
pub mod reclaim;
pub mod systems;
pub mod units;
pub mod usage;

use yunwei_domain::policy::cloud::CloudRules;
use yunwei_domain::AppError;
use yunwei_store::cloud::{PlatformRow, UnitRow};
use yunwei_store::DbConn;

use crate::kernel::platform::Platform;

/// The cloud rules of the pack a platform runs. A platform names a pack
/// that is loaded and has a `cloud.toml` (checked when it is created).
pub fn rules<'a>(p: &'a Platform, platform: &PlatformRow) -> Result<&'a CloudRules, AppError> {
    p.packs
        .iter()
        .find(|pk| pk.id == platform.pack_id)
        .and_then(|pk| pk.cloud.as_ref())
        .ok_or_else(|| {
            tracing::error!(pack = %platform.pack_id, platform = %platform.id, "cloud platform names a pack without cloud rules");
            AppError::internal()
        })
}

/// The packs that can govern a cloud: those with a `cloud.toml`.
pub fn cloud_packs(p: &Platform) -> Vec<(&str, &str)> {
    p.packs
        .iter()
        .filter(|pk| pk.cloud.is_some())
        .map(|pk| (pk.id.as_str(), pk.name.as_str()))
        .collect()
}

/// A unit's cloud profile and its platform, if the organisation is a unit
/// on a cloud.
pub async fn unit_and_platform(
    c: &mut DbConn,
    org_id: &str,
) -> Result<Option<(UnitRow, PlatformRow)>, AppError> {
    let Some(u) = yunwei_store::cloud::get_unit(c, org_id).await? else {
        return Ok(None);
    };
    let pl = yunwei_store::cloud::get_platform(c, &u.platform_id)
        .await?
        .ok_or_else(AppError::internal)?;
    Ok(Some((u, pl)))
}
