"""Inquiries: a partner asks about a commission it expected; the brand accepts or declines.

Accepting records the order as a conversion credited to the partner (source `inquiry`), so
the commission follows the partner's contract like any other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accord.commissions.tables import Commission
from accord.conversions.model import ConversionReport
from accord.conversions.service import record_conversion
from accord.conversions.tables import Attribution, Conversion
from accord.errors import (
    Conflict,
    Forbidden,
    IdempotencyConflict,
    InvalidInput,
    NotFound,
    Text,
)
from accord.ids import new_id
from accord.inputs import free_text
from accord.inquiries.model import (
    MAX_EVIDENCE,
    MAX_REASON,
    InquiryStatus,
    check_note,
    check_occurred_at,
    check_order,
    parse_status,
)
from accord.inquiries.tables import Inquiry
from accord.money import Money
from accord.partners.model import EnrollmentStatus
from accord.partners.service import load_enrollment
from accord.programs.service import load_program
from accord.store.engine import Store
from accord.store.paging import Slice, page_of
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand


@dataclass
class Decided:
    """An inquiry after the brand's decision, with the commissions an acceptance created."""

    inquiry: Inquiry
    commission_ids: list[str] = field(default_factory=list)


def open_inquiry(
    store: Store,
    caller: Caller,
    program_id: str,
    *,
    order_id: str,
    occurred_at: datetime,
    amount: Decimal | str | int,
    currency: str,
    event_type: str = "sale",
    evidence: str,
) -> Inquiry:
    """Open an inquiry about an order the partner expected a commission for."""
    if caller.is_brand or caller.partner_id is None:
        raise Forbidden("inquiries are opened by partners; a brand records the conversion itself")
    partner_id = caller.partner_id
    order_id, event_type = check_order(order_id, event_type)
    evidence = free_text("evidence", evidence, MAX_EVIDENCE)
    now = store.clock.now()
    occurred_at = check_occurred_at(occurred_at, now)
    value = Money.of(amount, currency, field="amount")
    if value.amount < 0:
        raise InvalidInput("amount", "must not be negative")
    try:
        with store.unit() as session:
            program = load_program(session, caller, program_id)
            enrollment = load_enrollment(session, program.id, partner_id)
            if enrollment is None or enrollment.status != EnrollmentStatus.APPROVED:
                status = enrollment.status if enrollment else "missing"
                raise Forbidden(
                    Text(
                        "your enrollment in program %(program)s is %(status)s; "
                        "only approved partners can open inquiries",
                        program=program.id,
                        status=status,
                    )
                )
            if value.currency != program.currency:
                raise InvalidInput(
                    "currency",
                    Text(
                        "%(currency)s is not the program's currency; send the amount in %(pays)s",
                        currency=value.currency,
                        pays=program.currency,
                    ),
                )
            earlier = _earlier(session, program.id, partner_id, order_id)
            if earlier is not None:
                raise _duplicate(earlier)
            _refuse_if_credited(session, program.id, partner_id, order_id, event_type)
            inquiry = Inquiry(
                id=new_id("inq"),
                organization_id=program.organization_id,
                program_id=program.id,
                partner_id=partner_id,
                order_id=order_id,
                event_type=event_type,
                occurred_at=occurred_at,
                amount_minor=value.minor,
                currency=value.currency,
                evidence=evidence,
                status=InquiryStatus.OPEN.value,
                opened_at=now,
            )
            session.add(inquiry)
            session.flush()  # the unique key on (program, partner, order) decides races here
    except IntegrityError:
        with store.read() as session:
            earlier = _earlier(session, program_id, partner_id, order_id)
        if earlier is None:
            raise
        raise _duplicate(earlier) from None
    return inquiry


def _earlier(session: Session, program_id: str, partner_id: str, order_id: str) -> Inquiry | None:
    return session.scalar(
        select(Inquiry).where(
            Inquiry.program_id == program_id,
            Inquiry.partner_id == partner_id,
            Inquiry.order_id == order_id,
        )
    )


