//! Special access requests and temporary grants that really expire
//! (JSCZ-8, JSCZ-47, JSCZ-49; ADR 0007), through the API on the shipped
//! JSCZ pack, with the job run on a fixed clock.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};
use yunwei_testkit::{TestApp, TestResponse};

fn code(r: &TestResponse) -> String {
    r.json()["code"].as_str().unwrap_or_default().to_string()
}

/// `h:mm` Beijing time on a day, as UTC.
fn beijing(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

async fn act(
    app: &TestApp,
    token: &str,
    id: &str,
    transition: &str,
    fields: Value,
) -> TestResponse {
    app.post_json(
        &format!("/api/v1/tickets/{id}/transitions"),
        Some(token),
        json!({"transition": transition, "fields": fields}),
    )
    .await
}

async fn vote(app: &TestApp, token: &str, id: &str, approve: bool) -> TestResponse {
    app.post_json(
        &format!("/api/v1/tickets/{id}/votes"),
        Some(token),
        json!({"approval": "four_party_review", "approve": approve, "comment": "审核意见"}),
    )
    .await
}

async fn attach(app: &TestApp, token: &str, id: &str, kind: &str) -> TestResponse {
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!(
            "/api/v1/tickets/{id}/attachments?kind={kind}&filename={kind}.pdf"
        ))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from("业务用户本人签字的授权书"))
        .unwrap();
    app.request(req).await
}

