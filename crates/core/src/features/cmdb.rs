//! The CMDB (EEDS-1.3, EEDS-3.6, JSCZ-10; ADR 0005): configuration items
//! of the four maintenance categories with owner organisation, maintaining
//! vendor, location, status, software versions, patch levels and licences;
//! relations and the impact of an item; the tickets that touch an item;
//! the IP address plan (conflicts refused); Excel import and export.
//!
//! Reading needs `Action::BusinessRead` in the item's organisation,
//! writing `Action::RegisterEdit`. Every change is audited and indexed for
//! search (`doc_type = "ci"`) in its transaction.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use yunwei_domain::cmdb::{
    check_in_segment, clean_text, parse_address, parse_segment, usable_addresses, Category,
    CiStatus, RelationKind,
};
use yunwei_domain::ids::new_id;
use yunwei_domain::roles::Action;
use yunwei_domain::{AppError, ErrorKind};
use yunwei_store::cmdb::{
    self as store, AllocationRow, CiFilter, LinkedTicket, RelationRow, SegmentRow,
};
use yunwei_store::orgs::{self, OrgRow};
use yunwei_store::{in_tx, DbConn, Scope};

use crate::kernel::audit::{record, Actor, Event};
use crate::{Authorized, Ctx, Platform, Principal};

pub use yunwei_store::cmdb::CiRow;

/// The search index type of configuration items.
pub const DOC_TYPE: &str = "ci";
pub const MAX_PER_PAGE: u64 = 200;
/// Most rows in one import or export.
pub const MAX_ROWS: usize = 20_000;
/// How far the impact walk follows relations.
const IMPACT_DEPTH: usize = 12;

fn not_found() -> AppError {
    AppError::not_found("配置项")
}

fn changed() -> AppError {
    AppError::conflict("cmdb.changed", "该配置项已被他人修改，请刷新后重试")
}

// ---- input ----

/// A new item or a whole edit. Text fields are trimmed; optional ones may
/// be empty.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct CiInput {
    /// 编号; generated when empty on create.
    #[serde(default)]
    pub code: String,
    pub name: String,
    pub category: String,
    #[serde(default)]
    pub ci_type: String,
    /// Owner organisation; the caller's when empty.
    #[serde(default)]
    pub org_id: String,
    #[serde(default)]
    pub vendor: String,
    #[serde(default)]
    pub location: String,
    /// `in_use` when empty.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub patch_level: String,
    #[serde(default)]
    pub licence: String,
    /// `YYYY-MM-DD` or empty.
    #[serde(default)]
    pub licence_expires: String,
    #[serde(default)]
    pub notes: String,
}

/// The validated fields of an item, before an organisation is resolved.
#[derive(Clone)]
struct Clean {
    code: String,
    name: String,
    category: Category,
    ci_type: String,
    vendor: String,
    location: String,
    status: CiStatus,
    version: String,
    patch_level: String,
    licence: String,
    licence_expires: Option<String>,
    notes: String,
}

fn parse_date(s: &str, label: &str) -> Result<Option<String>, AppError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y/%m/%d"))
        .map_err(|_| {
            AppError::bad_request(
                "cmdb.date_invalid",
                format!("{label}“{s}”不是有效日期，应写成 2027-06-30"),
            )
        })?;
    Ok(Some(d.format("%Y-%m-%d").to_string()))
}

fn clean(i: &CiInput) -> Result<Clean, AppError> {
    let code = clean_text(&i.code, "编号", 64, false)?;
    if code.chars().any(|c| c.is_whitespace() || c == '/') {
        return Err(AppError::bad_request(
            "cmdb.code_invalid",
            "编号不能包含空格或斜杠",
        ));
    }
    Ok(Clean {
        code,
        name: clean_text(&i.name, "名称", 200, true)?,
        category: Category::parse(&i.category)?,
        ci_type: clean_text(&i.ci_type, "类型", 100, false)?,
        vendor: clean_text(&i.vendor, "维护厂商", 200, false)?,
        location: clean_text(&i.location, "位置", 200, false)?,
        status: if i.status.trim().is_empty() {
            CiStatus::InUse
        } else {
            CiStatus::parse(&i.status)?
        },
        version: clean_text(&i.version, "版本", 100, false)?,
        patch_level: clean_text(&i.patch_level, "补丁级别", 100, false)?,
        licence: clean_text(&i.licence, "许可证", 500, false)?,
        licence_expires: parse_date(&i.licence_expires, "许可到期")?,
        notes: clean_text(&i.notes, "备注", 4000, false)?,
    })
}

fn generated_code(id: &str) -> String {
    let tail: String = id.chars().rev().filter(|c| *c != '-').take(8).collect();
    format!("CI-{}", tail.to_uppercase())
}

fn row_of(c: Clean, id: String, org: &OrgRow, now: i64, created_at: i64) -> CiRow {
    CiRow {
        code: if c.code.is_empty() {
            generated_code(&id)
        } else {
            c.code
        },
        id,
        name: c.name,
        category: c.category.as_str().into(),
        ci_type: c.ci_type,
        org_id: org.id.clone(),
        org_path: org.path.clone(),
        vendor: c.vendor,
        location: c.location,
        status: c.status.as_str().into(),
        version: c.version,
        patch_level: c.patch_level,
        licence: c.licence,
        licence_expires: c.licence_expires,
        notes: c.notes,
        created_at,
        updated_at: now,
    }
}

// ---- helpers ----

fn category_label(s: &str) -> &'static str {
    Category::parse(s).map(|c| c.label()).unwrap_or("未知")
}

fn status_label(s: &str) -> &'static str {
    CiStatus::parse(s).map(|c| c.label()).unwrap_or("未知")
}

/// The item's text for audit records.
fn audit_text(a: &CiRow) -> String {
    format!(
        "编号：{}\n名称：{}\n类别：{}\n类型：{}\n维护厂商：{}\n位置：{}\n状态：{}\n版本：{}\n补丁级别：{}\n许可证：{}\n许可到期：{}",
        a.code,
        a.name,
        category_label(&a.category),
        a.ci_type,
        a.vendor,
        a.location,
        status_label(&a.status),
        a.version,
        a.patch_level,
        a.licence,
        a.licence_expires.as_deref().unwrap_or("")
    )
}

