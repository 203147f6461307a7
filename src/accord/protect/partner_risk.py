"""Partners' risk scores: once a day every partner of a program is scored on its last 28
days (flagged and declined orders, reversal and conversion rates against the program's,
overnight orders, orders from new devices, a jump in volume, a shared account, a ban in
another program), the score
is kept with its history, and the managers are told by e-mail and in the console when a
partner reaches the high-risk band or rises within it.

The figures come from protect's own scores, the reports (`partner_days`) and the partners'
service; the rules are `accord.protect.model.PARTNER_RULES`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from statistics import median

from sqlalchemy import Integer, case, delete, extract, func, select
from sqlalchemy.orm import Session

from accord.errors import NotFound
from accord.mail import Mail, Mailer, render
from accord.money import Money
from accord.monitoring.service import managers
from accord.partners.service import partner_names, suspensions
from accord.programs.service import load_program
from accord.protect.model import (
    PARTNER_MIN_CLICKS,
    PARTNER_RULES,
    Action,
    PartnerFacts,
    ProgramNorms,
    Signal,
    band,
    risen,
    score_partner,
)
from accord.protect.partners import duplicate_accounts
from accord.protect.service import RuleHits, tuning_in
from accord.protect.tables import PartnerRisk, RiskScore
from accord.reports.monitoring import (
    WatchedProgram,
    partner_days,
    sub_id_figures,
    watched_programs,
)
from accord.settings import Settings, get_settings
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand

log = logging.getLogger("accord.protect")

#: The days a partner is judged on, and how far back declined orders count.
WINDOW_DAYS = 28
DECLINED_DAYS = 90
#: The last days of the window the volume rule compares with the days before them.
RECENT_DAYS = 7
#: Orders from 00:00 to this hour (UTC, exclusive) are overnight.
NIGHT_ENDS = 5
#: The median conversion rate needs this many partners with enough clicks.
MIN_PEERS = 3


@dataclass(frozen=True)
class PartnerScore:
    """A partner's score on a day, as a page, the API or an e-mail shows it."""

    program_id: str
    partner_id: str
    partner_name: str
    day: date
    score: int
    previous: int | None
    signals: tuple[Signal, ...]
    alerted: bool

    @property
    def band(self) -> str:
        return band(self.score)

    @property
    def change(self) -> int | None:
        return None if self.previous is None else self.score - self.previous


def _view(row: PartnerRisk, names: dict[str, str]) -> PartnerScore:
    return PartnerScore(
        row.program_id,
        row.partner_id,
        names.get(row.partner_id, row.partner_id),
        row.day,
        row.score,
        row.previous,
        tuple(Signal.from_dict(s) for s in row.signals or ()),
        row.alerted,
    )


# gathering --------------------------------------------------------------------------------
def _own_figures(session: Session, program_id: str, day: date) -> dict[str, dict[str, int]]:
    """From protect's scores, per partner: orders scored and flagged in the window, those
    placed overnight, and orders declined as fraud in the last DECLINED_DAYS (one query)."""
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
    window = end - timedelta(days=WINDOW_DAYS)
    declined_since = end - timedelta(days=DECLINED_DAYS)
    inside = RiskScore.at >= window
    hour = extract("hour", RiskScore.at)
    rows = session.execute(
        select(
            RiskScore.partner_id,
            func.sum(case((inside, 1), else_=0)),
            func.sum(case((inside & (RiskScore.action != Action.NONE.value), 1), else_=0)),
            func.sum(case((inside & (hour.cast(Integer) < NIGHT_ENDS), 1), else_=0)),
            func.sum(case((RiskScore.review == "declined", 1), else_=0)),
            func.sum(case((inside & RiskScore.device.is_not(None), 1), else_=0)),
            func.sum(case((inside & (RiskScore.new_device == True), 1), else_=0)),  # noqa: E712
        )
        .where(
            RiskScore.program_id == program_id,
            RiskScore.partner_id.is_not(None),
            RiskScore.at >= declined_since,
            RiskScore.at < end,
        )
        .group_by(RiskScore.partner_id)
    )
    return {
        partner_id: {
            "scored": int(scored or 0),
            "flagged": int(flagged or 0),
            "overnight": int(overnight or 0),
            "declined": int(declined or 0),
            "with_device": int(with_device or 0),
            "new_device": int(new_device or 0),
        }
        for partner_id, scored, flagged, overnight, declined, with_device, new_device in rows
    }


