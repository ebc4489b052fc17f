//! The government-cloud packs (ZMDY, SNYP; ADR 0016) through the pure
//! engine: routes, deadlines in working days, lead times, joint clearing.
//! The platform side (the gates and effects on real tickets) is tested in
//! `cloud.rs`; the numbers of `cloud.toml` in `domain::cloud`'s tests.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use yunwei_domain::calendar::HolidayCalendar;
use yunwei_domain::cloud::{judge, Funding, Money, Payer, ServiceMode, UnitLevel, Usage, Verdict};
use yunwei_domain::policy::cloud::Period;
use yunwei_domain::policy::engine::{self, TimerAction};
use yunwei_domain::policy::model::{Pack, Process, TimerDuration};
use yunwei_domain::policy::{embedded, hooks, Actor, FieldValue, Fields, TicketSnapshot};

use crate::policy::{date, fields, sh, text, user, Calendar2026};

fn pack(id: &str) -> Pack {
    embedded::pack(id).expect("shipped pack")
}

fn process<'p>(pk: &'p Pack, id: &str) -> &'p Process {
    pk.processes.iter().find(|p| p.id == id).expect("process")
}

struct Flow<'p> {
    process: &'p Process,
    snap: TicketSnapshot,
    now: DateTime<Utc>,
}

impl<'p> Flow<'p> {
    /// Opens a ticket with those of `input`'s fields the process has.
    fn open(process: &'p Process, requester: &Actor, input: Fields, now: DateTime<Utc>) -> Self {
        let input: Fields = input
            .into_iter()
            .filter(|(k, _)| process.field(k).is_some())
            .collect();
        let o = engine::open(process, &input).expect("open");
        Flow {
            process,
            snap: TicketSnapshot {
                state: o.state,
                fields: o.fields,
                requester_id: requester.user_id.clone(),
                attachments: ["application_form", "plan", "report", "project_approval"]
                    .into_iter()
                    .map(String::from)
                    .collect(),
                ..Default::default()
            },
            now,
        }
    }

    /// Takes the transition; returns the timers it starts.
    #[track_caller]
    fn take(&mut self, transition: &str, actor: &Actor, input: Fields) -> Vec<String> {
        let out = engine::apply(
            self.process,
            &self.snap,
            transition,
            actor,
            &input,
            self.now,
            &Calendar2026,
        )
        .unwrap_or_else(|r| panic!("{transition} in {}: {r}", self.snap.state));
        if out.to_state != self.snap.state {
            self.snap.approvals.clear();
        }
        self.snap.state = out.to_state;
        self.snap.fields = out.fields;
        out.timers
            .iter()
            .filter(|t| matches!(t.op, TimerAction::Start | TimerAction::Restart))
            .map(|t| t.timer_id.clone())
            .collect()
    }

    fn refused(&self, transition: &str, actor: &Actor, input: Fields) -> String {
        match engine::apply(
            self.process,
            &self.snap,
            transition,
            actor,
            &input,
            self.now,
            &Calendar2026,
        ) {
            Ok(o) => panic!("{transition} was allowed into {}", o.to_state),
            Err(r) => r.code.to_string(),
        }
    }

    #[track_caller]
    fn vote(&mut self, approval: &str, actor: &Actor, approve: bool) {
        let v = engine::vote(self.process, &self.snap, approval, actor, approve)
            .unwrap_or_else(|r| panic!("vote {approval}: {r}"));
        self.snap.approvals.push(v.vote);
        if let Some(state) = v.complete {
            self.snap.state = state;
            self.snap.approvals.clear();
        }
    }
}

fn duration(p: &Process, timer: &str) -> TimerDuration {
    p.timers
        .iter()
        .find(|t| t.id == timer)
        .map(|t| t.duration)
        .expect("timer")
}

fn apply_input(level: &str) -> Fields {
    fields(&[
        ("title", text("不动产登记系统上云")),
        ("system", text("CI-0001")),
        ("unit_level", text(level)),
        ("kind", text("migration")),
        ("purpose", text("业务量稳定，按需申请")),
        ("dr_resources", text("异地备份 2TB")),
        ("migration_needs", text("云主机 8 核 16G 两台")),
        ("current_usage", text("原服务器 CPU 平均 12%")),
    ])
}

struct People {
    unit: Actor,
    bureau: Actor,
    county: Actor,
    provider: Actor,
}

fn people(pk: &Pack) -> People {
    People {
        unit: user(pk, "unit", &["business_staff"]),
        bureau: user(pk, "bureau", &["cloud_manager"]),
        county: user(pk, "county", &["county_cloud_manager"]),
        provider: user(pk, "provider", &["cloud_provider"]),
    }
}

