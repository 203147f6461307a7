"""Recording conversions: validate, attribute, compute commissions, post to the ledger.

One conversion is one unit of work. The same (program, order id, event type) sent again with
the same content returns the first result and changes nothing; sent with different content it
is refused, naming the fields that differ.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from accord.attribution.model import VIA_ASSIGNED, Decision, Touchpoint, TouchpointKind
from accord.attribution.service import (
    Attributed,
    Converting,
    attribute_conversion,
    keep_journey,
    prefetch,
)
from accord.commissions.service import create_commissions
from accord.commissions.tables import Commission
from accord.conversions.browser import AWAITING, release, same_order
from accord.conversions.model import ConversionReport, check_order_total, parse_report
from accord.conversions.tables import Attribution, Conversion, ConversionReversal, RejectedEvent
from accord.errors import AccordError, IdempotencyConflict, InvalidInput, NotFound, Text, not_one_of
from accord.events.model import ConversionRecorded
from accord.events.service import record
from accord.fx.service import convert_minor, rate_at
from accord.ids import new_id
from accord.money import Money
from accord.partners.enrollments import contract_at
from accord.partners.model import EnrollmentStatus
from accord.partners.service import load_enrollment
from accord.programs.service import load_program, max_order_amount
from accord.programs.tables import Program
from accord.protect.service import assess_conversion
from accord.store.engine import Store, is_deadlock
from accord.store.memo import forget, memoized, remember, remembered
from accord.store.paging import Slice, read_page
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand
from accord.tracking.model import normalize_promo_code
from accord.tracking.service import clicks_with_sub_id, prefetch_clicks

#: Called with conversions' click ids before their transaction starts: the click edge in
#: this process writes its buffer if a click is still in it (and the native edge's spool is
#: stored if a click is not found), so a click answered a moment ago is found.
ClickFlush = Callable[..., None]

#: How often a unit of work the database cancelled to break a deadlock is tried again.
DEADLOCK_RETRIES = 5

#: A batch is recorded in units of this many conversions: one commit each, a savepoint per
#: conversion so that one refused conversion leaves the others alone.
BATCH_UNIT = 100

FUTURE_TOLERANCE = timedelta(minutes=5)
#: Conversions older than this when they arrive are refused (unless imported as history).
MAX_AGE = timedelta(days=3 * 365 + 1)
#: The attribution reason of an order imported from the platform a program moved from.
IMPORTED = "imported_history"


@dataclass
class Recorded:
    conversion: Conversion
    created: bool
    commissions: list[Commission] = field(default_factory=list)

    @property
    def commission_ids(self) -> list[str]:
        return [c.id for c in self.commissions]


def record_conversion(
    store: Store,
    caller: Caller,
    report: ConversionReport,
    *,
    flush_clicks: ClickFlush | None = None,
    source: str = "api",
    credit_partner_id: str | None = None,
    confirmation: str | None = None,
    imported: str | None = None,
) -> Recorded:
    """Record one conversion idempotently; see the module docstring.

    `credit_partner_id` gives the credit to that partner outright (an accepted inquiry),
    whatever the click or code says. `confirmation` is set for browser events
    (accord.conversions.browser): `awaiting` holds the commissions it earns.

    `imported` records an order from before the program moved to Accord
    (accord.conversions.history): credited and counted in the reports, of any age, but
    earning nothing under the contract, not judged by fraud protection and kept out of the
    journeys the attribution models learn from; it is the conversion's commission note
    (why it earned nothing here).
    """
    require_brand(caller)
    if report.click_id and flush_clicks is not None:
        flush_clicks(report.click_id)
    return _record(store, caller, report, source, credit_partner_id, confirmation, imported)


def _record(
    store: Store,
    caller: Caller,
    report: ConversionReport,
    source: str,
    credit_partner_id: str | None = None,
    confirmation: str | None = None,
    imported: str | None = None,
) -> Recorded:
    """One conversion in its own unit of work, tried again when a concurrent request
    inserted the same order first (the retry finds it) or when the database broke a
    deadlock with another writer by cancelling this one."""
    raced = False
    for attempt in range(DEADLOCK_RETRIES + 1):
        try:
            with store.unit() as session:
                return _record_in(
                    session,
                    store,
                    caller,
                    report,
                    source,
                    credit_partner_id,
                    confirmation,
                    imported,
                )
        except IntegrityError:
            if raced:
                raise
            raced = True
        except DBAPIError as error:
            if not is_deadlock(error) or attempt == DEADLOCK_RETRIES:
                raise
            time.sleep(random.uniform(0, 0.02 * (attempt + 1)))
    raise AssertionError("unreachable")


def record_batch(
    store: Store,
    caller: Caller,
    items: Sequence[object],
    *,
    source: str,
    flush_clicks: ClickFlush | None = None,
) -> list[Recorded | AccordError]:
    """Validate and record many conversions as they were sent; each succeeds or fails alone.

    Returns, in order, each item's `Recorded` or the error that refused it (kept as a
    rejected event, its id in `rejected_event_id`). The same rules as `record_submitted`
    apply; the work is done in units of `BATCH_UNIT` with the program, enrollments,
    contract versions and clicks read once per unit.
    """
    require_brand(caller)
    outcomes: list[Recorded | AccordError | None] = [None] * len(items)
    reports: dict[int, ConversionReport] = {}
    for index, data in enumerate(items):
        try:
            reports[index] = parse_report(data)
        except AccordError as error:
            outcomes[index] = error
    click_ids = {r.click_id for r in reports.values() if r.click_id}
    if click_ids and flush_clicks is not None:
        flush_clicks(*click_ids)
    waiting = sorted(reports)
    for start in range(0, len(waiting), BATCH_UNIT):
        unit = waiting[start : start + BATCH_UNIT]
        try:
            _record_unit(store, caller, reports, unit, outcomes, source)
        except DBAPIError as error:
            if not is_deadlock(error):
                raise
            # Another writer holds what this unit needs while waiting for what it holds
            # (concurrent batches naming the same orders): the database cancelled this unit.
            # Its items are recorded again one unit each, as single requests are.
            for index in unit:
                try:
                    outcomes[index] = _record(store, caller, reports[index], source)
                except AccordError as refused:
                    outcomes[index] = refused
    refused = [(i, o) for i, o in enumerate(outcomes) if isinstance(o, AccordError)]
    if refused:
        ids = keep_rejected_many(
            store, caller, "conversion", [(items[i], error) for i, error in refused]
        )
        for (_, error), rejected_id in zip(refused, ids, strict=True):
            error.rejected_event_id = rejected_id
    return cast(list[Recorded | AccordError], outcomes)  # every item has its outcome now


def _record_unit(
    store: Store,
    caller: Caller,
    reports: dict[int, ConversionReport],
    indices: list[int],
    outcomes: list,
    source: str,
) -> None:
    with store.unit() as session, memoized(session):
        _prefetch(session, [reports[i] for i in indices])
        _prefetch_touchpoints(session, caller, [reports[i] for i in indices], store.clock.now())
        for index in indices:
            report = reports[index]
            key = (report.program_id, report.order_id, report.event_type)
            for attempt in range(2):
                try:
                    with session.begin_nested():
                        recorded = _record_in(session, store, caller, report, source)
                except AccordError as error:
                    outcomes[index] = error
                    break
                except IntegrityError:
                    # A concurrent request inserted the same order first: the retry finds it.
                    forget(session, "conversion", key)
                    if attempt:
                        raise
                else:
                    outcomes[index] = recorded
                    # What the next items of this unit must see, now that this one stands.
                    remember(session, "conversion", {key: recorded.conversion})
                    if report.customer_id:
                        remember(
                            session,
                            "customer_seen",
                            {(report.program_id, report.customer_id): True},
                        )
                    break


def _prefetch(session: Session, reports: list[ConversionReport]) -> None:
    """Read what a unit's conversions will look up, a query per program and kind: their
    clicks, orders already recorded and customers already seen."""
    by_program: dict[str, list[ConversionReport]] = {}
    for report in reports:
        by_program.setdefault(report.program_id, []).append(report)
    for program_id, group in by_program.items():
        prefetch_clicks(session, program_id, {r.click_id for r in group if r.click_id})
        orders = sorted({r.order_id for r in group})
        found = {
            (c.program_id, c.order_id, c.event_type): c
            for c in session.scalars(
                select(Conversion).where(
                    Conversion.program_id == program_id, Conversion.order_id.in_(orders)
                )
            )
        }
        keys = {(program_id, r.order_id, r.event_type) for r in group}
        remember(session, "conversion", {key: found.get(key) for key in keys})
        customers = sorted({r.customer_id for r in group if r.customer_id})
        if customers:
            seen = set(
                session.scalars(
                    select(Conversion.customer_id)
                    .where(
                        Conversion.program_id == program_id,
                        Conversion.customer_id.in_(customers),
                    )
                    .distinct()
                )
            )
            remember(
                session,
                "customer_seen",
                {(program_id, customer): customer in seen for customer in customers},
            )


def _prefetch_touchpoints(
    session: Session, caller: Caller, reports: list[ConversionReport], now: datetime
) -> None:
    """Read ahead, a query per program and kind, the touchpoints a unit's conversions will
    load: their customers' earlier journeys and their shoppers' impressions."""
    by_program: dict[str, list[ConversionReport]] = {}
    for report in reports:
        by_program.setdefault(report.program_id, []).append(report)
    for program_id, group in by_program.items():
        try:
            program = remembered(
                session,
                "program",
                (caller.organization_id, program_id),
                lambda program_id=program_id: load_program(session, caller, program_id),
            )
        except AccordError:
            continue  # each of its conversions is refused on its own
        batch = [
            Converting(
                r.occurred_at or now, customer_id=r.customer_id, ip=r.ip, user_agent=r.user_agent
            )
            for r in group
        ]
        prefetch(session, program, batch)


def _record_in(
    session: Session,
    store: Store,
    caller: Caller,
    report: ConversionReport,
    source: str,
    credit_partner_id: str | None = None,
    confirmation: str | None = None,
    imported: str | None = None,
) -> Recorded:
    now = store.clock.now()
    program = remembered(
        session,
        "program",
        (caller.organization_id, report.program_id),
        lambda: load_program(session, caller, report.program_id),
    )
    existing = remembered(
        session,
        "conversion",
        (program.id, report.order_id, report.event_type),
        lambda: session.scalar(
            select(Conversion).where(
                Conversion.program_id == program.id,
                Conversion.order_id == report.order_id,
                Conversion.event_type == report.event_type,
            )
        ),
    )
    if existing is not None:
        if existing.confirmation == "awaiting" and confirmation is None:
            return _confirm_by_server(session, existing, report, now)
        return _replay(session, existing, report)
    occurred_at = report.occurred_at or now
    if occurred_at > now + FUTURE_TOLERANCE:
        raise InvalidInput("occurred_at", "is in the future")
    if occurred_at < now - MAX_AGE and imported is None:
        raise InvalidInput(
            "occurred_at", "is more than three years ago: such orders are not commissioned"
        )
    check_order_total(report, program.order_total_tolerance_percent)
    # Another currency needs a rate in force; refused up front, naming the pair.
    rate = rate_at(
        session,
        program.organization_id,
        report.currency,
        program.currency,
        occurred_at,
        field="currency",
    )
    amount = Money.of(report.amount, report.currency)
    program_amount_minor = convert_minor(amount.minor, amount.currency, program.currency, rate.rate)
    largest = max_order_amount(program)
    if program_amount_minor > largest.minor:
        raise InvalidInput(
            "amount",
            Text(
                "is more than the largest order this program accepts (%(most)s); the brand "
                "can raise max_order_amount in the program's settings",
                most=largest,
            ),
        )
    promo = normalize_promo_code(report.promo_code) if report.promo_code else None
    status, status_source = _customer_status(session, program.id, report)
    identities = report.identities()
    renewal = report.subscription_id if report.event_type == "renewal" else None
    attributed = attribute_conversion(
        session,
        program,
        Converting(
            occurred_at,
            report.order_id,
            report.click_id,
            promo,
            identities,
            report.customer_id,
            report.ip,
            report.user_agent,
            report.event_type,
        ),
        credit_partner_id=credit_partner_id,
        renewal_of=_renewal_of(session, program.id, renewal) if renewal else None,
    )
    decision = attributed.decision
    conversion = Conversion(
        id=new_id("cnv"),
        organization_id=program.organization_id,
        program_id=program.id,
        event_type=report.event_type,
        order_id=report.order_id,
        amount_minor=amount.minor,
        reversed_minor=0,
        currency=amount.currency,
        program_amount_minor=program_amount_minor,
        fx_rate=rate.rate if rate.effective_from is not None else None,
        customer_id=report.customer_id,
        customer_status=status,
        customer_status_source=status_source,
        click_id=report.click_id,
        promo_code=promo,
        country=report.country,
        device_type=report.device_type,
        subscription_id=report.subscription_id,
        items=[item.model_dump(mode="json") for item in report.items] if report.items else None,
        occurred_at=occurred_at,
        received_at=now,
        status="attributed" if decision.attributed else "unattributed",
        partner_id=attributed.partner_id,
        attribution_reason=attributed.reason,
        request_hash=report.fingerprint(),
        request=report.canonical(),
        source=source,
        email_sha256=report.email_sha256,
        ip=report.ip,
        user_agent=report.user_agent,
        identities=identities or None,
        payment_sha256=report.payment_sha256(),
        referrer_host=report.referrer_host(),
        confirmation=confirmation,
    )
    session.add(conversion)
    session.flush()  # the unique key on (program, order, event) decides races here
    record(session, conversion_recorded(conversion, now))
    if imported is not None:
        conversion.attribution_reason, conversion.commission_note = IMPORTED, imported
        _credit(session, program, conversion, decision, now, commissioned=False)
        return Recorded(conversion, True, [])
    commissions = _credit(session, program, conversion, decision, now, attributed)
    keep_journey(session, program, conversion, attributed)
    winner = decision.credits[0].touchpoint if decision.attributed else None
    assess_conversion(session, program, conversion, winner, commissions, now)
    if confirmation == "awaiting":
        for commission in commissions:
            commission.hold_reason = AWAITING
    return Recorded(conversion, True, commissions)


def _confirm_by_server(
    session: Session, existing: Conversion, report: ConversionReport, now: datetime
) -> Recorded:
    """The brand's server reports an order a browser reported first: the same amount
    confirms it; a different one is refused, pointing at the confirmation call."""
    differ = same_order(existing, report)
    if differ:
        raise IdempotencyConflict(
            Text(
                "order %(order)s (%(event_type)s) was reported by a browser with other values "
                "for: %(differ)s; confirm it with POST /api/v1/conversions/%(conversion)s/confirm "
                "and the order's real amount",
                order=repr(existing.order_id),
                event_type=existing.event_type,
                differ=", ".join(differ),
                conversion=existing.id,
            ),
            field=differ[0],
        )
    release(session, existing, now)
    commissions = session.scalars(
        select(Commission).where(Commission.conversion_id == existing.id).order_by(Commission.id)
    ).all()
    return Recorded(existing, False, list(commissions))


def _renewal_of(
    session: Session, program_id: str, subscription_id: str
) -> Callable[[], Touchpoint | None]:
    """A renewal's touchpoint, looked up only when nothing else qualifies: the first order
    of its subscription, whose partner earns its renewals."""

    def first_order() -> Touchpoint | None:
        first = _subscription_start(session, program_id, subscription_id)
        if first is None:
            return None
        return Touchpoint(
            TouchpointKind.SUBSCRIPTION, first.id, first.partner_id, None, via=VIA_ASSIGNED
        )

    return first_order


def _subscription_start(session: Session, program_id: str, subscription_id: str):
    """The subscription's first attributed conversion, whose partner earns its renewals."""
    return session.scalar(
        select(Conversion)
        .where(
            Conversion.program_id == program_id,
            Conversion.subscription_id == subscription_id,
            Conversion.partner_id.is_not(None),
        )
        .order_by(Conversion.occurred_at, Conversion.id)
        .limit(1)
    )


