"""The API's alerts and forecast, with the figures of the monitoring world."""

from __future__ import annotations

import warnings

import pytest

from accord.monitoring.service import scan
from accord.server import AccordApp
from accord.settings import Settings
from tests.monitoring.conftest import SPIKE

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


@pytest.fixture
def api(store):
    app = AccordApp(store, Settings(spool=False, rate_limits=False))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_alerts_are_listed_and_marked_seen(world, api):
    b = world.brand
    scan(b.store, b.caller, b.program_id)
    key = {"Authorization": f"Bearer {b.api_key}"}
    listed = api.get(f"/api/v1/programs/{b.program_id}/alerts", headers=key)
    assert listed.status_code == 200
    [alert] = listed.json()["data"]
    assert alert["partner_id"] == world.big.id and alert["metric"] == "clicks"
    assert (alert["day"], alert["value"], alert["expected"]) == (SPIKE.isoformat(), 200, 40)
    assert alert["direction"] == "up" and alert["how_unusual"] == "extremely unusual"
    assert alert["seen_at"] is None
    seen = api.post(f"/api/v1/programs/{b.program_id}/alerts/{alert['id']}/seen", headers=key)
    assert seen.status_code == 200 and seen.json()["seen_at"] is not None
    unseen = api.get(f"/api/v1/programs/{b.program_id}/alerts?unseen=true", headers=key)
    assert unseen.json()["data"] == []
    missing = api.post(f"/api/v1/programs/{b.program_id}/alerts/alr_nothing/seen", headers=key)
    assert missing.status_code == 404
    partner = {"Authorization": f"Bearer {world.big.api_key}"}
    assert api.get(f"/api/v1/programs/{b.program_id}/alerts", headers=partner).status_code == 403


def test_the_forecast(world, api):
    b = world.brand
    key = {"Authorization": f"Bearer {b.api_key}"}
    answer = api.get(f"/api/v1/programs/{b.program_id}/reports/forecast", headers=key)
    assert answer.status_code == 200
    body = answer.json()
    assert body["month"] == "2026-12-01" and len(body["months"]) == 12
    # June .. November on a line from 1,000 to 1,500: December 1,600
    assert body["total"]["expected"] == {"amount": "1600.00", "currency": "USD"}
    content = next(t for t in body["types"] if t["partner_type"] == "content")
    assert [h["amount"] for h in content["history"][-6:]] == [
        "1000.00", "1100.00", "1200.00", "1300.00", "1400.00", "1500.00"
    ]  # fmt: skip
    coupon = next((t for t in body["types"] if t["partner_type"] == "coupon"), None)
    assert coupon is None  # no revenue: no row
    bad = api.get(f"/api/v1/programs/{b.program_id}/reports/forecast?months=3", headers=key)
    assert bad.status_code == 422