pub(crate) async fn index(c: &mut DbConn, a: &CiRow) -> Result<(), AppError> {
    let title = format!("{} {}", a.code, a.name);
    let body = format!(
        "{} {} {} {} {} {} {}",
        category_label(&a.category),
        a.ci_type,
        a.vendor,
        a.location,
        a.version,
        a.patch_level,
        a.notes
    );
    crate::kernel::search::index_document(
        c,
        &crate::kernel::search::Document {
            doc_type: DOC_TYPE,
            doc_id: &a.id,
            org_path: &a.org_path,
            title: &title,
            body: &body,
            updated_at: a.updated_at,
        },
    )
    .await
}

async fn org_for(c: &mut DbConn, pr: &Principal, org_id: &str) -> Result<OrgRow, AppError> {
    let id = if org_id.trim().is_empty() {
        pr.org_id.as_str()
    } else {
        org_id.trim()
    };
    orgs::get(c, id)
        .await?
        .ok_or_else(|| AppError::not_found("机构"))
}

/// An item the caller may read (not found otherwise).
async fn load_readable(c: &mut DbConn, pr: &Principal, id: &str) -> Result<CiRow, AppError> {
    store::get_ci(c, id)
        .await?
        .filter(|a| pr.can(Action::BusinessRead, &a.org_path))
        .ok_or_else(not_found)
}

/// An item the caller may change: not found when unreadable, refused when
/// readable but not theirs to keep.
async fn load_editable<'a>(
    c: &mut DbConn,
    pr: &'a Principal,
    id: &str,
) -> Result<(CiRow, Authorized<'a>), AppError> {
    let a = load_readable(c, pr, id).await?;
    let auth = pr.authorize(Action::RegisterEdit, &a.org_path)?;
    Ok((a, auth))
}

// ---- items ----

/// The subject type of an item's occurrences in the due-date engine.
pub const SUBJECT: &str = crate::kernel::due::CONFIGURATION_ITEM;

/// Keeps the licence expiry of an item in the due-date engine (EEDS-3.6.2):
/// one open occurrence due the day after the licence ends; a renewal (a
/// later expiry) answers the earlier one, a removed expiry drops the open
/// ones not yet due.
async fn schedule_licence(p: &Platform, c: &mut DbConn, a: &CiRow) -> Result<(), AppError> {
    let now = p.now_us();
    let Some(expires) = a
        .licence_expires
        .as_deref()
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    else {
        yunwei_store::controls::delete_open_not_due(c, SUBJECT, &a.id, now).await?;
        return Ok(());
    };
    let due = yunwei_domain::schedule::start_of_day_shanghai(expires + chrono::Duration::days(1))
        .timestamp_micros();
    let done_ref = format!("{SUBJECT}:{}", a.id);
    crate::kernel::due::complete_open(
        c,
        (SUBJECT, &a.id),
        "licence",
        |ctl| ctl.due_at < due,
        usize::MAX,
        (&done_ref, now),
    )
    .await?;
    // A shortened licence: the later occurrence no longer applies.
    for ctl in yunwei_store::controls::of_subject(c, SUBJECT, &a.id, 100).await? {
        if ctl.kind == "licence" && ctl.done_at.is_none() && ctl.due_at > due {
            yunwei_store::controls::delete_open_not_due(c, SUBJECT, &a.id, ctl.due_at - 1).await?;
        }
    }
    let title = licence_title(a);
    crate::kernel::due::ensure_once(
        c,
        &crate::kernel::due::Subject {
            kind: "licence",
            subject_type: SUBJECT,
            subject_id: &a.id,
            org_id: &a.org_id,
            org_path: &a.org_path,
            title: &title,
            source: "EEDS-3.6.2",
        },
        due,
        now,
    )
    .await?;
    Ok(())
}

/// The title of an item's licence occurrence: the licence in brackets
/// when one is named (never empty brackets 「（）」).
fn licence_title(a: &CiRow) -> String {
    match a.licence.trim() {
        "" => format!("{} {} 许可证", a.code, a.name),
        l => format!("{} {}（{l}）", a.code, a.name),
    }
}

pub async fn create(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    input: &CiInput,
) -> Result<CiRow, AppError> {
    let cl = clean(input)?;
    in_tx!(p.db, |c| {
        let org = org_for(&mut c, pr, &input.org_id).await?;
        let auth = pr.authorize(Action::RegisterEdit, &org.path)?;
        let now = p.now_us();
        let a = row_of(cl.clone(), new_id(), &org, now, now);
        store::insert_ci(&mut c, &a).await?;
        index(&mut c, &a).await?;
        schedule_licence(p, &mut c, &a).await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cmdb.create", "ci", &a.id).after(audit_text(&a)),
        )
        .await?;
        Ok(a)
    })
}

/// Creates an item of `org` in the caller's transaction, audited (a cloud
/// system registered with a new 应用系统 item).
pub(crate) async fn create_in(
    p: &Platform,
    c: &mut DbConn,
    ctx: &Ctx,
    auth: Authorized<'_>,
    org: &OrgRow,
    input: &CiInput,
) -> Result<CiRow, AppError> {
    let cl = clean(input)?;
    let now = p.now_us();
    let a = row_of(cl, new_id(), org, now, now);
    store::insert_ci(c, &a).await?;
    index(c, &a).await?;
    schedule_licence(p, c, &a).await?;
    record(
        p,
        c,
        ctx,
        Actor::User(auth),
        Event::success("cmdb.create", "ci", &a.id).after(audit_text(&a)),
    )
    .await?;
    Ok(a)
}

/// Replaces every field of an item (the form shows them all); guarded by
/// `expected_updated` (the `updated_at` the editor read), so two editors
/// cannot overwrite each other unnoticed. Moving an item to another
/// organisation needs `RegisterEdit` on both.
pub async fn update(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
    input: &CiInput,
    expected_updated: Option<i64>,
) -> Result<CiRow, AppError> {
    let cl = clean(input)?;
    in_tx!(p.db, |c| {
        let (old, auth) = load_editable(&mut c, pr, id).await?;
        if expected_updated.is_some_and(|e| e != old.updated_at) {
            return Err(changed());
        }
        let org = if input.org_id.trim().is_empty() || input.org_id.trim() == old.org_id {
            org_for(&mut c, pr, &old.org_id).await?
        } else {
            let o = org_for(&mut c, pr, &input.org_id).await?;
            // Moved: the caller keeps the items of the new place too.
            pr.authorize(Action::RegisterEdit, &o.path)?;
            o
        };
        let now = p.now_us().max(old.updated_at + 1);
        let mut a = row_of(cl.clone(), old.id.clone(), &org, now, old.created_at);
        if input.code.trim().is_empty() {
            a.code = old.code.clone();
        }
        if !store::update_ci(&mut c, &a, old.updated_at).await? {
            return Err(changed());
        }
        index(&mut c, &a).await?;
        schedule_licence(p, &mut c, &a).await?;
        // The open licence occurrence follows the item: moved to another
        // organisation, it is that organisation's (its overview and
        // notices), named as the item is now.
        if a.org_id != old.org_id || licence_title(&a) != licence_title(&old) {
            yunwei_store::controls::retitle_open(
                &mut c,
                SUBJECT,
                &a.id,
                &licence_title(&a),
                &a.org_id,
                &a.org_path,
            )
            .await?;
        }
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cmdb.update", "ci", &a.id)
                .before(audit_text(&old))
                .after(audit_text(&a)),
        )
        .await?;
        Ok(a)
    })
}

