"""The `accord` command line: thin commands that parse, call a service and print.

Errors are reported in one place, `AccordCommand.main`: whatever a command raises becomes
one line on stderr and a non-zero exit code (2 for a wrong command line or a refused
request, 1 for anything else). `ACCORD_DEBUG=1` also prints the full traceback.
"""

from __future__ import annotations

import csv
import errno
import json
import logging
import os
import socket
import subprocess
import sys
import traceback
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
import typer.core
from rich import box
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from accord import __version__
from accord.attribution.policy import CodePolicy, Model, Policy
from accord.audit.context import Actor, acting
from accord.cli import (  # noqa: F401 - add their commands
    report_alerts,
    report_days,
    report_growth,
    report_lifecycle,
    report_models,
    report_performance,
)
from accord.cli.common import (
    ApiKeyOption,
    ProgramArgument,
    _caller,
    _store,
    console,
    err,
)
from accord.cli.fraud import app as fraud_app
from accord.cli.leads import app as leads_app
from accord.cli.mail import app as mail_app
from accord.cli.reports import app as reports_app
from accord.clock import ShiftableClock
from accord.commissions.service import approve, explain, lock_due
from accord.contracts.terms import parse_terms
from accord.contracts.whatif import what_if
from accord.conversions.imports import import_conversions, import_reversals
from accord.demo.cast import CONSOLE_PASSWORD
from accord.edge.native import EdgeUnavailable, serve_edge, wait_listening
from accord.edge.native import ensure_port_free as ensure_edge_port_free
from accord.errors import AccordError
from accord.events import tasks as events_tasks
from accord.jobs import queue as job_queue
from accord.jobs import service as jobs
from accord.jobs import tasks
from accord.money import Money
from accord.payouts.service import run_batch
from accord.postbacks.worker import cli as postbacks_app
from accord.reports.service import program_summary
from accord.settings import get_settings
from accord.store.migrate import current_revision
from accord.tenancy.model import OrganizationKind
from accord.tenancy.service import (
    check_credentials,
    create_api_key,
    create_organization,
    create_user,
    list_api_keys,
    revoke_api_key,
)
from accord.web.i18n import english

DEBUG_VARIABLE = "ACCORD_DEBUG"
DEBUG_HINT = f" (set {DEBUG_VARIABLE}=1 to see the full traceback)"


