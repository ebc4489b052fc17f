//! SLA timers as rows, driven by the scheduler job on a fixed clock across
//! a weekend, the Spring Festival and a make-up Saturday (DESIGN.md
//! section 6); warnings and breaches fire exactly once, even with several
//! app nodes running the job at the same time.

use crate::support::principal;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use yunwei_core::tickets::{self, OpenInput};
use yunwei_core::{Ctx, Platform};
use yunwei_domain::policy::load_pack;
use yunwei_testkit::TestApp;

/// A small pack whose only purpose is timers: a response clock in wall-clock
/// minutes and a resolution clock in working days, paused while waiting.
const PACK: &str = r#"
id = "sla"
name = "时限测试包"
version = "1.0.0"

[roles.lead]
label = "项目负责人"
platform = ["project_lead"]
source = "NTCZ-6.1.2"
"#;

const FAULT: &str = r#"
id = "fault"
name = "故障"
number_prefix = "GZ"
source = "NTCZ-6.1.2"

[[field]]
id = "title"
label = "标题"
type = "text"

[[state]]
id = "new"
label = "待响应"
initial = true

[[state]]
id = "responded"
label = "处理中"

[[state]]
id = "waiting"
label = "等待用户"
waiting = true

[[state]]
id = "resolved"
label = "已解决"
final = true

[[transition]]
id = "respond"
label = "响应"
from = ["new"]
to = "responded"
roles = ["lead"]
source = "NTCZ-6.1.2"

[[transition]]
id = "wait"
label = "等待用户"
from = ["responded"]
to = "waiting"
roles = ["lead"]
source = "NTCZ-6.1.2"

[[transition]]
id = "resume"
label = "继续处理"
from = ["waiting"]
to = "responded"
roles = ["lead"]
source = "NTCZ-6.1.2"

[[transition]]
id = "resolve"
label = "解决"
from = ["responded"]
to = "resolved"
roles = ["lead"]
source = "NTCZ-6.1.2"

[[timer]]
id = "response"
label = "响应时限"
start = ["new"]
stop = ["responded", "resolved"]
duration = "30m"
notify = ["lead"]
source = "NTCZ-6.1.2"

[[timer]]
id = "resolution"
label = "解决时限"
start = ["new"]
stop = ["resolved"]
pause = ["waiting"]
duration = "2wd"
warn_before = "2h"
notify = ["lead"]
source = "NTCZ-6.1.2"
"#;

