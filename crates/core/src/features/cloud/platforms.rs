//! A city's government cloud (ADR 0016): its name, the pack that governs
//! it, the competent department, the region whose units it serves, its
//! provider and its monitoring provider. Created and edited by a cloud
//! manager over the region (`CloudManage`); seen by everyone who works in
//! the region and by the staff of its provider and monitor.

use serde::{Deserialize, Serialize};
use yunwei_domain::cmdb::clean_text;
use yunwei_domain::ids::new_id;
use yunwei_domain::org::{is_within, OrgKind};
use yunwei_domain::roles::{Action, Role};
use yunwei_domain::AppError;
use yunwei_store::cloud::{self as store, PlatformRow};
use yunwei_store::orgs::{self, OrgRow};
use yunwei_store::{in_tx, DbConn};

use crate::kernel::audit::{record, Actor, Event};
use crate::{Authorized, Ctx, Platform, Principal};

fn not_found() -> AppError {
    AppError::not_found("政务云平台")
}

/// A new platform or a whole edit.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct PlatformInput {
    pub name: String,
    /// A pack with cloud rules (`cloud_packs`).
    pub pack_id: String,
    /// The competent department (政务云主管部门).
    pub bureau_org_id: String,
    /// The region whose units the cloud serves.
    pub region_org_id: String,
    /// The cloud provider (a vendor organisation).
    pub provider_org_id: String,
    /// The monitoring provider (a vendor organisation), if any.
    #[serde(default)]
    pub monitor_org_id: String,
}

/// A platform with the names of its organisations, as shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlatformView {
    #[serde(flatten)]
    pub platform: PlatformRow,
    pub pack_name: String,
    pub bureau_name: String,
    pub region_name: String,
    pub provider_name: String,
    pub monitor_name: String,
    /// The caller may edit it, its catalogue and its units.
    pub can_manage: bool,
}

async fn org(c: &mut DbConn, id: &str, label: &str) -> Result<OrgRow, AppError> {
    orgs::get(c, id.trim())
        .await?
        .ok_or_else(|| AppError::bad_request("cloud.org_unknown", format!("请选择有效的{label}")))
}

async fn vendor(c: &mut DbConn, id: &str, label: &str) -> Result<OrgRow, AppError> {
    let o = org(c, id, label).await?;
    if o.kind != OrgKind::Vendor.as_str() {
        return Err(AppError::bad_request(
            "cloud.vendor_required",
            format!("{label}须为第三方（厂商）机构"),
        ));
    }
    Ok(o)
}

/// Checks the input and builds the row (id and times as given).
async fn build(
    p: &Platform,
    c: &mut DbConn,
    input: &PlatformInput,
    id: String,
    created_at: i64,
) -> Result<PlatformRow, AppError> {
    let name = clean_text(&input.name, "平台名称", 100, true)?;
    let pack = input.pack_id.trim();
    if !super::cloud_packs(p).iter().any(|(id, _)| *id == pack) {
        return Err(AppError::bad_request(
            "cloud.pack_invalid",
            "请选择一套包含政务云规则的制度包",
        ));
    }
    let bureau = org(c, &input.bureau_org_id, "政务云主管部门").await?;
    let region = org(c, &input.region_org_id, "服务区域").await?;
    let provider = vendor(c, &input.provider_org_id, "云服务商").await?;
    let monitor = match input.monitor_org_id.trim() {
        "" => None,
        m => Some(vendor(c, m, "云监管服务商").await?),
    };
    Ok(PlatformRow {
        id,
        name,
        pack_id: pack.to_string(),
        bureau_org_id: bureau.id,
        bureau_path: bureau.path,
        region_path: region.path,
        provider_org_id: provider.id,
        monitor_org_id: monitor.map(|m| m.id),
        created_at,
        updated_at: p.now_us(),
    })
}

/// The audit text of a platform, by names (the audit page shows it).
async fn audit_text(p: &Platform, c: &mut DbConn, pl: &PlatformRow) -> Result<String, AppError> {
    let pack = super::cloud_packs(p)
        .into_iter()
        .find(|(id, _)| *id == pl.pack_id)
        .map(|(_, n)| n.to_string())
        .unwrap_or_default();
    let region = orgs::by_path(c, &pl.region_path)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    Ok(format!("{}（制度包 {pack}，服务区域 {region}）", pl.name))
}

/// A city has one cloud, built and procured by its competent department
/// (ZMDY-3: 市县两级政务部门应使用全市统一的政务云; ZMDY-35: 政务云主管部门作为
/// 采购人统一进行政务云服务的采购): only a city cloud manager over the
/// region creates or changes a platform, never a county's.
fn may_run_platform<'a>(pr: &'a Principal, region_path: &str) -> Result<Authorized<'a>, AppError> {
    let auth = pr.authorize(Action::CloudManage, region_path)?;
    if !pr
        .grants
        .iter()
        .any(|g| g.role == Role::CloudManager && g.covers(region_path))
    {
        return Err(AppError::forbidden(
            "政务云平台由市政务云主管部门统一建设和采购，县（区）不另建平台",
        ));
    }
    Ok(auth)
}

pub async fn create(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    input: &PlatformInput,
) -> Result<PlatformView, AppError> {
    let pl = in_tx!(p.db, |c| {
        let pl = build(p, &mut c, input, new_id(), p.now_us()).await?;
        let auth = may_run_platform(pr, &pl.region_path)?;
        store::insert_platform(&mut c, &pl).await?;
        let after = audit_text(p, &mut c, &pl).await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cloud.platform_create", "cloud_platform", &pl.id).after(after),
        )
        .await?;
        Ok(pl)
    })?;
    let mut c = p.db.read().await?;
    view(p, &mut c, pr, pl).await
}

