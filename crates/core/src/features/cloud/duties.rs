//! The parties' recurring duties on a government cloud (issue 14 item 6,
//! ZMDY-20, ZMDY-28, ZMDY-29, ZMDY-32, ZMDY-37, SNYP-19, SNYP-22, SNYP-25,
//! SNYP-28), the security commitments (ZMDY-40) and the supervision scores
//! of units (SNYP-32).
//!
//! - Duties are pack data (`[[duty]]` in `cloud.toml`, `CloudRules::duties`):
//!   [`roll_forward`] (the job `cloud_duties`) keeps, for every platform,
//!   one occurrence per period of each duty in the due-date engine (ADR
//!   0005), due at the duty's offset ("每月5日前": by the end of the 5th of
//!   the next month). The occurrence of a provider's, monitor's or the
//!   bureau's duty belongs to the bureau (its overview lists them); a
//!   unit's duty has one occurrence per unit, belonging to the unit.
//! - [`file_report`]: the party that owes it files the report (a file):
//!   the permission is checked before the file touches disk; the period's
//!   occurrence is done once `times` reports answer it. Overdue
//!   occurrences are notified once by `features::overdue` to the party's
//!   staff and the cloud managers ([`owners`]).
//! - [`sign_commitment`] / [`commitments`]: the 安全承诺书 of every unit and
//!   provider, and who has not signed.
//! - [`set_score`] / [`scores`]: the bureau's yearly scores of a unit on
//!   the four aspects of SNYP-32.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use yunwei_domain::cmdb::clean_text;
use yunwei_domain::ids::new_id;
use yunwei_domain::policy::cloud::{CloudRules, DutyParty, DutyRule};
use yunwei_domain::roles::{Action, Role};
use yunwei_domain::schedule::Period;
use yunwei_domain::AppError;
use yunwei_store::cloud::{self as cstore, PlatformRow};
use yunwei_store::cloud_duties::{self as store, CommitmentRow, ReportRow, ScoreRow};
use yunwei_store::controls::ControlRow;
use yunwei_store::{in_tx, orgs, DbConn, Scope};

use super::rules;
use crate::kernel::audit::{deny, record, Actor, Event};
use crate::kernel::due::{self, ControlView, Subject};
use crate::{Authorized, Ctx, Platform, Principal};

/// Largest report or commitment file.
pub const MAX_FILE_BYTES: usize = 50 * 1024 * 1024;
/// Most reports in a platform's history page.
pub const HISTORY_LIMIT: u64 = 200;

fn platform_not_found() -> AppError {
    AppError::not_found("政务云平台")
}

fn check_size(content: &[u8]) -> Result<(), AppError> {
    if content.is_empty() || content.len() > MAX_FILE_BYTES {
        return Err(AppError::bad_request(
            "cloud_duty.size",
            "文件不能为空，且不超过50MB",
        ));
    }
    Ok(())
}

fn parse_day(s: &str, label: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        AppError::bad_request(
            "cloud_duty.date_invalid",
            format!("{label}应为日期，如 2026-03-05"),
        )
    })
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn day_of(us: i64) -> NaiveDate {
    yunwei_domain::calendar::date_in_shanghai(
        chrono::DateTime::from_timestamp_micros(us).unwrap_or_default(),
    )
}

/// The control kind of a party's duties.
pub fn kind_of(who: DutyParty) -> &'static str {
    match who {
        DutyParty::Provider => due::CLOUD_PROVIDER_DUTY,
        DutyParty::Monitor => due::CLOUD_MONITOR_DUTY,
        DutyParty::Bureau => due::CLOUD_BUREAU_DUTY,
        DutyParty::Unit => due::CLOUD_UNIT_DUTY,
    }
}

/// The subject id of a duty's occurrences: `platform/duty`, or
/// `platform/duty/unit` for a unit's.
fn subject_id(platform_id: &str, duty_id: &str, unit: Option<&str>) -> String {
    match unit {
        Some(u) => format!("{platform_id}/{duty_id}/{u}"),
        None => format!("{platform_id}/{duty_id}"),
    }
}

/// The organisation that owes a platform-wide duty (None for a unit's, or
/// a monitor's duty on a platform without a monitoring provider).
fn party_org(pl: &PlatformRow, who: DutyParty) -> Option<&str> {
    match who {
        DutyParty::Provider => Some(&pl.provider_org_id),
        DutyParty::Monitor => pl.monitor_org_id.as_deref(),
        DutyParty::Bureau => Some(&pl.bureau_org_id),
        DutyParty::Unit => None,
    }
}

fn duty<'a>(r: &'a CloudRules, id: &str) -> Result<&'a DutyRule, AppError> {
    r.duties
        .iter()
        .find(|d| d.id == id.trim())
        .ok_or_else(|| AppError::not_found("报送事项"))
}

/// One subject of occurrences to keep: its id and owning organisation.
struct Owed {
    subject_id: String,
    org_id: String,
}

