//! The shipped policy packs (ADR 0003) driven through the engine, one test
//! per article they enforce: JSCZ service requests, requirements and
//! software upgrades; the EEDS pack (incidents, problems, changes); the
//! NTCZ service levels. Timer operations are played on a small model of
//! the core's timer rows, so a test can say "overdue after 31 minutes".
//! And `yunwei policy check` / `trace` as a process on every pack.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use yunwei_domain::calendar::end_of_day_shanghai;
use yunwei_domain::policy::engine::{self, date_shanghai, TimerAction, TimerOp};
use yunwei_domain::policy::model::{Pack, Process, TimerDuration};
use yunwei_domain::policy::{embedded, Actor, FieldValue, Fields, Refusal, TicketSnapshot};

use super::policy::{date, fields, one, repo_root, sh, text, user, yunwei, Calendar2026};

// ------------------------------------------------------------ timer model

/// A timer row as the core keeps it (crates/core/src/tickets.rs).
#[derive(Debug, Clone, PartialEq)]
struct Clock {
    status: &'static str,
    due: DateTime<Utc>,
    warn: Option<DateTime<Utc>>,
    remaining: Option<Duration>,
}

fn minutes_of(d: TimerDuration) -> i64 {
    match d {
        TimerDuration::WallClock(m) => i64::from(m),
        TimerDuration::CalendarDays(n) | TimerDuration::WorkingDays(n) => i64::from(n) * 24 * 60,
        TimerDuration::Months(n) => i64::from(n) * 30 * 24 * 60,
    }
}

/// 23:59:59 of a day in Asia/Shanghai, as the core's deadlines.
fn end_of_day(d: NaiveDate) -> DateTime<Utc> {
    end_of_day_shanghai(d)
}

fn due_after(from: DateTime<Utc>, d: TimerDuration) -> DateTime<Utc> {
    match d {
        TimerDuration::WallClock(m) => from + Duration::minutes(i64::from(m)),
        TimerDuration::CalendarDays(n) => {
            end_of_day(date_shanghai(from) + Duration::days(i64::from(n)))
        }
        TimerDuration::WorkingDays(n) => {
            let mut day = date_shanghai(from);
            let mut left = n;
            while left > 0 {
                day = day.succ_opt().unwrap();
                if Calendar2026::is_workday(day) {
                    left -= 1;
                }
            }
            end_of_day(day)
        }
        TimerDuration::Months(n) => end_of_day(
            date_shanghai(from)
                .checked_add_months(chrono::Months::new(n))
                .unwrap(),
        ),
    }
}

// ----------------------------------------------------------------- tickets

/// A ticket moved through the engine, with its timers.
struct T<'p> {
    pack: &'p Pack,
    process: &'p Process,
    snap: TicketSnapshot,
    now: DateTime<Utc>,
    clocks: BTreeMap<String, Clock>,
    /// Timer operations of the last step.
    ops: Vec<(String, TimerAction)>,
    /// Tickets opened by conversions: process and fields.
    converted: Vec<(String, Fields)>,
}

impl<'p> T<'p> {
    #[track_caller]
    fn open(
        pack: &'p Pack,
        process: &str,
        requester: &Actor,
        input: Fields,
        now: DateTime<Utc>,
    ) -> T<'p> {
        let process = pack
            .process(process)
            .unwrap_or_else(|| panic!("{}: no process {process}", pack.id));
        let o = engine::open(process, &input).unwrap_or_else(|r| panic!("open: {r}"));
        let mut t = T {
            pack,
            process,
            snap: TicketSnapshot {
                state: o.state,
                fields: o.fields,
                requester_id: requester.user_id.clone(),
                ..Default::default()
            },
            now,
            clocks: BTreeMap::new(),
            ops: Vec::new(),
            converted: Vec::new(),
        };
        t.play(&o.timers);
        t
    }

    /// Applies timer operations the way the core does.
    fn play(&mut self, ops: &[TimerOp]) {
        self.ops = ops.iter().map(|o| (o.timer_id.clone(), o.op)).collect();
        for op in ops {
            let def = self.process.timer(&op.timer_id).expect("timer");
            let start = |now: DateTime<Utc>| {
                let due = due_after(now, def.duration);
                Clock {
                    status: "running",
                    due,
                    warn: def
                        .warn_before
                        .map(|w| due - Duration::minutes(minutes_of(w))),
                    remaining: None,
                }
            };
            let current = self
                .clocks
                .get(&op.timer_id)
                .filter(|c| c.status != "stopped")
                .cloned();
            let next = match (op.op, current) {
                (TimerAction::Start, None) | (TimerAction::Restart, _) => Some(start(self.now)),
                (TimerAction::Stop, Some(mut c)) => {
                    c.status = "stopped";
                    Some(c)
                }
                (TimerAction::Pause, Some(mut c)) if c.status == "running" => {
                    c.status = "paused";
                    c.remaining = Some(c.due - self.now);
                    Some(c)
                }
                (TimerAction::Resume, Some(mut c)) if c.status == "paused" => {
                    let due = self.now + c.remaining.take().unwrap_or_default();
                    c.warn = c.warn.map(|w| w + (due - c.due));
                    c.due = due;
                    c.status = "running";
                    Some(c)
                }
                _ => None,
            };
            if let Some(c) = next {
                self.clocks.insert(op.timer_id.clone(), c);
            }
        }
    }

    fn try_take(&self, transition: &str, actor: &Actor, input: Fields) -> Result<String, Refusal> {
        engine::apply(
            self.process,
            &self.snap,
            transition,
            actor,
            &input,
            self.now,
            &Calendar2026,
        )
        .map(|o| o.to_state)
    }

    #[track_caller]
    fn refused(&self, transition: &str, actor: &Actor, input: Fields) -> Refusal {
        match self.try_take(transition, actor, input) {
            Ok(to) => panic!("{transition} in {} was allowed (to {to})", self.snap.state),
            Err(r) => r,
        }
    }

    #[track_caller]
    fn take(&mut self, transition: &str, actor: &Actor, input: Fields) -> &mut Self {
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
        for c in &out.conversions {
            let target = self.pack.process(&c.process).expect("target");
            self.converted.push((
                c.process.clone(),
                engine::conversion_fields(c, &out.fields, target),
            ));
        }
        self.snap.state = out.to_state.clone();
        self.snap.fields = out.fields.clone();
        let ops = out.timers.clone();
        self.play(&ops);
        self
    }

    #[track_caller]
    fn vote(&mut self, approval: &str, actor: &Actor, approve: bool) -> &mut Self {
        let v = engine::vote(self.process, &self.snap, approval, actor, approve)
            .unwrap_or_else(|r| panic!("vote {approval} in {}: {r}", self.snap.state));
        match v.complete {
            Some(to) => {
                self.snap.state = to;
                self.snap.approvals.clear();
            }
            None => self.snap.approvals.push(v.vote),
        }
        self.play(&v.timers);
        self
    }

    fn try_vote(&self, approval: &str, actor: &Actor, approve: bool) -> Result<(), Refusal> {
        engine::vote(self.process, &self.snap, approval, actor, approve).map(|_| ())
    }

    fn attach(&mut self, kind: &str) -> &mut Self {
        self.snap.attachments.insert(kind.to_string());
        self
    }

    fn assign(&mut self, who: &Actor) -> &mut Self {
        self.snap.assignee_id = Some(who.user_id.clone());
        self
    }

    fn later(&mut self, minutes: i64) -> &mut Self {
        self.now += Duration::minutes(minutes);
        self
    }

    fn state(&self) -> &str {
        &self.snap.state
    }

    fn field(&self, id: &str) -> Option<&FieldValue> {
        self.snap.fields.get(id)
    }

    #[track_caller]
    fn clock(&self, id: &str) -> &Clock {
        self.clocks
            .get(id)
            .unwrap_or_else(|| panic!("timer {id} never started: {:?}", self.clocks))
    }

    /// Running and past its deadline: the job would mark it breached.
    fn overdue(&self, id: &str) -> bool {
        self.clocks
            .get(id)
            .is_some_and(|c| c.status == "running" && c.due <= self.now)
    }

    fn warned(&self, id: &str) -> bool {
        self.clocks.get(id).is_some_and(|c| {
            c.status == "running" && c.warn.is_some_and(|w| w <= self.now) && c.due > self.now
        })
    }

    fn status(&self, id: &str) -> Option<&'static str> {
        self.clocks.get(id).map(|c| c.status)
    }

    fn last_ops(&self) -> Vec<(&str, TimerAction)> {
        self.ops.iter().map(|(t, a)| (t.as_str(), *a)).collect()
    }
}

fn pack(id: &str) -> Pack {
    embedded::pack(id).unwrap_or_else(|| panic!("pack {id}"))
}

fn with(mut f: Fields, k: &str, v: FieldValue) -> Fields {
    f.insert(k.to_string(), v);
    f
}

fn yes(b: bool) -> FieldValue {
    FieldValue::Bool(b)
}

// ================================================ JSCZ service requests

fn request(kind: &str, channel: &str) -> Fields {
    fields(&[
        ("title", text("指标调剂数据错误")),
        ("kind", text(kind)),
        ("channel", text(channel)),
        ("system", text("预算管理一体化系统")),
        ("description", text("某单位指标调剂后余额不一致，请更正")),
    ])
}

struct Jscz {
    business: Actor,
    other_business: Actor,
    local_ops: Actor,
    vendor: Actor,
    lead: Actor,
    deputy: Actor,
    hardware: Actor,
    software: Actor,
    desk: Actor,
}

