"""`accord reports` commands: growth quality and partner mix."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

import typer

from accord.cli.common import (
    ApiKeyOption,
    FormatOption,
    OutputOption,
    ProgramArgument,
    TableFormat,
    _caller,
    _store,
    err,
    write_table,
)
from accord.cli.reports import app
from accord.errors import InvalidInput
from accord.money import Money
from accord.reports import growth_model as gm
from accord.reports.growth import growth_quality, parse_promotions, presets
from accord.reports.mix import partner_mix
from accord.reports.runner import Period

__all__ = ["app"]


def _span(text: str, option: str) -> Period:
    """`FIRST:END` as UTC days, END excluded (2026-11-01:2026-12-01 is November)."""
    first, sep, end = text.partition(":")
    try:
        if not sep:
            raise ValueError
        since, until = date.fromisoformat(first.strip()), date.fromisoformat(end.strip())
    except ValueError:
        raise typer.BadParameter(
            "give FIRST:END as YYYY-MM-DD:YYYY-MM-DD (END excluded)", param_hint=option
        ) from None
    try:
        return Period(
            datetime(since.year, since.month, since.day, tzinfo=UTC),
            datetime(until.year, until.month, until.day, tzinfo=UTC),
        )
    except InvalidInput as error:
        raise typer.BadParameter(error.message, param_hint=option) from None


def _money(minor: int, currency: str) -> str:
    return str(Money.from_minor(minor, currency).amount)


@app.command("growth")
def growth(
    program: ProgramArgument,
    api_key: ApiKeyOption,
    current: Annotated[
        str | None, typer.Option(help="The current period, FIRST:END (END excluded).")
    ] = None,
    previous: Annotated[
        str | None, typer.Option(help="The period to compare with, FIRST:END (END excluded).")
    ] = None,
    preset: Annotated[
        str, typer.Option(help="Without --current/--previous: month, 30days or 1111.")
    ] = "month",
    promotion: Annotated[
        list[str] | None,
        typer.Option(help="An extra promotion period FIRST:LAST (days included); repeatable."),
    ] = None,
    fmt: FormatOption = TableFormat.table,
    output: OutputOption = None,
) -> None:
    """Is growth broad and lasting, or narrow and promotion-bound? The revenue change
    between two periods split by customers, promotion days, top partners and partner type;
    the verdict and its findings go to the screen (stderr), the split to the output."""
    store = _store()
    caller = _caller(store, api_key)
    if (current is None) != (previous is None):
        raise typer.BadParameter("give both --current and --previous, or neither")
    if current is not None and previous is not None:
        cur, prev = _span(current, "--current"), _span(previous, "--previous")
    else:
        if preset not in ("month", "30days", "1111"):
            raise typer.BadParameter("month, 30days or 1111", param_hint="--preset")
        cur, prev = presets(store.clock.now().date())[preset]
    try:
        extra = parse_promotions(promotion or [])
    except InvalidInput as error:
        raise typer.BadParameter(error.message, param_hint="--promotion") from None
    g = growth_quality(store, caller, program, cur, prev, extra)
    d, currency = g.decomposition, g.currency
    for sentence in g.sentences:
        err.print(
            gm.render(
                sentence,
                lambda text: text,
                lambda minor: f"{_money(minor, currency)} {currency}",
                gm.plain_percent,
                str,
            ),
            highlight=False,
        )
    rows = []
    for split in ("customers", "days", "partners", "types"):
        for part in getattr(d, split):
            rows.append(
                (
                    split,
                    part.key,
                    _money(part.previous_minor, currency),
                    _money(part.current_minor, currency),
                    _money(part.change_minor, currency),
                    gm.share(part.change_minor, d.change_minor),
                    currency,
                )
            )
    rows.append(
        (
            "total",
            g.judgement.verdict.value,
            _money(d.previous_minor, currency),
            _money(d.current_minor, currency),
            _money(d.change_minor, currency),
            None,
            currency,
        )
    )
    columns = ("split", "part", "previous", "current", "change", "share_of_change", "currency")
    write_table("Growth quality", columns, rows, fmt, output)


@app.command("mix")
def mix(
    program: ProgramArgument,
    api_key: ApiKeyOption,
    stage: Annotated[
        str | None,
        typer.Option(help="starting, growing or mature (default: from age and partners)."),
    ] = None,
    since: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Last day, YYYY-MM-DD (included).")] = None,
    fmt: FormatOption = TableFormat.table,
    output: OutputOption = None,
) -> None:
    """Revenue, partners, diagnostics by partner type against the shares recommended for
    the program's stage; the types it lacks (default period: the last 90 days)."""
    store = _store()
    caller = _caller(store, api_key)
    period = None
    if since or until:
        try:
            period = Period.days(date.fromisoformat(since or ""), date.fromisoformat(until or ""))
        except ValueError:
            raise typer.BadParameter("give --since and --until as YYYY-MM-DD") from None
    report = partner_mix(store, caller, program, period, stage)
    err.print(
        f"Stage: {report.stage} (suggested: {report.inferred_stage}; "
        f"{report.age_days} days, {report.approved_partners} approved partners). "
        f"Lacking: {', '.join(report.lacking) or 'none'}.",
        highlight=False,
    )
    diag = {t.key: t for t in report.types}
    rows = []
    for r in report.rows:
        t = diag.get(r.partner_type)
        rows.append(
            (
                r.partner_type,
                r.partners,
                _money(r.revenue_minor, report.currency),
                r.share,
                r.recommended,
                "lacking" if r.lacking else ("under" if r.under else ""),
                None if t is None else t.engagement_rate,
                None if t is None else _money(t.lifetime_value_minor, report.currency),
                None if t is None else t.new_customer_share,
                None if t is None else t.assist_rate,
                report.currency,
            )
        )
    columns = ("partner_type", "partners", "revenue", "share", "recommended", "note",
               "engagement_rate", "lifetime_value", "new_customer_share", "assist_rate",
               "currency")  # fmt: skip
    write_table("Partner mix", columns, rows, fmt, output)
