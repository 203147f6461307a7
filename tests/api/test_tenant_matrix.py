"""Tenant isolation, route by route, generated from the API's route table.

Every /api/v1 route with a path parameter, and every list route (a GET without one), is
called as six callers against one shared world:

- ``brand_a``: the brand that owns every object in the path;
- ``brand_b``: another brand;
- ``partner_own``: the partner of A's program whose objects they are;
- ``partner_other``: another partner in A's program;
- ``anonymous`` (no key) and ``bad_key`` (a key that does not exist).

Expected classes of outcome:

- anonymous and bad_key: 401;
- brand_b: 404 on A's objects (403 where only partners' keys are taken), a list without
  any of A's data;
- partner_other: 403 or 404 on another partner's objects (and on the brand's), its own
  view of the program's shared ones;
- partner_own and brand_a: not 401, 403 or 404 where their kind of key may use the route
  (ACCESS below), 403 or 404 where it may not;
- nobody: a 5xx.

Each refusal must answer exactly as the same request with the caller's foreign ids replaced
by ids that do not exist, so a refusal tells nothing about what exists. No response names
an id of another organization (or of another partner) except those the caller sent.

Writes are sent the body ``{}``: the owner may get a 422 (past authorization, stopped by
validation), everyone else must be refused before the body is read, and so gets the same
refusal again with a body no route accepts. Writes that name their objects in the body
(BODY_WRITES) are sent a valid body naming A's objects as another brand and, where it
names partner_own's objects, as another partner.

A route whose path parameter the world does not know, or that ACCESS does not list, fails
with a message saying what to add, so a new route is covered the day it is added.
"""

from __future__ import annotations

import json
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import pytest

from accord.api.app import create_api
from accord.clock import FixedClock
from accord.commissions.service import approve, lock_due
from accord.contracts.service import RuleSpec, add_version, create_contract
from accord.inquiries.service import open_inquiry
from accord.payouts.service import run_batch
from accord.postbacks.service import register_endpoint
from accord.protect.backtests import start_backtest
from accord.server import AccordApp
from accord.settings import Settings
from accord.store.engine import Store
from accord.tenancy.model import parse_token
from accord.tenancy.service import create_api_key
from accord.tracking.service import create_promo_code
from tests.conftest import START
from tests.factories import add_partner, click, convert, make_brand

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

PREFIX = "/api/v1"
ROLES = ("anonymous", "bad_key", "brand_b", "partner_other", "partner_own", "brand_a")
BAD_KEY = "acc_000000000000_not-a-real-secret-at-all"
JUNK_BODY = {"not_a_field_of_any_route": True}  # valid JSON no body model accepts

# Path (and id-valued query) parameters -> the world's object, and whose object it is:
#   "program": A's program, shared by every partner in it;
#   "partner": belongs to partner_own (another partner must not reach it);
#   "brand":   belongs to brand A alone.
OBJECTS: dict[str, tuple[str, str]] = {
    "program_id": ("program", "program"),
    "contract_id": ("contract", "partner"),  # the contract partner_own is on
    "version_id": ("version", "partner"),  # its version waiting for partner_own's acceptance
    "partner_id": ("partner", "partner"),
    "link_id": ("link", "partner"),
    "promo_code_id": ("promo_code", "partner"),
    "conversion_id": ("conversion", "partner"),
    "commission_id": ("commission", "partner"),
    "payout_id": ("payout", "partner"),
    "inquiry_id": ("inquiry", "partner"),
    "postback_id": ("postback", "partner"),
    "order_id": ("order", "partner"),
    "batch_id": ("batch", "brand"),
    "key_id": ("key", "brand"),
    "job_id": ("job", "brand"),
    "alert_id": ("alert", "brand"),
    "contact_id": ("contact", "brand"),
    "merge_id": ("merge", "brand"),
    "form_id": ("form", "brand"),
    "task_id": ("task", "brand"),
    "code_id": ("qr_code", "brand"),
    "sequence_id": ("sequence", "brand"),
    "content_id": ("content", "brand"),
    "event_id": ("event", "brand"),
}

# Required query parameters that are not objects: a plausible value each.
QUERY_VALUES = {
    "since": "2026-10-01",
    "until": "2027-01-01",
    "debtor_name": "Brand A",
    "debtor_iban": "DE89370400440532013000",
}

BRAND, PARTNER, BOTH = "brand", "partner", "both"