fn jscz_people(p: &Pack) -> Jscz {
    Jscz {
        business: user(p, "city_finance", &["business_staff"]),
        other_business: user(p, "budget_division", &["business_staff"]),
        local_ops: user(p, "local_vendor", &["vendor_engineer"]),
        vendor: user(p, "system_vendor", &["vendor_engineer"]),
        lead: user(p, "lead", &["project_lead"]),
        deputy: user(p, "deputy", &["deputy_director"]),
        hardware: user(p, "hardware", &["hardware_ops"]),
        software: user(p, "software", &["software_dev"]),
        desk: user(p, "desk", &["hardware_ops"]),
    }
}

fn monday() -> DateTime<Utc> {
    sh(date(2026, 9, 14), 9, 0)
}

#[test]
fn jscz_21_data_change_request_converts_to_major_data_change() {
    let p = pack("jscz");
    let who = jscz_people(&p);
    let mut t = T::open(
        &p,
        "service_request",
        &who.business,
        request("data_change", "web_form"),
        monday(),
    );
    t.take("submit", &who.business, Fields::new());
    // Only a data change request converts, and the receiving staff do it.
    assert_eq!(
        t.refused("guide", &who.local_ops, one("guidance", "x"))
            .code,
        "policy.condition"
    );
    assert_eq!(
        t.refused("convert_to_change", &who.business, Fields::new())
            .code,
        "policy.role"
    );
    let r = t.refused("convert_to_change", &who.local_ops, Fields::new());
    assert_eq!(r.code, "policy.missing_field");
    assert!(r.message.contains("数据更改原因"), "{r}");
    t.take(
        "convert_to_change",
        &who.local_ops,
        one("reason", "调剂金额录入错误"),
    );
    assert_eq!(t.state(), "converted");
    assert!(t.process.state("converted").unwrap().is_final);

    // The change it opens: major, data type, with the descriptive fields.
    assert_eq!(t.converted.len(), 1);
    let (process, f) = &t.converted[0];
    assert_eq!(process, "change");
    assert_eq!(f["level"], text("major"));
    assert_eq!(f["type"], text("data"));
    for k in ["title", "system", "description", "reason"] {
        assert_eq!(f.get(k), t.field(k), "{k}");
    }
    // It follows the major data change route: the business department
    // submits it with the signed request (JSCZ-26, JSCZ-33); the vendor's
    // ordinary submission (JSCZ-26 (1)) does not take it.
    let mut change = T::open(&p, "change", &who.business, f.clone(), t.now);
    let planned = FieldValue::DateTime(sh(date(2026, 12, 31), 20, 0));
    let planned = one("reason", "调剂金额录入错误")
        .into_iter()
        .chain([("planned_start".to_string(), planned)])
        .collect::<Fields>();
    assert_eq!(
        change
            .refused("submit", &who.business, planned.clone())
            .code,
        "policy.role"
    );
    assert_eq!(
        change.refused("submit", &who.vendor, planned.clone()).code,
        "policy.condition"
    );
    assert_eq!(
        change
            .refused("submit_data_change", &who.business, planned.clone())
            .code,
        "policy.missing_attachment"
    );
    change
        .attach("signed_request")
        .take("submit_data_change", &who.business, planned)
        .take("accept_data_change", &who.lead, Fields::new());
    assert_eq!(change.state(), "data_planning");
}

#[test]
fn jscz_21_operation_consultation_closed_on_requester_satisfaction() {
    let p = pack("jscz");
    let who = jscz_people(&p);
    let mut t = T::open(
        &p,
        "service_request",
        &who.business,
        request("operation_consultation", "web_form"),
        monday(),
    );
    let r = t.refused("submit", &who.business, one("description", " "));
    assert_eq!(r.code, "policy.missing_field");
    t.take("submit", &who.business, Fields::new());
    assert_eq!(
        t.refused("guide", &who.local_ops, Fields::new()).code,
        "policy.missing_field"
    );
    t.take(
        "guide",
        &who.local_ops,
        one("guidance", "在指标调剂界面点击刷新"),
    );
    assert_eq!(t.state(), "awaiting_satisfaction");
    // Only the requester closes it, once satisfied.
    for other in [&who.local_ops, &who.lead] {
        assert_eq!(
            t.refused("confirm_satisfied", other, Fields::new()).code,
            "policy.role"
        );
    }
    // Not satisfied: a new remark each time, back to the receiving staff.
    assert_eq!(
        t.refused("not_satisfied", &who.business, Fields::new())
            .code,
        "policy.missing_field"
    );
    t.take(
        "not_satisfied",
        &who.business,
        one("requester_feedback", "仍不显示"),
    )
    .take("refer_to_technician", &who.local_ops, Fields::new())
    .assign(&who.software);
    assert_eq!(t.state(), "with_technician");
    // The technician it was passed to guides.
    t.take(
        "technician_guide",
        &who.software,
        one("guidance", "清除浏览器缓存"),
    );
    t.take("confirm_satisfied", &who.business, Fields::new());
    assert_eq!(t.state(), "closed");
}

#[test]
fn jscz_21_hotline_call_registered_by_province_staff_for_the_caller() {
    let p = pack("jscz");
    let who = jscz_people(&p);
    let caller = user(&p, "budget_unit_user", &["business_staff"]);
    // The staff open it on the caller's behalf: the caller is the requester.
    let t = T::open(
        &p,
        "service_request",
        &caller,
        request("operation_consultation", "hotline"),
        monday(),
    );
    assert_eq!(
        t.refused("submit", &caller, Fields::new()).code,
        "policy.condition"
    );
    assert_eq!(
        t.refused("register_hotline", &caller, Fields::new()).code,
        "policy.role"
    );
    let r = t.refused("register_hotline", &who.desk, Fields::new());
    assert!(r.message.contains("来电单位及联系人"), "{r}");
    let mut t = t;
    t.take(
        "register_hotline",
        &who.desk,
        one("caller", "某预算单位 张会计"),
    )
    .take("guide", &who.desk, one("guidance", "电话指导完成"))
    .take("confirm_satisfied", &caller, Fields::new());
    assert_eq!(t.state(), "closed");
    // The source is one of the two of JSCZ-19.
    let r = engine::open(t.process, &request("operation_consultation", "email")).unwrap_err();
    assert_eq!(
        (r.code, r.source.as_deref()),
        ("policy.invalid_field", Some("JSCZ-19"))
    );
}

#[test]
fn jscz_21_business_consultation_answered_by_the_lead_division() {
    let p = pack("jscz");
    let who = jscz_people(&p);
    let mut t = T::open(
        &p,
        "service_request",
        &who.business,
        request("business_consultation", "web_form"),
        monday(),
    );
    t.take("submit", &who.business, Fields::new()).take(
        "forward_to_lead_dept",
        &who.business,
        Fields::new(),
    );
    assert_eq!(t.state(), "with_lead_dept");
    // The department that asked holds the business role but does not
    // answer its own question; the province's lead division does.
    let r = t.refused("answer", &who.business, one("answer", "自行答复"));
    assert_eq!(r.code, "policy.role");
    assert!(r.message.contains("申请人本人"), "{r}");
    assert_eq!(
        t.refused("answer", &who.local_ops, one("answer", "x")).code,
        "policy.role"
    );
    t.take(
        "answer",
        &who.other_business,
        one("answer", "按预算法第三十条执行"),
    );
    assert_eq!(t.state(), "answered");
    // A question left: asked again, answered again (a new answer).
    t.take(
        "ask_again",
        &who.business,
        one("requester_feedback", "是否适用于追加指标？"),
    );
    assert_eq!(
        t.refused("answer", &who.other_business, Fields::new()).code,
        "policy.missing_field"
    );
    t.take("answer", &who.other_business, one("answer", "适用"))
        .take("close_answered", &who.business, Fields::new());
    assert_eq!(t.state(), "closed");
}

#[test]
fn jscz_21_data_extraction_served_by_the_local_vendor_closed_by_the_requester() {
    let p = pack("jscz");
    let who = jscz_people(&p);
    let mut t = T::open(
        &p,
        "service_request",
        &who.business,
        request("data_extraction", "web_form"),
        monday(),
    );
    t.take("submit", &who.business, Fields::new());
    let r = t.refused(
        "provide_data",
        &who.local_ops,
        one("data_provided", "已导出"),
    );
    assert!(r.message.contains("当地管理要求及审批情况"), "{r}");
    assert_eq!(
        t.refused("provide_data", &who.lead, Fields::new()).code,
        "policy.role"
    );
    let mut input = one("data_provided", "已按要求导出 2026 年指标数据");
    input.insert("local_authorisation".into(), text("经本级预算科科长同意"));
    t.take("provide_data", &who.local_ops, input);
    assert_eq!(
        t.refused("close_data", &who.local_ops, Fields::new()).code,
        "policy.role"
    );
    t.take("close_data", &who.business, Fields::new());
    assert_eq!(t.state(), "closed");
}

// ==================================================== JSCZ requirements

fn requirement(category: &str) -> Fields {
    fields(&[
        ("title", text("支付申请增加批量导入")),
        ("system", text("统一公共支付系统")),
        ("category", text(category)),
        ("description", text("支持 Excel 批量导入支付申请")),
    ])
}

#[test]
fn jscz_15_three_categories_four_urgencies() {
    let p = pack("jscz");
    let process = p.process("requirement").unwrap();
    for (field, bad) in [("category", "performance"), ("urgency", "someday")] {
        let r = engine::open(process, &one(field, bad)).unwrap_err();
        assert_eq!(
            (r.code, r.source.as_deref()),
            ("policy.invalid_field", Some("JSCZ-15")),
            "{field}"
        );
    }
    let choices = |f: &str| -> Vec<String> {
        process
            .field(f)
            .unwrap()
            .choices
            .iter()
            .map(|c| c.id.clone())
            .collect()
    };
    assert_eq!(choices("category"), ["functional", "usability", "resource"]);
    assert_eq!(choices("urgency"), ["current", "near", "mid", "long"]);
}

