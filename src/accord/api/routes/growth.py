"""The API's growth quality, partner mix and diagnostic metrics."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
