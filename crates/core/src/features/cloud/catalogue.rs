//! The service catalogue (ZMDY-34, ZMDY-35, SNYP-7): a platform's items
//! (code, name, category, unit, service mode, valid from/to) and their
//! prices. Prices are append-only and effective-dated: a new price applies
//! from a day on and no price is ever edited, so a past month re-computed
//! gives the same bill (ADR 0016). A price may not be back-dated before
//! the first day of the current month (an earlier month may have a
//! verified bill). The competent department adjusts the catalogue
//! (`CloudManage` over the platform's region); everyone who sees the
//! platform reads it; an application picks only items in force.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use yunwei_domain::cloud::{format_unit_price, parse_unit_price, Category, ServiceMode};
use yunwei_domain::cmdb::clean_text;
use yunwei_domain::ids::new_id;
use yunwei_domain::roles::Action;
use yunwei_domain::AppError;
use yunwei_store::cloud::{self as store, CatalogueItemRow, CloudPriceRow};
use yunwei_store::{in_tx, DbConn};

use crate::kernel::audit::{record, Actor, Event};
use crate::{Ctx, Platform, Principal};

/// Most items of one catalogue.
pub const MAX_ITEMS: u64 = 2000;

fn not_found() -> AppError {
    AppError::not_found("服务目录项")
}

pub(crate) fn parse_day(s: &str, label: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        AppError::bad_request(
            "cloud.date_invalid",
            format!("{label}“{}”不是有效日期，应写成 2027-06-30", s.trim()),
        )
    })
}

pub(crate) fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// A new catalogue item or an edit (code, category and mode stay on edit).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct CatalogueItemInput {
    pub code: String,
    pub name: String,
    /// `compute`, `storage`, `database`, `network`, `load_balancer`,
    /// `security`, `backup`, `hosting`, `software`.
    pub category: String,
    /// 计量单位, e.g. 核·月, GB·月.
    pub unit: String,
    /// `ordinary`, `exclusive` or `hosting`.
    pub mode: String,
    /// `YYYY-MM-DD`.
    pub valid_from: String,
    /// `YYYY-MM-DD` or empty (open-ended).
    #[serde(default)]
    pub valid_to: String,
    /// Where the item comes from (the catalogue document, the contract).
    #[serde(default)]
    pub source: String,
    /// The first price (元 per unit per month, up to 4 decimals), for a new item.
    #[serde(default)]
    pub price: String,
    /// For an edit: the `updated_at` read.
    #[serde(default)]
    pub updated_at: i64,
}

/// A price to add.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct PriceInput {
    /// 元 per unit per month, up to 4 decimals, e.g. `45.5`.
    pub price: String,
    /// `YYYY-MM-DD`, not before the first day of the current month.
    pub effective_from: String,
    #[serde(default)]
    pub note: String,
}

/// An item with its labels, its price today and its price history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CatalogueItemView {
    #[serde(flatten)]
    pub item: CatalogueItemRow,
    pub category_label: &'static str,
    pub mode_label: &'static str,
    /// In force today.
    pub in_force: bool,
    /// Today's price, formatted in 元 (empty when none yet).
    pub price_today: String,
    pub price_today_e4: Option<i64>,
    /// Every price, the latest first.
    pub prices: Vec<CloudPriceView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CloudPriceView {
    #[serde(flatten)]
    pub price: CloudPriceRow,
    pub price_label: String,
}

fn price_view(p: CloudPriceRow) -> CloudPriceView {
    CloudPriceView {
        price_label: format_unit_price(p.price_e4),
        price: p,
    }
}

fn in_force(i: &CatalogueItemRow, today: &str) -> bool {
    i.valid_from.as_str() <= today && i.valid_to.as_deref().is_none_or(|t| t >= today)
}

async fn view(
    c: &mut DbConn,
    today: &str,
    i: CatalogueItemRow,
) -> Result<CatalogueItemView, AppError> {
    let prices = store::prices(c, &i.id).await?;
    let now = prices
        .iter()
        .find(|p| p.effective_from.as_str() <= today)
        .map(|p| p.price_e4);
    Ok(CatalogueItemView {
        category_label: Category::parse(&i.category)
            .map(|c| c.label())
            .unwrap_or(""),
        mode_label: ServiceMode::parse(&i.mode).map(|m| m.label()).unwrap_or(""),
        in_force: in_force(&i, today),
        price_today: now.map(format_unit_price).unwrap_or_default(),
        price_today_e4: now,
        prices: prices.into_iter().map(price_view).collect(),
        item: i,
    })
}

fn price_e4(s: &str) -> Result<i64, AppError> {
    parse_unit_price(s).map_err(|e| AppError::bad_request("cloud.price_invalid", e.message()))
}

/// The first day a new price may take effect: the first of this month.
fn earliest_price_day(today: NaiveDate) -> NaiveDate {
    today.with_day(1).unwrap_or(today)
}

