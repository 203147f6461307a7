"""Finding a conversion in the console: by part of its order id, its customer, its partner's
name, its promo code or a sub-id of its click, within dates, newest first, and exporting
what was found."""

from __future__ import annotations

from datetime import timedelta

from accord.tenancy.service import create_user
from accord.tracking.model import new_click_id
from accord.tracking.service import click_row, create_promo_code, link_target, record_clicks
from tests.factories import add_partner, click, convert, make_brand
from tests.web.conftest import PASSWORD, sign_in, unique_email


def _click_with_sub(brand, partner, sub: str) -> str:
    with brand.store.read() as session:
        target = link_target(session, partner.link_code)
    click_id = new_click_id()
    row = click_row(target, click_id, brand.store.clock.now(), "203.0.113.9", "pytest", None,
                    subs={"sub2": sub})  # fmt: skip
    record_clicks(brand.store, [row])
    return click_id


def _orders(html: str) -> list[str]:
    return [part.split("<", 1)[0] for part in html.split('">ORD-')[1:]]


def test_a_manager_finds_conversions_by_any_part_and_dates(client, store):
    brand = make_brand(store)
    email = unique_email("pm")
    create_user(store, brand.caller.organization_id, email, PASSWORD)
    reviews = add_partner(brand, name="Lena Travel Reviews")
    coupons = add_partner(brand, partner_type="coupon")
    create_promo_code(store, brand.caller, brand.program_id, "WINTER25", partner_id=coupons.id)
    convert(brand, order_id="ORD-1001", customer_id="cust-ana", click_id=click(brand, reviews))
    store.clock.advance(timedelta(days=2))
    convert(brand, order_id="ORD-1002", promo_code="winter25")
    store.clock.advance(timedelta(days=2))
    convert(brand, order_id="ORD-2003", click_id=_click_with_sub(brand, reviews, "newsletter-dec"))
    sign_in(client, email)
    url = f"/console/conversions?program={brand.program_id}"

    assert _orders(client.get(url).text) == ["2003", "1002", "1001"]  # newest first
    assert _orders(client.get(f"{url}&q=100").text) == ["1002", "1001"]
    assert _orders(client.get(f"{url}&q=cust-an").text) == ["1001"]
    assert _orders(client.get(f"{url}&q=travel rev").text) == ["2003", "1001"]
    assert _orders(client.get(f"{url}&q=WINTER").text) == ["1002"]
    assert _orders(client.get(f"{url}&q=letter-de").text) == ["2003"]
    today = store.clock.now().date()
    first_day = (today - timedelta(days=4)).isoformat()
    middle = (today - timedelta(days=2)).isoformat()
    assert _orders(client.get(f"{url}&since={middle}").text) == ["2003", "1002"]
    assert _orders(client.get(f"{url}&until={middle}").text) == ["1002", "1001"]  # whole day
    assert _orders(client.get(f"{url}&since={first_day}&until={first_day}").text) == ["1001"]
    wrong = client.get(f"{url}&since=yesterday")
    assert wrong.status_code == 422 and "such as 2026-12-01" in wrong.text

    csv = client.get(f"/console/conversions.csv?program={brand.program_id}&q=travel")
    lines = csv.text.splitlines()
    assert len(lines) == 3 and "ORD-2003" in lines[1] and "ORD-1001" in lines[2]


def test_the_search_never_reaches_another_brands_conversions(client, store, manager):
    other = make_brand(store)
    convert(other, order_id="ORD-THEIRS-1", customer_id="cust-shared")
    brand, user = manager
    convert(brand, order_id="ORD-MINE-1", customer_id="cust-shared")
    sign_in(client, user.email)
    found = client.get(f"/console/conversions?program={brand.program_id}&q=cust-shared")
    assert "ORD-MINE-1" in found.text and "ORD-THEIRS-1" not in found.text
    theirs = client.get(f"/console/conversions?program={other.program_id}&q=cust-shared")
    assert "ORD-THEIRS-1" not in theirs.text
