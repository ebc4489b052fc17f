//! Which regions a vendor's contracts in force cover (issue 11, ADR 0009):
//! read from the vendor contracts register, for the vendor engineers'
//! ticket scope and for where a ticket may be routed (转派, ADR 0012).

use chrono::NaiveDate;
use yunwei_domain::register::{spec, Val};
use yunwei_domain::AppError;
use yunwei_store::registers::{self as store, EntryRow};
use yunwei_store::DbConn;

/// Most contracts of one vendor read for its engineers' ticket coverage.
const MAX_CONTRACTS_READ: u64 = 200;

/// The regions whose tickets a vendor's engineers serve (issue 11): for
/// every contract in force on `today` (`starts_on` <= today <= `ends_on`)
/// naming `vendor_org_id` as its vendor, the subtree of the purchaser's
/// region, the nearest province, city or county at or above it. A contract
/// of the provincial information centre covers the province, since the
/// centre runs the unified systems for every level (JSCZ-6); a city
/// bureau's contract covers that city. Returned as path prefixes.
pub async fn contract_regions(
    c: &mut DbConn,
    vendor_org_id: &str,
    today: NaiveDate,
) -> Result<Vec<String>, AppError> {
    let contracts = spec("vendor_contracts").ok_or_else(AppError::internal)?;
    let rows = store::find(
        c,
        contracts,
        &[("vendor_org_id", Val::Text(vendor_org_id.to_string()))],
        MAX_CONTRACTS_READ,
    )
    .await?;
    let day = |e: &EntryRow, f: &str| {
        e.get(f)
            .text()
            .and_then(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
    };
    let mut out: Vec<String> = vec![];
    for e in rows {
        let in_force = matches!((day(&e, "starts_on"), day(&e, "ends_on")), (Some(s), Some(end)) if s <= today && today <= end);
        if !in_force {
            continue;
        }
        // The purchaser's region: walk up to a province, city or county.
        let mut org = yunwei_store::orgs::get(c, &e.org_id).await?;
        let mut hops = 0;
        while let Some(o) = &org {
            if matches!(o.kind.as_str(), "province" | "city" | "county") || hops > 16 {
                break;
            }
            hops += 1;
            org = match &o.parent_id {
                Some(parent) => yunwei_store::orgs::get(c, parent).await?,
                None => None,
            };
        }
        if let Some(o) = org {
            if !out.iter().any(|p| o.path.starts_with(p.as_str())) {
                out.retain(|p| !p.starts_with(o.path.as_str()));
                out.push(o.path);
            }
        }
    }
    out.sort();
    Ok(out)
}
