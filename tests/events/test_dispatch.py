"""Subscriptions and dispatch on SQLite and PostgreSQL: each handler once per event, failures
retried with backoff without re-running the others, parked and visible, the kick after
commit."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.events.dispatch import dispatch_pending, set_kicker
from accord.events.model import MAX_ATTEMPTS, retry_delay
from accord.events.service import (
    failures,
    list_events,
    parked_count,
    pending_count,
    prune_handled,
    record,
    record_many,
    retry_parked,
)
from accord.events.tables import DomainEventRow
from accord.events.tasks import prune_events
from accord.ids import new_id
from tests.events.conftest import Pinged, events_about, handlings_of


def ping(store, *refs: str, org: str = "org_events") -> None:
    """Record one Pinged event per ref, in one unit of work."""
    with store.unit() as session:
        record_many(
            session,
            [Pinged(organization_id=org, occurred_at=store.clock.now(), ref=r) for r in refs],
        )


def refs(n: int) -> list[str]:
    return [new_id("ref") for _ in range(n)]


def test_an_event_is_handled_once_by_each_handler_and_dispatching_again_changes_nothing(
    store, handlers, held
):
    [ref] = refs(1)
    first = handlers.counter(Pinged, "first", {ref})
    second = handlers.counter(Pinged, "second", {ref})
    ping(store, ref)
    assert len(held) == 1  # the commit kicked once
    [row] = events_about(store, ref)
    assert (row.status, row.handled_at) == ("pending", None)

    dispatch_pending(store)
    dispatch_pending(store)
    assert first == [ref] and second == [ref]
    [row] = events_about(store, ref)
    assert (row.status, row.handled_at) == ("handled", store.clock.now())
    done = handlings_of(store, row.id)
    assert {name: (h.status, h.attempts) for name, h in done.items()} == {
        "first": ("done", 1),
        "second": ("done", 1),
    }


def test_an_event_nobody_subscribes_to_is_kept_and_marked_handled(store, held):
    [ref] = refs(1)
    ping(store, ref)
    assert held == []  # nothing to run: no kick
    dispatch_pending(store)
    [row] = events_about(store, ref)
    assert row.status == "handled" and handlings_of(store, row.id) == {}


def test_a_rolled_back_unit_of_work_writes_no_event_and_kicks_nothing(store, handlers, held):
    [ref] = refs(1)
    handlers.counter(Pinged, "counter", {ref})
    with pytest.raises(RuntimeError), store.unit() as session:
        record(session, Pinged(organization_id="org_x", occurred_at=store.clock.now(), ref=ref))
        session.flush()
        raise RuntimeError("the change failed")
    assert events_about(store, ref) == [] and held == []


def test_the_default_kick_handles_the_events_as_soon_as_the_change_commits(store, handlers):
    [ref] = refs(1)
    seen = handlers.counter(Pinged, "counter", {ref})
    ping(store, ref)
    assert seen == [ref]
    assert events_about(store, ref)[0].status == "handled"


def test_a_unit_inside_another_kicks_when_the_outer_one_ends(store, handlers):
    [ref] = refs(1)
    kicked_inside = []
    set_kicker(lambda s: kicked_inside.append(depth["open"]))
    depth = {"open": 0}
    handlers.counter(Pinged, "counter", {ref})
    with store.unit():
        depth["open"] = 1
        ping(store, ref)  # an inner unit that commits first
        assert kicked_inside == []
        depth["open"] = 0
    assert kicked_inside == [0]


def test_a_handler_that_fails_once_is_retried_later_without_running_the_others_again(
    store, clock, handlers, held
):
    [ref] = refs(1)
    calls = {"flaky": 0}

    def flaky(session, event) -> None:
        if event.ref == ref:
            calls["flaky"] += 1
            if calls["flaky"] == 1:
                raise ConnectionError("the mail server is down")

    handlers.add(Pinged, "flaky", flaky)
    steady = handlers.counter(Pinged, "steady", {ref})
    ping(store, ref)
    dispatch_pending(store)
    [row] = events_about(store, ref)
    state = handlings_of(store, row.id)
    assert (state["flaky"].status, state["flaky"].attempts) == ("pending", 1)
    assert state["flaky"].last_error == "ConnectionError: the mail server is down"
    assert state["flaky"].next_attempt_at == clock.now() + retry_delay(1)
    assert row.status == "pending" and steady == [ref]
    assert any(f.event_id == row.id and f.handler == "flaky" for f in failures(store))

    clock.advance(retry_delay(1) - timedelta(seconds=1))
    dispatch_pending(store)  # not due yet
    assert calls["flaky"] == 1

    clock.advance(timedelta(seconds=1))
    dispatch_pending(store)
    assert calls["flaky"] == 2 and steady == [ref]
    [row] = events_about(store, ref)
    state = handlings_of(store, row.id)
    assert (state["flaky"].status, state["flaky"].attempts) == ("done", 2)
    assert (state["steady"].status, state["steady"].attempts) == ("done", 1)
    assert row.status == "handled"
    assert not any(f.event_id == row.id for f in failures(store))


def test_a_failing_handler_does_not_hold_up_later_events(store, handlers, held):
    first, later = refs(2)

    def broken(session, event) -> None:
        if event.ref == first:
            raise ValueError("cannot handle this one")

    handlers.add(Pinged, "broken", broken)
    seen = handlers.counter(Pinged, "counter", {first, later})
    ping(store, first)
    ping(store, later)
    dispatch_pending(store)
    assert seen == [first, later]
    rows = {r.subject_id: r for r in events_about(store, first, later)}
    assert rows[first].status == "pending" and rows[later].status == "handled"


def test_a_handler_failing_every_time_is_parked_listed_and_can_be_retried(
    store, clock, handlers, held
):
    [ref] = refs(1)
    org = new_id("org")
    fixed = {"yet": False}

    def stubborn(session, event) -> None:
        if event.ref == ref and not fixed["yet"]:
            raise RuntimeError("still broken")

    handlers.add(Pinged, "stubborn", stubborn)
    ping(store, ref, org=org)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        dispatch_pending(store)
        delay = retry_delay(attempt)
        if delay is not None:
            clock.advance(delay)
    [row] = events_about(store, ref)
    state = handlings_of(store, row.id)["stubborn"]
    assert (state.status, state.attempts, state.next_attempt_at) == ("parked", MAX_ATTEMPTS, None)
    assert row.status == "handled"  # nothing left to try: it no longer blocks anything
    assert parked_count(store, organization_id=org) == 1
    [failure] = failures(store, organization_id=org, parked_only=True)
    assert (failure.handler, failure.event_type, failure.last_error) == (
        "stubborn",
        "test.pinged",
        "RuntimeError: still broken",
    )

    fixed["yet"] = True
    kicks = len(held)
    assert retry_parked(store, event_id=row.id) == 1
    assert len(held) == kicks + 1
    dispatch_pending(store)
    assert handlings_of(store, row.id)["stubborn"].status == "done"
    assert parked_count(store, organization_id=org) == 0


def test_a_handler_that_records_an_event_has_it_handled_in_the_same_dispatch(store, handlers, held):
    [ref] = refs(1)
    echo = f"{ref}-echo"

    def answer(session, event) -> None:
        if event.ref == ref:
            record(
                session, Pinged(organization_id="org_x", occurred_at=event.occurred_at, ref=echo)
            )

    handlers.add(Pinged, "answer", answer)
    seen = handlers.counter(Pinged, "counter", {ref, echo})
    ping(store, ref)
    dispatch_pending(store)
    assert seen == [ref, echo]


def test_dispatchers_running_at_once_handle_each_event_once(store, handlers, held):
    batch = refs(60)
    seen = handlers.counter(Pinged, "counter", set(batch))
    ping(store, *batch[:30])
    ping(store, *batch[30:])
    errors = []

    def run() -> None:
        try:
            for _ in range(3):
                dispatch_pending(store, limit=7)
        except Exception as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    dispatch_pending(store)
    assert errors == []
    assert sorted(seen) == sorted(batch)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    units=st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=5),
    limits=st.lists(st.integers(min_value=1, max_value=3), min_size=1, max_size=6),
)
def test_events_are_handled_in_the_order_they_were_recorded_once_however_dispatch_is_cut(
    store, handlers, held, units, limits
):
    made = [refs(n) for n in units]
    wanted = {r for unit in made for r in unit}
    name = new_id("order")
    seen = handlers.counter(Pinged, name, wanted)
    org = new_id("org")
    for unit in made:
        ping(store, *unit, org=org)
    assert pending_count(store, organization_id=org) == len(wanted)
    for limit in limits:
        dispatch_pending(store, limit=limit)
    dispatch_pending(store)
    assert seen == [r for unit in made for r in unit]
    assert pending_count(store, organization_id=org) == 0


def test_events_are_listed_by_type_program_and_time(store, clock, held):
    org = new_id("org")
    with store.unit() as session:
        record(
            session,
            Pinged(organization_id=org, program_id="prg_a", occurred_at=clock.now(), ref="a"),
        )
        record(
            session,
            Pinged(
                organization_id=org,
                program_id="prg_b",
                occurred_at=clock.now() + timedelta(hours=1),
                ref="b",
            ),
        )
    assert [e.event.ref for e in list_events(store, org)] == ["a", "b"]
    assert [e.event.ref for e in list_events(store, org, program_id="prg_b")] == ["b"]
    since = clock.now() + timedelta(minutes=1)
    assert [e.event.ref for e in list_events(store, org, since=since)] == ["b"]
    assert list_events(store, org, types=["commission.created"]) == []
    first = list_events(store, org)[0]
    assert [e.event.ref for e in list_events(store, org, after=first.sequence)] == ["b"]
    assert list_events(store, "org_nobody") == []


def test_old_handled_events_are_pruned_but_parked_failures_stay_visible(
    store, clock, handlers, held
):
    kept, old, failing = refs(3)

    def refuse(session, event) -> None:
        if event.ref == failing:
            raise RuntimeError("never works")

    handlers.add(Pinged, "refuse", refuse)
    ping(store, old, failing)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        dispatch_pending(store)
        clock.advance(retry_delay(attempt) or timedelta(0))
    clock.advance(timedelta(days=30))
    ping(store, kept)
    dispatch_pending(store)
    prune_handled(store, before=clock.now() - timedelta(days=1))
    assert [r.subject_id for r in events_about(store, kept, old, failing)] == [failing, kept]
    assert handlings_of(store, events_about(store, failing)[0].id)["refuse"].status == "parked"


def test_the_nightly_prune_keeps_ninety_days_of_handled_events(store, clock, handlers, held):
    old, recent = refs(2)
    handlers.counter(Pinged, "counter", {old, recent})
    ping(store, old)
    clock.advance(timedelta(days=60))
    ping(store, recent)
    dispatch_pending(store)
    clock.advance(timedelta(days=31))  # old is 91 days old, recent 31
    assert prune_events(store) >= 1
    assert [r.subject_id for r in events_about(store, old, recent)] == [recent]


def test_an_event_that_cannot_be_read_fails_its_handlers_without_stopping_the_others(
    store, handlers, held
):
    good, bad = refs(2)
    seen = handlers.counter(Pinged, "counter", {good})
    with store.unit() as session:
        session.add(
            DomainEventRow(
                id=new_id("evt"),
                organization_id="org_x",
                type=Pinged.type,
                subject_id=bad,
                payload={"unexpected": True},
                occurred_at=store.clock.now(),
                recorded_at=store.clock.now(),
                status="pending",
            )
        )
    ping(store, good)
    dispatch_pending(store)
    assert seen == [good]
    [row] = events_about(store, bad)
    failed = handlings_of(store, row.id)["counter"]
    assert failed.status == "pending" and failed.last_error.startswith("ValidationError")
