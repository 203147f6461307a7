"""The click endpoint, GET /c/{code}, as a shopper's browser and the brand's shop see it."""

from __future__ import annotations

import warnings
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from accord.server import AccordApp
from accord.settings import Settings
from accord.tracking.tables import Click
from tests.api.support import Api, click_through, error_of, sale
from tests.factories import add_partner, make_brand

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


def test_a_click_redirects_302_to_the_destination_with_a_click_id_and_no_store(api, brand):
    partner = add_partner(brand)

    response, click_id = click_through(api.client, partner.link_code)

    location = urlsplit(response.headers["location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "brand.example", "/")
    assert parse_qs(location.query) == {"accord_click": [click_id]}
    assert click_id.startswith("clk_")
    assert response.headers["cache-control"] == "no-store"


def test_each_click_gets_its_own_click_id(api, brand):
    partner = add_partner(brand)

    ids = {click_through(api.client, partner.link_code)[1] for _ in range(5)}

    assert len(ids) == 5


def test_the_click_is_stored_for_the_links_partner_after_a_flush(app, api, brand, store):
    partner = add_partner(brand)
    _, click_id = click_through(api.client, partner.link_code)

    app.recorder.flush()

    with store.read() as session:
        row = session.scalar(select(Click).where(Click.id == click_id))
    assert row is not None
    assert (row.program_id, row.partner_id) == (brand.program_id, partner.id)
    assert row.at == store.clock.now()
    assert api.summary(brand.program_id)["clicks"] == 1


def test_an_unknown_link_code_is_404_json(api):
    error = error_of(api.client.get("/c/no-such-code-here"), 404)

    assert error["code"] == "not_found"


def test_a_post_to_a_tracking_link_is_405_and_records_nothing(app, api, brand):
    partner = add_partner(brand)

    response = api.client.post(f"/c/{partner.link_code}")

    error = error_of(response, 405)
    assert error["code"] == "method_not_allowed"
    assert "GET" in response.headers["allow"]
    app.recorder.flush()
    assert api.summary(brand.program_id)["clicks"] == 0


def test_a_conversion_with_the_click_id_is_attributed_to_the_links_partner(api, brand):
    partner = add_partner(brand)
    add_partner(brand)  # another partner of the program, who must not get the credit
    _, click_id = click_through(api.client, partner.link_code)

    # no explicit flush: the API must find a click the edge answered a moment ago
    response = api.post("/conversions", sale(brand.program_id, amount="250.00", click_id=click_id))

    assert response.status_code == 201, response.text
    conversion = response.json()
    assert conversion["status"] == "attributed"
    assert conversion["partner_id"] == partner.id
    assert conversion["click_id"] == click_id
    assert conversion["attribution_reason"] == "last_click_in_window"
    [commission] = conversion["commissions"]
    assert commission["partner_id"] == partner.id
    assert commission["status"] == "pending"
    assert commission["amount"] == {"amount": "25.00", "currency": "USD"}  # 10%, new customer


def test_a_link_created_over_the_api_after_start_redirects_to_its_own_destination(api, brand):
    partner = add_partner(brand)
    created = api.post(
        "/links",
        {
            "program_id": brand.program_id,
            "partner_id": partner.id,
            "destination_url": "https://brand.example/boots?color=red&accord_click=stale",
        },
    )
    assert created.status_code == 201, created.text
    link = created.json()
    assert link["url"].endswith(f"/c/{link['code']}")

    response, click_id = click_through(api.client, link["code"])

    location = urlsplit(response.headers["location"])
    assert location.path == "/boots"
    assert parse_qs(location.query) == {"color": ["red"], "accord_click": [click_id]}


def test_links_existing_at_start_are_served_from_the_warmed_cache(store):
    brand = make_brand(store)
    partner = add_partner(brand)
    app = AccordApp(store, Settings())

    with TestClient(app, follow_redirects=False) as client:
        assert partner.link_code in app.edge._links
        _, click_id = click_through(client, partner.link_code)
        app.recorder.flush()
        recorded = Api(client, brand.api_key).post(
            "/conversions", sale(brand.program_id, click_id=click_id)
        )

    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["partner_id"] == partner.id


def test_clicks_buffered_at_shutdown_are_written(store):
    brand = make_brand(store)
    partner = add_partner(brand)
    settings = Settings(click_flush_interval_ms=10_000)  # the writer thread will not run
    app = AccordApp(store, settings)

    with TestClient(app, follow_redirects=False) as client:
        _, click_id = click_through(client, partner.link_code)

    with store.read() as session:
        assert session.scalar(select(Click.id).where(Click.id == click_id)) == click_id