/// One item for display, with its labels.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CiView {
    #[serde(flatten)]
    pub ci: CiRow,
    pub category_label: &'static str,
    pub status_label: &'static str,
    pub org_name: String,
}

async fn view(
    c: &mut DbConn,
    a: CiRow,
    names: &mut HashMap<String, String>,
) -> Result<CiView, AppError> {
    let org_name = match names.get(&a.org_id) {
        Some(n) => n.clone(),
        None => {
            let n = orgs::get(c, &a.org_id)
                .await?
                .map(|o| o.name)
                .unwrap_or_default();
            names.insert(a.org_id.clone(), n.clone());
            n
        }
    };
    Ok(CiView {
        category_label: category_label(&a.category),
        status_label: status_label(&a.status),
        org_name,
        ci: a,
    })
}

/// A relation seen from one item.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RelationView {
    pub id: String,
    pub kind: String,
    /// "运行于" / "依赖" / "连接", read from this item to the other one,
    /// or its reverse ("承载" / "被依赖" / "连接") for incoming relations.
    pub label: String,
    pub outgoing: bool,
    pub other_id: String,
    pub other_code: String,
    pub other_name: String,
}

/// An item hit by a failure of the item in view, with the path that
/// carries the impact.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImpactView {
    pub id: String,
    pub code: String,
    pub name: String,
    pub category_label: &'static str,
    /// 1 = runs on / depends on the item directly.
    pub depth: usize,
    /// `false`: outside the caller's scope; shown by code only.
    pub visible: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CiDetail {
    pub ci: CiView,
    pub relations: Vec<RelationView>,
    pub impact: Vec<ImpactView>,
    /// Tickets linked to the item that the caller may see, newest first.
    pub tickets: Vec<LinkedTicket>,
    pub addresses: Vec<AllocationRow>,
    pub can_edit: bool,
}

fn reverse_label(k: RelationKind) -> &'static str {
    match k {
        RelationKind::RunsOn => "承载",
        RelationKind::DependsOn => "被依赖",
        RelationKind::ConnectsTo => "连接",
    }
}

