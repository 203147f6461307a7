"""The demo, run small, through the real HTTP server: its totals reconcile."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from accord.clock import ShiftableClock
from accord.demo import cast
from accord.demo.run import run_demo, sizes
from accord.settings import Settings
from accord.store.engine import Store
from tests.factories import free_port

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("scale", [0.01, 0.1, 1, 2, 3, 5, 50])
@pytest.mark.parametrize("seed", [7, 1, 2024])
def test_the_demo_cast_has_unique_names_and_promo_codes_at_every_scale(scale, seed):
    from accord.tracking.model import normalize_promo_code

    count, _ = sizes(scale)
    seeds = cast.partners(count, random.Random(seed))

    assert len(seeds) == count
    names = [s.name for s in seeds] + [name for name, _, _ in cast.APPLICANTS]
    assert len(set(names)) == len(names)
    codes = [normalize_promo_code(s.promo_code) for s in seeds if s.promo_code]
    assert len(set(codes)) == len(codes)
    assert all(s.partner_type in cast.CODED_TYPES for s in seeds if s.promo_code)
    if count >= 200:  # most coupon sites and creators have a code
        coded = [s for s in seeds if s.partner_type in cast.CODED_TYPES]
        assert 0.6 < len(codes) / len(coded) < 0.8
    assert {s.partner_type for s in seeds} == set(cast.CONTRACTS)


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
    leads = data["leads"]
    assert leads["contacts"] > 0 and leads["content_items"] == 3
    assert (leads["events"], leads["registered"], leads["sequences"]) == (1, 5, 1)