# Who may call each route: a brand's key, a partner's key, or both.
ACCESS: dict[tuple[str, str], str] = {
    ("GET", "/programs"): BOTH,
    ("PATCH", "/programs/{program_id}"): BRAND,
    ("GET", "/programs/{program_id}"): BOTH,
    ("GET", "/programs/{program_id}/summary"): BRAND,
    ("GET", "/programs/{program_id}/attribution-policy"): BRAND,
    ("POST", "/programs/{program_id}/attribution-policy"): BRAND,
    ("POST", "/programs/{program_id}/browser-signing-key"): BRAND,
    ("GET", "/programs/{program_id}/contracts"): BOTH,
    ("POST", "/programs/{program_id}/contracts"): BRAND,
    ("GET", "/contracts/{contract_id}/versions"): BOTH,
    ("POST", "/contracts/{contract_id}/versions"): BRAND,
    ("POST", "/contract-versions/{version_id}/accept"): PARTNER,
    ("GET", "/contract-versions/{version_id}/acceptances"): BRAND,
    ("GET", "/exchange-rates"): BOTH,
    ("GET", "/partners"): BOTH,
    ("GET", "/listed-programs"): PARTNER,
    ("GET", "/programs/{program_id}/applications"): BRAND,
    ("PUT", "/programs/{program_id}/partners/{partner_id}/status"): BRAND,
    ("GET", "/partners/{partner_id}"): BOTH,
    ("GET", "/links"): BOTH,
    ("GET", "/promo-codes"): BOTH,
    ("GET", "/conversions"): BOTH,
    ("GET", "/conversions/{conversion_id}"): BOTH,
    ("POST", "/conversions/{conversion_id}/reversals"): BRAND,
    ("POST", "/conversions/{conversion_id}/confirm"): BRAND,
    ("GET", "/conversions/{conversion_id}/journey"): BRAND,
    ("GET", "/rejected-events"): BOTH,
    ("GET", "/commissions"): BOTH,
    ("GET", "/commissions/{commission_id}"): BOTH,
    ("GET", "/commissions/{commission_id}/explain"): BOTH,
    ("GET", "/balances"): BOTH,
    ("GET", "/payouts"): BOTH,
    ("GET", "/payouts/{payout_id}"): BOTH,
    ("GET", "/payouts/{payout_id}/statement.pdf"): BOTH,
    ("GET", "/payout-batches/{batch_id}/payouts.csv"): BRAND,
    ("GET", "/payout-batches/{batch_id}/sepa.xml"): BRAND,
    ("POST", "/payout-batches/{batch_id}/send"): BRAND,
    ("POST", "/payout-batches/{batch_id}/refresh"): BRAND,
    ("GET", "/programs/{program_id}/invoice.pdf"): BRAND,
    ("GET", "/api-keys"): BOTH,
    ("DELETE", "/api-keys/{key_id}"): BOTH,  # each organization its own keys
    ("GET", "/postbacks"): PARTNER,
    ("DELETE", "/postbacks/{postback_id}"): PARTNER,
    ("GET", "/postbacks/{postback_id}/deliveries"): PARTNER,
    ("GET", "/inquiries"): BOTH,
    ("GET", "/inquiries/{inquiry_id}"): BOTH,
    ("POST", "/inquiries/{inquiry_id}/accept"): BRAND,
    ("POST", "/inquiries/{inquiry_id}/decline"): BRAND,
    ("GET", "/audit-events"): BRAND,
    ("GET", "/programs/{program_id}/attribution/models"): BRAND,
    ("GET", "/programs/{program_id}/reports/performance"): BOTH,
    ("GET", "/programs/{program_id}/reports/performance.csv"): BOTH,
    ("GET", "/programs/{program_id}/reports/performance.xlsx"): BOTH,
    ("GET", "/programs/{program_id}/reports/performance.json"): BOTH,
    ("GET", "/programs/{program_id}/alerts"): BRAND,
    ("POST", "/programs/{program_id}/alerts/{alert_id}/seen"): BRAND,
    ("GET", "/programs/{program_id}/reports/forecast"): BRAND,
    ("GET", "/programs/{program_id}/fraud"): BRAND,
    ("PUT", "/programs/{program_id}/fraud"): BRAND,
    ("GET", "/programs/{program_id}/fraud/queue"): BRAND,
    ("POST", "/programs/{program_id}/fraud/backtests"): BRAND,
    ("GET", "/programs/{program_id}/fraud/backtests/{job_id}"): BRAND,
    ("GET", "/programs/{program_id}/fraud/partners"): BRAND,
    ("POST", "/programs/{program_id}/fraud/partners/score"): BRAND,
    ("GET", "/programs/{program_id}/fraud/jobs/{job_id}"): BRAND,
    ("POST", "/leads/captures"): BRAND,
    ("GET", "/contacts"): BRAND,
    ("GET", "/contacts/{contact_id}"): BRAND,
    ("GET", "/contacts/{contact_id}/export"): BRAND,
    ("POST", "/contact-erasures"): BRAND,
    ("GET", "/lead-forms"): BRAND,
    ("POST", "/lead-forms"): BRAND,
    ("PUT", "/lead-forms/{form_id}"): BRAND,
    ("GET", "/lead-forms/{form_id}/qr-codes"): BRAND,
    ("POST", "/lead-forms/{form_id}/qr-codes"): BRAND,
    ("GET", "/lead-qr-codes/{code_id}"): BRAND,
    ("GET", "/nurture-sequences"): BRAND,
    ("POST", "/nurture-sequences"): BRAND,
    ("GET", "/nurture-sequences/{sequence_id}"): BRAND,
    ("PUT", "/nurture-sequences/{sequence_id}"): BRAND,
    ("POST", "/nurture-sequences/{sequence_id}/enrolments"): BRAND,
    ("GET", "/lead-content"): BRAND,
    ("POST", "/lead-content"): BRAND,
    ("GET", "/lead-content/{content_id}"): BRAND,
    ("PUT", "/lead-content/{content_id}"): BRAND,
    ("PUT", "/lead-content/{content_id}/file"): BRAND,
    ("GET", "/lead-events"): BRAND,
    ("POST", "/lead-events"): BRAND,
    ("GET", "/lead-events/{event_id}"): BRAND,
    ("PUT", "/lead-events/{event_id}"): BRAND,
    ("GET", "/lead-events/{event_id}/registrations"): BRAND,
    ("POST", "/lead-events/{event_id}/check-ins"): BRAND,
    ("POST", "/lead-events/{event_id}/attendance"): BRAND,
    ("PUT", "/contacts/{contact_id}/owner"): BRAND,
    ("POST", "/contacts/{contact_id}/notes"): BRAND,
    ("POST", "/contacts/{contact_id}/tasks"): BRAND,
    ("GET", "/lead-tasks"): BRAND,
    ("GET", "/leads/sources"): BRAND,
    ("POST", "/lead-tasks/{task_id}/done"): BRAND,
    ("PUT", "/contacts/{contact_id}/stage"): BRAND,
    ("POST", "/contact-merges/{merge_id}/undo"): BRAND,
    ("GET", "/lead-settings"): BRAND,
    ("PUT", "/lead-settings"): BRAND,
    ("POST", "/leads/score"): BRAND,
    ("POST", "/leads/imports"): BRAND,
    ("GET", "/lead-handoff"): BRAND,
    ("PUT", "/lead-handoff"): BRAND,
    ("GET", "/lead-handoffs"): BRAND,
    ("GET", "/leads/handoff.csv"): BRAND,
    ("POST", "/leads/outcomes"): BRAND,
    ("GET", "/leads/model"): BRAND,
    ("POST", "/leads/model"): BRAND,
    ("GET", "/jobs/{job_id}"): BRAND,
    ("GET", "/programs/{program_id}/partners/{partner_id}/risk"): BRAND,
    ("GET", "/conversions/{conversion_id}/risk"): BOTH,
    ("POST", "/conversions/{conversion_id}/release"): BRAND,
    ("POST", "/conversions/{conversion_id}/decline"): BRAND,
}

# Known defects in route modules this test's authors do not own; strict, so each one
# turns into a failure the day it is fixed, and its entry must then be removed.
_BODY_FIRST = (
    "{route} validates its body before it authorizes: any key gets the same 422 for an "
    "existing or a missing id, so nothing leaks, but the caller should be refused first; "
    "{module} needs a dependency that checks {param} before the body is read"
)
_LATE_AUTHORIZATION = [
    # (method, path, module, parameter)
]
KNOWN: dict[tuple[str, str, str], str] = {
    (method, path, role): _BODY_FIRST.format(route=f"{method} {path}", module=module, param=param)
    for method, path, module, param in _LATE_AUTHORIZATION
    for role in ("brand_b", "partner_other", "partner_own")
}