pub async fn detail(p: &Platform, pr: &Principal, id: &str) -> Result<CiDetail, AppError> {
    let mut c = p.db.read().await?;
    let a = load_readable(&mut c, pr, id).await?;
    let rels = store::relations_of(&mut c, &a.id).await?;
    let others: Vec<String> = rels
        .iter()
        .map(|r| {
            if r.from_ci == a.id {
                r.to_ci.clone()
            } else {
                r.from_ci.clone()
            }
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let other_rows: HashMap<String, CiRow> = store::cis_by_ids(&mut c, &others)
        .await?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    let relations = rels
        .iter()
        .filter_map(|r| {
            let outgoing = r.from_ci == a.id;
            let other = other_rows.get(if outgoing { &r.to_ci } else { &r.from_ci })?;
            let kind = RelationKind::parse(&r.kind).ok()?;
            let visible = pr.can(Action::BusinessRead, &other.org_path);
            Some(RelationView {
                id: r.id.clone(),
                kind: r.kind.clone(),
                label: if outgoing {
                    kind.label()
                } else {
                    reverse_label(kind)
                }
                .into(),
                outgoing,
                other_id: other.id.clone(),
                other_code: other.code.clone(),
                other_name: if visible {
                    other.name.clone()
                } else {
                    "（无权查看）".into()
                },
            })
        })
        .collect();
    let impact = impact_of(&mut c, pr, &a.id).await?;
    let tickets = store::tickets_of_ci(&mut c, &a.id, 100)
        .await?
        .into_iter()
        .filter(|t| pr.can(Action::BusinessRead, &t.org_path))
        .collect();
    let addresses = store::allocations(&mut c, None, Some(&a.id)).await?;
    let can_edit = pr.can(Action::RegisterEdit, &a.org_path);
    let mut names = HashMap::new();
    let ci = view(&mut c, a, &mut names).await?;
    Ok(CiDetail {
        ci,
        relations,
        impact,
        tickets,
        addresses,
        can_edit,
    })
}

/// Everything that runs on or depends on `id`, transitively (breadth
/// first, each item once at its shortest depth; cycles are harmless).
async fn impact_of(c: &mut DbConn, pr: &Principal, id: &str) -> Result<Vec<ImpactView>, AppError> {
    let kinds: Vec<&str> = RelationKind::ALL
        .iter()
        .filter(|k| k.propagates_impact())
        .map(|k| k.as_str())
        .collect();
    let mut seen: HashSet<String> = HashSet::from([id.to_string()]);
    let mut depth_of: BTreeMap<String, usize> = BTreeMap::new();
    let mut frontier = vec![id.to_string()];
    for depth in 1..=IMPACT_DEPTH {
        let next: Vec<String> = store::dependents(c, &frontier, &kinds)
            .await?
            .into_iter()
            .map(|(from, _)| from)
            .filter(|f| seen.insert(f.clone()))
            .collect();
        for n in &next {
            depth_of.insert(n.clone(), depth);
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    let ids: Vec<String> = depth_of.keys().cloned().collect();
    let mut out: Vec<ImpactView> = store::cis_by_ids(c, &ids)
        .await?
        .into_iter()
        .map(|r| {
            let visible = pr.can(Action::BusinessRead, &r.org_path);
            ImpactView {
                depth: depth_of.get(&r.id).copied().unwrap_or(0),
                code: r.code.clone(),
                name: if visible {
                    r.name.clone()
                } else {
                    "（无权查看）".into()
                },
                category_label: category_label(&r.category),
                id: r.id,
                visible,
            }
        })
        .collect();
    out.sort_by(|a, b| a.depth.cmp(&b.depth).then(a.code.cmp(&b.code)));
    Ok(out)
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub org_id: String,
    /// Part of the code, name, type, vendor or location.
    #[serde(default)]
    pub q: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CiPage {
    pub items: Vec<CiView>,
    pub total: i64,
}

async fn filter_of(c: &mut DbConn, q: &ListQuery) -> Result<CiFilter, AppError> {
    let org_path = if q.org_id.trim().is_empty() {
        None
    } else {
        Some(
            orgs::get(c, q.org_id.trim())
                .await?
                .ok_or_else(|| AppError::not_found("机构"))?
                .path,
        )
    };
    Ok(CiFilter {
        category: (!q.category.trim().is_empty())
            .then(|| Category::parse(&q.category).map(|c| c.as_str().to_string()))
            .transpose()?,
        status: (!q.status.trim().is_empty())
            .then(|| CiStatus::parse(&q.status).map(|c| c.as_str().to_string()))
            .transpose()?,
        org_path,
        text: Some(q.q.trim().to_string()).filter(|s| !s.is_empty()),
    })
}

pub async fn list(
    p: &Platform,
    pr: &Principal,
    q: &ListQuery,
    page: u64,
    per_page: u64,
) -> Result<CiPage, AppError> {
    let per_page = per_page.clamp(1, MAX_PER_PAGE);
    let scope = pr.scope_for(Action::BusinessRead);
    let mut c = p.db.read().await?;
    let f = filter_of(&mut c, q).await?;
    let (rows, total) = store::list_cis(
        &mut c,
        &scope,
        &f,
        page.saturating_sub(1) * per_page,
        per_page,
    )
    .await?;
    let mut names = HashMap::new();
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        items.push(view(&mut c, r, &mut names).await?);
    }
    Ok(CiPage { items, total })
}

// ---- relations ----

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct RelationInput {
    /// The other item, by id or code.
    pub to: String,
    pub kind: String,
}

async fn ci_by_ref(c: &mut DbConn, pr: &Principal, r: &str) -> Result<CiRow, AppError> {
    let r = r.trim();
    let found = match store::get_ci(c, r).await? {
        Some(a) => Some(a),
        None => store::ci_by_code(c, r).await?,
    };
    found
        .filter(|a| pr.can(Action::BusinessRead, &a.org_path))
        .ok_or_else(|| AppError::bad_request("cmdb.ci_unknown", format!("找不到配置项“{r}”")))
}

/// Records that item `id` runs on / depends on / connects to another.
pub async fn add_relation(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
    input: &RelationInput,
) -> Result<RelationRow, AppError> {
    let kind = RelationKind::parse(&input.kind)?;
    in_tx!(p.db, |c| {
        let (a, auth) = load_editable(&mut c, pr, id).await?;
        let other = ci_by_ref(&mut c, pr, &input.to).await?;
        if other.id == a.id {
            return Err(AppError::bad_request(
                "cmdb.relation_self",
                "配置项不能与自身建立关系",
            ));
        }
        let r = RelationRow {
            id: new_id(),
            from_ci: a.id.clone(),
            to_ci: other.id.clone(),
            kind: kind.as_str().into(),
            created_at: p.now_us(),
        };
        store::insert_relation(&mut c, &r).await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cmdb.relation_add", "ci", &a.id).after(format!(
                "{} {} {}",
                a.code,
                kind.label(),
                other.code
            )),
        )
        .await?;
        Ok(r)
    })
}

pub async fn remove_relation(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    relation_id: &str,
) -> Result<(), AppError> {
    in_tx!(p.db, |c| {
        let r = store::get_relation(&mut c, relation_id)
            .await?
            .ok_or_else(|| AppError::not_found("关系"))?;
        let (a, auth) = load_editable(&mut c, pr, &r.from_ci).await?;
        let other = store::get_ci(&mut c, &r.to_ci)
            .await?
            .ok_or_else(not_found)?;
        store::delete_relation(&mut c, &r.id).await?;
        let kind = RelationKind::parse(&r.kind)
            .map(|k| k.label())
            .unwrap_or("");
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cmdb.relation_remove", "ci", &a.id)
                .before(format!("{} {} {}", a.code, kind, other.code)),
        )
        .await?;
        Ok(())
    })
}

// ---- tickets ----

/// Links a ticket the caller may work on to an item they may read
/// (incidents, problems and changes name the items they touch).
pub async fn link_ticket(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    ticket_id: &str,
    ci_ref: &str,
) -> Result<CiRow, AppError> {
    in_tx!(p.db, |c| {
        let t = yunwei_store::tickets::get(&mut c, ticket_id)
            .await?
            .filter(|t| crate::tickets::can_see(pr, t))
            .ok_or_else(|| AppError::not_found("工单"))?;
        let auth = pr.authorize(Action::BusinessOperate, &t.org_path)?;
        let a = ci_by_ref(&mut c, pr, ci_ref).await?;
        store::link_ticket(&mut c, &new_id(), &t.id, &a.id, &pr.user_id, p.now_us()).await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cmdb.ticket_link", "ticket", &t.id).after(format!(
                "工单 {} 关联配置项 {} {}",
                t.number, a.code, a.name
            )),
        )
        .await?;
        Ok(a)
    })
}

/// The configuration item a ticket names by code or id in one of its
/// fields (the server of a software installation, JSCZ-39), linked to the
/// ticket in the caller's transaction unless it is already. Refused when
/// the CMDB has no such item: the installation must be traceable on the
/// item. Looked up across the CMDB (the vendor applying may not read the
/// centre's items, only name the one it works on).
pub(crate) async fn link_named_item(
    c: &mut DbConn,
    ticket_id: &str,
    named: &str,
    by: &str,
    now: i64,
) -> Result<(), AppError> {
    let named = named.trim();
    let found = match store::get_ci(c, named).await? {
        Some(a) => Some(a),
        None => store::ci_by_code(c, named).await?,
    };
    let Some(item) = found else {
        return Err(AppError::bad_request(
            "cmdb.ci_unknown",
            format!("配置管理库中没有编号为“{named}”的配置项，请填写服务器的配置项编号（JSCZ-39）"),
        ));
    };
    if !store::cis_of_ticket(c, ticket_id)
        .await?
        .iter()
        .any(|a| a.id == item.id)
    {
        store::link_ticket(c, &new_id(), ticket_id, &item.id, by, now).await?;
    }
    Ok(())
}