def _duplicate(earlier: Inquiry) -> Conflict:
    return Conflict(
        Text(
            "order %(order)s already has inquiry %(inquiry)s (%(status)s); "
            "follow that one instead of opening another",
            order=repr(earlier.order_id),
            inquiry=earlier.id,
            status=earlier.status,
        ),
        field="order_id",
    )


def _refuse_if_credited(
    session: Session, program_id: str, partner_id: str, order_id: str, event_type: str
) -> None:
    """Refuse an inquiry about an order that already earns this partner its credit."""
    conversion = session.scalar(
        select(Conversion).where(
            Conversion.program_id == program_id,
            Conversion.order_id == order_id,
            Conversion.event_type == event_type,
        )
    )
    if conversion is None:
        return
    credited = conversion.partner_id == partner_id or session.scalar(
        select(Attribution.id)
        .where(Attribution.conversion_id == conversion.id, Attribution.partner_id == partner_id)
        .limit(1)
    )
    if not credited:
        return
    ids = list(
        session.scalars(
            select(Commission.id)
            .where(Commission.conversion_id == conversion.id, Commission.partner_id == partner_id)
            .order_by(Commission.id)
        )
    )
    raise Conflict(
        Text(
            "order %(order)s (%(event_type)s) is already credited to you as conversion "
            "%(conversion)s; commissions: %(commissions)s",
            order=repr(order_id),
            event_type=event_type,
            conversion=conversion.id,
            commissions=", ".join(ids) or "none",
        ),
        field="order_id",
    )


def visible_inquiries(caller: Caller) -> Select:
    """Inquiries the caller may see: the brand's programs', or the partner's own."""
    query = select(Inquiry)
    if caller.is_brand:
        return query.where(Inquiry.organization_id == caller.organization_id)
    return query.where(Inquiry.partner_id == caller.partner_id)


def filtered_inquiries(
    session: Session, caller: Caller, program_id: str | None = None, status: str | None = None
) -> Select:
    """The visible inquiries of one program (checked to be the caller's) and one status."""
    query = visible_inquiries(caller)
    if program_id:
        program = load_program(session, caller, program_id)
        query = query.where(Inquiry.program_id == program.id)
    wanted = parse_status(status)
    if wanted:
        query = query.where(Inquiry.status == wanted.value)
    return query


def list_inquiries(
    store: Store, caller: Caller, program_id: str | None, status: str | None = None
) -> list[Inquiry]:
    """Inquiries of a program, oldest first: all of them for the brand, its own for a partner."""
    with store.read() as session:
        query = filtered_inquiries(session, caller, program_id, status)
        return list(session.scalars(query.order_by(Inquiry.id)))


def get_inquiry(store: Store, caller: Caller, inquiry_id: str) -> Inquiry:
    with store.read() as session:
        return _load(session, caller, inquiry_id)


def _load(session: Session, caller: Caller, inquiry_id: str, *, lock: bool = False) -> Inquiry:
    query = visible_inquiries(caller).where(Inquiry.id == inquiry_id)
    if lock:
        query = query.with_for_update()
    inquiry = session.scalar(query)
    if inquiry is None:
        raise NotFound("inquiry", inquiry_id, field="inquiry_id")
    return inquiry


def _require_open(inquiry: Inquiry) -> None:
    if inquiry.status != InquiryStatus.OPEN.value:
        raise Conflict(
            Text(
                "inquiry %(inquiry)s is already %(status)s; only open inquiries can be decided",
                inquiry=inquiry.id,
                status=inquiry.status,
            ),
            field="status",
        )


