//! Policy packs (ADR 0003): `yunwei policy check` / `trace` as a process,
//! and the shipped JSCZ pack driven through the engine, one test per
//! article it enforces.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc, Weekday};
use yunwei::policy::{chinese_number, document_articles, scan_test_fns, trace_report, Sources};
use yunwei_domain::policy::engine::{self, shanghai};
use yunwei_domain::policy::model::{Pack, Process};
use yunwei_domain::policy::{
    embedded, Actor, FieldValue, Fields, Refusal, TicketSnapshot, Workdays,
};

// ------------------------------------------------------------------ CLI

pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub(crate) struct Out {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl std::fmt::Display for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

pub(crate) fn yunwei(dir: &Path, args: &[&str]) -> Out {
    let mut c = Command::new(env!("CARGO_BIN_EXE_yunwei"));
    c.current_dir(dir).args(args).stdin(Stdio::null());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("YUNWEI_") {
            c.env_remove(&key);
        }
    }
    let out = c.output().expect("run yunwei");
    Out {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn policy_check_accepts_the_shipped_jscz_pack() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = repo_root().join("policies/jscz");
    let out = yunwei(tmp.path(), &["policy", "check", dir.to_str().unwrap()]);
    assert_eq!(out.code, Some(0), "{out}");
    let pack = embedded::pack("jscz").expect("jscz");
    assert_eq!(
        out.stdout.trim(),
        format!(
            "策略包 jscz 1.0.0 检查通过：{} 个流程，{} 条规则",
            pack.processes.len(),
            pack.rules().len()
        ),
        "{out}"
    );
}

const MINI_PACK: &str = r#"id = "mini"
name = "测试包"
version = "0.1.0"

[roles.lead]
label = "负责人"
platform = ["project_lead"]
"#;

/// Four errors, at lines and columns written out below.
const BROKEN_PROCESS: &str = r#"id = "p"
name = "测试流程"

[[state]]
id = "draft"
label = "草稿"
initial = true

[[state]]
id = "done"
label = "完成"
final = true

[[state]]
id = "orphan"
label = "孤立"
final = true

[[transition]]
id = "finish"
label = "完成"
from = ["draft"]
to = "done"
roles = ["requester", "chief"]

[[timer]]
id = "resolve"
label = "解决时限"
start = ["draft"]
duration = "2h"
source = "NTCZ-6.1.2"
"#;

#[test]
fn policy_check_reports_file_line_col_for_each_error() {
    let tmp = tempfile::tempdir().expect("tmp");
    std::fs::write(tmp.path().join("pack.toml"), MINI_PACK).unwrap();
    std::fs::write(tmp.path().join("p.toml"), BROKEN_PROCESS).unwrap();
    std::fs::write(tmp.path().join("README.md"), "not a pack file").unwrap();
    let out = yunwei(tmp.path(), &["policy", "check", "."]);
    assert_eq!(out.code, Some(1), "{out}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    let expected = [
        // unreachable state: at its [[state]] header
        ("./p.toml:14:1: ", "状态「orphan」不可达"),
        // transition without source: at its [[transition]] header
        ("./p.toml:19:1: ", "流转「finish」缺少依据条款"),
        // unknown role: at the role's string
        ("./p.toml:24:23: ", "未知角色「chief」"),
        // timer without stop: at its [[timer]] header
        ("./p.toml:26:1: ", "计时器「resolve」缺少 stop"),
    ];
    assert_eq!(lines.len(), expected.len(), "{out}");
    for ((prefix, message), line) in expected.iter().zip(&lines) {
        assert!(
            line.starts_with(prefix) && line.contains(message),
            "expected {prefix}{message}…, got {line}\n{out}"
        );
    }
    assert!(out.stderr.contains("4 个错误"), "{out}");
}

#[test]
fn policy_check_reports_toml_errors_and_unknown_keys() {
    let tmp = tempfile::tempdir().expect("tmp");
    let pack = MINI_PACK.replace("version = \"0.1.0\"", "version = \"0.1.0\"\nowner = \"x\"");
    std::fs::write(tmp.path().join("pack.toml"), pack).unwrap();
    std::fs::write(tmp.path().join("p.toml"), "id = \"p\"\nname = \"x\n").unwrap();
    let out = yunwei(tmp.path(), &["policy", "check", "."]);
    assert_eq!(out.code, Some(1), "{out}");
    assert!(
        out.stdout.contains(
            "./pack.toml:4:1: 未知的键「owner」，可用的键：id、name、version、document、document_from、document_until、roles"
        ),
        "{out}"
    );
    assert!(out.stdout.contains("./p.toml:2:10: TOML 语法错误"), "{out}");

    let out = yunwei(tmp.path(), &["policy", "check", "no-such-dir"]);
    assert_eq!(out.code, Some(2), "{out}");
    assert!(out.stderr.contains("无法读取策略包目录"), "{out}");
}

/// ADR 0010: every name of the domain's hook registry has exactly one
/// function in `core::hooks`, and nothing else does.
#[test]
fn core_hooks_implement_the_registry() {
    use yunwei_domain::policy::hooks as names;
    let table = |t: &[yunwei_core::kernel::seams::Hook]| -> Vec<&'static str> {
        t.iter().map(|h| h.name).collect()
    };
    let registry = |t: &[(&'static str, &'static str)]| -> Vec<&'static str> {
        t.iter().map(|(n, _)| *n).collect()
    };
    assert_eq!(table(yunwei_core::SEAMS.gates), registry(names::GATES));
    assert_eq!(table(yunwei_core::SEAMS.effects), registry(names::EFFECTS));
    // Every shipped pack names only registered hooks (the checker's rule).
    for pack in yunwei_domain::policy::embedded::packs() {
        for pr in &pack.processes {
            for h in pr.hooks_used() {
                assert!(names::all().any(|n| n == h), "{}/{}: {h}", pack.id, pr.id);
            }
        }
    }
}

/// ADR 0010: a gate or effect name outside the domain's registry is
/// refused at the name's position.
#[test]
fn policy_check_refuses_an_unknown_hook_keyword() {
    let tmp = tempfile::tempdir().expect("tmp");
    std::fs::write(tmp.path().join("pack.toml"), MINI_PACK).unwrap();
    let process = r#"id = "p"
name = "测试流程"

[[state]]
id = "draft"
label = "草稿"
initial = true

[[state]]
id = "done"
label = "完成"
final = true

[[transition]]
id = "finish"
label = "完成"
from = ["draft"]
to = "done"
roles = ["lead"]
source = "JSCZ-26"

[[transition.gate]]
hook = "golive_plans"
source = "NTCZ-3.4.1"

[[transition.effect]]
hook = "link_named_ci"
source = "JSCZ-39"
"#;
    std::fs::write(tmp.path().join("p.toml"), process).unwrap();
    let out = yunwei(tmp.path(), &["policy", "check", "."]);
    assert_eq!(out.code, Some(1), "{out}");
    assert_eq!(out.stdout.lines().count(), 1, "{out}");
    assert!(
        out.stdout.starts_with(
            "./p.toml:23:8: 流转「finish」的闸门 gate「golive_plans」未知：已知的有 golive_plan、prelaunch_checks"
        ),
        "{out}"
    );
    // With the registered name the pack passes.
    std::fs::write(
        tmp.path().join("p.toml"),
        process.replace("\"golive_plans\"", "\"golive_plan\""),
    )
    .unwrap();
    let out = yunwei(tmp.path(), &["policy", "check", "."]);
    assert_eq!(out.code, Some(0), "{out}");
}

/// A process's `intake` names come from the domain's registry too.
#[test]
fn policy_check_refuses_an_unknown_intake() {
    let tmp = tempfile::tempdir().expect("tmp");
    std::fs::write(tmp.path().join("pack.toml"), MINI_PACK).unwrap();
    let process = r#"id = "p"
name = "测试流程"
intake = ["inspection"]

[[state]]
id = "draft"
label = "草稿"
initial = true

[[state]]
id = "done"
label = "完成"
final = true

[[transition]]
id = "finish"
label = "完成"
from = ["draft"]
to = "done"
roles = ["lead"]
source = "JSCZ-26"
"#;
    std::fs::write(tmp.path().join("p.toml"), process).unwrap();
    let out = yunwei(tmp.path(), &["policy", "check", "."]);
    assert_eq!(out.code, Some(1), "{out}");
    assert!(
        out.stdout.starts_with(
            "./p.toml:3:11: 流程的来源 intake「inspection」未知：已知的有 inspection_finding"
        ),
        "{out}"
    );
    std::fs::write(
        tmp.path().join("p.toml"),
        process.replace("\"inspection\"", "\"inspection_finding\""),
    )
    .unwrap();
    let out = yunwei(tmp.path(), &["policy", "check", "."]);
    assert_eq!(out.code, Some(0), "{out}");
}

