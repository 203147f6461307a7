"""Use cases for links, promo codes and clicks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from accord.errors import Conflict, Forbidden, InvalidInput, NotFound, Text
from accord.events.model import ClicksStored
from accord.events.service import record_many
from accord.ids import new_id, short_code
from accord.partners.model import EnrollmentStatus
from accord.partners.service import load_enrollment
from accord.programs.model import check_url
from accord.programs.service import load_program
from accord.programs.tables import Program
from accord.protect.clicks import score_clicks
from accord.store.engine import Store
from accord.store.memo import remember, remembered
from accord.store.paging import Slice, read_page
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand
from accord.tracking.model import LinkTarget, check_link_code, normalize_promo_code
from accord.tracking.tables import Click, Identity, Impression, Link, PromoCode

EVENT_TABLES = {"click": Click.__table__, "impression": Impression.__table__}
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"


def _partner_for(session: Session, caller: Caller, program_id: str, partner_id: str | None) -> str:
    """The partner a link or code is for: the caller itself, or one the brand names."""
    if not caller.is_brand:
        if partner_id not in (None, caller.partner_id):
            raise Forbidden("a partner can create links only for itself", field="partner_id")
        partner_id = caller.partner_id
    if partner_id is None:
        raise InvalidInput("partner_id", "is required")
    enrollment = load_enrollment(session, program_id, partner_id)
    if enrollment is None:
        raise NotFound("partner", partner_id, field="partner_id")
    if enrollment.status != EnrollmentStatus.APPROVED:
        raise Conflict(
            Text(
                "partner %(partner)s is %(status)s in this program, not approved",
                partner=partner_id,
                status=enrollment.status,
            )
        )
    return partner_id


def create_link(
    store: Store,
    caller: Caller,
    program_id: str,
    *,
    partner_id: str | None = None,
    destination_url: str | None = None,
    code: str | None = None,
    expires_at: datetime | None = None,
) -> Link:
    """A tracking link; without a destination it lands on the program's default page."""
    with store.unit() as session:
        program = load_program(session, caller, program_id)
        partner = _partner_for(session, caller, program.id, partner_id)
        destination = (
            on_program_sites(program, check_url(destination_url, "destination_url"))
            if destination_url
            else (program.default_landing_url)
        )
        if code is not None:
            check_link_code(code)
            if session.scalar(select(Link.id).where(Link.code == code)):
                raise Conflict(Text("link code %(code)s is taken; choose another", code=repr(code)))
        link = Link(
            id=new_id("lnk"),
            code=code or short_code(8),
            program_id=program.id,
            partner_id=partner,
            destination_url=destination,
            active=True,
            expires_at=expires_at,
            created_at=store.clock.now(),
        )
        if expires_at is not None and expires_at <= link.created_at:
            raise InvalidInput("expires_at", "must be in the future")
        session.add(link)
    return link


def on_program_sites(program, url: str, field: str = "destination_url") -> str:
    """A link may only lead to the program's own sites: its landing page's host or a
    permitted domain. Otherwise the brand's tracking domain would redirect anywhere a
    partner liked (an open redirect, and a phishing tool)."""
    from urllib.parse import urlsplit

    from accord.tracking.model import host_permitted

    host = urlsplit(url).hostname or ""
    sites = (
        urlsplit(program.default_landing_url).hostname or "",
        *(program.permitted_domains or ()),
    )
    if not host_permitted(host, tuple(s for s in sites if s)):
        raise InvalidInput(
            field,
            Text(
                "%(host)s is not one of the program's sites (%(sites)s); "
                "the brand adds it to the program's permitted_domains first",
                host=repr(host),
                sites=", ".join(s for s in sites if s),
            ),
        )
    return url


def create_promo_code(
    store: Store, caller: Caller, program_id: str, code: str, *, partner_id: str | None = None
) -> PromoCode:
    """A promo code that credits its partner when used on an order without a qualifying click."""
    require_brand(caller)
    with store.unit() as session:
        program = load_program(session, caller, program_id)
        partner = _partner_for(session, caller, program.id, partner_id)
        normalized = normalize_promo_code(code, "code")
        taken = session.scalar(
            select(PromoCode.id).where(
                PromoCode.program_id == program.id, PromoCode.code == normalized
            )
        )
        if taken:
            raise Conflict(
                Text("promo code %(code)s already exists in this program", code=repr(normalized))
            )
        promo = PromoCode(
            id=new_id("pmc"),
            program_id=program.id,
            partner_id=partner,
            code=normalized,
            active=True,
            created_at=store.clock.now(),
        )
        session.add(promo)
    return promo


