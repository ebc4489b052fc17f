//! 上云系统 (ADR 0016): each system of a unit on a cloud, with its CMDB item,
//! 等保 level, 密评 status, importance and NDA reference (SNYP-27), and its
//! resources: one row per quantity of a catalogue item over the days it
//! runs, so the rows are the history. Unit staff (`BusinessOperate` over
//! the unit) or a cloud manager register a system and ask for resources
//! while it is 申请中, and on a system on line ask for a change of a
//! running row or an added item; the lifecycle processes move them on
//! (`lifecycle.rs`).
//!
//! Who sees a system: `BusinessRead` over its unit, and the staff of the
//! platform's provider and monitor (vendor-side roles) every system of
//! that platform. A read by id applies exactly the list's rule.

use serde::{Deserialize, Serialize};
use yunwei_domain::cloud::{format_unit_price, Miping, ResourceState, ServiceMode, SystemState};
use yunwei_domain::cmdb::clean_text;
use yunwei_domain::ids::new_id;
use yunwei_domain::policy::hooks as names;
use yunwei_domain::roles::Action;
use yunwei_domain::AppError;
use yunwei_store::cloud::{self as store, ResourceRow, SystemEventRow, SystemFilter, SystemRow};
use yunwei_store::{cmdb as cistore, in_tx, orgs, DbConn};

use crate::kernel::audit::{record, Actor, Event};
use crate::{Authorized, Ctx, Platform, Principal};

/// Most systems in one page of the list.
pub const PAGE: u64 = 200;
/// Most systems in one export.
pub const EXPORT_LIMIT: u64 = 50_000;
/// Largest quantity of one resource line (a sanity bound, not a rule).
pub const MAX_QUANTITY: i64 = 1_000_000;
/// Highest 等保 level.
pub const MAX_DENGBAO: i64 = 5;

fn not_found() -> AppError {
    AppError::not_found("上云系统")
}

fn changed() -> AppError {
    AppError::conflict("cloud.changed", "该记录刚被他人修改，请刷新后重试")
}

/// Unit staff over the unit, or a cloud manager over it.
pub(crate) fn operate<'a>(pr: &'a Principal, path: &str) -> Result<Authorized<'a>, AppError> {
    pr.authorize(Action::BusinessOperate, path)
        .or_else(|_| pr.authorize(Action::CloudManage, path))
}

/// A system to register, or an edit of one.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct SystemInput {
    /// The unit (organisation); the caller's when empty.
    #[serde(default)]
    pub org_id: String,
    pub name: String,
    /// The code of an existing CMDB item of the unit; empty: a new
    /// 应用系统 item is created with the system.
    #[serde(default)]
    pub ci: String,
    /// 等保 level 0 (none) to 5.
    #[serde(default)]
    pub dengbao_level: i64,
    /// `not_required`, `planned`, `in_progress`, `passed`, `failed`.
    #[serde(default)]
    pub miping: String,
    /// An important system (SNYP-27): needs an NDA with the provider.
    #[serde(default)]
    pub important: bool,
    /// The NDA (保密协议) reference.
    #[serde(default)]
    pub nda_ref: String,
    /// For an edit: the `version` read.
    #[serde(default)]
    pub version: i64,
}

