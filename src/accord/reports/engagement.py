"""Partner activity score: how engaged each partner of a program was over the last 30 days,
from 0 to 100, out of four signals, each capped so that no one of them alone makes a
partner active:

- days it signed in to the portal (20 points at 8 days or more);
- tracking links made for it, by it or the brand (20 points at 5 or more);
- content it submitted: posts for briefs and content for bounties (20 points at 3 or more);
- net revenue it brought (40 points at the program's reference: the 75th percentile of the
  partners that brought any; less in proportion).

The lifecycle report shows it beside each partner, so that a partner dormant in sales but
active in the portal (or the reverse) stands out. Each signal is one grouped query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select

from accord.engage.tables import Bounty, BountyClaim, BriefSubmission
from accord.partners.tables import Enrollment, Partner
from accord.programs.service import load_program
from accord.reports.service import results_between
from accord.signin.tables import WebSession
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand
from accord.tenancy.tables import User
from accord.tracking.tables import Link

DAYS = 30
#: (points, the count that earns them all) per counted signal.
SIGN_IN = (20, 8)
LINKS = (20, 5)
CONTENT = (20, 3)
REVENUE_POINTS = 40
REFERENCE_PERCENTILE = 0.75


@dataclass(frozen=True)
class Signals:
    sign_in_days: int = 0
    links: int = 0
    content: int = 0
    revenue_minor: int = 0


@dataclass(frozen=True)
class Activity:
    signals: Signals
    score: int


def _part(points: int, full: int, value: int) -> Decimal:
    return Decimal(points) * min(Decimal(max(value, 0)), Decimal(full)) / Decimal(full)


def score(signals: Signals, reference_minor: int) -> int:
    """The score, 0 to 100 (rounded half up), of one partner's signals against the
    program's revenue reference (0: no partner brought revenue, so revenue adds nothing)."""
    total = (
        _part(*SIGN_IN, signals.sign_in_days)
        + _part(*LINKS, signals.links)
        + _part(*CONTENT, signals.content)
    )
    if reference_minor > 0 and signals.revenue_minor > 0:
        share = min(Decimal(signals.revenue_minor) / Decimal(reference_minor), Decimal(1))
        total += REVENUE_POINTS * share
    return int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def reference(revenues: list[int]) -> int:
    """The program's revenue reference: the 75th percentile (nearest rank) of the partners'
    revenue that is above zero; 0 when none is."""
    positive = sorted(r for r in revenues if r > 0)
    if not positive:
        return 0
    rank = max(1, -(-len(positive) * 3 // 4))  # ceil(0.75 n)
    return positive[rank - 1]


def activity(store: Store, caller: Caller, program_id: str) -> dict[str, Activity]:
    """Each enrolled partner's activity over the last `DAYS` days."""
    require_brand(caller)
    now = store.clock.now()
    since = now - timedelta(days=DAYS)
    with store.read() as session:
        program = load_program(session, caller, program_id)
        partners = dict(session.execute(
            select(Partner.id, Partner.organization_id)
            .join(Enrollment, Enrollment.partner_id == Partner.id)
            .where(Enrollment.program_id == program.id)
        ).all())  # fmt: skip
        sign_ins = _sign_in_days(session, list(partners.values()), since)
        links = dict(session.execute(
            select(Link.partner_id, func.count())
            .where(Link.program_id == program.id, Link.created_at >= since)
            .group_by(Link.partner_id)
        ).all())  # fmt: skip
        posts = dict(session.execute(
            select(BriefSubmission.partner_id, func.count())
            .where(BriefSubmission.program_id == program.id,
                   BriefSubmission.submitted_at >= since)
            .group_by(BriefSubmission.partner_id)
        ).all())  # fmt: skip
        claims = dict(session.execute(
            select(BountyClaim.partner_id, func.count())
            .join(Bounty, Bounty.id == BountyClaim.bounty_id)
            .where(Bounty.program_id == program.id, BountyClaim.url.is_not(None),
                   BountyClaim.created_at >= since)
            .group_by(BountyClaim.partner_id)
        ).all())  # fmt: skip
    until = now + timedelta(seconds=1)  # what happened at this very instant counts
    revenue = {p: rev for p, (_, rev) in results_between(store, program_id, since, until).items()}
    ref = reference([revenue.get(p, 0) for p in partners])
    out = {}
    for partner_id, organization_id in partners.items():
        signals = Signals(
            sign_in_days=sign_ins.get(organization_id, 0),
            links=links.get(partner_id, 0),
            content=posts.get(partner_id, 0) + claims.get(partner_id, 0),
            revenue_minor=revenue.get(partner_id, 0),
        )
        out[partner_id] = Activity(signals, score(signals, ref))
    return out


def _sign_in_days(session, organization_ids: list[str], since: datetime) -> dict[str, int]:
    """Distinct days (UTC) each organization's users signed in on since `since`."""
    if not organization_ids:
        return {}
    day = func.date(WebSession.created_at)
    found: dict[str, int] = {}
    for at in range(0, len(organization_ids), 500):
        chunk = organization_ids[at : at + 500]
        found.update(session.execute(
            select(User.organization_id, func.count(func.distinct(day)))
            .join(WebSession, WebSession.user_id == User.id)
            .where(User.organization_id.in_(chunk), WebSession.created_at >= since)
            .group_by(User.organization_id)
        ).all())  # fmt: skip
    return found
