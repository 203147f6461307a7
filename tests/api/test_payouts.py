"""Locking, approving and paying commissions over the API, and the balances that follow."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from tests.api.support import Api, click_through, error_of, sale
from tests.factories import add_partner, make_brand


def _sale_by(api: Api, brand, partner, amount: str) -> dict:
    _, click_id = click_through(api.client, partner.link_code)
    response = api.post("/conversions", sale(brand.program_id, amount=amount, click_id=click_id))
    assert response.status_code == 201, response.text
    return response.json()


def _balances(api: Api, program_id: str) -> dict[str, dict]:
    rows = api.ok("/balances", program_id=program_id)
    return {row["partner_id"]: row for row in rows}


def _reconciles(summary: dict) -> bool:
    total = Decimal(summary["pending"]) + Decimal(summary["payable"]) + Decimal(summary["paid"])
    return Decimal(summary["commissions"]) == total


def test_lock_approve_and_pay_over_the_api_moves_money_from_pending_to_paid(api, brand, clock):
    first, second = add_partner(brand), add_partner(brand)
    _sale_by(api, brand, first, "100.00")  # 10.00
    _sale_by(api, brand, first, "50.00")  # 5.00
    _sale_by(api, brand, second, "200.00")  # 20.00

    early = api.post("/commissions/lock", {"program_id": brand.program_id})
    assert early.status_code == 200, early.text
    assert early.json()["count"] == 0  # the 30-day locking period has not passed

    clock.advance(timedelta(days=31))
    late = _sale_by(api, brand, first, "30.00")  # 3.00, still inside its locking period

    locked = api.post("/commissions/lock", {"program_id": brand.program_id})
    assert locked.status_code == 200, locked.text
    assert locked.json()["count"] == 3
    assert len(api.all("/commissions", program_id=brand.program_id, status="locked")) == 3

    approved = api.post("/commissions/approve", {"program_id": brand.program_id})
    assert approved.status_code == 200, approved.text
    assert approved.json()["count"] == 3
    assert len(approved.json()["ids"]) == 3
    assert late["commissions"][0]["id"] not in approved.json()["ids"]

    before = _balances(api, brand.program_id)
    assert before[first.id] | {"partner_id": None} == {
        "partner_id": None,
        "currency": "USD",
        "pending": "3.00",
        "payable": "15.00",
        "paid": "0.00",
    }
    assert (before[second.id]["pending"], before[second.id]["payable"]) == ("0.00", "20.00")

    batch = api.post("/payout-batches", {"program_id": brand.program_id})
    assert batch.status_code == 201, batch.text
    body = batch.json()
    assert body["id"].startswith("pbt_")
    assert body["total"] == {"amount": "35.00", "currency": "USD"}
    payouts = {p["partner_id"]: p for p in body["payouts"]}
    assert payouts[first.id]["amount"]["amount"] == "15.00"
    assert payouts[first.id]["commission_count"] == 2
    assert payouts[second.id]["amount"]["amount"] == "20.00"
    assert payouts[second.id]["commission_count"] == 1
    assert {p["id"] for p in api.all("/payouts", program_id=brand.program_id)} == {
        p["id"] for p in body["payouts"]
    }

    after = _balances(api, brand.program_id)
    assert (after[first.id]["pending"], after[first.id]["payable"], after[first.id]["paid"]) == (
        "3.00",
        "0.00",
        "15.00",
    )
    assert (after[second.id]["payable"], after[second.id]["paid"]) == ("0.00", "20.00")
    paid = api.all("/commissions", program_id=brand.program_id, status="paid")
    assert len(paid) == 3
    assert all(c["payout_id"] in {p["id"] for p in body["payouts"]} for c in paid)
    assert all(c["paid_at"] is not None for c in paid)

    summary = api.summary(brand.program_id)
    assert summary["ledger_balanced"] is True
    assert all(summary["checks"].values())
    assert (summary["commissions"], summary["pending"], summary["payable"], summary["paid"]) == (
        "38.00",
        "3.00",
        "0.00",
        "35.00",
    )
    assert _reconciles(summary)
    assert summary["commissions_by_status"] == {"paid": "35.00", "pending": "3.00"}
    for column in ("pending", "payable", "paid"):
        total = sum(Decimal(row[column]) for row in after.values())
        assert total == Decimal(summary[column]), column


def test_a_second_payout_batch_pays_nothing_twice(api, brand, clock):
    partner = add_partner(brand)
    _sale_by(api, brand, partner, "100.00")
    clock.advance(timedelta(days=31))
    api.post("/commissions/lock", {"program_id": brand.program_id})
    api.post("/commissions/approve", {"program_id": brand.program_id})
    first = api.post("/payout-batches", {"program_id": brand.program_id})
    assert first.json()["total"]["amount"] == "10.00"

    again = api.post("/payout-batches", {"program_id": brand.program_id})

    assert again.status_code in (200, 201), again.text
    assert again.json()["payouts"] == []
    assert again.json()["total"]["amount"] == "0.00"
    assert _balances(api, brand.program_id)[partner.id]["paid"] == "10.00"
    assert api.summary(brand.program_id)["paid"] == "10.00"


def test_a_refund_after_payout_is_clawed_back_from_the_next_payout(api, brand, clock):
    partner = add_partner(brand)
    refunded = _sale_by(api, brand, partner, "100.00")  # 10.00
    clock.advance(timedelta(days=31))
    api.post("/commissions/lock", {"program_id": brand.program_id})
    api.post("/commissions/approve", {"program_id": brand.program_id})
    api.post("/payout-batches", {"program_id": brand.program_id})

    reversal = api.post(f"/conversions/{refunded['id']}/reversals", {"reason_code": "returned"})

    assert reversal.status_code == 201, reversal.text
    assert reversal.json()["commission_change"]["amount"] == "-10.00"
    commission = api.ok(f"/commissions/{refunded['commissions'][0]['id']}")
    assert commission["status"] == "reversed"
    assert commission["adjustments"][0]["status_before"] == "paid"
    owed = _balances(api, brand.program_id)[partner.id]
    assert (owed["payable"], owed["paid"]) == ("-10.00", "10.00")
    nothing = api.post("/payout-batches", {"program_id": brand.program_id})
    assert nothing.json()["payouts"] == []  # a negative balance is carried, not paid

    _sale_by(api, brand, partner, "250.00")  # 25.00
    clock.advance(timedelta(days=31))
    api.post("/commissions/lock", {"program_id": brand.program_id})
    api.post("/commissions/approve", {"program_id": brand.program_id})
    net = api.post("/payout-batches", {"program_id": brand.program_id})

    assert net.json()["total"]["amount"] == "15.00"  # 25.00 earned less 10.00 clawed back
    summary = api.summary(brand.program_id)
    assert summary["ledger_balanced"] is True
    assert _reconciles(summary)
    assert (summary["commissions"], summary["payable"], summary["paid"]) == (
        "25.00",
        "0.00",
        "25.00",
    )


def test_approving_listed_commissions_approves_only_those(api, brand, clock):
    partner = add_partner(brand)
    one = _sale_by(api, brand, partner, "100.00")["commissions"][0]["id"]
    two = _sale_by(api, brand, partner, "100.00")["commissions"][0]["id"]
    clock.advance(timedelta(days=31))
    api.post("/commissions/lock", {"program_id": brand.program_id})

    response = api.post(
        "/commissions/approve", {"program_id": brand.program_id, "commission_ids": [one]}
    )

    assert response.json() == {"count": 1, "ids": [one]}
    assert api.ok(f"/commissions/{one}")["status"] == "approved"
    assert api.ok(f"/commissions/{two}")["status"] == "locked"
    assert _balances(api, brand.program_id)[partner.id]["payable"] == "10.00"


def test_approving_a_pending_commission_is_409_and_approves_nothing(api, brand):
    partner = add_partner(brand)
    commission_id = _sale_by(api, brand, partner, "100.00")["commissions"][0]["id"]

    response = api.post(
        "/commissions/approve", {"program_id": brand.program_id, "commission_ids": [commission_id]}
    )

    error = error_of(response, 409)
    assert error["code"] == "invalid_transition"
    assert commission_id in error["message"]
    assert api.ok(f"/commissions/{commission_id}")["status"] == "pending"


def test_approving_an_unknown_commission_is_404_on_commission_ids(api, brand):
    response = api.post(
        "/commissions/approve",
        {"program_id": brand.program_id, "commission_ids": ["com_01NOSUCHCOMMISSION0000000"]},
    )

    assert error_of(response, 404)["field"] == "commission_ids"


def test_balances_need_a_program_id(api):
    assert error_of(api.get("/balances"), 422)["field"] == "program_id"


def test_a_commission_status_filter_outside_the_lifecycle_is_422(api, brand):
    response = api.get("/commissions", program_id=brand.program_id, status="cleared")

    error = error_of(response, 422)
    assert error["field"] == "status"
    assert "pending" in error["message"]


def test_a_payout_threshold_holds_back_small_balances(client, store, clock):
    brand = make_brand(store, threshold="25.00")
    api = Api(client, brand.api_key)
    small, large = add_partner(brand), add_partner(brand)
    _sale_by(api, brand, small, "100.00")  # 10.00
    _sale_by(api, brand, large, "300.00")  # 30.00
    clock.advance(timedelta(days=31))
    api.post("/commissions/lock", {"program_id": brand.program_id})
    api.post("/commissions/approve", {"program_id": brand.program_id})

    batch = api.post("/payout-batches", {"program_id": brand.program_id}).json()

    assert [p["partner_id"] for p in batch["payouts"]] == [large.id]
    balances = _balances(api, brand.program_id)
    assert (balances[small.id]["payable"], balances[small.id]["paid"]) == ("10.00", "0.00")
    assert _reconciles(api.summary(brand.program_id))