class AccordCommand(typer.core.TyperGroup):
    """The root command: runs a command and turns any error it raises into one line."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            # what a command changes is the command line's in the audit log
            with acting(Actor("cli")):
                code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except typer.Abort:  # an interrupted prompt
            typer.echo("aborted", err=True)
            code = 1
        except Exception as error:  # reported, not swallowed
            if type(error).__name__ == "NoArgsIsHelpError":  # the help is printed already
                code = getattr(error, "exit_code", 2)
            else:
                code = report_error(error)
        code = code if isinstance(code, int) else 0
        if not standalone_mode:
            return code
        sys.exit(code)


def report_error(error: Exception) -> int:
    """Print `error` as one line on stderr; the exit code to end with."""
    debug = os.environ.get(DEBUG_VARIABLE, "") not in ("", "0")
    if debug and not isinstance(error, typer.TyperException):
        traceback.print_exception(error)
    message, code = describe_error(error)
    if debug:
        message = message.removesuffix(DEBUG_HINT)
    typer.echo(typer.style("error", fg="red") + message, err=True)
    return code


class CommandFailed(Exception):
    """A command cannot do its work here (a port in use...); the message says why."""


def describe_error(error: Exception) -> tuple[str, int]:
    """What to tell the user (after "error") and the exit code."""
    if isinstance(error, typer.TyperException):  # the command line itself is wrong
        ctx = getattr(error, "ctx", None)  # a usage error knows the command
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        message = _one_line(error.format_message()).replace("Value error, ", "")
        return f": {message}{hint}", error.exit_code
    if isinstance(error, AccordError):
        return f" ({error.code}): {_one_line(error.message)}", 2
    module = type(error).__module__
    if module.startswith("sqlalchemy"):
        described = _database_error(error)
        if described:
            return f": {described}", 1
    if module.startswith("pydantic") and getattr(error, "title", "") == "Settings":
        fields = "; ".join(
            f"ACCORD_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in error.errors()
        )
        return f": invalid setting {_one_line(fields).replace('Value error, ', '')}", 1
    if isinstance(error, CommandFailed) or type(error).__name__ == "EdgeUnavailable":
        return f": {_one_line(str(error))}", 1
    if isinstance(error, OSError) and error.strerror:
        where = f": {error.filename}" if error.filename else ""
        return f": {error.strerror.lower()}{where}", 1
    return (
        f": unexpected {type(error).__name__}: {_one_line(str(error)) or 'no message'}"
        + DEBUG_HINT,
        1,
    )


def _database_error(error: Exception) -> str | None:
    if isinstance(error, ArgumentError):  # includes an unknown dialect or driver
        return f"ACCORD_DATABASE_URL is not a database Accord can use: {_one_line(str(error))}"
    if isinstance(error, OperationalError) or (
        isinstance(error, DBAPIError) and error.connection_invalidated
    ):
        cause = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        return f"cannot use the database at {_database_url()}: {_one_line(cause)}"
    return None


def _database_url() -> str:
    try:
        url = get_settings().resolved_database_url()
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # only naming the database
        return "ACCORD_DATABASE_URL"


def _one_line(text: str) -> str:
    return " ".join(text.split())


app = typer.Typer(
    cls=AccordCommand,
    help="Accord: self-hosted partnership automation. Partners, tracking links, conversions, "
    "attribution, commissions, a double-entry ledger, payouts and fraud protection; and leads.",
    epilog="New here? Run `accord demo`. Each command explains itself: "
    "`accord COMMAND --help`. Errors print one line; set ACCORD_DEBUG=1 to see a "
    "traceback.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)
commissions_app = typer.Typer(help="Lock, approve and explain commissions.", no_args_is_help=True)
contracts_app = typer.Typer(help="Try draft contract terms on past conversions.")
payouts_app = typer.Typer(
    help="Run payout batches; write payout files and statements.", no_args_is_help=True
)
schedule_app = typer.Typer(
    help="The periodic money work, now (workers already do it every hour).", no_args_is_help=True
)
org_app = typer.Typer(help="Create organizations (brands and agencies).", no_args_is_help=True)
keys_app = typer.Typer(help="Manage the API keys of your organization.", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(keys_app, name="keys")
app.add_typer(commissions_app, name="commissions")
app.add_typer(contracts_app, name="contracts")
app.add_typer(payouts_app, name="payouts")
app.add_typer(schedule_app, name="schedule")
conversions_app = typer.Typer(
    help="Import offline conversions and modifications.", no_args_is_help=True
)
app.add_typer(conversions_app, name="conversions")
app.add_typer(postbacks_app, name="postbacks")
app.add_typer(reports_app, name="reports")
app.add_typer(fraud_app, name="fraud")
app.add_typer(leads_app, name="leads")
app.add_typer(mail_app, name="mail")


class HttpServer(StrEnum):
    granian = "granian"
    uvicorn = "uvicorn"


class PayoutFileFormat(StrEnum):
    csv = "csv"
    sepa = "sepa"


def ensure_port_free(host: str, port: int, option: str = "--port") -> None:
    """Refuse a port another server already listens on (or one this user may not use),
    before any work is done, instead of failing deep inside the server."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        raise typer.BadParameter(
            f"cannot resolve {host!r}: {error.strerror}", param_hint="'--host'"
        ) from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers bind
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise CommandFailed(
                    f"{host}:{port} is already in use (another server is listening there); "
                    f"stop it or choose another {option}"
                ) from None
            raise CommandFailed(
                f"{host}:{port} cannot be used ({(error.strerror or str(error)).lower()}); "
                f"choose another {option}"
            ) from None