/// A resource line asked for.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct RequestInput {
    /// A catalogue item in force (id or code).
    #[serde(default)]
    pub item: String,
    pub quantity: i64,
    /// On a system on line: the running row this request changes (its
    /// item is kept); empty: an added item.
    #[serde(default)]
    pub replaces_id: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SystemView {
    #[serde(flatten)]
    pub system: SystemRow,
    pub state_label: &'static str,
    pub miping_label: &'static str,
    pub org_name: String,
    pub platform_name: String,
    pub ci_code: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResourceView {
    #[serde(flatten)]
    pub resource: ResourceRow,
    pub state_label: &'static str,
    pub item_code: String,
    pub item_name: String,
    pub item_unit: String,
    pub mode_label: &'static str,
    /// The price in force on its first day (or today for a request).
    pub price_label: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SystemEventView {
    #[serde(flatten)]
    pub event: SystemEventRow,
    pub actor_name: String,
    pub ticket_number: String,
    /// The caller may open the ticket (the page links it only then).
    pub ticket_visible: bool,
    pub before_label: &'static str,
    pub after_label: &'static str,
}

/// A pack process that moves the system on, for the page's buttons.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CloudProcessLink {
    pub process_id: String,
    pub label: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SystemDetail {
    pub system: SystemView,
    pub resources: Vec<ResourceView>,
    pub history: Vec<SystemEventView>,
    /// The caller may register requests and edit it.
    pub can_operate: bool,
    /// The caller may open the system's configuration item (the CMDB's
    /// read rule; a vendor's staff may not).
    pub ci_visible: bool,
    /// 提交上云申请 / 申请变更 / 申请退出, as the state allows.
    pub processes: Vec<CloudProcessLink>,
}

fn state_label(s: &str) -> &'static str {
    SystemState::parse(s).map(|s| s.label()).unwrap_or("")
}

pub(crate) async fn system_view(c: &mut DbConn, s: SystemRow) -> Result<SystemView, AppError> {
    let org_name = orgs::get(c, &s.org_id)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    let platform_name = store::get_platform(c, &s.platform_id)
        .await?
        .map(|p| p.name)
        .unwrap_or_default();
    let ci_code = match &s.ci_id {
        Some(id) => cistore::get_ci(c, id)
            .await?
            .map(|a| a.code)
            .unwrap_or_default(),
        None => String::new(),
    };
    Ok(SystemView {
        state_label: state_label(&s.state),
        miping_label: Miping::parse(&s.miping).map(|m| m.label()).unwrap_or(""),
        org_name,
        platform_name,
        ci_code,
        system: s,
    })
}

/// Whether the caller sees the system: the list's rule.
pub(crate) async fn sees(c: &mut DbConn, pr: &Principal, s: &SystemRow) -> Result<bool, AppError> {
    if pr.can(Action::BusinessRead, &s.org_path) {
        return Ok(true);
    }
    match store::get_platform(c, &s.platform_id).await? {
        Some(pl) => super::platforms::serves(c, pr, &pl).await,
        None => Ok(false),
    }
}

/// A system the caller sees (not found otherwise).
pub(crate) async fn readable(
    c: &mut DbConn,
    pr: &Principal,
    id: &str,
) -> Result<SystemRow, AppError> {
    match store::get_system(c, id.trim()).await? {
        Some(s) if sees(c, pr, &s).await? => Ok(s),
        _ => Err(not_found()),
    }
}

fn clean_input(i: &SystemInput) -> Result<(String, i64, Miping, String), AppError> {
    let name = clean_text(&i.name, "系统名称", 200, true)?;
    if !(0..=MAX_DENGBAO).contains(&i.dengbao_level) {
        return Err(AppError::bad_request(
            "cloud.dengbao_invalid",
            "等保级别应为 0（未定级）到 5",
        ));
    }
    let miping = match i.miping.trim() {
        "" => Miping::NotRequired,
        m => Miping::parse(m)
            .ok_or_else(|| AppError::bad_request("cloud.miping_invalid", "请选择密评状态"))?,
    };
    let nda = clean_text(&i.nda_ref, "保密协议编号", 100, false)?;
    Ok((name, i.dengbao_level, miping, nda))
}

/// SNYP-27: 涉及重要数据的信息系统须与云服务商签订保密协议. The pack's
/// article is cited by the gate of its apply process; the register keeps
/// the rule wherever the system is registered or edited.
pub(crate) fn nda_required(s: &SystemRow) -> Result<(), AppError> {
    if s.important && s.nda_ref.trim().is_empty() {
        return Err(AppError::bad_request(
            "cloud.nda_required",
            format!(
                "“{}”为重要信息系统，须先与云服务商签订保密协议并登记协议编号，才能申请上云（SNYP-27）",
                s.name
            ),
        ));
    }
    Ok(())
}

fn audit_text(s: &SystemRow) -> String {
    format!(
        "{}（等保{}级，密评{}，{}，保密协议：{}）",
        s.name,
        s.dengbao_level,
        Miping::parse(&s.miping).map(|m| m.label()).unwrap_or(""),
        if s.important {
            "重要系统"
        } else {
            "一般系统"
        },
        if s.nda_ref.is_empty() {
            "无"
        } else {
            &s.nda_ref
        }
    )
}

/// Records a state change of a system (the history page).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn event(
    c: &mut DbConn,
    s: &SystemRow,
    kind: &str,
    before: &str,
    actor: &str,
    ticket_id: Option<&str>,
    note: String,
    at: i64,
) -> Result<(), AppError> {
    store::insert_event(
        c,
        &SystemEventRow {
            id: new_id(),
            system_id: s.id.clone(),
            at,
            actor_id: Some(actor.to_string()),
            kind: kind.to_string(),
            ticket_id: ticket_id.map(str::to_string),
            state_before: before.to_string(),
            state_after: s.state.clone(),
            note,
        },
    )
    .await
}

