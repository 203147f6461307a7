"""Lead scoring measured: the daily pass over a brand of N people with 20 activities each
(1,000,000 people and 20,000,000 activities by default), beside a plain `GROUP BY` over the
activity log in the same database and run (the cost of merely reading every activity once).

Three figures:
- **baseline**: `SELECT contact_id, count(*) FROM lead_activities GROUP BY contact_id`;
- **rebuild**: what a change of the behaviour rules costs: every weight again from the log
  (one INSERT ... SELECT ... GROUP BY), then the scores, the trigger and the re-arming;
- **daily pass**: a day later, every score decayed to now with the trigger (no activity read);
  the first day after a rebuild and the day after that are shown apart, since the rebuild's
  rewrite of every contact leaves old row versions the first pass still meets.

A sample of contacts is then scored again from its activity log in Python
(`model.behaviour`, the definition) and compared with what the pass stored.

`./run bench --only scoring [--people N] [--no-postgres]`. Nothing is asserted on a time.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from accord.clock import FixedClock
from accord.leads.model import DEFAULT_RULES, Done, Scoring, behaviour
from accord.leads.scoring import locked_settings, score_brand
from accord.leads.tables import Activity, Contact
from accord.store.engine import Store, open_store
from accord.tenancy.model import OrganizationKind
from accord.tenancy.service import create_organization

#: What the generated activities are, with how often each comes (a page view most).
KINDS = [r.activity for r in DEFAULT_RULES] + ["unscored_thing"]
CHANNELS = ["web", "email", "wechat", "event", None]
NOW = datetime(2026, 12, 1, 2, 37, tzinfo=UTC)
SAMPLE = 300


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


#: The activity log's indexes, dropped while it is generated and made again after (faster
#: than keeping them up to date row by row; the pass is measured on the finished table).
INDEXES = {
    "ix_lead_activities_contact_at": "contact_id, at",
    "ix_lead_activities_origin": "origin_contact_id",
    "ix_lead_activities_org_at": "organization_id, at",
}


def _without_indexes(conn) -> None:
    for name in INDEXES:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")


def _with_indexes(conn) -> None:
    for name, columns in INDEXES.items():
        conn.exec_driver_sql(f"CREATE INDEX {name} ON lead_activities ({columns})")
    _log("  indexes made")


def _fill_sqlite(store: Store, org: str, people: int, per: int) -> None:
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            f"""INSERT INTO contacts (id, organization_id, stage, behaviour, fit, armed,
                created_at, updated_at, company, title)
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {people - 1})
            SELECT printf('ct_%010d', i), '{org}', 'new', 0, 0, 1,
                '2025-12-01 00:00:00.000000', '2025-12-01 00:00:00.000000',
                CASE WHEN i % 3 = 0 THEN 'Company ' || (i % 997) END,
                CASE WHEN i % 5 = 0 THEN 'Director' END
            FROM n"""
        )
        _log(f"  {people:,} contacts written")
        _without_indexes(conn)
        # each activity's contact, kind, channel and age come from a multiplicative hash of
        # its number, so that a contact's activities are scattered over the log and a year
        conn.exec_driver_sql(
            f"""INSERT INTO lead_activities (id, organization_id, contact_id,
                origin_contact_id, type, channel, at, received_at)
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n
                                    WHERE i < {people * per - 1})
            SELECT printf('act_%011d', i), '{org}', printf('ct_%010d', (i * 7919) % {people}),
                printf('ct_%010d', (i * 7919) % {people}),
                json_extract('[{",".join(f'"{k}"' for k in KINDS)}]',
                             '$[' || ((i / {people} * 5 + i % 11) % {len(KINDS)}) || ']'),
                CASE (i / {people}) % 5 WHEN 0 THEN 'web' WHEN 1 THEN 'email'
                    WHEN 2 THEN 'wechat' WHEN 3 THEN 'event' END,
                strftime('%Y-%m-%d %H:%M:%f000', '2026-12-01',
                         '-' || ((i * 104729) % 31536000) || ' seconds'),
                '2026-12-01 00:00:00.000000'
            FROM n"""
        )
        _log(f"  {people * per:,} activities written")
        _with_indexes(conn)
        conn.exec_driver_sql("ANALYZE")  # as `PRAGMA optimize` leaves a long-lived database


def _fill_postgres(store: Store, org: str, people: int, per: int) -> None:
    kinds = "ARRAY[" + ",".join(f"'{k}'" for k in KINDS) + "]"
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            f"""INSERT INTO contacts (id, organization_id, stage, behaviour, fit, armed,
                created_at, updated_at, company, title)
            SELECT 'ct_' || lpad(i::text, 10, '0'), '{org}', 'new', 0, 0, true,
                timestamptz '2025-12-01', timestamptz '2025-12-01',
                CASE WHEN mod(i, 3) = 0 THEN 'Company ' || mod(i, 997) END,
                CASE WHEN mod(i, 5) = 0 THEN 'Director' END
            FROM generate_series(0::bigint, {people - 1}::bigint) i"""
        )
        _log(f"  {people:,} contacts written")
        _without_indexes(conn)
        conn.exec_driver_sql(
            f"""INSERT INTO lead_activities (id, organization_id, contact_id,
                origin_contact_id, type, channel, at, received_at)
            SELECT 'act_' || lpad(i::text, 11, '0'), '{org}',
                'ct_' || lpad(mod(i * 7919, {people})::text, 10, '0'),
                'ct_' || lpad(mod(i * 7919, {people})::text, 10, '0'),
                ({kinds})[mod(i / {people} * 5 + mod(i, 11), {len(KINDS)}) + 1],
                (ARRAY['web', 'email', 'wechat', 'event', NULL])[mod(i / {people}, 5) + 1],
                timestamptz '2026-12-01' - make_interval(secs => mod(i * 104729, 31536000)),
                timestamptz '2026-12-01'
            FROM generate_series(0::bigint, {people * per - 1}::bigint) i"""
        )
        _log(f"  {people * per:,} activities written")
        _with_indexes(conn)
        conn.exec_driver_sql("ANALYZE contacts")
        conn.exec_driver_sql("ANALYZE lead_activities")


def _baseline(store: Store) -> float:
    """A plain GROUP BY of the whole log by contact (the one brand's), counting rows."""
    started = time.perf_counter()
    with store.read() as session:
        session.execute(
            select(func.count()).select_from(
                select(Activity.contact_id, func.count()).group_by(Activity.contact_id).subquery()
            )
        ).scalar()
    return time.perf_counter() - started


def _check(store: Store, org: str) -> tuple[int, int]:
    """(agreeing, sampled): a sample's stored score against the activity log's."""
    with store.read() as session:
        ids = list(
            session.scalars(
                select(Contact.id)
                .where(Contact.organization_id == org)
                .order_by(Contact.id)
                .limit(SAMPLE)
            )
        )
        stored = dict(session.execute(select(Contact.id, Contact.behaviour).where(
            Contact.id.in_(ids))).all())  # fmt: skip
        log: dict[str, list[Done]] = {i: [] for i in ids}
        for contact_id, kind, channel, at in session.execute(
            select(Activity.contact_id, Activity.type, Activity.channel, Activity.at).where(
                Activity.contact_id.in_(ids)
            )
        ):
            log[contact_id].append(Done(kind, channel, at))
    now = store.clock.now()
    agree = sum(int(behaviour(log[i], Scoring(), now).score == stored[i]) for i in ids)
    return agree, len(ids)


def measure(url: str, people: int, per: int) -> dict[str, Any]:
    clock = FixedClock(NOW)
    store = open_store(url=url, clock=clock)
    org = create_organization(store, OrganizationKind.BRAND, "Scoring bench").organization_id
    with store.unit() as session:
        locked_settings(session, org, clock.now())
    _log(f"  generating {people:,} people and {people * per:,} activities...")
    started = time.perf_counter()
    if store.engine.dialect.name == "postgresql":
        _fill_postgres(store, org, people, per)
    else:
        _fill_sqlite(store, org, people, per)
    generated = time.perf_counter() - started
    _log(f"  generated in {generated:.0f} s; baseline GROUP BY...")
    baseline = _baseline(store)
    baseline = min(baseline, _baseline(store))  # the second read, as warm as the pass's
    with store.engine.begin() as conn:  # as a rules change leaves it: the weights are stale
        conn.execute(text("UPDATE lead_settings SET scored_with = 'changed'"))
    _log("  rebuild from the log...")
    started = time.perf_counter()
    rebuilt = score_brand(store, org)
    rebuild = time.perf_counter() - started
    passes = []
    for day in (1, 2):
        clock.advance(timedelta(days=1))
        _log(f"  daily pass, day {day}...")
        started = time.perf_counter()
        daily = score_brand(store, org)
        passes.append(time.perf_counter() - started)
    agree, sampled = _check(store, org)
    store.engine.dispose()
    return {
        "people": people, "activities": people * per, "generate_seconds": generated,
        "baseline_seconds": baseline, "rebuild_seconds": rebuild, "weights": rebuilt.rebuilt,
        "first_daily_seconds": passes[0], "daily_seconds": passes[1], "scored": daily.contacts,
        "qualified": rebuilt.qualified + daily.qualified, "agree": agree, "sampled": sampled,
    }  # fmt: skip


def run_scoring(people: int, postgres: str | None, per: int = 20) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="accord-scoring-") as folder:
        _log("scoring on SQLite")
        out["sqlite"] = measure(f"sqlite:///{Path(folder) / 'leads.db'}", people, per)
    if postgres:
        from benchmarks.stores import postgres_unreachable, temp_postgres

        problem = postgres_unreachable(postgres)
        if problem:
            _log(f"  PostgreSQL skipped: {problem}")
        else:
            _log("scoring on PostgreSQL")
            with temp_postgres(postgres) as url:
                out["postgresql"] = measure(url, people, per)
    return out


def render(data: dict[str, Any]) -> str:
    lines = ["Lead scoring: the daily pass against a plain GROUP BY over the activity log", ""]
    for backend, d in data.items():
        base = d["baseline_seconds"]
        lines.append(f"  {backend}: {d['people']:,} people, {d['activities']:,} activities")
        lines.append(f"    GROUP BY baseline     {base:8.2f} s")
        lines.append(f"    rebuild from the log  {d['rebuild_seconds']:8.2f} s   "
                     f"{d['rebuild_seconds'] / base:5.2f}x baseline  "
                     f"({d['weights']:,} weights)")  # fmt: skip
        lines.append(f"    first daily pass      {d['first_daily_seconds']:8.2f} s   "
                     f"{d['first_daily_seconds'] / base:5.2f}x baseline  "
                     "(the day after the rebuild rewrote every contact)")  # fmt: skip
        lines.append(f"    daily pass            {d['daily_seconds']:8.2f} s   "
                     f"{d['daily_seconds'] / base:5.2f}x baseline  "
                     f"({d['scored']:,} scored, {d['qualified']:,} became MQLs)")  # fmt: skip
        lines.append(f"    sample against the log: {d['agree']} of {d['sampled']} scores agree")
        lines.append("")
    return "\n".join(lines)
