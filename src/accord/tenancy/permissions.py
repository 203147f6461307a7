"""Roles, scopes and the permission each request needs. Pure: no I/O.

A permission is `read` or `<resource>:write`. A user's role grants a set of them; an API
key carries its own (its scopes). `*` grants everything. The permission a request needs is
derived from its route, never written in the route: GET and HEAD read, anything else writes
the resource its path names (the segment nearest the end that is a known resource), with
an explicit table for the routes that path and method alone would get wrong.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache

ALL = "*"
READ = "read"

#: What a write can change. Each has a `<resource>:write` permission.
RESOURCES = (
    "programs",
    "partners",
    "contracts",
    "links",
    "conversions",
    "commissions",
    "payouts",
    "postbacks",
    "keys",
    "users",
    "leads",
)
WRITE_SCOPES = tuple(f"{r}:write" for r in RESOURCES)
#: Scopes an API key may carry.
KEY_SCOPES = (READ, *WRITE_SCOPES)
#: Reading the audit log in the console (owners and analysts); the API reads it with `read`.
AUDIT_READ = "audit:read"


class Role(StrEnum):
    # inside a brand (or agency)
    OWNER = "owner"
    MANAGER = "manager"
    ANALYST = "analyst"
    FINANCE = "finance"
    SALES = "sales"
    # inside a partner company
    ADMIN = "admin"
    MEMBER = "member"


BRAND_ROLES = (Role.OWNER, Role.MANAGER, Role.FINANCE, Role.ANALYST, Role.SALES)
PARTNER_ROLES = (Role.ADMIN, Role.MEMBER)

ROLE_SCOPES: dict[Role, frozenset[str]] = {
    Role.OWNER: frozenset({ALL}),
    Role.MANAGER: frozenset(
        {READ}
        | {
            f"{r}:write"
            for r in (
                "programs",
                "partners",
                "contracts",
                "links",
                "conversions",
                "commissions",
                "leads",
            )
        }
    ),
    Role.FINANCE: frozenset({READ, "payouts:write"}),
    Role.ANALYST: frozenset({READ, AUDIT_READ}),
    # a sales rep works the leads handed to them: stages, notes, tasks
    Role.SALES: frozenset({READ, "leads:write"}),
    Role.ADMIN: frozenset({ALL}),
    Role.MEMBER: frozenset({READ, "links:write"}),
}


def allows(scopes: frozenset[str], permission: str) -> bool:
    """Whether these scopes grant the permission."""
    return ALL in scopes or permission in scopes


def parse_scopes(text: str | None) -> frozenset[str]:
    """Scopes as stored: space-separated."""
    return frozenset((text or "").split())


def format_scopes(scopes) -> str:
    """Scopes for storage: `*` alone, or the known ones in a stable order."""
    chosen = set(scopes)
    if ALL in chosen:
        return ALL
    return " ".join(s for s in KEY_SCOPES if s in chosen)


def check_key_scopes(requested, granted: frozenset[str]) -> frozenset[str]:
    """The scopes of a new key: known ones, within what its maker holds. Raises ValueError
    naming the first that is unknown or not held."""
    wanted = {s.strip() for s in requested if s.strip()}
    if not wanted:
        raise ValueError("give the key at least one scope, e.g. read")
    for scope in sorted(wanted):
        if scope != ALL and scope not in KEY_SCOPES:
            raise ValueError(f"unknown scope {scope!r}: use * or {', '.join(KEY_SCOPES)}")
        if not allows(granted, scope):
            raise ValueError(f"you cannot give a key {scope}: you do not hold it yourself")
    return frozenset({ALL}) if ALL in wanted else frozenset(wanted)


def role_may_hold(role: Role, scope: str) -> bool:
    """Whether a user with this role may give a key this scope."""
    return allows(ROLE_SCOPES[role], scope)


# Which permission a request needs ----------------------------------------------------------
#: Path segments that name a resource. The segment nearest the end of the path wins.
SEGMENTS = {
    "programs": "programs",
    "settings": "programs",
    "exchange-rates": "programs",
    "browser-signing-key": "programs",
    "contracts": "contracts",
    "contract-versions": "contracts",
    "partners": "partners",
    "applications": "partners",
    "directory": "partners",
    "messages": "partners",
    "announcements": "partners",
    "invitations": "partners",
    "invitation": "partners",
    "application-rules": "partners",
    "groups": "partners",
    "creatives": "partners",
    "code-pools": "partners",
    "briefs": "partners",
    "bounties": "partners",
    "product-feed": "partners",
    "products": "partners",
    "brief-submissions": "partners",
    "partner-types": "partners",
    "profile": "partners",
    "links": "links",
    "promo-codes": "links",
    "conversions": "conversions",
    "reversals": "conversions",
    "inquiries": "conversions",
    "imports": "conversions",
    "commissions": "commissions",
    "payouts": "payouts",
    "payout-batches": "payouts",
    "funding": "payouts",
    "payout-method": "payouts",
    "postbacks": "postbacks",
    "api-keys": "keys",
    "leads": "leads",
    "contacts": "leads",
    "contact-merges": "leads",
    "contact-erasures": "leads",
    "forms": "leads",
    "lead-forms": "leads",
    "lead-tasks": "leads",
    "my-day": "leads",
    "lead-sources": "leads",
    "contacts-similar": "leads",
    "lead-settings": "leads",
    "lead-handoff": "leads",
    "lead-handoffs": "leads",
    "lead-model": "leads",
    "qr-codes": "leads",
    "lead-qr-codes": "leads",
    "nurture": "leads",
    "content": "leads",
    "lead-content": "leads",
    "events": "leads",
    "lead-events": "leads",
    "nurture-sequences": "leads",
    "users": "users",
}

#: Routes whose permission is not what their method and path say. Keys are (method, path
#: template) with the API's `/api/v1` prefix left off.
EXCEPTIONS: dict[tuple[str, str], str] = {
    # replays draft terms over past data and changes nothing
    ("POST", "/what-if"): READ,
    # fraud backtests replay past orders under draft rules and change nothing
    ("POST", "/programs/{program_id}/fraud/backtests"): READ,
    ("POST", "/console/programs/{program_id}/fraud/backtest"): READ,
    # locks due commissions and pays on schedule: money goes out
    ("POST", "/schedule/run"): "payouts:write",
    # accepting a program's contract is a partner's commitment to its terms
    ("POST", "/portal/programs/{program_id}/accept"): "contracts:write",
    ("POST", "/portal/programs/{program_id}/apply"): "partners:write",
    # the console's audit log: owners and analysts
    ("GET", "/console/audit"): AUDIT_READ,
    ("GET", "/console/audit.{kind}"): AUDIT_READ,
}

API_PREFIX = "/api/v1"


@cache
def required_permission(method: str, path: str) -> str | None:
    """The permission a request to this route needs (its path template), or None when
    nothing says what it touches."""
    method = method.upper()
    if path.startswith(API_PREFIX + "/"):
        path = path[len(API_PREFIX) :]
    exception = EXCEPTIONS.get((method, path))
    if exception is not None:
        return exception
    if method in ("GET", "HEAD"):
        return READ
    for segment in reversed(path.strip("/").split("/")):
        resource = SEGMENTS.get(segment)
        if resource is not None:
            return f"{resource}:write"
    return None


def describe(permission: str) -> str:
    """A permission in words, for people: `payouts:write` is "Payouts: change"."""
    if permission == ALL:
        return "Full access"
    if permission == READ:
        return "Read everything"
    if permission == AUDIT_READ:
        return "Audit log: read"
    resource, _, _ = permission.partition(":")
    return f"{NOUNS.get(resource, resource.capitalize())}: change"


#: Resources as people name them.
NOUNS = {
    "programs": "Programs and settings",
    "partners": "Partners",
    "contracts": "Contracts",
    "links": "Links and codes",
    "conversions": "Conversions",
    "commissions": "Commissions",
    "payouts": "Payouts",
    "postbacks": "Postbacks",
    "keys": "API keys",
    "users": "Users",
}