def _target_query():
    return select(
        Link.code,
        Link.id,
        Link.program_id,
        Link.partner_id,
        Link.destination_url,
        Program.click_id_param,
        Program.default_landing_url,
        Program.permitted_domains,
        Program.duplicate_click_seconds,
        Link.expires_at,
    ).join(Program, Program.id == Link.program_id)


def _target(row) -> LinkTarget:
    _code, link_id, program_id, partner_id, dest, param, landing, domains, dup, expires = row
    return LinkTarget(
        link_id, program_id, partner_id, dest, param, landing, tuple(domains or ()), dup, expires
    )


def link_target(session: Session, code: str) -> LinkTarget | None:
    """Resolve a link code for the click edge (active links only)."""
    row = session.execute(_target_query().where(Link.code == code, Link.active)).first()
    return _target(row) if row else None


def all_link_targets(store: Store) -> dict[str, LinkTarget]:
    """Every active link, for warming the edge's in-memory cache."""
    with store.read() as session:
        rows = session.execute(_target_query().where(Link.active))
        return {row[0]: _target(row) for row in rows}


def record_events(store: Store, rows: Sequence[tuple[str, dict[str, Any]]]) -> int:
    """Append a batch of clicks and impressions in one transaction (the edge's group commit).

    Inserting an id that is already stored does nothing, so a batch replayed after a crash
    is counted once. The rows go to the driver's executemany as plain tuples: this runs
    for every click, and building SQLAlchemy parameters cost more than SQLite's own work.
    """
    if not rows:
        return 0
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for kind, row in rows:
        by_kind.setdefault(kind, []).append(row)
    sqlite = store.dialect == "sqlite"
    mark = "?" if sqlite else "%s"
    with store.unit() as session:
        score_clicks(session, by_kind.get("click", ()))
        connection = session.connection()
        for kind, batch in by_kind.items():
            # every key any row has (the native edge's rows lack some of Python's)
            columns = list(dict.fromkeys(name for row in batch for name in row))
            statement = (
                f"INSERT INTO {EVENT_TABLES[kind].name} ({', '.join(columns)}) "
                f"VALUES ({', '.join([mark] * len(columns))}) ON CONFLICT (id) DO NOTHING"
            )
            at = columns.index("at")
            values = []
            for row in batch:
                record = [row.get(name) for name in columns]
                if sqlite:  # the text form SQLAlchemy's UTCDateTime reads back
                    record[at] = record[at].astimezone(UTC).strftime(SQLITE_TIME)
                values.append(tuple(record))
            connection.exec_driver_sql(statement, values)
        record_many(session, _stored(session, by_kind, store.clock.now()))
    return len(rows)


def _stored(
    session: Session, by_kind: dict[str, list[dict[str, Any]]], now: datetime
) -> list[ClicksStored]:
    """One `clicks.stored` event per program of the batch, naming its clicks and impressions."""
    ids: dict[str, dict[str, list[str]]] = {}
    for kind, batch in by_kind.items():
        for row in batch:
            ids.setdefault(row["program_id"], {}).setdefault(kind, []).append(row["id"])
    query = select(Program.id, Program.organization_id).where(Program.id.in_(list(ids)))
    owners: dict[str, str] = dict(session.execute(query).all())
    return [
        ClicksStored(
            organization_id=owners[program_id],
            program_id=program_id,
            occurred_at=now,
            click_ids=tuple(found.get("click", ())),
            impression_ids=tuple(found.get("impression", ())),
        )
        for program_id, found in ids.items()
        if program_id in owners
    ]


def record_clicks(store: Store, clicks: Sequence[dict[str, Any]]) -> int:
    """Append a batch of clicks (see record_events)."""
    return record_events(store, [("click", c) for c in clicks])


def find_click(session: Session, program_id: str, click_id: str) -> Click | None:
    return remembered(
        session,
        "click",
        (program_id, click_id),
        lambda: session.scalar(
            select(Click).where(Click.id == click_id, Click.program_id == program_id)
        ),
    )


