"""Monitoring: alerts about unusual days, the revenue forecast and the weekly digest.

The figures come from the reports (`accord.reports.monitoring`); the rules from
`accord.monitoring.model`; this module records alerts, reads them back, keeps who wants the
weekly digest, and writes and sends the e-mails (`accord.mail`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from accord.errors import InvalidInput, NotFound, Text
from accord.ids import new_id
from accord.mail import Mail, Mailer, render
from accord.money import Money
from accord.monitoring import model
from accord.monitoring.tables import Alert, ReportDigest
from accord.reports import monitoring as figures
from accord.reports.performance import PerformanceRow
from accord.settings import Settings, get_settings
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import list_users, require_brand

log = logging.getLogger("accord.monitoring")

#: Roles whose users are the program's managers: they get the alert e-mails.
MANAGER_ROLES = ("owner", "manager")
LANGUAGES = ("en", "zh_Hans")


@dataclass(frozen=True)
class AlertView:
    id: str
    program_id: str
    partner_id: str
    partner_name: str
    metric: str
    day: date
    value: float
    expected: float
    score: float
    direction: str
    created_at: datetime
    seen_at: datetime | None

    @property
    def how_unusual(self) -> str:
        return model.in_words(self.score)

    @property
    def is_rate(self) -> bool:
        return self.metric != model.Metric.CLICKS


def _view(alert: Alert, names: dict[str, str]) -> AlertView:
    return AlertView(
        alert.id,
        alert.program_id,
        alert.partner_id,
        names.get(alert.partner_id, alert.partner_id),
        alert.metric,
        alert.day,
        alert.value,
        alert.expected,
        alert.score,
        alert.direction,
        alert.created_at,
        alert.seen_at,
    )


def _program(store: Store, caller: Caller, program_id: str) -> figures.WatchedProgram:
    require_brand(caller)
    program = figures.watched_program(store, program_id)
    if program is None or program.organization_id != caller.organization_id:
        raise NotFound("program", program_id, field="program_id")
    return program


# scanning ---------------------------------------------------------------------------------
def scan(store: Store, caller: Caller, program_id: str, day: date | None = None) -> list[AlertView]:
    """Look at `day` (default: yesterday, UTC) for every partner of the program and record
    an alert for each unusual metric; returns the alerts this scan added (none for those
    an earlier scan of the same day recorded)."""
    program = _program(store, caller, program_id)
    day = day or (store.clock.now().date() - timedelta(days=1))
    first = day - timedelta(days=7 * model.HISTORY_WEEKS)
    data = figures.partner_days(store, caller, program_id, first, day)
    findings = [
        (partner_id, f)
        for partner_id, days in sorted(data.days.items())
        for f in model.unusual(days, day)
    ]
    if not findings:
        return []
    now = store.clock.now()
    try:
        with store.unit() as session:
            rows = session.execute(
                select(Alert.partner_id, Alert.metric).where(
                    Alert.program_id == program_id, Alert.day == day
                )
            )
            known = {(r.partner_id, r.metric) for r in rows}
            added = []
            for partner_id, f in findings:
                if (partner_id, f.metric.value) in known:
                    continue
                alert = Alert(
                    id=new_id("alr"),
                    organization_id=program.organization_id,
                    program_id=program_id,
                    partner_id=partner_id,
                    metric=f.metric.value,
                    day=day,
                    value=float(f.value),
                    expected=float(f.expected),
                    score=float(f.score),
                    direction=f.direction.value,
                    created_at=now,
                    seen_at=None,
                )
                session.add(alert)
                added.append(alert)
            session.flush()
            views = [_view(a, data.names) for a in added]
    except IntegrityError:  # another worker scanned the same day at the same moment
        return []
    return views


def list_alerts(
    store: Store,
    caller: Caller,
    program_id: str,
    *,
    unseen_only: bool = False,
    since: date | None = None,
    limit: int = 100,
) -> list[AlertView]:
    """The program's alerts, newest day first (the most unusual first within a day)."""
    _program(store, caller, program_id)
    if not 1 <= limit <= 1000:
        raise InvalidInput("limit", "give a number from 1 to 1000")
    query = select(Alert).where(Alert.program_id == program_id)
    if unseen_only:
        query = query.where(Alert.seen_at.is_(None))
    if since is not None:
        query = query.where(Alert.day >= since)
    query = query.order_by(Alert.day.desc(), Alert.created_at.desc(), Alert.id).limit(limit)
    with store.read() as session:
        alerts = list(session.scalars(query))
    alerts.sort(key=lambda a: (-a.day.toordinal(), -abs(a.score), a.id))
    names = figures.partner_names(store, {a.partner_id for a in alerts})
    return [_view(a, names) for a in alerts]


