"""The attribution stage: load a conversion's journey, decide who earns credit, keep it.

Recording a conversion (accord.conversions.service) hands attribution what the conversion
says about its customer; `attribute_conversion` loads every touchpoint of that customer
within the program's window, in time order, and decides through the pure model
(accord.attribution.model). `keep_journey` stores the journey with the conversion, in the
same transaction, and `journey` / `program_journeys` read journeys back: one conversion's,
or a program's over a period as plain paths for multi-touch and data-driven models.

A customer is tied to touchpoints by the click id the conversion names (the JS tag's
cookie holds it), by the device and WeChat identities an app or mini-program event carries
(each leads back to the latest click it was seen with), by its customer id (the clicks and
impressions of its earlier journeys in the program), and, for view-through, by the IP
address and browser an impression was seen from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.attribution.model import (
    VIA_ASSIGNED,
    VIA_CLICK_ID,
    VIA_CODE,
    VIA_CUSTOMER,
    VIA_SHOPPER,
    Decision,
    Touchpoint,
    TouchpointKind,
    attribute,
    weighed,
)
from accord.attribution.policies import policy_at
from accord.attribution.policy import Policy, decide
from accord.attribution.tables import Journey, JourneyStep
from accord.errors import InvalidInput, NotFound, Text
from accord.ids import new_id
from accord.partners.service import partner_types
from accord.programs.service import load_program
from accord.store.engine import Store
from accord.store.memo import remember, remembered
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand
from accord.tracking.service import (
    clicks_for_identities,
    find_click,
    find_promo_code,
    impressions_from,
    impressions_seen,
    remember_identities,
)

#: Journeys read per page at most.
MAX_PAGE = 5000
#: Touchpoints of earlier journeys of the same customer read at most, the latest first.
MAX_HISTORY = 100
#: Impressions of the same shopper read at most, the latest first.
MAX_SEEN = 50


class Program(Protocol):
    """What attribution reads of a program (as accord.programs.service.load_program gives)."""

    id: str
    currency: str
    attribution_window_days: int
    view_through_hours: int


@dataclass(frozen=True, slots=True)
class Converting:
    """What attribution needs to know of a conversion being recorded."""

    occurred_at: datetime
    order_id: str = ""
    click_id: str | None = None
    promo_code: str | None = None  # normalized (accord.tracking.model.normalize_promo_code)
    identities: dict[str, str] = field(default_factory=dict)
    customer_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    event_type: str | None = None


@dataclass(frozen=True, slots=True)
class Attributed:
    """The decision, the journey it was made on (time order), and what could not be found."""

    decision: Decision
    journey: tuple[Touchpoint, ...]
    #: unknown_click_id or unknown_promo_code, when the conversion named one Accord lacks;
    #: invalid_click, when the click it named was judged invalid by fraud protection.
    missing: str | None = None
    #: The attribution policy version that decided (None: the default rule) and the policy.
    policy_id: str | None = None
    policy: Policy = field(default_factory=Policy)
    #: Why touches in the window earned nothing, by (kind, ref): protected:<type>, ...
    notes: dict[tuple[TouchpointKind, str], str] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        if self.missing and not self.decision.attributed:
            return self.missing
        return self.decision.reason

    @property
    def partner_id(self) -> str | None:
        return self.decision.credits[0].touchpoint.partner_id if self.decision.attributed else None


@dataclass(frozen=True, slots=True)
class _Read:
    """Touchpoints read ahead for a batch, valid for conversions between since and until."""

    since: datetime
    until: datetime
    found: list


def _read_ahead(session: Session, name: str, key: tuple, since: datetime, until: datetime):
    """What `prefetch` read for this key, if it covers [since, until]; else None."""
    read = remembered(session, name, key, lambda: None)
    if read is not None and read.since <= since and until <= read.until:
        return read
    return None


def prefetch(session: Session, program: Program, batch: list[Converting]) -> None:
    """Read what a batch's conversions will look up, a query per kind, inside
    `memoized(session)`: their customers' earlier journeys and their shoppers' impressions."""
    if not batch:
        return
    window, view_window = windows(program)
    last = max(c.occurred_at for c in batch)
    first = min(c.occurred_at for c in batch)
    customers = sorted({c.customer_id for c in batch if c.customer_id})
    if customers:
        since = first - window
        history: dict[str, list[Touchpoint]] = {customer: [] for customer in customers}
        rows = session.execute(
            _history_query(program.id, since, last).where(Journey.customer_id.in_(customers))
        ).all()
        for step, customer in rows:
            history[customer].append(_remembered_touch(step))
        remember(
            session,
            "customer_history",
            {(program.id, c): _Read(since, last, found) for c, found in history.items()},
        )
    ips = sorted({c.ip for c in batch if c.ip})
    if ips and view_window > timedelta(0):
        since = first - view_window
        seen: dict[str, list] = {ip: [] for ip in ips}
        for impression in impressions_from(session, program.id, ips, since, last):
            seen[impression.ip].append(impression)
        remember(
            session,
            "impressions",
            {(program.id, ip): _Read(since, last, found) for ip, found in seen.items()},
        )


def windows(program: Program) -> tuple[timedelta, timedelta]:
    """The program's attribution window and view-through window."""
    return timedelta(days=program.attribution_window_days), timedelta(
        hours=program.view_through_hours
    )


