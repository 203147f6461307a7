"""Schemathesis over the whole OpenAPI document: every operation, against the real ASGI
application on a store with a seeded world, must never answer 5xx and must answer only what
its OpenAPI entry documents (status codes, content types and JSON schemas).

How it runs:

- The schema is the one the application serves at `/openapi.json`.
- Each operation gets its own test, on each backend. Cases mix Schemathesis's positive
  generation (data the schema allows) and negative generation (data it refuses). Path
  parameters are replaced by ids of the seeded world (a brand with a program, contracts, a
  contract version, partners, a link, a promo code, conversions, commissions, a payout batch,
  a postback endpoint, an inquiry, a spare API key; another brand's ids too) in most cases,
  so that generation gets past 404s into the routes' real work.
- Each case is sent with the brand's key most of the time, else with a partner's key,
  another brand's key, a revoked key, a malformed one or none (401/403/404 paths).
- Generation is derandomized (a fixed seed per operation): the same cases every run.
- Every failure is collected instead of shrunk, and the test of the operation fails at the
  end listing them all with a curl line to reproduce each.
- SQLite runs `SQLITE_EXAMPLES` cases per operation and PostgreSQL `POSTGRES_EXAMPLES`;
  `ACCORD_SCHEMATHESIS_EXAMPLES=N` sets both (a longer campaign: e.g. 1000). The terminal
  summary prints the operations, the cases, their answers by status class and the 5xx count.

Rate limits are off: the campaign sends thousands of requests a minute with one key.
"""

from __future__ import annotations

import os
import time
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

from accord.api.app import create_api
from accord.clock import FixedClock
from accord.server import AccordApp
from accord.settings import Settings
from accord.store.engine import Store
from tests.api.support import API, bearer, click_through, sale
from tests.conftest import START
from tests.factories import add_partner, make_brand

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

#: Files the API takes as they are (a content item's PDF or deck): sent as generated.
FILE_TYPES = (
    "application/pdf",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
)


@schemathesis.serializer(*FILE_TYPES)
def _file_body(ctx, value) -> dict:
    data = value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")
    return {"data": data}


SQLITE_EXAMPLES = 40
POSTGRES_EXAMPLES = 12
#: Schemathesis's coverage cases (boundary values, missing and mistyped fields, each
#: schema keyword broken in turn) per operation, spread evenly over all of them; SQLite only.
SQLITE_COVERAGE = 30
_OVERRIDE = int(os.environ.get("ACCORD_SCHEMATHESIS_EXAMPLES", "0") or 0)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
#: Out of 20 cases: whose key each case carries.
WHO = ["brand"] * 13 + ["partner"] * 3 + ["other_brand", "revoked", "malformed", "none"]
#: Out of 10 cases: how many get the seeded world's ids in their path (the rest keep
#: generated ones, which must be 404 or 422, never 5xx).
KNOWN_IDS = 7


def _settings(tmp) -> Settings:
    return Settings(
        data_dir=tmp,
        spool=False,
        rate_limits=False,
        # Postback URLs are checked by resolving their host; no DNS in the campaign.
        postback_allow_private=True,
        paypal_client_id=None,
        paypal_client_secret=None,
        stripe_secret_key=None,
    )


def _operation_labels() -> list[str]:
    """Every operation of the served document (no store is needed to build it)."""
    spec = create_api(None, Settings(rate_limits=False)).openapi()  # type: ignore[arg-type]
    return [
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        for method in operations
        if method in ("get", "put", "post", "patch", "delete")
    ]


LABELS = _operation_labels()


# the seeded world --------------------------------------------------------------------------
@dataclass
class World:
    backend: str
    app: AccordApp
    schema: object
    keys: dict[str, dict[str, str]]
    ids: dict[str, list[str]]


@dataclass
class Tally:
    operations: set[str] = field(default_factory=set)
    cases: int = 0
    by_class: Counter = field(default_factory=Counter)
    server_errors: int = 0
    failures: int = 0
    seconds: float = 0.0


TALLIES: dict[str, Tally] = defaultdict(Tally)


def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, (response.status_code, response.text)
    return response.json() if response.content else {}