def mark_seen(store: Store, caller: Caller, program_id: str, alert_id: str) -> AlertView:
    """Mark an alert seen (again: it stays seen at the first time)."""
    _program(store, caller, program_id)
    with store.unit() as session:
        alert = session.scalar(
            select(Alert).where(Alert.id == alert_id, Alert.program_id == program_id)
        )
        if alert is None:
            raise NotFound("alert", alert_id, field="alert_id")
        if alert.seen_at is None:
            alert.seen_at = store.clock.now()
        session.flush()
        view_alert = alert
    names = figures.partner_names(store, {view_alert.partner_id})
    return _view(view_alert, names)


def mark_all_seen(store: Store, caller: Caller, program_id: str) -> int:
    _program(store, caller, program_id)
    with store.unit() as session:
        result = session.execute(
            update(Alert)
            .where(Alert.program_id == program_id, Alert.seen_at.is_(None))
            .values(seen_at=store.clock.now())
        )
        return int(result.rowcount or 0)


# forecast ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class TypeForecast:
    partner_type: str
    history: list[Money]  # one per month, oldest first
    expected: Money | None
    low: Money | None
    high: Money | None
    months_used: int


@dataclass(frozen=True)
class RevenueForecast:
    program_id: str
    currency: str
    months: list[date]  # the months of the history
    month: date  # the month forecast
    types: list[TypeForecast]
    total: TypeForecast
    method: str = (
        "least-squares line through the monthly totals, projected one month; 95% prediction "
        "interval t(0.975, n-2) x s x sqrt(1 + 1/n + (x0 - mean x)^2 / Sxx) from the residuals"
    )


def _money(value: float, currency: str) -> Money:
    return Money.of(Decimal(str(round(value, 2))).quantize(Decimal("0.01")), currency).quantized()


def _type_forecast(name: str, totals: list[int], currency: str) -> TypeForecast:
    history = [Money.from_minor(v, currency) for v in totals]
    # months before the first with revenue do not count (a type that started late)
    first = next((i for i, v in enumerate(totals) if v), len(totals))
    used = [float(m.amount) for m in history[first:]]
    result = model.linear_forecast(used)
    if result is None:
        return TypeForecast(name, history, None, None, None, len(used))
    return TypeForecast(
        name,
        history,
        _money(max(result.expected, 0.0), currency),
        _money(result.low, currency),
        _money(result.high, currency),
        result.months,
    )


def revenue_forecast(
    store: Store, caller: Caller, program_id: str, months: int = 12
) -> RevenueForecast:
    """Next month's revenue of each partner type and of the program, from the last
    `months` whole months (6 at least), with 95 % prediction intervals."""
    program = _program(store, caller, program_id)
    if not model.MIN_MONTHS <= months <= model.MAX_MONTHS:
        raise InvalidInput(
            "months",
            Text(
                "give %(least)s to %(most)s months", least=model.MIN_MONTHS, most=model.MAX_MONTHS
            ),
        )
    today = store.clock.now().date()
    starts, by_type = figures.monthly_revenue_by_type(store, caller, program_id, today, months)
    types = [
        _type_forecast(name, totals, program.currency)
        for name, totals in sorted(by_type.items(), key=lambda kv: -sum(kv[1]))
        if any(totals)  # a type without revenue (clicks only) has nothing to forecast
    ]
    total = [sum(column) for column in zip(*by_type.values(), strict=True)] or [0] * len(starts)
    return RevenueForecast(
        program_id,
        program.currency,
        starts,
        today.replace(day=1),
        types,
        _type_forecast("all", total, program.currency),
    )


