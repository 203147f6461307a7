"""`accord reports growth` and `accord reports mix` as CSV, JSON and on screen.

A coupon partner: 100.00 from a returning customer on 5 Oct 2026, then 100.00 and 300.00
on 1 Nov 2026: October 100.00, November 400.00, +300.00 (+400.00 on promotion days,
-100.00 on steady days), narrow and promotion-bound.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from typer.testing import CliRunner

from accord.cli import app as cli_app
from accord.clock import FixedClock
from accord.store.engine import Store, make_engine
from tests.factories import add_partner, click, convert, make_brand


def test_growth_and_mix_commands(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/accord.db"
    monkeypatch.setenv("ACCORD_DATABASE_URL", url)
    runner = CliRunner()
    assert runner.invoke(cli_app, ["migrate"]).exit_code == 0
    store = Store(make_engine(url), FixedClock(datetime(2026, 10, 5, 9, tzinfo=UTC)))
    try:
        brand = make_brand(store)
        coupon = add_partner(brand, partner_type="coupon")
        convert(brand, amount="100.00", click_id=click(brand, coupon), customer_status="returning")
        store.clock.set(datetime(2026, 11, 1, 9, tzinfo=UTC))  # type: ignore[attr-defined]
        for amount in ("100.00", "300.00"):
            sale = click(brand, coupon)
            convert(brand, amount=amount, click_id=sale, customer_status="returning")
        key = ["--api-key", brand.api_key]
        args = ["reports", "growth", brand.program_id, "--current", "2026-11-01:2026-12-01",
                "--previous", "2026-10-01:2026-11-01", *key]  # fmt: skip
        shown = runner.invoke(cli_app, args)
        assert shown.exit_code == 0, shown.output
        assert "Growth is narrow and promotion-bound: revenue rose by 300.00 USD" in shown.output
        as_csv = runner.invoke(cli_app, [*args, "--format", "csv"])
        assert "days,promotion,0.00,400.00,400.00,1.3333,USD" in as_csv.stdout
        assert "total,narrow_promotion,100.00,400.00,300.00,,USD" in as_csv.stdout
        out = tmp_path / "mix.json"
        mixed = runner.invoke(
            cli_app,
            ["reports", "mix", brand.program_id, "--since", "2026-10-01", "--until",
             "2026-11-30", "--format", "json", "--output", str(out), *key],
        )  # fmt: skip
        assert mixed.exit_code == 0, mixed.output
        rows = {r["partner_type"]: r for r in json.loads(out.read_text())}
        coupons, content = rows["coupons_and_deals"], rows["content_and_reviews"]
        assert coupons["revenue"] == "500.00" and content["note"] == "lacking"
        bad = runner.invoke(cli_app, [*args[:4], "2026-11-01", "--previous", "x", *key])
        assert bad.exit_code != 0
    finally:
        store.dispose()
