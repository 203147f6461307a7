"""Retries that arrive at the same moment, as a shop's queue workers send them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from tests.api.support import click_through, sale
from tests.factories import add_partner

WORKERS = 8


def test_the_same_conversion_sent_concurrently_is_recorded_once(api, brand):
    partner = add_partner(brand)
    _, click_id = click_through(api.client, partner.link_code)
    body = sale(brand.program_id, order_id="RACE-1", click_id=click_id)

    with ThreadPoolExecutor(WORKERS) as pool:
        responses = list(pool.map(lambda _: api.post("/conversions", body), range(WORKERS)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * (WORKERS - 1) + [201], [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    summary = api.summary(brand.program_id)
    assert summary["conversions"] == 1
    assert summary["commissions"] == "10.00"
    assert summary["ledger_balanced"] is True


def test_the_same_reversal_sent_concurrently_is_applied_once(api, brand):
    partner = add_partner(brand)
    _, click_id = click_through(api.client, partner.link_code)
    conversion = api.post("/conversions", sale(brand.program_id, click_id=click_id)).json()
    body = {
        "amount": "30.00",
        "reason_code": "returned",
        "idempotency_key": f"race-{brand.program_id}",
    }
    path = f"/conversions/{conversion['id']}/reversals"

    with ThreadPoolExecutor(WORKERS) as pool:
        responses = list(pool.map(lambda _: api.post(path, body), range(WORKERS)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * (WORKERS - 1) + [201], [r.text for r in responses]
    assert api.ok(f"/conversions/{conversion['id']}")["reversed_amount"]["amount"] == "30.00"
    commission = api.ok(f"/commissions/{conversion['commissions'][0]['id']}")
    assert commission["amount"]["amount"] == "7.00"
    assert len(commission["adjustments"]) == 1


def test_concurrent_payout_batches_pay_each_commission_once(api, brand, clock):
    for _ in range(3):
        partner = add_partner(brand)
        _, click_id = click_through(api.client, partner.link_code)
        api.post("/conversions", sale(brand.program_id, click_id=click_id))
    clock.advance(timedelta(days=31))
    api.post("/commissions/lock", {"program_id": brand.program_id})
    api.post("/commissions/approve", {"program_id": brand.program_id})
    body = {"program_id": brand.program_id}

    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(lambda _: api.post("/payout-batches", body), range(4)))

    assert all(r.status_code in (200, 201, 409) for r in responses), [r.text for r in responses]
    paid = [p for r in responses if r.status_code == 201 for p in r.json()["payouts"]]
    assert len(paid) == 3
    summary = api.summary(brand.program_id)
    assert (summary["payable"], summary["paid"]) == ("0.00", "30.00")
    assert summary["ledger_balanced"] is True