# The route table --------------------------------------------------------------------------
@dataclass(frozen=True)
class Route:
    method: str
    path: str  # without the /api/v1 prefix
    path_params: tuple[str, ...]
    required_query: tuple[str, ...]
    optional_query: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def _flat_routes(app) -> list[Any]:
    """The app's routes with included routers flattened (FastAPI >= 0.13x nests them)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: app.routes is already flat
        return list(app.routes)
    return list(iter_route_contexts(app.routes))


def _query_params(route) -> tuple[tuple[str, ...], tuple[str, ...]]:
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return (), ()
    params = list(dependant.query_params)
    stack = list(dependant.dependencies)
    while stack:
        sub = stack.pop()
        params.extend(sub.query_params)
        stack.extend(sub.dependencies)
    required = tuple(sorted({p.name for p in params if p.field_info.is_required()}))
    optional = tuple(sorted({p.name for p in params if not p.field_info.is_required()}))
    return required, optional


def api_routes() -> list[Route]:
    app = create_api(None, Settings())
    found = []
    for route in _flat_routes(app):
        path = getattr(route, "path", None) or ""
        if not path.startswith(PREFIX + "/"):
            continue
        required, optional = _query_params(route)
        for method in sorted(route.methods or ()):
            if method in ("HEAD", "OPTIONS"):
                continue
            found.append(
                Route(
                    method,
                    path.removeprefix(PREFIX),
                    tuple(re.findall(r"{(\w+)(?::\w+)?}", path)),
                    required,
                    optional,
                )
            )
    return found


ALL_ROUTES = api_routes()
MATRIX_ROUTES = [r for r in ALL_ROUTES if r.path_params or r.method == "GET"]


@dataclass(frozen=True)
class Case:
    route: Route
    role: str
    filtered: bool = False  # a list called with its optional id filters set

    @property
    def id(self) -> str:
        return f"{self.route.label}{' filtered' if self.filtered else ''} as {self.role}"


def _cases() -> list[Any]:
    cases = []
    for route in MATRIX_ROUTES:
        variants = [False]
        if not route.path_params and any(q in OBJECTS for q in route.optional_query):
            variants.append(True)
        for filtered in variants:
            for role in ROLES:
                case = Case(route, role, filtered)
                reason = KNOWN.get((route.method, route.path, role))
                marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                cases.append(pytest.param(case, id=case.id, marks=marks))
    return cases


CASES = _cases()


# The world ------------------------------------------------------------------------------
@dataclass
class World:
    client: Any
    keys: dict[str, str | None]
    ids: dict[str, str]  # object name -> id (A's objects, partner_own's where it matters)
    a_ids: set[str] = field(default_factory=set)  # everything of brand A
    b_ids: set[str] = field(default_factory=set)  # everything of brand B
    own_ids: set[str] = field(default_factory=set)  # partner_own's alone
    other_ids: set[str] = field(default_factory=set)  # partner_other's alone
    brand_only: set[str] = field(default_factory=set)  # A's, never shown to its partners
    outcomes: Counter = field(default_factory=Counter)


TERMS = [RuleSpec(event_type="sale", percent="10")]


def _partner_objects(store, brand, partner, name: str) -> dict[str, str]:
    """A partner's conversion, inquiry, postback and promo code; returns their ids."""
    endpoint = register_endpoint(
        store,
        partner.caller,
        "https://partner.example/pb?click={click_id}",
        allow_private=True,
    )
    promo = create_promo_code(
        store, brand.caller, brand.program_id, f"{name}10", partner_id=partner.id
    )
    order = f"matrix-{name}-{partner.id[-6:]}"
    recorded = convert(brand, order_id=order, click_id=click(brand, partner))
    inquiry = open_inquiry(
        store,
        partner.caller,
        brand.program_id,
        order_id=f"asked-{order}",
        occurred_at=store.clock.now() - timedelta(days=1),
        amount="40.00",
        currency=brand.currency,
        evidence="the receipt shows our coupon",
    )
    with store.read() as session:
        from accord.partners.tables import Partner
        from accord.tracking.tables import Link

        org = session.get(Partner, partner.id).organization_id
        link = session.query(Link).filter(Link.partner_id == partner.id).one()
    return {
        "partner": partner.id,
        "partner_org": org,
        "link": link.id,
        "link_code": link.code,
        "promo_code": promo.id,
        "conversion": recorded.conversion.id,
        "order": order,
        "commission": recorded.commission_ids[0],
        "inquiry": inquiry.id,
        "postback": endpoint.id,
        "partner_key": parse_token(partner.api_key)[0],
    }


