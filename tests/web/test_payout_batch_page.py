"""A batch's page: its payouts with where each stands, sending them through PayPal (a
recorded test double of its API) from the page once, asking PayPal where they stand, a
SEPA file for the bank, and the words when a provider is not set up."""

from __future__ import annotations

import re

import httpx

from accord.commissions.service import approve, lock_due
from accord.partners.service import set_payout_method
from accord.payouts.providers.paypal import PayPalPayouts
from accord.payouts.service import run_batch
from tests.factories import add_partner, click, convert, make_brand
from tests.web.conftest import PASSWORD, csrf_of, sign_in, unique_email

FORM = {"content-type": "application/x-www-form-urlencoded"}


def paypal_double(seen: list[httpx.Request]):
    """PayPal's Payouts API as recorded: a token, a batch accepted, its item unclaimed."""

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/v1/oauth2/token":
            return httpx.Response(200, json={"access_token": "A21", "token_type": "Bearer",
                                             "expires_in": 32400})  # fmt: skip
        if request.method == "POST":
            header = {"payout_batch_id": "5UXD2E8A7EBQJ", "batch_status": "PENDING"}
            return httpx.Response(201, json={"batch_header": header})
        sent = [r for r in seen if r.method == "POST" and r.url.path == "/v1/payments/payouts"]
        import json

        item_id = json.loads(sent[-1].content)["items"][0]["sender_item_id"]
        item = {"payout_item_id": "8AELMXH8UB2P8", "transaction_status": "UNCLAIMED",
                "payout_batch_id": "5UXD2E8A7EBQJ",
                "payout_item": {"recipient_type": "EMAIL", "receiver": "ana@example.com",
                                "amount": {"value": "10.00", "currency": "EUR"},
                                "sender_item_id": item_id}}  # fmt: skip
        header = {"payout_batch_id": "5UXD2E8A7EBQJ", "batch_status": "SUCCESS"}
        return httpx.Response(200, json={"total_items": 1, "total_pages": 1,
                                         "batch_header": header, "items": [item]})  # fmt: skip

    return answer


def a_paid_batch(store, brand):
    partner = add_partner(brand, name="Ana Reviews")
    set_payout_method(store, partner.caller, {"method": "paypal",
                                              "paypal_email": "ana@example.com"})  # fmt: skip
    sepa = add_partner(brand, name="Bergblick")
    set_payout_method(store, sepa.caller, {"method": "sepa", "iban": "DE89370400440532013000",
                                           "account_name": "Bergblick GmbH"})  # fmt: skip
    convert(brand, amount="200.00", click_id=click(brand, partner))
    convert(brand, amount="100.00", click_id=click(brand, sepa))
    lock_due(store, brand.caller, brand.program_id)
    approve(store, brand.caller, brand.program_id)
    return run_batch(store, brand.caller, brand.program_id).batch


def test_a_manager_sends_a_batch_through_paypal_from_its_page_once(client, store):
    brand = make_brand(store, locking_days=0, currency="EUR")
    email = unique_email("pm")
    from accord.tenancy.service import create_user

    create_user(store, brand.caller.organization_id, email, PASSWORD)
    batch = a_paid_batch(store, brand)
    seen: list[httpx.Request] = []
    transport = httpx.Client(transport=httpx.MockTransport(paypal_double(seen)))

    def provider(_settings, _name):
        return PayPalPayouts("id", "secret", client=transport)

    client.app.api.state.payout_provider = provider
    assert sign_in(client, email).status_code == 303
    listing = client.get(f"/console/payouts?program={brand.program_id}")
    assert f'href="/console/payout-batches/{batch.id}"' in listing.text

    page = client.get(f"/console/payout-batches/{batch.id}")
    assert page.status_code == 200
    assert "Send 1 payout through PayPal" in page.text and "Ana Reviews" in page.text
    assert "A SEPA file for your bank (1 transfer)" in page.text
    assert "waiting to be sent" in page.text and "goes in the SEPA file" in page.text
    send = f"/console/payout-batches/{batch.id}/send"
    sent = client.post(send, content=f"csrf={csrf_of(page.text)}&provider=paypal", headers=FORM)
    assert sent.status_code == 303
    page = client.get(sent.headers["location"])
    assert "1 payout was sent through PayPal." in page.text
    assert "accepted, not yet received" in page.text
    assert "Send 1 payout through PayPal" not in page.text  # nothing left to send
    posts = [r for r in seen if r.method == "POST" and r.url.path == "/v1/payments/payouts"]
    assert len(posts) == 1 and b"ana@example.com" in posts[0].content

    again = client.post(send, content=f"csrf={csrf_of(page.text)}&provider=paypal", headers=FORM)
    assert "0 payouts were sent" in client.get(again.headers["location"]).text
    assert len([r for r in seen if r.method == "POST" and "payouts" in r.url.path]) == 1

    checked = client.post(f"/console/payout-batches/{batch.id}/send",
                          content=f"csrf={csrf_of(page.text)}&provider=paypal&check=1",
                          headers=FORM)  # fmt: skip
    page = client.get(checked.headers["location"])
    assert "1 payout's status was brought up to date." in page.text
    assert "UNCLAIMED" in page.text

    sepa = client.post(f"/console/payout-batches/{batch.id}/sepa",
                       content=f"csrf={csrf_of(page.text)}&debtor_name=Lumen+GmbH"
                               "&debtor_iban=DE02120300000000202051", headers=FORM)  # fmt: skip
    assert sepa.status_code == 200, re.search(
        r"<div class=\"error\".*?</div>", sepa.text, re.S
    ).group(0)
    assert b"<IBAN>DE89370400440532013000</IBAN>" in sepa.content
    wrong = client.post(f"/console/payout-batches/{batch.id}/sepa",
                        content=f"csrf={csrf_of(page.text)}&debtor_name=Lumen+GmbH"
                                "&debtor_iban=DE00", headers=FORM)  # fmt: skip
    assert wrong.status_code == 422 and "could not be made" in wrong.text


def test_a_provider_not_set_up_is_named_and_another_brands_batch_is_not_found(client, store):
    brand, other = make_brand(store, locking_days=0), make_brand(store, locking_days=0)
    email = unique_email("pm")
    from accord.tenancy.service import create_user

    create_user(store, brand.caller.organization_id, email, PASSWORD)
    batch = a_paid_batch(store, brand)
    assert sign_in(client, email).status_code == 303
    client.cookies.set("accord_lang", "zh_Hans")
    page = client.get(f"/console/payout-batches/{batch.id}")
    send = f"/console/payout-batches/{batch.id}/send"
    refused = client.post(send, content=f"csrf={csrf_of(page.text)}&provider=stripe", headers=FORM)
    assert refused.status_code == 422
    assert "尚未设置该支付服务商" in refused.text and "ACCORD_STRIPE_SECRET_KEY" in refused.text
    theirs = a_paid_batch(store, other)
    assert client.get(f"/console/payout-batches/{theirs.id}").status_code == 404
    assert re.search(r"通过 PayPal 发送 1 笔付款", page.text)
