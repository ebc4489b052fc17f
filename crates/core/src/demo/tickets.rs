//! Demo tickets: for every process of every enabled pack, a few tickets
//! walked along their route by the demo users, through the same use cases
//! (and so the same rules and audit) as real work, over the past months.
//! What they say is data: `content.toml`.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};
use yunwei_domain::policy::model::{Field, FieldType, Process};
use yunwei_domain::policy::Pack;
use yunwei_domain::roles::Action;
use yunwei_domain::AppError;
use yunwei_store::tickets::TicketFilter;
use yunwei_store::users as ustore;

use crate::tickets::{self, OpenInput, ReassignInput, TransitionInput};
use crate::{Ctx, Platform, Principal};

/// The demo users who act on tickets, in the order tried.
const ACTORS: [&str; 16] = [
    "demo_staff",
    "demo_lead",
    "demo_hwops",
    "demo_soft",
    "demo_vendor",
    "demo_deputy",
    "demo_director",
    "demo_unit",
    "demo_budget",
    "demo_sysop",
    "demo_secop",
    "demo_netop",
    "demo_chief",
    "demo_vendor_admin",
    "demo_division_head",
    "demo_finance_head",
];

/// The demo's words: titles per process and texts per field
/// (`demo/content.toml`).
#[derive(Deserialize)]
struct Content {
    process: HashMap<String, ProcessContent>,
    field: HashMap<String, String>,
    /// Dates and times by field id, in hours from the moment of filing
    /// (an occurrence lies in the past, a plan ahead); 14 days ahead when
    /// unnamed.
    #[serde(default)]
    hours_from_now: HashMap<String, i64>,
}

#[derive(Deserialize)]
struct ProcessContent {
    titles: Vec<String>,
    #[serde(default)]
    descriptions: Vec<String>,
    /// The configuration item (code) each ticket concerns.
    #[serde(default)]
    systems: Vec<String>,
    /// The demo user who files them, when it matters whose they are (a
    /// data export's heads are its filer's, JSCZ-54).
    #[serde(default)]
    opener: Option<String>,
}

fn content() -> Result<Content, AppError> {
    toml::from_str(include_str!("content.toml")).map_err(|e| {
        tracing::error!(error = %e, "demo content does not parse");
        AppError::internal()
    })
}

impl Content {
    /// What the `n`th ticket of a process says in a text field.
    fn text(&self, key: &str, n: usize, field: &str, label: &str) -> String {
        if field == "description" {
            if let Some(d) = self.process.get(key).and_then(|c| c.descriptions.get(n)) {
                return d.clone();
            }
        }
        match self.field.get(field) {
            Some(t) => t.clone(),
            None => format!("{label}：已按制度要求办理并记录。"),
        }
    }
}

/// What the `n`th ticket of process `key` puts in field `f`, filled at
/// `now`.
fn demo_value(
    words: &Content,
    key: &str,
    n: usize,
    f: &Field,
    now: chrono::DateTime<chrono::Utc>,
    i: usize,
) -> Value {
    let hours = words.hours_from_now.get(&f.id).copied().unwrap_or(14 * 24);
    // A time the pack says cannot lie ahead (`not_future`) lies behind.
    let hours = if f.not_future { hours.min(-1) } else { hours };
    let at = now + Duration::hours(hours);
    match f.ty {
        FieldType::Text | FieldType::LongText => Value::String(words.text(key, n, &f.id, &f.label)),
        FieldType::Ci => match words.process.get(key).and_then(|c| c.systems.get(n)) {
            Some(code) => Value::String(code.clone()),
            None => Value::String(words.text(key, n, &f.id, &f.label)),
        },
        FieldType::Choice => f
            .choices
            .get(i % f.choices.len().max(1))
            .map(|c| Value::String(c.id.clone()))
            .unwrap_or(Value::Null),
        FieldType::Integer => Value::from(10 + i as i64),
        FieldType::Number => Value::from(35.5),
        FieldType::Money => Value::String(format!("{}.00", 120_000 + 10_000 * i)),
        FieldType::Bool => Value::Bool(true),
        FieldType::Date => Value::String(at.format("%Y-%m-%d").to_string()),
        FieldType::DateTime => Value::String(at.to_rfc3339()),
    }
}

pub(crate) async fn principals(p: &Platform) -> Result<Vec<Principal>, AppError> {
    let mut c = p.db.read().await?;
    let mut out = Vec::new();
    for u in ACTORS {
        if let Some(row) = ustore::by_username(&mut c, u).await? {
            let mut pr =
                crate::features::auth::principal_of(&mut c, &row, None, p.now_us()).await?;
            // Demo accounts still carry their initial password; acting here
            // is the seeding itself.
            pr.must_change_password = false;
            out.push(pr);
        }
    }
    Ok(out)
}

