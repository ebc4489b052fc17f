//! The knowledge base (EEDS-3.2.4, NTCZ-6.1.2): closing a ticket of a
//! process that declares `cause` and `solution` records them as a draft
//! article; editors edit and publish; readers find published articles by
//! Chinese words, within their scope; the API and the pages.

use crate::support::principal;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};
use yunwei_core::knowledge::{self, ArticleFilter, ArticleInput, ArticleUpdate};
use yunwei_core::search::{self, PageRequest};
use yunwei_core::tickets::{self, OpenInput, TransitionInput};
use yunwei_core::{Ctx, Platform, Principal};
use yunwei_domain::audit::AuditRecord;
use yunwei_domain::policy::load_pack;
use yunwei_domain::ErrorKind;
use yunwei_store::audit::AuditFilter;
use yunwei_store::Scope;
use yunwei_testkit::TestApp;

use crate::support::org_id;
use crate::support::{form, hidden_csrf, urlenc};

/// A small pack: a fault process with the `cause` and `solution` fields,
/// closed by a transition or by an approval, and a request process
/// without them.
const PACK: &str = r#"
id = "kb"
name = "知识库测试包"
version = "1.0.0"

[roles.lead]
label = "项目负责人"
platform = ["project_lead"]
source = "EEDS-3.2.4"

[roles.director]
label = "中心主任"
platform = ["director"]
source = "EEDS-3.2.4"
"#;

const FAULT: &str = r#"
id = "fault"
name = "故障"
number_prefix = "GZ"
source = "EEDS-3.2.4"

[[field]]
id = "title"
label = "标题"
type = "text"

[[field]]
id = "cause"
label = "产生原因"
type = "long_text"
source = "EEDS-3.2.4"

[[field]]
id = "solution"
label = "解决方案"
type = "long_text"
source = "EEDS-3.2.4"

[[state]]
id = "new"
label = "待处理"
initial = true

[[state]]
id = "handling"
label = "处理中"

[[state]]
id = "review"
label = "待主任确认"

[[state]]
id = "resolved"
label = "已解决"
final = true

[[state]]
id = "cancelled"
label = "已撤销"
final = true

[[transition]]
id = "take"
label = "受理"
from = ["new"]
to = "handling"
roles = ["lead"]
source = "EEDS-3.2.4"

[[transition]]
id = "cancel"
label = "撤销"
from = ["new"]
to = "cancelled"
roles = ["lead"]
source = "EEDS-3.2.4"

[[transition]]
id = "resolve"
label = "解决"
from = ["handling"]
to = "resolved"
roles = ["lead"]
require = ["cause", "solution"]
source = "EEDS-3.2.4"

[[transition]]
id = "submit_review"
label = "提交主任确认"
from = ["handling"]
to = "review"
roles = ["lead"]
require = ["cause", "solution"]
source = "EEDS-3.2.4"

[[approval]]
id = "confirm"
label = "主任确认"
state = "review"
steps = ["director"]
mode = "all"
order = "sequential"
approved = "resolved"
rejected = "handling"
source = "EEDS-3.2.4"
"#;

const REQUEST: &str = r#"
id = "request"
name = "服务请求"
number_prefix = "FW"
source = "EEDS-3.2.4"

[[field]]
id = "solution"
label = "处理结果"
type = "long_text"

[[state]]
id = "new"
label = "待处理"
initial = true

[[state]]
id = "done"
label = "已完成"
final = true

[[transition]]
id = "finish"
label = "完成"
from = ["new"]
to = "done"
roles = ["lead"]
source = "EEDS-3.2.4"
"#;

fn with_kb_pack(app: &TestApp) -> Platform {
    let files = vec![
        ("policies/kb/pack.toml".to_string(), PACK.to_string()),
        ("policies/kb/fault.toml".to_string(), FAULT.to_string()),
        ("policies/kb/request.toml".to_string(), REQUEST.to_string()),
    ];
    let pack = load_pack(&files).unwrap_or_else(|e| panic!("{e:?}"));
    let mut p = app.platform.clone();
    p.packs = Arc::new(vec![pack]);
    p
}

fn ctx() -> Ctx {
    Ctx::system("test")
}

