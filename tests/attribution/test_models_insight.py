"""A program's attribution models side by side, by partner and by partner type, through
the service, the API and `accord reports models`."""

from __future__ import annotations

import json
import math
from datetime import timedelta
from decimal import Decimal

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from accord.attribution.datadriven import MODELS
from accord.attribution.insight import models_report
from accord.cli import app as cli_app
from accord.cli import common
from accord.errors import InvalidInput, NotFound
from accord.server import AccordApp
from accord.settings import Settings
from tests.factories import add_partner, click, convert, make_brand


@pytest.fixture
def journeys(store):
    """Three orders of 100.00:
    ORD-1: customer 1 clicks content partner A and buys         -> path (A)
    ORD-2: a day later customer 1 clicks coupon partner B, buys -> path (A, B): A via the
           customer's history, a day old; B the named click, at the order
    ORD-3: customer 2 clicks B and buys                          -> path (B)"""
    brand = make_brand(store)
    a = add_partner(brand, partner_type="content")
    b = add_partner(brand, partner_type="coupon")
    start = store.clock.now()
    convert(brand, "ORD-1", customer_id="cust-1", click_id=click(brand, a))
    store.clock.advance(timedelta(days=1))
    convert(brand, "ORD-2", customer_id="cust-1", click_id=click(brand, b))
    convert(brand, "ORD-3", customer_id="cust-2", click_id=click(brand, b))
    return brand, a, b, start


# By hand, order 1, converting paths only: start->A 2/3, start->B 1/3; A->conversion 1/2,
# A->B 1/2; B->conversion 1. P = 1. Remove A: P = 1/3 (RE 2/3); remove B: P = 2/3 * 1/2 =
# 1/3 (RE 2/3): 1.5 conversions each.
#   last touch: A 1 (ORD-1), B 2          first touch: A 2, B 1
#   linear, position-based, Shapley: (A,B) halves -> A 1.5, B 1.5
#   time decay (half life 7 days): in (A,B) A is 1 day old: 2^(-1/7) = 0.905724...,
#     A = 1 + 0.905724/1.905724 = 1.475265, B = 1.524735
#   roles: A opens (A,B) and is alone in (A); B closes (A,B) and is alone in (B).
EXPECTED = {
    "last_touch": ("1", "2"),
    "first_touch": ("2", "1"),
    "linear": ("1.5", "1.5"),
    "position_based": ("1.5", "1.5"),
    "markov": ("1.5", "1.5"),
    "shapley": ("1.5", "1.5"),
    "ordered_shapley": ("1.5", "1.5"),
}


def test_every_model_credits_the_partners_as_worked_by_hand(store, journeys):
    brand, a, b, _ = journeys
    report = models_report(store, brand.caller, brand.program_id)
    assert (report.journeys, report.touched, report.multi_touch, report.paths) == (3, 3, 1, 3)
    assert report.models == MODELS
    assert str(report.revenue) == "300.00 USD"
    rows = {r.key: r for r in report.rows}
    assert set(rows) == {a.id, b.id}
    assert rows[a.id].name.startswith("Partner ")
    for model, (for_a, for_b) in EXPECTED.items():
        assert rows[a.id].conversions[model] == Decimal(for_a), model
        assert rows[b.id].conversions[model] == Decimal(for_b), model
        assert rows[a.id].revenue[model].amount == Decimal(for_a) * 100, model
    decay_a = 1 + 2 ** (-1 / 7) / (1 + 2 ** (-1 / 7))
    assert math.isclose(float(rows[a.id].conversions["time_decay"]), decay_a, abs_tol=1e-4)
    assert math.isclose(float(rows[b.id].conversions["time_decay"]), 3 - decay_a, abs_tol=1e-4)
    assert rows[a.id].removal_effect == rows[b.id].removal_effect == Decimal("0.6667")
    assert (rows[a.id].first, rows[a.id].only, rows[a.id].role) == (
        Decimal("0.5"),
        Decimal("0.5"),
        "introducer",
    )
    assert (rows[b.id].last, rows[b.id].role) == (Decimal("0.5"), "closer")
    # ordered Shapley: A earns its 1.5 as a first touch; B 1 as first (ORD-3), 0.5 as second
    assert rows[a.id].by_position == (Decimal("1.5"), 0, 0)
    assert rows[b.id].by_position == (Decimal("1"), Decimal("0.5"), 0)
    assert rows[b.id].versus_last_touch("markov") == Decimal("-0.25")
    assert rows[a.id].versus_last_touch("markov") == Decimal("0.5")


def test_by_partner_type_the_types_are_the_channels(store, journeys):
    brand, *_ = journeys
    report = models_report(store, brand.caller, brand.program_id, by="partner_type", order=2)
    rows = {r.key: r for r in report.rows}
    assert set(rows) == {"content", "coupon"}
    assert rows["coupon"].conversions["last_touch"] == 2
    assert rows["content"].conversions["first_touch"] == 2
    # order 2: states (-,content), (content,coupon), (-,coupon); start: 2/3, 1/3;
    # (-,content) -> conversion 1/2, -> (content,coupon) 1/2; the rest convert.
    # Remove content: P = 1/3; remove coupon: P = 2/3 * 1/2 = 1/3 -> 1.5 each, as order 1.
    assert rows["content"].conversions["markov"] == Decimal("1.5")
    total = sum(r.conversions["markov"] for r in report.rows)
    assert total == 3