def _build(store: Store, client) -> World:
    a = make_brand(store)
    own_contract = create_contract(store, a.caller, a.program_id, "Own terms", TERMS)
    p_own = add_partner(a, contract_id=own_contract.id)
    p_other = add_partner(a)
    waiting_own = add_version(store, a.caller, own_contract.id, TERMS, requires_acceptance=True)
    waiting_other = add_version(store, a.caller, a.contract_id, TERMS, requires_acceptance=True)
    own = _partner_objects(store, a, p_own, "OWN")
    other = _partner_objects(store, a, p_other, "OTHER")
    store.clock.advance(timedelta(days=31))
    lock_due(store, a.caller, a.program_id)
    approve(store, a.caller, a.program_id)
    batch = run_batch(store, a.caller, a.program_id)
    assert batch.batch is not None
    payouts = {p.partner_id: p.id for p in batch.payouts}
    spare_key = parse_token(create_api_key(store, a.caller, "spare"))[0]
    job = start_backtest(
        store,
        a.caller,
        a.program_id,
        {"since": "2026-10-01T00:00:00+00:00", "until": "2026-12-01T00:00:00+00:00"},
    )
    alert = _alert_of(store, a, p_own)
    contact, merge = _contacts_of(store, a, "a")
    form = _form_of(store, a)
    task = _task_of(store, a, contact)
    qr_code = _qr_of(store, a, form)
    sequence = _sequence_of(store, a)
    content = _content_of(store, a)
    event = _event_of(store, a)

    b = make_brand(store)
    b_partner = add_partner(b)
    b_objects = _partner_objects(store, b, b_partner, "B")
    b_objects["contact"], b_objects["merge"] = _contacts_of(store, b, "b")
    b_objects["form"] = _form_of(store, b)
    b_objects["task"] = _task_of(store, b, b_objects["contact"])
    b_objects["qr_code"] = _qr_of(store, b, b_objects["form"])
    b_objects["sequence"] = _sequence_of(store, b)
    b_objects["content"] = _content_of(store, b)
    b_objects["event"] = _event_of(store, b)

    ids = {
        "program": a.program_id,
        "contract": own_contract.id,
        "version": waiting_own.id,
        "partner": own["partner"],
        "link": own["link"],
        "promo_code": own["promo_code"],
        "conversion": own["conversion"],
        "order": own["order"],
        "commission": own["commission"],
        "payout": payouts[p_own.id],
        "inquiry": own["inquiry"],
        "postback": own["postback"],
        "batch": batch.batch.id,
        "key": spare_key,
        "job": job.id,
        "alert": alert,
        "contact": contact,
        "merge": merge,
        "form": form,
        "task": task,
        "qr_code": qr_code,
        "sequence": sequence,
        "content": content,
        "event": event,
    }
    a_org = a.caller.organization_id
    a_keys = {parse_token(a.api_key)[0], spare_key}
    world = World(
        client=client,
        keys={
            "anonymous": None,
            "bad_key": BAD_KEY,
            "brand_a": a.api_key,
            "brand_b": b.api_key,
            "partner_own": p_own.api_key,
            "partner_other": p_other.api_key,
        },
        ids=ids,
    )
    own_contract_versions = {own_contract.id, waiting_own.id} | _versions(store, own_contract.id)
    default_versions = {a.contract_id, waiting_other.id} | _versions(store, a.contract_id)
    world.own_ids = set(own.values()) | {payouts[p_own.id]} | own_contract_versions
    world.other_ids = set(other.values()) | {payouts[p_other.id]} | default_versions
    world.brand_only = {a_org, *a_keys, job.id}
    world.brand_only |= {alert, contact, merge, form, task, qr_code, sequence, content, event}
    world.a_ids = (
        world.own_ids | world.other_ids | world.brand_only | {a.program_id, batch.batch.id}
    )
    world.b_ids = set(b_objects.values()) | {
        b.program_id,
        b.contract_id,
        b.caller.organization_id,
        parse_token(b.api_key)[0],
    }
    return world


def _contacts_of(store: Store, brand, name: str) -> tuple[str, str]:
    """A contact of the brand made of two captures merged by a third; its id and the
    merge's."""
    from accord.leads.model import Capture
    from accord.leads.service import capture, contact_view

    capture(store, brand.caller, Capture(phone=f"+86 138 0013 80{len(name):02d}"))
    capture(store, brand.caller, Capture(email=f"{name}@lead.example"))
    both = capture(
        store, brand.caller,
        Capture(email=f"{name}@lead.example", phone=f"+86 138 0013 80{len(name):02d}"),
    )  # fmt: skip
    return both.contact_id, contact_view(store, brand.caller, both.contact_id).merges[0].id


def _form_of(store: Store, brand) -> str:
    from accord.leads.forms import save_form

    spec = {"name": "Matrix form", "fields": [{"name": "email", "required": True}]}
    return save_form(store, brand.caller, spec).id


def _qr_of(store: Store, brand, form_id: str) -> str:
    from accord.leads.qr import make_code

    return make_code(store, brand.caller, form_id, "store", "Matrix store").id


def _event_of(store: Store, brand) -> str:
    from accord.leads.events import save_event

    spec = {"kind": "seminar", "name": "Matrix", "starts_at": "2027-01-10T10:00:00+08:00"}
    return save_event(store, brand.caller, spec).id


def _content_of(store: Store, brand) -> str:
    from accord.leads.content import save_content

    return save_content(store, brand.caller, {"kind": "article", "title": "Matrix"}).id


def _sequence_of(store: Store, brand) -> str:
    from accord.leads.nurture import save_sequence

    spec = {"name": "Matrix sequence", "steps": [{"kind": "email", "subject": "Hi", "body": "Hi"}]}
    return save_sequence(store, brand.caller, spec).id


def _task_of(store: Store, brand, contact_id: str) -> str:
    from datetime import date

    from accord.leads.crm import add_task

    return add_task(store, brand.caller, contact_id, "Call back", date(2026, 12, 1)).id


def _alert_of(store: Store, brand, partner) -> str:
    """An alert of A's program about partner_own's day (brand keys alone see alerts)."""
    from accord.ids import new_id
    from accord.monitoring.tables import Alert

    with store.unit() as session:
        alert = Alert(
            id=new_id("alr"),
            organization_id=brand.caller.organization_id,
            program_id=brand.program_id,
            partner_id=partner.id,
            metric="clicks",
            day=store.clock.now().date(),
            value=200.0,
            expected=40.0,
            score=25.3,
            direction="up",
            created_at=store.clock.now(),
        )
        session.add(alert)
    return alert.id


def _versions(store: Store, contract_id: str) -> set[str]:
    from sqlalchemy import select

    from accord.contracts.tables import ContractVersion

    with store.read() as session:
        return set(
            session.scalars(
                select(ContractVersion.id).where(ContractVersion.contract_id == contract_id)
            )
        )


@pytest.fixture(scope="module")
def world(engine, request) -> World:
    """One world per backend, shared by every case of the matrix."""
    store = Store(engine, FixedClock(START))
    # rate limits, where the settings have them, are not what this test is about
    quiet = {"rate_limits": False} if "rate_limits" in Settings.model_fields else {}
    app = AccordApp(store, Settings(spool=False, **quiet))
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        built = _build(store, client)
        yield built
    _report(request.config, built)


# Running one case -----------------------------------------------------------------------
def _fake(object_id: str, n: int) -> str:
    """An id of the same shape that does not exist."""
    prefix, sep, _ = object_id.partition("_")
    return f"{prefix}{sep}{'0' * 20}{n:04d}" if sep else f"{'0' * 8}{n:04d}"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    sent: set[str]  # world ids the caller put in the request
    body: Any = None  # JSON, or CSV text; writes without one send {}

    def swapped(self, mapping: dict[str, str]) -> Request:
        path, query = self.path, dict(self.query)
        body = json.dumps(self.body)
        for real, fake in mapping.items():
            path = path.replace(real, fake)
            query = {k: (fake if v == real else v) for k, v in query.items()}
            body = body.replace(real, fake)
        return Request(self.method, path, query, self.sent - set(mapping), json.loads(body))


