//! The engine of the declarative registers (ADR 0006): files, amends,
//! moves through steps, reads, lists and exports the entries of any
//! register described by a [`Spec`], with the same checks everywhere:
//!
//! - reading needs the spec's read action over the owner organisation or
//!   the partner organisation (the vendor of a contract, the borrower of an
//!   asset); writing needs its write action there; a step needs the
//!   step's action over the owner (or the partner where the step allows);
//! - references (configuration items, tickets, organisations, entries of
//!   other registers) are resolved and must exist; read back, one the
//!   reader may not read shows its code or number only, or 「（无权查看）」;
//! - every change is audited in its transaction and keeps the previous
//!   values in `register_history` (the version history of emergency plans
//!   and every other register);
//! - what is particular to a register (its dates in the due-date engine,
//!   its flags, its checks across fields) is its [`RegisterRules`](crate::kernel::seams::RegisterRules), one file
//!   per register under `features/rules/`, reached through the platform's
//!   seams (ADR 0010).

pub mod import;

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use yunwei_domain::ids::new_id;
use yunwei_domain::register::{self, Kind, OrgFrom, Spec, Val, SPECS};
use yunwei_domain::roles::{role_allows, Action, Role};
use yunwei_domain::{AppError, ErrorKind};
use yunwei_store::registers::{self as store, EntryRow, HistoryRow, ListQuery};
use yunwei_store::{in_tx, orgs, DbConn};

use crate::kernel::audit::{record, Actor, Event};
use crate::kernel::due::{self, ControlView};
use crate::kernel::seams::Change;
use crate::{Authorized, Ctx, Platform, Principal};

/// What a reference to an entry the caller may not read shows.
const HIDDEN: &str = "（无权查看）";
/// Entries on one page of a list.
pub const PAGE_SIZE: u64 = 50;
/// Most entries in one export.
pub const EXPORT_LIMIT: u64 = 50_000;

pub fn spec_of(key: &str) -> Result<&'static Spec, AppError> {
    register::spec(key).ok_or_else(|| AppError::not_found("台账"))
}

fn not_found(spec: &Spec) -> AppError {
    AppError::not_found(spec.label)
}

fn changed(spec: &Spec) -> AppError {
    AppError::conflict(
        "register.changed",
        format!("该{}已被他人修改，请刷新后重试", spec.label),
    )
}

fn check_password(pr: &Principal) -> Result<(), AppError> {
    if pr.must_change_password {
        return Err(AppError::new(
            ErrorKind::Forbidden,
            "auth.password_change_required",
            "请先修改密码（初始密码或已到期的密码）",
        ));
    }
    Ok(())
}

fn denied(action: Action) -> AppError {
    AppError::forbidden(format!("无权{}：超出您的角色或管理范围", action.label()))
}

/// May `pr` do `action` on an entry owned by `org_path` with this
/// partner? The proof when it may.
fn may<'a>(
    pr: &'a Principal,
    action: Action,
    org_path: &str,
    partner: Option<&str>,
) -> Option<Authorized<'a>> {
    pr.authorize(action, org_path)
        .ok()
        .or_else(|| partner.and_then(|pp| pr.authorize(action, pp).ok()))
}

/// May `pr` file or amend an entry of `spec` placed there?
fn may_write<'a>(
    pr: &'a Principal,
    spec: &Spec,
    org_path: &str,
    partner: Option<&str>,
) -> Option<Authorized<'a>> {
    may(
        pr,
        spec.write,
        org_path,
        partner.filter(|_| spec.partner_writes),
    )
}

pub fn can_read(pr: &Principal, spec: &Spec, e: &EntryRow) -> bool {
    may(pr, spec.read, &e.org_path, e.partner_path.as_deref()).is_some()
}

pub fn can_amend(pr: &Principal, spec: &Spec, e: &EntryRow) -> bool {
    spec.amendable
        && (spec.amendable_in.is_empty()
            || spec
                .status
                .and_then(|s| e.get(s).text())
                .is_some_and(|st| spec.amendable_in.contains(&st)))
        && may_write(pr, spec, &e.org_path, e.partner_path.as_deref()).is_some()
}

/// The steps `pr` may take on `e` now.
pub fn steps_open(pr: &Principal, spec: &Spec, e: &EntryRow) -> Vec<&'static register::Step> {
    let Some(status) = spec.status.and_then(|s| e.get(s).text()) else {
        return vec![];
    };
    spec.steps
        .iter()
        .filter(|st| st.from.contains(&status))
        .filter(|st| {
            may_take(pr, st, &e.org_path)
                || (st.partner_may
                    && e.partner_path
                        .as_deref()
                        .is_some_and(|pp| may_take(pr, st, pp)))
        })
        .collect()
}

/// May `pr` take `st` on an entry under `path`: its action there and, when
/// the step names its roles ([`register::Step::roles`]), one of them there.
fn may_take(pr: &Principal, st: &register::Step, path: &str) -> bool {
    pr.can(st.action, path)
        && (st.roles.is_empty()
            || pr.grants.iter().any(|g| {
                st.roles.contains(&g.role) && role_allows(g.role, st.action) && g.covers(path)
            }))
}

/// May `pr` file entries of `spec` anywhere (menus, "new" buttons)?
pub fn can_file_somewhere(pr: &Principal, spec: &Spec) -> bool {
    !spec.platform_filed && pr.can_somewhere(spec.write)
}

/// Refuses a form or an import for a register the platform files itself.
pub fn refuse_platform_filed(spec: &Spec) -> Result<(), AppError> {
    if spec.platform_filed {
        return Err(AppError::bad_request(
            "register.platform_filed",
            format!(
                "{}由平台在申请审批并办理后自动登记，不能手工登记",
                spec.label
            ),
        ));
    }
    Ok(())
}

// ---- writing ----

/// What a form or an API call submits: the values of the fields by name
/// (text as a form sends it), and the owner organisation where the spec
/// lets the user choose it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EntryInput {
    #[serde(default)]
    pub org_id: Option<String>,
    #[serde(default)]
    pub values: BTreeMap<String, String>,
}

/// Where a new or amended entry belongs.
struct Placement {
    org_id: String,
    org_path: String,
    partner_path: Option<String>,
    parent: Option<EntryRow>,
}

