"""Take the README's screenshots from the demo's data with Chromium (headless).

    .venv/bin/python docs/take_screenshots.py [--out docs/screenshots] [--all]
        [--keep DIR | --data DIR]

Runs a small demo in a temporary folder, signs in as its program manager and as its top
partner, and saves the console's and the portal's pages. `--all` also saves every page in
both languages at desktop and phone widths (the sign-in pages, every list page and the first
entry of each detail page), to look at by eye before a release.

`--keep DIR` keeps the demo's data (and who signs in) in DIR; `--data DIR` serves a copy of
such a folder instead of running the demo again, so that two runs of the script show the
same data and their screenshots can be compared pixel by pixel.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import tempfile
from pathlib import Path

CHROMIUM = os.environ.get("ACCORD_CHROMIUM", "/usr/bin/chromium")
DESKTOP = {"width": 1360, "height": 900}
PHONE = {"width": 390, "height": 844}
CONSOLE_PAGES = [
    "/console",
    "/console/partners",
    "/console/directory",
    "/console/directory/suggestions",
    "/console/invitations",
    "/console/groups",
    "/console/announcements",
    "/console/creatives",
    "/console/briefs",
    "/console/bounties",
    "/console/calendar",
    "/console/contracts",
    "/console/contracts/new",
    "/console/links",
    "/console/conversions",
    "/console/inquiries",
    "/console/reversals",
    "/console/commissions",
    "/console/payouts",
    "/console/payouts/preview",
    "/console/fraud",
    "/console/contacts",
    "/console/forms",
    "/console/my-day",
    "/console/lead-sources",
    "/console/contacts-similar",
    "/console/lead-handoff",
    "/console/lead-model",
    "/console/nurture",
    "/console/content",
    "/console/events",
    "/console/reports",
    "/console/reports/models",
    "/console/reports/lifecycle",
    "/console/reports/concentration",
    "/console/reports/growth",
    "/console/reports/mix",
    "/console/reports/alerts",
    "/console/settings",
    "/console/settings/attribution",
    "/console/settings/attribution/what-if?model=linear&split=on&since=2000-01-01&until=2100-01-01",
    "/console/settings/exchange-rates",
    "/console/settings/mail",
    "/console/settings/partner-types",
    "/console/settings/applications",
    "/console/api-keys",
    "/console/rejected",
    "/console/imports",
    "/console/users",
    "/console/audit",
    "/console/no-such-page",
]
PORTAL_PAGES = [
    "/portal",
    "/portal/programs",
    "/portal/contract",
    "/portal/links",
    "/portal/commissions",
    "/portal/payouts",
    "/portal/reports",
    "/portal/profile",
    "/portal/creatives",
    "/portal/briefs",
    "/portal/bounties",
    "/portal/calendar",
    "/portal/announcements",
    "/portal/messages",
    "/portal/settings",
    "/portal/users",
]
SIGNED_OUT_PAGES = [
    "/console/login",
    "/portal/login",
    "/portal/signup",
    "/console/password/forgot",
    "/console/password/reset?token=run-out",
]
#: Detail pages: the first link on the list page (left) whose address starts with the prefix.
CONSOLE_DETAILS = [
    ("/console/partners", "/console/partners/"),
    ("/console/directory", "/console/directory/prt_"),
    ("/console/conversions", "/console/conversions/"),
    ("/console/commissions", "/console/commissions/"),
    ("/console/contacts", "/console/contacts/"),
    ("/console/forms", "/console/forms/"),
    ("/console/nurture", "/console/nurture/"),
    ("/console/content", "/console/content/"),
    ("/console/events", "/console/events/"),
    ("/console/forms", "/f/"),
    ("/console/settings/mail", "/console/settings/mail/mail_"),
    ("/console/payouts", "/console/payout-batches/pbt_"),
    ("/console/briefs", "/console/briefs/brf_"),
]
PORTAL_DETAILS = [
    ("/portal/commissions", "/portal/commissions/"),
    ("/portal/briefs", "/portal/briefs/brf_"),
]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sign_in(browser, base: str, email: str, password: str, locale: str, viewport: dict):
    context = browser.new_context(locale=locale, viewport=viewport)
    page = context.new_page()
    page.goto(f"{base}/console/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state("networkidle")
    return context, page


def _first_link(page, base: str, listing: str, prefix: str) -> str | None:
    page.goto(base + listing)
    page.wait_for_load_state("networkidle")
    hrefs = page.eval_on_selector_all(
        f'a[href^="{prefix}"]', "links => links.map(a => a.getAttribute('href'))"
    )
    return next((h for h in hrefs if "/" not in h[len(prefix) :]), None)


def _start(args, work: Path):
    """The demo's server and who signs in: a fresh demo, or a copy of a kept one."""
    from accord.clock import ShiftableClock
    from accord.demo.run import LocalServer, run_demo
    from accord.server import AccordApp
    from accord.settings import Settings
    from accord.store.engine import open_store

    if args.data:
        shutil.copytree(args.data, work, dirs_exist_ok=True)
    settings = Settings(data_dir=work, database_url=None)
    store = open_store(settings, clock=ShiftableClock())
    port = args.port or _port()
    if args.data:
        who = json.loads((work / "shots.json").read_text())
        server = LocalServer(AccordApp(store, settings), "127.0.0.1", port)
        server.start()
        return server, server.base_url, who["console"], who["portal"]
    result, server = run_demo(store, settings, scale=0.2, port=port)
    print(f"demo ready on {result.base_url} in {result.wall_seconds:.1f}s")
    if args.keep:
        server.stop()
        store.engine.dispose()
        shutil.copytree(work, args.keep, dirs_exist_ok=True)
        who = {"console": result.console_email, "portal": result.portal_email}
        (args.keep / "shots.json").write_text(json.dumps(who))
        store = open_store(settings, clock=ShiftableClock())
        server = LocalServer(AccordApp(store, settings), "127.0.0.1", port)
        server.start()
    return server, result.base_url, result.console_email, result.portal_email


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "screenshots")
    parser.add_argument("--all", action="store_true", help="every page, both languages, phone")
    parser.add_argument("--keep", type=Path, help="keep the demo's data in this folder")
    parser.add_argument("--data", type=Path, help="serve a copy of data kept with --keep")
    parser.add_argument("--port", type=int, help="serve on this port (links show it)")
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="PATH",
        help="with --all: only these console/portal pages "
        "(a path ending in / takes the detail page under it)",
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="accord-shots-"))
    os.environ["ACCORD_DATA_DIR"] = str(work)
    os.environ.pop("ACCORD_DATABASE_URL", None)

    from playwright.sync_api import sync_playwright

    from accord.demo.cast import CONSOLE_PASSWORD

    server, base, console_email, portal_email = _start(args, work)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"], headless=True
            )
            shots = [
                ("console", console_email, "en-US", DESKTOP, ["/console"], "en"),
                ("console", console_email, "zh-CN", PHONE, ["/console"], "zh-phone"),
                ("portal", portal_email, "en-US", DESKTOP, ["/portal"], "en"),
                ("portal", portal_email, "zh-CN", PHONE, ["/portal"], "zh-phone"),
            ]
            if args.all:
                shots = []
                for who, email, pages, details in (
                    ("console", console_email, CONSOLE_PAGES, CONSOLE_DETAILS),
                    ("portal", portal_email, PORTAL_PAGES, PORTAL_DETAILS),
                ):
                    context, page = _sign_in(
                        browser, base, email, CONSOLE_PASSWORD, "en-US", DESKTOP
                    )
                    found = [_first_link(page, base, *pair) for pair in details]
                    context.close()
                    pages = pages + [p for p in found if p]
                    if args.only:
                        pages = [
                            p for p in pages
                            if p in args.only
                            or any(o.endswith("/") and p.startswith(o) for o in args.only)
                        ]  # fmt: skip
                        if not pages:
                            continue
                    for locale, tag in (("en-US", "en"), ("zh-CN", "zh")):
                        shots.append((who, email, locale, DESKTOP, pages, tag))
                        shots.append((who, email, locale, PHONE, pages, f"{tag}-phone"))
                for locale, tag in (("en-US", "en"), ("zh-CN", "zh")):
                    for viewport, suffix in ((DESKTOP, ""), (PHONE, "-phone")):
                        if args.only:
                            break
                        context = browser.new_context(locale=locale, viewport=viewport)
                        page = context.new_page()
                        for path in SIGNED_OUT_PAGES:
                            page.goto(base + path)
                            page.wait_for_load_state("networkidle")
                            name = path.strip("/").replace("/", "-")
                            target = args.out / f"{name}-{tag}{suffix}.png"
                            page.screenshot(path=str(target), full_page=True)
                            print(target)
                        context.close()
            for who, email, locale, viewport, pages, tag in shots:
                context, page = _sign_in(browser, base, email, CONSOLE_PASSWORD, locale, viewport)
                for path in pages:
                    page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    name = re.sub(r"[^A-Za-z0-9_-]", "-", path.strip("/")) or who
                    if name == who:
                        name = f"{who}-{'dashboard' if who == 'console' else 'home'}"
                    target = args.out / f"{name}-{tag}.png"
                    page.screenshot(path=str(target), full_page=True)
                    width = page.evaluate("document.documentElement.scrollWidth")
                    flag = "  <-- wider than the screen" if width > viewport["width"] else ""
                    print(f"{target} ({width}px wide){flag}")
                context.close()
            browser.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
