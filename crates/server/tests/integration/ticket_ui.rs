//! The ticket pages driven like a browser: session cookie, the CSRF token
//! read from the page, urlencoded and multipart forms. A major data change
//! (JSCZ-26, JSCZ-33, JSCZ-34) is opened, submitted, signed off and
//! commented through the forms; refusals come back on the page in Chinese.

use axum::http::StatusCode;
use serde_json::json;
use yunwei_testkit::{TestApp, TestResponse};

use crate::support::{encode, urlenc, Browser, FilePart};

/// The attachment form of a ticket.
async fn upload(
    b: &Browser<'_>,
    ticket: &str,
    kind: &str,
    filename: &str,
    content: &str,
) -> TestResponse {
    b.multipart(
        &format!("/tickets/{ticket}/attachments"),
        &[("kind", kind), ("kind_other", "")],
        FilePart {
            field: "file",
            filename,
            content_type: "text/plain",
            content: content.as_bytes(),
        },
    )
    .await
}

fn location(r: &TestResponse) -> String {
    r.header("location").unwrap_or_default().to_string()
}

/// A successful form post answers with a redirect back to the ticket.
fn redirected(r: &TestResponse, id: &str) {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert!(
        location(r).starts_with(&format!("/tickets/{id}?msg=")),
        "{}",
        location(r)
    );
}

/// The error banner of a page shown again after a refusal.
fn error_banner(html: &str) -> String {
    let at = html.find("id=\"error\"").expect("error banner");
    let rest = &html[at..];
    let start = rest.find('>').unwrap() + 1;
    rest[start..].split("</div>").next().unwrap().to_string()
}

async fn transition(b: &Browser<'_>, id: &str, t: &str, fields: &[(&str, &str)]) -> TestResponse {
    let mut pairs = vec![("transition", t)];
    pairs.extend_from_slice(fields);
    b.post(&format!("/tickets/{id}/transition"), &pairs).await
}

async fn open_through_form(staff: &Browser<'_>) -> String {
    let chooser = staff.get("/tickets/new").await;
    assert_eq!(chooser.status, StatusCode::OK);
    assert!(
        chooser.text().contains("process=change"),
        "{}",
        chooser.text()
    );
    let page = staff.get("/tickets/new?pack=jscz&process=change").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    for needle in [
        "name=\"f.level\"",
        "<option value=\"major\">重大变更</option>",
        "type=\"datetime-local\" name=\"f.planned_start\"",
        "<textarea id=\"new-description\" name=\"f.description\"",
        "type=\"checkbox\" id=\"new-needs_director\"",
        "代为登记（来电人用户名）",
        "name=\"org_id\"",
    ] {
        assert!(html.contains(needle), "{needle} missing from the form");
    }
    // A missing title comes back with the typed values kept.
    let fields = [
        ("pack", "jscz"),
        ("process", "change"),
        ("org_id", ""),
        ("on_behalf_of", ""),
        ("f.system", "预算管理一体化系统"),
        ("f.description", "指标文号录入错误，需要后台更正 3 条记录"),
        ("f.reason", "业务处室发文更正"),
        ("f.level", "major"),
        ("f.type", "data"),
        ("f.planned_start", "2026-03-05T09:00"),
        ("f.needs_director", "false"),
    ];
    let mut untitled = fields.to_vec();
    untitled.push(("title", " "));
    let r = staff.post("/tickets", &untitled).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(error_banner(&r.text()).contains("标题不能为空"));
    assert!(r.text().contains("value=\"2026-03-05T09:00\""));
    let mut titled = fields.to_vec();
    titled.push(("title", "更正南京市2026年指标文号"));
    let r = staff.post("/tickets", &titled).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let loc = location(&r);
    let id = loc
        .strip_prefix("/tickets/")
        .and_then(|s| s.strip_suffix("?msg=opened"))
        .unwrap_or_else(|| panic!("redirect to the ticket, got {loc}"))
        .to_string();
    id
}

