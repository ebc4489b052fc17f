#!/usr/bin/env python3
"""Browser test of the page frame (issue 13, item 7): the grouped menus,
the narrow layout at 390 px (a phone) and the Chinese error page.

- At 390 px the ticket list (and the other lists) never scrolls the page
  sideways (document.documentElement.scrollWidth <= clientWidth, and the
  page is laid out at the screen's 390 px, not wider and zoomed out): wide
  tables scroll within their own frame; the menu is folded behind 「菜单」
  and opens on a tap; the menu words are never broken mid-word.
- At 1366 px the five menus sit on one row.
- An unknown address shows the styled Chinese 404 page.
"""

import sys

from journey import Journey, step
from webdriver import run

MENUS = ["工作台", "工单", "配置与台账", "安全", "系统管理"]


def set_viewport(d, width, height):
    """The page viewport as a phone's (device metrics through CDP, so the
    width is exactly `width` CSS pixels whatever the window frame)."""
    d._cmd(
        "POST",
        "/goog/cdp/execute",
        {
            "cmd": "Emulation.setDeviceMetricsOverride",
            "params": {
                "width": width,
                "height": height,
                "deviceScaleFactor": 1,
                "mobile": width < 800,
            },
        },
    )


def no_sideways_scroll(d, base, path):
    d.get(base + path)
    d.wait_for("footer")
    sizes = d.execute(
        "return [document.documentElement.scrollWidth,"
        " document.documentElement.clientWidth, window.innerWidth];"
    )
    # A phone lays a page wider than its screen out at the wider width
    # (and zooms out): the layout viewport then exceeds 390 px.
    assert sizes[2] == 390, f"{path}: wider than the 390 px screen, laid out at {sizes[2]} px"
    assert sizes[0] <= sizes[1], f"{path}: page scrolls sideways: {sizes}"
    step(f"{path} at 390 px: scrollWidth {sizes[0]} <= clientWidth {sizes[1]}")


def displayed(d, css):
    return d.execute(
        "var e = document.querySelector(arguments[0]);"
        "return !!e && e.getClientRects().length > 0"
        " && getComputedStyle(e).visibility !== 'hidden';",
        css,
    )


def test_ticket_list_at_390_px_folds_the_menu_and_never_scrolls_sideways(driver, cfg):
    j = Journey(driver, cfg)
    d = driver
    base = cfg["base_url"]
    try:
        j.login_as("demo_lead")
        set_viewport(d, 390, 844)
        no_sideways_scroll(d, base, "/tickets")
        rows = d.find_all("table tbody tr")
        assert rows, "the demo ticket list is empty"
        # The menu is folded: only 「菜单」 shows.
        assert not displayed(d, "nav#menus"), "menu shown unfolded at 390 px"
        assert displayed(d, "#nav-toggle-label"), "no 菜单 toggle at 390 px"
        assert d.text(d.find("#nav-toggle-label")).strip() == "菜单"
        # A tap opens it; the menus' words are whole (one line each).
        d.click(d.find("#nav-toggle-label"))
        d.wait_until("the menu to open", lambda: displayed(d, "nav#menus"))
        for summary in d.find_all("nav#menus details.menu > summary"):
            d.click(summary)
        words = d.execute(
            "var out = [];"
            "document.querySelectorAll('nav#menus summary, nav#menus .menu-items a')"
            ".forEach(function (e) {"
            "  var lh = parseFloat(getComputedStyle(e).lineHeight) ||"
            "           parseFloat(getComputedStyle(e).fontSize) * 1.5;"
            "  var r = document.createRange(); r.selectNodeContents(e);"
            "  out.push([e.textContent.trim(), r.getClientRects().length,"
            "            r.getBoundingClientRect().height, lh]);"
            "});"
            "return out;"
        )
        labels = [w[0].rstrip("▾").strip() for w in words]
        for m in MENUS:
            assert m in labels, f"menu {m} missing: {labels}"
        broken = [w for w in words if w[1] > 1 or w[2] > 1.6 * w[3]]
        assert not broken, f"menu words broken over lines: {broken}"
        sizes = d.execute(
            "return [document.documentElement.scrollWidth,"
            " document.documentElement.clientWidth];"
        )
        assert sizes[0] <= sizes[1], f"open menu scrolls sideways: {sizes}"
        step(f"menu folded behind 菜单, opens with {len(words)} whole words")
        # The other lists of the lead's day keep within the screen too.
        for path in ["/todo", "/cmdb", "/registers/backup_logs", "/controls", "/search?q=系统"]:
            no_sideways_scroll(d, base, path)
        # On a desktop screen the menus (seven for the project lead, whose
        # province holds the demo's city cloud and 遂宁市's IT projects) sit
        # on one row.
        set_viewport(d, 1366, 900)
        d.get(base + "/tickets")
        d.wait_for("footer")
        tops = d.execute(
            "return Array.from(document.querySelectorAll('nav#menus details.menu'))"
            ".map(function (e) { return Math.round(e.getBoundingClientRect().top); });"
        )
        assert len(tops) == 7 and len(set(tops)) == 1, f"menus not on one row: {tops}"
        assert displayed(d, "form.top-search"), "no search box in the header"
        step("1366 px: seven menus on one row, search box in the header")
    finally:
        j.close()


def test_unknown_url_shows_the_chinese_404_page(driver, cfg):
    d = driver
    d.get(cfg["base_url"] + "/no/such/page")
    h1 = d.text(d.wait_for("#error-page h1")).strip()
    assert h1 == "页面不存在", f"h1: {h1!r}"
    title = d.execute("return document.title;")
    assert title.startswith("页面不存在"), f"title: {title!r}"
    home = d.find("#error-home")
    assert d.text(home).strip() == "返回首页"
    assert d.execute("return document.documentElement.lang;") == "zh-CN"
    d.click(home)
    d.wait_until("the home link to lead on", lambda: d.current_path() in ("/", "/login"))
    step(f"/no/such/page: {h1}, 返回首页 leads to {d.current_path()}")


TESTS = [
    test_ticket_list_at_390_px_folds_the_menu_and_never_scrolls_sideways,
    test_unknown_url_shows_the_chinese_404_page,
]


if __name__ == "__main__":
    sys.exit(run(TESTS))
