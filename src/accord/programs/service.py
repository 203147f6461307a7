"""Use cases for programs."""

from __future__ import annotations

import secrets
from dataclasses import replace
from email.headerregistry import Address
from email.utils import parseaddr

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.errors import InvalidInput, NotFound, Text
from accord.ids import new_id
from accord.money import Money, check_currency
from accord.partners.tables import Enrollment
from accord.programs.model import (
    DEFAULT_MAX_ORDER_MAJOR,
    ProgramTerms,
    check_domain,
    check_url,
)
from accord.programs.tables import Program
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand


def create_program(store: Store, caller: Caller, terms: ProgramTerms) -> Program:
    require_brand(caller)
    currency = check_currency(terms.currency)
    with store.unit() as session:
        program = Program(
            id=new_id("prg"),
            organization_id=caller.organization_id,
            currency=currency,
            created_at=store.clock.now(),
        )
        _apply(program, replace(terms, currency=currency))
        session.add(program)
    return program


def _apply(program: Program, terms: ProgramTerms) -> None:
    """Validate the terms and write every editable setting, normalized, to the program."""
    terms.validate()
    threshold = terms.payout_threshold or Money.zero(program.currency)
    program.name = terms.name.strip()
    program.default_landing_url = check_url(terms.default_landing_url, "default_landing_url")
    program.attribution_window_days = terms.attribution_window_days
    program.locking_days = terms.locking_days
    program.payout_threshold_minor = Money.of(threshold.amount, program.currency).minor
    program.click_id_param = terms.click_id_param
    program.permitted_domains = [
        check_domain(d, f"permitted_domains[{i}]") for i, d in enumerate(terms.permitted_domains)
    ]
    program.duplicate_click_seconds = terms.duplicate_click_seconds
    program.lock_policy = terms.lock_policy
    program.auto_approve = terms.auto_approve
    program.payout_schedule = terms.payout_schedule
    program.platform_fee_percent = terms.platform_fee_percent
    program.listed = terms.listed
    program.description = terms.description.strip()
    program.auto_approve_partners = terms.auto_approve_partners
    program.view_through_hours = terms.view_through_hours
    program.browser_events = terms.browser_events
    program.browser_event_max_age_minutes = terms.browser_event_max_age_minutes
    max_order = terms.max_order_amount or Money.of(DEFAULT_MAX_ORDER_MAJOR, program.currency)
    program.max_order_minor = Money.of(max_order.amount, program.currency).minor
    program.order_total_tolerance_percent = terms.order_total_tolerance_percent


def max_order_amount(program: Program) -> Money:
    """The largest order the program accepts, in its currency."""
    if program.max_order_minor is None:
        return Money.of(DEFAULT_MAX_ORDER_MAJOR, program.currency)
    return Money.from_minor(program.max_order_minor, program.currency)


def new_browser_secret(store: Store, caller: Caller, program_id: str) -> str:
    """Make (or replace) the key the brand's server signs browser events with; it is
    shown this once. Tokens signed with the previous key stop verifying."""
    require_brand(caller)
    secret = "bsk_" + secrets.token_urlsafe(32)
    with store.unit() as session:
        program = load_program(session, caller, program_id, for_update=True)
        program.browser_signing_secret = secret
    return secret


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


EDITABLE = frozenset(
    {
        "name",
        "default_landing_url",
        "attribution_window_days",
        "locking_days",
        "payout_threshold",
        "click_id_param",
        "permitted_domains",
        "duplicate_click_seconds",
        "lock_policy",
        "auto_approve",
        "payout_schedule",
        "platform_fee_percent",
        "listed",
        "description",
        "auto_approve_partners",
        "view_through_hours",
        "browser_events",
        "browser_event_max_age_minutes",
        "max_order_amount",
        "order_total_tolerance_percent",
    }
)


