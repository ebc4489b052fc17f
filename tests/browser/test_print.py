#!/usr/bin/env python3
"""Browser end-to-end test: print and PDF of a ticket (issue 13, item 8;
docs/adr/0013).

  demo_lead  opens a ticket of the demo from the ticket list; its page
             links 下载PDF; Chromium downloads the PDF and pdftotext
             (poppler-utils) reads the ticket's Chinese title back from it
  demo_lead  the same page under print media emulation (CDP
             Emulation.setEmulatedMedia): the header with the menu, the
             forms, buttons and footer are hidden, the title and the
             timeline stay, and the signature block (经办人 / 审核人 /
             日期) follows the page
  demo_lead  a register entry prints the same way
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

from journey import Journey, step
from webdriver import run


def cdp(driver, cmd, params):
    """A Chrome DevTools Protocol command through chromedriver."""
    return driver._cmd(
        "POST",
        "/chromium/send_command_and_get_result",
        {"cmd": cmd, "params": params},
    )


def first_ticket(j):
    d = j.d
    d.get(f"{j.base}/tickets")
    d.wait_for("main table")
    links = [
        d.attr(a, "href")
        for a in d.find_all("main table a")
        if "/tickets/" in (d.attr(a, "href") or "")
    ]
    links = [h for h in links if not h.rstrip("/").endswith(("/new", "/export"))]
    assert links, "the demo lists tickets"
    d.get(links[0] if links[0].startswith("http") else j.base + links[0])
    d.wait_for("#ticket-head")


def wait_for_download(directory, timeout=30.0):
    """The finished PDF in `directory` (bounded wait, no partial file)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [
            f
            for f in os.listdir(directory)
            if f.endswith(".pdf") and not f.endswith(".crdownload")
        ]
        partial = [f for f in os.listdir(directory) if f.endswith(".crdownload")]
        if done and not partial:
            return os.path.join(directory, done[0])
        time.sleep(0.1)
    raise AssertionError(f"no PDF downloaded into {directory}: {os.listdir(directory)}")


def visible(d, css):
    return d.execute(
        "var e = document.querySelector(arguments[0]);"
        "return !!e && getComputedStyle(e).display !== 'none';",
        css,
    )


def expect_print_layout(d, kept, hidden):
    cdp(d, "Emulation.setEmulatedMedia", {"media": "print"})
    for css in hidden:
        assert not visible(d, css), f"{css} shows in print"
    for css in kept:
        assert visible(d, css), f"{css} is missing in print"
    after = d.execute(
        "return getComputedStyle(document.querySelector('main'), '::after').content;"
    )
    for label in ("经办人：", "审核人：", "日期："):
        assert label in after, f"signature block {label!r}: {after!r}"
    cdp(d, "Emulation.setEmulatedMedia", {"media": ""})
    # On screen, the menu is back and the signature block is not there.
    assert visible(d, "header.top nav"), "the menu on screen"
    after = d.execute(
        "return getComputedStyle(document.querySelector('main'), '::after').content;"
    )
    assert "经办人" not in after, after


def test_ticket_pdf_download_and_print(driver, cfg):
    j = Journey(driver, cfg)
    downloads = tempfile.mkdtemp(prefix="yunwei-pdf-")
    try:
        d = j.d
        j.login_as("demo_lead")
        first_ticket(j)
        number = d.text(d.find("#ticket-head h1 .ticket-no")).strip()
        title = d.text(d.find("#ticket-head h1"))[len(number):].strip()
        step(f"ticket {number} {title}")
        assert visible(d, "[data-print]"), "the 打印 button (app.js)"
        link = d.find("#ticket-pdf")
        assert d.text(link).strip() == "下载PDF"

        cdp(
            d,
            "Browser.setDownloadBehavior",
            {"behavior": "allow", "downloadPath": downloads},
        )
        d.click(link)
        pdf = wait_for_download(downloads)
        with open(pdf, "rb") as f:
            assert f.read(5) == b"%PDF-", "a PDF"
        out = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", pdf, "-"],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        assert out.returncode == 0, out.stderr
        lines = [l.strip() for l in out.stdout.splitlines() if l.strip()]
        # A long title wraps: the first lines together are the title.
        head = "".join(lines[:3])
        assert head.startswith(title), f"title {title!r} not first in {lines[:5]!r}"
        assert "办理记录" in lines and "经办人：" in lines, lines
        step(f"downloaded {os.path.basename(pdf)}: title read back from the PDF")

        expect_print_layout(
            d,
            kept=["#ticket-head h1", "#fields", "#timeline", "#route"],
            hidden=[
                "header.top",
                "footer",
                "#comment-form",
                "#upload-form",
                "#ticket-pdf",
                "[data-print]",
            ],
        )
        step("print media: no menu, forms or footer; signature block")

        # A backup plan of the demo (运维台账).
        d.get(f"{j.base}/registers/backup_plans")
        d.wait_for("main table")
        entries = [
            d.attr(a, "href")
            for a in d.find_all("main table a")
            if "/registers/backup_plans/" in (d.attr(a, "href") or "")
        ]
        assert entries, "the demo has backup plans"
        entry = entries[0]
        d.get(entry if entry.startswith("http") else j.base + entry)
        d.wait_for("#entry")
        expect_print_layout(
            d,
            kept=["#entry h1", "#entry table.fields"],
            hidden=["header.top", "footer", "[data-print]"],
        )
        step(f"register entry {entry} prints with the signature block")
    finally:
        shutil.rmtree(downloads, ignore_errors=True)
        j.close()


TESTS = [test_ticket_pdf_download_and_print]

if __name__ == "__main__":
    sys.exit(run(TESTS))
