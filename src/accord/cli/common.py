"""What every `accord` command shares: the consoles, the API key and program arguments, the
store the settings name, and the caller an API key stands for."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from accord.audit.context import Actor, act_as
from accord.reports.files import to_csv, to_json, to_xlsx
from accord.settings import get_settings
from accord.store.engine import open_store
from accord.tenancy.service import authenticate

try:  # Typer carries its own copy of click
    from typer._click.globals import get_current_context
except ImportError:  # pragma: no cover - a Typer that uses click itself
    from click import get_current_context

console = Console()
err = Console(stderr=True)

ApiKeyOption = Annotated[
    str,
    typer.Option(
        "--api-key",
        envvar="ACCORD_API_KEY",
        show_envvar=False,
        help="Your organization's API key (or set ACCORD_API_KEY); `accord org create` "
        "prints the first one.",
    ),
]


ProgramArgument = Annotated[
    str, typer.Argument(metavar="PROGRAM", help="The program's id (prg_...).", show_default=False)
]


def _store(clock=None):
    return open_store(get_settings(), clock=clock)


#: The permission each command that acts with an API key needs; any other only reads.
COMMAND_PERMISSIONS = {
    ("keys", "create"): "keys:write",
    ("keys", "revoke"): "keys:write",
    ("commissions", "lock"): "commissions:write",
    ("commissions", "approve"): "commissions:write",
    ("payouts", "run"): "payouts:write",
    ("schedule", "run"): "payouts:write",
    ("conversions", "import"): "conversions:write",
    ("conversions", "reverse"): "conversions:write",
}


def _caller(store, api_key: str):
    """The key's organization, refused unless its scopes hold what the running command
    needs; the command's changes are recorded in the audit log as `cli` with this key."""
    caller = authenticate(store, api_key)
    context = get_current_context(silent=True)
    command = (context.parent.info_name if context and context.parent else None,
               context.info_name if context else None)  # fmt: skip
    caller.require(COMMAND_PERMISSIONS.get(command, "read"))
    act_as(Actor("cli", caller.key_id, None, caller.organization_id, None))
    return caller


class TableFormat(StrEnum):
    table = "table"
    csv = "csv"
    xlsx = "xlsx"
    json = "json"


FormatOption = Annotated[
    TableFormat,
    typer.Option("--format", "-f", help="table (on screen), csv, xlsx or json."),
]
OutputOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write to this file (xlsx needs one); else print."),
]


def write_table(
    title: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    fmt: TableFormat = TableFormat.table,
    output: Path | None = None,
) -> None:
    """Print or save a report's rows: a table on screen, or CSV, Excel or JSON."""
    if fmt is TableFormat.xlsx:
        if output is None:
            raise typer.BadParameter("give --output FILE.xlsx for Excel", param_hint="--output")
        output.write_bytes(to_xlsx(title, columns, rows))
        return
    if fmt is TableFormat.table and output is None:
        table = Table(title=title)
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        console.print(table)
        return
    text = to_json(columns, rows) + "\n" if fmt is TableFormat.json else to_csv(columns, rows)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