fn check_price_day(d: NaiveDate, today: NaiveDate) -> Result<(), AppError> {
    let first = earliest_price_day(today);
    if d < first {
        return Err(AppError::bad_request(
            "cloud.price_backdated",
            format!(
                "价格不能追溯到 {} 之前：以前月份的账单已按当时价格核定，价格只能从本月起调整",
                day(first)
            ),
        ));
    }
    Ok(())
}

struct CleanItem {
    name: String,
    unit: String,
    valid_from: String,
    valid_to: Option<String>,
    source: String,
}

fn clean_item(i: &CatalogueItemInput) -> Result<CleanItem, AppError> {
    let from = parse_day(&i.valid_from, "生效日期")?;
    let to = match i.valid_to.trim() {
        "" => None,
        s => Some(parse_day(s, "失效日期")?),
    };
    if to.is_some_and(|t| t < from) {
        return Err(AppError::bad_request(
            "cloud.validity_invalid",
            "失效日期不能早于生效日期",
        ));
    }
    Ok(CleanItem {
        name: clean_text(&i.name, "服务名称", 100, true)?,
        unit: clean_text(&i.unit, "计量单位", 30, true)?,
        valid_from: day(from),
        valid_to: to.map(day),
        source: clean_text(&i.source, "依据", 200, false)?,
    })
}

/// Adds an item to a platform's catalogue with its first price (from its
/// first valid day, or the first of this month if that is later).
pub async fn create_item(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    platform_id: &str,
    input: &CatalogueItemInput,
) -> Result<CatalogueItemView, AppError> {
    let code = clean_text(&input.code, "编码", 40, true)?;
    if code.chars().any(|c| c.is_whitespace() || c == '/') {
        return Err(AppError::bad_request(
            "cloud.code_invalid",
            "编码不能包含空格或斜杠",
        ));
    }
    let category = Category::parse(input.category.trim())
        .ok_or_else(|| AppError::bad_request("cloud.category_invalid", "请选择服务类别"))?;
    let mode = ServiceMode::parse(input.mode.trim())
        .ok_or_else(|| AppError::bad_request("cloud.mode_invalid", "请选择服务模式"))?;
    let cl = clean_item(input)?;
    let price = price_e4(&input.price)?;
    let today = crate::kernel::due::today(p);
    let i = in_tx!(p.db, |c| {
        let pl = super::platforms::readable(&mut c, pr, platform_id).await?;
        let auth = pr.authorize(Action::CloudManage, &pl.region_path)?;
        if store::item_by_code(&mut c, &pl.id, &code).await?.is_some() {
            return Err(AppError::conflict(
                "cloud.code_taken",
                format!("服务目录中已有编码为 {code} 的服务"),
            ));
        }
        let now = p.now_us();
        let i = CatalogueItemRow {
            id: new_id(),
            platform_id: pl.id.clone(),
            code: code.clone(),
            name: cl.name.clone(),
            category: category.as_str().into(),
            unit: cl.unit.clone(),
            mode: mode.as_str().into(),
            valid_from: cl.valid_from.clone(),
            valid_to: cl.valid_to.clone(),
            source: cl.source.clone(),
            created_at: now,
            updated_at: now,
        };
        store::insert_item(&mut c, &i).await?;
        let from = parse_day(&i.valid_from, "生效日期")?.max(earliest_price_day(today));
        store::insert_price(
            &mut c,
            &CloudPriceRow {
                id: new_id(),
                item_id: i.id.clone(),
                price_e4: price,
                effective_from: day(from),
                note: String::new(),
                created_by: pr.user_id.clone(),
                created_at: now,
            },
        )
        .await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cloud.item_create", "cloud_item", &i.id).after(format!(
                "{} {}（{}，{}）{} 元/{}，自 {} 起",
                i.code,
                i.name,
                category.label(),
                mode.label(),
                format_unit_price(price),
                i.unit,
                day(from)
            )),
        )
        .await?;
        Ok(i)
    })?;
    let mut c = p.db.read().await?;
    view(&mut c, &day(today), i).await
}

/// Edits an item's name, unit, validity and source (a new version of the
/// catalogue is an item's end and another's start: its code, category and
/// mode do not change).
pub async fn update_item(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
    input: &CatalogueItemInput,
) -> Result<CatalogueItemView, AppError> {
    let cl = clean_item(input)?;
    let today = crate::kernel::due::today(p);
    let i = in_tx!(p.db, |c| {
        let old = readable(&mut c, pr, id).await?;
        let pl = store::get_platform(&mut c, &old.platform_id)
            .await?
            .ok_or_else(AppError::internal)?;
        let auth = pr.authorize(Action::CloudManage, &pl.region_path)?;
        let mut i = old.clone();
        i.name = cl.name.clone();
        i.unit = cl.unit.clone();
        i.valid_from = cl.valid_from.clone();
        i.valid_to = cl.valid_to.clone();
        i.source = cl.source.clone();
        i.updated_at = p.now_us().max(old.updated_at + 1);
        if old.updated_at != input.updated_at
            || !store::update_item(&mut c, &i, old.updated_at).await?
        {
            return Err(AppError::conflict(
                "cloud.changed",
                "该记录刚被他人修改，请刷新后重试",
            ));
        }
        let text = |i: &CatalogueItemRow| {
            format!(
                "{} {}（{}）{} 至 {}",
                i.code,
                i.name,
                i.unit,
                i.valid_from,
                i.valid_to.as_deref().unwrap_or("长期")
            )
        };
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cloud.item_update", "cloud_item", &i.id)
                .before(text(&old))
                .after(text(&i)),
        )
        .await?;
        Ok(i)
    })?;
    let mut c = p.db.read().await?;
    view(&mut c, &day(today), i).await
}

