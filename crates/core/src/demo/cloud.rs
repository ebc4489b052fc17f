//! The demo's government clouds (issue 14, ADR 0016), one per data file:
//! 宿迁市政务云 (`demo/cloud.toml`): the platform, its units, the catalogue
//! with a rate cut, systems in every state the pack has, twelve months of
//! utilisation (one system low last month with its proposal open, one
//! downsized after a low month, one high), the bills of every month (the
//! older ones verified and sent, the last a draft), the provider's
//! evaluation and its reports; and the smaller 淮安市政务云
//! (`demo/cloud_huaian.toml`) on a pack with a trial, where the browser
//! journey ends a trial and judges a month. Everything goes through the
//! use cases at its own moment in the past (`demo::at`), by the people each
//! data file names.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};
use yunwei_domain::calendar::date_in_shanghai;
use yunwei_domain::policy::hooks;
use yunwei_domain::policy::model::{FieldType, Process};
use yunwei_domain::AppError;
use yunwei_store::orgs;

use super::{at, demo_principal};
use crate::features::cloud::{
    billing, catalogue, evaluation, platforms, reclaim, systems, units, usage,
};
use crate::tickets::{self, OpenInput, TransitionInput};
use crate::{Ctx, Platform, Principal};

/// The data file of each demo cloud.
const DATA: [&str; 2] = [
    include_str!("cloud.toml"),
    include_str!("cloud_huaian.toml"),
];

#[derive(Deserialize)]
struct Data {
    platform: PlatformData,
    people: PeopleData,
    item: Vec<ItemData>,
    unit: Vec<UnitData>,
    system: Vec<SystemData>,
}

#[derive(Deserialize)]
struct PlatformData {
    name: String,
    pack: String,
    started_days_ago: i64,
    catalogue_source: String,
}

/// The usernames of the demo accounts acting on the cloud.
#[derive(Deserialize)]
struct PeopleData {
    manager: String,
    county: Option<String>,
    unit: String,
    provider: String,
    monitor: String,
}

#[derive(Deserialize)]
struct ItemData {
    code: String,
    name: String,
    category: String,
    unit: String,
    mode: String,
    price: String,
    new_price: Option<String>,
    new_price_months_ago: Option<u32>,
}

#[derive(Deserialize)]
struct UnitData {
    org: String,
    level: String,
    funding: String,
    #[serde(default)]
    local_finance_pays: bool,
    county_bureau: Option<String>,
}

#[derive(Deserialize)]
struct SystemData {
    org: String,
    name: String,
    dengbao: i64,
    miping: String,
    #[serde(default)]
    important: bool,
    #[serde(default)]
    nda: String,
    stage: String,
    days_ago: i64,
    usage: String,
    resources: BTreeMap<String, i64>,
}

struct People {
    /// The platform's name, on the demo's scanned materials.
    cloud: String,
    manager: Principal,
    county: Option<Principal>,
    unit: Principal,
    provider: Principal,
    monitor: Principal,
}

/// First day of the month `back` months before `d`'s.
fn month_start(d: NaiveDate, back: u32) -> NaiveDate {
    let mut y = d.year();
    let mut m = d.month() as i32 - back as i32;
    while m < 1 {
        m += 12;
        y -= 1;
    }
    NaiveDate::from_ymd_opt(y, m as u32, 1).expect("valid month")
}

/// 09:30 China time on `d`.
fn morning(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(1, 30, 0).expect("valid time").and_utc()
}

/// The organisation named `name` in the subtree of `city_id`.
async fn org_id(p: &Platform, city_id: &str, name: &str) -> Result<Option<String>, AppError> {
    let mut c = p.db.read().await?;
    let Some(city) = orgs::get(&mut c, city_id).await? else {
        return Ok(None);
    };
    let scope = yunwei_store::Scope::ranges(vec![(city.path.clone(), true)]);
    Ok(orgs::list(&mut c, &scope)
        .await?
        .into_iter()
        .find(|o| o.name == name)
        .map(|o| o.id))
}

/// Seeds each of the demo's clouds once (nothing happens for a cloud whose
/// manager already sees a platform).
pub async fn seed(p: &Platform) -> Result<(), AppError> {
    for text in DATA {
        let data: Data = toml::from_str(text).map_err(|e| {
            tracing::error!(error = %e, "demo cloud data");
            AppError::internal()
        })?;
        seed_one(p, &data).await?;
    }
    Ok(())
}

