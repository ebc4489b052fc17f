//! The demo's government IT projects of 遂宁市 (issue 15, ADR 0017), from
//! `demo/projects.toml`: the organisations and people of the pack's roles
//! (the data bureau, finance, the development commission, 网信办, 公安局 and
//! 保密机要局, three city units, a county with its bureau and a unit, the
//! builder and the supervisor), then projects at every stage of the pack's
//! project process, supplementary contracts, the disposal of two systems and
//! one open major security finding (SNXM-43). Everything goes through the
//! use cases (`tickets::open`, `tickets::transition`, `tickets::vote`,
//! `tickets::attach`, `cmdb::create`, `projects::record_finding`) at its own
//! moment in the past (`demo::at`), by the person the pack's role names;
//! the dates the pack's numbers decide (the shortest trial run, the
//! self-evaluation period) are computed from its `projects.toml`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::{DateTime, Duration, Months, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};
use yunwei_domain::calendar::date_in_shanghai;
use yunwei_domain::org::OrgKind;
use yunwei_domain::policy::hooks;
use yunwei_domain::policy::model::{FieldType, Process};
use yunwei_domain::policy::projects::ProjectRules;
use yunwei_domain::policy::Pack;
use yunwei_domain::AppError;
use yunwei_store::orgs::OrgRow;
use yunwei_store::DbConn;

use super::{at, child, demo_principal};
use crate::features::cmdb::{self, CiInput};
use crate::features::projects::{self, NewFinding};
use crate::tickets::{self, OpenInput, TicketDetail, TransitionInput};
use crate::{Ctx, Platform, Principal};

#[derive(Deserialize)]
struct Data {
    pack: String,
    /// The organisation keys of the builder and the supervisor.
    contractor: String,
    supervisor: String,
    region: Region,
    org: Vec<OrgData>,
    roles: BTreeMap<String, String>,
    unit: Vec<UnitData>,
    walk: WalkData,
    text: BTreeMap<String, String>,
    attachment: BTreeMap<String, String>,
    project: Vec<ProjectData>,
    disposal: Vec<DisposalData>,
}

#[derive(Deserialize)]
struct Region {
    city: String,
    county: String,
}

#[derive(Deserialize)]
struct OrgData {
    key: String,
    name: String,
    label: String,
    /// `city` or `county`.
    parent: String,
    /// `city`, `county` or `self`.
    scope: String,
    #[serde(default)]
    vendor: bool,
}

#[derive(Deserialize)]
struct UnitData {
    org: String,
    staff: String,
    cdo: String,
}

#[derive(Deserialize)]
struct WalkData {
    forward: Vec<String>,
}

#[derive(Deserialize)]
struct ProjectData {
    unit: String,
    title: String,
    kind: String,
    route: String,
    #[serde(default)]
    unit_level: Option<String>,
    total: String,
    #[serde(default)]
    contract: Option<String>,
    stage: String,
    #[serde(default)]
    timing: Option<String>,
    #[serde(default)]
    via: Vec<String>,
    #[serde(default)]
    votes: Option<Vec<String>>,
    #[serde(default)]
    refusal: Option<String>,
    #[serde(default)]
    values: BTreeMap<String, String>,
    applied_days_ago: i64,
    #[serde(default)]
    supplements: Vec<SupplementData>,
    #[serde(default)]
    finding: Option<String>,
}

#[derive(Deserialize)]
struct SupplementData {
    title: String,
    amount: String,
    stage: String,
}

#[derive(Deserialize)]
struct DisposalData {
    unit: String,
    code: String,
    system: String,
    title: String,
    kind: String,
    #[serde(default)]
    values: BTreeMap<String, String>,
    stage: String,
    applied_days_ago: i64,
}

fn data() -> Result<&'static Data, AppError> {
    static DATA: OnceLock<Result<Data, String>> = OnceLock::new();
    DATA.get_or_init(|| toml::from_str(include_str!("projects.toml")).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| {
            tracing::error!(error = %e, "demo project data");
            AppError::internal()
        })
}

/// Name of a 遂宁市 organisation behind an account's key, for the start-up
/// banner ("" when the key is not one of them).
pub fn org_label(key: &str) -> &'static str {
    data()
        .ok()
        .and_then(|d| d.org.iter().find(|o| o.key == key))
        .map(|o| o.label.as_str())
        .unwrap_or("")
}

