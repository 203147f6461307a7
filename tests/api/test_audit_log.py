"""The audit log: every change to money, contracts, settings, keys and users is recorded in
the same transaction, with who, when, from where and the values before and after; ingestion
is not; the log can be read (API, console, CSV, Excel) but never changed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from accord.audit.context import Actor, acting
from accord.audit.tables import AuditEvent
from accord.commissions.service import lock_due
from accord.programs.service import update_program
from accord.server import AccordApp
from accord.settings import Settings
from accord.tenancy.service import create_api_key, create_user
from tests.api.support import Api, sale
from tests.factories import add_partner, click, convert, make_brand
from tests.web.conftest import PASSWORD, csrf_of, sign_in, unique_email


def _events(store, organization_id: str, **where) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.organization_id == organization_id)
    for name, value in where.items():
        query = query.where(getattr(AuditEvent, name) == value)
    with store.read() as session:
        return list(session.scalars(query.order_by(AuditEvent.id)))


def _count(store) -> int:
    with store.read() as session:
        return session.scalar(select(func.count(AuditEvent.id)))


def test_a_settings_change_over_the_api_names_the_key_address_and_values(store):
    from starlette.testclient import TestClient

    brand = make_brand(store)
    settings = Settings(trusted_proxies=["testclient"])
    with TestClient(AccordApp(store, settings), raise_server_exceptions=False) as client:
        api = Api(client, brand.api_key)
        changed = client.patch(
            f"/api/v1/programs/{brand.program_id}",
            json={"locking_days": 14},
            headers={**api.headers, "x-forwarded-for": "203.0.113.9"},
        )
        assert changed.status_code == 200, changed.text
        listed = api.ok("/audit-events", object_type="program")
    org = brand.caller.organization_id
    (event,) = [e for e in _events(store, org, object_type="program") if e.action == "update"]
    assert event.object_id == brand.program_id
    assert event.before == {"locking_days": 30} and event.after == {"locking_days": 14}
    assert event.actor_kind == "key" and event.actor_id == brand.caller.key_id
    assert event.actor_organization_id == org
    assert event.address == "203.0.113.9"  # the proxy is trusted: its client's address
    assert event.at == store.clock.now()
    assert [e["id"] for e in listed["data"]][-1] == event.id
    assert listed["data"][-1]["before"] == {"locking_days": 30}


def test_ingestion_is_not_audited_but_a_reversal_and_a_lock_are(client, store, brand):
    partner = add_partner(brand)
    before = _count(store)
    recorded = convert(brand, order_id="ord-a1", click_id=click(brand, partner))
    assert _count(store) == before  # a conversion, its commission and its accrual: ingestion
    api = Api(client, brand.api_key)
    reversed_ = api.post(
        f"/conversions/{recorded.conversion.id}/reversals",
        {"amount": "40.00", "reason_code": "returned"},
    )
    assert reversed_.status_code in (200, 201), reversed_.text
    org = brand.caller.organization_id
    kinds = {(e.object_type, e.action) for e in _events(store, org)}
    assert ("reversal", "create") in kinds and ("commission", "update") in kinds
    commission = next(e for e in _events(store, org, object_type="commission"))
    assert set(commission.after) >= {"amount_minor"}
    assert commission.before["amount_minor"] > commission.after["amount_minor"]

    store.clock.advance(timedelta(days=31))
    with acting(Actor("cli", "k1", None, org)):
        lock_due(store, brand.caller, brand.program_id)
    bulk = [e for e in _events(store, org, object_type="commission") if "rows" in (e.after or {})]
    assert bulk and bulk[-1].after["rows"] == 1 and bulk[-1].actor_kind == "cli"


def test_funding_and_payouts_leave_one_line_per_ledger_entry(client, store):
    brand = make_brand(store, locking_days=0)
    api = Api(client, brand.api_key)
    funded = api.post(
        "/funding", {"program_id": brand.program_id, "amount": "500.00", "reference": "wire-1"}
    )
    assert funded.status_code == 200, funded.text
    (entry,) = _events(store, brand.caller.organization_id, object_type="ledger_entry")
    assert entry.action == "post" and entry.object_id.startswith("funding:")
    assert entry.after["total_minor"] == 50000 and entry.after["currency"] == "USD"


def test_keys_and_users_are_audited_without_their_secrets(store):
    brand = make_brand(store)
    org = brand.caller.organization_id
    token = create_api_key(store, brand.caller, "shop", ["conversions:write"])
    create_user(store, org, unique_email("pm"), PASSWORD)
    key = _events(store, org, object_type="api_key")[-1]  # the first is the organization's
    assert key.after["name"] == "shop"
    assert key.after["scopes"] == "conversions:write"
    assert key.after["secret_hash"] == "[redacted]"
    assert token.split("_", 2)[2] not in str(key.after)  # the secret may hold "_" too
    (user,) = _events(store, org, object_type="user")
    assert user.after["password_hash"] == "[redacted]" and user.after["role"] == "owner"


def test_the_log_is_append_only_in_the_database(store, brand):
    create_api_key(store, brand.caller, "one more")
    event = _events(store, brand.caller.organization_id, object_type="api_key")[-1]
    for statement in (
        "UPDATE audit_events SET actor_id = 'someone else' WHERE id = :id",
        "DELETE FROM audit_events WHERE id = :id",
    ):
        with pytest.raises(Exception, match="append-only"), store.unit() as session:
            session.execute(text(statement), {"id": event.id})
    kept = _events(store, brand.caller.organization_id, object_type="api_key")[-1]
    assert (kept.id, kept.actor_id, kept.after) == (event.id, event.actor_id, event.after)


def test_the_console_shows_filters_and_exports_the_log_to_owners_and_analysts(client, store):
    brand = make_brand(store)
    org = brand.caller.organization_id
    owner = unique_email("owner")
    create_user(store, org, owner, PASSWORD)
    sign_in(client, owner)
    update_program(store, brand.caller, brand.program_id, {"locking_days": 7})
    settings_page = client.get(f"/console/settings?program={brand.program_id}")
    fields = {"csrf": csrf_of(settings_page.text), "program": brand.program_id}
    invited = client.post(
        "/console/users",
        content=f"csrf={fields['csrf']}&email=ana-{brand.program_id[-6:].lower()}%40b.example"
        "&role=analyst",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert invited.status_code == 201
    page = client.get("/console/audit")
    assert page.status_code == 200
    assert owner in page.text  # the owner invited the analyst
    assert "testclient" in page.text  # from where
    users_only = client.get("/console/audit?type=user")
    assert "locking_days" not in users_only.text and "analyst" in users_only.text
    csv = client.get("/console/audit.csv?type=program")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "locking_days" in csv.text and csv.text.startswith("id,at,actor_kind")
    xlsx = client.get("/console/audit.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    chinese = client.get("/console/audit", headers={"accept-language": "zh-CN"})
    assert "审计日志" in chinese.text


def test_ingestion_leaves_the_listener_at_its_early_exit(store, brand, monkeypatch):
    """Conversions with their commissions and accruals touch no audited change: the listener
    returns before looking at a single object's history."""
    from accord.audit import recorder

    partner = add_partner(brand)
    clicks = [click(brand, partner) for _ in range(20)]
    before = _count(store)

    def never(*args, **kwargs):
        raise AssertionError("the audit listener went past its early exit during ingestion")

    monkeypatch.setattr(recorder, "_changes", never)
    monkeypatch.setattr(recorder, "_values", never)
    for n, click_id in enumerate(clicks):
        convert(brand, order_id=f"hot-{n}", click_id=click_id)
    assert _count(store) == before


def test_a_read_only_key_reads_the_log_and_a_partner_key_does_not(client, store, brand):
    reader = create_api_key(store, brand.caller, "reader", ["read"])
    assert Api(client, reader).get("/audit-events").status_code == 200
    partner = add_partner(brand)
    assert Api(client, partner.api_key).get("/audit-events").status_code == 403
    assert Api(client, reader).post("/conversions", sale(brand.program_id)).status_code == 403