def prefetch_clicks(session: Session, program_id: str, click_ids: Iterable[str]) -> None:
    """Find many clicks with one query, for `find_click` inside `memoized(session)`."""
    wanted = sorted(set(click_ids))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found = {
            click.id: click
            for click in session.scalars(
                select(Click).where(Click.program_id == program_id, Click.id.in_(chunk))
            )
        }
        remember(session, "click", {(program_id, cid): found.get(cid) for cid in chunk})


def promo_codes_taken(session: Session, program_id: str, codes: Sequence[str]) -> set[str]:
    """Which of these (normalized) codes the program's promo codes already use."""
    taken: set[str] = set()
    for at in range(0, len(codes), 500):
        chunk = list(codes[at : at + 500])
        taken.update(
            session.scalars(
                select(PromoCode.code).where(
                    PromoCode.program_id == program_id, PromoCode.code.in_(chunk)
                )
            )
        )
    return taken


def give_promo_code(session: Session, program_id: str, partner_id: str, code: str, now):
    """A (normalized) code becomes the partner's promo code in the program, in the caller's
    unit of work (a code a partner took from a pool); Conflict if the program uses it."""
    if promo_codes_taken(session, program_id, [code]):
        raise Conflict(Text("promo code %(code)s already exists in this program", code=repr(code)))
    promo = PromoCode(id=new_id("pmc"), program_id=program_id, partner_id=partner_id,
                      code=code, active=True, created_at=now)  # fmt: skip
    session.add(promo)
    session.flush()
    return promo


def find_promo_code(session: Session, program_id: str, code: str) -> PromoCode | None:
    return session.scalar(
        select(PromoCode).where(
            PromoCode.program_id == program_id, PromoCode.code == code, PromoCode.active
        )
    )


def click_row(
    target: LinkTarget,
    click_id: str,
    at: datetime,
    ip: str | None,
    user_agent: str | None,
    referrer: str | None,
    *,
    destination_url: str | None = None,
    subs: dict[str, str | None] | None = None,
    duplicate: bool = False,
    fetch_dest: str | None = None,
) -> dict[str, Any]:
    """A click as the clicks table stores it."""
    subs = subs or {}
    return {
        "id": click_id,
        "link_id": target.link_id,
        "program_id": target.program_id,
        "partner_id": target.partner_id,
        "at": at,
        "ip": ip,
        "user_agent": user_agent[:512] if user_agent else None,
        "referrer": referrer[:2000] if referrer else None,
        "destination_url": (destination_url or target.destination_url)[:2000],
        "sub1": subs.get("sub1"),
        "sub2": subs.get("sub2"),
        "sub3": subs.get("sub3"),
        "sub4": subs.get("sub4"),
        "sub5": subs.get("sub5"),
        "duplicate": duplicate,
        "fetch_dest": fetch_dest[:16] if fetch_dest else None,
    }


def impression_row(
    target: LinkTarget,
    impression_id: str,
    at: datetime,
    ip: str | None,
    user_agent: str | None,
    sub1: str | None,
) -> dict[str, Any]:
    """An impression as the impressions table stores it."""
    return {
        "id": impression_id,
        "link_id": target.link_id,
        "program_id": target.program_id,
        "partner_id": target.partner_id,
        "at": at,
        "ip": ip,
        "user_agent": user_agent[:512] if user_agent else None,
        "sub1": sub1,
    }


def remember_identities(
    session: Session, program_id: str, identities: dict[str, str], click: Click
) -> None:
    """Record that these device or WeChat ids came with this click (the latest click wins)."""
    build = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for kind, value in identities.items():
        statement = build(Identity.__table__).values(
            id=new_id("idn"),
            program_id=program_id,
            kind=kind,
            value=value,
            click_id=click.id,
            partner_id=click.partner_id,
            seen_at=click.at,
        )
        statement = statement.on_conflict_do_update(
            index_elements=["program_id", "kind", "value"],
            set_={"click_id": click.id, "partner_id": click.partner_id, "seen_at": click.at},
            where=Identity.__table__.c.seen_at <= click.at,
        )
        session.execute(statement)


def click_for_identities(
    session: Session, program_id: str, identities: dict[str, str]
) -> Click | None:
    """The latest click any of these identities was seen with, if any."""
    if not identities:
        return None

    match = or_(*(and_(Identity.kind == k, Identity.value == v) for k, v in identities.items()))
    click_id = session.scalar(
        select(Identity.click_id)
        .where(Identity.program_id == program_id, match)
        .order_by(Identity.seen_at.desc())
        .limit(1)
    )
    return find_click(session, program_id, click_id) if click_id else None


