#!/usr/bin/env python3
"""Browser end-to-end test: the government-cloud journey of issue 14 on the
demo's 淮安市政务云 (pack zmdy, crates/core/src/demo/cloud_huaian.toml),
walked through the UI only in real Chromium:

  a. demo_ha_cloud_unit      registers a new system with its resources
                             (政务云 › 上云系统), opens a 政务云资源申请 for it,
                             uploads its materials and submits       ZMDY-14
  b. demo_ha_cloud_manager   sees the 7 working-day deadline, approves ZMDY-15
  c. demo_ha_cloud_provider  allocates: the system is 试用           ZMDY-16
  d. demo_ha_cloud_unit      is refused go-live of that new system (trial
                             too short, ZMDY-16); requests go-live of the
                             demo system in the middle of its trial with
                             its 测评报告; demo_ha_cloud_manager approves
                             the go-live review: 已上线               ZMDY-16, ZMDY-17
  e. demo_ha_cloud_monitor   uploads last month's 资源使用情况表 (a CSV
                             with a CPU average under the pack's
                             threshold); the manager judges the month:
                             利用率低; the monitor drafts the 降配 plan, the
                             provider amends it, the manager confirms, the
                             unit finds the notice in 消息 and accepts,
                             the provider implements: the system page
                             shows the smaller quantity              ZMDY-22

The numbers (the low-CPU threshold, the trial's shortest length) are read
from policies/zmdy/cloud.toml. Every demo user changes the initial password
at the first login. Uses the stdlib WebDriver client of webdriver.py;
environment as there.
"""

import calendar
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

UNIT = "demo_ha_cloud_unit"
MANAGER = "demo_ha_cloud_manager"
PROVIDER = "demo_ha_cloud_provider"
MONITOR = "demo_ha_cloud_monitor"
assert all(u in DISPLAY_NAMES for u in (UNIT, MANAGER, PROVIDER, MONITOR))

PLATFORM = "淮安市政务云"
NEW_SYSTEM = "淮安市企业登记全程电子化系统"
TRIAL_SYSTEM = "淮安市食品安全智慧监管平台"
LOW_SYSTEM = "淮安市市场监管综合业务平台"

# State labels of policies/zmdy/cloud_apply.toml.
BUREAU_REVIEW = "主管部门审核"
ALLOCATING = "审核通过，待云服务商分配资源"
TRIAL = "试用（部署和测评）"
GOLIVE_REVIEW = "上线测评审核"
ONLINE = "正式开通上线"


def zmdy_rules():
    with open(os.path.join(ROOT, "policies", "zmdy", "cloud.toml"), "rb") as f:
        return tomllib.load(f)


class CloudJourney(Journey):
    """The shared journey with the cloud pages."""

    def system_page(self, name):
        """Open a system's page from the 上云系统 list; returns its id."""
        d = self.d
        d.get(f"{self.base}/cloud/systems")
        d.wait_for("#system-list")
        links = [
            a for a in d.find_all("#system-list tbody a")
            if d.text(a).strip() == name
        ]
        assert links, f"{self.user}: {name} not on the 上云系统 list"
        self.click_and_wait_for_new_page(links[0], f"open {name}")
        d.wait_for("#cloud-system")
        return d.current_path().rsplit("/", 1)[-1]

    def system_state(self):
        return self.d.text(self.d.find("#system-state")).strip()

    def system_code(self):
        """The system's code (its CMDB item) on the system page."""
        d = self.d
        for dt in d.find_all("#cloud-system dt"):
            if d.text(dt).strip() == "配置项":
                return d.execute(
                    "return arguments[0].nextElementSibling.textContent;", dt
                ).strip()
        raise AssertionError("no 配置项 on the system page")

    def ticket_of_system(self):
        """The ticket linked from the system page's history."""
        d = self.d
        links = d.find_all("#history-list a[href^='/tickets/']")
        assert links, "no ticket linked in the system's history"
        return d.attr(links[-1], "href").rsplit("/", 1)[-1]

    def request_resource(self, code, quantity):
        d = self.d
        select = d.wait_for("#request-form select[name='item']")
        value = None
        for opt in d.find_all("option", within=select):
            if (d.prop(opt, "textContent") or "").strip().startswith(code + " "):
                value = d.prop(opt, "value")
        assert value, f"no catalogue item {code} offered"
        self.set_field("#request-form select[name='item']", value)
        fill(d, "#request-form input[name='quantity']", str(quantity))
        self.click_and_wait_for_new_page(
            d.find("#request-form button[type='submit']"), f"request {code}"
        )
        d.wait_for_text(
            "#resource-list", lambda t: code in t, f"{code} requested"
        )

    def refused(self, tid, transition, what):
        """Take a transition that must be refused; the #error text."""
        d = self.d
        self.action_box(tid, transition)
        button = d.find(f"#t-{transition} form button[type='submit']")
        d.click(button)
        d.wait_for("#error")
        return d.error_text()

    def post_and_wait(self, form_css, state_label, what):
        """Submit a reclaim page form; wait for the proposal's new state."""
        d = self.d
        self.click_and_wait_for_new_page(
            d.find(f"{form_css} button[type='submit']"), what
        )
        if d.find_all("#error"):
            raise AssertionError(f"{what} refused: {d.error_text()!r}")
        d.wait_for_text(
            "#reclaim-state", lambda t: t.strip() == state_label,
            f"{what}: proposal {state_label}",
        )
        step(f"{self.user}: {what} -> {state_label}")


