//! SNXM's rules that read the database, one test per article, through
//! `core::tickets` on the fixture of `projects.rs` (a real SQLite file or
//! PostgreSQL server, the test clock at 2026-03-02 09:00 in Beijing).

use chrono::Duration;
use serde_json::{json, Value};
use yunwei_core::features::projects::{self, NewFinding};
use yunwei_core::tickets;
use yunwei_core::Principal;
use yunwei_domain::roles::Role;
use yunwei_store::projects as store;

use crate::projects::{city, ctx, user, City};

async fn attach(k: &City, pr: &Principal, id: &str, kind: &str) {
    tickets::attach(
        &k.app.platform,
        &ctx(),
        pr,
        id,
        kind,
        "材料.pdf",
        b"%PDF-1.4 test",
    )
    .await
    .unwrap_or_else(|e| panic!("attach {kind}: {e}"));
}

async fn set_state(k: &City, id: &str, state: &str) {
    let mut c = k.app.platform.db().begin().await.unwrap();
    c.exec_raw(&format!(
        "UPDATE tickets SET state = '{state}' WHERE id = '{id}'"
    ))
    .await
    .unwrap();
    c.commit().await.unwrap();
}

fn application(total: &str) -> Value {
    json!({
        "unit_level": "city",
        "kind": "investment",
        "route": "regular",
        "total_investment": total,
        "funding": "市级财政资金",
        "current_systems": "现有数字城管系统一套，运行八年",
        "no_duplication": "与市级平台功能不重复",
        "integration": "整合原有两个子系统",
        "cloud_and_sharing": "部署于遂宁市级政务云，数据汇聚至共享交换平台",
        "needs": "案件流转慢，需要移动端处置",
        "secure_products": "采用国产数据库和操作系统",
    })
}

fn no_refusal_case() -> serde_json::Map<String, Value> {
    let pack = yunwei_domain::policy::embedded::pack("snxm").expect("snxm");
    pack.projects
        .expect("projects.toml")
        .refusal_fields
        .into_iter()
        .map(|(f, _)| (f, Value::Bool(false)))
        .collect()
}

/// SNXM-19(二)1: "新建或扩建非涉密机房、数据中心、私有云平台，新增非涉密服务器……
/// 原则上不予审批". The bureau works through the nine cases; a ticked one
/// makes the pass refuse, and the project can only be refused.
#[tokio::test]
async fn snxm_19_a_ticked_refusal_case_refuses_the_bureau_pass() {
    let k = city().await;
    let cdo = user(&k.app, "xm_cdo", &k.unit, Role::ChiefDataOfficer, &k.unit).await;
    let id = k
        .open("project", "遂宁市城管局自建机房扩容", application("800000"))
        .await;
    attach(&k, &k.staff, &id, "application").await;
    k.step(&k.staff, &id, "submit", json!({}))
        .await
        .expect("submit");
    k.step(&cdo, &id, "cdo_consent", json!({"cdo_opinion": "同意报审"}))
        .await
        .expect("cdo");
    let mut f = no_refusal_case();
    f.insert(
        "necessity_opinion".into(),
        json!("属于新增非涉密服务器采购"),
    );
    f.insert("priority_type".into(), json!("none"));
    f.insert("refusal_hardware".into(), Value::Bool(true));
    let e = k
        .step(&k.bureau, &id, "pass_to_finance", Value::Object(f.clone()))
        .await
        .expect_err("a ticked case refuses");
    assert_eq!(e.code, "project.refusal_case", "{e}");
    assert!(
        e.message.contains("SNXM-19") && e.message.contains("新建或扩建非涉密机房"),
        "{e}"
    );
    k.step(&k.bureau, &id, "refuse", Value::Object(f))
        .await
        .expect("refuse");
    // With no case ticked another project passes.
    let ok = k
        .open("project", "遂宁市数字城管移动端", application("800000"))
        .await;
    attach(&k, &k.staff, &ok, "application").await;
    k.step(&k.staff, &ok, "submit", json!({})).await.unwrap();
    k.step(&cdo, &ok, "cdo_consent", json!({"cdo_opinion": "同意"}))
        .await
        .unwrap();
    let mut f = no_refusal_case();
    f.insert("necessity_opinion".into(), json!("必要、合理"));
    f.insert("priority_type".into(), json!("internet_plus"));
    k.step(&k.bureau, &ok, "pass_to_finance", Value::Object(f))
        .await
        .expect("pass");
}

