"""Takes the README's screenshots (docs/screenshots/*.png) in headless
Chromium against a fresh demo server: `bash scripts/screenshots.sh`.
Not a test; it reuses the browser test's runner and WebDriver client."""

import base64
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "browser"))

from webdriver import change_password, run, submit_login  # noqa: E402

NEW_PASSWORD = "Nw!Str0ng#Pass2026x"
OUT = os.environ.get("SCREENSHOT_DIR", "docs/screenshots")


def shot(driver, name, width=1366, height=900):
    driver._cmd("POST", "/window/rect", {"width": width, "height": height})
    png = base64.b64decode(driver._cmd("GET", "/screenshot"))
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(png)
    print(f"    wrote {OUT}/{name} ({len(png)} bytes)")


def login(driver, cfg, user):
    submit_login(driver, cfg["base_url"], user, cfg["demo_password"])
    change_password(driver, cfg["demo_password"], NEW_PASSWORD)


def screenshots(driver, cfg):
    base = cfg["base_url"]
    login(driver, cfg, "demo_director")
    shot(driver, "home-director.png")
    driver.get(base + "/tickets")
    driver.wait_for("main")
    shot(driver, "tickets.png")
    # An incident part-way along its route, with its item and timeline.
    href = driver.execute(
        "const a = Array.from(document.querySelectorAll('main table a'))"
        ".find(a => a.closest('tr').textContent.includes('精密空调'));"
        "return a ? a.getAttribute('href') : null;"
    )
    assert href, "the demo incident about the air conditioning is not listed"
    driver.get(base + href)
    driver.wait_for("main")
    shot(driver, "ticket.png")


if __name__ == "__main__":
    sys.exit(run([screenshots]))
