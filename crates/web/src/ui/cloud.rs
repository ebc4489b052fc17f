//! `/cloud`: the government cloud's register pages (ADR 0016): 服务目录
//! (the catalogue of a platform with its prices, adjusted by the bureau),
//! 上云单位 (the platforms and the units' profiles) and 上云系统 (the list
//! with filters and its audited Excel export, a system's page with its
//! resources, requests, history and the buttons that open the pack's
//! apply, change and exit processes with the system prefilled). Every
//! check is in `yunwei_core::cloud`; a refused form comes back on its page
//! with the message.

use crate::extract::Query;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use yunwei_core::cloud::catalogue::{self, CatalogueItemInput, CatalogueItemView, PriceInput};
use yunwei_core::cloud::platforms::{self, PlatformInput, PlatformView};
use yunwei_core::cloud::systems::{
    self, ListFilter, RequestInput, SystemDetail, SystemInput, SystemView,
};
use yunwei_core::cloud::units::{self, UnitInput, UnitView};
use yunwei_domain::cloud::{Category, Funding, Miping, ServiceMode, SystemState, UnitLevel};
use yunwei_domain::roles::Action;
use yunwei_domain::time::fmt_minute;
use yunwei_domain::AppError;

use super::error::{correctable, with_error, Page};
use super::form::{opts, org_options, urlencoding, Opt, UiForm};
use super::page::{render, Layout};
use super::session::{business, UiUser};
use crate::extract::ReqCtx;
use crate::AppState;

fn choices<T: Copy>(
    all: &[T],
    f: impl Fn(T) -> (&'static str, &'static str),
    cur: &str,
) -> Vec<Opt> {
    opts(
        all.iter()
            .map(|x| {
                let (v, l) = f(*x);
                (v.to_string(), l.to_string())
            })
            .collect(),
        cur,
    )
}

fn notice_of(msg: &str) -> Option<String> {
    Some(
        match msg {
            "item_created" => "服务已加入服务目录",
            "price_added" => "新价格已登记",
            "platform_created" => "政务云平台已新建",
            "unit_set" => "使用单位已登记",
            "registered" => "上云系统已登记",
            "requested" => "资源申请已登记",
            "withdrawn" => "资源申请已撤回",
            "updated" => "已保存",
            _ => return None,
        }
        .to_string(),
    )
}

#[derive(Deserialize, Default, Clone)]
pub(super) struct PlatformQuery {
    #[serde(default)]
    platform_id: String,
    #[serde(default)]
    msg: String,
}

/// The platform chosen (or the first the caller sees) and the choices.
fn chosen(list: &[PlatformView], id: &str) -> (Option<PlatformView>, Vec<Opt>) {
    let cur = list
        .iter()
        .find(|p| p.platform.id == id)
        .or(list.first())
        .cloned();
    let cur_id = cur
        .as_ref()
        .map(|p| p.platform.id.clone())
        .unwrap_or_default();
    let o = opts(
        list.iter()
            .map(|p| (p.platform.id.clone(), p.platform.name.clone()))
            .collect(),
        &cur_id,
    );
    (cur, o)
}

// ---- 服务目录 ----

#[derive(Template)]
#[template(path = "cloud/catalogue.html")]
struct CatalogueTpl {
    l: Layout,
    platforms: Vec<Opt>,
    platform: Option<PlatformView>,
    items: Vec<CatalogueItemView>,
    categories: Vec<Opt>,
    modes: Vec<Opt>,
    today: String,
}