def gather(
    store: Store, program: WatchedProgram, day: date
) -> tuple[dict[str, PartnerFacts], ProgramNorms, dict[str, str]]:
    """Every active partner's facts over the WINDOW_DAYS days ending with `day`, the
    program's norms over the same days, and the partners' names."""
    caller = program.caller
    first = day - timedelta(days=WINDOW_DAYS - 1)
    recent = day - timedelta(days=RECENT_DAYS - 1)
    activity = partner_days(store, caller, program.id, first, day)
    subs = sub_id_figures(store, caller, program.id, first, day)
    with store.read() as session:
        own = _own_figures(session, program.id, day)
        banned = suspensions(session, program.organization_id)
    twins = {d.partner_id for d in duplicate_accounts(store, caller, program.id)}
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for partner_id, days in activity.days.items():
        counted = totals[partner_id]
        for when, figures in days.items():
            counted["clicks"] += figures.clicks
            counted["orders"] += figures.conversions
            counted["reversals"] += figures.reversals
            counted["orders_7" if when >= recent else "orders_before"] += figures.conversions
    partners = set(totals) | set(own) | twins | set(subs)
    partners |= {p for p, where in banned.items() if set(where) - {program.id}}
    facts = {}
    for partner_id in sorted(partners):
        counted = totals.get(partner_id, {})
        mine = own.get(partner_id, {})
        facts[partner_id] = PartnerFacts(
            scored=mine.get("scored", 0),
            flagged=mine.get("flagged", 0),
            declined=mine.get("declined", 0),
            clicks=counted.get("clicks", 0),
            orders=counted.get("orders", 0),
            reversals=counted.get("reversals", 0),
            overnight=mine.get("overnight", 0),
            orders_7=counted.get("orders_7", 0),
            orders_before=counted.get("orders_before", 0),
            shared_account=partner_id in twins,
            with_device=mine.get("with_device", 0),
            new_device=mine.get("new_device", 0),
            banned_in=tuple(p for p in banned.get(partner_id, {}) if p != program.id),
            sub_ids=tuple(
                (sub, f.clicks, f.orders, f.reversed)
                for sub, f in sorted(subs.get(partner_id, {}).items())
            ),
        )
    names = partner_names(store, caller, facts)
    return facts, norms_of(facts.values()), names


def norms_of(facts) -> ProgramNorms:
    """The program's norms from its partners' facts: the median conversion rate of the
    partners with enough clicks (at least MIN_PEERS of them), its reversal rate and its
    share of overnight orders."""
    facts = list(facts)
    rates = [Decimal(f.orders) / Decimal(f.clicks) for f in facts if f.clicks >= PARTNER_MIN_CLICKS]
    orders = sum(f.orders for f in facts)
    scored = sum(f.scored for f in facts)
    middle = median(rates) if len(rates) >= MIN_PEERS else None
    with_device = sum(f.with_device for f in facts)
    return ProgramNorms(
        new_device_share=Decimal(sum(f.new_device for f in facts)) / with_device
        if with_device
        else Decimal(0),
        median_rate=middle if middle else None,
        reversal_rate=Decimal(sum(f.reversals for f in facts)) / orders if orders else Decimal(0),
        overnight_share=Decimal(sum(f.overnight for f in facts)) / scored if scored else Decimal(0),
    )