def _request(world: World, case: Case) -> Request:
    route, sent = case.route, set()
    unknown = [p for p in route.path_params if p not in OBJECTS]
    if unknown:
        pytest.fail(
            f"{route.label}: the tenant matrix has no object for path parameter(s) "
            f"{', '.join(unknown)}. Add each to OBJECTS in tests/api/test_tenant_matrix.py "
            "(the object it names and whose it is) and create one in _build(), so that this "
            "route is checked for every kind of caller.",
            pytrace=False,
        )
    path = route.path
    for name in route.path_params:
        value = world.ids[OBJECTS[name][0]]
        path = path.replace("{" + name + "}", value)
        sent.add(value)
    query = {}
    for name in route.required_query:
        if name in OBJECTS:
            query[name] = world.ids[OBJECTS[name][0]]
            sent.add(query[name])
        elif name in QUERY_VALUES:
            query[name] = QUERY_VALUES[name]
        else:
            pytest.fail(
                f"{route.label}: required query parameter {name!r} has no value in the "
                "tenant matrix; add it to OBJECTS (an object's id) or QUERY_VALUES.",
                pytrace=False,
            )
    if case.filtered:
        for name in route.optional_query:
            if name in OBJECTS:
                query[name] = world.ids[OBJECTS[name][0]]
                sent.add(query[name])
    return Request(route.method, PREFIX + path, query, sent)


def _call(world: World, role: str, request: Request):
    key = world.keys[role]
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    body = request.body
    if body is None and request.method in ("POST", "PUT", "PATCH"):
        body = {}
    if isinstance(body, str):
        headers["content-type"] = "text/csv"
        return world.client.request(
            request.method, request.path, params=request.query or None, content=body,
            headers=headers,
        )  # fmt: skip
    return world.client.request(
        request.method, request.path, params=request.query or None, json=body, headers=headers
    )


def _pinned(case: Case) -> list[str]:
    """The parameters that name the object a route acts on (path, required query)."""
    return list(case.route.path_params) + [q for q in case.route.required_query if q in OBJECTS]


def _params_of(case: Case) -> list[str]:
    names = _pinned(case)
    if case.filtered:
        names += [q for q in case.route.optional_query if q in OBJECTS]
    return names


def _foreign(world: World, case: Case, names: list[str] | None = None) -> set[str]:
    """The ids in the request that belong to someone the caller is not."""
    owners = {name: OBJECTS[name][1] for name in (_params_of(case) if names is None else names)}
    role = case.role
    if role == "brand_a" or not owners:
        return set()
    if role == "partner_own":
        kinds = {"brand"}
    elif role == "partner_other":
        kinds = {"partner", "brand"}
    else:  # another brand, or nobody
        kinds = {"program", "partner", "brand"}
    return {world.ids[OBJECTS[n][0]] for n, owner in owners.items() if owner in kinds}


def _may_use(case: Case) -> bool:
    """Whether the caller's kind of key is meant to get past authorization here."""
    access = ACCESS[(case.route.method, case.route.path)]
    if case.role in ("anonymous", "bad_key"):
        return False
    is_brand = case.role.startswith("brand")
    return access == BOTH or access == (BRAND if is_brand else PARTNER)


def _hidden_from(world: World, role: str) -> set[str]:
    """Ids that must never appear in a response to this caller (unless it sent them)."""
    return {
        "anonymous": world.a_ids | world.b_ids,
        "bad_key": world.a_ids | world.b_ids,
        "brand_b": world.a_ids,
        "partner_other": world.own_ids | world.brand_only,
        "partner_own": world.other_ids | world.brand_only,
        "brand_a": world.b_ids,
    }[role]


def _normalized(response) -> Any:
    """A response as compared with its twin: status and JSON, without the rejected event
    a refused request leaves in the caller's own organization."""
    try:
        body = response.json()
    except ValueError:
        body = response.text

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "rejected_event_id"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return response.status_code, strip(body)


def _check(world: World, case: Case) -> None:
    route = case.route
    if (route.method, route.path) not in ACCESS:
        pytest.fail(
            f"{route.label} is not in ACCESS in tests/api/test_tenant_matrix.py: say whether "
            "a brand's key, a partner's key or both may call it.",
            pytrace=False,
        )
    request = _request(world, case)
    response = _call(world, case.role, request)
    status = response.status_code
    world.outcomes[(case.role, status)] += 1
    where = f"{case.id}: {request.method} {request.path} {request.query or ''} -> {status}"
    detail = f"{where}\n{response.text[:500]}"
    assert status < 500, detail

    # 1. the class of outcome
    foreign = _foreign(world, case)
    if case.role in ("anonymous", "bad_key"):
        assert status == 401, detail
    elif not _may_use(case):
        assert status in (403, 404), f"expected a refusal (403/404): {detail}"
    elif _foreign(world, case, _pinned(case)):  # someone else's object
        assert status == 404 if case.role == "brand_b" else status in (403, 404), (
            f"expected the object to be out of reach: {detail}"
        )
    elif foreign:  # a list filtered on someone else's ids: nothing, or not found
        assert status in (200, 404), detail
    else:
        assert status not in (401, 403, 404), f"the caller may use this route: {detail}"

    # 2. nothing of anyone else, except what the caller sent
    text = response.text if _is_text(response) else ""
    leaked = sorted(i for i in _hidden_from(world, case.role) - request.sent if i in text)
    assert not leaked, f"the response names ids the caller may not know, {leaked}: {detail}"

    # 3. a refusal, or a list filtered on foreign ids, is the answer for ids that do not exist
    if foreign and (status >= 400 or case.filtered):
        _same_as_for_missing_ids(world, case.role, request, response, foreign, detail)

    # 4. a refusal comes before the body is read: a body no route accepts changes nothing
    if status in (401, 403, 404) and route.method in ("POST", "PUT", "PATCH"):
        junk = _call(world, case.role, replace(request, body=JUNK_BODY))
        assert junk.status_code == status, (
            f"with a body it cannot accept the answer is {junk.status_code} {junk.text[:300]}: "
            "authorize the objects in the path before validating the body (a dependency on "
            f"the path parameter runs first): {detail}"
        )


def _same_as_for_missing_ids(world, role, request, response, foreign, detail) -> None:
    """The caller gets exactly what it would get with ids that do not exist."""
    mapping = {real: _fake(real, n) for n, real in enumerate(sorted(foreign))}
    twin = _call(world, role, request.swapped(mapping))
    expected = list(_normalized(twin))  # a list, as a JSON round trip makes it
    for real, fake in mapping.items():
        expected = json.loads(json.dumps(expected).replace(fake, real))
    assert list(_normalized(response)) == expected, (
        f"the answer differs from the one for ids that do not exist ({twin.status_code} "
        f"{twin.text[:300]}): {detail}"
    )


def _is_text(response) -> bool:
    kind = response.headers.get("content-type", "")
    return kind.startswith(("application/json", "text/", "application/xml"))