async fn catalogue_view(
    s: &AppState,
    u: &UiUser,
    platform_id: &str,
    notice: Option<String>,
    error: Option<&AppError>,
) -> Page {
    let list = platforms::list(&s.platform, &u.principal).await?;
    let (platform, popts) = chosen(&list, platform_id);
    let items = match &platform {
        Some(pl) => catalogue::list(&s.platform, &u.principal, &pl.platform.id, false).await?,
        None => vec![],
    };
    let page = render(&CatalogueTpl {
        l: Layout::for_user(u, "/cloud/catalogue").with(notice, error.map(|e| e.message.clone())),
        platforms: popts,
        platform,
        items,
        categories: choices(Category::ALL, |c| (c.as_str(), c.label()), ""),
        modes: choices(&ServiceMode::ALL, |m| (m.as_str(), m.label()), ""),
        today: yunwei_core::controls::today(&s.platform)
            .format("%Y-%m-%d")
            .to_string(),
    });
    with_error(page, error)
}

pub(super) async fn catalogue_page(
    State(s): State<AppState>,
    u: UiUser,
    Query(q): Query<PlatformQuery>,
) -> Page {
    business(&u)?;
    catalogue_view(&s, &u, &q.platform_id, notice_of(&q.msg), None).await
}

#[derive(Deserialize)]
pub(super) struct ItemForm {
    platform_id: String,
    #[serde(flatten)]
    input: CatalogueItemInput,
}

pub(super) async fn create_item(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<ItemForm>,
) -> Page {
    business(&u)?;
    match catalogue::create_item(&s.platform, &ctx, &u.principal, &f.platform_id, &f.input).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/cloud/catalogue?platform_id={}&msg=item_created",
            urlencoding(&f.platform_id)
        ))
        .into_response()),
        Err(e) if correctable(&e) => catalogue_view(&s, &u, &f.platform_id, None, Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn add_price(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<PriceInput>,
) -> Page {
    business(&u)?;
    let item = catalogue::get(&s.platform, &u.principal, &id).await?;
    let pl = item.item.platform_id.clone();
    match catalogue::add_price(&s.platform, &ctx, &u.principal, &id, &f).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/cloud/catalogue?platform_id={}&msg=price_added",
            urlencoding(&pl)
        ))
        .into_response()),
        Err(e) if correctable(&e) => catalogue_view(&s, &u, &pl, None, Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}

// ---- 上云单位 ----

#[derive(Template)]
#[template(path = "cloud/units.html")]
struct UnitsTpl {
    l: Layout,
    platforms: Vec<Opt>,
    all: Vec<PlatformView>,
    platform: Option<PlatformView>,
    units: Vec<UnitView>,
    levels: Vec<Opt>,
    fundings: Vec<Opt>,
    /// Organisations a manager may profile.
    unit_orgs: Vec<Opt>,
    can_create: bool,
    packs: Vec<Opt>,
    vendors: Vec<Opt>,
    region_orgs: Vec<Opt>,
}

async fn units_view(
    s: &AppState,
    u: &UiUser,
    platform_id: &str,
    notice: Option<String>,
    error: Option<&AppError>,
) -> Page {
    let pr = &u.principal;
    let all = platforms::list(&s.platform, pr).await?;
    let (platform, popts) = chosen(&all, platform_id);
    let units = match &platform {
        Some(pl) => units::list(&s.platform, pr, &pl.platform.id).await?,
        None => vec![],
    };
    let can_create = pr.can_somewhere(Action::CloudManage);
    let (unit_orgs, vendors, region_orgs, packs) = if can_create {
        let orgs = org_options(s, u, Action::CloudManage).await?;
        (
            opts(orgs.clone(), ""),
            opts(platforms::vendor_choices(&s.platform, pr).await?, ""),
            opts(orgs, ""),
            opts(
                yunwei_core::cloud::cloud_packs(&s.platform)
                    .into_iter()
                    .map(|(id, name)| (id.to_string(), name.to_string()))
                    .collect(),
                "",
            ),
        )
    } else {
        (vec![], vec![], vec![], vec![])
    };
    let page = render(&UnitsTpl {
        l: Layout::for_user(u, "/cloud/units").with(notice, error.map(|e| e.message.clone())),
        platforms: popts,
        all,
        platform,
        units,
        levels: choices(&UnitLevel::ALL, |l| (l.as_str(), l.label()), ""),
        fundings: choices(&Funding::ALL, |f| (f.as_str(), f.label()), ""),
        unit_orgs,
        can_create,
        packs,
        vendors,
        region_orgs,
    });
    with_error(page, error)
}

