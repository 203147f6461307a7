"""A brand with one partner behind the real ASGI app, for tracking tests."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient

from accord.server import AccordApp
from accord.settings import Settings
from tests.factories import add_partner, make_brand


@pytest.fixture
def api(store, tmp_path):
    """(brand, partner, client): the client sends the brand's key and does not follow 302s."""
    brand = make_brand(store)
    partner = add_partner(brand)
    app = AccordApp(store, Settings(data_dir=tmp_path))
    with TestClient(app, follow_redirects=False) as client:
        client.headers["authorization"] = f"Bearer {brand.api_key}"
        yield brand, partner, client


def click_through(client, partner) -> str:
    """Click the partner's link and return the click id the redirect carries."""
    location = client.get(f"/c/{partner.link_code}").headers["location"]
    return parse_qs(urlsplit(location).query)["accord_click"][0]