/// Resolves the references among `values` (a configuration item code
/// becomes its id, a ticket number its id) and checks that they exist;
/// entries of other registers must be readable by `pr`.
async fn resolve_refs(
    c: &mut DbConn,
    pr: &Principal,
    spec: &Spec,
    values: &mut BTreeMap<&'static str, Val>,
) -> Result<(), AppError> {
    for f in spec.fields.iter().filter(|f| !f.locked) {
        let Some(raw) = values.get(f.name).and_then(Val::text).map(str::to_string) else {
            continue;
        };
        let unknown = |what: &str| {
            AppError::bad_request(
                "register.reference_unknown",
                format!("{}：{what}「{raw}」不存在", f.label),
            )
        };
        let resolved = match f.kind {
            Kind::Ci => {
                let ci = match yunwei_store::cmdb::get_ci(c, &raw).await? {
                    Some(ci) => Some(ci),
                    None => yunwei_store::cmdb::ci_by_code(c, &raw).await?,
                };
                ci.ok_or_else(|| unknown("配置项"))?.id
            }
            Kind::Ticket => {
                let t = match yunwei_store::tickets::get(c, &raw).await? {
                    Some(t) => Some(t),
                    None => yunwei_store::tickets::by_number(c, &raw).await?,
                };
                // A ticket the caller may not see is as unknown as a
                // missing one: no existence oracle by number.
                t.filter(|t| crate::tickets::can_see(pr, t))
                    .ok_or_else(|| unknown("工单"))?
                    .id
            }
            Kind::Org => orgs::get(c, &raw).await?.ok_or_else(|| unknown("机构"))?.id,
            Kind::Entry(key) => {
                let target = spec_of(key)?;
                store::get(c, target, &raw)
                    .await?
                    .filter(|e| can_read(pr, target, e))
                    .ok_or_else(|| unknown(target.label))?
                    .id
            }
            _ => continue,
        };
        values.insert(f.name, Val::Text(resolved));
    }
    Ok(())
}

async fn org_path_of(c: &mut DbConn, id: &str) -> Result<String, AppError> {
    Ok(orgs::get(c, id)
        .await?
        .ok_or_else(|| AppError::bad_request("register.org_unknown", "机构不存在"))?
        .path)
}

async fn place(
    c: &mut DbConn,
    spec: &Spec,
    org_id: Option<&str>,
    values: &BTreeMap<&'static str, Val>,
) -> Result<Placement, AppError> {
    let text = |name: &str| values.get(name).and_then(Val::text).map(str::to_string);
    let mut parent = None;
    let (org_id, mut partner_path) = match spec.org_from {
        OrgFrom::Chosen => {
            let id = org_id
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| AppError::bad_request("register.org_required", "请选择所属机构"))?;
            (id.to_string(), None)
        }
        OrgFrom::Parent => {
            let (pkey, pfield) = spec.parent.ok_or_else(AppError::internal)?;
            let pspec = spec_of(pkey)?;
            let id = text(pfield).ok_or_else(AppError::internal)?;
            let pe = store::get(c, pspec, &id)
                .await?
                .ok_or_else(|| not_found(pspec))?;
            let out = (pe.org_id.clone(), pe.partner_path.clone());
            parent = Some(pe);
            out
        }
        OrgFrom::Ci(f) => {
            let id = text(f).ok_or_else(AppError::internal)?;
            let ci = yunwei_store::cmdb::get_ci(c, &id)
                .await?
                .ok_or_else(AppError::internal)?;
            (ci.org_id, None)
        }
        OrgFrom::Ticket(f) => {
            let id = text(f).ok_or_else(AppError::internal)?;
            let t = yunwei_store::tickets::get(c, &id)
                .await?
                .ok_or_else(AppError::internal)?;
            // The assignee (the vendor implementing it) is the partner.
            let assignee = match &t.assignee_id {
                Some(a) => yunwei_store::users::get(c, a).await?.map(|u| u.org_path),
                None => None,
            };
            (t.org_id, assignee)
        }
    };
    let org_path = org_path_of(c, &org_id).await?;
    if let Some(pf) = spec.partner {
        if let Some(pid) = text(pf) {
            partner_path = Some(org_path_of(c, &pid).await?);
        }
    }
    Ok(Placement {
        org_id,
        org_path,
        partner_path,
        parent,
    })
}

/// A short summary of an entry's values for the audit record.
/// The entry's values for its audit record, references by name (an item
/// by its code, a ticket by its number, an organisation and an entry by
/// their names), never by id: the audit page shows it as it is.
async fn summary(
    c: &mut DbConn,
    spec: &Spec,
    values: &BTreeMap<&'static str, Val>,
) -> Result<String, AppError> {
    let mut parts = vec![];
    for f in spec.fields {
        let v = values.get(f.name).unwrap_or(&Val::Null);
        if *v == Val::Null {
            continue;
        }
        let mut d = match (f.kind, v.text()) {
            (Kind::Ci, Some(id)) => yunwei_store::cmdb::get_ci(c, id)
                .await?
                .map(|ci| ci.code)
                .unwrap_or_else(|| "（已删除）".into()),
            (Kind::Ticket, Some(id)) => yunwei_store::tickets::get(c, id)
                .await?
                .map(|t| t.number)
                .unwrap_or_else(|| "（已删除）".into()),
            (Kind::Org, Some(id)) => orgs::get(c, id)
                .await?
                .map(|o| o.name)
                .unwrap_or_else(|| "（已删除）".into()),
            (Kind::Entry(key), Some(id)) => match spec_of(key) {
                Ok(target) => match store::get(c, target, id).await? {
                    Some(e) => title_of(target, &e),
                    None => "（已删除）".into(),
                },
                Err(_) => "（已删除）".into(),
            },
            _ => f.display(v),
        };
        if d.chars().count() > 60 {
            d = d.chars().take(60).collect::<String>() + "…";
        }
        parts.push(format!("{}={d}", f.label));
    }
    Ok(parts.join("；"))
}

/// The label of a status of the entry (the status field's choice).
fn status_label(spec: &Spec, status: &str) -> String {
    spec.status
        .and_then(|f| spec.field(f))
        .map(|f| f.display(&Val::Text(status.to_string())))
        .unwrap_or_else(|| status.to_string())
}

pub(crate) fn history_of(spec: &Spec, e: &EntryRow, change: &str, by: &str, at: i64) -> HistoryRow {
    let data: serde_json::Map<String, serde_json::Value> = spec
        .fields
        .iter()
        .map(|f| (f.name.to_string(), serde_json::json!(e.get(f.name))))
        .collect();
    HistoryRow {
        id: new_id(),
        register: spec.key.to_string(),
        entry_id: e.id.clone(),
        version: e.version,
        data: serde_json::Value::Object(data).to_string(),
        change: change.to_string(),
        changed_by: by.to_string(),
        changed_at: at,
    }
}

/// A new entry checked and ready to insert, with the proof that its filer
/// may file it there.
pub(crate) struct Prepared<'a> {
    pub entry: EntryRow,
    auth: Authorized<'a>,
}

