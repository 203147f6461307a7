"""Use cases for postbacks.

A partner registers endpoints; a change to one of its commissions is a domain event, and the
postbacks subscriber (accord.postbacks.subscribers) turns it into one delivery per matching
endpoint (a rolled-back change records no event, so sends nothing); a worker sends due
deliveries, signed, and retries failures on schedule.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from accord.conversions.tables import Conversion
from accord.errors import (
    Conflict,
    Forbidden,
    IdempotencyConflict,
    InvalidInput,
    NotFound,
    Text,
    not_one_of,
)
from accord.events.model import CommissionChange, PostbackFailed
from accord.events.service import record
from accord.ids import new_id
from accord.money import Money
from accord.partners.service import partner_address
from accord.postbacks.model import (
    Address,
    DeliveryStatus,
    PostbackEvent,
    PostbackEventType,
    Resolver,
    check_destination,
    check_events,
    check_template,
    delivered,
    expand,
    format_secret,
    retry_at,
    signed_headers,
)
from accord.postbacks.tables import PostbackDelivery, PostbackEndpoint
from accord.programs.service import load_program
from accord.store.engine import Store
from accord.store.paging import Slice, read_page
from accord.tenancy.model import Caller
from accord.tracking.service import find_click

#: Active endpoints a partner may have at once.
MAX_ENDPOINTS = 10
#: How long a worker holds the deliveries it took before another worker may take them.
LEASE = timedelta(minutes=15)
_CACHE = "accord.postbacks.endpoints"


def system_resolve(host: str) -> list[str]:
    """The host's addresses from the system resolver."""
    return [info[4][0] for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)]


def require_partner(caller: Caller) -> str:
    """The caller's partner id; postback endpoints belong to partners, not brands."""
    if caller.is_brand or caller.partner_id is None:
        raise Forbidden("postback endpoints are managed with a partner's API key")
    return caller.partner_id


# endpoints --------------------------------------------------------------------------------
def register_endpoint(
    store: Store,
    caller: Caller,
    url: str,
    *,
    program_id: str | None = None,
    events: Sequence[str] | None = None,
    resolve: Resolver = system_resolve,
    allow_private: bool = False,
    idempotency_key: str | None = None,
) -> PostbackEndpoint:
    """Register a postback URL template for the calling partner.

    The returned endpoint carries its signing secret, which the API shows this once. With an
    `idempotency_key`, a retry returns the endpoint the key first made (and its secret), and
    the same key with another URL, program or events is refused.
    Unknown macros and events are refused by name, and so is a host that resolves to a
    private, loopback or link-local address (unless `allow_private`, for tests).
    """
    partner_id = require_partner(caller)
    template = check_template(url)
    wanted = check_events(events)
    if not allow_private:
        check_destination(template, resolve)  # DNS before the transaction, not inside it
    with store.unit() as session:
        if program_id is not None:
            load_program(session, caller, program_id)
        if idempotency_key:
            earlier = session.scalar(
                select(PostbackEndpoint).where(
                    PostbackEndpoint.partner_id == partner_id,
                    PostbackEndpoint.idempotency_key == idempotency_key,
                )
            )
            if earlier is not None:
                asked = (template, program_id, list(wanted))
                if (earlier.url_template, earlier.program_id, list(earlier.events)) != asked:
                    raise IdempotencyConflict(
                        Text(
                            "Idempotency-Key %(key)s registered another postback "
                            "(%(postback)s); use a new key for a different URL, program or events",
                            key=repr(idempotency_key),
                            postback=earlier.id,
                        ),
                        field="idempotency_key",
                    )
                return earlier
        active = session.scalar(
            select(func.count())
            .select_from(PostbackEndpoint)
            .where(PostbackEndpoint.partner_id == partner_id, PostbackEndpoint.active)
        )
        if active >= MAX_ENDPOINTS:
            raise Conflict(
                Text(
                    "a partner may have %(most)s active postback endpoints; delete one first",
                    most=MAX_ENDPOINTS,
                )
            )
        endpoint = PostbackEndpoint(
            id=new_id("pbk"),
            partner_id=partner_id,
            program_id=program_id,
            url_template=template,
            secret=format_secret(os.urandom(32)),
            events=wanted,
            active=True,
            idempotency_key=idempotency_key,
            created_at=store.clock.now(),
        )
        session.add(endpoint)
    return endpoint


def list_endpoints(store: Store, caller: Caller) -> list[PostbackEndpoint]:
    """The calling partner's endpoints, oldest first, disabled ones included."""
    partner_id = require_partner(caller)
    with store.read() as session:
        return list(
            session.scalars(
                select(PostbackEndpoint)
                .where(PostbackEndpoint.partner_id == partner_id)
                .order_by(PostbackEndpoint.id)
            )
        )


