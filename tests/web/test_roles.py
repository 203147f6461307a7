"""Roles in the console and the portal: each role does what it may and is refused the rest
with a page naming what is missing; owners (and partner admins) manage users."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from accord.api.app import create_api
from accord.settings import Settings
from accord.tenancy.permissions import required_permission
from accord.tenancy.service import create_user
from tests.factories import add_partner, make_brand
from tests.web.conftest import PASSWORD, csrf_of, sign_in, unique_email

FORM = {"content-type": "application/x-www-form-urlencoded"}


def _as(client, store, brand, role: str) -> str:
    """Sign in a new user of the brand with this role; their CSRF token."""
    email = unique_email(role)
    create_user(store, brand.caller.organization_id, email, PASSWORD, role)
    sign_in(client, email)
    return csrf_of(client.get("/console").text)


def _post(client, path: str, csrf: str, **fields):
    return client.post(path, content=urlencode({"csrf": csrf, **fields}), headers=FORM)


def test_every_console_and_portal_page_has_a_permission() -> None:
    """Walks the route table: each console and portal route that a signed-in visitor uses
    resolves to a permission, so a new page is covered the day it is added."""
    from tests.api.test_tenant_matrix import _flat_routes

    app = create_api(None, Settings())
    open_to_all = {"/console/login", "/console/logout", "/portal/signup", "/portal/login",
                   "/console/password/forgot", "/console/password/reset"}  # fmt: skip
    routes = _flat_routes(app)  # included routers flattened, or nothing would be walked
    paths = {getattr(route, "path", "") for route in routes}
    assert {"/console/payout-batches/{batch_id}/send", "/portal/settings"} <= paths
    missing = []
    for route in routes:
        path = getattr(route, "path", "")
        if not path.startswith(("/console", "/portal")) or path in open_to_all:
            continue
        if path.startswith(("/console/static", "/console/language")):
            continue
        for method in getattr(route, "methods", None) or ():
            if required_permission(method, path) is None:
                missing.append(f"{method} {path}")
    assert not missing


@pytest.mark.parametrize(
    ("role", "path", "fields", "needs"),
    [
        ("analyst", "/console/commissions/approve", {}, "Commissions: change"),
        ("analyst", "/console/settings", {}, "Programs and settings: change"),
        ("analyst", "/console/api-keys", {"name": "x"}, "API keys: change"),
        (
            "analyst",
            "/console/settings/exchange-rates",
            {"base": "USD", "quote": "EUR", "rate": "0.9"},
            "Programs and settings: change",
        ),
        ("manager", "/console/payouts/run", {}, "Payouts: change"),
        ("manager", "/console/api-keys", {"name": "x"}, "API keys: change"),
        ("manager", "/console/users", {"email": "a@b.example", "role": "owner"}, "Users: change"),
        ("finance", "/console/settings", {}, "Programs and settings: change"),
        ("finance", "/console/commissions/approve", {}, "Commissions: change"),
    ],
)
def test_a_role_is_refused_what_it_may_not_do_with_a_page_saying_why(
    client, store, role, path, fields, needs
):
    brand = make_brand(store)
    csrf = _as(client, store, brand, role)
    refused = _post(client, path, csrf, program=brand.program_id, **fields)
    assert refused.status_code == 403
    assert "Your role does not allow this" in refused.text
    assert needs in refused.text
    assert ":write" not in refused.text  # the permission in words, not its code


def test_an_analyst_reads_every_page_but_sees_no_buttons_to_change_keys_or_users(client, store):
    brand = make_brand(store)
    _as(client, store, brand, "analyst")
    pages = ("/console", "/console/partners", "/console/commissions", "/console/payouts",
             "/console/settings", "/console/api-keys", "/console/users",
             "/console/audit")  # fmt: skip
    for page in pages:
        assert client.get(page).status_code == 200, page
    assert "Create key" not in client.get("/console/api-keys").text
    assert "Invite someone" not in client.get("/console/users").text


def test_finance_runs_payouts_and_a_manager_changes_settings(client, store):
    brand = make_brand(store)
    csrf = _as(client, store, brand, "finance")
    run = _post(client, "/console/payouts/run", csrf, program=brand.program_id)
    assert run.status_code == 303, run.text
    client.cookies.clear()
    csrf = _as(client, store, brand, "manager")
    page = client.get(f"/console/settings?program={brand.program_id}")
    assert page.status_code == 200
    assert client.get("/console/audit").status_code == 403  # owners and analysts only


def test_the_console_offers_only_the_scopes_a_role_holds(client, store):
    brand = make_brand(store)
    _as(client, store, brand, "owner")
    page = client.get("/console/api-keys").text
    offered = set(re.findall(r'name="scope:([^"]+)"', page))
    assert {"*", "read", "payouts:write", "keys:write", "users:write"} <= offered
    assert "Payouts: change" in page and "Full access" in page


def test_an_owner_invites_changes_and_removes_users_but_never_the_last_owner(client, store):
    brand = make_brand(store)
    owner_email = unique_email("owner")
    owner = create_user(store, brand.caller.organization_id, owner_email, PASSWORD)
    assert owner.role == "owner"
    sign_in(client, owner_email)
    csrf = csrf_of(client.get("/console/users").text)
    email = unique_email("analyst")
    invited = _post(client, "/console/users", csrf, email=email, role="analyst")
    assert invited.status_code == 201
    password = re.search(r'<code id="new-password">([^<]+)</code>', invited.text).group(1)
    assert password not in client.get("/console/users").text  # shown once
    user_id = re.search(rf"/console/users/(usr_\w+)/role[^%]*?{re.escape(email)}|"
                        rf"{re.escape(email)}.*?/console/users/(usr_\w+)/role",
                        invited.text, re.S)  # fmt: skip
    user_id = user_id.group(1) or user_id.group(2)

    # the last owner can be neither demoted nor removed
    refused = _post(client, f"/console/users/{owner.id}/role", csrf, role="analyst")
    assert refused.status_code == 422 and "at least one owner" in refused.text
    refused = _post(client, f"/console/users/{owner.id}/remove", csrf)
    assert refused.status_code == 422

    changed = _post(client, f"/console/users/{user_id}/role", csrf, role="finance")
    assert changed.status_code == 303
    assert "Finance" in client.get("/console/users").text

    other = client.__class__(client.app, follow_redirects=False)
    with other:
        assert sign_in(other, email, password).status_code == 303  # the one-time password works
        assert other.get("/console/payouts").status_code == 200
        removed = _post(client, f"/console/users/{user_id}/remove", csrf)
        assert removed.status_code == 303
        assert other.get("/console/payouts").status_code == 303  # signed out: to sign in
    assert email not in client.get("/console/users").text


def test_a_partner_member_makes_links_but_not_payout_methods_and_an_admin_invites(client, store):
    from accord.partners.tables import Partner

    brand = make_brand(store)
    partner = add_partner(brand)
    with store.read() as session:
        org = session.get(Partner, partner.id).organization_id
    admin_email, member_email = unique_email("admin"), unique_email("member")
    create_user(store, org, admin_email, PASSWORD)
    create_user(store, org, member_email, PASSWORD, "member")

    sign_in(client, member_email)
    csrf = csrf_of(client.get("/portal").text)
    link = _post(client, "/portal/links", csrf, program=brand.program_id)
    assert link.status_code in (200, 303), link.text
    method = _post(client, "/portal/settings/payout-method", csrf, method="paypal",
                   paypal_email="me@partner.example")  # fmt: skip
    assert method.status_code == 403 and "Payouts: change" in method.text
    postback = _post(client, "/portal/settings/postbacks", csrf, url="https://p.example/{click_id}")
    assert postback.status_code == 403
    invite = _post(client, "/portal/users", csrf, email="x@p.example", role="admin")
    assert invite.status_code == 403

    client.cookies.clear()
    sign_in(client, admin_email)
    csrf = csrf_of(client.get("/portal/users").text)
    page = client.get("/portal/users").text
    assert "Administrator" in page and "Member" in page and "Owner" not in page
    invited = _post(client, "/portal/users", csrf, email=unique_email("p2"), role="member")
    assert invited.status_code == 201
    wrong = _post(client, "/portal/users", csrf, email=unique_email("p3"), role="owner")
    assert wrong.status_code == 422


def test_a_payout_run_from_the_console_is_audited_as_the_finance_user(client, store):
    from datetime import timedelta

    from sqlalchemy import select

    from accord.audit.tables import AuditEvent
    from accord.commissions.service import approve, lock_due
    from tests.factories import click, convert
    from tests.web.conftest import wait_for_job

    brand = make_brand(store, locking_days=0)
    partner = add_partner(brand)
    convert(brand, order_id="paid-1", click_id=click(brand, partner))
    store.clock.advance(timedelta(minutes=1))
    lock_due(store, brand.caller, brand.program_id)
    approve(store, brand.caller, brand.program_id)
    email = unique_email("finance")
    create_user(store, brand.caller.organization_id, email, PASSWORD, "finance")
    sign_in(client, email)
    csrf = csrf_of(client.get("/console/payouts").text)
    run = _post(client, "/console/payouts/run", csrf, program=brand.program_id, manual="1")
    assert run.status_code == 303
    wait_for_job(client, run.headers["location"])
    with store.read() as session:
        events = session.scalars(
            select(AuditEvent).where(
                AuditEvent.organization_id == brand.caller.organization_id,
                AuditEvent.object_type.in_(("payout_batch", "payout")),
            )
        ).all()
    assert {e.object_type for e in events} == {"payout_batch", "payout"}
    assert {(e.actor_kind, e.actor_label) for e in events} == {("user", email)}
