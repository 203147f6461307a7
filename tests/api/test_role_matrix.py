"""Roles and scopes, route by route, generated from the API's route table.

Every /api/v1 route is called with keys of brand A that carry the scopes of each role
(owner, manager, finance, analyst), a key with `read` alone, and keys of A's partner with
an admin's and a member's scopes:

- a key that lacks the permission the route needs is refused with 403 naming it
  ("this key lacks payouts:write"), before its body is read;
- a key that holds it is never refused for want of it (it may still be refused as a
  partner's key on a brand's route, and the other way round);
- a read that the key's kind may use answers 2xx (or 404, or 422 past authorization), never 403.

A route whose permission cannot be derived fails `test_every_api_route_has_a_permission`,
so a new route is covered the day it is added.
"""

from __future__ import annotations

import warnings
from collections import Counter
from typing import Any

import pytest

from accord.api.app import create_api
from accord.api.deps import get_caller
from accord.clock import FixedClock
from accord.server import AccordApp
from accord.settings import Settings
from accord.store.engine import Store
from accord.tenancy.permissions import ROLE_SCOPES, Role, allows, required_permission
from accord.tenancy.service import authenticate, create_api_key
from tests.api.test_tenant_matrix import (
    ACCESS,
    ALL_ROUTES,
    BOTH,
    BRAND,
    PREFIX,
    Case,
    Route,
    _build,
    _flat_routes,
    _request,
)
from tests.conftest import START

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

READ_ONLY = frozenset({"read"})
#: role -> (kind of organization, the scopes its key carries)
ROLES: dict[str, tuple[str, frozenset[str]]] = {
    "owner": (BRAND, ROLE_SCOPES[Role.OWNER]),
    "manager": (BRAND, ROLE_SCOPES[Role.MANAGER]),
    "finance": (BRAND, ROLE_SCOPES[Role.FINANCE]),
    "analyst": (BRAND, ROLE_SCOPES[Role.ANALYST] - {"audit:read"}),
    "read_only": (BRAND, READ_ONLY),
    "partner_admin": ("partner", ROLE_SCOPES[Role.ADMIN]),
    "partner_member": ("partner", ROLE_SCOPES[Role.MEMBER]),
}
#: Routes anyone may call without a key.
PUBLIC: set[tuple[str, str]] = set()


def _depends_on_get_caller(route) -> bool:
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        if dependant.call is get_caller:
            return True
        stack.extend(dependant.dependencies)
    return False


def test_every_api_route_has_a_permission_and_checks_it() -> None:
    """Walks the route table: each /api/v1 route resolves to a permission and depends on
    the caller dependency, where it is checked."""
    app = create_api(None, Settings())
    missing, unchecked, seen = [], [], 0
    for route in _flat_routes(app):
        path = getattr(route, "path", "") or ""
        if not path.startswith(PREFIX + "/"):
            continue
        for method in sorted((route.methods or set()) - {"HEAD", "OPTIONS"}):
            seen += 1
            if required_permission(method, path) is None:
                missing.append(f"{method} {path}")
            if (method, path) not in PUBLIC and not _depends_on_get_caller(route):
                unchecked.append(f"{method} {path}")
    assert seen > 40
    assert not missing, (
        "no permission can be derived for these routes: name their resource in "
        f"accord.tenancy.permissions.SEGMENTS or add them to EXCEPTIONS: {missing}"
    )
    assert not unchecked, f"these routes never check the caller's key: {unchecked}"