/// Seeds the cloud of one data file.
async fn seed_one(p: &Platform, data: &Data) -> Result<(), AppError> {
    let people = &data.people;
    let county = match &people.county {
        Some(u) => match demo_principal(p, u).await? {
            Some(pr) => Some(pr),
            None => return Ok(()),
        },
        None => None,
    };
    let (Some(manager), Some(unit), Some(provider), Some(monitor)) = (
        demo_principal(p, &people.manager).await?,
        demo_principal(p, &people.unit).await?,
        demo_principal(p, &people.provider).await?,
        demo_principal(p, &people.monitor).await?,
    ) else {
        return Ok(());
    };
    if !platforms::list(p, &manager).await?.is_empty() {
        return Ok(());
    }
    let who = People {
        cloud: data.platform.name.clone(),
        manager,
        county,
        unit,
        provider,
        monitor,
    };
    let ctx = Ctx::system("demo-cloud");
    let today = date_in_shanghai(p.clock.now());
    let start = today - Duration::days(data.platform.started_days_ago);
    let early = at(p, morning(start));

    // The platform: the city's data bureau over the city, its provider and
    // monitor (their organisations are the vendors of the city).
    let (city_id, bureau_id, provider_id, monitor_id) = {
        let mut c = p.db.read().await?;
        let bureau = orgs::get(&mut c, &who.manager.org_id)
            .await?
            .ok_or_else(AppError::internal)?;
        let city = orgs::get(
            &mut c,
            bureau.parent_id.as_deref().ok_or_else(AppError::internal)?,
        )
        .await?
        .ok_or_else(AppError::internal)?;
        (
            city.id,
            bureau.id,
            who.provider.org_id.clone(),
            who.monitor.org_id.clone(),
        )
    };
    let pl = platforms::create(
        &early,
        &ctx,
        &who.manager,
        &platforms::PlatformInput {
            name: data.platform.name.clone(),
            pack_id: data.platform.pack.clone(),
            bureau_org_id: bureau_id,
            region_org_id: city_id.clone(),
            provider_org_id: provider_id,
            monitor_org_id: monitor_id,
        },
    )
    .await?;
    let platform_id = pl.platform.id.clone();

    // Units and their funding (SNYP-17).
    let mut unit_ids: BTreeMap<String, String> = BTreeMap::new();
    for u in &data.unit {
        let Some(id) = org_id(p, &city_id, &u.org).await? else {
            continue;
        };
        let county_bureau = match &u.county_bureau {
            Some(name) => org_id(p, &city_id, name).await?.unwrap_or_default(),
            None => String::new(),
        };
        units::set(
            &early,
            &ctx,
            &who.manager,
            &units::UnitInput {
                platform_id: platform_id.clone(),
                org_id: id.clone(),
                level: u.level.clone(),
                funding: u.funding.clone(),
                local_finance_pays: u.local_finance_pays,
                county_bureau_org_id: county_bureau,
                version: 0,
            },
        )
        .await?;
        unit_ids.insert(u.org.clone(), id);
    }

    // The catalogue and the rate cut of a later month (SNYP-18).
    for i in &data.item {
        let view = catalogue::create_item(
            &early,
            &ctx,
            &who.manager,
            &platform_id,
            &catalogue::CatalogueItemInput {
                code: i.code.clone(),
                name: i.name.clone(),
                category: i.category.clone(),
                unit: i.unit.clone(),
                mode: i.mode.clone(),
                valid_from: start.format("%Y-%m-%d").to_string(),
                valid_to: String::new(),
                source: data.platform.catalogue_source.clone(),
                price: i.price.clone(),
                updated_at: 0,
            },
        )
        .await?;
        if let (Some(new), Some(months)) = (&i.new_price, i.new_price_months_ago) {
            let from = month_start(today, months);
            catalogue::add_price(
                &at(p, morning(from)),
                &ctx,
                &who.manager,
                &view.item.id,
                &catalogue::PriceInput {
                    price: new.clone(),
                    effective_from: from.format("%Y-%m-%d").to_string(),
                    note: "经管理部门与云服务商协商，参照省级政务云费率下调".into(),
                },
            )
            .await?;
        }
    }

    // The systems, each carried as far as its stage through the pack's
    // processes.
    let pack = p
        .packs
        .iter()
        .find(|pk| pk.id == data.platform.pack)
        .ok_or_else(AppError::internal)?;
    let by_gate =
        |gate: &str| -> Option<&Process> { pack.processes.iter().find(|pr| pr.uses_hook(gate)) };
    let apply = by_gate(hooks::CLOUD_APPLY_READY).ok_or_else(AppError::internal)?;
    let exit = by_gate(hooks::CLOUD_EXIT_READY);
    let trial = pack.cloud.as_ref().and_then(|r| r.trial_days);
    let mut online: Vec<(String, String, String, NaiveDate)> = Vec::new();
    for s in &data.system {
        let Some(unit_org) = unit_ids.get(&s.org) else {
            continue;
        };
        // The unit's own staff file their unit's systems; the manager the
        // others'.
        let registrar = if *unit_org == who.unit.org_id {
            &who.unit
        } else {
            &who.manager
        };
        // A system in its trial: submitted, approved and allocated a day
        // apart, the trial begun the middle of the pack's trial length ago.
        let in_trial = s.stage == "trial";
        let day = match trial {
            Some((min, max)) if in_trial => today - Duration::days(i64::from(min + max) / 2 + 2),
            _ => today - Duration::days(s.days_ago),
        };
        let when = at(p, morning(day));
        let detail = systems::register(
            &when,
            &ctx,
            registrar,
            &systems::SystemInput {
                org_id: unit_org.clone(),
                name: s.name.clone(),
                ci: String::new(),
                dengbao_level: s.dengbao,
                miping: s.miping.clone(),
                important: s.important,
                nda_ref: s.nda.clone(),
                version: 0,
            },
        )
        .await?;
        let system_id = detail.system.system.id.clone();
        for (code, qty) in &s.resources {
            systems::request(
                &when,
                &ctx,
                registrar,
                &system_id,
                &systems::RequestInput {
                    item: code.clone(),
                    quantity: *qty,
                    replaces_id: String::new(),
                },
            )
            .await?;
        }
        if s.stage == "applying" {
            continue;
        }
        // A park has no local authority in the demo: it applies to the city
        // directly, which the pack allows a park (SNYP-12).
        let level = data
            .unit
            .iter()
            .find(|u| u.org == s.org)
            .map(|u| {
                if u.level == "park" {
                    "city".to_string()
                } else {
                    u.level.clone()
                }
            })
            .unwrap_or_default();
        let mut opening = Map::new();
        opening.insert("title".into(), Value::String(format!("{}上云申请", s.name)));
        opening.insert(
            "system".into(),
            Value::String(detail.system.ci_code.clone()),
        );
        opening.insert("unit_level".into(), Value::String(level));
        opening.insert("kind".into(), Value::String("migration".into()));
        let stop_after = match s.stage.as_str() {
            "local_review" => 1,
            "trial" => 3,
            "deploying" => 4,
            _ => 12,
        };
        walk(
            p,
            &who,
            registrar,
            pack.id.as_str(),
            apply,
            opening,
            day,
            stop_after,
        )
        .await?;
        if s.stage == "online" || s.stage == "exiting" {
            online.push((
                system_id.clone(),
                detail.system.ci_code.clone(),
                s.usage.clone(),
                day,
            ));
        }
        if s.stage == "exiting" {
            if let Some(exit) = exit {
                let mut fields = Map::new();
                fields.insert("title".into(), Value::String(format!("{}服务终止", s.name)));
                fields.insert(
                    "system".into(),
                    Value::String(detail.system.ci_code.clone()),
                );
                let d = today - Duration::days(20);
                fields.insert(
                    "stopped_using_on".into(),
                    Value::String(d.format("%Y-%m-%d").to_string()),
                );
                walk(
                    p,
                    &who,
                    registrar,
                    pack.id.as_str(),
                    exit,
                    fields,
                    today - Duration::days(12),
                    2,
                )
                .await?;
            }
        }
    }

    utilisation(p, &who, &ctx, &platform_id, &online, today).await?;
    bills(p, &who, &ctx, &platform_id, start, today).await?;
    evaluations(p, &who, &ctx, &platform_id, today).await?;
    Ok(())
}