/// Appends a price from a day on. Never edits one: a second price from the
/// same day is refused; a day before the first of this month is refused.
pub async fn add_price(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    item_id: &str,
    input: &PriceInput,
) -> Result<CatalogueItemView, AppError> {
    let price = price_e4(&input.price)?;
    let from = parse_day(&input.effective_from, "生效日期")?;
    let note = clean_text(&input.note, "调价说明", 500, false)?;
    let today = crate::kernel::due::today(p);
    check_price_day(from, today)?;
    let i = in_tx!(p.db, |c| {
        let i = readable(&mut c, pr, item_id).await?;
        let pl = store::get_platform(&mut c, &i.platform_id)
            .await?
            .ok_or_else(AppError::internal)?;
        let auth = pr.authorize(Action::CloudManage, &pl.region_path)?;
        let before = store::price_on(&mut c, &i.id, &day(from)).await?;
        let row = CloudPriceRow {
            id: new_id(),
            item_id: i.id.clone(),
            price_e4: price,
            effective_from: day(from),
            note: note.clone(),
            created_by: pr.user_id.clone(),
            created_at: p.now_us(),
        };
        if !store::insert_price(&mut c, &row).await? {
            return Err(AppError::conflict(
                "cloud.price_exists",
                format!(
                    "{} 起已有价格；价格只增不改，请另选生效日期",
                    row.effective_from
                ),
            ));
        }
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cloud.price_add", "cloud_item", &i.id)
                .before(
                    before
                        .map(|b| format!("{} 元/{}", format_unit_price(b.price_e4), i.unit))
                        .unwrap_or_default(),
                )
                .after(format!(
                    "{} {}：{} 元/{}，自 {} 起",
                    i.code,
                    i.name,
                    format_unit_price(price),
                    i.unit,
                    row.effective_from
                ))
                .reason(note.clone()),
        )
        .await?;
        Ok(i)
    })?;
    let mut c = p.db.read().await?;
    view(&mut c, &day(today), i).await
}

/// An item of a platform the caller sees (not found otherwise).
pub(crate) async fn readable(
    c: &mut DbConn,
    pr: &Principal,
    id: &str,
) -> Result<CatalogueItemRow, AppError> {
    let i = store::get_item(c, id.trim()).await?.ok_or_else(not_found)?;
    super::platforms::readable(c, pr, &i.platform_id)
        .await
        .map_err(|_| not_found())?;
    Ok(i)
}

pub async fn get(p: &Platform, pr: &Principal, id: &str) -> Result<CatalogueItemView, AppError> {
    let today = day(crate::kernel::due::today(p));
    let mut c = p.db.read().await?;
    let i = readable(&mut c, pr, id).await?;
    view(&mut c, &today, i).await
}

/// The catalogue of a platform; `in_force_only` keeps the items valid today.
pub async fn list(
    p: &Platform,
    pr: &Principal,
    platform_id: &str,
    in_force_only: bool,
) -> Result<Vec<CatalogueItemView>, AppError> {
    let today = day(crate::kernel::due::today(p));
    let mut c = p.db.read().await?;
    let pl = super::platforms::readable(&mut c, pr, platform_id).await?;
    let rows = store::items(
        &mut c,
        &pl.id,
        in_force_only.then_some(today.as_str()),
        MAX_ITEMS,
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for i in rows {
        out.push(view(&mut c, &today, i).await?);
    }
    Ok(out)
}

/// An item of `platform_id` in force on `today` (for an application).
pub(crate) async fn in_force_item(
    c: &mut DbConn,
    platform_id: &str,
    item: &str,
    today: &str,
) -> Result<CatalogueItemRow, AppError> {
    let item = item.trim();
    let found = match store::get_item(c, item).await? {
        Some(i) => Some(i),
        None => store::item_by_code(c, platform_id, item).await?,
    };
    match found {
        Some(i) if i.platform_id == platform_id && in_force(&i, today) => Ok(i),
        Some(i) if i.platform_id == platform_id => Err(AppError::bad_request(
            "cloud.item_not_in_force",
            format!("服务“{}”今天不在服务目录有效期内，不能申请", i.name),
        )),
        _ => Err(AppError::bad_request(
            "cloud.item_unknown",
            format!("服务目录中没有“{item}”"),
        )),
    }
}