def attribute_conversion(
    session: Session,
    program: Program,
    converting: Converting,
    *,
    credit_partner_id: str | None = None,
    renewal_of: Callable[[], Touchpoint | None] | None = None,
) -> Attributed:
    """Load the conversion's journey and decide who earns its credit, under the program's
    attribution policy in force when the conversion happened (accord.attribution.policies).

    `credit_partner_id` gives the credit to that partner outright (an inquiry the brand
    accepted). `renewal_of` is given for a subscription's renewal: when no click, code or
    impression qualifies, it names the touchpoint of the subscription's first order.
    """
    occurred = converting.occurred_at
    policy_id, policy = policy_at(session, program.id, converting.event_type, occurred)
    program_window, view_window = windows(program)
    window = policy.window(program_window)
    journey, missing = load_touchpoints(session, program, converting, window)
    candidates = weighed(journey)
    assigned = None
    if credit_partner_id is not None:
        assigned = Touchpoint(
            TouchpointKind.INQUIRY, converting.order_id, credit_partner_id, None, via=VIA_ASSIGNED
        )
    elif renewal_of is not None and not candidates:
        assigned = renewal_of()
    if assigned is not None:
        candidates, missing = [assigned], None
        journey.append(assigned)
    ordered = tuple(_ordered(session, journey, occurred))
    notes: dict[tuple[TouchpointKind, str], str] = {}
    decision = None
    if assigned is None and not policy.is_default:
        outcome = decide(policy, ordered, occurred, window)
        notes = {(t.kind, t.ref): why for t, why in outcome.dropped}
        if outcome.decision.attributed:
            decision = outcome.decision
    if decision is None:  # the default rule; renewals, inquiries and view-through
        decision = attribute(candidates, occurred, window, view_window)
    return Attributed(decision, ordered, missing, policy_id, policy, notes)


def load_touchpoints(
    session: Session, program: Program, converting: Converting, window: timedelta | None = None
) -> tuple[list[Touchpoint], str | None]:
    """Every touchpoint tied to the converting customer, and a reason code when the click id
    or promo code it names is unknown.

    The click it names is kept wherever it falls (the decision says when it is outside the
    window); other clicks and impressions only within the window. A click id arriving with
    device or WeChat ids teaches Accord that link for later events.
    """
    program_window, view_window = windows(program)
    window = program_window if window is None else window
    occurred = converting.occurred_at
    found: dict[tuple[TouchpointKind, str], Touchpoint] = {}
    missing = None

    def add(touch: Touchpoint) -> None:
        found.setdefault((touch.kind, touch.ref), touch)

    if converting.click_id:
        click = find_click(session, program.id, converting.click_id)
        if click is None:
            missing = "unknown_click_id"
        elif click.invalid:
            missing = "invalid_click"  # judged invalid by fraud protection: it cannot win
        else:
            if converting.identities:
                remember_identities(session, program.id, converting.identities, click)
            add(_click(click, VIA_CLICK_ID))
    for kind, click in clicks_for_identities(session, program.id, converting.identities):
        named = converting.click_id is not None and missing is None
        if click.invalid:
            continue
        if not named or occurred - window <= click.at <= occurred:
            add(_click(click, kind))
    if converting.promo_code:
        code = find_promo_code(session, program.id, converting.promo_code)
        if code is None:
            missing = missing or "unknown_promo_code"
        else:
            add(Touchpoint(TouchpointKind.PROMO_CODE, code.code, code.partner_id, None, VIA_CODE))
    if converting.customer_id:
        for touch in _customer_history(
            session, program.id, converting.customer_id, occurred, window
        ):
            add(touch)
    if converting.ip and view_window > timedelta(0):
        for seen in _impressions(session, program.id, converting, occurred - view_window):
            add(
                Touchpoint(
                    TouchpointKind.IMPRESSION,
                    seen.id,
                    seen.partner_id,
                    seen.at,
                    VIA_SHOPPER,
                    link_id=seen.link_id,
                )
            )
    return list(found.values()), missing


