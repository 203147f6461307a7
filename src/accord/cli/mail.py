"""`accord mail`: the outbox of notices (to partners, managers and users) and sending what
is due, for a machine that runs no worker."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from accord.cli.common import ApiKeyOption, _caller, _store, console
from accord.errors import AccordError

app = typer.Typer(help="Mail: the outbox of notices, and sending what is due.",
                  no_args_is_help=True)  # fmt: skip


@app.command("send")
def send_command() -> None:
    """Send the outbox's mail that is due, for every organization (the job queue does it
    every minute; this is for a machine without a worker, from cron). Needs
    ACCORD_SMTP_HOST; without it the mail keeps waiting."""
    from accord.notices.service import send_due

    run = send_due(_store())
    if run.waiting_for_server:
        console.print("No e-mail server is set up: set ACCORD_SMTP_HOST (and its port); "
                      "the mail keeps waiting in the outbox.")  # fmt: skip
        raise typer.Exit(1)
    console.print(f"{run.sent} sent, {run.retrying} refused and tried again later, "
                  f"{run.failed} given up, {run.expired} ran out unsent")  # fmt: skip
    for error in sorted(set(run.errors)):
        console.print(f"  {error}")
    if run.failed or run.retrying:
        raise typer.Exit(1)


@app.command("outbox")
def outbox_command(
    api_key: ApiKeyOption,
    status: Annotated[
        str | None, typer.Option(help="waiting, sent, failed or expired (default: all)")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """The organization's outbox, newest first: when, what, to whom, and its state."""
    from accord.notices.service import KINDS, outbox_page

    store = _store()
    try:
        rows = outbox_page(store, _caller(store, api_key), status=status, limit=limit).rows
    except AccordError as error:
        raise typer.BadParameter(error.message, param_hint="--status") from None
    table = Table("written (UTC)", "mail", "to", "subject", "status")
    for row in rows:
        state = row.status + (f" ({row.last_error})" if row.last_error else "")
        table.add_row(row.created_at.strftime("%Y-%m-%d %H:%M"), KINDS.get(row.kind, row.kind),
                      row.recipient, row.subject, state)  # fmt: skip
    console.print(table if rows else "No mail.")