def last_month():
    today = datetime.datetime.now(CHINA).date()
    first = today.replace(day=1)
    return (first - datetime.timedelta(days=1)).strftime("%Y-%m")


def test_cloud_journey_apply_trial_golive_and_downsize(driver, cfg):
    j = CloudJourney(driver, cfg)
    try:
        walk(j, zmdy_rules())
    finally:
        j.close()


def walk(j, rules):
    d = j.d
    trial_min = rules["lifecycle"]["trial_min_days"]["value"]
    low_cpu = rules["utilisation"]["low_cpu_below_pct"]["value"]

    # a. The unit registers a system, asks for resources, applies.
    j.login_as(UNIT)
    d.get(f"{j.base}/cloud/systems")
    d.wait_for("#system-form")
    fill(d, "#system-form input[name='name']", NEW_SYSTEM)
    j.set_field("#system-form select[name='dengbao_level']", "2")
    j.set_field("#system-form select[name='miping']", "not_required")
    j.click_and_wait_for_new_page(
        d.find("#system-form button[type='submit']"), "register the system"
    )
    d.wait_for_text("#cloud-system h1", lambda t: NEW_SYSTEM in t, "system page")
    assert j.system_state() == "申请中", j.system_state()
    new_system = d.current_path().rsplit("/", 1)[-1]
    j.request_resource("HA-VCPU", 4)
    j.request_resource("HA-MEM", 8)
    j.request_resource("HA-SSD", 200)
    step(f"{UNIT}: registered {NEW_SYSTEM} with 3 resources asked for")
    apply = [
        a for a in d.find_all("#system-processes a")
        if d.text(a).strip() == "提交上云申请"
    ]
    assert apply, "no 提交上云申请 on the system page"
    j.click_and_wait_for_new_page(apply[0], "open the application form")
    d.wait_for_text("#new-ticket h1", lambda t: "政务云资源申请" in t, "application form")
    j.set_field("#new-unit_level", "city")
    j.set_field("#new-kind", "new")
    fill(d, "#new-purpose", "企业开办全程网办，预计日均办件3000件，按需申请并适当冗余。")
    fill(d, "#new-dr_resources", "同城备份200GB，每日增量备份。")
    # Two submitting transitions (city or county route): the form only
    # registers the draft; it is submitted from the ticket page.
    buttons = d.find_all("#open-form button[type='submit']")
    assert len(buttons) == 1, "the application form has one 登记 button"
    j.click_and_wait_for_new_page(buttons[0], "register the application")
    if d.find_all("#error"):
        raise AssertionError(f"application refused: {d.error_text()!r}")
    d.wait_for("#ticket-head")
    tid = d.current_path().rsplit("/", 1)[-1]
    for kind, name in (
        ("application_form", "政务云资源申请表.pdf"),
        ("plan", "上云技术方案.pdf"),
        ("project_approval", "立项批文.pdf"),
    ):
        j.upload(tid, kind, name, f"{NEW_SYSTEM} {name}（扫描件）")
    j.transition(tid, "submit", expect=BUREAU_REVIEW)

    # b. The bureau reviews within 7 working days and approves.
    j.login_as(MANAGER)
    j.open_ticket(tid)
    d.wait_for_text(
        "#timers", lambda t: "主管部门审核时限（7个工作日）" in t and "ZMDY-15" in t,
        "the 7 working-day review deadline",
    )
    step(f"{MANAGER}: review deadline shown (7个工作日, ZMDY-15)")
    j.transition(
        tid, "approve",
        fields={"review_opinion": "方案可行，资源需求合理，同意上云。"},
        expect=ALLOCATING,
    )

    # c. The provider allocates: the trial begins.
    j.login_as(PROVIDER)
    j.transition(
        tid, "allocate",
        fields={"allocation_record": "已分配云主机4核8GB、云硬盘200GB，账号已交付使用单位。"},
        expect=TRIAL,
    )
    d.get(f"{j.base}/cloud/systems/{new_system}")
    d.wait_for("#cloud-system")
    assert j.system_state() == "试用", j.system_state()
    step(f"{PROVIDER}: {NEW_SYSTEM} is 试用")

    # d. The trial ends: too early for the new system; the demo system in
    # the middle of its trial goes live.
    j.login_as(UNIT)
    j.upload(tid, "report", "测评报告.pdf", "功能、性能和等级保护测评报告")
    error = j.refused(tid, "request_golive", "go-live of the new system")
    assert f"试用期至少{trial_min}天" in error and "ZMDY-16" in error, error
    j.open_ticket(tid)
    j.expect_state(TRIAL)
    step(f"{UNIT}: go-live of {NEW_SYSTEM} refused: {error}")

    j.system_page(TRIAL_SYSTEM)
    assert j.system_state() == "试用", j.system_state()
    trial_tid = j.ticket_of_system()
    j.open_ticket(trial_tid)
    j.expect_state(TRIAL)
    j.upload(trial_tid, "report", "测评报告.pdf", f"{TRIAL_SYSTEM} 功能、性能和等级保护测评报告")
    j.transition(trial_tid, "request_golive", expect=GOLIVE_REVIEW)

    j.login_as(MANAGER)
    j.transition(
        trial_tid, "golive",
        fields={"golive_opinion": "资源占用合理，等保测评通过，同意正式上线。"},
        expect=ONLINE,
    )
    j.system_page(TRIAL_SYSTEM)
    assert j.system_state() == "已上线", j.system_state()
    step(f"{MANAGER}: {TRIAL_SYSTEM} is 已上线")

    # e. A low month leads to a downsizing.
    j.system_page(LOW_SYSTEM)
    code = j.system_code()
    vcpu_before = [
        d.text(tr) for tr in d.find_all("#resource-list tbody tr")
        if "HA-VCPU" in d.text(tr) and "已上线" in d.text(tr)
    ]
    assert any("16 核·月" in t for t in vcpu_before), vcpu_before
    month = last_month()
    year, mon = (int(x) for x in month.split("-"))
    days = calendar.monthrange(year, mon)[1]
    cpu = low_cpu - 4
    path = os.path.join(j.tmp, f"{month}资源使用情况表.csv")
    with open(path, "w", encoding="utf-8") as f:
        f.write(
            "系统编码,月份,CPU平均利用率(%),内存平均利用率(%),"
            "存储已用(GB),存储总量(GB),采样天数\n"
            f"{code},{month},{cpu}.5,45.0,1300,2000,{days}\n"
        )

    j.login_as(MONITOR)
    d.get(f"{j.base}/cloud/usage/import")
    d.wait_for("#usage-import-form")
    j.choose("#import-platform", PLATFORM)
    d.send_keys(d.find("#import-file"), path)
    j.click_and_wait_for_new_page(
        d.find("#usage-import-form button[type='submit']"), "import the table"
    )
    d.wait_for_text(
        "#import-summary",
        lambda t: "导入 1 行" in t and "新开降配回收建议 1 条" in t,
        "the import summary",
    )
    step(f"{MONITOR}: imported {month} for {LOW_SYSTEM} (CPU {cpu}.5% < {low_cpu}%)")

    j.login_as(MANAGER)
    d.get(f"{j.base}/cloud/usage?month={month}")
    d.wait_for("#judge-month")
    j.click_and_wait_for_new_page(
        d.find("#judge-month button[type='submit']"), "judge the month"
    )
    if d.find_all("#error"):
        raise AssertionError(f"judging refused: {d.error_text()!r}")
    d.get(f"{j.base}/cloud/usage?month={month}")
    row = [
        d.text(tr) for tr in d.find_all("#usage-table tbody tr")
        if LOW_SYSTEM in d.text(tr)
    ]
    assert row and "利用率低" in row[0] and "CPU平均利用率偏低" in row[0], row
    step(f"{MANAGER}: {month} judged, {LOW_SYSTEM} 利用率低")

    j.login_as(MONITOR)
    d.get(f"{j.base}/cloud/reclaims")
    links = [
        a for a in d.find_all("a[href^='/cloud/reclaims/']")
        if LOW_SYSTEM in d.text(a)
    ]
    assert links, f"no 降配回收建议 for {LOW_SYSTEM}"
    j.click_and_wait_for_new_page(links[0], "open the proposal")
    d.wait_for_text("#reclaim-state", lambda t: t.strip() == "待拟定方案", "待拟定方案")
    reclaim_url = d.current_url().split("?")[0]
    vcpu = None
    for tr in d.find_all("#plan-form tbody tr"):
        if "云主机 vCPU" in d.text(tr):
            vcpu = d.attr(d.find("select", within=tr), "name")[len("action_"):]
    assert vcpu, "no vCPU row in the plan form"
    j.set_field(f"#plan-form select[name='action_{vcpu}']", "resize")
    fill(d, f"#plan-form input[name='quantity_{vcpu}']", "8")
    fill(d, "#plan-text", "CPU平均利用率低于阈值，建议云主机 vCPU 由16核降为8核。")
    j.post_and_wait("#plan-form", "待管理部门确认", "plan drafted")

    j.login_as(PROVIDER)
    d.get(reclaim_url)
    d.wait_for("#plan-form")
    fill(
        d, "#plan-text",
        "CPU平均利用率低于阈值，建议云主机 vCPU 由16核降为8核；云服务商于答复后3个工作日内实施。",
    )
    j.set_field(f"#plan-form select[name='action_{vcpu}']", "resize")
    fill(d, f"#plan-form input[name='quantity_{vcpu}']", "8")
    j.post_and_wait("#plan-form", "待管理部门确认", "plan amended")

    j.login_as(MANAGER)
    d.get(reclaim_url)
    d.wait_for("#confirm-form")
    j.post_and_wait("#confirm-form", "待使用单位答复", "plan confirmed, unit notified")

    j.login_as(UNIT)
    d.get(f"{j.base}/inbox")
    d.wait_for_text(
        "#inbox",
        lambda t: f"{LOW_SYSTEM}" in t and "请答复降配回收方案" in t,
        "the notice in 消息",
    )
    step(f"{UNIT}: notice in 消息")
    d.get(reclaim_url)
    d.wait_for("#answer-form")
    j.post_and_wait("#answer-form", "待云服务商实施", "plan accepted")

    j.login_as(PROVIDER)
    d.get(reclaim_url)
    d.wait_for("#implement-form")
    j.post_and_wait("#implement-form", "已实施", "plan implemented")

    j.system_page(LOW_SYSTEM)
    running = [
        d.text(tr) for tr in d.find_all("#resource-list tbody tr")
        if "HA-VCPU" in d.text(tr) and "已上线" in d.text(tr)
    ]
    assert len(running) == 1 and "8 核·月" in running[0], running
    step(f"{PROVIDER}: {LOW_SYSTEM} runs 8 vCPU instead of 16")


TESTS = [test_cloud_journey_apply_trial_golive_and_downsize]

if __name__ == "__main__":
    sys.exit(run(TESTS))
