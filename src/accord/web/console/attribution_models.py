"""The console's reports: attribution models side by side and each partner's role."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
