"""`accord reports lifecycle` and `accord reports concentration` print or save the reports;
`accord reports sum-days` sums a program's days for them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from accord.cli import app as cli_app
from accord.clock import FixedClock
from accord.settings import get_settings
from accord.store.engine import Store, make_engine
from tests.factories import add_partner, click, convert, make_brand


@pytest.fixture
def cli_store(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/accord.db"
    monkeypatch.setenv("ACCORD_DATABASE_URL", url)
    get_settings.cache_clear()
    runner = CliRunner()
    assert runner.invoke(cli_app, ["migrate"]).exit_code == 0
    store = Store(make_engine(url))
    yield runner, store
    store.dispose()
    get_settings.cache_clear()


def test_the_reports_as_json_and_csv(cli_store, tmp_path):
    runner, store = cli_store
    brand = make_brand(store)
    big, small, idle = add_partner(brand), add_partner(brand), add_partner(brand)
    convert(brand, amount="300.00", click_id=click(brand, big))
    convert(brand, amount="100.00", click_id=click(brand, small))
    key = ["--api-key", brand.api_key]

    shown = runner.invoke(
        cli_app, ["reports", "concentration", brand.program_id, *key, "--format", "json"]
    )
    assert shown.exit_code == 0, shown.output
    rows = json.loads(shown.output)
    # 300 of 400 is 75%; 100 of 400 is 25%; the idle partner brings nothing
    assert [(r["partner_id"], r["share_lost_if_leaves"]) for r in rows] == [
        (big.id, "0.7500"),
        (small.id, "0.2500"),
        (idle.id, "0.0000"),
    ]
    # top 20% of 3 partners = 1 partner; the core making 80%: 300 (75%) + 100
    assert [(r["top_20_percent"], r["core"]) for r in rows] == [
        ("yes", "yes"),
        ("", "yes"),
        ("", ""),
    ]

    saved = tmp_path / "lifecycle.csv"
    done = runner.invoke(
        cli_app,
        ["reports", "lifecycle", brand.program_id, *key, "--format", "csv", "--output", str(saved)],
    )
    assert done.exit_code == 0, done.output
    lines = saved.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("segment,partner_id,partner_name")
    # all three joined today: new, whether they converted or not
    assert sorted(line.split(",")[0] for line in lines[1:]) == ["new", "new", "new"]

    table = runner.invoke(cli_app, ["reports", "lifecycle", brand.program_id, *key])
    assert table.exit_code == 0, table.output
    assert "median days to first conversion 0.0" in table.output


def test_sum_days_sums_the_past_days_and_says_what_the_sums_cover(cli_store):
    runner, store = cli_store
    store.clock = FixedClock(datetime.now(UTC) - timedelta(days=3))
    brand = make_brand(store)
    partner = add_partner(brand)
    convert(brand, amount="20.00", click_id=click(brand, partner))
    key = ["--api-key", brand.api_key]

    first = runner.invoke(cli_app, ["reports", "sum-days", brand.program_id, *key])
    assert first.exit_code == 0, first.output
    since = (datetime.now(UTC) - timedelta(days=3)).date()
    last = datetime.now(UTC).date() - timedelta(days=1)
    assert f"summed 3 days; the sums cover {since} to {last} (UTC)" in first.output
    again = runner.invoke(cli_app, ["reports", "sum-days", brand.program_id, *key])
    assert "summed 0 days" in again.output
    other = make_brand(store)
    refused = runner.invoke(
        cli_app, ["reports", "sum-days", brand.program_id, "--api-key", other.api_key]
    )
    assert refused.exit_code != 0
    assert "program" in refused.output.lower()