/// The title of a duty's occurrences: `平台：事项`, with the unit's name
/// for a unit's duty.
fn title(pl: &PlatformRow, d: &DutyRule, unit_name: Option<&str>) -> String {
    match unit_name {
        Some(n) => format!("{}：{}（{n}）", pl.name, d.label),
        None => format!("{}：{}", pl.name, d.label),
    }
}

async fn owed(c: &mut DbConn, pl: &PlatformRow, d: &DutyRule) -> Result<Vec<Owed>, AppError> {
    if d.who == DutyParty::Unit {
        let mut out = vec![];
        for u in cstore::units(c, &pl.id, &Scope::whole_tree()).await? {
            out.push(Owed {
                subject_id: subject_id(&pl.id, &d.id, Some(&u.org_id)),
                org_id: u.org_id,
            });
        }
        return Ok(out);
    }
    if party_org(pl, d.who).is_none() {
        return Ok(vec![]);
    }
    Ok(vec![Owed {
        subject_id: subject_id(&pl.id, &d.id, None),
        org_id: pl.bureau_org_id.clone(),
    }])
}

/// Creates the occurrences of every duty of every platform up to the
/// current period (from the platform's first day), each batch audited.
/// Only a subject whose current period is missing takes a write
/// transaction. Returns how many were created.
pub async fn roll_forward(p: &Platform) -> Result<usize, AppError> {
    let today = due::today(p);
    let platforms = {
        let mut c = p.db.read().await?;
        cstore::platforms(&mut c).await?
    };
    let mut created = 0;
    for pl in platforms {
        let r = rules(p, &pl)?;
        for d in &r.duties {
            let behind = {
                let mut c = p.db.read().await?;
                let mut behind = vec![];
                for o in owed(&mut c, &pl, d).await? {
                    let latest = yunwei_store::controls::of_subject(
                        &mut c,
                        due::CLOUD_DUTY,
                        &o.subject_id,
                        1,
                    )
                    .await?
                    .into_iter()
                    .filter_map(|ctl| ctl.period_end)
                    .filter_map(|e| NaiveDate::parse_from_str(&e, "%Y-%m-%d").ok())
                    .max();
                    let from = match latest {
                        Some(end) => end + chrono::Duration::days(1),
                        None => day_of(pl.created_at),
                    };
                    if from <= today {
                        behind.push((o, from));
                    }
                }
                behind
            };
            for (o, from) in behind {
                let ctx = Ctx::system(&new_id());
                created += in_tx!(p.db, |c| {
                    let Some(org) = orgs::get(&mut c, &o.org_id).await? else {
                        return Ok(0);
                    };
                    let unit_name = (d.who == DutyParty::Unit).then_some(org.name.as_str());
                    let t = title(&pl, d, unit_name);
                    let n =
                        ensure(&mut c, d, (&o, &t), &org.path, (from, today), p.now_us()).await?;
                    if n > 0 {
                        record(
                            p,
                            &mut c,
                            &ctx,
                            Actor::System {
                                org_path: &org.path,
                            },
                            Event::success("controls.schedule", due::CLOUD_DUTY, &o.subject_id)
                                .after(format!("{t}：生成 {n} 个到期事项")),
                        )
                        .await?;
                    }
                    Ok(n)
                })?;
            }
        }
    }
    Ok(created)
}

async fn ensure(
    c: &mut DbConn,
    d: &DutyRule,
    (o, title): (&Owed, &str),
    org_path: &str,
    (from, today): (NaiveDate, NaiveDate),
    now: i64,
) -> Result<usize, AppError> {
    due::ensure_periodic_due(
        c,
        &Subject {
            kind: kind_of(d.who),
            subject_type: due::CLOUD_DUTY,
            subject_id: &o.subject_id,
            org_id: &o.org_id,
            org_path,
            title,
            source: &d.source,
        },
        (d.period, d.due),
        from,
        today,
        now,
    )
    .await
}

/// Who answers for an overdue occurrence of a cloud duty: the staff of the
/// party that owes it (the provider's or monitor's engineers, the cloud
/// managers) and the cloud managers of the platform.
pub(crate) async fn owners(c: &mut DbConn, ctl: &ControlRow) -> Result<Vec<String>, AppError> {
    let Some(platform_id) = ctl.subject_id.split('/').next() else {
        return Ok(vec![]);
    };
    let Some(pl) = cstore::get_platform(c, platform_id).await? else {
        return Ok(vec![]);
    };
    let mut users = yunwei_store::users::holders_covering(
        c,
        &[Role::CloudManager.as_str().to_string()],
        &pl.bureau_path,
    )
    .await?;
    let party = match ctl.kind.as_str() {
        due::CLOUD_PROVIDER_DUTY => Some((Role::CloudProvider, pl.provider_org_id.clone())),
        due::CLOUD_MONITOR_DUTY => pl.monitor_org_id.clone().map(|m| (Role::CloudMonitor, m)),
        _ => None,
    };
    if let Some((role, org_id)) = party {
        if let Some(org) = orgs::get(c, &org_id).await? {
            users.extend(
                yunwei_store::users::holders_covering(c, &[role.as_str().to_string()], &org.path)
                    .await?,
            );
        }
    }
    Ok(users)
}

