"""The demo, run small, through the real HTTP server: its totals reconcile."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accord.clock import ShiftableClock
from accord.demo.run import run_demo
from accord.settings import Settings
from accord.store.engine import Store
from tests.factories import free_port

pytestmark = pytest.mark.e2e


def test_the_demo_drives_clicks_and_conversions_over_http_and_reconciles(engine):
    store = Store(engine, ShiftableClock())
    port = free_port()
    phases: set[str] = set()
    result, server = run_demo(
        store,
        Settings(port=port),
        scale=0.05,
        port=port,
        progress=lambda phase, done, total: phases.add(phase),
    )
    server.stop()
    data = result.as_dict()
    http = data["http"]

    assert http["errors"] == []
    assert data["clicks"] == http["clicks_sent"] == http["clicks_redirected"] >= 250
    assert data["conversions"] == http["conversions_created"] > 0
    assert http["retries_sent"] == http["retries_answered_as_duplicates"] > 0
    assert http["reversals_sent"] > 0 and http["clawbacks_sent"] > 0
    assert data["payouts"] > 0
    assert data["ledger_balanced"] is True
    assert all(data["checks"].values())
    commissions = Decimal(data["commissions"])
    assert commissions == (
        Decimal(data["pending"]) + Decimal(data["payable"]) + Decimal(data["paid"])
    )
    assert Decimal(data["paid"]) > 0
    by_type = data["by_partner_type"]
    assert {row["key"] for row in by_type} == {
        "coupon",
        "cashback",
        "content",
        "influencer",
        "b2b_referral",
    }
    assert sum(Decimal(r["commissions"]) for r in by_type) == commissions
    assert sum(r["clicks"] for r in by_type) == data["clicks"]
    assert {"partners", "clicks", "conversions"} <= phases
