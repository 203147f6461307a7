"""The event types as values: what they carry, how they travel, the retry schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from accord.events.model import (
    EVENT_TYPES,
    MAX_ATTEMPTS,
    CommissionPaid,
    DomainEvent,
    retry_delay,
)

AT = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def test_every_event_type_has_its_own_name_of_the_form_stage_dot_happened():
    names = [cls.type for cls in EVENT_TYPES.values()]
    assert len(set(names)) == len(names) == 21
    assert all(name.count(".") == 1 and name == name.lower() for name in names)
    assert {
        "conversion.recorded",
        "commission.created",
        "commission.adjusted",
        "commission.reversed",
        "commission.locked",
        "commission.approved",
        "commission.paid",
        "commission.held",
        "commission.released",
        "partner.applied",
        "partner.approved",
        "partner.suspended",
        "partner.signed_in",
        "lead.stage_changed",
        "payout.sent",
        "clicks.stored",
        "contract.version_added",
        "postback.failed",
    } <= set(names)


@given(
    minor=st.integers(min_value=-(10**12), max_value=10**12),
    order=st.none() | st.integers(min_value=0, max_value=10**12),
)
def test_a_commission_event_travels_as_json_and_comes_back_equal(minor, order):
    event = CommissionPaid(
        organization_id="org_1",
        program_id="prg_1",
        occurred_at=AT,
        commission_id="com_1",
        partner_id="prt_1",
        conversion_id="cnv_1",
        kind="conversion",
        event_type="sale",
        status="paid",
        amount=Decimal(minor).scaleb(-2),
        currency="USD",
        order_amount=None if order is None else Decimal(order).scaleb(-2),
        order_currency=None if order is None else "EUR",
        payout_id="pay_1",
    )
    payload = event.payload()
    assert isinstance(payload["amount"], str)  # money never travels as a float
    back = CommissionPaid.model_validate(
        {**payload, "organization_id": "org_1", "program_id": "prg_1", "occurred_at": AT}
    )
    assert back == event and back.money.minor == minor
    assert back.subject_id == "com_1"


def test_an_event_refuses_a_naive_time_and_fields_it_does_not_have():
    with pytest.raises(ValueError):
        DomainEvent(organization_id="org_1", occurred_at=datetime(2026, 11, 1))
    with pytest.raises(ValidationError):
        DomainEvent(organization_id="org_1", occurred_at=AT, surprise=1)


def test_a_failing_handler_waits_longer_each_time_and_is_parked_after_the_last_attempt():
    delays = [retry_delay(n) for n in range(1, MAX_ATTEMPTS + 1)]
    assert delays[:3] == [timedelta(seconds=10), timedelta(seconds=40), timedelta(seconds=160)]
    assert delays[-1] is None
    waits = [d for d in delays if d is not None]
    assert waits == sorted(waits) and max(waits) <= timedelta(hours=6)
    assert timedelta(hours=9) < sum(waits, timedelta()) < timedelta(hours=24)
