"""Fixtures for the API tests: the real ASGI application over the `store` fixture."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from accord.server import AccordApp
from accord.settings import Settings
from tests.api.support import Api
from tests.factories import Brand, make_brand

with warnings.catch_warnings():
    # starlette announces that it will move to httpx2; the tests run on httpx either way
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


@pytest.fixture
def app(store) -> AccordApp:
    return AccordApp(store, Settings())


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    """The app with its lifespan running (click recorder started, link cache warmed).

    Server errors come back as the 500 response a real client would get, and redirects are
    not followed, so that tests see the click edge's 302 itself.
    """
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def brand(store) -> Brand:
    return make_brand(store)


@pytest.fixture
def api(client, brand) -> Api:
    """The brand's API client."""
    return Api(client, brand.api_key)