def _replay(session: Session, existing: Conversion, report: ConversionReport) -> Recorded:
    if existing.request_hash != report.fingerprint():
        before = existing.request or {}
        after = report.canonical()
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        raise IdempotencyConflict(
            Text(
                "order %(order)s (%(event_type)s) was already recorded with different values "
                "for: %(changed)s; use a new order_id, or reverse the conversion and send it again",
                order=repr(existing.order_id),
                event_type=existing.event_type,
                changed=", ".join(changed),
            ),
            field=changed[0] if changed else "order_id",
        )
    commissions = session.scalars(
        select(Commission).where(Commission.conversion_id == existing.id).order_by(Commission.id)
    ).all()
    return Recorded(existing, False, list(commissions))


def _customer_status(
    session: Session, program_id: str, report: ConversionReport
) -> tuple[str, str]:
    """The reported status, or derived: returning if the customer converted here before."""
    if report.customer_status is not None:
        return report.customer_status, "reported"
    if report.customer_id is None:
        return "new", "derived"
    seen = remembered(
        session,
        "customer_seen",
        (program_id, report.customer_id),
        lambda: (
            session.scalar(
                select(Conversion.id)
                .where(
                    Conversion.program_id == program_id,
                    Conversion.customer_id == report.customer_id,
                )
                .limit(1)
            )
            is not None
        ),
    )
    return ("returning" if seen else "new"), "derived"