def load_endpoint(session: Session, caller: Caller, endpoint_id: str) -> PostbackEndpoint:
    """One of the calling partner's endpoints, or NotFound (another partner's is not found)."""
    partner_id = require_partner(caller)
    endpoint = session.scalar(
        select(PostbackEndpoint).where(
            PostbackEndpoint.id == endpoint_id, PostbackEndpoint.partner_id == partner_id
        )
    )
    if endpoint is None:
        raise NotFound("postback endpoint", endpoint_id, field="postback_id")
    return endpoint


def disable_endpoint(store: Store, caller: Caller, endpoint_id: str) -> PostbackEndpoint:
    """Stop calling an endpoint; its pending deliveries are given up. Safe to repeat."""
    with store.unit() as session:
        endpoint = load_endpoint(session, caller, endpoint_id)
        endpoint.active = False
        session.execute(
            update(PostbackDelivery)
            .where(
                PostbackDelivery.endpoint_id == endpoint.id,
                PostbackDelivery.status == DeliveryStatus.PENDING.value,
            )
            .values(
                status=DeliveryStatus.FAILED.value,
                next_attempt_at=None,
                last_error="endpoint disabled",
            )
            .execution_options(synchronize_session=False)
        )
    return endpoint


def deliveries_of(endpoint_id: str):
    """A query of an endpoint's deliveries (check the caller with load_endpoint first)."""
    return select(PostbackDelivery).where(PostbackDelivery.endpoint_id == endpoint_id)


# enqueueing, inside the caller's unit of work ---------------------------------------------
@dataclass(frozen=True, slots=True)
class _Target:
    endpoint_id: str
    url_template: str
    events: frozenset[str]


def _targets(session: Session, partner_id: str, program_id: str, event: str) -> list[_Target]:
    """The partner's active endpoints for this program and event, read once per session."""
    cache: dict[tuple[str, str], list[_Target]] = session.info.setdefault(_CACHE, {})
    key = (partner_id, program_id)
    if key not in cache:
        rows = session.scalars(
            select(PostbackEndpoint).where(
                PostbackEndpoint.partner_id == partner_id,
                PostbackEndpoint.active,
                (PostbackEndpoint.program_id.is_(None))
                | (PostbackEndpoint.program_id == program_id),
            )
        )
        cache[key] = [_Target(e.id, e.url_template, frozenset(e.events)) for e in rows]
    return [t for t in cache[key] if event in t.events]


