#!/usr/bin/env python3
"""Browser end-to-end test of the dashboards and the notices that link to
their object (issue 13) in real Chromium.

  test_dashboard_figure_links_to_its_list
      demo_director opens the home page: the 管理概览 panel shows 未办结工单
      with a number and SVG charts; clicking the figure opens the ticket
      list filtered to open tickets with exactly that many rows; a bar of
      各机构未办结工单 opens that organisation's open tickets, as many as
      the bar says. /reports shows the SLA report with its chart.

  test_next_approver_is_told_and_opens_the_approval
      demo_vendor files an asset requisition (资产领用, JSCZ-9); demo_lead,
      who may approve it, finds 待您处理 in 消息, opens the requisition from
      the notice and approves it there (资产部门批准). The vendor, who
      filed it, was not told.

Uses the stdlib WebDriver client of webdriver.py; environment as there.
"""

import datetime
import sys

from journey import Journey, step
from webdriver import run

CHINA = datetime.timezone(datetime.timedelta(hours=8))
REGISTER = "asset_requisitions"
VENDOR_ORG = "金陵数智运维服务有限公司"
ASSET = "HW-LAPTOP-01"
BORROWER = "钱晓峰"
PURPOSE = "浏览器测试：消息通知审批"


def count_hint(d):
    """The list's 共 N 张工单 line."""
    for el in d.find_all("p.hint"):
        t = d.text(el)
        if "张工单" in t:
            return t
    raise AssertionError("no 共 N 张工单 on the list")


def ticket_rows(d):
    d.wait_for("#ticket-list")
    return len(d.find_all("#ticket-list tbody tr"))


def test_dashboard_figure_links_to_its_list(driver, cfg):
    j = Journey(driver, cfg)
    d = j.d
    j.login_as("demo_director")
    d.get(j.base + "/")
    fig = d.wait_for("#dash-director #fig-open")
    n = int(d.text(d.find(".tile-n", within=fig)).strip())
    assert n > 0, "the demo has open tickets"
    assert d.find_all("#dash-director svg.chart"), "no chart on the director's panel"
    j.click_and_wait_for_new_page(fig, "open 未办结工单")
    assert d.current_path() == "/tickets", d.current_url()
    assert d.current_query().get("open") == "true", d.current_url()
    hint = count_hint(d)
    assert f"共 {n} 张工单" in hint, f"figure {n}, list says {hint!r}"
    assert ticket_rows(d) == min(n, 50)
    step(f"demo_director: 未办结工单 {n} -> the list shows {n}")

    # A bar of the open tickets by organisation.
    d.get(j.base + "/")
    bar = d.wait_for("#chart-open_by_org a")
    title = d.prop(d.find("title", within=bar), "textContent")
    org, value = title.rsplit("：", 1)
    href = d.attr(bar, "href")
    assert "org_id=" in href and "open=true" in href, href
    d.get(href if href.startswith("http") else j.base + href)
    hint = count_hint(d)
    assert f"共 {value} 张工单" in hint, f"bar {org} {value}, list says {hint!r}"
    assert ticket_rows(d) == min(int(value), 50)
    step(f"demo_director: bar {org} {value} -> the list shows {value}")

    # The SLA report page, from the navigation.
    d.get(j.base + "/")
    # It sits in the 工单 menu: open the menu, then follow the link.
    d.click(d.wait_for("nav#menus details.menu:has(a[href='/reports']) > summary"))
    link = d.wait_for("nav a[href='/reports']")
    j.click_and_wait_for_new_page(link, "open SLA 月报")
    d.wait_for("#report-month")
    d.wait_for("#sla-table")
    assert d.find_all("#report svg.chart"), "no chart on the report page"
    step("demo_director: /reports shows the monthly SLA report with its chart")


def test_next_approver_is_told_and_opens_the_approval(driver, cfg):
    j = Journey(driver, cfg)
    d = j.d
    today = datetime.datetime.now(CHINA).date()
    borrowed_s = today.isoformat()
    due_back_s = (today + datetime.timedelta(days=7)).isoformat()

    j.login_as("demo_vendor")
    d.get(f"{j.base}/registers/{REGISTER}/new")
    d.wait_for("#register-form")
    j.set_field("#f-ci_id", ASSET)
    j.choose("#f-borrower_org_id", VENDOR_ORG)
    j.set_field("#f-borrower", BORROWER)
    j.set_field("#f-purpose", PURPOSE)
    j.set_field("#f-borrowed_on", borrowed_s)
    j.set_field("#f-due_back", due_back_s)
    j.click_and_wait_for_new_page(
        d.find("#register-form button[type='submit']"), "file the requisition"
    )
    d.wait_for_text("#notice", lambda t: "已登记" in t, "#notice 已登记")
    path = d.current_path()
    assert path.startswith(f"/registers/{REGISTER}/"), path
    step(f"demo_vendor: filed {path}")
    # The filer is not told of their own entry.
    d.get(j.base + "/inbox")
    d.wait_for("#inbox")
    assert not d.find_all(f"#inbox a[href='{path}']"), "the filer was told"

    j.login_as("demo_lead")
    d.get(j.base + "/inbox")
    link = d.wait_for(f"#inbox a[href='{path}']")
    text = d.text(link)
    assert "待您处理" in text and BORROWER in text, f"notice: {text!r}"
    step(f"demo_lead: 消息 says {text!r}")
    j.click_and_wait_for_new_page(link, "open the requisition from the notice")
    assert d.current_path() == path, d.current_url()
    approve = d.wait_for("#step-approve")
    j.click_and_wait_for_new_page(approve, "资产部门批准")
    d.wait_for_text("#notice", lambda t: "已办理" in t, "#notice 已办理")
    j.expect_field("状态", "已借出")
    step("demo_lead: approved the requisition from the notice")


TESTS = [
    test_dashboard_figure_links_to_its_list,
    test_next_approver_is_told_and_opens_the_approval,
]


if __name__ == "__main__":
    sys.exit(run(TESTS))
