"""Postback use cases on SQLite and PostgreSQL: registration, enqueueing, delivery."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from accord.commissions.service import approve, lock_due
from accord.conversions.model import ReversalRequest
from accord.conversions.reversals import reverse_conversion
from accord.errors import Conflict, Forbidden, InvalidInput, NotFound
from accord.payouts.service import run_batch
from accord.postbacks.model import MAX_ATTEMPTS, MAX_SPAN, verify
from accord.postbacks.service import (
    MAX_ENDPOINTS,
    deliver_due,
    disable_endpoint,
    list_endpoints,
    register_endpoint,
)
from accord.tracking.service import create_promo_code
from tests.factories import add_partner, click, convert, make_brand
from tests.postbacks.support import Receiver, click_with_subs, deliveries, public, register

ALL_MACROS = (
    "https://partner.example/pb?c={click_id}&s1={sub1}&s2={sub2}&s5={sub5}&o={order_id}"
    "&a={amount}&p={payout}&cur={currency}&e={event}&st={status}&t={event_type}"
)


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


# registration -----------------------------------------------------------------------------
def test_a_partner_registers_an_endpoint_with_a_signing_secret(store):
    brand = make_brand(store)
    partner = add_partner(brand)
    endpoint = register(partner, store, ALL_MACROS, program_id=brand.program_id)
    assert endpoint.id.startswith("pbk_") and endpoint.secret.startswith("whsec_")
    assert endpoint.program_id == brand.program_id and endpoint.active
    assert "conversion.attributed" in endpoint.events
    assert [e.id for e in list_endpoints(store, partner.caller)] == [endpoint.id]
    assert list_endpoints(store, add_partner(brand).caller) == []


def test_a_brand_key_cannot_register_postbacks(store):
    brand = make_brand(store)
    with pytest.raises(Forbidden, match="partner's API key"):
        register_endpoint(store, brand.caller, "https://partner.example/pb", resolve=public)


def test_registration_refuses_unknown_macros_private_hosts_and_foreign_programs(store):
    brand = make_brand(store)
    other = make_brand(store)
    partner = add_partner(brand)
    with pytest.raises(InvalidInput, match=r"url: unknown macros \{aff_sub\}"):
        register(partner, store, "https://partner.example/pb?x={aff_sub}")
    with pytest.raises(InvalidInput, match=r"169\.254\.169\.254, a link-local address"):
        register(partner, store, "https://meta.example/", resolve=lambda h: ["169.254.169.254"])
    with pytest.raises(NotFound) as foreign:
        register(partner, store, "https://partner.example/pb", program_id=other.program_id)
    assert foreign.value.field == "program_id"
    with pytest.raises(InvalidInput, match="events: unknown events 'sale'"):
        register(partner, store, "https://partner.example/pb", events=["sale"])
    assert list_endpoints(store, partner.caller) == []


def test_a_partner_has_at_most_ten_active_endpoints(store):
    partner = add_partner(make_brand(store))
    made = [register(partner, store, f"https://p.example/{i}") for i in range(MAX_ENDPOINTS)]
    with pytest.raises(Conflict, match="delete one first"):
        register(partner, store, "https://p.example/one-more")
    disable_endpoint(store, partner.caller, made[0].id)
    register(partner, store, "https://p.example/one-more")


def test_a_partner_cannot_disable_another_partners_endpoint(store):
    brand = make_brand(store)
    owner, stranger = add_partner(brand), add_partner(brand)
    endpoint = register(owner, store, "https://partner.example/pb")
    with pytest.raises(NotFound):
        disable_endpoint(store, stranger.caller, endpoint.id)
    assert list_endpoints(store, owner.caller)[0].active


# enqueueing -------------------------------------------------------------------------------
def test_an_attributed_conversion_enqueues_a_postback_with_its_macros(store, clock):
    brand = make_brand(store)
    partner = add_partner(brand)
    endpoint = register(partner, store, ALL_MACROS)
    click_id = click_with_subs(brand, partner, sub1="spring sale&x=1", sub2="ad/7", sub5="渠道")
    recorded = convert(brand, order_id="A-1/2", amount="129.90", click_id=click_id)

    [delivery] = deliveries(store, endpoint.id)
    assert delivery.commission_id == recorded.commission_ids[0]
    assert delivery.event == "conversion.attributed"
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    assert delivery.next_attempt_at == clock.now() and delivery.created_at == clock.now()
    assert query_of(delivery.url) == {
        "c": click_id,
        "s1": "spring sale&x=1",
        "s2": "ad/7",
        "s5": "渠道",
        "o": "A-1/2",
        "a": "129.90",
        "p": "12.99",
        "cur": "USD",
        "e": "conversion.attributed",
        "st": "pending",
        "t": "sale",
    }
    assert "spring%20sale%26x%3D1" in delivery.url and "A-1%2F2" in delivery.url
    body = json.loads(delivery.body)
    assert body == {
        "event": "conversion.attributed",
        "commission_id": recorded.commission_ids[0],
        "conversion_id": recorded.conversion.id,
        "program_id": brand.program_id,
        "order_id": "A-1/2",
        "event_type": "sale",
        "amount": "129.90",
        "payout": "12.99",
        "currency": "USD",
        "status": "pending",
        "click_id": click_id,
        "sub1": "spring sale&x=1",
        "sub2": "ad/7",
        "sub3": None,
        "sub4": None,
        "sub5": "渠道",
        "occurred_at": clock.now().isoformat(),
        "converted_at": clock.now().isoformat(),
    }


def test_partners_without_a_matching_endpoint_get_nothing(store):
    brand = make_brand(store)
    quiet, paid_only, stopped = add_partner(brand), add_partner(brand), add_partner(brand)
    only_paid = register(paid_only, store, ALL_MACROS, events=["commission.paid"])
    gone = register(stopped, store, ALL_MACROS)
    disable_endpoint(store, stopped.caller, gone.id)
    for partner in (quiet, paid_only, stopped):
        convert(brand, click_id=click(brand, partner))
    assert deliveries(store, only_paid.id) == [] and deliveries(store, gone.id) == []


def test_a_partner_never_sees_another_partners_click(store, clock):
    brand = make_brand(store)
    clicker, coupon_site = add_partner(brand), add_partner(brand, partner_type="coupon")
    create_promo_code(store, brand.caller, brand.program_id, "SPRING10", partner_id=coupon_site.id)
    endpoint = register(coupon_site, store, ALL_MACROS)
    old_click = click_with_subs(brand, clicker, sub1="clicker-secret")
    clock.advance(timedelta(days=31))  # the click is outside the window; the code earns it
    convert(brand, click_id=old_click, promo_code="spring10")

    [delivery] = deliveries(store, endpoint.id)
    assert query_of(delivery.url)["c"] == "" and query_of(delivery.url)["s1"] == ""
    body = json.loads(delivery.body)
    assert body["click_id"] is None and body["sub1"] is None


def test_each_status_change_of_a_commission_enqueues_its_event(store):
    brand = make_brand(store, locking_days=0)
    partner = add_partner(brand)
    endpoint = register(partner, store, "https://partner.example/pb?e={event}&p={payout}")
    recorded = convert(brand, amount="129.90", click_id=click(brand, partner))
    lock_due(store, brand.caller, brand.program_id)  # locking sends nothing
    approve(store, brand.caller, brand.program_id)
    run_batch(store, brand.caller, brand.program_id)
    reverse_conversion(
        store,
        brand.caller,
        recorded.conversion.id,
        ReversalRequest(amount=Decimal("29.90"), reason_code="returned"),
    )
    reverse_conversion(
        store, brand.caller, recorded.conversion.id, ReversalRequest(reason_code="returned")
    )

    seen = [
        (d.event, json.loads(d.body)["status"], json.loads(d.body)["payout"], query_of(d.url))
        for d in deliveries(store, endpoint.id)
    ]
    assert [s[:3] for s in seen] == [
        ("conversion.attributed", "pending", "12.99"),
        ("commission.approved", "approved", "12.99"),
        ("commission.paid", "paid", "12.99"),
        ("commission.adjusted", "paid", "10.00"),
        ("commission.reversed", "reversed", "0.00"),
    ]
    assert seen[3][3] == {"e": "commission.adjusted", "p": "10.00"}
    amounts = [json.loads(d.body)["amount"] for d in deliveries(store, endpoint.id)]
    assert amounts == ["129.90", "129.90", "129.90", "100.00", "0.00"]


# delivering -------------------------------------------------------------------------------
def test_a_postback_is_signed_retried_after_a_server_error_and_sent_once(store, clock):
    brand = make_brand(store)
    partner = add_partner(brand)
    endpoint = register(partner, store, "https://partner.example/pb?c={click_id}")
    convert(brand, click_id=click(brand, partner))
    receiver = Receiver(500)

    sent_at = [clock.now(), clock.now() + timedelta(seconds=30)]
    first = deliver_due(store, receiver, clock.now(), resolve=public)
    assert (first.delivered, first.retrying, first.failed) == (0, 1, 0)
    [delivery] = deliveries(store, endpoint.id)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.last_error == "HTTP 500"
    assert delivery.next_attempt_at == clock.now() + timedelta(seconds=30)
    assert deliver_due(store, receiver, clock.now(), resolve=public).attempted == 0

    clock.advance(timedelta(seconds=30))
    second = deliver_due(store, receiver, clock.now(), resolve=public)
    assert second.delivered == 1
    [delivery] = deliveries(store, endpoint.id)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
    assert delivery.delivered_at == clock.now() and delivery.next_attempt_at is None

    clock.advance(timedelta(days=4))
    assert deliver_due(store, receiver, clock.now(), resolve=public).attempted == 0
    assert len(receiver.requests) == 2
    for request, at in zip(receiver.requests, sent_at, strict=True):
        assert request.url == delivery.url and request.body == delivery.body
        assert request.headers["webhook-id"] == delivery.id  # the receiver's dedupe key
        assert request.headers["webhook-timestamp"] == str(int(at.timestamp()))
        assert [str(a) for a in request.addresses] == ["93.184.216.34"]
        verify(endpoint.secret, request.headers, request.body, at)


def test_a_postback_fails_for_good_when_the_schedule_is_over(store, clock):
    brand = make_brand(store)
    partner = add_partner(brand)
    endpoint = register(partner, store, "https://partner.example/pb")
    convert(brand, click_id=click(brand, partner))
    first_due = clock.now()
    receiver = Receiver(*([503] * 20))
    while True:
        run = deliver_due(store, receiver, clock.now(), resolve=public)
        [delivery] = deliveries(store, endpoint.id)
        if delivery.status != "pending":
            break
        assert run.retrying == 1
        clock.set(delivery.next_attempt_at)
    assert run.failed == 1
    assert (delivery.status, delivery.attempts) == ("failed", MAX_ATTEMPTS)
    assert len(receiver.requests) == MAX_ATTEMPTS
    assert clock.now() - first_due <= MAX_SPAN
    clock.advance(timedelta(days=7))
    assert deliver_due(store, receiver, clock.now(), resolve=public).attempted == 0


def test_a_network_error_is_recorded_and_retried(store, clock):
    brand = make_brand(store)
    partner = add_partner(brand)
    endpoint = register(partner, store, "https://partner.example/pb")
    convert(brand, click_id=click(brand, partner))
    deliver_due(store, Receiver(ConnectionError("connection refused")), clock.now(), resolve=public)
    [delivery] = deliveries(store, endpoint.id)
    assert delivery.status == "pending" and delivery.last_status_code is None
    assert delivery.last_error == "ConnectionError: connection refused"


def test_a_host_that_turns_private_after_registration_is_not_contacted(store, clock):
    brand = make_brand(store)
    partner = add_partner(brand)
    endpoint = register(partner, store, "https://rebind.example/pb")
    convert(brand, click_id=click(brand, partner))
    receiver = Receiver()
    deliver_due(store, receiver, clock.now(), resolve=lambda host: ["10.0.0.5"])
    assert receiver.requests == []
    [delivery] = deliveries(store, endpoint.id)
    assert delivery.status == "pending" and delivery.attempts == 1
    assert "10.0.0.5, a private address" in delivery.last_error


def test_disabling_an_endpoint_gives_up_its_pending_deliveries(store, clock):
    brand = make_brand(store)
    partner = add_partner(brand)
    endpoint = register(partner, store, "https://partner.example/pb")
    convert(brand, click_id=click(brand, partner))
    disable_endpoint(store, partner.caller, endpoint.id)
    disable_endpoint(store, partner.caller, endpoint.id)  # again: no error
    receiver = Receiver()
    assert deliver_due(store, receiver, clock.now(), resolve=public).attempted == 0
    [delivery] = deliveries(store, endpoint.id)
    assert (delivery.status, delivery.last_error) == ("failed", "endpoint disabled")


def test_a_second_worker_does_not_take_what_the_first_is_sending(store, clock):
    brand = make_brand(store)
    partner = add_partner(brand)
    endpoint = register(partner, store, "https://partner.example/pb")
    for _ in range(3):
        convert(brand, click_id=click(brand, partner))
    other = Receiver()
    others_runs = []

    def first(outgoing):
        others_runs.append(deliver_due(store, other, clock.now(), resolve=public))
        return 204

    run = deliver_due(store, first, clock.now(), resolve=public, concurrency=1)
    assert run.delivered == 3
    assert other.requests == [] and all(r.attempted == 0 for r in others_runs)
    assert {d.status for d in deliveries(store, endpoint.id)} == {"delivered"}