/// Checks a new entry and everything it names without writing anything:
/// the entry ready to insert, or why it cannot be filed.
pub(crate) async fn prepare<'a>(
    p: &Platform,
    c: &mut DbConn,
    pr: &'a Principal,
    spec: &'static Spec,
    input: &EntryInput,
) -> Result<Prepared<'a>, AppError> {
    let mut values = register::parse_input(spec, &input.values, &[])?;
    resolve_refs(c, pr, spec, &mut values).await?;
    let placed = place(c, spec, input.org_id.as_deref(), &values).await?;
    let auth = may_write(pr, spec, &placed.org_path, placed.partner_path.as_deref())
        .ok_or_else(|| denied(spec.write))?;
    values.extend(register::locked_defaults(spec));
    let now = p.now_us();
    let mut e = EntryRow {
        id: new_id(),
        org_id: placed.org_id,
        org_path: placed.org_path,
        partner_path: placed.partner_path,
        parent_id: placed.parent.as_ref().map(|pe| pe.id.clone()),
        version: 1,
        created_by: pr.user_id.clone(),
        created_at: now,
        updated_by: pr.user_id.clone(),
        updated_at: now,
        values,
    };
    let rules = p.seams.register(spec.key);
    (rules.derive)(p, spec, &mut e)?;
    (rules.check)(p, c, spec, &e).await?;
    (rules.check_filer)(spec, &e, pr)?;
    Ok(Prepared { entry: e, auth })
}

/// Writes a prepared entry, its due dates and its audit record.
pub(crate) async fn persist(
    p: &Platform,
    c: &mut DbConn,
    ctx: &Ctx,
    spec: &'static Spec,
    prepared: &Prepared<'_>,
) -> Result<(), AppError> {
    let e = &prepared.entry;
    store::insert(c, spec, e).await?;
    index_entry(c, spec, e).await?;
    (p.seams.register(spec.key).after_write)(p, c, spec, e, Change::Created).await?;
    let after = format!("{}：{}", spec.label, summary(c, spec, &e.values).await?);
    record(
        p,
        c,
        ctx,
        Actor::User(prepared.auth),
        Event::success("register.create", spec.key, &e.id).after(after),
    )
    .await?;
    Ok(())
}

/// Most people told at once that an entry awaits their step.
const MAX_TOLD: usize = 200;

/// Tells the people who may take a step of `e` in its status now (the
/// holders of each open step's action over the owner organisation, and
/// over the partner organisation where the step allows) that it is theirs
/// to act on, with a link to the entry, except `actor_id`, who just acted.
/// Returns who was told.
pub(crate) async fn tell_step_actors(
    c: &mut DbConn,
    spec: &'static Spec,
    e: &EntryRow,
    actor_id: &str,
    now_us: i64,
) -> Result<Vec<String>, AppError> {
    let Some(status) = spec.status.and_then(|s| e.get(s).text()) else {
        return Ok(vec![]);
    };
    let mut users = Vec::new();
    let mut labels = Vec::new();
    for st in spec.steps.iter().filter(|st| st.from.contains(&status)) {
        let roles: Vec<String> = Role::ALL
            .into_iter()
            .filter(|r| role_allows(*r, st.action))
            .filter(|r| st.roles.is_empty() || st.roles.contains(r))
            .map(|r| r.as_str().to_string())
            .collect();
        users.extend(yunwei_store::users::holders_covering(c, &roles, &e.org_path).await?);
        if let Some(pp) = e.partner_path.as_deref().filter(|_| st.partner_may) {
            users.extend(yunwei_store::users::holders_covering(c, &roles, pp).await?);
        }
        labels.push(st.label);
    }
    users.sort();
    users.dedup();
    users.retain(|u| u != actor_id);
    users.truncate(MAX_TOLD);
    if users.is_empty() {
        return Ok(users);
    }
    let title = format!(
        "待您处理：{}「{}」（{}）",
        spec.label,
        title_of(spec, e),
        labels.join("、")
    );
    let link = format!("/registers/{}/{}", spec.key, e.id);
    let template = crate::kernel::notify::Notice {
        user_id: "",
        ticket_id: None,
        kind: "register_todo",
        title: &title,
        body: "",
        at_us: now_us,
        link: Some(&link),
        due_at: None,
    };
    crate::kernel::notify::notify(c, &users, &template).await?;
    Ok(users)
}

/// Files a new entry.
pub async fn create(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    key: &str,
    input: &EntryInput,
) -> Result<EntryView, AppError> {
    let spec = spec_of(key)?;
    check_password(pr)?;
    pr.authorize_somewhere(spec.write)?;
    refuse_platform_filed(spec)?;
    register::parse_input(spec, &input.values, &[])?;
    let id = in_tx!(p.db, |c| {
        let e = prepare(p, &mut c, pr, spec, input).await?;
        // Told in the same transaction, before the audit record (the last
        // statement).
        tell_step_actors(&mut c, spec, &e.entry, &pr.user_id, p.now_us()).await?;
        persist(p, &mut c, ctx, spec, &e).await?;
        Ok(e.entry.id)
    })?;
    Ok(get(p, pr, key, &id).await?.entry)
}

// ---- import ----

/// Most data rows in one import.
pub const MAX_IMPORT_ROWS: usize = 5_000;
/// Largest file to import (the shared reader's limit).
pub const MAX_IMPORT_BYTES: usize = crate::registers::import::MAX_FILE_BYTES;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = RegisterRowError)]
pub struct RowError {
    /// The line in the file (Excel row number, or CSV line).
    pub line: u32,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = RegisterImportReport)]
pub struct ImportReport {
    pub rows: usize,
    /// Rows that passed every check.
    pub valid: usize,
    /// Rows written (0 on a dry run).
    pub created: usize,
    pub errors: Vec<RowError>,
    pub dry_run: bool,
}

fn file_error(msg: impl Into<String>) -> AppError {
    AppError::bad_request("register.import_file", msg)
}

/// The non-blank rows of an .xlsx (first sheet) or UTF-8 CSV file with
/// their line numbers, through the shared reader and its limits (issue 11).
async fn read_rows(bytes: &[u8]) -> Result<Vec<(u32, Vec<String>)>, AppError> {
    crate::registers::import::read(
        bytes,
        crate::registers::import::Limits {
            max_rows: MAX_IMPORT_ROWS,
            csv: true,
        },
        file_error,
    )
    .await
}