pub(super) async fn units_page(
    State(s): State<AppState>,
    u: UiUser,
    Query(q): Query<PlatformQuery>,
) -> Page {
    business(&u)?;
    units_view(&s, &u, &q.platform_id, notice_of(&q.msg), None).await
}

pub(super) async fn create_platform(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<PlatformInput>,
) -> Page {
    business(&u)?;
    match platforms::create(&s.platform, &ctx, &u.principal, &f).await {
        Ok(pl) => Ok(Redirect::to(&format!(
            "/cloud/units?platform_id={}&msg=platform_created",
            urlencoding(&pl.platform.id)
        ))
        .into_response()),
        Err(e) if correctable(&e) => units_view(&s, &u, "", None, Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(super) struct UnitForm {
    platform_id: String,
    org_id: String,
    level: String,
    funding: String,
    #[serde(default)]
    local_finance_pays: String,
    #[serde(default)]
    county_bureau_org_id: String,
    #[serde(default)]
    version: i64,
}

pub(super) async fn set_unit(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<UnitForm>,
) -> Page {
    business(&u)?;
    let input = UnitInput {
        platform_id: f.platform_id.clone(),
        org_id: f.org_id,
        level: f.level,
        funding: f.funding,
        local_finance_pays: !f.local_finance_pays.is_empty(),
        county_bureau_org_id: f.county_bureau_org_id,
        version: f.version,
    };
    match units::set(&s.platform, &ctx, &u.principal, &input).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/cloud/units?platform_id={}&msg=unit_set",
            urlencoding(&f.platform_id)
        ))
        .into_response()),
        Err(e) if correctable(&e) => units_view(&s, &u, &f.platform_id, None, Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}

// ---- 上云系统 ----

#[derive(Deserialize, Default, Clone)]
pub(super) struct SystemsQuery {
    #[serde(default)]
    platform_id: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    after: String,
    #[serde(default)]
    msg: String,
}

impl SystemsQuery {
    fn filter(&self) -> ListFilter {
        let some = |s: &str| Some(s.to_string()).filter(|s| !s.trim().is_empty());
        ListFilter {
            platform_id: some(&self.platform_id),
            org_id: some(&self.org_id),
            state: some(&self.state),
            after: some(&self.after),
        }
    }
}

#[derive(Template)]
#[template(path = "cloud/systems.html")]
struct SystemsTpl {
    l: Layout,
    q: SystemsQuery,
    reason: String,
    platforms: Vec<Opt>,
    states: Vec<Opt>,
    orgs: Vec<Opt>,
    items: Vec<SystemView>,
    next_url: String,
    can_register: bool,
    register_orgs: Vec<Opt>,
    mipings: Vec<Opt>,
}

async fn systems_view(
    s: &AppState,
    u: &UiUser,
    q: SystemsQuery,
    reason: String,
    error: Option<&AppError>,
) -> Page {
    let pr = &u.principal;
    let all = platforms::list(&s.platform, pr).await?;
    let mut filter_error = None;
    let (items, next) = match systems::list(&s.platform, pr, &q.filter()).await {
        Ok(p) => (p.items, p.next),
        Err(e) if correctable(&e) => {
            filter_error = Some(e);
            (vec![], None)
        }
        Err(e) => return Err(e.into()),
    };
    let orgs = org_options(s, u, Action::BusinessRead).await?;
    let register_orgs = org_options(s, u, Action::BusinessOperate).await?;
    let next_url = next
        .map(|n| {
            format!(
                "/cloud/systems?platform_id={}&org_id={}&state={}&after={}",
                urlencoding(&q.platform_id),
                urlencoding(&q.org_id),
                urlencoding(&q.state),
                urlencoding(&n)
            )
        })
        .unwrap_or_default();
    let shown = error.or(filter_error.as_ref());
    let page = render(&SystemsTpl {
        l: Layout::for_user(u, "/cloud/systems")
            .with(notice_of(&q.msg), shown.map(|e| e.message.clone())),
        platforms: opts(
            all.iter()
                .map(|p| (p.platform.id.clone(), p.platform.name.clone()))
                .collect(),
            &q.platform_id,
        ),
        states: choices(SystemState::ALL, |x| (x.as_str(), x.label()), &q.state),
        orgs: opts(orgs, &q.org_id),
        items,
        next_url,
        can_register: !register_orgs.is_empty(),
        register_orgs: opts(register_orgs, &pr.org_id),
        mipings: choices(Miping::ALL, |m| (m.as_str(), m.label()), ""),
        q,
        reason,
    });
    with_error(page, shown)
}

pub(super) async fn systems_page(
    State(s): State<AppState>,
    u: UiUser,
    Query(q): Query<SystemsQuery>,
) -> Page {
    business(&u)?;
    systems_view(&s, &u, q, String::new(), None).await
}

#[derive(Deserialize)]
pub(super) struct ExportForm {
    #[serde(default)]
    reason: String,
    #[serde(flatten)]
    q: SystemsQuery,
}

pub(super) async fn export(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<ExportForm>,
) -> Page {
    business(&u)?;
    match systems::export(&s.platform, &ctx, &u.principal, &f.q.filter(), &f.reason).await {
        Ok(bytes) => Ok(crate::api::xlsx("cloud-systems.xlsx", bytes)),
        Err(e) if correctable(&e) => systems_view(&s, &u, f.q, f.reason, Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(super) struct SystemForm {
    #[serde(default)]
    org_id: String,
    name: String,
    #[serde(default)]
    ci: String,
    #[serde(default)]
    dengbao_level: String,
    #[serde(default)]
    miping: String,
    #[serde(default)]
    important: String,
    #[serde(default)]
    nda_ref: String,
    #[serde(default)]
    version: i64,
}

impl SystemForm {
    fn input(self) -> SystemInput {
        SystemInput {
            org_id: self.org_id,
            name: self.name,
            ci: self.ci,
            dengbao_level: self.dengbao_level.trim().parse().unwrap_or(-1),
            miping: self.miping,
            important: !self.important.is_empty(),
            nda_ref: self.nda_ref,
            version: self.version,
        }
    }
}

pub(super) async fn register(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<SystemForm>,
) -> Page {
    business(&u)?;
    match systems::register(&s.platform, &ctx, &u.principal, &f.input()).await {
        Ok(d) => Ok(Redirect::to(&format!(
            "/cloud/systems/{}?msg=registered",
            urlencoding(&d.system.system.id)
        ))
        .into_response()),
        Err(e) if correctable(&e) => {
            systems_view(&s, &u, SystemsQuery::default(), String::new(), Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- one system ----

struct HistoryLine {
    at: String,
    states: String,
    note: String,
    ticket_id: String,
    ticket_number: String,
    actor: String,
}

struct ProcessButton {
    label: String,
    href: String,
}

#[derive(Template)]
#[template(path = "cloud/system.html")]
struct SystemTpl {
    l: Layout,
    d: SystemDetail,
    /// Catalogue items in force: (id, "code name（unit，price）").
    items: Vec<Opt>,
    mipings: Vec<Opt>,
    buttons: Vec<ProcessButton>,
    /// The history, as shown.
    history: Vec<HistoryLine>,
    /// The system is 申请中 / 已上线 (which request form to show).
    applying: bool,
    online: bool,
}

async fn system_view(
    s: &AppState,
    u: &UiUser,
    id: &str,
    notice: Option<String>,
    error: Option<&AppError>,
) -> Page {
    let d = systems::get(&s.platform, &u.principal, id).await?;
    let items = if d.can_operate {
        catalogue::list(
            &s.platform,
            &u.principal,
            &d.system.system.platform_id,
            true,
        )
        .await?
        .into_iter()
        .map(|i| {
            (
                i.item.id.clone(),
                format!(
                    "{} {}（{}，{} 元/{}·月）",
                    i.item.code, i.item.name, i.mode_label, i.price_today, i.item.unit
                ),
                false,
            )
        })
        .collect()
    } else {
        vec![]
    };
    let platform = platforms::get(&s.platform, &u.principal, &d.system.system.platform_id).await?;
    let buttons = d
        .processes
        .iter()
        .map(|p| ProcessButton {
            label: p.label.clone(),
            href: format!(
                "/tickets/new?pack={}&process={}&org_id={}&system={}&title={}",
                urlencoding(&platform.platform.pack_id),
                urlencoding(&p.process_id),
                urlencoding(&d.system.system.org_id),
                urlencoding(&d.system.ci_code),
                urlencoding(&format!("{}：{}", p.label, d.system.system.name)),
            ),
        })
        .collect();
    let history = d
        .history
        .iter()
        .map(|e| HistoryLine {
            at: fmt_minute(e.event.at),
            states: if e.before_label.is_empty() || e.before_label == e.after_label {
                e.after_label.to_string()
            } else {
                format!("{} → {}", e.before_label, e.after_label)
            },
            note: e.event.note.clone(),
            ticket_id: if e.ticket_visible {
                e.event.ticket_id.clone().unwrap_or_default()
            } else {
                String::new()
            },
            ticket_number: e.ticket_number.clone(),
            actor: e.actor_name.clone(),
        })
        .collect();
    let state = SystemState::parse(&d.system.system.state);
    let page = render(&SystemTpl {
        l: Layout::for_user(u, "/cloud/systems").with(notice, error.map(|e| e.message.clone())),
        items,
        mipings: choices(
            Miping::ALL,
            |m| (m.as_str(), m.label()),
            &d.system.system.miping,
        ),
        buttons,
        history,
        applying: state == Some(SystemState::Applying),
        online: state == Some(SystemState::Online),
        d,
    });
    with_error(page, error)
}

#[derive(Deserialize, Default)]
pub(super) struct MsgQuery {
    #[serde(default)]
    msg: String,
}

pub(super) async fn system_page(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<String>,
    Query(q): Query<MsgQuery>,
) -> Page {
    business(&u)?;
    system_view(&s, &u, &id, notice_of(&q.msg), None).await
}

fn back(id: &str, msg: &str) -> Page {
    Ok(Redirect::to(&format!("/cloud/systems/{}?msg={msg}", urlencoding(id))).into_response())
}

pub(super) async fn edit_system(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<SystemForm>,
) -> Page {
    business(&u)?;
    match systems::update(&s.platform, &ctx, &u.principal, &id, &f.input()).await {
        Ok(_) => back(&id, "updated"),
        Err(e) if correctable(&e) => system_view(&s, &u, &id, None, Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(super) struct RequestForm {
    #[serde(default)]
    item: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    replaces_id: String,
}

pub(super) async fn request(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<RequestForm>,
) -> Page {
    business(&u)?;
    let input = RequestInput {
        item: f.item,
        quantity: f.quantity.trim().parse().unwrap_or(0),
        replaces_id: f.replaces_id,
    };
    match systems::request(&s.platform, &ctx, &u.principal, &id, &input).await {
        Ok(_) => back(&id, "requested"),
        Err(e) if correctable(&e) => system_view(&s, &u, &id, None, Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn withdraw(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(rid): Path<String>,
) -> Page {
    business(&u)?;
    let d = systems::withdraw(&s.platform, &ctx, &u.principal, &rid).await?;
    back(&d.system.system.id, "withdrawn")
}