fn opinion(field: &str) -> Fields {
    fields(&[(field, text("同意"))])
}

// ZMDY-15: 要在7个工作日内提出审核意见. Submitted on Monday 2026-09-28, the
// seventh working day after it is Tuesday 10-13: 9-29, 9-30, then National
// Day (10-01..10-07 off), 10-08, 10-09, Saturday 10-10 (worked), 10-12,
// 10-13.
#[test]
fn zmdy_15_review_due_in_7_working_days_across_national_day() {
    let pk = pack("zmdy");
    let pr = process(&pk, "cloud_apply");
    let who = people(&pk);
    let submitted = sh(date(2026, 9, 28), 10, 0);
    let mut f = Flow::open(pr, &who.unit, apply_input("city"), submitted);
    let started = f.take("submit", &who.unit, Fields::new());
    assert_eq!(f.snap.state, "bureau_review");
    assert_eq!(started, ["review"]);
    let TimerDuration::WorkingDays(n) = duration(pr, "review") else {
        panic!("the review is counted in working days");
    };
    let due = HolidayCalendar::builtin().due_end_of_workdays(submitted, n);
    assert!(due.unannounced_years.is_empty());
    assert_eq!(
        due.value,
        sh(date(2026, 10, 13), 23, 59) + chrono::Duration::seconds(59)
    );
}

// SNYP-11: 管理部门受理后在2个工作日内提出审批意见 — the clock starts at the
// acceptance (受理), not at the submission.
#[test]
fn snyp_11_review_due_in_2_working_days_from_acceptance() {
    let pk = pack("snyp");
    let pr = process(&pk, "cloud_apply");
    let who = people(&pk);
    let mut f = Flow::open(
        pr,
        &who.unit,
        apply_input("city"),
        sh(date(2026, 9, 30), 16, 0),
    );
    assert!(f.take("submit", &who.unit, Fields::new()).is_empty());
    assert_eq!(f.snap.state, "submitted");
    assert_eq!(f.take("accept", &who.bureau, Fields::new()), ["review"]);
    assert_eq!(duration(pr, "review"), TimerDuration::WorkingDays(2));
    let due = HolidayCalendar::builtin().due_end_of_workdays(f.now, 2);
    // 9-30 accepted; National Day; 10-08 and 10-09 are the two working days.
    assert_eq!(
        due.value,
        sh(date(2026, 10, 9), 23, 59) + chrono::Duration::seconds(59)
    );
    f.take("approve", &who.bureau, opinion("review_opinion"));
    // 使用单位应在资源配置完成后的10个工作日内开展应用系统部署工作
    assert_eq!(
        f.take("allocate", &who.provider, opinion("allocation_record")),
        ["deployment"]
    );
    assert_eq!(duration(pr, "deployment"), TimerDuration::WorkingDays(10));
    f.take("deployed", &who.unit, opinion("deployment_record"));
    assert_eq!(f.snap.state, "online");
}

// ZMDY-14: 县(区)政务部门申请使用政务云资源需要经县(区)政务服务和大数据管理局审核后
// 方可向政务云主管部门申请。
#[test]
fn zmdy_14_county_unit_passes_its_county_bureau_first() {
    let pk = pack("zmdy");
    let pr = process(&pk, "cloud_apply");
    let who = people(&pk);
    let mut f = Flow::open(
        pr,
        &who.unit,
        apply_input("county"),
        sh(date(2026, 11, 2), 9, 0),
    );
    assert_eq!(
        f.refused("submit", &who.unit, Fields::new()),
        "policy.condition"
    );
    f.take("submit_county", &who.unit, Fields::new());
    assert_eq!(f.snap.state, "county_review");
    // The city bureau cannot pass it for the county.
    assert_eq!(
        f.refused("county_pass", &who.bureau, opinion("county_opinion")),
        "policy.role"
    );
    assert_eq!(
        f.take("county_pass", &who.county, opinion("county_opinion")),
        ["review"]
    );
    assert_eq!(f.snap.state, "bureau_review");
}

