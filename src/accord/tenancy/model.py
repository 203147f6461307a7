"""Callers and API keys: who is asking, and for which organization."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from enum import StrEnum

from accord.errors import Forbidden, Text, Unauthenticated
from accord.tenancy.permissions import ALL, allows, describe

KEY_PREFIX = "acc"


class OrganizationKind(StrEnum):
    BRAND = "brand"
    PARTNER = "partner"
    AGENCY = "agency"


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated organization behind a request. Every query is scoped by it."""

    organization_id: str
    kind: OrganizationKind
    partner_id: str | None = None  # set when the organization is a partner
    #: What this caller may do: a key's scopes, or what a user's role grants.
    scopes: frozenset[str] = field(default=frozenset({ALL}))
    role: str | None = None  # a signed-in user's role; None for an API key
    key_id: str | None = None  # the API key behind the request, if any

    @property
    def is_brand(self) -> bool:
        return self.kind in (OrganizationKind.BRAND, OrganizationKind.AGENCY)

    def may(self, permission: str) -> bool:
        return allows(self.scopes, permission)

    def require(self, permission: str) -> None:
        """Refuse with 403 naming the missing permission."""
        if not self.may(permission):
            if self.role is not None:
                raise Forbidden(
                    Text(
                        "your role (%(role)s) lacks %(permission)s (%(described)s)",
                        role=self.role,
                        permission=permission,
                        described=describe(permission),
                    )
                )
            raise Forbidden(Text("this key lacks %(permission)s", permission=permission))


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A new API key. `token` is shown once; only `secret_hash` is stored."""

    key_id: str
    token: str
    secret_hash: str


def hash_secret(secret: str) -> str:
    # API key secrets are 256-bit random, so a fast hash is safe here (passwords use argon2).
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_key() -> IssuedKey:
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return IssuedKey(key_id, f"{KEY_PREFIX}_{key_id}_{secret}", hash_secret(secret))


def parse_token(token: str) -> tuple[str, str]:
    """Split `acc_<key id>_<secret>` into its key id and secret."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        raise Unauthenticated("malformed API key: expected 'Authorization: Bearer acc_...'")
    return parts[1], parts[2]


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