def _credit(
    session: Session,
    program: Program,
    conversion: Conversion,
    decision: Decision,
    now: datetime,
    attributed: Attributed | None = None,
    *,
    commissioned: bool = True,
) -> list[Commission]:
    """Store the attribution and a commission for each credited, approved partner (only the
    attribution when not `commissioned`). Credit split among several partners splits one
    commission (see create_commissions)."""
    credited = []
    for credit in decision.credits:
        touch = credit.touchpoint
        attribution = Attribution(
            id=new_id("atr"),
            conversion_id=conversion.id,
            partner_id=touch.partner_id,
            touchpoint_kind=touch.kind.value,
            touchpoint_ref=touch.ref,
            touched_at=touch.at,
            model=decision.model,
            share=credit.share,
        )
        session.add(attribution)
        session.flush()
        if not commissioned:
            continue
        enrollment = load_enrollment(session, program.id, touch.partner_id)
        if enrollment is None or enrollment.status != EnrollmentStatus.APPROVED:
            conversion.commission_note = "partner_not_approved"
            continue
        credited.append((attribution, contract_at(enrollment, conversion.occurred_at)))
    made = []
    created = create_commissions(session, program, conversion, credited, now)
    for (attribution, _), commission in zip(credited, created, strict=True):
        if commission is None and attribution.touchpoint_kind == TouchpointKind.IMPRESSION:
            conversion.commission_note = "view_through_not_paid"
        elif commission is None:
            conversion.commission_note = "no_matching_rule"
        else:
            made.append(commission)
            if attributed is not None and (attributed.policy_id or len(decision.credits) > 1):
                why = _attribution_explained(attributed, attribution.partner_id)
                commission.explanation = {**(commission.explanation or {}), "attribution": why}
    return made


