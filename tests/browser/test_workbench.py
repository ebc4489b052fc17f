#!/usr/bin/env python3
"""Browser end-to-end tests of the workbench lists (issue 13), in real
Chromium against `yunwei serve --demo`:

  a 科长 (demo_chief, 硬件运维科) assigns a ticket of his section's queue
  to demo_netop, who finds it under 与我有关 = 我负责的;
  sorting the ticket list by a column orders its rows, and again reverses
  them;
  a filter (状态类别 + an order) saved by demo_director is listed and
  applied.

Each test logs in as users of its own: the server is shared by the file's
tests and a first login changes the password.

The demo routes open tickets to 硬件运维科, some left in its queue
(crates/core/src/demo/owners.rs). Uses the stdlib WebDriver client of
webdriver.py; environment as there.
"""

import sys
import urllib.parse

from journey import Journey, step
from webdriver import fill, run


def notice(d, predicate, what):
    return d.wait_for_text("#notice", predicate, what)


def row_titles(d):
    """The titles of the ticket list's rows, top to bottom."""
    return [
        d.text(td).strip()
        for td in d.find_all("#ticket-list tbody tr td:nth-child(3)")
    ]


def test_chief_assigns_and_the_owner_sees_it_under_mine(driver, cfg):
    j = Journey(driver, cfg)
    d = j.d
    try:
        j.login_as("demo_chief")
        d.get(j.base + "/tickets/queue")
        d.wait_for("#queue")
        rows = d.find_all("#queue .queue-team table tbody tr")
        assert rows, "the section's queue has demo tickets"
        row = rows[0]
        link = d.find("td a", within=row)
        number = d.text(link).strip()
        tid = d.attr(link, "href").rstrip("/").split("/")[-1]
        select = d.find("form.assign-form select[name='assignee']", within=row)
        d.click(d.find("option[value='demo_netop']", within=select))
        j.click_and_wait_for_new_page(
            d.find("form.assign-form button", within=row), "指派"
        )
        notice(d, lambda t: f"已指派 {number}" in t, "the assignment notice")
        step(f"demo_chief assigned {number} to demo_netop")
        # It left the queue.
        assert f"/tickets/{tid}" not in (d.page_source() or "").split('id="queue"')[1]

        j.login_as("demo_netop")
        d.get(j.base + "/tickets")
        j.set_field("#ticket-filters select[name='mine']", "assigned")
        j.click_and_wait_for_new_page(
            d.find("#ticket-filters button[type='submit']"), "查询"
        )
        assert d.current_query().get("mine") == "assigned", d.current_url()
        d.wait_for(f"#ticket-list a[href='/tickets/{tid}']")
        owners = [
            d.text(td).strip()
            for td in d.find_all("#ticket-list tbody tr td.owner")
        ]
        assert owners and all(o == "黄涛" for o in owners), owners
        step(f"demo_netop finds {number} under 我负责的 ({len(owners)} in all)")
    finally:
        j.close()


def test_sorting_a_column_orders_the_rows(driver, cfg):
    j = Journey(driver, cfg)
    d = j.d
    try:
        j.login_as("demo_lead")
        d.get(j.base + "/tickets")
        d.wait_for("#ticket-list")
        before = row_titles(d)
        assert len(before) > 3, before
        head = [
            a
            for a in d.find_all("#ticket-list thead a.sort")
            if d.text(a).strip().startswith("标题")
        ][0]
        j.click_and_wait_for_new_page(head, "sort by title")
        q = d.current_query()
        assert (q.get("sort"), q.get("dir")) == ("title", "asc"), q
        asc = row_titles(d)
        assert asc == sorted(asc), asc
        assert asc != before, "newest first is not the title order"
        head = [
            a
            for a in d.find_all("#ticket-list thead a.sort")
            if d.text(a).strip().startswith("标题")
        ][0]
        assert "▲" in d.text(head), d.text(head)
        j.click_and_wait_for_new_page(head, "sort by title, descending")
        assert d.current_query().get("dir") == "desc", d.current_url()
        desc = row_titles(d)
        assert desc == sorted(desc, reverse=True), desc
        step(f"sorted {len(asc)} rows by 标题 both ways")
    finally:
        j.close()


def test_a_saved_filter_is_saved_and_applied(driver, cfg):
    j = Journey(driver, cfg)
    d = j.d
    name = "未完成按期限"
    try:
        j.login_as("demo_director")
        d.get(j.base + "/tickets?category=open&sort=due&dir=asc")
        d.wait_for("#save-filter")
        fill(d, "#save-filter input[name='name']", name)
        j.click_and_wait_for_new_page(
            d.find("#save-filter button[type='submit']"), "保存当前筛选"
        )
        notice(d, lambda t: name in t, "the saved-filter notice")
        links = [
            a
            for a in d.find_all("#saved-filters a")
            if d.text(a).strip() == name
        ]
        assert links, d.text(d.find("#saved-filters"))
        step(f"demo_director saved {name!r}")

        # From a clean list, the saved filter brings its conditions back.
        d.get(j.base + "/tickets")
        d.wait_for("#ticket-list")
        link = [
            a
            for a in d.find_all("#saved-filters a")
            if d.text(a).strip() == name
        ][0]
        j.click_and_wait_for_new_page(link, "apply the saved filter")
        q = d.current_query()
        assert q.get("category") == "open", q
        assert (q.get("sort"), q.get("dir")) == ("due", "asc"), q
        got = d.prop(d.find("#ticket-filters select[name='category']"), "value")
        assert got == "open", got
        path_query = urllib.parse.urlparse(d.current_url()).query
        step(f"applied {name!r}: /tickets?{path_query}")
    finally:
        j.close()


TESTS = [
    test_chief_assigns_and_the_owner_sees_it_under_mine,
    test_sorting_a_column_orders_the_rows,
    test_a_saved_filter_is_saved_and_applied,
]


if __name__ == "__main__":
    sys.exit(run(TESTS))
