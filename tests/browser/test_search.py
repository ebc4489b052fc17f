#!/usr/bin/env python3
"""Browser end-to-end test: the search page (/search, ADR 0004, issue 13)
in real Chromium.

The journey:

  demo_lead  types 国库支付 into the search form: the results are grouped
             by kind (配置项 among them) and the demo's configuration item
             国库集中支付系统 is found although 国库 and 支付 stand apart in
             its name; its link opens the item's page (APP-GKZF)
  demo_lead  narrows the search to 配置项 with 只看配置项: only that group
             is left, and 全部类型 widens it again
  demo_lead  searches 断电应急预案: the demo's emergency plan is found
             under 应急预案 and its link opens the register entry

Every demo user changes the initial password at the first login. Uses the
stdlib WebDriver client of webdriver.py; environment as there.
"""

import sys

from journey import Journey
from journey import step
from webdriver import run

ITEM_NAME = "国库集中支付系统"
ITEM_CODE = "APP-GKZF"
PLAN_NAME = "信息中心机房断电应急预案"


def search(j, q):
    """Types `q` into the page's search form and waits for the results."""
    d = j.d
    d.get(j.base + "/search")
    box = d.wait_for("#search-form input[name='q']")
    d.clear(box)
    d.send_keys(box, q)
    j.click_and_wait_for_new_page(
        d.find("button[type='submit']", within=d.find("#search-form")),
        f"search {q}",
    )
    d.wait_for("#hits")
    return groups(j)


def groups(j):
    """The groups on the page: (heading, [(link text, href)])."""
    d = j.d
    out = []
    for g in d.find_all("#hits .hit-group"):
        heading = d.text(d.find("h2", within=g)).strip()
        links = [
            (d.text(a).strip(), d.attr(a, "href"))
            for a in d.find_all("ol.hits a", within=g)
        ]
        out.append((heading, links))
    return out


def group(found, kind):
    for heading, links in found:
        if heading.startswith(kind + " "):
            return links
    raise AssertionError(f"no group {kind} among {[h for h, _ in found]}")


def test_search_groups_by_kind_and_opens_the_object(driver, cfg):
    j = Journey(driver, cfg)
    d = j.d
    try:
        j.login_as("demo_lead")

        # -- 1. a natural query: the words apart in the item's name ---------
        found = search(j, "国库支付")
        items = group(found, "配置项")
        hit = [href for text, href in items if ITEM_NAME in text]
        assert hit, f"{ITEM_NAME} not among {items}"
        step(f"国库支付: groups {[h for h, _ in found]}, {ITEM_NAME} found")
        link = d.find(f"#hits a[href='{hit[0]}']")
        j.click_and_wait_for_new_page(link, f"open {ITEM_NAME}")
        assert d.current_path().startswith("/cmdb/"), d.current_url()
        d.wait_for_text("main", lambda t: ITEM_CODE in t, f"{ITEM_CODE} on its page")
        step(f"the hit opens {d.current_path()}")

        # -- 2. narrowed to one kind and back ----------------------------------
        search(j, "国库支付")
        only = d.find_all("#hits .hit-group h2 a")
        only = [a for a in only if d.text(a).strip() == "只看配置项"]
        assert only, "no 只看配置项 link"
        j.click_and_wait_for_new_page(only[0], "只看配置项")
        assert d.current_query().get("type") == "ci", d.current_url()
        kinds = [h for h, _ in groups(j)]
        assert len(kinds) == 1 and kinds[0].startswith("配置项 "), kinds
        back = d.find("#narrowed a")
        j.click_and_wait_for_new_page(back, "全部类型")
        assert d.current_query().get("type", "") == "", d.current_url()
        step("只看配置项 narrows to one group, 全部类型 widens again")

        # -- 3. a register entry ----------------------------------------------
        found = search(j, "断电应急预案")
        plans = group(found, "应急预案")
        hit = [href for text, href in plans if PLAN_NAME in text]
        assert hit, f"{PLAN_NAME} not among {plans}"
        link = d.find(f"#hits a[href='{hit[0]}']")
        j.click_and_wait_for_new_page(link, f"open {PLAN_NAME}")
        assert d.current_path().startswith("/registers/emergency_plans/"), d.current_url()
        d.wait_for_text("main", lambda t: PLAN_NAME in t, f"{PLAN_NAME} on its page")
        step(f"断电应急预案: opens {d.current_path()}")
    finally:
        j.close()


TESTS = [test_search_groups_by_kind_and_opens_the_object]


if __name__ == "__main__":
    sys.exit(run(TESTS))
