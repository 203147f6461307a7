"""What-if: replay draft terms over a past period's conversions, writing nothing.

For each attributed conversion in the period, in the order they happened, the draft terms
compute what the partner would have earned (tiers and caps counted from the period's
start; reversals applied as they were), beside what the partner's commissions on those
conversions hold now.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import select

from accord.attribution.policy import Policy
from accord.attribution.service import replay_journeys
from accord.commissions.service import conversion_facts, split_parts
from accord.commissions.tables import Commission
from accord.contracts.engine import SCALE, CompiledTerms, MemoryUsage, rescale, round_half_up
from accord.contracts.engine import stored_lines as lines_of
from accord.contracts.service import terms_at
from accord.contracts.terms import TermsSpec
from accord.conversions.tables import Attribution, Conversion
from accord.errors import InvalidInput, Text
from accord.money import Money
from accord.partners.enrollments import contract_at, load_enrollment
from accord.programs.service import load_program
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand

MAX_CONVERSIONS = 1_000_000


@dataclass
class PartnerComparison:
    partner_id: str
    conversions: int = 0
    actual_minor: int = 0
    draft_minor: int = 0
    over_cap: int = 0


@dataclass
class WhatIf:
    program_id: str
    currency: str
    since: datetime
    until: datetime
    partners: dict[str, PartnerComparison] = field(default_factory=dict)
    rules_used: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def as_dict(self) -> dict[str, object]:
        def money(minor: int) -> str:
            return str(Money.from_minor(minor, self.currency).amount)

        rows = sorted(
            self.partners.values(), key=lambda p: (p.actual_minor - p.draft_minor, p.partner_id)
        )
        actual = sum(p.actual_minor for p in rows)
        draft = sum(p.draft_minor for p in rows)
        return {
            "program_id": self.program_id,
            "currency": self.currency,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "conversions": sum(p.conversions for p in rows),
            "actual": money(actual),
            "draft": money(draft),
            "difference": money(draft - actual),
            "rules_used": dict(self.rules_used),
            "partners": [
                {
                    "partner_id": p.partner_id,
                    "conversions": p.conversions,
                    "actual": money(p.actual_minor),
                    "draft": money(p.draft_minor),
                    "difference": money(p.draft_minor - p.actual_minor),
                    "over_cap": p.over_cap,
                }
                for p in rows
            ],
        }


def what_if(
    store: Store,
    caller: Caller,
    program_id: str,
    terms: TermsSpec | None,
    since: datetime,
    until: datetime,
    policy: Policy | None = None,
    *,
    partner_ids: set[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> WhatIf:
    """Replay `terms` (None: each partner's own contract in force at each conversion) over
    the period's conversions; with `policy`, each conversion's kept journey is attributed
    again under that attribution policy first, so a partner may gain or lose credit. With
    `partner_ids`, only those partners' conversions; `progress(done, total)` hears of the
    replay as it goes."""
    require_brand(caller)
    if terms is None and policy is None:
        raise InvalidInput("terms", "give draft terms, an attribution model, or both")
    if since.tzinfo is None or until.tzinfo is None:
        raise InvalidInput("since", "give times with a timezone, e.g. 2026-10-01T00:00:00Z")
    if since >= until:
        raise InvalidInput("until", "must be after since")
    with store.read() as session:
        program = load_program(session, caller, program_id)
        if policy is not None:
            return _replay_policy(session, program, terms, policy, since, until)
        assert terms is not None
        draft = CompiledTerms(terms, program.currency)
        result = WhatIf(program.id, program.currency, since, until)
        rows = session.execute(
            select(Conversion, Attribution)
            .join(Attribution, Attribution.conversion_id == Conversion.id)
            .where(
                Conversion.program_id == program.id,
                Conversion.occurred_at >= since,
                Conversion.occurred_at < until,
            )
            .order_by(Conversion.occurred_at, Conversion.id, Attribution.id)
            .limit(MAX_CONVERSIONS + 1)
        ).all()
        if len(rows) > MAX_CONVERSIONS:
            raise InvalidInput(
                "until",
                Text("more than %(most)s conversions: shorten it", most=f"{MAX_CONVERSIONS:,}"),
            )
        actual = dict(
            session.execute(
                select(Commission.attribution_id, Commission.amount_minor).where(
                    Commission.program_id == program.id,
                    Commission.occurred_at >= since,
                    Commission.occurred_at < until,
                    Commission.kind == "conversion",
                )
            ).all()
        )
        if partner_ids is not None:
            rows = [(c, a) for c, a in rows if a.partner_id in partner_ids]
        usage = MemoryUsage()
        for done, (conversion, attribution) in enumerate(rows, 1):
            if progress is not None and (done % 500 == 0 or done == len(rows)):
                progress(done, len(rows))
            partner = result.partners.setdefault(
                attribution.partner_id, PartnerComparison(attribution.partner_id)
            )
            partner.conversions += 1
            partner.actual_minor += actual.get(attribution.id, 0)
            facts, _ = conversion_facts(
                session, program, conversion, attribution.partner_id, attribution.share
            )
            outcome = draft.evaluate(facts, usage)
            usage.record(facts, outcome)
            if outcome.rule is None:
                continue
            result.rules_used[outcome.rule.spec.label()] += 1
            if outcome.over_cap:
                partner.over_cap += 1
                continue
            amount = outcome.amount_minor
            if conversion.reversed_minor:
                remaining = conversion.amount_minor - conversion.reversed_minor
                num, den = rescale(
                    lines_of(outcome),
                    original_minor=conversion.amount_minor,
                    remaining_minor=remaining,
                )
                share_num, share_den = attribution.share.as_integer_ratio()
                scaled = round_half_up(num * share_num, SCALE * den * share_den)
                amount = min(amount, scaled)
            partner.draft_minor += amount
        return result


def _replay_policy(
    session, program, terms: TermsSpec | None, policy: Policy, since: datetime, until: datetime
) -> WhatIf:
    """What-if under another attribution policy: every conversion of the period (attributed
    or not) with a kept journey is credited again, then paid by the draft terms or by each
    partner's own contract, its share of the commission as a split would pay it."""
    result = WhatIf(program.id, program.currency, since, until)
    conversions = session.scalars(
        select(Conversion)
        .where(
            Conversion.program_id == program.id,
            Conversion.occurred_at >= since,
            Conversion.occurred_at < until,
        )
        .order_by(Conversion.occurred_at, Conversion.id)
        .limit(MAX_CONVERSIONS + 1)
    ).all()
    if len(conversions) > MAX_CONVERSIONS:
        raise InvalidInput(
            "until", Text("more than %(most)s conversions: shorten it", most=f"{MAX_CONVERSIONS:,}")
        )
    actual: dict[str, int] = defaultdict(int)
    for partner_id, amount in session.execute(
        select(Commission.partner_id, Commission.amount_minor).where(
            Commission.program_id == program.id,
            Commission.occurred_at >= since,
            Commission.occurred_at < until,
            Commission.kind == "conversion",
        )
    ):
        actual[partner_id] += amount
    for partner_id, amount in actual.items():
        partner = result.partners.setdefault(partner_id, PartnerComparison(partner_id))
        partner.actual_minor = amount
    replayed = replay_journeys(session, program, policy, [c.id for c in conversions])
    draft = None if terms is None else CompiledTerms(terms, program.currency)
    usages: dict[object, MemoryUsage] = defaultdict(MemoryUsage)
    for conversion in conversions:
        credits = replayed.get(conversion.id)
        if not credits:
            continue
        wholes: dict[Fraction, list[tuple[str, Decimal]]] = {}
        for partner_id, share in credits:
            enrollment = load_enrollment(session, program.id, partner_id)
            if enrollment is None or enrollment.status != "approved":
                continue  # a partner who is not approved earns nothing, now as then
            compiled, key = draft, "draft"
            if compiled is None:
                found = terms_at(
                    session,
                    program.id,
                    contract_at(enrollment, conversion.occurred_at),
                    conversion.occurred_at,
                    currency=program.currency,
                    partner_id=partner_id,
                )
                if found is None:
                    continue
                compiled, key = found.compiled, found.version.id
            facts, _ = conversion_facts(session, program, conversion, partner_id, Decimal(1))
            outcome = compiled.evaluate(facts, usages[key])
            usages[key].record(facts, outcome)
            partner = result.partners.setdefault(partner_id, PartnerComparison(partner_id))
            partner.conversions += 1
            if outcome.rule is None:
                continue
            result.rules_used[outcome.rule.spec.label()] += 1
            if outcome.over_cap:
                partner.over_cap += 1
                continue
            exact = Fraction(sum(line.units for line in outcome.lines))
            if conversion.reversed_minor:
                num, den = rescale(
                    lines_of(outcome),
                    original_minor=conversion.amount_minor,
                    remaining_minor=conversion.amount_minor - conversion.reversed_minor,
                )
                exact = Fraction(num, den)
            wholes.setdefault(exact, []).append((partner.partner_id, share))
        # Split as a recorded commission splits, so the parts add back to the whole.
        for partner_id, part in split_parts(wholes).items():
            result.partners[partner_id].draft_minor += part.minor
    return result