#[test]
fn jscz_16_requirement_needs_review_and_requester_confirmation() {
    let p = pack("jscz");
    let who = jscz_people(&p);
    let mut t = T::open(
        &p,
        "requirement",
        &who.business,
        requirement("functional"),
        monday(),
    );
    // (2) Reviewed inside the department first.
    let r = t.refused("submit", &who.business, Fields::new());
    assert!(r.message.contains("内部审核意见"), "{r}");
    t.take("submit", &who.business, one("internal_review", "科室同意"))
        // (3) Not solvable by local configuration: the vendor's opinion.
        .take(
            "return_to_department",
            &who.local_ops,
            one("vendor_opinion", "需系统升级"),
        )
        // (4)
        .take("submit_to_centre", &who.business, Fields::new());
    assert_eq!(t.state(), "at_centre");
    // (5) Neither configuration nor an upgrade iteration: the review board.
    let other = one("implementation", "other");
    assert_eq!(
        t.refused(
            "classify",
            &who.lead,
            with(other.clone(), "urgency", text("current"))
        )
        .code,
        "policy.condition"
    );
    t.take("organise_review", &who.lead, other);
    assert_eq!(t.state(), "board_review");
    // The requesting department does not sit on its own requirement.
    let r = t.try_vote("review_board", &who.business, true).unwrap_err();
    assert_eq!(r.code, "policy.role");
    assert_eq!(
        t.try_vote("review_board", &who.vendor, true)
            .unwrap_err()
            .code,
        "policy.not_your_step"
    );
    t.vote("review_board", &who.other_business, true);
    assert_eq!(t.state(), "board_review", "the centre has not assessed yet");
    t.vote("review_board", &who.lead, true);
    assert_eq!(t.state(), "board_approved");
    let r = t.refused("classify_reviewed", &who.lead, one("urgency", "current"));
    assert!(r.message.contains("需求评审组评估意见"), "{r}");
    t.take(
        "classify_reviewed",
        &who.lead,
        with(
            one("urgency", "current"),
            "review_opinion",
            text("业务处室许可"),
        ),
    )
    // (6) Current: the vendor's requirement team analyses it.
    .take("start_analysis", &who.lead, Fields::new())
    .take("submit_analysis", &who.vendor, one("analysis", "详细分析"));
    assert_eq!(t.state(), "awaiting_confirmation");
    // (7) The requester confirms, nobody else.
    for other in [&who.lead, &who.vendor, &who.other_business] {
        assert_eq!(
            t.refused("confirm_requirement", other, Fields::new()).code,
            "policy.role"
        );
    }
    t.take(
        "return_analysis",
        &who.business,
        one("requester_opinion", "补充导入模板"),
    );
    assert_eq!(t.state(), "analysing");
    t.take(
        "submit_analysis",
        &who.vendor,
        one("analysis", "详细分析（含模板）"),
    )
    .take("confirm_requirement", &who.business, Fields::new())
    // (8)
    .take("plan_development", &who.lead, one("dev_plan", "10 月迭代"))
    .take(
        "submit_for_verification",
        &who.vendor,
        one("test_result", "测试通过"),
    )
    .take(
        "pass_verification",
        &who.lead,
        one("verification_result", "验证通过"),
    );
    assert_eq!(t.state(), "in_upgrade_plan");
    // (9) Closed after the change, with the business divisions informed.
    let r = t.refused(
        "close",
        &who.lead,
        one("change_number", "BG-20261015-00001"),
    );
    assert!(r.message.contains("已抄送的相关业务处室"), "{r}");
    t.take(
        "close",
        &who.lead,
        with(
            one("change_number", "BG-20261015-00001"),
            "cc_departments",
            text("国库处、预算处"),
        ),
    );
    assert_eq!(t.state(), "closed");

    // A board rejection ends it.
    let mut r = T::open(
        &p,
        "requirement",
        &who.business,
        requirement("usability"),
        monday(),
    );
    r.take("submit", &who.business, one("internal_review", "同意"))
        .take(
            "return_to_department",
            &who.local_ops,
            one("vendor_opinion", "无法配置"),
        )
        .take("submit_to_centre", &who.business, Fields::new())
        .take("organise_review", &who.lead, one("implementation", "other"))
        .vote("review_board", &who.other_business, false);
    assert_eq!(r.state(), "rejected");
}

#[test]
fn jscz_16_local_configuration_confirmed_by_the_department_closed_by_local_ops() {
    let p = pack("jscz");
    let who = jscz_people(&p);
    let mut t = T::open(
        &p,
        "requirement",
        &who.business,
        requirement("usability"),
        monday(),
    );
    t.take("submit", &who.business, one("internal_review", "同意"))
        .take(
            "configure_locally",
            &who.local_ops,
            one("local_config_record", "按配置手册调整列宽"),
        );
    // The department confirms; the local ops staff close.
    assert_eq!(
        t.refused("confirm_local_config", &who.local_ops, Fields::new())
            .code,
        "policy.role"
    );
    t.take("confirm_local_config", &who.business, Fields::new());
    assert_eq!(
        t.refused("close_local", &who.business, Fields::new()).code,
        "policy.role"
    );
    t.take("close_local", &who.local_ops, Fields::new());
    assert_eq!(t.state(), "closed");
}

#[test]
fn jscz_16_mid_and_long_term_requirements_go_into_the_project_plan() {
    let p = pack("jscz");
    let who = jscz_people(&p);
    let mut t = T::open(
        &p,
        "requirement",
        &who.business,
        requirement("functional"),
        monday(),
    );
    t.take("submit", &who.business, one("internal_review", "同意"))
        .take(
            "return_to_department",
            &who.local_ops,
            one("vendor_opinion", "需升级"),
        )
        .take("submit_to_centre", &who.business, Fields::new())
        .take(
            "classify",
            &who.lead,
            with(one("implementation", "upgrade"), "urgency", text("mid")),
        );
    assert_eq!(
        t.refused("start_analysis", &who.lead, Fields::new()).code,
        "policy.condition"
    );
    t.take(
        "add_to_plan",
        &who.lead,
        one("planning_note", "列入 2027 年预算"),
    );
    assert_eq!(t.state(), "planned");
}

#[test]
fn jscz_17_resource_requirement_five_steps() {
    let p = pack("jscz");
    let who = jscz_people(&p);
    let spec = one("resource_spec", "新增 4 台应用主机、1 套数据库");
    // (1) The system vendor proposes; a department cannot.
    let biz = T::open(
        &p,
        "requirement",
        &who.business,
        requirement("resource"),
        monday(),
    );
    assert_eq!(
        biz.refused("submit_resource", &who.business, spec.clone())
            .code,
        "policy.role"
    );
    assert_eq!(
        biz.refused("submit", &who.business, one("internal_review", "x"))
            .code,
        "policy.condition"
    );
    let mut t = T::open(
        &p,
        "requirement",
        &who.vendor,
        requirement("resource"),
        monday(),
    );
    t.take("submit_resource", &who.vendor, spec);
    // (2) The project lead analyses; the deputy director reviews.
    assert_eq!(
        t.refused("analyse_resource", &who.hardware, one("lead_analysis", "x"))
            .code,
        "policy.role"
    );
    t.take(
        "analyse_resource",
        &who.lead,
        one("lead_analysis", "扩容必要"),
    );
    assert_eq!(
        t.try_vote("analysis_approval", &who.lead, true)
            .unwrap_err()
            .code,
        "policy.not_your_step"
    );
    t.vote("analysis_approval", &who.deputy, true);
    assert_eq!(t.state(), "hw_assessment");
    // (3) Hardware ops assess hosts, database and network security; the
    // deputy director reviews; a rejection sends the assessment back.
    let r = t.refused(
        "submit_assessment",
        &who.hardware,
        one("host_db_assessment", "资源充足"),
    );
    assert!(r.message.contains("网络安全评估"), "{r}");
    let assessment = with(
        one("host_db_assessment", "资源充足"),
        "security_assessment",
        text("需开通 1521 端口"),
    );
    t.take("submit_assessment", &who.hardware, assessment.clone())
        .vote("assessment_approval", &who.deputy, false);
    assert_eq!(t.state(), "hw_assessment");
    t.take("submit_assessment", &who.hardware, assessment).vote(
        "assessment_approval",
        &who.deputy,
        true,
    );
    assert_eq!(t.state(), "provisioning");
    // (4) Provisioned and fed back.
    t.take(
        "provision",
        &who.hardware,
        one("provision_record", "已发放并设置安全策略"),
    );
    assert_eq!(t.state(), "resource_verifying");
    // (5) The software project group verifies and closes.
    assert_eq!(
        t.refused(
            "close_resource",
            &who.hardware,
            one("resource_verification", "x")
        )
        .code,
        "policy.role"
    );
    t.take(
        "close_resource",
        &who.software,
        one("resource_verification", "验证通过"),
    );
    assert_eq!(t.state(), "closed");
    // A rejected analysis ends the requirement.
    let mut r = T::open(
        &p,
        "requirement",
        &who.vendor,
        requirement("resource"),
        monday(),
    );
    r.take("submit_resource", &who.vendor, one("resource_spec", "x"))
        .take(
            "analyse_resource",
            &who.lead,
            one("lead_analysis", "不必要"),
        )
        .vote("analysis_approval", &who.deputy, false);
    assert_eq!(r.state(), "rejected");
}

// ================================================ JSCZ software upgrades

