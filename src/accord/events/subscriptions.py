"""Who reacts to which event: subscriptions declared in code, by event type.

A stage declares its reactions in a module of its own with `@subscribe(EventType, "name")`;
the modules listed in SUBSCRIBER_MODULES are imported before the first event is recorded or
dispatched. A handler gets the dispatcher's session (its writes commit together with the
record that it ran, so a handler's changes happen once) and the typed event; it must be
idempotent all the same, since delivery is at least once.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable

from sqlalchemy.orm import Session

from accord.events.model import EVENT_TYPES, DomainEvent

Handler = Callable[[Session, DomainEvent], None]

#: Modules that subscribe handlers (imported by name: they belong to later stages, which
#: import this one).
SUBSCRIBER_MODULES: tuple[str, ...] = (
    "accord.postbacks.subscribers",
    "accord.protect.subscribers",
    "accord.leads.subscribers",
    "accord.notices.subscribers",
)

_handlers: dict[str, dict[str, Handler]] = {}
_classes: dict[str, type[DomainEvent]] = dict(EVENT_TYPES)
_loaded = False
_loading = threading.Lock()


def subscribe(event: type[DomainEvent], name: str) -> Callable[[Handler], Handler]:
    """Run the decorated handler for every event of type `event`.

    `name` identifies the handler in the record of what was handled: keep it stable (a
    renamed handler runs again for events still pending). One name per event type.
    """
    if not name or len(name) > 100:
        raise ValueError("a handler's name must be 1 to 100 characters")

    def register(handler: Handler) -> Handler:
        handlers = _handlers.setdefault(event.type, {})
        if name in handlers and handlers[name] is not handler:
            raise ValueError(f"{event.type} already has a handler named {name!r}")
        handlers[name] = handler
        _classes.setdefault(event.type, event)
        return handler

    return register


def unsubscribe(event: type[DomainEvent], name: str) -> None:
    """Stop running a handler (tests use it to remove the handlers they added)."""
    _handlers.get(event.type, {}).pop(name, None)


def handlers_for(event_type: str) -> list[tuple[str, Handler]]:
    """The handlers subscribed to an event type, by name, in the order they subscribed."""
    return list(_handlers.get(event_type, {}).items())


def known(event: type[DomainEvent]) -> None:
    """Let events of this class be read back from the outbox (Accord's own are known)."""
    _classes.setdefault(event.type, event)


def event_class(event_type: str) -> type[DomainEvent] | None:
    return _classes.get(event_type)


def load_subscribers() -> None:
    """Import the modules that declare subscriptions (once per process)."""
    global _loaded
    if _loaded:
        return
    with _loading:
        if not _loaded:
            for module in SUBSCRIBER_MODULES:
                importlib.import_module(module)
            _loaded = True