/// Where a walk starts and how it moves: the `n`th ticket of process
/// `key`, whose steps fall `gap_hours` apart from `start` (never later than
/// now).
struct Pace<'a> {
    key: &'a str,
    n: usize,
    start: DateTime<Utc>,
    gap_hours: i64,
}

/// Walks one ticket up to `steps` transitions (and approvals), trying the
/// demo users in turn. Returns how many steps were taken.
async fn walk(
    p: &Platform,
    words: &Content,
    actors: &[Principal],
    id: &str,
    steps: usize,
    seed: usize,
    pace: &Pace<'_>,
) -> Result<usize, AppError> {
    let ctx = Ctx::system("demo-tickets");
    let mut taken = 0;
    let mut handed_to_vendor = false;
    'step: for k in 0..steps {
        let p = &crate::demo::at(
            p,
            pace.start + Duration::hours(pace.gap_hours * (k as i64 + 1)),
        );
        for (a, pr) in actors.iter().enumerate() {
            let Ok(d) = tickets::detail(p, pr, id).await else {
                continue;
            };
            if let Some(v) = d.approval.as_ref().filter(|v| v.can_vote) {
                tickets::vote(p, &ctx, pr, id, &v.id, true, "同意").await?;
                taken += 1;
                continue 'step;
            }
            // Prefer the forward route: skip returns and rejections.
            let choice = d
                .transitions
                .iter()
                .filter(|t| {
                    !t.id.contains("reject") && !t.id.contains("return") && !t.id.contains("fail")
                })
                .nth((seed + a) % 2)
                .or_else(|| d.transitions.iter().find(|t| !t.id.contains("reject")));
            let Some(t) = choice else { continue };
            let pk = tickets::pack(p, &d.ticket.pack, Some(&d.pack_version))?;
            let Some(pr_) = pk.process(&d.ticket.process) else {
                continue;
            };
            let now = p.clock.now();
            let mut fields = Map::new();
            for (i, f) in t.require.iter().enumerate() {
                if let Some(field) = pr_
                    .field(&f.id)
                    .filter(|field| f.value.is_empty() && field.set_at_open.is_none())
                {
                    let v = demo_value(words, pace.key, pace.n, field, now, seed + i);
                    fields.insert(f.id.clone(), v);
                }
            }
            for kind in &t.attachments {
                if !d.attachments.iter().any(|a| &a.kind == kind) {
                    let (name, body) = attachment(kind);
                    tickets::attach(p, &ctx, pr, id, kind, &name, body.as_bytes()).await?;
                }
            }
            let input = TransitionInput {
                transition: t.id.clone(),
                fields,
                comment: comment(&t.label),
                assignee: None,
            };
            match tickets::transition(p, &ctx, pr, id, &input).await {
                Ok(_) => {
                    taken += 1;
                    continue 'step;
                }
                // The next demo user may be the one the step is for.
                Err(e) => tracing::debug!(step = %t.id, code = e.code, "demo step refused"),
            }
        }
        // Nobody here may act: the step is the O&M vendor's, who sees the
        // ticket once the project lead hands it over (issue 13: a vendor
        // sees its work through its assignment).
        if !handed_to_vendor {
            handed_to_vendor = true;
            let lead = actors.iter().find(|a| a.username == "demo_lead");
            let vendor = actors.iter().find(|a| a.username == "demo_vendor");
            if let (Some(lead), Some(vendor)) = (lead, vendor) {
                let input = ReassignInput {
                    team_id: vendor.org_id.clone(),
                    assignee: Some(vendor.username.clone()),
                    reason: "按运维服务合同交运维服务商处理".into(),
                };
                if tickets::reassign(p, &ctx, lead, id, &input).await.is_ok() {
                    continue 'step;
                }
            }
        }
        tracing::debug!(ticket = id, taken, "demo walk ends: nobody may act");
        break;
    }
    Ok(taken)
}

/// The organisation paths of the items a new ticket's item fields name.
async fn item_paths(
    p: &Platform,
    process: &Process,
    fields: &Map<String, Value>,
) -> Result<Vec<String>, AppError> {
    let mut c = p.db.read().await?;
    let mut out = Vec::new();
    for f in process.fields.iter().filter(|f| f.ty == FieldType::Ci) {
        if let Some(code) = fields.get(&f.id).and_then(Value::as_str) {
            if let Some(ci) = yunwei_store::cmdb::ci_by_code(&mut c, code).await? {
                out.push(ci.org_path);
            }
        }
    }
    Ok(out)
}