/// Registers a 上云系统 of a unit on its cloud, 申请中.
pub async fn register(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    input: &SystemInput,
) -> Result<SystemDetail, AppError> {
    let (name, level, miping, nda) = clean_input(input)?;
    let id = in_tx!(p.db, |c| {
        let org_id = match input.org_id.trim() {
            "" => pr.org_id.clone(),
            o => o.to_string(),
        };
        let org = orgs::get(&mut c, &org_id)
            .await?
            .ok_or_else(|| AppError::bad_request("cloud.org_unknown", "请选择有效的使用单位"))?;
        let auth = operate(pr, &org.path)?;
        let (_, pl) = super::unit_and_platform(&mut c, &org.id)
            .await?
            .ok_or_else(|| {
                AppError::bad_request(
                    "cloud.not_a_unit",
                    format!("{}尚未登记为政务云使用单位，请联系政务云主管部门", org.name),
                )
            })?;
        let now = p.now_us();
        let ci = match input.ci.trim() {
            "" => {
                crate::features::cmdb::create_in(
                    p,
                    &mut c,
                    ctx,
                    auth,
                    &org,
                    &crate::features::cmdb::CiInput {
                        name: name.clone(),
                        category: yunwei_domain::cmdb::Category::Application.as_str().into(),
                        notes: format!("上云系统（{}）", pl.name),
                        ..Default::default()
                    },
                )
                .await?
            }
            code => {
                let a = match cistore::ci_by_code(&mut c, code).await? {
                    Some(a) => Some(a),
                    None => cistore::get_ci(&mut c, code).await?,
                };
                let a = a.filter(|a| a.org_id == org.id).ok_or_else(|| {
                    AppError::bad_request(
                        "cloud.ci_unknown",
                        format!("{}没有编号为“{code}”的配置项", org.name),
                    )
                })?;
                if store::system_of_ci(&mut c, &a.id).await?.is_some() {
                    return Err(AppError::conflict(
                        "cloud.ci_taken",
                        format!("配置项 {} 已登记为上云系统", a.code),
                    ));
                }
                a
            }
        };
        let s = SystemRow {
            id: new_id(),
            platform_id: pl.id.clone(),
            org_id: org.id.clone(),
            org_path: org.path.clone(),
            name: name.clone(),
            ci_id: Some(ci.id.clone()),
            dengbao_level: level,
            miping: miping.as_str().into(),
            important: input.important,
            nda_ref: nda.clone(),
            state: SystemState::Applying.as_str().into(),
            trial_started_on: None,
            online_on: None,
            exit_approved_on: None,
            reclaimed_on: None,
            created_by: pr.user_id.clone(),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        nda_required(&s)?;
        store::insert_system(&mut c, &s).await?;
        event(
            &mut c,
            &s,
            "registered",
            "",
            &pr.user_id,
            None,
            String::new(),
            now,
        )
        .await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cloud.system_register", "cloud_system", &s.id).after(format!(
                "{}；配置项 {}",
                audit_text(&s),
                ci.code
            )),
        )
        .await?;
        Ok(s.id)
    })?;
    get(p, pr, &id).await
}

