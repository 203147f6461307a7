"""`accord reports ...`: every report of a program as CSV, Excel or JSON.

Each report's commands live in a module of their own (`accord.cli.report_*`), which adds
them to `app`; `accord.cli` imports those modules.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Reports of a program: performance, attribution models, lifecycle, concentration, "
    "growth, partner mix and alerts, as a table, CSV, Excel or JSON.",
    no_args_is_help=True,
)
