"""The brand console, one page group per module; `router` holds them all."""

from __future__ import annotations

from fastapi import APIRouter

from accord.web.console import (
    audit,
    auth,
    commissions,
    contracts,
    conversions,
    dashboard,
    keys,
    links,
    partners,
    payouts,
    rejected,
    settings,
)

router = APIRouter(include_in_schema=False)
for group in (auth, dashboard, partners, contracts, links, conversions, commissions, payouts,
              settings, keys, rejected, audit):  # fmt: skip
    router.include_router(group.router)