/// Opens a ticket of `process` with `opening` and walks it forward, a day
/// a step from `day`, trying the cloud's people in turn, for at most
/// `steps` steps. Where the pack has a trial and no one can move the ticket,
/// the walk waits out the trial's shortest length once and tries again.
#[allow(clippy::too_many_arguments)]
async fn walk(
    p: &Platform,
    who: &People,
    requester: &Principal,
    pack: &str,
    process: &Process,
    opening: Map<String, Value>,
    day: NaiveDate,
    steps: usize,
) -> Result<(), AppError> {
    let ctx = Ctx::system("demo-cloud");
    let first = at(p, morning(day) + Duration::minutes(10));
    let t = tickets::open(
        &first,
        &ctx,
        requester,
        &OpenInput {
            pack: pack.into(),
            process: process.id.clone(),
            title: opening
                .get("title")
                .and_then(Value::as_str)
                .unwrap_or("政务云事项")
                .to_string(),
            org_id: None,
            on_behalf_of: None,
            fields: opening,
        },
    )
    .await?;
    let mut actors = vec![requester];
    actors.extend(who.county.as_ref());
    actors.extend([&who.manager, &who.provider, &who.monitor, &who.unit]);
    let wait = p
        .packs
        .iter()
        .find(|pk| pk.id == pack)
        .and_then(|pk| pk.cloud.as_ref())
        .and_then(|r| r.trial_days)
        .map(|(min, _)| Duration::days(i64::from(min)));
    let mut waited = Duration::zero();
    let mut k = 0;
    'step: while k < steps {
        let p = &at(
            p,
            morning(day) + waited + Duration::hours(2 + 24 * k as i64),
        );
        for pr in actors.iter().copied() {
            let Ok(d) = tickets::detail(p, pr, &t.id).await else {
                continue;
            };
            if let Some(v) = d.approval.as_ref().filter(|v| v.can_vote) {
                tickets::vote(p, &ctx, pr, &t.id, &v.id, true, "确认").await?;
                k += 1;
                continue 'step;
            }
            let Some(tr) = d.transitions.iter().find(|tr| {
                !["reject", "return", "report", "extend", "refuse"]
                    .iter()
                    .any(|w| tr.id.contains(w))
            }) else {
                continue;
            };
            for kind in &tr.attachments {
                if !d.attachments.iter().any(|a| &a.kind == kind) {
                    tickets::attach(
                        p,
                        &ctx,
                        pr,
                        &t.id,
                        kind,
                        &format!("{kind}.pdf"),
                        format!("{}申请材料（扫描件），经办人已签字。", who.cloud).as_bytes(),
                    )
                    .await?;
                }
            }
            let mut fields = Map::new();
            for f in &tr.require {
                if !f.value.is_empty() {
                    continue;
                }
                if let Some(field) = process.field(&f.id) {
                    let v = match field.ty {
                        FieldType::Bool => Value::Bool(false),
                        FieldType::Date => {
                            Value::String(p.clock.now().format("%Y-%m-%d").to_string())
                        }
                        FieldType::Choice => field
                            .choices
                            .first()
                            .map(|c| Value::String(c.id.clone()))
                            .unwrap_or(Value::Null),
                        _ => Value::String(format!("{}：按要求办理，材料齐全。", field.label)),
                    };
                    fields.insert(f.id.clone(), v);
                }
            }
            let input = TransitionInput {
                transition: tr.id.clone(),
                fields,
                comment: format!("{}。", tr.label),
                assignee: None,
            };
            if tickets::transition(p, &ctx, pr, &t.id, &input)
                .await
                .is_ok()
            {
                k += 1;
                continue 'step;
            }
        }
        match wait {
            Some(d) if waited.is_zero() => waited = d,
            _ => break,
        }
    }
    Ok(())
}

