"""Protect reacts to partners' sign-ins: the address (hashed) becomes one of the partner's
marks, so an order from it counts as coming from the partner's own network, and two
partners signing in from one address are shown as possibly one person."""

from __future__ import annotations

from sqlalchemy.orm import Session

from accord.events.model import PartnerSignedIn
from accord.events.subscriptions import subscribe
from accord.protect.marks import keep_marks


@subscribe(PartnerSignedIn, "protect.marks")
def partner_signed_in(session: Session, event: PartnerSignedIn) -> None:
    keep_marks(session, event.partner_id, [("ip", event.ip_sha256)], "sign_in", event.occurred_at)
