//! Chinese full-text search (DESIGN.md section 9, ADR 0004): jieba and
//! bigram tokens in the database's own full-text index, updated in the
//! documents' transactions and always limited to the caller's scope.

use std::collections::BTreeSet;

use yunwei_core::search::{self, Document, PageRequest};
use yunwei_core::{Platform, Principal};
use yunwei_domain::roles::{Role, ScopedRole};
use yunwei_domain::AppError;
use yunwei_store::{in_tx, Scope};
use yunwei_testkit::TestApp;

/// (id, type, organisation name, title, body, updated_at offset in seconds)
const DOCS: &[(&str, &str, &str, &str, &str, i64)] = &[
    (
        "n1",
        "ticket",
        "南京市财政局",
        "核心交换机端口故障",
        "南京市财政局机房核心交换机 GE1/0/1 端口故障，业务中断约十分钟，已更换光模块。",
        10,
    ),
    (
        "n2",
        "ticket",
        "南京市财政局",
        "堡垒机账号续期",
        "运维服务商申请延长堡垒机账号有效期至年底。",
        20,
    ),
    (
        "n3",
        "article",
        "南京市财政局",
        "等保测评整改清单",
        "2026 年度等保测评发现弱口令和未修复漏洞，需在一个月内完成整改。",
        30,
    ),
    (
        "n4",
        "ticket",
        "南京市财政局",
        "打印机卡纸",
        "三楼办公室打印机频繁卡纸。",
        40,
    ),
    (
        "j1",
        "ticket",
        "南京市江宁区财政局",
        "防火墙策略变更",
        "江宁区申请开通到政务云的防火墙策略。",
        50,
    ),
    (
        "j2",
        "ticket",
        "南京市江宁区财政局",
        "汇聚交换机更换",
        "江宁区汇聚交换机老化故障，申请更换。",
        60,
    ),
    (
        "c1",
        "article",
        "信息中心",
        "堡垒机使用手册",
        "所有运维操作须经堡垒机，禁止直接登录服务器。",
        70,
    ),
    (
        "c2",
        "ticket",
        "信息中心",
        "数据库月度巡检",
        "每月对 Oracle 数据库进行巡检，检查表空间与备份。",
        80,
    ),
    (
        "c3",
        "ticket",
        "信息中心",
        "应用系统迁移记录",
        "迁移过程中重启了中间件和数据库。",
        // The most recent of the 中间件 documents: only the title
        // weighting puts s1 before it.
        1_000,
    ),
    (
        "h1",
        "ticket",
        "硬件运维科",
        "机房空调告警",
        "信息中心机房精密空调高温告警，已通知维保单位。",
        90,
    ),
    (
        "h2",
        "ticket",
        "硬件运维科",
        "存储阵列硬盘故障",
        "存储阵列 3 号硬盘故障，已用热备盘重建。",
        100,
    ),
    (
        "s1",
        "article",
        "软件科",
        "中间件升级方案",
        "东方通升级到新版本，需要提前在测试环境验证。",
        110,
    ),
    (
        "s2",
        "ticket",
        "软件科",
        "等保整改：数据库弱口令",
        "修改数据库弱口令，并开启审计日志。",
        120,
    ),
    (
        "z1",
        "ticket",
        "苏州市财政局",
        "负载均衡配置变更",
        "苏州市财政局负载均衡新增虚拟服务。",
        130,
    ),
    (
        "z2",
        "ticket",
        "苏州市财政局",
        "交换机堆叠故障",
        "两台接入交换机堆叠线缆松动。",
        140,
    ),
    (
        "k1",
        "ticket",
        "昆山市财政局",
        "密评整改",
        "昆山市财政局完成商用密码应用安全性评估（密评）整改。",
        150,
    ),
    (
        "u1",
        "ticket",
        "江苏省财政厅机关服务中心",
        "预算单位网络故障",
        "机关服务中心办公网络无法访问预算管理一体化系统。",
        160,
    ),
    (
        "v1",
        "ticket",
        "金陵数智运维服务有限公司",
        "驻场人员排班",
        "运维服务商驻场工程师本月排班表。",
        170,
    ),
    (
        "b1",
        "article",
        "苏财信息技术有限公司",
        "承建厂商补丁发布",
        "承建厂商发布预算管理一体化系统补丁。",
        180,
    ),
    (
        "r1",
        "article",
        "江苏省财政厅",
        "全省灾备演练通知",
        "省财政厅组织全省灾备切换演练，请各单位做好准备。",
        190,
    ),
];

