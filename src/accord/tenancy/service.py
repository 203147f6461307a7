"""Use cases for organizations and API keys."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from accord.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from accord.ids import new_id
from accord.partners.tables import Partner
from accord.store.engine import Store
from accord.tenancy.model import Caller, OrganizationKind, issue_key, parse_token, secret_matches
from accord.tenancy.tables import ApiKey, Organization, User

_passwords = PasswordHasher()
MIN_PASSWORD = 10


@dataclass(frozen=True, slots=True)
class NewOrganization:
    organization_id: str
    api_key: str  # shown once


def create_organization(store: Store, kind: OrganizationKind, name: str) -> NewOrganization:
    """Create a brand or agency organization with its first API key."""
    if not name.strip():
        raise InvalidInput("name", "must not be empty")
    with store.unit() as session:
        org_id = add_organization(session, kind, name, store.clock.now())
        token = add_api_key(session, org_id, "default", store.clock.now())
    return NewOrganization(org_id, token)


def add_organization(session, kind: OrganizationKind, name: str, now) -> str:
    org_id = new_id("org")
    session.add(Organization(id=org_id, kind=kind.value, name=name.strip(), created_at=now))
    session.flush()
    return org_id


def add_api_key(session, organization_id: str, name: str, now) -> str:
    issued = issue_key()
    session.add(
        ApiKey(
            id=new_id("key"),
            organization_id=organization_id,
            key_id=issued.key_id,
            secret_hash=issued.secret_hash,
            name=name,
            created_at=now,
        )
    )
    return issued.token


def create_api_key(store: Store, caller: Caller, name: str) -> str:
    """A new key for the caller's own organization; the token is returned once."""
    with store.unit() as session:
        return add_api_key(session, caller.organization_id, name, store.clock.now())


def list_api_keys(store: Store, caller: Caller) -> list[ApiKey]:
    with store.read() as session:
        return list(
            session.scalars(
                select(ApiKey)
                .where(ApiKey.organization_id == caller.organization_id)
                .order_by(ApiKey.created_at)
            )
        )


def revoke_api_key(store: Store, caller: Caller, key_id: str) -> None:
    with store.unit() as session:
        key = session.scalar(
            select(ApiKey).where(
                ApiKey.key_id == key_id, ApiKey.organization_id == caller.organization_id
            )
        )
        if key is None:
            raise NotFound("API key", key_id, field="key_id")
        if key.revoked_at is None:
            key.revoked_at = store.clock.now()


def authenticate(store: Store, token: str) -> Caller:
    """Resolve a bearer token to the calling organization, or raise Unauthenticated."""
    key_id, secret = parse_token(token)
    with store.read() as session:
        row = session.execute(
            select(ApiKey, Organization.kind)
            .join(Organization, Organization.id == ApiKey.organization_id)
            .where(ApiKey.key_id == key_id)
        ).first()
        if row is None or not secret_matches(secret, row[0].secret_hash):
            raise Unauthenticated("unknown API key")
        key, kind = row
        if key.revoked_at is not None:
            raise Unauthenticated("this API key was revoked")
        partner_id = None
        if kind == OrganizationKind.PARTNER:
            partner_id = session.scalar(
                select(Partner.id).where(Partner.organization_id == key.organization_id)
            )
        return Caller(key.organization_id, OrganizationKind(kind), partner_id)


def require_brand(caller: Caller) -> None:
    if not caller.is_brand:
        raise Forbidden("this action is for the brand's API keys, not a partner's")


def create_user(store: Store, organization_id: str, email: str, password: str) -> User:
    """A person who signs in to the console for an organization; the password is argon2-hashed."""
    with store.unit() as session:
        if session.get(Organization, organization_id) is None:
            raise NotFound("organization", organization_id, field="organization_id")
        return add_user(session, organization_id, email, password, store.clock.now())


def add_user(session, organization_id: str, email: str, password: str, now) -> User:
    """A user in the session's transaction: the email must be free, the password long enough."""
    email = check_credentials(email, password)
    taken = session.scalar(select(User.id).where(func.lower(User.email) == email))
    if taken:
        raise InvalidInput("email", "a user with this email already exists")
    user = User(
        id=new_id("usr"),
        organization_id=organization_id,
        email=email,
        password_hash=_passwords.hash(password),
        created_at=now,
    )
    session.add(user)
    return user


def check_credentials(email: str, password: str) -> str:
    """The normalized email, or InvalidInput naming what is wrong."""
    email = email.strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email:
        raise InvalidInput("email", f"{email!r} is not an email address")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput("password", f"use at least {MIN_PASSWORD} characters")
    return email


def verify_user(store: Store, email: str, password: str) -> User:
    """The user with this email and password, or Unauthenticated (same message for both)."""
    with store.read() as session:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
    try:
        if user is None or not _passwords.verify(user.password_hash, password):
            raise Unauthenticated("wrong email or password")
    except (VerificationError, InvalidHashError):
        raise Unauthenticated("wrong email or password") from None
    return user
