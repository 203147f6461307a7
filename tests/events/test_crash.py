"""A process killed with SIGKILL between the commit of a change and the handling of its
events loses no event: another process's dispatch handles each event once per handler.
Runs on SQLite and PostgreSQL with a real child process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from accord.commissions.tables import Commission
from accord.conversions.tables import Conversion
from accord.events.dispatch import dispatch_pending
from accord.events.model import ConversionRecorded
from accord.events.tables import EventHandling
from accord.postbacks.tables import PostbackDelivery
from tests.events.conftest import events_about, handlings_of
from tests.factories import add_partner, click, make_brand
from tests.postbacks.support import deliveries, register

SRC = Path(__file__).resolve().parents[2] / "src"

#: The child records a conversion; its kicker (after the commit) or its first handler
#: (during the dispatch) kills the process before any handling is recorded.
CHILD = """
import os, signal, sys
from datetime import datetime
from decimal import Decimal

from accord.clock import FixedClock
from accord.conversions.model import ConversionReport
from accord.conversions.service import record_conversion
from accord.events.dispatch import dispatch_now, set_kicker
from accord.events.model import CommissionCreated
from accord.events.subscriptions import subscribe
from accord.store.engine import Store, make_engine
from accord.tenancy.service import authenticate

url, key, program_id, order_id, click_id, at, where = sys.argv[1:]

def die(*_):
    os.kill(os.getpid(), signal.SIGKILL)

if where == "after_commit":
    set_kicker(die)
else:
    set_kicker(dispatch_now)
    subscribe(CommissionCreated, "a-handler-that-dies")(die)
store = Store(make_engine(url), FixedClock(datetime.fromisoformat(at)))
report = ConversionReport(
    program_id=program_id, order_id=order_id, amount=Decimal("80.00"), currency="USD",
    click_id=click_id,
)
record_conversion(store, authenticate(store, key), report)
print("still alive")
"""


@pytest.mark.parametrize("where", ["after_commit", "in_a_handler"])
def test_a_process_killed_before_its_events_are_handled_loses_none_and_none_is_handled_twice(
    store, database_url, clock, handlers, held, where
):
    brand = make_brand(store)
    partner = add_partner(brand)
    endpoint = register(partner, store, "https://partner.example/pb?o={order_id}&e={event}")
    clicked = click(brand, partner)
    order_id = f"crash-{clicked[-10:]}"
    counted = handlers.counter(ConversionRecorded, "test-counter")

    child = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            database_url,
            brand.api_key,
            brand.program_id,
            order_id,
            clicked,
            clock.now().isoformat(),
            where,
        ],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert "still alive" not in child.stdout

    # The change is committed; its events wait, and no postback was enqueued.
    with store.read() as session:
        conversion = session.scalar(select(Conversion).where(Conversion.order_id == order_id))
    assert conversion is not None and conversion.status == "attributed"
    commission_id = _commission_of(store, conversion.id)
    rows = events_about(store, conversion.id, commission_id)
    assert [(r.type, r.status) for r in rows] == [
        ("conversion.recorded", "pending"),
        ("commission.created", "pending"),
    ]
    assert all(handlings_of(store, r.id) == {} for r in rows)
    assert deliveries(store, endpoint.id) == []

    dispatch_pending(store)
    once = _state(store, endpoint.id, rows)
    assert [r.status for r in events_about(store, conversion.id, commission_id)] == [
        "handled",
        "handled",
    ]
    assert once["deliveries"] == [("conversion.attributed", commission_id)]
    assert once["handlings"] == {
        ("conversion.recorded", "test-counter"): ("done", 1),
        ("commission.created", "postbacks"): ("done", 1),
    }
    assert counted.count(conversion.id) == 1

    dispatch_pending(store)  # again: nothing changes
    assert _state(store, endpoint.id, rows) == once
    assert counted.count(conversion.id) == 1


def _commission_of(store, conversion_id: str) -> str:
    with store.read() as session:
        return session.scalar(
            select(Commission.id).where(Commission.conversion_id == conversion_id)
        )


def _state(store, endpoint_id: str, rows) -> dict:
    types = {r.id: r.type for r in rows}
    with store.read() as session:
        handled = session.scalars(
            select(EventHandling).where(EventHandling.event_id.in_(list(types)))
        ).all()
        sent = session.scalars(
            select(PostbackDelivery)
            .where(PostbackDelivery.endpoint_id == endpoint_id)
            .order_by(PostbackDelivery.id)
        ).all()
    return {
        "handlings": {(types[h.event_id], h.handler): (h.status, h.attempts) for h in handled},
        "deliveries": [(d.event, d.commission_id) for d in sent],
    }
