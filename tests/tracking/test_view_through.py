"""View-through: an impression, then an order with no click or code from the same shopper
(IP and user agent) within the program's window, credits the impression's partner; it is
paid only when the contract's terms have `view_through`, at their share of a click's pay."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from accord.contracts.service import add_version
from accord.conversions.tables import Conversion
from accord.programs.service import update_program
from accord.tracking.model import new_click_id
from accord.tracking.service import impression_row, link_target, record_events

SHOPPER = {"ip": "198.51.100.40", "user_agent": "Mozilla/5.0 (iPhone) Safari/604.1"}


def _seen(store, partner, hours_ago: float = 2, ip: str = SHOPPER["ip"]) -> None:
    with store.read() as session:
        target = link_target(session, partner.link_code)
    at = store.clock.now() - timedelta(hours=hours_ago)
    row = impression_row(
        target, new_click_id().replace("clk_", "imp_"), at, ip, SHOPPER["user_agent"], "banner"
    )
    record_events(store, [("impression", row)])


def _order(client, brand, order_id: str, **extra):
    body = {"program_id": brand.program_id, "order_id": order_id, "amount": "200.00",
            "currency": "USD", **SHOPPER, **extra}  # fmt: skip
    response = client.post("/api/v1/conversions", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_view_through_order_is_credited_and_counted_but_not_paid_by_default(api, store):
    brand, partner, client = api
    _seen(store, partner)
    recorded = _order(client, brand, "VT-1")
    assert recorded["partner_id"] == partner.id
    assert recorded["attribution_reason"] == "view_through"
    assert recorded["commissions"] == []
    with store.read() as session:
        conversion = session.scalar(select(Conversion).where(Conversion.order_id == "VT-1"))
    assert conversion.commission_note == "view_through_not_paid"


def test_terms_with_view_through_pay_their_share_of_a_clicks_commission(api, store):
    brand, partner, client = api
    add_version(
        store,
        brand.caller,
        brand.contract_id,
        {"rules": [{"event_type": "sale", "percent": "10"}], "view_through": {"share": "50"}},
    )
    _seen(store, partner)
    recorded = _order(client, brand, "VT-2")
    assert recorded["attribution_reason"] == "view_through"
    [commission] = recorded["commissions"]
    assert commission["amount"] == {"amount": "10.00", "currency": "USD"}  # 200 x 10% x 50%
    why = client.get(f"/api/v1/commissions/{commission['id']}/explain").json()
    assert "share 0.5" in why["computed"]["arithmetic"]


def test_an_old_impression_another_shoppers_or_a_switched_off_window_credit_nobody(api, store):
    brand, partner, client = api
    _seen(store, partner, hours_ago=30)  # the default window is 24 hours
    _seen(store, partner, ip="192.0.2.99")  # someone else
    assert _order(client, brand, "VT-3")["attribution_reason"] == "no_touchpoint"
    _seen(store, partner)
    update_program(store, brand.caller, brand.program_id, {"view_through_hours": 0})
    assert _order(client, brand, "VT-4")["attribution_reason"] == "no_touchpoint"
    bad = client.patch(f"/api/v1/programs/{brand.program_id}", json={"view_through_hours": 9999})
    assert bad.status_code == 422 and "view_through_hours" in bad.text


def test_a_click_still_wins_over_an_earlier_impression(api, store):
    from tests.tracking.conftest import click_through

    brand, partner, client = api
    _seen(store, partner)
    click_id = click_through(client, partner)
    recorded = _order(client, brand, "VT-5", click_id=click_id)
    assert recorded["attribution_reason"] == "last_click_in_window"