# the daily pass ---------------------------------------------------------------------------
def score_program(store: Store, program: WatchedProgram, day: date | None = None) -> list:
    """Score every partner of the program on `day` (default: today, UTC) and keep the
    scores; returns the scores that alerted the managers this time (a second pass on the
    same day alerts no one again)."""
    day = day or store.clock.now().date()
    now = store.clock.now()
    facts, norms, names = gather(store, program, day)
    with store.unit() as session:
        tuning = tuning_in(session, program.id)
        last_day = session.scalar(
            select(func.max(PartnerRisk.day)).where(
                PartnerRisk.program_id == program.id, PartnerRisk.day < day
            )
        )
        before = (
            {
                row.partner_id: row.score
                for row in session.scalars(
                    select(PartnerRisk).where(
                        PartnerRisk.program_id == program.id, PartnerRisk.day == last_day
                    )
                )
            }
            if last_day is not None
            else {}
        )
        told = set(
            session.scalars(
                select(PartnerRisk.partner_id).where(
                    PartnerRisk.program_id == program.id,
                    PartnerRisk.day == day,
                    PartnerRisk.alerted.is_(True),
                )
            )
        )
        session.execute(
            delete(PartnerRisk).where(PartnerRisk.program_id == program.id, PartnerRisk.day == day)
        )
        alerts = []
        for partner_id in sorted(set(facts) | {p for p, s in before.items() if s > 0}):
            verdict = score_partner(facts.get(partner_id, PartnerFacts()), norms, tuning)
            previous = before.get(partner_id)
            alerted = risen(previous, verdict.score)
            row = PartnerRisk(
                program_id=program.id,
                partner_id=partner_id,
                day=day,
                organization_id=program.organization_id,
                score=verdict.score,
                signals=[s.as_dict() for s in verdict.signals],
                previous=previous,
                alerted=alerted or partner_id in told,
                computed_at=now,
            )
            session.add(row)
            if alerted and partner_id not in told:
                alerts.append(_view(row, names))
    return alerts


def alert_mail(
    program: WatchedProgram, alerts: list[PartnerScore], to: str, language: str, base: str
) -> Mail:
    link = f"{base}/console/fraud?program={program.id}#partners"
    rendered = render("partner_risk", language, program=program, alerts=alerts, link=link)
    return Mail((to,), rendered.subject, rendered.text, rendered.html)


def score_all_partners(
    store: Store,
    day: date | None = None,
    settings: Settings | None = None,
    *,
    organization_id: str | None = None,
) -> dict[str, int]:
    """The daily pass over every program (or one brand's): score its partners, and e-mail
    its owners and managers about the partners whose risk rose. Returns the alerts per
    program."""
    settings = settings or get_settings()
    mailer = Mailer(settings)
    out: dict[str, int] = {}
    for program in watched_programs(store, organization_id):
        with store.read() as session:
            if tuning_in(session, program.id).mode.value == "off":
                continue
        try:
            alerts = score_program(store, program, day)
        except Exception:  # one program's trouble must not stop the others
            log.exception("protect: scoring the partners of program %s failed", program.id)
            continue
        out[program.id] = len(alerts)
        tell(store, program, alerts, settings, mailer)
    return out


def tell(
    store: Store,
    program: WatchedProgram,
    alerts: list[PartnerScore],
    settings: Settings | None = None,
    mailer: Mailer | None = None,
) -> int:
    """E-mail the program's owners and managers about these partners (each in the
    language they chose); returns the e-mails sent (none without an SMTP server)."""
    settings = settings or get_settings()
    mailer = mailer or Mailer(settings)
    if not alerts or not mailer.configured:
        return 0
    mails = [
        alert_mail(program, alerts, email, language, settings.base_url())
        for email, language in managers(store, program.caller)
    ]
    try:
        return mailer.send_many(mails)
    except Exception:
        log.exception("protect: the partner risk e-mail of %s was not sent", program.id)
        return 0


# reading ----------------------------------------------------------------------------------
def _latest_day(session: Session, program_id: str) -> date | None:
    return session.scalar(
        select(func.max(PartnerRisk.day)).where(PartnerRisk.program_id == program_id)
    )


def risk_by_partner(store: Store, caller: Caller, program_id: str) -> dict[str, PartnerScore]:
    """Every scored partner's latest score in the program, by partner id."""
    require_brand(caller)
    with store.read() as session:
        load_program(session, caller, program_id)
        latest = _latest_day(session, program_id)
        if latest is None:
            return {}
        rows = list(
            session.scalars(
                select(PartnerRisk).where(
                    PartnerRisk.program_id == program_id, PartnerRisk.day == latest
                )
            )
        )
    return {row.partner_id: _view(row, {}) for row in rows}