def _impressions(session: Session, program_id: str, converting: Converting, since: datetime):
    """The latest impressions the same shopper saw since `since`, oldest first."""
    until = converting.occurred_at
    read = _read_ahead(session, "impressions", (program_id, converting.ip), since, until)
    if read is None:
        return impressions_seen(
            session, program_id, converting.ip, converting.user_agent, since, until, MAX_SEEN
        )
    browser = converting.user_agent[:512] if converting.user_agent else None
    found = [
        seen
        for seen in read.found
        if since <= seen.at <= until and (browser is None or seen.user_agent == browser)
    ]
    return found[-MAX_SEEN:]


def _click(click, via: str) -> Touchpoint:
    return Touchpoint(
        TouchpointKind.CLICK, click.id, click.partner_id, click.at, via, link_id=click.link_id
    )


def _customer_history(
    session: Session, program_id: str, customer_id: str, occurred: datetime, window: timedelta
) -> list[Touchpoint]:
    """Clicks and impressions of the customer's earlier journeys in the program, within the
    window before `occurred`: the latest MAX_HISTORY, latest first."""
    since = occurred - window
    read = _read_ahead(session, "customer_history", (program_id, customer_id), since, occurred)
    if read is not None:
        found = [t for t in read.found if since <= t.at <= occurred]
        return sorted(found, key=lambda t: (t.at, t.ref), reverse=True)[:MAX_HISTORY]
    rows = session.execute(
        _history_query(program_id, since, occurred)
        .where(Journey.customer_id == customer_id)
        .order_by(JourneyStep.at.desc(), JourneyStep.ref.desc())
        .limit(MAX_HISTORY)
    ).all()
    return [_remembered_touch(step) for step, _ in rows]


def _history_query(program_id: str, since: datetime, until: datetime):
    return (
        select(JourneyStep, Journey.customer_id)
        .join(Journey, Journey.conversion_id == JourneyStep.conversion_id)
        .where(
            Journey.program_id == program_id,
            JourneyStep.step_type.in_(("click", "app_identity", "impression")),
            JourneyStep.at >= since,
            JourneyStep.at <= until,
        )
    )


def _remembered_touch(step: JourneyStep) -> Touchpoint:
    """A step of an earlier journey, as a touchpoint of the same customer's next one."""
    return Touchpoint(
        TouchpointKind.IMPRESSION if step.step_type == "impression" else TouchpointKind.CLICK,
        step.ref,
        step.partner_id,
        step.at,
        VIA_CUSTOMER,
        link_id=step.link_id,
        partner_type=step.partner_type,
    )


def _ordered(session: Session, journey: list[Touchpoint], occurred: datetime) -> list[Touchpoint]:
    """The journey in time order, each touchpoint with its partner's type. A code, a
    renewal's first order or an inquiry counts at the conversion itself, after the rest."""
    wanted = {t.partner_id for t in journey if t.partner_type is None}
    types = {p: remembered(session, "partner_type", p, lambda: None) for p in wanted}
    unknown = [p for p, kind in types.items() if kind is None]
    if unknown:
        found = partner_types(session, unknown)
        remember(session, "partner_type", found)
        types.update(found)
    typed = [
        t
        if t.partner_type is not None
        else Touchpoint(
            t.kind, t.ref, t.partner_id, t.at, t.via, t.link_id, types.get(t.partner_id)
        )
        for t in journey
    ]
    return sorted(typed, key=lambda t: (t.at or occurred, t.at is None, t.ref))