pub async fn unlink_ticket(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    ticket_id: &str,
    ci_id: &str,
) -> Result<(), AppError> {
    in_tx!(p.db, |c| {
        let t = yunwei_store::tickets::get(&mut c, ticket_id)
            .await?
            .filter(|t| crate::tickets::can_see(pr, t))
            .ok_or_else(|| AppError::not_found("工单"))?;
        let auth = pr.authorize(Action::BusinessOperate, &t.org_path)?;
        let a = store::get_ci(&mut c, ci_id).await?.ok_or_else(not_found)?;
        if !store::unlink_ticket(&mut c, &t.id, &a.id).await? {
            return Err(AppError::not_found("关联"));
        }
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cmdb.ticket_unlink", "ticket", &t.id).before(format!(
                "工单 {} 关联配置项 {} {}",
                t.number, a.code, a.name
            )),
        )
        .await?;
        Ok(())
    })
}

/// The items linked to a ticket (the caller has already been allowed to
/// see the ticket).
/// An item linked to a ticket, as the caller may see it: one outside the
/// caller's business-read scope shows its code and category only.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LinkedCi {
    pub id: String,
    pub code: String,
    pub category: String,
    /// Whether the caller may read the item; when false, `name` is
    /// 「（无权查看）」 and `item` is absent.
    pub visible: bool,
    pub name: String,
    /// The whole item, for a caller who may read it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<CiRow>,
}

/// The items linked to a ticket the caller may see (404 otherwise, as a
/// read by id), each redacted to what the caller may read: the same for
/// the API and the ticket page.
pub async fn cis_of_ticket(
    p: &Platform,
    pr: &Principal,
    ticket_id: &str,
) -> Result<Vec<LinkedCi>, AppError> {
    let mut c = p.db.read().await?;
    let ticket = yunwei_store::tickets::get(&mut c, ticket_id)
        .await?
        .filter(|t| crate::tickets::can_see(pr, t))
        .ok_or_else(|| AppError::not_found("工单"))?;
    Ok(store::cis_of_ticket(&mut c, &ticket.id)
        .await?
        .into_iter()
        .map(|ci| {
            let visible = pr.can(Action::BusinessRead, &ci.org_path);
            LinkedCi {
                id: ci.id.clone(),
                code: ci.code.clone(),
                category: ci.category.clone(),
                visible,
                name: if visible {
                    ci.name.clone()
                } else {
                    "（无权查看）".into()
                },
                item: visible.then_some(ci),
            }
        })
        .collect())
}

/// One choice of the configuration item picker on the ticket forms.
#[derive(Debug, Clone, Serialize)]
pub struct PickItem {
    pub code: String,
    pub name: String,
    pub category_label: &'static str,
    pub org_name: String,
}

/// Most choices the picker offers at once (the browser filters them as the
/// user types; typing more asks the server again).
pub const PICK_LIMIT: u64 = 100;

/// The items the caller may name as the system a ticket concerns
/// (`tickets::may_name_ci`: readable, or in a vendor's contract regions)
/// whose code, name, type, vendor or location contains `q`, by code.
pub async fn pick(p: &Platform, pr: &Principal, q: &str) -> Result<Vec<PickItem>, AppError> {
    let mut c = p.db.read().await?;
    let f = CiFilter {
        text: Some(q.trim().chars().take(64).collect()).filter(|t: &String| !t.is_empty()),
        ..Default::default()
    };
    let mut rows: Vec<CiRow> = Vec::new();
    for scope in [
        pr.scope_for(Action::BusinessRead),
        pr.unassigned_ticket_scope(),
    ] {
        if scope.is_empty() {
            continue;
        }
        let (found, _) = store::list_cis(&mut c, &scope, &f, 0, PICK_LIMIT).await?;
        for r in found {
            if !rows.iter().any(|x| x.id == r.id) {
                rows.push(r);
            }
        }
    }
    rows.sort_by(|a, b| a.code.cmp(&b.code));
    rows.truncate(PICK_LIMIT as usize);
    let mut names = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let v = view(&mut c, r, &mut names).await?;
        out.push(PickItem {
            code: v.ci.code,
            name: v.ci.name,
            category_label: v.category_label,
            org_name: v.org_name,
        });
    }
    Ok(out)
}

/// What a failure of an item linked to a ticket hits: the item and every
/// item that runs on or depends on it (as on the item's page), for the
/// ticket page.
#[derive(Debug, Clone, Serialize)]
pub struct TicketImpact {
    pub ci: LinkedCi,
    pub impact: Vec<ImpactView>,
}

/// The impact of each item linked to a ticket the caller may see (404
/// otherwise); an item the caller may not read shows no impact.
pub async fn impact_of_ticket(
    p: &Platform,
    pr: &Principal,
    ticket_id: &str,
) -> Result<Vec<TicketImpact>, AppError> {
    let linked = cis_of_ticket(p, pr, ticket_id).await?;
    let mut c = p.db.read().await?;
    let mut out = Vec::with_capacity(linked.len());
    for ci in linked {
        let impact = if ci.visible {
            impact_of(&mut c, pr, &ci.id).await?
        } else {
            Vec::new()
        };
        out.push(TicketImpact { ci, impact });
    }
    Ok(out)
}

// ---- IP plan ----

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct SegmentInput {
    pub cidr: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub org_id: String,
}

pub async fn create_segment(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    input: &SegmentInput,
) -> Result<SegmentRow, AppError> {
    let net = parse_segment(&input.cidr)?;
    let name = clean_text(&input.name, "网段名称", 100, false)?;
    in_tx!(p.db, |c| {
        let org = org_for(&mut c, pr, &input.org_id).await?;
        let auth = pr.authorize(Action::RegisterEdit, &org.path)?;
        // Overlapping segments would make an address belong to two plans.
        for s in store::list_segments(&mut c, &Scope::system()).await? {
            if let Ok(other) = parse_segment(&s.cidr) {
                if other.contains(&net.network()) || net.contains(&other.network()) {
                    return Err(AppError::conflict(
                        "cmdb.segment_overlap",
                        format!("网段 {net} 与已登记的网段 {other} 重叠"),
                    ));
                }
            }
        }
        let s = SegmentRow {
            id: new_id(),
            cidr: net.to_string(),
            name: name.clone(),
            org_id: org.id.clone(),
            org_path: org.path.clone(),
            created_at: p.now_us(),
        };
        store::insert_segment(&mut c, &s).await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cmdb.segment_create", "ip_segment", &s.id)
                .after(format!("{} {}", s.cidr, s.name)),
        )
        .await?;
        Ok(s)
    })
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SegmentView {
    #[serde(flatten)]
    pub segment: SegmentRow,
    pub used: usize,
    /// Usable addresses (IPv4: size minus network and broadcast).
    pub capacity: u128,
}

