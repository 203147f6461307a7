"""The console's reports: partner lifecycle, promotion periods and concentration."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