// ZMDY-16: 云服务商应当根据审核意见在5个工作日内完成云资源分配，试用时间为15-30天，
// 确有必要需要延长试用时间的，须经政务云主管部门同意。
#[test]
fn zmdy_16_allocation_in_5_working_days_then_a_trial_extended_only_by_the_bureau() {
    let pk = pack("zmdy");
    let pr = process(&pk, "cloud_apply");
    let who = people(&pk);
    let mut f = Flow::open(
        pr,
        &who.unit,
        apply_input("city"),
        sh(date(2026, 11, 2), 9, 0),
    );
    f.take("submit", &who.unit, Fields::new());
    assert_eq!(
        f.take("approve", &who.bureau, opinion("review_opinion")),
        ["allocation"]
    );
    assert_eq!(duration(pr, "allocation"), TimerDuration::WorkingDays(5));
    // Only the provider allocates.
    assert_eq!(
        f.refused("allocate", &who.unit, opinion("allocation_record")),
        "policy.role"
    );
    assert_eq!(
        f.take("allocate", &who.provider, opinion("allocation_record")),
        ["trial"]
    );
    let rules = pk.cloud.as_ref().expect("cloud rules");
    assert_eq!(rules.trial_days, Some((15, 30)));
    assert_eq!(duration(pr, "trial"), TimerDuration::CalendarDays(30));
    assert_eq!(
        f.refused("extend_trial", &who.unit, opinion("trial_extension_reason")),
        "policy.role"
    );
    assert_eq!(
        f.take(
            "extend_trial",
            &who.bureau,
            opinion("trial_extension_reason")
        ),
        ["trial"]
    );
    f.take("request_golive", &who.unit, Fields::new());
    assert_eq!(f.snap.state, "golive_review");
    // ZMDY-17: 审核未通过的使用单位要按照审核意见进行整改，直至审核通过后方可正式开通上线
    f.take("refuse_golive", &who.bureau, opinion("golive_opinion"));
    assert_eq!(
        f.refused("golive", &who.bureau, opinion("golive_opinion")),
        "policy.wrong_state"
    );
    f.take("resubmit_golive", &who.unit, opinion("rectification"));
    f.take("golive", &who.bureau, opinion("golive_opinion"));
    assert_eq!(f.snap.state, "online");
}

// ZMDY-19: 云服务商在使用单位完成数据迁出后……和使用单位共同清除有关数据、回收云资源.
#[test]
fn zmdy_19_resources_are_reclaimed_only_after_both_confirm_the_clearing() {
    let pk = pack("zmdy");
    let pr = process(&pk, "cloud_exit");
    let who = people(&pk);
    let input = fields(&[
        ("title", text("不动产登记系统退出")),
        ("system", text("CI-0001")),
        ("reason", text("not_used")),
        ("explanation", text("业务并入省级系统")),
    ]);
    let mut f = Flow::open(pr, &who.unit, input, sh(date(2026, 11, 2), 9, 0));
    assert_eq!(f.take("submit", &who.unit, Fields::new()), ["review"]);
    assert_eq!(duration(pr, "review"), TimerDuration::WorkingDays(3));
    f.take("approve", &who.bureau, opinion("review_opinion"));
    f.take("migrated", &who.unit, opinion("migration_record"));
    assert_eq!(f.snap.state, "clearing");
    assert_eq!(
        f.refused("reclaim", &who.provider, opinion("clearing_record")),
        "policy.wrong_state"
    );
    f.vote("joint_clearing", &who.provider, true);
    assert_eq!(f.snap.state, "clearing", "one side alone does not clear");
    f.vote("joint_clearing", &who.unit, true);
    assert_eq!(f.snap.state, "cleared");
    f.take("reclaim", &who.provider, opinion("clearing_record"));
    assert_eq!(f.snap.state, "reclaimed");
    let rules = pk.cloud.as_ref().unwrap();
    assert_eq!(rules.exit_transition, Period::Days(30));
}

// SNYP-16: 审核通过后，使用单位应在3个月的过渡期内完成系统迁移下云和数据迁移备份工作
#[test]
fn snyp_16_exit_transition_is_three_months_and_lateness_is_reported() {
    let pk = pack("snyp");
    let rules = pk.cloud.as_ref().unwrap();
    assert_eq!(rules.exit_transition, Period::Months(3));
    assert_eq!(rules.exit_apply_within_months, Some(1));
    let pr = process(&pk, "cloud_exit");
    let who = people(&pk);
    let input = fields(&[
        ("title", text("旧版网站退出")),
        ("system", text("CI-0002")),
        ("stopped_using_on", FieldValue::Date(date(2026, 10, 1))),
        ("explanation", text("网站已迁入集约化平台")),
    ]);
    let mut f = Flow::open(pr, &who.unit, input, sh(date(2026, 11, 16), 9, 0));
    f.take("submit", &who.unit, Fields::new());
    // 使用单位未及时提交服务终止申请……由管理部门通报审计部门和财政部门
    f.take("report_late", &who.bureau, opinion("report_record"));
    assert_eq!(f.snap.state, "transition");
    assert_eq!(
        f.refused("report_late", &who.unit, opinion("report_record")),
        "policy.role"
    );
}

