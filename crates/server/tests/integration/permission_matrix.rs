//! The permission matrix: role x organisation relation x action -> allowed?
//! Each row is written out by hand (not derived from the code under test)
//! and executed through the HTTP API. Tiered administration per `JSCZ-6`:
//! an administrator acts on its own level and below, never above or beside.

use std::collections::HashMap;

use axum::http::StatusCode;
use serde_json::json;
use yunwei_testkit::TestApp;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    ViewUser,
    CreateUser,
    UpdateUser,
    DisableUser,
    EnableUser,
    ResetPassword,
    ViewRoles,
    GrantRole,
    RevokeRole,
    RevokeSession,
    ViewOrg,
    CreateOrg,
    RenameOrg,
    EditConfig,
    ReadAudit,
}

const ALL_OPS: [Op; 15] = [
    Op::ViewUser,
    Op::CreateUser,
    Op::UpdateUser,
    Op::DisableUser,
    Op::EnableUser,
    Op::ResetPassword,
    Op::ViewRoles,
    Op::GrantRole,
    Op::RevokeRole,
    Op::RevokeSession,
    Op::ViewOrg,
    Op::CreateOrg,
    Op::RenameOrg,
    Op::EditConfig,
    Op::ReadAudit,
];

/// Organisations used as targets, by relation to the Nanjing (city) level:
/// `root` is above, `nanjing` the level itself, `jiangning` below, `suzhou` beside.
const TARGETS: [(&str, &str); 4] = [
    ("root", "江苏省财政厅"),
    ("nanjing", "南京市财政局"),
    ("jiangning", "南京市江宁区财政局"),
    ("suzhou", "苏州市财政局"),
];

/// (actor, allowed operations per target); everything not listed is refused.
fn expected(actor: &str, op: Op, target: &str) -> bool {
    use Op::*;
    let sys_ops = matches!(
        op,
        ViewUser
            | CreateUser
            | UpdateUser
            | DisableUser
            | EnableUser
            | ResetPassword
            | ViewRoles
            | ViewOrg
            | CreateOrg
            | RenameOrg
            | EditConfig
    );
    let sec_ops = matches!(
        op,
        ViewUser | ViewRoles | GrantRole | RevokeRole | RevokeSession | ViewOrg
    );
    let aud_ops = matches!(op, ViewUser | ViewRoles | ViewOrg | ReadAudit);
    let city_and_below = matches!(target, "nanjing" | "jiangning");
    match actor {
        "sysadmin" => sys_ops,
        "secadmin" => sec_ops,
        "audadmin" => aud_ops,
        "nj_sysadmin" => city_and_below && sys_ops,
        "nj_secadmin" => city_and_below && sec_ops,
        "nj_audadmin" => city_and_below && aud_ops,
        "jn_sysadmin" => target == "jiangning" && sys_ops,
        // Everyone may look up the organisation they belong to.
        "demo_staff" => op == ViewOrg && target == "nanjing",
        // The information centre's director sees every organisation it serves.
        "demo_director" => op == ViewOrg,
        "demo_vendor_admin" => false,
        _ => unreachable!(),
    }
}

/// Operations on the installation as a whole: (export audit, edit security
/// policy, import holiday data into the working-day calendar).
fn expected_global(actor: &str) -> (bool, bool, bool) {
    match actor {
        "audadmin" | "nj_audadmin" => (true, false, false),
        "secadmin" => (false, true, false),
        // Configuration of the installation: the top-level system
        // administrator only (DESIGN.md sections 6 and 7).
        "sysadmin" => (false, false, true),
        _ => (false, false, false),
    }
}

struct World {
    app: TestApp,
    orgs: HashMap<&'static str, String>,
    targets: HashMap<&'static str, String>,
    sessions: HashMap<&'static str, String>,
    org_paths: HashMap<&'static str, String>,
    counter: std::cell::Cell<u32>,
}

