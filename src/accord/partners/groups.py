"""Members of a program's partner groups: partners joining a group with a contract move
onto it (`accord.partners.service.move_to_contract`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from accord.errors import Conflict, InvalidInput, NotFound, Text
from accord.partners.enrollments import load_enrollment
from accord.partners.model import EnrollmentStatus
from accord.partners.service import move_to_contract
from accord.partners.tables import Enrollment, PartnerGroup, PartnerGroupMember
from accord.programs.service import program_by_id
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand


def set_members(store: Store, caller: Caller, group_id: str, partner_ids: list[str]) -> list[str]:
    """The group's members (replacing its list); partners joining a group with a contract
    are moved onto it from now (`accord.partners.service.move_to_contract`)."""
    require_brand(caller)
    with store.unit() as session:
        group = session.get(PartnerGroup, group_id)
        program = program_by_id(session, group.program_id) if group is not None else None
        if program is None or program.organization_id != caller.organization_id:
            raise NotFound("group", group_id)
        wanted = sorted(set(partner_ids))
        enrolled = set(
            session.scalars(
                select(Enrollment.partner_id).where(
                    Enrollment.program_id == program.id, Enrollment.partner_id.in_(wanted)
                )
            )
        )
        missing = [p for p in wanted if p not in enrolled]
        if missing:
            raise InvalidInput(
                "partner_id", Text("%(partner)s is not in the program", partner=repr(missing[0]))
            )
        before = set(
            session.scalars(
                select(PartnerGroupMember.partner_id).where(PartnerGroupMember.group_id == group.id)
            )
        )
        session.execute(delete(PartnerGroupMember).where(PartnerGroupMember.group_id == group.id))
        now = store.clock.now()
        session.add_all(
            PartnerGroupMember(group_id=group.id, partner_id=p, added_at=now) for p in wanted
        )
        contract_id = group.contract_id
        joined = [p for p in wanted if p not in before]
    if contract_id and joined:
        move_to_contract(store, caller, program.id, joined, contract_id, now)
    return wanted


def member_groups(session: Session, program_id: str, partner_id: str) -> set[str]:
    """The ids of the program's groups the partner is in."""
    return set(
        session.scalars(
            select(PartnerGroup.id)
            .join(PartnerGroupMember, PartnerGroupMember.group_id == PartnerGroup.id)
            .where(
                PartnerGroup.program_id == program_id, PartnerGroupMember.partner_id == partner_id
            )
        )
    )


def group_in_program(session: Session, program_id: str, group_id: str | None) -> str | None:
    """`group_id` when it names a group of the program; None for none; else InvalidInput."""
    if not group_id:
        return None
    group = session.get(PartnerGroup, group_id)
    if group is None or group.program_id != program_id:
        raise InvalidInput(
            "group_id", Text("%(group)s is not a group of this program", group=repr(group_id))
        )
    return group.id


@dataclass(frozen=True)
class Standing:
    """The calling partner in a program: approved or not, and the groups it is in. What a
    program offers to a group (a creative, a pool, a brief, a bounty) is open to it when it
    is approved and in the group; what is for no group, when it is approved."""

    approved: bool
    groups: frozenset[str]

    def opens(self, group_id: str | None) -> bool:
        return self.approved and (group_id is None or group_id in self.groups)


def partner_standing(session: Session, caller: Caller, program_id: str) -> Standing | None:
    """The calling partner's standing in the program; None when the caller is no partner
    of it (a brand, or a partner not enrolled)."""
    if caller.partner_id is None:
        return None
    enrollment = load_enrollment(session, program_id, caller.partner_id)
    if enrollment is None:
        return None
    approved = enrollment.status == EnrollmentStatus.APPROVED.value
    groups = member_groups(session, program_id, caller.partner_id) if approved else set()
    return Standing(approved, frozenset(groups))


def require_approved(session: Session, caller: Caller, program_id: str, what: str) -> Standing:
    """The calling partner's standing, approved: else NotFound for a caller who is no
    partner of the program, Conflict naming `what` ("codes") for one not approved."""
    standing = partner_standing(session, caller, program_id)
    if standing is None:
        raise NotFound("program", program_id, field="program_id")
    if not standing.approved:
        raise Conflict(Text("%(what)s are for approved partners of the program", what=what))
    return standing