/// Opens and submits a special access request of `demo_vendor` for
/// `grantee`, valid 2 to 6 March 2026.
pub async fn request_access(app: &TestApp, grantee: &str, kind: &str) -> String {
    let vendor = app.login("demo_vendor").await;
    let r = app
        .post_json(
            "/api/v1/tickets",
            Some(&vendor),
            json!({"pack": "jscz", "process": "special_access", "title": "预算库性能排查临时访问",
                   "fields": {"system": "预算管理一体化系统 10.1.2.0/24:1521", "access_kind": kind,
                              "scope": "只读查询执行计划", "reason": "排查月末批处理超时",
                              "grantee": grantee, "valid_from": "2026-03-02", "valid_until": "2026-03-06"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let r = act(app, &vendor, &id, "submit", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["state"], "requested");
    id
}

/// Approves by all four reviewers and records the opening; returns the
/// temporary grant's id.
pub async fn grant_access(app: &TestApp, ticket: &str) -> String {
    for who in ["demo_budget", "demo_sysop", "demo_secop", "demo_netop"] {
        let t = app.login(who).await;
        let r = vote(app, &t, ticket, true).await;
        assert_eq!(r.status, StatusCode::OK, "{who}: {}", r.text());
    }
    let sysop = app.login("demo_sysop").await;
    let r = act(
        app,
        &sysop,
        ticket,
        "record_granted",
        json!({"grant_record": "堡垒机策略 BH-0302 已开通，账号 zhenghf"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["state"], "granted");
    grants_of_ticket(app, &sysop, ticket).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn grants_of_ticket(app: &TestApp, token: &str, ticket: &str) -> Vec<Value> {
    let r = app
        .get("/api/v1/registers/access_grants?per_page=200", Some(token))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let mut out = vec![];
    for e in r.json()["entries"].as_array().unwrap() {
        let id = e["id"].as_str().unwrap();
        let d = app
            .get(
                &format!("/api/v1/registers/access_grants/{id}"),
                Some(token),
            )
            .await
            .json();
        if field(&d, "ticket_id") == ticket {
            out.push(d["entry"].clone());
        }
    }
    out
}

async fn grant(app: &TestApp, token: &str, id: &str) -> Value {
    let r = app
        .get(
            &format!("/api/v1/registers/access_grants/{id}"),
            Some(token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

fn field(d: &Value, name: &str) -> String {
    d["entry"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .map(|f| f["value"].as_str().unwrap_or_default().to_string())
        .unwrap_or_default()
}

async fn run_job(app: &TestApp) {
    crate::support::run_jobs(&app.platform).await.unwrap();
}

#[tokio::test]
async fn jscz_8_access_request_approved_by_three_of_the_four_is_not_granted() {
    let app = TestApp::new().await;
    let ticket = request_access(&app, "demo_vendor", "bastion").await;
    let sysop = app.login("demo_sysop").await;
    for who in ["demo_budget", "demo_sysop", "demo_secop"] {
        let t = app.login(who).await;
        let r = vote(&app, &t, &ticket, true).await;
        assert_eq!(r.json()["state"], "requested", "{who}: {}", r.text());
    }
    // One vote per person: the system administrator cannot stand in for the
    // network administrator, nor can anyone else.
    let r = vote(&app, &sysop, &ticket, true).await;
    assert!(!r.status.is_success(), "{}", r.text());
    for who in ["demo_hwops", "demo_lead", "demo_vendor"] {
        let t = app.login(who).await;
        let r = vote(&app, &t, &ticket, true).await;
        assert!(!r.status.is_success(), "{who}: {}", r.text());
    }
    // Not granted: nothing can be opened and no grant exists.
    let r = act(
        &app,
        &sysop,
        &ticket,
        "record_granted",
        json!({"grant_record": "x"}),
    )
    .await;
    assert_eq!(code(&r), "policy.wrong_state", "{}", r.text());
    assert!(grants_of_ticket(&app, &sysop, &ticket).await.is_empty());
    // The fourth approval opens the way; only the system administrator
    // records the opening, which files the grant.
    let net = app.login("demo_netop").await;
    let r = vote(&app, &net, &ticket, true).await;
    assert_eq!(r.json()["state"], "approved", "{}", r.text());
    let hw = app.login("demo_hwops").await;
    let r = act(
        &app,
        &hw,
        &ticket,
        "record_granted",
        json!({"grant_record": "x"}),
    )
    .await;
    assert!(!r.status.is_success(), "{}", r.text());
    let r = act(
        &app,
        &sysop,
        &ticket,
        "record_granted",
        json!({"grant_record": "堡垒机策略已开通"}),
    )
    .await;
    assert_eq!(r.json()["state"], "granted", "{}", r.text());
    let grants = grants_of_ticket(&app, &sysop, &ticket).await;
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0]["status"], "active");
    // One refusal decides.
    let other = request_access(&app, "demo_vendor", "network").await;
    let budget = app.login("demo_budget").await;
    let r = vote(&app, &budget, &other, false).await;
    assert_eq!(r.json()["state"], "rejected", "{}", r.text());
    app.cleanup().await;
}

#[tokio::test]
async fn jscz_49_grant_expires_at_its_end_and_is_revoked_even_if_nobody_logs_in() {
    let app = TestApp::new().await;
    let ticket = request_access(&app, "demo_vendor", "bastion").await;
    let id = grant_access(&app, &ticket).await;
    let sysop = app.login("demo_sysop").await;
    let d = grant(&app, &sysop, &id).await;
    assert_eq!(field(&d, "grantee"), "demo_vendor");
    assert_eq!(field(&d, "responsible"), "demo_sysop");
    assert_eq!(field(&d, "valid_until"), "2026-03-06");
    // The vendor sees its grant but can neither revoke nor confirm it.
    let vendor = app.login("demo_vendor").await;
    assert_eq!(grant(&app, &vendor, &id).await["entry"]["status"], "active");
    // The last minute of the last day: still valid.
    app.clock.set(beijing(2026, 3, 6, 23, 59));
    run_job(&app).await;
    let sysop = app.login("demo_sysop").await;
    assert_eq!(grant(&app, &sysop, &id).await["entry"]["status"], "active");
    // Midnight: the job revokes it, nobody having logged in.
    app.clock.set(beijing(2026, 3, 7, 0, 0));
    run_job(&app).await;
    let mut c = app.platform.db().read().await.unwrap();
    let spec = yunwei_domain::register::spec("access_grants").unwrap();
    let e = yunwei_store::registers::get(&mut c, spec, &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.get("status").text(), Some("revoked"));
    assert_eq!(
        e.get("revoke_reason").text(),
        Some(yunwei_core::access::EXPIRED)
    );
    // Audited as the platform's own act.
    let recs = yunwei_store::audit::search(
        &mut c,
        &yunwei_store::Scope::system(),
        &yunwei_store::audit::AuditFilter {
            action: Some("register.step".into()),
            ..Default::default()
        },
        20,
    )
    .await
    .unwrap();
    assert!(
        recs.iter()
            .any(|r| r.object_id == id && r.actor_name == "system" && r.actor_id.is_none()),
        "{recs:?}"
    );
    // The responsible administrator is asked to confirm the removal by the
    // end of the next working day (Saturday 7 March -> Monday 9 March).
    let sysop_id = yunwei_store::users::by_username(&mut c, "demo_sysop")
        .await
        .unwrap()
        .unwrap()
        .id;
    let notices = yunwei_store::tickets::notifications_of(&mut c, &sysop_id, 20)
        .await
        .unwrap();
    assert!(
        notices
            .iter()
            .any(|n| n.kind == "grant_revoked" && n.body.contains("2026-03-09")),
        "{notices:?}"
    );
    let lead_id = yunwei_store::users::by_username(&mut c, "demo_lead")
        .await
        .unwrap()
        .unwrap()
        .id;
    drop(c);
    let sysop = app.login("demo_sysop").await;
    let d = grant(&app, &sysop, &id).await;
    let ctl = &d["controls"][0];
    assert_eq!(ctl["kind"], "grant_removal");
    assert_eq!(ctl["due_date"], "2026-03-09");
    // Running the job again changes nothing.
    run_job(&app).await;
    assert_eq!(
        grant(&app, &sysop, &id).await["controls"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Late: the due-date engine escalates to the project leads.
    app.clock.set(beijing(2026, 3, 10, 8, 0));
    run_job(&app).await;
    let mut c = app.platform.db().read().await.unwrap();
    let notices = yunwei_store::tickets::notifications_of(&mut c, &lead_id, 50)
        .await
        .unwrap();
    assert!(
        notices
            .iter()
            .any(|n| n.kind == "control_overdue" && n.title.contains("临时授权收回确认")),
        "{notices:?}"
    );
    drop(c);
    // The security administrator's access review lists it as not yet
    // confirmed removed.
    let sec = app.login("secadmin").await;
    let r = app
        .post_json(
            "/api/v1/registers/security_reviews/draft",
            Some(&sec),
            json!({"kind": "access_review", "period_start": "2026-03-01", "period_end": "2026-03-31"}),
        )
        .await;
    let checklist = r.json()["checklist"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        checklist.contains("目标系统临时授权") && checklist.contains("尚未确认在目标系统删除"),
        "{checklist}"
    );
    // The vendor cannot confirm; the administrator must say what was removed.
    let vendor = app.login("demo_vendor").await;
    let r = app
        .post_json(
            &format!("/api/v1/registers/access_grants/{id}/steps/confirm_removed"),
            Some(&vendor),
            json!({"note": "已删除"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let sysop = app.login("demo_sysop").await;
    let r = app
        .post_json(
            &format!("/api/v1/registers/access_grants/{id}/steps/confirm_removed"),
            Some(&sysop),
            json!({"note": ""}),
        )
        .await;
    assert_eq!(code(&r), "access.removal_note_required", "{}", r.text());
    let r = app
        .post_json(
            &format!("/api/v1/registers/access_grants/{id}/steps/confirm_removed"),
            Some(&sysop),
            json!({"note": "堡垒机策略 BH-0302 已删除"}),
        )
        .await;
    assert_eq!(r.json()["status"], "removed", "{}", r.text());
    let d = grant(&app, &sysop, &id).await;
    assert!(!d["controls"][0]["done_at"].is_null(), "{d}");
    assert_eq!(field(&d, "removal_note"), "堡垒机策略 BH-0302 已删除");
    app.cleanup().await;
}

#[tokio::test]
async fn jscz_49_business_account_needs_the_signed_written_authorisation() {
    let app = TestApp::new().await;
    let vendor = app.login("demo_vendor").await;
    let r = app
        .post_json(
            "/api/v1/tickets",
            Some(&vendor),
            json!({"pack": "jscz", "process": "special_access", "title": "借用业务账号核对数据",
                   "fields": {"system": "预算管理一体化系统", "access_kind": "business_account",
                              "scope": "以 wangfang 账号查询指标", "reason": "核对指标",
                              "grantee": "demo_vendor", "valid_from": "2026-03-02", "valid_until": "2026-03-03"}}),
        )
        .await;
    let id = r.json()["id"].as_str().unwrap().to_string();
    let r = act(&app, &vendor, &id, "submit", json!({})).await;
    assert_eq!(code(&r), "policy.missing_field", "{}", r.text());
    let r = act(
        &app,
        &vendor,
        &id,
        "submit",
        json!({"authoriser": "预算处 王芳（账号本人）"}),
    )
    .await;
    assert!(!r.status.is_success(), "{}", r.text());
    assert!(r.text().contains("JSCZ-49"), "{}", r.text());
    let r = attach(&app, &vendor, &id, "authorisation").await;
    assert!(r.status.is_success(), "{}", r.text());
    let r = act(
        &app,
        &vendor,
        &id,
        "submit",
        json!({"authoriser": "预算处 王芳（账号本人）"}),
    )
    .await;
    assert_eq!(r.json()["state"], "requested", "{}", r.text());
    let g = grant_access(&app, &id).await;
    let sysop = app.login("demo_sysop").await;
    let d = grant(&app, &sysop, &g).await;
    assert!(field(&d, "authorisation").contains("王芳"), "{d}");
    app.cleanup().await;
}

#[tokio::test]
async fn jscz_8_grant_names_one_person_of_the_vendor_and_cannot_be_handed_on() {
    let app = TestApp::new().await;
    let vendor = app.login("demo_vendor").await;
    let fields = |grantee: &str, until: &str| {
        json!({"pack": "jscz", "process": "special_access", "title": "临时访问",
               "fields": {"system": "预算管理一体化系统", "access_kind": "network", "scope": "1521 端口",
                          "reason": "排查", "grantee": grantee, "valid_from": "2026-03-02", "valid_until": until}})
    };
    // Someone of another organisation, an unknown person, a past end.
    for (grantee, until, expected) in [
        ("demo_staff", "2026-03-06", "access.grantee_other_org"),
        ("nobody", "2026-03-06", "access.grantee_unknown"),
        ("demo_vendor", "2026-03-01", "access.dates_reversed"),
    ] {
        let r = app
            .post_json("/api/v1/tickets", Some(&vendor), fields(grantee, until))
            .await;
        let id = r.json()["id"].as_str().unwrap().to_string();
        let r = act(&app, &vendor, &id, "submit", json!({})).await;
        assert_eq!(code(&r), expected, "{}", r.text());
    }
    let ticket = request_access(&app, "demo_vendor", "network").await;
    let id = grant_access(&app, &ticket).await;
    // Nobody amends a grant (to hand it on) or files one by hand.
    let sysop = app.login("demo_sysop").await;
    let d = grant(&app, &sysop, &id).await;
    let r = app
        .put_json(
            &format!("/api/v1/registers/access_grants/{id}"),
            Some(&sysop),
            json!({"version": d["entry"]["version"], "values": {"grantee": "demo_soft"}}),
        )
        .await;
    assert!(!r.status.is_success(), "{}", r.text());
    let r = app
        .post_json(
            "/api/v1/registers/access_grants",
            Some(&sysop),
            json!({"values": {"grantee": "demo_vendor"}}),
        )
        .await;
    assert_eq!(code(&r), "register.platform_filed", "{}", r.text());
    // Revoked early by hand: the same confirmation is asked for.
    let r = app
        .post_json(
            &format!("/api/v1/registers/access_grants/{id}/steps/revoke"),
            Some(&sysop),
            json!({"note": "排查提前完成"}),
        )
        .await;
    assert_eq!(r.json()["status"], "revoked", "{}", r.text());
    let d = grant(&app, &sysop, &id).await;
    assert_eq!(field(&d, "revoke_reason"), "排查提前完成");
    assert_eq!(d["controls"][0]["kind"], "grant_removal");
    app.cleanup().await;
}

/// JSCZ-47 / JSCZ-49: an account created for a named third party is a
/// temporary grant too, revoked at its end; closing it on request confirms
/// the removal.
#[tokio::test]
async fn jscz_47_account_for_a_third_party_is_a_grant_closed_on_request() {
    let app = TestApp::new().await;
    let staff = app.login("demo_budget").await;
    let lead = app.login("demo_lead").await;
    let sysop = app.login("demo_sysop").await;
    let open = |kind: &str| {
        json!({"pack": "jscz", "process": "account_request", "title": "驻场工程师账号",
               "fields": {"kind": kind, "system": "预算管理一体化系统", "person": "郑海峰（金陵数智）",
                          "grantee": "demo_vendor", "account": "zhenghf", "rights": "预算编制模块查询",
                          "valid_until": "2026-06-30"}})
    };
    let r = app
        .post_json("/api/v1/tickets", Some(&staff), open("create"))
        .await;
    let id = r.json()["id"].as_str().unwrap().to_string();
    let r = act(
        &app,
        &staff,
        &id,
        "request_account",
        json!({"least_privilege": "仅查询"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    vote_lead(&app, &lead, &id).await;
    let r = act(
        &app,
        &sysop,
        &id,
        "record_done",
        json!({"done_record": "已创建 zhenghf"}),
    )
    .await;
    assert_eq!(r.json()["state"], "done", "{}", r.text());
    let grants = grants_of_ticket(&app, &sysop, &id).await;
    assert_eq!(grants.len(), 1);
    let gid = grants[0]["id"].as_str().unwrap().to_string();
    assert_eq!(grants[0]["status"], "active");
    let r = app
        .post_json("/api/v1/tickets", Some(&staff), open("close"))
        .await;
    let close = r.json()["id"].as_str().unwrap().to_string();
    act(
        &app,
        &staff,
        &close,
        "request_closing",
        json!({"close_reason": "工作结束"}),
    )
    .await;
    vote_lead(&app, &lead, &close).await;
    let r = act(
        &app,
        &sysop,
        &close,
        "record_done",
        json!({"done_record": "已注销 zhenghf"}),
    )
    .await;
    assert_eq!(r.json()["state"], "done", "{}", r.text());
    let d = grant(&app, &sysop, &gid).await;
    assert_eq!(d["entry"]["status"], "removed", "{d}");
    assert_eq!(field(&d, "removal_note"), "已注销 zhenghf");
    app.cleanup().await;
}

async fn vote_lead(app: &TestApp, lead: &str, id: &str) {
    let r = app
        .post_json(
            &format!("/api/v1/tickets/{id}/votes"),
            Some(lead),
            json!({"approval": "lead_approval", "approve": true, "comment": "同意"}),
        )
        .await;
    assert_eq!(r.json()["state"], "approved", "{}", r.text());
}

/// `yunwei jobs run`: the job from the command line revokes a grant whose
/// end has passed (here by the real clock, the grant ended in March 2026);
/// a rehearsal time must be in the future and confirmed.
#[tokio::test]
async fn jscz_49_jobs_run_from_the_command_line_revokes_ended_grants() {
    use crate::cli::{run, Bin};
    let app = TestApp::new().await;
    let ticket = request_access(&app, "demo_vendor", "bastion").await;
    let id = grant_access(&app, &ticket).await;
    let bin = Bin::new();
    let url = app.db_url.clone();
    let args = |extra: &[&'static str]| -> Vec<String> {
        ["--database-url", url.as_str(), "jobs", "run"]
            .iter()
            .chain(extra)
            .map(|s| s.to_string())
            .collect()
    };
    let call =
        |v: &[String]| bin.cmd_with_keys(&app, &v.iter().map(String::as_str).collect::<Vec<_>>());
    for (extra, expected) in [
        (["--at", "2020-01-01 00:00"], "只能指定未来的时间"),
        (["--at", "2999-01-01 00:00"], "--yes"),
        (["--at", "明天"], "YYYY-MM-DD HH:MM"),
    ] {
        let out = run(&mut call(&args(&extra))).await;
        assert_eq!(out.code, Some(2), "{out}");
        assert!(out.stderr.contains(expected), "{out}");
    }
    let sysop = app.login("demo_sysop").await;
    assert_eq!(grant(&app, &sysop, &id).await["entry"]["status"], "active");
    let out = run(&mut call(&args(&[]))).await;
    assert_eq!(out.code, Some(0), "{out}");
    assert!(out.stdout.contains("后台作业已执行"), "{out}");
    assert_eq!(grant(&app, &sysop, &id).await["entry"]["status"], "revoked");
    app.cleanup().await;
}

/// One failing job does not stop the others: with the ticket timers' table
/// gone, the first job of the list fails, the grant is still revoked by a
/// later one, and `jobs run` names the failed job and exits 2 after running
/// the rest (the same `run_turn` as `serve`'s loop).
#[tokio::test]
async fn jobs_run_goes_on_after_a_failing_job_and_names_it() {
    use crate::cli::{run, Bin};
    let app = TestApp::new().await;
    let ticket = request_access(&app, "demo_vendor", "bastion").await;
    let id = grant_access(&app, &ticket).await;
    sqlx::query("ALTER TABLE ticket_timers RENAME TO ticket_timers_gone")
        .execute(app.platform.db().pool())
        .await
        .expect("rename table");
    let bin = Bin::new();
    let out =
        run(&mut bin.cmd_with_keys(&app, &["--database-url", &app.db_url, "jobs", "run"])).await;
    assert_eq!(out.code, Some(2), "{out}");
    assert!(
        out.stdout
            .contains("后台作业已执行：工单计时提醒 失败，到期事项通知 "),
        "{out}"
    );
    assert!(out.stdout.contains("清理未被引用的文件 0 个"), "{out}");
    assert!(out.stderr.contains("后台作业失败：ticket_timers"), "{out}");
    assert!(out.stderr.contains("1 个后台作业失败"), "{out}");
    let sysop = app.login("demo_sysop").await;
    assert_eq!(grant(&app, &sysop, &id).await["entry"]["status"], "revoked");
    sqlx::query("ALTER TABLE ticket_timers_gone RENAME TO ticket_timers")
        .execute(app.platform.db().pool())
        .await
        .expect("rename table back");
    let out =
        run(&mut bin.cmd_with_keys(&app, &["--database-url", &app.db_url, "jobs", "run"])).await;
    assert_eq!(out.code, Some(0), "{out}");
    assert!(out.stdout.contains("工单计时提醒 0 个"), "{out}");
    app.cleanup().await;
}

/// Who may do what along an access request and its grant, for every demo
/// actor: submit a request (a vendor, JSCZ-8), review it (the four
/// reviewers), record the opening (the system administrator), read the
/// grant (the centre, the business division, the vendor it names) and
/// revoke it early (the centre's register keepers).
#[tokio::test]
async fn jscz_8_access_request_permission_matrix() {
    let app = TestApp::new().await;
    // (actor, submits, reviews, records the opening, reads, revokes)
    let expected = [
        ("demo_director", false, false, false, true, true),
        ("demo_deputy", false, false, false, true, true),
        ("demo_lead", false, false, false, true, true),
        ("demo_hwops", false, false, false, true, true),
        ("demo_soft", false, false, false, true, true),
        ("demo_sysop", false, true, true, true, true),
        ("demo_secop", false, true, false, true, true),
        ("demo_netop", false, true, false, true, true),
        ("demo_budget", false, true, false, true, false),
        ("demo_staff", false, false, false, false, false),
        ("demo_unit", false, false, false, false, false),
        ("demo_vendor", true, false, false, true, false),
        ("demo_vendor_admin", false, false, false, false, false),
        ("nj_sysadmin", false, false, false, false, false),
        ("nj_secadmin", false, false, false, false, false),
        ("nj_audadmin", false, false, false, false, false),
    ];
    let ok = |r: &TestResponse| r.status.is_success();
    let mut failures = vec![];
    for (actor, submits, reviews, records, reads, revokes) in expected {
        let token = app.login(actor).await;
        let body = json!({"pack": "jscz", "process": "special_access", "title": "临时访问",
            "fields": {"system": "预算管理一体化系统", "access_kind": "network", "scope": "1521 端口",
                       "reason": "排查", "grantee": "demo_vendor", "valid_from": "2026-03-02", "valid_until": "2026-03-06"}});
        let r = app.post_json("/api/v1/tickets", Some(&token), body).await;
        let got_submit = ok(&r) && {
            let id = r.json()["id"].as_str().unwrap().to_string();
            ok(&act(&app, &token, &id, "submit", json!({})).await)
        };
        let ticket = request_access(&app, "demo_vendor", "network").await;
        let got_review = ok(&vote(&app, &token, &ticket, true).await);
        // The others approve; then the opening.
        for who in ["demo_budget", "demo_sysop", "demo_secop", "demo_netop"] {
            if who != actor || !got_review {
                let t = app.login(who).await;
                vote(&app, &t, &ticket, true).await;
            }
        }
        let got_record = ok(&act(
            &app,
            &token,
            &ticket,
            "record_granted",
            json!({"grant_record": "已开通"}),
        )
        .await);
        if !got_record {
            let sysop = app.login("demo_sysop").await;
            act(
                &app,
                &sysop,
                &ticket,
                "record_granted",
                json!({"grant_record": "已开通"}),
            )
            .await;
        }
        let sysop = app.login("demo_sysop").await;
        let gid = grants_of_ticket(&app, &sysop, &ticket).await[0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let token = app.login(actor).await;
        let got_read = ok(&app
            .get(
                &format!("/api/v1/registers/access_grants/{gid}"),
                Some(&token),
            )
            .await);
        let got_revoke = ok(&app
            .post_json(
                &format!("/api/v1/registers/access_grants/{gid}/steps/revoke"),
                Some(&token),
                json!({"note": "提前收回"}),
            )
            .await);
        let got = (got_submit, got_review, got_record, got_read, got_revoke);
        let want = (submits, reviews, records, reads, revokes);
        if got != want {
            failures.push(format!("{actor}: got {got:?}, want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    app.cleanup().await;
}

/// The other requests of issue 5 for every demo actor: who submits and
/// who approves a software installation (JSCZ-39), a data export (JSCZ-54)
/// and a third-party account (JSCZ-47), and who carries the account out.
/// Changed (issue 16): a data export for another division is approved by
/// the exporter's own division head (ADR 0020), no longer by the centre's
/// deputy director or project lead.
#[tokio::test]
async fn jscz_39_47_54_request_permission_matrix() {
    let app = TestApp::new().await;
    let actors = [
        "demo_director",
        "demo_deputy",
        "demo_lead",
        "demo_hwops",
        "demo_soft",
        "demo_sysop",
        "demo_secop",
        "demo_netop",
        "demo_budget",
        "demo_staff",
        "demo_unit",
        "demo_vendor",
        "demo_vendor_admin",
        "nj_sysadmin",
        "nj_secadmin",
        "nj_audadmin",
        "demo_division_head",
        "demo_finance_head",
    ];
    let yes = |who: &[&str], actor: &str| who.contains(&actor);
    // The server of the installation is an item of the CMDB (JSCZ-39).
    let lead = app.login("demo_lead").await;
    let center = crate::support::org_id(&app, "信息中心").await;
    let r = app
        .post_json(
            "/api/v1/cis",
            Some(&lead),
            json!({"code": "SRV-APP-01", "name": "应用服务器01", "category": "hardware", "org_id": center}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let install = json!({"server": "SRV-APP-01", "software": "Zabbix Agent 6.0", "licence": "GPLv2", "purpose": "监控"});
    let export = json!({"system": "预算管理一体化系统", "data_scope": "2026年预算", "purpose": "审计",
        "recipient_type": "other_division", "recipient": "国库处", "transfer": "encrypted_media"});
    let account = json!({"kind": "create", "system": "预算管理一体化系统", "person": "郑海峰", "account": "zhenghf",
        "rights": "查询", "least_privilege": "仅查询", "valid_until": "2026-12-31"});
    // (process, submitting transition, fields, opened and submitted by,
    // approval, approvers)
    let cases = [
        (
            "software_install",
            "submit",
            &install,
            "demo_vendor",
            "lead_approval",
            &["demo_lead"][..],
        ),
        (
            "data_export",
            "submit",
            &export,
            "demo_budget",
            "section_approval",
            &["demo_division_head"][..],
        ),
        (
            "account_request",
            "request_account",
            &account,
            "demo_budget",
            "lead_approval",
            &["demo_lead"][..],
        ),
    ];
    let submitters: [&[&str]; 3] = [
        &["demo_vendor"],
        &[
            "demo_director",
            "demo_deputy",
            "demo_lead",
            "demo_hwops",
            "demo_soft",
            "demo_sysop",
            "demo_secop",
            "demo_netop",
            "demo_budget",
            "demo_staff",
            "demo_unit",
            "demo_vendor",
            "demo_division_head",
            "demo_finance_head",
        ],
        &["demo_lead", "demo_budget", "demo_staff", "demo_unit"],
    ];
    let ok = |r: &TestResponse| r.status.is_success();
    let open = |token: String, process: &'static str, fields: Value| {
        let app = &app;
        async move {
            let r = app
                .post_json(
                    "/api/v1/tickets",
                    Some(&token),
                    json!({"pack": "jscz", "process": process, "title": "权限矩阵", "fields": fields}),
                )
                .await;
            ok(&r).then(|| r.json()["id"].as_str().unwrap().to_string())
        }
    };
    let mut failures = vec![];
    for ((process, submit, fields, owner, approval, approvers), may_submit) in
        cases.iter().zip(submitters)
    {
        for actor in actors {
            let token = app.login(actor).await;
            let got_submit = match open(token.clone(), process, (*fields).clone()).await {
                Some(id) => ok(&act(&app, &token, &id, submit, json!({})).await),
                None => false,
            };
            // A request of its usual owner, waiting for its approval.
            let owner_token = app.login(owner).await;
            let id = open(owner_token.clone(), process, (*fields).clone())
                .await
                .unwrap();
            let r = act(&app, &owner_token, &id, submit, json!({})).await;
            assert!(ok(&r), "{process}: {}", r.text());
            let r = app
                .post_json(
                    &format!("/api/v1/tickets/{id}/votes"),
                    Some(&token),
                    json!({"approval": approval, "approve": true, "comment": "同意"}),
                )
                .await;
            let got_approve = ok(&r);
            let want = (yes(may_submit, actor), yes(approvers, actor));
            if (got_submit, got_approve) != want {
                failures.push(format!(
                    "{process} {actor}: got {:?}, want {want:?}",
                    (got_submit, got_approve)
                ));
            }
        }
    }
    // Only the managed systems' operators carry an approved account out.
    for actor in actors {
        let budget = app.login("demo_budget").await;
        let id = open(budget.clone(), "account_request", account.clone())
            .await
            .unwrap();
        act(&app, &budget, &id, "request_account", json!({})).await;
        let lead = app.login("demo_lead").await;
        app.post_json(
            &format!("/api/v1/tickets/{id}/votes"),
            Some(&lead),
            json!({"approval": "lead_approval", "approve": true, "comment": "同意"}),
        )
        .await;
        let token = app.login(actor).await;
        let got = ok(&act(
            &app,
            &token,
            &id,
            "record_done",
            json!({"done_record": "已创建"}),
        )
        .await);
        let want = yes(&["demo_hwops", "demo_soft", "demo_sysop"], actor);
        if got != want {
            failures.push(format!(
                "account_request record_done {actor}: got {got}, want {want}"
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    app.cleanup().await;
}
