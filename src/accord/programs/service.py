"""Use cases for programs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.errors import NotFound
from accord.ids import new_id
from accord.money import Money, check_currency
from accord.partners.tables import Enrollment
from accord.programs.model import ProgramTerms, check_url
from accord.programs.tables import Program
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand


def create_program(store: Store, caller: Caller, terms: ProgramTerms) -> Program:
    require_brand(caller)
    terms.validate()
    currency = check_currency(terms.currency)
    threshold = terms.payout_threshold or Money.zero(currency)
    with store.unit() as session:
        program = Program(
            id=new_id("prg"),
            organization_id=caller.organization_id,
            name=terms.name.strip(),
            currency=currency,
            attribution_window_days=terms.attribution_window_days,
            locking_days=terms.locking_days,
            default_landing_url=check_url(terms.default_landing_url, "default_landing_url"),
            click_id_param=terms.click_id_param,
            payout_threshold_minor=Money.of(threshold.amount, currency).minor,
            created_at=store.clock.now(),
        )
        session.add(program)
    return program


def load_program(
    session: Session, caller: Caller, program_id: str, *, for_update: bool = False
) -> Program:
    """A program the caller may act on: its own (brand) or one it is enrolled in (partner)."""
    query = select(Program).where(Program.id == program_id)
    if caller.is_brand:
        query = query.where(Program.organization_id == caller.organization_id)
    else:
        query = query.join(Enrollment, Enrollment.program_id == Program.id).where(
            Enrollment.partner_id == caller.partner_id
        )
    if for_update:
        query = query.with_for_update(of=Program)
    program = session.scalar(query)
    if program is None:
        raise NotFound("program", program_id, field="program_id")
    return program


def list_programs(store: Store, caller: Caller) -> list[Program]:
    with store.read() as session:
        query = select(Program).order_by(Program.created_at)
        if caller.is_brand:
            query = query.where(Program.organization_id == caller.organization_id)
        else:
            query = query.join(Enrollment, Enrollment.program_id == Program.id).where(
                Enrollment.partner_id == caller.partner_id
            )
        return list(session.scalars(query))