fn fields(v: Value) -> serde_json::Map<String, Value> {
    v.as_object().unwrap().clone()
}

async fn open(p: &Platform, pr: &Principal, process: &str, title: &str, org: &str) -> String {
    let input = OpenInput {
        pack: "kb".into(),
        process: process.into(),
        title: title.into(),
        org_id: Some(org.into()),
        ..Default::default()
    };
    tickets::open(p, &ctx(), pr, &input).await.unwrap().id
}

async fn step(p: &Platform, pr: &Principal, id: &str, transition: &str, f: Value) {
    let input = TransitionInput {
        transition: transition.into(),
        fields: fields(f),
        ..Default::default()
    };
    tickets::transition(p, &ctx(), pr, id, &input)
        .await
        .unwrap_or_else(|e| panic!("{transition}: {e}"));
}

async fn article_of(app: &TestApp, ticket_id: &str) -> Option<yunwei_store::knowledge::ArticleRow> {
    let mut c = app.platform.db().read().await.unwrap();
    yunwei_store::knowledge::by_ticket(&mut c, ticket_id)
        .await
        .unwrap()
}

async fn audit(app: &TestApp, action: &str) -> Vec<AuditRecord> {
    let mut c = app.platform.db().read().await.unwrap();
    let f = AuditFilter {
        action: Some(action.into()),
        ..Default::default()
    };
    yunwei_store::audit::search(&mut c, &Scope::system(), &f, 100)
        .await
        .unwrap()
}

async fn article_hits(p: &Platform, pr: &Principal, q: &str) -> Vec<String> {
    search::search(p, pr, q, Some("article"), PageRequest::default())
        .await
        .unwrap_or_else(|e| panic!("search {q}: {e}"))
        .hits
        .into_iter()
        .map(|h| {
            assert_eq!(h.doc_type, "article");
            h.doc_id
        })
        .collect()
}

async fn listed(
    p: &Platform,
    pr: &Principal,
    q: Option<&str>,
    status: Option<&str>,
) -> Vec<String> {
    let f = ArticleFilter {
        q: q.map(str::to_string),
        status: status.map(str::to_string),
    };
    knowledge::list(p, pr, &f, 1, 100)
        .await
        .unwrap_or_else(|e| panic!("list: {e}"))
        .articles
        .into_iter()
        .map(|a| a.id)
        .collect()
}