#[test]
fn jscz_11_release_needs_backup_and_test_result() {
    let p = pack("jscz");
    let who = jscz_people(&p);
    let log = fields(&[
        ("title", text("支付系统 3.2.1 补丁")),
        ("system", text("统一公共支付系统")),
        ("version_number", text("3.2.1")),
        ("upgrade_content", text("修复批量支付超时")),
        ("upgrade_plan", text("9 月 20 日夜间升级")),
    ]);
    let mut t = T::open(&p, "release", &who.vendor, log, monday());
    // The upgrade log names its change.
    let r = t.refused("submit", &who.vendor, Fields::new());
    assert!(r.message.contains("对应变更单编号"), "{r}");
    t.take(
        "submit",
        &who.vendor,
        one("change_number", "BG-20260914-00003"),
    );
    // The project lead approves the upgrade request.
    assert_eq!(
        t.try_vote("lead_approval", &who.deputy, true)
            .unwrap_err()
            .code,
        "policy.not_your_step"
    );
    t.vote("lead_approval", &who.lead, true);
    assert_eq!(t.state(), "testing");
    // Tested in the test environment before patching.
    assert_eq!(
        t.refused("start_patching", &who.vendor, one("backup_record", "x"))
            .code,
        "policy.wrong_state"
    );
    assert_eq!(
        t.refused("test_passed", &who.vendor, Fields::new()).code,
        "policy.missing_field"
    );
    t.take(
        "test_passed",
        &who.vendor,
        one("test_result", "测试环境回归通过"),
    );
    // Backed up before installing the patch: the attachment, described.
    let r = t.refused(
        "start_patching",
        &who.vendor,
        one("backup_record", "已备份程序包及数据"),
    );
    assert_eq!(
        (r.code, r.source.as_deref()),
        ("policy.missing_attachment", Some("JSCZ-11"))
    );
    assert!(
        r.message.contains("备份文件") && !r.message.contains("backup"),
        "{r}"
    );
    t.attach("backup");
    assert_eq!(
        t.refused("start_patching", &who.vendor, Fields::new()).code,
        "policy.missing_field"
    );
    t.take(
        "start_patching",
        &who.vendor,
        one("backup_record", "已备份程序包及数据"),
    )
    .take(
        "finish",
        &who.vendor,
        one("upgrade_record", "已升级至 3.2.1"),
    );
    assert_eq!(t.state(), "released");
    // A rejected request never reaches the test environment.
    let mut r = T::open(
        &p,
        "release",
        &who.vendor,
        fields(&[
            ("title", text("x")),
            ("system", text("x")),
            ("version_number", text("1")),
            ("upgrade_content", text("x")),
            ("upgrade_plan", text("x")),
            ("change_number", text("BG-1")),
        ]),
        monday(),
    );
    r.take("submit", &who.vendor, Fields::new())
        .vote("lead_approval", &who.lead, false);
    assert_eq!(r.state(), "rejected");
}

/// A holder of the pack role `role`, with the platform roles the pack
/// gives it (so the test follows the pack's mapping). A role with a holder
/// rule (ADR 0020) is held for the ticket at hand: where its holders sit is
/// the platform's to check (`tickets::jscz_54_*`), not the engine's.
fn holder(p: &Pack, role: &str, name: &str) -> Actor {
    let r = p.roles.iter().find(|r| r.id == role).expect("pack role");
    let platform: Vec<&str> = r.platform.iter().map(String::as_str).collect();
    let mut a = user(p, name, &platform);
    a.pack_roles.insert(r.id.clone());
    a
}

fn third_party_request(basis: &str) -> Fields {
    fields(&[
        ("title", text("申请提供2025年度政府采购合同汇总数据")),
        ("applicant", text("南京大学经济学院 王教授")),
        ("received_on", FieldValue::Date(date(2026, 9, 14))),
        ("system", text("政府采购管理系统")),
        ("data_scope", text("2025年度省级政府采购合同金额汇总")),
        ("purpose", text("学术研究")),
        ("legal_basis", text(basis)),
        ("basis_detail", text("第二十七条")),
    ])
}

/// JSCZ-55 「其他第三方单位、组织等机构需要财政提供生产系统中相关数据时，依据《中华人民共和国
/// 政府信息公开条例》《江苏省公共数据管理办法》等有关规定办理」: the request is registered
/// with its legal basis, reviewed by the division and decided by the head
/// of this level (JSCZ-54); a disclosure request is answered within the 20
/// working days of 条例第三十三条; a refusal gives its reason.
#[test]
fn jscz_55_third_party_data_request_handled_under_its_legal_basis() {
    let p = pack("jscz");
    let who = jscz_people(&p);
    let head = holder(&p, "section_head", "division_head");
    let level = holder(&p, "level_head", "finance_head");
    let mut unbased = third_party_request("disclosure");
    unbased.remove("legal_basis");
    let u = T::open(&p, "data_request", &who.business, unbased, monday());
    let r = u.refused("register", &who.business, Fields::new());
    assert_eq!(r.code, "policy.missing_field");
    assert_eq!(r.source.as_deref(), Some("JSCZ-55"));

    let mut t = T::open(
        &p,
        "data_request",
        &who.business,
        third_party_request("disclosure"),
        monday(),
    );
    t.take("register", &who.business, Fields::new());
    assert_eq!(t.state(), "reviewing");
    // 20 working days from Monday 14 September 2026, over the Mid-Autumn
    // and National Day holidays (Sunday 20 September and Saturday 10
    // October worked): due at the end of Friday 16 October.
    assert_eq!(t.status("disclosure_reply"), Some("running"));
    assert_eq!(
        t.clock("disclosure_reply").due,
        end_of_day(date(2026, 10, 16))
    );
    assert_eq!(
        t.refused("review", &who.business, one("review_opinion", "同意"))
            .code,
        "policy.role"
    );
    t.take(
        "review",
        &head,
        one("review_opinion", "数据不涉密，可提供汇总数"),
    );
    assert_eq!(t.state(), "deciding");
    assert!(t.try_vote("level_decision", &head, true).is_err());
    t.vote("level_decision", &level, true);
    assert_eq!(t.state(), "approved");
    let r = t.refused(
        "answer_provided",
        &who.business,
        with(
            with(one("reply", "partial"), "transfer", text("paper")),
            "reply_record",
            text("9月30日寄送纸质汇总表"),
        ),
    );
    assert!(r.message.contains("理由"), "{r}");
    t.take(
        "answer_provided",
        &who.business,
        with(
            with(
                with(one("reply", "partial"), "transfer", text("paper")),
                "reply_record",
                text("9月30日寄送纸质汇总表"),
            ),
            "reply_reason",
            text("供应商报价明细涉及商业秘密，依条例第十五条不予提供"),
        ),
    );
    assert_eq!(t.state(), "answered");
    assert_eq!(t.status("disclosure_reply"), Some("stopped"));

    // Shared under the public-data rules: no disclosure clock; a refusal.
    let mut s = T::open(
        &p,
        "data_request",
        &who.business,
        third_party_request("public_data"),
        monday(),
    );
    s.take("register", &who.business, Fields::new()).take(
        "review",
        &head,
        one("review_opinion", "超出共享目录"),
    );
    assert_eq!(s.status("disclosure_reply"), None);
    s.vote("level_decision", &level, false);
    assert_eq!(s.state(), "declined");
    s.take(
        "answer_declined",
        &who.business,
        with(
            one("reply_reason", "不在公共数据共享目录内"),
            "reply_record",
            text("书面告知申请人"),
        ),
    );
    assert_eq!(s.state(), "answered");
}

// ============================================================= EEDS

struct Eeds {
    maintainer: Actor,
    head: Actor,
    leader: Actor,
    vendor: Actor,
}

fn eeds_people(p: &Pack) -> Eeds {
    Eeds {
        maintainer: user(p, "maintainer", &["hardware_ops"]),
        head: user(p, "head", &["project_lead"]),
        leader: user(p, "leader", &["deputy_director"]),
        vendor: user(p, "vendor", &["vendor_engineer"]),
    }
}

fn event_report(kind: &str) -> Fields {
    fields(&[
        ("title", text("交易系统数据库宕机")),
        ("event_type", text(kind)),
        ("system", text("公共资源交易系统")),
        (
            "occurred_at",
            FieldValue::DateTime(sh(date(2026, 9, 14), 8, 40)),
        ),
        ("description", text("数据库实例无响应")),
        ("impact", text("开标业务中断")),
        ("measures", text("已切换只读页面")),
        ("reported_to", text("分管领导、交易科")),
    ])
}

#[test]
fn eeds_3_1_incident_report_form_by_event_type() {
    let p = pack("eeds");
    let who = eeds_people(&p);
    let process = p.process("incident").unwrap();
    let ids: Vec<&str> = process
        .field("event_type")
        .unwrap()
        .choices
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    // EEDS-3.8.3 adds the information leak to EEDS-3.1's three kinds.
    assert_eq!(ids, ["attack", "fault", "disaster", "leak"]);
    let r = engine::open(process, &one("event_type", "outage")).unwrap_err();
    assert_eq!(r.source.as_deref(), Some("EEDS-3.1"));
    // The report form is complete before the incident is reported.
    for missing in ["impact", "measures", "reported_to"] {
        let mut f = event_report("attack");
        f.remove(missing);
        let t = T::open(&p, "incident", &who.maintainer, f, monday());
        let r = t.refused("report", &who.maintainer, Fields::new());
        assert_eq!(r.code, "policy.missing_field", "{missing}");
    }
    let mut t = T::open(
        &p,
        "incident",
        &who.maintainer,
        event_report("attack"),
        monday(),
    );
    assert_eq!(
        t.refused("report", &who.vendor, Fields::new()).code,
        "policy.role"
    );
    t.take("report", &who.maintainer, Fields::new());
    assert_eq!(t.state(), "handling");
}