def _attribution_explained(attributed: Attributed, partner_id: str) -> dict[str, object]:
    """Who shared the credit, by which policy, and why touches earned nothing: kept with
    the commission, for its explain page."""
    decision = attributed.decision
    return {
        "model": decision.model,
        "reason": decision.reason,
        "policy_id": attributed.policy_id,
        "policy": attributed.policy.as_dict(),
        "share": str(
            next(c.share for c in decision.credits if c.touchpoint.partner_id == partner_id)
        ),
        "partners": [
            {
                "partner_id": c.touchpoint.partner_id,
                "partner_type": c.touchpoint.partner_type,
                "share": str(c.share),
                "touch": c.touchpoint.step_type,
                "at": None if c.touchpoint.at is None else c.touchpoint.at.isoformat(),
            }
            for c in decision.credits
        ],
        "left_out": [
            {"partner_id": t.partner_id, "touch": t.step_type, "why": attributed.notes[key]}
            for t in attributed.journey
            if (key := (t.kind, t.ref)) in attributed.notes
        ],
    }


def record_submitted(
    store: Store,
    caller: Caller,
    data: object,
    *,
    source: str,
    flush_clicks: ClickFlush | None = None,
) -> Recorded:
    """Validate a conversion as it was sent (a JSON object, a form, a CSV row, a pixel's
    query) and record it. A refusal is kept as a rejected event, and the error raised
    carries its id in `rejected_event_id`."""
    try:
        report = parse_report(data)
        return record_conversion(store, caller, report, source=source, flush_clicks=flush_clicks)
    except AccordError as error:
        error.rejected_event_id = keep_rejected(store, caller, "conversion", data, error)
        raise


