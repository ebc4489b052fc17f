#!/usr/bin/env python3
"""Browser end-to-end test: a government IT project of issue 15 on the
demo's 遂宁市 (pack snxm, crates/core/src/demo/projects.toml), from the
application to the acceptance, through the UI only in real Chromium:

  a. demo_xm_unit       files a 政务信息化项目 of 450,000 元 (工单 › 新建)
                        with its 项目申报材料 and submits it          SNXM-15
  b. demo_xm_cdo        consents                                     SNXM-18
  c. demo_xm_bureau     works the SNXM-19 checklist: a ticked refusal
                        case refuses the pass; unticked, passes it to
                        finance                                       SNXM-19
  d. demo_xm_finance    gives the funding opinion; the unit records the
                        decision (library) and proposes it for next
                        year's plan; the bureau and finance fix the plan SNXM-15..17
  e. demo_xm_unit       submits the technical plan: 450,000 元 goes to
                        joint review; 公安局 and 保密机要局 vote, the
                        bureau issues the conclusion, the unit files the
                        amended plan, finance passes the budget       SNXM-22..24
  f. demo_xm_unit       signs the contract (an unticked copyright clause
                        is refused), starts and completes construction:
                        trial; pre-acceptance is refused (trial shorter
                        than the pack's shortest)                     SNXM-11, SNXM-32
  g. demo_xm_unit       requests pre-acceptance of the demo project whose
                        trial is older; demo_xm_bureau approves; the unit
                        accepts with the three checks and the report:
                        已验收，投入运行; the self-evaluation deadline is on
                        到期事项总览                                    SNXM-32, SNXM-36, SNXM-40

The numbers (the shortest trial run, the free O&M months) are read from
policies/snxm/projects.toml. Every demo user changes the initial password
at the first login. Uses the stdlib WebDriver client of webdriver.py;
environment as there.
"""

import datetime
import os
import sys
import tomllib

from journey import DISPLAY_NAMES
from journey import Journey
from journey import step
from webdriver import fill, run

CHINA = datetime.timezone(datetime.timedelta(hours=8))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

UNIT = "demo_xm_unit"
CDO = "demo_xm_cdo"
BUREAU = "demo_xm_bureau"
FINANCE = "demo_xm_finance"
POLICE = "demo_xm_police"
SECRECY = "demo_xm_secrecy"
assert all(u in DISPLAY_NAMES for u in (UNIT, CDO, BUREAU, FINANCE, POLICE, SECRECY))

NEW_PROJECT = "遂宁市城市管理综合执法智能辅助系统"
# The demo project of 遂宁市城市管理局 in trial longer than the pack's
# shortest trial run (crates/core/src/demo/projects.toml).
TRIAL_PROJECT = "遂宁市智慧城管综合指挥平台（二期）"

# State labels of policies/snxm/project.toml.
DRAFT = "填写项目申报"
CDO_REVIEW = "首席数据官审核"
BUREAU_OPINION = "市数据局出具必要性、合理性审核意见"
FINANCE_OPINION = "市财政局出具资金保障意见"
DECISION = "履行投资决策程序"
LIBRARY = "已入信息化项目库"
PLAN_REVIEW = "年度计划研判（市数据局会同市财政局）"
PLAN_FINANCE = "年度计划清单待市财政局确定"
PLANNED = "已纳入年度计划"
JOINT_REVIEW = "技术方案联合审查"
CONCLUSION = "市数据局汇总意见、出具审查结论"
AMENDING = "按审查意见优化完善技术方案"
BUDGET = "财政预算评审"
PROCUREMENT = "项目采购"
CONTRACTED = "合同已签订，待开工"
CONSTRUCTION = "建设实施"
TRIAL = "试运行"
PRE_ACCEPTANCE = "履约验收前置核准"
ACCEPTANCE = "组织项目验收"
OPERATING = "已验收，投入运行"

REFUSALS = [
    "refusal_hardware", "refusal_lines", "refusal_not_on_cloud",
    "refusal_common_systems", "refusal_not_shared", "refusal_unclear",
    "refusal_not_common", "refusal_duplicate", "refusal_insecure",
]


def snxm_rules():
    with open(os.path.join(ROOT, "policies", "snxm", "projects.toml"), "rb") as f:
        return tomllib.load(f)


class ProjectJourney(Journey):
    """The shared journey with a refusal check."""

    def refused(self, tid, transition, fields, what):
        """Take a transition that must be refused; the #error text."""
        d = self.d
        self.action_box(tid, transition)
        for name, value in fields.items():
            self.set_field(f"#t-{transition}-{name}", value)
        button = d.find(f"#t-{transition} form button[type='submit']")
        self.click_and_wait_for_new_page(button, what)
        d.wait_for("#error")
        error = d.error_text()
        step(f"{self.user}: {transition} refused: {error}")
        return error

    def ticket_of(self, title):
        """The id of the ticket titled title on the unit's ticket list."""
        d = self.d
        d.get(f"{self.base}/tickets")
        d.wait_for("#ticket-list")
        for tr in d.find_all("#ticket-list tbody tr"):
            if title in d.text(tr):
                a = d.find("a[href^='/tickets/']", within=tr)
                return d.attr(a, "href").rsplit("/", 1)[-1]
        raise AssertionError(f"{self.user}: {title} not on the ticket list")


