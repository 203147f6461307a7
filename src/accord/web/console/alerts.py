"""The console's reports: anomaly alerts, forecasts and the weekly digest."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