/// Imports entries from a spreadsheet or CSV whose header names the fields
/// (by label or name; 所属机构 by organisation name where the register lets
/// one choose). Every row is checked first; the good rows are written in
/// one transaction, each audited; the bad ones are reported with their
/// line and reason. A file whose header is wrong is refused whole.
pub async fn import(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    key: &str,
    bytes: &[u8],
    dry_run: bool,
) -> Result<ImportReport, AppError> {
    let spec = spec_of(key)?;
    check_password(pr)?;
    if !spec.importable {
        return Err(AppError::bad_request(
            "register.not_importable",
            format!("{}不支持导入", spec.label),
        ));
    }
    pr.authorize_somewhere(spec.write)?;
    let all = read_rows(bytes).await?;
    let header_at = all
        .iter()
        .take(crate::registers::import::HEADER_ROWS)
        .position(|(_, r)| {
            r.iter()
                .any(|c| c == spec.fields[0].label || c == spec.fields[0].name)
        })
        .ok_or_else(|| {
            file_error(format!(
                "找不到表头：第一行应为列名（{}）",
                spec.fields
                    .iter()
                    .filter(|f| !f.locked)
                    .map(|f| f.label)
                    .collect::<Vec<_>>()
                    .join("、")
            ))
        })?;
    const ORG: &str = "所属机构";
    let choose_org = spec.org_from == register::OrgFrom::Chosen;
    let mut columns: Vec<Option<&'static str>> = vec![];
    for h in &all[header_at].1 {
        let h = h.replace(' ', "");
        if h.is_empty() {
            columns.push(None);
            continue;
        }
        if choose_org && h == ORG {
            columns.push(Some("org_id"));
            continue;
        }
        match spec
            .fields
            .iter()
            .find(|f| !f.locked && (f.label.replace(' ', "") == h || f.name == h))
        {
            Some(f) if columns.contains(&Some(f.name)) => {
                return Err(file_error(format!("列“{h}”出现了两次")))
            }
            Some(f) => columns.push(Some(f.name)),
            None => return Err(file_error(format!("无法识别的列：{h}"))),
        }
    }
    let mut required: Vec<&str> = spec
        .fields
        .iter()
        .filter(|f| f.required && !f.locked && !columns.contains(&Some(f.name)))
        .map(|f| f.label)
        .collect();
    if choose_org && !columns.contains(&Some("org_id")) {
        required.push(ORG);
    }
    if !required.is_empty() {
        return Err(file_error(format!("缺少必需的列：{}", required.join("、"))));
    }
    let rows: Vec<&(u32, Vec<String>)> = all[header_at + 1..]
        .iter()
        .filter(|(_, r)| r.iter().any(|c| !c.is_empty()))
        .collect();
    if rows.is_empty() {
        return Err(file_error("表中没有数据行"));
    }
    if rows.len() > MAX_IMPORT_ROWS {
        return Err(file_error(format!("一次最多导入 {MAX_IMPORT_ROWS} 行")));
    }
    let orgs_by_name: HashMap<String, String> = {
        let mut c = p.db.read().await?;
        orgs::list(&mut c, &yunwei_store::Scope::system())
            .await?
            .into_iter()
            .map(|o| (o.name, o.id))
            .collect()
    };
    let inputs: Vec<(u32, Result<EntryInput, AppError>)> = rows
        .iter()
        .map(|(line, cells)| {
            let mut input = EntryInput::default();
            for (i, col) in columns.iter().enumerate() {
                let (Some(col), Some(v)) = (col, cells.get(i)) else {
                    continue;
                };
                if *col == "org_id" {
                    match orgs_by_name.get(v.trim()) {
                        Some(id) => input.org_id = Some(id.clone()),
                        None if v.trim().is_empty() => {}
                        None => {
                            return (*line, Err(file_error(format!("机构「{v}」不存在"))));
                        }
                    }
                } else {
                    input.values.insert(col.to_string(), v.clone());
                }
            }
            (*line, Ok(input))
        })
        .collect();
    let row_error = |e: &AppError| {
        matches!(
            e.kind,
            ErrorKind::BadRequest
                | ErrorKind::Conflict
                | ErrorKind::Forbidden
                | ErrorKind::NotFound
        )
    };
    let report = in_tx!(p.db, |c| {
        let mut errors = vec![];
        let mut valid = 0;
        for (line, input) in &inputs {
            let prepared = match input {
                Ok(input) => prepare(p, &mut c, pr, spec, input).await,
                Err(e) => Err(e.clone()),
            };
            match prepared {
                // Written at once, so a later row of the same file is
                // checked against it (a finding listed twice).
                Ok(e) => {
                    valid += 1;
                    if !dry_run {
                        persist(p, &mut c, ctx, spec, &e).await?;
                    }
                }
                Err(e) if row_error(&e) => errors.push(RowError {
                    line: *line,
                    reason: e.message,
                }),
                Err(e) => return Err(e),
            }
        }
        Ok(ImportReport {
            rows: inputs.len(),
            valid,
            created: if dry_run { 0 } else { valid },
            errors,
            dry_run,
        })
    })?;
    Ok(report)
}

/// Amends an entry read at `expected_version`: every field the form sets
/// is replaced; the previous values go to the history.
pub async fn update(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    key: &str,
    id: &str,
    expected_version: i64,
    input: &EntryInput,
) -> Result<EntryView, AppError> {
    let spec = spec_of(key)?;
    check_password(pr)?;
    if !spec.amendable {
        return Err(AppError::bad_request(
            "register.not_amendable",
            format!("{}登记后不能修改，如有错误请另行登记说明", spec.label),
        ));
    }
    let parsed = register::parse_input(spec, &input.values, &[])?;
    in_tx!(p.db, |c| {
        let old = store::get(&mut c, spec, id)
            .await?
            .filter(|e| can_read(pr, spec, e))
            .ok_or_else(|| not_found(spec))?;
        if !can_amend(pr, spec, &old) {
            if may_write(pr, spec, &old.org_path, old.partner_path.as_deref()).is_some() {
                return Err(AppError::bad_request(
                    "register.not_amendable_now",
                    format!("该{}当前状态下不能修改", spec.label),
                ));
            }
            return Err(denied(spec.write));
        }
        if old.version != expected_version {
            return Err(changed(spec));
        }
        let mut values = parsed.clone();
        resolve_refs(&mut c, pr, spec, &mut values).await?;
        if let Some((_, pf)) = spec.parent {
            if values.get(pf).and_then(Val::text) != old.parent_id.as_deref() {
                return Err(AppError::bad_request(
                    "register.parent_fixed",
                    "不能把记录移到另一个上级条目下",
                ));
            }
        }
        let placed = place(&mut c, spec, input.org_id.as_deref(), &values).await?;
        let auth = may_write(pr, spec, &placed.org_path, placed.partner_path.as_deref())
            .ok_or_else(|| denied(spec.write))?;
        for f in spec.fields.iter().filter(|f| f.locked) {
            values.insert(f.name, old.get(f.name).clone());
        }
        let now = p.now_us();
        let mut e = EntryRow {
            org_id: placed.org_id,
            org_path: placed.org_path,
            partner_path: placed.partner_path,
            version: old.version + 1,
            updated_by: pr.user_id.clone(),
            updated_at: now.max(old.updated_at + 1),
            values,
            ..old.clone()
        };
        let rules = p.seams.register(spec.key);
        (rules.derive)(p, spec, &mut e)?;
        (rules.check)(p, &mut c, spec, &e).await?;
        store::insert_history(&mut c, &history_of(spec, &old, "update", &pr.user_id, now)).await?;
        if !store::update(&mut c, spec, &e, old.version).await? {
            return Err(changed(spec));
        }
        index_entry(&mut c, spec, &e).await?;
        (rules.after_write)(p, &mut c, spec, &e, Change::Updated(&old)).await?;
        let before = format!(
            "v{} {}",
            old.version,
            summary(&mut c, spec, &old.values).await?
        );
        let after = format!("v{} {}", e.version, summary(&mut c, spec, &e.values).await?);
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("register.update", spec.key, &e.id)
                .before(before)
                .after(after),
        )
        .await?;
        Ok(())
    })?;
    Ok(get(p, pr, key, id).await?.entry)
}

