//! The demo's 遂宁市 projects (issue 15, `crates/core/src/demo/projects.toml`):
//! what `yunwei serve --demo` seeds stands where the brief and the browser
//! journey (`tests/browser/test_projects.py`) need it, on SQLite and
//! PostgreSQL.

use std::collections::BTreeSet;

use chrono::{Months, NaiveDate};
use serde_json::Map;
use yunwei_core::features::projects;
use yunwei_core::kernel::due;
use yunwei_core::tickets::{self, TransitionInput};
use yunwei_store::tickets::TicketFilter;
use yunwei_testkit::TestApp;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Every stage of policies/snxm/project.toml the brief asks for has a demo
/// project; the joint review waits for secrecy only; one trial is older
/// than the pack's shortest and one younger; one accepted project's
/// self-evaluation is due within days and one's is overdue; the draft of
/// the unit with an open major finding cannot be submitted (SNXM-43).
#[tokio::test]
async fn snxm_demo_projects_stand_at_every_stage() {
    let app = TestApp::new().await;
    let p = &app.platform;
    yunwei_core::demo::seed_work(p).await.expect("demo work");
    yunwei_core::demo::seed_work(p)
        .await
        .expect("seeding again adds nothing");
    let bureau = crate::support::principal(&app, "demo_xm_bureau").await;
    let rules = projects::rules(p, "snxm").unwrap().clone();
    let today = due::today(p);

    // The tickets of the city, by process and state.
    let page = tickets::list(p, &bureau, &TicketFilter::default(), 1, 200)
        .await
        .unwrap();
    let states = |process: &str| -> Vec<String> {
        page.tickets
            .iter()
            .filter(|t| t.process == process)
            .map(|t| t.state.clone())
            .collect()
    };
    let project_states: BTreeSet<String> = states("project").into_iter().collect();
    for stage in [
        "draft",
        "cdo_review",
        "bureau_opinion",
        "refused",
        "library",
        "planned",
        "joint_review",
        "budget_review",
        "procurement",
        "contracted",
        "construction",
        "suspended",
        "trial",
        "pre_acceptance",
        "operating",
        "county_building",
    ] {
        assert!(
            project_states.contains(stage),
            "no demo project in {stage}: {project_states:?}"
        );
    }
    let mut disposals = states("system_disposal");
    disposals.sort();
    assert_eq!(disposals, vec!["done".to_string(), "review".to_string()]);
    let mut supplements = states("project_supplement");
    supplements.sort();
    assert_eq!(
        supplements,
        vec!["approved".to_string(), "bureau_opinion".to_string()]
    );
    assert_eq!(states("project").len(), 21, "{project_states:?}");

    // The joint review: security has voted, secrecy has not.
    let joint = page
        .tickets
        .iter()
        .find(|t| t.state == "joint_review")
        .unwrap();
    let d = tickets::detail(p, &bureau, &joint.id).await.unwrap();
    let steps = d.approval.expect("the joint review's approval").steps;
    assert_eq!(steps.len(), 2, "{steps:?}");
    assert_eq!(steps[0].1, "已同意", "{steps:?}");
    assert_eq!(steps[1].1, "待审批", "{steps:?}");

    // The projects' dates, from the pack's numbers.
    let rows = projects::list(p, &bureau, &Default::default())
        .await
        .unwrap();
    let shortest = |from: &str| day(from) + Months::new(rules.trial_min_months);
    let trials: Vec<_> = rows.iter().filter(|r| r.state == "trial").collect();
    assert_eq!(trials.len(), 2);
    assert_eq!(
        trials
            .iter()
            .filter(|r| shortest(r.trial_from.as_deref().unwrap()) <= today)
            .count(),
        1,
        "one trial past the pack's shortest"
    );
    let dues: Vec<NaiveDate> = rows
        .iter()
        .filter(|r| r.state == "operating")
        .map(|r| day(r.self_evaluation_due.as_deref().unwrap()))
        .collect();
    assert_eq!(dues.len(), 2);
    assert!(dues.iter().any(|d| *d < today), "one overdue: {dues:?}");
    assert!(
        dues.iter()
            .any(|d| *d >= today && *d <= today + chrono::Duration::days(7)),
        "one due within the week: {dues:?}"
    );
    // 4,000,000 元 and more: in construction with a supervisor named on
    // the ticket (SNXM-29; `it_projects` takes it at the trial's start).
    let big = rows
        .iter()
        .find(|r| r.state == "construction" && r.total_fen >= 400_000_000)
        .expect("a project of 4,000,000 元 or more in construction");
    let d = tickets::detail(p, &bureau, &big.id).await.unwrap();
    assert!(
        d.fields
            .iter()
            .any(|f| f.id == "supervisor" && !f.value.is_empty()),
        "no supervisor on {}",
        big.name
    );
    let small = rows
        .iter()
        .find(|r| r.state == "trial")
        .expect("a project in trial");
    assert!(small.total_fen < 400_000_000 && small.supervisor.is_empty());

    // The overdue self-evaluation is on 到期事项总览 of its unit.
    let yb = crate::support::principal(&app, "demo_xm_unit_yb").await;
    let o = due::overview(
        p,
        &yb,
        &due::OverviewFilter {
            status: Some("overdue".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(
        o.overdue
            .iter()
            .any(|c| c.kind == due::PROJECT_SELF_EVALUATION),
        "{:?}",
        o.overdue.iter().map(|c| &c.title).collect::<Vec<_>>()
    );

    // SNXM-43: the unit's open major finding blocks its draft.
    let draft = page
        .tickets
        .iter()
        .find(|t| t.state == "draft" && t.process == "project")
        .unwrap();
    let e = tickets::transition(
        p,
        &yunwei_core::Ctx::system("test"),
        &yb,
        &draft.id,
        &TransitionInput {
            transition: "submit".into(),
            fields: Map::new(),
            ..Default::default()
        },
    )
    .await
    .expect_err("blocked by the open finding");
    assert_eq!(e.code, "project.unit_blocked", "{e}");
    assert!(e.message.contains("SNXM-43"), "{e}");
    app.cleanup().await;
}