// ---------------------------------------------------------------- access

/// What the caller is on a platform.
#[derive(Debug, Clone, Copy, Default)]
struct Standing {
    manager: bool,
    provider: bool,
    monitor: bool,
    /// Reads the bureau's business data: sees the duties' occurrences in
    /// 到期事项总览, so it may open the board they link to (not file).
    reader: bool,
}

impl Standing {
    /// A party of the platform: may file what it owes.
    fn any(self) -> bool {
        self.manager || self.provider || self.monitor
    }

    /// May read the board and the filed reports.
    fn sees(self) -> bool {
        self.any() || self.reader
    }
}

async fn standing(c: &mut DbConn, pr: &Principal, pl: &PlatformRow) -> Result<Standing, AppError> {
    let path_of = |o: Option<yunwei_store::orgs::OrgRow>| o.map(|o| o.path);
    let provider = path_of(orgs::get(c, &pl.provider_org_id).await?);
    let monitor = match &pl.monitor_org_id {
        Some(m) => path_of(orgs::get(c, m).await?),
        None => None,
    };
    Ok(Standing {
        manager: pr.can(Action::CloudManage, &pl.bureau_path),
        provider: provider.is_some_and(|p| pr.can(Action::CloudReport, &p)),
        monitor: monitor.is_some_and(|p| pr.can(Action::CloudReport, &p)),
        reader: pr.can(Action::BusinessRead, &pl.bureau_path),
    })
}

/// The platform, if the caller is its manager or one of its providers
/// (the one scope every read of this module applies).
async fn visible(
    c: &mut DbConn,
    pr: &Principal,
    platform_id: &str,
) -> Result<(PlatformRow, Standing), AppError> {
    let pl = cstore::get_platform(c, platform_id.trim())
        .await?
        .ok_or_else(platform_not_found)?;
    let st = standing(c, pr, &pl).await?;
    if !st.sees() {
        return Err(platform_not_found());
    }
    Ok((pl, st))
}

/// A platform the caller may look at.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlatformRef {
    pub id: String,
    pub name: String,
}

/// The platforms whose duties the caller may see.
pub async fn platforms(p: &Platform, pr: &Principal) -> Result<Vec<PlatformRef>, AppError> {
    let mut c = p.db.read().await?;
    let mut out = vec![];
    for pl in cstore::platforms(&mut c).await? {
        if standing(&mut c, pr, &pl).await?.sees() {
            out.push(PlatformRef {
                id: pl.id,
                name: pl.name,
            });
        }
    }
    Ok(out)
}

/// Whether the caller may open any of these pages: the parties, and those
/// who read a bureau's business data (they see the duties' occurrences).
pub fn may_view(pr: &Principal) -> bool {
    pr.can_somewhere(Action::CloudManage)
        || pr.can_somewhere(Action::CloudReport)
        || pr.can_somewhere(Action::BusinessRead)
}

// ---------------------------------------------------------------- board

/// One duty of a platform with where its occurrences stand.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DutyStatus {
    pub id: String,
    pub label: String,
    /// `provider`, `monitor`, `unit` or `bureau`.
    pub who: &'static str,
    pub who_label: &'static str,
    /// 每月，次月5日前.
    pub schedule: String,
    pub source: String,
    /// Who sets the due day where the text leaves it open.
    pub open: Option<String>,
    pub times: u32,
    /// The open occurrences (overdue first), and the latest done one.
    pub occurrences: Vec<ControlView>,
    /// Whether the caller may file a report of it.
    pub can_file: bool,
}

/// A filed report, for the history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportView {
    #[serde(flatten)]
    pub report: ReportRow,
    pub duty_label: String,
    pub org_name: String,
    pub unit_name: String,
    /// Filed after the occurrence was due.
    pub late: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DutyBoard {
    pub platform: PlatformRef,
    pub duties: Vec<DutyStatus>,
    pub history: Vec<ReportView>,
    /// Open and past due.
    pub overdue: usize,
    pub now: i64,
}