/// Takes a workflow step (approve, return, submit ...), with an optional
/// note kept in the audit record.
pub async fn take_step(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    key: &str,
    id: &str,
    step_name: &str,
    note: &str,
) -> Result<EntryView, AppError> {
    let spec = spec_of(key)?;
    check_password(pr)?;
    let step = spec.step(step_name).ok_or_else(|| {
        AppError::bad_request(
            "register.step_unknown",
            format!("{}没有「{step_name}」这一步", spec.label),
        )
    })?;
    let note = note.trim().to_string();
    if note.chars().count() > 1000 {
        return Err(AppError::bad_request(
            "register.note_too_long",
            "说明不得超过1000字",
        ));
    }
    let status_field = spec.status.ok_or_else(AppError::internal)?;
    let r = in_tx!(p.db, |c| {
        let old = store::get(&mut c, spec, id)
            .await?
            .filter(|e| can_read(pr, spec, e))
            .ok_or_else(|| not_found(spec))?;
        let rules = p.seams.register(spec.key);
        if let Some(e) = (rules.step_refusal)(&mut c, pr, spec, step, &old).await? {
            return Ok(Err(e));
        }
        let current = old.get(status_field).text().unwrap_or("").to_string();
        if !step.from.contains(&current.as_str()) {
            let label = spec
                .field(status_field)
                .map(|f| f.display(old.get(status_field)))
                .unwrap_or_default();
            return Err(AppError::conflict(
                "register.step_not_allowed",
                format!("该{}当前为「{label}」，不能{}", spec.label, step.label),
            ));
        }
        // The step is open from the current status (above); may the
        // caller take it on this entry?
        let auth = pr
            .authorize(step.action, &old.org_path)
            .ok()
            .or_else(|| {
                old.partner_path
                    .as_deref()
                    .filter(|_| step.partner_may)
                    .and_then(|pp| pr.authorize(step.action, pp).ok())
            })
            .ok_or_else(|| denied(step.action))?;
        // A step the text gives to named roles (EEDS-3.7.2): refused, and
        // audited, for other holders of its action.
        if !may_take(pr, step, &old.org_path)
            && !old
                .partner_path
                .as_deref()
                .is_some_and(|pp| step.partner_may && may_take(pr, step, pp))
        {
            let who: Vec<&str> = step.roles.iter().map(|r| r.label()).collect();
            return Ok(Err(AppError::forbidden(format!(
                "「{}」须由{}办理",
                step.label,
                who.join("或")
            ))));
        }
        let now = p.now_us();
        let mut e = EntryRow {
            version: old.version + 1,
            updated_by: pr.user_id.clone(),
            updated_at: now.max(old.updated_at + 1),
            ..old.clone()
        };
        e.values
            .insert(status_field, Val::Text(step.to.to_string()));
        (rules.before_step)(p, &mut c, spec, step, &mut e, &note).await?;
        store::insert_history(&mut c, &history_of(spec, &old, step.name, &pr.user_id, now)).await?;
        if !store::update(&mut c, spec, &e, old.version).await? {
            return Err(changed(spec));
        }
        index_entry(&mut c, spec, &e).await?;
        (rules.after_write)(p, &mut c, spec, &e, Change::Step(step)).await?;
        tell_step_actors(&mut c, spec, &e, &pr.user_id, now).await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("register.step", spec.key, &e.id)
                .before(status_label(spec, &current))
                .after(format!(
                    "{}：{} → {}",
                    spec.label,
                    step.label,
                    status_label(spec, step.to)
                ))
                .reason(note.clone()),
        )
        .await?;
        Ok(Ok(()))
    })?;
    if let Err(e) = r {
        let ev = Event::success("register.step", spec.key, id)
            .after(format!("{}：{}", spec.label, step.label))
            .reason(note);
        return crate::kernel::audit::deny(p, ctx, pr, ev, e).await;
    }
    Ok(get(p, pr, key, id).await?.entry)
}