/// Edits a system's name, 等保 level, 密评 status, importance and NDA.
pub async fn update(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
    input: &SystemInput,
) -> Result<SystemDetail, AppError> {
    let (name, level, miping, nda) = clean_input(input)?;
    in_tx!(p.db, |c| {
        let old = readable(&mut c, pr, id).await?;
        let auth = operate(pr, &old.org_path)?;
        if old.state == SystemState::Reclaimed.as_str() {
            return Err(AppError::conflict(
                "cloud.system_closed",
                "系统已回收，不能再修改",
            ));
        }
        let mut s = old.clone();
        s.name = name.clone();
        s.dengbao_level = level;
        s.miping = miping.as_str().into();
        s.important = input.important;
        s.nda_ref = nda.clone();
        s.updated_at = p.now_us().max(old.updated_at + 1);
        nda_required(&s)?;
        if old.version != input.version || !store::update_system(&mut c, &s, old.version).await? {
            return Err(changed());
        }
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cloud.system_update", "cloud_system", &s.id)
                .before(audit_text(&old))
                .after(audit_text(&s)),
        )
        .await?;
        Ok(())
    })?;
    get(p, pr, id).await
}

/// Asks for a resource line: while 申请中 a catalogue item in force; on a
/// system on line a change of a running row (`replaces_id`, new quantity)
/// or an added item. Billed only once allocated.
pub async fn request(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    system_id: &str,
    input: &RequestInput,
) -> Result<SystemDetail, AppError> {
    if input.quantity <= 0 || input.quantity > MAX_QUANTITY {
        return Err(AppError::bad_request(
            "cloud.quantity_invalid",
            format!("数量应为 1 到 {MAX_QUANTITY} 之间的整数"),
        ));
    }
    let today = super::catalogue::day(crate::kernel::due::today(p));
    in_tx!(p.db, |c| {
        let s = readable(&mut c, pr, system_id).await?;
        let auth = operate(pr, &s.org_path)?;
        let state = SystemState::parse(&s.state).ok_or_else(AppError::internal)?;
        let rows = store::resources_of(&mut c, &s.id).await?;
        let replaces = match input.replaces_id.trim() {
            "" => None,
            r => Some(r),
        };
        let (item, replaces_id) = match (state, replaces) {
            (SystemState::Applying, None) => (
                super::catalogue::in_force_item(&mut c, &s.platform_id, &input.item, &today)
                    .await?,
                None,
            ),
            (SystemState::Online, None) => (
                super::catalogue::in_force_item(&mut c, &s.platform_id, &input.item, &today)
                    .await?,
                None,
            ),
            (SystemState::Online, Some(r)) => {
                let old = rows
                    .iter()
                    .find(|x| {
                        x.id == r && x.to_day.is_none() && x.state == ResourceState::Online.as_str()
                    })
                    .ok_or_else(|| {
                        AppError::bad_request(
                            "cloud.replaces_invalid",
                            "只能变更本系统正在使用的资源",
                        )
                    })?;
                if rows.iter().any(|x| {
                    x.replaces_id.as_deref() == Some(r)
                        && x.state == ResourceState::Requested.as_str()
                }) {
                    return Err(AppError::conflict(
                        "cloud.change_pending",
                        "该资源已有待办的变更申请，请先撤回",
                    ));
                }
                if old.quantity == input.quantity {
                    return Err(AppError::bad_request(
                        "cloud.quantity_unchanged",
                        "变更后的数量与现有数量相同",
                    ));
                }
                let item =
                    super::catalogue::in_force_item(&mut c, &s.platform_id, &old.item_id, &today)
                        .await?;
                (item, Some(old.id.clone()))
            }
            _ => {
                return Err(AppError::conflict(
                    "cloud.state_no_request",
                    format!(
                        "系统当前为“{}”：申请中的系统可申请资源，已上线的系统可申请变更",
                        state.label()
                    ),
                ))
            }
        };
        let now = p.now_us();
        let r = ResourceRow {
            id: new_id(),
            system_id: s.id.clone(),
            platform_id: s.platform_id.clone(),
            org_path: s.org_path.clone(),
            item_id: item.id.clone(),
            quantity: input.quantity,
            state: ResourceState::Requested.as_str().into(),
            from_day: None,
            to_day: None,
            replaces_id,
            ticket_id: None,
            created_at: now,
            updated_at: now,
        };
        store::insert_resource(&mut c, &r).await?;
        let what = format!(
            "{} {} × {}{}",
            item.code,
            item.name,
            r.quantity,
            if r.replaces_id.is_some() {
                "（变更）"
            } else {
                ""
            }
        );
        event(
            &mut c,
            &s,
            "requested",
            &s.state,
            &pr.user_id,
            None,
            what.clone(),
            now,
        )
        .await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cloud.resource_request", "cloud_system", &s.id)
                .after(format!("{}：{what}", s.name)),
        )
        .await?;
        Ok(())
    })?;
    get(p, pr, system_id).await
}

