//! Government IT projects (SNXM, issue 15, ADR 0017): the gates that read
//! the database, driven through `core::tickets` on a real SQLite file or
//! PostgreSQL server, and the reviewers' reading scope.

use serde_json::{json, Value};
use yunwei_core::tickets::{self, OpenInput, TransitionInput};
use yunwei_core::{Ctx, Principal};
use yunwei_domain::org::OrgKind;
use yunwei_domain::roles::Role;
use yunwei_store::orgs::OrgRow;
use yunwei_store::projects::{self as store, ProjectRow};
use yunwei_testkit::TestApp;

pub(crate) use crate::support::{account as user, org_under as org};
use crate::support::{Browser, FilePart};
use axum::http::StatusCode;

pub(crate) fn ctx() -> Ctx {
    Ctx::system("test")
}

/// 遂宁市: the data bureau, finance, the police, a unit with staff and CDO.
pub(crate) struct City {
    pub(crate) app: TestApp,
    pub(crate) unit: OrgRow,
    pub(crate) staff: Principal,
    pub(crate) bureau: Principal,
    pub(crate) finance: Principal,
    pub(crate) police: Principal,
}

pub(crate) async fn city() -> City {
    let app = TestApp::new().await;
    let root = {
        let mut c = app.platform.db().read().await.unwrap();
        yunwei_store::orgs::root(&mut c).await.unwrap().unwrap()
    };
    let city = org(&app, &root, "遂宁市", OrgKind::Department).await;
    let bureau_org = org(&app, &city, "遂宁市数据局", OrgKind::Department).await;
    let finance_org = org(&app, &city, "遂宁市财政局", OrgKind::Department).await;
    let police_org = org(&app, &city, "遂宁市公安局", OrgKind::Department).await;
    let unit = org(&app, &city, "遂宁市城市管理局", OrgKind::Department).await;
    let staff = user(&app, "xm_staff", &unit, Role::BusinessStaff, &unit).await;
    let bureau = user(&app, "xm_bureau", &bureau_org, Role::ProjectManager, &city).await;
    let finance = user(
        &app,
        "xm_finance",
        &finance_org,
        Role::ProjectFinance,
        &city,
    )
    .await;
    let police = user(&app, "xm_police", &police_org, Role::ProjectSecurity, &city).await;
    City {
        app,
        unit,
        staff,
        bureau,
        finance,
        police,
    }
}

fn obj(v: Value) -> serde_json::Map<String, Value> {
    v.as_object().unwrap().clone()
}

impl City {
    pub(crate) async fn open(&self, process: &str, title: &str, f: Value) -> String {
        let input = OpenInput {
            pack: "snxm".into(),
            process: process.into(),
            title: title.into(),
            org_id: Some(self.unit.id.clone()),
            fields: obj(f),
            ..Default::default()
        };
        tickets::open(&self.app.platform, &ctx(), &self.staff, &input)
            .await
            .unwrap_or_else(|e| panic!("open {process}: {e}"))
            .id
    }

    pub(crate) async fn step(
        &self,
        pr: &Principal,
        id: &str,
        transition: &str,
        f: Value,
    ) -> Result<(), yunwei_domain::AppError> {
        let input = TransitionInput {
            transition: transition.into(),
            fields: obj(f),
            ..Default::default()
        };
        tickets::transition(&self.app.platform, &ctx(), pr, id, &input)
            .await
            .map(|_| ())
    }

    /// A project in construction with a signed contract of `contract_fen`.
    pub(crate) async fn project_in_construction(&self, contract_fen: i64) -> ProjectRow {
        let mut row = self
            .project_at(
                &self.staff,
                &self.unit,
                "遂宁市数字城管平台升级",
                "construction",
                Some(2026),
                false,
            )
            .await;
        row.contract_fen = Some(contract_fen);
        row.contractor = "四川长虹佳华信息产品有限责任公司".into();
        let p = &self.app.platform;
        let mut c = p.db().begin().await.unwrap();
        store::save(&mut c, &row).await.unwrap();
        c.commit().await.unwrap();
        row
    }

