"""Each change other stages care about writes its event in the transaction of the change,
recorded by the real use cases, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from accord.commissions.service import approve, lock_due
from accord.conversions import service as conversions
from accord.conversions.model import ReversalRequest
from accord.conversions.reversals import reverse_conversion
from accord.conversions.tables import Conversion
from accord.events.model import CommissionCreated, ConversionRecorded
from accord.events.service import list_events
from accord.events.tables import DomainEventRow
from accord.partners.service import apply_to_program, set_enrollment_status
from accord.payouts.service import run_batch
from accord.programs.service import update_program
from accord.tracking.model import new_click_id
from accord.tracking.service import click_row, link_target, record_clicks
from tests.events.conftest import events_about
from tests.factories import add_partner, click, convert, make_brand


def types_of(store, *subjects: str) -> list[str]:
    return [row.type for row in events_about(store, *subjects)]


def test_a_recorded_conversion_writes_its_event_and_its_commissions_in_one_transaction(
    store, clock, held
):
    brand = make_brand(store)
    partner = add_partner(brand)
    held.clear()  # the kicks of setting the program up
    recorded = convert(brand, order_id="A-1", amount="129.90", click_id=click(brand, partner))
    [commission_id] = recorded.commission_ids

    [conversion_event] = events_about(store, recorded.conversion.id)
    [commission_event] = events_about(store, commission_id)
    assert conversion_event.type == "conversion.recorded"
    assert commission_event.type == "commission.created"
    assert conversion_event.sequence < commission_event.sequence
    assert conversion_event.recorded_at == commission_event.recorded_at == clock.now()
    assert len(held) == 1  # one kick for the unit of work, after it committed

    found = list_events(store, brand.caller.organization_id, program_id=brand.program_id)
    events = {e.event.type: e.event for e in found if e.event.type.startswith(("conv", "comm"))}
    assert events["conversion.recorded"] == ConversionRecorded(
        organization_id=brand.caller.organization_id,
        program_id=brand.program_id,
        occurred_at=clock.now(),
        conversion_id=recorded.conversion.id,
        order_id="A-1",
        event_type="sale",
        amount=Decimal("129.90"),
        currency="USD",
        status="attributed",
        partner_id=partner.id,
        customer_status="new",
        source="api",
        converted_at=clock.now(),
    )
    created = events["commission.created"]
    assert isinstance(created, CommissionCreated)
    assert (created.commission_id, created.partner_id, created.status) == (
        commission_id,
        partner.id,
        "pending",
    )
    assert (created.amount, created.currency) == (Decimal("12.99"), "USD")
    assert (created.order_amount, created.order_currency) == (Decimal("129.90"), "USD")


def test_a_conversion_that_fails_after_its_event_was_written_leaves_no_event(
    store, held, monkeypatch
):
    brand = make_brand(store)
    partner = add_partner(brand)
    clicked = click(brand, partner)
    kicks = len(held)

    def broken(*args, **kwargs):
        raise RuntimeError("the commission could not be computed")

    monkeypatch.setattr(conversions, "_credit", broken)
    with pytest.raises(RuntimeError):
        convert(brand, order_id="B-1", click_id=clicked)
    with store.read() as session:
        stored = select(Conversion).where(
            Conversion.organization_id == brand.caller.organization_id,
            Conversion.order_id == "B-1",
        )
        assert session.scalar(stored) is None
        assert (
            session.scalar(
                select(DomainEventRow).where(
                    DomainEventRow.organization_id == brand.caller.organization_id,
                    DomainEventRow.type == "conversion.recorded",
                )
            )
            is None
        )
    assert len(held) == kicks


def test_a_commission_records_each_step_of_its_life(store, held):
    brand = make_brand(store, locking_days=0)
    partner = add_partner(brand)
    recorded = convert(brand, amount="129.90", click_id=click(brand, partner))
    [commission_id] = recorded.commission_ids
    lock_due(store, brand.caller, brand.program_id)
    approve(store, brand.caller, brand.program_id)
    batch = run_batch(store, brand.caller, brand.program_id)
    reverse_conversion(
        store,
        brand.caller,
        recorded.conversion.id,
        ReversalRequest(amount=Decimal("29.90"), reason_code="returned"),
    )
    reverse_conversion(
        store, brand.caller, recorded.conversion.id, ReversalRequest(reason_code="returned")
    )
    assert types_of(store, commission_id) == [
        "commission.created",
        "commission.locked",
        "commission.approved",
        "commission.paid",
        "commission.adjusted",
        "commission.reversed",
    ]
    steps = {
        e.event.type: e.event
        for e in list_events(store, brand.caller.organization_id)
        if getattr(e.event, "commission_id", None) == commission_id
    }
    assert [(t, str(s.amount), s.status, str(s.order_amount)) for t, s in steps.items()] == [
        ("commission.created", "12.99", "pending", "129.90"),
        ("commission.locked", "12.99", "locked", "129.90"),
        ("commission.approved", "12.99", "approved", "129.90"),
        ("commission.paid", "12.99", "paid", "129.90"),
        ("commission.adjusted", "10.00", "paid", "100.00"),
        ("commission.reversed", "0.00", "reversed", "0.00"),
    ]
    assert steps["commission.paid"].payout_id == batch.payouts[0].id
    assert (steps["commission.adjusted"].delta, steps["commission.adjusted"].reason_code) == (
        Decimal("-2.99"),
        "returned",
    )
    [payout] = batch.payouts
    [sent] = events_about(store, payout.id)
    assert sent.type == "payout.sent"
    assert sent.payload["commission_count"] == 1 and sent.payload["amount"] == "12.99"


def test_locking_twice_announces_each_commission_once(store, clock, held):
    brand = make_brand(store, locking_days=1)
    partner = add_partner(brand)
    first = convert(brand, click_id=click(brand, partner)).commission_ids[0]
    clock.advance(timedelta(days=2))
    second = convert(brand, click_id=click(brand, partner)).commission_ids[0]
    assert lock_due(store, brand.caller, brand.program_id) == 1
    assert lock_due(store, brand.caller, brand.program_id) == 0
    clock.advance(timedelta(days=2))
    assert lock_due(store, brand.caller, brand.program_id) == 1
    assert types_of(store, first).count("commission.locked") == 1
    assert types_of(store, second).count("commission.locked") == 1


def test_a_partners_enrollment_changes_are_announced_once_each(store, held):
    brand = make_brand(store)
    applicant = add_partner(brand, approved=False)
    set_enrollment_status(store, brand.caller, brand.program_id, applicant.id, "approved")
    set_enrollment_status(store, brand.caller, brand.program_id, applicant.id, "approved")
    set_enrollment_status(store, brand.caller, brand.program_id, applicant.id, "suspended")
    assert types_of(store, applicant.id) == [
        "partner.applied",
        "partner.approved",
        "partner.suspended",
    ]
    [suspended] = [r for r in events_about(store, applicant.id) if r.type == "partner.suspended"]
    assert (suspended.payload["status_before"], suspended.payload["status"]) == (
        "approved",
        "suspended",
    )
    assert suspended.organization_id == brand.caller.organization_id

    other = make_brand(store)
    update_program(
        store, other.caller, other.program_id, {"listed": True, "auto_approve_partners": True}
    )
    apply_to_program(store, applicant.caller, other.program_id)
    in_other = [r for r in events_about(store, applicant.id) if r.program_id == other.program_id]
    assert [r.type for r in in_other] == ["partner.applied", "partner.approved"]
    assert {r.organization_id for r in in_other} == {other.caller.organization_id}


def test_a_batch_of_clicks_is_one_event_per_program_naming_its_clicks(store, held):
    brand = make_brand(store)
    partner = add_partner(brand)
    ids = [click(brand, partner) for _ in range(3)]
    stored = [
        e
        for e in list_events(store, brand.caller.organization_id, types=["clicks.stored"])
        if e.event.program_id == brand.program_id
    ]
    assert [list(e.event.click_ids) for e in stored] == [[i] for i in ids]  # one per batch

    with store.read() as session:
        target = link_target(session, partner.link_code)
    batch = [
        click_row(target, new_click_id(), store.clock.now(), None, None, None) for _ in range(5)
    ]
    record_clicks(store, batch)
    [event] = [
        e.event
        for e in list_events(store, brand.caller.organization_id, types=["clicks.stored"])
        if len(e.event.click_ids) == 5
    ]
    assert list(event.click_ids) == [row["id"] for row in batch]
    assert event.impression_ids == ()
