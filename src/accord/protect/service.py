"""Protect: score each conversion as it is recorded, hold what the program's rules say to
hold, and let a person release or decline it; settings, the held queue and each rule's hits.

The conversions stage calls `assess_conversion` inside its own unit of work, after the
commissions exist and before anything can lock them, so a held order never pays, even for
a moment. Everything else reads and writes protect's own tables, and reaches commissions
and conversions through their services.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from time import monotonic
from typing import Any

from sqlalchemy import Integer, case, func, literal, select
from sqlalchemy.orm import Session

from accord.attribution.model import Touchpoint, TouchpointKind
from accord.audit.context import current as current_actor
from accord.clock import from_store
from accord.commissions.service import held_commissions, hold_for_review, release_held
from accord.conversions.model import ReversalRequest
from accord.conversions.reversals import reverse_in
from accord.errors import Conflict, InvalidInput, NotFound, Text
from accord.ids import new_id
from accord.money import Money
from accord.programs.service import load_program
from accord.protect.clicks import geo
from accord.protect.clicks import scorer as click_scorer
from accord.protect.coupons import coupon_site
from accord.protect.marks import keep_marks, own_marks
from accord.protect.model import (
    CLICK_RULES,
    CONVERSION_RULES,
    DEFAULT_HOLD_AT,
    FLOOD_ORDERS,
    MAX_SCORE,
    POINTS,
    RULES,
    Action,
    Baseline,
    ConversionFacts,
    Level,
    Mode,
    OwnMarks,
    Review,
    Signal,
    Tuning,
    Verdict,
    device_keys,
    learned_marks,
    median_hours,
    nearest_rank,
    order_run,
    score_conversion,
)
from accord.protect.tables import (
    FraudBaseline,
    FraudClickDay,
    FraudSettings,
    RiskScore,
    tuning_of,
)
from accord.store.engine import Store
from accord.store.paging import Slice, read_page
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand
from accord.tracking.service import find_click

#: How far back the duplicate-order and IP rules look.
LOOKBACK = timedelta(days=1)
#: How far back the promo-leak rule looks.
CODE_LOOKBACK = timedelta(days=7)
#: At most this many characters of a review note are kept.
MAX_NOTE = 2000


def _who() -> str | None:
    """Who is acting, as the audit log names them (an e-mail, a key's name, the CLI)."""
    actor = current_actor()
    return (actor.label or actor.id or actor.kind)[:40]


# a process-wide cache of what every conversion's score reads -------------------------------
#: Settings, baselines and partners' own e-mails are read again after this many seconds (a
#: change made in this process is seen at once; one made in another, within this time).
SHARED_TTL = 10.0
_shared: dict[tuple[str, str], tuple[float, Any]] = {}


def _cached(kind: str, key: str, load):
    now = monotonic()
    found = _shared.get((kind, key))
    if found is not None and now - found[0] < SHARED_TTL:
        return found[1]
    value = load()
    if len(_shared) > 50_000:
        _shared.clear()
    _shared[(kind, key)] = (now, value)
    return value


def _forget(kind: str, key: str) -> None:
    _shared.pop((kind, key), None)


# settings ---------------------------------------------------------------------------------
def tuning_in(session: Session, program_id: str) -> Tuning:
    """The program's settings (the defaults when it has none: shadow mode, moderate)."""
    return _cached("tuning", program_id, lambda: tuning_of(session.get(FraudSettings, program_id)))


def fraud_settings(store: Store, caller: Caller, program_id: str) -> Tuning:
    require_brand(caller)
    with store.read() as session:
        load_program(session, caller, program_id)
        return tuning_in(session, program_id)


def _overrides(given: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Per-rule overrides, checked: known rules, a threshold of at least 0, a weight from 0
    to 100, enabled true or false. Errors name the field (rules.<code>.<key>)."""
    out: dict[str, dict[str, Any]] = {}
    for code, values in (given or {}).items():
        if code not in RULES:
            known = ", ".join(RULES)
            raise InvalidInput(
                f"rules.{code}", Text("is not a rule; the rules are: %(known)s", known=known)
            )
        if not isinstance(values, Mapping):
            raise InvalidInput(f"rules.{code}", "give an object with threshold, weight, enabled")
        kept: dict[str, Any] = {}
        for key, value in values.items():
            field = f"rules.{code}.{key}"
            if key == "threshold":
                if value is None or value == "":
                    continue
                try:
                    number = Decimal(str(value))
                except InvalidOperation:
                    raise InvalidInput(field, "must be a number") from None
                if not number.is_finite() or number < 0 or number > 10**9:
                    raise InvalidInput(field, "must be a number from 0 to 1000000000")
                kept["threshold"] = str(number.normalize())
            elif key == "weight":
                if value is None or value == "":
                    continue
                try:
                    weight = int(str(value))
                except ValueError:
                    raise InvalidInput(field, "must be a whole number from 0 to 100") from None
                if not 0 <= weight <= MAX_SCORE:
                    raise InvalidInput(field, "must be a whole number from 0 to 100")
                kept["weight"] = weight
            elif key == "enabled":
                if not isinstance(value, bool):
                    raise InvalidInput(field, "must be true or false")
                if not value:
                    kept["enabled"] = False
            else:
                raise InvalidInput(field, "is not a setting; use threshold, weight or enabled")
        if kept:
            out[code] = kept
    return out


def change_fraud_settings(
    store: Store,
    caller: Caller,
    program_id: str,
    *,
    mode: str,
    level: str,
    hold_at: int = DEFAULT_HOLD_AT,
    rules: Mapping[str, Any] | None = None,
) -> Tuning:
    """Set the program's mode, level, hold threshold and rule overrides (all at once)."""
    require_brand(caller)
    try:
        chosen_mode = Mode(mode)
    except ValueError:
        raise InvalidInput("mode", "must be off, shadow or active") from None
    try:
        chosen_level = Level(level)
    except ValueError:
        raise InvalidInput("level", "must be relaxed, moderate or strict") from None
    if isinstance(hold_at, bool) or not isinstance(hold_at, int) or not 1 <= hold_at <= 100:
        raise InvalidInput("hold_at", "must be a whole number from 1 to 100")
    overrides = _overrides(rules)
    now = store.clock.now()
    with store.unit() as session:
        program = load_program(session, caller, program_id, for_update=True)
        row = session.get(FraudSettings, program.id)
        if row is None:
            row = FraudSettings(program_id=program.id, organization_id=program.organization_id)
            session.add(row)
        row.mode = chosen_mode.value
        row.level = chosen_level.value
        row.hold_at = hold_at
        row.overrides = overrides
        row.updated_at = now
        row.updated_by = _who()
        tuning = tuning_of(row)
    _forget("tuning", program_id)
    click_scorer().settings_changed(program_id)
    return tuning


# scoring ----------------------------------------------------------------------------------
def _baseline_in(session: Session, program_id: str) -> Baseline:
    def load() -> Baseline:
        row = session.get(FraudBaseline, program_id)
        return Baseline() if row is None else Baseline(row.count, row.quantiles or {})

    return _cached("baseline", program_id, load)


def _own_marks(session: Session, partner_id: str, at: datetime) -> OwnMarks:
    return _cached("marks", partner_id, lambda: own_marks(session, partner_id, at))


def _device_lookbacks(
    session: Session, program_id: str, partner_id: str, device: str, since: datetime
) -> tuple[int, bool]:
    """One statement: the orders from this device through this partner since `since`,
    this one included; and whether no earlier order of the program named the device."""
    through = (
        select(func.count())
        .where(
            RiskScore.program_id == program_id,
            RiskScore.device == device,
            RiskScore.at >= since,
            RiskScore.partner_id == partner_id,
        )
        .scalar_subquery()
    )
    seen = (
        select(RiskScore.id)
        .where(RiskScore.program_id == program_id, RiskScore.device == device)
        .limit(1)
        .scalar_subquery()
    )
    count, earlier = session.execute(select(through, seen)).one()
    return int(count) + 1, earlier is None


def _lookbacks(
    session: Session, program_id: str, partner_id: str, conversion, since: datetime
) -> tuple[float | None, int]:
    """One statement: minutes since the latest earlier order of the same customer (hashed
    e-mail, or IP when there is none) and the same amount through the same partner under
    another order id (None: none); and the orders from this IP through this partner in
    the last day, this one included (0 without an IP)."""
    if conversion.email_sha256:
        same = RiskScore.email_sha256 == conversion.email_sha256
    elif conversion.ip:
        same = RiskScore.ip == conversion.ip
    else:
        same = None
    latest = (
        select(func.max(RiskScore.at))
        .where(
            RiskScore.program_id == program_id,
            same,
            RiskScore.at >= since,
            RiskScore.at <= conversion.occurred_at,
            RiskScore.partner_id == partner_id,
            RiskScore.amount_minor == conversion.program_amount_minor,
            RiskScore.order_id != conversion.order_id,
        )
        .scalar_subquery()
        if same is not None
        else literal(None)
    )
    from_ip = (
        select(func.count())
        .where(
            RiskScore.program_id == program_id,
            RiskScore.ip == conversion.ip,
            RiskScore.at >= since,
            RiskScore.partner_id == partner_id,
        )
        .scalar_subquery()
        if conversion.ip
        else literal(-1)
    )
    found, earlier = session.execute(select(latest, from_ip)).one()
    minutes = None
    if found is not None:
        found = (
            from_store(found)
            if not isinstance(found, str)
            else from_store(datetime.fromisoformat(found))
        )
        minutes = max((conversion.occurred_at - found).total_seconds(), 0.0) / 60
    return minutes, int(earlier) + 1


def _partner_latest(
    session: Session, program_id: str, partner_id: str, click_seconds: float | None
) -> tuple[float | None, list[str]]:
    """One query over the partner's latest FLOOD_ORDERS - 1 orders: the median hours from
    click to order over those with a click and this one (None with fewer than
    FLOOD_MIN_ORDERS, or when this one had no click), and their order ids, latest first."""
    rows = session.execute(
        select(RiskScore.click_seconds, RiskScore.order_id)
        .where(RiskScore.partner_id == partner_id, RiskScore.program_id == program_id)
        .order_by(RiskScore.at.desc())
        .limit(FLOOD_ORDERS - 1)
    ).all()
    median = None
    if click_seconds is not None:
        median = median_hours([*(s for s, _ in rows if s is not None), click_seconds])
    return median, [order_id for _, order_id in rows]


def _code_countries(
    session: Session, program_id: str, code: str, country: str | None, at: datetime
) -> int:
    """Countries the code's code-only orders came from in the 7 days to `at`, this one's
    included."""
    found = set(
        session.scalars(
            select(RiskScore.country)
            .where(
                RiskScore.program_id == program_id,
                RiskScore.promo_code == code,
                RiskScore.at >= at - CODE_LOOKBACK,
                RiskScore.at <= at,
                RiskScore.country.is_not(None),
            )
            .distinct()
        )
    )
    if country:
        found.add(country)
    return len(found)


def assess_conversion(
    session: Session,
    program,
    conversion,
    touch: Touchpoint | None,
    commissions: Sequence,
    now: datetime,
    invalid_click: str | None = None,
) -> Verdict | None:
    """Score a conversion being recorded (the caller's unit of work), keep the score, and
    hold its commissions when the program is in active mode and the score reaches its hold
    threshold. None when the program scores nothing (mode off)."""
    tuning = tuning_in(session, program.id)
    if tuning.mode == Mode.OFF:
        return None
    partner_id = conversion.partner_id
    click_seconds = None
    countries = geo()
    click_country = order_country = None
    if touch is not None and touch.kind is TouchpointKind.CLICK and touch.at is not None:
        click_seconds = max((conversion.occurred_at - touch.at).total_seconds(), 0.0)
        if invalid_click is None or countries is not None:
            click = find_click(session, program.id, touch.ref)
            # in shadow mode a click the rules would have judged invalid still wins: say so
            if (
                invalid_click is None
                and click is not None
                and click.risk_reasons
                and click.risk >= tuning.hold_at
            ):
                invalid_click = click.risk_reasons
            if countries is not None and click is not None:
                click_country = countries.country_of(click.ip)
                order_country = conversion.country or countries.country_of(conversion.ip)
    code = None
    if touch is not None and touch.kind is TouchpointKind.PROMO_CODE:
        code = touch.ref
    facts = ConversionFacts(click_seconds=click_seconds, invalid_click=invalid_click)
    devices = device_keys(conversion.identities)
    device = devices[0] if devices else None
    new_device = None
    own = None
    if partner_id is not None:
        since = conversion.occurred_at - LOOKBACK
        duplicate, from_ip = _lookbacks(session, program.id, partner_id, conversion, since)
        median, earlier = _partner_latest(session, program.id, partner_id, click_seconds)
        device_orders = 0
        if device is not None:
            device_orders, new_device = _device_lookbacks(
                session, program.id, partner_id, device, since
            )
        marks = _own_marks(session, partner_id, conversion.occurred_at)
        own = marks.self_referral(conversion.email_sha256, devices, conversion.payment_sha256)
        facts = ConversionFacts(
            click_seconds=click_seconds,
            invalid_click=invalid_click,
            partner_median_hours=median,
            order_run=order_run(conversion.order_id, earlier),
            click_country=click_country,
            order_country=order_country,
            code_countries=_code_countries(
                session, program.id, code, conversion.country, conversion.occurred_at
            )
            if code
            else 0,
            self_referral=own,
            partner_network=marks.network(conversion.ip),
            device_orders=device_orders,
            coupon_site=coupon_site(conversion.referrer_host) if code else None,
            duplicate_minutes=duplicate,
            ip_orders=from_ip,
        )
    result = score_conversion(facts, tuning, _baseline_in(session, program.id))
    row = RiskScore(
        id=new_id("rsk"),
        organization_id=program.organization_id,
        program_id=program.id,
        conversion_id=conversion.id,
        partner_id=partner_id,
        order_id=conversion.order_id,
        at=conversion.occurred_at,
        scored_at=now,
        amount_minor=conversion.program_amount_minor,
        currency=program.currency,
        ip=conversion.ip,
        email_sha256=conversion.email_sha256,
        click_seconds=click_seconds,
        promo_code=code,
        country=conversion.country,
        device=device,
        new_device=new_device,
        score=result.score,
        signals=[s.as_dict() for s in result.signals],
        codes="".join(f",{code}" for code in result.codes) + ("," if result.codes else ""),
        action=result.action.value,
        mode=tuning.mode.value,
        level=tuning.level.value,
    )
    session.add(row)
    if own is not None and partner_id is not None and tuning.enabled("self_referral"):
        # the partner's own order teaches its phone, card and address: the next order on
        # them is the partner's own under any e-mail
        taught = learned_marks(devices, conversion.payment_sha256, conversion.ip)
        if taught:
            keep_marks(session, partner_id, taught, "own_order", conversion.occurred_at)
            _forget("marks", partner_id)
    if result.action is Action.HELD:
        held = hold_for_review(session, commissions, result.score, result.codes, now)
        if not held:  # nothing to hold (no commission, or none pending): a flag, then
            result = Verdict(result.score, result.signals, Action.FLAGGED)
            row.action = Action.FLAGGED.value
    return result


# reading ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Assessment:
    """A scored conversion, as a page or the API shows it."""

    id: str
    program_id: str
    conversion_id: str
    partner_id: str | None
    order_id: str
    at: datetime
    scored_at: datetime
    amount: Money
    score: int
    signals: tuple[Signal, ...]
    action: str
    mode: str
    level: str
    review: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_note: str | None
    click_seconds: float | None = None
    #: the commissions still held, when asked for
    held: tuple[Money, ...] = ()

    @property
    def waiting(self) -> bool:
        return self.action == Action.HELD.value and self.review is None


def _assessment(row: RiskScore, held: Sequence[Money] = ()) -> Assessment:
    return Assessment(
        id=row.id,
        program_id=row.program_id,
        conversion_id=row.conversion_id,
        partner_id=row.partner_id,
        order_id=row.order_id,
        at=row.at,
        scored_at=row.scored_at,
        amount=Money.from_minor(row.amount_minor, row.currency),
        score=row.score,
        signals=tuple(Signal.from_dict(s) for s in row.signals or ()),
        action=row.action,
        mode=row.mode,
        level=row.level,
        review=row.review,
        reviewed_by=row.reviewed_by,
        reviewed_at=row.reviewed_at,
        review_note=row.review_note,
        click_seconds=row.click_seconds,
        held=tuple(held),
    )


def _visible(caller: Caller):
    query = select(RiskScore)
    if caller.is_brand:
        return query.where(RiskScore.organization_id == caller.organization_id)
    return query.where(RiskScore.partner_id == caller.partner_id)


def assessment_of(store: Store, caller: Caller, conversion_id: str) -> Assessment | None:
    """The conversion's score (a brand: any of its conversions; a partner: its own), or
    None when it was not scored."""
    with store.read() as session:
        row = session.scalar(_visible(caller).where(RiskScore.conversion_id == conversion_id))
        if row is None:
            return None
        held = held_commissions(session, [row.conversion_id]).get(row.conversion_id, [])
        return _assessment(row, held)


def assessments_of(store: Store, caller: Caller, conversion_ids: Sequence[str]) -> dict:
    """The scores of these conversions the caller may see, by conversion id."""
    ids = list(dict.fromkeys(conversion_ids))
    out: dict[str, Assessment] = {}
    with store.read() as session:
        for start in range(0, len(ids), 500):
            query = _visible(caller).where(RiskScore.conversion_id.in_(ids[start : start + 500]))
            for row in session.scalars(query):
                out[row.conversion_id] = _assessment(row)
    return out


def waiting_count(store: Store, caller: Caller, program_id: str) -> int:
    """The program's conversions held and waiting for a person's review."""
    require_brand(caller)
    with store.read() as session:
        load_program(session, caller, program_id)
        return int(
            session.scalar(
                select(func.count()).where(
                    RiskScore.program_id == program_id,
                    RiskScore.action == Action.HELD.value,
                    RiskScore.review.is_(None),
                )
            )
            or 0
        )


SHOWN = ("held", "flagged", "reviewed")


def queue_page(
    store: Store,
    caller: Caller,
    program_id: str,
    show: str = "held",
    limit: int = 50,
    starting_after: str | None = None,
) -> Slice:
    """A program's scores, oldest first: held and waiting for a review, flagged (shadow
    mode, or below the hold threshold), or reviewed."""
    require_brand(caller)
    if show not in SHOWN:
        raise InvalidInput("show", Text("must be one of: %(choices)s", choices=", ".join(SHOWN)))
    with store.read() as session:
        load_program(session, caller, program_id)
    query = _visible(caller).where(RiskScore.program_id == program_id)
    if show == "held":
        query = query.where(RiskScore.action == Action.HELD.value, RiskScore.review.is_(None))
    elif show == "flagged":
        query = query.where(RiskScore.action == Action.FLAGGED.value)
    else:
        query = query.where(RiskScore.review.is_not(None))
    page = read_page(store, query, RiskScore.id, limit, starting_after)
    with store.read() as session:
        held = held_commissions(session, [r.conversion_id for r in page.rows])
    return Slice(
        [_assessment(r, held.get(r.conversion_id, [])) for r in page.rows],
        page.has_more,
        page.next_after,
    )


@dataclass(frozen=True)
class RuleHits:
    """One rule's settings in force and how often it fired over a period."""

    code: str
    enabled: bool
    threshold: Decimal
    weight: int
    #: what the threshold counts: seconds, days, clicks, ... or match
    counts: str
    fired: int
    held: int
    amount: Money


@dataclass(frozen=True)
class Overview:
    tuning: Tuning
    baseline: Baseline
    since: datetime
    scored: int
    flagged: int
    held: int
    waiting: int
    rules: tuple[RuleHits, ...]
    #: the click rules; `held` counts the clicks judged invalid, `amount` is zero
    click_rules: tuple[RuleHits, ...] = ()


def overview(store: Store, caller: Caller, program_id: str, days: int = 30) -> Overview:
    """The program's settings, its baseline, and over the last `days` days how many
    conversions were scored, flagged and held, and each rule's hits (one statement)."""
    require_brand(caller)
    now = store.clock.now()
    since = now - timedelta(days=days)
    with store.read() as session:
        program = load_program(session, caller, program_id)
        tuning = tuning_in(session, program.id)
        baseline = _baseline_in(session, program.id)
        held_now = (RiskScore.action == Action.HELD.value).cast(Integer)
        columns = [
            func.count(),
            func.sum(case((RiskScore.action != Action.NONE.value, 1), else_=0)),
            func.sum(held_now),
            func.sum(
                case(
                    (
                        (RiskScore.action == Action.HELD.value) & RiskScore.review.is_(None),
                        1,
                    ),
                    else_=0,
                )
            ),
        ]
        for rule in CONVERSION_RULES:
            fired = RiskScore.codes.like(f"%,{rule.code},%")
            columns += [
                func.sum(case((fired, 1), else_=0)),
                func.sum(case((fired & (RiskScore.action == Action.HELD.value), 1), else_=0)),
                func.sum(case((fired, RiskScore.amount_minor), else_=0)),
            ]
        row = session.execute(
            select(*columns).where(RiskScore.program_id == program.id, RiskScore.at >= since)
        ).one()
        values = [int(v or 0) for v in row]
        hits = []
        for i, rule in enumerate(CONVERSION_RULES):
            fired, held, amount = values[4 + 3 * i : 7 + 3 * i]
            hits.append(
                RuleHits(
                    code=rule.code,
                    enabled=tuning.enabled(rule.code),
                    threshold=tuning.threshold(rule.code),
                    weight=tuning.weight(rule.code),
                    counts=rule.unit,
                    fired=fired,
                    held=held,
                    amount=Money.from_minor(amount, program.currency),
                )
            )
        clicks = {
            code: (int(fired or 0), int(invalid or 0))
            for code, fired, invalid in session.execute(
                select(
                    FraudClickDay.code,
                    func.sum(FraudClickDay.fired),
                    func.sum(FraudClickDay.invalid),
                )
                .where(FraudClickDay.program_id == program.id, FraudClickDay.day >= since.date())
                .group_by(FraudClickDay.code)
            )
        }
        click_hits = tuple(
            RuleHits(
                code=rule.code,
                enabled=tuning.enabled(rule.code),
                threshold=tuning.threshold(rule.code),
                weight=tuning.weight(rule.code),
                counts=rule.unit,
                fired=clicks.get(rule.code, (0, 0))[0],
                held=clicks.get(rule.code, (0, 0))[1],
                amount=Money.from_minor(0, program.currency),
            )
            for rule in CLICK_RULES
        )
        return Overview(
            tuning=tuning,
            click_rules=click_hits,
            baseline=baseline,
            since=since,
            scored=values[0],
            flagged=values[1],
            held=values[2],
            waiting=values[3],
            rules=tuple(hits),
        )


# reviewing --------------------------------------------------------------------------------
def _waiting_row(session: Session, caller: Caller, conversion_id: str) -> RiskScore:
    row = session.scalar(
        _visible(caller).where(RiskScore.conversion_id == conversion_id).with_for_update()
    )
    if row is None:
        raise NotFound("conversion", conversion_id, field="conversion_id")
    if row.action != Action.HELD.value:
        raise Conflict(
            Text("conversion %(conversion)s is not held for a review", conversion=conversion_id)
        )
    if row.review is not None:
        raise Conflict(
            Text(
                "conversion %(conversion)s was already %(review)s",
                conversion=conversion_id,
                review=row.review,
            )
        )
    return row


def _note(note: str | None) -> str | None:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput("note", Text("is longer than %(most)s characters", most=MAX_NOTE))
    return note or None


def release(
    store: Store, caller: Caller, conversion_id: str, note: str | None = None
) -> Assessment:
    """A person judged the held conversion honest: its commissions are pending again."""
    require_brand(caller)
    note = _note(note)
    now = store.clock.now()
    with store.unit() as session:
        row = _waiting_row(session, caller, conversion_id)
        release_held(session, conversion_id, note, now)
        row.review = Review.RELEASED.value
        row.reviewed_by = _who()
        row.reviewed_at = now
        row.review_note = note
        return _assessment(row)


def decline(
    store: Store, caller: Caller, conversion_id: str, note: str | None = None
) -> Assessment:
    """A person judged the held conversion fraudulent: the order is reversed in whole with
    reason `fraud`, and its commissions earn nothing."""
    require_brand(caller)
    note = _note(note)
    if not note:
        raise InvalidInput("note", "say why the order is declined: the partner reads it")
    now = store.clock.now()
    with store.unit() as session:
        row = _waiting_row(session, caller, conversion_id)
        request = ReversalRequest(reason_code="fraud", note=note)
        # reversed already (by the brand's own system): nothing is left to reverse
        with suppress(Conflict):
            reverse_in(session, caller, conversion_id, request, now)
        row.review = Review.DECLINED.value
        row.reviewed_by = _who()
        row.reviewed_at = now
        row.review_note = note
        return _assessment(row)


# baseline ---------------------------------------------------------------------------------
def refresh_baseline(store: Store, program_id: str, days: int = 90) -> Baseline:
    """Recompute a program's baseline from its scored orders of the last `days` days with
    a winning click: the count, then one indexed lookup per quantile (nearest rank)."""
    now = store.clock.now()
    since = now - timedelta(days=days)
    with store.unit() as session:
        where = (
            RiskScore.program_id == program_id,
            RiskScore.click_seconds.is_not(None),
            RiskScore.at >= since,
        )
        count = int(session.scalar(select(func.count()).where(*where)) or 0)
        quantiles: dict[str, float] = {}
        if count:
            for point in POINTS:
                rank = nearest_rank(point, count)
                value = session.scalar(
                    select(RiskScore.click_seconds)
                    .where(*where)
                    .order_by(RiskScore.click_seconds)
                    .offset(rank - 1)
                    .limit(1)
                )
                quantiles[point] = float(value)
        row = session.get(FraudBaseline, program_id)
        if row is None:
            row = FraudBaseline(program_id=program_id)
            session.add(row)
        row.count = count
        row.quantiles = quantiles
        row.computed_at = now
    _forget("baseline", program_id)
    return Baseline(count, quantiles)


def baseline_of(store: Store, caller: Caller, program_id: str) -> Baseline:
    require_brand(caller)
    with store.read() as session:
        load_program(session, caller, program_id)
        return _baseline_in(session, program_id)


def refresh_all_baselines(store: Store) -> dict[str, Baseline]:
    """`refresh_baseline` for every program that has scored a conversion."""
    with store.read() as session:
        programs = session.scalars(select(RiskScore.program_id).distinct()).all()
    return {program_id: refresh_baseline(store, program_id) for program_id in sorted(programs)}
