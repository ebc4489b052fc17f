//! A unit's cloud profile (ADR 0016): its level (市本级 / 县区 / 市直园区),
//! its funding type and whether its county's or park's own finance pays;
//! together they decide who pays (SNYP-17). A county unit names its
//! county bureau, which reviews its applications first (ZMDY-14). Set by a
//! cloud manager over the unit (`CloudManage`).

use serde::{Deserialize, Serialize};
use yunwei_domain::cloud::{Funding, UnitLevel};
use yunwei_domain::org::is_within;
use yunwei_domain::roles::Action;
use yunwei_domain::AppError;
use yunwei_store::cloud::{self as store, UnitRow};
use yunwei_store::{in_tx, orgs};

use crate::kernel::audit::{record, Actor, Event};
use crate::{Ctx, Platform, Principal};

/// A unit's profile as set.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct UnitInput {
    pub platform_id: String,
    /// The unit (organisation).
    pub org_id: String,
    /// `city`, `county` or `park`.
    pub level: String,
    /// `party_gov`, `fully_funded`, `partly_funded`, `self_funded`, `enterprise`.
    pub funding: String,
    #[serde(default)]
    pub local_finance_pays: bool,
    /// The county bureau that reviews first, if any.
    #[serde(default)]
    pub county_bureau_org_id: String,
    /// The `version` read, for an edit (0 for a new profile).
    #[serde(default)]
    pub version: i64,
}

/// A unit with its names and labels.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnitView {
    #[serde(flatten)]
    pub unit: UnitRow,
    pub org_name: String,
    pub level_label: &'static str,
    pub funding_label: &'static str,
    pub county_bureau_name: String,
}

fn level(s: &str) -> Result<UnitLevel, AppError> {
    UnitLevel::parse(s.trim())
        .ok_or_else(|| AppError::bad_request("cloud.level_invalid", "请选择单位层级"))
}

fn funding(s: &str) -> Result<Funding, AppError> {
    Funding::parse(s.trim())
        .ok_or_else(|| AppError::bad_request("cloud.funding_invalid", "请选择经费保障类型"))
}

fn audit_text(u: &UnitRow) -> String {
    format!(
        "层级：{}；经费：{}；本级财政支付：{}",
        UnitLevel::parse(&u.level).map(|l| l.label()).unwrap_or(""),
        Funding::parse(&u.funding).map(|f| f.label()).unwrap_or(""),
        if u.local_finance_pays { "是" } else { "否" }
    )
}

/// Sets (creates or replaces) a unit's profile.
pub async fn set(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    input: &UnitInput,
) -> Result<UnitView, AppError> {
    let lv = level(&input.level)?;
    let fd = funding(&input.funding)?;
    let u = in_tx!(p.db, |c| {
        let pl = super::platforms::readable(&mut c, pr, &input.platform_id).await?;
        let org = orgs::get(&mut c, input.org_id.trim())
            .await?
            .ok_or_else(|| AppError::bad_request("cloud.org_unknown", "请选择有效的使用单位"))?;
        if !is_within(&org.path, &pl.region_path) {
            return Err(AppError::bad_request(
                "cloud.unit_outside_region",
                format!("{}不在该政务云的服务区域内", org.name),
            ));
        }
        let auth = pr.authorize(Action::CloudManage, &org.path)?;
        let county = match input.county_bureau_org_id.trim() {
            "" => None,
            id => Some(orgs::get(&mut c, id).await?.ok_or_else(|| {
                AppError::bad_request("cloud.org_unknown", "请选择有效的县区主管部门")
            })?),
        };
        if let Some(b) = &county {
            if !is_within(&b.path, &pl.region_path) {
                return Err(AppError::bad_request(
                    "cloud.unit_outside_region",
                    format!("{}不在该政务云的服务区域内", b.name),
                ));
            }
        }
        let old = store::get_unit(&mut c, &org.id).await?;
        // Who pays and who settles follow the level and the county bureau
        // (ZMDY-36, SNYP-17): a county's managers keep their units as
        // county units settled by a bureau they manage; only the city's
        // managers place a unit at 市本级 or in a park, or move one out.
        if !pr.can(Action::CloudManage, &pl.bureau_path) {
            let own_bureau = county
                .as_ref()
                .is_some_and(|b| pr.can(Action::CloudManage, &b.path));
            let was_city = old
                .as_ref()
                .is_some_and(|o| o.level != UnitLevel::County.as_str());
            if lv != UnitLevel::County || !own_bureau || was_city {
                return Err(AppError::forbidden(
                    "县（区）政务云管理人员只能将本县（区）单位登记为县区单位，并由本县（区）主管部门结算",
                ));
            }
        }
        let county = county.map(|b| b.id);
        let now = p.now_us();
        let mut u = UnitRow {
            org_id: org.id.clone(),
            org_path: org.path.clone(),
            platform_id: pl.id.clone(),
            level: lv.as_str().into(),
            funding: fd.as_str().into(),
            local_finance_pays: input.local_finance_pays,
            county_bureau_org_id: county,
            updated_at: now,
            version: 1,
        };
        let ev = match &old {
            None => {
                store::insert_unit(&mut c, &u).await?;
                Event::success("cloud.unit_set", "cloud_unit", &u.org_id).after(audit_text(&u))
            }
            Some(o) => {
                if o.platform_id != pl.id {
                    return Err(AppError::conflict(
                        "cloud.unit_other_platform",
                        "该单位已登记在另一个政务云平台",
                    ));
                }
                if o.version != input.version || !store::update_unit(&mut c, &u, o.version).await? {
                    return Err(AppError::conflict(
                        "cloud.changed",
                        "该记录刚被他人修改，请刷新后重试",
                    ));
                }
                u.version = o.version + 1;
                Event::success("cloud.unit_set", "cloud_unit", &u.org_id)
                    .before(audit_text(o))
                    .after(audit_text(&u))
            }
        };
        record(p, &mut c, ctx, Actor::User(auth), ev).await?;
        Ok(u)
    })?;
    let mut c = p.db.read().await?;
    view(&mut c, u).await
}

async fn view(c: &mut yunwei_store::DbConn, u: UnitRow) -> Result<UnitView, AppError> {
    let org_name = orgs::get(c, &u.org_id)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    let county_bureau_name = match &u.county_bureau_org_id {
        Some(id) => orgs::get(c, id).await?.map(|o| o.name).unwrap_or_default(),
        None => String::new(),
    };
    Ok(UnitView {
        org_name,
        level_label: UnitLevel::parse(&u.level).map(|l| l.label()).unwrap_or(""),
        funding_label: Funding::parse(&u.funding).map(|f| f.label()).unwrap_or(""),
        county_bureau_name,
        unit: u,
    })
}

/// The units of a platform the caller sees: those in its business scope;
/// the platform's provider and monitor see them all.
pub async fn list(
    p: &Platform,
    pr: &Principal,
    platform_id: &str,
) -> Result<Vec<UnitView>, AppError> {
    let mut c = p.db.read().await?;
    let pl = super::platforms::readable(&mut c, pr, platform_id).await?;
    let scope = if super::platforms::serves(&mut c, pr, &pl).await? {
        yunwei_store::Scope::ranges(vec![(pl.region_path.clone(), true)])
    } else {
        pr.scope_for(Action::BusinessRead)
    };
    let rows = store::units(&mut c, &pl.id, &scope).await?;
    let mut out = Vec::with_capacity(rows.len());
    for u in rows {
        out.push(view(&mut c, u).await?);
    }
    Ok(out)
}
