"""Migration 0012 on a store with data: users become their organization's owner (a partner
company's admin), keys keep full access, and the audit log starts empty and append-only."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from accord.store.engine import make_engine
from accord.store.migrate import upgrade
from tests.conftest import PG_URL

NOW = "2026-11-01 12:00:00"


def _fill(engine) -> None:
    with engine.begin() as conn:
        for org, kind in (("org_b", "brand"), ("org_p", "partner")):
            conn.execute(
                text("INSERT INTO organizations (id, kind, name, created_at) "
                     "VALUES (:id, :kind, :id, :at)"),
                {"id": org, "kind": kind, "at": NOW},
            )  # fmt: skip
            conn.execute(
                text("INSERT INTO users (id, organization_id, email, password_hash, created_at) "
                     "VALUES (:id, :org, :email, 'x', :at)"),
                {"id": f"usr_{org}", "org": org, "email": f"{org}@x.example", "at": NOW},
            )  # fmt: skip
            conn.execute(
                text("INSERT INTO api_keys (id, organization_id, key_id, secret_hash, name, "
                     "created_at) VALUES (:id, :org, :kid, 'h', 'old', :at)"),
                {"id": f"key_{org}", "org": org, "kid": f"k{org}", "at": NOW},
            )  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def old_store(request, tmp_path):
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path}/old.db")
        yield engine
        engine.dispose()
        return
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"accord_mig_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server
        pytest.skip(f"PostgreSQL not reachable ({type(exc).__name__})")
    engine = make_engine(make_url(PG_URL).set(database=name).render_as_string(False))
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_existing_users_and_keys_keep_what_they_could_do(old_store):
    upgrade(old_store, "0011")
    _fill(old_store)
    upgrade(old_store)
    with old_store.connect() as conn:
        roles = dict(conn.execute(text("SELECT organization_id, role FROM users")).all())
        scopes = set(conn.execute(text("SELECT scopes FROM api_keys")).scalars())
        audited = conn.execute(text("SELECT COUNT(*) FROM audit_events")).scalar()
    assert roles == {"org_b": "owner", "org_p": "admin"}
    assert scopes == {"*"}
    assert audited == 0