def keep_journey(
    session: Session,
    program: Program,
    conversion,
    attributed: Attributed,
) -> Journey:
    """Store the conversion's journey: the touchpoints within the window, in order, each
    with whether it won credit and its share. Call it in the conversion's transaction."""
    window = attributed.policy.window(windows(program)[0])
    occurred = conversion.occurred_at
    shares: dict[tuple[TouchpointKind, str], Decimal] = {}
    for credit in attributed.decision.credits:
        key = (credit.touchpoint.kind, credit.touchpoint.ref)
        shares[key] = shares.get(key, Decimal(0)) + credit.share
    steps = [
        t
        for t in attributed.journey
        if (t.kind, t.ref) in shares or t.at is None or occurred - window <= t.at <= occurred
    ]
    journey = Journey(
        conversion_id=conversion.id,
        organization_id=conversion.organization_id,
        program_id=program.id,
        event_type=conversion.event_type,
        customer_id=conversion.customer_id,
        converted_at=occurred,
        value_minor=conversion.program_amount_minor,
        currency=program.currency,
        model=attributed.decision.model,
        reason=attributed.reason,
        steps=len(steps),
        policy_id=attributed.policy_id,
    )
    session.add(journey)
    session.add_all(
        JourneyStep(
            id=new_id("jst"),
            conversion_id=conversion.id,
            position=position,
            step_type=touch.step_type,
            via=touch.via,
            ref=touch.ref[:64],
            at=touch.at,
            partner_id=touch.partner_id,
            partner_type=touch.partner_type,
            link_id=touch.link_id,
            credited=(touch.kind, touch.ref) in shares,
            share=shares.get((touch.kind, touch.ref)),
            note=attributed.notes.get((touch.kind, touch.ref)),
        )
        for position, touch in enumerate(steps)
    )
    if conversion.customer_id:
        # The next conversions of this batch read this journey as the customer's history.
        key = (program.id, conversion.customer_id)
        read = remembered(session, "customer_history", key, lambda: None)
        if read is not None:
            read.found.extend(
                Touchpoint(
                    t.kind, t.ref, t.partner_id, t.at, VIA_CUSTOMER, t.link_id, t.partner_type
                )
                for t in steps
                if t.at is not None and t.kind in (TouchpointKind.CLICK, TouchpointKind.IMPRESSION)
            )
    return journey


# Reading journeys ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    """One touchpoint of a journey as readers see it."""

    position: int
    step_type: str
    via: str
    ref: str
    at: datetime | None
    partner_id: str
    partner_type: str | None
    link_id: str | None
    credited: bool
    share: Decimal | None
    #: Why a touch in the window earned nothing under the policy (protected:<type>, ...).
    note: str | None = None


@dataclass(frozen=True, slots=True)
class JourneyView:
    """A conversion's journey: what led to it, in order, and who won its credit."""

    conversion_id: str
    program_id: str
    event_type: str
    converted_at: datetime
    value_minor: int
    currency: str
    model: str
    reason: str
    steps: tuple[Step, ...]
    #: The attribution policy version that decided (None: the program's default rule).
    policy_id: str | None = None

    @property
    def path(self) -> tuple[str, ...]:
        """The partners touched, in order (a partner may appear more than once)."""
        return tuple(step.partner_id for step in self.steps)

    @property
    def path_types(self) -> tuple[str | None, ...]:
        """The partner types touched, in order."""
        return tuple(step.partner_type for step in self.steps)

    @property
    def converted(self) -> bool:
        """Every kept journey ended in a conversion; paths that did not are not kept yet."""
        return True


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the next page of a program's journeys starts (after this conversion)."""

    converted_at: datetime
    conversion_id: str


@dataclass(frozen=True, slots=True)
class JourneyPage:
    journeys: list[JourneyView]
    next: Cursor | None  # None: this was the last page


def _view(journey: Journey, steps: list[JourneyStep]) -> JourneyView:
    return JourneyView(
        conversion_id=journey.conversion_id,
        program_id=journey.program_id,
        event_type=journey.event_type,
        converted_at=journey.converted_at,
        value_minor=journey.value_minor,
        currency=journey.currency,
        model=journey.model,
        reason=journey.reason,
        steps=tuple(
            Step(
                s.position,
                s.step_type,
                s.via,
                s.ref,
                s.at,
                s.partner_id,
                s.partner_type,
                s.link_id,
                s.credited,
                s.share,
                s.note,
            )
            for s in steps
        ),
        policy_id=journey.policy_id,
    )


def journey(store: Store, caller: Caller, conversion_id: str) -> JourneyView:
    """The journey of one of the brand's conversions."""
    require_brand(caller)
    with store.read() as session:
        kept = session.get(Journey, conversion_id)
        if kept is None or kept.organization_id != caller.organization_id:
            raise NotFound("journey of conversion", conversion_id, field="conversion_id")
        steps = session.scalars(
            select(JourneyStep)
            .where(JourneyStep.conversion_id == conversion_id)
            .order_by(JourneyStep.position)
        ).all()
        return _view(kept, list(steps))