def clicks_for_identities(
    session: Session, program_id: str, identities: dict[str, str]
) -> list[tuple[str, Click]]:
    """The latest click each of these identities was seen with, with the identity's kind."""
    if not identities:
        return []
    match = or_(*(and_(Identity.kind == k, Identity.value == v) for k, v in identities.items()))
    rows = session.execute(
        select(Identity.kind, Click)
        .join(Click, Click.id == Identity.click_id)
        .where(Identity.program_id == program_id, Click.program_id == program_id, match)
        .order_by(Click.at, Click.id)
    ).all()
    return [(kind, click) for kind, click in rows]


def impressions_seen(
    session: Session,
    program_id: str,
    ip: str,
    user_agent: str | None,
    since: datetime,
    until: datetime,
    limit: int = 50,
) -> list[Impression]:
    """The latest impressions (at most `limit`, oldest first) seen from this IP address (and
    browser, when known) between `since` and `until`."""
    query = select(Impression).where(
        Impression.program_id == program_id,
        Impression.ip == ip,
        Impression.at >= since,
        Impression.at <= until,
    )
    if user_agent:
        query = query.where(Impression.user_agent == user_agent[:512])
    latest = session.scalars(
        query.order_by(Impression.at.desc(), Impression.id.desc()).limit(limit)
    ).all()
    return list(reversed(latest))


def _visible_to(caller: Caller, model: type[Link] | type[PromoCode]):
    """Links or codes the caller may see: those of the brand's programs, or a partner's own."""
    if caller.is_brand:
        return (
            select(model)
            .join(Program, Program.id == model.program_id)
            .where(Program.organization_id == caller.organization_id)
        )
    return select(model).where(model.partner_id == caller.partner_id)


def links_page(
    store: Store,
    caller: Caller,
    *,
    limit: int,
    starting_after: str | None = None,
    program_id: str | None = None,
    partner_id: str | None = None,
) -> Slice[Link]:
    """A page of links, oldest first: the brand's programs' links, or a partner's own."""
    query = _visible_to(caller, Link)
    if program_id:
        query = query.where(Link.program_id == program_id)
    if partner_id:
        query = query.where(Link.partner_id == partner_id)
    return read_page(store, query, Link.id, limit, starting_after)


def promo_codes_page(
    store: Store,
    caller: Caller,
    *,
    limit: int,
    starting_after: str | None = None,
    program_id: str | None = None,
) -> Slice[PromoCode]:
    """A page of promo codes, oldest first: the brand's programs' codes, or a partner's own."""
    query = _visible_to(caller, PromoCode)
    if program_id:
        query = query.where(PromoCode.program_id == program_id)
    return read_page(store, query, PromoCode.id, limit, starting_after)


def impressions_from(
    session: Session, program_id: str, ips: list[str], since: datetime, until: datetime
) -> list[Impression]:
    """Every impression seen from these IP addresses between `since` and `until`, oldest
    first: one query for a batch of conversions."""
    if not ips:
        return []
    return list(
        session.scalars(
            select(Impression)
            .where(
                Impression.program_id == program_id,
                Impression.ip.in_(sorted(set(ips))),
                Impression.at >= since,
                Impression.at <= until,
            )
            .order_by(Impression.at, Impression.id)
        )
    )


# reads for the console and the portal -------------------------------------------------------
def _links_of(program_id: str, needle: str, partner_ids: Iterable[str]):
    query = select(Link).where(Link.program_id == program_id)
    if needle:
        query = query.where(Link.code.contains(needle) | Link.partner_id.in_(list(partner_ids)))
    return query.order_by(Link.created_at.desc(), Link.id.desc())


def program_links(
    store: Store,
    caller: Caller,
    program_id: str,
    *,
    search: str = "",
    partner_ids: Iterable[str] = (),
    page: int = 1,
    limit: int = 50,
) -> tuple[list[Link], bool]:
    """A page of a brand's links in a program, newest first; with a search, those whose
    code holds it or whose partner is one of `partner_ids` (the partners it names); and
    whether another page follows."""
    with store.read() as session:
        program = load_program(session, caller, program_id)
        query = _links_of(program.id, search.strip(), partner_ids)
        rows = list(session.scalars(query.offset((page - 1) * limit).limit(limit + 1)))
    return rows[:limit], len(rows) > limit


