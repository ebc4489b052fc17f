#!/usr/bin/env python3
"""Browser end-to-end tests for the yunwei login flow.

Drives Chromium through chromedriver with the stdlib W3C WebDriver client of
webdriver.py (no pip packages needed).

Environment:
    BASE_URL        base URL of a running `yunwei serve --demo` (required)
    WEBDRIVER_URL   URL of a running chromedriver (required)
    DEMO_PASSWORD   initial password of the demo users (required)
    CHROME_BINARY   browser binary (default: /usr/bin/chromium)

Prints one line per test and `N passed, N failed` as the final line; exits
non-zero if any test failed.
"""

import sys

from webdriver import change_password, run, submit_login

NEW_PASSWORD = "Nw!Str0ng#Pass2026x"


def test_demo_user_forced_password_change_reaches_home(driver, cfg):
    submit_login(driver, cfg["base_url"], "demo_staff", cfg["demo_password"])

    # First login must force a password change; a successful change
    # redirects to the home page.
    driver.wait_for_path("/password/change")
    change_password(driver, cfg["demo_password"], NEW_PASSWORD)

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


if __name__ == "__main__":
    sys.exit(run(TESTS))