def _seed(store: Store, clock: FixedClock, settings: Settings) -> tuple[dict, dict]:
    """A brand's whole world, built as a brand and its partners would build it."""
    brand = make_brand(store)
    first, second = add_partner(brand), add_partner(brand)
    other = make_brand(store)
    other_partner = add_partner(other)
    api = create_api(store, settings)
    client = TestClient(api, raise_server_exceptions=False, follow_redirects=False)
    as_brand, as_partner = bearer(brand.api_key), bearer(first.api_key)

    def post(path, body, headers=as_brand, status=201):
        return _ok(client.post(API + path, json=body, headers=headers), status)

    program = brand.program_id
    post("/promo-codes", {"program_id": program, "partner_id": first.id, "code": "SPRING10"})
    link = post("/links", {"program_id": program, "partner_id": second.id})
    version = post(
        f"/contracts/{brand.contract_id}/versions",
        {"rules": [{"event_type": "sale", "percent": "12"}], "requires_acceptance": True},
    )
    # Conversions by both partners (a click each), paid out after the locking period.
    edge = AccordApp(store, settings)
    with TestClient(edge, follow_redirects=False) as clicks:
        click_ids = [click_through(clicks, p.link_code)[1] for p in (first, second, first)]
    paid = [post("/conversions", sale(program, click_id=c)) for c in click_ids[:2]]
    clock.advance(timedelta(days=31))
    post("/commissions/lock", {"program_id": program}, status=200)
    post("/commissions/approve", {"program_id": program}, status=200)
    batch = post("/payout-batches", {"program_id": program})
    # One still pending, with a reversal; one promo-code order.
    pending = post("/conversions", sale(program, click_id=click_ids[2], amount="80.00"))
    post(
        f"/conversions/{pending['id']}/reversals",
        {"amount": "20.00", "reason_code": "returned"},
    )
    promo = post("/conversions", sale(program, promo_code="SPRING10", amount="50.00"))
    post("/exchange-rates", {"base": "EUR", "quote": "USD", "rate": "1.08"})
    postback = post("/postbacks", {"url": "https://partner.example/hook"}, headers=as_partner)
    inquiry = post(
        "/inquiries",
        {
            "program_id": program,
            "order_id": "missing-1",
            "occurred_at": (clock.now() - timedelta(days=2)).isoformat(),
            "amount": "64.00",
            "currency": "USD",
            "evidence": "the receipt shows my code",
        },
        headers=as_partner,
    )
    spare = post("/api-keys", {"name": "spare"})
    revoked = post("/api-keys", {"name": "revoked"})
    _ok(client.delete(f"{API}/api-keys/{revoked['key_id']}", headers=as_brand), 204)
    other_conversion = _ok(
        client.post(
            API + "/conversions", json=sale(other.program_id), headers=bearer(other.api_key)
        ),
        201,
    )

    conversions = [c["id"] for c in (*paid, pending, promo)]
    commissions = [c["commissions"][0]["id"] for c in (*paid, pending) if c["commissions"]]
    ids = {
        "program_id": [program, other.program_id],
        "contract_id": [brand.contract_id, other.contract_id],
        "version_id": [version["id"]],
        "partner_id": [first.id, second.id, other_partner.id],
        "conversion_id": [*conversions, other_conversion["id"]],
        "commission_id": commissions,
        "payout_id": [p["id"] for p in batch["payouts"]],
        "batch_id": [batch["id"]],
        "key_id": [spare["key_id"], revoked["key_id"]],
        "postback_id": [postback["id"]],
        "inquiry_id": [inquiry["id"]],
        "link_id": [link["id"]],
    }
    keys = {
        "brand": as_brand,
        "partner": as_partner,
        "other_brand": bearer(other.api_key),
        "revoked": bearer(revoked["token"]),
        "malformed": {"Authorization": "Bearer not-a-key"},
        "none": {},
    }
    return keys, ids


