"""`accord reports alerts | forecast | digest` on the monitoring world."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from accord.cli import app as cli_app
from accord.cli import report_alerts
from accord.store.engine import Store

runner = CliRunner()


@pytest.fixture
def cli_world(world, database_url, monkeypatch):
    """The CLI on the test's database, with the test's clock (1 December 2026)."""
    monkeypatch.setenv("ACCORD_DATABASE_URL", database_url)
    store = world.brand.store
    monkeypatch.setattr(report_alerts, "_store", lambda: Store(store.engine, store.clock))
    monkeypatch.setattr(Store, "dispose", lambda self: None)  # the test's engine stays open
    return world


def test_scan_then_list_alerts_as_json(cli_world):
    b = cli_world.brand
    run = runner.invoke(
        cli_app,
        ["reports", "alerts", b.program_id, "--scan", "--format", "json", "--api-key", b.api_key],
    )
    assert run.exit_code == 0, run.output
    rows = json.loads(run.output)
    assert [(r["partner_id"], r["metric"], r["value"], r["expected"]) for r in rows] == [
        (cli_world.big.id, "clicks", 200.0, 40.0)
    ]
    again = runner.invoke(
        cli_app, ["reports", "alerts", b.program_id, "--scan", "--api-key", b.api_key]
    )
    assert again.exit_code == 0 and "scanned: 0 new alerts" in again.output


def test_forecast_as_csv(cli_world, tmp_path):
    b = cli_world.brand
    out = tmp_path / "forecast.csv"
    run = runner.invoke(
        cli_app,
        ["reports", "forecast", b.program_id, "-f", "csv", "-o", str(out), "--api-key", b.api_key],
    )
    assert run.exit_code == 0, run.output
    lines = out.read_text().splitlines()
    assert lines[0] == "partner_type,months_used,last_month,expected,low,high,currency"
    # all partners and content: November 1,500, December 1,600 (a straight line)
    assert lines[1].startswith("all,6,1500.00,1600.00,1600.00,1600.00,USD")
    assert lines[2].startswith("content,6,1500.00,1600.00")


def test_digest_is_sent_now(cli_world, smtp, mail_settings):
    inbox, _ = smtp
    b = cli_world.brand
    run = runner.invoke(
        cli_app,
        ["reports", "digest", b.program_id, "--to", "pm@brand.example", "--language", "zh_Hans",
         "--api-key", b.api_key],
    )  # fmt: skip
    assert run.exit_code == 0, run.output
    assert "sent the digest of the week of 2026-11-23 to pm@brand.example" in run.output
    [message] = inbox.wait_for("pm@brand.example")
    assert message["Subject"].startswith("每周报告")
    wrong = runner.invoke(
        cli_app,
        ["reports", "digest", b.program_id, "--to", "pm@brand.example", "--language", "fr",
         "--api-key", b.api_key],
    )  # fmt: skip
    assert wrong.exit_code != 0