/// SNXM-43: "项目不符合密码应用和网络安全要求，或者存在重大安全隐患的，在完成整改前，
/// 建设单位不得新建信息化项目".
#[tokio::test]
async fn snxm_43_a_unit_with_an_open_major_security_finding_cannot_file_a_new_project() {
    let k = city().await;
    let old = k.project_in_construction(50_000_000).await;
    let p = &k.app.platform;
    let finding = projects::record_finding(
        p,
        &k.bureau,
        &ctx(),
        NewFinding {
            project_id: old.id.clone(),
            area: "security".into(),
            major: true,
            finding: "互联网暴露面存在高危漏洞未修复".into(),
            deadline: chrono::NaiveDate::from_ymd_opt(2026, 4, 30).unwrap(),
        },
    )
    .await
    .expect("the bureau records a finding");
    // Only the bureau records findings.
    let refused = projects::record_finding(
        p,
        &k.police,
        &ctx(),
        NewFinding {
            project_id: old.id.clone(),
            area: "other".into(),
            major: false,
            finding: "x".into(),
            deadline: chrono::NaiveDate::from_ymd_opt(2026, 4, 30).unwrap(),
        },
    )
    .await;
    assert!(refused.is_err());
    let id = k
        .open("project", "遂宁市城管执法记录仪平台", application("200000"))
        .await;
    attach(&k, &k.staff, &id, "application").await;
    let e = k
        .step(&k.staff, &id, "submit", json!({}))
        .await
        .expect_err("blocked");
    assert_eq!(e.code, "project.unit_blocked", "{e}");
    assert!(
        e.message.contains("SNXM-43") && e.message.contains("2026-04-30"),
        "{e}"
    );
    // SNXM-37: the deadline is a due control until the rectification.
    let subject = format!("{}/{}", old.id, finding.id);
    {
        let mut c = p.db().read().await.unwrap();
        let ctl = finding_controls(&mut c, &subject).await;
        assert_eq!(ctl.len(), 1);
        assert!(ctl[0].done_at.is_none());
        assert_eq!(ctl[0].source, "SNXM-37");
    }
    projects::rectify_finding(p, &k.staff, &ctx(), &finding.id, "已修复并复测通过")
        .await
        .expect("rectified");
    {
        let mut c = p.db().read().await.unwrap();
        assert!(finding_controls(&mut c, &subject).await[0]
            .done_at
            .is_some());
    }
    k.step(&k.staff, &id, "submit", json!({}))
        .await
        .expect("unblocked");
}

/// A project in procurement with its contract attached.
async fn procuring(k: &City) -> String {
    let project = k.project_in_construction(0).await;
    set_state(k, &project.id, "procurement").await;
    attach(k, &k.staff, &project.id, "contract").await;
    project.id
}

fn contract(copyright: bool, months: i64, data: &str) -> Value {
    json!({
        "contract_amount": "1,150,000.00",
        "contractor": "四川长虹佳华信息产品有限责任公司",
        "copyright_clause": copyright,
        "data_assets": data,
        "free_om_months": months,
    })
}

