"""Computing commissions from a contract version's terms: pure, exact and fast.

`CompiledTerms` turns validated terms into plain tuples and small predicates once; each
`evaluate()` then works in integers only. Every amount is in the program currency's minor
units; a percent has at most six decimal places, so every line is an exact integer over the
common denominator 10^8 (100 for the percent, 10^6 for its decimals). The partner's share of
the credit multiplies the sum, and the result is rounded half-up once, at the end.

How a conversion is paid:

1. Rules are tried in rank order; a rule whose conditions fail is skipped.
2. An order rule pays on the order total and ends the search. An item rule pays on each cart
   line it matches (its fixed amount is per unit); lines it does not match fall to later
   rules, and an order rule reached after some lines were claimed pays on the rest of the
   order (the total minus the claimed lines).
3. Tiers replace a rule's rate by the partner's month so far (conversions of the same event
   type, or their revenue). Marginal revenue tiers pay each part of the order at the rate of
   the bracket it falls in.
4. Bounties add a fixed amount for events inside their time box.
5. Caps cut the sum (commission caps) or refuse it (conversion caps): the conversion is then
   recorded as over_cap with nothing to pay.
6. Bonuses: the evaluation names each bonus whose month target this conversion reaches.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fnmatch import translate
from typing import Protocol

from accord.contracts.terms import Match, RuleSpec, TermsSpec, When
from accord.money import Money, exponent

SCALE = 10**8  # 100 (percent) x 10^6 (its decimals)
PERCENT_UNIT = 10**6


def _percent_units(value: Decimal | None) -> int | None:
    """A percent as an integer count of 10^-6 percent."""
    if value is None:
        return None
    return int(value.scaleb(6))


def _minor(value: Decimal | None, currency: str) -> int | None:
    if value is None:
        return None
    return Money.of(value, currency).minor


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half-up (both non-negative)."""
    return (2 * numerator + denominator) // (2 * denominator)


def month_key(at: datetime) -> int:
    """A UTC month as one integer: 202611 for November 2026."""
    return at.year * 100 + at.month


def day_key(at: datetime) -> int:
    """A UTC day as one integer: 20261123."""
    return (at.year * 100 + at.month) * 100 + at.day


# facts ------------------------------------------------------------------------------------
@dataclass(slots=True, frozen=True)
class Item:
    sku: str
    category: str | None
    quantity: int
    price_minor: int  # unit price in the program currency

    @property
    def total_minor(self) -> int:
        return self.price_minor * self.quantity


@dataclass(slots=True)
class Facts:
    """A conversion as the contract sees it, amounts in the program currency."""

    partner_id: str
    event_type: str
    amount_minor: int
    occurred_at: datetime
    customer_status: str = "new"
    country: str | None = None
    device: str | None = None
    promo_code: str | None = None
    items: tuple[Item, ...] = ()
    share: Decimal = Decimal(1)
    subscription_started_at: datetime | None = None


class Usage(Protocol):
    """What the partner and the program have earned so far, before this conversion."""

    def month(self, partner_id: str, event_type: str, month: int) -> tuple[int, int]:
        """(conversions, revenue in minor units) of this partner and event type in a month."""
        ...

    def used(self, partner_id: str | None, period: int | None) -> tuple[int, int]:
        """(conversions, commission in minor units) counted against caps.

        `partner_id` None means the whole program; `period` is a `day_key`, a `month_key`,
        or None for all time.
        """
        ...