struct Fixture {
    app: TestApp,
    /// Organisation name -> path.
    paths: Vec<(String, String)>,
}

impl Fixture {
    fn path(&self, org: &str) -> &str {
        self.paths
            .iter()
            .find(|(n, _)| n == org)
            .map(|(_, p)| p.as_str())
            .unwrap_or_else(|| panic!("organisation {org}"))
    }

    fn p(&self) -> &Platform {
        &self.app.platform
    }
}

fn updated_at(offset_s: i64) -> i64 {
    yunwei_testkit::start_time().timestamp_micros() + offset_s * 1_000_000
}

/// A test app with every document of [`DOCS`] indexed, each in a
/// transaction of its own as a use case would do it.
async fn fixture() -> Fixture {
    let app = TestApp::new().await;
    let orgs = {
        let mut c = app.platform.db().read().await.unwrap();
        yunwei_store::orgs::list(&mut c, &Scope::system())
            .await
            .unwrap()
    };
    let f = Fixture {
        paths: orgs.into_iter().map(|o| (o.name, o.path)).collect(),
        app,
    };
    for (id, doc_type, org, title, body, at) in DOCS {
        let doc = Document {
            doc_type,
            doc_id: id,
            org_path: f.path(org),
            title,
            body,
            updated_at: updated_at(*at),
        };
        index(f.p(), &doc).await.unwrap();
    }
    f
}

async fn index(p: &Platform, doc: &Document<'_>) -> Result<(), AppError> {
    in_tx!(p.db(), |c| { search::index_document(&mut c, doc).await })
}

/// Indexes a new document and removes c1, then fails: both must roll back.
async fn index_then_fail(p: &Platform, org_path: &str) -> Result<(), AppError> {
    in_tx!(p.db(), |c| {
        search::index_document(
            &mut c,
            &Document {
                doc_type: "ticket",
                doc_id: "x1",
                org_path,
                title: "区块链节点故障",
                body: "",
                updated_at: updated_at(3_000),
            },
        )
        .await?;
        search::remove_document(&mut c, "article", "c1").await?;
        Err(AppError::conflict("test.rollback", "回滚"))
    })
}

async fn remove(p: &Platform, doc_type: &str, id: &str) -> Result<bool, AppError> {
    in_tx!(p.db(), |c| {
        search::remove_document(&mut c, doc_type, id).await
    })
}

/// A demo user as they are after changing the initial password.
async fn principal(f: &Fixture, username: &str) -> Principal {
    let mut c = f.p().db().read().await.unwrap();
    let user = yunwei_store::users::by_username(&mut c, username)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("demo user {username}"));
    let mut pr = yunwei_core::auth::principal_of(&mut c, &user, None, f.p().now_us())
        .await
        .unwrap();
    pr.must_change_password = false;
    pr
}

/// Someone allowed to read business data in the whole province.
async fn province_reader(f: &Fixture) -> Principal {
    let mut pr = principal(f, "demo_director").await;
    pr.grants = vec![ScopedRole {
        role: Role::Director,
        scope_path: f.path(yunwei_testkit::ROOT_ORG).to_string(),
        subtree: true,
    }];
    pr
}

async fn ids(f: &Fixture, pr: &Principal, q: &str, doc_type: Option<&str>) -> Vec<String> {
    let r = search::search(
        f.p(),
        pr,
        q,
        doc_type,
        PageRequest {
            page: 1,
            per_page: 100,
        },
    )
    .await
    .unwrap_or_else(|e| panic!("search {q}: {e}"));
    assert_eq!(r.total as usize, r.hits.len(), "{q}: one page holds all");
    r.hits.into_iter().map(|h| h.doc_id).collect()
}

