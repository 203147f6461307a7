"""Backtests: what a program's rules (or a draft of them) would have held over a past
period, the money involved, and how many of those orders were reversed anyway since, a
measure of each rule's precision on the program's own history.

The past conversions are replayed in time order through the same scoring as live
(`protect.model.score_conversion`), with the lookbacks a live score reads from
`risk_scores` kept in memory instead. The winning click is judged again from its stored
User-Agent and address (bots, missing User-Agent, data centres) and from the click rules
that fired when it was stored (floods, bursts). It runs as a job with progress; nothing is
held, changed or scored for real.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from accord.commissions.service import commission_totals
from accord.conversions.service import PastConversion, count_conversions, past_conversions
from accord.errors import InvalidInput, Text
from accord.programs.service import load_program
from accord.protect.clicks import NOT_VISITS, bot_of, claims_fetch_metadata, geo, scorer
from accord.protect.coupons import coupon_site
from accord.protect.marks import own_marks
from accord.protect.model import (
    FLOOD_ORDERS,
    Action,
    Baseline,
    ClickFacts,
    ConversionFacts,
    Level,
    Mode,
    OwnMarks,
    Tuning,
    device_keys,
    learned_marks,
    median_hours,
    order_run,
    score_click,
    score_conversion,
)
from accord.protect.service import (
    CODE_LOOKBACK,
    LOOKBACK,
    _overrides,
    baseline_of,
    fraud_settings,
)
from accord.store.engine import Store
from accord.store.memo import memoized
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand
from accord.tracking.service import find_click, prefetch_clicks

#: At most this many days are replayed at once.
MAX_DAYS = 400
#: Conversions read per page.
PAGE = 1000
#: Orders kept as examples of what would have been held.
EXAMPLES = 50


@dataclass
class RuleResult:
    code: str
    fired: int = 0
    would_hold: int = 0
    order_minor: int = 0
    commission_minor: int = 0
    later_reversed: int = 0


@dataclass
class BacktestResult:
    program_id: str
    currency: str
    since: str
    until: str
    level: str
    hold_at: int
    conversions: int = 0
    flagged: int = 0
    would_hold: int = 0
    held_order_minor: int = 0
    held_commission_minor: int = 0
    held_later_reversed: int = 0
    #: every replayed conversion reversed since, held or not (the base rate)
    later_reversed: int = 0
    rules: list[RuleResult] = field(default_factory=list)
    examples: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def precision(self) -> float | None:
        """The share of would-be-held orders reversed since (None: nothing held)."""
        return self.held_later_reversed / self.would_hold if self.would_hold else None


class _Memory:
    """The lookbacks of live scoring (`protect.service._duplicate_minutes`, `_ip_orders`),
    over the conversions replayed so far."""

    def __init__(self) -> None:
        self.orders: dict[tuple, deque] = {}
        self.ips: dict[tuple, deque] = {}
        self.delays: dict[str, deque] = {}
        self.codes: dict[str, deque] = {}
        self.devices: dict[tuple, deque] = {}
        #: marks the replayed own orders taught, by partner: (kind, hashed value)
        self.learned: dict[str, set[tuple[str, str]]] = {}

    def own(self, partner_id: str, stored: OwnMarks) -> OwnMarks:
        """The partner's stored marks with those the replay learned so far."""
        taught = self.learned.get(partner_id)
        if not taught:
            return stored
        return OwnMarks(
            emails=stored.emails,
            devices=stored.devices | {v for k, v in taught if k == "device"},
            payments=stored.payments | {v for k, v in taught if k == "payment"},
            ips=stored.ips | {v for k, v in taught if k == "ip"},
        )

    def device_orders(self, c: PastConversion, device: str | None) -> int:
        if device is None:
            return 0
        seen = self.devices.setdefault((c.partner_id, device), deque())
        while seen and seen[0] < c.occurred_at - LOOKBACK:
            seen.popleft()
        seen.append(c.occurred_at)
        return len(seen)

    def partner_latest(
        self, c: PastConversion, seconds: float | None
    ) -> tuple[float | None, list[str]]:
        """As `protect.service._partner_latest`: the median hours over the partner's latest
        orders with a click and this one, and those orders' ids, latest first."""
        seen = self.delays.setdefault(c.partner_id, deque(maxlen=FLOOD_ORDERS - 1))
        median = None
        if seconds is not None:
            median = median_hours([*(s for s, _ in seen if s is not None), seconds])
        earlier = [order_id for _, order_id in reversed(seen)]
        seen.append((seconds, c.order_id))
        return median, earlier

    def code_countries(self, c: PastConversion) -> int:
        if not c.promo_code:
            return 0
        seen = self.codes.setdefault(c.promo_code, deque())
        while seen and seen[0][0] < c.occurred_at - CODE_LOOKBACK:
            seen.popleft()
        if c.country:
            seen.append((c.occurred_at, c.country))
        return len({country for _, country in seen})

    def duplicate_minutes(self, c: PastConversion) -> float | None:
        if c.email_sha256:
            key = (c.partner_id, "e", c.email_sha256, c.amount_minor)
        elif c.ip:
            key = (c.partner_id, "i", c.ip, c.amount_minor)
        else:
            return None
        seen = self.orders.setdefault(key, deque())
        while seen and seen[0][0] < c.occurred_at - LOOKBACK:
            seen.popleft()
        latest = next((at for at, order in reversed(seen) if order != c.order_id), None)
        seen.append((c.occurred_at, c.order_id))
        if latest is None:
            return None
        return max((c.occurred_at - latest).total_seconds(), 0.0) / 60

    def ip_orders(self, c: PastConversion) -> int:
        if not c.ip:
            return 0
        seen = self.ips.setdefault((c.partner_id, c.ip), deque())
        while seen and seen[0] < c.occurred_at - LOOKBACK:
            seen.popleft()
        seen.append(c.occurred_at)
        return len(seen)


