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


def test_due_mail_is_sent_and_attendees_imported_from_the_command_line(tmp_path, monkeypatch, smtp):
    from datetime import UTC, datetime, timedelta

    from accord.leads.events import register, registrations_of, save_event
    from accord.settings import get_settings

    inbox, port = smtp
    url = f"sqlite:///{tmp_path}/accord.db"
    for key, value in {"ACCORD_DATABASE_URL": url, "ACCORD_SMTP_HOST": "",
                       "ACCORD_PUBLIC_URL": "https://accord.brand.example"}.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    runner = CliRunner()
    assert runner.invoke(cli_app, ["migrate"]).exit_code == 0
    store = open_store(url)
    try:
        brand = make_brand(store)
        starts = datetime.now(UTC) + timedelta(days=5)
        event = save_event(store, brand.caller, {"kind": "seminar", "name": "Seminar",
                                                 "starts_at": starts.isoformat()})  # fmt: skip
        register(store, event.id, {"name": "Li", "email": "li@cli.example"})
        without = runner.invoke(cli_app, ["leads", "send-mail"])
        assert without.exit_code == 1 and "ACCORD_SMTP_HOST" in without.output
        monkeypatch.setenv("ACCORD_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("ACCORD_SMTP_PORT", str(port))
        monkeypatch.setenv("ACCORD_SMTP_STARTTLS", "false")
        get_settings.cache_clear()
        sent = runner.invoke(cli_app, ["leads", "send-mail"])
        assert sent.exit_code == 0, sent.output
        assert "events: 1 confirmations, 0 reminders" in sent.output
        assert "accord.brand.example/events/" in inbox.wait_for("li@cli.example")[0].get_body(
            ("plain",)).get_content()  # fmt: skip
        came = tmp_path / "came.csv"
        came.write_text("email\nli@cli.example\nwalk@cli.example\nnot mail\n", encoding="utf-8")
        done = runner.invoke(cli_app, ["leads", "attendance", event.id, str(came),
                                       "--api-key", brand.api_key])  # fmt: skip
        assert done.exit_code == 1  # one row was rejected, after the others were imported
        assert "3 rows: 1 registrants came, 1 came without registering, 1 rejected" in (
            done.output)  # fmt: skip
        [li] = registrations_of(store, brand.caller, event.id)
        assert li.attended_by == "import"
    finally:
        store.dispose()
        monkeypatch.undo()
        get_settings.cache_clear()