#[tokio::test]
async fn eeds_3_2_4_closing_an_incident_records_cause_and_solution_as_knowledge() {
    let app = TestApp::new().await;
    let p = with_kb_pack(&app);
    let lead = principal(&app, "demo_lead").await;
    let director = principal(&app, "demo_director").await;
    let nanjing = org_id(&app, "南京市财政局").await;

    // Closed by a transition.
    let id = open(
        &p,
        &lead,
        "fault",
        "南京市财政局核心交换机端口故障",
        &nanjing,
    )
    .await;
    step(&p, &lead, &id, "take", json!({})).await;
    assert!(
        article_of(&app, &id).await.is_none(),
        "nothing before the ticket is closed"
    );
    step(
        &p,
        &lead,
        &id,
        "resolve",
        json!({
            "cause": "核心交换机光模块老化，端口频繁闪断",
            "solution": "更换光模块并调整端口速率，观察二十四小时无告警",
        }),
    )
    .await;
    let a = article_of(&app, &id).await.expect("article recorded");
    assert_eq!(a.status, "draft");
    assert_eq!(a.title, "南京市财政局核心交换机端口故障");
    assert_eq!(a.cause, "核心交换机光模块老化，端口频繁闪断");
    assert_eq!(a.solution, "更换光模块并调整端口速率，观察二十四小时无告警");
    assert_eq!(a.source_ticket_id.as_deref(), Some(id.as_str()));
    assert_eq!(a.org_id, nanjing);
    assert_eq!(a.author_id, lead.user_id);
    // Audited in the ticket's transaction, and indexed for search.
    let recs = audit(&app, "knowledge.create").await;
    let rec = recs.iter().find(|r| r.object_id == a.id).expect("audited");
    assert_eq!(rec.actor_name, "demo_lead");
    assert!(rec.after.contains("光模块老化"), "{}", rec.after);
    assert!(rec.reason.contains("EEDS-3.2.4"), "{}", rec.reason);
    assert_eq!(article_hits(&p, &lead, "光模块").await, vec![a.id.clone()]);
    assert_eq!(article_hits(&p, &lead, "闪断").await, vec![a.id.clone()]);
    // The editor sees the draft, with a link back to the ticket.
    let view = knowledge::get(&p, &lead, &a.id).await.unwrap();
    assert!(view.can_edit && view.can_publish);
    assert_eq!(view.source_ticket_id.as_deref(), Some(id.as_str()));
    assert!(view
        .source_ticket_number
        .as_deref()
        .is_some_and(|n| n.starts_with("GZ-")));

    // Closed by an approval that completes into the final state.
    let id2 = open(&p, &lead, "fault", "预算一体化系统登录缓慢", &nanjing).await;
    step(&p, &lead, &id2, "take", json!({})).await;
    step(
        &p,
        &lead,
        &id2,
        "submit_review",
        json!({"cause": "数据库连接池耗尽", "solution": "扩大连接池并修复连接泄漏"}),
    )
    .await;
    assert!(article_of(&app, &id2).await.is_none(), "not final yet");
    tickets::vote(&p, &ctx(), &director, &id2, "confirm", true, "")
        .await
        .unwrap();
    let a2 = article_of(&app, &id2).await.expect("recorded on approval");
    assert_eq!(a2.solution, "扩大连接池并修复连接泄漏");
    assert_eq!(a2.author_id, director.user_id);
    assert_eq!(article_hits(&p, &lead, "连接池").await, vec![a2.id.clone()]);

    // A final state without cause and solution records nothing.
    let id3 = open(&p, &lead, "fault", "误报", &nanjing).await;
    step(&p, &lead, &id3, "cancel", json!({})).await;
    assert!(article_of(&app, &id3).await.is_none());
    // Nor does a process that does not declare both fields.
    let id4 = open(&p, &lead, "request", "开通账号", &nanjing).await;
    step(&p, &lead, &id4, "finish", json!({"solution": "已开通"})).await;
    assert!(article_of(&app, &id4).await.is_none());
    assert_eq!(audit(&app, "knowledge.create").await.len(), 2);
    app.cleanup().await;
}