def keep_rejected(
    store: Store, caller: Caller, kind: str, payload: object, error: AccordError
) -> str:
    """Keep a request Accord refused, with its reason, so nothing is lost silently."""
    return keep_rejected_many(store, caller, kind, [(payload, error)])[0]


def keep_rejected_many(
    store: Store, caller: Caller, kind: str, refused: Sequence[tuple[object, AccordError]]
) -> list[str]:
    """Keep many refused requests in one unit of work; returns their ids in order."""
    now = store.clock.now()
    rows = []
    for payload, error in refused:
        body = payload if isinstance(payload, str) else json.dumps(payload, default=str)
        body = body.replace("\x00", "%00")  # PostgreSQL text cannot hold NUL
        rows.append(
            RejectedEvent(
                id=new_id("rej"),
                organization_id=caller.organization_id,
                kind=kind,
                payload=body[:1_000_000],
                error_code=error.code,
                field=error.field,
                message=error.message,
                at=now,
            )
        )
    with store.unit() as session:
        session.add_all(rows)
    return [row.id for row in rows]


def conversion_recorded(conversion: Conversion, now: datetime) -> ConversionRecorded:
    """The domain event of a conversion just recorded."""
    return ConversionRecorded(
        organization_id=conversion.organization_id,
        program_id=conversion.program_id,
        occurred_at=now,
        conversion_id=conversion.id,
        order_id=conversion.order_id,
        event_type=conversion.event_type,
        amount=Money.from_minor(conversion.amount_minor, conversion.currency).amount,
        currency=conversion.currency,
        status=conversion.status,
        partner_id=conversion.partner_id,
        customer_status=conversion.customer_status,
        source=conversion.source,
        converted_at=conversion.occurred_at,
    )