/// SNXM-11: "软件开发项目应明确约定软件著作权归建设单位所有。合同中应明确约定一切
/// 数据资产归政府所有……未明确数据资产权属关系的项目，建设单位应与投资承建企业（单位）
/// 签订补充协议".
#[tokio::test]
async fn snxm_11_the_contract_keeps_copyright_and_data_assets() {
    let k = city().await;
    let id = procuring(&k).await;
    let e = k
        .step(
            &k.staff,
            &id,
            "sign_contract",
            contract(false, 12, "contract"),
        )
        .await
        .expect_err("copyright");
    assert_eq!(e.code, "project.checklist_unticked", "{e}");
    assert!(
        e.message.contains("SNXM-11") && e.message.contains("著作权"),
        "{e}"
    );
    let e = k
        .step(
            &k.staff,
            &id,
            "sign_contract",
            contract(true, 12, "supplement"),
        )
        .await
        .expect_err("no agreement");
    assert!(
        e.message.contains("数据资产权属补充协议") && e.message.contains("SNXM-11"),
        "{e}"
    );
    attach(&k, &k.staff, &id, "data_agreement").await;
    k.step(
        &k.staff,
        &id,
        "sign_contract",
        contract(true, 12, "supplement"),
    )
    .await
    .expect("signed with the supplementary agreement");
    let mut c = k.app.platform.db().read().await.unwrap();
    let row = store::get(&mut c, &id).await.unwrap().unwrap();
    assert_eq!(row.contract_fen, Some(115_000_000));
    assert_eq!(row.state, "contracted");
}

/// SNXM-34: "项目的免费运维期应自项目竣工验收合格之日起不少于一年".
#[tokio::test]
async fn snxm_34_the_contract_keeps_a_year_of_free_om() {
    let k = city().await;
    let id = procuring(&k).await;
    let e = k
        .step(
            &k.staff,
            &id,
            "sign_contract",
            contract(true, 11, "contract"),
        )
        .await
        .expect_err("11 months");
    assert_eq!(e.code, "project.free_om_too_short", "{e}");
    assert!(
        e.message.contains("SNXM-34") && e.message.contains("不少于12个月"),
        "{e}"
    );
    k.step(
        &k.staff,
        &id,
        "sign_contract",
        contract(true, 12, "contract"),
    )
    .await
    .expect("12 months");
}

/// SNXM-32: "项目建设完成后，原则上应开展试运行，时间不低于1个月。试运行结束后，
/// 项目建设单位应向市数据局申请开展项目履约验收前置核准". Then acceptance with
/// the SNXM-40 / SNXM-42 items, and the controls of SNXM-34 and SNXM-36.
#[tokio::test]
async fn snxm_32_acceptance_refused_before_one_month_of_trial() {
    let k = city().await;
    let project = k.project_in_construction(100_000_000).await;
    let p = &k.app.platform;
    // 2026-03-02: construction complete, the trial starts.
    k.step(&k.staff, &project.id, "complete", json!({}))
        .await
        .expect("complete");
    let report = json!({"trial_report": "试运行期间系统运行稳定"});
    k.app.clock.advance(Duration::days(30)); // 2026-04-01
    let e = k
        .step(
            &k.staff,
            &project.id,
            "request_pre_acceptance",
            report.clone(),
        )
        .await
        .expect_err("30 days is not a month from 03-02");
    assert_eq!(e.code, "project.trial_too_short", "{e}");
    assert!(
        e.message.contains("SNXM-32") && e.message.contains("2026-04-02"),
        "{e}"
    );
    k.app.clock.advance(Duration::days(1)); // 2026-04-02
    k.step(&k.staff, &project.id, "request_pre_acceptance", report)
        .await
        .expect("a month of trial");
    k.step(
        &k.bureau,
        &project.id,
        "pre_approve",
        json!({"pre_acceptance_opinion": "对照技术方案审查意见，同意组织验收"}),
    )
    .await
    .expect("pre-approved");
    attach(&k, &k.staff, &project.id, "acceptance_report").await;
    let checks = |dengbao: bool| {
        json!({
            "secure_products_checked": true,
            "crypto_checked": true,
            "dengbao_checked": dengbao,
            "acceptance_opinion": "验收合格",
        })
    };
    let e = k
        .step(&k.staff, &project.id, "accept", checks(false))
        .await
        .expect_err("等保 not checked");
    assert!(e.message.contains("等级保护"), "{e}");
    k.step(&k.staff, &project.id, "accept", checks(true))
        .await
        .expect("accepted");
    let mut c = p.db().read().await.unwrap();
    let row = store::get(&mut c, &project.id).await.unwrap().unwrap();
    assert_eq!(row.accepted_on.as_deref(), Some("2026-04-02"));
    // 不少于一年 / 12个月内: through 2027-04-01, due at its end.
    assert_eq!(row.free_om_until.as_deref(), Some("2027-04-01"));
    assert_eq!(row.self_evaluation_due.as_deref(), Some("2027-04-01"));
    let controls = yunwei_store::controls::of_subject(&mut c, "it_project", &project.id, 10)
        .await
        .unwrap();
    let mut kinds: Vec<&str> = controls.iter().map(|x| x.kind.as_str()).collect();
    kinds.sort();
    assert_eq!(kinds, ["project_free_om", "project_self_evaluation"]);
}

