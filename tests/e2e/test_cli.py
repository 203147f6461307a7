"""The command line: every command is documented, and the brand commands work end to end."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

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


def test_a_key_is_created_with_scopes_and_refused_what_they_lack(cli_store):
    created = runner.invoke(app, ["org", "create", "Acme Outdoor"])
    key = re.search(r"(acc_\w+_\S+)", created.output).group(1)
    made = runner.invoke(app, ["keys", "create", "reporting", "--scope", "read", "--api-key", key])
    assert made.exit_code == 0, made.output
    reader = made.output.strip()
    listed = runner.invoke(app, ["keys", "list", "--api-key", key])
    assert "read" in listed.output and "*" in listed.output
    refused = runner.invoke(app, ["payouts", "run", "prg_x", "--api-key", reader])
    assert refused.exit_code == 2
    assert "this key lacks payouts:write" in refused.output
    wider = runner.invoke(app, ["keys", "create", "more", "--scope", "*", "--api-key", reader])
    assert wider.exit_code == 2 and "keys:write" in wider.output

    from sqlalchemy import select

    from accord.audit.tables import AuditEvent
    from accord.store.engine import open_store

    store = open_store(get_settings())
    with store.read() as session:
        made_by = session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "api_key")
        ).all()
    assert [e.actor_kind for e in made_by] == ["cli", "cli"]
    assert made_by[1].actor_id == key.split("_")[1] and made_by[1].after["scopes"] == "read"
    store.dispose()


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


# Errors: whatever goes wrong, the real `accord` command prints one line on stderr that
# names the problem and exits non-zero, without a traceback.


def _accord_command() -> list[str]:
    script = Path(sys.executable).with_name("accord")
    return [str(script)] if script.exists() else [sys.executable, "-m", "accord.cli"]


@pytest.fixture(scope="module")
def accord(tmp_path_factory):
    """Run the installed `accord` command on a store of its own; returns the finished
    process (text stdout and stderr)."""
    data_dir = tmp_path_factory.mktemp("accord-cli")
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ACCORD_") and k not in ("COLUMNS", "LINES")
    }
    base.update(ACCORD_DATA_DIR=str(data_dir), COLUMNS="60", NO_COLOR="1")

    def run(*args: str, env: dict[str, str] | None = None, command=None, timeout=60):
        return subprocess.run(
            [*(command or _accord_command()), *args],
            env={**base, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    return run


@pytest.fixture(scope="module")
def brand_key(accord) -> str:
    created = accord("org", "create", "Acme Outdoor")
    assert created.returncode == 0, created.stderr
    return re.search(r"(acc_\w+_\S+)", created.stdout).group(1)


def assert_one_line_error(result, *expected: str, code: int | None = None) -> str:
    """The command failed with exactly one line on stderr containing `expected`."""
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert result.returncode != 0
    if code is not None:
        assert result.returncode == code, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error"), lines[0]
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def test_a_refused_request_is_one_line_naming_the_problem(accord, brand_key):
    missing = accord("report", "prg_missing", "--api-key", brand_key)
    assert_one_line_error(missing, "(not_found)", "program 'prg_missing' not found", code=2)

    bad_key = accord("payouts", "run", "prg_x", env={"ACCORD_API_KEY": "acc_nope_nope"})
    assert_one_line_error(bad_key, "(unauthenticated)", "unknown API key", code=2)

    explain = accord("commissions", "explain", "com_nope", "--api-key", brand_key)
    assert_one_line_error(explain, "commission 'com_nope' not found", code=2)


def test_bad_files_are_one_line_naming_the_file(accord, brand_key, tmp_path):
    missing = accord("conversions", "import", str(tmp_path / "nope.csv"), "--api-key", brand_key)
    assert_one_line_error(missing, "nope.csv", "No such file", code=2)

    malformed = tmp_path / "malformed.csv"
    malformed.write_text("when,how much\n2025-01-01,12\n", encoding="utf-8")
    refused = accord("conversions", "import", str(malformed), "--api-key", brand_key)
    assert_one_line_error(refused, "unknown column(s): when, how much", code=2)

    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00order_id\x00")
    refused = accord("conversions", "reverse", str(binary), "--api-key", brand_key)
    assert_one_line_error(refused, "binary.csv is not UTF-8 text", code=2)

    terms = tmp_path / "terms.json"
    terms.write_text("{rules: [", encoding="utf-8")
    period = ("--since", "2025-01-01", "--until", "2025-02-01", "--api-key", brand_key)
    not_json = accord("contracts", "what-if", "prg_x", str(terms), *period)
    assert_one_line_error(not_json, "terms.json is not valid JSON", code=2)


def test_a_wrong_command_line_is_one_line_pointing_at_help(accord):
    unknown = accord("reprot", "prg_x")
    assert_one_line_error(unknown, "No such command 'reprot'", "accord --help", code=2)

    missing = accord("report", "--api-key", "acc_x_y")
    assert_one_line_error(missing, "Missing argument 'PROGRAM'", "accord report --help", code=2)

    kind = accord("org", "create", "Acme", "--kind", "partner")
    assert_one_line_error(kind, "--kind", "brand or agency", code=2)


def test_a_database_that_cannot_be_reached_is_one_line(accord):
    url = "postgresql+psycopg://nobody:s3cret@127.0.0.1:1/x"
    result = accord("report", "prg_x", "--api-key", "acc_x_y", env={"ACCORD_DATABASE_URL": url})
    line = assert_one_line_error(
        result, "cannot use the database at postgresql+psycopg://nobody:***@127.0.0.1:1/x"
    )
    assert "s3cret" not in line

    nonsense = accord("migrate", env={"ACCORD_DATABASE_URL": "mysql://x/y"})
    assert_one_line_error(nonsense, "invalid setting ACCORD_DATABASE_URL")


def test_a_port_in_use_is_refused_before_any_work(accord):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        serve = accord("serve", "--port", port)
        assert_one_line_error(serve, f"127.0.0.1:{port} is already in use", "--port", code=1)

        started = time.monotonic()
        demo = accord("demo", "--port", port, "--no-serve", "--scale", "0.05")
        assert_one_line_error(demo, f"127.0.0.1:{port} is already in use", code=1)
        assert time.monotonic() - started < 30  # refused up front, not after the set-up


_FAILING_STORE = (
    "import sys, accord.cli as cli\n"
    "def broken(*args, **kwargs):\n"
    "    raise RuntimeError('the disk is on fire\\nreally')\n"
    "cli._store = broken\n"
    "sys.argv[0] = 'accord'\n"
    "cli.main()\n"
)


def test_an_unexpected_error_is_one_line_with_where_to_see_the_traceback(accord):
    command = [sys.executable, "-c", _FAILING_STORE]
    result = accord("migrate", command=command)
    assert_one_line_error(
        result, "unexpected RuntimeError: the disk is on fire really", "ACCORD_DEBUG=1", code=1
    )

    debug = accord("migrate", command=command, env={"ACCORD_DEBUG": "1"})
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr and "def broken" not in debug.stdout
    assert debug.stderr.splitlines()[-1] == (
        "error: unexpected RuntimeError: the disk is on fire really"
    )
