"""One browser walking a route through the UI as several demo users: the
login with the forced password change, the ticket pages (transitions,
votes, uploads) and the register entry pages. Shared by the journeys in
test_data_change.py, test_registers.py, test_access.py and test_cloud.py.
"""

import os
import shutil
import tempfile

from webdriver import WebDriverError, change_password, fill, submit_login

NEW_PASSWORD = "Nw!Str0ng#Pass2026x"

# Display names of the demo users (crates/core/src/demo.rs), shown in the
# page header once logged in.
DISPLAY_NAMES = {
    "demo_director": "周振华",
    "demo_deputy": "徐立明",
    "demo_lead": "陈思远",
    "demo_chief": "高志远",
    "demo_staff": "孙晓梅",
    "demo_vendor": "郑海峰",
    "demo_sysop": "王磊",
    "demo_secop": "陈静",
    "demo_netop": "黄涛",
    "demo_budget": "李晓燕",
    # 淮安市政务云 (crates/core/src/demo/cloud_huaian.toml).
    "demo_ha_cloud_manager": "朱红梅",
    "demo_ha_cloud_unit": "秦志诚",
    "demo_ha_cloud_provider": "顾建平",
    "demo_ha_cloud_monitor": "潘宇航",
    # 遂宁市's IT projects (crates/core/src/demo/mod.rs, demo/projects.toml).
    "demo_xm_unit": "何俊杰",
    "demo_xm_cdo": "罗永刚",
    "demo_xm_unit_scjg": "蒋雨欣",
    "demo_xm_cdo_scjg": "邓国平",
    "demo_xm_unit_yb": "廖春燕",
    "demo_xm_cdo_yb": "谢明远",
    "demo_xm_county_unit": "曾丽华",
    "demo_xm_county_cdo": "蒲志勇",
    "demo_xm_bureau": "唐文斌",
    "demo_xm_county_bureau": "文雪梅",
    "demo_xm_finance": "刘佳怡",
    "demo_xm_development": "张振宇",
    "demo_xm_cac": "王欣悦",
    "demo_xm_police": "陈国强",
    "demo_xm_secrecy": "苟晓玲",
}


def step(msg):
    print(f"    - {msg}", flush=True)


