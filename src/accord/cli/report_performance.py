"""`accord reports` commands: performance."""

from __future__ import annotations

from accord.cli.reports import app

__all__ = ["app"]