class MemoryUsage:
    """Usage kept in memory: for batches, what-if replays and benchmarks."""

    def __init__(self, terms: CompiledTerms | None = None) -> None:
        """With `terms`, only the counters its caps read are kept (faster); without, all."""
        self.months: dict[tuple[str, str, int], list[int]] = {}
        self.caps: dict[tuple[str | None, int | None], list[int]] = {}
        every = ((True, "day"), (True, "month"), (True, "total"))
        every += ((False, "day"), (False, "month"), (False, "total"))
        wanted = every if terms is None else {(c.partner, c.period) for c in terms.caps}
        self._scopes = tuple(s for s in every if s in wanted)

    def month(self, partner_id: str, event_type: str, month: int) -> tuple[int, int]:
        stats = self.months.get((partner_id, event_type, month))
        return (stats[0], stats[1]) if stats else (0, 0)

    def used(self, partner_id: str | None, period: int | None) -> tuple[int, int]:
        stats = self.caps.get((partner_id, period))
        return (stats[0], stats[1]) if stats else (0, 0)

    def record(self, facts: Facts, outcome: Outcome) -> None:
        """Count a conversion once it is evaluated: every matched one for tiers, the ones
        not over a cap for caps."""
        if outcome.rule is None:
            return
        month = outcome.month
        key = (facts.partner_id, facts.event_type, month)
        stats = self.months.get(key)
        if stats is None:
            self.months[key] = [1, facts.amount_minor]
        else:
            stats[0] += 1
            stats[1] += facts.amount_minor
        if outcome.over_cap:
            return
        caps = self.caps
        amount = outcome.amount_minor
        partner = facts.partner_id
        for by_partner, period in self._scopes:
            key = (
                partner if by_partner else None,
                outcome.day if period == "day" else month if period == "month" else None,
            )
            stats = caps.get(key)
            if stats is None:
                caps[key] = [1, amount]
            else:
                stats[0] += 1
                stats[1] += amount


# compiled terms -----------------------------------------------------------------------------
Check = Callable[[Facts], bool]


def _matcher(match: Match | None, *, upper: bool = False) -> Callable[[str | None], bool] | None:
    """A test for one value against include/exclude patterns (case-insensitive)."""
    if match is None or (not match.include and not match.exclude):
        return None

    def compile_side(patterns: tuple[str, ...] | list[str]):
        exact, prefixes, wild = set(), [], []
        for pattern in patterns:
            folded = pattern.casefold()
            stem = folded[:-1]
            if folded.endswith("*") and not any(c in stem for c in "*?["):
                prefixes.append(stem)  # "tv-*": a plain prefix, no regular expression
            elif any(c in folded for c in "*?["):
                wild.append(re.compile(translate(folded)))
            else:
                exact.add(folded)
        return frozenset(exact), tuple(prefixes), tuple(wild)

    inc_exact, inc_prefix, inc_wild = compile_side(match.include)
    exc_exact, exc_prefix, exc_wild = compile_side(match.exclude)
    has_include = bool(match.include)

    cache: dict[str, bool] = {}  # catalogues repeat: each SKU or code is worked out once

    def test(value: str | None) -> bool:
        if value is None:
            return not has_include
        known = cache.get(value)
        if known is None:
            if len(cache) >= 100_000:
                cache.clear()
            known = cache[value] = decide(value)
        return known

    def decide(value: str) -> bool:
        folded = value.casefold()
        if (
            folded in exc_exact
            or (exc_prefix and folded.startswith(exc_prefix))
            or (exc_wild and any(p.match(folded) for p in exc_wild))
        ):
            return False
        if not has_include:
            return True
        return (
            folded in inc_exact
            or (bool(inc_prefix) and folded.startswith(inc_prefix))
            or (bool(inc_wild) and any(p.match(folded) for p in inc_wild))
        )

    return test


@dataclass(slots=True)
class ItemTest:
    sku: Callable[[str | None], bool] | None
    category: Callable[[str | None], bool] | None

    def __call__(self, item: Item) -> bool:
        if self.sku is not None and not self.sku(item.sku):
            return False
        return self.category is None or self.category(item.category)


