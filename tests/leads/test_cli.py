"""`accord leads`: a list imported from the command line with each row's result, everyone
scored now, and a person's data exported."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from accord.cli import app as cli_app
from accord.leads.model import Capture
from accord.leads.service import capture
from tests.factories import make_brand
from tests.jobs.conftest import open_store


def test_import_score_and_export_from_the_command_line(tmp_path, monkeypatch):
    from accord.settings import get_settings

    url = f"sqlite:///{tmp_path}/accord.db"
    monkeypatch.setenv("ACCORD_DATABASE_URL", url)
    get_settings.cache_clear()  # the command line reads the settings afresh
    runner = CliRunner()
    assert runner.invoke(cli_app, ["migrate"]).exit_code == 0
    store = open_store(url)
    try:
        brand = make_brand(store)
        known = capture(store, brand.caller, Capture(email="old@fair.example", type="download"))
        badges = tmp_path / "badges.csv"
        badges.write_text("name,email,phone\nNew One,new@fair.example,\nOld,old@fair.example,\n"
                          "Bad,,12\n", encoding="utf-8")  # fmt: skip
        results = tmp_path / "results.csv"
        done = runner.invoke(cli_app, [
            "leads", "import", str(badges), "--type", "event_attended", "--channel", "event",
            "--source", "Canton Fair", "--results", str(results), "--api-key", brand.api_key,
        ])  # fmt: skip
        assert done.exit_code == 1, done.output  # a rejected row makes it fail, after the rest
        assert "3 rows: 1 new people, 1 already known, 1 rejected" in done.output
        assert "line 4: phone:" in done.output
        assert results.read_text().splitlines()[2].startswith("3,matched," + known.contact_id)
        scored = runner.invoke(cli_app, ["leads", "score", "--api-key", brand.api_key])
        assert scored.exit_code == 0 and "2 contacts scored" in scored.output
        copy = runner.invoke(cli_app, ["leads", "export", known.contact_id,
                                       "--api-key", brand.api_key])  # fmt: skip
        data = json.loads(copy.output)
        assert [a["type"] for a in data["activities"]] == ["download", "event_attended"]
        assert data["activities"][1]["source"] == "Canton Fair"
        missing = runner.invoke(cli_app, ["leads", "export", "con_nope", "--api-key",
                                          brand.api_key])  # fmt: skip
        assert missing.exit_code != 0 and "not found" in missing.output
    finally:
        store.dispose()
        monkeypatch.undo()
        get_settings.cache_clear()