/// The duties of a platform, this period's status and the history, for
/// its managers and providers.
pub async fn board(p: &Platform, pr: &Principal, platform_id: &str) -> Result<DutyBoard, AppError> {
    let mut c = p.db.read().await?;
    let (pl, st) = visible(&mut c, pr, platform_id).await?;
    let r = rules(p, &pl)?;
    let now = p.now_us();
    let mut duties = vec![];
    let mut overdue = 0;
    let mut due_of: std::collections::HashMap<(String, String, Option<String>), i64> =
        Default::default();
    for d in &r.duties {
        let mut occ: Vec<ControlRow> = vec![];
        for o in owed(&mut c, &pl, d).await? {
            let rows =
                yunwei_store::controls::of_subject(&mut c, due::CLOUD_DUTY, &o.subject_id, 24)
                    .await?;
            let unit = (d.who == DutyParty::Unit).then(|| o.org_id.clone());
            for r in &rows {
                if let Some(s) = &r.period_start {
                    due_of.insert((d.id.clone(), s.clone(), unit.clone()), r.due_at);
                }
            }
            let latest_done = rows.iter().find(|r| r.done_at.is_some()).cloned();
            occ.extend(rows.into_iter().filter(|r| r.done_at.is_none()));
            occ.extend(latest_done);
        }
        occ.sort_by_key(|r| (r.done_at.is_some(), r.due_at));
        let names = due::org_names(&mut c, occ.iter().map(|r| &r.org_id)).await?;
        let views: Vec<ControlView> = occ
            .iter()
            .map(|r| {
                due::view(
                    r,
                    names.get(&r.org_id).map(String::as_str).unwrap_or(""),
                    now,
                )
            })
            .collect();
        overdue += views.iter().filter(|v| v.status == "overdue").count();
        let can_file = match d.who {
            DutyParty::Provider => st.provider,
            DutyParty::Monitor => st.monitor,
            DutyParty::Bureau | DutyParty::Unit => st.manager,
        };
        duties.push(DutyStatus {
            id: d.id.clone(),
            label: d.label.clone(),
            who: d.who.as_str(),
            who_label: d.who.label(),
            schedule: d.schedule_label(),
            source: d.source.clone(),
            open: d.open.clone(),
            times: d.times,
            occurrences: views,
            can_file,
        });
    }
    let mut history = vec![];
    for rep in store::reports(&mut c, &pl.id, HISTORY_LIMIT).await? {
        let label = r
            .duties
            .iter()
            .find(|d| d.id == rep.duty_id)
            .map(|d| d.label.clone())
            .unwrap_or_else(|| rep.duty_id.clone());
        let org_name = orgs::get(&mut c, &rep.org_id)
            .await?
            .map(|o| o.name)
            .unwrap_or_default();
        let unit_name = match &rep.unit_org_id {
            Some(u) => orgs::get(&mut c, u)
                .await?
                .map(|o| o.name)
                .unwrap_or_default(),
            None => String::new(),
        };
        let late = due_of
            .get(&(
                rep.duty_id.clone(),
                rep.period_start.clone(),
                rep.unit_org_id.clone(),
            ))
            .is_some_and(|d| rep.filed_at >= *d);
        history.push(ReportView {
            duty_label: label,
            org_name,
            unit_name,
            late,
            report: rep,
        });
    }
    Ok(DutyBoard {
        platform: PlatformRef {
            id: pl.id,
            name: pl.name,
        },
        duties,
        history,
        overdue,
        now,
    })
}

// ---------------------------------------------------------------- filing

/// A report filed against a duty.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileReport {
    pub platform_id: String,
    pub duty_id: String,
    /// Any day of the period it answers (`YYYY-MM-DD`); empty: the oldest
    /// open period, else the current one.
    #[serde(default)]
    pub period: String,
    /// The unit, for a duty every unit owes.
    #[serde(default)]
    pub unit_org_id: String,
    pub filename: String,
    #[serde(default)]
    pub note: String,
}

/// What a filing did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Filed {
    pub report: ReportRow,
    pub period_label: String,
    /// The period's occurrence is done (enough reports answer it).
    pub period_done: bool,
    /// Filed after the occurrence was due.
    pub late: bool,
}

