"""The main journeys of both sides, in Chromium against the real server:

- a program manager signs in, looks at the dashboard, approves commissions, reverses one
  and runs a payout;
- a partner signs up, applies, is approved by the manager, makes a link, and after a click
  through /c/ and a conversion through the API, sees the earning and why.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from accord.commissions.service import lock_due
from accord.demo.run import LocalServer
from accord.ids import short_code
from accord.programs.service import update_program
from accord.server import AccordApp
from accord.settings import Settings
from accord.tenancy.service import create_user
from tests.factories import add_partner, click, convert, free_port, make_brand

PASSWORD = "correct horse battery"


@pytest.fixture
def live(store):
    """A brand with a listed program, its manager, and the app served on localhost."""
    brand = make_brand(store, locking_days=0)
    update_program(
        store, brand.caller, brand.program_id, {"listed": True, "description": "Trail gear."}
    )
    email = f"pm-{short_code(8).lower()}@brand.example"
    create_user(store, brand.caller.organization_id, email, PASSWORD)
    server = LocalServer(AccordApp(store, Settings()), "127.0.0.1", free_port())
    server.start()
    try:
        yield brand, email, server.base_url
    finally:
        server.stop()


UNLABELLED = """() => Array.from(document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button, a[href]'))
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.textContent.trim() && !el.getAttribute('placeholder'))
  .map(el => el.outerHTML.slice(0, 80))"""


def check_page(page, name: str, width: int) -> None:
    """Nothing wider than the screen, every control named for a screen reader, and the
    first Tab lands on the skip link (keyboard users start there)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    assert page.evaluate(UNLABELLED) == [], name
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip", name


def sign_in(page, base: str, email: str, next_path: str = "/console") -> None:
    page.goto(f"{base}/console/login?next={next_path}")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state("networkidle")


def test_a_manager_approves_reverses_and_pays_in_the_console(chromium, store, live):
    brand, email, base = live
    partner = add_partner(brand)
    orders = [
        convert(brand, order_id=f"ORD-{i}", amount=amount, click_id=click(brand, partner))
        for i, amount in enumerate(("200.00", "150.00", "90.00"), 1)
    ]
    lock_due(store, brand.caller, brand.program_id)
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, base, email)
    page.wait_for_selector("#trend canvas")
    assert "3" in page.get_by_text("commissions to approve").locator("..").inner_text()

    # approve two of the three locked commissions
    page.get_by_role("link", name="Commissions").click()
    page.select_option("select[name=status]", "locked")
    page.wait_for_url(re.compile(r"status=locked"))
    approve = page.locator("button[data-count-label]")
    assert approve.inner_text() == "Approve 0 selected" and approve.is_disabled()
    page.get_by_label("Select all on this page").first.check()
    assert approve.inner_text() == "Approve 3 selected"
    page.get_by_label("Select ORD-3").uncheck()  # two of the three
    assert approve.inner_text() == "Approve 2 selected" and approve.is_enabled()
    approve.click()
    assert page.get_by_role("status").inner_text() == (
        "Approved 2 commissions; their money is now payable."
    )

    # reverse the third order in part, with a reason
    page.goto(f"{base}/console/conversions?program={brand.program_id}&q=ORD-3")
    page.get_by_role("link", name="ORD-3").click()
    page.fill("input[name=amount]", "40.00")
    page.select_option("select[name=reason_code]", "returned")
    page.fill("input[name=note]", "one jacket back")
    page.get_by_role("button", name="Reverse").click()
    assert "Reversed." in page.get_by_role("status").inner_text()
    assert "$5.00" in page.inner_text("main")  # 10% of the 50.00 left

    # run a payout of what was approved: 20.00 + 15.00
    page.get_by_role("link", name="Payouts").click()
    assert "$35.00" in page.inner_text("main")
    page.get_by_role("link", name="Preview the next batch").click()  # who, how much, how
    preview = page.inner_text("main")
    # this partner gave no payout method: held back, unless the manager pays it by hand
    assert "1 partner is held back: no payout details" in preview
    page.get_by_role("link", name=re.compile("^Pay them by hand in this batch")).click()
    preview = page.inner_text("main")
    assert "Nothing is paid until you confirm below. 1 partner would be paid" in preview
    assert "none: by hand" in preview
    page.get_by_role("button", name=re.compile(r"^Pay 1 partner · \$35\.00$")).click()
    page.wait_for_url(re.compile(r"/console/jobs/job_"))  # a job, with a progress bar
    assert re.search(r"Payout batch \S+ is done\.", page.get_by_role("status").inner_text())
    page.goto(f"{base}/console/payouts?program={brand.program_id}")
    statement = page.get_by_role("link", name=re.compile("^Statement for")).first
    assert statement.get_attribute("href").endswith("/statement.pdf")
    for section in ("", "/partners", "/contracts", "/links", "/conversions", "/commissions",
                    "/payouts", "/settings", "/api-keys", "/rejected", "/imports"):  # fmt: skip
        page.goto(f"{base}/console{section}?program={brand.program_id}")
        check_page(page, section, 1280)
    context.close()
    assert orders[2].commission_ids