@app.command()
def version() -> None:
    """Print Accord's version."""
    console.print(f"accord {__version__}")


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema (also done on every start)."""
    store = _store()
    console.print(
        f"schema at revision {current_revision(store.engine)} on {store.dialect} "
        f"({get_settings().resolved_database_url().split('@')[-1]})"
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    server: Annotated[HttpServer, typer.Option(help="The HTTP server.")] = HttpServer.granian,
    tracking_port: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=65535,
            help="Also serve /c/ and /i/ from the native click edge on this port (built "
            "with the machine's C compiler on first use). Point the tracking domain here.",
        ),
    ] = None,
    tracking_threads: Annotated[
        int, typer.Option(min=1, max=64, help="Threads of the native click edge.")
    ] = 2,
) -> None:
    """Serve the REST API and the click endpoint (/c/CODE) on the configured store.

    API docs at http://HOST:PORT/docs, the OpenAPI document at /openapi.json.
    """
    ensure_port_free(host, port)
    if tracking_port == port:
        raise typer.BadParameter("must differ from --port", param_hint="'--tracking-port'")
    if tracking_port is not None:
        ensure_port_free(host, tracking_port, "--tracking-port")
    # Partners' links point at the tracking port when there is one (set before the
    # settings are first read, so the workers see it).
    os.environ.setdefault("ACCORD_PUBLIC_URL", f"http://{host}:{tracking_port or port}")
    store = _store()  # migrate once here, before workers start
    store.dispose()
    os.environ["ACCORD_SKIP_MIGRATE"] = "1"
    edge = _start_native_edge(host, tracking_port, tracking_threads)
    console.print(
        f"Accord {__version__} serving on http://{host}:{port} "
        f"(docs at /docs, store: {store.dialect})"
    )
    try:
        _run_server(host, port, workers, server.value)
    finally:
        if edge is not None:
            edge.stop()  # no restart from here on
            _stop_child(edge.child)


def _start_native_edge(host: str, port: int | None, threads: int):
    """`accord edge` as a child process (granian forks its workers from this one, so the
    edge's loader thread must not live here)."""
    if port is None:
        return None

    argv = [sys.executable, "-m", "accord.cli", "edge", "--host", host, "--port", str(port)]
    argv += ["--threads", str(threads), "--quiet"]
    child = None
    try:
        ensure_edge_port_free(host, port)
        child = subprocess.Popen(argv)
        wait_listening(host, port, child, timeout=60)  # the first start compiles the edge
    except EdgeUnavailable:
        _stop_child(child)
        raise
    from accord.server import supervise_edge  # the web application: loaded only to serve

    supervisor = supervise_edge(child, host, port)  # restarted if it dies; shown by /health
    console.print(f"Tracking links (/c/CODE, /i/CODE) on http://{host}:{port} (native edge)")
    return supervisor


def _stop_child(child: subprocess.Popen | None) -> None:
    if child is not None and child.poll() is None:
        child.terminate()
        try:
            child.wait(15)
        except subprocess.TimeoutExpired:
            child.kill()


@app.command()
def edge(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Tracking port.")] = 8001,
    threads: Annotated[int, typer.Option(min=1, max=64, help="Threads of the edge.")] = 2,
    quiet: Annotated[bool, typer.Option(help="Print nothing at start.")] = False,
) -> None:
    """Serve only tracking links (/c/CODE, /i/CODE) from the native click edge.

    A small C server (built with the machine's C compiler on first use) answers clicks and
    spools them; this process keeps its link snapshot current and stores the spooled
    clicks. Run it beside `accord serve` on the same store, or use
    `accord serve --tracking-port`, which starts it for you.
    """
    store = _store()
    try:
        serve_edge(
            store,
            get_settings(),
            host=host,
            port=port,
            threads=threads,
            announce=None if quiet else console.print,
        )
    finally:
        store.dispose()


@app.command()
def worker(
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="Worker threads (default ACCORD_QUEUE_WORKERS, 2)."),
    ] = None,
) -> None:
    """Run background jobs from the job queue (ACCORD_QUEUE_URL) until Ctrl+C or SIGTERM.

    Imports, payout batches, the hourly money schedule, postback delivery and the recovery
    of jobs whose worker died. Start one or more on each machine that shares the queue (a
    Redis or PostgreSQL URL), and set ACCORD_QUEUE_IN_PROCESS=false for `accord serve`.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = get_settings()
    store = _store()
    queue = job_queue.for_store(store, settings, bind=True)
    events_tasks.use_queue()
    count = workers or settings.queue_workers
    console.print(
        f"Accord {__version__} worker: {count} threads on {queue.safe_url} "
        f"({len(tasks.declared())} tasks, store: {store.dialect})"
    )
    try:
        queue.run_worker(count)
    finally:
        store.dispose()


def _run_server(host: str, port: int, workers: int, server: str) -> None:
    if server == "uvicorn":
        import uvicorn  # only the server engine the command names is loaded

        uvicorn.run(
            "accord.server:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
        )
        return
    from granian.constants import Interfaces  # only the engine the command names is loaded
    from granian.server import Server

    Server(
        "accord.server:app_from_env",
        address=host,
        port=port,
        workers=workers,
        interface=Interfaces.ASGI,
        factory=True,
        log_access=False,
    ).serve()


@app.command()
def demo(
    scale: Annotated[
        float, typer.Option(min=0.01, max=50.0, help="Size: 1 = 200 partners, 5,000 clicks.")
    ] = 1.0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as one JSON object and exit.")
    ] = False,
    serve_after: Annotated[
        bool,
        typer.Option(
            "--serve/--no-serve", help="Keep serving the API afterwards (default; not with --json)."
        ),
    ] = True,
    host: Annotated[str, typer.Option(help="Address the demo server listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port the demo server listens on.")] = 8000,
    seed: Annotated[int, typer.Option(help="Random seed for the demo data.")] = 7,
) -> None:
    """Run a partner program end to end over HTTP and print its report.

    Creates a brand, a program, contracts and partners of five types with links and promo
    codes; sends clicks through GET /c/CODE and conversions, retries and reversals through
    the conversion API; moves the clock past the locking period; approves, pays, claws back;
    and prints clicks, conversions, revenue, commissions and ledger balances.
    """
    from accord.demo.run import run_demo  # starts the web application: loaded only here

    ensure_port_free(host, port)  # before minutes of set-up

    settings = get_settings().model_copy(
        update={"host": host, "port": port, "public_url": f"http://{host}:{port}"}
    )
    store = _store(clock=ShiftableClock())
    out = err if as_json else console
    columns = (
        TextColumn("{task.description:<20}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(
        *columns, console=out, transient=as_json, disable=as_json and not out.is_terminal
    ) as bar:
        tasks: dict[str, int] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done, total=total)

        result, server = run_demo(
            store, settings, scale=scale, seed=seed, progress=progress, host=host, port=port
        )
    if as_json:
        server.stop()
        sys.stdout.write(json.dumps(result.as_dict(), indent=2) + "\n")
        return
    _print_summary(result)
    if not serve_after:
        server.stop()
        return
    console.print(
        f"\nServing the demo's data on [bold]{result.base_url}[/bold] "
        f"(API docs: {result.base_url}/docs). Press Ctrl+C to stop."
    )
    console.print(
        f"Console: {result.base_url}/console — sign in as {result.console_email} "
        f"with the password {cast_password()}",
        markup=False,
    )
    console.print(
        f"Partner portal: {result.base_url}/portal — sign in as {result.portal_email} "
        "with the same password",
        markup=False,
    )
    try:
        server.wait()
    except KeyboardInterrupt:
        console.print("stopping…")
    finally:
        server.stop()


def _count(n: int, noun: str) -> str:
    """`1 event`, `3 events`."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _money(value: Decimal, currency: str) -> str:
    return f"{value:,.2f} {currency}"


