"""The brand console, one page group per module; `router` holds them all."""

from __future__ import annotations

from fastapi import APIRouter

from accord.web.console import (
    alerts,
    announcements,
    attribution,
    attribution_models,
    audit,
    auth,
    commissions,
    contacts,
    content,
    contracts,
    conversions,
    dashboard,
    directory,
    events,
    forms,
    fraud,
    growth,
    handoff,
    inquiries,
    keys,
    lifecycle,
    links,
    materials,
    nurture,
    outbox,
    partners,
    password,
    payouts,
    rates,
    recruiting,
    rejected,
    reports,
    reversals,
    settings,
)

router = APIRouter(include_in_schema=False)
for group in (auth, dashboard, partners, contracts, links, conversions, commissions, payouts,
              settings, attribution, keys, rejected, audit, reports, attribution_models,
              lifecycle, growth, alerts, fraud, contacts, forms, handoff, nurture,
              content, events, rates, inquiries, reversals, password, outbox,
              directory, recruiting, announcements, materials):  # fmt: skip
    router.include_router(group.router)
