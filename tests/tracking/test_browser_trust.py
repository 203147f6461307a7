"""Browser events are low-trust: no key is needed to send one, so none becomes payable money
on its own word. Off by default; held until the brand's server confirms; or signed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accord.conversions.browser import sign
from accord.conversions.model import ConversionReport
from tests.tracking.conftest import click_through

SITE = {"origin": "https://brand.example"}


def _settings(client, brand, **changes):
    response = client.patch(f"/api/v1/programs/{brand.program_id}", json=changes)
    assert response.status_code == 200, response.text
    return response.json()


def _sale(brand, click_id, order_id="WEB-1", amount="9999.99", **extra):
    return {
        "program_id": brand.program_id,
        "event_type": "sale",
        "order_id": order_id,
        "amount": amount,
        "currency": "USD",
        "click_id": click_id,
        **extra,
    }


def _commissions(client, brand):
    return client.get(f"/api/v1/commissions?program_id={brand.program_id}").json()["data"]


def _lock_and_approve(client, brand, clock):
    clock.advance(timedelta(days=40))
    locked = client.post("/api/v1/commissions/lock", json={"program_id": brand.program_id})
    approved = client.post("/api/v1/commissions/approve", json={"program_id": brand.program_id})
    return locked.json()["count"], approved.json()


def test_a_new_program_refuses_browser_events_and_keeps_them(api):
    brand, partner, client = api
    program = client.get(f"/api/v1/programs/{brand.program_id}").json()
    assert program["browser_events"] == "off"
    forged = _sale(brand, click_through(client, partner))
    response = client.post("/t/events", json=forged, headers=SITE)
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["field"] == "browser_events"
    assert _commissions(client, brand) == []
    kept = client.get("/api/v1/rejected-events").json()["data"]
    assert [r["id"] for r in kept] == [error["rejected_event_id"]]
    pixel = client.get(
        "/t/pixel.gif",
        params={**forged, "order_id": "WEB-2"},
        headers={"referer": "https://brand.example/thanks"},
    )
    assert pixel.headers["x-accord-result"] == "rejected: forbidden"


def test_a_held_browser_sale_never_becomes_payable_until_the_server_confirms_it(api, clock):
    brand, partner, client = api
    _settings(client, brand, browser_events="held")
    forged = _sale(brand, click_through(client, partner))
    response = client.post("/t/events", json=forged, headers=SITE)
    assert response.status_code == 201, response.text
    assert response.json()["confirmation"] == "awaiting"
    [commission] = _commissions(client, brand)
    assert commission["status"] == "pending"
    assert commission["hold_reason"] == "awaiting_confirmation"
    locked, _ = _lock_and_approve(client, brand, clock)
    assert locked == 0
    [commission] = _commissions(client, brand)
    assert commission["status"] == "pending"
    summary = client.get(f"/api/v1/programs/{brand.program_id}/summary").json()
    assert summary["payable"] == "0.00" and all(summary["checks"].values())

    # The order really was 100.00: the brand's server says so, the rest is reversed.
    confirmed = client.post(
        f"/api/v1/conversions/{response.json()['id']}/confirm", json={"amount": "100.00"}
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["confirmation"] == "confirmed"
    assert confirmed.json()["amount"] == {"amount": "100.00", "currency": "USD"}
    [commission] = _commissions(client, brand)
    assert commission["hold_reason"] is None
    assert commission["amount"]["amount"] == "10.00"  # 10% of a new customer's 100.00
    locked, approved = _lock_and_approve(client, brand, clock)
    assert locked == 1 and approved["ids"] == [commission["id"]]
    assert [c["status"] for c in _commissions(client, brand)] == ["approved"]


def test_a_confirmation_cannot_raise_the_amount_nor_confirm_a_server_order(api):
    brand, partner, client = api
    _settings(client, brand, browser_events="held")
    sent = client.post("/t/events", json=_sale(brand, click_through(client, partner)), headers=SITE)
    too_much = client.post(
        f"/api/v1/conversions/{sent.json()['id']}/confirm", json={"amount": "10000.00"}
    )
    assert too_much.status_code == 422 and too_much.json()["error"]["field"] == "amount"
    fraction = client.post(
        f"/api/v1/conversions/{sent.json()['id']}/confirm", json={"amount": "10.001"}
    )
    assert fraction.status_code == 422 and fraction.json()["error"]["field"] == "amount"
    server = client.post(
        "/api/v1/conversions",
        json=_sale(brand, None, order_id="S2S-1", amount="10.00"),
    )
    refused = client.post(f"/api/v1/conversions/{server.json()['id']}/confirm")
    assert refused.status_code == 409


def test_the_same_order_from_the_server_confirms_it_and_a_different_amount_is_refused(api):
    brand, partner, client = api
    _settings(client, brand, browser_events="held")
    click_id = click_through(client, partner)
    browser = client.post(
        "/t/events", json=_sale(brand, click_id, order_id="B-1", amount="50.00"), headers=SITE
    )
    assert browser.status_code == 201
    other = client.post(
        "/t/events", json=_sale(brand, click_id, order_id="B-2", amount="80.00"), headers=SITE
    )
    # The server reports B-1 as it was, without the click id the browser had: confirmed.
    same = client.post("/api/v1/conversions", json=_sale(brand, None, "B-1", "50.00"))
    assert same.status_code == 200, same.text
    assert same.json()["id"] == browser.json()["id"]
    # The server says B-2 was 8.00, not 80.00: refused, naming the amount and the way out.
    differs = client.post("/api/v1/conversions", json=_sale(brand, None, "B-2", "8.00"))
    assert differs.status_code == 409
    assert differs.json()["error"]["field"] == "amount"
    assert f"/conversions/{other.json()['id']}/confirm" in differs.json()["error"]["message"]
    holds = {c["conversion_id"]: c["hold_reason"] for c in _commissions(client, brand)}
    assert holds == {browser.json()["id"]: None, other.json()["id"]: "awaiting_confirmation"}


def test_a_back_dated_browser_event_is_refused(api, clock):
    brand, partner, client = api
    _settings(client, brand, browser_events="held")
    months_ago = (clock.now() - timedelta(days=90)).isoformat()
    response = client.post(
        "/t/events",
        json=_sale(brand, click_through(client, partner), occurred_at=months_ago),
        headers=SITE,
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "occurred_at"
    assert _commissions(client, brand) == []
    recent = (clock.now() - timedelta(minutes=30)).isoformat()
    ok = client.post(
        "/t/events",
        json=_sale(brand, click_through(client, partner), "WEB-9", occurred_at=recent),
        headers=SITE,
    )
    assert ok.status_code == 201, ok.text


@pytest.mark.parametrize("mode", ["held", "signed"])
def test_a_signed_event_earns_as_the_servers_word_and_a_forged_token_is_refused(api, mode):
    brand, partner, client = api
    _settings(client, brand, browser_events=mode)
    made = client.post(f"/api/v1/programs/{brand.program_id}/browser-signing-key")
    assert made.status_code == 201
    key = made.json()["secret"]
    assert client.get(f"/api/v1/programs/{brand.program_id}").json()["browser_signing_key_set"]
    order = _sale(brand, click_through(client, partner), "SIGNED-1", "120.00")
    token = sign(key, ConversionReport.model_validate(order))
    forged = client.post(
        "/t/events", json={**order, "amount": "1200.00", "token": token}, headers=SITE
    )
    assert forged.status_code == 403 and forged.json()["error"]["field"] == "token"
    signed = client.post("/t/events", json={**order, "token": token}, headers=SITE)
    assert signed.status_code == 201, signed.text
    assert signed.json()["confirmation"] == "signed"
    [commission] = _commissions(client, brand)
    assert commission["hold_reason"] is None and commission["amount"]["amount"] == "12.00"
    unsigned = client.post(
        "/t/events", json=_sale(brand, order["click_id"], "SIGNED-2", "5.00"), headers=SITE
    )
    if mode == "signed":
        assert unsigned.status_code == 403 and unsigned.json()["error"]["field"] == "token"
    else:
        assert unsigned.json()["confirmation"] == "awaiting"


def test_the_signing_key_is_the_brands_alone(api, store):
    brand, partner, client = api
    as_partner = client.post(
        f"/api/v1/programs/{brand.program_id}/browser-signing-key",
        headers={"authorization": f"Bearer {partner.api_key}"},
    )
    assert as_partner.status_code in (403, 404)
    anonymous = client.post(
        f"/api/v1/programs/{brand.program_id}/browser-signing-key",
        headers={"authorization": ""},
    )
    assert anonymous.status_code == 401