/// 遂宁市's organisations: each account key's home and the scope its
/// grants cover.
pub(crate) struct XmOrgs {
    by_key: BTreeMap<String, (OrgRow, OrgRow)>,
}

impl XmOrgs {
    pub(crate) fn home_and_scope(&self, key: &str) -> Option<(&OrgRow, &OrgRow)> {
        self.by_key.get(key).map(|(h, s)| (h, s))
    }
}

/// Creates 遂宁市 beside the demo's other cities, its county and the
/// organisations of the data file (nothing is created twice).
pub(crate) async fn orgs(
    p: &Platform,
    c: &mut DbConn,
    ctx: &Ctx,
    root: &OrgRow,
) -> Result<XmOrgs, AppError> {
    let d = data()?;
    let city = child(p, c, ctx, root, OrgKind::City, &d.region.city).await?;
    let county = child(p, c, ctx, &city, OrgKind::County, &d.region.county).await?;
    let mut by_key = BTreeMap::new();
    for o in &d.org {
        let parent = if o.parent == "county" { &county } else { &city };
        let kind = if o.vendor {
            OrgKind::Vendor
        } else {
            OrgKind::Department
        };
        let home = child(p, c, ctx, parent, kind, &o.name).await?;
        let scope = match o.scope.as_str() {
            "city" => city.clone(),
            "county" => county.clone(),
            _ => home.clone(),
        };
        by_key.insert(o.key.clone(), (home, scope));
    }
    Ok(XmOrgs { by_key })
}

/// 09:30 China time on `d`, `k` minutes later.
fn morning(d: NaiveDate, k: i64) -> DateTime<Utc> {
    d.and_hms_opt(1, 30, 0).expect("valid time").and_utc() + Duration::minutes(k)
}

fn months_back(d: NaiveDate, m: u32) -> NaiveDate {
    d.checked_sub_months(Months::new(m)).unwrap_or(d)
}

/// The people of one walk: the pack's roles by the data file, the unit's
/// staff and CDO.
struct Cast {
    by_role: BTreeMap<String, Principal>,
    staff: Principal,
    cdo: Principal,
}

impl Cast {
    fn person(&self, role: &str) -> Option<&Principal> {
        match role {
            "requester" | "unit" => Some(&self.staff),
            "cdo" => Some(&self.cdo),
            r => self.by_role.get(r),
        }
    }
}

/// When the steps of one walk happen: every `gap` days from the
/// application, never before the date pinned to a step's hook (the start
/// of the trial run, the request for pre-acceptance, the acceptance).
struct Schedule {
    applied: NaiveDate,
    gap: i64,
    pins: BTreeMap<&'static str, NaiveDate>,
}

const GAP_DAYS: i64 = 7;

impl Schedule {
    fn plain(applied: NaiveDate) -> Schedule {
        Schedule {
            applied,
            gap: GAP_DAYS,
            pins: BTreeMap::new(),
        }
    }

    /// The dates of a project's `timing` (see projects.toml), from the
    /// pack's shortest trial run and self-evaluation period.
    fn of(rules: &ProjectRules, today: NaiveDate, applied: NaiveDate, timing: &str) -> Schedule {
        let trial = rules.trial_min_months;
        let mut pins = BTreeMap::new();
        let accepted = |a: NaiveDate, pins: &mut BTreeMap<&'static str, NaiveDate>| {
            let request = a - Duration::days(2 * GAP_DAYS);
            pins.insert(hooks::PROJECT_ACCEPTED, a);
            pins.insert(hooks::PROJECT_TRIAL_ELAPSED, request);
            pins.insert(
                hooks::PROJECT_TRIAL_STARTED,
                months_back(request, trial) - Duration::days(10),
            );
        };
        let eval = rules.self_evaluation_within_months;
        match timing {
            "trial_elapsed" => {
                pins.insert(
                    hooks::PROJECT_TRIAL_STARTED,
                    months_back(today, trial) - Duration::days(12),
                );
            }
            "trial_young" => {
                pins.insert(hooks::PROJECT_TRIAL_STARTED, today - Duration::days(9));
            }
            "pre_acceptance" => {
                pins.insert(
                    hooks::PROJECT_TRIAL_STARTED,
                    months_back(today, trial) - Duration::days(20),
                );
                pins.insert(hooks::PROJECT_TRIAL_ELAPSED, today - Duration::days(6));
            }
            // Accepted so that the self-evaluation falls due in six days.
            "due_soon" => accepted(
                months_back(today + Duration::days(6), eval) + Duration::days(1),
                &mut pins,
            ),
            // Accepted the self-evaluation period and 45 days ago.
            "overdue" => accepted(months_back(today, eval) - Duration::days(45), &mut pins),
            _ => {}
        }
        Schedule {
            applied,
            gap: GAP_DAYS,
            pins,
        }
    }

    /// The day of the `k`th step (the first on the application day), after
    /// the previous step's day, or the day pinned to the transition's hook.
    fn day(&self, k: usize, previous: NaiveDate, process: &Process, transition: &str) -> NaiveDate {
        let base = if k == 0 {
            self.applied
        } else {
            previous + Duration::days(self.gap)
        };
        let pinned = process.transition(transition).and_then(|t| {
            t.gates
                .iter()
                .chain(&t.effects)
                .find_map(|h| self.pins.get(h.hook.as_str()).copied())
        });
        match pinned {
            // Never before the previous step: a pin the walk is already
            // past leaves the gate to refuse, and the seed to fail.
            Some(d) => d.max(previous),
            None => base,
        }
    }
}