/// Withdraws a resource line asked for and not allocated.
pub async fn withdraw(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    resource_id: &str,
) -> Result<SystemDetail, AppError> {
    let sid = in_tx!(p.db, |c| {
        let r = store::get_resource(&mut c, resource_id.trim())
            .await?
            .ok_or_else(|| AppError::not_found("资源申请"))?;
        let s = readable(&mut c, pr, &r.system_id)
            .await
            .map_err(|_| AppError::not_found("资源申请"))?;
        let auth = operate(pr, &s.org_path)?;
        if r.state != ResourceState::Requested.as_str() {
            return Err(AppError::conflict(
                "cloud.not_requested",
                "只能撤回尚未分配的资源申请",
            ));
        }
        let now = p.now_us();
        let mut w = r.clone();
        w.state = ResourceState::Withdrawn.as_str().into();
        w.updated_at = now.max(r.updated_at + 1);
        if !store::update_resource(&mut c, &w, (&r.state, r.updated_at)).await? {
            return Err(changed());
        }
        let item = store::get_item(&mut c, &r.item_id)
            .await?
            .ok_or_else(AppError::internal)?;
        let what = format!("{} {} × {}", item.code, item.name, r.quantity);
        event(
            &mut c,
            &s,
            "request_withdrawn",
            &s.state,
            &pr.user_id,
            None,
            what.clone(),
            now,
        )
        .await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cloud.resource_withdraw", "cloud_system", &s.id)
                .after(format!("{}：撤回 {what}", s.name)),
        )
        .await?;
        Ok(s.id)
    })?;
    get(p, pr, &sid).await
}

async fn resource_view(
    c: &mut DbConn,
    r: ResourceRow,
    today: &str,
) -> Result<ResourceView, AppError> {
    let item = store::get_item(c, &r.item_id).await?;
    let day = r.from_day.clone().unwrap_or_else(|| today.to_string());
    let price = store::price_on(c, &r.item_id, &day).await?;
    Ok(ResourceView {
        state_label: ResourceState::parse(&r.state)
            .map(|s| s.label())
            .unwrap_or(""),
        item_code: item.as_ref().map(|i| i.code.clone()).unwrap_or_default(),
        item_name: item.as_ref().map(|i| i.name.clone()).unwrap_or_default(),
        item_unit: item.as_ref().map(|i| i.unit.clone()).unwrap_or_default(),
        mode_label: item
            .as_ref()
            .and_then(|i| ServiceMode::parse(&i.mode))
            .map(|m| m.label())
            .unwrap_or(""),
        price_label: price
            .map(|p| format_unit_price(p.price_e4))
            .unwrap_or_default(),
        resource: r,
    })
}

