"""The console's reports: performance by any dimension, exports and charts."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