def all_program_links(
    store: Store,
    caller: Caller,
    program_id: str,
    *,
    search: str = "",
    partner_ids: Iterable[str] = (),
) -> list[Link]:
    """Every link of a brand's program (or of the search), newest first, for an export."""
    with store.read() as session:
        program = load_program(session, caller, program_id)
        return list(session.scalars(_links_of(program.id, search.strip(), partner_ids)))


def program_codes(
    store: Store,
    caller: Caller,
    program_id: str,
    *,
    search: str = "",
    partner_ids: Iterable[str] = (),
    limit: int = 50,
) -> list[PromoCode]:
    """A brand's promo codes in a program by code; with a search, those whose code holds it
    or whose partner is one of `partner_ids`."""
    needle = search.strip()
    with store.read() as session:
        program = load_program(session, caller, program_id)
        query = select(PromoCode).where(PromoCode.program_id == program.id)
        if needle:
            query = query.where(
                PromoCode.code.contains(needle.upper())
                | PromoCode.partner_id.in_(list(partner_ids))
            )
        return list(session.scalars(query.order_by(PromoCode.code).limit(limit)))


def partner_links(
    store: Store, caller: Caller, program_id: str, partner_id: str, *, limit: int | None = None
) -> list[Link]:
    """A partner's links in a program, newest first (a partner sees only its own)."""
    if not caller.is_brand and partner_id != caller.partner_id:
        raise NotFound("partner", partner_id, field="partner_id")
    with store.read() as session:
        program = load_program(session, caller, program_id)
        query = (
            select(Link)
            .where(Link.program_id == program.id, Link.partner_id == partner_id)
            .order_by(Link.created_at.desc())
        )
        if limit is not None:
            query = query.limit(limit)
        return list(session.scalars(query))


def partner_codes(store: Store, caller: Caller, program_id: str, partner_id: str) -> list:
    """A partner's promo codes in a program, by code (a partner sees only its own)."""
    if not caller.is_brand and partner_id != caller.partner_id:
        raise NotFound("partner", partner_id, field="partner_id")
    with store.read() as session:
        program = load_program(session, caller, program_id)
        return list(
            session.scalars(
                select(PromoCode)
                .where(PromoCode.program_id == program.id, PromoCode.partner_id == partner_id)
                .order_by(PromoCode.code)
            )
        )


def target_of(store: Store, code: str) -> LinkTarget | None:
    """Where an active link leads (its program's sites, for deep links)."""
    with store.read() as session:
        return link_target(session, code)


def partner_clicks(store: Store, caller: Caller, program_id: str) -> tuple[int, int]:
    """The calling partner's clicks in a program: all of them, and the unique ones."""
    with store.read() as session:
        total, unique = session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((Click.duplicate.is_(False), 1), else_=0)), 0),
            ).where(Click.program_id == program_id, Click.partner_id == caller.partner_id)
        ).one()
    return int(total), int(unique)


def click_judgements(session: Session, program_id: str) -> dict[str, tuple[bool, str | None]]:
    """Every click of the program: (judged invalid?, the click rules that fired), by id."""
    rows = session.execute(
        select(Click.id, Click.invalid, Click.risk_reasons).where(Click.program_id == program_id)
    )
    return {click_id: (bool(invalid), reasons) for click_id, invalid, reasons in rows}


def clicks_with_sub_id(program_id: str, needle: str):
    """The ids of a program's clicks whose sub-ids (any of the five) hold `needle`, as a
    subquery for a search of what those clicks led to."""
    subs = (Click.sub1, Click.sub2, Click.sub3, Click.sub4, Click.sub5)
    return select(Click.id).where(
        Click.program_id == program_id, or_(*(column.icontains(needle) for column in subs))
    )


def click_sub_ids(session: Session, partner_id: str, click_ids) -> dict[str, tuple]:
    """The five sub-ids of a partner's clicks, by click id (other partners' clicks are left
    out)."""
    wanted = sorted({c for c in click_ids if c})
    if not wanted:
        return {}
    rows = session.execute(
        select(Click.id, Click.sub1, Click.sub2, Click.sub3, Click.sub4, Click.sub5).where(
            Click.id.in_(wanted), Click.partner_id == partner_id
        )
    )
    return {click_id: tuple(subs) for click_id, *subs in rows}