/// One month's measures of a system by its profile: `low` only last month,
/// `recovered` low six months ago and downsized after, `high` for the last
/// three months (`pending`: normal, its last month not filed); one month of
/// 融媒体 short of samples.
fn measures(profile: &str, back: u32, seed: usize) -> (String, String, String, String, u32) {
    let wobble = (seed * 7 + back as usize * 3) % 9;
    let (cpu, mem, used_pct) = match (profile, back) {
        ("low", 1) => (6 + wobble % 3, 21 + wobble, 31),
        ("recovered", 6) => (7, 24, 35),
        ("high", 1..=3) => (68 + wobble, 86, 84),
        _ => (22 + wobble * 2, 48 + wobble, 62 + wobble),
    };
    let total = 2000 + seed * 500;
    let used = total * used_pct / 100;
    let days = if profile == "normal" && back == 3 && seed.is_multiple_of(3) {
        12
    } else {
        30
    };
    (
        format!("{cpu}.{}", (seed * 13 + back as usize) % 10),
        format!("{mem}.{}", (seed * 7 + back as usize) % 10),
        used.to_string(),
        total.to_string(),
        days,
    )
}

/// Twelve months of the monitor's monthly tables, imported on the 3rd of
/// the month after; the downsizing of the one low month six months ago.
async fn utilisation(
    p: &Platform,
    who: &People,
    ctx: &Ctx,
    platform_id: &str,
    online: &[(String, String, String, NaiveDate)],
    today: NaiveDate,
) -> Result<(), AppError> {
    for back in (1..=12u32).rev() {
        let month = month_start(today, back);
        let mut csv = String::from(
            "系统编码,月份,CPU平均利用率(%),内存平均利用率(%),存储已用(GB),存储总量(GB),采样天数\n",
        );
        let mut rows = 0;
        for (i, (_, code, profile, since)) in online.iter().enumerate() {
            if *since >= month || (profile == "pending" && back == 1) {
                continue;
            }
            let (cpu, mem, used, total, days) = measures(profile, back, i);
            // No more sample days than the month has (a February).
            let days = days.min(yunwei_domain::cloud::days_in_month(
                month.year(),
                month.month(),
            ));
            csv.push_str(&format!(
                "{code},{},{cpu},{mem},{used},{total},{days}\n",
                month.format("%Y-%m")
            ));
            rows += 1;
        }
        if rows == 0 {
            continue;
        }
        let filed = at(p, morning(month_start(today, back - 1) + Duration::days(2)));
        let report = usage::import(
            &filed,
            ctx,
            &who.monitor,
            platform_id,
            &format!("{}资源使用情况表.csv", month.format("%Y年%m月")),
            csv.as_bytes(),
        )
        .await?;
        // A refused row writes nothing: the demo's table must be whole.
        if let Some(e) = report.errors.first() {
            tracing::error!(line = e.line, reason = %e.reason, "demo cloud usage");
            return Err(AppError::internal());
        }
        if back == 6 {
            downsize(p, who, ctx, today).await?;
        }
    }
    Ok(())
}

