"""Browser sessions: sign in with email and password, a session cookie, CSRF tokens.

The cookie carries a random 256-bit token (HttpOnly, SameSite=Lax, Secure over HTTPS); the
database keeps only its SHA-256, so a leaked database gives no usable cookie. Every state-
changing request must send the session's CSRF token (a form field or the X-CSRF-Token
header, which htmx adds), compared in constant time. A session ends after 12 hours without
use or 7 days in all.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update

from accord.errors import Unauthenticated
from accord.events.model import PartnerSignedIn
from accord.events.service import record
from accord.partners.tables import Partner
from accord.signin.tables import WebSession
from accord.store.engine import Store
from accord.tenancy.model import Caller, OrganizationKind
from accord.tenancy.service import role_scopes, verify_user
from accord.tenancy.tables import Organization, User

COOKIE = "accord_session"
IDLE = timedelta(hours=12)
LONGEST = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Visitor:
    """The person behind a signed-in browser, and what they may see."""

    user_id: str
    email: str
    organization_name: str
    caller: Caller
    csrf_token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(store: Store, email: str, password: str, ip: str | None = None) -> tuple[str, Visitor]:
    """Check the password and open a session; returns the cookie token and the visitor.
    A partner's user signing in from `ip` records a `partner.signed_in` event with the
    address hashed (fraud rules compare partners' and orders' addresses)."""
    user = verify_user(store, email, password)
    token = secrets.token_urlsafe(32)
    now = store.clock.now()
    with store.unit() as session:
        row = WebSession(
            id=_digest(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + LONGEST,
        )
        session.add(row)
        session.execute(delete(WebSession).where(WebSession.expires_at < now))
        address = _address(ip)
        if address is not None:
            org = session.get(Organization, user.organization_id)
            if org is not None and org.kind == OrganizationKind.PARTNER:
                partner_id = session.scalar(
                    select(Partner.id).where(Partner.organization_id == org.id)
                )
                if partner_id is not None:
                    record(
                        session,
                        PartnerSignedIn(
                            organization_id=org.id,
                            occurred_at=now,
                            partner_id=partner_id,
                            user_id=user.id,
                            ip_sha256=hashlib.sha256(address.encode()).hexdigest(),
                        ),
                    )
    return token, visitor(store, token)


def _address(ip: str | None) -> str | None:
    """The address as the fraud rules compare it (the canonical text), or None for none
    or for something that is not an address."""
    if not ip:
        return None
    try:
        return str(ipaddress.ip_address(ip.strip()))
    except ValueError:
        return None


def visitor(store: Store, token: str | None) -> Visitor:
    """The signed-in visitor for a cookie token, or Unauthenticated; touching it keeps the
    session alive."""
    if not token:
        raise Unauthenticated("sign in first")
    now = store.clock.now()
    with store.read() as session:
        row = session.get(WebSession, _digest(token))
        if row is None or row.expires_at <= now or row.last_seen_at + IDLE <= now:
            raise Unauthenticated("your session has ended; sign in again")
        stale = now - row.last_seen_at > timedelta(minutes=1)
        user = session.get(User, row.user_id)
        org = session.get(Organization, user.organization_id)
        partner_id = None
        if org.kind == OrganizationKind.PARTNER:
            partner_id = session.scalar(select(Partner.id).where(Partner.organization_id == org.id))
        caller = Caller(
            org.id,
            OrganizationKind(org.kind),
            partner_id,
            scopes=role_scopes(user.role),
            role=user.role,
        )
        found = Visitor(user.id, user.email, org.name, caller, row.csrf_token)
    if stale:  # written at most once a minute: page views stay reads
        with store.unit() as session:
            session.execute(
                update(WebSession).where(WebSession.id == _digest(token)).values(last_seen_at=now)
            )
    return found


def sign_out(store: Store, token: str | None) -> None:
    if token:
        with store.unit() as session:
            session.execute(delete(WebSession).where(WebSession.id == _digest(token)))


def csrf_ok(visitor: Visitor, sent: str | None) -> bool:
    # Compared as bytes: a non-ASCII token is simply wrong, not an error.
    return bool(sent) and hmac.compare_digest(visitor.csrf_token.encode(), (sent or "").encode())