def _condition(
    when: When,
    customer: str,
    currency: str,
    *,
    item_basis: bool,
    extra: tuple[tuple[str, object], ...] = (),
) -> Check | None:
    """The order-level conditions of a rule or bounty as one Python function.

    The function's source holds only attribute names and operators; every value (a time,
    an amount, a set, a matcher) is passed in as a named constant, never as text.
    """
    parts: list[str] = []
    env: dict[str, object] = {}

    def const(value: object) -> str:
        name = f"k{len(env)}"
        env[name] = value
        return name

    for template, value in extra:
        parts.append(template.format(const(value)))
    if customer != "any":
        parts.append(f"f.customer_status == {const(customer)}")
    if when.starts_at is not None:
        parts.append(f"f.occurred_at >= {const(when.starts_at)}")
    if when.ends_at is not None:
        parts.append(f"f.occurred_at < {const(when.ends_at)}")
    if when.order_min is not None:
        parts.append(f"f.amount_minor >= {const(_minor(when.order_min, currency))}")
    if when.order_max is not None:
        parts.append(f"f.amount_minor < {const(_minor(when.order_max, currency))}")
    country = _matcher(when.countries)
    if country is not None:
        parts.append(f"{const(country)}(f.country)")
    if when.devices:
        parts.append(f"f.device in {const(frozenset(when.devices))}")
    if when.promo == "required":
        parts.append("f.promo_code is not None")
    elif when.promo == "absent":
        parts.append("f.promo_code is None")
    promo = _matcher(when.promo_codes)
    if promo is not None:
        parts.append(f"(f.promo_code is not None and {const(promo)}(f.promo_code))")
    if not item_basis:
        item_test = _item_test(when)
        if item_test is not None:
            # An order rule with SKU or category conditions needs some line to match.
            parts.append(f"any({const(item_test)}(i) for i in f.items)")
    if not parts:
        return None
    source = "def condition(f):\n    return " + " and ".join(parts) + "\n"
    exec(compile(source, "<contract terms>", "exec"), env)
    return env["condition"]  # type: ignore[return-value]


def _item_test(when: When) -> ItemTest | None:
    sku, category = _matcher(when.skus), _matcher(when.categories)
    if sku is None and category is None:
        return None
    return ItemTest(sku, category)


@dataclass(slots=True)
class Step:
    start: int  # conversions (count) or revenue (minor units) from which this step applies
    percent: int | None  # 10^-6 percent
    fixed: int | None  # minor units


@dataclass(slots=True)
class CompiledRule:
    index: int
    spec: RuleSpec
    event_type: str
    item_basis: bool
    condition: Check | None
    item_test: ItemTest | None
    percent: int | None
    fixed: int | None
    tier_metric: str | None  # conversions, revenue
    tier_mode: str | None
    steps: tuple[Step, ...]  # step 0 is the rule's own rate from zero
    recurring_months: int | None
    recurring: bool

    def applies(self, facts: Facts) -> bool:
        if self.condition is not None and not self.condition(facts):
            return False
        if self.recurring:
            started = facts.subscription_started_at
            if started is None:
                return False
            months = self.recurring_months
            if months is not None and _months_between(started, facts.occurred_at) >= months:
                return False
        return True


