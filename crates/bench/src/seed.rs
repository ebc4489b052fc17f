//! Preparing the benchmark database through the library: migrations, the
//! built-in administrators, the demo tenant, an API token for the demo
//! project lead, and N tickets bulk-loaded through the store together with
//! their full-text index entries.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{anyhow, Context as _};
use chrono::{DateTime, Duration, Utc};
use sea_query::{Expr, OnConflict, Query};
use serde_json::json;
use yunwei_core::search::Document;
use yunwei_core::{Ctx, Keys, Platform};
use yunwei_domain::clock::SystemClock;
use yunwei_domain::crypto::SoftwareCrypto;
use yunwei_domain::ids::new_id;
use yunwei_domain::policy::Pack;
use yunwei_store::orgs::OrgRow;
use yunwei_store::search::SearchDoc;
use yunwei_store::tickets::TicketRow;
use yunwei_store::{Db, Scope};

use crate::words::{self, Rng};

pub const ROOT_ORG: &str = "江苏省财政厅";
const ADMIN_PASSWORD: &str = "Admin#Bench!2026x";
pub(crate) const DEMO_PASSWORD: &str = "Demo#Bench!2026x";
pub(crate) const NEW_PASSWORD: &str = "Bn!Str0ng#Pass2026q";
/// PBKDF2 iterations for the seeded accounts (the floor; seeding speed).
const PASSWORD_ITERATIONS: u32 = 1_000;

/// Tickets per transaction while seeding.
const BATCH: usize = 5_000;

pub fn platform(db: Db, keys: Keys, data_dir: &Path) -> Platform {
    Platform::new(
        db,
        Arc::new(SoftwareCrypto),
        Arc::new(SystemClock),
        keys,
        PASSWORD_ITERATIONS,
        Arc::new(yunwei_domain::policy::embedded::packs()),
        data_dir.join("files"),
    )
}

fn app(e: yunwei_domain::AppError) -> anyhow::Error {
    anyhow!("{} ({})", e.message, e.code)
}

