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
from accord.notices.service import Recipient, queue
from accord.partners.tables import Partner
from accord.signin.tables import PasswordReset, WebSession
from accord.store.engine import Store
from accord.tenancy.model import Caller, OrganizationKind
from accord.tenancy.service import (
    organization_of,
    person_by_email,
    role_scopes,
    set_password,
    verify_user,
)
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


# choosing a new password by e-mail --------------------------------------------------------
RESET_VALID = timedelta(hours=1)
#: How long an invitation's link to choose a first password works.
INVITATION_VALID = timedelta(days=7)


def request_reset(store: Store, email: str, language: str, base_url: str) -> None:
    """Mail a link to choose a new password to the user with this address. Nothing tells
    the asker whether there is one (the page says the same either way)."""
    now = store.clock.now()
    with store.unit() as session:
        found = person_by_email(session, email)
        if found is None:
            return
        _mail_link(session, found, "password_reset", RESET_VALID, now, base_url,
                   organization_of(session, found.user_id), language, program="")  # fmt: skip


def invite_by_mail(
    store: Store,
    email: str,
    *,
    organization_id: str,
    language: str,
    base_url: str,
    program: str,
    inviter: str,
) -> bool:
    """Mail a new user (a partner's, added by a brand) an invitation: a link to choose
    their password, working once within `INVITATION_VALID`; the mail is in the outbox of
    `organization_id` (the inviting brand). False when no user has this address."""
    now = store.clock.now()
    with store.unit() as session:
        found = person_by_email(session, email)
        if found is None:
            return False
        _mail_link(session, found, "invitation", INVITATION_VALID, now, base_url,
                   organization_id, language, program=program, inviter=inviter)  # fmt: skip
    return True


def _mail_link(session, found, kind: str, valid: timedelta, now, base_url: str,
               organization_id: str | None, language: str, **context) -> None:  # fmt: skip
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordReset(
            id=_digest(token), user_id=found.user_id, created_at=now, expires_at=now + valid
        )
    )
    session.flush()
    queue(
        session,
        organization_id=organization_id,
        kind=kind,
        template=kind,
        to=Recipient(found.email, language),
        now=now,
        secret=True,
        expires_at=now + valid,
        email=found.email,
        link=f"{base_url}/console/password/reset?token={token}",
        **context,
    )


def _usable_reset(session, token: str | None, now) -> PasswordReset | None:
    if not token or len(token) > 200:
        return None
    row = session.get(PasswordReset, _digest(token))
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    return row


def reset_usable(store: Store, token: str | None) -> bool:
    """Whether a reset link still works (unused, within its hour)."""
    with store.read() as session:
        return _usable_reset(session, token, store.clock.now()) is not None


def reset_password(store: Store, token: str | None, password: str) -> bool:
    """Set the password of a reset link's user; the link and every other open link of the
    user stop working, and their browsers are signed out. Returns whether the user is a
    partner's (to send them to the portal's sign-in); InvalidInput for a short password,
    Unauthenticated for a link that does not work (any more)."""
    now = store.clock.now()
    with store.unit() as session:
        row = _usable_reset(session, token, now)
        if row is None:
            raise Unauthenticated("this link to choose a new password has run out or was used")
        set_password(session, row.user_id, password)
        session.execute(
            update(PasswordReset)
            .where(PasswordReset.user_id == row.user_id, PasswordReset.used_at.is_(None))
            .values(used_at=now)
        )
        session.execute(delete(WebSession).where(WebSession.user_id == row.user_id))
        org = session.get(Organization, organization_of(session, row.user_id))
        return org is not None and org.kind == OrganizationKind.PARTNER
