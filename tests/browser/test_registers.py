#!/usr/bin/env python3
"""Browser end-to-end test: an asset requisition (资产领用, JSCZ-9) through
the declarative register pages (/registers, ADR 0006) in real Chromium, and
its return date among the due items (/controls).

The journey:

  demo_vendor  opens /registers, goes to 资产领用 and files a requisition of
               HW-LAPTOP-01 for 金陵数智运维服务有限公司; a first submit
               with the due-back date before the borrow date is refused
               (应归还日期不能早于领用日期) with the typed values kept;
               the corrected one is filed: 已登记, status 待审批
  demo_lead    finds it in the list filtered by status 待审批, approves it
               (资产部门批准): status 已借出
  demo_lead    sees its 资产归还 occurrence on /controls (kind filter
               资产归还), and the demo's overdue items (恢复测试, 厂商周报)
               in the 已逾期 section

Every demo user changes the initial password at the first login. Uses the
stdlib WebDriver client of webdriver.py; environment as there.
"""

import datetime
import sys

from journey import Journey as BaseJourney
from journey import step
from webdriver import run

CHINA = datetime.timezone(datetime.timedelta(hours=8))

REGISTER = "asset_requisitions"
VENDOR_ORG = "金陵数智运维服务有限公司"
ASSET = "HW-LAPTOP-01"
# The title of a requisition is its borrower; the demo's own requisitions
# are all borrowed by 郑海峰, so this one is told apart by it.
BORROWER = "吴晓东"
PURPOSE = "浏览器测试：机房巡检携带"

# Labels of the requisition statuses (crates/domain/src/register.rs).
REQUESTED = "待审批"
APPROVED = "已借出"


class Journey(BaseJourney):
    """The shared journey, on the requisition register."""

    def entry_id(self):
        path = self.d.current_path()
        prefix = f"/registers/{REGISTER}/"
        assert path.startswith(prefix), f"not an entry page: {path!r}"
        return path[len(prefix):]


def dates():
    """Today in China (the server's day) and a week later."""
    today = datetime.datetime.now(CHINA).date()
    return today, today + datetime.timedelta(days=7)