/// Files a report of a duty by the party that owes it: the provider's or
/// monitor's staff of that platform (`CloudReport` over its organisation),
/// or the bureau (`CloudManage`) for its own duties and on behalf of a
/// unit. Checked before the file touches disk; refusals are audited.
pub async fn file_report(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    input: &FileReport,
    content: &[u8],
) -> Result<Filed, AppError> {
    check_size(content)?;
    let filename = yunwei_domain::text::clean_file_name(&input.filename, 200)
        .map_err(|e| e.error("cloud_duty.filename", "文件名"))?;
    let note = clean_text(&input.note, "说明", 1000, false)?;
    let today = due::today(p);
    let refused = |err: AppError| {
        deny::<Filed>(
            p,
            ctx,
            pr,
            Event::success(
                "cloud.duty_report",
                "cloud_platform",
                input.platform_id.trim(),
            )
            .after(format!("报送 {}", input.duty_id.trim())),
            err,
        )
    };
    // Who may file, read first: a refusal is audited and leaves nothing.
    let (pl, d, party_path, unit) = {
        let mut c = p.db.read().await?;
        let pl = match cstore::get_platform(&mut c, input.platform_id.trim()).await? {
            Some(pl) => pl,
            None => return refused(platform_not_found()).await,
        };
        let st = standing(&mut c, pr, &pl).await?;
        if !st.any() {
            return refused(platform_not_found()).await;
        }
        let d = duty(rules(p, &pl)?, &input.duty_id)?.clone();
        let unit = if d.who == DutyParty::Unit {
            let u = input.unit_org_id.trim();
            match cstore::get_unit(&mut c, u)
                .await?
                .filter(|u| u.platform_id == pl.id)
            {
                Some(u) => Some(u),
                None => {
                    return Err(AppError::bad_request(
                        "cloud_duty.unit_required",
                        "请选择本平台的使用单位",
                    ))
                }
            }
        } else {
            None
        };
        let (action, org_id) = match (d.who, &unit) {
            (DutyParty::Unit, Some(u)) => (Action::CloudManage, u.org_id.clone()),
            (DutyParty::Bureau | DutyParty::Unit, _) => {
                (Action::CloudManage, pl.bureau_org_id.clone())
            }
            (who, _) => (
                Action::CloudReport,
                party_org(&pl, who)
                    .map(str::to_string)
                    .ok_or_else(|| AppError::not_found("云监管服务商"))?,
            ),
        };
        let org = orgs::get(&mut c, &org_id)
            .await?
            .ok_or_else(AppError::internal)?;
        // The bureau files for its units: checked on its own department.
        let check_path = if action == Action::CloudManage {
            pl.bureau_path.clone()
        } else {
            org.path.clone()
        };
        if let Err(e) = pr.authorize(action, &check_path) {
            return refused(e).await;
        }
        (pl, d, org.path, unit)
    };
    let period = if input.period.trim().is_empty() {
        let sid = subject_id(&pl.id, &d.id, unit.as_ref().map(|u| u.org_id.as_str()));
        let mut c = p.db.read().await?;
        let oldest_open = yunwei_store::controls::of_subject(&mut c, due::CLOUD_DUTY, &sid, 500)
            .await?
            .into_iter()
            .filter(|r| r.done_at.is_none())
            .filter_map(|r| r.period_start)
            .filter_map(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
            .min();
        d.period.period_of(oldest_open.unwrap_or(today))
    } else {
        d.period.period_of(parse_day(&input.period, "报送周期")?)
    };
    if period.start > today {
        return Err(AppError::bad_request(
            "cloud_duty.period_future",
            "不能报送尚未开始的周期",
        ));
    }
    let digest = hex::encode(p.crypto.sm3(content));
    let now = p.now_us();
    let o = match &unit {
        Some(u) => Owed {
            subject_id: subject_id(&pl.id, &d.id, Some(&u.org_id)),
            org_id: u.org_id.clone(),
        },
        None => Owed {
            subject_id: subject_id(&pl.id, &d.id, None),
            org_id: pl.bureau_org_id.clone(),
        },
    };
    let filed = in_tx!(p.db, |c| {
        // Checked again in the transaction that writes (the grant may have
        // gone meanwhile): the proof for the audit record.
        let auth: Authorized = match d.who {
            DutyParty::Provider | DutyParty::Monitor => {
                pr.authorize(Action::CloudReport, &party_path)?
            }
            DutyParty::Bureau | DutyParty::Unit => {
                pr.authorize(Action::CloudManage, &pl.bureau_path)?
            }
        };
        // Written only once the filing is allowed (issue 11).
        crate::kernel::files::store(p, &digest, content)?;
        let org = orgs::get(&mut c, &o.org_id)
            .await?
            .ok_or_else(AppError::internal)?;
        // The occurrence exists even when the job has not run yet.
        let t = title(&pl, &d, unit.as_ref().map(|_| org.name.as_str()));
        ensure(
            &mut c,
            &d,
            (&o, &t),
            &org.path,
            (period.start, period.start),
            now,
        )
        .await?;
        // The party that filed: the provider or monitor, else the bureau
        // (its own duties, and a unit's filed on its behalf).
        let (filer_org_id, filer_path) = match d.who {
            DutyParty::Provider | DutyParty::Monitor => (
                party_org(&pl, d.who).unwrap_or_default().to_string(),
                party_path.clone(),
            ),
            DutyParty::Bureau | DutyParty::Unit => {
                (pl.bureau_org_id.clone(), pl.bureau_path.clone())
            }
        };
        let rep = ReportRow {
            id: new_id(),
            platform_id: pl.id.clone(),
            duty_id: d.id.clone(),
            unit_org_id: unit.as_ref().map(|u| u.org_id.clone()),
            period_start: ymd(period.start),
            period_end: ymd(period.end),
            filename: filename.clone(),
            sm3: digest.clone(),
            size: content.len() as i64,
            note: note.clone(),
            org_id: filer_org_id,
            org_path: filer_path,
            filed_by: pr.user_id.clone(),
            filed_at: now,
        };
        store::insert_report(&mut c, &rep).await?;
        let n = store::count_for_period(
            &mut c,
            &pl.id,
            &d.id,
            rep.unit_org_id.as_deref(),
            &rep.period_start,
        )
        .await?;
        let occurrence =
            yunwei_store::controls::of_subject(&mut c, due::CLOUD_DUTY, &o.subject_id, 500)
                .await?
                .into_iter()
                .find(|r| r.period_start.as_deref() == Some(rep.period_start.as_str()));
        let late = occurrence.as_ref().is_some_and(|r| now >= r.due_at);
        let mut done = occurrence.as_ref().is_some_and(|r| r.done_at.is_some());
        if !done && n >= i64::from(d.times) {
            if let Some(occ) = &occurrence {
                done = yunwei_store::controls::mark_done(
                    &mut c,
                    &occ.id,
                    now,
                    &format!("cloud_duty_report:{}", rep.id),
                )
                .await?;
            }
        }
        let period_label = Period {
            start: period.start,
            end: period.end,
        }
        .label();
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cloud.duty_report", "cloud_duty_report", &rep.id).after(format!(
                "{}：{}（{period_label}，第 {n}/{} 份{}）文件 {}，SM3 {}",
                pl.name,
                d.label,
                d.times,
                if late { "，逾期报送" } else { "" },
                rep.filename,
                rep.sm3
            )),
        )
        .await?;
        Ok(Filed {
            report: rep,
            period_label,
            period_done: done,
            late,
        })
    })?;
    Ok(filed)
}

