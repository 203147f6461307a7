"""The API's performance reports by any dimension, with exports."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