    async fn supplement(
        &self,
        project: &ProjectRow,
        amount: &str,
    ) -> (String, Result<(), yunwei_domain::AppError>) {
        let id = self
            .open(
                "project_supplement",
                "追加服务器授权",
                json!({
                    "project_number": project.number,
                    "route": "regular",
                    "amount": amount,
                    "same_subject": true,
                    "reason": "业务量增长，追加与合同标的相同的软件授权",
                }),
            )
            .await;
        let r = self.step(&self.staff, &id, "submit", json!({})).await;
        (id, r)
    }
}

/// SNXM-30: "所有补充合同的采购金额不得超过原合同采购金额的百分之十". Against a
/// contract of 1,000,000.00 元: 60,000 + 40,000 = exactly 10 % passes; one
/// fen more is refused, with the figures.
#[tokio::test]
async fn snxm_30_supplementary_contracts_over_10_percent_refused() {
    let k = city().await;
    let project = k.project_in_construction(100_000_000).await;
    let (_, first) = k.supplement(&project, "60000").await;
    first.expect("60,000 of 1,000,000");
    let (_, over) = k.supplement(&project, "40000.01").await;
    let e = over.expect_err("one fen over 10 %");
    assert_eq!(e.code, "project.supplement_over_limit", "{e}");
    assert!(
        e.message.contains("SNXM-30") && e.message.contains("100,000.00"),
        "{e}"
    );
    let (second, exact) = k.supplement(&project, "40000").await;
    exact.expect("exactly 10 %");
    // The bureau refuses the second: its amount no longer counts.
    k.step(
        &k.bureau,
        &second,
        "refuse",
        json!({"disposal_opinion": "不同意追加"}),
    )
    .await
    .expect("refuse");
    let (third, again) = k.supplement(&project, "40000").await;
    again.expect("room again after the refusal");
    // Consent re-checks the limit in its own transaction.
    k.step(
        &k.bureau,
        &third,
        "opinion",
        json!({"disposal_opinion": "同意，抄送市财政局"}),
    )
    .await
    .expect("opinion");
    k.step(
        &k.finance,
        &third,
        "consent_finance",
        json!({"approver_opinion": "同意"}),
    )
    .await
    .expect("consent");
    let mut c = k.app.platform.db().read().await.unwrap();
    let counted = store::counted_fen(&mut c, &project.id, "").await.unwrap();
    assert_eq!(counted, 10_000_000);
}

/// SNXM-30 under parallel requests: ten supplements of 20,000 元 against a
/// 1,000,000 元 contract submitted at once; exactly five fit in the 10 %.
#[tokio::test]
async fn snxm_30_parallel_supplements_never_pass_the_limit_together() {
    let k = city().await;
    let project = k.project_in_construction(100_000_000).await;
    let mut ids = Vec::new();
    for _ in 0..10 {
        let id = k
            .open(
                "project_supplement",
                "追加存储扩容",
                json!({"project_number": project.number, "route": "regular", "amount": "20000", "same_subject": true, "reason": "扩容"}),
            )
            .await;
        ids.push(id);
    }
    let results = futures_util::future::join_all(
        ids.iter()
            .map(|id| k.step(&k.staff, id, "submit", json!({}))),
    )
    .await;
    let passed = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(passed, 5, "{results:?}");
    for r in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(r.code, "project.supplement_over_limit", "{r}");
    }
    let mut c = k.app.platform.db().read().await.unwrap();
    assert_eq!(
        store::counted_fen(&mut c, &project.id, "").await.unwrap(),
        10_000_000
    );
}

/// SNXM-23: the police give their security opinion on a project; they read
/// the project ticket, by id and in the list, and nothing else of the unit.
#[tokio::test]
async fn snxm_23_reviewers_read_projects_and_nothing_else_of_the_unit() {
    let k = city().await;
    let project = k.project_in_construction(50_000_000).await;
    let p = &k.app.platform;
    tickets::detail(p, &k.police, &project.id)
        .await
        .expect("the police read the project");
    let other = {
        let input = OpenInput {
            pack: "jscz".into(),
            process: "service_request".into(),
            title: "申请开通预算系统账号".into(),
            org_id: Some(k.unit.id.clone()),
            ..Default::default()
        };
        tickets::open(p, &ctx(), &k.staff, &input).await.unwrap().id
    };
    assert!(
        tickets::detail(p, &k.police, &other).await.is_err(),
        "the unit's other business stays hidden"
    );
    let listed = yunwei_core::features::projects::list(p, &k.police, &Default::default())
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    // A reviewer may not take the bureau's steps.
    let r = k
        .step(
            &k.police,
            &project.id,
            "report_problem",
            json!({"problem_report": "x"}),
        )
        .await;
    assert!(r.is_err());
}

