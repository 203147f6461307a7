"""Use cases for organizations and API keys."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, or_, select, update

from accord.errors import Forbidden, InvalidInput, NotFound, Text, Unauthenticated
from accord.ids import new_id
from accord.partners.tables import Partner
from accord.signin.tables import WebSession
from accord.store.engine import Store
from accord.tenancy.model import Caller, OrganizationKind, issue_key, parse_token, secret_matches
from accord.tenancy.permissions import (
    ALL,
    BRAND_ROLES,
    PARTNER_ROLES,
    ROLE_SCOPES,
    Role,
    check_key_scopes,
    format_scopes,
    parse_scopes,
)
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


def add_api_key(
    session, organization_id: str, name: str, now, scopes=(ALL,), created_by: str | None = None
) -> str:
    issued = issue_key()
    session.add(
        ApiKey(
            id=new_id("key"),
            organization_id=organization_id,
            key_id=issued.key_id,
            secret_hash=issued.secret_hash,
            name=name,
            created_at=now,
            scopes=format_scopes(scopes),
            created_by=created_by,
        )
    )
    return issued.token


def create_api_key(
    store: Store, caller: Caller, name: str, scopes=(ALL,), created_by: str | None = None
) -> str:
    """A new key for the caller's own organization, with at most the caller's own scopes;
    the token is returned once."""
    caller.require("keys:write")
    try:
        granted = check_key_scopes(scopes, caller.scopes)
    except ValueError as error:
        raise InvalidInput("scopes", str(error)) from None
    maker = created_by or (f"key:{caller.key_id}" if caller.key_id else None)
    with store.unit() as session:
        return add_api_key(session, caller.organization_id, name, store.clock.now(), granted, maker)


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
        return Caller(
            key.organization_id,
            OrganizationKind(kind),
            partner_id,
            scopes=parse_scopes(key.scopes),
            key_id=key.key_id,
        )


def require_brand(caller: Caller) -> None:
    if not caller.is_brand:
        raise Forbidden("this action is for the brand's API keys, not a partner's")


def require_partner(caller: Caller) -> None:
    if caller.partner_id is None:
        raise Forbidden("this action is for a partner's API keys, not the brand's")


def create_user(
    store: Store, organization_id: str, email: str, password: str, role: str | None = None
) -> User:
    """A person who signs in to the console for an organization; the password is argon2-hashed.
    Without a role: the brand's owner, or the partner company's admin."""
    with store.unit() as session:
        if session.get(Organization, organization_id) is None:
            raise NotFound("organization", organization_id, field="organization_id")
        return add_user(session, organization_id, email, password, store.clock.now(), role)


def add_user(
    session, organization_id: str, email: str, password: str, now, role: str | None = None
) -> User:
    """A user in the session's transaction: the email must be free, the password long enough.
    Without a role, the organization's first kind of user: a brand's owner, a partner's admin."""
    email = check_credentials(email, password)
    taken = session.scalar(select(User.id).where(func.lower(User.email) == email))
    if taken:
        raise InvalidInput("email", "a user with this email already exists")
    kind = session.scalar(select(Organization.kind).where(Organization.id == organization_id))
    role = check_role(kind, role or default_role(kind))
    user = User(
        id=new_id("usr"),
        organization_id=organization_id,
        email=email,
        password_hash=_passwords.hash(password),
        created_at=now,
        role=role,
    )
    session.add(user)
    return user


def check_credentials(email: str, password: str) -> str:
    """The normalized email, or InvalidInput naming what is wrong."""
    email = email.strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email:
        raise InvalidInput("email", Text("%(email)s is not an email address", email=repr(email)))
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            "password", Text("use at least %(least)s characters", least=MIN_PASSWORD)
        )
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


# Roles and the users of an organization --------------------------------------------------
def default_role(kind: str | None) -> str:
    return Role.ADMIN.value if kind == OrganizationKind.PARTNER else Role.OWNER.value


def roles_for(kind: str) -> tuple[Role, ...]:
    """The roles a user of this kind of organization may have."""
    return PARTNER_ROLES if kind == OrganizationKind.PARTNER else BRAND_ROLES


def check_role(kind: str | None, role: str) -> str:
    allowed = [r.value for r in roles_for(kind or OrganizationKind.BRAND)]
    if role not in allowed:
        raise InvalidInput(
            "role",
            Text(
                "%(role)s is not a role here: use %(allowed)s",
                role=repr(role),
                allowed=", ".join(allowed),
            ),
        )
    return role


