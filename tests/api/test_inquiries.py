"""/api/v1/inquiries: a partner asks about a missing commission; the brand decides."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from accord.conversions.tables import Conversion
from tests.api.support import Api, click_through, error_of, sale
from tests.factories import Brand, add_partner, make_brand

if TYPE_CHECKING:
    from tests.factories import TestPartner


@pytest.fixture(autouse=True)
def _days_later(brand, clock) -> None:
    """Orders asked about come after the contract was made: move the clock on five days."""
    clock.advance(timedelta(days=5))


def _body(brand: Brand, *, order_id: str = "A-1001", **fields) -> dict:
    """An inquiry about a 100.00 USD sale two days ago."""
    occurred = brand.store.clock.now() - timedelta(days=2)
    return {
        "program_id": brand.program_id,
        "order_id": order_id,
        "occurred_at": occurred.isoformat(),
        "amount": "100.00",
        "currency": "USD",
        "event_type": "sale",
        "evidence": "The customer used my link; receipt attached in the chat.",
        **fields,
    }


def _open(api: Api, brand: Brand, partner: TestPartner, **fields) -> dict:
    response = Api(api.client, partner.api_key).post("/inquiries", _body(brand, **fields))
    assert response.status_code == 201, response.text
    return response.json()


def test_an_accepted_inquiry_credits_the_partner_with_the_contract_commission(api, brand, store):
    partner = add_partner(brand)
    inquiry = _open(api, brand, partner)
    assert inquiry["id"].startswith("inq_")
    assert inquiry["status"] == "open"
    assert inquiry["partner_id"] == partner.id
    assert inquiry["amount"] == {"amount": "100.00", "currency": "USD"}
    assert inquiry["conversion_id"] is None and inquiry["commission_ids"] == []

    listed = api.ok("/inquiries", program_id=brand.program_id, status="open")
    assert [row["id"] for row in listed["data"]] == [inquiry["id"]]

    response = api.post(f"/inquiries/{inquiry['id']}/accept", {"note": "Found it in our CRM"})

    assert response.status_code == 200, response.text
    accepted = response.json()
    assert accepted["status"] == "accepted"
    assert accepted["decision_reason"] == "Found it in our CRM"
    assert accepted["decided_at"] is not None
    [commission_id] = accepted["commission_ids"]
    [commission] = api.ok("/commissions", partner_id=partner.id)["data"]
    assert commission["id"] == commission_id
    assert commission["amount"] == {"amount": "10.00", "currency": "USD"}  # 10% for a new customer
    assert commission["conversion_id"] == accepted["conversion_id"]
    with store.read() as session:
        conversion = session.get(Conversion, accepted["conversion_id"])
        assert conversion.source == "inquiry"
        assert conversion.partner_id == partner.id
        assert conversion.order_id == "A-1001"
    assert api.ok(f"/inquiries/{inquiry['id']}")["commission_ids"] == [commission_id]
    partner_view = Api(api.client, partner.api_key).ok(f"/inquiries/{inquiry['id']}")
    assert partner_view["status"] == "accepted"


def test_the_brand_may_correct_the_amount_when_accepting(api, brand):
    partner = add_partner(brand)
    inquiry = _open(api, brand, partner)

    accepted = api.post(f"/inquiries/{inquiry['id']}/accept", {"amount": "80.00"}).json()

    [commission] = api.ok("/commissions", partner_id=partner.id)["data"]
    assert commission["id"] in accepted["commission_ids"]
    assert commission["amount"]["amount"] == "8.00"


def test_a_declined_inquiry_keeps_the_reason_and_creates_nothing(api, brand):
    partner = add_partner(brand)
    inquiry = _open(api, brand, partner)

    response = api.post(f"/inquiries/{inquiry['id']}/decline", {"reason": "Order was cancelled"})

    assert response.status_code == 200, response.text
    declined = response.json()
    assert declined["status"] == "declined"
    assert declined["decision_reason"] == "Order was cancelled"
    assert declined["conversion_id"] is None
    assert api.ok("/commissions", partner_id=partner.id)["data"] == []
    assert api.ok("/inquiries", status="declined")["data"][0]["id"] == inquiry["id"]
    error = error_of(api.post(f"/inquiries/{inquiry['id']}/accept"), 409)
    assert "declined" in error["message"]


def test_a_brand_cannot_open_an_inquiry(api, brand):
    error = error_of(api.post("/inquiries", _body(brand)), 403)
    assert error["code"] == "forbidden"


def test_an_inquiry_in_another_currency_is_refused_naming_currency(api, brand):
    partner = add_partner(brand)
    response = Api(api.client, partner.api_key).post("/inquiries", _body(brand, currency="EUR"))
    error = error_of(response, 422)
    assert error["field"] == "currency"
    assert "USD" in error["message"]


def test_an_order_in_the_future_or_too_old_is_refused(api, brand):
    partner = add_partner(brand)
    as_partner = Api(api.client, partner.api_key)
    now = brand.store.clock.now()
    for when in (now + timedelta(days=1), now - timedelta(days=181)):
        response = as_partner.post("/inquiries", _body(brand, occurred_at=when.isoformat()))
        assert error_of(response, 422)["field"] == "occurred_at"
    naive = (now - timedelta(days=1)).replace(tzinfo=None).isoformat()
    response = as_partner.post("/inquiries", _body(brand, occurred_at=naive))
    assert error_of(response, 422)["field"] == "occurred_at"


def test_blank_evidence_and_unknown_fields_are_refused(api, brand):
    partner = add_partner(brand)
    as_partner = Api(api.client, partner.api_key)
    response = as_partner.post("/inquiries", _body(brand, evidence="  "))
    assert error_of(response, 422)["field"] == "evidence"
    response = as_partner.post("/inquiries", _body(brand, commission="50.00"))
    assert error_of(response, 422)["field"] == "commission"


def test_a_second_inquiry_for_the_same_order_names_the_first(api, brand):
    partner = add_partner(brand)
    first = _open(api, brand, partner)

    response = Api(api.client, partner.api_key).post("/inquiries", _body(brand))

    error = error_of(response, 409)
    assert first["id"] in error["message"]
    assert error["field"] == "order_id"


def test_another_partner_may_ask_about_an_order_credited_to_someone_else(api, brand):
    first = _open(api, brand, add_partner(brand), order_id="A-2002")
    assert api.post(f"/inquiries/{first['id']}/accept").status_code == 200

    second = _open(api, brand, add_partner(brand), order_id="A-2002")

    assert second["status"] == "open"
    error = error_of(api.post(f"/inquiries/{second['id']}/accept"), 409)
    assert error["field"] == "order_id"
    assert second["partner_id"] in error["message"] and "reverse" in error["message"]


def test_an_order_recorded_by_click_for_the_partner_is_already_credited(api, brand):
    partner = add_partner(brand)
    _, click_id = click_through(api.client, partner.link_code)
    recorded = api.post(
        "/conversions", sale(brand.program_id, order_id="A-3003", click_id=click_id)
    )
    assert recorded.status_code == 201, recorded.text
    commission_id = recorded.json()["commissions"][0]["id"]

    response = Api(api.client, partner.api_key).post("/inquiries", _body(brand, order_id="A-3003"))

    error = error_of(response, 409)
    assert "already credited" in error["message"]
    assert commission_id in error["message"]


def test_accepting_an_order_recorded_with_other_values_is_refused(api, brand):
    recorded = api.post("/conversions", sale(brand.program_id, order_id="A-4004", amount="55.00"))
    assert recorded.status_code == 201, recorded.text
    inquiry = _open(api, brand, add_partner(brand), order_id="A-4004")

    error = error_of(api.post(f"/inquiries/{inquiry['id']}/accept"), 409)

    assert error["code"] == "idempotency_conflict"
    assert inquiry["id"] in error["message"] and "amount" in error["message"]
    assert api.ok(f"/inquiries/{inquiry['id']}")["status"] == "open"


def test_an_inquiry_is_decided_once(api, brand):
    partner = add_partner(brand)
    inquiry = _open(api, brand, partner)
    assert api.post(f"/inquiries/{inquiry['id']}/accept").status_code == 200

    error = error_of(api.post(f"/inquiries/{inquiry['id']}/accept"), 409)
    assert "accepted" in error["message"]
    error = error_of(api.post(f"/inquiries/{inquiry['id']}/decline", {"reason": "late"}), 409)
    assert "accepted" in error["message"]
    assert len(api.ok("/commissions", partner_id=partner.id)["data"]) == 1


def test_declining_needs_a_reason(api, brand):
    inquiry = _open(api, brand, add_partner(brand))
    assert error_of(api.post(f"/inquiries/{inquiry['id']}/decline", {}), 422)["field"] == "reason"
    response = api.post(f"/inquiries/{inquiry['id']}/decline", {"reason": "   "})
    assert error_of(response, 422)["field"] == "reason"


def test_a_partner_cannot_decide_an_inquiry(api, brand):
    partner = add_partner(brand)
    inquiry = _open(api, brand, partner)
    as_partner = Api(api.client, partner.api_key)
    assert error_of(as_partner.post(f"/inquiries/{inquiry['id']}/accept"), 403)
    response = as_partner.post(f"/inquiries/{inquiry['id']}/decline", {"reason": "never mind"})
    assert error_of(response, 403)


def test_inquiries_stay_with_their_partner_and_brand(api, brand, client, store):
    partner = add_partner(brand)
    inquiry = _open(api, brand, partner)
    other_partner = Api(client, add_partner(brand).api_key)
    other_brand = Api(client, make_brand(store).api_key)

    for caller in (other_partner, other_brand):
        assert error_of(caller.get(f"/inquiries/{inquiry['id']}"), 404)["field"] == "inquiry_id"
        assert caller.ok("/inquiries")["data"] == []
    error = error_of(other_brand.post(f"/inquiries/{inquiry['id']}/accept"), 404)
    assert error["field"] == "inquiry_id"
    error = error_of(other_brand.get("/inquiries", program_id=brand.program_id), 404)
    assert error["field"] == "program_id"


def test_an_unapproved_partner_cannot_open_an_inquiry(api, brand):
    partner = add_partner(brand, approved=False)
    response = Api(api.client, partner.api_key).post("/inquiries", _body(brand))
    assert error_of(response, 403)["code"] == "forbidden"


def test_an_unknown_status_filter_is_refused(api, brand):
    assert error_of(api.get("/inquiries", status="pending"), 422)["field"] == "status"