def _months_between(start: datetime, end: datetime) -> int:
    """Whole months from start to end (a renewal on the same day next month is 1)."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if (end.day, end.time()) < (start.day, start.time()):
        months -= 1
    return months


@dataclass(slots=True)
class CompiledCap:
    index: int
    partner: bool
    period: str  # day, month, total
    measure: str  # conversions, commission
    limit: int  # count, or minor units
    period_index: int = 0  # into (day, month, all time)

    def __post_init__(self) -> None:
        self.period_index = ("day", "month", "total").index(self.period)


@dataclass(slots=True)
class CompiledBonus:
    index: int
    name: str
    metric: str
    event_type: str
    threshold: int
    amount: int


@dataclass(slots=True)
class CompiledBounty:
    index: int
    name: str
    event_type: str
    amount: int
    condition: Check  # the event type, the time box and the bounty's own conditions


@dataclass(slots=True)
class Line:
    """One contribution to a commission, before the share and the final rounding."""

    kind: str  # order, item, rest, bounty
    rule: int | None  # rule index (None for a bounty)
    basis_minor: int
    percent: int | None  # 10^-6 percent
    fixed_minor: int  # fixed amount in this line (per unit x quantity for items)
    units: int  # SCALE-units: basis x percent + fixed x SCALE
    tier: int = 0
    sku: str | None = None
    quantity: int | None = None
    bounty: int | None = None


@dataclass(slots=True)
class Outcome:
    rule: CompiledRule | None  # the first rule that paid; None: no rule matched
    lines: list[Line] = field(default_factory=list)
    gross_minor: int = 0  # after the share, before caps
    amount_minor: int = 0  # what the partner earns
    over_cap: bool = False
    cap: CompiledCap | None = None  # the cap that cut or refused the commission
    retro: tuple[int, int] | None = None  # retroactive tier reached: (rule index, tier)
    bonuses: list[CompiledBonus] = field(default_factory=list)
    share_num: int = 1
    share_den: int = 1
    month_before: tuple[int, int] = (0, 0)
    month: int = 0  # month_key of the conversion
    day: int = 0  # day_key of the conversion


class CompiledTerms:
    """A contract version's terms, ready to evaluate many conversions."""

    def __init__(self, terms: TermsSpec, currency: str) -> None:
        self.terms = terms
        self.currency = currency
        self.rules: list[CompiledRule] = []
        by_event: dict[str, list[CompiledRule]] = {}
        for index, spec in enumerate(terms.rules):
            rule = self._rule(index, spec)
            self.rules.append(rule)
            by_event.setdefault(spec.event_type, []).append(rule)
        self.by_event = {k: tuple(v) for k, v in by_event.items()}
        # Without cart lines an item rule can never pay: skip those rules at once.
        self.by_event_plain = {
            k: tuple(r for r in v if not r.item_basis) for k, v in by_event.items()
        }
        self.needs_month = {k: any(r.tier_metric for r in v) for k, v in by_event.items()}
        self.caps = tuple(
            CompiledCap(
                i,
                cap.scope == "partner",
                cap.period,
                cap.measure,
                int(cap.limit) if cap.measure == "conversions" else _minor(cap.limit, currency),
            )
            for i, cap in enumerate(terms.caps)
        )
        self.bonuses = tuple(
            CompiledBonus(
                i,
                b.name,
                b.metric,
                b.event_type,
                int(b.threshold) if b.metric == "conversions" else _minor(b.threshold, currency),
                _minor(b.amount, currency),
            )
            for i, b in enumerate(terms.bonuses)
        )
        self.bounties = tuple(
            CompiledBounty(
                i,
                b.name,
                b.event_type,
                _minor(b.amount, currency),
                _condition(
                    b.when,
                    b.when.customer_status,
                    currency,
                    item_basis=False,
                    extra=(
                        ("f.event_type == {}", b.event_type),
                        ("f.occurred_at >= {}", b.starts_at),
                        ("f.occurred_at < {}", b.ends_at),
                    ),
                ),
            )
            for i, b in enumerate(terms.bounties)
        )

    def _rule(self, index: int, spec: RuleSpec) -> CompiledRule:
        currency = self.currency
        percent = _percent_units(spec.percent)
        fixed = _minor(spec.fixed, currency)
        steps = [Step(0, percent, fixed)]
        metric = mode = None
        if spec.tiers is not None:
            metric, mode = spec.tiers.metric, spec.tiers.mode
            for step in spec.tiers.steps:
                start = int(step.from_) if metric == "conversions" else _minor(step.from_, currency)
                steps.append(
                    Step(start, _percent_units(step.percent), _minor(step.fixed, currency))
                )
        item_basis = spec.basis == "item"
        return CompiledRule(
            index=index,
            spec=spec,
            event_type=spec.event_type,
            item_basis=item_basis,
            condition=_condition(
                spec.when, spec.customer_condition, currency, item_basis=item_basis
            ),
            item_test=_item_test(spec.when),
            percent=percent,
            fixed=fixed,
            tier_metric=metric,
            tier_mode=mode,
            steps=tuple(steps),
            recurring_months=None if spec.recurring is None else spec.recurring.months,
            recurring=spec.recurring is not None,
        )

    @property
    def months_independent(self) -> bool:
        """Whether each month can be computed alone: every cap is per day or per month
        (tiers and bonuses always are), so a month depends on that month only."""
        return all(cap.period != "total" for cap in self.caps)

    # evaluation ---------------------------------------------------------------------------
    def evaluate(self, facts: Facts, usage: Usage) -> Outcome:
        """What this conversion earns under these terms, given what was earned before."""
        event = facts.event_type
        rules = (self.by_event if facts.items else self.by_event_plain).get(event, ())
        at = facts.occurred_at
        month_of = at.year * 100 + at.month
        outcome = Outcome(None, [], 0, 0, False, None, None, [], 1, 1, (0, 0), month_of,
                          month_of * 100 + at.day)  # fmt: skip
        month: tuple[int, int] | None = None
        if self.needs_month.get(event) or self.bonuses:
            month = usage.month(facts.partner_id, event, outcome.month)
            outcome.month_before = month
        lines = outcome.lines
        claimed: set[int] | None = None  # indexes of cart lines claimed by item rules
        claimed_minor = 0
        for rule in rules:
            condition = rule.condition
            if condition is not None and not condition(facts):
                continue
            if rule.recurring and not rule.applies(facts):
                continue
            if rule.item_basis:
                tier = self._tier_index(rule, month, 0)
                step = rule.steps[tier]
                for i, item in enumerate(facts.items):
                    if claimed is not None and i in claimed:
                        continue
                    if rule.item_test is not None and not rule.item_test(item):
                        continue
                    if claimed is None:
                        claimed = set()
                    claimed.add(i)
                    basis = item.total_minor
                    claimed_minor += basis
                    fixed = (step.fixed or 0) * item.quantity
                    units = basis * (step.percent or 0) + fixed * SCALE
                    lines.append(
                        Line("item", rule.index, basis, step.percent, fixed, units, tier,
                             item.sku, item.quantity)
                    )  # fmt: skip
                    if outcome.rule is None:
                        outcome.rule = rule
                if claimed is not None and len(claimed) == len(facts.items):
                    break
                continue
            basis = facts.amount_minor
            kind = "order"
            if claimed:
                basis = max(basis - claimed_minor, 0)
                kind = "rest"
            self._order_lines(rule, facts, basis, kind, month, outcome)
            if outcome.rule is None:
                outcome.rule = rule
            break
        if outcome.rule is None:
            return outcome
        for bounty in self.bounties:
            if bounty.condition(facts):
                lines.append(
                    Line("bounty", None, 0, None, bounty.amount, bounty.amount * SCALE,
                         bounty=bounty.index)
                )  # fmt: skip
        total = 0
        for line in lines:
            total += line.units
        if facts.share == 1:
            gross = round_half_up(total, SCALE)
        else:
            num, den = facts.share.as_integer_ratio()
            outcome.share_num, outcome.share_den = num, den
            gross = round_half_up(total * num, SCALE * den)
        outcome.gross_minor = gross
        outcome.amount_minor = gross
        if self.caps:
            self._apply_caps(facts, usage, outcome)
        if self.bonuses:
            self._bonuses(facts, month or (0, 0), outcome)
        return outcome

    def _tier_index(self, rule: CompiledRule, month: tuple[int, int] | None, amount: int) -> int:
        """The step that applies: for conversions the one this conversion's number falls in,
        for revenue the one the month's revenue reaches with this order."""
        if rule.tier_metric is None or month is None:
            return 0
        if rule.tier_metric == "conversions":
            return self._step_for(rule, month[0] + 1)
        return self._step_for(rule, month[1] + amount)

    @staticmethod
    def _step_for(rule: CompiledRule, reached: int) -> int:
        index = 0
        for i, step in enumerate(rule.steps):
            if reached >= step.start:
                index = i
        return index

    def _order_lines(
        self,
        rule: CompiledRule,
        facts: Facts,
        basis: int,
        kind: str,
        month: tuple[int, int] | None,
        outcome: Outcome,
    ) -> None:
        lines = outcome.lines
        if rule.tier_metric == "revenue" and rule.tier_mode == "marginal" and month is not None:
            # Each part of the order pays the rate of the revenue bracket it falls in; the
            # fixed amount is that of the bracket the order ends in.
            before = month[1]
            end = before + basis
            steps = rule.steps
            last = self._tier_index(rule, month, basis)
            for i, step in enumerate(steps):
                upper = steps[i + 1].start if i + 1 < len(steps) else end
                part = min(end, upper) - max(before, step.start)
                if part <= 0 and not (i == last and basis == 0):
                    continue
                part = max(part, 0)
                fixed = (step.fixed or 0) if i == last else 0
                units = part * (step.percent or 0) + fixed * SCALE
                lines.append(Line(kind, rule.index, part, step.percent, fixed, units, i))
            return
        tier = self._tier_index(rule, month, basis)
        step = rule.steps[tier]
        fixed = step.fixed or 0
        lines.append(
            Line(kind, rule.index, basis, step.percent, fixed,
                 basis * (step.percent or 0) + fixed * SCALE, tier)
        )  # fmt: skip
        if rule.tier_mode == "retroactive" and tier > 0 and month is not None:
            without = month[0] if rule.tier_metric == "conversions" else month[1]
            if tier > self._step_for(rule, without):
                outcome.retro = (rule.index, tier)

    def _apply_caps(self, facts: Facts, usage: Usage, outcome: Outcome) -> None:
        periods = (outcome.day, outcome.month, None)
        counters = usage.caps if type(usage) is MemoryUsage else None  # in memory: read directly
        for cap in self.caps:
            who = facts.partner_id if cap.partner else None
            if counters is not None:
                stats = counters.get((who, periods[cap.period_index]))
                conversions, commission = (stats[0], stats[1]) if stats else (0, 0)
            else:
                conversions, commission = usage.used(who, periods[cap.period_index])
            if cap.measure == "conversions":
                if conversions >= cap.limit:
                    outcome.over_cap, outcome.cap, outcome.amount_minor = True, cap, 0
                    return
                continue
            left = cap.limit - commission
            if left <= 0:
                outcome.over_cap, outcome.cap, outcome.amount_minor = True, cap, 0
                return
            if outcome.amount_minor > left:
                outcome.amount_minor, outcome.cap = left, cap

    def _bonuses(self, facts: Facts, month: tuple[int, int], outcome: Outcome) -> None:
        for bonus in self.bonuses:
            if bonus.event_type != facts.event_type:
                continue
            if bonus.metric == "conversions":
                before, after = month[0], month[0] + 1
            else:
                before, after = month[1], month[1] + facts.amount_minor
            if before < bonus.threshold <= after:
                outcome.bonuses.append(bonus)

    # explanation --------------------------------------------------------------------------
    def explain(self, facts: Facts, outcome: Outcome) -> dict[str, object]:
        """The inputs, the rule, each line's arithmetic and the result, for people."""
        currency = self.currency

        def money(minor: int) -> str:
            return str(Money.from_minor(minor, currency).amount)

        def pct(units: int | None) -> str:
            if units is None:
                return "0"
            return format(Decimal(units).scaleb(-6).normalize(), "f")

        described = []
        for line in outcome.lines:
            parts = []
            if line.percent:
                parts.append(f"{money(line.basis_minor)} x {pct(line.percent)}%")
            if line.fixed_minor:
                parts.append(money(line.fixed_minor))
            exact = Decimal(line.units) / SCALE
            entry: dict[str, object] = {
                "kind": line.kind,
                "basis": money(line.basis_minor),
                "percent": pct(line.percent) if line.percent is not None else None,
                "fixed": money(line.fixed_minor),
                "arithmetic": f"{' + '.join(parts) or '0'} = {exact.scaleb(-exponent(currency))}",
            }
            if line.rule is not None:
                spec = self.rules[line.rule].spec
                entry["rule"] = {"rank": line.rule, "name": spec.label(), "group": spec.group}
                if self.rules[line.rule].tier_metric:
                    entry["tier"] = line.tier
            if line.sku is not None:
                entry["sku"], entry["quantity"] = line.sku, line.quantity
            if line.bounty is not None:
                entry["bounty"] = self.bounties[line.bounty].name
            described.append(entry)
        total = sum(line.units for line in outcome.lines)
        exact_total = Decimal(total) / SCALE
        share = facts.share
        arithmetic = " + ".join(e["arithmetic"].split(" = ")[0] for e in described) or "0"
        if share != 1:
            arithmetic = f"({arithmetic}) x share {share}"
        arithmetic += (
            f" = {Money.from_minor(outcome.gross_minor, currency).amount} {currency}"
            " (rounded half-up once)"
        )
        result: dict[str, object] = {
            "inputs": {
                "event_type": facts.event_type,
                "amount": money(facts.amount_minor),
                "currency": currency,
                "customer_status": facts.customer_status,
                "country": facts.country,
                "device": facts.device,
                "promo_code": facts.promo_code,
                "items": [
                    {
                        "sku": i.sku,
                        "category": i.category,
                        "quantity": i.quantity,
                        "price": money(i.price_minor),
                    }
                    for i in facts.items
                ],
                "occurred_at": facts.occurred_at.isoformat(),
                "share": str(share),
            },
            "lines": described,
            "exact": str(exact_total.scaleb(-exponent(currency))),
            "gross": money(outcome.gross_minor),
            "amount": money(outcome.amount_minor),
            "arithmetic": arithmetic,
        }
        if outcome.rule is not None:
            spec = outcome.rule.spec
            result["rule"] = {"rank": outcome.rule.index, "name": spec.label(), "group": spec.group}
        if any(r.tier_metric for r in self.rules) or self.bonuses:
            result["month_before"] = {
                "conversions": outcome.month_before[0],
                "revenue": money(outcome.month_before[1]),
            }
        if outcome.cap is not None:
            cap = self.terms.caps[outcome.cap.index]
            result["cap"] = {
                "scope": cap.scope,
                "period": cap.period,
                "measure": cap.measure,
                "limit": str(cap.limit),
                "effect": "over_cap: nothing paid" if outcome.over_cap else "cut to what was left",
            }
        if outcome.bonuses:
            result["bonuses_reached"] = [b.name for b in outcome.bonuses]
        return result