#[tokio::test]
async fn ntcz_6_1_2_knowledge_is_edited_published_and_found_by_search() {
    let app = TestApp::new().await;
    let p = app.platform.clone();
    let lead = principal(&app, "demo_lead").await;
    let staff = principal(&app, "demo_staff").await;
    let sysadmin = principal(&app, "sysadmin").await;
    let vendor = principal(&app, "demo_vendor").await;
    let nanjing = org_id(&app, "南京市财政局").await;
    let suzhou = org_id(&app, "苏州市财政局").await;

    let input = ArticleInput {
        title: "政务云虚拟机无法访问".into(),
        cause: "安全组规则被删除".into(),
        solution: String::new(),
        org_id: Some(nanjing.clone()),
    };
    let a = knowledge::create(&p, &ctx(), &lead, &input).await.unwrap();
    assert_eq!(a.status, "draft");
    // A draft cannot be published without a solution.
    let e = knowledge::publish(&p, &ctx(), &lead, &a.id)
        .await
        .unwrap_err();
    assert_eq!(e.code, "knowledge.incomplete");
    // A business user sees neither the draft nor a way to edit it.
    assert!(listed(&p, &staff, None, None).await.is_empty());
    let e = knowledge::get(&p, &staff, &a.id).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    let upd = ArticleUpdate {
        solution: Some("篡改".into()),
        ..Default::default()
    };
    let e = knowledge::update(&p, &ctx(), &staff, &a.id, &upd)
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);

    // The editor completes and publishes it.
    let upd = ArticleUpdate {
        cause: Some("变更时误删安全组入站规则".into()),
        solution: Some("恢复安全组入站规则，变更前核对规则清单".into()),
        ..Default::default()
    };
    let a = knowledge::update(&p, &ctx(), &lead, &a.id, &upd)
        .await
        .unwrap();
    assert_eq!(a.title, "政务云虚拟机无法访问", "title kept");
    let rec = audit(&app, "knowledge.update").await;
    assert_eq!(rec.len(), 1);
    assert!(
        rec[0].before.contains("安全组规则被删除"),
        "{}",
        rec[0].before
    );
    assert!(
        rec[0].after.contains("变更前核对规则清单"),
        "{}",
        rec[0].after
    );
    let a = knowledge::publish(&p, &ctx(), &lead, &a.id).await.unwrap();
    assert_eq!(a.status, "published");
    assert!(a.published_at.is_some());
    assert_eq!(audit(&app, "knowledge.publish").await.len(), 1);
    let e = knowledge::publish(&p, &ctx(), &lead, &a.id)
        .await
        .unwrap_err();
    assert_eq!(e.code, "knowledge.already_published");

    // Another draft stays with the editors.
    let draft = knowledge::create(
        &p,
        &ctx(),
        &lead,
        &ArticleInput {
            title: "安全组审计脚本".into(),
            org_id: Some(nanjing.clone()),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    // Found by a Chinese word, by the search and by the knowledge list.
    assert_eq!(article_hits(&p, &staff, "入站").await, vec![a.id.clone()]);
    assert_eq!(article_hits(&p, &staff, "政务云").await, vec![a.id.clone()]);
    assert_eq!(
        listed(&p, &staff, Some("安全组"), None).await,
        vec![a.id.clone()],
        "a business user sees only published articles"
    );
    assert_eq!(listed(&p, &staff, None, None).await, vec![a.id.clone()]);
    let mut both = listed(&p, &lead, Some("安全组"), None).await;
    both.sort();
    let mut want = vec![a.id.clone(), draft.id.clone()];
    want.sort();
    assert_eq!(both, want, "the editor also finds drafts");
    assert_eq!(
        listed(&p, &lead, None, Some("draft")).await,
        vec![draft.id.clone()]
    );
    assert_eq!(
        listed(&p, &lead, Some("安全组"), Some("published")).await,
        vec![a.id.clone()]
    );
    let view = knowledge::get(&p, &staff, &a.id).await.unwrap();
    assert!(!view.can_edit && !view.can_publish);
    assert_eq!(view.org_name, "南京市财政局");

    // Editing without KnowledgeEdit is refused.
    let upd = ArticleUpdate {
        title: Some("改标题".into()),
        ..Default::default()
    };
    let e = knowledge::update(&p, &ctx(), &staff, &a.id, &upd)
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Forbidden);
    let e = knowledge::create(&p, &ctx(), &staff, &input)
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Forbidden);
    // A vendor engineer writes knowledge for its own organisation only.
    let e = knowledge::create(&p, &ctx(), &vendor, &input)
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Forbidden);
    let own = ArticleInput {
        org_id: None,
        ..input.clone()
    };
    assert!(knowledge::create(&p, &ctx(), &vendor, &own).await.is_ok());

    // Outside the scope: a business user of another city sees nothing of
    // Nanjing, and a system administrator sees no business data at all.
    let other = ArticleInput {
        title: "苏州专线中断".into(),
        cause: "运营商光缆被挖断".into(),
        solution: "切换备用线路".into(),
        org_id: Some(suzhou),
    };
    let s = knowledge::create(&p, &ctx(), &lead, &other).await.unwrap();
    knowledge::publish(&p, &ctx(), &lead, &s.id).await.unwrap();
    assert!(article_hits(&p, &staff, "光缆").await.is_empty());
    assert!(!listed(&p, &staff, None, None).await.contains(&s.id));
    assert_eq!(
        knowledge::get(&p, &staff, &s.id).await.unwrap_err().kind,
        ErrorKind::NotFound
    );
    assert_eq!(
        knowledge::list(&p, &sysadmin, &ArticleFilter::default(), 1, 20)
            .await
            .unwrap_err()
            .kind,
        ErrorKind::Forbidden
    );
    assert!(search::search(
        &p,
        &sysadmin,
        "安全组",
        Some("article"),
        PageRequest::default()
    )
    .await
    .is_err());
    assert_eq!(
        knowledge::get(&p, &sysadmin, &a.id).await.unwrap_err().kind,
        ErrorKind::NotFound
    );
    app.cleanup().await;
}