/// The proposal of the low month six months ago: the provider plans half
/// the vCPUs, the bureau confirms, the unit accepts, the provider
/// implements.
async fn downsize(p: &Platform, who: &People, ctx: &Ctx, today: NaiveDate) -> Result<(), AppError> {
    let base = month_start(today, 5);
    let step = |d: i64| at(p, morning(base + Duration::days(d)));
    for item in reclaim::list(&step(3), &who.provider, None).await? {
        let r = reclaim::get(&step(3), &who.provider, &item.id).await?;
        let changes: Vec<reclaim::PlannedChange> = r
            .resources
            .iter()
            .filter(|res| res.item_name.contains("vCPU") && res.quantity > 1)
            .map(|res| reclaim::PlannedChange {
                resource_id: res.id.clone(),
                action: "resize".into(),
                quantity: Some(res.quantity / 2),
            })
            .collect();
        if changes.is_empty() {
            continue;
        }
        let r = reclaim::plan(
            &step(3),
            ctx,
            &who.provider,
            &item.id,
            &reclaim::PlanInput {
                plan: "CPU平均利用率连续低于10%，建议将云主机 vCPU 减半，内存与存储保持不变。"
                    .into(),
                changes,
                version: r.row.version,
            },
        )
        .await?;
        let r = reclaim::confirm(&step(5), ctx, &who.manager, &item.id, r.row.version).await?;
        let r =
            reclaim::answer(&step(8), ctx, &who.unit, &item.id, true, "", r.row.version).await?;
        reclaim::implement(&step(12), ctx, &who.provider, &item.id, None, r.row.version).await?;
    }
    Ok(())
}