class _Reporter:
    """Prints the role matrix's size and outcomes in pytest's terminal summary."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def pytest_terminal_summary(self, terminalreporter) -> None:
        terminalreporter.section("role and scope matrix")
        for line in self.lines:
            terminalreporter.write_line(line)


def _report(config, line: str) -> None:
    reporter = config.pluginmanager.get_plugin("role-matrix")
    if reporter is None:
        reporter = _Reporter()
        config.pluginmanager.register(reporter, "role-matrix")
    reporter.lines.append(line)


@pytest.fixture(scope="module")
def role_world(engine, request):
    store = Store(engine, FixedClock(START))
    quiet = {"rate_limits": False} if "rate_limits" in Settings.model_fields else {}
    app = AccordApp(store, Settings(spool=False, **quiet))
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        world = _build(store, client)
        brand = authenticate(store, world.keys["brand_a"])
        partner = authenticate(store, world.keys["partner_own"])
        for role, (kind, scopes) in ROLES.items():
            maker = brand if kind == BRAND else partner
            world.keys[role] = create_api_key(store, maker, f"{role} key", sorted(scopes))
        world.outcomes = Counter()
        yield world
    _report(request.config, f"{store.dialect}: {_summary(world)}")


def _summary(world) -> str:
    per_role = "; ".join(
        f"{role} {world.outcomes[(role, True)]} allowed, {world.outcomes[(role, False)]} refused"
        for role in ROLES
    )
    return (
        f"{len(ALL_ROUTES)} /api/v1 routes x {len(ROLES)} roles = "
        f"{len(ALL_ROUTES) * len(ROLES)} cases: {per_role}"
    )


def _kind_may_use(route: Route, kind: str) -> bool | None:
    access = ACCESS.get((route.method, route.path))
    if access is None:
        return None  # a write naming its objects in the body: not listed
    return access in (BOTH, kind)


def _send(world, role: str, route: Route, body: Any = None):
    request = _request(world, Case(route, "brand_a" if ROLES[role][0] == BRAND else "partner_own"))
    headers = {"Authorization": f"Bearer {world.keys[role]}"}
    if route.method in ("POST", "PUT", "PATCH"):
        return world.client.request(
            route.method, request.path, params=request.query or None,
            json={} if body is None else body, headers=headers,
        )  # fmt: skip
    return world.client.request(
        route.method, request.path, params=request.query or None, headers=headers
    )


CASES = [
    pytest.param(route, role, id=f"{route.label} as {role}")
    for route in ALL_ROUTES
    for role in ROLES
]


@pytest.mark.parametrize(("route", "role"), CASES)
def test_a_key_may_do_what_its_scopes_hold_and_nothing_else(role_world, route, role):
    kind, scopes = ROLES[role]
    needed = required_permission(route.method, PREFIX + route.path)
    response = _send(role_world, role, route)
    status = response.status_code
    detail = f"{route.label} as {role} ({sorted(scopes)}) -> {status} {response.text[:300]}"
    assert status < 500, detail
    role_world.outcomes[(role, allows(scopes, needed))] += 1
    if not allows(scopes, needed):
        assert status == 403, detail
        assert response.json()["error"] == {
            "code": "forbidden",
            "message": f"this key lacks {needed}",
        }, detail
        if route.method in ("POST", "PUT", "PATCH"):  # refused before the body is read
            junk = _send(role_world, role, route, {"not_a_field_of_any_route": True})
            assert junk.status_code == 403, f"with a body no route accepts: {junk.text}"
        return
    assert "lacks" not in response.text, detail
    if route.method == "GET" and _kind_may_use(route, kind):
        assert status in (200, 404, 422), detail  # 422: past authorization


def test_finance_runs_payouts_but_does_not_change_contracts(role_world):
    world = role_world
    headers = {"Authorization": f"Bearer {world.keys['finance']}"}
    program = world.ids["program"]
    paid = world.client.post(
        "/api/v1/payout-batches", json={"program_id": program}, headers=headers
    )
    assert paid.status_code in (200, 201), paid.text
    refused = world.client.post(
        f"/api/v1/programs/{program}/contracts",
        json={"name": "Mine", "rules": [{"event_type": "sale", "percent": "50"}]},
        headers=headers,
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "this key lacks contracts:write"


def test_a_manager_may_not_run_payouts_or_make_keys(role_world):
    world = role_world
    headers = {"Authorization": f"Bearer {world.keys['manager']}"}
    program = world.ids["program"]
    refused = world.client.post(
        "/api/v1/payout-batches", json={"program_id": program}, headers=headers
    )
    assert refused.status_code == 403
    assert refused.json() == {
        "error": {"code": "forbidden", "message": "this key lacks payouts:write"}
    }
    key = world.client.post("/api/v1/api-keys", json={"name": "x"}, headers=headers)
    assert key.json()["error"]["message"] == "this key lacks keys:write"
    locked = world.client.post(
        "/api/v1/commissions/lock", json={"program_id": program}, headers=headers
    )
    assert locked.status_code == 200, locked.text


def test_a_key_cannot_make_a_key_with_more_than_it_holds(role_world):
    world = role_world
    owner = {"Authorization": f"Bearer {world.keys['owner']}"}
    made = world.client.post(
        "/api/v1/api-keys", json={"name": "keys only", "scopes": ["read", "keys:write"]},
        headers=owner,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["scopes"] == ["read", "keys:write"]
    limited = {"Authorization": f"Bearer {made.json()['token']}"}
    wider = world.client.post(
        "/api/v1/api-keys", json={"name": "wider", "scopes": ["payouts:write"]}, headers=limited
    )
    assert wider.status_code == 422
    assert wider.json()["error"]["field"] == "scopes"
    assert "payouts:write" in wider.json()["error"]["message"]
    unknown = world.client.post(
        "/api/v1/api-keys", json={"name": "odd", "scopes": ["payouts:delete"]}, headers=owner
    )
    assert unknown.status_code == 422 and "unknown scope" in unknown.json()["error"]["message"]