/// One walk: a ticket of `process` opened by the unit's staff with
/// `values` and carried to `target`.
struct Walk<'a> {
    process: &'a Process,
    /// Filled in when the ticket is opened, and whenever asked.
    values: BTreeMap<String, String>,
    /// Filled in only when a step asks (the contractor, the supervisor).
    defaults: BTreeMap<String, String>,
    target: &'a str,
    via: &'a [String],
    /// The approval steps voted when the walk stops in the approval's
    /// state (all when `None`).
    votes: Option<&'a [String]>,
    /// The SNXM-19 refusal case ticked, if any.
    refusal: Option<&'a str>,
    /// The money of the contract (else the total investment).
    money: String,
    schedule: Schedule,
}

struct Seeder<'a> {
    p: &'a Platform,
    ctx: Ctx,
    data: &'static Data,
    pack: &'a Pack,
    rules: &'a ProjectRules,
    today: NaiveDate,
}

impl Seeder<'_> {
    /// What a person writes in a field a step asks for.
    fn value(&self, w: &Walk<'_>, id: &str, day: NaiveDate) -> Value {
        let Some(f) = w.process.field(id) else {
            return Value::Null;
        };
        let given = w
            .values
            .get(id)
            .or_else(|| w.defaults.get(id))
            .or_else(|| self.data.text.get(id))
            .cloned();
        match f.ty {
            FieldType::Bool => match given {
                Some(v) => Value::Bool(v == "true"),
                // The reviewer works through the nine cases of SNXM-19;
                // every other box of a checklist is ticked.
                None if self.rules.refusal_fields.iter().any(|(r, _)| r == id) => {
                    Value::Bool(w.refusal == Some(id))
                }
                None => Value::Bool(true),
            },
            FieldType::Money => Value::String(given.unwrap_or_else(|| w.money.clone())),
            FieldType::Integer => {
                let n = match (given.and_then(|v| v.parse::<i64>().ok()), id) {
                    (Some(n), _) => n,
                    // The year the project is carried out (SNXM-17): this
                    // year's plan when the walk goes on, else next year's.
                    (None, "plan_year") => {
                        let year = i64::from(chrono::Datelike::year(&day));
                        if w.target == "plan_review" {
                            year + 1
                        } else {
                            year
                        }
                    }
                    (None, "free_om_months") => i64::from(self.rules.free_om_min_months),
                    // A seasonal system idle longer than SNXM-48 asks.
                    (None, "idle_months") => i64::from(self.rules.freeze_idle_over_months) + 2,
                    (None, _) => 1,
                };
                Value::from(n)
            }
            FieldType::Choice => match given {
                Some(v) => Value::String(v),
                None => f
                    .choices
                    .first()
                    .map(|c| Value::String(c.id.clone()))
                    .unwrap_or(Value::Null),
            },
            FieldType::Date => Value::String(day.format("%Y-%m-%d").to_string()),
            FieldType::DateTime => Value::String(morning(day, 0).to_rfc3339()),
            _ => Value::String(given.unwrap_or_else(|| format!("{}：已按要求办理。", f.label))),
        }
    }

    /// The opening fields: the walk's own values and what the first steps
    /// ask for.
    fn opening(&self, w: &Walk<'_>, day: NaiveDate) -> Map<String, Value> {
        let mut ids: Vec<&str> = w.values.keys().map(String::as_str).collect();
        if let Some(initial) = w.process.states.iter().find(|s| s.initial) {
            for t in w
                .process
                .transitions
                .iter()
                .filter(|t| t.from.contains(&initial.id))
                .filter(|t| self.data.walk.forward.contains(&t.id))
            {
                ids.extend(t.require.iter().map(String::as_str));
            }
        }
        let mut fields = Map::new();
        for id in ids {
            if w.values.contains_key(id) || self.data.text.contains_key(id) {
                fields.insert(id.to_string(), self.value(w, id, day));
            }
        }
        fields
    }

    /// Opens the ticket and walks it to its target; returns its id.
    async fn walk(&self, cast: &Cast, w: &Walk<'_>) -> Result<String, AppError> {
        let title = w.values.get("title").cloned().unwrap_or_default();
        let opened_on = w.schedule.applied;
        let first = at(self.p, morning(opened_on, 0));
        let t = tickets::open(
            &first,
            &self.ctx,
            &cast.staff,
            &OpenInput {
                pack: self.pack.id.clone(),
                process: w.process.id.clone(),
                title: title.clone(),
                org_id: None,
                on_behalf_of: None,
                fields: self.opening(w, opened_on),
            },
        )
        .await?;
        let mut state = t.state.clone();
        let mut day = opened_on;
        let mut k = 0usize;
        // A draft left as it is has its files: only what the pack checks
        // at submission stops it (SNXM-43's open finding).
        if state == w.target {
            let d = tickets::detail(&first, &cast.staff, &t.id).await?;
            for shown in d
                .transitions
                .iter()
                .filter(|s| self.data.walk.forward.contains(&s.id))
            {
                let d = tickets::detail(&first, &cast.staff, &t.id).await?;
                self.attach(&first, &cast.staff, &d, &shown.attachments, &title)
                    .await?;
            }
        }
        loop {
            if k > 40 {
                return self.stuck(&title, &state);
            }
            // An approval open in this state: its steps vote (only those
            // the walk names when it stops here).
            if let Some(a) = w.process.approvals.iter().find(|a| a.state == state) {
                let here = state == w.target;
                if here && w.votes.is_none() {
                    break;
                }
                let wanted: Vec<&String> = a
                    .steps
                    .iter()
                    .filter(|s| !here || w.votes.is_some_and(|v| v.iter().any(|x| x == *s)))
                    .collect();
                let mut voted = false;
                for role in wanted {
                    let Some(voter) = cast.person(role) else {
                        continue;
                    };
                    let next = (day + Duration::days(1)).min(self.today);
                    let p = at(self.p, morning(next, k as i64 + 1));
                    let d = tickets::detail(&p, voter, &t.id).await?;
                    let Some(v) = d.approval.filter(|v| v.can_vote) else {
                        continue;
                    };
                    let row = tickets::vote(
                        &p,
                        &self.ctx,
                        voter,
                        &t.id,
                        &v.id,
                        true,
                        "经审核，同意该技术方案。",
                    )
                    .await?;
                    state = row.state;
                    day = next;
                    voted = true;
                    k += 1;
                }
                if here {
                    break;
                }
                if voted {
                    continue;
                }
            }
            if state == w.target {
                break;
            }
            let mut candidates: Vec<&str> = w
                .process
                .transitions
                .iter()
                .filter(|t| t.from.contains(&state))
                .map(|t| t.id.as_str())
                .filter(|id| {
                    w.via.iter().any(|v| v == id) || self.data.walk.forward.iter().any(|f| f == id)
                })
                .collect();
            let rank = |id: &str| {
                w.via.iter().position(|v| v == id).unwrap_or(
                    w.via.len()
                        + self
                            .data
                            .walk
                            .forward
                            .iter()
                            .position(|f| f == id)
                            .unwrap_or(usize::MAX / 2),
                )
            };
            candidates.sort_by_key(|id| rank(id));
            let mut moved = false;
            'candidates: for id in candidates {
                let Some(tr) = w.process.transition(id) else {
                    continue;
                };
                let next = w.schedule.day(k, day, w.process, id).min(self.today);
                let p = at(self.p, morning(next, k as i64 + 1));
                for role in &tr.roles {
                    let Some(pr) = cast.person(role) else {
                        continue;
                    };
                    let Ok(d) = tickets::detail(&p, pr, &t.id).await else {
                        continue;
                    };
                    let Some(shown) = d.transitions.iter().find(|s| s.id == id) else {
                        continue;
                    };
                    self.attach(&p, pr, &d, &shown.attachments, &title).await?;
                    let mut fields = Map::new();
                    for f in shown.require.iter().filter(|f| f.value.is_empty()) {
                        fields.insert(f.id.clone(), self.value(w, &f.id, next));
                    }
                    let row = tickets::transition(
                        &p,
                        &self.ctx,
                        pr,
                        &t.id,
                        &TransitionInput {
                            transition: id.to_string(),
                            fields,
                            comment: format!("{}。", tr.label),
                            assignee: None,
                        },
                    )
                    .await
                    .inspect_err(|e| {
                        tracing::error!(ticket = %title, step = id, code = e.code, error = %e, "demo project step refused");
                    })?;
                    state = row.state;
                    day = next;
                    k += 1;
                    moved = true;
                    break 'candidates;
                }
            }
            if !moved {
                return self.stuck(&title, &state);
            }
        }
        Ok(t.id)
    }

    fn stuck<T>(&self, title: &str, state: &str) -> Result<T, AppError> {
        tracing::error!(ticket = %title, state, "demo project walk: nobody may go on");
        Err(AppError::internal())
    }

    /// Uploads the files a step asks for that the ticket lacks.
    async fn attach(
        &self,
        p: &Platform,
        pr: &Principal,
        d: &TicketDetail,
        kinds: &[String],
        title: &str,
    ) -> Result<(), AppError> {
        for kind in kinds {
            if d.attachments.iter().any(|a| &a.kind == kind) {
                continue;
            }
            let name = self
                .data
                .attachment
                .get(kind)
                .cloned()
                .unwrap_or_else(|| format!("{kind}.pdf"));
            let body = format!("{title} {name}（扫描件，经办人已签字）");
            tickets::attach(p, &self.ctx, pr, &d.ticket.id, kind, &name, body.as_bytes()).await?;
        }
        Ok(())
    }
}