// ZMDY-22: 要至少提前10个工作日向政务云主管部门提交书面申请
#[test]
fn zmdy_22_major_event_support_is_requested_at_least_10_working_days_ahead() {
    let pk = pack("zmdy");
    let pr = process(&pk, "cloud_support");
    let who = people(&pk);
    let input = |start| {
        fields(&[
            ("title", text("全市招商大会网上直播保障")),
            ("system", text("CI-0003")),
            ("kind", text("major_event")),
            ("support_start", FieldValue::DateTime(start)),
            (
                "support_end",
                FieldValue::DateTime(start + chrono::Duration::days(2)),
            ),
            ("needs", text("带宽临时扩至 1Gbps")),
        ])
    };
    // Submitted Monday 11-02: the tenth working day before Friday 11-13 is
    // 10-30, so a start on 11-13 is too soon; before Monday 11-16 it is
    // 11-02 itself, so 11-16 is on time.
    let now = sh(date(2026, 11, 2), 9, 0);
    let f = Flow::open(pr, &who.unit, input(sh(date(2026, 11, 13), 9, 0)), now);
    assert_eq!(
        f.refused("submit", &who.unit, Fields::new()),
        "policy.lead_time"
    );
    let mut f = Flow::open(pr, &who.unit, input(sh(date(2026, 11, 16), 9, 0)), now);
    f.take("submit", &who.unit, Fields::new());
    assert_eq!(f.snap.state, "bureau_review");
}

// ZMDY-23: 云服务商对政务云实施升级、优化、调整等重大变更前，要至少提前3个工作日向
// 政务云主管部门提交书面申请，并进行安全影响分析、测试、验证和记录
#[test]
fn zmdy_23_platform_change_needs_3_working_days_and_a_security_impact_analysis() {
    let pk = pack("zmdy");
    let pr = process(&pk, "platform_change");
    let who = people(&pk);
    let submit = pr.transition("submit").unwrap();
    for needed in ["security_impact", "test_record", "planned_start"] {
        assert!(submit.require.iter().any(|r| r == needed), "{needed}");
    }
    let input = fields(&[
        ("title", text("云管平台版本升级")),
        ("category", text("upgrade")),
        (
            "planned_start",
            FieldValue::DateTime(sh(date(2026, 11, 4), 22, 0)),
        ),
        ("description", text("升级至 6.2")),
        ("security_impact", text("不影响租户网络隔离")),
        ("test_record", text("测试环境验证通过")),
    ]);
    // For Wednesday 11-04 the request is due by Friday 10-30: Monday 11-02
    // is too late.
    let f = Flow::open(
        pr,
        &who.provider,
        input.clone(),
        sh(date(2026, 11, 2), 9, 0),
    );
    assert_eq!(
        f.refused("submit", &who.provider, Fields::new()),
        "policy.lead_time"
    );
    let mut f = Flow::open(pr, &who.provider, input, sh(date(2026, 10, 30), 9, 0));
    f.take("submit", &who.provider, Fields::new());
    f.take("approve", &who.bureau, opinion("assessment"));
    f.take("implement", &who.provider, opinion("implementation_record"));
    // 变更方案须报市政务云主管部门备案
    f.take("file", &who.bureau, Fields::new());
    assert_eq!(f.snap.state, "filed");
}

// SNYP-12: 对于重要系统迁移会造成重大影响的需向管理部门上报迁移实施方案，经批准后
// 实施迁移; an ordinary one only notifies beforehand.
#[test]
fn snyp_12_important_migration_needs_an_approved_plan() {
    let pk = pack("snyp");
    let pr = process(&pk, "cloud_migration");
    let who = people(&pk);
    let input = |important| {
        fields(&[
            ("title", text("公积金系统迁移")),
            ("system", text("CI-0004")),
            ("important", FieldValue::Bool(important)),
            (
                "planned_start",
                FieldValue::DateTime(sh(date(2026, 11, 20), 22, 0)),
            ),
            ("affected_units", text("市住房公积金中心各县区管理部")),
        ])
    };
    let now = sh(date(2026, 11, 2), 9, 0);
    let mut f = Flow::open(pr, &who.unit, input(true), now);
    assert_eq!(
        f.refused("notify", &who.unit, Fields::new()),
        "policy.condition"
    );
    f.take("submit_plan", &who.unit, Fields::new());
    assert_eq!(
        f.refused("complete", &who.unit, opinion("migration_record")),
        "policy.wrong_state"
    );
    f.take("approve", &who.bureau, opinion("review_opinion"));
    f.take("complete", &who.unit, opinion("migration_record"));
    let mut g = Flow::open(pr, &who.unit, input(false), now);
    g.take("notify", &who.unit, Fields::new());
    assert_eq!(g.snap.state, "ready");
}