async fn system(k: &City, code: &str, name: &str) -> String {
    let ci = yunwei_store::cmdb::CiRow {
        id: yunwei_domain::ids::new_id(),
        code: code.into(),
        name: name.into(),
        category: "application".into(),
        ci_type: "业务系统".into(),
        org_id: k.unit.id.clone(),
        org_path: k.unit.path.clone(),
        vendor: "四川长虹佳华信息产品有限责任公司".into(),
        location: "遂宁市级政务云".into(),
        status: "in_use".into(),
        version: "2.1".into(),
        patch_level: String::new(),
        licence: String::new(),
        licence_expires: None,
        notes: String::new(),
        created_at: k.app.platform.now_us(),
        updated_at: k.app.platform.now_us(),
    };
    let mut c = k.app.platform.db().begin().await.unwrap();
    yunwei_store::cmdb::insert_ci(&mut c, &ci).await.unwrap();
    c.commit().await.unwrap();
    ci.id
}

async fn ci(k: &City, id: &str) -> yunwei_store::cmdb::CiRow {
    let mut c = k.app.platform.db().read().await.unwrap();
    yunwei_store::cmdb::get_ci(&mut c, id)
        .await
        .unwrap()
        .unwrap()
}

/// SNXM-48(三): "每年固定时间使用，且停用周期超过4个月的" — 4 months is not
/// more than 4; 5 is, and the frozen system is out of use (备用).
#[tokio::test]
async fn snxm_48_a_seasonal_system_is_frozen_only_when_idle_more_than_4_months() {
    let k = city().await;
    let id = system(&k, "SN-CG-ZSXT", "遂宁市城管招生报名系统").await;
    let freeze = |months: i64| {
        json!({
            "system": "SN-CG-ZSXT",
            "kind": "freeze",
            "freeze_case": "seasonal",
            "idle_months": months,
            "reason": "每年仅招生季使用",
        })
    };
    let t = k
        .open("system_disposal", "招生报名系统暂停冻结", freeze(4))
        .await;
    let e = k
        .step(&k.staff, &t, "submit", json!({}))
        .await
        .expect_err("4 months");
    assert_eq!(e.code, "project.freeze_case", "{e}");
    assert!(
        e.message.contains("SNXM-48") && e.message.contains("超过4个月"),
        "{e}"
    );
    k.step(&k.staff, &t, "submit", json!({"idle_months": 5}))
        .await
        .expect("5 months");
    k.step(
        &k.bureau,
        &t,
        "approve",
        json!({"review_opinion": "同意暂停冻结"}),
    )
    .await
    .expect("approved");
    let after = ci(&k, &id).await;
    assert_eq!(after.status, "spare");
    assert!(after.notes.contains("暂停冻结"), "{}", after.notes);
}