def high_risk_count(store: Store, caller: Caller, program_id: str) -> int:
    """The program's partners in the high-risk band in the latest daily scores."""
    return sum(1 for s in risk_by_partner(store, caller, program_id).values() if s.band == "high")


def riskiest(store: Store, caller: Caller, program_id: str, limit: int = 20) -> list[PartnerScore]:
    """The program's partners with a score above 0 on the latest day, highest first."""
    found = sorted(
        (s for s in risk_by_partner(store, caller, program_id).values() if s.score > 0),
        key=lambda s: (-s.score, s.partner_id),
    )[:limit]
    names = partner_names(store, caller, [s.partner_id for s in found])
    return [replace(s, partner_name=names.get(s.partner_id, s.partner_id)) for s in found]


def partner_history(
    store: Store, caller: Caller, program_id: str, partner_id: str, days: int = 90
) -> list[PartnerScore]:
    """The partner's scores in the program over the last `days` days, oldest first."""
    require_brand(caller)
    since = store.clock.now().date() - timedelta(days=days)
    with store.read() as session:
        load_program(session, caller, program_id)
        rows = list(
            session.scalars(
                select(PartnerRisk)
                .where(
                    PartnerRisk.program_id == program_id,
                    PartnerRisk.partner_id == partner_id,
                    PartnerRisk.day >= since,
                )
                .order_by(PartnerRisk.day)
            )
        )
    names = partner_names(store, caller, [partner_id])
    if not rows and partner_id not in names:
        raise NotFound("partner", partner_id, field="partner_id")
    return [_view(row, names) for row in rows]


def recent_alerts(
    store: Store, caller: Caller, program_id: str, days: int = 14
) -> list[PartnerScore]:
    """The partners whose risk alerted the managers in the last `days` days, newest first."""
    require_brand(caller)
    since = store.clock.now().date() - timedelta(days=days)
    with store.read() as session:
        load_program(session, caller, program_id)
        rows = list(
            session.scalars(
                select(PartnerRisk)
                .where(
                    PartnerRisk.program_id == program_id,
                    PartnerRisk.day >= since,
                    PartnerRisk.alerted.is_(True),
                )
                .order_by(PartnerRisk.day.desc(), PartnerRisk.score.desc())
                .limit(100)
            )
        )
    names = partner_names(store, caller, [r.partner_id for r in rows])
    return [_view(row, names) for row in rows]


def score_now(store: Store, caller: Caller, program_id: str) -> dict[str, int]:
    """Score the program's partners now (a manager asked, through the job queue) and tell
    its managers about the partners whose risk rose."""
    require_brand(caller)
    with store.read() as session:
        program = load_program(session, caller, program_id)
        watched = WatchedProgram(
            program.id, program.organization_id, program.name, program.currency
        )
    alerts = score_program(store, watched)
    return {"alerts": len(alerts), "mails": tell(store, watched, alerts)}


def partner_rules(store: Store, caller: Caller, program_id: str) -> tuple[RuleHits, ...]:
    """The partner rules in force at the program, each with how many partners it fires on
    in the latest scores (`held` and `amount` are zero: a partner's score holds nothing)."""
    scores = risk_by_partner(store, caller, program_id)
    with store.read() as session:
        program = load_program(session, caller, program_id)
        tuning = tuning_in(session, program.id)
    fired: dict[str, int] = defaultdict(int)
    for found in scores.values():
        for signal in found.signals:
            fired[signal.code] += 1
    return tuple(
        RuleHits(
            code=rule.code,
            enabled=tuning.enabled(rule.code),
            threshold=tuning.threshold(rule.code),
            weight=tuning.weight(rule.code),
            counts=rule.unit,
            fired=fired[rule.code],
            held=0,
            amount=Money.from_minor(0, program.currency),
        )
        for rule in PARTNER_RULES
    )
