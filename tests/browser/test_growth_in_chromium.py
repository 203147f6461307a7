"""Growth quality and partner mix in Chromium: the waterfall and the mix chart draw, the
pages fit a phone's width, in English and Chinese. Screenshots go to /tmp/growth-shots."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from accord.demo.run import LocalServer
from accord.ids import short_code
from accord.server import AccordApp
from accord.settings import Settings
from accord.tenancy.service import create_user
from tests.factories import add_partner, click, convert, free_port, make_brand

WIDEST = "document.documentElement.scrollWidth"
# what sticks out past the screen, to say so when the page is too wide
WIDE = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > innerWidth + 1 && !e.closest('.scroll'))
  .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + e.getBoundingClientRect().right)"""
SHOTS = os.environ.get("ACCORD_SHOTS", "/tmp/growth-shots")


def test_growth_and_mix_pages_draw_and_fit_a_phone(chromium, store):
    brand = make_brand(store)
    email = f"pm-{short_code(8).lower()}@brand.example"
    create_user(store, brand.caller.organization_id, email, "correct horse battery")
    partners = [add_partner(brand, partner_type=t) for t in ("coupon", "content", "influencer")]
    now = store.clock.now()
    store.clock.set(datetime(2026, 10, 5, 9, tzinfo=UTC))
    for p in partners:
        convert(brand, amount="100.00", click_id=click(brand, p), customer_status="new")
    store.clock.set(now)
    for p, amount in zip(partners, ("300.00", "150.00", "80.00"), strict=True):
        convert(brand, amount=amount, click_id=click(brand, p), customer_status="returning")
    convert(brand, amount="60.00", click_id=click(brand, partners[1]), customer_status="new")
    os.makedirs(SHOTS, exist_ok=True)
    server = LocalServer(AccordApp(store, Settings()), "127.0.0.1", free_port())
    server.start()
    query = (
        f"program={brand.program_id}&current_since=2026-11-01&current_until=2026-11-01"
        "&previous_since=2026-10-05&previous_until=2026-10-05"
    )
    try:
        for locale in ("en-US", "zh-CN"):
            for width in (1360, 390):
                context = chromium.new_context(
                    locale=locale, viewport={"width": width, "height": 900}
                )
                page = context.new_page()
                page.goto(f"{server.base_url}/console/login")
                page.fill("input[name=email]", email)
                page.fill("input[name=password]", "correct horse battery")
                page.press("input[name=password]", "Enter")
                page.wait_for_url("**/console**")
                page.goto(f"{server.base_url}/console/reports/growth?{query}")
                page.wait_for_selector("#waterfall canvas")
                page.screenshot(path=f"{SHOTS}/growth-{locale}-{width}.png", full_page=True)
                assert page.evaluate(WIDEST) <= width, page.evaluate(WIDE)
                page.goto(f"{server.base_url}/console/reports/mix?program={brand.program_id}")
                page.wait_for_selector("#mix canvas")
                page.screenshot(path=f"{SHOTS}/mix-{locale}-{width}.png", full_page=True)
                assert page.evaluate(WIDEST) <= width, page.evaluate(WIDE)
                context.close()
    finally:
        server.stop()