def cast_password() -> str:
    return CONSOLE_PASSWORD


def _print_summary(result) -> None:
    s = result.summary
    t = result.traffic
    console.print(
        f"\n[bold]{s.program_name}[/bold] ({s.program_id}), demo took {result.wall_seconds:.1f}s"
    )
    console.print(
        f"HTTP: {t.clicks_sent:,} clicks → {t.clicks_redirected:,} redirects; "
        f"{t.conversions_sent:,} conversion requests ({t.duplicates_sent} retries, "
        f"{t.duplicates_answered} answered as duplicates); {t.reversals_sent} "
        f"reversals; {t.clawbacks_sent} clawbacks after payout"
    )
    totals = Table(title="Program totals", show_header=False, box=box.SIMPLE_HEAD)
    totals.add_column(style="bold")
    totals.add_column(justify="right")
    cur = s.currency
    for label, value in [
        ("impressions", f"{s.impressions:,}"),
        ("clicks", f"{s.clicks:,} ({s.unique_clicks:,} unique)"),
        ("conversions", f"{s.conversions:,} ({s.attributed_conversions:,} attributed)"),
        ("revenue (net of returns)", _money(s.revenue, cur)),
        ("commissions", _money(s.commissions, cur)),
        ("  pending", _money(s.pending, cur)),
        ("  payable (incl. clawbacks)", _money(s.payable, cur)),
        ("  paid", _money(s.paid, cur)),
        ("payouts", f"{result.payouts}"),
        ("brand funding (deposits less payouts)", _money(s.funding_balance, cur)),
        ("ledger balanced", "yes" if s.ledger_balanced else "NO"),
    ]:
        totals.add_row(label, value)
    console.print(totals)

    for title, rows in (("By partner type", s.by_partner_type), ("Top partners", s.top_partners)):
        top = rows is s.top_partners
        table = Table(title=f"{title} ({cur})", box=box.SIMPLE_HEAD, pad_edge=False)
        first = ("partner", "type") if top else ("type", "partners")
        numbers = ("clicks", "conv.") + (() if top else ("CR",)) + ("revenue", "earned", "EPC")
        body = []
        for r in rows:
            cells = [
                r.name if top else english(r.name),
                english(r.partner_type or "") if top else str(r.partners),
                f"{r.clicks:,}",
                f"{r.conversions:,}",
            ]
            if not top:
                cells.append("-" if r.conversion_rate is None else f"{r.conversion_rate:.1%}")
            cells += [
                f"{r.revenue:,.2f}",
                f"{r.commissions:,.2f}",
                "-" if r.epc is None else f"{r.epc:.2f}",
            ]
            body.append(cells)
        for col in first:
            table.add_column(col, no_wrap=True, max_width=16, overflow="ellipsis")
        for i, col in enumerate(numbers, start=2):
            width = max([len(col), *(len(cells[i]) for cells in body)])
            table.add_column(col, justify="right", no_wrap=True, min_width=width)
        for cells in body:
            table.add_row(*cells)
        console.print(table)
    console.print(
        "Reconciliation: commissions = pending + payable + paid → "
        f"{_money(s.commissions, cur)} = {_money(s.pending, cur)} + "
        f"{_money(s.payable, cur)} + {_money(s.paid, cur)}; checks: "
        + ", ".join(f"{k} {'ok' if v else 'FAILED'}" for k, v in s.checks.items())
    )
    if result.leads:
        counts = result.leads
        console.print(
            f"Leads: {counts['contacts']:,} people from the site, a trade show, WeChat and "
            f"stores, each one contact however they came back: {counts.get('mql', 0)} "
            f"marketing-qualified, {counts.get('new', 0)} new; "
            + _count(counts.get("content_items", 0), "content item")
            + ", "
            + _count(counts.get("events", 0), "event")
            + f" ({counts.get('registered', 0)} registered), "
            + _count(counts.get("sequences", 0), "nurturing sequence")
            + " (console: People)"
        )
    labels = {
        "payouts_csv": "Payout batch (CSV for finance)",
        "statement_en": "Largest payout's statement",
        "statement_zh_Hans": "The same statement in Chinese",
    }
    for key, path in result.documents.items():
        typer.echo(f"{labels.get(key, key)}: {path}")
    typer.echo(f"\nBrand API key:   {result.brand_api_key}")
    typer.echo(f"Partner API key: {result.partner_api_key} (sees only its own data)")
    typer.echo(
        f"Try it: curl -H 'Authorization: Bearer {result.brand_api_key}' "
        f"{result.base_url}/api/v1/programs/{s.program_id}/summary"
    )