fn set(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn sorted(v: Vec<String>) -> BTreeSet<String> {
    v.into_iter().collect()
}

/// Documents whose title or body contains `q` literally (case-insensitive).
fn containing(q: &str) -> BTreeSet<String> {
    let q = q.to_lowercase();
    DOCS.iter()
        .filter(|d| format!("{} {}", d.3, d.4).to_lowercase().contains(&q))
        .map(|d| d.0.to_string())
        .collect()
}

#[tokio::test]
async fn search_finds_documents_by_chinese_words() {
    let f = fixture().await;
    let pr = province_reader(&f).await;
    let expected: &[(&str, &[&str])] = &[
        ("故障", &["n1", "j2", "h2", "z2", "u1"]),
        ("交换机", &["n1", "j2", "z2"]),
        ("堡垒机", &["n2", "c1"]),
        ("等保", &["n3", "s2"]),
        // Two-character queries that are not dictionary words on their own.
        ("堡垒", &["n2", "c1"]),
        ("机房", &["n1", "h1"]),
        ("密评", &["k1"]),
        ("灾备", &["r1"]),
        ("负载均衡", &["z1"]),
        ("预算管理一体化", &["u1", "b1"]),
        ("ORACLE", &["c2"]),
        ("中间件", &["c3", "s1"]),
        // One character: a prefix term.
        ("纸", &["n4"]),
        ("区块链", &[]),
    ];
    for (q, want) in expected {
        let got = sorted(ids(&f, &pr, q, None).await);
        assert_eq!(got, set(want), "query {q}");
        assert_eq!(got, containing(q), "query {q} against a literal scan");
    }
    // Several words: every one must match, wherever it stands.
    assert_eq!(
        sorted(ids(&f, &pr, "数据库 弱口令", None).await),
        set(&["s2"])
    );
    assert_eq!(
        sorted(ids(&f, &pr, "故障，交换机！", None).await),
        set(&["n1", "j2", "z2"])
    );
    // Narrowed to one document type.
    assert_eq!(ids(&f, &pr, "堡垒机", Some("article")).await, vec!["c1"]);
    assert_eq!(ids(&f, &pr, "堡垒机", Some("ticket")).await, vec!["n2"]);
}

#[tokio::test]
async fn title_matches_rank_first_and_pages_add_up() {
    let f = fixture().await;
    let pr = province_reader(&f).await;
    // s1 has 中间件 in its title, c3 only in its body but is newer.
    assert_eq!(ids(&f, &pr, "中间件", None).await, vec!["s1", "c3"]);
    // Paging walks the results once, in the order of the full list.
    let all = ids(&f, &pr, "故障", None).await;
    let mut paged = Vec::new();
    for page in 1..=3 {
        let r = search::search(f.p(), &pr, "故障", None, PageRequest { page, per_page: 2 })
            .await
            .unwrap();
        assert_eq!(r.total, 5);
        assert_eq!(r.per_page, 2);
        paged.extend(r.hits.into_iter().map(|h| h.doc_id));
    }
    assert_eq!(paged, all);
    let beyond = search::search(
        f.p(),
        &pr,
        "故障",
        None,
        PageRequest {
            page: 9,
            per_page: 2,
        },
    )
    .await
    .unwrap();
    assert!(beyond.hits.is_empty());
    assert_eq!(beyond.total, 5);
}

#[tokio::test]
async fn search_never_leaves_the_callers_scope() {
    let f = fixture().await;
    // 南京市财政局 only, not its county.
    let staff = principal(&f, "demo_staff").await;
    // A reader of 信息中心 and its sections only.
    let mut director = principal(&f, "demo_director").await;
    director.grants = vec![ScopedRole {
        role: Role::Director,
        scope_path: f.path("信息中心").to_string(),
        subtree: true,
    }];
    let cases: &[(&str, &[&str], &[&str])] = &[
        ("故障", &["n1"], &["h2"]),
        ("交换机", &["n1"], &[]),
        ("堡垒机", &["n2"], &["c1"]),
        ("等保", &["n3"], &["s2"]),
        ("机房", &["n1"], &["h1"]),
        ("数据库", &[], &["c2", "c3", "s2"]),
        ("灾备", &[], &[]),
        ("密评", &[], &[]),
    ];
    for (q, for_staff, for_director) in cases {
        assert_eq!(
            sorted(ids(&f, &staff, q, None).await),
            set(for_staff),
            "demo_staff {q}"
        );
        assert_eq!(
            sorted(ids(&f, &director, q, None).await),
            set(for_director),
            "demo_director {q}"
        );
    }
    // Every hit lies inside the caller's scope.
    for pr in [&staff, &director] {
        let scope = pr.scope_for(yunwei_domain::roles::Action::BusinessRead);
        for q in ["故障", "财政", "运维", "整改", "机"] {
            let r = search::search(f.p(), pr, q, None, PageRequest::default())
                .await
                .unwrap();
            for h in &r.hits {
                assert!(scope.contains(&h.org_path), "{} sees {:?}", pr.username, h);
            }
        }
    }
    // No business-read grant, or an initial password not yet changed:
    // refused outright.
    let sysadmin = principal(&f, "nj_sysadmin").await;
    let mut fresh = principal(&f, "demo_staff").await;
    fresh.must_change_password = true;
    for pr in [&sysadmin, &fresh] {
        let err = search::search(f.p(), pr, "故障", None, PageRequest::default())
            .await
            .unwrap_err();
        assert_eq!(err.code, "permission.denied", "{}", pr.username);
    }
}

#[tokio::test]
async fn queries_are_validated_and_never_sql() {
    let f = fixture().await;
    let pr = province_reader(&f).await;
    for q in ["", "   ", "，。！？", "***"] {
        let err = search::search(f.p(), &pr, q, None, PageRequest::default())
            .await
            .unwrap_err();
        assert_eq!(err.code, "search.empty_query", "{q:?}");
        assert!(err.message.contains("搜索关键词"));
    }
    let long = "故".repeat(search::MAX_QUERY_CHARS + 1);
    let err = search::search(f.p(), &pr, &long, None, PageRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code, "search.query_too_long");
    let err = search::search(f.p(), &pr, "故障", Some("Ticket;"), PageRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code, "search.doc_type");
    // Full-text and SQL syntax in the query is only text.
    for q in [
        "交换机\" OR \"堡垒机",
        "交换机' | '堡垒机",
        "交换机 NEAR(a b) *",
        "故障') OR 1=1 --",
        "!交换机 & (堡垒机:*)",
    ] {
        let hits = ids(&f, &pr, q, None).await;
        assert!(hits.len() <= 3, "{q}: {hits:?}");
    }
    assert_eq!(
        sorted(ids(&f, &pr, "交换机\" OR \"故障", None).await),
        set(&[])
    );
    // The store refuses malformed terms instead of quoting them blindly.
    let mut c = f.p().db().read().await.unwrap();
    for bad in ["a\" OR \"b", "x') OR 1=1 --", "a b", "", "a:*"] {
        let readers = [yunwei_store::search::Reader {
            audience: yunwei_core::search::BUSINESS_AUDIENCE,
            scope: Scope::system(),
        }];
        let err =
            yunwei_store::search::query(&mut c, &readers, None, &[bad.to_string()], &[], 10, 0)
                .await
                .unwrap_err();
        assert_eq!(err.code, "search.bad_term", "{bad:?}");
    }
}

#[tokio::test]
async fn the_index_follows_the_data_in_its_transaction() {
    let f = fixture().await;
    let pr = province_reader(&f).await;
    let nanjing = f.path("南京市财政局").to_string();

    // Re-indexing replaces the old words.
    index(
        f.p(),
        &Document {
            doc_type: "ticket",
            doc_id: "n1",
            org_path: &nanjing,
            title: "核心路由器板卡告警",
            body: "路由器主控板卡温度告警，已联系厂商。",
            updated_at: updated_at(2_000),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        sorted(ids(&f, &pr, "交换机", None).await),
        set(&["j2", "z2"])
    );
    assert_eq!(sorted(ids(&f, &pr, "光模块", None).await), set(&[]));
    assert_eq!(ids(&f, &pr, "路由器", None).await, vec!["n1"]);
    let r = search::search(f.p(), &pr, "板卡", None, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(r.hits.len(), 1);
    assert_eq!(r.hits[0].title, "核心路由器板卡告警");
    assert_eq!(r.hits[0].updated_at, updated_at(2_000));

    // Moving a document to another organisation moves its visibility.
    let staff = principal(&f, "demo_staff").await;
    assert_eq!(ids(&f, &staff, "路由器", None).await, vec!["n1"]);
    index(
        f.p(),
        &Document {
            doc_type: "ticket",
            doc_id: "n1",
            org_path: f.path("苏州市财政局"),
            title: "核心路由器板卡告警",
            body: "路由器主控板卡温度告警，已联系厂商。",
            updated_at: updated_at(2_100),
        },
    )
    .await
    .unwrap();
    assert!(ids(&f, &staff, "路由器", None).await.is_empty());

    // Removing takes it out of every result.
    assert!(remove(f.p(), "ticket", "n2").await.unwrap());
    assert_eq!(ids(&f, &pr, "堡垒机", None).await, vec!["c1"]);
    assert!(!remove(f.p(), "ticket", "n2").await.unwrap());
    // The same id under another type is another document.
    assert!(!remove(f.p(), "article", "n1").await.unwrap());
    assert_eq!(ids(&f, &pr, "路由器", None).await, vec!["n1"]);

    // A transaction that fails after indexing leaves no trace.
    let res = index_then_fail(f.p(), &nanjing).await;
    assert_eq!(res.unwrap_err().code, "test.rollback");
    assert!(ids(&f, &pr, "区块链", None).await.is_empty());
    assert_eq!(ids(&f, &pr, "堡垒机", None).await, vec!["c1"]);

    // Many updates of one document keep exactly one entry.
    for i in 0..5 {
        index(
            f.p(),
            &Document {
                doc_type: "ticket",
                doc_id: "n4",
                org_path: &nanjing,
                title: "打印机卡纸",
                body: &format!("第{i}次报修：打印机卡纸"),
                updated_at: updated_at(4_000 + i),
            },
        )
        .await
        .unwrap();
    }
    assert_eq!(ids(&f, &pr, "卡纸", None).await, vec!["n4"]);
    assert_eq!(ids(&f, &pr, "第4次", None).await, vec!["n4"]);
    assert!(ids(&f, &pr, "第3次", None).await.is_empty());
}

// ---- natural queries (issue 13) ----

#[tokio::test]
async fn a_query_of_two_words_finds_them_apart_and_ranks_them_together_first() {
    let f = fixture().await;
    let pr = province_reader(&f).await;
    let nanjing = f.path("南京市财政局").to_string();
    for (id, title, body, at) in [
        // The words apart, the shorter title (ranks first on length alone).
        ("p1", "国库集中支付", "客户端升级。", 3_000),
        // The words together.
        ("p2", "国库支付对账差异", "每日对账。", 2_900),
        // Only one of the words.
        ("p3", "国库资金调度", "调度记录。", 3_100),
    ] {
        index(
            f.p(),
            &Document {
                doc_type: "ticket",
                doc_id: id,
                org_path: &nanjing,
                title,
                body,
                updated_at: updated_at(at),
            },
        )
        .await
        .unwrap();
    }
    // 国库支付 is 国库 | 支付: both documents holding the two words, the
    // one holding them as typed first.
    assert_eq!(ids(&f, &pr, "国库支付", None).await, vec!["p2", "p1"]);
    assert_eq!(
        sorted(ids(&f, &pr, "支付国库", None).await),
        set(&["p1", "p2"])
    );
    // Every word must be there.
    assert!(ids(&f, &pr, "国库故障", None).await.is_empty());
    // A dictionary word is still matched as a whole.
    assert_eq!(ids(&f, &pr, "集中支付", None).await, vec!["p1"]);
}

// ---- registers, archives and knowledge (issue 13) ----

async fn api_ok(r: yunwei_testkit::TestResponse) -> serde_json::Value {
    assert!(r.status.is_success(), "{}: {}", r.status, r.text());
    r.json()
}

async fn emergency_plan(
    app: &TestApp,
    token: &str,
    org: &str,
    name: &str,
    content: &str,
) -> String {
    let r = app
        .post_json(
            "/api/v1/registers/emergency_plans",
            Some(token),
            serde_json::json!({"org_id": org, "values": {
                "name": name, "scope": "本单位机房", "content": content,
                "contact": "值班室", "drills": "1"}}),
        )
        .await;
    api_ok(r).await["id"].as_str().unwrap().to_string()
}

async fn archive(app: &TestApp, token: &str, org: &str, title: &str, note: &str) -> String {
    let req = axum::http::Request::builder()
        .method(axum::http::Method::POST)
        .uri(format!(
            "/api/v1/archives?title={}&kind=network_diagram&org_id={org}&filename=topo.vsdx&note={}",
            crate::support::urlenc(title),
            crate::support::urlenc(note)
        ))
        .header(axum::http::header::AUTHORIZATION, format!("Bearer {token}"))
        .header(axum::http::header::CONTENT_TYPE, "application/octet-stream")
        .body(axum::body::Body::from("topology"))
        .unwrap();
    api_ok(app.request(req).await).await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// (doc_type, doc_id, kind) of every hit of `q` for `token`, through the API.
async fn api_hits(app: &TestApp, token: &str, q: &str) -> Vec<(String, String, String)> {
    let r = app
        .get(
            &format!("/api/v1/search?q={}", crate::support::urlenc(q)),
            Some(token),
        )
        .await;
    let j = api_ok(r).await;
    j["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["doc_type"].as_str().unwrap().to_string(),
                h["doc_id"].as_str().unwrap().to_string(),
                h["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The API path that reads a hit by id.
fn read_path(doc_type: &str, id: &str) -> String {
    match doc_type {
        "ticket" => format!("/api/v1/tickets/{id}"),
        "article" => format!("/api/v1/knowledge/{id}"),
        "ci" => format!("/api/v1/cis/{id}"),
        "archive" => format!("/api/v1/archives/{id}"),
        key => format!("/api/v1/registers/{key}/{id}"),
    }
}

/// Every hit of `q` for `token` opens by id for them.
async fn hits_open(app: &TestApp, token: &str, q: &str) {
    for (t, id, _) in api_hits(app, token, q).await {
        let r = app.get(&read_path(&t, &id), Some(token)).await;
        assert_eq!(r.status, axum::http::StatusCode::OK, "{q}: {t} {id}");
    }
}

#[tokio::test]
async fn register_entries_archives_and_articles_are_found_by_who_may_open_them() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let staff = app.login("demo_staff").await;
    let vendor = app.login("demo_vendor").await;
    let nanjing = crate::support::org_id(&app, "南京市财政局").await;
    let suzhou = crate::support::org_id(&app, "苏州市财政局").await;
    let center = crate::support::org_id(&app, "信息中心").await;
    let vendor_org = crate::support::org_id(&app, "金陵数智运维服务有限公司").await;

    let nj_plan = emergency_plan(
        &app,
        &lead,
        &nanjing,
        "南京机房柴油发电机切换预案",
        "市电中断后五分钟内切换柴油发电机供电。",
    )
    .await;
    let sz_plan = emergency_plan(
        &app,
        &lead,
        &suzhou,
        "苏州机房柴油发电机切换预案",
        "苏州机房漏水时关闭精密空调。",
    )
    .await;
    let nj_doc = archive(
        &app,
        &lead,
        &nanjing,
        "南京政务外网拓扑图",
        "柴油发电机供电回路",
    )
    .await;
    let sz_doc = archive(&app, &lead, &suzhou, "苏州政务外网拓扑图", "含漏水传感器").await;
    let article = api_ok(
        app.post_json(
            "/api/v1/knowledge",
            Some(&lead),
            serde_json::json!({"title": "柴油发电机月度试机要点", "cause": "长期未启动",
                "solution": "每月空载试机三十分钟", "org_id": nanjing}),
        )
        .await,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    // A contract of the centre with the vendor: the vendor reads it.
    let contract = api_ok(
        app.post_json(
            "/api/v1/registers/vendor_contracts",
            Some(&lead),
            serde_json::json!({"org_id": center, "values": {
                "name": "柴油发电机维保服务", "contract_no": "JS-2026-088",
                "vendor_org_id": vendor_org, "service_scope": "发电机季度保养",
                "starts_on": "2026-03-02", "ends_on": "2026-12-31"}}),
        )
        .await,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();

    let hits = |v: Vec<(String, String, String)>| -> BTreeSet<String> {
        v.into_iter().map(|(_, id, _)| id).collect()
    };
    // The province's lead: everything, each with its kind in Chinese.
    let all = api_hits(&app, &lead, "柴油发电机").await;
    assert_eq!(
        hits(all.clone()),
        set(&[&nj_plan, &sz_plan, &nj_doc, &article, &contract]),
        "{all:?}"
    );
    let kind_of = |id: &str| all.iter().find(|h| h.1 == id).unwrap().2.clone();
    assert_eq!(kind_of(&nj_plan), "应急预案");
    assert_eq!(kind_of(&nj_doc), "技术资料");
    assert_eq!(kind_of(&article), "知识");
    assert_eq!(kind_of(&contract), "厂商合同");
    // The archive by its note, the Suzhou ones by their own words.
    assert_eq!(
        hits(api_hits(&app, &lead, "漏水").await),
        set(&[&sz_plan, &sz_doc])
    );

    // Nanjing's staff: Nanjing's plan and archive; not the draft article,
    // nothing of Suzhou, not the centre's contract.
    assert_eq!(
        hits(api_hits(&app, &staff, "柴油发电机").await),
        set(&[&nj_plan, &nj_doc])
    );
    assert!(api_hits(&app, &staff, "漏水").await.is_empty());
    for (t, id) in [
        ("emergency_plans", &sz_plan),
        ("archive", &sz_doc),
        ("article", &article),
        ("vendor_contracts", &contract),
    ] {
        let r = app.get(&read_path(t, id), Some(&staff)).await;
        assert_eq!(r.status, axum::http::StatusCode::NOT_FOUND, "{t}");
    }
    // Once published, the article is found by its readers too.
    api_ok(
        app.post_json(
            &format!("/api/v1/knowledge/{article}/publish"),
            Some(&lead),
            serde_json::json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(
        hits(api_hits(&app, &staff, "柴油发电机").await),
        set(&[&nj_plan, &nj_doc, &article])
    );
    // The vendor's engineer finds its contract (the partner organisation)
    // and nothing of Nanjing or Suzhou.
    assert_eq!(
        hits(api_hits(&app, &vendor, "柴油发电机").await),
        set(&[&contract])
    );
    // Narrowed to one kind.
    let r = app
        .get(
            &format!(
                "/api/v1/search?q={}&type=emergency_plans",
                crate::support::urlenc("柴油发电机")
            ),
            Some(&lead),
        )
        .await;
    let only: BTreeSet<String> = api_ok(r).await["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["doc_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(only, set(&[&nj_plan, &sz_plan]));
    // Every hit opens for whoever found it.
    for token in [&lead, &staff, &vendor] {
        for q in ["柴油发电机", "漏水", "拓扑图", "预案", "机"] {
            hits_open(&app, token, q).await;
        }
    }

    // The page: grouped by kind, each hit linking to its object.
    let b = crate::support::Browser::login(&app, "demo_lead").await;
    let r = b
        .get(&format!(
            "/search?q={}",
            crate::support::urlenc("柴油发电机")
        ))
        .await;
    assert_eq!(r.status, axum::http::StatusCode::OK);
    let html = r.text();
    for (link, heading) in [
        (format!("/registers/emergency_plans/{nj_plan}"), "应急预案"),
        (format!("/archives/{nj_doc}"), "技术资料"),
        (format!("/knowledge/{article}"), "知识"),
        (
            format!("/registers/vendor_contracts/{contract}"),
            "厂商合同",
        ),
    ] {
        assert!(
            html.contains(&format!("href=\"{link}\"")),
            "{link} in {html}"
        );
        assert!(html.contains(&format!("<h2>{heading} ")), "{heading}");
    }
    assert!(html.contains("只看应急预案"), "{html}");
    let r = b
        .get(&format!(
            "/search?q={}&type=archive",
            crate::support::urlenc("柴油发电机")
        ))
        .await;
    let html = r.text();
    assert!(html.contains(&format!("/archives/{nj_doc}")));
    assert!(!html.contains(&format!("/registers/emergency_plans/{nj_plan}")));
    assert!(html.contains("只看技术资料"));
    app.cleanup().await;
}

#[tokio::test]
async fn every_register_is_searchable_by_its_read_action() {
    for spec in yunwei_domain::register::SPECS {
        assert!(
            search::is_searchable_read(spec.read),
            "{} is read with {:?}",
            spec.key,
            spec.read
        );
        assert_eq!(search::kind_label(spec.key), spec.label);
    }
}

/// The index as version 1 left it: no entry of `plan` nor of `doc`.
async fn as_before_the_upgrade(p: &Platform, plan: &str, doc: &str) -> Result<(), AppError> {
    in_tx!(p.db(), |c| {
        search::remove_document(&mut c, "emergency_plans", plan).await?;
        search::remove_document(&mut c, "archive", doc).await?;
        yunwei_store::settings::put(&mut c, "search.index_version", "1", 0).await
    })
}

#[tokio::test]
async fn an_upgrade_indexes_what_the_older_version_did_not() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let nanjing = crate::support::org_id(&app, "南京市财政局").await;
    let plan = emergency_plan(
        &app,
        &lead,
        &nanjing,
        "光缆中断应急预案",
        "启用备用光缆路由。",
    )
    .await;
    let doc = archive(&app, &lead, &nanjing, "光缆路由图", "主备光缆").await;
    let p = &app.platform;
    // A fresh database is indexed as it is written; the first turn of
    // the job only records the version.
    yunwei_core::search_index::reindex_if_stale(p)
        .await
        .unwrap();
    assert_eq!(
        yunwei_core::search_index::stored_version(p).await.unwrap(),
        yunwei_core::search_index::INDEX_VERSION
    );
    assert_eq!(
        yunwei_core::search_index::reindex_if_stale(p)
            .await
            .unwrap(),
        0
    );

    // As an older version left it: no entries of registers or archives,
    // and the version before.
    as_before_the_upgrade(p, &plan, &doc).await.unwrap();
    assert!(api_hits(&app, &lead, "光缆").await.is_empty());
    assert_eq!(
        yunwei_core::search_index::stored_version(p).await.unwrap(),
        1
    );

    // The job's next turn re-indexes them, once.
    let n = yunwei_core::search_index::reindex_if_stale(p)
        .await
        .unwrap();
    assert!(n >= 2, "{n}");
    let found: BTreeSet<String> = api_hits(&app, &lead, "光缆")
        .await
        .into_iter()
        .map(|h| h.1)
        .collect();
    assert_eq!(found, set(&[&plan, &doc]));
    assert_eq!(
        yunwei_core::search_index::reindex_if_stale(p)
            .await
            .unwrap(),
        0
    );
    // The job is on the list every node runs.
    assert!(yunwei_core::jobs::JOBS
        .iter()
        .any(|j| j.name == "search_reindex" && j.in_jobs_run));
    app.cleanup().await;
}

async fn index_for(
    p: &Platform,
    doc: &Document<'_>,
    access: search::Access<'_>,
) -> Result<(), AppError> {
    in_tx!(p.db(), |c| {
        search::index_document_for(&mut c, doc, access).await
    })
}

#[tokio::test]
async fn a_document_is_found_only_with_its_audiences_action() {
    let f = fixture().await;
    let nanjing = f.path("南京市财政局").to_string();
    let suzhou = f.path("苏州市财政局").to_string();
    let doc = |id: &'static str, title: &'static str| Document {
        doc_type: "ukeys",
        doc_id: id,
        org_path: &nanjing,
        title,
        body: "",
        updated_at: updated_at(5_000),
    };
    // Read with RoleView over Nanjing, or over Suzhou as its partner.
    index_for(
        f.p(),
        &doc("u1", "量子密钥卡登记"),
        search::Access {
            read: yunwei_domain::roles::Action::RoleView,
            partner_path: Some(&suzhou),
        },
    )
    .await
    .unwrap();
    // A business reader of the whole province holds no RoleView.
    let reader = province_reader(&f).await;
    assert!(ids(&f, &reader, "量子密钥", None).await.is_empty());
    // With RoleView over Nanjing (and business data to search), or over
    // the partner organisation only: found.
    for scope in [&nanjing, &suzhou] {
        let mut pr = principal(&f, "demo_staff").await;
        pr.grants.push(ScopedRole {
            role: Role::SecAdmin,
            scope_path: scope.to_string(),
            subtree: false,
        });
        assert_eq!(ids(&f, &pr, "量子密钥", None).await, vec!["u1"], "{scope}");
    }
    // RoleView elsewhere: not found.
    let mut pr = principal(&f, "demo_staff").await;
    pr.grants.push(ScopedRole {
        role: Role::SecAdmin,
        scope_path: f.path("昆山市财政局").to_string(),
        subtree: true,
    });
    assert!(ids(&f, &pr, "量子密钥", None).await.is_empty());
    // An action no document is read with is refused, not indexed.
    let err = index_for(
        f.p(),
        &doc("u2", "量子密钥卡"),
        search::Access {
            read: yunwei_domain::roles::Action::AuditRead,
            partner_path: None,
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "internal");
}