def role_scopes(role: str) -> frozenset[str]:
    """What a role grants; an unknown role (a newer release's) grants reading only."""
    try:
        return ROLE_SCOPES[Role(role)]
    except ValueError:
        return frozenset({"read"})


def _managers(role: str) -> set[str]:
    return {Role.OWNER.value, Role.ADMIN.value} & {role}


def list_users(store: Store, caller: Caller) -> list[User]:
    with store.read() as session:
        return users_in(session, caller.organization_id)


def organization_name(session, organization_id: str) -> str:
    """An organization's name as its people see it (empty if there is none)."""
    row = session.get(Organization, organization_id)
    return row.name if row is not None else ""


def users_in(session, organization_id: str) -> list[User]:
    """An organization's users, oldest first (for other stages' work inside a unit)."""
    return list(
        session.scalars(
            select(User)
            .where(User.organization_id == organization_id)
            .order_by(User.created_at, User.email)
        )
    )


@dataclass(frozen=True, slots=True)
class Invitation:
    user: User
    password: str  # shown once to the person who invited


def invite_user(store: Store, caller: Caller, email: str, role: str) -> Invitation:
    """A new user of the caller's organization with a one-time password, returned once."""
    caller.require("users:write")
    password = secrets.token_urlsafe(12)
    with store.unit() as session:
        user = add_user(session, caller.organization_id, email, password, store.clock.now(), role)
    return Invitation(user, password)


def _own_user(session, caller: Caller, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None or user.organization_id != caller.organization_id:
        raise NotFound("user", user_id, field="user_id")
    return user


def _keep_a_manager(session, caller: Caller, user: User, new_role: str | None) -> None:
    """Refuse to leave the organization without an owner (a partner: an admin)."""
    if not _managers(user.role) or (new_role is not None and _managers(new_role)):
        return
    others = session.scalar(
        select(func.count(User.id)).where(
            User.organization_id == caller.organization_id,
            User.role == user.role,
            User.id != user.id,
        )
    )
    if not others:
        raise InvalidInput(
            "role", Text("the organization must keep at least one %(role)s", role=user.role)
        )


def change_role(store: Store, caller: Caller, user_id: str, role: str) -> User:
    caller.require("users:write")
    with store.unit() as session:
        user = _own_user(session, caller, user_id)
        check_role(caller.kind, role)
        _keep_a_manager(session, caller, user, role)
        user.role = role
        return user


def remove_user(store: Store, caller: Caller, user_id: str) -> None:
    """Remove a user of the caller's organization, and end their sessions."""
    caller.require("users:write")
    with store.unit() as session:
        user = _own_user(session, caller, user_id)
        _keep_a_manager(session, caller, user, None)
        for row in session.scalars(select(WebSession).where(WebSession.user_id == user.id)):
            session.delete(row)
        session.flush()
        session.delete(user)


# what other stages need to write to people ------------------------------------------------
@dataclass(frozen=True, slots=True)
class Person:
    """A user as mail reaches them: address, role, and the language they read (None: not
    known yet)."""

    user_id: str
    email: str
    role: str
    language: str | None


def people_in(session, organization_id: str) -> list[Person]:
    """An organization's users, for mail written inside another stage's unit."""
    return [Person(u.id, u.email, u.role, u.language) for u in users_in(session, organization_id)]


def remember_language(store: Store, user_id: str, language: str) -> None:
    """The language a user reads the console or portal in, which their mail is written in
    (written only when it changed)."""
    with store.unit() as session:
        session.execute(
            update(User)
            .where(User.id == user_id, or_(User.language.is_(None), User.language != language))
            .values(language=language)
        )


def person_by_email(session, email: str) -> Person | None:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    return None if user is None else Person(user.id, user.email, user.role, user.language)


def person(session, user_id: str) -> Person | None:
    user = session.get(User, user_id)
    return None if user is None else Person(user.id, user.email, user.role, user.language)


def organization_of(session, user_id: str) -> str | None:
    return session.scalar(select(User.organization_id).where(User.id == user_id))


def set_password(session, user_id: str, password: str) -> None:
    """A new password for a user (inside the caller's unit), long enough or InvalidInput."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            "password", Text("use at least %(least)s characters", least=MIN_PASSWORD)
        )
    if len(password) > 1000:
        raise InvalidInput("password", "use at most 1000 characters")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user", user_id, field="user_id")
    user.password_hash = _passwords.hash(password)