@org_app.command("create")
def org_create(
    name: Annotated[str, typer.Argument(help="The organization's name.")],
    kind: Annotated[str, typer.Option(help="brand or agency.")] = "brand",
    email: Annotated[
        str | None, typer.Option(help="Also create a user who signs in with this email.")
    ] = None,
) -> None:
    """Create a brand (or agency) organization and print its first API key (shown once).

    With --email, also create its first user; the password is asked for (or read from
    ACCORD_PASSWORD) and stored argon2-hashed.
    """
    if kind not in ("brand", "agency"):
        raise typer.BadParameter(
            "use brand or agency (partners are added by a brand)", param_hint="'--kind'"
        )
    password = None
    if email:
        password = os.environ.get("ACCORD_PASSWORD") or typer.prompt(
            "Password", hide_input=True, confirmation_prompt=True
        )
    store = _store()
    if email:
        check_credentials(email, password)
    new = create_organization(store, OrganizationKind(kind), name)
    if email:
        create_user(store, new.organization_id, email, password)
    typer.echo(f"organization {new.organization_id}")
    if email:
        typer.echo(f"user {email.strip().lower()}")
    typer.echo(f"API key (store it now, it is not shown again): {new.api_key}")


@keys_app.command("create")
def keys_create(
    api_key: ApiKeyOption,
    name: Annotated[str, typer.Argument(help="What the key is for.")],
    scope: Annotated[
        list[str] | None,
        typer.Option(
            "--scope",
            help="What the key may do, once per scope: read, programs:write, "
            "partners:write, contracts:write, links:write, conversions:write, "
            "commissions:write, payouts:write, postbacks:write, keys:write, users:write, "
            "or * (everything, the default). At most what --api-key holds.",
        ),
    ] = None,
) -> None:
    """Create another API key for your organization."""
    store = _store()
    typer.echo(create_api_key(store, _caller(store, api_key), name, scope or ["*"]))


