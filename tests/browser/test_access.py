#!/usr/bin/env python3
"""Browser end-to-end test: one special access request (特殊访问权限,
JSCZ-8) from the vendor's request to the automatic expiry of its grant
(JSCZ-49), through the ticket and register pages in real Chromium.

The route (policies/jscz/special_access.toml, docs/adr/0007):

  demo_vendor  requests bastion access for himself, valid today only,
               and submits it to the information centre           JSCZ-8
  demo_budget, demo_sysop, demo_secop
               approve: three of the four, still not approved      JSCZ-8
  demo_netop   approves: approved
  demo_sysop   records the opening: the ticket lists the temporary
               grant, 有效, and the vendor sees it                  JSCZ-8
  (nobody)     `yunwei jobs run --at <tomorrow 00:05>` runs the
               background job as the server will at midnight; no
               one logs in
  demo_sysop   finds the grant 已收回 (有效期届满，平台自动收回)
               with its 临时授权收回确认 due, confirms the removal
               in the target system: 已确认收回                      JSCZ-49

Environment, besides webdriver.py's: SERVER_BIN (the yunwei binary the
server runs) and SERVER_DATA_DIR (its data directory), for the job run.
"""

import datetime
import os
import subprocess
import sys

from journey import Journey, step
from webdriver import run

CHINA = datetime.timezone(datetime.timedelta(hours=8))

REQUESTED = "已申请，待四方审核"
APPROVED = "审核通过，待系统管理员开通"
GRANTED = "已开通（到期自动收回，见临时授权台账）"
ACTIVE = "有效"
REVOKED = "已收回，待确认目标系统已删除"
REMOVED = "已确认收回"
SYSTEM = "预算管理一体化系统 数据库区 10.1.2.0/24"


