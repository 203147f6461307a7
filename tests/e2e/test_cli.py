"""The command line: every command is documented, and the brand commands work end to end."""

from __future__ import annotations

import re

import pytest
import typer.main
from typer.testing import CliRunner

from accord.cli import app
from accord.settings import get_settings

runner = CliRunner()


def _commands(group, prefix: str = ""):
    for name, command in group.commands.items():
        yield f"{prefix}{name}", command
        if hasattr(command, "commands"):  # a group of subcommands
            yield from _commands(command, f"{prefix}{name} ")


def test_every_command_explains_itself_in_help():
    root = typer.main.get_command(app)
    names = []
    for name, command in _commands(root):
        names.append(name)
        assert (command.help or command.short_help or "").strip(), f"{name} has no help"
        result = runner.invoke(app, [*name.split(), "--help"])
        assert result.exit_code == 0, result.output
    assert {"demo", "serve", "migrate", "org create", "payouts run"} <= set(names)
    top = runner.invoke(app, ["--help"])
    for name in ("demo", "serve", "migrate", "report", "org", "keys", "commissions"):
        assert name in top.output


@pytest.fixture
def cli_store(tmp_path, monkeypatch):
    monkeypatch.setenv("ACCORD_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_a_brand_is_created_from_the_cli_and_its_key_works(cli_store):
    created = runner.invoke(app, ["org", "create", "Acme Outdoor"])
    assert created.exit_code == 0, created.output
    key = re.search(r"(acc_\w+_\S+)", created.output).group(1)

    listed = runner.invoke(app, ["keys", "list", "--api-key", key])
    assert listed.exit_code == 0 and key.split("_")[1] in listed.output

    missing = runner.invoke(app, ["report", "prg_missing", "--api-key", key])
    assert missing.exit_code == 2
    assert "program 'prg_missing' not found" in missing.output

    bad_key = runner.invoke(app, ["payouts", "run", "prg_x", "--api-key", "acc_nope_nope"])
    assert bad_key.exit_code == 2
    assert "unknown API key" in bad_key.output


def test_migrate_brings_the_schema_to_the_latest_revision(cli_store):
    from alembic.script import ScriptDirectory

    from accord.store.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 0
    assert f"schema at revision {head} on sqlite" in result.output


def test_a_brand_user_is_created_with_a_hashed_password(cli_store, monkeypatch):
    from accord.store.engine import open_store
    from accord.tenancy.service import verify_user

    monkeypatch.setenv("ACCORD_PASSWORD", "short")
    refused = runner.invoke(app, ["org", "create", "Acme", "--email", "ops@acme.example"])
    assert refused.exit_code == 2 and "password: use at least 10 characters" in refused.output

    monkeypatch.setenv("ACCORD_PASSWORD", "correct horse battery")
    made = runner.invoke(app, ["org", "create", "Acme", "--email", "Ops@Acme.example"])
    assert made.exit_code == 0, made.output
    store = open_store(get_settings())
    user = verify_user(store, "ops@acme.example", "correct horse battery")
    assert user.password_hash.startswith("$argon2")
    from accord.errors import Unauthenticated

    with pytest.raises(Unauthenticated):
        verify_user(store, "ops@acme.example", "wrong password here")
    store.dispose()
