"""Shared pieces of the browser end-to-end tests.

A tiny W3C WebDriver client built on the standard library only (urllib +
json), so no pip packages are needed; bounded explicit waits; page helpers
for the login form; and the test runner used by every `test_*.py` here.

Runner environment:
    BASE_URL        base URL of a running `yunwei serve --demo` (required)
    WEBDRIVER_URL   URL of a running chromedriver (required)
    DEMO_PASSWORD   initial password of the demo users (required)
    CHROME_BINARY   browser binary (default: /usr/bin/chromium)

The runner prints one line per test and `N passed, N failed` as the final
line. Exit status: 0 when every selected test passed, 1 when one failed,
NO_TESTS_SELECTED when the command line named tests none of which is in
this file.
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

# Exit status of a test file when none of the tests named on the command
# line is in it (as pytest's "no tests collected").
NO_TESTS_SELECTED = 5


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
                            "--window-size=1280,1024",
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

    def current_query(self):
        """The query of the current URL as a dict of first values."""
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.current_url()).query)
        return {k: v[0] for k, v in q.items()}

    def page_source(self):
        return self._cmd("GET", "/source")

    def delete_cookies(self):
        """Forget every cookie of the current page's domain (a logout
        without the server's help: the next page starts unauthenticated)."""
        self._cmd("DELETE", "/cookie")

    def execute(self, script, *args):
        """Run a synchronous script; element references in args are passed
        as elements."""
        wrapped = [{ELEMENT_KEY: a} if isinstance(a, ElementRef) else a for a in args]
        return self._cmd("POST", "/execute/sync", {"script": script, "args": wrapped})

    def find_all(self, css, within=None):
        base = f"/element/{within}" if within else ""
        found = self._cmd(
            "POST", f"{base}/elements", {"using": "css selector", "value": css}
        )
        return [ElementRef(e[ELEMENT_KEY]) for e in found]

    def find(self, css, within=None):
        base = f"/element/{within}" if within else ""
        found = self._cmd(
            "POST", f"{base}/element", {"using": "css selector", "value": css}
        )
        return ElementRef(found[ELEMENT_KEY])

    def clear(self, el):
        self._cmd("POST", f"/element/{el}/clear")

    def send_keys(self, el, text):
        self._cmd("POST", f"/element/{el}/value", {"text": text})

    def click(self, el):
        self._cmd("POST", f"/element/{el}/click")

    def text(self, el):
        return self._cmd("GET", f"/element/{el}/text")

    def prop(self, el, name):
        """A DOM property of the element (`value`, `checked`, `open` ...)."""
        return self._cmd("GET", f"/element/{el}/property/{name}")

    def attr(self, el, name):
        return self._cmd("GET", f"/element/{el}/attribute/{name}")

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
                    f"; current url: {self._safe_url()}"
                    f"; #error: {self.error_text()!r}{detail}"
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

    # -- diagnostics -------------------------------------------------------

    def _safe_url(self):
        try:
            return self.current_url()
        except Exception as exc:  # noqa: BLE001 - diagnostics only
            return f"<unavailable: {exc}>"

    def error_text(self):
        """Text of the page's #error banner, or None (never raises)."""
        try:
            found = self.find_all("#error")
            return self.text(found[0]).strip() if found else None
        except Exception:  # noqa: BLE001 - diagnostics only
            return None


class ElementRef(str):
    """A WebDriver element id (a str, usable in command paths)."""


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


def change_password(driver, current, new):
    """On the (forced) password change page: change it and land on home."""
    driver.wait_for("form#password-form")
    fill(driver, "#password-form input[name='current_password']", current)
    fill(driver, "#password-form input[name='new_password']", new)
    fill(driver, "#password-form input[name='confirm_password']", new)
    driver.click(driver.find("#password-submit"))
    driver.wait_for_path("/")


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
        err = driver.error_text()
        if err:
            print(f"    #error: {err}")
        src = driver.page_source() or ""
        print("    page source (truncated):")
        for line in src[:4000].splitlines():
            print("      " + line)
    except Exception as exc:  # noqa: BLE001 - diagnostics only
        print(f"    (could not capture page: {exc})")


def run(tests, argv=None):
    """Run tests (functions taking (driver, cfg)), each in a fresh browser
    and profile; return the process exit status."""
    required = ("BASE_URL", "WEBDRIVER_URL", "DEMO_PASSWORD")
    missing = [k for k in required if not os.environ.get(k)]
    if missing:
        print(f"missing environment variables: {', '.join(missing)}", file=sys.stderr)
        return 2
    cfg = {
        "base_url": os.environ["BASE_URL"].rstrip("/"),
        "webdriver_url": os.environ["WEBDRIVER_URL"],
        "demo_password": os.environ["DEMO_PASSWORD"],
        "binary": os.environ.get("CHROME_BINARY", "/usr/bin/chromium"),
    }
    selected = sys.argv[1:] if argv is None else argv
    chosen = [t for t in tests if not selected or t.__name__ in selected]
    if not chosen:
        print(f"no selected tests in this file ({', '.join(selected)})")
        return NO_TESTS_SELECTED

    wait_for_webdriver(cfg["webdriver_url"])

    passed = failed = 0
    for test in chosen:
        name = test.__name__
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
