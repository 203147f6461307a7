"""Payout methods and currencies, funding, fees, the schedule, and the files and
statements a payout batch produces, through the API."""

from __future__ import annotations

import io
from datetime import timedelta

from pypdf import PdfReader

from tests.api.support import Api, click_through, error_of, sale
from tests.factories import add_partner


def _paid_batch(api: Api, brand, partner, amount="200.00") -> dict:
    _, click_id = click_through(api.client, partner.link_code)
    created = api.post("/conversions", sale(brand.program_id, amount=amount, click_id=click_id))
    assert created.status_code == 201, created.text
    brand.store.clock.advance(timedelta(days=31))
    assert api.post("/commissions/lock", {"program_id": brand.program_id}).status_code == 200
    approved = api.post("/commissions/approve", {"program_id": brand.program_id})
    assert approved.status_code == 200, approved.text
    batch = api.post("/payout-batches", {"program_id": brand.program_id})
    assert batch.status_code == 201, batch.text
    return batch.json()


def test_a_partner_sets_a_sepa_method_and_the_batch_exports_csv_sepa_and_a_statement(api, brand):
    api.client.patch(
        f"/api/v1/programs/{brand.program_id}",
        json={"platform_fee_percent": "2.5"},
        headers=api.headers,
    ).raise_for_status()
    partner = add_partner(brand)
    as_partner = Api(api.client, partner.api_key)
    bad = api.client.put(
        "/api/v1/payout-method",
        json={"method": "sepa", "iban": "DE00 0000"},
        headers=as_partner.headers,
    )
    assert error_of(bad, 422)["field"] == "iban"
    good = api.client.put(
        "/api/v1/payout-method",
        json={"method": "sepa", "iban": "DE89 3704 0044 0532 0130 00", "account_name": "Ana"},
        headers=as_partner.headers,
    )
    assert good.status_code == 200, good.text
    assert good.json()["details"]["iban"] == "DE89 **** 3000"

    funded = api.post(
        "/funding", {"program_id": brand.program_id, "amount": "500.00", "reference": "TX-1"}
    )
    assert funded.json()["funding_balance"]["amount"] == "500.00"
    again = api.post(
        "/funding", {"program_id": brand.program_id, "amount": "500.00", "reference": "TX-1"}
    )
    assert again.json()["funding_balance"]["amount"] == "500.00"  # the same deposit once

    batch = _paid_batch(api, brand, partner)
    [payout] = batch["payouts"]
    assert payout["amount"]["amount"] == "20.00"
    assert payout["method"] == "sepa"

    csv = api.get(f"/payout-batches/{batch['id']}/payouts.csv")
    assert csv.status_code == 200
    assert payout["id"] in csv.text and "DE89370400440532013000" in csv.text

    refused = api.get(
        f"/payout-batches/{batch['id']}/sepa.xml",
        debtor_name="Brand GmbH",
        debtor_iban="DE02120300000000202051",
    )
    # The program pays in USD: SEPA carries only EUR, and the refusal names the payout.
    assert refused.status_code == 422
    assert "EUR" in error_of(refused, 422)["message"]

    pdf = as_partner.get(f"/payouts/{payout['id']}/statement.pdf")
    assert pdf.status_code == 200, pdf.text
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert payout["id"] in text and "20.00" in text and "DE89 **** 3000" in text
    chinese = api.get(f"/payouts/{payout['id']}/statement.pdf", locale="zh_Hans")
    assert chinese.status_code == 200 and chinese.content.startswith(b"%PDF")

    today = brand.store.clock.now().date()
    invoice = api.get(
        f"/programs/{brand.program_id}/invoice.pdf",
        since=str(today - timedelta(days=40)),
        until=str(today + timedelta(days=1)),
    )
    assert invoice.status_code == 200, invoice.text
    billed = "".join(p.extract_text() for p in PdfReader(io.BytesIO(invoice.content)).pages)
    assert "20.00" in billed and "0.50" in billed and "20.50" in billed  # 2.5% fee
    not_for_partners = as_partner.get(
        f"/programs/{brand.program_id}/invoice.pdf", since=str(today), until=str(today)
    )
    assert not_for_partners.status_code in (403, 422)

    summary = api.ok(f"/programs/{brand.program_id}/summary")
    assert summary["ledger_balanced"] is True, summary["checks"]
    assert summary["platform_fees"] == "0.50"  # 2.5% of 20.00
    assert summary["funding_balance"] == "480.00"


def test_a_payout_in_another_currency_uses_the_rate_of_the_day(api, brand):
    partner = add_partner(brand)
    as_partner = Api(api.client, partner.api_key)
    set_method = api.client.put(
        "/api/v1/payout-method",
        json={"method": "paypal", "paypal_email": "ana@example.com", "currency": "EUR"},
        headers=as_partner.headers,
    )
    assert set_method.status_code == 200, set_method.text
    rate = api.post("/exchange-rates", {"base": "USD", "quote": "EUR", "rate": "0.9"})
    assert rate.status_code == 201
    batch = _paid_batch(api, brand, partner, amount="100.00")
    [payout] = batch["payouts"]
    assert payout["amount"] == {"amount": "10.00", "currency": "USD"}
    assert payout["sent"] == {"amount": "9.00", "currency": "EUR"}
    assert payout["fx_rate"] == "0.9"