CONVERSION_STATUSES = ("attributed", "unattributed", "reversed")


def _visible_conversions(caller: Caller):
    query = select(Conversion)
    if caller.is_brand:
        return query.where(Conversion.organization_id == caller.organization_id)
    return query.where(Conversion.partner_id == caller.partner_id)


def conversions_page(
    store: Store,
    caller: Caller,
    *,
    limit: int,
    starting_after: str | None = None,
    program_id: str | None = None,
    status: str | None = None,
    order_id: str | None = None,
) -> Slice[Conversion]:
    """A page of conversions, oldest first: the brand's, or those attributed to a partner."""
    query = _visible_conversions(caller)
    if program_id:
        query = query.where(Conversion.program_id == program_id)
    if status:
        if status not in CONVERSION_STATUSES:
            raise not_one_of("status", status, CONVERSION_STATUSES)
        query = query.where(Conversion.status == status)
    if order_id:
        query = query.where(Conversion.order_id == order_id)
    return read_page(store, query, Conversion.id, limit, starting_after)


def get_conversion(store: Store, caller: Caller, conversion_id: str) -> Conversion:
    """One conversion the caller may see, or NotFound."""
    with store.read() as session:
        conversion = session.scalar(
            _visible_conversions(caller).where(Conversion.id == conversion_id)
        )
    if conversion is None:
        raise NotFound("conversion", conversion_id, field="conversion_id")
    return conversion


def require_brands_conversion(store: Store, caller: Caller, conversion_id: str) -> None:
    """The conversion is the calling brand's own, or NotFound."""
    require_brand(caller)
    with store.read() as session:
        owner = session.scalar(
            select(Conversion.organization_id).where(Conversion.id == conversion_id)
        )
    if owner != caller.organization_id:
        raise NotFound("conversion", conversion_id, field="conversion_id")


