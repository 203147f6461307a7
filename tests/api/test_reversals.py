"""POST /api/v1/conversions/{id}/reversals: partial and whole returns, idempotency, errors."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.api.support import Api, click_through, error_of, sale
from tests.factories import add_partner, make_brand


def _attributed_sale(api: Api, brand, amount: str = "100.00", **fields) -> dict:
    """A conversion brought by a fresh partner's click; returns the API's answer."""
    partner = add_partner(brand)
    _, click_id = click_through(api.client, partner.link_code)
    response = api.post(
        "/conversions", sale(brand.program_id, amount=amount, click_id=click_id, **fields)
    )
    assert response.status_code == 201, response.text
    assert len(response.json()["commissions"]) == 1
    return response.json()


def _reverse(api: Api, conversion_id: str, body: dict):
    return api.post(f"/conversions/{conversion_id}/reversals", body)


def test_a_partial_reversal_reduces_a_percent_commission_proportionally(api, brand):
    conversion = _attributed_sale(api, brand, amount="100.00")
    commission_id = conversion["commissions"][0]["id"]

    response = _reverse(
        api, conversion["id"], {"amount": "40.00", "reason_code": "returned", "note": "2 of 5"}
    )

    assert response.status_code == 201, response.text
    reversal = response.json()
    assert reversal["id"].startswith("rev_")
    assert reversal["amount"] == {"amount": "40.00", "currency": "USD"}
    assert reversal["commission_change"] == {"amount": "-4.00", "currency": "USD"}
    assert reversal["conversion_status"] == "attributed"
    assert reversal["duplicate"] is False

    commission = api.ok(f"/commissions/{commission_id}")
    assert commission["status"] == "pending"
    assert commission["amount"]["amount"] == "6.00"  # 10% of the 60.00 that remains
    assert commission["original_amount"]["amount"] == "10.00"
    [adjustment] = commission["adjustments"]
    assert adjustment["change"] == {"amount": "-4.00", "currency": "USD"}
    assert adjustment["reason_code"] == "returned"
    assert adjustment["status_before"] == "pending"
    assert adjustment["reversal_id"] == reversal["id"]
    explanation = commission["explanation"]
    [line] = explanation["lines"]
    assert line["percent"] == "10"
    assert explanation["inputs"]["amount"] == "100.00"
    assert explanation["arithmetic"].startswith("100.00 x 10%")
    assert "10.00 USD" in explanation["arithmetic"]
    # the explanation plus the adjustments account for the amount now owed
    original = Decimal(commission["original_amount"]["amount"])
    changes = sum(Decimal(a["change"]["amount"]) for a in commission["adjustments"])
    assert original + changes == Decimal(commission["amount"]["amount"])

    after = api.ok(f"/conversions/{conversion['id']}")
    assert after["reversed_amount"]["amount"] == "40.00"
    summary = api.summary(brand.program_id)
    assert summary["revenue"] == "60.00"
    assert summary["commissions"] == summary["pending"] == "6.00"
    assert summary["ledger_balanced"] is True


def test_two_partial_reversals_compound_on_what_remains(api, brand):
    conversion = _attributed_sale(api, brand, amount="90.00")
    commission_id = conversion["commissions"][0]["id"]

    first = _reverse(api, conversion["id"], {"amount": "30.00", "reason_code": "returned"})
    second = _reverse(api, conversion["id"], {"amount": "15.55", "reason_code": "returned"})

    assert first.json()["commission_change"]["amount"] == "-3.00"
    assert second.json()["commission_change"]["amount"] == "-1.55"  # 6.00 -> 4.45
    commission = api.ok(f"/commissions/{commission_id}")
    assert commission["amount"]["amount"] == "4.45"  # 10% of 44.45, rounded half-up
    assert len(commission["adjustments"]) == 2


def test_a_whole_reversal_sets_the_commission_reversed(api, brand):
    conversion = _attributed_sale(api, brand, amount="100.00")
    commission_id = conversion["commissions"][0]["id"]

    response = _reverse(api, conversion["id"], {"reason_code": "cancelled"})

    assert response.status_code == 201, response.text
    assert response.json()["amount"]["amount"] == "100.00"
    assert response.json()["commission_change"]["amount"] == "-10.00"
    assert response.json()["conversion_status"] == "reversed"
    commission = api.ok(f"/commissions/{commission_id}")
    assert commission["status"] == "reversed"
    assert commission["amount"]["amount"] == "0.00"
    assert commission["reversed_at"] is not None
    assert api.ok(f"/conversions/{conversion['id']}")["status"] == "reversed"
    assert api.ok("/commissions", program_id=brand.program_id, status="reversed")["data"]
    summary = api.summary(brand.program_id)
    assert summary["commissions"] == summary["pending"] == "0.00"
    assert summary["ledger_balanced"] is True


def test_reversing_the_rest_after_a_partial_reversal_reverses_the_commission(api, brand):
    conversion = _attributed_sale(api, brand, amount="100.00")

    _reverse(api, conversion["id"], {"amount": "25.00", "reason_code": "returned"})
    rest = _reverse(api, conversion["id"], {"reason_code": "returned"})

    assert rest.status_code == 201, rest.text
    assert rest.json()["amount"]["amount"] == "75.00"
    assert rest.json()["commission_change"]["amount"] == "-7.50"
    commission = api.ok(f"/commissions/{conversion['commissions'][0]['id']}")
    assert commission["status"] == "reversed"


def test_reversing_a_fully_reversed_conversion_is_409(api, brand):
    conversion = _attributed_sale(api, brand)
    _reverse(api, conversion["id"], {"reason_code": "cancelled"})

    error = error_of(_reverse(api, conversion["id"], {"reason_code": "cancelled"}), 409)

    assert "reversed" in error["message"]


def test_a_fixed_commission_stays_until_the_whole_order_is_reversed(api, brand):
    conversion = _attributed_sale(api, brand, amount="100.00", event_type="lead")
    assert conversion["commissions"][0]["amount"]["amount"] == "20.00"

    partial = _reverse(api, conversion["id"], {"amount": "50.00", "reason_code": "returned"})
    whole = _reverse(api, conversion["id"], {"reason_code": "returned"})

    assert partial.json()["commission_change"]["amount"] == "0.00"
    assert whole.json()["commission_change"]["amount"] == "-20.00"


def test_an_amount_above_what_remains_is_422_on_amount(api, brand):
    conversion = _attributed_sale(api, brand, amount="100.00")
    _reverse(api, conversion["id"], {"amount": "40.00", "reason_code": "returned"})

    response = _reverse(api, conversion["id"], {"amount": "60.01", "reason_code": "returned"})

    error = error_of(response, 422)
    assert error["field"] == "amount"
    assert "60.00" in error["message"]
    kept = {r["id"]: r for r in api.all("/rejected-events")}[error["rejected_event_id"]]
    assert kept["kind"] == "reversal"
    assert conversion["id"] in kept["payload"]
    commission = api.ok(f"/commissions/{conversion['commissions'][0]['id']}")
    assert commission["amount"]["amount"] == "6.00"
    assert len(commission["adjustments"]) == 1


@pytest.mark.parametrize("amount", ["0", "-5.00", "0.001"])
def test_a_reversal_amount_below_one_cent_is_422_on_amount(api, brand, amount):
    conversion = _attributed_sale(api, brand)

    error = error_of(
        _reverse(api, conversion["id"], {"amount": amount, "reason_code": "test"}), 422
    )

    assert error["field"] == "amount"


def test_a_bad_reason_code_is_422_listing_the_allowed_ones(api, brand):
    conversion = _attributed_sale(api, brand)

    response = _reverse(api, conversion["id"], {"amount": "10.00", "reason_code": "changed_mind"})

    error = error_of(response, 422)
    assert error["field"] == "reason_code"
    assert "returned" in error["message"] and "fraud" in error["message"]
    assert error["rejected_event_id"]
    assert api.ok(f"/conversions/{conversion['id']}")["reversed_amount"]["amount"] == "0.00"


def test_a_missing_reason_code_is_422_on_reason_code(api, brand):
    conversion = _attributed_sale(api, brand)

    error = error_of(_reverse(api, conversion["id"], {"amount": "10.00"}), 422)

    assert error["field"] == "reason_code"


def test_reversing_an_unknown_conversion_is_404(api):
    response = _reverse(api, "cnv_01NOSUCHCONVERSION00000000", {"reason_code": "returned"})

    assert error_of(response, 404)["field"] == "conversion_id"


def test_a_retry_with_the_same_idempotency_key_is_200_duplicate_without_a_second_adjustment(
    api, brand
):
    conversion = _attributed_sale(api, brand, amount="100.00")
    body = {"amount": "40.00", "reason_code": "returned", "idempotency_key": "rma-1"}

    first = _reverse(api, conversion["id"], body)
    again = _reverse(api, conversion["id"], body)

    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert again.json()["duplicate"] is True
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["amount"] == first.json()["amount"]
    commission = api.ok(f"/commissions/{conversion['commissions'][0]['id']}")
    assert len(commission["adjustments"]) == 1
    assert commission["amount"]["amount"] == "6.00"
    assert api.ok(f"/conversions/{conversion['id']}")["reversed_amount"]["amount"] == "40.00"
    assert api.summary(brand.program_id)["revenue"] == "60.00"


def test_a_reversal_retry_reports_the_same_commission_change_as_the_first_answer(api, brand):
    conversion = _attributed_sale(api, brand, amount="100.00")
    body = {"amount": "40.00", "reason_code": "returned", "idempotency_key": "rma-2"}

    first = _reverse(api, conversion["id"], body)
    again = _reverse(api, conversion["id"], body)

    assert again.json()["commission_change"] == first.json()["commission_change"]


def test_reusing_a_reversal_idempotency_key_with_another_amount_is_409(api, brand):
    conversion = _attributed_sale(api, brand, amount="100.00")
    key = "rma-3"
    _reverse(
        api,
        conversion["id"],
        {"amount": "40.00", "reason_code": "returned", "idempotency_key": key},
    )

    response = _reverse(
        api,
        conversion["id"],
        {"amount": "10.00", "reason_code": "returned", "idempotency_key": key},
    )

    error = error_of(response, 409)
    assert error["code"] == "idempotency_conflict"
    assert error["field"] == "amount"


def test_reversal_idempotency_keys_of_two_brands_do_not_collide(api, brand, store):
    other = make_brand(store)
    other_api = Api(api.client, other.api_key)
    mine = _attributed_sale(api, brand)
    theirs = _attributed_sale(other_api, other)
    body = {"amount": "10.00", "reason_code": "returned", "idempotency_key": "refund-1"}

    first = _reverse(api, mine["id"], body)
    second = _reverse(other_api, theirs["id"], body)

    assert first.status_code == 201, first.text
    assert second.status_code == 201, second.text
    assert other_api.ok(f"/conversions/{theirs['id']}")["reversed_amount"]["amount"] == "10.00"


def test_an_unattributed_conversion_can_be_reversed_without_commissions(api, brand):
    response = api.post("/conversions", sale(brand.program_id, amount="50.00"))
    conversion = response.json()
    assert conversion["commissions"] == []

    reversal = _reverse(api, conversion["id"], {"reason_code": "test"})

    assert reversal.status_code == 201, reversal.text
    assert reversal.json()["commission_change"]["amount"] == "0.00"
    assert api.summary(brand.program_id)["revenue"] == "0.00"