def test_the_schedule_locks_approves_automatically_and_pays_on_the_first(api, brand):
    api.client.patch(
        f"/api/v1/programs/{brand.program_id}",
        json={"auto_approve": True, "payout_schedule": "monthly", "locking_days": 0},
        headers=api.headers,
    ).raise_for_status()
    partner = add_partner(brand)
    _, click_id = click_through(api.client, partner.link_code)
    api.post("/conversions", sale(brand.program_id, amount="50.00", click_id=click_id))
    now = brand.store.clock.now()
    first = (now.replace(day=1) + timedelta(days=32)).replace(day=1, hour=6)
    brand.store.clock.advance(first - now)
    [run] = api.post("/schedule/run").json()
    assert run["locked"] == 1 and run["auto_approve"] is True
    assert run["payout_batch_id"] is not None
    [again] = api.post("/schedule/run").json()
    assert again["payout_batch_id"] is None  # once a day


def test_a_batch_is_sent_through_stripe_once_with_our_ids_as_idempotency_keys(api, app, brand):
    import httpx

    from accord.payouts.providers.stripe import StripeTransfers

    seen = []

    def stripe(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        n = len(seen)
        return httpx.Response(
            200,
            json={
                "id": f"tr_{n:04d}",
                "object": "transfer",
                "amount": 1000,
                "currency": "usd",
                "destination": "acct_1Nv0FGQ9RKHgCVdK",
            },
        )

    client = httpx.Client(transport=httpx.MockTransport(stripe))
    app.api.state.payout_provider = lambda settings, name: StripeTransfers(
        "sk_test_x", client=client
    )
    partner = add_partner(brand)
    put = api.client.put(
        "/api/v1/payout-method",
        json={"method": "stripe", "stripe_account_id": "acct_1Nv0FGQ9RKHgCVdK"},
        headers=Api(api.client, partner.api_key).headers,
    )
    assert put.status_code == 200, put.text
    batch = _paid_batch(api, brand, partner, amount="100.00")
    sent = api.post(f"/payout-batches/{batch['id']}/send", {"provider": "stripe"})
    assert sent.status_code == 200, sent.text
    [row] = sent.json()["payouts"]
    assert row["reference"] == "tr_0001" and row["status"] == "paid"  # a transfer is final
    [request] = seen
    assert request.headers["Idempotency-Key"] == batch["payouts"][0]["id"]
    assert b"destination=acct_1Nv0FGQ9RKHgCVdK" in request.content
    assert b"amount=1000" in request.content
    again = api.post(f"/payout-batches/{batch['id']}/send", {"provider": "stripe"})
    assert again.json()["payouts"] == [] and len(seen) == 1  # nothing is sent twice
    payout = api.ok(f"/payouts/{row['payout_id']}")
    assert payout["provider_ref"] == "tr_0001"


def test_a_batch_sent_through_paypal_is_refreshed_item_by_item(api, app, brand):
    import httpx

    from accord.payouts.providers.paypal import PayPalPayouts

    state = {"payout_id": None}

    def paypal(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/oauth2/token":
            return httpx.Response(
                200, json={"access_token": "A21", "token_type": "Bearer", "expires_in": 32400}
            )
        if request.method == "POST":
            header = {"payout_batch_id": "5UXD2E8A7EBQJ", "batch_status": "PENDING"}
            return httpx.Response(201, json={"batch_header": header})
        item = {
            "payout_item_id": "8AELMXH8UB2P8",
            "transaction_status": "UNCLAIMED",
            "payout_batch_id": "5UXD2E8A7EBQJ",
            "payout_item": {
                "recipient_type": "EMAIL",
                "amount": {"value": "10.00", "currency": "USD"},
                "receiver": "ana@example.com",
                "sender_item_id": state["payout_id"],
            },
        }
        header = {"payout_batch_id": "5UXD2E8A7EBQJ", "batch_status": "SUCCESS"}
        body = {"total_items": 1, "total_pages": 1, "batch_header": header, "items": [item]}
        return httpx.Response(200, json=body)

    client = httpx.Client(transport=httpx.MockTransport(paypal))
    app.api.state.payout_provider = lambda _settings, _name: PayPalPayouts(
        "id", "secret", client=client
    )
    partner = add_partner(brand)
    api.client.put(
        "/api/v1/payout-method",
        json={"method": "paypal", "paypal_email": "ana@example.com"},
        headers=Api(api.client, partner.api_key).headers,
    ).raise_for_status()
    batch = _paid_batch(api, brand, partner, amount="100.00")
    state["payout_id"] = batch["payouts"][0]["id"]
    [sent] = api.post(f"/payout-batches/{batch['id']}/send", {"provider": "paypal"}).json()[
        "payouts"
    ]
    assert sent["status"] == "sent" and sent["reference"] == "5UXD2E8A7EBQJ"
    refreshed = api.post(f"/payout-batches/{batch['id']}/refresh", {"provider": "paypal"})
    [row] = refreshed.json()["payouts"]
    assert row["status"] == "sent"  # unclaimed: PayPal holds it until the partner claims it
    assert "UNCLAIMED" in row["message"] and "8AELMXH8UB2P8" in row["message"]
