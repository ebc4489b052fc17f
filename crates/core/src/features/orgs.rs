//! The organisation tree (`JSCZ-6`).

use serde::Serialize;
use yunwei_domain::ids::new_id;
use yunwei_domain::org::{child_path, depth, root_path, OrgKind};
use yunwei_domain::roles::Action;
use yunwei_domain::AppError;
use yunwei_store::orgs::{self as store, OrgRow};
use yunwei_store::{in_tx, DbConn};

use crate::kernel::audit::{record, Actor, Event};
use crate::{Ctx, Platform, Principal};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrgView {
    pub id: String,
    pub parent_id: Option<String>,
    pub path: String,
    pub kind: String,
    pub kind_label: &'static str,
    pub name: String,
    pub depth: usize,
}

impl From<&OrgRow> for OrgView {
    fn from(o: &OrgRow) -> Self {
        OrgView {
            id: o.id.clone(),
            parent_id: o.parent_id.clone(),
            path: o.path.clone(),
            kind: o.kind.clone(),
            kind_label: OrgKind::parse(&o.kind).map(|k| k.label()).unwrap_or(""),
            name: o.name.clone(),
            depth: depth(&o.path),
        }
    }
}

pub fn validate_name(s: &str) -> Result<String, AppError> {
    yunwei_domain::text::clean_name(s, 100).map_err(|e| e.error("org.name_invalid", "机构名称"))
}

/// Inserts an organisation without permission checks (bootstrap, demo).
pub async fn insert_unchecked(
    c: &mut DbConn,
    parent: Option<&OrgRow>,
    kind: OrgKind,
    name: &str,
    now: i64,
) -> Result<OrgRow, AppError> {
    let id = new_id();
    let path = match parent {
        Some(p) => child_path(&p.path, &id),
        None => root_path(&id),
    };
    let row = OrgRow {
        id,
        parent_id: parent.map(|p| p.id.clone()),
        path,
        kind: kind.as_str().into(),
        name: name.into(),
        created_at: now,
    };
    store::insert(c, &row).await?;
    Ok(row)
}

pub async fn create(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    parent_id: &str,
    kind: &str,
    name: &str,
) -> Result<OrgView, AppError> {
    let name = validate_name(name)?;
    let kind = OrgKind::parse(kind)
        .ok_or_else(|| AppError::bad_request("org.kind_invalid", "机构类型无效"))?;
    in_tx!(p.db, |c| {
        let parent = store::get(&mut c, parent_id)
            .await?
            .ok_or_else(|| AppError::not_found("上级机构"))?;
        let auth = pr.authorize(Action::OrgManage, &parent.path)?;
        let parent_kind = OrgKind::parse(&parent.kind).ok_or_else(AppError::internal)?;
        if !parent_kind.allows_child(kind) {
            return Err(AppError::bad_request(
                "org.kind_not_allowed",
                format!("{}下不能设立{}", parent_kind.label(), kind.label()),
            ));
        }
        let row = insert_unchecked(&mut c, Some(&parent), kind, &name, p.now_us()).await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("org.create", "org", &row.id).after(format!(
                "{}（{}）上级={}",
                name,
                kind.label(),
                parent.name
            )),
        )
        .await?;
        Ok(OrgView::from(&row))
    })
}

pub async fn rename(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
    name: &str,
) -> Result<OrgView, AppError> {
    let name = validate_name(name)?;
    in_tx!(p.db, |c| {
        let mut org = store::get(&mut c, id)
            .await?
            .ok_or_else(|| AppError::not_found("机构"))?;
        if !pr.can(Action::OrgView, &org.path) && !pr.can(Action::OrgManage, &org.path) {
            return Err(AppError::not_found("机构"));
        }
        let auth = pr.authorize(Action::OrgManage, &org.path)?;
        store::rename(&mut c, id, &name).await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("org.rename", "org", id)
                .before(org.name.clone())
                .after(name.clone()),
        )
        .await?;
        org.name = name.clone();
        Ok(OrgView::from(&org))
    })
}

/// The organisations the principal may see, in tree order.
pub async fn list(p: &Platform, pr: &Principal) -> Result<Vec<OrgView>, AppError> {
    let mut scope_action = Action::OrgView;
    if !pr.can_somewhere(Action::OrgView) {
        scope_action = Action::ConfigView;
    }
    let scope = pr.scope_for(scope_action);
    if scope.is_empty() {
        return Err(AppError::forbidden("无权查看组织机构"));
    }
    let mut c = p.db.read().await?;
    Ok(store::list(&mut c, &scope)
        .await?
        .iter()
        .map(OrgView::from)
        .collect())
}

pub async fn get(p: &Platform, pr: &Principal, id: &str) -> Result<OrgView, AppError> {
    let mut c = p.db.read().await?;
    let org = store::get(&mut c, id)
        .await?
        .ok_or_else(|| AppError::not_found("机构"))?;
    if !pr.can(Action::OrgView, &org.path)
        && !pr.can(Action::ConfigView, &org.path)
        && org.id != pr.org_id
    {
        return Err(AppError::not_found("机构"));
    }
    Ok(OrgView::from(&org))
}

/// The organisations where the caller may do `action`, in tree order: the
/// choices of a form's or a filter's organisation field.
pub async fn choices(
    p: &Platform,
    pr: &Principal,
    action: Action,
) -> Result<Vec<OrgView>, AppError> {
    let mut c = p.db.read().await?;
    Ok(store::list(&mut c, &pr.scope_for(action))
        .await?
        .iter()
        .map(OrgView::from)
        .collect())
}

/// Every organisation, in tree order, for a register field naming a
/// second organisation (服务厂商, 服务单位, 请领单位, ...), offered to a
/// caller who may do `action` (the register's write action) somewhere.
///
/// Unscoped on purpose: such a field names a party that usually sits
/// outside the caller's own range (a vendor's organisation, the client
/// unit of a contract), and `registers` accepts any existing organisation
/// there, so the choice list is the whole tree, as it always was. Only the
/// guard is new: a caller who may not write such a register anywhere gets
/// no list.
pub async fn reference_choices(
    p: &Platform,
    pr: &Principal,
    action: Action,
) -> Result<Vec<OrgView>, AppError> {
    pr.authorize_somewhere(action)?;
    let mut c = p.db.read().await?;
    Ok(store::list(&mut c, &yunwei_store::Scope::system())
        .await?
        .iter()
        .map(OrgView::from)
        .collect())
}

/// An organisation's name, empty when there is none. For labelling an
/// organisation the caller already reached through a checked use case
/// (the organisation of a ticket or document it may read, its own).
pub async fn name_of(p: &Platform, id: &str) -> Result<String, AppError> {
    let mut c = p.db.read().await?;
    Ok(store::get(&mut c, id)
        .await?
        .map(|o| o.name)
        .unwrap_or_default())
}

/// The path of the organisation a list filter names; not found when there
/// is none. It only narrows a list: the list's own scope still applies.
pub async fn path_of(p: &Platform, id: &str) -> Result<String, AppError> {
    let mut c = p.db.read().await?;
    Ok(store::get(&mut c, id)
        .await?
        .ok_or_else(|| AppError::not_found("机构"))?
        .path)
}