#[tokio::test]
async fn ntcz_6_1_2_knowledge_api_create_edit_publish_and_read() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let staff = app.login("demo_staff").await;
    let sys = app.login("sysadmin").await;
    let nanjing = org_id(&app, "南京市财政局").await;

    let r = app
        .post_json(
            "/api/v1/knowledge",
            Some(&lead),
            json!({"title": "国库集中支付系统打印异常", "cause": "打印控件版本过旧", "org_id": nanjing}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let a = r.json();
    let id = a["id"].as_str().unwrap().to_string();
    assert_eq!(a["status"], "draft");
    assert_eq!(a["status_label"], "草稿");
    assert_eq!(a["can_edit"], true);
    // Bad input is refused in Chinese.
    let r = app
        .post_json("/api/v1/knowledge", Some(&lead), json!({"title": " "}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["code"], "knowledge.title_invalid");
    let r = app
        .post_json(
            &format!("/api/v1/knowledge/{id}/publish"),
            Some(&lead),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["code"], "knowledge.incomplete");

    let r = app
        .put_json(
            &format!("/api/v1/knowledge/{id}"),
            Some(&lead),
            json!({"solution": "升级打印控件至最新版本并清理浏览器缓存"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["cause"], "打印控件版本过旧");
    // Not yet visible to a business user.
    let r = app.get("/api/v1/knowledge", Some(&staff)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["total"], 0);
    let r = app
        .get(&format!("/api/v1/knowledge/{id}"), Some(&staff))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let r = app
        .post_json(
            &format!("/api/v1/knowledge/{id}/publish"),
            Some(&lead),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "published");
    assert_eq!(r.json()["can_publish"], false);

    let r = app
        .get(
            "/api/v1/knowledge?q=%E6%89%93%E5%8D%B0%E6%8E%A7%E4%BB%B6",
            Some(&staff),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let body = r.json();
    assert_eq!(body["total"], 1, "{body}");
    assert_eq!(body["articles"][0]["id"], id.as_str());
    assert_eq!(body["articles"][0]["status"], "published");
    let r = app
        .get(
            "/api/v1/search?q=%E6%89%93%E5%8D%B0%E6%8E%A7%E4%BB%B6&type=article",
            Some(&staff),
        )
        .await;
    assert_eq!(r.json()["hits"][0]["doc_id"], id.as_str());
    let r = app
        .get(&format!("/api/v1/knowledge/{id}"), Some(&staff))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json()["solution"],
        "升级打印控件至最新版本并清理浏览器缓存"
    );
    assert_eq!(r.json()["can_edit"], false);

    // Refusals: a business user cannot write, a system administrator
    // cannot read, a bad status filter is named.
    let r = app
        .put_json(
            &format!("/api/v1/knowledge/{id}"),
            Some(&staff),
            json!({"title": "改"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post_json(
            "/api/v1/knowledge",
            Some(&staff),
            json!({"title": "业务人员的知识"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.get("/api/v1/knowledge", Some(&sys)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .get(&format!("/api/v1/knowledge/{id}"), Some(&sys))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.get("/api/v1/knowledge?status=x", Some(&lead)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["code"], "knowledge.status_invalid");
    let r = app.get("/api/v1/knowledge", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let doc = app.get("/api/v1/openapi.json", None).await.json();
    for path in [
        "/api/v1/knowledge",
        "/api/v1/knowledge/{id}",
        "/api/v1/knowledge/{id}/publish",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} in OpenAPI");
    }
    assert!(doc["paths"]["/api/v1/knowledge/{id}"].get("put").is_some());
    app.cleanup().await;
}

fn page(path: &str, cookie: &str) -> Request<Body> {
    Request::builder()
        .uri(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn eeds_3_2_4_knowledge_pages_list_view_edit_and_publish() {
    let app = TestApp::new().await;
    let p = with_kb_pack(&app);
    let lead_pr = principal(&app, "demo_lead").await;
    let nanjing = org_id(&app, "南京市财政局").await;
    // An article recorded from a closed ticket (same database).
    let ticket = open(
        &p,
        &lead_pr,
        "fault",
        "非税收入系统缴款书打印失败",
        &nanjing,
    )
    .await;
    step(&p, &lead_pr, &ticket, "take", json!({})).await;
    step(
        &p,
        &lead_pr,
        &ticket,
        "resolve",
        json!({"cause": "票据模板字体缺失", "solution": "在打印服务器安装仿宋字体\n重启打印服务"}),
    )
    .await;
    let recorded = article_of(&app, &ticket).await.unwrap();

    let lead = format!("yw_session={}", app.login("demo_lead").await);
    let staff = format!("yw_session={}", app.login("demo_staff").await);
    let sys = format!("yw_session={}", app.login("sysadmin").await);

    // The editor's list: the draft, the search box, the 新建 form, the nav entry.
    let r = app.request(page("/knowledge", &lead)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(
        html.contains("href=\"/knowledge\" class=\"active\""),
        "nav entry"
    );
    assert!(html.contains("id=\"knowledge-search\""));
    assert!(html.contains("id=\"create-article\""));
    assert!(html.contains("非税收入系统缴款书打印失败"));
    assert!(html.contains("工单办结记录"));
    let csrf = hidden_csrf(&html);

    // The recorded article: link to the ticket, edit form, publish button.
    let r = app
        .request(page(&format!("/knowledge/{}", recorded.id), &lead))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(
        html.contains(&format!("href=\"/tickets/{ticket}\"")),
        "{html}"
    );
    assert!(html.contains("id=\"edit-article\""));
    assert!(html.contains("id=\"publish-form\""));
    assert!(html.contains("票据模板字体缺失"));

    // Edit and publish through the forms (CSRF checked).
    let path = format!("/knowledge/{}/edit", recorded.id);
    let body = "csrf=forged&title=x&cause=x&solution=x".to_string();
    let r = app.request(form(&path, &lead, body)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let body = format!(
        "csrf={csrf}&title={}&cause={}&solution={}",
        urlenc("非税收入缴款书打印失败"),
        urlenc("票据模板所需仿宋字体缺失"),
        urlenc("在打印服务器安装仿宋字体\n重启打印服务")
    );
    let r = app.request(form(&path, &lead, body)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("已保存"));
    assert!(r.text().contains("票据模板所需仿宋字体缺失"));
    let r = app
        .request(form(
            &format!("/knowledge/{}/publish", recorded.id),
            &lead,
            format!("csrf={csrf}"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(html.contains("已发布"));
    assert!(!html.contains("id=\"publish-form\""));

    // A new draft through the form; an empty title is shown on the page.
    let r = app
        .request(form(
            "/knowledge",
            &lead,
            format!("csrf={csrf}&title=&cause={}", urlenc("保留的原因")),
        ))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("标题不能为空"));
    assert!(r.text().contains("保留的原因"), "the form keeps its values");
    let r = app
        .request(form(
            "/knowledge",
            &lead,
            format!(
                "csrf={csrf}&title={}&org_id={nanjing}&solution={}",
                urlenc("堡垒机会话超时"),
                urlenc("调整会话超时时间")
            ),
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let to = r.header("location").unwrap().to_string();
    assert!(to.starts_with("/knowledge/"), "{to}");
    let r = app.request(page(&to, &lead)).await;
    assert!(r.text().contains("堡垒机会话超时"));
    assert!(r.text().contains("草稿"));

    // A business user: the published article, found by a word; no forms.
    let r = app
        .request(page(&format!("/knowledge?q={}", urlenc("仿宋")), &staff))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(html.contains("非税收入缴款书打印失败"));
    assert!(!html.contains("堡垒机会话超时"), "drafts stay hidden");
    assert!(!html.contains("id=\"create-article\""));
    let r = app
        .request(page(&format!("/knowledge/{}", recorded.id), &staff))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text().contains("id=\"edit-article\""));
    assert!(r.text().contains("在打印服务器安装仿宋字体\n重启打印服务"));
    let r = app.request(page(&to, &staff)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The system administrator has no 知识库.
    let r = app.request(page("/", &sys)).await;
    assert!(!r.text().contains("href=\"/knowledge\""));
    let r = app.request(page("/knowledge", &sys)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    app.cleanup().await;
}
