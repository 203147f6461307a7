"""Who is acting: set once per request (or command) by the edge that authenticated them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    """The person, key or program behind a change."""

    kind: str  # user, key, cli, system
    id: str | None = None  # a user id, or an API key's key id
    label: str | None = None  # an email, or a key's name
    organization_id: str | None = None
    address: str | None = None  # the client's address


SYSTEM = Actor("system")
_actor: ContextVar[Actor | None] = ContextVar("accord_actor", default=None)


def current() -> Actor:
    return _actor.get() or SYSTEM


def act_as(actor: Actor) -> None:
    """The actor of every change from here to the end of this request or command."""
    _actor.set(actor)


@contextmanager
def acting(actor: Actor) -> Iterator[None]:
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)
