#!/usr/bin/env python3
"""Browser end-to-end test: one major data change, from the service request
to the closed change, walked through the ticket pages in real Chromium.

The route (policies/jscz/service_request.toml, policies/jscz/change.toml):

  service request (数据更改)
    demo_staff   registers it and submits it to the local vendor   JSCZ-21
    demo_vendor  converts it into a major data change              JSCZ-21
  change (重大变更, 数据类变更)
    demo_staff   uploads the signed request, submits               JSCZ-33, JSCZ-27
    demo_lead    accepts, submits the adjustment plan              JSCZ-26
    demo_deputy  signs off, then demo_director signs off           JSCZ-26
    demo_lead    publishes the plan, assigning it to demo_vendor   JSCZ-26
    demo_vendor  uploads the backup, files the go-live emergency
                 plan (上线应急方案) from the ticket page,        NTCZ-3.4.1
                 starts, finishes, verifies,
                 uploads the script and its result                 JSCZ-34
    demo_lead    closes the change                                 JSCZ-34
  demo_staff sees the service request linked to the closed change.

Every demo user changes the initial password at the first login. Uses the
stdlib WebDriver client of webdriver.py; environment as there.
"""

import datetime
import sys

from journey import DISPLAY_NAMES
from journey import Journey as BaseJourney
from journey import step
from webdriver import fill, run

CHINA = datetime.timezone(datetime.timedelta(hours=8))

# State labels of the packs.
SR_SUBMITTED = "已提交，待服务接单人员受理"
SR_CONVERTED = "已转为变更申请"
CH_DRAFT = "草稿"
CH_SUBMITTED = "已提交，待项目负责人受理"
CH_PLANNING = "制定数据调整方案"
CH_SIGNOFF = "待分管主任及中心主任审批"
CH_APPROVED = "已批准，待发布实施方案"
CH_PUBLISHED = "实施方案已发布"
CH_IMPLEMENTING = "实施中"
CH_VERIFYING = "验证中"
CH_VERIFIED = "验证通过，待发布更新成功报告"
CH_CLOSED = "已关闭"


class Journey(BaseJourney):
    """The shared journey, with the go-live plan filed from the ticket."""

    def file_golive_plan(self, tid, title):
        """File the ticket's go-live emergency plan (NTCZ-3.4.1) through
        the ticket page's link to the register form, which names the
        ticket; back on the ticket page, the plan is listed."""
        d = self.d
        self.open_ticket(tid)
        number = d.text(d.find("#ticket-head .ticket-no")).strip()
        d.wait_for_text(
            "#golive", lambda t: "尚未登记上线应急方案" in t, "#golive: none yet"
        )
        d.click(d.find("#new-golive"))
        d.wait_for("#register-form")
        got = d.prop(d.find("#f-ticket_id"), "value")
        assert got == number, f"go-live plan form names {got!r}, not {number!r}"
        for name, value in (
            ("title", title),
            ("scope", "预算指标数据（3 条记录）"),
            ("risks", "误改其他指标记录"),
            ("pass_criteria", "3 条记录更正且记录总数不变"),
            ("fail_criteria", "影响行数不为 3 即回退"),
            ("method", "按更正前备份恢复"),
            ("follow_up", "问题记入本工单"),
        ):
            self.set_field(f"#f-{name}", value)
        d.click(d.find("#register-form button[type='submit']"))

        def filed():
            if d.find_all("#error"):
                return "error"
            return (
                d.current_path().startswith("/registers/golive_plans/")
                and d.current_query().get("msg") == "created"
            )

        if d.wait_until("the go-live plan to be filed", filed) == "error":
            raise AssertionError(
                f"{self.user}: go-live plan refused: {d.error_text()!r}"
            )
        self.open_ticket(tid)
        d.wait_for_text(
            "#golive", lambda t: title in t, f"#golive listing {title!r}"
        )
        step(f"{self.user}: filed go-live plan {title!r} (NTCZ-3.4.1)")


def planned_start():
    """09:00 China time, two weeks ahead: well beyond the lead time of two
    working days (JSCZ-27) whatever today is, holidays included."""
    day = datetime.datetime.now(CHINA).date() + datetime.timedelta(days=14)
    return f"{day.isoformat()}T09:00"


def test_major_data_change_from_service_request_to_closed_change(driver, cfg):
    j = Journey(driver, cfg)
    try:
        walk(j)
    finally:
        j.close()