// ------------------------------------------------ pages, API and exports

/// A second unit of the city with its own staff.
async fn other_unit(k: &City) -> (OrgRow, Principal) {
    let root = {
        let mut c = k.app.platform.db().read().await.unwrap();
        yunwei_store::orgs::get(&mut c, k.unit.parent_id.as_deref().unwrap())
            .await
            .unwrap()
            .unwrap()
    };
    let unit = org(&k.app, &root, "遂宁市教育局", OrgKind::Department).await;
    let staff = user(&k.app, "xm_edu_staff", &unit, Role::BusinessStaff, &unit).await;
    (unit, staff)
}

impl City {
    /// A project of `staff`'s unit put straight into `state` with its row.
    async fn project_at(
        &self,
        staff: &Principal,
        unit: &OrgRow,
        name: &str,
        state: &str,
        plan_year: Option<i64>,
        library_only: bool,
    ) -> ProjectRow {
        let input = OpenInput {
            pack: "snxm".into(),
            process: "project".into(),
            title: name.into(),
            org_id: Some(unit.id.clone()),
            fields: obj(
                json!({"kind": "investment", "route": "regular", "unit_level": "city", "total_investment": "1200000"}),
            ),
            ..Default::default()
        };
        let p = &self.app.platform;
        let id = tickets::open(p, &ctx(), staff, &input).await.unwrap().id;
        let mut c = p.db().begin().await.unwrap();
        c.exec_raw(&format!(
            "UPDATE tickets SET state = '{state}' WHERE id = '{id}'"
        ))
        .await
        .unwrap();
        let t = yunwei_store::tickets::get(&mut c, &id)
            .await
            .unwrap()
            .unwrap();
        let row = ProjectRow {
            id: id.clone(),
            pack_id: "snxm".into(),
            org_id: t.org_id.clone(),
            org_path: t.org_path.clone(),
            name: t.title.clone(),
            kind: "investment".into(),
            route: "regular".into(),
            unit_level: "city".into(),
            total_fen: 120_000_000,
            contract_fen: (!library_only).then_some(100_000_000),
            contractor: String::new(),
            supervisor: String::new(),
            plan_year: if library_only { None } else { plan_year },
            urgent: false,
            library_on: Some("2026-01-10".into()),
            planned_on: (!library_only).then(|| "2026-02-01".to_string()),
            trial_from: None,
            accepted_on: None,
            free_om_until: None,
            self_evaluation_due: None,
            self_evaluation_on: None,
            self_evaluation_sm3: None,
            self_evaluation_file: None,
            created_at: p.now_us(),
            updated_at: p.now_us(),
            number: t.number.clone(),
            state: t.state.clone(),
        };
        store::save(&mut c, &row).await.unwrap();
        c.commit().await.unwrap();
        let mut c = p.db().read().await.unwrap();
        store::get(&mut c, &id).await.unwrap().unwrap()
    }

    /// A project of the unit accepted today through the `accept` step (the
    /// effect sets free O&M and the self-evaluation deadline, SNXM-34/36).
    async fn accepted(&self, name: &str) -> ProjectRow {
        let project = self
            .project_at(
                &self.staff,
                &self.unit,
                name,
                "acceptance",
                Some(2026),
                false,
            )
            .await;
        let p = &self.app.platform;
        tickets::attach(
            p,
            &ctx(),
            &self.staff,
            &project.id,
            "acceptance_report",
            "验收报告.pdf",
            b"%PDF-1.4 acceptance",
        )
        .await
        .expect("attach the acceptance report");
        self.step(
            &self.staff,
            &project.id,
            "accept",
            json!({"secure_products_checked": true, "crypto_checked": true, "dengbao_checked": true, "acceptance_opinion": "验收合格"}),
        )
        .await
        .expect("accept");
        let mut c = p.db().read().await.unwrap();
        store::get(&mut c, &project.id).await.unwrap().unwrap()
    }
}

