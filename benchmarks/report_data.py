"""A year of a large program's activity, made in DuckDB and loaded into an Accord store.

DuckDB makes the rows (`range()` and hashes: the same data on every run for the same
scale), keeps them as the baseline's tables, and streams them into the store's clicks,
conversions and commissions tables with plain INSERTs (the services would take hours for
twenty million clicks; what the reports read is the same rows). Partners are unequal on
purpose: a partner's share of traffic falls with its rank (a few carry most of it), some
are silent for months, and traffic rises around 双十一 and Black Friday.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb
from sqlalchemy import text

from accord.contracts.service import RuleSpec, create_contract
from accord.money import Money
from accord.programs.model import ProgramTerms
from accord.programs.service import create_program
from accord.store.engine import Store
from accord.tenancy.model import Caller, OrganizationKind
from accord.tenancy.service import authenticate, create_organization
from benchmarks.processes import log

START = datetime(2025, 12, 1, tzinfo=UTC)
DAYS = 365
PARTNERS = 2000
CLICKS = 20_000_000
CONVERSIONS = 1_000_000
TYPES = ("affiliate", "coupon", "cashback", "content", "influencer", "b2b_referral", "reseller")
BATCH = 50_000


@dataclass
class ReportData:
    store: Store
    caller: Caller
    program_id: str
    duck: duckdb.DuckDBPyConnection
    clicks: int
    conversions: int
    partners: int
    seconds_made: float
    seconds_loaded: float


def _make(duck: duckdb.DuckDBPyConnection, clicks: int, conversions: int, partners: int):
    """The rows, in DuckDB. A row's partner comes from inverting the cumulative weight of
    ranks weighted 1 / (rank + 10): the top tenth of partners carries about half of it."""
    start = START.replace(tzinfo=None)
    duck.execute(
        f"""
        CREATE TABLE partners AS
        SELECT i AS n, printf('prt_b%07d', i) AS id,
               ['{"','".join(TYPES)}'][1 + i % {len(TYPES)}] AS partner_type,
               i % 5 = 4 AS sleeper
        FROM range({partners}) t(i)
        """
    )
    # rank = floor((P+10)^u * 10^(1-u)) - 10 picks rank r with weight close to 1/(r+10).
    for name, count, salt in (("clicks", clicks, 1), ("conversions", conversions, 2)):
        duck.execute(
            f"""
            CREATE TABLE {name} AS
            WITH raw AS (
              SELECT i,
                     (hash(i * 2 + {salt}) % 1000000) / 1000000.0 AS u,
                     hash(i * 7 + {salt}) % {DAYS} AS base_day,
                     hash(i * 11 + {salt}) % 86400 AS second,
                     hash(i * 13 + {salt}) % 10 < 2 AS promo
              FROM range({count}) t(i)
            ), picked AS (
              SELECT i, second,
                     least({partners - 1}, greatest(0, CAST(floor(
                       pow({partners} + 10, u) * pow(10, 1 - u)) AS INTEGER) - 10)) AS n,
                     CASE WHEN promo THEN 340 - CAST(hash(i * 17) % 22 AS INTEGER)
                          ELSE CAST(base_day AS INTEGER) END AS day
              FROM raw
            )
            SELECT i, printf('prt_b%07d', n) AS partner_id,
                   TIMESTAMP '{start}' + to_days(day) + to_seconds(CAST(second AS BIGINT)) AS ts
            FROM picked
            WHERE NOT (n % 5 = 4 AND day BETWEEN 60 AND 300)
            """
        )
    duck.execute(
        """
        ALTER TABLE conversions ADD COLUMN amount_minor BIGINT;
        UPDATE conversions SET amount_minor = 1000 + CAST(hash(i * 19) % 49000 AS BIGINT);
        ALTER TABLE conversions ADD COLUMN repeat_buyer BOOLEAN;
        UPDATE conversions SET repeat_buyer = hash(i * 23) % 10 < 4;
        ALTER TABLE conversions ADD COLUMN reversed BOOLEAN;
        UPDATE conversions SET reversed = hash(i * 29) % 100 < 6;
        """
    )


def _brand(store: Store) -> tuple[Caller, str, str, str]:
    org = create_organization(store, OrganizationKind.BRAND, "Benchmark brand")
    caller = authenticate(store, org.api_key)
    program = create_program(
        store,
        caller,
        ProgramTerms(
            name="Benchmark program",
            currency="USD",
            default_landing_url="https://brand.example/",
            attribution_window_days=30,
            locking_days=30,
            payout_threshold=Money.of("0", "USD"),
        ),
    )
    contract = create_contract(
        store, caller, program.id, "Standard", [RuleSpec(event_type="sale", percent="10")],
        is_default=True,
    )  # fmt: skip
    with store.read() as session:
        version = session.execute(
            text("SELECT id FROM contract_versions WHERE contract_id = :c"), {"c": contract.id}
        ).scalar_one()
    return caller, program.id, org.organization_id, version


def _stream(duck, store: Store, query: str, insert: str, total: int, label: str) -> None:
    cursor = duck.execute(query)
    done = 0
    with store.engine.begin() as connection:
        while True:
            rows = cursor.fetchmany(BATCH)
            if not rows:
                break
            connection.exec_driver_sql(insert, rows)
            done += len(rows)
            if done % (BATCH * 20) == 0 or done == total:
                log(f"  {label}: {done:,} of {total:,} rows loaded")


def load(store: Store, *, scale: float = 1.0) -> ReportData:
    """Make the data at `scale` (1 = 20,000,000 clicks and 1,000,000 conversions over 2,000
    partners and a year) and load it into `store`."""
    clicks = max(1000, int(CLICKS * scale))
    conversions = max(100, int(CONVERSIONS * scale))
    partners = PARTNERS
    started = time.perf_counter()
    duck = duckdb.connect()
    _make(duck, clicks, conversions, partners)
    made = time.perf_counter() - started
    clicks = duck.execute("SELECT count(*) FROM clicks").fetchone()[0]
    conversions = duck.execute("SELECT count(*) FROM conversions").fetchone()[0]
    log(f"made {clicks:,} clicks and {conversions:,} conversions in DuckDB in {made:.1f}s")
    caller, program_id, org_id, version_id = _brand(store)
    started = time.perf_counter()
    now = "2026-12-01 00:00:00"
    _stream(
        duck,
        store,
        f"SELECT id, '{org_id}', 'Partner ' || n, partner_type, TIMESTAMP '{now}' FROM partners",
        "INSERT INTO partners (id, organization_id, name, partner_type, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        partners,
        "partners",
    )
    _stream(
        duck,
        store,
        f"SELECT 'enr_b' || n, '{program_id}', id, 'approved', TIMESTAMP '2025-11-01' "
        "FROM partners",
        "INSERT INTO enrollments (id, program_id, partner_id, status, applied_at) "
        "VALUES (?, ?, ?, ?, ?)",
        partners,
        "enrollments",
    )
    _stream(
        duck,
        store,
        f"SELECT printf('clk_b%09d', i), 'lnk_bench', '{program_id}', partner_id, "
        "strftime(ts, '%Y-%m-%d %H:%M:%S.000000'), hash(i) % 10 = 0 FROM clicks",
        "INSERT INTO clicks (id, link_id, program_id, partner_id, at, duplicate) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        clicks,
        "clicks",
    )
    _stream(
        duck,
        store,
        f"SELECT printf('cnv_b%09d', i), '{org_id}', '{program_id}', 'sale', "
        "printf('ORD-%09d', i), amount_minor, CASE WHEN reversed THEN amount_minor ELSE 0 END, "
        "'USD', amount_minor, CASE WHEN repeat_buyer THEN 'returning' ELSE 'new' END, 'reported', "
        "'api', strftime(ts, '%Y-%m-%d %H:%M:%S.000000'), "
        "strftime(ts, '%Y-%m-%d %H:%M:%S.000000'), "
        "CASE WHEN reversed THEN 'reversed' ELSE 'attributed' END, partner_id, "
        "'last_click_in_window', 'bench', '{}' FROM conversions",
        "INSERT INTO conversions (id, organization_id, program_id, event_type, order_id, "
        "amount_minor, reversed_minor, currency, program_amount_minor, customer_status, "
        "customer_status_source, source, occurred_at, received_at, status, partner_id, "
        "attribution_reason, request_hash, request) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        conversions,
        "conversions",
    )
    _stream(
        duck,
        store,
        f"SELECT printf('com_b%09d', i), '{org_id}', '{program_id}', partner_id, 'conversion', "
        f"printf('cnv_b%09d', i), '{version_id}', 'sale', amount_minor, amount_minor // 10, "
        "CAST(strftime(ts, '%Y%m') AS INTEGER), CAST(strftime(ts, '%Y%m%d') AS INTEGER), "
        "CASE WHEN reversed THEN 'reversed' ELSE 'pending' END, "
        "CASE WHEN reversed THEN 0 ELSE amount_minor // 10 END, amount_minor // 10, 'USD', "
        "'{}', strftime(ts, '%Y-%m-%d %H:%M:%S.000000'), "
        "strftime(ts, '%Y-%m-%d %H:%M:%S.000000'), "
        "strftime(ts + INTERVAL 30 DAY, '%Y-%m-%d %H:%M:%S.000000'), 1 FROM conversions",
        "INSERT INTO commissions (id, organization_id, program_id, partner_id, kind, "
        "conversion_id, contract_version_id, event_type, basis_minor, gross_minor, month_key, "
        "day_key, status, amount_minor, original_minor, currency, explanation, occurred_at, "
        "created_at, lock_due_at, version) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        conversions,
        "commissions",
    )
    loaded = time.perf_counter() - started
    log(f"loaded into the store in {loaded:.1f}s")
    return ReportData(store, caller, program_id, duck, clicks, conversions, partners, made, loaded)


def year() -> tuple[datetime, datetime]:
    return START, START + timedelta(days=DAYS)
