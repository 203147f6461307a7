"""`accord leads`: import a list of people, score everyone now, export a person's data,
send the leads mail that is due, import an event's attendees."""

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


@app.command("send-mail")
def send_mail_command() -> None:
    """Send the leads mail that is due now, for every brand: nurturing sequences' next steps
    and events' confirmations and reminders (the job queue does it every minute; this is for
    a machine without a worker, from cron). Needs ACCORD_SMTP_HOST."""
    from accord.leads.events import send_event_mail
    from accord.leads.nurture import run_nurture
    from accord.mail.sender import Mailer
    from accord.settings import get_settings

    settings = get_settings()
    mailer = Mailer(settings)
    if not mailer.configured:
        console.print("No e-mail server is set up: set ACCORD_SMTP_HOST (and its port).")
        raise typer.Exit(1)
    store = _store()
    nurtured = run_nurture(store, mailer, base_url=settings.base_url())
    events = send_event_mail(store, mailer, base_url=settings.base_url())
    console.print(
        f"nurturing: {nurtured.enrolled} entered, {nurtured.sent} sent, {nurtured.failed} "
        f"refused, {nurtured.ended} left, {nurtured.held} waiting for the hourly limit; "
        f"events: {events.confirmations} confirmations, {events.reminders} reminders, "
        f"{events.failed} refused"
    )
    if nurtured.failed or events.failed:
        raise typer.Exit(1)


@app.command("attendance")
def attendance_command(
    api_key: ApiKeyOption,
    event_id: Annotated[str, typer.Argument(help="The event's id (evt_...).")],
    file: Annotated[
        typer.FileText,
        typer.Argument(metavar="FILE.csv", help="A UTF-8 CSV with an email or phone column."),
    ],
) -> None:
    """Import who came to an event (a livestream platform's export, badge scans): registrants
    are marked as attended, others added as attendees; each rejected row is printed."""
    from accord.leads.events import import_attendance

    store = _store()
    try:
        rows = import_attendance(store, _caller(store, api_key), event_id, file.read())
    except UnicodeDecodeError as error:
        raise typer.BadParameter(
            f"{file.name} is not UTF-8 text (byte {error.start}); save it as UTF-8 CSV",
            param_hint="'FILE.csv'",
        ) from None
    except AccordError as error:
        raise typer.BadParameter(error.message, param_hint="'EVENT_ID'") from None
    counts = {s: sum(r.result == s for r in rows) for s in ("registered", "walk_in", "rejected")}
    console.print(
        f"{len(rows)} rows: {counts['registered']} registrants came, {counts['walk_in']} "
        f"came without registering, {counts['rejected']} rejected"
    )
    for r in rows:
        if r.result == "rejected":
            console.print(f"  line {r.line}: {r.message}")
    if counts["rejected"]:
        raise typer.Exit(1)