async fn notices(k: &City, user_id: &str, kind: &str) -> usize {
    let mut c = k.app.platform.db().read().await.unwrap();
    yunwei_store::tickets::notifications_of(&mut c, user_id, 200)
        .await
        .unwrap()
        .iter()
        .filter(|n| n.kind == kind)
        .count()
}

/// The pages render for the bureau, a reviewer and the unit, with the menu
/// entry, the amounts formatted and the stage's Chinese label.
#[tokio::test]
async fn projects_pages_render_for_bureau_reviewer_and_unit() {
    let k = city().await;
    let project = k.accepted("遂宁市智慧城管平台").await;
    for who in ["xm_bureau", "xm_police", "xm_staff"] {
        let b = Browser::login(&k.app, who).await;
        for path in [
            "/projects".to_string(),
            "/projects/dashboard".to_string(),
            "/projects/plan?year=2026".to_string(),
            format!("/projects/{}", project.id),
        ] {
            let r = b.get(&path).await;
            assert_eq!(r.status, StatusCode::OK, "{who} {path}: {}", r.text());
            let html = r.text();
            assert!(html.contains("信息化项目"), "{who} {path}: the menu");
            if path != "/projects/dashboard" {
                assert!(html.contains("遂宁市智慧城管平台"), "{who} {path}");
            } else {
                assert!(html.contains("遂宁市城市管理局"), "{who}: the unit's bar");
                assert!(html.contains("2026"), "{who}: the plan year");
            }
        }
        let page = b.get(&format!("/projects/{}", project.id)).await.text();
        assert!(page.contains("1,200,000.00"), "{who}: the total");
        assert!(page.contains("已验收，投入运行"), "{who}: the stage label");
        assert!(
            page.contains("已计入 0.00 元 / 上限 100,000.00 元"),
            "{who}: the supplement limit"
        );
        // Only the bureau sees the finding form; the reviewer never the
        // upload (who operates the unit's business does: its staff, and
        // the bureau, whose role operates over the city).
        assert_eq!(page.contains("finding-form"), who == "xm_bureau", "{who}");
        assert_eq!(
            page.contains("self-evaluation-form"),
            who != "xm_police",
            "{who}"
        );
    }
    k.app.cleanup().await;
}

/// A unit reads only its own projects: in the list, by id (404, page and
/// API, as for an unknown id) and in the dashboard.
#[tokio::test]
async fn projects_a_unit_reads_only_its_own() {
    let k = city().await;
    let (edu, edu_staff) = other_unit(&k).await;
    let ours = k
        .project_at(
            &k.staff,
            &k.unit,
            "城市管理综合执法系统",
            "construction",
            Some(2026),
            false,
        )
        .await;
    let theirs = k
        .project_at(
            &edu_staff,
            &edu,
            "智慧校园平台",
            "construction",
            Some(2026),
            false,
        )
        .await;
    let b = Browser::login(&k.app, "xm_staff").await;
    let list = b.get("/projects").await.text();
    assert!(list.contains("城市管理综合执法系统"));
    assert!(!list.contains("智慧校园平台"));
    let r = b.get(&format!("/projects/{}", theirs.id)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let dash = b.get("/projects/dashboard").await.text();
    assert!(!dash.contains("遂宁市教育局"));
    let token = k.app.login("xm_staff").await;
    let r = k
        .app
        .get(&format!("/api/v1/projects/{}", theirs.id), Some(&token))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["code"], "not_found", "{}", r.text());
    let r = k.app.get("/api/v1/projects", Some(&token)).await;
    assert_eq!(r.status, StatusCode::OK);
    let ids: Vec<String> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, vec![ours.id.clone()]);
    let r = k
        .app
        .get(&format!("/api/v1/projects/{}", ours.id), Some(&token))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // The bureau reads both.
    let token = k.app.login("xm_bureau").await;
    let r = k.app.get("/api/v1/projects/dashboard", Some(&token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["total"], 2);
    k.app.cleanup().await;
}