def enqueue(
    session: Session, change: CommissionChange, event: PostbackEventType | str
) -> list[str]:
    """One pending delivery per active endpoint of the commission's partner that wants
    `event`; returns their ids. Runs in the caller's unit of work and commits with it.

    The amounts and status are the commission's and the order's when the change happened
    (`change`); the delivery is due from that moment. Click id and sub ids are included
    only when the click is the partner's own. A bonus, which no conversion earned, sends
    nothing.
    """
    kind = PostbackEventType(event)
    if change.conversion_id is None or change.program_id is None:
        return []
    targets = _targets(session, change.partner_id, change.program_id, kind.value)
    if not targets:
        return []
    conversion = session.get(Conversion, change.conversion_id)
    if conversion is None:
        return []
    click = None
    if conversion.click_id:
        click = find_click(session, conversion.program_id, conversion.click_id)
        if click is not None and click.partner_id != change.partner_id:
            click = None
    if change.order_amount is not None and change.order_currency is not None:
        amount = Money.of(change.order_amount, change.order_currency)
    else:
        amount = Money.from_minor(
            conversion.amount_minor - (conversion.reversed_minor or 0), conversion.currency
        )
    now = change.occurred_at
    facts = PostbackEvent(
        event=kind,
        commission_id=change.commission_id,
        conversion_id=conversion.id,
        program_id=change.program_id,
        order_id=conversion.order_id,
        event_type=conversion.event_type,
        amount=amount,
        payout=change.money,
        status=change.status,
        click_id=click.id if click else None,
        subs=tuple(getattr(click, f"sub{i}", None) if click else None for i in range(1, 6)),
        occurred_at=now,
        converted_at=conversion.occurred_at,
    )
    body, values = facts.body(), facts.macros()
    ids = []
    for target in targets:
        delivery = PostbackDelivery(
            id=new_id("pbd"),
            endpoint_id=target.endpoint_id,
            commission_id=change.commission_id,
            event=kind.value,
            url=expand(target.url_template, values),
            body=body,
            status=DeliveryStatus.PENDING.value,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        session.add(delivery)
        ids.append(delivery.id)
    return ids


# delivering -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Outgoing:
    """One attempt to send: where, what, signed headers, and the addresses checked for it.

    A sender connects to one of `addresses` (when given) rather than resolving the host
    again, so a DNS answer that changes after the check cannot redirect the request.
    """

    url: str
    body: str
    headers: dict[str, str]
    addresses: tuple[Address, ...]


#: Sends one attempt and returns the HTTP status code; raises on a network error.
Send = Callable[[Outgoing], int]


@dataclass(frozen=True, slots=True)
class _Attempt:
    delivery_id: str
    attempts: int
    url: str
    body: str
    secret: str


@dataclass(frozen=True, slots=True)
class _Outcome:
    attempt: _Attempt
    status_code: int | None
    error: str | None


@dataclass
class DeliveryRun:
    """What one pass of the worker did."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def attempted(self) -> int:
        return self.delivered + self.retrying + self.failed


def deliver_due(
    store: Store,
    send: Send,
    now: datetime,
    *,
    limit: int = 100,
    resolve: Resolver = system_resolve,
    allow_private: bool = False,
    concurrency: int = 8,
) -> DeliveryRun:
    """Send up to `limit` deliveries that are due at `now`, and record what happened.

    The deliveries are taken in one short transaction (another worker skips them for
    LEASE), sent outside any transaction, and their outcomes recorded in a second one. A
    2xx answer delivers; anything else is retried on the schedule in postbacks.model, and
    the delivery fails for good once the schedule is over. Each attempt is signed with the
    store clock's time when it is sent.
    """
    attempts = _take_due(store, now, limit)
    if not attempts:
        return DeliveryRun()

    def attempt(item: _Attempt) -> _Outcome:
        return _send_one(store, send, item, resolve, allow_private)

    if concurrency > 1 and len(attempts) > 1:
        with ThreadPoolExecutor(max_workers=min(concurrency, len(attempts))) as pool:
            outcomes = list(pool.map(attempt, attempts))
    else:
        outcomes = [attempt(item) for item in attempts]
    return _record(store, outcomes, now)


def _take_due(store: Store, now: datetime, limit: int) -> list[_Attempt]:
    with store.unit() as session:
        rows = session.execute(
            select(PostbackDelivery, PostbackEndpoint.secret)
            .join(PostbackEndpoint, PostbackEndpoint.id == PostbackDelivery.endpoint_id)
            .where(
                PostbackDelivery.status == DeliveryStatus.PENDING.value,
                PostbackDelivery.next_attempt_at <= now,
                PostbackEndpoint.active,
            )
            .order_by(PostbackDelivery.next_attempt_at, PostbackDelivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=PostbackDelivery)
        ).all()
        taken = []
        for delivery, secret in rows:
            delivery.attempts += 1
            delivery.next_attempt_at = now + LEASE
            taken.append(
                _Attempt(delivery.id, delivery.attempts, delivery.url, delivery.body, secret)
            )
        return taken


def _send_one(
    store: Store, send: Send, item: _Attempt, resolve: Resolver, allow_private: bool
) -> _Outcome:
    addresses: tuple[Address, ...] = ()
    if not allow_private:
        try:
            addresses = tuple(check_destination(item.url, resolve))
        except InvalidInput as refused:
            return _Outcome(item, None, refused.message)
    timestamp = int(store.clock.now().timestamp())
    headers = signed_headers(item.secret, item.delivery_id, timestamp, item.body)
    try:
        status_code = send(Outgoing(item.url, item.body, headers, addresses))
    except Exception as error:  # a partner's server failing must not stop the worker
        return _Outcome(item, None, f"{type(error).__name__}: {error}"[:1000])
    return _Outcome(item, status_code, None if delivered(status_code) else f"HTTP {status_code}")


def _record(store: Store, outcomes: list[_Outcome], now: datetime) -> DeliveryRun:
    run = DeliveryRun()
    with store.unit() as session:
        for outcome in sorted(outcomes, key=lambda o: o.attempt.delivery_id):
            row = session.get(PostbackDelivery, outcome.attempt.delivery_id, with_for_update=True)
            if (
                row is None
                or row.status != DeliveryStatus.PENDING.value
                or row.attempts != outcome.attempt.attempts
            ):
                continue  # disabled meanwhile, or the lease ran out and another worker took it
            row.last_status_code = outcome.status_code
            row.last_error = outcome.error
            if outcome.error is None:
                row.status = DeliveryStatus.DELIVERED.value
                row.delivered_at = now
                row.next_attempt_at = None
                run.delivered += 1
                continue
            row.next_attempt_at = retry_at(row.created_at, row.attempts, now)
            if row.next_attempt_at is None:
                row.status = DeliveryStatus.FAILED.value
                run.failed += 1
                _tell_failed(session, row, now)
            else:
                run.retrying += 1
    return run


def _tell_failed(session: Session, row: PostbackDelivery, now: datetime) -> None:
    """Record that a delivery was given up, for the partner to be told."""
    endpoint = session.get(PostbackEndpoint, row.endpoint_id)
    partner = partner_address(session, endpoint.partner_id) if endpoint else None
    if endpoint is None or partner is None:
        return
    record(
        session,
        PostbackFailed(
            organization_id=partner.organization_id,
            program_id=endpoint.program_id,
            occurred_at=now,
            partner_id=partner.partner_id,
            endpoint_id=endpoint.id,
            delivery_id=row.id,
            host=(urlsplit(row.url).hostname or "")[:300],
            attempts=row.attempts,
            last_error=(row.last_error or "")[:300] or None,
            last_status_code=row.last_status_code,
        ),
    )


def get_endpoint(store: Store, caller: Caller, endpoint_id: str) -> PostbackEndpoint:
    """`load_endpoint` read in a session of its own."""
    with store.read() as session:
        return load_endpoint(session, caller, endpoint_id)


def deliveries_page(
    store: Store,
    endpoint_id: str,
    *,
    limit: int,
    starting_after: str | None = None,
    status: str | None = None,
) -> Slice[PostbackDelivery]:
    """A page of an endpoint's deliveries, oldest first (check the caller with
    `get_endpoint` first); `status` one of DeliveryStatus, or InvalidInput."""
    query = deliveries_of(endpoint_id)
    if status is not None:
        if status not in {s.value for s in DeliveryStatus}:
            raise not_one_of("status", status, (s.value for s in DeliveryStatus))
        query = query.where(PostbackDelivery.status == status)
    return read_page(store, query, PostbackDelivery.id, limit, starting_after)


# a test, from the portal ------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TestSent:
    """What a test call got: the URL called, and the answer's status code or the error."""

    url: str
    status_code: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and delivered(self.status_code)


