"""The first-party tag's endpoints and the conversion pixel, as a browser calls them."""

from __future__ import annotations

import pytest

from tests.tracking.conftest import click_through

SITE = {"origin": "https://brand.example"}


@pytest.fixture(autouse=True)
def _browser_events_held(api):
    """These programs take browser events (held until confirmed; see test_browser_trust)."""
    brand, _, client = api
    response = client.patch(f"/api/v1/programs/{brand.program_id}", json={"browser_events": "held"})
    assert response.status_code == 200


def test_the_tag_is_served_as_javascript(api):
    _, _, client = api
    response = client.get("/accord.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    assert b"accord_click" in response.content and b"/t/events" in response.content


def test_an_event_from_the_brands_site_is_recorded_and_attributed(api):
    brand, partner, client = api
    body = {
        "program_id": brand.program_id,
        "event_type": "sale",
        "order_id": "JS-1",
        "amount": "25.00",
        "currency": "USD",
        "click_id": click_through(client, partner),
    }
    response = client.post(
        "/t/events",
        content=str(body).replace("'", '"'),
        headers={**SITE, "content-type": "text/plain"},
    )
    assert response.status_code == 201, response.text
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.json()["status"] == "attributed"
    again = client.post("/t/events", json=body, headers=SITE)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    listed = client.get(
        "/api/v1/conversions", headers={"authorization": f"Bearer {brand.api_key}"}
    ).json()
    assert [c["order_id"] for c in listed["data"]] == ["JS-1"]


def test_an_event_from_another_site_is_refused_and_kept(api):
    brand, _, client = api
    body = {"program_id": brand.program_id, "order_id": "JS-2", "amount": "5.00", "currency": "USD"}
    response = client.post("/t/events", json=body, headers={"origin": "https://evil.example"})
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["field"] == "origin" and "evil.example" in error["message"]
    rejected = client.get(
        "/api/v1/rejected-events", headers={"authorization": f"Bearer {brand.api_key}"}
    ).json()
    assert [r["id"] for r in rejected["data"]] == [error["rejected_event_id"]]


def test_the_cors_preflight_is_answered(api):
    _, _, client = api
    response = client.options(
        "/t/events", headers={**SITE, "access-control-request-method": "POST"}
    )
    assert response.status_code == 204
    assert "POST" in response.headers["access-control-allow-methods"]


def test_the_pixel_records_a_conversion_and_always_answers_an_image(api):
    brand, partner, client = api
    click_id = click_through(client, partner)
    url = (
        f"/t/pixel.gif?program_id={brand.program_id}&event=sale&order_id=PX-1"
        f"&amount=40.00&currency=USD&click_id={click_id}"
    )
    ok = client.get(url, headers={"referer": "https://brand.example/thanks"})
    assert ok.status_code == 200 and ok.content.startswith(b"GIF89a")
    assert ok.headers["x-accord-result"] == "created"
    bad = client.get(
        url.replace("40.00", "forty").replace("PX-1", "PX-2"),
        headers={"referer": "https://brand.example/thanks"},
    )
    assert bad.status_code == 200 and bad.content.startswith(b"GIF89a")
    assert bad.headers["x-accord-result"] == "rejected: invalid_input"
    conversions = client.get(
        "/api/v1/conversions", headers={"authorization": f"Bearer {brand.api_key}"}
    ).json()["data"]
    assert [(c["order_id"], c["partner_id"]) for c in conversions] == [("PX-1", partner.id)]
