"""`accord fraud simulate`: measure fraud protection on simulated traffic with labelled
fraud, per scenario, against its goals."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich import box
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from accord.cli.common import console
from accord.protect.simulate import make_plan, simulate

app = typer.Typer(help="Fraud protection: measure it on simulated traffic.", no_args_is_help=True)

#: The goals at the moderate level.
GOAL_PRECISION = 0.9
GOAL_RECALL = 0.9
GOAL_CLEAN_HELD = 0.01


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


@app.command("simulate")
def simulate_command(
    level: Annotated[
        str, typer.Option(help="relaxed, moderate or strict (the goals are for moderate)")
    ] = "moderate",
    scale: Annotated[
        float, typer.Option(min=0.05, max=20, help="1: about 21,500 clicks and 1,000 orders")
    ] = 1.0,
    seed: Annotated[int, typer.Option(help="The same seed makes the same traffic")] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON")] = False,
) -> None:
    """Simulate three weeks of a program's traffic in a temporary embedded store, with each
    kind of fraud at a known rate beside clean traffic with its natural long tail, through
    the real click store and conversion recording in active mode; then print precision and
    recall per scenario and overall, the share of clean orders held, what a naive rule
    (hold every order within two minutes of its click) would have held, and how fast
    scoring is."""
    if level not in ("relaxed", "moderate", "strict"):
        raise typer.BadParameter("use relaxed, moderate or strict", param_hint="--level")
    plan = make_plan(seed=seed, scale=scale)
    columns = (TextColumn("simulating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=as_json) as bar:
        task = bar.add_task("events", total=len(plan.clicks) + len(plan.orders))

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        measured = simulate(plan, level, seed=seed, scale=scale, progress=step)
    figures = measured.as_dict()
    if as_json:
        console.print_json(json.dumps(figures))
        return
    table = Table(box=box.SIMPLE_HEAVY, title=f"Fraud protection at the {level} level")
    for name in ("scenario", "judged on", "fraud", "caught", "clean caught", "precision",
                 "recall", "goal"):  # fmt: skip
        table.add_column(name, justify="left" if name in ("scenario", "judged on") else "right")
    for s in figures["scenarios"]:
        met = (
            s["precision"] is not None
            and s["precision"] >= GOAL_PRECISION
            and s["recall"] is not None
            and s["recall"] >= GOAL_RECALL
        )
        table.add_row(
            s["scenario"].replace("_", " "),
            s["unit"],
            f"{s['total']:,}",
            f"{s['caught']:,}",
            f"{s['false_alarms']:,}",
            _share(s["precision"]),
            _share(s["recall"]),
            "met" if met else "NOT met",
        )
    console.print(table)
    held = figures["clean_held_share"]
    console.print(
        f"overall: precision {_share(figures['overall_precision'])}, recall "
        f"{_share(figures['overall_recall'])}\n"
        f"clean orders held: {figures['clean_held']:,} of {figures['clean_conversions']:,} "
        f"({held:.2%}; goal at most {GOAL_CLEAN_HELD:.0%}: "
        f"{'met' if held <= GOAL_CLEAN_HELD else 'NOT met'}); clean clicks judged invalid: "
        f"{figures['clean_clicks_invalid']:,} of {figures['clean_clicks']:,}\n"
        f"a naive rule (hold every order within two minutes of its click) would hold "
        f"{figures['naive_clean_held_share']:.1%} of clean orders\n"
        f"speed: {figures['speed']['clicks_scored_per_s']:,.0f} clicks scored per second; "
        f"a conversion takes {figures['speed']['ms_per_conversion_off']:.2f} ms to record "
        f"with scoring off, {figures['speed']['ms_per_conversion_active']:.2f} ms in active "
        f"mode\n{figures['clicks']:,} clicks and {figures['orders']:,} orders in "
        f"{figures['seconds']:.1f} s (seed {seed}, scale {scale})"
    )