def accept_inquiry(
    store: Store,
    caller: Caller,
    inquiry_id: str,
    *,
    amount: Decimal | str | int | None = None,
    note: str | None = None,
) -> Decided:
    """Accept an open inquiry: record the order as a conversion credited to the partner.

    `amount` corrects the order value the partner gave. The commission follows the partner's
    contract. An order already recorded with other values is refused (409), naming them.
    """
    require_brand(caller)
    note = check_note(note)
    with store.read() as session:
        inquiry = _load(session, caller, inquiry_id)
    _require_open(inquiry)
    if amount is None:
        value = Money.from_minor(inquiry.amount_minor, inquiry.currency)
    else:
        value = Money.of(amount, inquiry.currency, field="amount")
        if value.amount < 0:
            raise InvalidInput("amount", "must not be negative")
    report = ConversionReport(
        program_id=inquiry.program_id,
        event_type=inquiry.event_type,
        order_id=inquiry.order_id,
        amount=value.amount,
        currency=inquiry.currency,
        occurred_at=inquiry.occurred_at,
    )
    try:
        recorded = record_conversion(
            store, caller, report, source="inquiry", credit_partner_id=inquiry.partner_id
        )
    except IdempotencyConflict as error:
        raise IdempotencyConflict(
            Text(
                "cannot accept inquiry %(inquiry)s: %(why)s; or decline the inquiry",
                inquiry=inquiry.id,
                why=error.message,
            ),
            field=error.field,
        ) from None
    if recorded.conversion.partner_id != inquiry.partner_id:
        raise Conflict(
            Text(
                "order %(order)s was already recorded as conversion %(conversion)s, not "
                "credited to partner %(partner)s; reverse that conversion first, or decline "
                "the inquiry",
                order=repr(inquiry.order_id),
                conversion=recorded.conversion.id,
                partner=inquiry.partner_id,
            ),
            field="order_id",
        )
    with store.unit() as session:
        row = _load(session, caller, inquiry_id, lock=True)
        _require_open(row)
        row.status = InquiryStatus.ACCEPTED.value
        row.conversion_id = recorded.conversion.id
        row.decision_reason = note
        row.decided_at = store.clock.now()
    return Decided(row, recorded.commission_ids)


def decline_inquiry(store: Store, caller: Caller, inquiry_id: str, *, reason: str) -> Decided:
    """Decline an open inquiry; the reason is shown to the partner."""
    require_brand(caller)
    reason = free_text("reason", reason, MAX_REASON)
    with store.unit() as session:
        row = _load(session, caller, inquiry_id, lock=True)
        _require_open(row)
        row.status = InquiryStatus.DECLINED.value
        row.decision_reason = reason
        row.decided_at = store.clock.now()
    return Decided(row)


def commission_ids(store: Store, inquiries: list[Inquiry]) -> dict[str, list[str]]:
    """For each accepted inquiry, the ids of its partner's commissions on the conversion."""
    result: dict[str, list[str]] = {i.id: [] for i in inquiries}
    accepted = {i.conversion_id: i for i in inquiries if i.conversion_id}
    if not accepted:
        return result
    with store.read() as session:
        rows = session.execute(
            select(Commission.id, Commission.conversion_id, Commission.partner_id)
            .where(Commission.conversion_id.in_(list(accepted)))
            .order_by(Commission.id)
        )
        for commission_id, conversion_id, partner_id in rows:
            inquiry = accepted[conversion_id]
            if partner_id == inquiry.partner_id:
                result[inquiry.id].append(commission_id)
    return result


def inquiries_page(
    store: Store,
    caller: Caller,
    program_id: str | None,
    status: str | None = None,
    *,
    limit: int,
    starting_after: str | None = None,
) -> Slice[Inquiry]:
    """A page of `list_inquiries`: the brand's (a partner's own) inquiries, oldest first."""
    with store.read() as session:
        query = filtered_inquiries(session, caller, program_id, status)
        return page_of(session, query, Inquiry.id, limit, starting_after)


def inquiry_counts(store: Store, caller: Caller, program_id: str) -> dict[str, int]:
    """How many of a program's inquiries are open, accepted and declined."""
    with store.read() as session:
        query = filtered_inquiries(session, caller, program_id).subquery()
        found = dict(session.execute(
            select(query.c.status, func.count()).group_by(query.c.status)).all())  # fmt: skip
    return {s.value: int(found.get(s.value, 0)) for s in InquiryStatus}