async fn world() -> World {
    let app = TestApp::new().await;
    let sys = app.login("sysadmin").await;
    let list = app.get("/api/v1/orgs", Some(&sys)).await.json();
    let mut orgs = HashMap::new();
    let mut org_paths = HashMap::new();
    for (key, name) in TARGETS {
        let o = list["orgs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == name)
            .unwrap();
        orgs.insert(key, o["id"].as_str().unwrap().to_string());
        org_paths.insert(key, o["path"].as_str().unwrap().to_string());
    }
    // One ordinary user in each target organisation.
    let mut targets = HashMap::new();
    for (key, _) in TARGETS {
        let r = app
            .post_json(
                "/api/v1/users",
                Some(&sys),
                json!({"username": format!("target.{key}"), "display_name": "目标用户", "org_id": orgs[key]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        targets.insert(key, r.json()["user"]["id"].as_str().unwrap().to_string());
        // Its login leaves an audit record in that organisation.
        let password = r.json()["initial_password"].as_str().unwrap().to_string();
        let r = app
            .post_json(
                "/api/v1/auth/login",
                None,
                json!({"username": format!("target.{key}"), "password": password}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let mut sessions = HashMap::new();
    {
        let mut c = app.platform.db().read().await.unwrap();
        for (key, _) in TARGETS {
            let ids = [targets[key].clone()];
            let open = yunwei_store::sessions::open_of_users(&mut c, &ids, 1)
                .await
                .unwrap();
            sessions.insert(key, open[0].id.clone());
        }
    }
    World {
        app,
        orgs,
        targets,
        sessions,
        org_paths,
        counter: std::cell::Cell::new(0),
    }
}

impl World {
    /// A business-staff grant on the target user, created without checks
    /// when the previous one was revoked.
    async fn ensure_grant(&self, target: &str) -> String {
        let p = &self.app.platform;
        let user_id = &self.targets[target];
        let mut c = p.db().begin().await.unwrap();
        let grants = yunwei_store::users::grants_of(&mut c, user_id)
            .await
            .unwrap();
        if let Some(g) = grants.iter().find(|g| g.role == "business_staff") {
            return g.id.clone();
        }
        let user = yunwei_store::users::get(&mut c, user_id)
            .await
            .unwrap()
            .unwrap();
        let org = yunwei_store::orgs::get(&mut c, &user.org_id)
            .await
            .unwrap()
            .unwrap();
        yunwei_core::users::grant_unchecked(
            p,
            &mut c,
            &user,
            yunwei_domain::roles::Role::BusinessStaff,
            &org,
            false,
        )
        .await
        .unwrap();
        let id = yunwei_store::users::grants_of(&mut c, user_id)
            .await
            .unwrap()
            .last()
            .unwrap()
            .id
            .clone();
        c.commit().await.unwrap();
        id
    }

    fn next(&self) -> u32 {
        self.counter.set(self.counter.get() + 1);
        self.counter.get()
    }

    /// Performs `op` on `target`; true when it was allowed.
    async fn attempt(&self, token: &str, op: Op, target: &str) -> bool {
        let app = &self.app;
        let user = &self.targets[target];
        let org = &self.orgs[target];
        let n = self.next();
        let r = match op {
            Op::ViewUser => app.get(&format!("/api/v1/users/{user}"), Some(token)).await,
            Op::CreateUser => {
                app.post_json(
                    "/api/v1/users",
                    Some(token),
                    json!({"username": format!("m{n}.user"), "display_name": "矩阵", "org_id": org}),
                )
                .await
            }
            Op::UpdateUser => {
                app.put_json(&format!("/api/v1/users/{user}"), Some(token), json!({"display_name": format!("改名{n}")}))
                    .await
            }
            Op::EnableUser => {
                app.post_json(&format!("/api/v1/users/{user}/enable"), Some(token), json!({"reason": "矩阵测试"})).await
            }
            Op::ViewRoles => app.get(&format!("/api/v1/users/{user}/roles"), Some(token)).await,
            Op::RevokeRole => {
                let grant = self.ensure_grant(target).await;
                app.post_json(&format!("/api/v1/roles/grants/{grant}/revoke"), Some(token), json!({"reason": "矩阵测试"}))
                    .await
            }
            Op::RevokeSession => {
                let session = &self.sessions[target];
                app.post_json(&format!("/api/v1/sessions/{session}/revoke"), Some(token), json!({})).await
            }
            Op::ViewOrg => app.get(&format!("/api/v1/orgs/{org}"), Some(token)).await,
            Op::RenameOrg => {
                app.put_json(&format!("/api/v1/orgs/{org}"), Some(token), json!({"name": format!("矩阵更名{n}")})).await
            }
            Op::DisableUser => {
                app.post_json(&format!("/api/v1/users/{user}/disable"), Some(token), json!({"reason": "矩阵测试"})).await
            }
            Op::ResetPassword => {
                app.post_json(&format!("/api/v1/users/{user}/reset-password"), Some(token), json!({"reason": "矩阵测试"}))
                    .await
            }
            Op::GrantRole => {
                let r = app
                    .post_json(
                        "/api/v1/roles/grants",
                        Some(token),
                        json!({"user_id": user, "role": "business_staff", "reason": "矩阵测试"}),
                    )
                    .await;
                // A repeated grant passed the permission check.
                if r.status == StatusCode::CONFLICT && r.json()["code"] == "role.already_granted" {
                    return true;
                }
                r
            }
            Op::CreateOrg => {
                app.post_json(
                    "/api/v1/orgs",
                    Some(token),
                    json!({"parent_id": org, "kind": "department", "name": format!("矩阵部门{n}")}),
                )
                .await
            }
            Op::EditConfig => {
                app.put_json(
                    &format!("/api/v1/orgs/{org}/config"),
                    Some(token),
                    json!({"business_hours_start": "08:30", "business_hours_end": "17:30", "notice": format!("第{n}号")}),
                )
                .await
            }
            Op::ReadAudit => {
                let r = app.get("/api/v1/audit?limit=500&action=auth.login", Some(token)).await;
                if !r.status.is_success() {
                    return false;
                }
                // Allowed means: records about this organisation are visible.
                let path = &self.org_paths[target];
                return r.json()["records"].as_array().unwrap().iter().any(|x| x["org_path"].as_str().unwrap() == path);
            }
        };
        assert!(
            r.status.is_success()
                || matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{op:?} on {target}: unexpected {} {}",
            r.status,
            r.text()
        );
        r.status.is_success()
    }
}

async fn check_actor(w: &World, actor: &str) {
    let token = w.app.login(actor).await;
    let mut failures = Vec::new();
    for op in ALL_OPS {
        for (target, _) in TARGETS {
            let got = w.attempt(&token, op, target).await;
            let want = expected(actor, op, target);
            if got != want {
                failures.push(format!(
                    "{actor} {op:?} {target}: expected {want}, got {got}"
                ));
            }
        }
    }
    let (export, policy, calendar) = expected_global(actor);
    let r = w
        .app
        .get("/api/v1/audit/export.xlsx?reason=matrix", Some(&token))
        .await;
    if r.status.is_success() != export {
        failures.push(format!(
            "{actor} export audit: expected {export}, got {}",
            r.status
        ));
    }
    let mut body = json!(yunwei_domain::security_policy::SecurityPolicy::default());
    body["reason"] = json!("矩阵测试");
    let r = w
        .app
        .put_json("/api/v1/security-policy", Some(&token), body)
        .await;
    if r.status.is_success() != policy {
        failures.push(format!(
            "{actor} edit security policy: expected {policy}, got {}",
            r.status
        ));
    }
    let year = json!({"year": 2030, "papers": ["https://www.gov.cn/zhengce/matrix.htm"],
        "days": [{"name": "元旦", "date": "2030-01-01", "isOffDay": true}]});
    let req = axum::http::Request::builder()
        .method(axum::http::Method::POST)
        .uri("/api/v1/calendar/import?reason=matrix")
        .header(axum::http::header::AUTHORIZATION, format!("Bearer {token}"))
        .header(axum::http::header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from(year.to_string()))
        .unwrap();
    let r = w.app.request(req).await;
    assert!(
        r.status.is_success() || r.status == StatusCode::FORBIDDEN,
        "{actor} import calendar: unexpected {} {}",
        r.status,
        r.text()
    );
    if r.status.is_success() != calendar {
        failures.push(format!(
            "{actor} import calendar: expected {calendar}, got {}",
            r.status
        ));
    }
    assert!(
        failures.is_empty(),
        "permission matrix mismatches:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn jscz_6_permission_matrix_top_level_three_admins() {
    let w = world().await;
    for actor in ["sysadmin", "secadmin", "audadmin"] {
        check_actor(&w, actor).await;
    }
    w.app.cleanup().await;
}

#[tokio::test]
async fn jscz_6_permission_matrix_city_level_three_admins() {
    let w = world().await;
    for actor in ["nj_sysadmin", "nj_secadmin", "nj_audadmin"] {
        check_actor(&w, actor).await;
    }
    w.app.cleanup().await;
}

#[tokio::test]
async fn jscz_6_county_admin_sees_and_changes_nothing_outside_its_county() {
    let w = world().await;
    check_actor(&w, "jn_sysadmin").await;
    let token = w.app.login("jn_sysadmin").await;
    let orgs = w.app.get("/api/v1/orgs", Some(&token)).await.json();
    let county = &w.org_paths["jiangning"];
    let visible = orgs["orgs"].as_array().unwrap();
    assert!(!visible.is_empty());
    assert!(visible
        .iter()
        .all(|o| o["path"].as_str().unwrap().starts_with(county.as_str())));
    let users = w
        .app
        .get("/api/v1/users?per_page=200", Some(&token))
        .await
        .json();
    let list = users["users"].as_array().unwrap();
    assert!(!list.is_empty());
    assert!(list
        .iter()
        .all(|u| u["org_path"].as_str().unwrap().starts_with(county.as_str())));
    // Even naming an outside organisation as a filter shows nothing outside.
    let outside = &w.orgs["suzhou"];
    let users = w
        .app
        .get(&format!("/api/v1/users?org_id={outside}"), Some(&token))
        .await
        .json();
    assert_eq!(users["total"], 0);
    w.app.cleanup().await;
}

#[tokio::test]
async fn jscz_50_business_and_vendor_accounts_have_no_admin_rights() {
    let w = world().await;
    for actor in ["demo_vendor_admin", "demo_director", "demo_staff"] {
        check_actor(&w, actor).await;
    }
    w.app.cleanup().await;
}

// ---- the operations registers (issue 4, ADR 0005) ----

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RegisterOp {
    ReadItem,
    CreateItem,
    EditItem,
    AllocateAddress,
}

/// What `actor` may do to the registers of `target`, written out by hand:
/// the information centre's roles cover the whole province (JSCZ-6) and
/// keep the registers (RegisterEdit); business staff read their own
/// organisation only; vendor engineers keep only their own organisation's;
/// the third-party administrator and the three administrators see no
/// registers. Returns (may read, may change).
fn register_rights(actor: &str, target: &str) -> (bool, bool) {
    match actor {
        "demo_director" | "demo_deputy" | "demo_lead" | "demo_hwops" | "demo_soft" => (true, true),
        "demo_staff" => (target == "nanjing", false),
        _ => (false, false),
    }
}

#[tokio::test]
async fn eeds_3_6_register_permission_matrix() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let orgs = app.get("/api/v1/orgs", Some(&lead)).await.json();
    let orgs = orgs
        .as_array()
        .or_else(|| orgs["orgs"].as_array())
        .expect("org list")
        .clone();
    let org_id = |name: &str| {
        orgs.iter()
            .find(|o| o["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // One item and one segment in each target organisation.
    let mut items: HashMap<&str, String> = HashMap::new();
    let mut segments: HashMap<&str, String> = HashMap::new();
    for (n, (key, name)) in TARGETS.iter().enumerate() {
        let r = app
            .post_json(
                "/api/v1/cis",
                Some(&lead),
                json!({"code": format!("M-{key}"), "name": name, "category": "hardware", "org_id": org_id(name)}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        items.insert(key, r.json()["ci"]["id"].as_str().unwrap().to_string());
        let r = app
            .post_json(
                "/api/v1/ip-segments",
                Some(&lead),
                json!({"cidr": format!("10.{}.0.0/24", 100 + n), "org_id": org_id(name)}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        segments.insert(key, r.json()["id"].as_str().unwrap().to_string());
    }
    let actors = [
        "demo_director",
        "demo_deputy",
        "demo_lead",
        "demo_hwops",
        "demo_soft",
        "demo_staff",
        "demo_unit",
        "demo_vendor",
        "demo_vendor_admin",
        "nj_sysadmin",
        "nj_secadmin",
        "nj_audadmin",
    ];
    let mut host = 1;
    let mut failures = Vec::new();
    for actor in actors {
        let token = app.login(actor).await;
        for (n, (key, name)) in TARGETS.iter().enumerate() {
            let (read, change) = register_rights(actor, key);
            for op in [
                RegisterOp::ReadItem,
                RegisterOp::CreateItem,
                RegisterOp::EditItem,
                RegisterOp::AllocateAddress,
            ] {
                host += 1;
                let item = &items[key];
                let r = match op {
                    RegisterOp::ReadItem => app.get(&format!("/api/v1/cis/{item}"), Some(&token)).await,
                    RegisterOp::CreateItem => {
                        app.post_json(
                            "/api/v1/cis",
                            Some(&token),
                            json!({"name": "矩阵测试", "category": "network", "org_id": org_id(name)}),
                        )
                        .await
                    }
                    RegisterOp::EditItem => {
                        app.put_json(
                            &format!("/api/v1/cis/{item}"),
                            Some(&token),
                            json!({"name": format!("{name}{host}"), "category": "hardware"}),
                        )
                        .await
                    }
                    RegisterOp::AllocateAddress => {
                        app.post_json(
                            &format!("/api/v1/ip-segments/{}/allocations", segments[key]),
                            Some(&token),
                            json!({"address": format!("10.{}.0.{}", 100 + n, host % 250 + 1)}),
                        )
                        .await
                    }
                };
                // Allowed: success. Not allowed: 403 when the caller may
                // read the object (or creates one), 404 when it is hidden.
                let expected = match (op, read, change) {
                    (RegisterOp::ReadItem, true, _) => StatusCode::OK,
                    (RegisterOp::ReadItem, false, _) => StatusCode::NOT_FOUND,
                    (RegisterOp::CreateItem, _, true) => StatusCode::CREATED,
                    (RegisterOp::CreateItem, _, false) => StatusCode::FORBIDDEN,
                    (RegisterOp::EditItem, _, true) => StatusCode::OK,
                    (RegisterOp::AllocateAddress, _, true) => StatusCode::CREATED,
                    (_, true, false) => StatusCode::FORBIDDEN,
                    (_, false, false) => StatusCode::NOT_FOUND,
                };
                if r.status != expected {
                    failures.push(format!(
                        "{actor} {op:?} {key}: {} (expected {expected}) {}",
                        r.status,
                        r.text()
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    app.cleanup().await;
}

/// 三员分立 between the three administrators themselves (DESIGN §7, ADR
/// 0009): no one of them resets, disables, departs or strips another.
/// Written out by hand: (actor, target account, act) -> allowed? Every
/// case runs on a fresh database, so one case cannot mask another.
#[tokio::test]
async fn three_admin_protection_matrix() {
    const RESET: &str = "reset-password";
    const DISABLE: &str = "disable";
    const DEPART: &str = "departure";
    const REVOKE: &str = "revoke";
    let cases: &[(&str, &str, &str, bool)] = &[
        // Resets of a 三员 account: never online, whoever asks.
        ("sysadmin", "secadmin", RESET, false),
        ("sysadmin", "audadmin", RESET, false),
        ("sysadmin", "nj_sysadmin", RESET, false),
        ("nj_sysadmin", "nj_secadmin", RESET, false),
        ("nj_sysadmin", "nj_audadmin", RESET, false),
        ("nj_sysadmin", "jn_sysadmin", RESET, false),
        // Disabling and departures: only of the same kind, below.
        ("sysadmin", "secadmin", DISABLE, false),
        ("sysadmin", "audadmin", DISABLE, false),
        ("sysadmin", "nj_audadmin", DEPART, false),
        ("nj_sysadmin", "nj_secadmin", DEPART, false),
        ("sysadmin", "nj_sysadmin", DISABLE, true),
        ("nj_sysadmin", "jn_sysadmin", DEPART, true),
        // Revoking a 三员 role: only by a holder of the same role.
        ("secadmin", "nj_audadmin", REVOKE, false),
        ("secadmin", "nj_sysadmin", REVOKE, false),
        ("secadmin", "sysadmin", REVOKE, false),
        ("secadmin", "nj_secadmin", REVOKE, true),
        ("nj_secadmin", "nj_audadmin", REVOKE, false),
    ];
    for (actor, target, act, allowed) in cases {
        let app = TestApp::new().await;
        let token = app.login(actor).await;
        let target_id = {
            let mut c = app.platform.db().read().await.unwrap();
            yunwei_store::users::by_username(&mut c, target)
                .await
                .unwrap()
                .unwrap()
                .id
        };
        let r = if *act == REVOKE {
            let sec = app.login("secadmin").await;
            let grants = app
                .get(&format!("/api/v1/users/{target_id}/roles"), Some(&sec))
                .await
                .json();
            let grant = grants["grants"]
                .as_array()
                .unwrap()
                .iter()
                .find(|g| g["role"].as_str().unwrap_or("").ends_with("_admin"))
                .unwrap_or_else(|| panic!("{target} holds a 三员 role"))["id"]
                .as_str()
                .unwrap()
                .to_string();
            app.post_json(
                &format!("/api/v1/roles/grants/{grant}/revoke"),
                Some(&token),
                json!({"reason": "矩阵测试"}),
            )
            .await
        } else {
            app.post_json(
                &format!("/api/v1/users/{target_id}/{act}"),
                Some(&token),
                json!({"reason": "矩阵测试"}),
            )
            .await
        };
        assert_eq!(
            r.status.is_success(),
            *allowed,
            "{actor} {act} {target}: {} {}",
            r.status,
            r.text()
        );
        if !allowed {
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{actor} {act} {target}");
        }
        app.cleanup().await;
    }
}