/// SNXM-44 closes a system (已退役); SNXM-47 transfers one to its new owner
/// with the plan's contents (转移管理方案) required.
#[tokio::test]
async fn snxm_44_closing_retires_and_snxm_47_transfer_moves_the_system() {
    let k = city().await;
    let closed = system(&k, "SN-CG-JXT", "遂宁市城管旧版办公系统").await;
    let t = k
        .open(
            "system_disposal",
            "旧版办公系统关闭注销",
            json!({"system": "SN-CG-JXT", "kind": "close", "close_case": "replaced", "reason": "已由协同办公平台替代"}),
        )
        .await;
    k.step(&k.staff, &t, "submit", json!({}))
        .await
        .expect("close");
    k.step(
        &k.bureau,
        &t,
        "approve",
        json!({"review_opinion": "同意关闭"}),
    )
    .await
    .unwrap();
    assert_eq!(ci(&k, &closed).await.status, "retired");

    let moved = system(&k, "SN-CG-HWGG", "遂宁市户外广告审批系统").await;
    let root = {
        let mut c = k.app.platform.db().read().await.unwrap();
        yunwei_store::orgs::root(&mut c).await.unwrap().unwrap()
    };
    let new_owner = crate::projects::org(
        &k.app,
        &root,
        "遂宁市行政审批局",
        yunwei_domain::org::OrgKind::Department,
    )
    .await;
    let t = k
        .open(
            "system_disposal",
            "户外广告审批系统转移管理",
            json!({"system": "SN-CG-HWGG", "kind": "transfer", "reason": "职能划转至行政审批局"}),
        )
        .await;
    let e = k
        .step(&k.staff, &t, "submit", json!({}))
        .await
        .expect_err("no plan");
    assert!(e.message.contains("SNXM-47"), "{e}");
    k.step(
        &k.staff,
        &t,
        "submit",
        json!({
            "main_situation": "系统运行稳定，日均办件200件",
            "new_owner": "遂宁市行政审批局",
            "resource_disposal": "政务云资源随系统一并移交",
            "security_duties": "移交后数据安全和网络安全由行政审批局负责",
            "om_adjustment": "运维合同主体变更",
            "steps": "一、资料移交；二、账号移交；三、合同变更",
        }),
    )
    .await
    .expect("transfer with its plan");
    k.step(
        &k.bureau,
        &t,
        "approve",
        json!({"review_opinion": "同意转移"}),
    )
    .await
    .unwrap();
    let after = ci(&k, &moved).await;
    assert_eq!(after.org_id, new_owner.id);
    assert!(
        after.notes.contains("转移管理至 遂宁市行政审批局"),
        "{}",
        after.notes
    );
}

async fn finding_controls(
    c: &mut yunwei_store::DbConn,
    subject: &str,
) -> Vec<yunwei_store::controls::ControlRow> {
    yunwei_store::controls::of_subject(c, "it_project_finding", subject, 10)
        .await
        .unwrap()
}

/// Whether a result got past the permission check: refused as forbidden or
/// not found means no; a success or a refusal on the merits means yes.
fn permitted<T>(r: &Result<T, yunwei_domain::AppError>) -> bool {
    !matches!(
        r,
        Err(e) if matches!(e.kind, yunwei_domain::ErrorKind::Forbidden | yunwei_domain::ErrorKind::NotFound)
    )
}

