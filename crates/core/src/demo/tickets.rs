//! Demo tickets: for every process of every enabled pack, a few tickets
//! walked along their route by the demo users, through the same use cases
//! (and so the same rules and audit) as real work. Some are opened days
//! ago so that their SLA timers have run out.

use std::sync::Arc;

use chrono::Duration;
use serde_json::{Map, Value};
use yunwei_domain::clock::FixedClock;
use yunwei_domain::policy::model::{FieldType, Process};
use yunwei_domain::policy::Pack;
use yunwei_domain::AppError;
use yunwei_store::tickets::TicketFilter;
use yunwei_store::users as ustore;

use crate::tickets::{self, OpenInput, TransitionInput};
use crate::{Ctx, Platform, Principal};

/// The demo users who act on tickets, in the order tried.
const ACTORS: [&str; 9] = [
    "demo_staff",
    "demo_lead",
    "demo_hwops",
    "demo_soft",
    "demo_vendor",
    "demo_deputy",
    "demo_director",
    "demo_unit",
    "demo_lead",
];

/// Titles by process id; others get a generic one.
fn titles(process: &str) -> &'static [&'static str] {
    match process {
        "change" => &[
            "核心交换机固件升级",
            "预算指标文号数据更正",
            "堡垒机策略调整",
            "应用服务重启",
        ],
        "incident" => &[
            "南京市国库支付系统登录缓慢",
            "机房空调告警导致服务器降频",
            "等保测评发现弱口令",
        ],
        "service_request" => &[
            "指标导入操作咨询",
            "数据提取：2026年一季度支出明细",
            "客户端插件安装指导",
        ],
        "requirement" => &["预算编制增加批量导入功能", "新增政务云主机资源需求"],
        "release" => &["预算管理一体化系统 V3.2.1 升级"],
        "problem" => &["数据库连接池反复耗尽"],
        _ => &["演示工单"],
    }
}

fn demo_value(
    ty: FieldType,
    choices: &[(String, String)],
    now: chrono::DateTime<chrono::Utc>,
    i: usize,
) -> Value {
    match ty {
        FieldType::Text | FieldType::Ci => Value::String("演示数据".into()),
        FieldType::LongText => {
            Value::String("按制度要求填写的演示内容：现象、原因、处理过程和结果。".into())
        }
        FieldType::Choice => choices
            .get(i % choices.len().max(1))
            .map(|c| Value::String(c.0.clone()))
            .unwrap_or(Value::Null),
        FieldType::Integer => Value::from(10 + i as i64),
        FieldType::Number => Value::from(35.5),
        FieldType::Bool => Value::Bool(true),
        FieldType::Date => Value::String((now + Duration::days(14)).format("%Y-%m-%d").to_string()),
        FieldType::DateTime => Value::String((now + Duration::days(14)).to_rfc3339()),
    }
}

fn choices_of(pr_: &Process, id: &str) -> (FieldType, Vec<(String, String)>) {
    pr_.field(id)
        .map(|f| {
            (
                f.ty,
                f.choices
                    .iter()
                    .map(|c| (c.id.clone(), c.label.clone()))
                    .collect(),
            )
        })
        .unwrap_or((FieldType::Text, vec![]))
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

/// Walks one ticket up to `steps` transitions (and approvals), trying the
/// demo users in turn. Returns how many steps were taken.
async fn walk(
    p: &Platform,
    actors: &[Principal],
    id: &str,
    steps: usize,
    seed: usize,
) -> Result<usize, AppError> {
    let ctx = Ctx::system("demo-tickets");
    let mut taken = 0;
    'step: for _ in 0..steps {
        for (k, pr) in actors.iter().enumerate() {
            let Ok(d) = tickets::detail(p, pr, id).await else {
                continue;
            };
            if let Some(a) = d.approval.as_ref().filter(|a| a.can_vote) {
                tickets::vote(p, &ctx, pr, id, &a.id, true, "同意").await?;
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
                .nth((seed + k) % 2)
                .or_else(|| d.transitions.iter().find(|t| !t.id.contains("reject")));
            let Some(t) = choice else { continue };
            let pk = tickets::pack(p, &d.ticket.pack, Some(&d.pack_version))?;
            let Some(pr_) = pk.process(&d.ticket.process) else {
                continue;
            };
            let now = p.clock.now();
            let mut fields = Map::new();
            for (i, f) in t.require.iter().enumerate() {
                if f.value.is_empty() {
                    let (ty, ch) = choices_of(pr_, &f.id);
                    let mut v = demo_value(ty, &ch, now, seed + i);
                    if pr_.field(&f.id).is_some_and(|x| x.not_future) {
                        v = Value::String((now - Duration::hours(1)).to_rfc3339());
                    }
                    fields.insert(f.id.clone(), v);
                }
            }
            for kind in &t.attachments {
                if !d.attachments.iter().any(|a| &a.kind == kind) {
                    tickets::attach(
                        p,
                        &ctx,
                        pr,
                        id,
                        kind,
                        &format!("{kind}.txt"),
                        "演示附件".as_bytes(),
                    )
                    .await?;
                }
            }
            let input = TransitionInput {
                transition: t.id.clone(),
                fields,
                comment: "演示流转".into(),
                assignee: None,
            };
            if tickets::transition(p, &ctx, pr, id, &input).await.is_ok() {
                taken += 1;
                continue 'step;
            }
        }
        break;
    }
    Ok(taken)
}

/// Seeds demo tickets once (nothing happens when tickets exist). Returns
/// how many were opened.
pub async fn seed(p: &Platform) -> Result<usize, AppError> {
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
    let packs: Vec<Pack> = p.packs.iter().cloned().collect();
    let mut opened = 0;
    for (n, pk) in packs.iter().enumerate() {
        for (m, pr_) in pk.processes.iter().enumerate() {
            for (i, title) in titles(&pr_.id).iter().enumerate() {
                let seed = n * 7 + m * 3 + i;
                // The first ticket of each process was registered three days
                // ago and left waiting, so the timers its registration
                // started have run out; the others move along their route.
                let days_ago = if i == 0 { 3 } else { 0 };
                let clock = FixedClock::new(p.clock.now() - Duration::days(days_ago));
                let mut past = p.clone();
                past.clock = Arc::new(clock);
                let mut fields = Map::new();
                // Choices, dates and numbers steer the route; texts are
                // filled in step by step as the route asks for them.
                for f in &pr_.fields {
                    if f.id == "title" || matches!(f.ty, FieldType::Text | FieldType::LongText) {
                        continue;
                    }
                    let ch: Vec<(String, String)> = f
                        .choices
                        .iter()
                        .map(|c| (c.id.clone(), c.label.clone()))
                        .collect();
                    let at = past.clock.now();
                    let v = if f.not_future {
                        Value::String((at - Duration::hours(1)).to_rfc3339())
                    } else {
                        demo_value(f.ty, &ch, at, seed)
                    };
                    fields.insert(f.id.clone(), v);
                }
                let opener = actors
                    .iter()
                    .find(|a| !tickets::pack_roles(pk, a, &a.org_path).is_empty())
                    .unwrap_or(lead);
                let input = OpenInput {
                    pack: pk.id.clone(),
                    process: pr_.id.clone(),
                    title: (*title).to_string(),
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
                if i > 0 {
                    walk(&past, &actors, &t.id, 1 + seed % 6, seed).await?;
                }
            }
        }
    }
    // Breaches of the back-dated tickets fire now.
    while tickets::run_timers(p, 200).await? >= 200 {}
    Ok(opened)
}