fn capacity(cidr: &str) -> u128 {
    parse_segment(cidr)
        .map(|n| usable_addresses(&n))
        .unwrap_or(0)
}

pub async fn segments(p: &Platform, pr: &Principal) -> Result<Vec<SegmentView>, AppError> {
    let mut c = p.db.read().await?;
    let rows = store::list_segments(&mut c, &pr.scope_for(Action::BusinessRead)).await?;
    let mut out = Vec::with_capacity(rows.len());
    for s in rows {
        let used = store::allocations(&mut c, Some(&s.id), None).await?.len();
        out.push(SegmentView {
            capacity: capacity(&s.cidr),
            used,
            segment: s,
        });
    }
    Ok(out)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AllocationView {
    #[serde(flatten)]
    pub allocation: AllocationRow,
    pub ci_code: String,
    /// 「（无权查看）」 for an item outside the caller's business-read scope.
    pub ci_name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SegmentDetail {
    pub segment: SegmentView,
    pub allocations: Vec<AllocationView>,
    pub can_edit: bool,
}

pub async fn segment_detail(
    p: &Platform,
    pr: &Principal,
    id: &str,
) -> Result<SegmentDetail, AppError> {
    let mut c = p.db.read().await?;
    let s = store::get_segment(&mut c, id)
        .await?
        .filter(|s| pr.can(Action::BusinessRead, &s.org_path))
        .ok_or_else(|| AppError::not_found("网段"))?;
    let mut allocs = store::allocations(&mut c, Some(&s.id), None).await?;
    // Numeric order (10.0.0.9 before 10.0.0.10).
    allocs.sort_by_key(|a| parse_address(&a.address).ok());
    let ci_ids: Vec<String> = allocs.iter().filter_map(|a| a.ci_id.clone()).collect();
    let cis: HashMap<String, CiRow> = store::cis_by_ids(&mut c, &ci_ids)
        .await?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    let allocations = allocs
        .into_iter()
        .map(|a| {
            let ci = a.ci_id.as_ref().and_then(|i| cis.get(i));
            AllocationView {
                ci_code: ci.map(|c| c.code.clone()).unwrap_or_default(),
                // An item of an organisation the caller may not read (a
                // segment's address given to another's item) by its code.
                ci_name: ci
                    .map(|c| {
                        if pr.can(Action::BusinessRead, &c.org_path) {
                            c.name.clone()
                        } else {
                            "（无权查看）".into()
                        }
                    })
                    .unwrap_or_default(),
                allocation: a,
            }
        })
        .collect();
    let can_edit = pr.can(Action::RegisterEdit, &s.org_path);
    Ok(SegmentDetail {
        segment: SegmentView {
            capacity: capacity(&s.cidr),
            used: 0,
            segment: s,
        },
        allocations,
        can_edit,
    })
    .map(|mut d| {
        d.segment.used = d.allocations.len();
        d
    })
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct AllocationInput {
    pub address: String,
    /// The item using the address (id or code), if any.
    #[serde(default)]
    pub ci: String,
    #[serde(default)]
    pub purpose: String,
}

async fn conflict_message(c: &mut DbConn, addr: &str) -> Result<Option<AppError>, AppError> {
    let Some(existing) = store::allocation_by_address(c, addr).await? else {
        return Ok(None);
    };
    let holder = match &existing.ci_id {
        Some(id) => store::get_ci(c, id)
            .await?
            .map(|a| format!("配置项 {}", a.code))
            .unwrap_or_default(),
        None => existing.purpose.clone(),
    };
    Ok(Some(AppError::conflict(
        "cmdb.address_taken",
        format!("IP 地址 {addr} 已分配给{holder}，地址冲突"),
    )))
}

/// Allocates an address of a segment (conflicts refused: an address is
/// allocated at most once in the whole plan).
pub async fn allocate(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    segment_id: &str,
    input: &AllocationInput,
) -> Result<AllocationRow, AppError> {
    let addr = parse_address(&input.address)?;
    let purpose = clean_text(&input.purpose, "用途", 200, false)?;
    in_tx!(p.db, |c| {
        let s = store::get_segment(&mut c, segment_id)
            .await?
            .filter(|s| pr.can(Action::BusinessRead, &s.org_path))
            .ok_or_else(|| AppError::not_found("网段"))?;
        let auth = pr.authorize(Action::RegisterEdit, &s.org_path)?;
        let net = parse_segment(&s.cidr)?;
        check_in_segment(&net, addr)?;
        let ci = if input.ci.trim().is_empty() {
            None
        } else {
            Some(ci_by_ref(&mut c, pr, &input.ci).await?)
        };
        if let Some(e) = conflict_message(&mut c, &addr.to_string()).await? {
            return Err(e);
        }
        let a = AllocationRow {
            id: new_id(),
            segment_id: s.id.clone(),
            address: addr.to_string(),
            ci_id: ci.as_ref().map(|c| c.id.clone()),
            purpose: purpose.clone(),
            created_at: p.now_us(),
        };
        store::insert_allocation(&mut c, &a).await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cmdb.ip_allocate", "ip_segment", &s.id).after(format!(
                "{} -> {}{}",
                a.address,
                ci.as_ref().map(|c| c.code.as_str()).unwrap_or(""),
                if a.purpose.is_empty() {
                    String::new()
                } else {
                    format!("（{}）", a.purpose)
                }
            )),
        )
        .await?;
        Ok(a)
    })
}

pub async fn release(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    allocation_id: &str,
) -> Result<(), AppError> {
    in_tx!(p.db, |c| {
        let a = store::get_allocation(&mut c, allocation_id)
            .await?
            .ok_or_else(|| AppError::not_found("IP 分配"))?;
        let s = store::get_segment(&mut c, &a.segment_id)
            .await?
            .filter(|s| pr.can(Action::BusinessRead, &s.org_path))
            .ok_or_else(|| AppError::not_found("IP 分配"))?;
        let auth = pr.authorize(Action::RegisterEdit, &s.org_path)?;
        store::delete_allocation(&mut c, &a.id).await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cmdb.ip_release", "ip_segment", &s.id).before(a.address.clone()),
        )
        .await?;
        Ok(())
    })
}

// ---- Excel ----

/// The columns of the CMDB sheet, in export order; an import needs the
/// required ones and refuses unknown ones.
pub const COLUMNS: [(&str, bool); 14] = [
    ("编号", false),
    ("名称", true),
    ("类别", true),
    ("类型", false),
    ("所属机构", true),
    ("维护厂商", false),
    ("位置", false),
    ("状态", false),
    ("IP地址", false),
    ("版本", false),
    ("补丁级别", false),
    ("许可证", false),
    ("许可到期", false),
    ("备注", false),
];

