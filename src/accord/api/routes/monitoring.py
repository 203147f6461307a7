"""The API's anomaly alerts, forecasts and digest settings."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