/// Replaces every field; needs `CloudManage` over the old and the new
/// region. Guarded by `expected_updated` (the `updated_at` read).
pub async fn update(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
    input: &PlatformInput,
    expected_updated: i64,
) -> Result<PlatformView, AppError> {
    let pl = in_tx!(p.db, |c| {
        let old = readable(&mut c, pr, id).await?;
        may_run_platform(pr, &old.region_path)?;
        let pl = build(p, &mut c, input, old.id.clone(), old.created_at).await?;
        let auth = may_run_platform(pr, &pl.region_path)?;
        if old.updated_at != expected_updated
            || !store::update_platform(&mut c, &pl, old.updated_at).await?
        {
            return Err(AppError::conflict(
                "cloud.changed",
                "该记录刚被他人修改，请刷新后重试",
            ));
        }
        let (before, after) = (
            audit_text(p, &mut c, &old).await?,
            audit_text(p, &mut c, &pl).await?,
        );
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cloud.platform_update", "cloud_platform", &pl.id)
                .before(before)
                .after(after),
        )
        .await?;
        Ok(pl)
    })?;
    let mut c = p.db.read().await?;
    view(p, &mut c, pr, pl).await
}

/// Whether the caller works for the platform's provider or monitor in a
/// vendor-side role (they see all its systems).
pub(crate) async fn serves(
    c: &mut DbConn,
    pr: &Principal,
    pl: &PlatformRow,
) -> Result<bool, AppError> {
    if pr.must_change_password || !pr.grants.iter().any(|g| g.role.is_vendor_side()) {
        return Ok(false);
    }
    for id in std::iter::once(&pl.provider_org_id).chain(pl.monitor_org_id.as_ref()) {
        if let Some(o) = orgs::get(c, id).await? {
            if is_within(&pr.org_path, &o.path) {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Whether the caller sees the platform: it works in its region (or
/// reads over it), in its bureau, or for its provider or monitor.
pub(crate) async fn sees(
    c: &mut DbConn,
    pr: &Principal,
    pl: &PlatformRow,
) -> Result<bool, AppError> {
    if pr.must_change_password || !pr.can_somewhere(Action::BusinessRead) {
        return Ok(false);
    }
    Ok(pr.can(Action::BusinessRead, &pl.region_path)
        || pr.can(Action::BusinessRead, &pl.bureau_path)
        || is_within(&pr.org_path, &pl.region_path)
        || serves(c, pr, pl).await?)
}

/// The platforms whose systems the caller sees as a vendor.
pub(crate) async fn served(c: &mut DbConn, pr: &Principal) -> Result<Vec<String>, AppError> {
    let mut out = Vec::new();
    for pl in store::platforms(c).await? {
        if serves(c, pr, &pl).await? {
            out.push(pl.id);
        }
    }
    Ok(out)
}

/// A platform the caller sees (not found otherwise).
pub(crate) async fn readable(
    c: &mut DbConn,
    pr: &Principal,
    id: &str,
) -> Result<PlatformRow, AppError> {
    match store::get_platform(c, id.trim()).await? {
        Some(pl) if sees(c, pr, &pl).await? => Ok(pl),
        _ => Err(not_found()),
    }
}

async fn view(
    p: &Platform,
    c: &mut DbConn,
    pr: &Principal,
    pl: PlatformRow,
) -> Result<PlatformView, AppError> {
    async fn name(c: &mut DbConn, id: Option<&str>) -> Result<String, AppError> {
        Ok(match id {
            Some(id) => orgs::get(c, id).await?.map(|o| o.name).unwrap_or_default(),
            None => String::new(),
        })
    }
    let region_name = orgs::by_path(c, &pl.region_path)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    Ok(PlatformView {
        pack_name: super::cloud_packs(p)
            .into_iter()
            .find(|(id, _)| *id == pl.pack_id)
            .map(|(_, n)| n.to_string())
            .unwrap_or_default(),
        bureau_name: name(c, Some(&pl.bureau_org_id)).await?,
        region_name,
        provider_name: name(c, Some(&pl.provider_org_id)).await?,
        monitor_name: name(c, pl.monitor_org_id.as_deref()).await?,
        can_manage: pr.can(Action::CloudManage, &pl.region_path),
        platform: pl,
    })
}

/// The platforms the caller sees, by name.
pub async fn list(p: &Platform, pr: &Principal) -> Result<Vec<PlatformView>, AppError> {
    let mut c = p.db.read().await?;
    let mut out = Vec::new();
    for pl in store::platforms(&mut c).await? {
        if sees(&mut c, pr, &pl).await? {
            out.push(view(p, &mut c, pr, pl).await?);
        }
    }
    Ok(out)
}

pub async fn get(p: &Platform, pr: &Principal, id: &str) -> Result<PlatformView, AppError> {
    let mut c = p.db.read().await?;
    let pl = readable(&mut c, pr, id).await?;
    view(p, &mut c, pr, pl).await
}

/// The vendor organisations a cloud manager may name as provider or
/// monitor: (id, name), by name.
pub async fn vendor_choices(
    p: &Platform,
    pr: &Principal,
) -> Result<Vec<(String, String)>, AppError> {
    pr.authorize_somewhere(Action::CloudManage)?;
    let mut c = p.db.read().await?;
    let mut out: Vec<(String, String)> = orgs::list(&mut c, &yunwei_store::Scope::system())
        .await?
        .into_iter()
        .filter(|o| o.kind == OrgKind::Vendor.as_str())
        .map(|o| (o.id, o.name))
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}
