//! The due-date engine and the inspection registers (ADR 0005, issue 4):
//! periodic plans become overdue on the right day and notify exactly once
//! (EEDS-1.4.1, EEDS-2.2.2.6), records answer every checklist item
//! (EEDS-3.5), an abnormal finding opens a linked JSCZ incident, every
//! maintenance action is recorded and audited (EEDS-2.2.2.2); permissions,
//! the API and the pages. All on the test clock.

use crate::support::principal;
use crate::support::user_id;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};
use yunwei_core::controls::{self, OverviewFilter};
use yunwei_core::inspections::{self, ItemInput, PlanInput, PlanUpdate, RecordInput};
use yunwei_core::Ctx;
use yunwei_domain::audit::AuditRecord;
use yunwei_domain::ErrorKind;
use yunwei_store::audit::AuditFilter;
use yunwei_store::Scope;
use yunwei_testkit::TestApp;

use crate::support::org_id;
use crate::support::{form, hidden_csrf, urlenc, Browser};

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, s).unwrap()
}

fn ctx() -> Ctx {
    Ctx::system("test")
}

/// The audit records of `action`, leaving out those of the
/// administrators' periodic reviews (core `reviews`), which fall due
/// beside the plans from the job's first run.
async fn audits(app: &TestApp, action: &str) -> Vec<AuditRecord> {
    let mut c = app.platform.db().read().await.unwrap();
    let f = AuditFilter {
        action: Some(action.into()),
        ..Default::default()
    };
    let mut out = vec![];
    for r in yunwei_store::audit::search(&mut c, &Scope::system(), &f, 100)
        .await
        .unwrap()
    {
        let review = r.object_type == yunwei_core::reviews::SUBJECT
            || yunwei_store::controls::get(&mut c, &r.object_id)
                .await
                .unwrap()
                .is_some_and(|ctl| ctl.subject_type == yunwei_core::reviews::SUBJECT);
        if !review {
            out.push(r);
        }
    }
    out
}

/// How many review occurrences have been notified so far.
async fn reviews_notified(app: &TestApp) -> usize {
    let mut c = app.platform.db().read().await.unwrap();
    let f = yunwei_store::controls::ControlFilter {
        status: yunwei_store::controls::StatusFilter::All,
        ..Default::default()
    };
    let (rows, _) = yunwei_store::controls::list(&mut c, &Scope::system(), &f, 10_000)
        .await
        .unwrap();
    rows.iter()
        .filter(|r| r.subject_type == yunwei_core::reviews::SUBJECT && r.notified_at.is_some())
        .count()
}

/// Runs the job; returns the notices the plans caused (the reviews' left
/// out).
async fn run_for_plans(app: &TestApp) -> usize {
    let before = reviews_notified(app).await;
    let n = crate::support::run_jobs(&app.platform).await.unwrap();
    n - (reviews_notified(app).await - before)
}

/// Overdue notices in a user's inbox, leaving out those of the periodic
/// reviews and scans (core `reviews`), which reach the maintenance staff
/// too (their log review, EEDS-3.7.1).
async fn overdue_notices(app: &TestApp, username: &str) -> Vec<String> {
    let id = user_id(app, username).await;
    let mut c = app.platform.db().read().await.unwrap();
    yunwei_store::tickets::notifications_of(&mut c, &id, 200)
        .await
        .unwrap()
        .into_iter()
        .filter(|n| n.kind == controls::NOTICE_KIND)
        .filter(|n| {
            !yunwei_core::reviews::DUTIES
                .iter()
                .any(|d| n.title.starts_with(d.label))
        })
        .map(|n| n.title)
        .collect()
}

fn plan_input(name: &str, kind: &str, recurrence: &str, items: &[&str], org: &str) -> PlanInput {
    PlanInput {
        name: name.into(),
        kind: kind.into(),
        recurrence: recurrence.into(),
        checklist: items.iter().map(|s| s.to_string()).collect(),
        org_id: Some(org.into()),
        ..Default::default()
    }
}

fn answers(list: &[(&str, &str)]) -> Vec<ItemInput> {
    list.iter()
        .map(|(s, n)| ItemInput {
            status: s.to_string(),
            note: n.to_string(),
            attachment: None,
        })
        .collect()
}

const PATROL_ITEMS: [&str; 3] = [
    "首页及各栏目信息是否按时更新",
    "是否存在过期或失效信息",
    "外部链接是否可正常访问",
];