def test_a_partner_signs_up_gets_approved_links_and_sees_an_earning(chromium, store, live):
    brand, manager_email, base = live
    partner_email = f"lena-{short_code(8).lower()}@partner.example"
    partner_context = chromium.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    portal = partner_context.new_page()
    portal.goto(f"{base}/console/login")
    portal.get_by_role("link", name="Sign up as a partner").click()
    portal.fill("input[name=name]", "Lena Trail Reviews")
    portal.fill("input[name=email]", partner_email)
    portal.fill("input[name=password]", PASSWORD)
    portal.select_option("select[name=partner_type]", "content")
    portal.fill("input[name=website]", "https://lena-trails.example")
    portal.get_by_role("button", name="Create my account").click()
    assert "Your account is ready" in portal.get_by_role("status").inner_text()
    ours = portal.locator(f"#p-{brand.program_id}")  # other tests' programs are listed too
    ours.locator("textarea[name=note]").fill("Trail reviews, 30k readers.")
    ours.get_by_role("button", name="Apply to Test program").click()
    assert "Application sent" in portal.get_by_role("status").inner_text()

    # the manager approves the application from the partner's profile
    manager_context = chromium.new_context(viewport={"width": 1280, "height": 900})
    console = manager_context.new_page()
    sign_in(console, base, manager_email)
    console.goto(f"{base}/console?program={brand.program_id}")
    console.get_by_role("link", name="partner applications waiting").click()
    console.get_by_role("link", name="Lena Trail Reviews").click()
    assert "Trail reviews, 30k readers." in console.inner_text("main")
    console.get_by_role("button", name="Approve").click()
    console.wait_for_selector(".status.approved")
    manager_context.close()

    # the partner makes a deep link with sub-ids
    portal.get_by_role("link", name="Links and codes").click()
    portal.get_by_role("button", name="Make link").click()
    assert "is ready" in portal.get_by_role("status").inner_text()
    portal.fill("input[name=url]", "/tents/alpine-2")
    portal.fill("input[name=sub1]", "newsletter")
    portal.get_by_role("button", name="Build URL").click()
    url = portal.inner_text("#built-url")
    assert url.startswith(f"{base}/c/") and "sub1=newsletter" in url
    assert portal.evaluate("document.documentElement.scrollWidth") <= 390

    # a shopper clicks it and buys; the brand reports the order with the click id
    landed = httpx.get(url, follow_redirects=False)
    assert landed.status_code == 302
    location = landed.headers["location"]
    assert location.startswith("https://brand.example/tents/alpine-2")
    click_id = parse_qs(urlsplit(location).query)["accord_click"][0]
    store_settle = httpx.post(
        f"{base}/api/v1/conversions",
        headers={"authorization": f"Bearer {brand.api_key}"},
        json={
            "program_id": brand.program_id,
            "order_id": "TRAIL-1",
            "amount": "250.00",
            "currency": "USD",
            "click_id": click_id,
        },
    )
    if store_settle.status_code == 422 and "click" in store_settle.text:
        pytest.fail(f"the click was not recorded in time: {store_settle.text}")
    assert store_settle.status_code == 201, store_settle.text

    portal.get_by_role("link", name="Home").click()
    portal.wait_for_selector("#trend canvas")
    assert "$25.00" in portal.inner_text(".tiles")  # 10% of 250.00, pending
    portal.get_by_role("link", name="Earnings", exact=True).click()
    portal.get_by_role("link", name="Why?").first.click()
    assert "250.00 x 10% = 25.00 USD" in portal.inner_text("main")
    for section in (
        "",
        "/programs",
        "/contract",
        "/links",
        "/commissions",
        "/payouts",
        "/settings",
    ):
        portal.goto(f"{base}/portal{section}")
        check_page(portal, section, 390)
    partner_context.close()