@pytest.mark.parametrize("case", CASES)
def test_tenant_isolation(world: World, case: Case) -> None:
    _check(world, case)


# Writes that name their objects in the body ----------------------------------------------
# Each with a body that is valid apart from whose objects it names ({placeholders} are the
# world's ids, as OBJECTS maps them). Another brand (and another partner, where the body
# names partner_own's objects) must be refused exactly as for ids that do not exist.
_ORDER = {"order_id": "taken-1", "amount": "10.00", "currency": "USD"}
BODY_WRITES: dict[tuple[str, str], Any] = {
    ("POST", "/what-if"): {
        "program_id": "{program_id}",
        "rules": [{"event_type": "sale", "percent": "50"}],
        "since": "2026-10-01T00:00:00Z",
        "until": "2026-12-01T00:00:00Z",
    },
    ("POST", "/partners"): {
        "program_id": "{program_id}",
        "name": "Spy",
        "partner_type": "content",
        "contract_id": "{contract_id}",
    },
    ("POST", "/applications"): {"program_id": "{program_id}"},
    ("POST", "/links"): {"program_id": "{program_id}", "partner_id": "{partner_id}"},
    ("POST", "/promo-codes"): {
        "program_id": "{program_id}",
        "partner_id": "{partner_id}",
        "code": "TAKEN10",
    },
    ("POST", "/conversions"): {"program_id": "{program_id}", **_ORDER},
    ("POST", "/conversions/batch"): {"conversions": [{"program_id": "{program_id}", **_ORDER}]},
    ("POST", "/conversions/import"): "program_id,order_id,amount,currency\n"
    "{program_id},taken-2,10.00,USD\n",
    ("POST", "/reversals/import"): "conversion_id,reason_code\n{conversion_id},fraud\n",
    ("PUT", "/programs/{program_id}/fraud"): {"mode": "shadow", "level": "moderate"},
    ("POST", "/conversions/{conversion_id}/decline"): {"note": "fraud"},
    ("POST", "/programs/{program_id}/fraud/backtests"): {
        "since": "2026-10-01T00:00:00Z",
        "until": "2026-12-01T00:00:00Z",
    },
    ("POST", "/commissions/lock"): {"program_id": "{program_id}"},
    ("POST", "/commissions/approve"): {
        "program_id": "{program_id}",
        "commission_ids": ["{commission_id}"],
    },
    ("POST", "/payout-batches"): {"program_id": "{program_id}"},
    ("POST", "/funding"): {"program_id": "{program_id}", "amount": "10.00", "reference": "x"},
    ("POST", "/postbacks"): {"url": "https://partner.example/pb", "program_id": "{program_id}"},
    ("POST", "/contact-erasures"): {"contact_id": "{contact_id}"},
    ("POST", "/leads/outcomes"): {"outcomes": [{"contact_id": "{contact_id}", "outcome": "lost"}]},
    ("POST", "/inquiries"): {
        "program_id": "{program_id}",
        **_ORDER,
        "occurred_at": "2026-11-30T00:00:00Z",
        "evidence": "a receipt",
    },
}
# Writes that name no object of anyone (they act on the caller's own organization).
NO_OBJECTS = {
    ("POST", "/programs"),
    ("POST", "/exchange-rates"),
    ("PUT", "/payout-method"),
    ("POST", "/schedule/run"),
    ("POST", "/api-keys"),
    ("POST", "/leads/captures"),
    ("PUT", "/lead-settings"),
    ("POST", "/leads/score"),
    ("POST", "/leads/imports"),
    ("POST", "/lead-forms"),
    ("POST", "/nurture-sequences"),
    ("POST", "/lead-content"),
    ("POST", "/lead-events"),
    ("PUT", "/lead-handoff"),
    ("POST", "/leads/model"),
    ("POST", "/partner-types"),
    ("PUT", "/profile"),
}
# Answers with a result per row or item (200) instead of refusing the whole request.
PER_ROW = {("POST", "/conversions/batch"), ("POST", "/conversions/import"),
           ("POST", "/reversals/import"), ("POST", "/leads/imports"),
           ("POST", "/leads/outcomes")}  # fmt: skip
BODY_ROUTES = [r for r in ALL_ROUTES if not r.path_params and r.method != "GET"]


def _body_cases() -> list[Any]:
    cases = []
    for route in BODY_ROUTES:
        template = json.dumps(BODY_WRITES.get((route.method, route.path)))
        names = sorted(set(re.findall(r"{(\w+)}", template)))
        for role in ("anonymous", "brand_b", "partner_other"):
            if role != "anonymous" and (route.method, route.path) in NO_OBJECTS:
                continue  # nobody else's objects to reach
            if role == "partner_other" and not any(OBJECTS[n][1] != "program" for n in names):
                continue  # only the shared program: the partner acts on its own behalf
            case = Case(route, role)
            cases.append(pytest.param(case, id=f"{route.label} body as {role}"))
    return cases


BODY_CASES = _body_cases()


@pytest.mark.parametrize("case", BODY_CASES)
def test_tenant_isolation_of_writes_naming_objects_in_the_body(world: World, case: Case):
    route = case.route
    key = (route.method, route.path)
    if key not in BODY_WRITES and key not in NO_OBJECTS:
        pytest.fail(
            f"{route.label} takes its objects in the body, and the tenant matrix has no body "
            "for it: add a valid body naming the world's objects to BODY_WRITES (or the route "
            "to NO_OBJECTS if it acts only on the caller's own organization).",
            pytrace=False,
        )
    template = json.dumps(BODY_WRITES.get(key, {}))
    names = sorted(set(re.findall(r"{(\w+)}", template)))
    sent = {world.ids[OBJECTS[n][0]] for n in names}
    for name in names:
        template = template.replace("{" + name + "}", world.ids[OBJECTS[name][0]])
    request = Request(route.method, PREFIX + route.path, {}, sent, json.loads(template))
    response = _call(world, case.role, request)
    status = response.status_code
    world.outcomes[(case.role, status)] += 1
    detail = f"{case.role} {route.label} -> {status}\n{response.text[:500]}"
    assert status < 500, detail
    if case.role == "anonymous":
        assert status == 401, detail
        return
    allowed = (200, 403, 404) if key in PER_ROW else (403, 404)
    assert status in allowed, f"expected a refusal: {detail}"
    leaked = sorted(i for i in _hidden_from(world, case.role) - sent if i in response.text)
    assert not leaked, f"the response names ids the caller may not know, {leaked}: {detail}"
    foreign = _foreign(world, case, names)
    _same_as_for_missing_ids(world, case.role, request, response, foreign, detail)