/// A filed report's file, for the platform's managers and providers
/// (audited).
pub async fn report_file(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    report_id: &str,
) -> Result<(ReportRow, Vec<u8>), AppError> {
    let rep = {
        let mut c = p.db.read().await?;
        let rep = store::get_report(&mut c, report_id.trim())
            .await?
            .ok_or_else(|| AppError::not_found("报告"))?;
        visible(&mut c, pr, &rep.platform_id)
            .await
            .map_err(|_| AppError::not_found("报告"))?;
        rep
    };
    let bytes = crate::kernel::files::read(p, &rep.sm3)?;
    in_tx!(p.db, |c| {
        record(
            p,
            &mut c,
            ctx,
            Actor::User(Authorized::seen(pr)),
            Event::success("cloud.duty_report_download", "cloud_duty_report", &rep.id)
                .after(rep.filename.clone()),
        )
        .await?;
        Ok(())
    })?;
    Ok((rep, bytes))
}

// ---------------------------------------------------------------- commitments

/// A party of a platform that must sign a security commitment (ZMDY-40).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Party {
    pub org_id: String,
    pub name: String,
    /// `unit`, `provider` or `monitor`.
    pub kind: &'static str,
    pub kind_label: &'static str,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CommitmentView {
    #[serde(flatten)]
    pub commitment: CommitmentRow,
    pub party_name: String,
    pub kind_label: &'static str,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Commitments {
    pub platform: PlatformRef,
    pub signed: Vec<CommitmentView>,
    /// Units and providers with no commitment on file.
    pub missing: Vec<Party>,
    /// Every party (for the upload form).
    pub parties: Vec<Party>,
    pub can_upload: bool,
}

async fn parties(c: &mut DbConn, pl: &PlatformRow) -> Result<Vec<Party>, AppError> {
    let mut out = vec![];
    let mut push = |o: Option<yunwei_store::orgs::OrgRow>, kind: DutyParty| {
        if let Some(o) = o {
            out.push(Party {
                org_id: o.id,
                name: o.name,
                kind: kind.as_str(),
                kind_label: kind.label(),
            });
        }
    };
    push(
        orgs::get(c, &pl.provider_org_id).await?,
        DutyParty::Provider,
    );
    if let Some(m) = &pl.monitor_org_id {
        push(orgs::get(c, m).await?, DutyParty::Monitor);
    }
    for u in cstore::units(c, &pl.id, &Scope::whole_tree()).await? {
        push(orgs::get(c, &u.org_id).await?, DutyParty::Unit);
    }
    Ok(out)
}