pub async fn export(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    q: &ListQuery,
    reason: &str,
) -> Result<Vec<u8>, AppError> {
    let reason = crate::kernel::audit::require_reason(reason)?;
    let auth = pr.authorize_somewhere(Action::BusinessRead)?;
    let scope = pr.scope_for(Action::BusinessRead);
    let (rows, names, addrs) = {
        let mut c = p.db.read().await?;
        let f = filter_of(&mut c, q).await?;
        let (rows, _) = store::list_cis(&mut c, &scope, &f, 0, MAX_ROWS as u64).await?;
        let mut names: HashMap<String, String> = HashMap::new();
        let mut addrs: HashMap<String, Vec<String>> = HashMap::new();
        for r in &rows {
            if !names.contains_key(&r.org_id) {
                let n = orgs::get(&mut c, &r.org_id)
                    .await?
                    .map(|o| o.name)
                    .unwrap_or_default();
                names.insert(r.org_id.clone(), n);
            }
        }
        for a in store::allocations(&mut c, None, None).await? {
            if let Some(ci) = a.ci_id {
                addrs.entry(ci).or_default().push(a.address);
            }
        }
        (rows, names, addrs)
    };
    let data: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.code.clone(),
                r.name.clone(),
                category_label(&r.category).into(),
                r.ci_type.clone(),
                names.get(&r.org_id).cloned().unwrap_or_default(),
                r.vendor.clone(),
                r.location.clone(),
                status_label(&r.status).into(),
                addrs.get(&r.id).map(|v| v.join(",")).unwrap_or_default(),
                r.version.clone(),
                r.patch_level.clone(),
                r.licence.clone(),
                r.licence_expires.clone().unwrap_or_default(),
                r.notes.clone(),
            ]
        })
        .collect();
    let headers: Vec<&str> = COLUMNS.iter().map(|(h, _)| *h).collect();
    let bytes = crate::kernel::export::table_xlsx(
        "配置项",
        &pr.display_name,
        p.clock.now(),
        &headers,
        &data,
    )?;
    crate::kernel::audit::audit_export(
        p,
        ctx,
        auth,
        "cmdb.export",
        "ci",
        format!("导出 {} 个配置项", data.len()),
        &reason,
    )
    .await?;
    Ok(bytes)
}

/// One refused row of an import: its line in the sheet (as Excel numbers
/// it) and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = CmdbRowError)]
pub struct RowError {
    pub line: u32,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = CmdbImportReport)]
pub struct ImportReport {
    /// Rows read (not counting the header and blank lines).
    pub rows: usize,
    /// Items written (0 on a dry run).
    pub created: usize,
    /// Rows that would be written (= `created` unless a dry run).
    pub valid: usize,
    pub errors: Vec<RowError>,
    pub dry_run: bool,
}

fn file_error(msg: impl Into<String>) -> AppError {
    AppError::bad_request("cmdb.import_file", msg)
}

/// A parsed sheet: the header's column positions and the data rows with
/// their Excel line numbers.
struct Sheet {
    columns: HashMap<&'static str, usize>,
    rows: Vec<(u32, Vec<String>)>,
}

async fn read_sheet(bytes: &[u8]) -> Result<Sheet, AppError> {
    // The shared reader (issue 11): limits checked while streaming; only
    // the non-blank rows come back, with their Excel line numbers.
    let all = crate::registers::import::read(
        bytes,
        crate::registers::import::Limits {
            max_rows: MAX_ROWS,
            csv: false,
        },
        file_error,
    )
    .await?;
    // The header is the first row naming 名称 (an export has a title line
    // above it).
    let header_at = all
        .iter()
        .take(crate::registers::import::HEADER_ROWS)
        .position(|(_, r)| r.iter().any(|c| c == "名称"))
        .ok_or_else(|| {
            file_error(format!(
                "找不到表头：第一行应为列名（{}）",
                COLUMNS
                    .iter()
                    .map(|(h, _)| *h)
                    .collect::<Vec<_>>()
                    .join("、")
            ))
        })?;
    let mut columns = HashMap::new();
    let mut unknown = Vec::new();
    for (i, h) in all[header_at].1.iter().enumerate() {
        let h = h.replace(' ', "");
        if h.is_empty() {
            continue;
        }
        match COLUMNS.iter().find(|(c, _)| *c == h) {
            Some((c, _)) => {
                if columns.insert(*c, i).is_some() {
                    return Err(file_error(format!("列“{c}”出现了两次")));
                }
            }
            None => unknown.push(h),
        }
    }
    if !unknown.is_empty() {
        return Err(file_error(format!(
            "无法识别的列：{}（可用的列：{}）",
            unknown.join("、"),
            COLUMNS
                .iter()
                .map(|(h, _)| *h)
                .collect::<Vec<_>>()
                .join("、")
        )));
    }
    let missing: Vec<&str> = COLUMNS
        .iter()
        .filter(|(c, req)| *req && !columns.contains_key(c))
        .map(|(c, _)| *c)
        .collect();
    if !missing.is_empty() {
        return Err(file_error(format!("缺少必需的列：{}", missing.join("、"))));
    }
    let rows: Vec<(u32, Vec<String>)> = all.into_iter().skip(header_at + 1).collect();
    if rows.is_empty() {
        return Err(file_error("表中没有数据行"));
    }
    if rows.len() > MAX_ROWS {
        return Err(file_error(format!("一次最多导入 {MAX_ROWS} 行")));
    }
    Ok(Sheet { columns, rows })
}

/// The segment id and canonical address an imported row allocates.
type SegmentAddress = (String, String);