def rejected_events_page(
    store: Store, caller: Caller, *, limit: int, starting_after: str | None = None
) -> Slice[RejectedEvent]:
    """A page of the requests Accord refused for the caller's organization, oldest first."""
    query = select(RejectedEvent).where(RejectedEvent.organization_id == caller.organization_id)
    return read_page(store, query, RejectedEvent.id, limit, starting_after)


# reads for the console and the portal -------------------------------------------------------
@dataclass(frozen=True)
class ConversionSearch:
    """What the console's conversion list is narrowed to: text found in the order id, the
    customer id, the promo code, a sub-id of the click, or the name of a partner (`partner_ids`,
    found by the caller); and a range of order times [since, until)."""

    text: str = ""
    partner_ids: frozenset[str] = frozenset()
    since: datetime | None = None
    until: datetime | None = None


def _conversions_query(caller: Caller, program_id: str, search: ConversionSearch):
    query = select(Conversion).where(
        Conversion.program_id == program_id,
        Conversion.organization_id == caller.organization_id,
    )
    needle = search.text.strip()
    if needle:
        found = [
            Conversion.order_id.icontains(needle),
            Conversion.customer_id.icontains(needle),
            Conversion.promo_code.icontains(needle),
            Conversion.click_id.in_(clicks_with_sub_id(program_id, needle)),
        ]
        if search.partner_ids:
            found.append(Conversion.partner_id.in_(sorted(search.partner_ids)))
        query = query.where(or_(*found))
    if search.since is not None:
        query = query.where(Conversion.occurred_at >= search.since)
    if search.until is not None:
        query = query.where(Conversion.occurred_at < search.until)
    return query


def search_conversions(
    store: Store,
    caller: Caller,
    program_id: str,
    search: ConversionSearch,
    *,
    before: str | None = None,
    limit: int | None = 50,
) -> tuple[list[Conversion], bool]:
    """A brand's conversions in a program that match `search`, newest order first (then the
    newest id), older than the conversion `before`; and whether more follow. `limit` None:
    all of them (an export)."""
    with store.read() as session:
        program = load_program(session, caller, program_id)
        query = _conversions_query(caller, program.id, search)
        if before:
            last = session.get(Conversion, before)
            if last is not None and last.program_id == program.id:
                query = query.where(
                    or_(
                        Conversion.occurred_at < last.occurred_at,
                        and_(Conversion.occurred_at == last.occurred_at, Conversion.id < last.id),
                    )
                )
        query = query.order_by(Conversion.occurred_at.desc(), Conversion.id.desc())
        if limit is None:
            return list(session.scalars(query)), False
        rows = list(session.scalars(query.limit(limit + 1)))
    return rows[:limit], len(rows) > limit


@dataclass
class ConversionRecord:
    """One conversion as the console shows it, and what followed."""

    conversion: Conversion
    commissions: list[Commission]
    reversals: list[ConversionReversal]


def conversion_record(store: Store, caller: Caller, conversion_id: str) -> ConversionRecord:
    """A brand's conversion with its commissions and reversals (oldest first)."""
    with store.read() as session:
        conversion = session.scalar(
            select(Conversion).where(
                Conversion.id == conversion_id,
                Conversion.organization_id == caller.organization_id,
            )
        )
        if conversion is None:
            raise NotFound("conversion", conversion_id, field="conversion_id")
        commissions = session.scalars(
            select(Commission).where(Commission.conversion_id == conversion.id)
        )
        reversals = session.scalars(
            select(ConversionReversal)
            .where(ConversionReversal.conversion_id == conversion.id)
            .order_by(ConversionReversal.at)
        )
        return ConversionRecord(conversion, list(commissions), list(reversals))


def partner_conversion_count(store: Store, caller: Caller, program_id: str) -> int:
    """How many conversions of a program the calling partner was credited with."""
    with store.read() as session:
        return int(
            session.scalar(
                select(func.count()).where(
                    Conversion.program_id == program_id,
                    Conversion.partner_id == caller.partner_id,
                )
            )
            or 0
        )