/// The processes of the platform's pack that move a system on: the one
/// whose transitions use `gate`.
pub(crate) fn process_with_gate<'a>(
    p: &'a Platform,
    pack_id: &str,
    gate: &str,
) -> Option<&'a yunwei_domain::policy::Process> {
    p.packs
        .iter()
        .find(|pk| pk.id == pack_id)?
        .processes
        .iter()
        .find(|pr_| {
            pr_.transitions
                .iter()
                .any(|t| t.gates.iter().any(|g| g.hook == gate))
        })
}

fn processes(p: &Platform, pack_id: &str, state: &str) -> Vec<CloudProcessLink> {
    let state = SystemState::parse(state);
    let wanted: &[(&str, &str)] = match state {
        Some(SystemState::Applying) => &[(names::CLOUD_APPLY_READY, "提交上云申请")],
        Some(SystemState::Online) => &[
            (names::CLOUD_CHANGE_READY, "申请变更"),
            (names::CLOUD_EXIT_READY, "申请退出"),
        ],
        Some(SystemState::Deploying | SystemState::Trial) => {
            &[(names::CLOUD_EXIT_READY, "申请退出")]
        }
        _ => &[],
    };
    wanted
        .iter()
        .filter_map(|(gate, label)| {
            process_with_gate(p, pack_id, gate).map(|pr_| CloudProcessLink {
                process_id: pr_.id.clone(),
                label: label.to_string(),
            })
        })
        .collect()
}

/// A system with its resources (every row, its span) and its history.
pub async fn get(p: &Platform, pr: &Principal, id: &str) -> Result<SystemDetail, AppError> {
    let today = super::catalogue::day(crate::kernel::due::today(p));
    let mut c = p.db.read().await?;
    let s = readable(&mut c, pr, id).await?;
    let pl = store::get_platform(&mut c, &s.platform_id)
        .await?
        .ok_or_else(AppError::internal)?;
    let mut resources = Vec::new();
    for r in store::resources_of(&mut c, &s.id).await? {
        resources.push(resource_view(&mut c, r, &today).await?);
    }
    let mut history = Vec::new();
    for e in store::events_of(&mut c, &s.id).await? {
        let actor_name = match &e.actor_id {
            Some(u) => yunwei_store::users::get(&mut c, u)
                .await?
                .map(|u| u.display_name)
                .unwrap_or_default(),
            None => String::new(),
        };
        let ticket = match &e.ticket_id {
            Some(t) => yunwei_store::tickets::get(&mut c, t).await?,
            None => None,
        };
        let ticket_visible = ticket
            .as_ref()
            .is_some_and(|t| crate::tickets::can_see(pr, t));
        let ticket_number = ticket.map(|t| t.number).unwrap_or_default();
        history.push(SystemEventView {
            ticket_visible,
            before_label: state_label(&e.state_before),
            after_label: state_label(&e.state_after),
            actor_name,
            ticket_number,
            event: e,
        });
    }
    let can_operate = operate(pr, &s.org_path).is_ok();
    let ci_visible = match &s.ci_id {
        Some(ci) => yunwei_store::cmdb::get_ci(&mut c, ci)
            .await?
            .is_some_and(|ci| pr.can(Action::BusinessRead, &ci.org_path)),
        None => false,
    };
    let processes = if can_operate {
        processes(p, &pl.pack_id, &s.state)
    } else {
        Vec::new()
    };
    Ok(SystemDetail {
        system: system_view(&mut c, s).await?,
        resources,
        history,
        can_operate,
        ci_visible,
        processes,
    })
}

/// What the list filters by; every field is optional.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFilter {
    #[serde(default)]
    pub platform_id: Option<String>,
    /// The unit (organisation) and the ones below it.
    #[serde(default)]
    pub org_id: Option<String>,
    /// A [`SystemState`].
    #[serde(default)]
    pub state: Option<String>,
    /// Keyset: the `next` of the previous page.
    #[serde(default)]
    pub after: Option<String>,
}

