#!/usr/bin/env python3
"""Browser end-to-end tests for the yunwei login flow.

Drives Chromium through chromedriver using the W3C WebDriver protocol with a
tiny client built on the standard library only (urllib + json), so no pip
packages are needed.

Environment:
    BASE_URL        base URL of a running `yunwei serve --demo` (required)
    WEBDRIVER_URL   URL of a running chromedriver (required)
    DEMO_PASSWORD   initial password of the demo users (required)
    CHROME_BINARY   browser binary (default: /usr/bin/chromium)

Prints one line per test and `N passed, N failed` as the final line; exits
non-zero if any test failed.
"""

import json
import os
import shutil
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

# W3C WebDriver element reference key.
ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf"

POLL_INTERVAL = 0.1  # seconds between polls in explicit waits
WAIT_TIMEOUT = 10.0  # max seconds for an explicit wait
HTTP_TIMEOUT = 60.0  # max seconds for one WebDriver HTTP command


class WebDriverError(Exception):
    """Error reported by the WebDriver endpoint."""

    def __init__(self, status, error, message):
        super().__init__(f"{status} {error}: {message}")
        self.status = status
        self.error = error


class WebDriver:
    """Minimal W3C WebDriver client (one session per instance)."""

    def __init__(self, url, binary):
        self.url = url.rstrip("/")
        self.profile_dir = tempfile.mkdtemp(prefix="yunwei-chrome-")
        caps = {
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": binary,
                        "args": [
                            "--headless=new",
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-dev-shm-usage",
                            "--disable-quic",
                            "--no-first-run",
                            "--disable-background-networking",
                            "--disable-component-update",
                            "--disable-sync",
                            "--user-data-dir=" + self.profile_dir,
                        ],
                        # Keep the password manager quiet; it has no place in
                        # a test run and can interfere with form submission.
                        "prefs": {
                            "credentials_enable_service": False,
                            "profile.password_manager_enabled": False,
                            "profile.password_manager_leak_detection": False,
                        },
                    },
                }
            }
        }
        try:
            value = self._raw("POST", "/session", caps)
        except Exception:
            shutil.rmtree(self.profile_dir, ignore_errors=True)
            raise
        self.session_id = value["sessionId"]

    # -- transport ---------------------------------------------------------

    def _raw(self, method, path, body=None):
        data = None
        headers = {}
        if body is not None or method == "POST":
            data = json.dumps(body if body is not None else {}).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=utf-8"
        req = urllib.request.Request(
            self.url + path, data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as resp:
                payload = json.loads(resp.read().decode("utf-8") or "{}")
        except urllib.error.HTTPError as exc:
            raw = exc.read().decode("utf-8", "replace")
            try:
                value = json.loads(raw).get("value", {})
                raise WebDriverError(
                    exc.code, value.get("error"), value.get("message")
                ) from None
            except (ValueError, AttributeError):
                raise WebDriverError(exc.code, "http error", raw[:500]) from None
        return payload.get("value")

    def _cmd(self, method, path, body=None):
        return self._raw(method, f"/session/{self.session_id}{path}", body)

    # -- commands ----------------------------------------------------------

    def get(self, url):
        self._cmd("POST", "/url", {"url": url})

    def current_url(self):
        return self._cmd("GET", "/url")

    def current_path(self):
        return urllib.parse.urlparse(self.current_url()).path

    def page_source(self):
        return self._cmd("GET", "/source")

    def find_all(self, css):
        found = self._cmd(
            "POST", "/elements", {"using": "css selector", "value": css}
        )
        return [e[ELEMENT_KEY] for e in found]

    def find(self, css):
        found = self._cmd(
            "POST", "/element", {"using": "css selector", "value": css}
        )
        return found[ELEMENT_KEY]

    def clear(self, el):
        self._cmd("POST", f"/element/{el}/clear")

    def send_keys(self, el, text):
        self._cmd("POST", f"/element/{el}/value", {"text": text})

    def click(self, el):
        self._cmd("POST", f"/element/{el}/click")

    def text(self, el):
        return self._cmd("GET", f"/element/{el}/text")

    def quit(self):
        try:
            self._cmd("DELETE", "")
        finally:
            shutil.rmtree(self.profile_dir, ignore_errors=True)

    # -- explicit waits ----------------------------------------------------

    def wait_until(self, description, predicate, timeout=WAIT_TIMEOUT):
        """Poll predicate() every POLL_INTERVAL until it returns a truthy
        value (which is returned) or the timeout expires."""
        deadline = time.monotonic() + timeout
        last_exc = None
        while True:
            try:
                result = predicate()
                if result:
                    return result
                last_exc = None
            except WebDriverError as exc:
                # Stale/missing elements are expected while a page loads.
                last_exc = exc
            if time.monotonic() >= deadline:
                detail = f" (last error: {last_exc})" if last_exc else ""
                raise AssertionError(
                    f"timed out after {timeout:.0f}s waiting for {description}"
                    f"; current url: {self._safe_url()}{detail}"
                )
            time.sleep(POLL_INTERVAL)

    def wait_for(self, css, timeout=WAIT_TIMEOUT):
        """Wait until an element matching css exists; return its reference."""

        def present():
            found = self.find_all(css)
            return found[0] if found else None

        return self.wait_until(f"element {css!r}", present, timeout)

    def wait_for_text(self, css, predicate, description, timeout=WAIT_TIMEOUT):
        """Wait until the element matching css has text satisfying predicate;
        return that text."""

        def check():
            found = self.find_all(css)
            if not found:
                return None
            txt = self.text(found[0])
            return txt if predicate(txt) else None

        return self.wait_until(description, check, timeout)

    def wait_for_path(self, path, timeout=WAIT_TIMEOUT):
        self.wait_until(
            f"url path {path!r}", lambda: self.current_path() == path, timeout
        )

    def _safe_url(self):
        try:
            return self.current_url()
        except Exception as exc:  # noqa: BLE001 - diagnostics only
            return f"<unavailable: {exc}>"


# ---------------------------------------------------------------------------
# Page helpers
# ---------------------------------------------------------------------------


def fill(driver, css, value):
    el = driver.wait_for(css)
    driver.clear(el)
    driver.send_keys(el, value)


def submit_login(driver, base_url, username, password):
    """Open a fresh login page and submit the form."""
    driver.get(base_url + "/login")
    driver.wait_for("form#login-form")
    fill(driver, "#login-form input[name='username']", username)
    fill(driver, "#login-form input[name='password']", password)
    driver.click(driver.find("#login-submit"))


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------

NEW_PASSWORD = "Nw!Str0ng#Pass2026x"


def test_demo_user_forced_password_change_reaches_home(driver, cfg):
    submit_login(driver, cfg["base_url"], "demo_staff", cfg["demo_password"])

    # First login must force a password change.
    driver.wait_for_path("/password/change")
    driver.wait_for("form#password-form")
    fill(driver, "#password-form input[name='current_password']", cfg["demo_password"])
    fill(driver, "#password-form input[name='new_password']", NEW_PASSWORD)
    fill(driver, "#password-form input[name='confirm_password']", NEW_PASSWORD)
    driver.click(driver.find("#password-submit"))

    # A successful change redirects to the home page.
    driver.wait_for_path("/")
    home = driver.wait_for_text(
        "#home", lambda t: "欢迎" in t, "#home containing '欢迎'"
    )
    assert "欢迎" in home, f"#home text: {home!r}"


def test_five_wrong_passwords_lock_account(driver, cfg):
    base = cfg["base_url"]
    for attempt in range(1, 6):
        submit_login(driver, base, "demo_director", f"Wrong#Passw0rd-{attempt}")
        msg = driver.wait_for_text(
            "#error",
            lambda t: bool(t.strip()),
            f"#error after wrong password attempt {attempt}",
        )
        path = driver.current_path()
        assert path == "/login", (
            f"attempt {attempt}: expected to stay on /login, got {path!r}"
        )
        print(f"    attempt {attempt}: #error = {msg.strip()!r}")

    # Even the correct password must now be rejected because of the lock.
    submit_login(driver, base, "demo_director", cfg["demo_password"])
    msg = driver.wait_for_text(
        "#error", lambda t: "锁定" in t, "#error containing '锁定'"
    )
    print(f"    correct password: #error = {msg.strip()!r}")
    path = driver.current_path()
    assert path == "/login", f"locked account must stay on /login, got {path!r}"


TESTS = [
    test_demo_user_forced_password_change_reaches_home,
    test_five_wrong_passwords_lock_account,
]


# ---------------------------------------------------------------------------
# Runner
# ---------------------------------------------------------------------------


def wait_for_webdriver(url, timeout=30.0):
    """Bounded poll of chromedriver's /status until it reports ready."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url.rstrip("/") + "/status", timeout=2) as r:
                if json.loads(r.read().decode("utf-8"))["value"].get("ready"):
                    return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        if time.monotonic() >= deadline:
            raise RuntimeError(f"webdriver at {url} not ready after {timeout}s")
        time.sleep(POLL_INTERVAL)


def dump_page(driver):
    try:
        print(f"    current url: {driver.current_url()}")
        src = driver.page_source() or ""
        print("    page source (truncated):")
        for line in src[:4000].splitlines():
            print("      " + line)
    except Exception as exc:  # noqa: BLE001 - diagnostics only
        print(f"    (could not capture page: {exc})")


def main():
    missing = [k for k in ("BASE_URL", "WEBDRIVER_URL", "DEMO_PASSWORD") if not os.environ.get(k)]
    if missing:
        print(f"missing environment variables: {', '.join(missing)}", file=sys.stderr)
        return 2
    cfg = {
        "base_url": os.environ["BASE_URL"].rstrip("/"),
        "webdriver_url": os.environ["WEBDRIVER_URL"],
        "demo_password": os.environ["DEMO_PASSWORD"],
        "binary": os.environ.get("CHROME_BINARY", "/usr/bin/chromium"),
    }
    selected = sys.argv[1:]

    wait_for_webdriver(cfg["webdriver_url"])

    passed = failed = 0
    for test in TESTS:
        name = test.__name__
        if selected and name not in selected:
            continue
        print(f"RUN  {name}", flush=True)
        started = time.monotonic()
        driver = None
        try:
            # Fresh browser (and profile) per test: no shared cookies.
            driver = WebDriver(cfg["webdriver_url"], cfg["binary"])
            test(driver, cfg)
        except Exception:  # noqa: BLE001 - report every failure
            failed += 1
            print(f"FAIL {name} ({time.monotonic() - started:.1f}s)")
            traceback.print_exc(file=sys.stdout)
            if driver is not None:
                dump_page(driver)
        else:
            passed += 1
            print(f"PASS {name} ({time.monotonic() - started:.1f}s)")
        finally:
            if driver is not None:
                try:
                    driver.quit()
                except Exception as exc:  # noqa: BLE001
                    print(f"    (failed to end session: {exc})")
        sys.stdout.flush()

    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