class _AsServed:
    """The application as a server runs it: an exception it answered with a 500 is logged
    and the client gets the 500 (Starlette raises it again after answering, and the
    in-process client would turn it into an error of the test instead of a counted 5xx)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        started = False

        async def watched(message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception:
            if scope["type"] != "http" or not started:
                raise


@pytest.fixture(scope="module")
def world(engine, database_url, tmp_path_factory, request) -> World:
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    clock = FixedClock(START)
    store = Store(engine, clock)
    settings = _settings(tmp_path_factory.mktemp(f"fuzz-{backend}"))
    keys, ids = _seed(store, clock, settings)
    app = AccordApp(store, settings)
    schema = schemathesis.openapi.from_asgi("/openapi.json", _AsServed(app))
    _report_in_summary(request.config)
    yield World(backend, app, schema, keys, ids)
    from schemathesis.python.asgi import shutdown_lifespans

    shutdown_lifespans()  # stops the click recorder that Schemathesis's client started


# the campaign ------------------------------------------------------------------------------
def _examples(backend: str) -> int:
    if _OVERRIDE:
        return _OVERRIDE
    return SQLITE_EXAMPLES if backend == "sqlite" else POSTGRES_EXAMPLES


def _coverage(world: World, operation) -> list:
    """The operation's coverage cases: all of them in a longer campaign, else an even
    spread of `SQLITE_COVERAGE` on SQLite and none on PostgreSQL."""
    if world.backend != "sqlite" and not _OVERRIDE:
        return []
    config = world.schema.config.generation_for(operation=operation)
    cases = list(
        world.schema.iter_coverage_cases(
            operation,
            generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
            generation_config=config,
        )
    )
    if _OVERRIDE or len(cases) <= SQLITE_COVERAGE:
        return cases
    step = len(cases) / SQLITE_COVERAGE
    return [cases[int(i * step)] for i in range(SQLITE_COVERAGE)]


def _cases(operation):
    """Positive and negative cases of one operation (an operation with nothing to make
    invalid has positive cases only)."""
    strategies = [operation.as_strategy(GenerationMode.POSITIVE)]
    if operation.path_parameters or operation.query or operation.body or operation.headers:
        strategies.append(operation.as_strategy(GenerationMode.NEGATIVE))
    return st.one_of(strategies)


def _use_known_ids(case, ids: dict[str, list[str]], index: int) -> None:
    """Put the seeded world's ids in the case: path parameters, query parameters and
    top-level body fields named like `program_id`."""
    containers = [case.path_parameters, case.query]
    if isinstance(case.body, dict):
        containers.append(case.body)
    for container in containers:
        for name in list(container or ()):
            known = ids.get(name)
            if known:
                container[name] = known[index % len(known)]


@pytest.mark.parametrize("label", LABELS)
def test_operation_answers_only_as_documented(world: World, label: str) -> None:
    operation = world.schema.find_operation_by_label(label)
    assert operation is not None, label
    tally = TALLIES[world.backend]
    tally.operations.add(label)
    failures: dict[str, str] = {}
    started = time.monotonic()

    @settings(
        max_examples=_examples(world.backend),
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # failures are collected, not shrunk
        suppress_health_check=list(HealthCheck),
    )
    @given(
        case=_cases(operation),
        who=st.sampled_from(WHO),
        pick=st.integers(min_value=0, max_value=9),
        index=st.integers(min_value=0, max_value=99),
    )
    def run(case, who: str, pick: int, index: int) -> None:
        if pick < KNOWN_IDS:
            _use_known_ids(case, world.ids, index)
        send(case, who)

    def send(case, who: str) -> None:
        response = case.call(headers=world.keys[who])
        tally.cases += 1
        tally.by_class[f"{response.status_code // 100}xx"] += 1
        if response.status_code >= 500:
            tally.server_errors += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as group:
            for failure in group.exceptions:
                key = f"{type(failure).__name__}: {failure.title}"
                if key not in failures:
                    failures[key] = (
                        f"{key}\n{failure.message}\n  as {who}: {case.as_curl_command()}\n"
                        f"  -> {response.status_code} {response.content[:300]!r}"
                    )

    run()
    for number, case in enumerate(_coverage(world, operation)):
        if number % 10 < KNOWN_IDS:
            _use_known_ids(case, world.ids, number)
        send(case, "brand")
    tally.seconds += time.monotonic() - started
    if failures:
        tally.failures += 1
    assert not failures, f"{label} on {world.backend}:\n\n" + "\n\n".join(failures.values())


# the summary -------------------------------------------------------------------------------
class _Summary:
    def pytest_terminal_summary(self, terminalreporter) -> None:
        if not TALLIES:
            return
        terminalreporter.section("schemathesis")
        for backend, tally in TALLIES.items():
            classes = ", ".join(f"{k} {v}" for k, v in sorted(tally.by_class.items()))
            terminalreporter.write_line(
                f"{backend}: {len(tally.operations)} operations, {tally.cases} cases "
                f"({classes}); 5xx: {tally.server_errors}; operations failing checks: "
                f"{tally.failures}; {tally.seconds:.1f} s"
            )


def _report_in_summary(config) -> None:
    if not config.pluginmanager.has_plugin("accord-schemathesis-summary"):
        config.pluginmanager.register(_Summary(), "accord-schemathesis-summary")


def test_the_seeded_world_reconciles(world: World) -> None:
    """The world the campaign runs on is a real one: money moved and the ledger balances."""
    keys = world.keys["brand"]
    with TestClient(world.app.api, raise_server_exceptions=False) as client:
        program = world.ids["program_id"][0]
        summary = _ok(client.get(f"{API}/programs/{program}/summary", headers=keys))
    assert summary["ledger_balanced"] is True
    assert Decimal(summary["paid"]) > 0
