"""The API docs page works on a machine with no internet: every asset comes from Accord."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from accord.server import AccordApp
from accord.settings import Settings


def test_the_docs_page_loads_swagger_ui_from_accord_itself(store, tmp_path):
    with TestClient(AccordApp(store, Settings(data_dir=tmp_path))) as client:
        page = client.get("/docs")
        assert page.status_code == 200
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert assets, page.text
        assert all(a.startswith("/") for a in assets), assets  # no CDN
        for asset in assets:
            response = client.get(asset)
            assert response.status_code == 200, asset
            assert len(response.content) > 500