/// Migrates, bootstraps and seeds the demo tenant; returns an API token of
/// `demo_lead` (项目负责人, whole province) with its initial password changed.
pub async fn prepare(p: &Platform) -> anyhow::Result<String> {
    yunwei_store::migrate::run(p.db(), p.now_us())
        .await
        .map_err(app)?;
    yunwei_core::bootstrap::ensure(p, ROOT_ORG, Some(ADMIN_PASSWORD))
        .await
        .map_err(app)?;
    yunwei_core::demo::seed(p, DEMO_PASSWORD)
        .await
        .map_err(app)?;
    let ctx = Ctx::system("bench");
    let principal = |p: &Platform| {
        let p = p.clone();
        async move {
            let mut c = p.db().read().await.map_err(app)?;
            let u = yunwei_store::users::by_username(&mut c, "demo_lead")
                .await
                .map_err(app)?
                .ok_or_else(|| anyhow!("demo_lead missing"))?;
            yunwei_core::auth::principal_of(&mut c, &u, None, p.now_us())
                .await
                .map_err(app)
        }
    };
    let pr = principal(p).await?;
    yunwei_core::auth::change_password(p, &ctx, &pr, DEMO_PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
        .await
        .map_err(app)?;
    token(p).await
}

/// A new API token of `demo_lead`, whose initial password was changed,
/// created in a session of theirs (a token cannot mint tokens).
pub async fn token(p: &Platform) -> anyhow::Result<String> {
    let ctx = Ctx::system("bench");
    let login = yunwei_core::auth::login(p, &ctx, "demo_lead", NEW_PASSWORD)
        .await
        .map_err(app)?;
    let (pr, _) = yunwei_core::auth::authenticate_session(p, &ctx, &login.token)
        .await
        .map_err(app)?;
    let t = yunwei_core::auth::create_token(p, &ctx, &pr, "benchmark", 30)
        .await
        .map_err(app)?;
    Ok(t.token)
}

/// The tickets already in a reused database.
pub async fn existing(p: &Platform) -> anyhow::Result<Seeded> {
    let mut c = p.db().read().await.map_err(app)?;
    let r = c
        .one(
            &Query::select()
                .expr_as(Expr::cust("COUNT(*)"), "n")
                .from("tickets")
                .to_owned(),
        )
        .await
        .map_err(app)?;
    use yunwei_store::RowExt as _;
    Ok(Seeded {
        tickets: r.i("n").map_err(app)? as u64,
        seconds: 0.0,
        per_month: HashMap::new(),
    })
}

/// What seeding did.
pub struct Seeded {
    pub tickets: u64,
    pub seconds: f64,
    /// Tickets created per month (`YYYY-MM`, China time).
    pub per_month: HashMap<String, u64>,
}

/// One generated batch: the rows and their search entries (tokens computed
/// on the generator thread).
struct Batch {
    rows: Vec<TicketRow>,
    docs: Vec<OwnedDoc>,
}

struct OwnedDoc {
    id: String,
    org_path: String,
    title: String,
    title_tokens: String,
    tokens: String,
    updated_at: i64,
}

/// Bulk-loads `n` tickets created over the last 12 months. A generator
/// thread builds rows and tokenises them while this task writes the
/// previous batch in one transaction.
pub async fn tickets(p: &Platform, n: u64, seed: u64) -> anyhow::Result<Seeded> {
    let started = Instant::now();
    let (orgs, users) = {
        let mut c = p.db().read().await.map_err(app)?;
        let orgs = yunwei_store::orgs::list(&mut c, &Scope::system())
            .await
            .map_err(app)?;
        let mut users = HashMap::new();
        for u in [
            "demo_staff",
            "demo_unit",
            "demo_lead",
            "demo_vendor",
            "demo_hwops",
            "demo_soft",
        ] {
            let row = yunwei_store::users::by_username(&mut c, u)
                .await
                .map_err(app)?
                .ok_or_else(|| anyhow!("{u} missing"))?;
            users.insert(u, row.id);
        }
        (orgs, users)
    };
    let pack = p
        .packs
        .iter()
        .find(|pk| pk.id == "jscz")
        .cloned()
        .ok_or_else(|| anyhow!("pack jscz missing"))?;
    let now = Utc::now();
    let mut gen = Generator::new(&pack, &orgs, &users, now, n, seed)?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<anyhow::Result<Batch>>(2);
    let producer = std::thread::spawn(move || {
        let mut made = 0u64;
        while made < n {
            let size = (n - made).min(BATCH as u64) as usize;
            let batch = gen.batch(made, size);
            made += size as u64;
            if tx.send(batch).is_err() {
                break;
            }
        }
        (gen.counters, gen.per_month)
    });
    let mut done = 0u64;
    let mut last_report = Instant::now();
    while let Ok(batch) = rx.recv() {
        let batch = batch?;
        let mut c = p.db().begin().await.map_err(app)?;
        yunwei_store::tickets::insert_many(&mut c, &batch.rows)
            .await
            .map_err(app)?;
        let docs: Vec<SearchDoc<'_>> = batch
            .docs
            .iter()
            .map(|d| SearchDoc {
                doc_type: "ticket",
                doc_id: &d.id,
                org_path: &d.org_path,
                partner_path: None,
                audience: yunwei_core::search::BUSINESS_AUDIENCE,
                title: &d.title,
                title_tokens: &d.title_tokens,
                tokens: &d.tokens,
                updated_at: d.updated_at,
            })
            .collect();
        yunwei_store::search::insert_many(&mut c, &docs)
            .await
            .map_err(app)?;
        c.commit().await.map_err(app)?;
        done += batch.rows.len() as u64;
        if last_report.elapsed().as_secs_f64() >= 2.0 || done == n {
            last_report = Instant::now();
            let secs = started.elapsed().as_secs_f64();
            eprint!(
                "\rseeding tickets: {done}/{n} ({:.0}/s, {secs:.0} s)   ",
                done as f64 / secs.max(0.001)
            );
            let _ = std::io::stderr().flush();
        }
    }
    eprintln!();
    let (counters, per_month) = producer
        .join()
        .map_err(|_| anyhow!("ticket generator panicked"))?;
    // Live tickets continue the seeded numbering.
    let mut c = p.db().begin().await.map_err(app)?;
    for (prefix, value) in counters {
        c.exec(
            &Query::insert()
                .into_table("counters")
                .columns(["key", "value"])
                .values_panic([format!("ticket:{prefix}").into(), value.into()])
                .on_conflict(OnConflict::column("key").update_column("value").to_owned())
                .to_owned(),
        )
        .await
        .map_err(app)?;
    }
    c.commit().await.map_err(app)?;
    if done != n {
        return Err(anyhow!("seeded {done} of {n} tickets"));
    }
    Ok(Seeded {
        tickets: done,
        seconds: started.elapsed().as_secs_f64(),
        per_month,
    })
}

/// Database size after seeding: the SQLite file (and WAL) or the
/// PostgreSQL database.
pub async fn database_bytes(p: &Platform, sqlite_file: Option<&Path>) -> anyhow::Result<u64> {
    if let Some(f) = sqlite_file {
        let mut total = 0;
        for suffix in ["", "-wal", "-shm"] {
            let path = format!("{}{suffix}", f.display());
            total += std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        }
        return Ok(total);
    }
    let mut c = p.db().read().await.map_err(app)?;
    let r = c
        .one(
            &Query::select()
                .expr_as(
                    Expr::cust("CAST(pg_database_size(current_database()) AS BIGINT)"),
                    "n",
                )
                .to_owned(),
        )
        .await
        .map_err(app)?;
    use yunwei_store::RowExt as _;
    Ok(r.i("n").map_err(app)? as u64)
}

/// Org choices with weights and who files tickets there.
struct OrgChoice {
    org: OrgRow,
    weight: u32,
    requesters: Vec<String>,
}

struct Generator {
    pack: Pack,
    orgs: Vec<OrgChoice>,
    total_weight: u32,
    assignees: Vec<String>,
    now: DateTime<Utc>,
    now_us: i64,
    span_us: i64,
    n: u64,
    rng: Rng,
    counters: HashMap<&'static str, i64>,
    per_month: HashMap<String, u64>,
}

const DAY_US: i64 = 24 * 3600 * 1_000_000;
const HOUR_US: i64 = 3600 * 1_000_000;

impl Generator {
    fn new(
        pack: &Pack,
        orgs: &[OrgRow],
        users: &HashMap<&str, String>,
        now: DateTime<Utc>,
        n: u64,
        seed: u64,
    ) -> anyhow::Result<Generator> {
        let user = |u: &str| users[u].clone();
        let by_name = |name: &str| {
            orgs.iter()
                .find(|o| o.name == name)
                .cloned()
                .with_context(|| format!("demo organisation {name} missing"))
        };
        let local = vec![user("demo_staff"), user("demo_vendor")];
        let centre = vec![
            user("demo_lead"),
            user("demo_hwops"),
            user("demo_soft"),
            user("demo_vendor"),
        ];
        let mut choices = Vec::new();
        for (name, weight, requesters) in [
            ("南京市财政局", 20, &local),
            ("南京市江宁区财政局", 10, &local),
            ("苏州市财政局", 15, &local),
            ("昆山市财政局", 10, &local),
            ("信息中心", 15, &centre),
            ("硬件运维科", 10, &centre),
            ("软件科", 8, &centre),
            ("江苏省财政厅机关服务中心", 7, &vec![user("demo_unit")]),
            (ROOT_ORG, 5, &centre),
        ] {
            choices.push(OrgChoice {
                org: by_name(name)?,
                weight,
                requesters: requesters.clone(),
            });
        }
        Ok(Generator {
            pack: pack.clone(),
            total_weight: choices.iter().map(|c| c.weight).sum(),
            orgs: choices,
            assignees: vec![user("demo_vendor"), user("demo_hwops"), user("demo_soft")],
            now,
            now_us: now.timestamp_micros(),
            span_us: 365 * DAY_US,
            n,
            rng: Rng::new(seed),
            counters: HashMap::new(),
            per_month: HashMap::new(),
        })
    }

    fn batch(&mut self, first: u64, size: usize) -> anyhow::Result<Batch> {
        let mut rows = Vec::with_capacity(size);
        let mut docs = Vec::with_capacity(size);
        for i in first..first + size as u64 {
            let (row, body) = self.ticket(i)?;
            let title = format!("{} {}", row.number, row.title);
            let (title_tokens, tokens) = yunwei_core::search::document_tokens(&Document {
                doc_type: "ticket",
                doc_id: &row.id,
                org_path: &row.org_path,
                title: &title,
                body: &body,
                updated_at: row.updated_at,
            })
            .map_err(app)?;
            docs.push(OwnedDoc {
                id: row.id.clone(),
                org_path: row.org_path.clone(),
                title,
                title_tokens,
                tokens,
                updated_at: row.updated_at,
            });
            rows.push(row);
        }
        Ok(Batch { rows, docs })
    }

    fn org(&mut self) -> (OrgRow, String) {
        let mut x = self.rng.below(self.total_weight as u64) as u32;
        for c in &self.orgs {
            if x < c.weight {
                let r = c.requesters[self.rng.below(c.requesters.len() as u64) as usize].clone();
                return (c.org.clone(), r);
            }
            x -= c.weight;
        }
        unreachable!("weights cover the range")
    }

    /// The i-th ticket (in creation order) and its search body.
    fn ticket(&mut self, i: u64) -> anyhow::Result<(TicketRow, String)> {
        let step = self.span_us / self.n.max(1) as i64;
        let created = self.now_us - self.span_us
            + step * i as i64
            + self.rng.below(step.max(1) as u64) as i64;
        let age = self.now_us - created;
        let incident = self.rng.chance(0.55);
        let process_id = if incident { "incident" } else { "change" };
        let process = self
            .pack
            .process(process_id)
            .ok_or_else(|| anyhow!("process {process_id} missing"))?
            .clone();
        let open_share = if age > 30 * DAY_US {
            0.04
        } else if age > 7 * DAY_US {
            0.25
        } else {
            0.7
        };
        let mut closed_at = None;
        if !self.rng.chance(open_share) {
            let r = self.rng.unit();
            let took = HOUR_US / 2 + (r * r * 15.0 * DAY_US as f64) as i64;
            if created + took < self.now_us - 60_000_000 {
                closed_at = Some(created + took);
            }
        }
        let state = match (incident, closed_at.is_some()) {
            (true, true) => "closed".to_string(),
            (false, true) => {
                let r = self.rng.unit();
                if r < 0.9 {
                    "closed"
                } else if r < 0.96 {
                    "rejected"
                } else {
                    "postponed"
                }
                .to_string()
            }
            (_, false) => {
                let open: Vec<&str> = process
                    .states
                    .iter()
                    .filter(|s| !s.is_final)
                    .map(|s| s.id.as_str())
                    .collect();
                open[self.rng.below(open.len() as u64) as usize].to_string()
            }
        };
        let early = matches!(state.as_str(), "draft" | "reported");
        let level: Option<String> = if incident {
            (!early).then(|| {
                words::pick_weighted(&mut self.rng, &[("1", 2), ("2", 8), ("3", 35), ("4", 55)])
                    .to_string()
            })
        } else {
            Some(
                words::pick_weighted(
                    &mut self.rng,
                    &[
                        ("major", 10),
                        ("normal", 40),
                        ("simple", 35),
                        ("emergency", 15),
                    ],
                )
                .to_string(),
            )
        };
        let (org, requester) = self.org();
        let assignee = (state != "draft" && self.rng.chance(0.8))
            .then(|| self.assignees[self.rng.below(self.assignees.len() as u64) as usize].clone());
        let (due_at, overdue) = match closed_at {
            None => {
                let sla = match level.as_deref() {
                    Some("1") => 4 * HOUR_US,
                    Some("2") => 8 * HOUR_US,
                    Some("3") => DAY_US,
                    Some("4") => 3 * DAY_US,
                    Some("emergency") => DAY_US,
                    Some("major") => 10 * DAY_US,
                    _ => 5 * DAY_US,
                };
                let due = created + sla;
                (Some(due), due < self.now_us)
            }
            // Closed: a share breached its deadline on the way.
            Some(_) => (None, self.rng.chance(0.06)),
        };
        let state_since =
            closed_at.unwrap_or(created + (age as f64 * self.rng.unit() * 0.5) as i64);
        let title = words::title(&mut self.rng, incident);
        let system = words::pick(&mut self.rng, words::SYSTEMS).to_string();
        let description = words::description(&mut self.rng, &title, &system, incident);
        let created_t = DateTime::from_timestamp_micros(created).unwrap_or(self.now);
        let fields = if incident {
            let mut f = json!({
                "title": title,
                "system": system,
                "description": description,
                "occurred_at": (created_t - Duration::minutes(20)).to_rfc3339(),
                "origin": if self.rng.chance(0.7) { "problem_report" } else { "inspection" },
            });
            if let Some(l) = &level {
                f["level"] = json!(l);
                f["category"] = json!(if self.rng.chance(0.5) {
                    "application"
                } else {
                    "infrastructure"
                });
            }
            f
        } else {
            json!({
                "title": title,
                "system": system,
                "description": description,
                "reason": words::pick(&mut self.rng, words::REASONS),
                "level": level,
                "type": words::pick(&mut self.rng, &["application", "infrastructure", "data"]),
                "planned_start": (created_t + Duration::days(3)).to_rfc3339(),
            })
        };
        // The search body as the ticket use cases build it: the title, then
        // the text fields of the process in order (choices by their label).
        let mut body = title.clone();
        for f in &process.fields {
            if let Some(v) = fields.get(&f.id).and_then(|v| v.as_str()) {
                if f.ty == yunwei_domain::policy::model::FieldType::DateTime {
                    continue;
                }
                body.push(' ');
                body.push_str(f.choice(v).map(|c| c.label.as_str()).unwrap_or(v));
            }
        }
        let prefix: &'static str = if incident { "SJ" } else { "BG" };
        let counter = self.counters.entry(prefix).or_insert(0);
        *counter += 1;
        let day = yunwei_domain::calendar::date_in_shanghai(created_t);
        *self
            .per_month
            .entry(day.format("%Y-%m").to_string())
            .or_insert(0) += 1;
        let number = format!("{prefix}-{}-{:05}", day.format("%Y%m%d"), *counter);
        let row = TicketRow {
            id: new_id(),
            number,
            pack_id: self.pack.id.clone(),
            pack_version: self.pack.version.clone(),
            process_id: process_id.to_string(),
            title,
            state,
            state_since,
            org_id: org.id.clone(),
            org_path: org.path.clone(),
            requester_id: requester,
            assignee_id: assignee,
            fields_json: fields.to_string(),
            level,
            created_at: created,
            updated_at: state_since.max(created),
            closed_at,
            due_at,
            overdue,
            team_id: None,
            team_path: None,
        };
        Ok((row, body))
    }
}