#[test]
fn policy_trace_lists_articles_rules_and_tests() {
    let root = repo_root();
    let out = yunwei(&root, &["policy", "trace", "--pack", "jscz"]);
    assert_eq!(out.code, Some(0), "{out}");
    let block = |citation: &str| -> String {
        let start = out
            .stdout
            .find(&format!("\n{citation}\n"))
            .unwrap_or_else(|| panic!("no {citation}: {out}"));
        let rest = &out.stdout[start + 1..];
        let end = rest.find("\n\n").unwrap_or(rest.len());
        rest[..end].to_string()
    };
    let b27 = block("JSCZ-27");
    assert!(
        b27.contains("change / lead_time / submit.planned_start>=2wd"),
        "{b27}"
    );
    assert!(
        b27.contains("jscz_27_major_change_needs_two_working_days"),
        "{b27}"
    );
    // Articles come in numeric order: JSCZ-26 before JSCZ-27, JSCZ-3x after.
    let pos = |c: &str| out.stdout.find(&format!("\n{c}\n")).unwrap();
    assert!(pos("JSCZ-11") < pos("JSCZ-26") && pos("JSCZ-27") < pos("JSCZ-31"));
    assert!(block("JSCZ-34")
        .contains("jscz_34_data_change_needs_backup_script_and_result_before_close"));
    // ADR 0011: a process's intake under the process's article.
    let b28 = block("JSCZ-28");
    assert!(
        b28.contains("incident / intake / inspection_finding"),
        "{b28}"
    );
    // ADR 0010: gates and effects under their article.
    let b42 = block("JSCZ-42");
    assert!(
        b42.contains("release / gate / submit:prelaunch_checks"),
        "{b42}"
    );
    assert!(
        b42.contains("change / gate / submit:prelaunch_checks"),
        "{b42}"
    );
    let golive = block("NTCZ-3.4.1");
    assert!(
        golive.contains("change / gate / start_data_change:golive_plan"),
        "{golive}"
    );
    assert!(block("JSCZ-39").contains("software_install / effect / submit:link_named_ci"));
    // The regulation is compiled in: every one of its 59 articles is
    // listed, each enforced, left out with a reason, or not enforced.
    assert!(
        out.stdout.contains("逐条对照（章节标题不计）：共 59 条"),
        "{out}"
    );
    let line = |citation: &str| -> String {
        let at = out
            .stdout
            .find(&format!("\n  {citation}  "))
            .unwrap_or_else(|| panic!("no line for {citation}: {out}"));
        let rest = &out.stdout[at + 3..];
        rest[..rest.find('\n').unwrap_or(rest.len())].to_string()
    };
    assert!(line("JSCZ-27").starts_with("JSCZ-27  执行：规则"), "{out}");
    // A register cites JSCZ-37 (NDAs): enforced by the register's spec.
    assert!(line("JSCZ-37").contains("登记册 ndas"), "{out}");
    assert!(
        line("JSCZ-1").starts_with("JSCZ-1  不执行：总则或附则"),
        "{out}"
    );

    // Without sources or a document, trace says so.
    let tmp = tempfile::tempdir().expect("tmp");
    let out = yunwei(tmp.path(), &["policy", "trace"]);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(out.stdout.contains("（未找到测试源码）"), "{out}");
    assert!(out.stdout.contains("代码注释中的引用未计入"), "{out}");

    let out = yunwei(tmp.path(), &["policy", "trace", "--pack", "nope"]);
    assert_eq!(out.code, Some(2), "{out}");
    assert!(out.stderr.contains("没有策略包「nope」"), "{out}");
}

#[test]
fn trace_helpers() {
    for (s, n) in [
        ("一", 1),
        ("十", 10),
        ("十一", 11),
        ("二十七", 27),
        ("五十六", 56),
        ("一百零二", 102),
    ] {
        assert_eq!(chinese_number(s), Some(n), "{s}");
    }
    assert_eq!(chinese_number("零"), None);
    let text = "第一章 总则\n\t第一条 为加强\n\t第二条 本制度\n参见第一条的规定。\n[image: ]\t第十一条 x\n第五十九条";
    assert_eq!(
        document_articles(text),
        [vec![1], vec![2], vec![11], vec![59]]
    );

    let pack = embedded::pack("jscz").unwrap();
    let tests = scan_test_fns(&repo_root().join("crates")).expect("sources");
    assert!(tests
        .iter()
        .any(|t| t.name == "jscz_26_data_change_needs_director_signoff"));
    let sources = Sources {
        tests: Some(tests),
        cites: Vec::new(),
        code_scanned: true,
    };
    let report = trace_report(&pack, &sources, Some(text));
    assert!(
        report.contains(
            "共 4 条，策略包规则执行 1 条，仅登记册或代码执行 0 条，有意不执行 3 条，未执行 0 条"
        ),
        "{report}"
    );
    // The pack's citations of articles this short text lacks are listed.
    assert!(
        report.contains("文档中没有的条款引用：JSCZ-3、JSCZ-4、JSCZ-7、JSCZ-8、JSCZ-10、JSCZ-12、"),
        "{report}"
    );
    assert!(scan_test_fns(Path::new("/nonexistent/crates")).is_none());
}

/// Issue 16: `policy trace --document` traces only the packs that name the
/// file; a document no pack belongs to is refused, never reported as
/// covered.
#[test]
fn policy_trace_refuses_a_document_no_pack_belongs_to() {
    let tmp = tempfile::tempdir().expect("tmp");
    std::fs::write(
        tmp.path().join("other.txt"),
        "第一条 为加强管理\n第二条 适用范围\n",
    )
    .unwrap();
    let out = yunwei(tmp.path(), &["policy", "trace", "--document", "other.txt"]);
    assert_eq!(out.code, Some(2), "{out}");
    assert!(
        out.stderr.contains("没有策略包以文档「other.txt」为依据"),
        "{out}"
    );
    assert!(!out.stdout.contains("逐条对照"), "{out}");
}