# digest subscriptions ---------------------------------------------------------------------
@dataclass(frozen=True)
class DigestSetting:
    user_id: str
    weekly: bool
    language: str


def digest_setting(store: Store, caller: Caller, user_id: str) -> DigestSetting:
    require_brand(caller)
    with store.read() as session:
        row = session.get(ReportDigest, user_id)
    if row is None or row.organization_id != caller.organization_id:
        return DigestSetting(user_id, False, "en")
    return DigestSetting(user_id, row.weekly, row.language)


def set_digest(
    store: Store, caller: Caller, user_id: str, *, weekly: bool, language: str
) -> DigestSetting:
    """Turn the user's weekly digest on or off, in `language` (en or zh_Hans)."""
    require_brand(caller)
    if language not in LANGUAGES:
        raise InvalidInput(
            "language", Text("use one of: %(choices)s", choices=", ".join(LANGUAGES))
        )
    if user_id not in {u.id for u in list_users(store, caller)}:
        raise NotFound("user", user_id, field="user_id")
    with store.unit() as session:
        row = session.get(ReportDigest, user_id)
        if row is None:
            row = ReportDigest(
                user_id=user_id, organization_id=caller.organization_id, last_week_sent=None
            )
            session.add(row)
        row.weekly = weekly
        row.language = language
        row.updated_at = store.clock.now()
    return DigestSetting(user_id, weekly, language)


def _languages(store: Store, organization_id: str) -> dict[str, ReportDigest]:
    with store.read() as session:
        rows = session.scalars(
            select(ReportDigest).where(ReportDigest.organization_id == organization_id)
        )
        return {r.user_id: r for r in rows}


# the weekly digest ------------------------------------------------------------------------
@dataclass(frozen=True)
class WeekFigures:
    clicks: int
    conversions: int
    revenue: Money
    commissions: Money


@dataclass(frozen=True)
class Digest:
    program_id: str
    program_name: str
    currency: str
    monday: date  # of the week reported
    this_week: WeekFigures
    week_before: WeekFigures
    top_partners: list[PerformanceRow]
    alerts: list[AlertView]
    forecast: RevenueForecast
    link: str

    def change(self, name: str) -> float | None:
        now, before = getattr(self.this_week, name), getattr(self.week_before, name)
        if isinstance(now, Money):
            return model.change(float(now.amount), float(before.amount))
        return model.change(float(now), float(before))


def _week(row: PerformanceRow | None, currency: str) -> WeekFigures:
    if row is None:
        return WeekFigures(0, 0, Money.zero(currency), Money.zero(currency))
    return WeekFigures(row.clicks, row.conversions, row.revenue, row.commissions)


def last_monday(today: date) -> date:
    """The Monday of the last whole week before `today`."""
    return today - timedelta(days=today.weekday() + 7)


def weekly_digest(
    store: Store,
    caller: Caller,
    program_id: str,
    monday: date | None = None,
    settings: Settings | None = None,
) -> Digest:
    """Last week's figures against the week before, its top partners and alerts, and the
    revenue forecast."""
    program = _program(store, caller, program_id)
    monday = monday or last_monday(store.clock.now().date())
    if monday.weekday() != 0:
        raise InvalidInput("week", "give the Monday the week starts on")
    this = figures.week_totals(store, caller, program_id, monday)
    before = figures.week_totals(store, caller, program_id, monday - timedelta(days=7))
    alerts = [
        a
        for a in list_alerts(store, caller, program_id, since=monday, limit=1000)
        if a.day <= monday + timedelta(days=6)
    ]
    base = (settings or get_settings()).base_url()
    return Digest(
        program_id,
        program.name,
        program.currency,
        monday,
        _week(this, program.currency),
        _week(before, program.currency),
        figures.top_partners(store, caller, program_id, monday),
        alerts,
        revenue_forecast(store, caller, program_id),
        f"{base}/console/reports/alerts?program={program_id}",
    )