#[test]
fn eeds_3_2_1_unsolved_fault_declared_and_sent_to_the_vendor() {
    let p = pack("eeds");
    let who = eeds_people(&p);
    let mut t = T::open(
        &p,
        "incident",
        &who.maintainer,
        event_report("fault"),
        monday(),
    );
    t.take("report", &who.maintainer, Fields::new());
    let r = t.refused("request_vendor_support", &who.maintainer, Fields::new());
    assert!(
        r.message.contains("故障申告情况") && r.message.contains("厂商技术支持申请"),
        "{r}"
    );
    t.take(
        "request_vendor_support",
        &who.maintainer,
        with(
            one("fault_declaration", "已向分管领导及交易科申告"),
            "support_request",
            text("请数据库厂商派员支持"),
        ),
    )
    .take(
        "vendor_solved_remotely",
        &who.maintainer,
        one("vendor_work_record", "远程修复参数"),
    );
    assert_eq!(t.state(), "resolved");
}

#[test]
fn eeds_3_2_2_serious_fault_notifies_departments_and_backs_up_first() {
    let p = pack("eeds");
    let who = eeds_people(&p);
    let mut t = T::open(
        &p,
        "incident",
        &who.maintainer,
        with(event_report("fault"), "serious", yes(true)),
        monday(),
    );
    t.take("report", &who.maintainer, Fields::new());
    for transition in ["resolve", "request_vendor_support"] {
        let input = with(
            one("fault_declaration", "已申告"),
            "support_request",
            text("请厂商支持"),
        );
        let r = t.refused(transition, &who.maintainer, input.clone());
        assert_eq!(
            (r.code, r.source.as_deref()),
            ("policy.missing_field", Some("EEDS-3.2.2")),
            "{transition}"
        );
        let input = with(input, "departments_notified", text("交易科、信息科"));
        let r = t.refused(transition, &who.maintainer, input);
        assert_eq!(
            (r.code, r.source.as_deref()),
            ("policy.missing_attachment", Some("EEDS-3.2.2")),
            "{transition}"
        );
    }
    t.attach("backup").take(
        "resolve",
        &who.maintainer,
        one("departments_notified", "交易科、信息科"),
    );
    assert_eq!(t.state(), "resolved");
    // A fault that is not serious needs neither.
    let mut minor = T::open(
        &p,
        "incident",
        &who.maintainer,
        event_report("fault"),
        monday(),
    );
    minor.take("report", &who.maintainer, Fields::new()).take(
        "resolve",
        &who.maintainer,
        Fields::new(),
    );
    assert_eq!(minor.state(), "resolved");
}

#[test]
fn eeds_3_2_3_vendor_on_site_accompanied_and_confirmed_in_writing() {
    let p = pack("eeds");
    let who = eeds_people(&p);
    let mut t = T::open(
        &p,
        "incident",
        &who.maintainer,
        event_report("fault"),
        monday(),
    );
    t.take("report", &who.maintainer, Fields::new()).take(
        "request_vendor_support",
        &who.maintainer,
        with(
            one("fault_declaration", "已申告"),
            "support_request",
            text("请厂商到场"),
        ),
    );
    // Accompanied throughout: who went with the vendor.
    let r = t.refused("vendor_arrives", &who.maintainer, Fields::new());
    assert!(r.message.contains("全程陪同"), "{r}");
    t.take("vendor_arrives", &who.maintainer, one("escort", "王工"))
        .take(
            "vendor_done",
            &who.vendor,
            one("vendor_work_record", "更换故障硬盘"),
        );
    // The vendor cannot sign its own work off; the confirmation is written.
    assert_eq!(
        t.refused("confirm_in_writing", &who.vendor, Fields::new())
            .code,
        "policy.role"
    );
    let r = t.refused("confirm_in_writing", &who.maintainer, Fields::new());
    assert_eq!(
        (r.code, r.source.as_deref()),
        ("policy.missing_attachment", Some("EEDS-3.2.3"))
    );
    t.attach("written_confirmation")
        .take("confirm_in_writing", &who.maintainer, Fields::new());
    assert_eq!(t.state(), "resolved");
}

#[test]
fn eeds_3_2_4_cause_and_solution_recorded_before_closing() {
    let p = pack("eeds");
    let who = eeds_people(&p);
    let mut t = T::open(
        &p,
        "incident",
        &who.maintainer,
        event_report("disaster"),
        monday(),
    );
    t.take("report", &who.maintainer, Fields::new()).take(
        "resolve",
        &who.maintainer,
        Fields::new(),
    );
    let r = t.refused(
        "record_and_close",
        &who.maintainer,
        one("cause", "机房进水"),
    );
    assert_eq!(r.source.as_deref(), Some("EEDS-3.2.4"));
    assert!(r.message.contains("解决方案"), "{r}");
    t.take(
        "record_and_close",
        &who.maintainer,
        with(one("cause", "机房进水"), "solution", text("迁移至备用机柜")),
    );
    assert_eq!(t.state(), "closed");
}

/// EEDS-2.2.1.3 「信息系统发生较大故障时……在事后组织分析总结，制定防范措施并执行」:
/// a major fault does not close with the cause and solution alone; it
/// goes to the post-incident review, which the section head closes with
/// the analysis, the prevention measures and their execution.
#[test]
fn eeds_2_2_1_3_major_fault_is_reviewed_after_the_event() {
    let p = pack("eeds");
    let who = eeds_people(&p);
    let mut t = T::open(
        &p,
        "incident",
        &who.maintainer,
        with(event_report("fault"), "major", FieldValue::Bool(true)),
        monday(),
    );
    t.take("report", &who.maintainer, Fields::new()).take(
        "resolve",
        &who.maintainer,
        Fields::new(),
    );
    let record = with(
        one("cause", "存储控制器故障"),
        "solution",
        text("更换控制器"),
    );
    // The plain close is not available to a major fault.
    let r = t.refused("record_and_close", &who.maintainer, record.clone());
    assert_ne!(r.code, "policy.missing_field", "{r}");
    t.take("record_for_review", &who.maintainer, record);
    assert_eq!(t.state(), "post_review");
    assert_eq!(
        t.refused("close_after_review", &who.maintainer, Fields::new())
            .code,
        "policy.role"
    );
    let r = t.refused(
        "close_after_review",
        &who.head,
        one("post_analysis", "控制器固件缺陷"),
    );
    assert_eq!(r.source.as_deref(), Some("EEDS-2.2.1.3"));
    assert!(r.message.contains("防范措施"), "{r}");
    t.take(
        "close_after_review",
        &who.head,
        with(
            with(
                one("post_analysis", "控制器固件缺陷"),
                "prevention",
                text("升级固件并双控制器冗余"),
            ),
            "prevention_done",
            text("已于次日完成固件升级"),
        ),
    );
    assert_eq!(t.state(), "closed");
    // A fault not ticked major still closes with cause and solution.
    let mut minor = T::open(
        &p,
        "incident",
        &who.maintainer,
        event_report("fault"),
        monday(),
    );
    minor.take("report", &who.maintainer, Fields::new()).take(
        "resolve",
        &who.maintainer,
        Fields::new(),
    );
    assert!(
        minor
            .refused("record_for_review", &who.maintainer, Fields::new())
            .code
            != "policy.missing_field"
    );
}

/// EEDS-3.8.3 「若发生系统信息泄密事件，应及时向分管领导及有关部门进行汇报，并按照相关规定
/// 开展补救工作」: a leak is an event of its own, reported with the event
/// report, and it closes only with the remedy recorded.
#[test]
fn eeds_3_8_3_information_leak_closes_with_its_remedy() {
    let p = pack("eeds");
    let who = eeds_people(&p);
    let mut t = T::open(
        &p,
        "incident",
        &who.maintainer,
        event_report("leak"),
        monday(),
    );
    // Reported to the deputy director and the departments first (EEDS-3.1).
    let mut unreported = event_report("leak");
    unreported.remove("reported_to");
    let u = T::open(&p, "incident", &who.maintainer, unreported, monday());
    assert_eq!(
        u.refused("report", &who.maintainer, Fields::new()).code,
        "policy.missing_field"
    );
    t.take("report", &who.maintainer, Fields::new()).take(
        "resolve",
        &who.maintainer,
        Fields::new(),
    );
    let record = with(one("cause", "投标文件外发"), "solution", text("收回并删除"));
    let r = t.refused("record_and_close", &who.maintainer, record.clone());
    assert_eq!(r.source.as_deref(), Some("EEDS-3.8.3"), "{r}");
    assert!(r.message.contains("补救工作"), "{r}");
    t.take(
        "record_and_close",
        &who.maintainer,
        with(
            record,
            "leak_remediation",
            text("通知相关投标人，重置密码并报网信部门"),
        ),
    );
    assert_eq!(t.state(), "closed");
}

