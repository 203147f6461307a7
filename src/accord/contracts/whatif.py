"""What-if: replay draft terms over a past period's conversions, writing nothing.

For each attributed conversion in the period, in the order they happened, the draft terms
compute what the partner would have earned (tiers and caps counted from the period's
start; reversals applied as they were), beside what the partner's commissions on those
conversions hold now.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from accord.commissions.service import conversion_facts
from accord.commissions.tables import Commission
from accord.contracts.engine import SCALE, CompiledTerms, MemoryUsage, rescale, round_half_up
from accord.contracts.engine import stored_lines as lines_of
from accord.contracts.terms import TermsSpec
from accord.conversions.tables import Attribution, Conversion
from accord.errors import InvalidInput
from accord.money import Money
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
    terms: TermsSpec,
    since: datetime,
    until: datetime,
) -> WhatIf:
    require_brand(caller)
    if since.tzinfo is None or until.tzinfo is None:
        raise InvalidInput("since", "give times with a timezone, e.g. 2026-10-01T00:00:00Z")
    if since >= until:
        raise InvalidInput("until", "must be after since")
    with store.read() as session:
        program = load_program(session, caller, program_id)
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
            raise InvalidInput("until", f"more than {MAX_CONVERSIONS:,} conversions: shorten it")
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
        usage = MemoryUsage()
        for conversion, attribution in rows:
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