def run_jobs_at(when):
    """`yunwei jobs run --at WHEN --yes` on the server's data directory."""
    binary = os.environ["SERVER_BIN"]
    data_dir = os.environ["SERVER_DATA_DIR"]
    out = subprocess.run(
        [binary, "--data-dir", data_dir, "jobs", "run", "--at", when, "--yes"],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 0, f"jobs run failed: {out.stdout}\n{out.stderr}"
    assert "后台作业已执行" in out.stdout, out.stdout
    step(f"yunwei jobs run --at {when!r}: {out.stdout.strip()}")


def grant_line(j, tid):
    j.open_ticket(tid)
    return j.d.text(j.d.wait_for("#grants"))


def test_special_access_from_request_to_automatic_expiry(driver, cfg):
    for var in ("SERVER_BIN", "SERVER_DATA_DIR"):
        assert os.environ.get(var), f"{var} is not set"
    j = Journey(driver, cfg)
    try:
        walk(j)
    finally:
        j.close()


def walk(j):
    d = j.d
    base = j.base
    today = datetime.datetime.now(CHINA).date()
    tomorrow = today + datetime.timedelta(days=1)

    # -- 1. the vendor requests it for one named person ----------------------
    j.login_as("demo_vendor")
    d.get(base + "/tickets/new")
    d.click(d.wait_for("#process-chooser a[href*='process=special_access']"))
    d.wait_for("#open-form")
    for details in d.find_all("#open-form details.more-fields"):
        if not d.prop(details, "open"):
            d.click(d.find("summary", within=details))
    j.set_field("#new-title", "预算库性能排查临时访问（浏览器测试）")
    for name, value in (
        ("system", SYSTEM),
        ("access_kind", "bastion"),
        ("scope", "经堡垒机只读查询执行计划"),
        ("reason", "排查月末批处理超时"),
        ("grantee", "demo_vendor"),
        ("valid_from", today.isoformat()),
        ("valid_until", today.isoformat()),
    ):
        j.set_field(f"#new-{name}", value)
    # The route leaves the draft by one transition: 提交 files and submits
    # it in one step.
    d.click(d.find("#submit-ticket"))

    def opened():
        if d.find_all("#error"):
            return "error"
        return d.current_query().get("msg") == "submitted" and d.current_path()

    where = d.wait_until("the request to be registered", opened)
    assert where != "error", f"registering refused: {d.error_text()!r}"
    tid = where.rsplit("/", 1)[-1]
    number = d.text(d.find("#ticket-head .ticket-no")).strip()
    assert number.startswith("TSQX-"), f"request number {number!r}"
    j.expect_state(REQUESTED)
    step(f"demo_vendor: registered and submitted special access request {number}")

    # -- 2. all four review it; three are not enough --------------------------
    for who in ("demo_budget", "demo_sysop", "demo_secop"):
        j.login_as(who)
        j.vote_approve(tid, "同意")
        j.expect_state(REQUESTED)
    step("three of the four approved: still not approved (JSCZ-8)")
    j.login_as("demo_netop")
    j.vote_approve(tid, "同意，已核对地址")
    j.expect_state(APPROVED)

    # -- 3. the system administrator opens it -------------------------------
    j.login_as("demo_sysop")
    j.transition(
        tid,
        "record_granted",
        fields={"grant_record": "堡垒机策略已开通：demo_vendor → 10.1.2.15:1521"},
        expect=GRANTED,
    )
    line = grant_line(j, tid)
    assert SYSTEM in line and ACTIVE in line and "demo_vendor" in line, f"#grants: {line!r}"
    grant_href = d.attr(d.find("#grants a"), "href")
    gid = grant_href.rsplit("/", 1)[-1]
    step(f"demo_sysop: opened it; grant {gid} {ACTIVE}")

    # The vendor sees the grant that names him.
    j.login_as("demo_vendor")
    line = grant_line(j, tid)
    assert ACTIVE in line, f"vendor's #grants: {line!r}"
    d.get(f"{base}/registers/access_grants/{gid}")
    j.expect_field("状态", ACTIVE)
    assert not d.find_all("#step-revoke"), "the vendor is offered 提前收回"

    # -- 4. midnight: the job revokes it, nobody logged in ------------------
    buttons = d.find_all("header .who form button")
    if buttons:
        d.click(buttons[0])
        d.wait_for_path("/login")
    run_jobs_at(f"{tomorrow.isoformat()} 00:05")

    # -- 5. the administrator confirms the removal ---------------------------
    j.user = None
    j.login_as("demo_sysop")
    line = grant_line(j, tid)
    assert REVOKED in line, f"#grants after midnight: {line!r}"
    d.get(f"{base}/registers/access_grants/{gid}")
    j.expect_field("状态", REVOKED)
    f = j.fields()
    assert f.get("收回原因") == "有效期届满，平台自动收回", f"收回原因: {f.get('收回原因')!r}"
    d.wait_for_text(
        "#controls", lambda t: "临时授权收回确认" in t, "#controls listing 临时授权收回确认"
    )
    # Saying what was removed is required.
    j.click_and_wait_for_new_page(d.find("#step-confirm_removed"), "confirm without a note")
    err = d.wait_for_text("#error", lambda t: bool(t.strip()), "#error without a note")
    assert "删除了哪些账号和权限" in err, f"#error: {err!r}"
    d.get(f"{base}/registers/access_grants/{gid}")
    j.set_field("#note-confirm_removed", "堡垒机策略已删除，会话已断开")
    j.click_and_wait_for_new_page(d.find("#step-confirm_removed"), "confirm the removal")
    d.wait_for_text("#notice", lambda t: "已办理" in t, "#notice 已办理")
    j.expect_field("状态", REMOVED)
    assert j.fields().get("目标系统收回情况") == "堡垒机策略已删除，会话已断开"
    line = grant_line(j, tid)
    assert REMOVED in line, f"#grants after the confirmation: {line!r}"
    step(f"demo_sysop: confirmed the removal ({REMOVED})")


TESTS = [test_special_access_from_request_to_automatic_expiry]


if __name__ == "__main__":
    sys.exit(run(TESTS))