def digest_mail(digest: Digest, to: str, language: str) -> Mail:
    rendered = render("digest", language, d=digest, model=model)
    return Mail((to,), rendered.subject, rendered.text, rendered.html)


def send_digest(
    store: Store,
    caller: Caller,
    program_id: str,
    to: str,
    language: str = "en",
    settings: Settings | None = None,
) -> Digest:
    """Write last week's digest and send it to `to` now."""
    settings = settings or get_settings()
    if "@" not in to or " " in to.strip():
        raise InvalidInput("to", Text("%(email)s is not an e-mail address", email=repr(to)))
    digest = weekly_digest(store, caller, program_id, settings=settings)
    Mailer(settings).send(digest_mail(digest, to.strip(), language))
    return digest


def send_weekly_digests(store: Store, settings: Settings | None = None) -> int:
    """Send last week's digest of every program to each user who asked for it (once a
    week: a user already sent this week's is skipped); returns how many e-mails went."""
    settings = settings or get_settings()
    mailer = Mailer(settings)
    if not mailer.configured:
        log.info("weekly digests: no e-mail server is set up (ACCORD_SMTP_HOST)")
        return 0
    monday = last_monday(store.clock.now().date())
    programs = figures.watched_programs(store)
    sent = 0
    for org in sorted({p.organization_id for p in programs}):
        own = [p for p in programs if p.organization_id == org]
        caller = own[0].caller
        wanted = {uid: r for uid, r in _languages(store, org).items() if r.weekly}
        if not wanted:
            continue
        users = [u for u in list_users(store, caller) if u.id in wanted]
        due = [u for u in users if wanted[u.id].last_week_sent != monday]
        if not due:
            continue
        digests = [weekly_digest(store, caller, p.id, monday, settings) for p in own]
        for user in due:
            mails = [digest_mail(d, user.email, wanted[user.id].language) for d in digests]
            sent += mailer.send_many(mails)
            with store.unit() as session:
                session.execute(
                    update(ReportDigest)
                    .where(ReportDigest.user_id == user.id)
                    .values(last_week_sent=monday)
                )
    return sent


# alert e-mail -----------------------------------------------------------------------------
def managers(store: Store, caller: Caller) -> list[tuple[str, str]]:
    """The organization's owners and managers: (e-mail, language)."""
    prefs = _languages(store, caller.organization_id)
    return [
        (u.email, prefs[u.id].language if u.id in prefs else "en")
        for u in list_users(store, caller)
        if u.role in MANAGER_ROLES
    ]


def alert_mail(
    program: figures.WatchedProgram, alerts: list[AlertView], to: str, language: str, base: str
) -> Mail:
    link = f"{base}/console/reports/alerts?program={program.id}"
    rendered = render("alerts", language, program=program, alerts=alerts, link=link, model=model)
    return Mail((to,), rendered.subject, rendered.text, rendered.html)


def scan_and_tell(
    store: Store, day: date | None = None, settings: Settings | None = None
) -> dict[str, int]:
    """The daily pass: scan `day` (yesterday) of every program and e-mail each program's
    managers the alerts it added. Returns the alerts added per program."""
    settings = settings or get_settings()
    mailer = Mailer(settings)
    added: dict[str, int] = {}
    for program in figures.watched_programs(store):
        caller = program.caller
        try:
            new = scan(store, caller, program.id, day)
        except Exception:  # one program's trouble must not stop the others
            log.exception("monitoring: scanning program %s failed", program.id)
            continue
        added[program.id] = len(new)
        if not new or not mailer.configured:
            continue
        mails = [
            alert_mail(program, new, email, language, settings.base_url())
            for email, language in managers(store, caller)
        ]
        try:
            mailer.send_many(mails)
        except Exception:
            log.exception("monitoring: the alert e-mail of program %s was not sent", program.id)
    return added