@keys_app.command("list")
def keys_list(api_key: ApiKeyOption) -> None:
    """List your organization's API keys (ids only; secrets are never shown again)."""
    store = _store()
    keys = list_api_keys(store, _caller(store, api_key))
    table = Table("key id", "name", "scopes", "created", "revoked")
    for k in keys:
        table.add_row(
            k.key_id,
            k.name,
            k.scopes,
            k.created_at.isoformat(timespec="seconds"),
            k.revoked_at.isoformat(timespec="seconds") if k.revoked_at else "",
        )
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(
    api_key: ApiKeyOption, key_id: Annotated[str, typer.Argument(help="The key id to revoke.")]
) -> None:
    """Revoke an API key."""
    store = _store()
    revoke_api_key(store, _caller(store, api_key), key_id)
    console.print(f"revoked {key_id}")


@commissions_app.command("lock")
def commissions_lock(api_key: ApiKeyOption, program_id: ProgramArgument) -> None:
    """Lock pending commissions whose locking period has passed."""
    store = _store()
    console.print(f"locked {lock_due(store, _caller(store, api_key), program_id)}")


@commissions_app.command("approve")
def commissions_approve(api_key: ApiKeyOption, program_id: ProgramArgument) -> None:
    """Approve every locked commission of a program."""
    store = _store()
    console.print(f"approved {len(approve(store, _caller(store, api_key), program_id))}")


@commissions_app.command("explain")
def commissions_explain(
    api_key: ApiKeyOption,
    commission_id: Annotated[
        str, typer.Argument(metavar="COMMISSION", help="The commission's id (com_...).")
    ],
) -> None:
    """Show why a commission is what it is: the contract version, the rule that matched,
    the inputs, each line's arithmetic and every adjustment since."""
    store = _store()
    explained = explain(store, _caller(store, api_key), commission_id)
    console.print_json(data=explained)


@contracts_app.command("what-if")
def contracts_what_if(
    api_key: ApiKeyOption,
    program_id: ProgramArgument,
    since: Annotated[
        datetime, typer.Option(metavar="DATE", help="Start of the period (UTC), e.g. 2025-01-01.")
    ],
    until: Annotated[
        datetime, typer.Option(metavar="DATE", help="End of the period, exclusive (UTC).")
    ],
    terms_file: Annotated[
        Path | None,
        typer.Argument(
            metavar="[TERMS.json]",
            help="The draft terms as JSON: {rules: [...], caps, bonuses, bounties}; without "
            "it, each partner is paid by its own contract (give --model).",
            show_default=False,
        ),
    ] = None,
    model: Annotated[
        Model | None,
        typer.Option(help="Attribute each conversion's journey again under this model first."),
    ] = None,
    split: Annotated[
        bool, typer.Option("--split", help="With --model: share credit by the model's weights.")
    ] = False,
    code_policy: Annotated[
        CodePolicy, typer.Option(help="With --model: when a promo code on the order earns.")
    ] = CodePolicy.WITHOUT_CLICK,
) -> None:
    """Replay draft terms, another attribution model, or both, over a past period: per
    partner, what they would have earned against what they did earn. Nothing is written."""
    if terms_file is None and model is None:
        raise typer.BadParameter("give TERMS.json, --model, or both", param_hint="TERMS.json")
    terms = parse_terms(_json_file(terms_file, "'TERMS.json'")) if terms_file else None
    policy = Policy(model, split=split, code_policy=code_policy) if model else None
    store = _store()
    result = what_if(
        store,
        _caller(store, api_key),
        program_id,
        terms,
        since.replace(tzinfo=since.tzinfo or UTC),
        until.replace(tzinfo=until.tzinfo or UTC),
        policy,
    )
    data = result.as_dict()
    table = Table(title=f"What-if {data['since']} → {data['until']} ({data['currency']})")
    for column in ("partner", "conversions", "actual", "draft", "difference", "over cap"):
        table.add_column(column, justify="left" if column == "partner" else "right")
    for row in data["partners"]:
        table.add_row(
            row["partner_id"],
            str(row["conversions"]),
            row["actual"],
            row["draft"],
            row["difference"],
            str(row["over_cap"]),
        )
    table.add_row("total", str(data["conversions"]), data["actual"], data["draft"],
                  data["difference"], "")  # fmt: skip
    console.print(table)