#[test]
fn eeds_3_2_5_problem_review_timer_restarts_monthly() {
    let p = pack("eeds");
    let who = eeds_people(&p);
    // A fault that cannot be solved for good becomes a problem.
    let mut incident = T::open(
        &p,
        "incident",
        &who.maintainer,
        event_report("fault"),
        monday(),
    );
    incident
        .take("report", &who.maintainer, Fields::new())
        .take("to_problem", &who.maintainer, Fields::new());
    assert_eq!(incident.state(), "problem");
    let (process, f) = incident.converted[0].clone();
    assert_eq!(process, "problem");
    assert_eq!(f["origin"], text("fault"));
    assert_eq!(f["measures"], text("已切换只读页面"));

    // Opened on Monday 14 September: the monthly review clock starts.
    let mut t = T::open(&p, "problem", &who.maintainer, f, monday());
    t.assign(&who.maintainer);
    assert_eq!(t.last_ops(), [("monthly_review", TimerAction::Start)]);
    assert_eq!(
        t.clock("monthly_review").due,
        end_of_day(date(2026, 10, 14)),
        "a calendar month"
    );
    // Reviewed after 20 days: the clock starts over, a calendar month from
    // today (changed: it was 30 days, 3 November; EEDS says 每月).
    t.later(20 * 24 * 60);
    let r = t.refused("review", &who.maintainer, Fields::new());
    assert_eq!(r.code, "policy.missing_field");
    t.take(
        "review",
        &who.maintainer,
        one("review_record", "9 月跟踪：待厂商补丁"),
    );
    assert_eq!(t.state(), "tracking");
    assert_eq!(t.last_ops(), [("monthly_review", TimerAction::Restart)]);
    assert_eq!(
        t.clock("monthly_review").due,
        end_of_day(date(2026, 11, 4)),
        "a calendar month from the review on 4 October"
    );
    // Last month's record does not count for this month.
    t.later(25 * 24 * 60);
    let r = t.refused("review", &who.maintainer, Fields::new());
    assert!(r.message.contains("重新填写"), "{r}");
    assert!(!t.warned("monthly_review"));
    // No review: warned three days before, then overdue.
    t.later(4 * 24 * 60);
    assert!(
        t.warned("monthly_review"),
        "{:?}",
        t.clock("monthly_review")
    );
    t.later(2 * 24 * 60);
    assert!(!t.overdue("monthly_review"), "due at the end of 4 November");
    t.later(24 * 60);
    assert!(t.overdue("monthly_review"));
    // A late review starts a new month; closing stops the clock.
    t.take("review", &who.head, one("review_record", "10 月跟踪"))
        .take("review", &who.maintainer, one("review_record", "10 月补充"));
    assert!(!t.overdue("monthly_review"));
    let r = t.refused("close", &who.maintainer, one("cause", "驱动缺陷"));
    assert!(r.message.contains("彻底解决方案"), "{r}");
    t.take(
        "close",
        &who.maintainer,
        with(one("cause", "驱动缺陷"), "solution", text("升级驱动")),
    );
    assert_eq!(t.status("monthly_review"), Some("stopped"));
    // The section head is warned with the assignee.
    let def = t.process.timer("monthly_review").unwrap();
    assert_eq!(def.notify, ["assignee", "section_head"]);
    assert_eq!(def.restart, ["review"]);
}

/// 「每月应对存在的问题进行跟踪分析」(EEDS-3.2.5): the tracking analysis is
/// due a calendar month after the last one, not after a fixed 30 days: 31
/// days in January, 28 in February.
#[test]
fn eeds_3_2_5_problem_reviewed_monthly() {
    let p = pack("eeds");
    let who = eeds_people(&p);
    let mut report = event_report("fault");
    report.insert(
        "occurred_at".into(),
        FieldValue::DateTime(sh(date(2026, 1, 1), 8, 40)),
    );
    let mut incident = T::open(
        &p,
        "incident",
        &who.maintainer,
        report,
        sh(date(2026, 1, 1), 10, 0),
    );
    incident
        .take("report", &who.maintainer, Fields::new())
        .take("to_problem", &who.maintainer, Fields::new());
    let (_, f) = incident.converted[0].clone();
    // Tracked from 1 January: due at the end of 1 February (31 days; 30
    // days would have ended with 31 January).
    let mut t = T::open(
        &p,
        "problem",
        &who.maintainer,
        f,
        sh(date(2026, 1, 1), 10, 0),
    );
    t.assign(&who.maintainer);
    assert_eq!(
        t.process
            .timer("monthly_review")
            .unwrap()
            .duration
            .to_string(),
        "1mo"
    );
    assert_eq!(t.clock("monthly_review").due, end_of_day(date(2026, 2, 1)));
    t.now = sh(date(2026, 1, 31), 23, 0);
    assert!(!t.overdue("monthly_review"));
    // Reviewed on 31 January: February has no 31st, so the next one is due
    // at the end of 28 February.
    t.take("review", &who.maintainer, one("review_record", "1 月跟踪"));
    assert_eq!(t.clock("monthly_review").due, end_of_day(date(2026, 2, 28)));
    t.now = sh(date(2026, 3, 1), 0, 1);
    assert!(t.overdue("monthly_review"));
    // Reviewed late on 1 March: due on 1 April.
    t.take("review", &who.maintainer, one("review_record", "2 月跟踪"));
    assert_eq!(t.clock("monthly_review").due, end_of_day(date(2026, 4, 1)));
}

#[test]
fn eeds_3_2_5_hidden_risk_recorded_directly_as_a_problem() {
    let p = pack("eeds");
    let who = eeds_people(&p);
    let t = T::open(
        &p,
        "problem",
        &who.maintainer,
        fields(&[
            ("title", text("核心交换机单电源")),
            ("origin", text("hazard")),
        ]),
        monday(),
    );
    assert_eq!(t.state(), "tracking");
    assert_eq!(t.status("monthly_review"), Some("running"));
    // Someone else (not maintenance staff, not the assignee) does not review.
    assert_eq!(
        t.refused("review", &who.vendor, one("review_record", "x"))
            .code,
        "policy.role"
    );
}

fn eeds_change(kind: &str) -> Fields {
    fields(&[
        ("title", text("交易系统模块更改")),
        ("system", text("公共资源交易系统")),
        ("category", text("system_upgrade")),
        ("kind", text(kind)),
        ("description", text("更改开标模块")),
        ("reason", text("新规要求")),
    ])
}

fn normal_plan() -> Fields {
    fields(&[
        ("impact", text("开标模块，影响交易科")),
        ("notified", text("分管领导、交易科")),
        ("plan", text("停服务、替换程序包、启动")),
        ("rollback_plan", text("恢复原程序包")),
        (
            "planned_start",
            FieldValue::DateTime(sh(date(2026, 9, 16), 22, 0)),
        ),
    ])
}

#[test]
fn eeds_3_3_3_normal_change_approved_with_rollback_measures_before_work() {
    let p = pack("eeds");
    let who = eeds_people(&p);
    let mut t = T::open(
        &p,
        "change",
        &who.maintainer,
        eeds_change("normal"),
        monday(),
    );
    let r = t.refused("submit", &who.maintainer, Fields::new());
    assert!(r.message.contains("出现错误时的回退措施"), "{r}");
    // An emergency route is not open to a normal change.
    assert_eq!(
        t.refused(
            "start_emergency",
            &who.maintainer,
            one("verbal_approval", "x")
        )
        .code,
        "policy.condition"
    );
    t.take(
        "submit",
        &who.maintainer,
        with(normal_plan(), "in_window", yes(true)),
    );
    assert_eq!(t.state(), "awaiting_approval");
    // Nothing is done before the deputy director approves (EEDS-3.3.2).
    assert_eq!(
        t.refused("start", &who.maintainer, Fields::new()).code,
        "policy.wrong_state"
    );
    t.vote("leader_approval", &who.leader, true)
        .take("start", &who.maintainer, Fields::new());
    let r = t.refused(
        "complete",
        &who.maintainer,
        one("implementation_record", "完成"),
    );
    assert!(r.message.contains("问题及其解决方案"), "{r}");
    t.take(
        "complete",
        &who.maintainer,
        with(
            one("implementation_record", "完成"),
            "issues_record",
            text("无"),
        ),
    );
    assert_eq!(t.state(), "closed");
}

#[test]
fn eeds_3_3_4_change_outside_window_needs_justification() {
    let p = pack("eeds");
    let who = eeds_people(&p);
    let t = T::open(
        &p,
        "change",
        &who.maintainer,
        eeds_change("normal"),
        monday(),
    );
    // Whether the time is in the night window must be stated.
    let r = t.refused("submit", &who.maintainer, normal_plan());
    assert!(r.message.contains("计划在夜间非主要工作时间实施"), "{r}");
    // Outside the window: a justification, cited to EEDS-3.3.4.
    let daytime = with(normal_plan(), "in_window", yes(false));
    let r = t.refused("submit", &who.maintainer, daytime.clone());
    assert_eq!(
        (r.code, r.source.as_deref()),
        ("policy.missing_field", Some("EEDS-3.3.4"))
    );
    assert!(
        r.message.contains("不在夜间非主要工作时间实施的理由"),
        "{r}"
    );
    let change = t.process;
    let submit = change.transition("submit").unwrap();
    assert!(engine::required_fields(change, submit, &daytime).contains(&"window_justification"));
    assert!(
        !engine::required_fields(change, submit, &with(normal_plan(), "in_window", yes(true)))
            .contains(&"window_justification")
    );
    let justified = with(
        daytime,
        "window_justification",
        text("厂商工程师仅白天可到场"),
    );
    assert_eq!(
        t.try_take("submit", &who.maintainer, justified).unwrap(),
        "awaiting_approval"
    );
    // At night: no justification.
    assert_eq!(
        t.try_take(
            "submit",
            &who.maintainer,
            with(normal_plan(), "in_window", yes(true))
        )
        .unwrap(),
        "awaiting_approval"
    );
}