#[tokio::test]
async fn eeds_1_4_1_missed_monthly_patrol_is_overdue_from_the_first_of_next_month() {
    let app = TestApp::new().await;
    let p = &app.platform;
    let soft = principal(&app, "demo_soft").await;
    let lead = principal(&app, "demo_lead").await;
    let center = org_id(&app, "信息中心").await;
    let mut input = plan_input(
        "门户网站内容月度巡查",
        "patrol",
        "monthly",
        &PATROL_ITEMS,
        &center,
    );
    input.first_date = Some("2026-03-01".into());
    let plan = inspections::create_plan(p, &ctx(), &soft, &input)
        .await
        .unwrap();
    assert_eq!(plan.source, "EEDS-1.4.1", "the patrol's article by default");
    let d = inspections::get_plan(p, &lead, &plan.id).await.unwrap();
    assert_eq!(d.occurrences.len(), 1);
    let march = &d.occurrences[0];
    assert_eq!(march.period_label, "2026-03-01 至 2026-03-31");
    assert_eq!(march.due_date, "2026-03-31");
    // Due at 2026-04-01 00:00 Beijing time.
    assert_eq!(march.due_at, utc(2026, 3, 31, 16, 0, 0).timestamp_micros());

    // One second before: due soon, not overdue, nobody told.
    app.clock.set(utc(2026, 3, 31, 15, 59, 59));
    let o = controls::overview(p, &lead, &OverviewFilter::default())
        .await
        .unwrap();
    assert!(o.overdue.is_empty(), "{:?}", o.overdue);
    assert_eq!(o.due_soon.len(), 1);
    assert_eq!(o.due_soon[0].status_label, "即将到期");
    assert_eq!(crate::support::run_jobs(p).await.unwrap(), 0);
    assert!(overdue_notices(&app, "demo_soft").await.is_empty());

    // At 00:00 on 1 April the missed March patrol is overdue; two nodes
    // running the job at once notify once.
    app.clock.set(utc(2026, 3, 31, 16, 0, 0));
    let before = reviews_notified(&app).await;
    let (a, b) = tokio::join!(crate::support::run_jobs(p), crate::support::run_jobs(p));
    let reviews = reviews_notified(&app).await - before;
    assert_eq!(a.unwrap() + b.unwrap() - reviews, 1, "exactly one notice");
    assert_eq!(crate::support::run_jobs(p).await.unwrap(), 0);
    let o = controls::overview(p, &lead, &OverviewFilter::default())
        .await
        .unwrap();
    assert_eq!(o.overdue.len(), 1);
    assert_eq!(o.overdue[0].period_label, "2026-03-01 至 2026-03-31");
    assert_eq!(o.overdue[0].status, "overdue");
    assert!(o.overdue[0].notified_at.is_some());
    // The job rolled the plan forward: April has its own occurrence.
    assert_eq!(o.other.len(), 1, "{:?}", o.other);
    assert_eq!(o.other[0].period_label, "2026-04-01 至 2026-04-30");
    // The plan's creator and the project lead covering the centre, once each.
    for user in ["demo_soft", "demo_lead"] {
        let notes = overdue_notices(&app, user).await;
        assert_eq!(notes.len(), 1, "{user}: {notes:?}");
        assert!(notes[0].contains("门户网站内容月度巡查"), "{notes:?}");
        assert!(notes[0].contains("EEDS-1.4.1"), "{notes:?}");
    }
    let recs = audits(&app, "controls.overdue").await;
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].actor_name, "system");

    // A late record is filed against the missed month and marks it done
    // (late); the current month stays open.
    app.clock.set(utc(2026, 4, 2, 2, 0, 0));
    let missed = &o.overdue[0].id;
    let r = inspections::file_record(
        p,
        &ctx(),
        &soft,
        &plan.id,
        &RecordInput {
            control_id: Some(missed.clone()),
            results: answers(&[("normal", ""), ("normal", ""), ("normal", "")]),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(r.control_id, *missed);
    let o = controls::overview(p, &lead, &OverviewFilter::default())
        .await
        .unwrap();
    assert!(o.overdue.is_empty());
    let done = controls::overview(
        p,
        &lead,
        &OverviewFilter {
            status: Some("done".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(done.other.len(), 1);
    assert!(done.other[0].done_late);
    app.cleanup().await;
}

#[tokio::test]
async fn eeds_2_2_2_6_annual_inspection_due_at_year_end() {
    let app = TestApp::new().await;
    let p = &app.platform;
    let lead = principal(&app, "demo_lead").await;
    let center = org_id(&app, "信息中心").await;
    let plan = inspections::create_plan(
        p,
        &ctx(),
        &lead,
        &PlanInput {
            source: Some("EEDS-2.2.2.6".into()),
            ..plan_input(
                "信息系统运维管理年度巡回检查",
                "inspection",
                "yearly",
                &["各维护作业计划的执行情况", "备份及日志管理"],
                &center,
            )
        },
    )
    .await
    .unwrap();
    let d = inspections::get_plan(p, &lead, &plan.id).await.unwrap();
    assert_eq!(d.occurrences.len(), 1);
    assert_eq!(d.occurrences[0].period_label, "2026-01-01 至 2026-12-31");
    assert_eq!(d.occurrences[0].due_date, "2026-12-31");
    assert_eq!(
        d.occurrences[0].due_at,
        utc(2026, 12, 31, 16, 0, 0).timestamp_micros()
    );
    assert_eq!(d.occurrences[0].status, "pending");
    // In its last week it is due soon; at 2027-01-01 00:00 Beijing time it
    // is overdue and the next year's inspection is created.
    app.clock.set(utc(2026, 12, 25, 2, 0, 0));
    let d = inspections::get_plan(p, &lead, &plan.id).await.unwrap();
    assert_eq!(d.occurrences[0].status, "due_soon");
    assert_eq!(run_for_plans(&app).await, 0);
    app.clock.set(utc(2026, 12, 31, 15, 59, 59));
    assert_eq!(run_for_plans(&app).await, 0);
    app.clock.set(utc(2026, 12, 31, 16, 0, 0));
    assert_eq!(run_for_plans(&app).await, 1);
    let d = inspections::get_plan(p, &lead, &plan.id).await.unwrap();
    assert_eq!(d.occurrences.len(), 2);
    assert_eq!(d.occurrences[0].period_label, "2027-01-01 至 2027-12-31");
    assert_eq!(d.occurrences[1].status, "overdue");
    assert_eq!(d.plan.overdue, 1);
    let recs = audits(&app, "controls.schedule").await;
    assert_eq!(recs.len(), 1, "the new year's occurrence, audited");
    app.cleanup().await;
}

#[tokio::test]
async fn eeds_3_5_record_must_answer_every_checklist_item() {
    let app = TestApp::new().await;
    let p = &app.platform;
    let hw = principal(&app, "demo_hwops").await;
    let room = org_id(&app, "硬件运维科").await;
    let plan = inspections::create_plan(
        p,
        &ctx(),
        &hw,
        &plan_input(
            "信息中心机房每周巡检",
            "inspection",
            "weekly",
            &["机房温湿度", "UPS 运行状态", "消防设施"],
            &room,
        ),
    )
    .await
    .unwrap();
    let file = |results: Vec<ItemInput>| {
        let plan_id = plan.id.clone();
        let hw = hw.clone();
        async move {
            inspections::file_record(
                p,
                &ctx(),
                &hw,
                &plan_id,
                &RecordInput {
                    results,
                    ..Default::default()
                },
            )
            .await
        }
    };
    let before = audits(&app, "inspection.record").await.len();
    let e = file(answers(&[("normal", ""), ("normal", "")]))
        .await
        .unwrap_err();
    assert_eq!(e.code, "inspection.item_unanswered");
    assert!(e.message.contains("第3项「消防设施」"), "{}", e.message);
    let e = file(answers(&[("normal", ""), ("", ""), ("normal", "")]))
        .await
        .unwrap_err();
    assert_eq!(e.code, "inspection.item_unanswered");
    assert!(e.message.contains("第2项"), "{}", e.message);
    let e = file(answers(&[
        ("normal", ""),
        ("abnormal", " "),
        ("normal", ""),
    ]))
    .await
    .unwrap_err();
    assert_eq!(e.code, "inspection.abnormal_note_required");
    assert!(e.message.contains("UPS 运行状态"), "{}", e.message);
    let e = file(answers(&[("normal", ""), ("broken", ""), ("normal", "")]))
        .await
        .unwrap_err();
    assert_eq!(e.code, "inspection.item_status_invalid");
    let e = file(answers(&[
        ("normal", ""),
        ("normal", ""),
        ("normal", ""),
        ("normal", ""),
    ]))
    .await
    .unwrap_err();
    assert_eq!(e.code, "inspection.results_mismatch");
    assert_eq!(e.kind, ErrorKind::BadRequest);
    // Nothing was written by the refusals.
    assert_eq!(audits(&app, "inspection.record").await.len(), before);
    let d = inspections::get_plan(p, &hw, &plan.id).await.unwrap();
    assert!(d.records.is_empty());
    assert!(d.occurrences[0].done_at.is_none());

    // Every item answered (labels accepted too): the week is done.
    let r = file(answers(&[
        ("正常", ""),
        ("abnormal", "UPS 电池内阻偏高"),
        ("normal", ""),
    ]))
    .await
    .unwrap();
    assert_eq!(r.abnormal_count, 1);
    assert!(r.ticket_id.is_none());
    let d = inspections::get_plan(p, &hw, &plan.id).await.unwrap();
    assert!(d.occurrences[0].done_at.is_some());
    assert_eq!(d.records.len(), 1);
    assert_eq!(d.records[0].results[1].status, "abnormal");
    assert_eq!(d.records[0].results[1].note, "UPS 电池内阻偏高");
    assert!(d.fileable.is_empty());
    let recs = audits(&app, "inspection.record").await;
    assert_eq!(recs.len(), before + 1);
    assert!(recs[0]
        .after
        .contains("UPS 运行状态：异常（UPS 电池内阻偏高）"));
    // The same week cannot be filed twice.
    let e = file(answers(&[("normal", ""), ("normal", ""), ("normal", "")]))
        .await
        .unwrap_err();
    assert_eq!(e.code, "inspection.nothing_due");
    let e = inspections::file_record(
        p,
        &ctx(),
        &hw,
        &plan.id,
        &RecordInput {
            control_id: Some(r.control_id.clone()),
            results: answers(&[("normal", ""), ("normal", ""), ("normal", "")]),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "inspection.occurrence_done");
    // A deactivated plan takes no records; its week not yet due is
    // withdrawn, the next weeks are not created.
    app.clock.set(utc(2026, 3, 10, 2, 0, 0));
    crate::support::run_jobs(p).await.unwrap();
    let d = inspections::get_plan(p, &hw, &plan.id).await.unwrap();
    assert_eq!(d.occurrences.len(), 2);
    inspections::update_plan(
        p,
        &ctx(),
        &hw,
        &plan.id,
        &PlanUpdate {
            active: Some(false),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let d = inspections::get_plan(p, &hw, &plan.id).await.unwrap();
    assert_eq!(d.occurrences.len(), 1, "the open week went");
    assert!(!d.plan.active);
    let e = file(answers(&[("normal", ""), ("normal", ""), ("normal", "")]))
        .await
        .unwrap_err();
    assert_eq!(e.code, "inspection.plan_inactive");
    app.clock.set(utc(2026, 3, 20, 2, 0, 0));
    crate::support::run_jobs(p).await.unwrap();
    let d = inspections::get_plan(p, &hw, &plan.id).await.unwrap();
    assert_eq!(d.occurrences.len(), 1);
    assert_eq!(audits(&app, "inspection.plan_deactivate").await.len(), 1);
    // Resumed: from this week on, the weeks while it was stopped are not owed.
    inspections::update_plan(
        p,
        &ctx(),
        &hw,
        &plan.id,
        &PlanUpdate {
            active: Some(true),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    crate::support::run_jobs(p).await.unwrap();
    let d = inspections::get_plan(p, &hw, &plan.id).await.unwrap();
    let periods: Vec<&str> = d
        .occurrences
        .iter()
        .map(|c| c.period_label.as_str())
        .collect();
    assert_eq!(
        periods,
        ["2026-03-16 至 2026-03-22", "2026-03-02 至 2026-03-08"]
    );
    assert_eq!(d.plan.overdue, 0);
    assert_eq!(audits(&app, "inspection.plan_activate").await.len(), 1);
    app.cleanup().await;
}

#[tokio::test]
async fn eeds_3_5_abnormal_finding_opens_a_linked_incident() {
    let app = TestApp::new().await;
    let p = &app.platform;
    let hw = principal(&app, "demo_hwops").await;
    let lead = principal(&app, "demo_lead").await;
    let room = org_id(&app, "硬件运维科").await;
    let plan = inspections::create_plan(
        p,
        &ctx(),
        &hw,
        &plan_input(
            "信息中心机房每周巡检",
            "inspection",
            "weekly",
            &["机房温湿度", "UPS 运行状态"],
            &room,
        ),
    )
    .await
    .unwrap();
    // No finding, no incident.
    let e = inspections::file_record(
        p,
        &ctx(),
        &hw,
        &plan.id,
        &RecordInput {
            results: answers(&[("normal", ""), ("normal", "")]),
            open_incident: true,
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "inspection.incident_without_finding");
    let opened_before = audits(&app, "ticket.open").await.len();
    let r = inspections::file_record(
        p,
        &ctx(),
        &hw,
        &plan.id,
        &RecordInput {
            results: answers(&[
                ("normal", ""),
                ("abnormal", "UPS 2号电池组内阻告警，后备时间降至8分钟"),
            ]),
            summary: "需联系厂商更换电池".into(),
            open_incident: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let ticket_id = r.ticket_id.clone().expect("incident linked to the record");
    assert_eq!(audits(&app, "ticket.open").await.len(), opened_before + 1);
    // The pack's keyword is what names the incident process (JSCZ-31:
    // 将问题单或巡检单转为事件登记单): without `intake` on a copy of the
    // packs no process takes the finding and nothing is filed.
    let mut without_intake = (*p.packs).clone();
    for pk in &mut without_intake {
        for pr_ in &mut pk.processes {
            pr_.intake.clear();
        }
    }
    let mut p2 = p.clone();
    p2.packs = std::sync::Arc::new(without_intake);
    let e = inspections::file_record(
        &p2,
        &ctx(),
        &hw,
        &plan.id,
        &RecordInput {
            results: answers(&[("normal", ""), ("abnormal", "UPS 1号电池组告警")]),
            open_incident: true,
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "inspection.incident_unavailable");
    assert_eq!(audits(&app, "ticket.open").await.len(), opened_before + 1);
    // The incident: JSCZ, registered by the inspector, from an inspection,
    // naming the plan and the finding; every field its report needs is there.
    let t = yunwei_core::tickets::detail(p, &lead, &ticket_id)
        .await
        .unwrap();
    assert_eq!(t.ticket.pack, "jscz");
    assert_eq!(t.ticket.process, "incident");
    assert!(t.ticket.title.contains("信息中心机房每周巡检"));
    let field = |id: &str| {
        t.fields
            .iter()
            .find(|f| f.id == id)
            .map(|f| f.value.clone())
            .unwrap_or_default()
    };
    assert_eq!(field("origin"), "监控巡检发现");
    assert!(field("description").contains("信息中心机房每周巡检"));
    assert!(field("description").contains("UPS 2号电池组内阻告警"));
    assert!(field("source_ticket").contains("信息中心机房每周巡检"));
    yunwei_core::tickets::transition(
        p,
        &ctx(),
        &hw,
        &ticket_id,
        &yunwei_core::tickets::TransitionInput {
            transition: "report".into(),
            ..Default::default()
        },
    )
    .await
    .expect("the inspector reports the incident in one more click (JSCZ-31)");
    // The record links to it; the plan's page shows its number.
    let d = inspections::get_plan(p, &lead, &plan.id).await.unwrap();
    assert_eq!(d.records[0].ticket_id.as_deref(), Some(ticket_id.as_str()));
    assert_eq!(
        d.records[0].ticket_number.as_deref(),
        Some(t.ticket.number.as_str())
    );
    let recs = audits(&app, "inspection.record").await;
    assert!(
        recs[0].after.contains(&t.ticket.number),
        "{}",
        recs[0].after
    );
    app.cleanup().await;
}

#[tokio::test]
async fn eeds_2_2_2_2_maintenance_record_is_audited() {
    let app = TestApp::new().await;
    let hw = app.login("demo_hwops").await;
    let staff = app.login("demo_staff").await;
    let lead = app.login("demo_lead").await;
    let room = org_id(&app, "硬件运维科").await;
    let r = app
        .post_json(
            "/api/v1/maintenance-records",
            Some(&hw),
            json!({
                "kind": "backup_restore",
                "org_id": room,
                "description": "预算管理一体化系统数据库全量备份恢复验证",
                "result": "在测试环境恢复成功，数据校验一致",
                "performed_at": "2026-03-01T22:30",
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(
        r.json()["performed_at"],
        json!(utc(2026, 3, 1, 14, 30, 0).timestamp_micros()),
        "Beijing time"
    );
    let recs = audits(&app, "maintenance.create").await;
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].object_id, id);
    assert_eq!(recs[0].actor_name, "demo_hwops");
    assert!(
        recs[0].after.contains("数据备份与恢复"),
        "{}",
        recs[0].after
    );
    assert!(recs[0].after.contains("数据库全量备份恢复验证"));
    // Listed for readers of the centre, by kind.
    let r = app
        .get(
            "/api/v1/maintenance-records?kind=backup_restore",
            Some(&lead),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["total"], 1);
    assert_eq!(r.json()["records"][0]["kind_label"], "数据备份与恢复");
    assert_eq!(r.json()["records"][0]["performer_name"], "刘建军");
    // Out of scope for the city's business staff, who may not write either.
    let r = app.get("/api/v1/maintenance-records", Some(&staff)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["total"], 0);
    let r = app
        .post_json(
            "/api/v1/maintenance-records",
            Some(&staff),
            json!({"kind": "fault", "description": "x", "result": "y"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Refusals name the rule; nothing is written.
    for (body, code) in [
        (
            json!({"kind": "repair", "description": "x", "result": "y"}),
            "inspection.maintenance_kind_invalid",
        ),
        (
            json!({"kind": "fault", "description": " ", "result": "y"}),
            "inspection.text_required",
        ),
        (
            json!({"kind": "fault", "description": "x", "result": "y", "performed_at": "2026-03-09T10:00"}),
            "inspection.maintenance_time_invalid",
        ),
        (
            json!({"kind": "fault", "description": "x", "result": "y", "ticket": "GZ-0000"}),
            "inspection.maintenance_ticket_unknown",
        ),
    ] {
        let r = app
            .post_json("/api/v1/maintenance-records", Some(&hw), body)
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
        assert_eq!(r.json()["code"], code);
    }
    assert_eq!(audits(&app, "maintenance.create").await.len(), 1);
    app.cleanup().await;
}

#[tokio::test]
async fn register_edit_creates_plans_in_scope_and_business_read_reads_them() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let staff = app.login("demo_staff").await;
    let vendor = app.login("demo_vendor").await;
    let nanjing = org_id(&app, "南京市财政局").await;
    let suzhou = org_id(&app, "苏州市财政局").await;
    let vendor_org = org_id(&app, "金陵数智运维服务有限公司").await;
    let body = |name: &str, org: &str| {
        json!({
            "name": name,
            "kind": "patrol",
            "recurrence": "monthly",
            "checklist": ["栏目更新", "错别字"],
            "org_id": org,
        })
    };
    // Business staff and the three administrators keep no registers.
    for user in ["demo_staff", "sysadmin", "secadmin", "audadmin"] {
        let t = app.login(user).await;
        let r = app
            .post_json(
                "/api/v1/inspection-plans",
                Some(&t),
                body("无权计划", &nanjing),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{user}: {}", r.text());
    }
    for user in ["sysadmin", "secadmin", "audadmin"] {
        let t = app.login(user).await;
        for path in [
            "/api/v1/controls",
            "/api/v1/inspection-plans",
            "/api/v1/maintenance-records",
        ] {
            let r = app.get(path, Some(&t)).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{user} {path}");
        }
    }
    // A vendor engineer keeps the registers of its own organisation only.
    let r = app
        .post_json(
            "/api/v1/inspection-plans",
            Some(&vendor),
            body("越权计划", &nanjing),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = app
        .post_json(
            "/api/v1/inspection-plans",
            Some(&vendor),
            body("驻场巡查", &vendor_org),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // The centre's lead for a city and for another city.
    let r = app
        .post_json(
            "/api/v1/inspection-plans",
            Some(&lead),
            body("南京门户网站巡查", &nanjing),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let nj_plan = r.json()["plan"]["id"].as_str().unwrap().to_string();
    assert_eq!(r.json()["checklist"], json!(["栏目更新", "错别字"]));
    let r = app
        .post_json(
            "/api/v1/inspection-plans",
            Some(&lead),
            body("苏州门户网站巡查", &suzhou),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let sz_plan = r.json()["plan"]["id"].as_str().unwrap().to_string();
    // Nanjing's staff read Nanjing's plan and its controls, not Suzhou's.
    let r = app.get("/api/v1/inspection-plans", Some(&staff)).await;
    assert_eq!(r.status, StatusCode::OK);
    let names: Vec<String> = r.json()["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["南京门户网站巡查"]);
    let r = app
        .get(&format!("/api/v1/inspection-plans/{nj_plan}"), Some(&staff))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["can_edit"], false);
    let r = app
        .get(&format!("/api/v1/inspection-plans/{sz_plan}"), Some(&staff))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.get("/api/v1/controls", Some(&staff)).await;
    assert_eq!(r.status, StatusCode::OK);
    let o = r.json();
    let titles: Vec<&Value> = o["due_soon"]
        .as_array()
        .unwrap()
        .iter()
        .chain(o["other"].as_array().unwrap())
        .map(|c| &c["title"])
        .collect();
    assert_eq!(titles, [&json!("南京门户网站巡查")]);
    // Staff may read but not file a record.
    let r = app
        .post_json(
            &format!("/api/v1/inspection-plans/{nj_plan}/records"),
            Some(&staff),
            json!({"results": [{"status": "normal"}, {"status": "normal"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Filtering by an organisation out of scope is refused.
    let r = app
        .get(&format!("/api/v1/controls?org_id={suzhou}"), Some(&staff))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Editing is checked against the plan's organisation too.
    let r = app
        .put_json(
            &format!("/api/v1/inspection-plans/{nj_plan}"),
            Some(&vendor),
            json!({"active": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .put_json(
            &format!("/api/v1/inspection-plans/{nj_plan}"),
            Some(&lead),
            json!({"name": "南京市门户网站内容巡查"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["plan"]["name"], "南京市门户网站内容巡查");
    assert_eq!(
        r.json()["occurrences"][0]["title"],
        "南京市门户网站内容巡查",
        "open occurrences follow the plan's name"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn controls_api_validates_and_lists_with_status_labels() {
    let app = TestApp::new().await;
    let hw = app.login("demo_hwops").await;
    let room = org_id(&app, "硬件运维科").await;
    for (body, code) in [
        (
            json!({"name": "", "kind": "inspection", "recurrence": "weekly", "checklist": ["a"]}),
            "inspection.name_invalid",
        ),
        (
            json!({"name": "x", "kind": "audit", "recurrence": "weekly", "checklist": ["a"]}),
            "inspection.kind_invalid",
        ),
        (
            json!({"name": "x", "kind": "inspection", "recurrence": "每两周", "checklist": ["a"]}),
            "inspection.recurrence_invalid",
        ),
        (
            json!({"name": "x", "kind": "inspection", "recurrence": "weekly", "checklist": [" ", ""]}),
            "inspection.checklist_empty",
        ),
        (
            json!({"name": "x", "kind": "inspection", "recurrence": "weekly", "checklist": ["a"], "first_date": "2026-02-30"}),
            "inspection.first_date_invalid",
        ),
    ] {
        let r = app
            .post_json("/api/v1/inspection-plans", Some(&hw), body)
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
        assert_eq!(r.json()["code"], code);
        assert!(!r.json()["message"].as_str().unwrap().is_empty());
    }
    // A weekly inspection begun three weeks ago: two missed weeks overdue,
    // this week due soon; the checklist may come as one text, a line each.
    let r = app
        .post_json(
            "/api/v1/inspection-plans",
            Some(&hw),
            json!({
                "name": "机房巡检",
                "kind": "inspection",
                "recurrence": "每周",
                "checklist": ["机房温湿度\nUPS 运行状态\n\n消防设施"],
                "org_id": room,
                "first_date": "2026-02-16",
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let plan = r.json();
    assert_eq!(plan["checklist"].as_array().unwrap().len(), 3);
    assert_eq!(plan["plan"]["source"], "EEDS-2.2.1.4");
    assert_eq!(plan["plan"]["overdue"], 2);
    let id = plan["plan"]["id"].as_str().unwrap();
    let r = app.get("/api/v1/controls", Some(&hw)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let o = r.json();
    assert_eq!(o["total"], 3);
    let overdue = o["overdue"].as_array().unwrap();
    assert_eq!(overdue.len(), 2);
    assert_eq!(overdue[0]["period_label"], "2026-02-16 至 2026-02-22");
    assert_eq!(overdue[0]["status"], "overdue");
    assert_eq!(overdue[0]["status_label"], "已逾期");
    assert_eq!(overdue[0]["kind_label"], "巡检");
    assert_eq!(overdue[0]["org_name"], "硬件运维科");
    assert_eq!(overdue[0]["link"], format!("/inspections/{id}"));
    assert_eq!(o["due_soon"][0]["status_label"], "即将到期");
    let r = app
        .get("/api/v1/controls?status=overdue&kind=inspection", Some(&hw))
        .await;
    assert_eq!(r.json()["total"], 2);
    let r = app.get("/api/v1/controls?kind=patrol", Some(&hw)).await;
    assert_eq!(r.json()["total"], 0);
    let r = app.get("/api/v1/controls?status=late", Some(&hw)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["code"], "controls.status_invalid");
    // A record over the API: the default occurrence is this week's.
    let r = app
        .post_json(
            &format!("/api/v1/inspection-plans/{id}/records"),
            Some(&hw),
            json!({"results": [{"status": "normal"}, {"status": "normal"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["code"], "inspection.item_unanswered");
    let r = app
        .post_json(
            &format!("/api/v1/inspection-plans/{id}/records"),
            Some(&hw),
            json!({"results": [{"status": "normal"}, {"status": "normal"}, {"status": "abnormal", "note": "灭火器过期"}], "summary": "更换灭火器"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(
        r.json()["record"]["period_label"],
        "2026-03-02 至 2026-03-08"
    );
    assert_eq!(r.json()["record"]["abnormal_count"], 1);
    // Export needs a reason and is audited.
    let r = app.get("/api/v1/controls/export.xlsx", Some(&hw)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["code"], "audit.reason_required");
    let r = app
        .get(
            &format!("/api/v1/controls/export.xlsx?reason={}", urlenc("月度检查")),
            Some(&hw),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.starts_with(b"PK"), "an xlsx file");
    let recs = audits(&app, "controls.export").await;
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].reason, "月度检查");
    assert!(recs[0].after.contains("2 项"), "{}", recs[0].after);
    // Every operation is in the OpenAPI document.
    let doc = app.get("/api/v1/openapi.json", None).await.json();
    for path in [
        "/api/v1/controls",
        "/api/v1/controls/export.xlsx",
        "/api/v1/inspection-plans",
        "/api/v1/inspection-plans/{id}",
        "/api/v1/inspection-plans/{id}/records",
        "/api/v1/maintenance-records",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} in OpenAPI");
    }
    assert!(doc["paths"]["/api/v1/inspection-plans"]
        .get("post")
        .is_some());
    assert!(doc["paths"]["/api/v1/inspection-plans/{id}"]
        .get("put")
        .is_some());
    assert!(doc["paths"]["/api/v1/maintenance-records"]
        .get("post")
        .is_some());
    app.cleanup().await;
}

fn page(path: &str, cookie: &str) -> Request<Body> {
    Request::builder()
        .uri(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap()
}

/// A multipart form: text fields and (name, filename, content) files.
fn multipart(
    uri: &str,
    cookie: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &str)],
) -> Request<Body> {
    let boundary = "----yunwei-controls-boundary-51c3";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    for (name, filename, content) in files {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: text/plain\r\n\r\n{content}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::COOKIE, cookie)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn controls_pages_show_overview_plans_records_and_maintenance() {
    let app = TestApp::new().await;
    let hw = format!("yw_session={}", app.login("demo_hwops").await);
    let staff = format!("yw_session={}", app.login("demo_staff").await);
    let sys = format!("yw_session={}", app.login("sysadmin").await);
    let room = org_id(&app, "硬件运维科").await;

    // The plan list with its form; a refused form keeps its values.
    let r = app.request(page("/inspections", &hw)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(html.contains("巡检与维护计划"));
    assert!(html.contains("id=\"create-plan\""));
    assert!(html.contains("href=\"/inspections\" class=\"active\""));
    assert!(html.contains("href=\"/controls\""), "nav entry");
    let csrf = hidden_csrf(&html);
    let r = app
        .request(form(
            "/inspections",
            &hw,
            format!(
                "csrf={csrf}&name={}&kind=inspection&recurrence=weekly&org_id={room}&checklist=",
                urlenc("机房巡检")
            ),
        ))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("检查表至少需要一项检查内容"));
    assert!(
        r.text().contains("value=\"机房巡检\""),
        "the form keeps its values"
    );
    let r = app
        .request(form(
            "/inspections",
            &hw,
            format!(
                "csrf={csrf}&name={}&kind=inspection&recurrence=weekly&org_id={room}&first_date=2026-02-23&checklist={}",
                urlenc("机房巡检"),
                urlenc("机房温湿度\r\nUPS 运行状态")
            ),
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let to = r.header("location").unwrap().to_string();
    assert!(to.starts_with("/inspections/"), "{to}");
    let plan_id = to.trim_start_matches("/inspections/").to_string();

    // The plan's page: checklist, occurrences (last week overdue, in red),
    // the record form with a radio pair per item.
    let r = app.request(page(&to, &hw)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(html.contains("机房温湿度"));
    assert!(html.contains("id=\"record-form\""));
    assert!(html.contains("name=\"status_1\" value=\"abnormal\""));
    assert!(html.contains("发现异常时登记事件"));
    assert!(html.contains("<tr class=\"overdue\"><td>2026-02-23 至 2026-03-01</td>"));

    // Filing through the form: an unanswered item is shown on the page.
    let uri = format!("/inspections/{plan_id}/records");
    let r = app
        .request(multipart(
            &uri,
            &hw,
            &[("csrf", &csrf), ("status_0", "normal")],
            &[],
        ))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("第2项「UPS 运行状态」未选择正常或异常"));
    let r = app
        .request(multipart(
            &uri,
            &hw,
            &[("csrf", "forged"), ("status_0", "normal")],
            &[],
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .request(multipart(
            &uri,
            &hw,
            &[
                ("csrf", &csrf),
                ("status_0", "normal"),
                ("note_0", ""),
                ("status_1", "abnormal"),
                ("note_1", "UPS 告警"),
                ("open_incident", "true"),
            ],
            &[("file_1", "ups.txt", "UPS 告警截图")],
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(html.contains("记录已登记，已为异常项登记事件"), "{html}");
    assert!(html.contains("关联事件："));
    assert!(html.contains("href=\"/tickets/"));
    let at = html.find("/inspections/records/").unwrap();
    let link: String = html[at..].split('"').next().unwrap().to_string();
    let r = app.request(page(&link, &hw)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.text(), "UPS 告警截图");
    // Out of scope: the city's staff see neither the plan nor its file.
    let r = app.request(page(&link, &staff)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.request(page(&to, &staff)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The overview: sections, red overdue rows, filters, export.
    let r = app.request(page("/controls", &hw)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    for text in [
        "到期事项总览",
        "已逾期（1）",
        "本周到期",
        "其他",
        "id=\"export-controls\"",
    ] {
        assert!(html.contains(text), "{text}");
    }
    assert!(html.contains("<tr class=\"overdue\"><td>巡检</td><td><a href=\"/inspections/"));
    let r = app
        .request(page("/controls?status=done&kind=inspection", &hw))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("已完成"));
    let r = app
        .request(form(
            "/controls/export",
            &hw,
            format!("csrf={csrf}&reason="),
        ))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("请填写操作原因"));
    let r = app
        .request(form(
            "/controls/export",
            &hw,
            format!("csrf={csrf}&reason={}&status=all", urlenc("季度检查")),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").unwrap().contains("spreadsheetml"));

    // Maintenance records: the form and the list.
    let r = app.request(page("/maintenance", &hw)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("id=\"create-maintenance\""));
    assert!(r.text().contains("数据备份与恢复"));
    let r = app
        .request(form(
            "/maintenance",
            &hw,
            format!(
                "csrf={csrf}&kind=fault&org_id={room}&performed_at=2026-03-02T08%3A30&description={}&result={}",
                urlenc("核心交换机端口故障处理"),
                urlenc("更换光模块后恢复")
            ),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(html.contains("维护记录已登记"));
    assert!(html.contains("核心交换机端口故障处理"));
    assert!(html.contains("2026-03-02 08:30"));

    // Business staff read without forms; the administrators are refused.
    let r = app.request(page("/inspections", &staff)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text().contains("id=\"create-plan\""));
    let r = app.request(page("/maintenance", &staff)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text().contains("id=\"create-maintenance\""));
    for path in ["/controls", "/inspections", "/maintenance"] {
        let r = app.request(page(path, &sys)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
    }
    let r = app.request(page("/", &sys)).await;
    assert!(!r.text().contains("href=\"/controls\""), "no menu entry");
    app.cleanup().await;
}

/// The value of the first input of a page with this name.
fn input_value(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let at = html.find(&key).unwrap_or_else(|| panic!("no input {name}"));
    html[at + key.len()..]
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

/// The error banner of a form shown again after a refusal.
fn error_banner(html: &str) -> String {
    let at = html.find("id=\"error\"").expect("error banner");
    let rest = &html[at..];
    let start = rest.find('>').unwrap() + 1;
    rest[start..].split("</").next().unwrap().to_string()
}

#[tokio::test]
async fn plan_edit_form_saves_audited_changes_and_refuses_bad_stale_and_readers() {
    let app = TestApp::new().await;
    let p = &app.platform;
    let nanjing = org_id(&app, "南京市财政局").await;
    let lead_pr = principal(&app, "demo_lead").await;
    let plan = inspections::create_plan(
        p,
        &ctx(),
        &lead_pr,
        &plan_input(
            "南京门户网站巡查",
            "patrol",
            "monthly",
            &PATROL_ITEMS,
            &nanjing,
        ),
    )
    .await
    .unwrap();
    let plan_url = format!("/inspections/{}", plan.id);
    let edit_url = format!("{plan_url}/edit");
    let lead = Browser::login(&app, "demo_lead").await;

    // The plan's page links to the form; the form shows the plan.
    let html = lead.get(&plan_url).await.text();
    assert!(
        html.contains(&format!(
            "<a class=\"button\" href=\"{edit_url}\" id=\"edit-plan-link\">修改计划</a>"
        )),
        "{html}"
    );
    let r = lead.get(&edit_url).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(html.contains("id=\"edit-plan\""));
    assert_eq!(input_value(&html, "name"), "南京门户网站巡查");
    assert!(html.contains("<option value=\"monthly\" selected>每月</option>"));
    assert!(html.contains(&format!("<option value=\"{nanjing}\" selected>")));
    assert!(
        html.contains("value=\"网站内容巡查\" disabled"),
        "kind shown, not editable"
    );
    assert_eq!(input_value(&html, "first_date"), "2026-03-02");
    assert_eq!(input_value(&html, "source"), "EEDS-1.4.1");
    assert_eq!(input_value(&html, "ci_id"), "");
    assert!(html.contains("name=\"active\" value=\"true\" checked"));
    assert!(html.contains(&format!(">{}</textarea>", PATROL_ITEMS.join("\n"))));
    let seen = input_value(&html, "expected_updated_at");
    assert_eq!(seen, plan.updated_at.to_string());

    // Saving: renamed, weekly, one more item, a CMDB item.
    let checklist = format!("{}\r\n错别字检查", PATROL_ITEMS.join("\r\n"));
    // The form as an editor fills it in.
    let fields = |name: &str, recurrence: &str, expected: &str, active: &str| {
        [
            ("name", name),
            ("recurrence", recurrence),
            ("org_id", nanjing.as_str()),
            ("first_date", "2026-03-02"),
            ("source", "EEDS-1.4.1"),
            ("ci_id", "APP-PORTAL"),
            ("checklist", checklist.as_str()),
            ("active", active),
            ("expected_updated_at", expected),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .to_vec()
    };
    fn pairs(v: &[(String, String)]) -> Vec<(&str, &str)> {
        v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }
    let edited = fields("南京门户网站每周巡查", "weekly", &seen, "true");
    let r = lead.post(&edit_url, &pairs(&edited)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let to = r.header("location").unwrap().to_string();
    assert_eq!(to, format!("{plan_url}?msg=saved"));
    let html = lead.get(&to).await.text();
    assert!(
        html.contains("<div class=\"notice\" id=\"notice\">计划已保存</div>"),
        "{html}"
    );
    assert!(html.contains("<h1>南京门户网站每周巡查 "));
    assert!(html.contains("<dt>周期</dt><dd>每周（2026-03-02 起）</dd>"));
    assert!(html.contains("<dt>配置项</dt><dd>APP-PORTAL</dd>"));
    assert!(html.contains("<li>错别字检查</li>"));
    assert!(
        html.contains("<td>2026-03-02 至 2026-03-08</td>"),
        "a weekly period"
    );
    let saved = audits(&app, "inspection.plan_update").await;
    assert_eq!(saved.len(), 1);
    let a = &saved[0];
    assert_eq!(
        (a.object_id.as_str(), a.actor_name.as_str()),
        (plan.id.as_str(), "demo_lead")
    );
    assert!(
        a.before.contains("南京门户网站巡查（网站内容巡查，每月"),
        "{}",
        a.before
    );
    assert!(
        a.after.contains("南京门户网站每周巡查（网站内容巡查，每周"),
        "{}",
        a.after
    );
    assert!(a.after.contains("配置项 APP-PORTAL") && a.after.contains("错别字检查"));

    // A bad value: shown in Chinese, the typed values kept, nothing saved.
    let html = lead.get(&edit_url).await.text();
    let current = input_value(&html, "expected_updated_at");
    assert_ne!(current, seen, "the form carries the new version");
    let bad = fields("南京门户网站巡查（改）", "hourly", &current, "true");
    let r = lead.post(&edit_url, &pairs(&bad)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    let html = r.text();
    assert!(error_banner(&html).contains("周期无效"), "{html}");
    assert_eq!(input_value(&html, "name"), "南京门户网站巡查（改）");
    assert_eq!(input_value(&html, "ci_id"), "APP-PORTAL");
    assert!(html.contains("错别字检查</textarea>"));
    assert_eq!(input_value(&html, "expected_updated_at"), current);
    let mut empty = fields("南京门户网站巡查（改）", "weekly", &current, "true");
    empty[6].1 = " \r\n ".into();
    let r = lead.post(&edit_url, &pairs(&empty)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(error_banner(&r.text()).contains("检查表至少需要一项检查内容"));
    assert_eq!(input_value(&r.text(), "name"), "南京门户网站巡查（改）");
    assert_eq!(audits(&app, "inspection.plan_update").await.len(), 1);

    // A stale form: someone saved after it was read.
    inspections::update_plan(
        p,
        &ctx(),
        &lead_pr,
        &plan.id,
        &PlanUpdate {
            name: Some("他人修改的名称".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let stale = fields("我的修改", "weekly", &current, "true");
    let r = lead.post(&edit_url, &pairs(&stale)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    let html = r.text();
    assert!(error_banner(&html).contains("该计划已被他人修改，请刷新后重试"));
    assert_eq!(input_value(&html, "name"), "我的修改", "typed value kept");
    let d = inspections::get_plan(p, &lead_pr, &plan.id).await.unwrap();
    assert_eq!(d.plan.name, "他人修改的名称", "not overwritten");
    assert_eq!(audits(&app, "inspection.plan_update").await.len(), 2);

    // The active flag: an unticked box deactivates the plan.
    let html = lead.get(&edit_url).await.text();
    let current = input_value(&html, "expected_updated_at");
    let unchanged = fields("他人修改的名称", "weekly", &current, "true");
    let r = lead.post(&edit_url, &pairs(&unchanged)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(
        r.header("location").unwrap(),
        format!("{plan_url}?msg=unchanged")
    );
    assert_eq!(audits(&app, "inspection.plan_update").await.len(), 2);
    let off = fields("他人修改的名称", "weekly", &current, "");
    let r = lead.post(&edit_url, &pairs(&off)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(audits(&app, "inspection.plan_deactivate").await.len(), 1);
    let html = lead.get(&plan_url).await.text();
    assert!(html.contains("<span class=\"badge badge-closed\">已停用</span>"));
    let html = lead.get(&edit_url).await.text();
    assert!(html.contains("name=\"active\" value=\"true\">"), "unticked");

    // Business staff of the city read the plan but may not edit it.
    let staff = Browser::login(&app, "demo_staff").await;
    let r = staff.get(&plan_url).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(!r.text().contains("修改计划"));
    let r = staff.get(&edit_url).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text().contains("无权修改该计划"), "{}", r.text());
    assert!(!r.text().contains("id=\"edit-plan\""));
    let html = lead.get(&edit_url).await.text();
    let current = input_value(&html, "expected_updated_at");
    let theirs = fields("越权修改", "weekly", &current, "true");
    let r = staff.post(&edit_url, &pairs(&theirs)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text().contains("无权修改该计划"));
    // The three administrators are refused before anything.
    let admin = Browser::login(&app, "sysadmin").await;
    assert_eq!(admin.get(&edit_url).await.status, StatusCode::FORBIDDEN);
    let d = inspections::get_plan(p, &lead_pr, &plan.id).await.unwrap();
    assert_eq!(d.plan.name, "他人修改的名称");
    app.cleanup().await;
}

#[tokio::test]
async fn demo_seeds_an_overdue_patrol_records_an_incident_and_maintenance() {
    let app = TestApp::new().await;
    let p = &app.platform;
    assert_eq!(yunwei_core::demo::seed_controls(p).await.unwrap(), 3);
    assert_eq!(
        yunwei_core::demo::seed_controls(p).await.unwrap(),
        0,
        "seeded once"
    );
    let lead = principal(&app, "demo_lead").await;
    let o = controls::overview(p, &lead, &OverviewFilter::default())
        .await
        .unwrap();
    // The website patrol started on 2026-01-01: January done, February
    // missed and overdue since 1 March, March open.
    let overdue: Vec<(&str, &str)> = o
        .overdue
        .iter()
        .map(|c| (c.title.as_str(), c.period_label.as_str()))
        .collect();
    assert_eq!(
        overdue,
        [("门户网站内容月度巡查", "2026-02-01 至 2026-02-28")]
    );
    let plans = inspections::list_plans(p, &lead, &Default::default())
        .await
        .unwrap();
    assert_eq!(plans.len(), 3);
    let weekly = plans
        .iter()
        .find(|pl| pl.name == "信息中心机房每周巡检")
        .unwrap();
    let d = inspections::get_plan(p, &lead, &weekly.id).await.unwrap();
    assert_eq!(d.records.len(), 4);
    assert_eq!(d.plan.overdue, 0);
    let with_incident: Vec<_> = d.records.iter().filter(|r| r.ticket_id.is_some()).collect();
    assert_eq!(with_incident.len(), 1);
    assert_eq!(with_incident[0].abnormal_count, 1);
    let yearly = plans.iter().find(|pl| pl.recurrence == "yearly").unwrap();
    assert_eq!(yearly.source, "EEDS-2.2.2.6");
    assert_eq!(yearly.next.as_ref().unwrap().due_date, "2026-12-31");
    let m = inspections::list_maintenance(p, &lead, &Default::default(), 1, 20)
        .await
        .unwrap();
    assert_eq!(m.total, 3);
    app.cleanup().await;
}

/// The rows of an exported workbook's first sheet as text: the title line
/// naming the exporter, the header, then the data rows.
pub(crate) fn xlsx_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    use calamine::{Reader, Xlsx};
    assert!(bytes.starts_with(b"PK"), "an xlsx (zip) file");
    let mut wb: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("an xlsx workbook");
    let range = wb
        .worksheet_range_at(0)
        .expect("a worksheet")
        .expect("a readable worksheet");
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

/// The data row (below the title line and the header) whose first cell
/// is `first`.
pub(crate) fn xlsx_row<'r>(rows: &'r [Vec<String>], first: &str) -> Option<&'r [String]> {
    rows.iter()
        .skip(2)
        .find(|r| r.first().map(String::as_str) == Some(first))
        .map(Vec::as_slice)
}

#[tokio::test]
async fn plan_export_needs_a_reason_keeps_to_the_callers_scope_and_is_audited() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let staff = Browser::login(&app, "demo_staff").await;
    let token = staff.cookie.trim_start_matches("yw_session=").to_string();
    let nanjing = org_id(&app, "南京市财政局").await;
    let suzhou = org_id(&app, "苏州市财政局").await;
    for (name, org) in [
        ("南京门户网站巡查", &nanjing),
        ("苏州门户网站巡查", &suzhou),
    ] {
        let r = app
            .post_json(
                "/api/v1/inspection-plans",
                Some(&lead),
                json!({
                    "name": name,
                    "kind": "patrol",
                    "recurrence": "monthly",
                    "checklist": ["栏目更新", "错别字", "外链"],
                    "org_id": org,
                    "first_date": "2026-01-05",
                }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    let listed = app
        .get("/api/v1/inspection-plans", Some(&token))
        .await
        .json();
    assert_eq!(listed["plans"].as_array().unwrap().len(), 1, "{listed}");
    let next_due = listed["plans"][0]["next"]["due_date"]
        .as_str()
        .unwrap()
        .to_string();

    // The API: refused without a reason (and not taken for a plan's id).
    for q in ["", "?reason=", "?reason=%20%20"] {
        let r = app
            .get(
                &format!("/api/v1/inspection-plans/export.xlsx{q}"),
                Some(&token),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}: {}", r.text());
        assert_eq!(r.json()["code"], "audit.reason_required");
        assert_eq!(r.json()["message"], "请填写操作原因");
    }
    assert!(audits(&app, "inspection.export").await.is_empty());
    let r = app
        .get(
            &format!(
                "/api/v1/inspection-plans/export.xlsx?reason={}",
                urlenc("季度巡查核对")
            ),
            Some(&token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.header("content-type").unwrap().contains("spreadsheetml"));
    let rows = xlsx_rows(&r.body);
    assert!(rows[0][0].contains("导出人：孙晓梅"), "{:?}", rows[0]);
    assert_eq!(
        rows[1],
        [
            "计划名称",
            "类型",
            "周期",
            "机构",
            "依据",
            "起始日期",
            "状态",
            "检查项数",
            "逾期周期数",
            "最近截止日期"
        ]
    );
    assert_eq!(
        xlsx_row(&rows, "南京门户网站巡查").expect("Nanjing's plan"),
        [
            "南京门户网站巡查",
            "网站内容巡查",
            "每月",
            "南京市财政局",
            "EEDS-1.4.1",
            "2026-01-05",
            "启用",
            "3",
            "2",
            next_due.as_str(),
        ]
    );
    assert!(
        xlsx_row(&rows, "苏州门户网站巡查").is_none(),
        "Suzhou is outside demo_staff's scope"
    );
    assert_eq!(rows.len(), 3, "{rows:?}");
    // The filters are those of the list.
    let r = app
        .get(
            &format!(
                "/api/v1/inspection-plans/export.xlsx?kind=inspection&reason={}",
                urlenc("核对")
            ),
            Some(&lead),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(xlsx_rows(&r.body).len(), 2, "no inspection plans");
    let r = app
        .get(
            &format!(
                "/api/v1/inspection-plans/export.xlsx?org_id={suzhou}&active=true&reason={}",
                urlenc("核对")
            ),
            Some(&lead),
        )
        .await;
    let rows = xlsx_rows(&r.body);
    assert!(xlsx_row(&rows, "苏州门户网站巡查").is_some());
    assert!(xlsx_row(&rows, "南京门户网站巡查").is_none());
    let r = app
        .get(
            &format!(
                "/api/v1/inspection-plans/export.xlsx?org_id={suzhou}&reason={}",
                urlenc("核对")
            ),
            Some(&token),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "an organisation out of scope"
    );
    let recs = audits(&app, "inspection.export").await;
    assert_eq!(recs.len(), 3, "{recs:?}");
    let mine: Vec<&AuditRecord> = recs
        .iter()
        .filter(|a| a.actor_name == "demo_staff")
        .collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].reason, "季度巡查核对");
    assert_eq!(mine[0].result, "success");
    assert!(mine[0].after.contains("导出 1 个"), "{}", mine[0].after);

    // The page: the form carries the filters; no reason, the list again
    // with the Chinese error; then the file.
    let html = staff
        .get("/inspections?kind=patrol&active=true")
        .await
        .text();
    let at = html.find("id=\"export-plans\"").expect("export form");
    let export_form = &html[at..at + html[at..].find("</form>").unwrap()];
    for needle in [
        &format!("name=\"csrf\" value=\"{}\"", staff.csrf) as &str,
        "name=\"kind\" value=\"patrol\"",
        "name=\"active\" value=\"true\"",
        "name=\"reason\"",
    ] {
        assert!(export_form.contains(needle), "{needle}: {export_form}");
    }
    assert!(html.contains("action=\"/inspections/export\""));
    let r = staff
        .post(
            "/inspections/export",
            &[("reason", " "), ("kind", "patrol"), ("active", "true")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let html = r.text();
    assert_eq!(error_banner(&html), "请填写操作原因");
    assert!(html.contains("id=\"plan-list\""), "the list again");
    assert!(html.contains("南京门户网站巡查"));
    let r = staff
        .post_raw(
            "/inspections/export",
            format!("csrf=forged&reason={}", urlenc("核对")),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(audits(&app, "inspection.export").await.len(), 3);
    let r = staff
        .post(
            "/inspections/export",
            &[("reason", "页面导出"), ("kind", "patrol"), ("active", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.header("content-type").unwrap().contains("spreadsheetml"));
    let rows = xlsx_rows(&r.body);
    assert!(xlsx_row(&rows, "南京门户网站巡查").is_some());
    assert!(xlsx_row(&rows, "苏州门户网站巡查").is_none());
    let r = staff
        .post(
            "/inspections/export",
            &[("reason", "页面导出"), ("active", "false")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(xlsx_rows(&r.body).len(), 2, "no deactivated plans");
    let page: Vec<AuditRecord> = audits(&app, "inspection.export")
        .await
        .into_iter()
        .filter(|a| a.reason == "页面导出")
        .collect();
    assert_eq!(page.len(), 2);
    assert!(page.iter().all(|a| a.actor_name == "demo_staff"));
    app.cleanup().await;
}

#[tokio::test]
async fn maintenance_export_needs_a_reason_keeps_to_the_callers_scope_and_is_audited() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let hw = app.login("demo_hwops").await;
    let staff = Browser::login(&app, "demo_staff").await;
    let token = staff.cookie.trim_start_matches("yw_session=").to_string();
    let nanjing = org_id(&app, "南京市财政局").await;
    let room = org_id(&app, "硬件运维科").await;
    for (t, org, kind, description, at) in [
        (
            &lead,
            &nanjing,
            "fault",
            "南京前置机磁盘故障处理",
            "2026-03-01T09:15",
        ),
        (&hw, &room, "routine", "机房UPS月度维护", "2026-03-01T10:00"),
    ] {
        let r = app
            .post_json(
                "/api/v1/maintenance-records",
                Some(t),
                json!({
                    "kind": kind,
                    "org_id": org,
                    "description": description,
                    "result": "已处理",
                    "performed_at": at,
                    "ci_id": "SRV-NJ-01",
                }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }

    // The API: refused without a reason (and not taken for anything else).
    for q in ["", "?reason=", "?kind=fault&reason=%20"] {
        let r = app
            .get(
                &format!("/api/v1/maintenance-records/export.xlsx{q}"),
                Some(&token),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}: {}", r.text());
        assert_eq!(r.json()["code"], "audit.reason_required");
        assert_eq!(r.json()["message"], "请填写操作原因");
    }
    assert!(audits(&app, "maintenance.export").await.is_empty());
    let r = app
        .get(
            &format!(
                "/api/v1/maintenance-records/export.xlsx?reason={}",
                urlenc("维护记录抽查")
            ),
            Some(&token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.header("content-type").unwrap().contains("spreadsheetml"));
    let rows = xlsx_rows(&r.body);
    assert!(rows[0][0].contains("导出人：孙晓梅"), "{:?}", rows[0]);
    assert_eq!(
        rows[1],
        [
            "维护时间",
            "维护类型",
            "机构",
            "维护内容",
            "维护结果",
            "维护人",
            "配置项",
            "关联工单"
        ]
    );
    assert_eq!(
        rows[2],
        [
            "2026-03-01 09:15:00",
            "故障处理",
            "南京市财政局",
            "南京前置机磁盘故障处理",
            "已处理",
            "陈思远",
            "SRV-NJ-01",
            "",
        ]
    );
    assert_eq!(
        rows.len(),
        3,
        "the machine room is outside demo_staff's scope: {rows:?}"
    );
    // The filters are those of the list, over every page.
    let r = app
        .get(
            &format!(
                "/api/v1/maintenance-records/export.xlsx?per_page=1&reason={}",
                urlenc("核对")
            ),
            Some(&hw),
        )
        .await;
    let rows = xlsx_rows(&r.body);
    let found: Vec<&str> = rows[2..].iter().map(|r| r[3].as_str()).collect();
    assert_eq!(found, ["机房UPS月度维护", "南京前置机磁盘故障处理"]);
    let r = app
        .get(
            &format!(
                "/api/v1/maintenance-records/export.xlsx?kind=routine&reason={}",
                urlenc("核对")
            ),
            Some(&hw),
        )
        .await;
    let rows = xlsx_rows(&r.body);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[2][3], "机房UPS月度维护");
    let recs = audits(&app, "maintenance.export").await;
    assert_eq!(recs.len(), 3, "{recs:?}");
    let mine: Vec<&AuditRecord> = recs
        .iter()
        .filter(|a| a.actor_name == "demo_staff")
        .collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].reason, "维护记录抽查");
    assert!(mine[0].after.contains("导出 1 条"), "{}", mine[0].after);

    // The page: the form carries the filters; no reason, the list again
    // with the Chinese error; then the file.
    let html = staff.get("/maintenance?kind=fault").await.text();
    let at = html.find("id=\"export-maintenance\"").expect("export form");
    let export_form = &html[at..at + html[at..].find("</form>").unwrap()];
    for needle in [
        &format!("name=\"csrf\" value=\"{}\"", staff.csrf) as &str,
        "name=\"kind\" value=\"fault\"",
        "name=\"reason\"",
    ] {
        assert!(export_form.contains(needle), "{needle}: {export_form}");
    }
    assert!(html.contains("action=\"/maintenance/export\""));
    let r = staff
        .post("/maintenance/export", &[("reason", ""), ("kind", "fault")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let html = r.text();
    assert_eq!(error_banner(&html), "请填写操作原因");
    assert!(html.contains("id=\"maintenance-list\""), "the list again");
    assert!(html.contains("南京前置机磁盘故障处理"));
    let r = staff
        .post_raw(
            "/maintenance/export",
            format!("csrf=forged&reason={}", urlenc("核对")),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(audits(&app, "maintenance.export").await.len(), 3);
    let r = staff
        .post(
            "/maintenance/export",
            &[("reason", "页面导出"), ("kind", "fault")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.header("content-type").unwrap().contains("spreadsheetml"));
    let rows = xlsx_rows(&r.body);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[2][3], "南京前置机磁盘故障处理");
    let r = staff
        .post(
            "/maintenance/export",
            &[("reason", "页面导出"), ("kind", "routine")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        xlsx_rows(&r.body).len(),
        2,
        "the routine work is out of scope"
    );
    let page: Vec<AuditRecord> = audits(&app, "maintenance.export")
        .await
        .into_iter()
        .filter(|a| a.reason == "页面导出")
        .collect();
    assert_eq!(page.len(), 2);
    assert!(page.iter().all(|a| a.actor_name == "demo_staff"));
    // The new routes are documented.
    let doc = app.get("/api/v1/openapi.json", None).await.json();
    for path in [
        "/api/v1/inspection-plans/export.xlsx",
        "/api/v1/maintenance-records/export.xlsx",
    ] {
        assert!(doc["paths"][path].get("get").is_some(), "{path} in OpenAPI");
    }
    app.cleanup().await;
}