def walk(j):
    d = j.d
    base = j.base
    planned = planned_start()

    # -- the service request (JSCZ-21) -------------------------------------
    j.login_as("demo_staff")
    d.get(base + "/tickets")
    d.click(d.wait_for("a.button[href='/tickets/new']"))
    d.click(d.wait_for("#process-chooser a[href*='process=service_request']"))
    d.wait_for("#open-form")
    fill(d, "#new-title", "更正南京市2026年指标文号（浏览器测试）")
    j.set_field("#new-kind", "data_change")
    j.set_field("#new-channel", "web_form")
    j.set_field("#new-system", "预算管理一体化系统")
    j.set_field("#new-description", "指标文号录入错误，需要后台更正 3 条记录")
    # The reason is among the other fields, folded away.
    more = d.find("#open-form details.more-fields")
    if not d.prop(more, "open"):
        d.click(d.find("#open-form details.more-fields > summary"))
    j.set_field("#new-reason", "业务处室发文更正")
    d.click(d.find("#open-form button[type='submit']"))

    def opened():
        if d.find_all("#error"):
            return "error"
        return d.current_query().get("msg") == "opened" and d.current_path()

    where = d.wait_until("the service request to be registered", opened)
    assert where != "error", f"registering refused: {d.error_text()!r}"
    sr = where.rsplit("/", 1)[-1]
    sr_no = d.text(d.find("#ticket-head .ticket-no")).strip()
    assert sr_no.startswith("FW-"), f"service request number {sr_no!r}"
    j.expect_state("填写服务请求")
    step(f"demo_staff: registered service request {sr_no} ({sr})")

    j.transition(sr, "submit", comment="请协助更正", expect=SR_SUBMITTED)

    j.login_as("demo_vendor")
    j.transition(
        sr, "convert_to_change", comment="数据更改，转为重大数据类变更",
        expect=SR_CONVERTED,
    )
    link = d.wait_for("#links a[href^='/tickets/']")
    link_text = d.text(d.find("#links")).strip()
    assert "转为" in link_text and "BG-" in link_text, f"#links: {link_text!r}"
    d.click(link)
    d.wait_until(
        "the change page", lambda: d.current_path() != f"/tickets/{sr}"
        and d.find_all("#ticket-head")
    )
    ch = d.current_path().rsplit("/", 1)[-1]
    ch_no = d.text(d.find("#ticket-head .ticket-no")).strip()
    assert ch_no.startswith("BG-"), f"change number {ch_no!r}"
    head = d.text(d.find("#ticket-head"))
    assert "重大变更" in head, f"#ticket-head: {head!r}"
    fields = d.text(d.find("#fields"))
    for want in ("数据类变更", "预算管理一体化系统", "业务处室发文更正"):
        assert want in fields, f"{want!r} not copied into the change: {fields!r}"
    j.expect_state(CH_DRAFT)
    step(f"service request {sr_no} converted into change {ch_no} ({ch})")

    # -- the change: submission (JSCZ-33, JSCZ-27) --------------------------
    j.login_as("demo_staff")
    j.upload(ch, "signed_request", "signed_request.txt", "分管厅领导审签件")
    needed = d.prop(d.find("#t-submit_data_change .needed"), "textContent")
    assert "领导审签的申请：已上传" in needed, f"needed attachments: {needed!r}"
    j.transition(
        ch, "submit_data_change", fields={"planned_start": planned},
        comment="请审核", expect=CH_SUBMITTED,
    )
    fields = d.text(d.find("#fields"))
    assert planned.replace("T", " ") in fields, (
        f"planned start {planned!r} not recorded: {fields!r}"
    )

    # -- planning and sign-off (JSCZ-26) ------------------------------------
    j.login_as("demo_lead")
    j.transition(ch, "accept_data_change", expect=CH_PLANNING)
    j.transition(
        ch, "submit_data_plan",
        fields={"plan": "执行更正脚本，更新 3 条指标记录", "rollback_plan": "按备份恢复"},
        expect=CH_SIGNOFF,
    )

    j.login_as("demo_deputy")
    j.vote_approve(ch, "同意实施")
    approval = d.text(d.find("#approval"))
    assert "中心分管主任：已同意" in approval, f"#approval: {approval!r}"
    j.expect_state(CH_SIGNOFF)

    j.login_as("demo_director")
    j.vote_approve(ch, "同意")
    j.expect_state(CH_APPROVED)

    # -- publish and implement (JSCZ-26, JSCZ-34) ---------------------------
    j.login_as("demo_lead")
    j.transition(ch, "publish_plan", assignee="demo_vendor", expect=CH_PUBLISHED)
    head = d.text(d.find("#ticket-head"))
    assert DISPLAY_NAMES["demo_vendor"] in head, f"assignee not shown: {head!r}"

    j.login_as("demo_vendor")
    j.upload(ch, "backup", "backup.sql", "-- 更正前数据备份\n")
    j.file_golive_plan(ch, "指标文号更正上线应急方案")
    j.transition(ch, "start_data_change", expect=CH_IMPLEMENTING)
    j.transition(
        ch, "finish_implementation",
        fields={"implementation_record": "已执行更正脚本，更新 3 行"},
        expect=CH_VERIFYING,
    )
    j.transition(
        ch, "verification_passed",
        fields={"verification_result": "与发文核对无误"},
        expect=CH_VERIFIED,
    )
    j.upload(ch, "script", "fix.sql", "UPDATE zbwh SET wh = '苏财预〔2026〕1号';\n")
    j.upload(ch, "result", "result.txt", "3 rows updated\n")

    # -- close (JSCZ-34) ----------------------------------------------------
    j.login_as("demo_lead")
    j.transition(
        ch, "close_data_change",
        fields={"success_report": "指标文号已更正，数据核对无误"},
        expect=CH_CLOSED,
    )
    d.wait_for_text(
        "#next-actors", lambda t: "流程已结束" in t, "#next-actors 流程已结束"
    )
    assert not d.find_all("#actions"), "a closed change offers no actions"
    files = d.text(d.find("#attachments"))
    for name in ("signed_request.txt", "backup.sql", "fix.sql", "result.txt"):
        assert name in files, f"{name} not among the attachments: {files!r}"
    step(f"change {ch_no} closed")

    # -- the requester sees it all from the service request ----------------
    j.login_as("demo_staff")
    j.open_ticket(ch)
    j.expect_state(CH_CLOSED)
    j.open_ticket(sr)
    j.expect_state(SR_CONVERTED)
    d.wait_for(f"#links a[href='/tickets/{ch}']")
    links = d.text(d.find("#links"))
    assert ch_no in links and CH_CLOSED in links, f"#links: {links!r}"
    timeline = d.text(d.find("#timeline"))
    assert ch_no in timeline, f"conversion not in the timeline: {timeline!r}"
    step(f"service request {sr_no} links to closed change {ch_no}")