#[test]
fn eeds_3_3_5_emergency_change_paperwork_due_after_implementation() {
    let p = pack("eeds");
    let who = eeds_people(&p);
    // Monday 21 September 2026, before the Mid-Autumn holiday.
    let mut t = T::open(
        &p,
        "change",
        &who.maintainer,
        with(eeds_change("emergency"), "in_window", yes(true)),
        sh(date(2026, 9, 21), 9, 0),
    );
    // Requested and approved verbally, implemented at once: no written
    // approval step, but the verbal one is recorded.
    assert_eq!(
        t.refused("submit", &who.maintainer, normal_plan()).code,
        "policy.condition"
    );
    let r = t.refused("start_emergency", &who.maintainer, Fields::new());
    assert!(r.message.contains("口头申请及审批记录"), "{r}");
    t.take(
        "start_emergency",
        &who.maintainer,
        one("verbal_approval", "9:05 电话请示分管领导同意"),
    );
    assert_eq!(t.state(), "emergency_implementing");
    assert!(t.clocks.is_empty(), "no paperwork clock while implementing");
    // Implemented on Monday 21 September: the paperwork is due within five
    // working days, the Mid-Autumn holiday (25-27) not counted. The text
    // says only 事后: the number is the organisation's, and says so.
    let open = t.process.timer("paperwork").unwrap().open.clone();
    assert!(open.is_some_and(|o| o.contains("本单位自定") && o.contains("EEDS-3.3.5")));
    let trace = yunwei::policy::trace_report(&p, &yunwei::policy::Sources::none(), None);
    assert!(
        trace
            .lines()
            .any(|l| l.contains("change / timer / paperwork") && l.contains("组织自定")),
        "{trace}"
    );
    t.later(60).take(
        "finish_emergency",
        &who.maintainer,
        one("implementation_record", "已回滚补丁"),
    );
    assert_eq!(t.state(), "paperwork_due");
    assert_eq!(t.last_ops(), [("paperwork", TimerAction::Start)]);
    assert_eq!(t.clock("paperwork").due, end_of_day(date(2026, 9, 29)));
    let r = t.refused(
        "submit_paperwork",
        &who.maintainer,
        one("test_record", "观察 2 天无异常"),
    );
    assert!(
        r.message.contains("向分管领导汇报情况") && r.message.contains("相关文档资料更新情况"),
        "{r}"
    );
    // Nothing submitted by then: overdue, the requester and the deputy
    // director having been warned a day before.
    t.now = sh(date(2026, 9, 28), 9, 0);
    assert!(!t.warned("paperwork"));
    t.now = sh(date(2026, 9, 29), 9, 0);
    assert!(t.warned("paperwork"));
    t.now = sh(date(2026, 9, 30), 0, 0);
    assert!(t.overdue("paperwork"));
    assert_eq!(
        t.process.timer("paperwork").unwrap().notify,
        ["requester", "leader"]
    );
    let paperwork = fields(&[
        ("test_record", text("观察 2 天无异常")),
        ("leader_report", text("已书面汇报")),
        ("docs_updated", text("已更新部署文档")),
    ]);
    t.take("submit_paperwork", &who.maintainer, paperwork.clone());
    assert_eq!(t.status("paperwork"), Some("stopped"));
    // The deputy director sends it back: a new period starts.
    t.vote("paperwork_ack", &who.leader, false);
    assert_eq!(t.state(), "paperwork_due");
    assert_eq!(t.status("paperwork"), Some("running"));
    t.take("submit_paperwork", &who.maintainer, paperwork)
        .vote("paperwork_ack", &who.leader, true);
    assert_eq!(t.state(), "closed");
}

#[test]
fn eeds_3_4_3_emergency_change_by_day_tells_the_departments_affected_first() {
    let p = pack("eeds");
    let who = eeds_people(&p);
    let verbal = one("verbal_approval", "电话请示同意");
    for in_window in [None, Some(false)] {
        let mut f = eeds_change("emergency");
        if let Some(b) = in_window {
            f.insert("in_window".into(), yes(b));
        }
        let t = T::open(&p, "change", &who.maintainer, f, monday());
        let r = t.refused("start_emergency", &who.maintainer, verbal.clone());
        assert_eq!(
            (r.code, r.source.as_deref()),
            ("policy.missing_field", Some("EEDS-3.4.3")),
            "{in_window:?}"
        );
        assert!(t
            .try_take(
                "start_emergency",
                &who.maintainer,
                with(verbal.clone(), "departments_notified", text("交易科"))
            )
            .is_ok());
    }
}

// ============================================================= NTCZ

struct Ntcz {
    user: Actor,
    staff: Actor,
    dev: Actor,
    buyer_lead: Actor,
}

fn ntcz_people(p: &Pack) -> Ntcz {
    Ntcz {
        user: user(p, "budget_unit", &["business_staff"]),
        staff: user(p, "onsite", &["vendor_engineer"]),
        dev: user(p, "dev", &["software_dev"]),
        buyer_lead: user(p, "buyer_lead", &["project_lead"]),
    }
}

fn fault(severity: Option<&str>) -> Fields {
    let mut f = fields(&[
        ("title", text("国有资本经营预算编制无法保存")),
        ("system", text("国有资本经营预算编制")),
        ("description", text("保存时报错")),
    ]);
    if let Some(s) = severity {
        f.insert("severity".into(), text(s));
    }
    f
}

/// Wednesday 16 September 2026, 10:00.
fn wednesday() -> DateTime<Utc> {
    sh(date(2026, 9, 16), 10, 0)
}

#[test]
fn ntcz_6_1_3_general_fault_response_30m_resolution_2h() {
    use TimerAction::*;
    let p = pack("ntcz");
    let who = ntcz_people(&p);
    // Not reported as major: general, both clocks start at the report.
    let mut t = T::open(&p, "fault", &who.user, fault(None), wednesday());
    assert_eq!(t.field("severity"), Some(&text("general")));
    assert_eq!(
        t.last_ops(),
        [("response", Start), ("resolution_general", Start)]
    );
    assert_eq!(t.clock("response").due, sh(date(2026, 9, 16), 10, 30));
    assert_eq!(
        t.clock("resolution_general").due,
        sh(date(2026, 9, 16), 12, 0)
    );
    // Warned 10 minutes before the response is due, overdue after 30.
    t.later(19);
    assert!(!t.warned("response"));
    t.later(1);
    assert!(t.warned("response"));
    t.later(11);
    assert!(t.overdue("response"));
    // Answered (late): the response clock stops, the resolution one runs.
    assert_eq!(
        t.refused("respond", &who.user, one("response_note", "x"))
            .code,
        "policy.role"
    );
    t.take("respond", &who.staff, one("response_note", "已远程查看"))
        .assign(&who.staff);
    assert_eq!(t.status("response"), Some("stopped"));
    // Waiting for the user (10:31 -> 11:31) does not pause the 2-hour
    // clock: the article gives no pause (changed: it used to pause here).
    t.take(
        "wait_user",
        &who.staff,
        one("waiting_reason", "待用户提供截图"),
    );
    assert_eq!(t.last_ops(), []);
    assert_eq!(t.status("resolution_general"), Some("running"));
    t.later(60).take("user_replied", &who.user, Fields::new());
    assert_eq!(t.last_ops(), []);
    assert_eq!(
        t.clock("resolution_general").due,
        sh(date(2026, 9, 16), 12, 0),
        "the hour of waiting counts"
    );
    // Solved at 11:45 (within 2 hours of the report); resolved waits for
    // the user's confirmation, with the clock paused (solved); confirmation
    // stops it.
    t.now = sh(date(2026, 9, 16), 11, 45);
    let r = t.refused("resolve", &who.dev, one("solution", "修复保存接口"));
    assert!(r.message.contains("故障原因分析"), "{r}");
    // Cause and solution: what the knowledge base records when it closes.
    for f in ["cause", "solution"] {
        assert!(t.process.field(f).is_some(), "{f}");
    }
    t.take(
        "resolve",
        &who.dev,
        with(one("solution", "修复保存接口"), "cause", text("接口超时")),
    );
    assert_eq!(t.status("resolution_general"), Some("paused"));
    t.later(24 * 60);
    assert!(!t.overdue("resolution_general"));
    assert_eq!(
        t.refused("confirm", &who.staff, Fields::new()).code,
        "policy.role"
    );
    t.take("confirm", &who.user, Fields::new());
    assert_eq!(t.status("resolution_general"), Some("stopped"));
    assert_eq!(t.state(), "closed");
}

/// 「对一般故障，在半小时内响应并在2小时内解决」(NTCZ-6.1.3): no pause in
/// the text. Time spent waiting for the user counts; a fault marked solved
/// that the user reopens goes on with the time it had left.
#[test]
fn ntcz_6_1_3_waiting_for_the_user_does_not_pause_the_resolution_time() {
    use TimerAction::*;
    let p = pack("ntcz");
    let who = ntcz_people(&p);
    let mut t = T::open(&p, "fault", &who.user, fault(None), wednesday());
    t.take("respond", &who.staff, one("response_note", "已远程查看"))
        .assign(&who.staff);
    t.take(
        "wait_user",
        &who.staff,
        one("waiting_reason", "待用户提供截图"),
    );
    // The user answers after 2 hours: the fault is overdue meanwhile.
    t.later(121);
    assert!(t.overdue("resolution_general"));
    t.take("user_replied", &who.user, Fields::new());
    assert_eq!(t.status("resolution_general"), Some("running"));

    // Another fault: solved after an hour, reopened by the user two hours
    // later; the clock goes on with the hour it had left.
    let mut t = T::open(&p, "fault", &who.user, fault(None), wednesday());
    t.take("respond", &who.staff, one("response_note", "已远程查看"))
        .assign(&who.staff);
    t.later(60).take(
        "resolve",
        &who.dev,
        with(one("solution", "修复保存接口"), "cause", text("接口超时")),
    );
    assert_eq!(t.last_ops(), [("resolution_general", Pause)]);
    t.later(120);
    assert!(!t.overdue("resolution_general"));
    t.take("reopen", &who.user, one("reopen_reason", "仍无法保存"));
    assert_eq!(t.last_ops(), [("resolution_general", Resume)]);
    assert_eq!(
        t.clock("resolution_general").due,
        sh(date(2026, 9, 16), 14, 0),
        "the hour left runs from the reopening at 13:00"
    );
}