/// The commitments of a platform and the units and providers that have not
/// signed one (ZMDY-40: 使用单位及云服务提供商必须签订安全承诺书).
pub async fn commitments(
    p: &Platform,
    pr: &Principal,
    platform_id: &str,
) -> Result<Commitments, AppError> {
    let mut c = p.db.read().await?;
    let (pl, st) = visible(&mut c, pr, platform_id).await?;
    let all = parties(&mut c, &pl).await?;
    let rows = store::commitments(&mut c, &pl.id).await?;
    let signed: Vec<CommitmentView> = rows
        .into_iter()
        .map(|r| {
            let party = all.iter().find(|x| x.org_id == r.party_org_id);
            CommitmentView {
                party_name: party.map(|x| x.name.clone()).unwrap_or_default(),
                kind_label: DutyParty::parse(&r.party_kind)
                    .map(|k| k.label())
                    .unwrap_or(""),
                commitment: r,
            }
        })
        .collect();
    let missing = all
        .iter()
        .filter(|x| !signed.iter().any(|s| s.commitment.party_org_id == x.org_id))
        .cloned()
        .collect();
    Ok(Commitments {
        platform: PlatformRef {
            id: pl.id,
            name: pl.name,
        },
        signed,
        missing,
        parties: all,
        can_upload: st.manager,
    })
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NewCommitment {
    pub platform_id: String,
    /// The unit or provider that signed.
    pub party_org_id: String,
    /// `YYYY-MM-DD`, not after today.
    pub signed_on: String,
    pub filename: String,
    #[serde(default)]
    pub note: String,
}

/// Files a signed commitment (the scanned letter) of a unit or provider
/// of the platform; the bureau (`CloudManage`) collects them.
pub async fn sign_commitment(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    input: &NewCommitment,
    content: &[u8],
) -> Result<CommitmentView, AppError> {
    check_size(content)?;
    let filename = yunwei_domain::text::clean_file_name(&input.filename, 200)
        .map_err(|e| e.error("cloud_duty.filename", "文件名"))?;
    let note = clean_text(&input.note, "说明", 1000, false)?;
    let signed_on = parse_day(&input.signed_on, "签订日期")?;
    if signed_on > due::today(p) {
        return Err(AppError::bad_request(
            "cloud_duty.date_future",
            "签订日期不能晚于今天",
        ));
    }
    let (pl, party) = {
        let mut c = p.db.read().await?;
        let (pl, st) = visible(&mut c, pr, &input.platform_id).await?;
        if !st.manager {
            return deny(
                p,
                ctx,
                pr,
                Event::success("cloud.commitment", "cloud_platform", &pl.id),
                AppError::forbidden("无权登记安全承诺书：仅政务云主管部门登记"),
            )
            .await;
        }
        let party = parties(&mut c, &pl)
            .await?
            .into_iter()
            .find(|x| x.org_id == input.party_org_id.trim())
            .ok_or_else(|| {
                AppError::bad_request(
                    "cloud_duty.party_unknown",
                    "签订方应为本平台的使用单位、云服务商或云监管服务商",
                )
            })?;
        (pl, party)
    };
    let digest = hex::encode(p.crypto.sm3(content));
    let row = in_tx!(p.db, |c| {
        let auth = pr.authorize(Action::CloudManage, &pl.bureau_path)?;
        crate::kernel::files::store(p, &digest, content)?;
        let org = orgs::get(&mut c, &party.org_id)
            .await?
            .ok_or_else(AppError::internal)?;
        let row = CommitmentRow {
            id: new_id(),
            platform_id: pl.id.clone(),
            party_org_id: org.id.clone(),
            party_path: org.path.clone(),
            party_kind: party.kind.to_string(),
            signed_on: ymd(signed_on),
            filename: filename.clone(),
            sm3: digest.clone(),
            size: content.len() as i64,
            note: note.clone(),
            filed_by: pr.user_id.clone(),
            filed_at: p.now_us(),
        };
        store::insert_commitment(&mut c, &row).await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cloud.commitment", "cloud_commitment", &row.id).after(format!(
                "{}：{}（{}）{} 签订安全承诺书，文件 {}，SM3 {}",
                pl.name, org.name, party.kind_label, row.signed_on, row.filename, row.sm3
            )),
        )
        .await?;
        Ok(CommitmentView {
            commitment: row,
            party_name: org.name,
            kind_label: party.kind_label,
        })
    })?;
    Ok(row)
}

/// A commitment's file, for the platform's managers and providers
/// (audited).
pub async fn commitment_file(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
) -> Result<(CommitmentRow, Vec<u8>), AppError> {
    let row = {
        let mut c = p.db.read().await?;
        let row = store::get_commitment(&mut c, id.trim())
            .await?
            .ok_or_else(|| AppError::not_found("安全承诺书"))?;
        visible(&mut c, pr, &row.platform_id)
            .await
            .map_err(|_| AppError::not_found("安全承诺书"))?;
        row
    };
    let bytes = crate::kernel::files::read(p, &row.sm3)?;
    in_tx!(p.db, |c| {
        record(
            p,
            &mut c,
            ctx,
            Actor::User(Authorized::seen(pr)),
            Event::success("cloud.commitment_download", "cloud_commitment", &row.id)
                .after(row.filename.clone()),
        )
        .await?;
        Ok(())
    })?;
    Ok((row, bytes))
}

// ---------------------------------------------------------------- scores