def test_incident_picks_a_configuration_item_and_files_in_one_step(driver, cfg):
    """涉及系统 is picked from the CMDB (the server's choices, refreshed by
    app.js as one types); 提交 opens and reports the incident in one step;
    the ticket page lists the item and its impact (ADR 0015)."""
    j = Journey(driver, cfg)
    try:
        d = j.d
        # A user of the information centre, which owns the demo items, whom
        # the other journey of this file does not log in (its password is
        # still the initial one).
        j.login_as("demo_secop")
        d.get(j.base + "/tickets/new?pack=jscz&process=incident")
        d.wait_for("#open-form")
        picker = d.find("#new-system")
        assert d.attr(picker, "list") == "new-system-options"

        def options():
            return [
                d.prop(o, "value") for o in d.find_all("#new-system-options option")
            ]

        offered = options()
        assert "SRV-DB-01" in offered and len(offered) > 1, f"choices: {offered}"
        d.clear(picker)
        d.send_keys(picker, "SRV-DB")
        d.wait_until(
            "the picker to narrow its choices to SRV-DB",
            lambda: options() and all("SRV-DB" in o for o in options()),
        )
        assert "SRV-DB-01" in options(), f"choices: {options()}"
        j.set_field("#new-system", "SRV-DB-01")
        # Required fields are marked.
        label = d.text(d.find("label[for='new-description']"))
        assert "*" in label, f"required mark missing: {label!r}"
        fill(d, "#new-title", "数据库服务器响应缓慢（浏览器测试）")
        j.set_field("#new-description", "预算系统查询超时，数据库服务器负载持续偏高")
        hour_ago = datetime.datetime.now(CHINA) - datetime.timedelta(hours=1)
        j.set_field("#new-occurred_at", hour_ago.strftime("%Y-%m-%dT%H:%M"))
        j.set_field("#new-origin", "problem_report")
        j.set_field("#new-source_ticket", "WT-2026-0001")
        button = d.find("#submit-ticket")
        assert "提交" in d.text(button)
        d.click(button)

        def filed():
            if d.find_all("#error"):
                return "error"
            return d.current_query().get("msg") == "submitted" and d.current_path()

        where = d.wait_until("the incident to be filed and reported", filed)
        assert where != "error", f"filing refused: {d.error_text()!r}"
        j.expect_state("已上报，待分类定级")
        cis = d.text(d.find("#ticket-cis"))
        assert "SRV-DB-01" in cis and "影响范围" in cis, f"#ticket-cis: {cis!r}"
        step(f"demo_secop: incident filed in one step about SRV-DB-01 ({where})")
    finally:
        j.close()


TESTS = [
    test_major_data_change_from_service_request_to_closed_change,
    test_incident_picks_a_configuration_item_and_files_in_one_step,
]


if __name__ == "__main__":
    sys.exit(run(TESTS))
