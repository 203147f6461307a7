"""Conversions from every channel: forms, batches, apps and WeChat mini-programs."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from tests.tracking.conftest import click_through


def test_a_form_encoded_conversion_is_recorded_like_json(api):
    brand, partner, client = api
    click_id = click_through(client, partner)
    response = client.post(
        "/api/v1/conversions",
        data={
            "program_id": brand.program_id,
            "order_id": "F-1",
            "amount": "80.00",
            "currency": "USD",
            "click_id": click_id,
            "customer_status": "",
            "items": '[{"sku": "TENT-2", "quantity": 2, "price": "40.00"}]',
            "device.gaid": "",
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["partner_id"] == partner.id
    assert body["items"] == [{"sku": "TENT-2", "category": None, "quantity": 2, "price": "40.00"}]
    assert body["commissions"][0]["amount"]["amount"] == "8.00"


def test_a_bad_form_field_is_named_and_kept(api):
    brand, _, client = api
    response = client.post(
        "/api/v1/conversions",
        data={
            "program_id": brand.program_id,
            "order_id": "F-2",
            "amount": "ten",
            "currency": "USD",
        },
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "amount"
    rejected = client.get("/api/v1/rejected-events").json()["data"]
    assert any(r["id"] == error["rejected_event_id"] and '"ten"' in r["payload"] for r in rejected)


def test_a_batch_records_each_item_on_its_own_and_names_what_failed(api):
    brand, partner, client = api
    click_id = click_through(client, partner)
    good = {
        "program_id": brand.program_id,
        "order_id": "B-1",
        "amount": "50.00",
        "currency": "USD",
        "click_id": click_id,
    }
    items = [
        good,
        {**good, "order_id": "B-2", "currency": "EUR"},
        good,  # the same order again in the same batch: a retry
        {**good, "order_id": "B-3", "colour": "red"},
        {**good, "order_id": "B-4", "amount": "20.00"},
    ]
    response = client.post("/api/v1/conversions/batch", json={"conversions": items})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["duplicates"], body["rejected"]) == (2, 1, 2)
    statuses = [(r["index"], r["status"]) for r in body["results"]]
    assert statuses == [
        (0, "created"),
        (1, "rejected"),
        (2, "duplicate"),
        (3, "rejected"),
        (4, "created"),
    ]
    assert body["results"][1]["error"]["field"] == "currency"
    assert body["results"][3]["error"]["field"] == "colour"
    assert body["results"][1]["error"]["rejected_event_id"].startswith("rej_")
    summary = client.get(f"/api/v1/programs/{brand.program_id}/summary").json()
    assert summary["conversions"] == 2


def test_a_batch_over_the_limit_is_refused_whole(api):
    brand, _, client = api
    items = [
        {"program_id": brand.program_id, "order_id": f"L-{i}", "currency": "USD"}
        for i in range(1001)
    ]
    response = client.post("/api/v1/conversions/batch", json={"conversions": items})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "conversions"


def test_an_app_install_then_a_purchase_by_device_id_credit_the_partner(api, clock):
    brand, partner, client = api
    click_id = click_through(client, partner)
    install = client.post(
        "/api/v1/conversions",
        json={
            "program_id": brand.program_id,
            "order_id": "install-1",
            "event_type": "install",
            "currency": "USD",
            "click_id": click_id,
            "device": {"gaid": "38400000-8CF0-11BD-B23E-10B96E40000D"},
        },
    )
    assert install.status_code == 201
    clock.advance(timedelta(days=3))
    purchase = client.post(
        "/api/v1/conversions",
        json={
            "program_id": brand.program_id,
            "order_id": "app-order-1",
            "amount": "30.00",
            "currency": "USD",
            "device": {"gaid": "38400000-8cf0-11bd-b23e-10b96e40000d"},
        },
    )
    assert purchase.status_code == 201, purchase.text
    body = purchase.json()
    assert body["partner_id"] == partner.id
    assert body["click_id"] is None
    assert body["commissions"][0]["amount"]["amount"] == "3.00"


def test_a_mini_program_user_is_followed_by_openid_within_its_app(api):
    brand, partner, client = api
    click_id = click_through(client, partner)
    wechat = {"appid": "wx1234", "openid": "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"}
    first = client.post(
        "/api/v1/conversions",
        json={
            "program_id": brand.program_id,
            "order_id": "mp-signup",
            "event_type": "signup",
            "currency": "USD",
            "click_id": click_id,
            "wechat": wechat,
        },
    )
    assert first.status_code == 201
    later = client.post(
        "/api/v1/conversions",
        json={
            "program_id": brand.program_id,
            "order_id": "mp-order",
            "amount": "60.00",
            "currency": "USD",
            "wechat": wechat,
        },
    )
    assert later.json()["partner_id"] == partner.id
    other_app = client.post(
        "/api/v1/conversions",
        json={
            "program_id": brand.program_id,
            "order_id": "mp-order-2",
            "amount": "60.00",
            "currency": "USD",
            "wechat": {**wechat, "appid": "wx9999"},
        },
    )
    assert other_app.json()["partner_id"] is None  # an OpenID means nothing in another app


def test_shopper_details_are_checked_and_the_email_is_only_a_hash(api):
    brand, _, client = api
    base = {"program_id": brand.program_id, "currency": "USD", "amount": "10.00"}
    bad_ip = client.post("/api/v1/conversions", json={**base, "order_id": "D-1", "ip": "999.1.1.1"})
    assert bad_ip.json()["error"]["field"] == "ip"
    bad_hash = client.post(
        "/api/v1/conversions", json={**base, "order_id": "D-2", "email_sha256": "not-a-hash"}
    )
    assert bad_hash.json()["error"]["field"] == "email_sha256"
    digest = hashlib.sha256(b"shopper@example.com").hexdigest()
    good = client.post(
        "/api/v1/conversions",
        json={
            **base,
            "order_id": "D-3",
            "ip": "2001:db8::1",
            "email_sha256": digest.upper(),
            "user_agent": "Mozilla/5.0",
        },
    )
    assert good.status_code == 201, good.text


def test_the_api_docs_describe_the_conversion_body(api):
    _, _, client = api
    schema = client.get("/openapi.json").json()
    report = schema["components"]["schemas"]["ConversionReport"]
    assert {"order_id", "amount", "currency", "click_id", "device", "wechat"} <= set(
        report["properties"]
    )
    body = schema["paths"]["/api/v1/conversions"]["post"]["requestBody"]["content"]
    assert {"application/json", "application/x-www-form-urlencoded"} <= set(body)