def test_an_unmapped_path_parameter_fails_with_what_to_add() -> None:
    route = Route("GET", "/widgets/{widget_id}", ("widget_id",), (), ())
    world = World(client=None, keys={}, ids={})

    with pytest.raises(pytest.fail.Exception) as failed:
        _request(world, Case(route, "brand_a"))

    assert "widget_id" in str(failed.value)
    assert "Add each to OBJECTS" in str(failed.value)


def test_the_matrix_covers_every_route_of_the_api() -> None:
    """Every /api/v1 route is either in the matrix (it has a path parameter, or it is a
    list) or takes its objects in the body; the route table is walked, not a list."""
    assert MATRIX_ROUTES, "no /api/v1 routes found: has the route table changed shape?"
    covered = {(r.method, r.path) for r in MATRIX_ROUTES}
    missing = sorted(f"{m} {p}" for m, p in covered if (m, p) not in ACCESS)
    assert not missing, f"add these routes to ACCESS (who may call them): {missing}"
    roles = {c.values[0].role for c in CASES}
    assert roles == set(ROLES)
    summary = _summary()
    print(summary)


def _summary() -> str:
    with_params = sum(1 for r in MATRIX_ROUTES if r.path_params)
    lists = len(MATRIX_ROUTES) - with_params
    filtered = sum(1 for c in CASES if c.values[0].filtered) // len(ROLES)
    return (
        f"tenant matrix: {len(MATRIX_ROUTES)} of {len(ALL_ROUTES)} /api/v1 routes "
        f"({with_params} with path parameters, {lists} lists, {filtered} lists also filtered "
        f"by id), {len(ROLES)} roles, {len(CASES)} cases per backend; and {len(BODY_ROUTES)} "
        f"writes naming objects in the body ({len(BODY_ROUTES) - len(NO_OBJECTS)} with "
        f"objects), {len(BODY_CASES)} cases per backend"
    )


