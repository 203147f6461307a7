"""Fixtures for the postback tests.

Every pass of the postback worker sees the whole deliveries table, and the test database is
shared by the session's tests; so each test here starts and ends with no delivery pending.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from sqlalchemy import update

from accord.postbacks.tables import PostbackDelivery
from accord.server import AccordApp
from accord.settings import Settings
from accord.store.engine import Store

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's notice about httpx; see tests/api/conftest.py
    from starlette.testclient import TestClient


def _settle(store: Store) -> None:
    with store.unit() as session:
        session.execute(
            update(PostbackDelivery)
            .where(PostbackDelivery.status == "pending")
            .values(status="failed", next_attempt_at=None, last_error="left by a test")
        )


@pytest.fixture
def store(store: Store) -> Iterator[Store]:
    """The shared store with no postback delivery pending from another test."""
    _settle(store)
    yield store
    _settle(store)


def _client(store: Store, settings: Settings) -> Iterator[TestClient]:
    with TestClient(
        AccordApp(store, settings), raise_server_exceptions=False, follow_redirects=False
    ) as client:
        yield client


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    """The API with production settings: postbacks only to public addresses."""
    yield from _client(store, Settings())


@pytest.fixture
def local_client(store: Store) -> Iterator[TestClient]:
    """The API with postback_allow_private on, for a receiver on 127.0.0.1."""
    yield from _client(store, Settings(postback_allow_private=True))