def send_test(
    store: Store,
    caller: Caller,
    endpoint_id: str,
    send: Send,
    *,
    resolve: Resolver = system_resolve,
    allow_private: bool = False,
) -> TestSent:
    """Call one of the partner's endpoints once, now, with a made-up commission (its ids
    begin with `test_`, its order id with `TEST-`), signed like any delivery, so that the
    partner sees its server answer before a real order depends on it. Nothing is kept."""
    require_partner(caller)
    now = store.clock.now()
    with store.read() as session:
        endpoint = load_endpoint(session, caller, endpoint_id)
        if not endpoint.active:
            raise Conflict("this postback is switched off", field="endpoint_id")
        currency = "USD"
        if endpoint.program_id:
            currency = load_program(session, caller, endpoint.program_id).currency
        template, secret = endpoint.url_template, endpoint.secret
    facts = PostbackEvent(
        event=PostbackEventType(endpoint.events[0]),
        commission_id="test_commission",
        conversion_id="test_conversion",
        program_id=endpoint.program_id or "test_program",
        order_id=f"TEST-{now:%Y%m%d%H%M%S}",
        event_type="sale",
        amount=Money.of("100.00", currency),
        payout=Money.of("10.00", currency),
        status="pending",
        click_id="test_click",
        subs=("test",) + (None,) * 4,
        occurred_at=now,
        converted_at=now,
    )
    test = _Attempt(new_id("pbt"), 1, expand(template, facts.macros()), facts.body(), secret)
    outcome = _send_one(store, send, test, resolve, allow_private)  # as the worker sends
    return TestSent(test.url, outcome.status_code, outcome.error)


def recent_deliveries(store: Store, caller: Caller, endpoint_ids, limit: int = 20) -> dict:
    """The latest deliveries of each of the partner's endpoints, newest first."""
    require_partner(caller)
    out: dict[str, list[PostbackDelivery]] = {}
    with store.read() as session:
        for endpoint_id in endpoint_ids:
            endpoint = load_endpoint(session, caller, endpoint_id)
            out[endpoint.id] = list(
                session.scalars(
                    deliveries_of(endpoint.id)
                    .order_by(PostbackDelivery.created_at.desc(), PostbackDelivery.id.desc())
                    .limit(limit)
                )
            )
    return out
