"""A program manager signs in to the console in Chromium and sees the dashboard's chart."""

from __future__ import annotations

from accord.demo.run import LocalServer
from accord.ids import short_code
from accord.server import AccordApp
from accord.settings import Settings
from accord.tenancy.service import create_user
from tests.factories import add_partner, click, convert, free_port, make_brand


def test_a_manager_signs_in_and_sees_figures_and_the_chart_in_both_languages(
    chromium, store, tmp_path
):
    brand = make_brand(store)
    email = f"pm-{short_code(8).lower()}@brand.example"
    create_user(store, brand.caller.organization_id, email, "correct horse battery")
    partner = add_partner(brand)
    convert(brand, amount="120.00", click_id=click(brand, partner))
    server = LocalServer(AccordApp(store, Settings()), "127.0.0.1", free_port())
    server.start()
    try:
        for locale, heading in (("en-US", "Needs attention"), ("zh-CN", "待处理")):
            context = chromium.new_context(locale=locale, viewport={"width": 390, "height": 844})
            page = context.new_page()
            page.goto(f"{server.base_url}/console")
            assert "/console/login" in page.url
            page.fill("input[name=email]", email)
            page.fill("input[name=password]", "correct horse battery")
            page.press("input[name=password]", "Enter")
            page.wait_for_selector("#trend canvas")
            assert page.get_by_role("heading", name=heading).is_visible()
            assert "12.00" in page.inner_text(".tiles")  # 10% of 120.00
            # a phone's width: nothing wider than the screen but the tables' own scroll
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, width
            page.screenshot(path=str(tmp_path / f"dashboard-{locale}.png"), full_page=True)
            for section in ("partners", "conversions", "commissions", "payouts"):
                page.goto(f"{server.base_url}/console/{section}")
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= 390, (section, width)
            context.close()
    finally:
        server.stop()