/// An attachment the route asks for: a short text file named after it.
fn attachment(kind: &str) -> (String, String) {
    (
        format!("{kind}-20261118.txt"),
        format!("江苏省财政厅信息中心 运维资料（{kind}），经办人已签字存档。"),
    )
}

/// The remark a person leaves on a step.
fn comment(step: &str) -> String {
    format!("已{step}，请后续环节办理。")
}

/// Seeds demo tickets once (nothing happens when tickets exist). Returns
/// how many were opened.
///
/// Per process: the first ticket was filed three days ago and left
/// waiting, so the timers its registration started have run out; the
/// second was filed yesterday and is under way; the others were filed over
/// the past five months and walked to their end, their steps hours apart,
/// so that the monthly reports have months to show.
pub async fn seed(p: &Platform) -> Result<usize, AppError> {
    let words = content()?;
    let actors = principals(p).await?;
    let Some(lead) = actors.iter().find(|a| a.username == "demo_lead") else {
        return Ok(0);
    };
    let existing = tickets::list(p, lead, &TicketFilter::default(), 1, 1)
        .await?
        .total;
    if existing > 0 {
        return Ok(0);
    }
    // The government cloud's processes are walked by `demo::cloud`, on the
    // systems of its platform.
    let packs: Vec<Pack> = p
        .packs
        .iter()
        .filter(|pk| pk.cloud.is_none())
        .cloned()
        .collect();
    let now = p.clock.now();
    let mut opened = 0;
    for (n, pk) in packs.iter().enumerate() {
        for (m, pr_) in pk.processes.iter().enumerate() {
            let key = format!("{}.{}", pk.id, pr_.id);
            let titles = match words.process.get(&key) {
                Some(c) => c.titles.clone(),
                None => vec![format!("{}：{}", pk.name, pr_.name)],
            };
            for (i, title) in titles.iter().enumerate() {
                let seed = n * 7 + m * 3 + i;
                let (filed, steps, gap_hours) = match i {
                    0 => (now - Duration::days(3), 0, 0),
                    1 => (now - Duration::days(1), 1 + seed % 6, 1),
                    _ => (
                        now - Duration::days(10 + (seed as i64 * 37) % 140),
                        60,
                        1 + (seed as i64 * 7) % 30,
                    ),
                };
                let past = crate::demo::at(p, filed);
                let mut fields = Map::new();
                // Choices, dates and numbers steer the route, and the
                // system concerned decides whose ticket it is; texts are
                // filled in step by step as the route asks for them.
                for f in &pr_.fields {
                    if f.id == "title"
                        || f.set_at_open.is_some()
                        || matches!(f.ty, FieldType::Text | FieldType::LongText)
                    {
                        continue;
                    }
                    fields.insert(f.id.clone(), demo_value(&words, &key, i, f, filed, seed));
                }
                // Whoever files it: someone the process lets file who may
                // also name the item it concerns (else it stays text).
                let item_paths = item_paths(p, pr_, &fields).await?;
                let may_file =
                    |a: &&Principal| !tickets::pack_roles(pk, a, &a.org_path, None).is_empty();
                let named = words.process.get(&key).and_then(|c| c.opener.as_deref());
                let opener = actors
                    .iter()
                    .filter(may_file)
                    .find(|a| named == Some(a.username.as_str()))
                    .or_else(|| {
                        actors.iter().filter(may_file).find(|a| {
                            item_paths
                                .iter()
                                .all(|path| a.can(Action::BusinessRead, path))
                        })
                    })
                    .or_else(|| actors.iter().find(may_file))
                    .unwrap_or(lead);
                let input = OpenInput {
                    pack: pk.id.clone(),
                    process: pr_.id.clone(),
                    title: title.clone(),
                    org_id: None,
                    on_behalf_of: None,
                    fields,
                };
                let Ok(t) =
                    tickets::open(&past, &Ctx::system("demo-tickets"), opener, &input).await
                else {
                    continue;
                };
                opened += 1;
                let pace = Pace {
                    key: &key,
                    n: i,
                    start: filed,
                    gap_hours,
                };
                walk(p, &words, &actors, &t.id, steps, seed, &pace).await?;
            }
        }
    }
    crate::demo::owners::seed(p).await?;
    // Breaches of the back-dated tickets fire now.
    while tickets::run_timers(p, 200).await? >= 200 {}
    Ok(opened)
}
