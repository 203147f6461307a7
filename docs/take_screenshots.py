"""Take the README's screenshots from the demo's data with Chromium (headless).

    .venv/bin/python docs/take_screenshots.py [--out docs/screenshots] [--all]

Runs a small demo in a temporary folder, signs in as its program manager and as its top
partner, and saves the console's and the portal's pages. `--all` also saves every page in
both languages at desktop and phone widths, to look at by eye before a release.
"""

from __future__ import annotations

import argparse
import os
import socket
import tempfile
from pathlib import Path

CHROMIUM = os.environ.get("ACCORD_CHROMIUM", "/usr/bin/chromium")
DESKTOP = {"width": 1360, "height": 900}
PHONE = {"width": 390, "height": 844}
CONSOLE_PAGES = [
    "/console",
    "/console/partners",
    "/console/contracts",
    "/console/links",
    "/console/conversions",
    "/console/commissions",
    "/console/payouts",
    "/console/settings",
    "/console/api-keys",
    "/console/rejected",
]
PORTAL_PAGES = [
    "/portal",
    "/portal/programs",
    "/portal/contract",
    "/portal/links",
    "/portal/commissions",
    "/portal/payouts",
    "/portal/settings",
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "screenshots")
    parser.add_argument("--all", action="store_true", help="every page, both languages, phone")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="accord-shots-"))
    os.environ["ACCORD_DATA_DIR"] = str(work)
    os.environ.pop("ACCORD_DATABASE_URL", None)

    from playwright.sync_api import sync_playwright

    from accord.clock import ShiftableClock
    from accord.demo.cast import CONSOLE_PASSWORD
    from accord.demo.run import run_demo
    from accord.settings import Settings
    from accord.store.engine import open_store

    settings = Settings(data_dir=work, database_url=None)
    store = open_store(settings, clock=ShiftableClock())
    port = _port()
    result, server = run_demo(store, settings, scale=0.2, port=port)
    base = result.base_url
    print(f"demo ready on {base} in {result.wall_seconds:.1f}s")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"], headless=True
            )
            shots = [
                ("console", result.console_email, "en-US", DESKTOP, ["/console"], "en"),
                ("console", result.console_email, "zh-CN", PHONE, ["/console"], "zh-phone"),
                ("portal", result.portal_email, "en-US", DESKTOP, ["/portal"], "en"),
                ("portal", result.portal_email, "zh-CN", PHONE, ["/portal"], "zh-phone"),
            ]
            if args.all:
                for who, email, pages in (
                    ("console", result.console_email, CONSOLE_PAGES),
                    ("portal", result.portal_email, PORTAL_PAGES),
                ):
                    for locale, tag in (("en-US", "en"), ("zh-CN", "zh")):
                        shots.append((who, email, locale, DESKTOP, pages, tag))
                        shots.append((who, email, locale, PHONE, pages, f"{tag}-phone"))
            for who, email, locale, viewport, pages, tag in shots:
                context, page = _sign_in(browser, base, email, CONSOLE_PASSWORD, locale, viewport)
                for path in pages:
                    page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    name = path.strip("/").replace("/", "-") or who
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