/// SNXM-37: a reviewer can neither record a finding nor file the unit's
/// self-evaluation; the bureau records, the unit rectifies.
#[tokio::test]
async fn projects_reviewer_cannot_record_a_finding_nor_file_a_self_evaluation() {
    let k = city().await;
    let project = k.accepted("遂宁市数字档案馆").await;
    let police = k.app.login("xm_police").await;
    let finding = json!({"area": "security", "major": true, "finding": "未开展等保测评", "deadline": "2026-04-30"});
    let r = k
        .app
        .post_json(
            &format!("/api/v1/projects/{}/findings", project.id),
            Some(&police),
            finding.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let b = Browser::login(&k.app, "xm_police").await;
    let r = b
        .multipart(
            &format!("/projects/{}/self-evaluation", project.id),
            &[],
            FilePart {
                field: "file",
                filename: "自评报告.pdf",
                content_type: "application/pdf",
                content: b"%PDF-1.4 report",
            },
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = b
        .post(
            &format!("/projects/{}/findings", project.id),
            &[
                ("area", "security"),
                ("finding", "x"),
                ("deadline", "2026-04-30"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    {
        let mut c = k.app.platform.db().read().await.unwrap();
        assert!(store::findings_of(&mut c, &project.id)
            .await
            .unwrap()
            .is_empty());
        let row = store::get(&mut c, &project.id).await.unwrap().unwrap();
        assert!(row.self_evaluation_on.is_none());
    }
    // The bureau records it; the unit rectifies it.
    let bureau = k.app.login("xm_bureau").await;
    let r = k
        .app
        .post_json(
            &format!("/api/v1/projects/{}/findings", project.id),
            Some(&bureau),
            finding,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let fid = r.json()["id"].as_str().unwrap().to_string();
    let staff = k.app.login("xm_staff").await;
    let r = k
        .app
        .post_json(
            &format!("/api/v1/projects/findings/{fid}/rectify"),
            Some(&police),
            json!({"rectification": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = k
        .app
        .post_json(
            &format!("/api/v1/projects/findings/{fid}/rectify"),
            Some(&staff),
            json!({"rectification": "已完成等保三级测评"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    k.app.cleanup().await;
}

/// SNXM-36: the unit files the report on the page; the due control is
/// done, the bureau and finance are told, the police are not; a second
/// filing is refused; the file downloads.
#[tokio::test]
async fn snxm_36_self_evaluation_filing_completes_the_control_and_tells_bureau_and_finance() {
    let k = city().await;
    let project = k.accepted("遂宁市政务服务一体化平台").await;
    let b = Browser::login(&k.app, "xm_staff").await;
    let r = b
        .multipart(
            &format!("/projects/{}/self-evaluation", project.id),
            &[],
            FilePart {
                field: "file",
                filename: "绩效自评报告.pdf",
                content_type: "application/pdf",
                content: b"%PDF-1.4 self evaluation",
            },
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    {
        let mut c = k.app.platform.db().read().await.unwrap();
        let controls = yunwei_store::controls::of_subject(&mut c, "it_project", &project.id, 10)
            .await
            .unwrap();
        let kinds: Vec<(&str, bool)> = controls
            .iter()
            .map(|x| (x.kind.as_str(), x.done_at.is_some()))
            .collect();
        assert!(
            kinds.contains(&("project_self_evaluation", true)),
            "{kinds:?}"
        );
        assert!(kinds.contains(&("project_free_om", false)), "{kinds:?}");
        let row = store::get(&mut c, &project.id).await.unwrap().unwrap();
        assert_eq!(row.self_evaluation_on.as_deref(), Some("2026-03-02"));
    }
    assert_eq!(
        notices(&k, &k.bureau.user_id, "project_self_evaluation").await,
        1
    );
    assert_eq!(
        notices(&k, &k.finance.user_id, "project_self_evaluation").await,
        1
    );
    assert_eq!(
        notices(&k, &k.police.user_id, "project_self_evaluation").await,
        0
    );
    // A second filing is refused (API: the body is the file).
    let token = k.app.login("xm_staff").await;
    let req = axum::http::Request::builder()
        .method("POST")
        .uri(format!(
            "/api/v1/projects/{}/self-evaluation?filename=report2.pdf",
            project.id
        ))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/octet-stream")
        .body(axum::body::Body::from(&b"%PDF-1.4 again"[..]))
        .unwrap();
    let r = k.app.request(req).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert_eq!(r.json()["code"], "project.report_filed");
    let r = k
        .app
        .get(
            &format!("/api/v1/projects/{}/self-evaluation", project.id),
            Some(&k.app.login("xm_finance").await),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(&r.body[..], b"%PDF-1.4 self evaluation");
    k.app.cleanup().await;
}

/// The export holds the rows of the list with its filter, and only those;
/// it needs a reason and is audited.
#[tokio::test]
async fn projects_export_holds_the_rows_of_the_list_and_only_those() {
    let k = city().await;
    let a = k
        .project_at(
            &k.staff,
            &k.unit,
            "城市停车管理系统",
            "construction",
            Some(2026),
            false,
        )
        .await;
    let b_ = k
        .project_at(
            &k.staff,
            &k.unit,
            "市政设施巡查系统",
            "construction",
            Some(2027),
            false,
        )
        .await;
    let token = k.app.login("xm_bureau").await;
    let r = k
        .app
        .get("/api/v1/projects/export.xlsx?plan_year=2026", Some(&token))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "no reason");
    assert_eq!(r.json()["code"], "audit.reason_required");
    let r = k
        .app
        .get(
            "/api/v1/projects/export.xlsx?plan_year=2026&reason=%E5%B9%B4%E5%BA%A6%E7%BB%9F%E8%AE%A1",
            Some(&token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let rows = crate::controls::xlsx_rows(&r.body);
    let data: Vec<&Vec<String>> = rows.iter().skip(2).collect();
    assert_eq!(data.len(), 1, "{rows:?}");
    assert_eq!(data[0][0], a.number);
    assert_eq!(data[0][6], "1,200,000.00");
    assert!(!rows.iter().any(|r| r[0] == b_.number));
    // The page's export, same filter.
    let b = Browser::login(&k.app, "xm_bureau").await;
    let r = b
        .post(
            "/projects/export",
            &[("plan_year", "2027"), ("reason", "年度统计")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let rows = crate::controls::xlsx_rows(&r.body);
    let numbers: Vec<&str> = rows.iter().skip(2).map(|r| r[0].as_str()).collect();
    assert_eq!(numbers, vec![b_.number.as_str()]);
    let mut c = k.app.platform.db().read().await.unwrap();
    let n = c
        .all_raw(
            "SELECT id FROM audit_log WHERE action = 'it_project.export'",
            vec![],
        )
        .await
        .unwrap()
        .len();
    assert_eq!(n, 2);
    drop(c);
    k.app.cleanup().await;
}

/// SNXM-36: "项目投入运行后12个月内，建设单位应开展绩效自评价". A project
/// accepted 13 months ago and not filed is listed as overdue; one accepted
/// 11 months ago is not (it is within its 12 months).
#[tokio::test]
async fn snxm_36_self_evaluation_overdue_after_12_months() {
    let k = city().await;
    let old = k.accepted("遂宁市公共资源交易平台").await;
    k.app.clock.advance(chrono::Duration::days(61));
    let recent = k.accepted("遂宁市社会信用信息平台").await;
    // Eleven months after the second: thirteen after the first.
    k.app.clock.advance(chrono::Duration::days(335));
    let p = &k.app.platform;
    let d = yunwei_core::features::projects::dashboard::dashboard(p, &k.bureau)
        .await
        .unwrap();
    let overdue = d
        .lists
        .iter()
        .find(|l| l.key == "evaluation_overdue")
        .unwrap();
    let ids: Vec<&str> = overdue.projects.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(ids, vec![old.id.as_str()], "{:?}", overdue.projects);
    assert!(!ids.contains(&recent.id.as_str()));
    // The list page behind the figure shows the same.
    let b = Browser::login(&k.app, "xm_bureau").await;
    let html = b.get("/projects?due=evaluation_overdue").await.text();
    assert!(html.contains("遂宁市公共资源交易平台"));
    assert!(!html.contains("遂宁市社会信用信息平台"));
    k.app.cleanup().await;
}

/// SNXM-17: the yearly call tells the staff and the CDO of a unit with a
/// project in the library, and nobody else.
#[tokio::test]
async fn snxm_17_plan_call_notifies_units_with_library_projects_only() {
    let k = city().await;
    let (edu, edu_staff) = other_unit(&k).await;
    let cdo = user(&k.app, "xm_cdo", &k.unit, Role::ChiefDataOfficer, &k.unit).await;
    let edu_cdo = user(&k.app, "xm_edu_cdo", &edu, Role::ChiefDataOfficer, &edu).await;
    k.project_at(
        &k.staff,
        &k.unit,
        "城市照明智能控制系统",
        "library",
        None,
        true,
    )
    .await;
    k.project_at(
        &edu_staff,
        &edu,
        "教育资源公共服务平台",
        "construction",
        Some(2026),
        false,
    )
    .await;
    let staff_token = k.app.login("xm_staff").await;
    let r = k
        .app
        .post_json(
            "/api/v1/projects/plan-call",
            Some(&staff_token),
            json!({"year": 2027}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let token = k.app.login("xm_bureau").await;
    let r = k
        .app
        .post_json(
            "/api/v1/projects/plan-call",
            Some(&token),
            json!({"year": 2027}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["units"], 1);
    let told: Vec<String> = {
        let mut c = k.app.platform.db().read().await.unwrap();
        c.all_raw(
            "SELECT u.username AS username FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.kind = 'project_plan_call'",
            vec![],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| sqlx::Row::get::<String, _>(r, "username"))
        .collect()
    };
    // The unit's staff and CDO; nobody of the other unit, the bureau or
    // the reviewers (a fixture account of the test bed whose business
    // scope covers the whole tree is told too, as a holder covering the
    // unit).
    assert!(told.contains(&"xm_staff".to_string()), "{told:?}");
    assert!(told.contains(&"xm_cdo".to_string()), "{told:?}");
    assert!(
        !told
            .iter()
            .any(|u| u.starts_with("xm_") && u != "xm_staff" && u != "xm_cdo"),
        "{told:?}"
    );
    assert_eq!(r.json()["people"], told.len(), "{told:?}");
    for (who, n) in [
        (&k.staff, 1),
        (&cdo, 1),
        (&edu_staff, 0),
        (&edu_cdo, 0),
        (&k.bureau, 0),
        (&k.finance, 0),
        (&k.police, 0),
    ] {
        assert_eq!(
            notices(&k, &who.user_id, "project_plan_call").await,
            n,
            "{}",
            who.display_name
        );
    }
    k.app.cleanup().await;
}

/// The dashboard's 待审查审批 is derived from the pack: a project whose state
/// only the bureau or a reviewer can leave is listed, one the unit moves on
/// is not; by stage follows the process's states with their labels.
#[tokio::test]
async fn projects_dashboard_lists_reviews_due_from_the_pack() {
    let k = city().await;
    let waiting = k
        .project_at(
            &k.staff,
            &k.unit,
            "城市内涝监测预警系统",
            "bureau_opinion",
            None,
            true,
        )
        .await;
    let building = k
        .project_at(
            &k.staff,
            &k.unit,
            "城市燃气安全监管平台",
            "construction",
            Some(2026),
            false,
        )
        .await;
    let d = yunwei_core::features::projects::dashboard::dashboard(&k.app.platform, &k.bureau)
        .await
        .unwrap();
    let review = d.lists.iter().find(|l| l.key == "review").unwrap();
    let ids: Vec<&str> = review.projects.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(ids, vec![waiting.id.as_str()]);
    assert!(!ids.contains(&building.id.as_str()));
    let stage = |key: &str| d.by_stage.iter().find(|c| c.key == key).unwrap();
    assert_eq!(stage("bureau_opinion").count, 1);
    assert_eq!(stage("construction").count, 1);
    assert_eq!(stage("construction").label, "建设实施");
    assert_eq!(stage("draft").count, 0);
    assert_eq!(d.by_year.len(), 1);
    assert_eq!(d.by_year[0].total, "1,200,000.00");
    assert_eq!(d.by_year[0].contract, "1,000,000.00");
    // The figure's link is the list that shows the same project.
    let b = Browser::login(&k.app, "xm_bureau").await;
    let html = b.get(&review.link).await.text();
    assert!(html.contains("城市内涝监测预警系统"));
    assert!(!html.contains("城市燃气安全监管平台"));
    k.app.cleanup().await;
}