/// Seeds 遂宁市's projects once (nothing happens when its bureau already
/// sees a project or the accounts are missing).
pub async fn seed(p: &Platform) -> Result<(), AppError> {
    let data = data()?;
    let Some(pack) = p.packs.iter().find(|pk| pk.id == data.pack) else {
        return Ok(());
    };
    let Some(rules) = pack.projects.as_ref() else {
        return Ok(());
    };
    let mut by_role = BTreeMap::new();
    for (role, username) in &data.roles {
        let Some(pr) = demo_principal(p, username).await? else {
            return Ok(());
        };
        by_role.insert(role.clone(), pr);
    }
    let Some(bureau) = by_role
        .values()
        .find(|pr| pr.can_somewhere(yunwei_domain::roles::Action::ProjectManage))
        .cloned()
    else {
        return Ok(());
    };
    if !projects::list(p, &bureau, &Default::default())
        .await?
        .is_empty()
    {
        return Ok(());
    }
    let mut casts = BTreeMap::new();
    for u in &data.unit {
        let (Some(staff), Some(cdo)) = (
            demo_principal(p, &u.staff).await?,
            demo_principal(p, &u.cdo).await?,
        ) else {
            return Ok(());
        };
        casts.insert(
            u.org.clone(),
            Cast {
                by_role: by_role.clone(),
                staff,
                cdo,
            },
        );
    }
    let by_hook = |hook: &str| pack.processes.iter().find(|pr| pr.uses_hook(hook));
    let (Some(project), Some(supplement), Some(disposal)) = (
        by_hook(hooks::PROJECT_TRIAL_ELAPSED),
        by_hook(hooks::PROJECT_SUPPLEMENT_WITHIN_LIMIT),
        by_hook(hooks::SYSTEM_DISPOSED),
    ) else {
        return Ok(());
    };
    let s = Seeder {
        p,
        ctx: Ctx::system("demo-projects"),
        data,
        pack,
        rules,
        today: date_in_shanghai(p.clock.now()),
    };
    let org_name = |key: &str| {
        data.org
            .iter()
            .find(|o| o.key == key)
            .map(|o| o.name.clone())
            .unwrap_or_default()
    };
    let builder = org_name(&data.contractor);
    let supervisor = org_name(&data.supervisor);
    let mut findings = Vec::new();
    for x in &data.project {
        let Some(cast) = casts.get(&x.unit) else {
            continue;
        };
        let mut values = x.values.clone();
        values.insert("title".into(), x.title.clone());
        values.insert(
            "unit_level".into(),
            x.unit_level.clone().unwrap_or_else(|| "city".into()),
        );
        values.insert("kind".into(), x.kind.clone());
        values.insert("route".into(), x.route.clone());
        values.insert("total_investment".into(), x.total.clone());
        let mut defaults = BTreeMap::new();
        defaults.insert("contractor".to_string(), builder.clone());
        defaults.insert("supervisor".to_string(), supervisor.clone());
        let applied = s.today - Duration::days(x.applied_days_ago);
        let schedule = match &x.timing {
            Some(t) => Schedule::of(rules, s.today, applied, t),
            None => Schedule::plain(applied),
        };
        let w = Walk {
            process: project,
            values,
            defaults,
            target: &x.stage,
            via: &x.via,
            votes: x.votes.as_deref(),
            refusal: x.refusal.as_deref(),
            money: x.contract.clone().unwrap_or_else(|| x.total.clone()),
            schedule,
        };
        let id = s.walk(cast, &w).await?;
        // Supplementary contracts of a project under construction.
        let number = if x.supplements.is_empty() {
            String::new()
        } else {
            tickets::detail(p, &cast.staff, &id).await?.ticket.number
        };
        for (i, sup) in x.supplements.iter().enumerate() {
            let mut values = BTreeMap::new();
            values.insert("title".to_string(), sup.title.clone());
            values.insert("project_number".to_string(), number.clone());
            values.insert("route".to_string(), x.route.clone());
            values.insert("amount".to_string(), sup.amount.clone());
            values.insert(
                "reason".to_string(),
                format!(
                    "{}：业务量增长，需追加与合同标的相同的服务，不改变合同其他条款。",
                    sup.title
                ),
            );
            let w = Walk {
                process: supplement,
                values,
                defaults: BTreeMap::new(),
                target: &sup.stage,
                via: &[],
                votes: None,
                refusal: None,
                money: sup.amount.clone(),
                schedule: Schedule::plain(s.today - Duration::days(20 - 12 * i as i64)),
            };
            s.walk(cast, &w).await?;
        }
        if let Some(f) = &x.finding {
            findings.push((id, f.clone()));
        }
    }
    // The systems the units dispose of, registered in the CMDB by the
    // information centre that keeps it.
    let lead = super::tickets::principals(p)
        .await?
        .into_iter()
        .find(|a| a.username == "demo_lead");
    for x in &data.disposal {
        let (Some(cast), Some(lead)) = (casts.get(&x.unit), lead.as_ref()) else {
            continue;
        };
        let registered = s.today - Duration::days(x.applied_days_ago + 400);
        cmdb::create(
            &at(p, morning(registered, 0)),
            &s.ctx,
            lead,
            &CiInput {
                code: x.code.clone(),
                name: x.system.clone(),
                category: "application".into(),
                ci_type: "业务系统".into(),
                org_id: cast.staff.org_id.clone(),
                vendor: builder.clone(),
                location: format!("{}市级政务云", data.region.city),
                ..Default::default()
            },
        )
        .await?;
        let mut values = x.values.clone();
        values.insert("title".into(), x.title.clone());
        values.insert("system".into(), x.code.clone());
        values.insert("kind".into(), x.kind.clone());
        let w = Walk {
            process: disposal,
            values,
            defaults: BTreeMap::new(),
            target: &x.stage,
            via: &[],
            votes: None,
            refusal: None,
            money: String::new(),
            schedule: Schedule::plain(s.today - Duration::days(x.applied_days_ago)),
        };
        s.walk(cast, &w).await?;
    }
    // Supervision's open major findings (SNXM-37) that block the unit's
    // new projects (SNXM-43).
    if let Some(bureau) = by_role
        .values()
        .find(|pr| pr.can_somewhere(yunwei_domain::roles::Action::ProjectManage))
    {
        for (id, finding) in findings {
            projects::record_finding(
                p,
                bureau,
                &s.ctx,
                NewFinding {
                    project_id: id,
                    area: "security".into(),
                    major: true,
                    finding,
                    deadline: s.today + Duration::days(i64::from(rules.rectification_days)),
                },
            )
            .await?;
        }
    }
    Ok(())
}