fn given(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SystemPage {
    pub items: Vec<SystemView>,
    /// Pass as `after` for the next page; absent on the last.
    pub next: Option<String>,
}

async fn filter_of(c: &mut DbConn, f: &ListFilter) -> Result<SystemFilter, AppError> {
    let org_path = match given(&f.org_id) {
        None => None,
        Some(id) => Some(
            orgs::get(c, id)
                .await?
                .ok_or_else(|| AppError::bad_request("cloud.org_unknown", "找不到该单位"))?
                .path,
        ),
    };
    let state = given(&f.state)
        .map(|s| {
            SystemState::parse(s)
                .map(|s| s.as_str().to_string())
                .ok_or_else(|| AppError::bad_request("cloud.state_invalid", "系统状态无效"))
        })
        .transpose()?;
    let before = match given(&f.after) {
        None => None,
        Some(a) => {
            let (at, id) = a
                .split_once('_')
                .and_then(|(at, id)| Some((at.parse::<i64>().ok()?, id.to_string())))
                .ok_or_else(|| AppError::bad_request("cloud.cursor_invalid", "翻页参数无效"))?;
            Some((at, id))
        }
    };
    Ok(SystemFilter {
        platform_id: given(&f.platform_id).map(str::to_string),
        org_path,
        state,
        before,
    })
}

async fn rows(
    c: &mut DbConn,
    pr: &Principal,
    f: &ListFilter,
    limit: u64,
) -> Result<Vec<SystemRow>, AppError> {
    let sf = filter_of(c, f).await?;
    let vendor = super::platforms::served(c, pr).await?;
    store::systems(c, &pr.scope_for(Action::BusinessRead), &vendor, &sf, limit).await
}

/// The systems the caller sees, the latest updated first, a page at a time.
pub async fn list(p: &Platform, pr: &Principal, f: &ListFilter) -> Result<SystemPage, AppError> {
    let mut c = p.db.read().await?;
    let mut rows = rows(&mut c, pr, f, PAGE + 1).await?;
    let next = if rows.len() as u64 > PAGE {
        rows.truncate(PAGE as usize);
        rows.last().map(|s| format!("{}_{}", s.updated_at, s.id))
    } else {
        None
    };
    let mut items = Vec::with_capacity(rows.len());
    for s in rows {
        items.push(system_view(&mut c, s).await?);
    }
    Ok(SystemPage { items, next })
}

/// The systems of [`list`] matching the filters as an Excel sheet naming
/// the exporter (up to [`EXPORT_LIMIT`]). Needs a reason and is audited.
pub async fn export(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    f: &ListFilter,
    reason: &str,
) -> Result<Vec<u8>, AppError> {
    let reason = crate::kernel::audit::require_reason(reason)?;
    let mut c = p.db.read().await?;
    let rows = rows(&mut c, pr, f, EXPORT_LIMIT).await?;
    let mut data = Vec::with_capacity(rows.len());
    for s in rows {
        let v = system_view(&mut c, s).await?;
        data.push(vec![
            v.system.name.clone(),
            v.org_name.clone(),
            v.platform_name.clone(),
            v.ci_code.clone(),
            v.state_label.to_string(),
            format!("{}级", v.system.dengbao_level),
            v.miping_label.to_string(),
            if v.system.important { "是" } else { "否" }.to_string(),
            v.system.nda_ref.clone(),
            v.system.online_on.clone().unwrap_or_default(),
        ]);
    }
    drop(c);
    let bytes = crate::kernel::export::table_xlsx(
        "上云系统",
        &pr.display_name,
        p.clock.now(),
        &[
            "系统名称",
            "使用单位",
            "政务云平台",
            "配置项",
            "状态",
            "等保级别",
            "密评",
            "重要系统",
            "保密协议",
            "上线日期",
        ],
        &data,
    )?;
    // The rows exported are those the caller's list shows.
    let auth = Authorized::seen(pr);
    crate::kernel::audit::audit_export(
        p,
        ctx,
        auth,
        "cloud.systems_export",
        "cloud_system",
        format!("导出 {} 个上云系统", data.len()),
        &reason,
    )
    .await?;
    Ok(bytes)
}
