"""Partner types in use: the taxonomy's built-in types and a brand's own, checked where a
partner is given a type or a selector names types (contracts, attribution, holdouts,
reports)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.errors import Conflict, InvalidInput, Text
from accord.ids import new_id
from accord.partners import taxonomy
from accord.partners.tables import PartnerTypeDef
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand

#: The most types of its own a brand keeps.
MAX_OWN_TYPES = 100


@dataclass(frozen=True, slots=True)
class OwnTypes:
    """A brand's own types: code -> group, and code -> (English name, Chinese name)."""

    groups: dict[str, str]
    names: dict[str, tuple[str, str]]

    def name(self, code: str, language: str) -> str:
        return taxonomy.name(code, language, self.names)


NO_OWN_TYPES = OwnTypes({}, {})


def own_types(session: Session, organization_id: str | None) -> OwnTypes:
    """The brand's own types (none for a partner or without an organization)."""
    if organization_id is None:
        return NO_OWN_TYPES
    rows = session.scalars(
        select(PartnerTypeDef)
        .where(PartnerTypeDef.organization_id == organization_id)
        .order_by(PartnerTypeDef.code)
    ).all()
    if not rows:
        return NO_OWN_TYPES
    return OwnTypes(
        {r.code: r.group_code for r in rows}, {r.code: (r.name_en, r.name_zh or "") for r in rows}
    )


def check_type(value: str | None, own: OwnTypes = NO_OWN_TYPES, field: str = "partner_type"):
    """A partner's type: a built-in type's code or one of the brand's own."""
    value = (value or "").strip()
    if value in taxonomy.BY_CODE or value in own.groups:
        return value
    if value in taxonomy.GROUP_BY_CODE:
        raise InvalidInput(field, Text(
            "%(value)s is a group of types; choose one type in it (see GET /v1/partner-types for "
            "the types and groups)", value=repr(value)))  # fmt: skip
    raise InvalidInput(field, Text(
        "%(value)s is not a partner type (see GET /v1/partner-types for the types and groups)",
        value=repr(value)))  # fmt: skip


def check_selectors(values, own: OwnTypes = NO_OWN_TYPES, field: str = "partner_types"):
    """Types or groups, each once, in the order given."""
    seen: list[str] = []
    for value in values:
        value = str(value).strip()
        if not taxonomy.is_selector(value, own.groups):
            raise InvalidInput(field, Text(
                "%(value)s is not a partner type or group (see GET /v1/partner-types for the "
                "types and groups)", value=repr(value)))  # fmt: skip
        if value not in seen:
            seen.append(value)
    return seen


def add_type(
    store: Store, caller: Caller, *, code: str, group: str, name_en: str, name_zh: str = ""
) -> PartnerTypeDef:
    """A brand adds a type of its own to a group."""
    require_brand(caller)
    code = (code or "").strip().lower()
    if not taxonomy.CODE.fullmatch(code):
        raise InvalidInput(
            "code", "use 2 to 32 lowercase letters, digits or underscores, starting with a letter"
        )
    if code in taxonomy.BY_CODE or code in taxonomy.GROUP_BY_CODE:
        raise InvalidInput(
            "code", Text("%(code)s is already a built-in type or group", code=repr(code))
        )
    if group not in taxonomy.GROUP_BY_CODE:
        raise InvalidInput("group", Text(
            "%(group)s is not a group (see GET /v1/partner-types for the types and groups)",
            group=repr(group)))  # fmt: skip
    name_en, name_zh = (name_en or "").strip(), (name_zh or "").strip()
    if not 1 <= len(name_en) <= 80:
        raise InvalidInput("name_en", "give an English name of 1 to 80 characters")
    if len(name_zh) > 80:
        raise InvalidInput("name_zh", "keep the Chinese name under 80 characters")
    with store.unit() as session:
        own = own_types(session, caller.organization_id)
        if code in own.groups:
            raise Conflict(Text("the type %(code)s exists already", code=repr(code)))
        if len(own.groups) >= MAX_OWN_TYPES:
            raise InvalidInput("code", Text("a brand keeps at most %(most)s types of its own",
                                            most=MAX_OWN_TYPES))  # fmt: skip
        row = PartnerTypeDef(
            id=new_id("pty"),
            organization_id=caller.organization_id,
            code=code,
            group_code=group,
            name_en=name_en,
            name_zh=name_zh or None,
            created_at=store.clock.now(),
        )
        session.add(row)
        return row


@dataclass(frozen=True, slots=True)
class TypeGroup:
    code: str
    name: str
    types: list[tuple[str, str, bool]]  # (code, name, the brand's own)


def type_groups(language: str, own: OwnTypes = NO_OWN_TYPES) -> list[TypeGroup]:
    """Every group with its types in a language, the brand's own last in their group."""
    out = []
    for group in taxonomy.GROUPS:
        kinds = [(k.code, k.name(language), False) for k in taxonomy.KINDS if k.group == group.code]
        kinds += [
            (code, own.name(code, language), True)
            for code, g in own.groups.items()
            if g == group.code
        ]
        out.append(TypeGroup(group.code, taxonomy.name(group.code, language), kinds))
    return out


def brand_types(store: Store, caller: Caller, language: str = "en") -> list[TypeGroup]:
    with store.read() as session:
        org = caller.organization_id if caller.partner_id is None else None
        return type_groups(language, own_types(session, org))


def brand_own_types(store: Store, caller: Caller) -> OwnTypes:
    with store.read() as session:
        return own_types(session, caller.organization_id if caller.partner_id is None else None)
