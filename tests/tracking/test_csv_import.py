"""Offline conversions from a CSV file, with a result for every row."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from accord.cli import app as cli
from accord.settings import get_settings
from tests.tracking.conftest import click_through


def test_each_row_is_recorded_on_its_own_with_its_result(api):
    brand, partner, client = api
    click_id = click_through(client, partner)
    text = (
        "\ufefforder_id,amount,currency,click_id,customer_id,occurred_at\n"
        f"S-1,100.00,USD,{click_id},c1,\n"
        "S-2,abc,USD,,c2,\n"
        "S-3,40.00,EUR,,c3,\n"
        f"S-1,100.00,USD,{click_id},c1,\n"
        "S-4,15.50,USD,,,2026-11-01T09:00:00+08:00\n"
    )
    response = client.post(
        f"/api/v1/conversions/import?program_id={brand.program_id}",
        content=text.encode(),
        headers={"content-type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["duplicates"], body["rejected"]) == (2, 1, 2)
    by_row = {r["row"]: r for r in body["rows"]}
    assert by_row[2]["status"] == "created" and by_row[5]["status"] == "duplicate"
    assert by_row[5]["conversion_id"] == by_row[2]["conversion_id"]
    assert by_row[3]["error"]["field"] == "amount"
    assert by_row[4]["error"]["field"] == "currency"
    first = client.get(f"/api/v1/conversions/{by_row[2]['conversion_id']}").json()
    assert first["partner_id"] == partner.id
    last = client.get(f"/api/v1/conversions/{by_row[6]['conversion_id']}").json()
    assert last["occurred_at"].startswith("2026-11-01T01:00:00")


def test_a_file_with_an_unknown_column_is_refused_before_any_row(api):
    brand, _, client = api
    response = client.post(
        f"/api/v1/conversions/import?program_id={brand.program_id}",
        content=b"order_id,amount,currency,colour\nX-1,1,USD,red\n",
        headers={"content-type": "text/csv"},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "columns" and "colour" in error["message"]
    summary = client.get(f"/api/v1/programs/{brand.program_id}/summary").json()
    assert summary["conversions"] == 0


def test_the_cli_imports_a_file_and_writes_each_rows_result(tmp_path, monkeypatch):
    monkeypatch.setenv("ACCORD_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        made = runner.invoke(cli, ["org", "create", "Offline Shop"])
        key = re.search(r"(acc_\w+_\S+)", made.output).group(1)
        from accord.store.engine import open_store
        from accord.tenancy.service import authenticate

        store = open_store(get_settings())
        caller = authenticate(store, key)
        from accord.programs.model import ProgramTerms
        from accord.programs.service import create_program

        program = create_program(
            store,
            caller,
            ProgramTerms(
                name="Retail", currency="CNY", default_landing_url="https://shop.example/"
            ),
        )
        store.dispose()
        source = tmp_path / "orders.csv"
        source.write_text(
            "order_id,amount,currency\nPOS-1,88.00,CNY\nPOS-2,-1,CNY\n", encoding="utf-8"
        )
        out = tmp_path / "results.csv"
        result = runner.invoke(
            cli,
            [
                "conversions",
                "import",
                str(source),
                "--program",
                program.id,
                "--api-key",
                key,
                "--results",
                str(out),
            ],
        )
        assert result.exit_code == 1  # a row was rejected
        assert "2 rows: 1 created, 0 already recorded, 1 rejected" in result.output
        assert "line 3: amount" in result.output
        lines = out.read_text(encoding="utf-8").splitlines()
        assert lines[0] == "row,status,conversion_id,field,message"
        assert lines[1].startswith("2,created,cnv_")
        assert lines[2].startswith("3,rejected,,amount,")
    finally:
        get_settings.cache_clear()