def _json_file(path: Path, name: str) -> object:
    """A JSON file's content; a file that cannot be read or parsed is a bad argument."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise typer.BadParameter(
            f"cannot read {path}: {(error.strerror or str(error)).lower()}", param_hint=name
        ) from None
    except ValueError as error:  # including text that is not UTF-8
        raise typer.BadParameter(f"{path} is not valid JSON: {error}", param_hint=name) from None


@payouts_app.command("run")
def payouts_run(api_key: ApiKeyOption, program_id: ProgramArgument) -> None:
    """Pay every partner whose payable balance reaches the program's threshold."""
    store = _store()
    result = run_batch(store, _caller(store, api_key), program_id)
    if result.batch is None:
        console.print("nobody is due a payout")
        return
    console.print(
        f"batch {result.batch.id}: {len(result.payouts)} payouts, "
        f"{Money.from_minor(result.batch.total_minor, result.batch.currency)}"
    )


@payouts_app.command("file")
def payouts_file(
    api_key: ApiKeyOption,
    batch_id: Annotated[
        str, typer.Argument(metavar="BATCH", help="The payout batch's id (pbt_...).")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the file.")],
    file_format: Annotated[
        PayoutFileFormat,
        typer.Option("--format", help="csv, or sepa (pain.001.001.09, EUR only)."),
    ] = PayoutFileFormat.csv,
    debtor_name: Annotated[
        str | None, typer.Option(help="SEPA: the paying account's name.")
    ] = None,
    debtor_iban: Annotated[str | None, typer.Option(help="SEPA: the paying IBAN.")] = None,
    debtor_bic: Annotated[str | None, typer.Option(help="SEPA: the paying bank's BIC.")] = None,
) -> None:
    """Write a payout batch as a CSV for finance, or as a SEPA credit transfer file for the
    bank."""
    if file_format is PayoutFileFormat.sepa and not (debtor_name and debtor_iban):
        raise typer.BadParameter(
            "sepa needs --debtor-name and --debtor-iban", param_hint="'--format'"
        )
    from accord.payouts.exports import batch_csv, batch_sepa  # PDF and XML libraries: slow

    store = _store()
    caller = _caller(store, api_key)
    if file_format is PayoutFileFormat.csv:
        output.write_text(batch_csv(store, caller, batch_id), encoding="utf-8")
    else:
        output.write_bytes(
            batch_sepa(
                store,
                caller,
                batch_id,
                debtor_name=debtor_name,
                debtor_iban=debtor_iban,
                debtor_bic=debtor_bic,
                execution_date=None,
            )
        )
    console.print(f"wrote {output}")


@payouts_app.command("statement")
def payouts_statement(
    api_key: ApiKeyOption,
    payout_id: Annotated[str, typer.Argument(metavar="PAYOUT", help="The payout's id (pay_...).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the PDF.")],
    locale: Annotated[str, typer.Option(help="en or zh_Hans.")] = "en",
) -> None:
    """Write a partner's PDF statement for one payout."""
    from accord.payouts.exports import statement_pdf  # PDF and XML libraries: slow to load

    store = _store()
    output.write_bytes(statement_pdf(store, _caller(store, api_key), payout_id, locale=locale))
    console.print(f"wrote {output}")


@schedule_app.command("run")
def schedule_run(
    api_key: ApiKeyOption,
    queue: Annotated[
        bool,
        typer.Option(
            "--queue", help="Put it on the job queue for a worker and print the job's id."
        ),
    ] = False,
) -> None:
    """Do each program's periodic work now: lock what is due (approving it where the program
    approves automatically) and pay where the payout schedule falls today.

    Workers (`accord worker`, or `accord serve` on its own) already do this every hour, for
    every brand: no cron entry is needed. This runs it now, as a job, in this process."""
    store = _store()
    job = jobs.start(store, _caller(store, api_key), "schedule")
    if queue:
        console.print(f"queued {job.id}")
        return
    job = jobs.run_here(store, job)
    if job.status == "failed":
        raise AccordError(job.message or "the schedule failed")
    for run in (job.result or {}).get("programs", []):
        paid = "no payout due"
        if run["batch_id"]:
            total = Money.from_minor(run["total_minor"], run["currency"])
            paid = f"batch {run['batch_id']}: {total}"
        approve = " (approved automatically)" if run["approved_automatically"] else ""
        console.print(f"{run['program_id']}: locked {run['locked']}{approve}; {paid}")


def _import_file(api_key: str, file, label: str, run, program_id: str | None) -> list:
    """Run a CSV import with a progress bar; an error stops with its message."""
    try:
        text = file.read()
    except UnicodeDecodeError as error:
        raise typer.BadParameter(
            f"{file.name} is not UTF-8 text (byte {error.start}); save it as UTF-8 CSV",
            param_hint="'FILE.csv'",
        ) from None
    store = _store()
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    caller = _caller(store, api_key)
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(label, total=None)
        return run(
            store,
            caller,
            text,
            program_id=program_id,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )


@conversions_app.command("reverse")
def conversions_reverse(
    api_key: ApiKeyOption,
    file: Annotated[
        typer.FileText,
        typer.Argument(metavar="FILE.csv", help="A UTF-8 CSV file with a header line."),
    ],
    program_id: Annotated[
        str | None,
        typer.Option("--program", help="Program id for rows found by order_id."),
    ] = None,
) -> None:
    """Reverse or modify conversions from CSV: per row a conversion_id (or order_id), and
    an amount, items (SKU:qty;SKU:qty) or nothing (the whole order), with a reason_code."""
    rows = _import_file(api_key, file, "reversing", import_reversals, program_id)
    counts = {s: sum(r.status == s for r in rows) for s in ("reversed", "duplicate", "rejected")}
    console.print(
        f"{len(rows)} rows: {counts['reversed']} reversed, {counts['duplicate']} already "
        f"applied, {counts['rejected']} rejected"
    )
    for r in rows:
        if r.status == "rejected":
            console.print(f"  line {r.row}: {r.error['message']}")


@conversions_app.command("import")
def conversions_import(
    api_key: ApiKeyOption,
    file: Annotated[
        typer.FileText,
        typer.Argument(metavar="FILE.csv", help="A UTF-8 CSV file with a header line."),
    ],
    program_id: Annotated[
        str | None,
        typer.Option("--program", help="Program id for rows without a program_id column."),
    ] = None,
    results: Annotated[
        str | None, typer.Option(help="Write each row's result to this CSV file.")
    ] = None,
) -> None:
    """Import offline conversions from CSV; each row is recorded on its own.

    Columns are the API's conversion fields (order_id, amount, currency, click_id,
    promo_code, customer_id, occurred_at, device.gaid, wechat.openid, items as JSON...).
    Prints a count per result and every rejected row with the field at fault.
    """
    rows = _import_file(api_key, file, "importing", import_conversions, program_id)
    counts = {s: sum(r.status == s for r in rows) for s in ("created", "duplicate", "rejected")}
    console.print(
        f"{len(rows)} rows: {counts['created']} created, {counts['duplicate']} "
        f"already recorded, {counts['rejected']} rejected"
    )
    for r in rows:
        if r.status == "rejected":
            console.print(f"  line {r.row}: {r.error['message']}")
    if results:
        with open(results, "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["row", "status", "conversion_id", "field", "message"])
            for r in rows:
                error = r.error or {}
                writer.writerow(
                    [
                        r.row,
                        r.status,
                        r.conversion_id or "",
                        error.get("field", ""),
                        error.get("message", ""),
                    ]
                )
    if counts["rejected"]:
        raise typer.Exit(1)


@app.command()
def report(
    api_key: ApiKeyOption,
    program_id: ProgramArgument,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print plain JSON (for scripts), without colours.")
    ] = False,
) -> None:
    """Print a program's totals, ledger balances and top partners."""
    store = _store()
    summary = program_summary(store, _caller(store, api_key), program_id)
    if as_json:
        sys.stdout.write(json.dumps(summary.as_dict(), indent=2) + "\n")
        return
    console.print_json(json.dumps(summary.as_dict()))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