def test_asset_requisition_filed_approved_and_due(driver, cfg):
    j = Journey(driver, cfg)
    d = j.d
    base = j.base
    borrowed, due_back = dates()
    borrowed_s, due_back_s = borrowed.isoformat(), due_back.isoformat()
    too_early_s = (borrowed - datetime.timedelta(days=1)).isoformat()

    # -- 1. demo_vendor files the requisition ------------------------------
    j.login_as("demo_vendor")
    d.get(base + "/registers")
    link = d.wait_for(f"a[href='/registers/{REGISTER}']")
    assert d.text(link).strip() == "资产领用", f"register link: {d.text(link)!r}"
    j.click_and_wait_for_new_page(link, "open 资产领用")
    assert d.current_path() == f"/registers/{REGISTER}", d.current_url()
    new = d.wait_for("#new-entry")
    assert d.text(new).strip() == "登记资产领用", f"#new-entry: {d.text(new)!r}"
    j.click_and_wait_for_new_page(new, "open the requisition form")
    d.wait_for("#register-form")

    j.set_field("#f-ci_id", ASSET)
    org_value = j.choose("#f-borrower_org_id", VENDOR_ORG)
    j.set_field("#f-borrower", BORROWER)
    j.set_field("#f-purpose", PURPOSE)
    j.set_field("#f-borrowed_on", borrowed_s)
    # The due-back date before the borrow date: refused.
    j.set_field("#f-due_back", too_early_s)
    j.click_and_wait_for_new_page(
        d.find("#register-form button[type='submit']"), "submit reversed dates"
    )
    err = d.wait_for_text(
        "#error", lambda t: bool(t.strip()), "#error after reversed dates"
    )
    assert "应归还日期不能早于领用日期" in err, f"#error: {err!r}"
    d.wait_for("#register-form")
    kept = {
        "#f-ci_id": ASSET,
        "#f-borrower_org_id": org_value,
        "#f-borrower": BORROWER,
        "#f-purpose": PURPOSE,
        "#f-borrowed_on": borrowed_s,
        "#f-due_back": too_early_s,
    }
    for css, want in kept.items():
        got = d.prop(d.find(css), "value")
        assert got == want, f"{css} not kept after the refusal: {got!r}, typed {want!r}"
    step("demo_vendor: reversed dates refused, typed values kept")

    j.set_field("#f-due_back", due_back_s)
    j.click_and_wait_for_new_page(
        d.find("#register-form button[type='submit']"), "submit the requisition"
    )

    def filed():
        if d.find_all("#error"):
            return "error"
        return d.current_query().get("msg") == "created" and d.current_path()

    where = d.wait_until("the requisition to be filed", filed)
    assert where != "error", f"filing refused: {d.error_text()!r}; url {d.current_url()}"
    rid = j.entry_id()
    d.wait_for_text("#notice", lambda t: "已登记" in t, "#notice 已登记")
    head = d.text(d.find("#entry h1"))
    assert BORROWER in head, f"entry heading: {head!r}"
    j.expect_field("状态", REQUESTED)
    f = j.fields()
    for label, want in (
        ("请领单位", VENDOR_ORG),
        ("请领人", BORROWER),
        ("用途", PURPOSE),
        ("领用日期", borrowed_s),
        ("应归还日期", due_back_s),
    ):
        assert f.get(label) == want, f"{label}: {f.get(label)!r}, expected {want!r}"
    assert ASSET in f.get("资产", ""), f"资产: {f.get('资产')!r}"
    # The vendor files it but may not approve it.
    assert not d.find_all("#step-approve"), "demo_vendor is offered 资产部门批准"
    step(f"demo_vendor: filed requisition {rid} ({REQUESTED})")

    # -- 2. demo_lead approves it ------------------------------------------
    j.login_as("demo_lead")
    d.get(f"{base}/registers/{REGISTER}")
    filters = d.wait_for("#register-filters")
    j.choose("#register-filters select[name='status']", REQUESTED)
    j.click_and_wait_for_new_page(
        d.find("button[type='submit']", within=filters), "filter by 待审批"
    )
    assert d.current_query().get("status") == "requested", d.current_url()
    d.wait_for("#register-table")
    row_link = None
    for a in d.find_all("#register-table tbody tr td:first-child a"):
        if d.attr(a, "href").endswith(f"/registers/{REGISTER}/{rid}"):
            row_link = a
    assert row_link is not None, (
        f"requisition {rid} not listed under 待审批: "
        f"{d.text(d.find('#register-table'))!r}"
    )
    assert d.text(row_link).strip() == BORROWER, f"row title: {d.text(row_link)!r}"
    table = d.text(d.find("#register-table tbody"))
    assert APPROVED not in table, f"filter 待审批 lists others: {table!r}"
    j.click_and_wait_for_new_page(row_link, "open the requisition")
    assert j.entry_id() == rid, d.current_url()
    j.expect_field("状态", REQUESTED)

    approve = d.wait_for("#step-approve")
    assert d.text(approve).strip() == "资产部门批准", f"#step-approve: {d.text(approve)!r}"
    j.click_and_wait_for_new_page(approve, "资产部门批准")

    def approved():
        if d.find_all("#error"):
            return "error"
        return d.current_query().get("msg") == "step"

    where = d.wait_until("the approval to be recorded", approved)
    assert where != "error", f"approval refused: {d.error_text()!r}"
    assert j.entry_id() == rid, d.current_url()
    d.wait_for_text("#notice", lambda t: "已办理" in t, "#notice 已办理")
    j.expect_field("状态", APPROVED)
    assert not d.find_all("#step-approve"), "资产部门批准 still offered once approved"
    # Its return is now due (JSCZ-9).
    due = d.wait_for_text(
        "#controls", lambda t: "资产归还" in t, "#controls listing 资产归还"
    )
    assert due_back_s in due, f"return due {due_back_s} not shown: {due!r}"
    step(f"demo_lead: approved {rid} ({APPROVED})")

    # -- 3. demo_lead sees it among the due items --------------------------
    d.get(base + "/controls")
    filters = d.wait_for("#control-filters")
    j.choose("#control-filters select[name='kind']", "资产归还")
    j.click_and_wait_for_new_page(
        d.find("button[type='submit']", within=filters), "filter by 资产归还"
    )
    assert d.current_query().get("kind") == "asset_return", d.current_url()
    sections = ("#overdue", "#due-soon", "#other")
    for css in sections:
        d.wait_for(css)
    rows = []
    for css in sections:
        for tr in d.find_all(f"{css} tbody tr"):
            rows.append((css, d.text(tr)))
    kinds = {t.split()[0] for _, t in rows if t.split()}
    assert kinds == {"资产归还"}, f"kind filter 资产归还 lists {kinds}: {rows}"
    ours = d.find_all(f"a[href='/registers/{REGISTER}/{rid}']")
    assert ours, f"no 资产归还 occurrence of {rid} on /controls: {rows}"
    ours_row = [t for _, t in rows if BORROWER in t]
    assert len(ours_row) == 1, f"occurrences of {BORROWER}: {ours_row}"
    assert ASSET in ours_row[0] and due_back_s in ours_row[0], (
        f"occurrence of {rid}: {ours_row[0]!r}"
    )
    assert not any(BORROWER in t for css, t in rows if css == "#overdue"), (
        f"{rid} is due {due_back_s}, not overdue: {rows}"
    )
    step(f"demo_lead: /controls lists 资产归还 of {rid}, due {due_back_s}")

    # Without the kind filter: the demo's overdue items.
    filters = d.wait_for("#control-filters")
    j.set_field("#control-filters select[name='kind']", "")
    j.click_and_wait_for_new_page(
        d.find("button[type='submit']", within=filters), "clear the kind filter"
    )
    assert d.current_query().get("kind", "") == "", d.current_url()
    overdue = d.wait_for_text(
        "#overdue h2", lambda t: "已逾期" in t, "the 已逾期 section"
    )
    overdue_kinds = [
        d.text(td).strip() for td in d.find_all("#overdue tbody tr td:first-child")
    ]
    assert any(k in ("恢复测试", "厂商周报") for k in overdue_kinds), (
        f"{overdue}: no 恢复测试 or 厂商周报 among {overdue_kinds}"
    )
    step(f"demo_lead: {overdue.strip()} on /controls: {sorted(set(overdue_kinds))}")


TESTS = [test_asset_requisition_filed_approved_and_due]


if __name__ == "__main__":
    sys.exit(run(TESTS))