/// The permission matrix of the projects' own operations, written out by
/// hand: who reads a unit's project (list and by id alike), who records a
/// supervision finding (the bureau, SNXM-37), who records its
/// rectification and files the self-evaluation (the unit's side, SNXM-36),
/// who sends the yearly call (the bureau, SNXM-17).
#[tokio::test]
async fn snxm_5_project_permission_matrix() {
    let k = city().await;
    let p = &k.app.platform;
    let project = k.project_in_construction(10_000_000).await;
    let root = {
        let mut c = p.db().read().await.unwrap();
        yunwei_store::orgs::root(&mut c).await.unwrap().unwrap()
    };
    let other_unit = crate::projects::org(
        &k.app,
        &root,
        "遂宁市教育和体育局",
        yunwei_domain::org::OrgKind::Department,
    )
    .await;
    let county = crate::projects::org(
        &k.app,
        &root,
        "射洪市",
        yunwei_domain::org::OrgKind::Department,
    )
    .await;
    let cdo = user(&k.app, "pm_cdo", &k.unit, Role::ChiefDataOfficer, &k.unit).await;
    let other = user(
        &k.app,
        "pm_other",
        &other_unit,
        Role::BusinessStaff,
        &other_unit,
    )
    .await;
    let county_bureau = user(
        &k.app,
        "pm_county",
        &county,
        Role::CountyProjectManager,
        &county,
    )
    .await;
    let development = user(&k.app, "pm_dev", &root, Role::ProjectDevelopment, &root).await;
    let secrecy = user(&k.app, "pm_secrecy", &root, Role::ProjectSecrecy, &root).await;
    // (who, reads, records findings, rectifies / files, sends the call)
    let rows: Vec<(&str, &Principal, bool, bool, bool, bool)> = vec![
        ("unit staff", &k.staff, true, false, true, false),
        ("unit CDO", &cdo, true, false, true, false),
        ("bureau", &k.bureau, true, true, true, true),
        ("finance", &k.finance, true, false, false, false),
        ("development", &development, true, false, false, false),
        ("police", &k.police, true, false, false, false),
        ("secrecy", &secrecy, true, false, false, false),
        ("another unit", &other, false, false, false, false),
        (
            "a county's bureau",
            &county_bureau,
            false,
            false,
            false,
            false,
        ),
    ];
    let deadline = chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
    for (who, pr, reads, finds, rectifies, calls) in rows {
        let listed = projects::list(p, pr, &Default::default()).await.unwrap();
        assert_eq!(
            listed.iter().any(|x| x.id == project.id),
            reads,
            "{who}: list"
        );
        assert_eq!(
            permitted(&projects::get(p, pr, &project.id).await),
            reads,
            "{who}: by id"
        );
        let found = projects::record_finding(
            p,
            pr,
            &ctx(),
            NewFinding {
                project_id: project.id.clone(),
                area: "other".into(),
                major: false,
                finding: format!("{who}：进度滞后"),
                deadline,
            },
        )
        .await;
        assert_eq!(permitted(&found), finds, "{who}: finding");
        let finding = projects::record_finding(
            p,
            &k.bureau,
            &ctx(),
            NewFinding {
                project_id: project.id.clone(),
                area: "other".into(),
                major: false,
                finding: format!("为{who}登记"),
                deadline,
            },
        )
        .await
        .unwrap();
        let rectified = projects::rectify_finding(p, pr, &ctx(), &finding.id, "已整改").await;
        assert_eq!(permitted(&rectified), rectifies, "{who}: rectify");
        // Not accepted yet: a permitted filer is refused on the merits.
        let filed = projects::evaluation::file_self_evaluation(
            p,
            pr,
            &ctx(),
            &project.id,
            "自评报告.pdf",
            b"%PDF-1.4",
        )
        .await;
        assert_eq!(permitted(&filed), rectifies, "{who}: self-evaluation");
        if let Err(e) = &filed {
            if rectifies {
                assert_eq!(e.code, "project.not_accepted", "{who}: {e}");
            }
        }
        let call = projects::plan::call_for_needs(p, pr, &ctx(), 2027).await;
        assert_eq!(permitted(&call), calls, "{who}: plan call");
    }
}

/// SNXM-16 (项目情况书面报市数据局，纳入信息化项目库统筹管理) and issue 15
/// item 1: the project names the systems it builds — the configuration
/// items linked to its ticket show on the project page, linked for those
/// who read the item.
#[tokio::test]
async fn snxm_16_the_project_page_names_its_systems() {
    let k = city().await;
    let project = k.project_in_construction(10_000_000).await;
    let ci = system(&k, "SN-CG-ZHCG", "遂宁市智慧城管平台").await;
    yunwei_core::cmdb::link_ticket(&k.app.platform, &ctx(), &k.staff, &project.id, "SN-CG-ZHCG")
        .await
        .expect("linked");
    let b = crate::support::Browser::login(&k.app, "xm_staff").await;
    let page = b.get(&format!("/projects/{}", project.id)).await.text();
    assert!(page.contains("项目涉及的信息系统"), "{page}");
    assert!(
        page.contains(&format!("/cmdb/{ci}")) && page.contains("遂宁市智慧城管平台"),
        "{page}"
    );
}
