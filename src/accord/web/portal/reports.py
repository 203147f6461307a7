"""The portal's reports: a partner's own performance, by day, link, sub-id and promo code."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