class Journey:
    """One browser switching between demo users through the UI."""

    def __init__(self, driver, cfg):
        self.d = driver
        self.base = cfg["base_url"]
        self.demo_password = cfg["demo_password"]
        self.passwords = {}
        self.user = None
        self.tmp = tempfile.mkdtemp(prefix="yunwei-upload-")

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- users -------------------------------------------------------------

    def login_as(self, username):
        d = self.d
        if self.user is not None:
            # Log out through the header's button.
            buttons = d.find_all("header .who form button")
            if buttons:
                d.click(buttons[0])
                d.wait_for_path("/login")
            d.delete_cookies()
        password = self.passwords.get(username, self.demo_password)
        submit_login(d, self.base, username, password)

        def landed():
            if d.find_all("#error"):
                return "error"
            path = d.current_path()
            return path if path != "/login" else None

        where = d.wait_until(f"login of {username} to finish", landed)
        if where == "error":
            raise AssertionError(f"login of {username} refused: {d.error_text()!r}")
        if where == "/password/change":
            change_password(d, password, NEW_PASSWORD)
            self.passwords[username] = NEW_PASSWORD
        else:
            d.wait_for_path("/")
        name = DISPLAY_NAMES[username]
        d.wait_for_text(
            "header .who", lambda t: name in t, f"header showing {name} ({username})"
        )
        self.user = username
        step(f"logged in as {username} ({name})")

    # -- forms ---------------------------------------------------------------

    def set_field(self, css, value):
        """Set an input (text, textarea, select by option value,
        date, datetime-local, checkbox) and check the browser holds the
        value."""
        d = self.d
        el = d.wait_for(css)
        tag = (d.prop(el, "tagName") or "").lower()
        kind = (d.prop(el, "type") or "").lower()
        if tag == "select":
            d.click(d.find(f"option[value='{value}']", within=el))
        elif kind in ("datetime-local", "date"):
            # Typing into these depends on the browser locale's segment
            # order; set the value as a date picker would, with its events.
            d.execute(
                "var e = arguments[0]; e.value = arguments[1];"
                "e.dispatchEvent(new Event('input', {bubbles: true}));"
                "e.dispatchEvent(new Event('change', {bubbles: true}));",
                el,
                value,
            )
        elif kind == "checkbox":
            if bool(d.prop(el, "checked")) != bool(value):
                d.click(el)
            return
        else:
            d.clear(el)
            d.send_keys(el, value)
        got = d.prop(el, "value")
        assert got == value, f"{css}: value is {got!r}, expected {value!r}"

    def option_value(self, select_css, label):
        """The value of the option of a select whose label (without the
        indentation of nested organisations) is label."""
        d = self.d
        select = d.wait_for(select_css)
        seen = []
        for opt in d.find_all("option", within=select):
            text = (d.prop(opt, "textContent") or "").strip().strip("\u3000")
            seen.append(text)
            if text == label:
                return d.prop(opt, "value")
        raise AssertionError(f"{select_css}: no option {label!r} among {seen}")

    def choose(self, select_css, label):
        value = self.option_value(select_css, label)
        self.set_field(select_css, value)
        return value

    def click_and_wait_for_new_page(self, el, what):
        """Click el (a link or a submit button) and wait until the page it
        was on has been replaced, so that a check after this one never
        reads the old page (an old #error in particular)."""
        d = self.d
        old = d.find("html")
        d.click(el)

        def replaced():
            try:
                d.prop(old, "tagName")
            except WebDriverError as exc:
                if exc.error == "stale element reference":
                    return True
                raise
            return False

        d.wait_until(f"{what}: the next page to load", replaced)
        d.wait_for("body")

    # -- tickets -------------------------------------------------------------

    def open_ticket(self, tid):
        self.d.get(f"{self.base}/tickets/{tid}")
        self.d.wait_for("#ticket-head")

    def state(self):
        return self.d.text(self.d.find("#ticket-state")).strip()

    def expect_state(self, label):
        self.d.wait_for_text(
            "#ticket-state", lambda t: t.strip() == label, f"state {label!r}"
        )

    def submit(self, button, tid, msg, what):
        """Click a form's button; wait for the redirect back to the ticket
        with ?msg=<msg>, or fail with the page's #error."""
        d = self.d
        d.click(button)

        def outcome():
            if d.find_all("#error"):
                return "error"
            if d.current_path() == f"/tickets/{tid}" and d.current_query().get("msg") == msg:
                return "ok"
            return None

        if d.wait_until(f"{what}: redirect with msg={msg} or #error", outcome) == "error":
            raise AssertionError(
                f"{what} refused: {d.error_text()!r}; url {d.current_url()}"
            )
        d.wait_for("#ticket-head")
        d.wait_for_text("#notice", lambda t: bool(t.strip()), f"{what}: #notice")

    def action_box(self, tid, transition):
        """The open <details> form of a transition offered to the user."""
        d = self.d
        self.open_ticket(tid)
        found = d.find_all(f"details#t-{transition}")
        if not found:
            offered = [
                d.attr(e, "id") for e in d.find_all("#actions details.action")
            ]
            nxt = d.find_all("#next-actors")
            raise AssertionError(
                f"{self.user} is not offered {transition!r} on ticket {tid} "
                f"(state {self.state()!r}); offered: {offered}; next: "
                f"{d.text(nxt[0]) if nxt else '-'!r}"
            )
        box = found[0]
        if not d.prop(box, "open"):
            d.click(d.find(f"#t-{transition} > summary"))
            d.wait_until(
                f"#t-{transition} to open", lambda: d.prop(box, "open")
            )
        return box

    def transition(self, tid, transition, fields=None, assignee=None,
                   comment=None, expect=None):
        d = self.d
        self.action_box(tid, transition)
        for name, value in (fields or {}).items():
            self.set_field(f"#t-{transition}-{name}", value)
        if assignee is not None:
            fill(d, f"#t-{transition}-assignee", assignee)
        if comment is not None:
            fill(d, f"#t-{transition}-comment", comment)
        button = d.find(f"#t-{transition} form button[type='submit']")
        self.submit(button, tid, "transition", f"{self.user}: {transition}")
        if expect:
            self.expect_state(expect)
        step(f"{self.user}: {transition} -> {self.state()}")

    def upload(self, tid, kind, filename, content):
        d = self.d
        path = os.path.join(self.tmp, filename)
        with open(path, "w", encoding="utf-8") as f:
            f.write(content)
        self.open_ticket(tid)
        self.set_field("#upload-form select[name='kind']", kind)
        d.send_keys(d.find("#upload-form input[type='file']"), path)
        button = d.find("#upload-form button[type='submit']")
        self.submit(button, tid, "attached", f"{self.user}: upload {kind}")
        d.wait_for_text(
            "#attachments", lambda t: filename in t, f"{filename} listed"
        )
        step(f"{self.user}: uploaded {kind} ({filename})")

    def vote_approve(self, tid, comment):
        d = self.d
        self.open_ticket(tid)
        if not d.find_all("#vote-form"):
            approval = d.find_all("#approval")
            raise AssertionError(
                f"{self.user} may not vote on {tid} (state {self.state()!r}); "
                f"approval: {d.text(approval[0]) if approval else '-'!r}"
            )
        fill(d, "#vote-comment", comment)
        button = d.find("#vote-form button[name='decision'][value='approve']")
        self.submit(button, tid, "vote", f"{self.user}: approve")
        step(f"{self.user}: approved -> {self.state()}")

    # -- register entries ----------------------------------------------------

    def fields(self):
        """The entry page's fields table as {label: text}."""
        d = self.d
        d.wait_for("#entry table.fields")
        out = {}
        for tr in d.find_all("#entry table.fields tr"):
            th = d.find_all("th", within=tr)
            td = d.find_all("td", within=tr)
            if th and td:
                out[d.text(th[0]).strip()] = d.text(td[0]).strip()
        return out

    def expect_field(self, label, want):
        d = self.d

        def check():
            got = self.fields().get(label)
            return got == want
        d.wait_until(f"entry field {label} = {want!r}", check)