fn cst(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn with_sla_pack(app: &TestApp) -> Platform {
    let files = vec![
        ("policies/sla/pack.toml".to_string(), PACK.to_string()),
        ("policies/sla/fault.toml".to_string(), FAULT.to_string()),
    ];
    let pack = load_pack(&files).unwrap_or_else(|e| panic!("{e:?}"));
    let mut p = app.platform.clone();
    p.packs = Arc::new(vec![pack]);
    p
}

async fn open_fault(p: &Platform, pr: &yunwei_core::Principal) -> String {
    let input = OpenInput {
        pack: "sla".into(),
        process: "fault".into(),
        title: "核心交换机端口故障".into(),
        fields: json!({}).as_object().unwrap().clone(),
        ..Default::default()
    };
    tickets::open(p, &Ctx::system("test"), pr, &input)
        .await
        .unwrap()
        .id
}

async fn inbox(app: &TestApp, user: &str) -> Vec<String> {
    let mut c = app.platform.db().read().await.unwrap();
    let u = yunwei_store::users::by_username(&mut c, user)
        .await
        .unwrap()
        .unwrap();
    yunwei_store::tickets::notifications_of(&mut c, &u.id, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.title)
        .collect()
}

#[tokio::test]
async fn ntcz_6_1_2_response_breach_fires_once_and_marks_the_ticket_overdue() {
    let app = TestApp::new().await;
    let p = with_sla_pack(&app);
    let lead = principal(&app, "demo_lead").await;
    app.clock.set(cst(2026, 3, 6, 10, 0));
    let id = open_fault(&p, &lead).await;
    app.clock.set(cst(2026, 3, 6, 10, 29));
    assert_eq!(tickets::run_timers(&p, 100).await.unwrap(), 0);
    app.clock.set(cst(2026, 3, 6, 10, 31));
    assert_eq!(tickets::run_timers(&p, 100).await.unwrap(), 1);
    assert_eq!(
        tickets::run_timers(&p, 100).await.unwrap(),
        0,
        "a breach fires once"
    );
    let notes = inbox(&app, "demo_lead").await;
    assert!(
        notes.iter().any(|t| t.contains("响应时限已超时")),
        "{notes:?}"
    );
    let detail = tickets::detail(&p, &lead, &id).await.unwrap();
    assert!(detail.ticket.overdue);
    let mut c = app.platform.db().read().await.unwrap();
    let f = yunwei_store::audit::AuditFilter {
        action: Some("ticket.sla_breach".into()),
        ..Default::default()
    };
    let recs = yunwei_store::audit::search(&mut c, &yunwei_store::Scope::system(), &f, 10)
        .await
        .unwrap();
    assert_eq!(recs.len(), 1);
    // A connection held across the cleanup keeps PostgreSQL from dropping
    // the test's database.
    drop(c);
    app.cleanup().await;
}

#[tokio::test]
async fn design_6_resolution_deadline_spans_make_up_saturday_and_spring_festival() {
    let app = TestApp::new().await;
    let p = with_sla_pack(&app);
    let lead = principal(&app, "demo_lead").await;
    // Friday before the Spring Festival: +1 working day is the worked
    // Saturday 02-14, +2 is 02-24 after the holiday; due at its end.
    app.clock.set(cst(2026, 2, 13, 10, 0));
    let id = open_fault(&p, &lead).await;
    tickets::transition(
        &p,
        &Ctx::system("test"),
        &lead,
        &id,
        &tickets::TransitionInput {
            transition: "respond".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let detail = tickets::detail(&p, &lead, &id).await.unwrap();
    let resolution = detail
        .timers
        .iter()
        .find(|t| t.label == "解决时限")
        .expect("resolution timer");
    assert_eq!(
        resolution.due_at,
        cst(2026, 2, 24, 23, 59).timestamp_micros() + 59_000_000
    );
    // During the holiday nothing is due.
    app.clock.set(cst(2026, 2, 20, 12, 0));
    assert_eq!(tickets::run_timers(&p, 100).await.unwrap(), 0);
    // Two hours before the end of 02-24 the warning comes, once.
    app.clock.set(cst(2026, 2, 24, 22, 0));
    assert_eq!(tickets::run_timers(&p, 100).await.unwrap(), 1);
    assert_eq!(tickets::run_timers(&p, 100).await.unwrap(), 0);
    assert!(inbox(&app, "demo_lead")
        .await
        .iter()
        .any(|t| t.contains("解决时限即将超时")));
    assert!(
        !tickets::detail(&p, &lead, &id)
            .await
            .unwrap()
            .ticket
            .overdue
    );
    app.clock.set(cst(2026, 2, 25, 0, 0));
    assert_eq!(tickets::run_timers(&p, 100).await.unwrap(), 1);
    assert!(
        tickets::detail(&p, &lead, &id)
            .await
            .unwrap()
            .ticket
            .overdue
    );
    app.cleanup().await;
}

#[tokio::test]
async fn design_6_weekend_is_skipped_and_waiting_pauses_the_clock() {
    let app = TestApp::new().await;
    let p = with_sla_pack(&app);
    let lead = principal(&app, "demo_lead").await;
    // Thursday 2026-03-05 + 2 working days = Monday 03-09.
    app.clock.set(cst(2026, 3, 5, 9, 0));
    let id = open_fault(&p, &lead).await;
    let ctx = Ctx::system("test");
    let step = |t: &str| tickets::TransitionInput {
        transition: t.into(),
        ..Default::default()
    };
    tickets::transition(&p, &ctx, &lead, &id, &step("respond"))
        .await
        .unwrap();
    let due = |d: &yunwei_core::tickets::TicketDetail| {
        d.timers
            .iter()
            .find(|t| t.label == "解决时限")
            .unwrap()
            .due_at
    };
    let first = due(&tickets::detail(&p, &lead, &id).await.unwrap());
    assert_eq!(
        first,
        cst(2026, 3, 9, 23, 59).timestamp_micros() + 59_000_000
    );
    // Waiting for the user for a day moves the deadline by that day.
    app.clock.set(cst(2026, 3, 5, 10, 0));
    tickets::transition(&p, &ctx, &lead, &id, &step("wait"))
        .await
        .unwrap();
    app.clock.set(cst(2026, 3, 6, 10, 0));
    tickets::transition(&p, &ctx, &lead, &id, &step("resume"))
        .await
        .unwrap();
    let moved = due(&tickets::detail(&p, &lead, &id).await.unwrap());
    assert_eq!(moved - first, 24 * 3600 * 1_000_000);
    app.cleanup().await;
}

#[tokio::test]
async fn timer_job_acts_once_with_several_app_nodes() {
    let app = TestApp::new().await;
    let p = with_sla_pack(&app);
    let lead = principal(&app, "demo_lead").await;
    app.clock.set(cst(2026, 3, 6, 10, 0));
    for _ in 0..6 {
        open_fault(&p, &lead).await;
    }
    app.clock.set(cst(2026, 3, 6, 11, 0));
    // Two "nodes" run the job at once on the same database.
    let (a, b) = tokio::join!(tickets::run_timers(&p, 100), tickets::run_timers(&p, 100));
    assert_eq!(
        a.unwrap() + b.unwrap(),
        6,
        "six response breaches, each fired once"
    );
    assert_eq!(tickets::run_timers(&p, 100).await.unwrap(), 0);
    // The resolution warning was due too (2h before 03-09 24:00 had not
    // come yet); jumping past the deadline fires only the breach.
    app.clock.set(cst(2026, 3, 11, 0, 0));
    assert_eq!(tickets::run_timers(&p, 100).await.unwrap(), 6);
    assert_eq!(
        tickets::run_timers(&p, 100).await.unwrap(),
        0,
        "no late warning after a breach"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn eeds_3_2_5_problem_reviewed_monthly_or_overdue() {
    let app = TestApp::new().await;
    let p = app.platform.clone();
    let lead = principal(&app, "demo_lead").await;
    let ctx = Ctx::system("test");
    app.clock.set(cst(2026, 3, 2, 9, 0));
    let input = OpenInput {
        pack: "eeds".into(),
        process: "problem".into(),
        title: "数据库连接池反复耗尽".into(),
        fields: json!({"origin": "fault", "system": "预算系统", "description": "高峰期连接耗尽"})
            .as_object()
            .unwrap()
            .clone(),
        ..Default::default()
    };
    let id = match tickets::open(&p, &ctx, &lead, &input).await {
        Ok(t) => t.id,
        Err(e) => panic!("open problem: {e}"),
    };
    let review = |n: u32| tickets::TransitionInput {
        transition: "review".into(),
        fields: json!({"review_record": format!("第{n}次月度复核：仍在观察")})
            .as_object()
            .unwrap()
            .clone(),
        ..Default::default()
    };
    // Reviewed within each month: never overdue. 「每月」: reviewed on 30
    // March, the next review is due by the end of 30 April, a calendar
    // month (changed: it was 30 days, 29 April).
    app.clock.set(cst(2026, 3, 30, 9, 0));
    tickets::transition(&p, &ctx, &lead, &id, &review(1))
        .await
        .unwrap();
    app.clock.set(cst(2026, 4, 30, 12, 0));
    tickets::run_timers(&p, 100).await.unwrap();
    assert!(
        !tickets::detail(&p, &lead, &id)
            .await
            .unwrap()
            .ticket
            .overdue,
        "due at the end of 30 April"
    );
    tickets::transition(&p, &ctx, &lead, &id, &review(2))
        .await
        .unwrap();
    tickets::run_timers(&p, 100).await.unwrap();
    assert!(
        !tickets::detail(&p, &lead, &id)
            .await
            .unwrap()
            .ticket
            .overdue
    );
    // A review record must be written again each time.
    let again = tickets::TransitionInput {
        transition: "review".into(),
        ..Default::default()
    };
    assert!(tickets::transition(&p, &ctx, &lead, &id, &again)
        .await
        .is_err());
    // A month without review makes it overdue (due at the end of 30 May).
    app.clock.set(cst(2026, 5, 31, 9, 0));
    tickets::run_timers(&p, 100).await.unwrap();
    assert!(
        tickets::detail(&p, &lead, &id)
            .await
            .unwrap()
            .ticket
            .overdue
    );
    app.cleanup().await;
}

/// 待办 is ordered by deadline: the overdue ticket first, then the nearest
/// deadline, although the list it is drawn from is newest first.
#[tokio::test]
async fn todo_is_ordered_by_deadline_overdue_first() {
    let app = TestApp::new().await;
    let p = with_sla_pack(&app);
    let lead = principal(&app, "demo_lead").await;
    app.clock.set(cst(2026, 3, 6, 10, 0));
    let first = open_fault(&p, &lead).await;
    app.clock.set(cst(2026, 3, 6, 10, 10));
    let second = open_fault(&p, &lead).await;
    app.clock.set(cst(2026, 3, 6, 10, 20));
    let third = open_fault(&p, &lead).await;
    let order = |items: &[tickets::TodoItem]| -> Vec<String> {
        items.iter().map(|t| t.ticket.id.clone()).collect()
    };
    // Due 10:30, 10:40, 10:50: the nearest deadline first.
    let todo = tickets::todo(&p, &lead).await.unwrap();
    assert_eq!(order(&todo), [first.clone(), second.clone(), third.clone()]);
    // The second one's response is answered: its next deadline is days
    // away, behind the third's.
    tickets::transition(
        &p,
        &Ctx::system("test"),
        &lead,
        &second,
        &tickets::TransitionInput {
            transition: "respond".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // 10:45: the first is overdue, the third due at 10:50.
    app.clock.set(cst(2026, 3, 6, 10, 45));
    tickets::run_timers(&p, 100).await.unwrap();
    let todo = tickets::todo(&p, &lead).await.unwrap();
    assert!(todo[0].ticket.overdue, "{:?}", order(&todo));
    assert_eq!(order(&todo), [first, third, second]);
    app.cleanup().await;
}

/// NTCZ-6.1.2 「工作日内实时响应客户电话。非工作日30分钟内回复客户电话」:
/// whether a hotline call came outside working time is set by the
/// platform when the call is registered, from the holiday calendar and the
/// organisation's business hours; the staff no longer tick a box (changed:
/// `non_working_day` was entered by hand, and a value sent is now refused).
#[tokio::test]
async fn ntcz_6_1_2_non_working_day_comes_from_the_calendar_and_business_hours() {
    let app = TestApp::new().await;
    let p = app.platform.clone();
    let ctx = Ctx::system("test");
    let staff = principal(&app, "demo_hwops").await;
    let call = |fields: serde_json::Value| OpenInput {
        pack: "ntcz".into(),
        process: "hotline".into(),
        title: "单位账户无法登录".into(),
        fields: fields.as_object().unwrap().clone(),
        ..Default::default()
    };
    let open_at = |at: DateTime<Utc>| {
        let (p, ctx, staff) = (p.clone(), ctx.clone(), staff.clone());
        let input = call(json!({"caller": "海门区某预算单位 李会计"}));
        app.clock.set(at);
        async move {
            let t = tickets::open(&p, &ctx, &staff, &input)
                .await
                .unwrap_or_else(|e| panic!("open call: {e}"));
            let d = tickets::detail(&p, &staff, &t.id).await.unwrap();
            let outside = d
                .fields
                .iter()
                .find(|f| f.id == "non_working_day")
                .map(|f| f.value.clone())
                .unwrap_or_default();
            let callback = d.timers.iter().map(|t| t.due_at).min();
            (outside, callback)
        }
    };
    // Wednesday 4 March 10:00, within the default 08:30-17:30: answered
    // live, no callback clock.
    assert_eq!(open_at(cst(2026, 3, 4, 10, 0)).await, ("否".into(), None));
    // The same Wednesday at 20:00, after hours: called back by 20:30.
    let evening = cst(2026, 3, 4, 20, 0);
    assert_eq!(
        open_at(evening).await,
        (
            "是".into(),
            Some(cst(2026, 3, 4, 20, 30).timestamp_micros())
        )
    );
    // Saturday 7 March 10:00, a rest day.
    assert_eq!(open_at(cst(2026, 3, 7, 10, 0)).await.0, "是");
    // Saturday 14 February 10:00 is a make-up working day of the Spring
    // Festival: answered live.
    assert_eq!(open_at(cst(2026, 2, 14, 10, 0)).await, ("否".into(), None));
    // The organisation's own business hours count: open until 18:00, a
    // call at 17:45 is within working time.
    let sys = principal(&app, "sysadmin").await;
    let cfg = yunwei_core::policy::OrgConfig {
        business_hours_start: "09:00".into(),
        business_hours_end: "18:00".into(),
        notice: String::new(),
    };
    yunwei_core::policy::set_org_config(&p, &ctx, &sys, &staff.org_id, &cfg)
        .await
        .unwrap();
    assert_eq!(open_at(cst(2026, 3, 4, 17, 45)).await.0, "否");
    assert_eq!(open_at(cst(2026, 3, 4, 8, 45)).await.0, "是");
    // Nobody enters it.
    app.clock.set(cst(2026, 3, 4, 10, 0));
    let e = tickets::open(
        &p,
        &ctx,
        &staff,
        &call(json!({"caller": "某单位", "non_working_day": true})),
    )
    .await
    .expect_err("set by the platform");
    assert_eq!(e.code, "ticket.field_set_by_platform");
    assert!(e.message.contains("自动判定"), "{}", e.message);
    app.cleanup().await;
}
