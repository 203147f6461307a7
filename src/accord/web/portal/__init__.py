"""The partner portal, one page group per module; `router` holds them all.

Every query goes through the partner's own Caller, so the services scope it to the partner:
a partner sees its own clicks, commissions and payouts, never another partner's, never the
brand's customers (no customer ids, emails or IPs are rendered here) and never the brand's
settings beyond what a partner needs to promote the program.
"""

from __future__ import annotations

from fastapi import APIRouter

from accord.web.portal import (
    announcements,
    commissions,
    home,
    invitations,
    links,
    materials,
    messages,
    payouts,
    profile,
    programs,
    reports,
    settings,
    signup,
)

router = APIRouter(include_in_schema=False)
for group in (signup, invitations, announcements, home, programs, links, commissions,
              payouts, reports, profile, messages, materials, settings):  # fmt: skip
    router.include_router(group.router)