def rejected_page(
    store: Store, caller: Caller, *, before: str | None = None, limit: int = 50
) -> tuple[list[RejectedEvent], bool]:
    """A page of what Accord refused from the caller's organization, newest first, before
    the id `before`; and whether another page follows."""
    query = select(RejectedEvent).where(RejectedEvent.organization_id == caller.organization_id)
    if before:
        query = query.where(RejectedEvent.id < before)
    with store.read() as session:
        found = list(session.scalars(query.order_by(RejectedEvent.id.desc()).limit(limit + 1)))
    return found[:limit], len(found) > limit


def all_rejected(store: Store, caller: Caller) -> list[RejectedEvent]:
    """Everything Accord refused from the caller's organization, oldest first."""
    with store.read() as session:
        return list(
            session.scalars(
                select(RejectedEvent)
                .where(RejectedEvent.organization_id == caller.organization_id)
                .order_by(RejectedEvent.id)
            )
        )


@dataclass(frozen=True)
class PastConversion:
    """A recorded conversion as fraud backtests replay it: when, through whom, the customer's
    traces, its winning click, and whether it was reversed since."""

    id: str
    order_id: str
    occurred_at: datetime
    partner_id: str | None
    amount_minor: int  # in the program's currency
    reversed_minor: int  # in the conversion's own currency
    fully_reversed: bool
    email_sha256: str | None
    ip: str | None
    #: the click that earned the largest share of the credit, and when it was made
    click_id: str | None
    click_at: datetime | None
    #: the promo code, when the code alone earned the credit
    promo_code: str | None = None
    country: str | None = None
    #: device and WeChat identifiers, the payment fingerprint's hash, the referrer's host
    identities: dict[str, str] | None = None
    payment_sha256: str | None = None
    referrer_host: str | None = None


def past_conversions(
    session: Session,
    program_id: str,
    since: datetime,
    until: datetime,
    after: tuple[datetime, str] | None = None,
    limit: int = 1000,
) -> list[PastConversion]:
    """The program's conversions in [since, until) in time order, `limit` at a time after
    `after` (the last one's time and id): two queries a page."""
    query = select(Conversion).where(
        Conversion.program_id == program_id,
        Conversion.occurred_at >= since,
        Conversion.occurred_at < until,
    )
    if after is not None:
        at, last_id = after
        query = query.where(
            (Conversion.occurred_at > at)
            | ((Conversion.occurred_at == at) & (Conversion.id > last_id))
        )
    rows = list(session.scalars(query.order_by(Conversion.occurred_at, Conversion.id).limit(limit)))
    best: dict[str, tuple] = {}
    if rows:
        for attribution in session.scalars(
            select(Attribution)
            .where(Attribution.conversion_id.in_([r.id for r in rows]))
            .order_by(Attribution.id)
        ):
            held = best.get(attribution.conversion_id)
            if held is None or attribution.share > held[0]:
                best[attribution.conversion_id] = (
                    attribution.share,
                    attribution.touchpoint_ref,
                    attribution.touched_at,
                    attribution.touchpoint_kind,
                )
    return [
        PastConversion(
            id=r.id,
            order_id=r.order_id,
            occurred_at=r.occurred_at,
            partner_id=r.partner_id,
            amount_minor=r.program_amount_minor,
            reversed_minor=r.reversed_minor,
            fully_reversed=r.status == "reversed",
            email_sha256=r.email_sha256,
            ip=r.ip,
            click_id=_won(best, r.id, TouchpointKind.CLICK)[0],
            click_at=_won(best, r.id, TouchpointKind.CLICK)[1],
            promo_code=_won(best, r.id, TouchpointKind.PROMO_CODE)[0],
            country=r.country,
            identities=r.identities,
            payment_sha256=r.payment_sha256,
            referrer_host=r.referrer_host,
        )
        for r in rows
    ]


def _won(best: dict[str, tuple], conversion_id: str, kind: TouchpointKind) -> tuple:
    """(ref, time) of the conversion's winning touch when it is of `kind`, else Nones."""
    found = best.get(conversion_id)
    if found is None or found[3] != kind.value:
        return None, None
    return found[1], found[2]


def count_conversions(session: Session, program_id: str, since: datetime, until: datetime) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                Conversion.program_id == program_id,
                Conversion.occurred_at >= since,
                Conversion.occurred_at < until,
            )
        )
        or 0
    )