/// Issue 16: trace reads citations in the doc comments of the platform's
/// code, not in plain comments, tests or unit-test modules.
#[test]
fn policy_trace_reads_citations_in_doc_comments() {
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("core/src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::create_dir_all(tmp.path().join("core/tests")).unwrap();
    std::fs::write(
        src.join("a.rs"),
        "//! Keeps the NTCZ-6.1.3 clocks.\n/// Enforces JSCZ-12 and EEDS-3.7.1.\nfn a() {}\n// JSCZ-13 is not a doc comment\n#[cfg(test)]\nmod tests {\n    /// JSCZ-14\n    fn t() {}\n}\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("core/tests/t.rs"),
        "/// JSCZ-15\nfn t() {}\n",
    )
    .unwrap();
    let codes: Vec<String> = ["JSCZ", "EEDS", "NTCZ"].map(String::from).to_vec();
    let (cites, scanned) = yunwei::policy::scan_citations(tmp.path(), &codes);
    assert!(scanned);
    let code: Vec<(&str, usize)> = cites
        .iter()
        .filter_map(|(c, cite)| match cite {
            yunwei::policy::Cite::Code { line, .. } => Some((c.as_str(), *line)),
            yunwei::policy::Cite::Register { .. } => None,
        })
        .collect();
    assert_eq!(code, [("EEDS-3.7.1", 2), ("JSCZ-12", 2), ("NTCZ-6.1.3", 1)]);
    // The register specs' citations are read too.
    assert!(cites.iter().any(|(c, cite)| c == "JSCZ-37"
        && matches!(cite, yunwei::policy::Cite::Register { key, .. } if key == "ndas")));
}

// ------------------------------------------------------- engine on JSCZ

/// Working days per DESIGN.md section 6, with the 2026 Mid-Autumn and
/// National Day data (2026-09-25..27 and 10-01..07 off; Sunday 09-20 and
/// Saturday 10-10 worked) so the holiday matters.
pub(crate) struct Calendar2026;

impl Calendar2026 {
    pub(crate) fn is_workday(d: NaiveDate) -> bool {
        let date = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let off = [
            date(9, 25),
            date(9, 26),
            date(9, 27),
            date(10, 1),
            date(10, 2),
            date(10, 3),
            date(10, 4),
            date(10, 5),
            date(10, 6),
            date(10, 7),
        ];
        let worked = [date(9, 20), date(10, 10)];
        if off.contains(&d) {
            return false;
        }
        worked.contains(&d) || !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
    }
}

impl Workdays for Calendar2026 {
    fn sub_workdays(&self, mut d: NaiveDate, mut n: u32) -> NaiveDate {
        while n > 0 {
            d = d.pred_opt().unwrap();
            if Self::is_workday(d) {
                n -= 1;
            }
        }
        d
    }
}

pub(crate) fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A time in Asia/Shanghai.
pub(crate) fn sh(d: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    shanghai()
        .from_local_datetime(&d.and_hms_opt(h, m, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

pub(crate) fn text(s: &str) -> FieldValue {
    FieldValue::Text(s.into())
}

pub(crate) fn fields(pairs: &[(&str, FieldValue)]) -> Fields {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn jscz() -> Pack {
    embedded::pack("jscz").expect("jscz pack")
}

/// A user with platform roles, as the pack sees them.
pub(crate) fn user(pack: &Pack, id: &str, platform: &[&str]) -> Actor {
    Actor {
        user_id: id.into(),
        pack_roles: pack.pack_roles_for(platform.iter().copied()),
    }
}

struct People {
    vendor: Actor,
    lead: Actor,
    deputy: Actor,
    director: Actor,
    hardware: Actor,
    software: Actor,
    business: Actor,
}

fn people(pack: &Pack) -> People {
    People {
        vendor: user(pack, "vendor", &["vendor_engineer"]),
        lead: user(pack, "lead", &["project_lead"]),
        deputy: user(pack, "deputy", &["deputy_director"]),
        director: user(pack, "director", &["director"]),
        hardware: user(pack, "hardware", &["hardware_ops"]),
        software: user(pack, "software", &["software_dev"]),
        business: user(pack, "business", &["business_staff"]),
    }
}

/// A ticket moved through the engine.
struct Ticket<'p> {
    process: &'p Process,
    snap: TicketSnapshot,
    now: DateTime<Utc>,
}

impl<'p> Ticket<'p> {
    fn open(process: &'p Process, requester: &Actor, input: Fields) -> Ticket<'p> {
        let o = engine::open(process, &input).expect("open");
        Ticket {
            process,
            snap: TicketSnapshot {
                state: o.state,
                fields: o.fields,
                requester_id: requester.user_id.clone(),
                ..Default::default()
            },
            now: sh(date(2026, 9, 1), 9, 0),
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
        if out.approval_opened.is_some() || out.to_state != self.snap.state {
            self.snap.approvals.clear();
        }
        self.snap.state = out.to_state;
        self.snap.fields = out.fields;
        self
    }

    fn try_vote(
        &self,
        approval: &str,
        actor: &Actor,
        approve: bool,
    ) -> Result<Option<String>, Refusal> {
        engine::vote(self.process, &self.snap, approval, actor, approve).map(|v| v.complete)
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
        self
    }

    fn attach(&mut self, kinds: &[&str]) -> &mut Self {
        self.snap
            .attachments
            .extend(kinds.iter().map(|k| k.to_string()));
        self
    }

    fn state(&self) -> &str {
        &self.snap.state
    }

    fn available(&self, actor: &Actor) -> BTreeSet<String> {
        engine::available(self.process, &self.snap, actor)
            .into_iter()
            .map(|t| t.id.clone())
            .collect()
    }
}

fn change_fields(level: &str, kind: &str, planned: DateTime<Utc>) -> Fields {
    fields(&[
        ("title", text("预算一体化系统变更")),
        ("system", text("预算管理一体化系统")),
        ("description", text("变更内容")),
        ("reason", text("变更原因")),
        ("level", text(level)),
        ("type", text(kind)),
        ("launch", text("none")),
        ("planned_start", FieldValue::DateTime(planned)),
    ])
}

pub(crate) fn one(k: &str, v: &str) -> Fields {
    fields(&[(k, text(v))])
}

fn plan() -> Fields {
    fields(&[
        ("plan", text("实施方案")),
        ("rollback_plan", text("回退方案")),
    ])
}

#[test]
fn jscz_27_major_change_needs_two_working_days() {
    let pack = jscz();
    let change = pack.process("change").unwrap();
    let p = people(&pack);
    // Planned Thursday 2026-10-08 after National Day: two working days
    // before is Tuesday 2026-09-29 (DESIGN.md fixture), not 10-06.
    let planned = sh(date(2026, 10, 8), 9, 0);
    let mut t = Ticket::open(
        change,
        &p.vendor,
        change_fields("major", "application", planned),
    );
    t.now = sh(date(2026, 9, 29), 23, 30);
    assert_eq!(
        t.try_take("submit", &p.vendor, Fields::new()).unwrap(),
        "submitted"
    );
    // 00:30 on the 30th in Shanghai (still the 29th in UTC) is too late.
    t.now = sh(date(2026, 9, 30), 0, 30);
    let r = t.try_take("submit", &p.vendor, Fields::new()).unwrap_err();
    assert_eq!(r.code, "policy.lead_time", "{r}");
    assert_eq!(r.source.as_deref(), Some("JSCZ-27"));
    assert!(r.message.contains("至少提前 2 个工作日"), "{r}");
    assert!(r.message.contains("2026-09-29"), "{r}");
    // The same holds for a major data change submitted by the business side.
    let mut d = Ticket::open(change, &p.business, change_fields("major", "data", planned));
    d.attach(&["signed_request"]);
    d.now = sh(date(2026, 9, 30), 9, 0);
    let r = d
        .try_take("submit_data_change", &p.business, Fields::new())
        .unwrap_err();
    assert_eq!(r.code, "policy.lead_time", "{r}");
    d.now = sh(date(2026, 9, 28), 9, 0);
    assert!(d
        .try_take("submit_data_change", &p.business, Fields::new())
        .is_ok());
}

#[test]
fn jscz_27_normal_change_needs_one_working_day_simple_and_emergency_same_day() {
    let pack = jscz();
    let change = pack.process("change").unwrap();
    let p = people(&pack);
    // Monday 2026-10-12: one working day before is Saturday 10-10 (worked).
    let planned = sh(date(2026, 10, 12), 20, 0);
    let mut t = Ticket::open(
        change,
        &p.vendor,
        change_fields("normal", "infrastructure", planned),
    );
    t.now = sh(date(2026, 10, 10), 17, 0);
    assert!(t.try_take("submit", &p.vendor, Fields::new()).is_ok());
    t.now = sh(date(2026, 10, 11), 10, 0);
    assert_eq!(
        t.try_take("submit", &p.vendor, Fields::new())
            .unwrap_err()
            .code,
        "policy.lead_time"
    );

    for level in ["simple", "emergency"] {
        let mut t = Ticket::open(
            change,
            &p.vendor,
            change_fields(level, "application", planned),
        );
        t.now = sh(date(2026, 10, 12), 19, 0);
        assert!(
            t.try_take("submit", &p.vendor, Fields::new()).is_ok(),
            "{level}"
        );
        t.now = sh(date(2026, 10, 12), 20, 30);
        assert_eq!(
            t.try_take("submit", &p.vendor, Fields::new())
                .unwrap_err()
                .code,
            "policy.lead_time",
            "{level} after the planned start"
        );
    }
}

#[test]
fn jscz_25_data_changes_are_major_or_simple() {
    let pack = jscz();
    let change = pack.process("change").unwrap();
    let p = people(&pack);
    let planned = sh(date(2026, 12, 31), 9, 0);
    for (level, ok) in [("normal", false), ("emergency", false), ("simple", true)] {
        let t = Ticket::open(change, &p.vendor, change_fields(level, "data", planned));
        let r = t.try_take("submit", &p.vendor, Fields::new());
        assert_eq!(r.is_ok(), ok, "{level}: {r:?}");
        if !ok {
            assert_eq!(r.unwrap_err().code, "policy.condition");
        }
    }
    // A level that is not one of the four is refused.
    let r = engine::open(change, &one("level", "huge")).unwrap_err();
    assert_eq!(r.code, "policy.invalid_field");
    assert_eq!(r.source.as_deref(), Some("JSCZ-25"));
}

#[test]
fn jscz_33_data_correction_is_requested_by_the_business_department_with_signed_request() {
    let pack = jscz();
    let change = pack.process("change").unwrap();
    let p = people(&pack);
    let planned = sh(date(2026, 12, 31), 9, 0);
    let mut t = Ticket::open(change, &p.business, change_fields("major", "data", planned));
    // The ordinary submission (the vendor's, JSCZ-26 (1)) does not take
    // major data changes.
    assert_eq!(
        t.try_take("submit", &p.vendor, Fields::new())
            .unwrap_err()
            .code,
        "policy.condition"
    );
    // A vendor cannot file it; the business department needs the signed request.
    let r = t
        .try_take("submit_data_change", &p.vendor, Fields::new())
        .unwrap_err();
    assert_eq!(r.code, "policy.role");
    let r = t
        .try_take("submit_data_change", &p.business, Fields::new())
        .unwrap_err();
    assert_eq!(r.code, "policy.missing_attachment");
    assert!(r.message.contains("领导审签的申请"), "{r}");
    t.attach(&["signed_request"]);
    t.take("submit_data_change", &p.business, Fields::new());
    assert_eq!(t.state(), "submitted");
    // The project lead sees only the major-data route.
    assert_eq!(
        t.available(&p.lead),
        BTreeSet::from(["accept_data_change".to_string()])
    );
}

/// 「对于非业务数据后台调整的变更申请，由系统建设厂商向省厅信息中心项目负责人
/// 提交变更申请」(JSCZ-26 (1)): a non-data change (and a simple data change,
/// user permissions, which adjusts no business data) is submitted by the
/// system vendor; the business staff, the project lead or the sections that
/// may operate do not submit it, even as the one who filed it.
#[test]
fn jscz_26_non_data_change_is_submitted_by_the_system_vendor() {
    let pack = jscz();
    let change = pack.process("change").unwrap();
    let p = people(&pack);
    let planned = sh(date(2026, 12, 31), 9, 0);
    for (level, kind) in [
        ("normal", "application"),
        ("major", "infrastructure"),
        ("simple", "data"),
    ] {
        for who in [&p.business, &p.lead, &p.software, &p.hardware] {
            let t = Ticket::open(change, who, change_fields(level, kind, planned));
            let r = t.try_take("submit", who, Fields::new()).unwrap_err();
            assert_eq!(
                (r.code, r.source.as_deref()),
                ("policy.role", Some("JSCZ-26")),
                "{level}/{kind}"
            );
            assert!(r.message.contains("系统建设厂商"), "{r}");
        }
        let mut t = Ticket::open(change, &p.vendor, change_fields(level, kind, planned));
        t.take("submit", &p.vendor, Fields::new());
        assert_eq!(t.state(), "submitted", "{level}/{kind}");
    }
}

#[test]
fn jscz_26_data_change_needs_director_signoff() {
    let pack = jscz();
    let change = pack.process("change").unwrap();
    let p = people(&pack);
    let mut t = Ticket::open(
        change,
        &p.business,
        change_fields("major", "data", sh(date(2026, 12, 31), 9, 0)),
    );
    t.attach(&["signed_request"]);
    t.take("submit_data_change", &p.business, Fields::new())
        .take("accept_data_change", &p.lead, Fields::new());
    assert_eq!(t.state(), "data_planning");
    assert_eq!(
        t.try_take("submit_data_plan", &p.lead, Fields::new())
            .unwrap_err()
            .code,
        "policy.missing_field"
    );
    t.take("submit_data_plan", &p.lead, plan());
    assert_eq!(t.state(), "awaiting_signoff");

    // Sequential, deputy director first: nobody else may vote now.
    for who in [&p.lead, &p.business, &p.vendor] {
        assert_eq!(
            t.try_vote("data_signoff", who, true).unwrap_err().code,
            "policy.not_your_step"
        );
    }
    t.vote("data_signoff", &p.deputy, true);
    // The deputy's approval alone is not enough...
    assert_eq!(t.state(), "awaiting_signoff");
    // ...and the same person cannot sign again as director.
    assert_eq!(
        t.try_vote("data_signoff", &p.deputy, true)
            .unwrap_err()
            .code,
        "policy.already_voted"
    );
    t.vote("data_signoff", &p.director, true);
    assert_eq!(t.state(), "approved");

    // A rejection at either step ends the change.
    let mut r = Ticket::open(
        change,
        &p.business,
        change_fields("major", "data", sh(date(2026, 12, 31), 9, 0)),
    );
    r.attach(&["signed_request"]);
    r.take("submit_data_change", &p.business, Fields::new())
        .take("accept_data_change", &p.lead, Fields::new())
        .take("submit_data_plan", &p.lead, plan())
        .vote("data_signoff", &p.deputy, true)
        .vote("data_signoff", &p.director, false);
    assert_eq!(r.state(), "rejected");
}

#[test]
fn jscz_26_major_change_review_board_then_deputy_director() {
    let pack = jscz();
    let change = pack.process("change").unwrap();
    let p = people(&pack);
    let review = || {
        let mut f = plan();
        f.insert("review_opinion".into(), text("评审通过"));
        f
    };
    for (level, kind) in [("major", "infrastructure"), ("emergency", "application")] {
        let mut t = Ticket::open(
            change,
            &p.vendor,
            change_fields(level, kind, sh(date(2026, 12, 31), 9, 0)),
        );
        t.take("submit", &p.vendor, Fields::new());
        assert_eq!(
            t.available(&p.lead),
            BTreeSet::from(["organise_review".to_string()])
        );
        t.take("organise_review", &p.lead, Fields::new()).take(
            "submit_for_approval",
            &p.lead,
            review(),
        );
        // Deputy director alone decides unless the director is needed.
        t.vote("deputy_approval", &p.deputy, true);
        assert_eq!(t.state(), "approved", "{level}/{kind}");
    }
    // 必要时提交中心主任: both sign, in order.
    let mut t = Ticket::open(
        change,
        &p.vendor,
        change_fields("major", "application", sh(date(2026, 12, 31), 9, 0)),
    );
    let mut input = review();
    input.insert("needs_director".into(), FieldValue::Bool(true));
    t.take("submit", &p.vendor, Fields::new())
        .take("organise_review", &p.lead, Fields::new())
        .take("submit_for_approval", &p.lead, input);
    assert_eq!(
        t.try_vote("deputy_approval", &p.deputy, true)
            .unwrap_err()
            .code,
        "policy.approval_not_open"
    );
    t.vote("approval_with_director", &p.deputy, true);
    assert_eq!(t.state(), "awaiting_approval");
    t.vote("approval_with_director", &p.director, true);
    assert_eq!(t.state(), "approved");
}

#[test]
fn jscz_26_normal_changes_reviewed_by_project_lead_or_hardware_ops() {
    let pack = jscz();
    let change = pack.process("change").unwrap();
    let p = people(&pack);
    let planned = sh(date(2026, 12, 31), 9, 0);
    // Application: the project lead has the vendor plan, then reviews.
    let mut t = Ticket::open(
        change,
        &p.vendor,
        change_fields("normal", "application", planned),
    );
    t.take("submit", &p.vendor, Fields::new())
        .take("arrange_plan", &p.lead, Fields::new())
        .take("submit_plan", &p.vendor, plan());
    assert_eq!(
        t.try_take(
            "approve_plan_hw",
            &p.hardware,
            one("plan_review_opinion", "同意")
        )
        .unwrap_err()
        .code,
        "policy.condition"
    );
    t.take("approve_plan", &p.lead, one("plan_review_opinion", "同意"));
    assert_eq!(t.state(), "approved");

    // Infrastructure: forwarded to the hardware ops section, which reviews.
    let mut t = Ticket::open(
        change,
        &p.vendor,
        change_fields("simple", "infrastructure", planned),
    );
    t.take("submit", &p.vendor, Fields::new());
    assert_eq!(
        t.available(&p.lead),
        BTreeSet::from(["forward_to_hardware_ops".to_string()])
    );
    t.take("forward_to_hardware_ops", &p.lead, Fields::new());
    assert_eq!(
        t.try_take("arrange_plan_hw", &p.lead, Fields::new())
            .unwrap_err()
            .code,
        "policy.role"
    );
    t.take("arrange_plan_hw", &p.hardware, Fields::new())
        .take("submit_plan", &p.vendor, plan())
        .take(
            "return_plan_hw",
            &p.hardware,
            one("plan_review_opinion", "补充回退步骤"),
        )
        .take("submit_plan", &p.vendor, plan())
        .take(
            "approve_plan_hw",
            &p.hardware,
            one("plan_review_opinion", "同意"),
        );
    assert_eq!(t.state(), "approved");
    assert_eq!(
        t.try_take("publish_plan", &p.vendor, Fields::new())
            .unwrap_err()
            .code,
        "policy.role"
    );
    t.take("publish_plan", &p.lead, Fields::new())
        .take("start_implementation", &p.vendor, Fields::new())
        .take(
            "finish_implementation",
            &p.vendor,
            one("implementation_record", "已更换硬盘"),
        )
        .take(
            "verification_passed",
            &p.vendor,
            one("verification_result", "阵列正常"),
        )
        .take("close", &p.lead, one("success_report", "变更成功"));
    assert_eq!(t.state(), "closed");
}

#[test]
fn jscz_26_failed_verification_rolls_back_and_publishes_postponement() {
    let pack = jscz();
    let change = pack.process("change").unwrap();
    let p = people(&pack);
    let mut t = Ticket::open(
        change,
        &p.vendor,
        change_fields("simple", "application", sh(date(2026, 12, 31), 9, 0)),
    );
    t.take("submit", &p.vendor, Fields::new())
        .take("arrange_plan", &p.lead, Fields::new())
        .take("submit_plan", &p.vendor, plan())
        .take("approve_plan", &p.lead, one("plan_review_opinion", "同意"))
        .take("publish_plan", &p.lead, Fields::new())
        .take("start_implementation", &p.vendor, Fields::new())
        .take(
            "finish_implementation",
            &p.vendor,
            one("implementation_record", "已重启"),
        )
        .take(
            "verification_failed",
            &p.vendor,
            one("verification_result", "服务无法启动"),
        );
    assert_eq!(t.state(), "rolling_back");
    assert_eq!(
        t.try_take("rollback_done", &p.vendor, Fields::new())
            .unwrap_err()
            .code,
        "policy.missing_field"
    );
    t.take("rollback_done", &p.vendor, one("rollback_record", "已回滚"))
        .take(
            "publish_postponement",
            &p.lead,
            one("postponement_notice", "延期至下周"),
        );
    assert_eq!(t.state(), "postponed");
    assert!(change.state("postponed").unwrap().is_final);
}

#[test]
fn jscz_26_application_change_report_includes_usage_guide() {
    let pack = jscz();
    let change = pack.process("change").unwrap();
    let p = people(&pack);
    let mut t = Ticket::open(
        change,
        &p.vendor,
        change_fields("simple", "application", sh(date(2026, 12, 31), 9, 0)),
    );
    t.take("submit", &p.vendor, Fields::new())
        .take("arrange_plan", &p.lead, Fields::new())
        .take("submit_plan", &p.vendor, plan())
        .take("approve_plan", &p.lead, one("plan_review_opinion", "同意"))
        .take("publish_plan", &p.lead, Fields::new())
        .take("start_implementation", &p.vendor, Fields::new())
        .take(
            "finish_implementation",
            &p.vendor,
            one("implementation_record", "已重启"),
        )
        .take(
            "verification_passed",
            &p.vendor,
            one("verification_result", "正常"),
        );
    let r = t
        .try_take("close_application", &p.lead, one("success_report", "成功"))
        .unwrap_err();
    assert_eq!(r.code, "policy.missing_field");
    assert!(r.message.contains("操作指南"), "{r}");
    assert_eq!(
        t.try_take("close", &p.lead, one("success_report", "成功"))
            .unwrap_err()
            .code,
        "policy.condition"
    );
    let mut input = one("success_report", "成功");
    input.insert("usage_guide".into(), text("各地操作指南"));
    t.take("close_application", &p.lead, input);
    assert_eq!(t.state(), "closed");
}

#[test]
fn jscz_11_application_upgrade_needs_backup_before_implementation() {
    let pack = jscz();
    let change = pack.process("change").unwrap();
    let p = people(&pack);
    let mut t = Ticket::open(
        change,
        &p.vendor,
        change_fields("normal", "application", sh(date(2026, 12, 31), 9, 0)),
    );
    t.take("submit", &p.vendor, Fields::new())
        .take("arrange_plan", &p.lead, Fields::new())
        .take("submit_plan", &p.vendor, plan())
        .take("approve_plan", &p.lead, one("plan_review_opinion", "同意"))
        .take("publish_plan", &p.lead, Fields::new());
    assert_eq!(
        t.try_take("start_implementation", &p.vendor, Fields::new())
            .unwrap_err()
            .code,
        "policy.condition"
    );
    let r = t
        .try_take("start_upgrade", &p.vendor, Fields::new())
        .unwrap_err();
    assert_eq!(
        (r.code, r.source.as_deref()),
        ("policy.missing_attachment", Some("JSCZ-11"))
    );
    t.attach(&["backup"])
        .take("start_upgrade", &p.vendor, Fields::new());
    assert_eq!(t.state(), "implementing");
}

#[test]
fn jscz_34_data_change_needs_backup_script_and_result_before_close() {
    let pack = jscz();
    let change = pack.process("change").unwrap();
    let p = people(&pack);
    let mut t = Ticket::open(
        change,
        &p.business,
        change_fields("major", "data", sh(date(2026, 12, 31), 9, 0)),
    );
    t.attach(&["signed_request"])
        .take("submit_data_change", &p.business, Fields::new())
        .take("accept_data_change", &p.lead, Fields::new())
        .take("submit_data_plan", &p.lead, plan())
        .vote("data_signoff", &p.deputy, true)
        .vote("data_signoff", &p.director, true)
        .take("publish_plan", &p.lead, Fields::new());
    // Backup before writing to the production database.
    let r = t
        .try_take("start_data_change", &p.vendor, Fields::new())
        .unwrap_err();
    assert_eq!(
        (r.code, r.source.as_deref()),
        ("policy.missing_attachment", Some("JSCZ-34"))
    );
    assert_eq!(
        t.try_take("start_implementation", &p.vendor, Fields::new())
            .unwrap_err()
            .code,
        "policy.condition"
    );
    t.attach(&["backup"])
        .take("start_data_change", &p.vendor, Fields::new())
        .take(
            "finish_implementation",
            &p.vendor,
            one("implementation_record", "执行脚本"),
        )
        .take(
            "verification_passed",
            &p.vendor,
            one("verification_result", "数据已更正"),
        );
    // The script and the result must be archived before closing.
    let report = one("success_report", "数据更正完成");
    let r = t
        .try_take("close_data_change", &p.lead, report.clone())
        .unwrap_err();
    assert_eq!(r.code, "policy.missing_attachment");
    assert_eq!(r.source.as_deref(), Some("JSCZ-34"));
    assert!(
        r.message.contains("执行脚本") && r.message.contains("执行结果"),
        "{r}"
    );
    assert!(!r.message.contains("备份文件"), "{r}");
    t.attach(&["script"]);
    assert!(t
        .try_take("close_data_change", &p.lead, report.clone())
        .is_err());
    // No other way to close a major data change.
    assert_eq!(
        t.try_take("close", &p.lead, report.clone())
            .unwrap_err()
            .code,
        "policy.condition"
    );
    t.attach(&["result"])
        .take("close_data_change", &p.lead, report);
    assert_eq!(t.state(), "closed");
}

fn incident_fields() -> Fields {
    fields(&[
        ("title", text("支付系统无法登录")),
        ("system", text("统一公共支付系统")),
        ("description", text("部分用户登录超时")),
        (
            "occurred_at",
            FieldValue::DateTime(sh(date(2026, 9, 1), 8, 30)),
        ),
        ("origin", text("inspection")),
        ("source_ticket", text("XJ-2026-0001")),
    ])
}

fn classification(category: &str, pct: f64, impact: &str) -> Fields {
    fields(&[
        ("category", text(category)),
        ("affected_pct", FieldValue::Number(pct)),
        ("social_impact", text(impact)),
    ])
}

#[test]
fn jscz_30_levels_follow_affected_users_and_social_impact() {
    let pack = jscz();
    let incident = pack.process("incident").unwrap();
    for (pct, impact, level) in [
        (80.0, "general", "1"),
        (100.0, "general", "1"),
        (5.0, "especially_major", "1"),
        (79.9, "general", "2"),
        (20.0, "general", "2"),
        (0.0, "major", "2"),
        (19.9, "general", "3"),
        (0.5, "general", "3"),
        (0.0, "large", "3"),
        (0.0, "general", "4"),
    ] {
        let f = engine::derive_fields(incident, &classification("application", pct, impact));
        assert_eq!(f["level"], text(level), "{pct}% / {impact}");
    }
    // Nothing known yet: no level.
    assert!(!engine::derive_fields(incident, &Fields::new()).contains_key("level"));
}

#[test]
fn jscz_31_level_derived_from_affected_users() {
    let pack = jscz();
    let incident = pack.process("incident").unwrap();
    let p = people(&pack);
    let mut t = Ticket::open(incident, &p.vendor, incident_fields());
    t.take("report", &p.vendor, Fields::new());
    // Classification by the project lead: the level is derived, not typed.
    assert_eq!(
        t.try_take(
            "classify",
            &p.vendor,
            classification("application", 50.0, "general")
        )
        .unwrap_err()
        .code,
        "policy.role"
    );
    let mut input = classification("application", 50.0, "general");
    input.insert("level".into(), text("4"));
    t.take("classify", &p.lead, input);
    assert_eq!(t.snap.fields["level"], text("2"));
    // Routed by category: only the software section accepts it.
    assert_eq!(
        t.try_take("accept_infrastructure", &p.hardware, Fields::new())
            .unwrap_err()
            .code,
        "policy.condition"
    );
    assert_eq!(
        t.try_take("accept_application", &p.hardware, Fields::new())
            .unwrap_err()
            .code,
        "policy.role"
    );
    t.take("accept_application", &p.software, Fields::new());
    // Level 2: deputy director, not the vendor route.
    assert_eq!(
        t.available(&p.lead),
        BTreeSet::from(["escalate".to_string()])
    );
}

#[test]
fn jscz_31_general_incident_vendor_solution_reviewed_then_report_before_close() {
    let pack = jscz();
    let incident = pack.process("incident").unwrap();
    let p = people(&pack);
    let mut t = Ticket::open(incident, &p.vendor, incident_fields());
    t.take("report", &p.vendor, Fields::new()).take(
        "classify",
        &p.lead,
        classification("infrastructure", 0.0, "general"),
    );
    assert_eq!(t.snap.fields["level"], text("4"));
    assert_eq!(
        t.try_take("accept_application", &p.software, Fields::new())
            .unwrap_err()
            .code,
        "policy.condition"
    );
    t.take("accept_infrastructure", &p.hardware, Fields::new());
    assert_eq!(
        t.available(&p.lead),
        BTreeSet::from(["assign_vendor".to_string()])
    );
    t.take("assign_vendor", &p.lead, Fields::new())
        .take("submit_solution", &p.vendor, one("solution", "更换网卡"))
        .take(
            "return_solution",
            &p.lead,
            one("solution_review_opinion", "补充验证步骤"),
        )
        .take(
            "submit_solution",
            &p.vendor,
            one("solution", "更换网卡并验证"),
        )
        .take("approve_solution", &p.lead, Fields::new());
    let mut done = one("handling_record", "已更换");
    done.insert("verification_result".into(), text("恢复正常"));
    t.take("resolve", &p.vendor, done);
    // Users hear back before the report.
    assert_eq!(
        t.try_take("submit_report", &p.vendor, one("report", "报告"))
            .unwrap_err()
            .code,
        "policy.wrong_state"
    );
    t.take("feedback", &p.vendor, one("user_feedback", "已电话告知"))
        .take("submit_report", &p.vendor, one("report", "事件处理报告"))
        .take(
            "return_report",
            &p.lead,
            one("report_review_opinion", "补充原因分析"),
        );
    assert_eq!(t.state(), "awaiting_report");
    t.take(
        "submit_report",
        &p.vendor,
        one("report", "事件处理报告（修订）"),
    );
    assert_eq!(
        t.try_take("approve_report", &p.vendor, Fields::new())
            .unwrap_err()
            .code,
        "policy.role"
    );
    t.take("approve_report", &p.lead, Fields::new());
    assert_eq!(t.state(), "closed");
}

#[test]
fn jscz_31_serious_incident_goes_to_leadership_and_an_incident_team() {
    let pack = jscz();
    let incident = pack.process("incident").unwrap();
    let p = people(&pack);
    let mut t = Ticket::open(incident, &p.vendor, incident_fields());
    let mut input = classification("application", 90.0, "general");
    input.insert("needs_director".into(), FieldValue::Bool(true));
    t.take("report", &p.vendor, Fields::new())
        .take("classify", &p.lead, input)
        .take("accept_application", &p.software, Fields::new());
    assert_eq!(
        t.try_take("assign_vendor", &p.lead, Fields::new())
            .unwrap_err()
            .code,
        "policy.condition"
    );
    t.take("escalate", &p.lead, Fields::new());
    assert_eq!(t.state(), "awaiting_leadership");
    t.vote("leadership_with_director", &p.deputy, true).vote(
        "leadership_with_director",
        &p.director,
        true,
    );
    assert_eq!(t.state(), "team_forming");
    assert_eq!(
        t.try_take("form_team", &p.lead, one("team", "张三、李四"))
            .unwrap_err()
            .code,
        "policy.missing_field"
    );
    let mut team = one("team", "张三、李四");
    team.insert("solution".into(), text("切换备用节点"));
    t.take("form_team", &p.lead, team);
    assert_eq!(t.state(), "handling");

    // A rejection sends it back for classification.
    let mut r = Ticket::open(incident, &p.vendor, incident_fields());
    r.take("report", &p.vendor, Fields::new())
        .take(
            "classify",
            &p.lead,
            classification("application", 10.0, "general"),
        )
        .take("accept_application", &p.software, Fields::new())
        .take("escalate", &p.lead, Fields::new())
        .vote("leadership", &p.deputy, false);
    assert_eq!(r.state(), "reported");
}

#[test]
fn jscz_28_incident_registered_from_problem_report_or_inspection() {
    let pack = jscz();
    let incident = pack.process("incident").unwrap();
    let p = people(&pack);
    let mut f = incident_fields();
    f.insert("origin".into(), text("phone_call"));
    let r = engine::open(incident, &f).unwrap_err();
    assert_eq!(
        (r.code, r.source.as_deref()),
        ("policy.invalid_field", Some("JSCZ-28"))
    );
    let mut f = incident_fields();
    f.remove("source_ticket");
    let t = Ticket::open(incident, &p.vendor, f);
    let r = t.try_take("report", &p.vendor, Fields::new()).unwrap_err();
    assert_eq!(r.code, "policy.missing_field");
    assert!(r.message.contains("问题单/巡检单编号"), "{r}");
    // Business staff do not register incidents themselves (unless they
    // opened the ticket).
    let t = Ticket::open(incident, &p.vendor, incident_fields());
    assert_eq!(
        t.try_take("report", &p.business, Fields::new())
            .unwrap_err()
            .code,
        "policy.role"
    );
}

#[test]
fn trace_reads_outline_and_dotted_numbering() {
    let ntcz = "六、服务要求\n（一）实施服务的工作要求\n1.现场服务：……\n2.电话服务标准：……\n[bookmark: _Toc23416]（二）项目管理要求\n（1）团队\n七、验收标准\n";
    // A converted document's markers before a heading are skipped; `（1）`
    // numbers items as `1.` does.
    assert_eq!(
        document_articles(ntcz),
        [
            vec![6],
            vec![6, 1],
            vec![6, 1, 1],
            vec![6, 1, 2],
            vec![6, 2],
            vec![6, 2, 1],
            vec![7]
        ]
    );
    let eeds = "1.总则\n1.1为规范……\n3.2.5 问题管理\n2.1.1.信息系统……\n";
    assert_eq!(
        document_articles(eeds),
        [vec![1, 1], vec![3, 2, 5], vec![2, 1, 1]]
    );
}

// ------------------------------------------------------------------ SNXM
// 遂宁市政务信息化项目管理办法 (ADR 0017): the routes of the project process
// driven through the engine. The gates that read the database (the
// refusal cases, the plan, the trial, the 10 % of supplements) are tested
// in `projects.rs`.

fn snxm() -> Pack {
    embedded::pack("snxm").expect("snxm pack")
}

fn money(s: &str) -> FieldValue {
    FieldValue::Money(yunwei_domain::policy::model::parse_money(s).expect("money"))
}

fn project_application(total: &str) -> Fields {
    fields(&[
        ("title", text("遂宁市智慧城管平台升级")),
        ("unit_level", text("city")),
        ("kind", text("investment")),
        ("route", text("regular")),
        ("total_investment", money(total)),
        ("funding", text("市级财政资金")),
        ("current_systems", text("现有数字城管系统一套")),
        ("no_duplication", text("不与市级平台重复")),
        ("integration", text("整合原有两个子系统")),
        (
            "cloud_and_sharing",
            text("部署于市级政务云，数据汇聚至共享交换平台"),
        ),
        ("needs", text("解决案件流转慢的问题")),
        ("secure_products", text("采用国产数据库和操作系统")),
    ])
}

fn review_route(total: &str) -> String {
    let pack = snxm();
    let process = pack.process("project").expect("project");
    let derived = engine::derive_fields(process, &project_application(total));
    match derived.get("review_route") {
        Some(FieldValue::Text(s)) => s.clone(),
        other => panic!("review_route: {other:?}"),
    }
}

/// SNXM-22: "总投资在30万元及以上的项目，建设单位应编制项目技术方案报市数据局审查，
/// 30万元以下的项目应将技术方案报市数据局备案".
#[test]
fn snxm_22_plan_of_299999_yuan_is_filed_not_reviewed() {
    assert_eq!(review_route("299999.99"), "filing");
    assert_eq!(review_route("299999"), "filing");
    assert_eq!(review_route("0.01"), "filing");
}

#[test]
fn snxm_22_plan_of_300000_yuan_goes_to_joint_review() {
    assert_eq!(review_route("300000"), "joint");
    assert_eq!(review_route("300000.00"), "joint");
    assert_eq!(review_route("300000.01"), "joint");
    assert_eq!(review_route("4,000,000"), "joint");
}

/// SNXM-29: "项目总投资在400万元（含）以上的信息化项目原则上须引入监理机制".
#[test]
fn snxm_29_project_of_4_million_needs_a_supervisor() {
    let pack = snxm();
    let process = pack.process("project").expect("project");
    let unit = user(&pack, "unit", &["business_staff"]);
    for (total, needs) in [
        ("4000000", true),
        ("4000000.00", true),
        ("3999999.99", false),
    ] {
        let mut t = Ticket::open(process, &unit, project_application(total));
        t.snap.state = "contracted".into();
        let r = t.try_take("start", &unit, Fields::new());
        if needs {
            let refusal = r.expect_err(total);
            assert!(refusal.message.contains("监理单位"), "{total}: {refusal}");
            assert!(
                refusal.to_string().contains("SNXM-29"),
                "{total}: {refusal}"
            );
            t.attach(&["supervision_contract"]);
            let started = t.try_take(
                "start",
                &unit,
                fields(&[("supervisor", text("四川省信息工程监理有限公司"))]),
            );
            assert_eq!(started.as_deref(), Ok("construction"), "{total}");
        } else {
            assert_eq!(r.as_deref(), Ok("construction"), "{total}");
        }
    }
}

/// SNXM-18: "项目经本部门首席数据官、首席数据执行官同意后，方可履行后续审批、入库及
/// 年度计划管理等程序". The bureau can do nothing before the consent, and
/// a CDO cannot consent to the application they filed themselves.
#[test]
fn snxm_18_no_approval_without_cdo_consent() {
    let pack = snxm();
    let process = pack.process("project").expect("project");
    let unit = user(&pack, "unit", &["business_staff"]);
    let cdo = user(&pack, "cdo", &["chief_data_officer"]);
    let bureau = user(&pack, "bureau", &["project_manager"]);
    let mut t = Ticket::open(process, &unit, project_application("1200000"));
    t.attach(&["application"])
        .take("submit", &unit, Fields::new());
    assert_eq!(t.state(), "cdo_review");
    assert!(
        t.available(&bureau).is_empty(),
        "{:?}",
        t.available(&bureau)
    );
    assert!(t
        .try_take(
            "pass_to_finance",
            &bureau,
            fields(&[("necessity_opinion", text("同意"))])
        )
        .is_err());
    // The CDO who filed it may not consent to it.
    let cdo_filer = user(&pack, "unit", &["business_staff", "chief_data_officer"]);
    assert!(t
        .try_take(
            "cdo_consent",
            &cdo_filer,
            fields(&[("cdo_opinion", text("同意"))])
        )
        .is_err());
    t.take(
        "cdo_consent",
        &cdo,
        fields(&[("cdo_opinion", text("同意"))]),
    );
    assert_eq!(t.state(), "bureau_opinion");
    assert!(t.available(&bureau).contains("pass_to_finance"));
}

/// SNXM-15: "已完成建设的周期性、延续性项目提供预算保障相关佐证材料后视为已完成审批".
#[test]
fn snxm_15_periodic_project_enters_the_library_with_budget_evidence() {
    let pack = snxm();
    let process = pack.process("project").expect("project");
    let unit = user(&pack, "unit", &["business_staff"]);
    let cdo = user(&pack, "cdo", &["chief_data_officer"]);
    let mut app = project_application("180000");
    app.insert("route".into(), text("periodic"));
    app.insert("kind".into(), text("om"));
    let mut t = Ticket::open(process, &unit, app);
    t.attach(&["application"])
        .take("submit", &unit, Fields::new());
    let opinion = fields(&[("cdo_opinion", text("同意续签运维"))]);
    assert!(t.try_take("cdo_consent", &cdo, opinion.clone()).is_err());
    let refused = t
        .try_take("cdo_consent_periodic", &cdo, opinion.clone())
        .expect_err("no evidence");
    assert!(
        refused.to_string().contains("budget_evidence") || refused.message.contains("预算保障"),
        "{refused}"
    );
    t.attach(&["budget_evidence"]);
    t.take("cdo_consent_periodic", &cdo, opinion);
    assert_eq!(t.state(), "library");
}

struct Snxm {
    unit: Actor,
    cdo: Actor,
    bureau: Actor,
    county: Actor,
    finance: Actor,
    development: Actor,
    security: Actor,
    secrecy: Actor,
}

fn snxm_people(pack: &Pack) -> Snxm {
    Snxm {
        unit: user(pack, "unit", &["business_staff"]),
        cdo: user(pack, "cdo", &["chief_data_officer"]),
        bureau: user(pack, "bureau", &["project_manager"]),
        county: user(pack, "county", &["county_project_manager"]),
        finance: user(pack, "finance", &["project_finance"]),
        development: user(pack, "development", &["project_development"]),
        security: user(pack, "security", &["project_security"]),
        secrecy: user(pack, "secrecy", &["project_secrecy"]),
    }
}

/// SNXM-13: a county's major project goes through the county's data
/// bureau to the city bureau, whose necessity opinion lets the county
/// build under its own procedures; the city's pre-acceptance approval
/// still comes before acceptance (SNXM-32).
#[test]
fn snxm_13_county_project_needs_the_city_bureau_opinion_and_pre_acceptance() {
    let pack = snxm();
    let process = pack.process("project").expect("project");
    let who = snxm_people(&pack);
    let mut app = project_application("5200000");
    app.insert("unit_level".into(), text("county"));
    let mut t = Ticket::open(process, &who.unit, app);
    t.attach(&["application"]);
    assert!(t.try_take("submit", &who.unit, Fields::new()).is_err());
    t.take("submit_county", &who.unit, Fields::new());
    assert_eq!(t.state(), "county_review");
    assert!(t.available(&who.bureau).is_empty());
    t.take(
        "county_pass",
        &who.county,
        fields(&[("county_opinion", text("同意报送"))]),
    );
    t.take(
        "cdo_consent",
        &who.cdo,
        fields(&[("cdo_opinion", text("同意"))]),
    );
    assert_eq!(t.state(), "bureau_opinion");
    assert!(!t.available(&who.bureau).contains("pass_to_finance"));
    assert!(t.available(&who.bureau).contains("pass_county"));
    let mut opinion = fields(&[
        ("necessity_opinion", text("建设必要、合理")),
        ("priority_type", text("shared_base")),
    ]);
    let refusal = pack.projects.as_ref().expect("projects.toml");
    for (f, _) in &refusal.refusal_fields {
        opinion.insert(f.clone(), FieldValue::Bool(false));
    }
    t.take("pass_county", &who.bureau, opinion);
    assert_eq!(t.state(), "county_building");
    t.take("complete", &who.unit, Fields::new());
    t.take(
        "request_pre_acceptance",
        &who.unit,
        fields(&[("trial_report", text("运行稳定"))]),
    );
    assert_eq!(t.state(), "pre_acceptance");
    assert!(
        t.available(&who.unit).is_empty(),
        "only the city bureau approves"
    );
    assert!(t.available(&who.bureau).contains("pre_approve"));
}

/// SNXM-17: the unit proposes a library project for next year; the bureau
/// and then finance fix the plan list. An urgent project is added by the
/// bureau with its reason. Before the plan nothing proceeds.
#[test]
fn snxm_17_only_projects_on_the_annual_plan_proceed() {
    let pack = snxm();
    let process = pack.process("project").expect("project");
    let who = snxm_people(&pack);
    let mut t = Ticket::open(process, &who.unit, project_application("600000"));
    t.snap.state = "library".into();
    t.attach(&["technical_plan"]);
    let plan = fields(&[("plan_contents", FieldValue::Bool(true))]);
    assert!(t
        .try_take("submit_for_review", &who.unit, plan.clone())
        .is_err());
    t.take(
        "propose",
        &who.unit,
        fields(&[("plan_year", FieldValue::Integer(2027))]),
    );
    assert!(
        t.try_take("fix_plan", &who.finance, Fields::new()).is_err(),
        "the bureau first"
    );
    t.take("plan_agree", &who.bureau, Fields::new());
    assert!(t
        .try_take("plan_agree", &who.finance, Fields::new())
        .is_err());
    t.take("fix_plan", &who.finance, Fields::new());
    assert_eq!(t.state(), "planned");
    assert_eq!(
        t.try_take("submit_for_review", &who.unit, plan).as_deref(),
        Ok("joint_review")
    );

    let mut urgent = Ticket::open(process, &who.unit, project_application("600000"));
    urgent.snap.state = "library".into();
    assert!(
        urgent
            .try_take(
                "urgent_addition",
                &who.bureau,
                fields(&[("plan_year", FieldValue::Integer(2026))])
            )
            .is_err(),
        "an urgent addition states its reason"
    );
    urgent.take(
        "urgent_addition",
        &who.bureau,
        fields(&[
            ("plan_year", FieldValue::Integer(2026)),
            ("urgent_reason", text("省委明确要求年内建成")),
        ]),
    );
    assert_eq!(urgent.state(), "planned");
}

/// SNXM-23: the joint review group gives its opinions by function (网信办
/// and 公安局 on security, 保密机要局 on secure-and-reliable products and
/// cryptography); only then does the bureau issue the conclusion, and the
/// budget review follows the amended plan (SNXM-24).
#[test]
fn snxm_23_joint_review_opinions_come_before_the_bureau_conclusion() {
    let pack = snxm();
    let process = pack.process("project").expect("project");
    let who = snxm_people(&pack);
    let mut t = Ticket::open(process, &who.unit, project_application("450000"));
    t.snap.state = "joint_review".into();
    assert!(t.available(&who.bureau).is_empty());
    assert!(t.try_vote("joint_opinions", &who.unit, true).is_err());
    t.vote("joint_opinions", &who.security, true);
    assert_eq!(
        t.state(),
        "joint_review",
        "the secrecy bureau has not spoken"
    );
    t.vote("joint_opinions", &who.secrecy, true);
    assert_eq!(t.state(), "review_conclusion");
    t.attach(&["review_conclusion"]);
    t.take(
        "pass_review",
        &who.bureau,
        fields(&[
            ("expert_opinion", text("技术路线可行")),
            ("review_conclusion", text("通过，按意见完善")),
        ]),
    );
    assert_eq!(t.state(), "amending");
    assert!(
        t.available(&who.finance).is_empty(),
        "budget review waits for the amended plan"
    );
    t.attach(&["technical_plan"]);
    t.take("file_amended", &who.unit, Fields::new());
    assert_eq!(t.state(), "budget_review");
    assert!(t.available(&who.finance).contains("budget_pass"));
}

/// SNXM-31: a serious problem is reported; the bureau may suspend the
/// project; a termination goes through the bureau's opinion to the
/// original approver (立项 → 发展改革委, 常规 → 财政).
#[test]
fn snxm_31_termination_is_decided_by_the_original_approver() {
    let pack = snxm();
    let process = pack.process("project").expect("project");
    let who = snxm_people(&pack);
    for (route, approver, other) in [
        ("approval", &who.development, &who.finance),
        ("regular", &who.finance, &who.development),
    ] {
        let mut app = project_application("2000000");
        app.insert("route".into(), text(route));
        let mut t = Ticket::open(process, &who.unit, app);
        t.snap.state = "construction".into();
        t.take(
            "report_problem",
            &who.unit,
            fields(&[("problem_report", text("工期严重逾期"))]),
        );
        t.take(
            "suspend",
            &who.bureau,
            fields(&[("disposal_opinion", text("暂停实施，限期整改"))]),
        );
        assert_eq!(t.state(), "suspended");
        t.take(
            "apply_termination",
            &who.unit,
            fields(&[("termination_reason", text("上级政策调整，无法完成总体目标"))]),
        );
        t.take(
            "termination_opinion",
            &who.bureau,
            fields(&[("disposal_opinion", text("同意终止"))]),
        );
        assert!(
            t.available(other).is_empty(),
            "{route}: only the original approver"
        );
        let ids = t.available(approver);
        let id = ids
            .iter()
            .find(|i| i.starts_with("terminate_"))
            .expect("terminate")
            .clone();
        t.take(&id, approver, fields(&[("approver_opinion", text("同意"))]));
        assert_eq!(t.state(), "terminated", "{route}");
    }
}

/// SNXM-14: "拟争取上级政策、资金支持的项目，由市数据局出具项目建设必要性、合理性
/// 审核意见后，按程序在市发展改革委进行立项审批". Only the development commission
/// approves it; then it enters the library (SNXM-16).
#[test]
fn snxm_14_a_project_seeking_higher_funds_is_approved_by_the_development_commission() {
    let pack = snxm();
    let process = pack.process("project").expect("project");
    let who = snxm_people(&pack);
    let mut app = project_application("3000000");
    app.insert("route".into(), text("approval"));
    let mut t = Ticket::open(process, &who.unit, app);
    t.snap.state = "bureau_opinion".into();
    assert!(t.available(&who.bureau).contains("pass_to_development"));
    assert!(!t.available(&who.bureau).contains("pass_to_finance"));
    t.snap.state = "development_review".into();
    assert!(t.available(&who.finance).is_empty());
    assert!(t.available(&who.bureau).is_empty());
    t.take(
        "register",
        &who.development,
        fields(&[("development_opinion", text("同意立项"))]),
    );
    assert_eq!(t.state(), "library");
}

/// SNXM-40 and SNXM-42: "项目软硬件产品的安全可靠情况，项目密码应用和安全审查情况……
/// 是项目验收的重要内容"; "建设单位需对信息化项目开展信息安全等级保护测评". Each is
/// asked at acceptance.
#[test]
fn snxm_40_and_42_acceptance_asks_for_secure_products_crypto_and_dengbao() {
    let pack = snxm();
    let process = pack.process("project").expect("project");
    let accept = process.transition("accept").expect("accept");
    for f in [
        "secure_products_checked",
        "crypto_checked",
        "dengbao_checked",
    ] {
        assert!(accept.require.iter().any(|r| r == f), "{f}");
    }
    assert!(accept
        .gates
        .iter()
        .any(|g| g.hook == yunwei_domain::policy::hooks::CHECKLIST_TICKED));
    assert_eq!(
        process.field("dengbao_checked").unwrap().source.as_deref(),
        Some("SNXM-42")
    );
    assert_eq!(
        process.field("crypto_checked").unwrap().source.as_deref(),
        Some("SNXM-40")
    );
}

/// JSCZ-42: 「按检测报告及时进行漏洞修复后方可启动变更流程」 — 「及时」 with no
/// number. The fix deadlines by severity were hard-coded (issue 16, point
/// 10); they are the pack's parameters now, cited, marked as the
/// organisation's choice, read by key from the loaded packs, listed by
/// `policy trace`, and missing when the pack is not loaded.
#[tokio::test]
async fn jscz_42_vulnerability_fix_days_are_pack_parameters() {
    use yunwei_core::kernel::parameters;
    let app = yunwei_testkit::TestApp::new().await;
    let p = app.platform.clone();
    for (severity, days) in [("critical", 7), ("high", 30), ("medium", 90), ("low", 180)] {
        let key = format!("vulnerability.fix_days.{severity}");
        assert_eq!(parameters::int(&p, &key).unwrap(), days, "{key}");
        let param = parameters::get(&p, &key).unwrap();
        assert_eq!(param.source, "JSCZ-42");
        assert!(param.open.as_deref().unwrap_or("").contains("本单位确定"));
    }
    assert_eq!(parameters::int(&p, "ukey.reissue_days").unwrap(), 3);
    assert_eq!(
        parameters::due(&p, "vendor_report.plan.due").unwrap(),
        yunwei_domain::schedule::DueOffset::PeriodStart
    );
    // The trace lists the parameter under its article with its note.
    let report = trace_report(&jscz(), &yunwei::policy::Sources::none(), None);
    let at = report.find("\nJSCZ-42\n").expect("JSCZ-42 in the trace");
    let section = &report[at..];
    assert!(
        section.contains("pack / parameter / vulnerability.fix_days.critical"),
        "{section}"
    );
    assert!(
        section.contains("紧急漏洞修复期限（天）：7；本单位确定"),
        "{section}"
    );
    // Without the pack the parameter is missing, said in Chinese.
    let mut without = app.platform.clone();
    without.packs = std::sync::Arc::new(
        app.platform
            .packs
            .iter()
            .filter(|pk| pk.parameter("ukey.reissue_days").is_none())
            .cloned()
            .collect(),
    );
    let e = parameters::int(&without, "ukey.reissue_days").unwrap_err();
    assert_eq!(e.code, "parameters.missing");
    assert!(e.message.contains("ukey.reissue_days"), "{}", e.message);
    app.cleanup().await;
}
