"""The API's partner lifecycle, promotion periods and concentration."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