def replay(
    conversions: Iterable[PastConversion],
    tuning: Tuning,
    baseline: Baseline,
    result: BacktestResult,
    memory: _Memory,
    own_marks_of: Callable[[str], OwnMarks],
    click_reason: Callable[[PastConversion], str | None],
    commissions: dict[str, int],
    countries_of: Callable[[PastConversion], tuple[str | None, str | None]] = lambda c: (
        None,
        None,
    ),
) -> None:
    """Score each conversion as live scoring would have, in `tuning` (active mode), and
    add it up in `result`. Pure but for the callables."""
    by_code = {r.code: r for r in result.rules}
    for c in conversions:
        result.conversions += 1
        reversed_since = c.reversed_minor > 0
        result.later_reversed += int(reversed_since)
        if c.partner_id is None:
            continue
        seconds = None
        if c.click_at is not None:
            seconds = max((c.occurred_at - c.click_at).total_seconds(), 0.0)
        median, earlier = memory.partner_latest(c, seconds)
        reason = click_reason(c)
        click_country, order_country = countries_of(c)
        devices = device_keys(c.identities)
        marks = memory.own(c.partner_id, own_marks_of(c.partner_id))
        own = marks.self_referral(c.email_sha256, devices, c.payment_sha256)
        if own is not None and tuning.enabled("self_referral"):
            taught = learned_marks(devices, c.payment_sha256, c.ip)
            memory.learned.setdefault(c.partner_id, set()).update(taught)
        facts = ConversionFacts(
            click_seconds=seconds,
            invalid_click=reason,
            click_country=click_country,
            order_country=order_country,
            self_referral=own,
            partner_network=marks.network(c.ip),
            device_orders=memory.device_orders(c, devices[0] if devices else None),
            coupon_site=coupon_site(c.referrer_host) if c.promo_code else None,
            duplicate_minutes=memory.duplicate_minutes(c),
            ip_orders=memory.ip_orders(c),
            partner_median_hours=median,
            order_run=order_run(c.order_id, earlier),
            code_countries=memory.code_countries(c),
        )
        verdict = score_conversion(facts, tuning, baseline)
        if verdict.action is Action.NONE:
            continue
        held = verdict.action is Action.HELD
        commission = commissions.get(c.id, 0)
        result.flagged += 1
        if held:
            result.would_hold += 1
            result.held_order_minor += c.amount_minor
            result.held_commission_minor += commission
            result.held_later_reversed += int(reversed_since)
            if len(result.examples) < EXAMPLES:
                result.examples.append(
                    {
                        "conversion_id": c.id,
                        "order_id": c.order_id,
                        "occurred_at": c.occurred_at.isoformat(),
                        "partner_id": c.partner_id,
                        "score": verdict.score,
                        "codes": list(verdict.codes),
                        "order_minor": c.amount_minor,
                        "reversed_since": reversed_since,
                    }
                )
        for signal in verdict.signals:
            rule = by_code.setdefault(signal.code, RuleResult(signal.code))
            rule.fired += 1
            rule.would_hold += int(held)
            rule.order_minor += c.amount_minor
            rule.commission_minor += commission
            rule.later_reversed += int(reversed_since)
    result.rules[:] = list(by_code.values())


