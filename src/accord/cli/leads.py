"""`accord leads`: import a list of people, score everyone now, export a person's data."""

from __future__ import annotations

import csv
import json
from typing import Annotated

import typer

from accord.cli.common import ApiKeyOption, _caller, _store, console
from accord.errors import AccordError
from accord.leads.imports import import_leads
from accord.leads.scoring import score_all
from accord.leads.service import export_contact

app = typer.Typer(
    help="Leads: import lists of people, score them, export a person's data.",
    no_args_is_help=True,
)


@app.command("import")
def import_command(
    api_key: ApiKeyOption,
    file: Annotated[
        typer.FileText,
        typer.Argument(metavar="FILE.csv", help="A UTF-8 CSV file with a header line."),
    ],
    activity: Annotated[
        str | None,
        typer.Option("--type", help="What happened, for rows without a type (event_attended...)"),
    ] = None,
    channel: Annotated[str | None, typer.Option(help="event, store, phone, web, ...")] = None,
    source: Annotated[str | None, typer.Option(help="e.g. the event's name")] = None,
    campaign: Annotated[str | None, typer.Option()] = None,
    results: Annotated[
        str | None, typer.Option(help="Write each row's result to this CSV file.")
    ] = None,
) -> None:
    """Import people from CSV (badge scans, store visits, call-centre lists): columns are a
    capture's fields (email, phone, name, company, title, wechat.openid, utm_source, note...).
    Prints a count per result and every rejected row with the field at fault."""
    try:
        text = file.read()
    except UnicodeDecodeError as error:
        raise typer.BadParameter(
            f"{file.name} is not UTF-8 text (byte {error.start}); save it as UTF-8 CSV",
            param_hint="'FILE.csv'",
        ) from None
    store = _store()
    defaults = {"type": activity, "channel": channel, "source": source, "campaign": campaign}
    try:
        rows = import_leads(
            store, _caller(store, api_key), text,
            defaults={k: v for k, v in defaults.items() if v},
        )  # fmt: skip
    except AccordError as error:
        raise typer.BadParameter(error.message, param_hint="'FILE.csv'") from None
    counts = {s: sum(r.status == s for r in rows) for s in ("created", "matched", "rejected")}
    console.print(
        f"{len(rows)} rows: {counts['created']} new people, {counts['matched']} already known, "
        f"{counts['rejected']} rejected"
    )
    for r in rows:
        if r.status == "rejected":
            console.print(f"  line {r.row}: {r.error['field']}: {r.error['message']}")
    if results:
        with open(results, "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["row", "status", "contact_id", "field", "message"])
            for r in rows:
                error = r.error or {}
                writer.writerow([r.row, r.status, r.contact_id or "", error.get("field") or "",
                                 error.get("message") or ""])  # fmt: skip
    if counts["rejected"]:
        raise typer.Exit(1)


@app.command("score")
def score_command(api_key: ApiKeyOption) -> None:
    """Score every contact of the brand again now from its activities (the job queue does
    it daily at 02:37 UTC)."""
    store = _store()
    caller = _caller(store, api_key)
    done = score_all(store, caller.organization_id)
    console.print(f"{done['contacts']} contacts scored; {done['qualified']} changed stage")


@app.command("export")
def export_command(
    api_key: ApiKeyOption,
    contact_id: Annotated[str, typer.Argument(help="The contact's id (con_...).")],
) -> None:
    """Print everything kept about a person as JSON (a data subject's request for a copy)."""
    store = _store()
    try:
        data = export_contact(store, _caller(store, api_key), contact_id)
    except AccordError as error:
        raise typer.BadParameter(error.message, param_hint="'CONTACT_ID'") from None
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
