"""`accord reports` commands: models."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Annotated

import typer

from accord.attribution.datadriven import MODELS
from accord.attribution.insight import models_report
from accord.cli import common
from accord.cli.common import ApiKeyOption, FormatOption, OutputOption, ProgramArgument
from accord.cli.reports import app
from accord.web.i18n import english

__all__ = ["app"]


class By(StrEnum):
    partner = "partner"
    partner_type = "partner_type"


def _day(value: date | datetime | None) -> datetime | None:
    """The start (UTC) of the day."""
    if value is None:
        return None
    return datetime.combine(value.date() if isinstance(value, datetime) else value, time(), UTC)


@app.command("models")
def models(
    program: ProgramArgument,
    api_key: ApiKeyOption,
    by: Annotated[By, typer.Option(help="Credit partners, or partner types.")] = By.partner,
    order: Annotated[
        int, typer.Option(min=1, max=3, help="The Markov chain's memory: 1, 2 or 3 touches.")
    ] = 1,
    since: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="First day (UTC) of conversions to read."),
    ] = None,
    until: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="The day (UTC) after the last one to read."),
    ] = None,
    fmt: FormatOption = common.TableFormat.table,
    output: OutputOption = None,
) -> None:
    """Attribution models side by side: the conversions and revenue last touch, first
    touch, linear, position-based, time decay, Markov and Shapley credit to each partner (or
    partner type), and the role it plays: introducer, influencer or closer."""
    store = common._store()
    try:
        caller = common._caller(store, api_key)
        report = models_report(
            store,
            caller,
            program,
            by=by.value,
            order=order,
            since=_day(since),
            until=_day(until),
        )
    finally:
        store.dispose()
    columns = [
        "key",
        "name",
        *(f"{m}_conversions" for m in MODELS),
        *(f"{m}_revenue" for m in MODELS),
        "markov_removal_effect",
        "touches",
        "first_share",
        "middle_share",
        "last_share",
        "only_share",
        "role",
    ]
    rows = [
        [
            r.key,
            r.name if report.by == "partner" else english(r.name),
            *(r.conversions.get(m) for m in MODELS),
            *(r.revenue[m].amount if m in r.revenue else None for m in MODELS),
            r.removal_effect,
            r.touches,
            r.first,
            r.middle,
            r.last,
            r.only,
            r.role,
        ]
        for r in report.rows
    ]
    title = (
        f"Attribution models of {report.program_id} by {report.by} "
        f"(Markov order {report.order}, {report.currency}): {report.journeys} journeys, "
        f"{report.multi_touch} with more than one touch"
    )
    if fmt is common.TableFormat.table and output is None:
        # on screen: the conversions under each model and the role; files carry everything
        keep = [1, *range(2, 2 + len(MODELS)), len(columns) - 1]
        columns = [columns[i] for i in keep]
        rows = [[row[i] for i in keep] for row in rows]
    common.write_table(title, columns, rows, fmt, output)