def _draft(current: Tuning, args: dict[str, Any]) -> Tuning:
    """The tuning to try: the program's, or the draft level, hold threshold and overrides
    in `args`; always in active mode (a backtest asks what would have been held)."""
    level = args.get("level") or current.level.value
    hold_at = args.get("hold_at", current.hold_at)
    if isinstance(hold_at, bool) or not isinstance(hold_at, int) or not 1 <= hold_at <= 100:
        raise InvalidInput("hold_at", "must be a whole number from 1 to 100")
    overrides = _overrides(args["rules"]) if "rules" in args else dict(current.overrides)
    try:
        chosen = Level(level)
    except ValueError:
        raise InvalidInput("level", "must be relaxed, moderate or strict") from None
    return Tuning(Mode.ACTIVE, chosen, hold_at, overrides)


def period_of(args: dict[str, Any]) -> tuple[datetime, datetime]:
    try:
        since = datetime.fromisoformat(str(args["since"]))
        until = datetime.fromisoformat(str(args["until"]))
    except (KeyError, ValueError):
        raise InvalidInput("since", "give since and until as ISO 8601 times") from None
    if since.tzinfo is None or until.tzinfo is None:
        raise InvalidInput("since", "give a time with its timezone (times are UTC-aware)")
    if until <= since:
        raise InvalidInput("until", "must be after since")
    if until - since > timedelta(days=MAX_DAYS):
        raise InvalidInput("until", Text("a backtest covers at most %(days)s days", days=MAX_DAYS))
    return since, until


def run_backtest(
    store: Store,
    caller: Caller,
    program_id: str,
    args: dict[str, Any],
    progress: Callable[[int, int | None], None] = lambda done, total: None,
) -> BacktestResult:
    """Replay the program's conversions of [since, until) under the draft (or current)
    rules, a page at a time, reporting progress."""
    require_brand(caller)
    since, until = period_of(args)
    tuning = _draft(fraud_settings(store, caller, program_id), args)
    baseline = baseline_of(store, caller, program_id)
    with store.read() as session:
        program = load_program(session, caller, program_id)
        total = count_conversions(session, program.id, since, until)
        currency = program.currency
    result = BacktestResult(
        program_id=program_id,
        currency=currency,
        since=since.isoformat(),
        until=until.isoformat(),
        level=tuning.level.value,
        hold_at=tuning.hold_at,
        rules=[],
    )
    memory = _Memory()
    marks: dict[str, OwnMarks] = {}
    ranges = scorer().ranges
    countries = geo()
    #: the winning clicks' addresses of the page being replayed, by conversion id
    click_ips: dict[str, str | None] = {}
    progress(0, total)
    after = None
    while True:
        with store.read() as session, memoized(session):
            page = past_conversions(session, program.id, since, until, after, PAGE)
            if not page:
                break
            prefetch_clicks(session, program.id, [c.click_id for c in page if c.click_id])
            commissions = commission_totals(session, [c.id for c in page])
            for c in page:
                if c.partner_id and c.partner_id not in marks:
                    # the marks kept before the period, as live scoring saw them then
                    marks[c.partner_id] = own_marks(session, c.partner_id, since)

            click_ips.clear()

            def click_reason(c: PastConversion, session=session) -> str | None:
                if not c.click_id:
                    return None
                click = find_click(session, program.id, c.click_id)
                if click is None:
                    return None
                click_ips[c.id] = click.ip
                stored = set((click.risk_reasons or "").split(",")) - {""}
                bot = bot_of(click.user_agent) if click.user_agent else None
                facts = ClickFacts(
                    bot=bot,
                    no_landing=(click.fetch_dest or "").lower() in NOT_VISITS,
                    no_user_agent=not click.user_agent,
                    inconsistent=bot is None
                    and not click.fetch_dest
                    and claims_fetch_metadata(click.user_agent),
                    data_center=click.ip in ranges,
                    # the windows are gone: a flood or burst counts as it was judged then
                    ip_clicks=int(tuning.threshold("ip_flood")) if "ip_flood" in stored else 0,
                    sub_id_clicks=int(tuning.threshold("sub_id_burst"))
                    if "sub_id_burst" in stored
                    else 0,
                )
                _, codes, invalid = score_click(facts, tuning)
                return ",".join(codes) if invalid else None

            def countries_of(c: PastConversion) -> tuple[str | None, str | None]:
                """As live scoring: the winning click's country and the order's (after
                `click_reason` saw the click)."""
                if countries is None or c.id not in click_ips:
                    return None, None
                order = c.country or countries.country_of(c.ip)
                return countries.country_of(click_ips[c.id]), order

            replay(
                page,
                tuning,
                baseline,
                result,
                memory,
                marks.__getitem__,
                click_reason,
                commissions,
                countries_of,
            )
        after = (page[-1].occurred_at, page[-1].id)
        progress(result.conversions, total)
    result.rules.sort(key=lambda r: (-r.fired, r.code))
    return result
