"""The console's reports: growth quality, partner mix and diagnostic metrics."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
