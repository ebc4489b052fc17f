//! Government IT projects (SNXM, issue 15, ADR 0017): the gates that read
//! the database, driven through `core::tickets` on a real SQLite file or
//! PostgreSQL server, and the reviewers' reading scope.

use serde_json::{json, Value};
use yunwei_core::tickets::{self, OpenInput, TransitionInput};
use yunwei_core::{Ctx, Principal};
use yunwei_domain::org::{child_path, OrgKind};
use yunwei_domain::roles::Role;
use yunwei_store::orgs::OrgRow;
use yunwei_store::projects::{self as store, ProjectRow};
use yunwei_testkit::TestApp;

pub(crate) fn ctx() -> Ctx {
    Ctx::system("test")
}

/// The organisation `name` under `parent`: the demo's own 遂宁市 ones when
/// the demo accounts already made them (demo/projects.toml), else new.
pub(crate) async fn org(app: &TestApp, parent: &OrgRow, name: &str, kind: OrgKind) -> OrgRow {
    {
        let mut c = app.platform.db().read().await.unwrap();
        if let Some(o) = yunwei_store::orgs::find_child(&mut c, &parent.id, name)
            .await
            .unwrap()
        {
            return o;
        }
    }
    let id = yunwei_domain::ids::new_id();
    let o = OrgRow {
        id: id.clone(),
        parent_id: Some(parent.id.clone()),
        path: child_path(&parent.path, &id),
        kind: kind.as_str().into(),
        name: name.into(),
        created_at: app.platform.now_us(),
    };
    let mut c = app.platform.db().begin().await.unwrap();
    yunwei_store::orgs::insert(&mut c, &o).await.unwrap();
    c.commit().await.unwrap();
    o
}

pub(crate) async fn user(
    app: &TestApp,
    username: &str,
    home: &OrgRow,
    role: Role,
    scope: &OrgRow,
) -> Principal {
    let p = &app.platform;
    let mut c = p.db().begin().await.unwrap();
    let u = yunwei_core::features::users::insert_unchecked(
        p,
        &mut c,
        home,
        username,
        username,
        TestApp::DEMO_PASSWORD,
        None,
        None,
        false,
    )
    .await
    .unwrap();
    yunwei_core::features::users::grant_unchecked(p, &mut c, &u, role, scope, true)
        .await
        .unwrap();
    c.commit().await.unwrap();
    crate::support::principal(app, username).await
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
        let id = self
            .open(
                "project",
                "遂宁市数字城管平台升级",
                json!({"kind": "investment", "route": "regular", "unit_level": "city", "total_investment": "1200000"}),
            )
            .await;
        let p = &self.app.platform;
        let mut c = p.db().begin().await.unwrap();
        c.exec_raw(&format!(
            "UPDATE tickets SET state = 'construction' WHERE id = '{id}'"
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
            contract_fen: Some(contract_fen),
            contractor: "四川长虹佳华信息产品有限责任公司".into(),
            supervisor: String::new(),
            plan_year: Some(2026),
            urgent: false,
            library_on: Some("2026-01-10".into()),
            planned_on: Some("2026-02-01".into()),
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