/// Imports items from the first sheet of an .xlsx file. Every row is
/// validated first; the good rows are then written in one transaction (one
/// audit record each, plus one for the import), the bad ones reported with
/// their line and reason. Wrong columns or an empty sheet refuse the file.
/// `dry_run` validates only.
pub async fn import(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    bytes: &[u8],
    dry_run: bool,
) -> Result<ImportReport, AppError> {
    let auth = pr.authorize_somewhere(Action::RegisterEdit)?;
    let sheet = read_sheet(bytes).await?;
    let get = |row: &Vec<String>, col: &str| -> String {
        sheet
            .columns
            .get(col)
            .and_then(|i| row.get(*i))
            .cloned()
            .unwrap_or_default()
    };
    let editable = pr.scope_for(Action::RegisterEdit);
    let mut c = p.db.read().await?;
    let all_orgs = orgs::list(&mut c, &editable).await?;
    let segments = store::list_segments(&mut c, &Scope::system()).await?;
    let codes: Vec<String> = sheet
        .rows
        .iter()
        .map(|(_, r)| get(r, "编号"))
        .filter(|s| !s.is_empty())
        .collect();
    let taken: HashSet<String> = store::existing_codes(&mut c, &codes)
        .await?
        .into_iter()
        .collect();
    let mut good: Vec<(u32, CiRow, Option<SegmentAddress>)> = Vec::new();
    let mut errors = Vec::new();
    let mut seen_codes: HashMap<String, u32> = HashMap::new();
    let mut seen_addrs: HashMap<String, u32> = HashMap::new();
    let now = p.now_us();
    for (line, r) in &sheet.rows {
        let line = *line;
        let res: Result<(CiRow, Option<(String, String)>), AppError> = async {
            let input = CiInput {
                code: get(r, "编号"),
                name: get(r, "名称"),
                category: get(r, "类别"),
                ci_type: get(r, "类型"),
                org_id: String::new(),
                vendor: get(r, "维护厂商"),
                location: get(r, "位置"),
                status: get(r, "状态"),
                version: get(r, "版本"),
                patch_level: get(r, "补丁级别"),
                licence: get(r, "许可证"),
                licence_expires: get(r, "许可到期"),
                notes: get(r, "备注"),
            };
            let cl = clean(&input)?;
            let org_name = get(r, "所属机构");
            let matches: Vec<&OrgRow> = all_orgs
                .iter()
                .filter(|o| o.name == org_name || o.id == org_name)
                .collect();
            let org = match matches.as_slice() {
                [o] => *o,
                [] => {
                    return Err(AppError::bad_request(
                        "cmdb.import_org",
                        format!("所属机构“{org_name}”不存在或不在您可维护的范围内"),
                    ))
                }
                _ => {
                    return Err(AppError::bad_request(
                        "cmdb.import_org",
                        format!("所属机构“{org_name}”有重名，请改用机构编号"),
                    ))
                }
            };
            if !cl.code.is_empty() {
                if taken.contains(&cl.code) {
                    return Err(AppError::conflict(
                        "cmdb.code_taken",
                        format!("编号 {} 已存在", cl.code),
                    ));
                }
                if let Some(first) = seen_codes.get(&cl.code) {
                    return Err(AppError::conflict(
                        "cmdb.code_taken",
                        format!("编号 {} 与第 {first} 行重复", cl.code),
                    ));
                }
            }
            let id = new_id();
            let row = row_of(cl, id, org, now, now);
            let ip = get(r, "IP地址");
            let alloc = if ip.is_empty() {
                None
            } else {
                let addr = parse_address(&ip)?;
                let seg = segments
                    .iter()
                    .find(|s| parse_segment(&s.cidr).is_ok_and(|n| n.contains(&addr)))
                    .ok_or_else(|| {
                        AppError::bad_request(
                            "cmdb.address_no_segment",
                            format!("IP 地址 {addr} 不属于任何已登记的网段"),
                        )
                    })?;
                check_in_segment(&parse_segment(&seg.cidr)?, addr)?;
                let text = addr.to_string();
                if let Some(first) = seen_addrs.get(&text) {
                    return Err(AppError::conflict(
                        "cmdb.address_taken",
                        format!("IP 地址 {text} 与第 {first} 行重复，地址冲突"),
                    ));
                }
                if let Some(e) = conflict_message(&mut c, &text).await? {
                    return Err(e);
                }
                Some((seg.id.clone(), text))
            };
            Ok((row, alloc))
        }
        .await;
        match res {
            Ok((row, alloc)) => {
                seen_codes.insert(row.code.clone(), line);
                if let Some((_, a)) = &alloc {
                    seen_addrs.insert(a.clone(), line);
                }
                good.push((line, row, alloc));
            }
            Err(e) => errors.push(RowError {
                line,
                reason: e.message,
            }),
        }
    }
    drop(c);
    let rows = sheet.rows.len();
    let valid = good.len();
    if dry_run || good.is_empty() {
        return Ok(ImportReport {
            rows,
            created: 0,
            valid,
            errors,
            dry_run,
        });
    }
    let refused = errors.len();
    in_tx!(p.db, |c| {
        for (line, a, alloc) in &good {
            store::insert_ci(&mut c, a).await?;
            schedule_licence(p, &mut c, a).await?;
            index(&mut c, a).await?;
            if let Some((seg, addr)) = alloc {
                store::insert_allocation(
                    &mut c,
                    &AllocationRow {
                        id: new_id(),
                        segment_id: seg.clone(),
                        address: addr.clone(),
                        ci_id: Some(a.id.clone()),
                        purpose: String::new(),
                        created_at: now,
                    },
                )
                .await?;
            }
            record(
                p,
                &mut c,
                ctx,
                Actor::User(auth),
                Event::success("cmdb.create", "ci", &a.id)
                    .after(audit_text(a))
                    .reason(format!("Excel 导入第 {line} 行")),
            )
            .await?;
        }
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cmdb.import", "ci", "")
                .after(format!("导入 {valid} 个配置项，{refused} 行有错误未导入")),
        )
        .await?;
        Ok(())
    })?;
    Ok(ImportReport {
        rows,
        created: valid,
        valid,
        errors,
        dry_run,
    })
}

/// Refuses callers with no right to read registers anywhere.
pub fn may_read(pr: &Principal) -> Result<Authorized<'_>, AppError> {
    pr.authorize_somewhere(Action::BusinessRead).map_err(|_| {
        AppError::new(
            ErrorKind::Forbidden,
            "auth.forbidden",
            "您没有查看运维台账的权限",
        )
    })
}

/// The configuration item `key` names, when the caller may read it: by id,
/// or (`by_id` false) by code and then by id. None when there is none or
/// the caller may not read it.
pub async fn find_readable(
    p: &Platform,
    pr: &Principal,
    key: &str,
    by_id: bool,
) -> Result<Option<CiRow>, AppError> {
    let mut c = p.db.read().await?;
    let row = if by_id {
        store::get_ci(&mut c, key).await?
    } else {
        match store::ci_by_code(&mut c, key).await? {
            Some(a) => Some(a),
            None => store::get_ci(&mut c, key).await?,
        }
    };
    Ok(row.filter(|a| pr.can(Action::BusinessRead, &a.org_path)))
}