// ---- reading ----

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldValue {
    pub name: &'static str,
    pub label: &'static str,
    /// The stored value (an id for references).
    pub value: Val,
    /// What a person reads (a choice's label, an item's code and name).
    pub display: String,
    /// Where the referenced object is shown, if anywhere.
    pub link: Option<String>,
    /// What a form shows to keep the value (an item's code, a ticket's
    /// number, else the value).
    pub input: String,
    pub listed: bool,
    pub long: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StepView {
    pub name: &'static str,
    pub label: &'static str,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EntryView {
    pub register: &'static str,
    pub register_label: &'static str,
    pub id: String,
    pub title: String,
    pub org_id: String,
    pub org_name: String,
    pub parent_id: Option<String>,
    pub version: i64,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub fields: Vec<FieldValue>,
    pub status: Option<String>,
    pub status_label: String,
    /// What needs attention (an overdue return, an expired NDA, a restore
    /// test older than a year).
    pub flags: Vec<String>,
    pub can_amend: bool,
    pub steps: Vec<StepView>,
}

/// A referenced object as shown: (display, link, form input).
type Ref = (String, Option<String>, String);

/// Display names of referenced objects, looked up once per call.
#[derive(Default)]
pub(crate) struct Names {
    orgs: HashMap<String, String>,
    users: HashMap<String, String>,
    refs: HashMap<(Kind, String), Ref>,
}

impl Names {
    pub(crate) async fn org(&mut self, c: &mut DbConn, id: &str) -> Result<String, AppError> {
        if let Some(n) = self.orgs.get(id) {
            return Ok(n.clone());
        }
        let n = orgs::get(c, id).await?.map(|o| o.name).unwrap_or_default();
        self.orgs.insert(id.to_string(), n.clone());
        Ok(n)
    }

    async fn user(&mut self, c: &mut DbConn, id: &str) -> Result<String, AppError> {
        if let Some(n) = self.users.get(id) {
            return Ok(n.clone());
        }
        let n = yunwei_store::users::get(c, id)
            .await?
            .map(|u| u.display_name)
            .unwrap_or_default();
        self.users.insert(id.to_string(), n.clone());
        Ok(n)
    }

    /// A referenced object as `pr` may see it: a ticket the viewer may not
    /// see shows its number only, an item it may not read its code only,
    /// without title, name or link; an entry it may not read shows
    /// 「（无权查看）」.
    async fn reference(
        &mut self,
        c: &mut DbConn,
        pr: &Principal,
        kind: Kind,
        id: &str,
    ) -> Result<Ref, AppError> {
        let k = (kind, id.to_string());
        if let Some(v) = self.refs.get(&k) {
            return Ok(v.clone());
        }
        let v = match kind {
            Kind::Ci => match yunwei_store::cmdb::get_ci(c, id).await? {
                Some(ci) if pr.can(Action::BusinessRead, &ci.org_path) => (
                    format!("{} {}", ci.code, ci.name),
                    Some(format!("/cmdb/{id}")),
                    ci.code,
                ),
                Some(ci) => (ci.code.clone(), None, ci.code),
                None => (id.to_string(), None, id.to_string()),
            },
            Kind::Ticket => match yunwei_store::tickets::get(c, id).await? {
                Some(t) if crate::tickets::can_see(pr, &t) => (
                    format!("{} {}", t.number, t.title),
                    Some(format!("/tickets/{id}")),
                    t.number,
                ),
                Some(t) => (t.number.clone(), None, t.number),
                None => (id.to_string(), None, id.to_string()),
            },
            Kind::Org => (self.org(c, id).await?, None, id.to_string()),
            Kind::Entry(key) => {
                let target = spec_of(key)?;
                match store::get(c, target, id).await? {
                    Some(e) if can_read(pr, target, &e) => (
                        title_of(target, &e),
                        Some(format!("/registers/{key}/{id}")),
                        id.to_string(),
                    ),
                    Some(_) => (HIDDEN.to_string(), None, id.to_string()),
                    None => (id.to_string(), None, id.to_string()),
                }
            }
            _ => (id.to_string(), None, id.to_string()),
        };
        self.refs.insert(k, v.clone());
        Ok(v)
    }
}

/// Indexes an entry for search in the caller's transaction, under its
/// register's key: found by those who read it in the register's list
/// (the register's read action over the owner or the partner
/// organisation), by its title, the register's name and its text and
/// choice fields (references are ids and are left out). Every write of an
/// entry calls this after storing it.
pub(crate) async fn index_entry(c: &mut DbConn, spec: &Spec, e: &EntryRow) -> Result<(), AppError> {
    let title = title_of(spec, e);
    let mut body = spec.label.to_string();
    for f in spec.fields.iter().filter(|f| f.name != spec.title) {
        if matches!(f.kind, Kind::Ci | Kind::Ticket | Kind::Org | Kind::Entry(_)) {
            continue;
        }
        let d = f.display(e.get(f.name));
        if !d.is_empty() {
            body.push(' ');
            body.push_str(&d);
        }
    }
    crate::kernel::search::index_document_for(
        c,
        &crate::kernel::search::Document {
            doc_type: spec.key,
            doc_id: &e.id,
            org_path: &e.org_path,
            title: &title,
            body: &body,
            updated_at: e.updated_at,
        },
        crate::kernel::search::Access {
            read: spec.read,
            partner_path: e.partner_path.as_deref(),
        },
    )
    .await
}

pub fn title_of(spec: &Spec, e: &EntryRow) -> String {
    let f = spec.field(spec.title).expect("title field");
    let t = f.display(e.get(f.name));
    match spec.key {
        // Records are named by their date: say what they are.
        _ if matches!(f.kind, Kind::Date) => format!("{} {t}", spec.label),
        "staff_changes" => format!("{t}（{}）", crate::kernel::export::fmt_us(e.created_at)),
        _ => t,
    }
}

pub(crate) async fn view(
    p: &Platform,
    c: &mut DbConn,
    pr: &Principal,
    spec: &'static Spec,
    e: &EntryRow,
    names: &mut Names,
) -> Result<EntryView, AppError> {
    let mut fields = vec![];
    for f in spec.fields {
        let v = e.get(f.name).clone();
        let (display, link, input) = match (&v, f.kind) {
            (Val::Text(id), Kind::Ci | Kind::Ticket | Kind::Org | Kind::Entry(_)) => {
                names.reference(c, pr, f.kind, id).await?
            }
            (Val::Text(t), _) => (f.display(&v), None, t.clone()),
            (Val::Int(i), _) => (f.display(&v), None, i.to_string()),
            (Val::Null, _) => (String::new(), None, String::new()),
        };
        fields.push(FieldValue {
            name: f.name,
            label: f.label,
            value: v,
            display,
            link,
            input,
            listed: f.listed,
            long: matches!(f.kind, Kind::LongText(_)),
        });
    }
    let status = spec
        .status
        .and_then(|s| e.get(s).text())
        .map(str::to_string);
    let status_label = spec
        .status
        .and_then(|s| spec.field(s))
        .map(|f| f.display(e.get(f.name)))
        .unwrap_or_default();
    let flags = flags(p, c, spec, e).await?;
    Ok(EntryView {
        register: spec.key,
        register_label: spec.label,
        id: e.id.clone(),
        title: title_of(spec, e),
        org_id: e.org_id.clone(),
        org_name: names.org(c, &e.org_id).await?,
        parent_id: e.parent_id.clone(),
        version: e.version,
        created_by: names.user(c, &e.created_by).await?,
        created_at: e.created_at,
        updated_at: e.updated_at,
        fields,
        status,
        status_label,
        flags,
        can_amend: can_amend(pr, spec, e),
        steps: steps_open(pr, spec, e)
            .into_iter()
            .map(|s| StepView {
                name: s.name,
                label: s.label,
            })
            .collect(),
    })
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChildList {
    pub register: &'static str,
    pub label: &'static str,
    pub entries: Vec<EntryView>,
    pub total: i64,
    /// The caller may file one here.
    pub can_add: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryView {
    pub version: i64,
    pub change: String,
    pub changed_by: String,
    pub changed_at: i64,
    /// The values of that version: (label, display).
    pub values: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EntryDetail {
    pub entry: EntryView,
    pub parent: Option<(String, String, String)>,
    pub children: Vec<ChildList>,
    pub history: Vec<HistoryView>,
    /// Its occurrences in the due-date engine, the latest first.
    pub controls: Vec<ControlView>,
}

pub async fn get(
    p: &Platform,
    pr: &Principal,
    key: &str,
    id: &str,
) -> Result<EntryDetail, AppError> {
    let spec = spec_of(key)?;
    check_password(pr)?;
    let mut c = p.db.read().await?;
    let e = store::get(&mut c, spec, id)
        .await?
        .filter(|e| can_read(pr, spec, e))
        .ok_or_else(|| not_found(spec))?;
    let mut names = Names::default();
    let entry = view(p, &mut c, pr, spec, &e, &mut names).await?;
    // The parent and the children as their own reads and lists show them
    // (an entry moved to another organisation leaves its records behind).
    let parent = match (spec.parent, &e.parent_id) {
        (Some((pkey, _)), Some(pid)) => {
            let pspec = spec_of(pkey)?;
            store::get(&mut c, pspec, pid)
                .await?
                .filter(|pe| can_read(pr, pspec, pe))
                .map(|pe| (pkey.to_string(), pe.id.clone(), title_of(pspec, &pe)))
        }
        _ => None,
    };
    let mut children = vec![];
    for child in spec.children() {
        let q = ListQuery {
            scope: pr.scope_for(child.read),
            org_path: None,
            parent_id: Some(e.id.clone()),
            eq: vec![],
            text: None,
            sort: "created_at",
            desc: true,
            offset: 0,
            limit: 20,
        };
        let (rows, total) = store::list(&mut c, child, &q).await?;
        let mut entries = vec![];
        for r in &rows {
            entries.push(view(p, &mut c, pr, child, r, &mut names).await?);
        }
        children.push(ChildList {
            register: child.key,
            label: child.label,
            entries,
            total,
            can_add: may_write(pr, child, &e.org_path, e.partner_path.as_deref()).is_some(),
        });
    }
    let mut history = vec![];
    for h in store::history(&mut c, spec.key, &e.id).await? {
        let data: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&h.data).unwrap_or_default();
        let mut values = vec![];
        for f in spec.fields {
            let v = match data.get(f.name) {
                Some(serde_json::Value::String(s)) => Val::Text(s.clone()),
                Some(serde_json::Value::Number(n)) => Val::Int(n.as_i64().unwrap_or(0)),
                _ => Val::Null,
            };
            let d = match (&v, f.kind) {
                (Val::Text(id), Kind::Ci | Kind::Ticket | Kind::Org | Kind::Entry(_)) => {
                    names.reference(&mut c, pr, f.kind, id).await?.0
                }
                _ => f.display(&v),
            };
            values.push((f.label.to_string(), d));
        }
        let change = spec
            .step(&h.change)
            .map(|s| s.label.to_string())
            .unwrap_or_else(|| "修改".to_string());
        history.push(HistoryView {
            version: h.version,
            change,
            changed_by: names.user(&mut c, &h.changed_by).await?,
            changed_at: h.changed_at,
            values,
        });
    }
    let now = p.now_us();
    let org_name = names.org(&mut c, &e.org_id).await?;
    let controls = yunwei_store::controls::of_subject(&mut c, spec.key, &e.id, 24)
        .await?
        .iter()
        .map(|ctl| crate::kernel::due::view(ctl, &org_name, now))
        .collect();
    Ok(EntryDetail {
        entry,
        parent,
        children,
        history,
        controls,
    })
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFilter {
    #[serde(default)]
    pub org_id: Option<String>,
    #[serde(default)]
    pub parent_id: Option<String>,
    /// A value of the register's status field.
    #[serde(default)]
    pub status: Option<String>,
    /// Text the entry's name contains.
    #[serde(default)]
    pub q: Option<String>,
    /// A listed field, `created_at` (default) or `updated_at`.
    #[serde(default)]
    pub sort: Option<String>,
    /// `desc` (default) or `asc`.
    #[serde(default)]
    pub order: Option<String>,
    /// From 1.
    #[serde(default)]
    pub page: Option<u64>,
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

async fn list_query(
    c: &mut DbConn,
    pr: &Principal,
    spec: &Spec,
    f: &ListFilter,
    limit: u64,
) -> Result<ListQuery, AppError> {
    check_password(pr)?;
    let scope = pr.scope_for(spec.read);
    if scope.is_empty() {
        return Err(AppError::forbidden(format!(
            "无权查看{}（系统管理员、安全管理员和审计管理员不办理业务）",
            spec.label
        )));
    }
    let org_path = match nonempty(&f.org_id) {
        None => None,
        Some(id) => Some(
            orgs::get(c, id)
                .await?
                .filter(|o| pr.can(spec.read, &o.path))
                .ok_or_else(|| AppError::not_found("机构"))?
                .path,
        ),
    };
    let mut eq = vec![];
    if let Some(st) = nonempty(&f.status) {
        let field = spec.status.and_then(|s| spec.field(s)).ok_or_else(|| {
            AppError::bad_request("register.status_invalid", format!("{}没有状态", spec.label))
        })?;
        eq.push((field.name, register::parse_value(field, st)?));
    }
    let text = match nonempty(&f.q) {
        Some(q) if q.chars().count() > 100 => {
            return Err(AppError::bad_request(
                "register.query_too_long",
                "查询文字不得超过100字",
            ))
        }
        Some(q) => Some((spec.title, q.to_string())),
        None => None,
    };
    let sort = match nonempty(&f.sort) {
        None | Some("created_at") => "created_at",
        Some("updated_at") => "updated_at",
        Some(s) => {
            spec.fields
                .iter()
                .find(|fl| fl.name == s && fl.listed)
                .ok_or_else(|| {
                    AppError::bad_request("register.sort_invalid", format!("不能按「{s}」排序"))
                })?
                .name
        }
    };
    let desc = match nonempty(&f.order) {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(_) => {
            return Err(AppError::bad_request(
                "register.order_invalid",
                "排序方向应为 asc 或 desc",
            ))
        }
    };
    let page = f.page.unwrap_or(1).max(1);
    if page > 10_000 {
        return Err(AppError::bad_request("register.page_invalid", "页码过大"));
    }
    Ok(ListQuery {
        scope,
        org_path,
        parent_id: nonempty(&f.parent_id).map(str::to_string),
        eq,
        text,
        sort,
        desc,
        offset: (page - 1) * limit,
        limit,
    })
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EntryPage {
    pub register: &'static str,
    pub label: &'static str,
    pub entries: Vec<EntryView>,
    pub total: i64,
    pub page: u64,
    pub pages: u64,
}

pub async fn list(
    p: &Platform,
    pr: &Principal,
    key: &str,
    f: &ListFilter,
) -> Result<EntryPage, AppError> {
    let spec = spec_of(key)?;
    let mut c = p.db.read().await?;
    let q = list_query(&mut c, pr, spec, f, PAGE_SIZE).await?;
    let (rows, total) = store::list(&mut c, spec, &q).await?;
    let mut names = Names::default();
    let mut entries = vec![];
    for r in &rows {
        entries.push(view(p, &mut c, pr, spec, r, &mut names).await?);
    }
    Ok(EntryPage {
        register: spec.key,
        label: spec.label,
        entries,
        total,
        page: q.offset / PAGE_SIZE + 1,
        pages: (total.max(0) as u64).div_ceil(PAGE_SIZE).max(1),
    })
}

/// The list as .xlsx (every field, the flags), marked with the exporter's
/// name; the export is audited with its reason.
pub async fn export(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    key: &str,
    f: &ListFilter,
    reason: &str,
) -> Result<Vec<u8>, AppError> {
    let spec = spec_of(key)?;
    let reason = crate::kernel::audit::require_reason(reason)?;
    let mut data = vec![];
    let auth = {
        let mut c = p.db.read().await?;
        let mut q = list_query(&mut c, pr, spec, f, EXPORT_LIMIT).await?;
        // list_query refused whoever reads this register nowhere.
        let auth = pr.authorize_somewhere(spec.read)?;
        q.offset = 0;
        let (rows, _) = store::list(&mut c, spec, &q).await?;
        let mut names = Names::default();
        for r in &rows {
            let v = view(p, &mut c, pr, spec, r, &mut names).await?;
            let mut row = vec![v.org_name.clone()];
            row.extend(v.fields.into_iter().map(|fv| fv.display));
            row.push(v.flags.join("；"));
            row.push(crate::kernel::export::fmt_us(v.created_at));
            data.push(row);
        }
        auth
    };
    let mut headers = vec!["所属机构"];
    headers.extend(spec.fields.iter().map(|f| f.label));
    headers.extend(["提示", "登记时间"]);
    let bytes = crate::kernel::export::table_xlsx(
        spec.label,
        &pr.display_name,
        p.clock.now(),
        &headers,
        &data,
    )?;
    crate::kernel::audit::audit_export(
        p,
        ctx,
        auth,
        "register.export",
        spec.key,
        format!("导出 {} 条{}", data.len(), spec.label),
        &reason,
    )
    .await?;
    Ok(bytes)
}

/// A register as the index and the API describe it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegisterInfo {
    pub key: &'static str,
    pub label: &'static str,
    pub group: &'static str,
    pub source: &'static str,
    pub parent: Option<&'static str>,
    pub can_file: bool,
    pub fields: Vec<FieldInfo>,
    pub steps: Vec<StepView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldInfo {
    pub name: &'static str,
    pub label: &'static str,
    /// `text`, `long_text`, `date`, `int`, `bool`, `choice`, `entry`,
    /// `ci`, `ticket` or `org`.
    pub kind: &'static str,
    pub required: bool,
    /// Set by the platform, not by the caller.
    pub locked: bool,
    pub choices: Vec<(&'static str, &'static str)>,
    pub help: &'static str,
}

pub fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Text(_) => "text",
        Kind::LongText(_) => "long_text",
        Kind::Date => "date",
        Kind::Int(..) => "int",
        Kind::Bool => "bool",
        Kind::Choice(_) => "choice",
        Kind::Entry(_) => "entry",
        Kind::Ci => "ci",
        Kind::Ticket => "ticket",
        Kind::Org => "org",
    }
}

pub fn info(pr: &Principal, spec: &'static Spec) -> RegisterInfo {
    RegisterInfo {
        key: spec.key,
        label: spec.label,
        group: spec.group,
        source: spec.source,
        parent: spec.parent.map(|(p, _)| p),
        can_file: can_file_somewhere(pr, spec),
        fields: spec
            .fields
            .iter()
            .map(|f| FieldInfo {
                name: f.name,
                label: f.label,
                kind: kind_name(f.kind),
                required: f.required,
                locked: f.locked,
                choices: match f.kind {
                    Kind::Choice(cs) => cs.to_vec(),
                    _ => vec![],
                },
                help: f.help,
            })
            .collect(),
        steps: spec
            .steps
            .iter()
            .map(|s| StepView {
                name: s.name,
                label: s.label,
            })
            .collect(),
    }
}

/// Every register the caller may read.
pub fn registers(pr: &Principal) -> Result<Vec<RegisterInfo>, AppError> {
    check_password(pr)?;
    Ok(SPECS
        .iter()
        .filter(|s| pr.can_somewhere(s.read))
        .map(|s| info(pr, s))
        .collect())
}

/// Entries of a register the caller may read, as (id, title) for a
/// form's choice, the newest first (at most `limit`).
pub async fn options(
    p: &Platform,
    pr: &Principal,
    key: &str,
    limit: u64,
) -> Result<Vec<(String, String)>, AppError> {
    let spec = spec_of(key)?;
    let mut c = p.db.read().await?;
    let q = list_query(&mut c, pr, spec, &ListFilter::default(), limit).await?;
    let (rows, _) = store::list(&mut c, spec, &q).await?;
    Ok(rows
        .iter()
        .map(|e| (e.id.clone(), title_of(spec, e)))
        .collect())
}

/// What needs attention about `e` today: its overdue occurrences and the
/// register's own flags.
async fn flags(
    p: &Platform,
    c: &mut DbConn,
    spec: &'static Spec,
    e: &EntryRow,
) -> Result<Vec<String>, AppError> {
    let now = p.now_us();
    let rules = p.seams.register(spec.key);
    let mut out = vec![];
    for ctl in yunwei_store::controls::of_subject(c, spec.key, &e.id, 50).await? {
        if ctl.done_at.is_none()
            && ctl.due_at <= now
            && !rules.covered_kinds.contains(&ctl.kind.as_str())
        {
            let period = due::period_label(&ctl);
            out.push(format!(
                "{}已逾期{}（应于 {} 前完成）",
                due::kind_label(&ctl.kind),
                if period.is_empty() {
                    String::new()
                } else {
                    format!("：{period}")
                },
                due::last_day(ctl.due_at).format("%Y-%m-%d")
            ));
        }
    }
    out.extend((rules.flags)(p, c, spec, e).await?);
    Ok(out)
}
