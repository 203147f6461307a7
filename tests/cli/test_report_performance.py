"""`accord reports performance`: the whole report on screen or as CSV, Excel or JSON.

The program (USD; 10% on sales from new customers), 1 Nov 2026: A has 2 clicks and a sale
of 200.00 from a new customer in the US (20.00); B a click and a sale of 50.00 (5.00)."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from tests.conftest import START
from tests.factories import add_partner, convert, make_brand
from tests.reports.builders import clicks_at
from typer.testing import CliRunner

from accord.cli import app, common
from accord.clock import FixedClock
from accord.settings import get_settings
from accord.store.engine import Store, make_engine

runner = CliRunner()


@pytest.fixture
def program(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("ACCORD_DATABASE_URL", url)
    get_settings.cache_clear()
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    store = Store(make_engine(url), FixedClock(START))
    brand = make_brand(store)
    a, b = add_partner(brand), add_partner(brand)
    convert(brand, amount="200.00", click_id=clicks_at(brand, a, 2), customer_status="new",
            country="US")  # fmt: skip
    convert(brand, amount="50.00", click_id=clicks_at(brand, b, 1), customer_status="new")
    yield brand, a, b
    store.dispose()
    get_settings.cache_clear()


def test_performance_by_partner_and_day_as_csv(program, tmp_path):
    brand, a, b = program
    out = tmp_path / "november.csv"
    args = ["reports", "performance", brand.program_id, "--api-key", brand.api_key,
            "--by", "partner", "--grain", "day", "--since", "2026-11-01", "--until",
            "2026-12-01", "--sort", "-revenue", "--format", "csv", "-o", str(out)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [(r["partner_id"], r["bucket"], r["clicks"], r["revenue"], r["epc"]) for r in rows] == [
        (a.id, "2026-11-01", "2", "200.00", "10.0000"),  # 20.00 / 2 clicks
        (b.id, "2026-11-01", "1", "50.00", "5.0000"),
    ]


def test_by_country_as_json_on_screen_and_excel_to_a_file(program, tmp_path, monkeypatch):
    brand, _, _ = program
    monkeypatch.setattr(common.console, "width", 250)  # a wide terminal
    base = ["reports", "performance", brand.program_id, "--api-key", brand.api_key]
    shown = runner.invoke(app, [*base, "--by", "country", "--format", "json"])
    assert shown.exit_code == 0, shown.output
    rows = json.loads(shown.output)
    assert [(r["country"], r["revenue"], r["clicks"]) for r in rows] == [
        ("US", "200.00", None), (None, "50.00", None)
    ]  # fmt: skip
    book = tmp_path / "p.xlsx"
    made = runner.invoke(app, [*base, "--format", "xlsx", "-o", str(book)])
    assert made.exit_code == 0 and zipfile.is_zipfile(book)
    table = runner.invoke(app, [*base, "--by", "none"])
    assert table.exit_code == 0 and "250.00" in table.output


def test_a_bad_option_is_refused_naming_it(program):
    brand, _, _ = program
    base = ["reports", "performance", brand.program_id, "--api-key", brand.api_key]
    bad = runner.invoke(app, [*base, "--by", "city"])
    assert bad.exit_code == 2 and "group_by" in bad.output
    bad = runner.invoke(app, [*base, "--sort", "-fees"])
    assert bad.exit_code == 2 and "sort" in bad.output
