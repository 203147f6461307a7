"""The alerts page in Chromium: the forecast chart draws, nothing is wider than a phone,
in English and Chinese. Screenshots go to tmp (or $ACCORD_SHOTS to look at them)."""

from __future__ import annotations

import os
from pathlib import Path

from accord.demo.run import LocalServer
from accord.monitoring.service import scan
from accord.server import AccordApp
from accord.settings import Settings
from tests.factories import free_port


def test_the_alerts_page_on_a_phone_and_a_desk_in_both_languages(
    chromium,
    world,
    tmp_path,
):
    b = world.brand
    scan(b.store, b.caller, b.program_id)
    shots = Path(os.environ.get("ACCORD_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    server = LocalServer(AccordApp(b.store, Settings()), "127.0.0.1", free_port())
    server.start()
    try:
        for locale, heading in (("en-US", "Unusual days"), ("zh-CN", "异常的日子")):
            for width in (1360, 390):
                context = chromium.new_context(
                    locale=locale, viewport={"width": width, "height": 900}
                )
                page = context.new_page()
                page.goto(f"{server.base_url}/console/reports/alerts?program={b.program_id}")
                page.fill("input[name=email]", world.owner_email)
                page.fill("input[name=password]", "a long password 1")
                page.press("input[name=password]", "Enter")
                page.wait_for_selector("#forecast canvas")
                assert page.get_by_role("heading", name=heading).is_visible()
                scroll = page.evaluate("document.documentElement.scrollWidth")
                assert scroll <= width, (locale, width, scroll)
                page.screenshot(path=str(shots / f"alerts-{locale}-{width}.png"), full_page=True)
                context.close()
    finally:
        server.stop()
