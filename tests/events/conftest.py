"""Fixtures for the event tests: an event type of their own, handlers that count, and the
kicker and subscriptions put back after each test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import pytest
from sqlalchemy import select

from accord.events.dispatch import set_kicker
from accord.events.model import DomainEvent
from accord.events.subscriptions import known, subscribe, unsubscribe
from accord.events.tables import DomainEventRow, EventHandling
from accord.settings import get_settings
from accord.store.engine import Store


class Pinged(DomainEvent):
    """An event only these tests record, so that other tests' events never reach their
    handlers (the test database is shared)."""

    type: ClassVar[str] = "test.pinged"
    subject: ClassVar[str | None] = "ref"

    ref: str


known(Pinged)


class Handlers:
    """Subscribes handlers for a test and removes them afterwards."""

    def __init__(self) -> None:
        self.added: list[tuple[type[DomainEvent], str]] = []

    def add(self, event: type[DomainEvent], name: str, handler) -> None:
        subscribe(event, name)(handler)
        self.added.append((event, name))

    def counter(self, event: type[DomainEvent], name: str, refs: set[str] | None = None):
        """A handler that notes each event it sees (of the given subjects, if any)."""
        seen: list[str] = []

        def handle(session, received) -> None:
            if refs is None or received.subject_id in refs:
                seen.append(received.subject_id)

        self.add(event, name, handle)
        return seen


@pytest.fixture
def handlers() -> Iterator[Handlers]:
    added = Handlers()
    previous = set_kicker(None)
    yield added
    set_kicker(previous)
    for event, name in added.added:
        unsubscribe(event, name)


@pytest.fixture
def held() -> Iterator[list[Store]]:
    """Kicks are noted instead of dispatching: events stay pending until the test runs
    dispatch_pending itself."""
    kicks: list[Store] = []
    previous = set_kicker(kicks.append)
    yield kicks
    set_kicker(previous)


def events_about(store: Store, *subjects: str) -> list[DomainEventRow]:
    """The outbox rows about these subjects, in the order they were recorded."""
    with store.read() as session:
        return list(
            session.scalars(
                select(DomainEventRow)
                .where(DomainEventRow.subject_id.in_(subjects))
                .order_by(DomainEventRow.sequence)
            )
        )


def handlings_of(store: Store, event_id: str) -> dict[str, EventHandling]:
    with store.read() as session:
        rows = session.scalars(select(EventHandling).where(EventHandling.event_id == event_id))
        return {h.handler: h for h in rows}


@pytest.fixture
def use_queue_url(monkeypatch):
    """Settings pointing at a queue URL for this test; undone afterwards."""

    def use(url: str):
        monkeypatch.setenv("ACCORD_QUEUE_URL", url)
        get_settings.cache_clear()
        return get_settings()

    yield use
    monkeypatch.undo()
    get_settings.cache_clear()