/// The four aspects of SNYP-32, in order: (code, label).
pub const ASPECTS: [(&str, &str); 4] = [
    ("integration", "应用系统整合共享"),
    ("migration", "迁移上云"),
    ("utilisation", "政务云资源利用率"),
    ("dengbao", "应用系统安全等级保护实施"),
];

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ScoreInput {
    pub platform_id: String,
    pub unit_org_id: String,
    pub year: i64,
    pub integration: i64,
    pub migration: i64,
    pub utilisation: i64,
    pub dengbao: i64,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScoreView {
    pub unit_org_id: String,
    pub unit_name: String,
    pub score: Option<ScoreRow>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Scores {
    pub platform: PlatformRef,
    pub year: i64,
    /// Every unit of the platform, scored or not.
    pub units: Vec<ScoreView>,
    pub can_score: bool,
}

fn score_text(s: &ScoreRow) -> String {
    format!(
        "整合共享 {}，迁移上云 {}，资源利用率 {}，等级保护实施 {}",
        s.integration, s.migration, s.utilisation, s.dengbao
    )
}

/// Enters (or corrects) a unit's supervision scores of a year (SNYP-32:
/// 管理部门负责……进行监督评分), each 0-100; the bureau only, audited with
/// the scores before and after.
pub async fn set_score(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    input: &ScoreInput,
) -> Result<ScoreView, AppError> {
    for (v, (_, label)) in [
        input.integration,
        input.migration,
        input.utilisation,
        input.dengbao,
    ]
    .iter()
    .zip(ASPECTS)
    {
        if !(0..=100).contains(v) {
            return Err(AppError::bad_request(
                "cloud_score.out_of_range",
                format!("「{label}」评分应在 0 到 100 之间"),
            ));
        }
    }
    if !(2000..=2100).contains(&input.year) {
        return Err(AppError::bad_request("cloud_score.year", "年度无效"));
    }
    let note = clean_text(&input.note, "说明", 1000, false)?;
    let pl = {
        let mut c = p.db.read().await?;
        let (pl, st) = visible(&mut c, pr, &input.platform_id).await?;
        if !st.manager {
            return deny(
                p,
                ctx,
                pr,
                Event::success("cloud.unit_score", "cloud_platform", &pl.id),
                AppError::forbidden("无权评分：仅政务云主管部门评分"),
            )
            .await;
        }
        pl
    };
    in_tx!(p.db, |c| {
        let auth = pr.authorize(Action::CloudManage, &pl.bureau_path)?;
        let unit = cstore::get_unit(&mut c, input.unit_org_id.trim())
            .await?
            .filter(|u| u.platform_id == pl.id)
            .ok_or_else(|| {
                AppError::bad_request("cloud_duty.unit_required", "请选择本平台的使用单位")
            })?;
        let before = store::get_score(&mut c, &pl.id, &unit.org_id, input.year).await?;
        let row = ScoreRow {
            id: before.as_ref().map_or_else(new_id, |b| b.id.clone()),
            platform_id: pl.id.clone(),
            unit_org_id: unit.org_id.clone(),
            unit_path: unit.org_path.clone(),
            year: input.year,
            integration: input.integration,
            migration: input.migration,
            utilisation: input.utilisation,
            dengbao: input.dengbao,
            note: note.clone(),
            scored_by: pr.user_id.clone(),
            scored_at: p.now_us(),
            version: before.as_ref().map_or(1, |b| b.version + 1),
        };
        store::upsert_score(&mut c, &row).await?;
        let name = orgs::get(&mut c, &unit.org_id)
            .await?
            .map(|o| o.name)
            .unwrap_or_default();
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("cloud.unit_score", "cloud_unit_score", &row.id)
                .before(before.as_ref().map(score_text).unwrap_or_default())
                .after(format!("{name} {} 年度：{}", row.year, score_text(&row)))
                .reason(row.note.clone()),
        )
        .await?;
        Ok(ScoreView {
            unit_org_id: row.unit_org_id.clone(),
            unit_name: name,
            score: Some(row),
        })
    })
}

/// The units of a platform with their scores of a year (the managers and
/// providers of the platform).
pub async fn scores(
    p: &Platform,
    pr: &Principal,
    platform_id: &str,
    year: Option<i64>,
) -> Result<Scores, AppError> {
    let year = year.unwrap_or_else(|| i64::from(chrono::Datelike::year(&due::today(p))));
    let mut c = p.db.read().await?;
    let (pl, st) = visible(&mut c, pr, platform_id).await?;
    if !st.manager {
        return Err(platform_not_found());
    }
    let rows = store::scores(&mut c, &pl.id, year).await?;
    let mut units = vec![];
    for u in cstore::units(&mut c, &pl.id, &Scope::whole_tree()).await? {
        let name = orgs::get(&mut c, &u.org_id)
            .await?
            .map(|o| o.name)
            .unwrap_or_default();
        units.push(ScoreView {
            score: rows.iter().find(|r| r.unit_org_id == u.org_id).cloned(),
            unit_org_id: u.org_id,
            unit_name: name,
        });
    }
    Ok(Scores {
        platform: PlatformRef {
            id: pl.id,
            name: pl.name,
        },
        year,
        units,
        can_score: st.manager,
    })
}