/// Every month's bill, computed on the 6th of the month after; all but the
/// last verified by the departments that settle them and sent to finance.
async fn bills(
    p: &Platform,
    who: &People,
    ctx: &Ctx,
    platform_id: &str,
    start: NaiveDate,
    today: NaiveDate,
) -> Result<(), AppError> {
    for back in (1..=13u32).rev() {
        let month = month_start(today, back);
        if month < month_start(start, 0) {
            continue;
        }
        let computed = at(p, morning(month_start(today, back - 1) + Duration::days(5)));
        let run = billing::compute(
            &computed,
            ctx,
            &who.manager,
            platform_id,
            &month.format("%Y-%m").to_string(),
        )
        .await?;
        if back == 1 {
            continue;
        }
        let later = at(p, morning(month_start(today, back - 1) + Duration::days(9)));
        for pr in std::iter::once(&who.manager).chain(who.county.as_ref()) {
            // A county's managers see the bill only when their county has
            // lines in it.
            let Ok(view) = billing::get(&later, pr, &run.id).await else {
                continue;
            };
            for part in view.parts.iter().filter(|part| part.can_verify) {
                billing::verify(&later, ctx, pr, &run.id, &part.settler_org_id).await?;
            }
        }
        let view = billing::get(&later, &who.manager, &run.id).await?;
        if view.can_send {
            billing::send(&later, ctx, &who.manager, &run.id).await?;
        }
    }
    Ok(())
}

/// The contract's weights and bands for the provider, and the evaluations
/// of the quarters that have ended this year.
async fn evaluations(
    p: &Platform,
    who: &People,
    ctx: &Ctx,
    platform_id: &str,
    today: NaiveDate,
) -> Result<(), AppError> {
    let rules = {
        let mut c = p.db.read().await?;
        let pl = yunwei_store::cloud::get_platform(&mut c, platform_id)
            .await?
            .ok_or_else(AppError::internal)?;
        crate::features::cloud::rules(p, &pl)?.clone()
    };
    if rules.indicators.is_empty() {
        return Ok(());
    }
    let n = rules.indicators.len() as i64;
    let mut weights = BTreeMap::new();
    for (i, ind) in rules.indicators.iter().enumerate() {
        let w = 100 / n + i64::from((i as i64) < 100 % n);
        weights.insert(ind.id.clone(), w.to_string());
    }
    let bands = vec![
        evaluation::Band {
            min_score: "90".into(),
            deduction: "0".into(),
        },
        evaluation::Band {
            min_score: "80".into(),
            deduction: "2".into(),
        },
        evaluation::Band {
            min_score: "70".into(),
            deduction: "5".into(),
        },
        evaluation::Band {
            min_score: "0".into(),
            deduction: "10".into(),
        },
    ];
    let year_start = NaiveDate::from_ymd_opt(today.year(), 1, 1).expect("valid date");
    let set_at = at(p, morning(year_start));
    evaluation::set_scheme(
        &set_at,
        ctx,
        &who.manager,
        platform_id,
        "provider",
        &evaluation::SchemeInput { weights, bands },
    )
    .await?;
    for q in 1..=4u32 {
        let ends = month_start(
            NaiveDate::from_ymd_opt(today.year(), q * 3, 1).expect("valid"),
            0,
        );
        let after = yunwei_domain::cloud::next_month_start(ends) + Duration::days(9);
        if after > today {
            break;
        }
        let when = at(p, morning(after));
        let quarter = format!("{}-Q{q}", today.year());
        let mut scores = BTreeMap::new();
        for (i, ind) in rules.indicators.iter().enumerate() {
            let s = if q == 2 && i == 0 {
                78
            } else {
                92 - (i as i64 % 3) * 3
            };
            scores.insert(ind.id.clone(), s.to_string());
        }
        evaluation::save(
            &when,
            ctx,
            &who.manager,
            platform_id,
            &evaluation::EvaluationInput {
                quarter: quarter.clone(),
                vendor_role: "provider".into(),
                scores,
                note: "根据季度检查、服务响应记录和使用单位满意度调查评分。".into(),
            },
        )
        .await?;
        evaluation::confirm(&when, ctx, &who.manager, platform_id, "provider", &quarter).await?;
    }
    Ok(())
}
