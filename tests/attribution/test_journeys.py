"""Journeys: every conversion keeps the touchpoints that led to it within the window, in
order, with partner and partner type and which one won the credit; brands read them one at a
time through the API and a program's at once, in pages, for the models."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from accord.attribution import service as attribution
from accord.attribution.tables import Journey
from accord.conversions import service as conversions
from accord.conversions.model import ConversionReport
from accord.conversions.tables import Conversion
from accord.errors import InvalidInput, NotFound
from accord.server import AccordApp
from accord.settings import Settings
from accord.tracking.model import new_click_id
from accord.tracking.service import create_promo_code, impression_row, link_target, record_events
from tests.factories import add_partner, click, convert, make_brand

SHOPPER = {"ip": "198.51.100.40", "user_agent": "Mozilla/5.0 (iPhone) Safari/604.1"}


def _seen(store, partner, hours_ago: float) -> str:
    with store.read() as session:
        target = link_target(session, partner.link_code)
    impression_id = new_click_id().replace("clk_", "imp_")
    at = store.clock.now() - timedelta(hours=hours_ago)
    row = impression_row(target, impression_id, at, SHOPPER["ip"], SHOPPER["user_agent"], None)
    record_events(store, [("impression", row)])
    return impression_id


@pytest.fixture
def shop(store):
    """A customer's month: a content site's click, then a coupon site's click, a banner seen
    an hour before the order, and a cashback partner's code used on it; then an app order on
    the same phone, and one more order six weeks later."""
    brand = make_brand(store)
    content = add_partner(brand, partner_type="content")
    coupon = add_partner(brand, partner_type="coupon")
    banner = add_partner(brand, partner_type="influencer")
    cashback = add_partner(brand, partner_type="cashback")
    create_promo_code(store, brand.caller, brand.program_id, "SAVE10", partner_id=cashback.id)
    start = store.clock.now()
    first_click = click(brand, content)
    first = convert(brand, "ORD-1", customer_id="cust-1", click_id=first_click).conversion
    store.clock.advance(timedelta(days=3))
    coupon_click = click(brand, coupon)
    store.clock.advance(timedelta(days=2))
    impression = _seen(store, banner, hours_ago=1)
    second = convert(
        brand,
        "ORD-2",
        customer_id="cust-1",
        click_id=coupon_click,
        promo_code="save10",
        device={"gaid": "38400000-8cf0-11bd-b23e-10b96e40000d"},
        **SHOPPER,
    ).conversion
    store.clock.advance(timedelta(days=1))
    app = convert(
        brand, "ORD-3", device={"gaid": "38400000-8cf0-11bd-b23e-10b96e40000d"}
    ).conversion
    store.clock.advance(timedelta(days=40))
    late_click = click(brand, content)
    late = convert(brand, "ORD-4", customer_id="cust-1", click_id=late_click).conversion
    return {
        "brand": brand,
        "partners": (content, coupon, banner, cashback),
        "clicks": (first_click, coupon_click, late_click),
        "impression": impression,
        "conversions": (first, second, app, late),
        "start": start,
    }


def test_a_journey_holds_every_touchpoint_in_order_and_only_the_named_click_wins(store, shop):
    content, coupon, banner, cashback = shop["partners"]
    first_click, coupon_click, _ = shop["clicks"]
    second = shop["conversions"][1]
    assert second.partner_id == coupon.id  # as before journeys: the named click wins
    assert second.attribution_reason == "last_click_in_window"
    kept = attribution.journey(store, shop["brand"].caller, second.id)
    assert [(s.step_type, s.via, s.ref) for s in kept.steps] == [
        ("click", "customer", first_click),
        ("click", "click_id", coupon_click),
        ("impression", "shopper", shop["impression"]),
        ("promo_code", "code", "SAVE10"),
    ]
    assert kept.path == (content.id, coupon.id, banner.id, cashback.id)
    assert kept.path_types == ("content", "coupon", "influencer", "cashback")
    assert [(s.credited, s.share) for s in kept.steps] == [
        (False, None),
        (True, 1),
        (False, None),
        (False, None),
    ]
    assert kept.steps[1].link_id is not None
    assert kept.value_minor == 10000 and kept.currency == "USD"
    assert (kept.model, kept.reason) == ("last_click", "last_click_in_window")


def test_an_app_order_is_led_back_to_its_click_through_the_device_id(store, shop):
    coupon = shop["partners"][1]
    app = shop["conversions"][2]
    assert app.partner_id == coupon.id
    [step] = attribution.journey(store, shop["brand"].caller, app.id).steps
    assert (step.step_type, step.via, step.ref) == ("app_identity", "gaid", shop["clicks"][1])
    assert step.credited and step.partner_type == "coupon"


def test_touchpoints_older_than_the_window_are_not_part_of_the_journey(store, shop):
    late = shop["conversions"][3]
    steps = attribution.journey(store, shop["brand"].caller, late.id).steps
    assert [(s.ref, s.credited) for s in steps] == [(shop["clicks"][2], True)]


def test_a_programs_journeys_are_read_in_pages_oldest_first(store, shop):
    brand = shop["brand"]
    since, until = shop["start"] - timedelta(days=1), store.clock.now() + timedelta(days=1)
    page = attribution.program_journeys(
        store, brand.caller, brand.program_id, since, until, limit=3
    )
    ids = [j.conversion_id for j in page.journeys]
    assert ids == [c.id for c in shop["conversions"][:3]]
    assert page.next is not None
    rest = attribution.program_journeys(
        store, brand.caller, brand.program_id, since, until, limit=3, after=page.next
    )
    assert [j.conversion_id for j in rest.journeys] == [shop["conversions"][3].id]
    assert rest.next is None
    assert [len(j.steps) for j in page.journeys + rest.journeys] == [1, 4, 1, 1]
    assert all(j.converted for j in page.journeys)
    narrow = attribution.program_journeys(
        store, brand.caller, brand.program_id, since, shop["start"] + timedelta(days=4)
    )
    assert [j.conversion_id for j in narrow.journeys] == [shop["conversions"][0].id]
    with pytest.raises(InvalidInput, match="limit"):
        attribution.program_journeys(store, brand.caller, brand.program_id, since, until, limit=0)
    with pytest.raises(InvalidInput, match="after since"):
        attribution.program_journeys(store, brand.caller, brand.program_id, until, since)


def test_another_brand_cannot_read_a_journey(store, shop):
    other = make_brand(store)
    with pytest.raises(NotFound):
        attribution.journey(store, other.caller, shop["conversions"][1].id)
    with pytest.raises(NotFound):
        attribution.program_journeys(
            store,
            other.caller,
            shop["brand"].program_id,
            shop["start"],
            store.clock.now() + timedelta(days=1),
        )


def test_a_replayed_order_keeps_one_journey(store, shop):
    brand = shop["brand"]
    again = convert(brand, "ORD-4", customer_id="cust-1", click_id=shop["clicks"][2])
    assert not again.created
    with store.read() as session:
        kept = session.scalar(
            select(func.count()).select_from(Journey).where(Journey.program_id == brand.program_id)
        )
    assert kept == 4


def test_the_journey_is_stored_in_the_conversions_own_transaction(store, monkeypatch):
    brand = make_brand(store)
    partner = add_partner(brand)
    clicked = click(brand, partner)

    def broken(*args, **kwargs):
        raise RuntimeError("the journey could not be written")

    monkeypatch.setattr(conversions, "keep_journey", broken)
    report = ConversionReport(
        program_id=brand.program_id, order_id="TX-1", amount="10.00", currency="USD",
        click_id=clicked,
    )  # fmt: skip
    with pytest.raises(RuntimeError):
        conversions.record_conversion(store, brand.caller, report)
    with store.read() as session:
        assert session.scalar(select(Conversion).where(Conversion.order_id == "TX-1")) is None


def test_the_journey_endpoint_is_the_brands_alone(store, shop, tmp_path):
    brand = shop["brand"]
    coupon = shop["partners"][1]
    second = shop["conversions"][1]
    app = AccordApp(store, Settings(data_dir=tmp_path))
    with TestClient(app) as client:
        url = f"/api/v1/conversions/{second.id}/journey"
        response = client.get(url, headers={"authorization": f"Bearer {brand.api_key}"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["conversion_id"] == second.id
        assert body["value"] == {"amount": "100.00", "currency": "USD"}
        assert [s["type"] for s in body["steps"]] == ["click", "click", "impression", "promo_code"]
        won = [s for s in body["steps"] if s["credited"]]
        assert [(s["partner_id"], s["share"]) for s in won] == [(coupon.id, "1")]
        as_partner = client.get(url, headers={"authorization": f"Bearer {coupon.api_key}"})
        assert as_partner.status_code == 403
        other = make_brand(store)
        as_other = client.get(url, headers={"authorization": f"Bearer {other.api_key}"})
        assert as_other.status_code == 404
        unknown = client.get(
            "/api/v1/conversions/cnv_unknown/journey",
            headers={"authorization": f"Bearer {brand.api_key}"},
        )
        assert unknown.status_code == 404


def test_a_batch_keeps_the_journeys_single_requests_keep(store):
    """In a batch, journeys and impressions are read ahead once; an order earlier in the
    same batch is already part of the customer's history."""
    brand = make_brand(store)
    first, second, banner = add_partner(brand), add_partner(brand), add_partner(brand)
    first_click = click(brand, first)
    store.clock.advance(timedelta(hours=1))
    second_click = click(brand, second)
    impression = _seen(store, banner, hours_ago=0.5)
    order = {"program_id": brand.program_id, "amount": "10.00", "currency": "USD"}
    items = [
        {**order, "order_id": "B-1", "customer_id": "cust-9", "click_id": first_click},
        {**order, "order_id": "B-2", "customer_id": "cust-9", "click_id": second_click},
        {**order, "order_id": "B-3", **SHOPPER},
    ]
    out = conversions.record_batch(store, brand.caller, items, source="api")
    journeys = [attribution.journey(store, brand.caller, o.conversion.id) for o in out]
    assert [(s.ref, s.via, s.credited) for s in journeys[1].steps] == [
        (first_click, "customer", False),
        (second_click, "click_id", True),
    ]
    assert [(s.ref, s.via, s.credited) for s in journeys[2].steps] == [
        (impression, "shopper", True)
    ]
    assert out[2].conversion.attribution_reason == "view_through"
    single = convert(brand, "S-3", **SHOPPER).conversion
    same = attribution.journey(store, brand.caller, single.id)
    assert [(s.ref, s.via) for s in same.steps] == [(impression, "shopper")]