def test_project_from_application_to_acceptance(driver, cfg):
    j = ProjectJourney(driver, cfg)
    try:
        walk(j, snxm_rules())
    finally:
        j.close()


def walk(j, rules):
    d = j.d
    trial_min = rules["trial_min_months"]["value"]
    free_om = rules["free_om_min_months"]["value"]
    next_year = datetime.datetime.now(CHINA).year + 1

    # a. The unit files the project with its application.
    j.login_as(UNIT)
    d.get(j.base + "/tickets")
    d.click(d.wait_for("a.button[href='/tickets/new']"))
    d.click(d.wait_for("#process-chooser a[href$='process=project']"))
    d.wait_for_text("#new-ticket h1", lambda t: "政务信息化项目" in t, "the project form")
    more = d.find_all("#open-form details.more-fields")
    if more and not d.prop(more[0], "open"):
        d.click(d.find("#open-form details.more-fields > summary"))
    fill(d, "#new-title", NEW_PROJECT)
    j.set_field("#new-unit_level", "city")
    j.set_field("#new-kind", "investment")
    j.set_field("#new-route", "regular")
    j.set_field("#new-total_investment", "450000.00")
    j.set_field("#new-funding", "市级财政资金")
    for field, text in (
        ("current_systems", "现有数字城管系统部署在市级政务云，已接入市数据共享交换平台。"),
        ("no_duplication", "经查询市信息化项目库，无同类系统，不存在重复建设。"),
        ("integration", "整合现有执法记录仪管理和案件办理两个子系统。"),
        ("cloud_and_sharing", "部署在遂宁市市级政务云，执法数据汇聚至市公共数据平台。"),
        ("needs", "辅助执法人员现场取证、自动生成文书，案件办理时限压缩30%。"),
        ("secure_products", "选用通过安全可靠测评的国产操作系统、数据库和中间件。"),
    ):
        j.set_field(f"#new-{field}", text)
    buttons = d.find_all("#open-form button[type='submit']")
    assert len(buttons) == 1, "the project form has one 登记 button"
    j.click_and_wait_for_new_page(buttons[0], "register the project")
    if d.find_all("#error"):
        raise AssertionError(f"the project was refused: {d.error_text()!r}")
    d.wait_for("#ticket-head")
    tid = d.current_path().rsplit("/", 1)[-1]
    number = d.text(d.find("#ticket-head .ticket-no")).strip()
    assert number.startswith("XM-"), f"project number {number!r}"
    j.expect_state(DRAFT)
    d.wait_for_text("#fields", lambda t: "450,000.00" in t, "the amount with its separators")
    step(f"{UNIT}: registered {NEW_PROJECT} ({number}), 450,000.00 元")
    j.upload(tid, "application", "项目申报书.pdf", f"{NEW_PROJECT} 项目申报书（扫描件）")
    j.transition(tid, "submit", expect=CDO_REVIEW)
    d.wait_for_text("#next-actors", lambda t: "首席数据官" in t, "the CDO named next")

    # b. The CDO consents (SNXM-18).
    j.login_as(CDO)
    j.transition(
        tid, "cdo_consent",
        fields={"cdo_opinion": "项目符合本局数字化转型规划，同意报送。"},
        expect=BUREAU_OPINION,
    )

    # c. The bureau works the SNXM-19 checklist: a ticked case refuses.
    j.login_as(BUREAU)
    checklist = {"necessity_opinion": "项目建设必要，内容合理。", "priority_type": "city_decision"}
    checklist.update({f: (f == "refusal_duplicate") for f in REFUSALS})
    error = j.refused(tid, "pass_to_finance", checklist, "a ticked refusal case")
    assert "不予审批" in error and "SNXM-19" in error and "重复建设" in error, error
    j.open_ticket(tid)
    j.expect_state(BUREAU_OPINION)
    checklist.update({f: False for f in REFUSALS})
    j.transition(tid, "pass_to_finance", fields=checklist, expect=FINANCE_OPINION)

    # d. Funding opinion, decision, library, annual plan (SNXM-15..17).
    j.login_as(FINANCE)
    j.transition(
        tid, "funding_opinion",
        fields={"funding_opinion": "项目资金纳入市级财政预算统筹保障。"},
        expect=DECISION,
    )
    j.login_as(UNIT)
    j.upload(tid, "decision", "投资决策会议纪要.pdf", "局党组会议纪要（扫描件）")
    j.transition(tid, "decide", expect=LIBRARY)
    j.transition(tid, "propose", fields={"plan_year": str(next_year)}, expect=PLAN_REVIEW)
    j.login_as(BUREAU)
    j.transition(tid, "plan_agree", expect=PLAN_FINANCE)
    j.login_as(FINANCE)
    j.transition(tid, "fix_plan", expect=PLANNED)

    # e. 450,000 元 ≥ 300,000 元: joint review (SNXM-22, SNXM-23).
    j.login_as(UNIT)
    j.upload(tid, "technical_plan", "项目技术方案.pdf", f"{NEW_PROJECT} 技术方案")
    j.transition(tid, "submit_for_review", fields={"plan_contents": True}, expect=JOINT_REVIEW)
    d.wait_for_text("body", lambda t: "联合审查（30万元及以上）" in t, "the review route shown")
    step(f"{UNIT}: 450,000.00 元 goes to {JOINT_REVIEW} (SNXM-22)")
    j.login_as(POLICE)
    j.vote_approve(tid, "信息安全方案符合要求。")
    j.login_as(SECRECY)
    j.vote_approve(tid, "安全可靠产品、密码应用方案符合要求。")
    j.expect_state(CONCLUSION)
    j.login_as(BUREAU)
    j.upload(tid, "review_conclusion", "技术方案审查结论.pdf", "审查结论（扫描件）")
    j.transition(
        tid, "pass_review",
        fields={
            "expert_opinion": "技术路线可行，建议细化密码应用方案。",
            "review_conclusion": "审查通过，请按意见优化完善后备案。",
        },
        expect=AMENDING,
    )
    j.login_as(UNIT)
    j.transition(tid, "file_amended", expect=BUDGET)
    j.login_as(FINANCE)
    j.transition(tid, "budget_pass", fields={"budget_opinion": "核定预算438,000.00元。"}, expect=PROCUREMENT)

    # f. Contract (SNXM-11), construction, trial (SNXM-32).
    j.login_as(UNIT)
    j.upload(tid, "contract", "项目采购合同.pdf", "采购合同（扫描件）")
    contract = {
        "contract_amount": "438000.00",
        "contractor": "四川遂信数智科技有限公司",
        "copyright_clause": False,
        "data_assets": "contract",
        "free_om_months": str(free_om),
    }
    error = j.refused(tid, "sign_contract", contract, "an unticked copyright clause")
    assert "软件著作权" in error and "SNXM-11" in error, error
    j.open_ticket(tid)
    j.expect_state(PROCUREMENT)
    contract["copyright_clause"] = True
    j.transition(tid, "sign_contract", fields=contract, expect=CONTRACTED)
    j.transition(tid, "start", expect=CONSTRUCTION)
    j.transition(tid, "complete", expect=TRIAL)
    error = j.refused(
        tid, "request_pre_acceptance",
        {"trial_report": "试运行一周，运行稳定。"}, "pre-acceptance after days of trial",
    )
    assert f"不低于{trial_min}个月" in error and "SNXM-32" in error, error
    j.open_ticket(tid)
    j.expect_state(TRIAL)

    # g. The demo project whose trial is older: pre-acceptance, acceptance.
    old = j.ticket_of(TRIAL_PROJECT)
    j.open_ticket(old)
    j.expect_state(TRIAL)
    j.transition(
        old, "request_pre_acceptance",
        fields={"trial_report": "试运行期间系统运行稳定，无重大故障。"},
        expect=PRE_ACCEPTANCE,
    )
    j.login_as(BUREAU)
    j.transition(
        old, "pre_approve",
        fields={"pre_acceptance_opinion": "对照技术方案审查意见核查，同意开展履约验收。"},
        expect=ACCEPTANCE,
    )
    j.login_as(UNIT)
    j.upload(old, "acceptance_report", "项目验收报告.pdf", f"{TRIAL_PROJECT} 验收报告")
    j.transition(
        old, "accept",
        fields={
            "secure_products_checked": True,
            "crypto_checked": True,
            "dengbao_checked": True,
            "acceptance_opinion": "按合同完成全部建设内容，验收合格。",
        },
        expect=OPERATING,
    )
    d.get(j.base + "/controls")
    d.wait_for_text(
        "body",
        lambda t: f"{TRIAL_PROJECT} 绩效自评价报告报送期限" in t and "信息化项目绩效自评价" in t,
        "the self-evaluation deadline on 到期事项总览",
    )
    step(f"{UNIT}: self-evaluation of {TRIAL_PROJECT} due on 到期事项总览 (SNXM-36)")


TESTS = [test_project_from_application_to_acceptance]

if __name__ == "__main__":
    sys.exit(run(TESTS))