class _Reporter:
    """Prints the matrix's size and outcomes in pytest's terminal summary."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.lines:
            terminalreporter.section("tenant isolation matrix")
            for line in self.lines:
                terminalreporter.write_line(line)


def _report(config, world: World) -> None:
    reporter = config.pluginmanager.get_plugin("tenant-matrix")
    if reporter is None:
        reporter = _Reporter()
        config.pluginmanager.register(reporter, "tenant-matrix")
        reporter.lines.append(_summary())
    by_role: dict[str, Counter] = {}
    for (role, status), count in world.outcomes.items():
        by_role.setdefault(role, Counter())[status] += count
    backend = world.client.app.store.dialect
    outcome = "; ".join(
        f"{role} " + ",".join(f"{s}x{n}" for s, n in sorted(by_role[role].items()))
        for role in ROLES
        if role in by_role
    )
    reporter.lines.append(f"{backend}: {sum(world.outcomes.values())} calls: {outcome}")


# Appended: the growth reports and brand A's incrementality tests (holdouts).
OBJECTS["holdout_id"] = ("holdout", "brand")
ACCESS.update(
    {
        ("GET", "/programs/{program_id}/reports/growth"): BRAND,
        ("GET", "/programs/{program_id}/reports/mix"): BRAND,
        ("GET", "/programs/{program_id}/reports/diagnostics"): BRAND,
        ("GET", "/programs/{program_id}/holdouts"): BRAND,
        ("POST", "/programs/{program_id}/holdouts"): BRAND,
        ("GET", "/programs/{program_id}/holdouts/{holdout_id}"): BRAND,
        ("PUT", "/programs/{program_id}/holdouts/{holdout_id}/counts"): BRAND,
        ("GET", "/programs/{program_id}/holdouts/{holdout_id}/result"): BRAND,
        ("DELETE", "/programs/{program_id}/holdouts/{holdout_id}"): BRAND,
    }
)
_build_before_holdouts = _build


def _build(store: Store, client) -> World:
    from accord.reports.holdouts import HoldoutSpec, define_holdout
    from accord.tenancy.service import authenticate

    world = _build_before_holdouts(store, client)
    brand_a = authenticate(store, world.keys["brand_a"])
    now = store.clock.now()
    test = define_holdout(
        store,
        brand_a,
        world.ids["program"],
        HoldoutSpec(
            name="Matrix holdout",
            design="traffic",
            scope_kind="partner_type",
            scope="content",
            since=now - timedelta(days=10),
            until=now,
            share=__import__("decimal").Decimal("0.1"),
        ),
    )
    world.ids["holdout"] = test.id
    world.brand_only.add(test.id)
    world.a_ids.add(test.id)
    return world


# Lifecycle, concentration and promotion periods: brand reports; a program's own period is
# the brand's alone.
ACCESS.update(
    {
        # the directory: partners listed for every brand (a partner not listed only for the
        # brands it is in), a brand's own partner types, a partner's own profile
        ("GET", "/partner-types"): BOTH,
        ("POST", "/partner-types"): BRAND,
        ("GET", "/directory"): BRAND,
        ("GET", "/directory/{partner_id}"): BRAND,
        ("GET", "/programs/{program_id}/directory/suggestions"): BRAND,
        ("GET", "/profile"): PARTNER,
        ("PUT", "/profile"): PARTNER,
        ("GET", "/programs/{program_id}/reports/lifecycle"): BRAND,
        ("GET", "/programs/{program_id}/reports/concentration"): BRAND,
        ("GET", "/programs/{program_id}/promotions"): BRAND,
        ("POST", "/programs/{program_id}/promotions"): BRAND,
        ("DELETE", "/programs/{program_id}/promotions/{promotion_id}"): BRAND,
    }
)
OBJECTS["promotion_id"] = ("promotion", "brand")
_build_before_promotions = _build


def _build(store: Store, client) -> World:  # brand A's own promotion period too
    from accord.programs.promotions import add_promotion
    from accord.tenancy.service import authenticate

    world = _build_before_promotions(store, client)
    caller = authenticate(store, world.keys["brand_a"])
    start = store.clock.now()
    promotion = add_promotion(
        store, caller, world.ids["program"], "Matrix sale", start, start + timedelta(days=3)
    )
    world.ids["promotion"] = promotion.id
    world.brand_only.add(promotion.id)
    world.a_ids.add(promotion.id)
    return world


ACCESS.update(
    {
        # recruiting: a program's questions (its partners read them too), rules, invitations
        # and groups are its brand's; a partner reads and answers an invitation by its token
        ("GET", "/programs/{program_id}/application-questions"): BOTH,
        ("PUT", "/programs/{program_id}/application-questions"): BRAND,
        ("GET", "/programs/{program_id}/application-rules"): BRAND,
        ("POST", "/programs/{program_id}/application-rules"): BRAND,
        ("PATCH", "/application-rules/{rule_id}"): BRAND,
        ("DELETE", "/application-rules/{rule_id}"): BRAND,
        ("GET", "/programs/{program_id}/invitations"): BRAND,
        ("POST", "/programs/{program_id}/invitations"): BRAND,
        ("POST", "/invitations/{invitation_id}/revoke"): BRAND,
        ("GET", "/invitation"): PARTNER,
        ("POST", "/invitation/answer"): PARTNER,
        ("GET", "/programs/{program_id}/groups"): BRAND,
        ("POST", "/programs/{program_id}/groups"): BRAND,
        ("PUT", "/groups/{group_id}/members"): BRAND,
        ("POST", "/programs/{program_id}/partner-imports"): BRAND,
        ("POST", "/programs/{program_id}/history-imports"): BRAND,
    }
)
OBJECTS["rule_id"] = ("rule", "brand")
OBJECTS["invitation_id"] = ("invitation", "brand")
OBJECTS["group_id"] = ("group", "brand")
BODY_WRITES[("POST", "/invitation/answer")] = {"token": "not-an-invitation", "accept": True}
_build_before_recruiting = _build


def _build(store: Store, client) -> World:  # brand A's rule, invitation and group
    from accord.partners import recruiting
    from accord.tenancy.service import authenticate

    world = _build_before_recruiting(store, client)
    caller = authenticate(store, world.keys["brand_a"])
    program = world.ids["program"]
    rule = recruiting.add_rule(store, caller, program, name="Matrix rule", action="approve",
                               conditions={"countries": ["US"]})  # fmt: skip
    invitation = recruiting.invite(store, caller, program, email="matrix@invited.example")
    group = recruiting.add_group(store, caller, program, name="Matrix group")
    for name, made in (("rule", rule.id), ("invitation", invitation.invitation.id),
                       ("group", group.id)):  # fmt: skip
        world.ids[name] = made
        world.brand_only.add(made)
        world.a_ids.add(made)
    return world


ACCESS.update(
    {
        # creatives, code pools and briefs are a program's (its partners use them); a post
        # submitted for a brief is its partner's, and only the brand decides it
        ("GET", "/programs/{program_id}/creatives"): BOTH,
        ("POST", "/programs/{program_id}/creatives"): BRAND,
        ("PATCH", "/creatives/{creative_id}"): BRAND,
        ("POST", "/creatives/{creative_id}/use"): PARTNER,
        ("GET", "/programs/{program_id}/code-pools"): BOTH,
        ("POST", "/programs/{program_id}/code-pools"): BRAND,
        ("POST", "/code-pools/{pool_id}/codes"): BRAND,
        ("PATCH", "/code-pools/{pool_id}"): BRAND,
        ("POST", "/code-pools/{pool_id}/take"): PARTNER,
        ("GET", "/programs/{program_id}/briefs"): BOTH,
        ("POST", "/programs/{program_id}/briefs"): BRAND,
        ("GET", "/briefs/{brief_id}"): BOTH,
        ("PATCH", "/briefs/{brief_id}"): BRAND,
        ("POST", "/briefs/{brief_id}/submissions"): PARTNER,
        ("POST", "/brief-submissions/{submission_id}/decision"): BRAND,
    }
)
OBJECTS["creative_id"] = ("creative", "program")
OBJECTS["pool_id"] = ("pool", "program")
OBJECTS["brief_id"] = ("brief", "program")
OBJECTS["submission_id"] = ("submission", "partner")
_build_before_materials = _build


def _build(store: Store, client) -> World:  # brand A's creative, pool, brief; partner_own's post
    from accord.engage import briefs, creatives, pools
    from accord.ids import short_code
    from accord.tenancy.service import authenticate

    world = _build_before_materials(store, client)
    caller = authenticate(store, world.keys["brand_a"])
    program = world.ids["program"]
    creative = creatives.create_creative(store, caller, program, kind="copy", name="Matrix copy",
                                         body="Shop with {code}: {link}")  # fmt: skip
    codes = "\n".join(f"MX{short_code(6)}" for _ in range(3))
    pool, _ = pools.create_pool(store, caller, program, name="Matrix codes", codes=codes)
    brief = briefs.create_brief(store, caller, program, briefs.BriefIn(
        title="Matrix brief", keywords=["tent"], fee="10.00"))  # fmt: skip
    post = briefs.submit(store, authenticate(store, world.keys["partner_own"]), brief.id,
                         text="A tent for the matrix")  # fmt: skip
    for name, made in (("creative", creative.id), ("pool", pool.id), ("brief", brief.id)):
        world.ids[name] = made
        world.a_ids.add(made)
    world.ids["submission"] = post.id
    world.a_ids.add(post.id)
    world.own_ids.add(post.id)
    return world


ACCESS.update(
    {
        # bounties are a program's; content a partner sends for one is that partner's
        ("GET", "/programs/{program_id}/bounties"): BOTH,
        ("POST", "/programs/{program_id}/bounties"): BRAND,
        ("PATCH", "/bounties/{bounty_id}"): BRAND,
        ("POST", "/bounties/{bounty_id}/content"): PARTNER,
        ("POST", "/bounties/{bounty_id}/claims/{partner_id}/decision"): BRAND,
    }
)
OBJECTS["bounty_id"] = ("bounty", "program")
_build_before_bounties = _build


def _build(store: Store, client) -> World:  # brand A's content bounty, partner_own's content
    from accord.engage import bounties
    from accord.tenancy.service import authenticate

    world = _build_before_bounties(store, client)
    caller = authenticate(store, world.keys["brand_a"])
    now = store.clock.now()
    bounty = bounties.create_bounty(store, caller, world.ids["program"], bounties.BountyIn(
        title="Matrix review", kind="content", target=None, starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=30), reward="5.00"))  # fmt: skip
    bounties.submit_content(store, authenticate(store, world.keys["partner_own"]), bounty.id,
                            "https://own.example/review")  # fmt: skip
    world.ids["bounty"] = bounty.id
    world.a_ids.add(bounty.id)
    return world


ACCESS.update(
    {
        # a program's product feed: its brand loads and reads it, its partners download it
        ("PUT", "/programs/{program_id}/products"): BRAND,
        ("GET", "/programs/{program_id}/products"): BRAND,
        ("GET", "/programs/{program_id}/product-feed"): PARTNER,
    }
)