def program_journeys(
    store: Store,
    caller: Caller,
    program_id: str,
    since: datetime,
    until: datetime,
    *,
    limit: int = 1000,
    after: Cursor | None = None,
) -> JourneyPage:
    """The program's journeys of conversions that occurred in [since, until), oldest first,
    a page of at most `limit`; pass the page's `next` as `after` for the following one.

    Two queries a page (the journeys, then their steps), whatever its size: what multi-touch
    and data-driven models read."""
    require_brand(caller)
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput("limit", Text("must be between 1 and %(most)s", most=MAX_PAGE))
    if since.tzinfo is None or until.tzinfo is None:
        raise InvalidInput("since", "since and until must carry a time zone")
    if until <= since:
        raise InvalidInput("until", "must be after since")
    with store.read() as session:
        program = load_program(session, caller, program_id)
        query = select(Journey).where(
            Journey.program_id == program.id,
            Journey.converted_at >= since,
            Journey.converted_at < until,
        )
        if after is not None:
            query = query.where(
                (Journey.converted_at > after.converted_at)
                | (
                    (Journey.converted_at == after.converted_at)
                    & (Journey.conversion_id > after.conversion_id)
                )
            )
        kept = session.scalars(
            query.order_by(Journey.converted_at, Journey.conversion_id).limit(limit + 1)
        ).all()
        more = len(kept) > limit
        kept = kept[:limit]
        by_conversion: dict[str, list[JourneyStep]] = {j.conversion_id: [] for j in kept}
        if kept:
            for step in session.scalars(
                select(JourneyStep)
                .where(JourneyStep.conversion_id.in_(list(by_conversion)))
                .order_by(JourneyStep.conversion_id, JourneyStep.position)
            ):
                by_conversion[step.conversion_id].append(step)
        views = [_view(j, by_conversion[j.conversion_id]) for j in kept]
    last = views[-1] if more else None
    return JourneyPage(views, Cursor(last.converted_at, last.conversion_id) if last else None)


# Replaying journeys under another policy -------------------------------------------------

_STEP_KINDS = {
    "click": TouchpointKind.CLICK,
    "app_identity": TouchpointKind.CLICK,
    "impression": TouchpointKind.IMPRESSION,
    "promo_code": TouchpointKind.PROMO_CODE,
    "subscription": TouchpointKind.SUBSCRIPTION,
    "inquiry": TouchpointKind.INQUIRY,
}


def replay_journeys(
    session: Session, program: Program, policy: Policy, conversion_ids: list[str]
) -> dict[str, tuple[tuple[str, Decimal], ...]]:
    """Who each conversion's kept journey would credit under `policy`: (partner, share)
    pairs adding up to 1; where the policy credits nobody, what was credited when it was
    recorded (a renewal, an accepted inquiry, a view-through). A what-if: nothing is
    written. Two queries per 900 conversions."""
    found: dict[str, tuple[tuple[str, Decimal], ...]] = {}
    window = policy.window(windows(program)[0])
    for start in range(0, len(conversion_ids), 900):
        chunk = conversion_ids[start : start + 900]
        converted = dict(
            session.execute(
                select(Journey.conversion_id, Journey.converted_at).where(
                    Journey.conversion_id.in_(chunk)
                )
            ).all()
        )
        steps: dict[str, list[JourneyStep]] = {c: [] for c in converted}
        for step in session.scalars(
            select(JourneyStep)
            .where(JourneyStep.conversion_id.in_(chunk))
            .order_by(JourneyStep.conversion_id, JourneyStep.position)
        ):
            steps[step.conversion_id].append(step)
        for conversion_id, occurred in converted.items():
            kept = steps[conversion_id]
            touches = [
                Touchpoint(
                    _STEP_KINDS.get(s.step_type, TouchpointKind.CLICK),
                    s.ref,
                    s.partner_id,
                    s.at,
                    s.via,
                    s.link_id,
                    s.partner_type,
                )
                for s in kept
            ]
            decision = decide(policy, touches, occurred, window).decision
            if decision.attributed:
                found[conversion_id] = tuple(
                    (c.touchpoint.partner_id, c.share) for c in decision.credits
                )
            else:
                found[conversion_id] = tuple(
                    (s.partner_id, s.share or Decimal(1)) for s in kept if s.credited
                )
    return found