def update_program(
    store: Store, caller: Caller, program_id: str, changes: dict[str, object]
) -> Program:
    """Change a program's settings; the currency is fixed once the program exists.

    New windows and locking periods apply to conversions from now on; commissions already
    computed keep their dates.
    """
    require_brand(caller)
    unknown = set(changes) - EDITABLE
    if unknown:
        name = sorted(unknown)[0]
        hint = (
            "the currency of a program cannot change"
            if name == "currency"
            else ("is not a program setting")
        )
        raise InvalidInput(name, hint)
    with store.unit() as session:
        program = load_program(session, caller, program_id, for_update=True)
        current = ProgramTerms(
            name=program.name,
            currency=program.currency,
            default_landing_url=program.default_landing_url,
            attribution_window_days=program.attribution_window_days,
            locking_days=program.locking_days,
            payout_threshold=Money.from_minor(program.payout_threshold_minor, program.currency),
            click_id_param=program.click_id_param,
            permitted_domains=tuple(program.permitted_domains or ()),
            duplicate_click_seconds=program.duplicate_click_seconds,
            lock_policy=program.lock_policy,
            auto_approve=program.auto_approve,
            payout_schedule=program.payout_schedule,
            platform_fee_percent=program.platform_fee_percent,
            listed=program.listed,
            description=program.description or "",
            auto_approve_partners=program.auto_approve_partners,
            view_through_hours=program.view_through_hours,
            browser_events=program.browser_events,
            browser_event_max_age_minutes=program.browser_event_max_age_minutes,
            max_order_amount=max_order_amount(program),
            order_total_tolerance_percent=program.order_total_tolerance_percent,
        )
        changes = dict(changes)
        if "payout_threshold" in changes:
            changes["payout_threshold"] = Money.parse(
                changes["payout_threshold"], program.currency, field="payout_threshold"
            )
        if "max_order_amount" in changes:
            changes["max_order_amount"] = Money.parse(
                changes["max_order_amount"], program.currency, field="max_order_amount"
            )
        if "permitted_domains" in changes:
            changes["permitted_domains"] = tuple(changes["permitted_domains"] or ())
        _apply(program, replace(current, **changes))
    return program


def get_program(store: Store, caller: Caller, program_id: str) -> Program:
    """A program the caller may act on (see `load_program`), read in a session of its own."""
    with store.read() as session:
        return load_program(session, caller, program_id)


def find_program(store: Store, program_id: str) -> Program | None:
    """Any program by its id, whoever asks: for the endpoints a browser calls without a key,
    which then check the program's own rules for browser events."""
    with store.read() as session:
        return session.get(Program, program_id)


def program_sender(session: Session, program_id: str) -> tuple[str, str | None] | None:
    """A program's name and the From line of its mail (None: the installation's)."""
    row = session.get(Program, program_id)
    return None if row is None else (row.name, row.mail_from)


def set_mail_from(store: Store, caller: Caller, program_id: str, value: str | None) -> str | None:
    """The From line of the program's mail to partners: an address, with a name or
    without (`Lumen Partners <partners@lumen.example>`); empty for the installation's."""
    require_brand(caller)
    text = (value or "").strip()
    if text:
        if len(text) > 400 or any(c in text for c in "\r\n\0"):
            raise InvalidInput("mail_from", "write one address, under 400 characters")
        name, addr = parseaddr(text)
        local, _, domain = addr.partition("@")
        if not local or "." not in domain or " " in addr:
            raise InvalidInput(
                "mail_from", Text("%(email)s is not an e-mail address", email=repr(text))
            )
        try:
            text = str(Address(display_name=name, addr_spec=addr)) if name else addr
        except (ValueError, IndexError) as bad:
            raise InvalidInput(
                "mail_from", Text("%(email)s is not an e-mail address", email=repr(text))
            ) from bad
    with store.unit() as session:
        program = load_program(session, caller, program_id, for_update=True)
        program.mail_from = text or None
    return text or None


def programs_of(organization_id: str):
    """A subquery of the ids of an organization's programs (for another stage's filter)."""
    return select(Program.id).where(Program.organization_id == organization_id)


def program_by_id(session: Session, program_id: str) -> Program | None:
    """A program by id for whoever holds a reason to read it (an invitation's reader, a
    partner applying): the caller's checks are theirs."""
    return session.get(Program, program_id)