def shard_by_month(facts: Sequence[Facts], shards: int) -> list[list[Facts]]:
    """Whole months to each shard, largest month first to the least loaded shard, each
    shard keeping the conversions' order. When the terms' months are independent
    (`CompiledTerms.months_independent`), evaluating the shards in parallel gives exactly
    the result of one pass."""
    months: dict[int, list[Facts]] = {}
    for f in facts:
        months.setdefault(month_key(f.occurred_at), []).append(f)
    out: list[list[Facts]] = [[] for _ in range(shards)]
    for month in sorted(months, key=lambda m: -len(months[m])):
        min(out, key=len).extend(months[month])
    return out


def rescale(
    lines: list[dict[str, object]],
    *,
    original_minor: int,
    remaining_minor: int,
    returned: dict[str, int] | None = None,
) -> tuple[int, int]:
    """Stored lines after part of the order was returned, as an exact fraction of
    SCALE-units (numerator, denominator).

    A whole return leaves nothing. Item lines whose SKU was returned shrink by the returned
    quantity, their per-unit fixed amounts with them; other lines' percent bases shrink in
    proportion to what is left of the order (item lines too, when no items were named), and
    their fixed amounts and bounties stay.
    """
    if remaining_minor <= 0:
        return 0, 1
    den = original_minor or 1
    left = remaining_minor if original_minor else 1
    num = 0
    for line in lines:
        basis = int(line["basis_minor"])  # type: ignore[arg-type]
        percent = int(line.get("percent_units") or 0)  # type: ignore[arg-type]
        fixed = int(line["fixed_minor"])  # type: ignore[arg-type]
        kind, sku = line["kind"], line.get("sku")
        if kind == "item" and returned is not None:
            if isinstance(sku, str) and sku in returned:
                quantity = int(line["quantity"])  # type: ignore[arg-type]
                kept = max(quantity - returned[sku], 0)
                basis, fixed = basis * kept // quantity, fixed * kept // quantity
            num += (basis * percent + fixed * SCALE) * den
        elif kind == "bounty":
            num += fixed * SCALE * den
        else:
            num += basis * percent * left + fixed * SCALE * den
    return num, den


def stored_lines(outcome: Outcome) -> list[dict[str, object]]:
    """Lines in the form kept with a commission, for recomputing it after a return."""
    return [
        {
            "kind": line.kind,
            "rule": line.rule,
            "basis_minor": line.basis_minor,
            "percent_units": line.percent,
            "fixed_minor": line.fixed_minor,
            "tier": line.tier,
            "sku": line.sku,
            "quantity": line.quantity,
        }
        for line in outcome.lines
    ]