/// ADR 0016: the two packs run one model. Each names the same lifecycle
/// hooks, so the platform's code serves either without knowing which.
#[test]
fn zmdy_and_snyp_share_one_model_of_apply_change_and_exit() {
    let uses = |pk: &Pack| -> BTreeSet<String> {
        pk.processes.iter().flat_map(|p| p.hooks_used()).collect()
    };
    let (z, s) = (pack("zmdy"), pack("snyp"));
    for hook in [
        hooks::CLOUD_APPLY_READY,
        hooks::CLOUD_CHANGE_READY,
        hooks::CLOUD_EXIT_READY,
        hooks::CLOUD_ROUTE_PROVIDER,
        hooks::CLOUD_ALLOCATE,
        hooks::CLOUD_GO_LIVE,
        hooks::CLOUD_WITHDRAW,
        hooks::CLOUD_CHANGE_APPLIED,
        hooks::CLOUD_EXIT_APPROVED,
        hooks::CLOUD_RECLAIMED,
    ] {
        assert!(uses(&z).contains(hook), "zmdy lacks {hook}");
        assert!(uses(&s).contains(hook), "snyp lacks {hook}");
    }
    // Where they differ, it is in the numbers.
    let (zr, sr) = (z.cloud.unwrap(), s.cloud.unwrap());
    assert_eq!(zr.trial_days, Some((15, 30)));
    assert_eq!(sr.trial_days, None);
    assert!(sr.refusal_bars_applications && !zr.refusal_bars_applications);
    // ZMDY-36 pays by level only; SNYP-17 by funding and mode.
    let pay = |r: &yunwei_domain::policy::cloud::CloudRules, f, m| {
        yunwei_domain::cloud::payer(&r.payers, UnitLevel::City, f, m, false)
            .unwrap()
            .0
    };
    assert_eq!(
        pay(&zr, Funding::SelfFunded, ServiceMode::Ordinary),
        Payer::CityFinance
    );
    assert_eq!(
        pay(&sr, Funding::SelfFunded, ServiceMode::Ordinary),
        Payer::Unit
    );
    // The same month judged by each pack's thresholds.
    let month = Usage {
        cpu_avg_pct: Some(Money::new(95, 1)),
        mem_avg_pct: Some(Money::from(45)),
        storage_used_gb: Some(Money::from(500)),
        storage_total_gb: Some(Money::from(1000)),
        sample_days: 30,
    };
    assert_eq!(judge(&month, &sr.thresholds).0, Verdict::Low);
    assert_eq!(judge(&month, &zr.thresholds).0, Verdict::Low);
}

/// `policy trace` reads ZMDY's headings, written without a space after
/// 条 (`第十五条审核。`), and not the references inside a sentence; and it
/// reads SNYP's part of the file it shares with SNXM, not SNXM's articles.
#[test]
fn trace_reads_zmdy_headings_without_a_space_and_snyp_apart_from_snxm() {
    use yunwei::policy::{document_articles, trace_report, Sources};
    let zmdy = "第一章总则\n第一条为加强和规范政务云建设\n第十八条变更。涉及重大变更的按照本办法中第十四条至第十七条规定程序执行。\n第十九条 退出。\n";
    assert_eq!(document_articles(zmdy), [vec![1], vec![18], vec![19]]);

    let shared = "印发《遂宁市政务信息化项目管理办法》《遂宁市市级政务云平台管理办法》\n遂宁市政务信息化项目管理办法\n第一条 【目的和依据】\n第二条 适用范围\n第三条 定义\n遂宁市市级政务云平台管理办法\n第一章 总则\n第一条 为加强政务云管理\n第二条 本办法适用于\n";
    let snyp = pack("snyp");
    let part = snyp.document_part(shared).expect("the heading is found");
    assert!(part.starts_with("遂宁市市级政务云平台管理办法"));
    assert_eq!(document_articles(part), [vec![1], vec![2]]);
    let report = trace_report(&snyp, &Sources::none(), Some(shared));
    assert!(
        report.contains("逐条对照（章节标题不计）：共 2 条"),
        "{report}"
    );
    // The cloud.toml values are traced with their article.
    assert!(
        report.contains("pack / parameter / utilisation.low_cpu_below_pct"),
        "{report}"
    );
    let missing = trace_report(&snyp, &Sources::none(), Some("第一条 别的文件\n"));
    assert!(missing.contains("找不到本策略包的起始标题"), "{missing}");
}