#[tokio::test]
async fn jscz_26_major_data_change_runs_through_the_ticket_pages() {
    let app = TestApp::new().await;
    let staff = Browser::login(&app, "demo_staff").await;
    let lead = Browser::login(&app, "demo_lead").await;
    let deputy = Browser::login(&app, "demo_deputy").await;
    let director = Browser::login(&app, "demo_director").await;
    let vendor = Browser::login(&app, "demo_vendor").await;
    let id = open_through_form(&staff).await;

    // The list shows it, the number linking to the page.
    let list = staff.get("/tickets").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list
        .text()
        .contains(&format!("<a href=\"/tickets/{id}\">BG-20260302-")));

    // The page: route as steps, who acts next, the submission form.
    let page = staff.get(&format!("/tickets/{id}?msg=opened")).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("工单已登记"));
    assert!(html.contains("class=\"step-current\""));
    assert!(html.contains("class=\"step-todo\""));
    assert!(html.contains("下一步由谁办理"));
    assert!(html.contains("id=\"t-submit_data_change\""));
    assert!(html.contains("领导审签的申请：尚未上传"));
    assert!(
        html.contains("value=\"2026-03-05T09:00\""),
        "datetime pre-filled"
    );
    assert!(
        html.contains("<option value=\"data\" selected>"),
        "choice pre-filled"
    );
    assert!(
        !html.contains("id=\"t-accept_data_change\""),
        "not the staff's step"
    );

    // JSCZ-33: the signed request must be uploaded first; the refusal is shown.
    let r = transition(&staff, &id, "submit_data_change", &[("comment", "请审核")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let err = error_banner(&r.text());
    assert!(
        err.contains("需要先上传附件") && err.contains("JSCZ"),
        "{err}"
    );
    assert!(r.text().contains("id=\"t-submit_data_change\" open"));
    assert!(
        r.text().contains(">请审核</textarea>"),
        "the comment is kept"
    );

    let r = upload(
        &staff,
        &id,
        "signed_request",
        "审签件.txt",
        "分管厅领导审签件",
    )
    .await;
    redirected(&r, &id);
    let html = staff.get(&format!("/tickets/{id}")).await.text();
    assert!(html.contains("领导审签的申请：已上传"));
    let at = html.find("/tickets/attachments/").expect("download link");
    let href = html[at..].split('"').next().unwrap().to_string();
    let file = staff.get(&href).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.text(), "分管厅领导审签件");
    assert!(file
        .header("content-disposition")
        .unwrap()
        .starts_with("attachment"));
    // Another city's staff cannot download it.
    let unit = Browser::login(&app, "demo_unit").await;
    assert_eq!(unit.get(&href).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        unit.get(&format!("/tickets/{id}")).await.status,
        StatusCode::NOT_FOUND
    );

    let r = transition(&staff, &id, "submit_data_change", &[]).await;
    redirected(&r, &id);
    let html = staff
        .get(&format!("/tickets/{id}?msg=transition"))
        .await
        .text();
    assert!(html.contains("已提交，待项目负责人受理"));
    assert!(html.contains("已办理"));

    // A transition that is not the staff's, posted by hand, is refused.
    let r = transition(&staff, &id, "accept_data_change", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let err = error_banner(&r.text());
    assert!(err.contains("只能由") && err.contains("JSCZ-26"), "{err}");
    assert!(
        r.text().contains("id=\"ticket-head\""),
        "the ticket page again"
    );
    // A forged form (wrong CSRF token) is refused outright.
    let forged = encode(&[("csrf", "forged"), ("transition", "accept_data_change")]);
    let r = lead
        .post_raw(&format!("/tickets/{id}/transition"), forged)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // JSCZ-26 (2): the centre accepts and plans; a missing field is named.
    let html = lead.get(&format!("/tickets/{id}")).await.text();
    assert!(html.contains("id=\"t-accept_data_change\""));
    redirected(
        &transition(&lead, &id, "accept_data_change", &[]).await,
        &id,
    );
    let r = transition(
        &lead,
        &id,
        "submit_data_plan",
        &[("f.plan", "执行更正脚本"), ("f.rollback_plan", "")],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(error_banner(&r.text()).contains("回退方案"));
    assert!(
        r.text().contains(">执行更正脚本</textarea>"),
        "typed plan kept"
    );
    redirected(
        &transition(
            &lead,
            &id,
            "submit_data_plan",
            &[
                ("f.plan", "执行更正脚本"),
                ("f.rollback_plan", "按备份恢复"),
            ],
        )
        .await,
        &id,
    );

    // Sequential sign-off: the deputy first, then the director.
    let html = deputy.get(&format!("/tickets/{id}")).await.text();
    assert!(html.contains("id=\"approval\"") && html.contains("id=\"vote-form\""));
    assert!(html.contains("中心分管主任：待审批"));
    let html = director.get(&format!("/tickets/{id}")).await.text();
    assert!(html.contains("id=\"approval\"") && !html.contains("id=\"vote-form\""));
    let vote = |decision: &'static str, comment: &'static str| {
        vec![
            ("approval", "data_signoff"),
            ("decision", decision),
            ("comment", comment),
        ]
    };
    let r = deputy
        .post(&format!("/tickets/{id}/vote"), &vote("reject", ""))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(error_banner(&r.text()).contains("驳回须填写意见"));
    let r = director
        .post(&format!("/tickets/{id}/vote"), &vote("approve", "同意"))
        .await;
    assert!(r.status.is_client_error(), "not the director's turn yet");
    redirected(
        &deputy
            .post(&format!("/tickets/{id}/vote"), &vote("approve", "同意实施"))
            .await,
        &id,
    );
    redirected(
        &director
            .post(&format!("/tickets/{id}/vote"), &vote("approve", "同意"))
            .await,
        &id,
    );
    let html = lead.get(&format!("/tickets/{id}")).await.text();
    assert!(html.contains("已批准，待发布实施方案"), "approved");

    // JSCZ-26 (4): published and assigned to the vendor, who must back up first.
    redirected(
        &transition(
            &lead,
            &id,
            "publish_plan",
            &[("f.plan", "执行更正脚本"), ("assignee", "demo_vendor")],
        )
        .await,
        &id,
    );
    let html = vendor.get(&format!("/tickets/{id}")).await.text();
    assert!(html.contains("郑海峰"), "assignee shown");
    assert!(html.contains("备份文件：尚未上传"));
    let r = transition(&vendor, &id, "start_data_change", &[]).await;
    assert!(error_banner(&r.text()).contains("JSCZ-34"));
    redirected(
        &upload(&vendor, &id, "backup", "backup.sha", "备份文件校验值").await,
        &id,
    );
    // NTCZ-3.4.1: a major change starts only with its go-live emergency
    // plan, filed from the ticket page.
    let r = transition(&vendor, &id, "start_data_change", &[]).await;
    assert!(error_banner(&r.text()).contains("NTCZ-3.4.1"));
    let html = vendor.get(&format!("/tickets/{id}")).await.text();
    assert!(html.contains("尚未登记上线应急方案"));
    let number = html
        .split("/registers/golive_plans/new?ticket_id=")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let form = vendor
        .get(&format!("/registers/golive_plans/new?ticket_id={number}"))
        .await
        .text();
    assert!(form.contains(&format!("value=\"{number}\"")));
    let filed = vendor
        .post(
            "/registers/golive_plans/new",
            &[
                ("ticket_id", number.as_str()),
                ("title", "指标文号更正应急方案"),
                ("scope", "预算指标数据"),
                ("risks", "误改其他记录"),
                ("pass_criteria", "3 条记录更正且总数不变"),
                ("fail_criteria", "影响行数不为 3 即回退"),
                ("method", "按备份恢复"),
                ("follow_up", "问题记入工单"),
            ],
        )
        .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.text());
    redirected(
        &transition(&vendor, &id, "start_data_change", &[]).await,
        &id,
    );

    // Comments and the timeline.
    redirected(
        &staff
            .post(
                &format!("/tickets/{id}/comment"),
                &[("body", "请于周四上午实施")],
            )
            .await,
        &id,
    );
    let r = staff
        .post(&format!("/tickets/{id}/comment"), &[("body", "  ")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let html = staff.get(&format!("/tickets/{id}")).await.text();
    let at = html.find("id=\"timeline\"").unwrap();
    let timeline = &html[at..];
    for needle in [
        "登记变更",
        "提交数据变更申请（JSCZ-33）",
        "上传附件（领导审签的申请）",
        "分管主任及中心主任审批调整方案：中心分管主任同意",
        "同意实施",
        "开始实施（已完成数据备份）（JSCZ-34）",
        "请于周四上午实施",
        "孙晓梅",
        "徐立明",
    ] {
        assert!(
            timeline.contains(needle),
            "{needle} missing from the timeline"
        );
    }
    assert!(html.contains("实施中"));

    // The requester was told of the steps others took; messages are marked read.
    let inbox = staff.get("/inbox").await;
    assert_eq!(inbox.status, StatusCode::OK);
    let html = inbox.text();
    assert!(html.contains("受理数据变更"), "{html}");
    assert!(html.contains("class=\"unread\""));
    let notes = &html[html.find("id=\"notes\"").unwrap()..];
    let at = notes.find("action=\"/inbox/").unwrap() + "action=\"".len();
    let mark = notes[at..].split('"').next().unwrap().to_string();
    assert!(mark.ends_with("/read"), "{mark}");
    let r = staff.post(&mark, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = staff.post("/inbox/read-all", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text().contains("class=\"unread\""));
    let home = staff.get("/").await.text();
    assert!(home.contains("id=\"unread-count\"><span class=\"tile-n\">0</span>"));

    // Every action through the pages is in the audit trail.
    let aud = app.login("audadmin").await;
    let trail = app
        .get(
            &format!("/api/v1/audit?object_id={id}&limit=100"),
            Some(&aud),
        )
        .await
        .json();
    let actions: Vec<&str> = trail["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    for a in [
        "ticket.open",
        "ticket.transition",
        "ticket.vote",
        "ticket.attach",
        "ticket.comment",
    ] {
        assert!(actions.contains(&a), "{a} not audited: {actions:?}");
    }
    app.cleanup().await;
}

async fn open_by_api(app: &TestApp, token: &str) -> String {
    let r = app
        .post_json(
            "/api/v1/tickets",
            Some(token),
            json!({
                "pack": "jscz",
                "process": "change",
                "title": "更正南京市2026年指标文号",
                "fields": {
                    "system": "预算管理一体化系统",
                    "description": "指标文号录入错误",
                    "level": "major",
                    "type": "data",
                    "planned_start": "2026-03-05T09:00:00+08:00"
                }
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn ticket_list_filters_pages_and_exports_with_a_reason() {
    let app = TestApp::new().await;
    let staff_token = app.login("demo_staff").await;
    let id = open_by_api(&app, &staff_token).await;
    let lead = Browser::login(&app, "demo_lead").await;
    let html = lead
        .get("/tickets?process=change&state=draft&open=true")
        .await
        .text();
    assert!(html.contains(&format!("href=\"/tickets/{id}\"")));
    assert!(html.contains("共 1 张工单"));
    assert!(html.contains("<option value=\"change:draft\" selected>"));
    for q in [
        "process=incident",
        "mine=requested",
        "mine=assigned",
        "overdue=true",
        "assignee=demo_vendor",
        "level=normal",
    ] {
        let html = lead.get(&format!("/tickets?{q}")).await.text();
        assert!(html.contains("没有符合条件的工单"), "{q}");
    }
    // Paging keeps the filters.
    let html = lead.get("/tickets?process=change&page=2").await.text();
    assert!(html.contains("第 2/1 页") || html.contains("上一页"));
    assert!(html.contains("/tickets?process=change&#38;page=1"));

    // The export needs a reason; with one it is an .xlsx.
    let filters = [("process", "change"), ("state", ""), ("open", "")];
    let mut no_reason = filters.to_vec();
    no_reason.push(("reason", " "));
    let r = lead.post("/tickets/export", &no_reason).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(error_banner(&r.text()).contains("请填写操作原因"));
    assert!(r.text().contains("id=\"ticket-list\""), "the list again");
    let mut with_reason = filters.to_vec();
    with_reason.push(("reason", "月度运维报告"));
    let r = lead.post("/tickets/export", &with_reason).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.starts_with(b"PK"));
    assert!(r.header("content-type").unwrap().contains("spreadsheetml"));

    // Search finds it by words of its fields and links to it.
    let html = lead
        .get(&format!("/search?q={}", urlenc("指标文号")))
        .await
        .text();
    assert!(html.contains(&format!("href=\"/tickets/{id}\"")), "{html}");
    let r = lead.get(&format!("/search?q={}", urlenc("！！"))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(error_banner(&r.text()).contains("请输入搜索关键词"));

    // The requester's to-do list offers the submission.
    let staff = Browser::login(&app, "demo_staff").await;
    let html = staff.get("/todo").await.text();
    assert!(html.contains(&format!("href=\"/tickets/{id}\"")));
    assert!(html.contains("提交数据变更申请"));
    let home = staff.get("/").await.text();
    assert!(home.contains("id=\"todo-count\"><span class=\"tile-n\">1</span>"));
    app.cleanup().await;
}

#[tokio::test]
async fn ticket_pages_render_for_demo_users_and_refuse_the_three_admins() {
    let app = TestApp::new().await;
    let staff_token = app.login("demo_staff").await;
    let id = open_by_api(&app, &staff_token).await;
    for user in [
        "demo_director",
        "demo_deputy",
        "demo_lead",
        "demo_hwops",
        "demo_soft",
        "demo_staff",
        "demo_unit",
        "demo_vendor",
    ] {
        let b = Browser::login(&app, user).await;
        let home = b.get("/").await.text();
        for (href, label) in [
            ("/todo", "我的待办"),
            ("/tickets", "工单"),
            ("/search", "搜索"),
            ("/inbox", "消息"),
        ] {
            assert!(
                home.contains(&format!("<a href=\"{href}\">{label}</a>")),
                "{user}: nav {label}"
            );
        }
        assert!(home.contains("id=\"todo-count\""), "{user}");
        for path in [
            "/tickets",
            "/tickets/new",
            "/tickets/new?pack=jscz&process=change",
            "/tickets/new?pack=jscz&process=incident",
            "/todo",
            "/inbox",
            "/search",
            "/search?q=%E6%8C%87%E6%A0%87",
        ] {
            let r = b.get(path).await;
            assert_eq!(r.status, StatusCode::OK, "{user} {path}: {}", r.text());
            let csp = r.header("content-security-policy").unwrap();
            assert!(!csp.contains("unsafe-inline"));
            assert!(!r.text().contains("style=\""), "{path}: no inline style");
            assert!(!r.text().contains("<script>"), "{path}: no inline script");
        }
        // The ticket itself: the centre and the requester see it, another
        // city does not.
        let r = b.get(&format!("/tickets/{id}")).await;
        let expected = match user {
            "demo_unit" | "demo_vendor" | "demo_hwops" | "demo_soft" => None,
            _ => Some(StatusCode::OK),
        };
        if let Some(s) = expected {
            assert_eq!(r.status, s, "{user}: {}", r.text());
        } else {
            assert!(
                r.status == StatusCode::OK || r.status == StatusCode::NOT_FOUND,
                "{user}: {}",
                r.status
            );
        }
    }
    // 三员 (and a vendor's configuration administrator) do no business.
    for user in ["sysadmin", "secadmin", "audadmin", "demo_vendor_admin"] {
        let b = Browser::login(&app, user).await;
        let home = b.get("/").await.text();
        assert!(!home.contains("href=\"/todo\""), "{user} sees no 我的待办");
        assert!(!home.contains("href=\"/tickets\""), "{user} sees no 工单");
        assert!(!home.contains("id=\"todo-count\""));
        for path in [
            "/tickets".to_string(),
            "/tickets/new".to_string(),
            format!("/tickets/{id}"),
            "/todo".into(),
            "/inbox".into(),
            "/search?q=%E6%8C%87%E6%A0%87".into(),
        ] {
            let r = b.get(&path).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{user} {path}");
            assert!(r.text().contains("无权查看业务数据"));
        }
        let r = b
            .post(
                &format!("/tickets/{id}/transition"),
                &[("transition", "submit")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{user} may not act");
        let r = b.post("/tickets/export", &[("reason", "检查")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{user} may not export");
    }
    app.cleanup().await;
}

/// A pack with a field of every type and two deadlines, to see the
/// generated inputs round-trip and the time left turn into overdue.
const FORM_PACK: &str = r#"
id = "uitest"
name = "页面测试包"
version = "1.0.0"

[roles.lead]
label = "项目负责人"
platform = ["project_lead"]
source = "NTCZ-6.1.2"
"#;

const FORM_PROCESS: &str = r#"
id = "fault"
name = "故障"
number_prefix = "GZ"
source = "NTCZ-6.1.2"

[[field]]
id = "summary"
label = "故障摘要"
type = "long_text"

[[field]]
id = "severity"
label = "严重程度"
type = "choice"
choices = { high = "严重", low = "一般" }
source = "NTCZ-6.1.2"

[[field]]
id = "hosts"
label = "受影响主机数"
type = "integer"

[[field]]
id = "ratio"
label = "受影响比例"
type = "number"

[[field]]
id = "day"
label = "发现日期"
type = "date"

[[field]]
id = "at"
label = "发生时间"
type = "datetime"

[[field]]
id = "urgent"
label = "紧急"
type = "bool"

[[state]]
id = "new"
label = "待处理"
initial = true

[[state]]
id = "resolved"
label = "已解决"
final = true

[[transition]]
id = "resolve"
label = "解决故障"
from = ["new"]
to = "resolved"
roles = ["lead"]
require = ["summary", "severity", "hosts", "ratio", "day", "at", "urgent"]
source = "NTCZ-6.1.2"

[[timer]]
id = "response"
label = "响应时限"
start = ["new"]
stop = ["resolved"]
duration = "30m"
notify = ["lead"]
source = "NTCZ-6.1.2"

[[timer]]
id = "resolution"
label = "解决时限"
start = ["new"]
stop = ["resolved"]
duration = "2wd"
warn_before = "2h"
notify = ["lead"]
source = "NTCZ-6.1.2"
"#;

#[tokio::test]
async fn generated_inputs_round_trip_and_deadlines_turn_red_when_overdue() {
    let mut app = TestApp::new().await;
    let files = vec![
        (
            "policies/uitest/pack.toml".to_string(),
            FORM_PACK.to_string(),
        ),
        (
            "policies/uitest/fault.toml".to_string(),
            FORM_PROCESS.to_string(),
        ),
    ];
    let pack = yunwei_domain::policy::load_pack(&files).unwrap_or_else(|e| panic!("{e:?}"));
    let mut platform = app.platform.clone();
    platform.packs = std::sync::Arc::new(vec![pack]);
    app.router = yunwei_web::router(platform, yunwei_web::WebOptions::default());

    let staff = Browser::login(&app, "demo_staff").await;
    let html = staff
        .get("/tickets/new?pack=uitest&process=fault")
        .await
        .text();
    for needle in [
        "<textarea id=\"new-summary\" name=\"f.summary\"",
        "<select id=\"new-severity\" name=\"f.severity\" required>",
        "type=\"number\" name=\"f.hosts\" value=\"\" step=\"1\"",
        "type=\"number\" name=\"f.ratio\" value=\"\" step=\"any\"",
        "type=\"date\" name=\"f.day\"",
        "type=\"datetime-local\" name=\"f.at\"",
        "<input type=\"hidden\" name=\"f.urgent\" value=\"false\"><input type=\"checkbox\" id=\"new-urgent\" name=\"f.urgent\" value=\"true\">",
    ] {
        assert!(html.contains(needle), "{needle} missing:\n{html}");
    }
    // A value that does not fit its type is named.
    let base = [
        ("pack", "uitest"),
        ("process", "fault"),
        ("title", "核心交换机端口故障"),
        ("f.summary", "端口 Gi1/0/1 闪断"),
        ("f.severity", "high"),
        ("f.ratio", "12.5"),
        ("f.day", "2026-03-02"),
        ("f.at", "2026-03-02T08:30"),
        ("f.urgent", "false"),
        ("f.urgent", "true"),
    ];
    let mut bad = base.to_vec();
    bad.push(("f.hosts", "三台"));
    let r = staff.post("/tickets", &bad).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(error_banner(&r.text()).contains("受影响主机数"));
    assert!(r.text().contains("value=\"三台\""));
    let mut good = base.to_vec();
    good.push(("f.hosts", "3"));
    let r = staff.post("/tickets", &good).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let id = location(&r)
        .trim_start_matches("/tickets/")
        .trim_end_matches("?msg=opened")
        .to_string();

    // The values come back in the resolver's form as they were entered.
    let lead = Browser::login(&app, "demo_lead").await;
    let html = lead.get(&format!("/tickets/{id}")).await.text();
    for needle in [
        ">端口 Gi1/0/1 闪断</textarea>",
        "<option value=\"high\" selected>严重</option>",
        "name=\"f.hosts\" value=\"3\"",
        "name=\"f.ratio\" value=\"12.5\"",
        "name=\"f.day\" value=\"2026-03-02\"",
        "name=\"f.at\" value=\"2026-03-02T08:30\"",
        "name=\"f.urgent\" value=\"true\" checked>",
    ] {
        assert!(html.contains(needle), "{needle} missing");
    }
    // Deadlines with the time left: 30 minutes, and two working days.
    let timers = &html[html.find("id=\"timers\"").expect("timers table")..];
    assert!(timers.contains("响应时限") && timers.contains("剩余30分钟"));
    assert!(timers.contains("解决时限") && timers.contains("2026-03-04 23:59"));
    assert!(!timers.contains("class=\"overdue\""));

    app.clock.advance(chrono::Duration::minutes(45));
    // Idle sessions end after 30 minutes: log in again.
    let lead = Browser::login(&app, "demo_lead").await;
    let html = lead.get(&format!("/tickets/{id}")).await.text();
    let timers = &html[html.find("id=\"timers\"").unwrap()..];
    assert!(timers.contains("<tr class=\"overdue\"><td>响应时限</td>"));
    assert!(timers.contains("已超时15分钟"));
    let list = lead.get("/tickets").await.text();
    assert!(list.contains("due-overdue"), "the list marks it too");

    // Submitting the pre-filled values unchanged resolves the fault.
    let fields = [
        ("f.summary", "端口 Gi1/0/1 闪断"),
        ("f.severity", "high"),
        ("f.hosts", "3"),
        ("f.ratio", "12.5"),
        ("f.day", "2026-03-02"),
        ("f.at", "2026-03-02T08:30"),
        ("f.urgent", "false"),
        ("f.urgent", "true"),
        ("comment", "已更换光模块"),
    ];
    redirected(&transition(&lead, &id, "resolve", &fields).await, &id);
    let html = lead.get(&format!("/tickets/{id}")).await.text();
    assert!(html.contains("流程已结束"));
    assert!(
        !html.contains("id=\"timers\""),
        "stopped clocks are not shown"
    );
    assert!(
        html.contains("<li class=\"step-current\"><span class=\"step-mark\">●</span>已解决</li>")
    );
    assert!(html.contains("已更换光模块"));
    app.cleanup().await;
}
