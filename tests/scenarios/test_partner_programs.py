"""Worked examples of partner programs, end to end through the services."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from accord.commissions.service import approve, get_commission, lock_due
from accord.contracts.service import RuleSpec, add_version
from accord.conversions.model import ReversalRequest
from accord.conversions.reversals import reverse_conversion
from accord.errors import IdempotencyConflict, InvalidTransition
from accord.payouts.service import run_batch
from accord.reports.service import program_summary
from accord.tracking.service import create_promo_code
from tests.factories import add_partner, click, convert, make_brand


def test_a_click_then_a_sale_earns_the_partner_its_percent(store):
    brand = make_brand(store)
    partner = add_partner(brand)
    recorded = convert(brand, amount="250.00", click_id=click(brand, partner))

    assert recorded.conversion.partner_id == partner.id
    assert recorded.conversion.customer_status == "new"
    commission, _ = get_commission(store, brand.caller, recorded.commission_ids[0])
    assert commission.amount_minor == 2500  # 10% of 250.00 for a new customer
    assert commission.explanation["arithmetic"].startswith("250.00 x 10%")


def test_a_returning_customer_earns_the_returning_rate(store):
    brand = make_brand(store)
    partner = add_partner(brand)
    convert(brand, customer_id="c-1", click_id=click(brand, partner))
    second = convert(brand, customer_id="c-1", amount="80.00", click_id=click(brand, partner))

    assert second.conversion.customer_status == "returning"
    commission, _ = get_commission(store, brand.caller, second.commission_ids[0])
    assert commission.amount_minor == 400  # 5% of 80.00


def test_a_retry_of_the_same_order_is_counted_once(store):
    brand = make_brand(store)
    partner = add_partner(brand)
    click_id = click(brand, partner)
    first = convert(brand, order_id="A-1", click_id=click_id)
    again = convert(brand, order_id="A-1", click_id=click_id)

    assert again.created is False
    assert again.conversion.id == first.conversion.id
    assert again.commission_ids == first.commission_ids
    summary = program_summary(store, brand.caller, brand.program_id)
    assert summary.conversions == 1
    assert summary.commissions == Decimal("10.00")


def test_the_same_order_with_a_different_amount_is_refused_naming_the_field(store):
    brand = make_brand(store)
    convert(brand, order_id="A-2", amount="100.00")
    with pytest.raises(IdempotencyConflict) as caught:
        convert(brand, order_id="A-2", amount="120.00")
    assert caught.value.field == "amount"


def test_a_promo_code_credits_its_partner_when_no_click_qualifies(store):
    brand = make_brand(store)
    partner = add_partner(brand, partner_type="coupon")
    create_promo_code(store, brand.caller, brand.program_id, "SAVE10", partner_id=partner.id)
    recorded = convert(brand, promo_code="save10")

    assert recorded.conversion.partner_id == partner.id
    assert recorded.conversion.attribution_reason == "promo_code"
    assert len(recorded.commission_ids) == 1


def test_a_click_older_than_the_window_earns_nothing(store, clock):
    brand = make_brand(store, window_days=7)
    partner = add_partner(brand)
    old_click = click(brand, partner)
    clock.advance(timedelta(days=8))
    recorded = convert(brand, click_id=old_click)

    assert recorded.conversion.status == "unattributed"
    assert recorded.conversion.attribution_reason == "click_outside_window"
    assert recorded.commission_ids == []


def test_a_partial_return_reduces_a_percent_commission_in_proportion(store):
    brand = make_brand(store)
    partner = add_partner(brand)
    recorded = convert(brand, amount="200.00", click_id=click(brand, partner))
    reverse_conversion(
        store,
        brand.caller,
        recorded.conversion.id,
        ReversalRequest(amount=Decimal("50.00"), reason_code="returned"),
    )

    commission, adjustments = get_commission(store, brand.caller, recorded.commission_ids[0])
    assert commission.amount_minor == 1500  # 10% of the 150.00 kept
    assert [a.delta_minor for a in adjustments] == [-500]
    assert commission.status == "pending"


def test_a_refund_after_payout_is_clawed_back_from_the_next_payout(store, clock):
    brand = make_brand(store, locking_days=30)
    partner = add_partner(brand)
    first = convert(brand, amount="300.00", click_id=click(brand, partner))  # earns 30.00
    clock.advance(timedelta(days=31))
    lock_due(store, brand.caller, brand.program_id)
    approve(store, brand.caller, brand.program_id)
    paid = run_batch(store, brand.caller, brand.program_id)
    assert [p.amount_minor for p in paid.payouts] == [3000]

    reverse_conversion(
        store, brand.caller, first.conversion.id, ReversalRequest(reason_code="returned")
    )  # the whole order comes back
    convert(brand, amount="500.00", customer_id="other", click_id=click(brand, partner))
    clock.advance(timedelta(days=31))
    lock_due(store, brand.caller, brand.program_id)
    approve(store, brand.caller, brand.program_id)
    second = run_batch(store, brand.caller, brand.program_id)

    assert [p.amount_minor for p in second.payouts] == [5000 - 3000]  # 50.00 less 30.00
    summary = program_summary(store, brand.caller, brand.program_id)
    assert summary.ledger_balanced
    assert summary.paid == Decimal("50.00")
    assert summary.commissions == Decimal("50.00")


def test_a_commission_keeps_the_contract_version_it_was_computed_under(store, clock):
    brand = make_brand(store)
    partner = add_partner(brand)
    before = convert(brand, amount="100.00", click_id=click(brand, partner))
    clock.advance(timedelta(hours=1))
    add_version(store, brand.caller, brand.contract_id, [RuleSpec(event_type="sale", percent="20")])
    clock.advance(timedelta(hours=1))
    after = convert(brand, amount="100.00", customer_id="x", click_id=click(brand, partner))

    old, _ = get_commission(store, brand.caller, before.commission_ids[0])
    new, _ = get_commission(store, brand.caller, after.commission_ids[0])
    assert old.amount_minor == 1000 and new.amount_minor == 2000
    assert old.contract_version_id != new.contract_version_id


def test_approving_a_commission_twice_fails_instead_of_paying_twice(store, clock):
    brand = make_brand(store)
    partner = add_partner(brand)
    recorded = convert(brand, click_id=click(brand, partner))
    clock.advance(timedelta(days=31))
    lock_due(store, brand.caller, brand.program_id)
    approve(store, brand.caller, brand.program_id, recorded.commission_ids)
    with pytest.raises(InvalidTransition):
        approve(store, brand.caller, brand.program_id, recorded.commission_ids)
    summary = program_summary(store, brand.caller, brand.program_id)
    assert summary.payable == Decimal("10.00")


def test_a_partner_not_yet_approved_earns_no_commission(store):
    brand = make_brand(store)
    approved = add_partner(brand)
    pending = add_partner(brand, approved=False)
    from accord.partners.service import set_enrollment_status

    set_enrollment_status(store, brand.caller, brand.program_id, pending.id, "suspended")
    recorded = convert(brand, click_id=click(brand, approved))
    assert recorded.commission_ids
    # A suspended partner's earlier click still attributes, but earns nothing.
    set_enrollment_status(store, brand.caller, brand.program_id, approved.id, "suspended")
    later = convert(brand, click_id=click(brand, approved), customer_id="z")
    assert later.conversion.partner_id == approved.id
    assert later.commission_ids == []
    assert later.conversion.commission_note == "partner_not_approved"