def test_the_period_narrows_the_journeys(store, journeys):
    brand, a, _, start = journeys
    report = models_report(store, brand.caller, brand.program_id, until=start + timedelta(hours=12))
    assert report.journeys == 1 and report.multi_touch == 0
    assert [r.key for r in report.rows] == [a.id]


def test_a_program_without_journeys_has_no_rows(store):
    brand = make_brand(store)
    report = models_report(store, brand.caller, brand.program_id)
    assert (report.journeys, report.rows, report.has_multi_touch) == (0, [], False)


def test_bad_choices_and_other_brands_are_refused(store, journeys):
    brand, *_ = journeys
    with pytest.raises(InvalidInput, match="order"):
        models_report(store, brand.caller, brand.program_id, order=4)
    with pytest.raises(InvalidInput, match="by"):
        models_report(store, brand.caller, brand.program_id, by="link")
    other = make_brand(store)
    with pytest.raises(NotFound):
        models_report(store, other.caller, brand.program_id)


def test_the_api_gives_the_models_to_the_brand_alone(store, journeys, tmp_path):
    brand, a, b, _ = journeys
    app = AccordApp(store, Settings(data_dir=tmp_path))
    url = f"/api/v1/programs/{brand.program_id}/attribution/models"
    with TestClient(app) as client:
        got = client.get(url, headers={"authorization": f"Bearer {brand.api_key}"})
        assert got.status_code == 200, got.text
        body = got.json()
        assert (body["journeys"], body["multi_touch"], body["order"]) == (3, 1, 1)
        assert body["converting_paths_only"] is True
        channels = {c["key"]: c for c in body["channels"]}
        assert channels[b.id]["models"]["last_touch"] == {
            "conversions": "2.0000",
            "revenue": {"amount": "200.00", "currency": "USD"},
        }
        assert channels[a.id]["role"] == "introducer"
        typed = client.get(
            url,
            params={"by": "partner_type", "order": 3, "since": "2000-01-01"},
            headers={"authorization": f"Bearer {brand.api_key}"},
        )
        assert {c["key"] for c in typed.json()["channels"]} == {"content", "coupon"}
        bad = client.get(
            url, params={"order": 4}, headers={"authorization": f"Bearer {brand.api_key}"}
        )
        assert bad.status_code == 422
        backwards = client.get(
            url,
            params={"since": "2030-01-02", "until": "2030-01-01"},
            headers={"authorization": f"Bearer {brand.api_key}"},
        )
        assert backwards.status_code == 422 and "until" in backwards.text
        partner = client.get(url, headers={"authorization": f"Bearer {a.api_key}"})
        assert partner.status_code in (403, 404)
        other = make_brand(store)
        foreign = client.get(url, headers={"authorization": f"Bearer {other.api_key}"})
        assert foreign.status_code == 404


class _Kept:
    """The test's store, which the command may not close."""

    def __init__(self, store):
        self._store = store

    def __getattr__(self, name):
        return getattr(self._store, name)

    def dispose(self):
        pass


def test_the_command_writes_every_model(store, journeys, tmp_path, monkeypatch):
    brand, a, b, _ = journeys
    monkeypatch.setattr(common, "_store", lambda clock=None: _Kept(store))
    runner = CliRunner()
    out = tmp_path / "models.json"
    done = runner.invoke(
        cli_app,
        ["reports", "models", brand.program_id, "--api-key", brand.api_key, "--format", "json",
         "-o", str(out)],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    rows = {r["key"]: r for r in json.loads(out.read_text())}
    assert rows[b.id]["last_touch_conversions"] == "2.0000"
    assert rows[a.id]["role"] == "introducer"
    csv = runner.invoke(
        cli_app,
        ["reports", "models", brand.program_id, "--api-key", brand.api_key, "--by",
         "partner_type", "--order", "2", "--format", "csv"],
    )  # fmt: skip
    assert csv.exit_code == 0, csv.output
    assert csv.output.splitlines()[0].startswith("key,name,last_touch_conversions")
    assert "coupon" in csv.output
    monkeypatch.setattr(common.console, "width", 300)  # a wide terminal
    screen = runner.invoke(
        cli_app, ["reports", "models", brand.program_id, "--api-key", brand.api_key]
    )
    assert screen.exit_code == 0, screen.output
    assert "introducer" in screen.output and "last_touch_conversions" in screen.output
    assert "last_touch_revenue" not in screen.output
    xlsx = tmp_path / "models.xlsx"
    assert (
        runner.invoke(
            cli_app,
            ["reports", "models", brand.program_id, "--api-key", brand.api_key, "-f", "xlsx",
             "-o", str(xlsx)],
        ).exit_code
        == 0
    )  # fmt: skip
    assert xlsx.read_bytes()[:2] == b"PK"