#[test]
fn ntcz_6_1_3_major_fault_solved_within_24_hours() {
    let p = pack("ntcz");
    let who = ntcz_people(&p);
    let mut t = T::open(&p, "fault", &who.user, fault(Some("major")), wednesday());
    assert_eq!(
        t.last_ops(),
        [("resolution_major", TimerAction::Start)],
        "no 30-minute response clock for a major fault"
    );
    assert_eq!(
        t.clock("resolution_major").due,
        sh(date(2026, 9, 17), 10, 0)
    );
    t.take("respond", &who.staff, one("response_note", "已到场"));
    // Warned 4 hours before, overdue after 24 (7x24: the night counts).
    t.now = sh(date(2026, 9, 17), 6, 0);
    assert!(t.warned("resolution_major"));
    t.now = sh(date(2026, 9, 17), 10, 0);
    assert!(t.overdue("resolution_major"));
    // The user disappears after the fix: the buyer's lead closes.
    t.take(
        "resolve",
        &who.staff,
        with(one("solution", "重建索引"), "cause", text("索引损坏")),
    );
    assert_eq!(
        t.refused("close_by_lead", &who.staff, one("closing_note", "x"))
            .code,
        "policy.role"
    );
    t.take(
        "close_by_lead",
        &who.buyer_lead,
        one("closing_note", "用户未回复，电话确认已恢复"),
    );
    assert_eq!(t.status("resolution_major"), Some("stopped"));
}

#[test]
fn ntcz_6_1_3_reclassified_fault_switches_clocks() {
    use TimerAction::*;
    let p = pack("ntcz");
    let who = ntcz_people(&p);
    let mut t = T::open(&p, "fault", &who.user, fault(Some("general")), wednesday());
    t.later(10)
        .take("respond", &who.staff, one("response_note", "排查中"));
    t.later(20);
    // It turns out major: the 2-hour clock stops, the 24-hour one starts now.
    assert_eq!(
        t.refused("reclassify", &who.staff, Fields::new()).code,
        "policy.missing_field"
    );
    t.take("reclassify", &who.staff, one("severity", "major"));
    assert_eq!(
        t.last_ops(),
        [("resolution_general", Stop), ("resolution_major", Start)]
    );
    assert_eq!(
        t.clock("resolution_major").due,
        sh(date(2026, 9, 17), 10, 30)
    );
    t.later(3 * 60);
    assert!(!t.overdue("resolution_general") && !t.overdue("resolution_major"));
    // Users do not reclassify.
    assert_eq!(
        t.refused("reclassify", &who.user, one("severity", "general"))
            .code,
        "policy.role"
    );
}

#[test]
fn ntcz_6_1_3_clocks_warn_the_assignee_and_the_buyer_lead() {
    let p = pack("ntcz");
    let fault = p.process("fault").unwrap();
    for timer in &fault.timers {
        assert!(timer.duration.is_wall_clock(), "{}: 7x24", timer.id);
        assert!(timer.warn_before.is_some(), "{}", timer.id);
        assert_eq!(timer.notify, ["assignee", "buyer_lead"], "{}", timer.id);
        assert_eq!(timer.source, "NTCZ-6.1.3");
    }
    let durations: Vec<String> = fault
        .timers
        .iter()
        .map(|t| t.duration.to_string())
        .collect();
    assert_eq!(durations, ["30m", "2h", "24h"]);
    // No pause while waiting for the user (changed: waiting states used to
    // pause them); the resolution clocks pause only once solved.
    for timer in &fault.timers {
        assert!(!timer.waiting_pauses, "{}", timer.id);
    }
    for s in ["waiting_user", "resolved"] {
        assert!(
            fault.state(s).unwrap().waiting,
            "{s}: still a waiting state"
        );
    }
    assert_eq!(p.role("buyer_lead").unwrap().platform, ["project_lead"]);
}

fn call(non_working_day: bool) -> Fields {
    fields(&[
        ("title", text("单位账户无法登录")),
        ("caller", text("某预算单位 李会计")),
        ("system", text("单位账户管理系统")),
        ("non_working_day", yes(non_working_day)),
    ])
}

#[test]
fn ntcz_6_1_2_non_working_day_hotline_callback_30m() {
    use TimerAction::*;
    let p = pack("ntcz");
    let who = ntcz_people(&p);
    // Saturday 19 September, 21:00: a call to call back within 30 minutes.
    let saturday = sh(date(2026, 9, 19), 21, 0);
    let mut t = T::open(&p, "hotline", &who.user, call(true), saturday);
    assert_eq!(t.last_ops(), [("callback", Start)]);
    assert_eq!(t.clock("callback").due, sh(date(2026, 9, 19), 21, 30));
    t.later(20);
    assert!(t.warned("callback"));
    t.later(5);
    assert!(!t.overdue("callback"));
    t.take("call_back", &who.staff, one("callback_note", "21:25 回电"));
    assert_eq!(t.status("callback"), Some("stopped"));
    t.take(
        "answer",
        &who.staff,
        with(
            one("description", "密码过期"),
            "solution",
            text("已指导重置"),
        ),
    );
    // The knowledge base is kept up to date before closing.
    let r = t.refused("close", &who.staff, Fields::new());
    assert!(r.message.contains("运维知识库更新情况"), "{r}");
    t.take(
        "close",
        &who.staff,
        one("kb_update", "新增条目：密码过期处理"),
    );
    assert_eq!(t.state(), "closed");

    // Not called back in time: overdue, the buyer's lead warned with the
    // assignee.
    let mut late = T::open(&p, "hotline", &who.user, call(true), saturday);
    late.later(31);
    assert!(late.overdue("callback"));
    assert_eq!(
        late.process.timer("callback").unwrap().notify,
        ["assignee", "buyer_lead"]
    );

    // On a working day calls are answered live: no clock.
    let live = T::open(&p, "hotline", &who.user, call(false), wednesday());
    assert!(live.clocks.is_empty());
    assert!(live.last_ops().is_empty());
}

#[test]
fn ntcz_6_1_3_hotline_call_reporting_a_fault_becomes_a_fault_ticket() {
    let p = pack("ntcz");
    let who = ntcz_people(&p);
    let mut t = T::open(&p, "hotline", &who.user, call(false), wednesday());
    assert_eq!(
        t.refused("to_fault", &who.dev, one("description", "x"))
            .code,
        "policy.role"
    );
    t.take(
        "to_fault",
        &who.staff,
        with(
            one("description", "全市无法登录"),
            "severity",
            text("major"),
        ),
    );
    assert_eq!(t.state(), "converted");
    let (process, f) = t.converted[0].clone();
    assert_eq!(process, "fault");
    assert_eq!(f["severity"], text("major"));
    assert_eq!(f["description"], text("全市无法登录"));
    // The fault's clocks start when it is opened.
    let fault = T::open(&p, "fault", &who.user, f, t.now);
    assert_eq!(fault.status("resolution_major"), Some("running"));
    assert_eq!(fault.status("response"), None);
}

// ============================================================ the binary

#[test]
fn policy_check_accepts_every_shipped_pack() {
    let tmp = tempfile::tempdir().expect("tmp");
    for p in embedded::packs() {
        let dir = repo_root().join("policies").join(&p.id);
        let out = yunwei(tmp.path(), &["policy", "check", dir.to_str().unwrap()]);
        assert_eq!(out.code, Some(0), "{}: {out}", p.id);
        assert_eq!(
            out.stdout.trim(),
            format!(
                "策略包 {} {} 检查通过：{} 个流程，{} 条规则",
                p.id,
                p.version,
                p.processes.len(),
                p.rules().len()
            ),
            "{out}"
        );
    }
}

#[test]
fn policy_trace_lists_every_pack_with_its_rules_and_tests() {
    let out = yunwei(&repo_root(), &["policy", "trace"]);
    assert_eq!(out.code, Some(0), "{out}");
    let block = |pack: &str, citation: &str| -> String {
        let from = out
            .stdout
            .find(&format!("策略包 {pack} "))
            .unwrap_or_else(|| panic!("no pack {pack}: {out}"));
        let rest = &out.stdout[from..];
        let start = rest
            .find(&format!("\n{citation}\n"))
            .unwrap_or_else(|| panic!("no {citation} in {pack}: {out}"));
        let rest = &rest[start + 1..];
        rest[..rest.find("\n\n").unwrap_or(rest.len())].to_string()
    };
    for (pack, citation, rule, test) in [
        (
            "jscz",
            "JSCZ-21",
            "service_request / conversion / convert_to_change->change",
            "jscz_21_data_change_request_converts_to_major_data_change",
        ),
        (
            "jscz",
            "JSCZ-17",
            "requirement / approval / assessment_approval",
            "jscz_17_resource_requirement_five_steps",
        ),
        (
            "jscz",
            "JSCZ-11",
            "release / transition / start_patching",
            "jscz_11_release_needs_backup_and_test_result",
        ),
        (
            "eeds",
            "EEDS-3.2.5",
            "problem / timer / monthly_review",
            "eeds_3_2_5_problem_review_timer_restarts_monthly",
        ),
        (
            "eeds",
            "EEDS-3.3.4",
            "change / required_if / submit:window_justification",
            "eeds_3_3_4_change_outside_window_needs_justification",
        ),
        (
            "eeds",
            "EEDS-3.3.5",
            "change / timer / paperwork",
            "eeds_3_3_5_emergency_change_paperwork_due_after_implementation",
        ),
        (
            "ntcz",
            "NTCZ-6.1.3",
            "fault / timer / resolution_general",
            "ntcz_6_1_3_general_fault_response_30m_resolution_2h",
        ),
        (
            "ntcz",
            "NTCZ-6.1.2",
            "hotline / timer / callback",
            "ntcz_6_1_2_non_working_day_hotline_callback_30m",
        ),
    ] {
        let b = block(pack, citation);
        assert!(b.contains(rule), "{citation}: {rule}\n{b}");
        assert!(b.contains(test), "{citation}: {test}\n{b}");
    }
    // Sections sort numerically: EEDS-3.2.5 before EEDS-3.3.3.
    let eeds = &out.stdout[out.stdout.find("策略包 eeds ").unwrap()..];
    assert!(eeds.find("\nEEDS-3.2.5\n").unwrap() < eeds.find("\nEEDS-3.3.3\n").unwrap());
}
