"""Use cases for partners and their enrollments."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.errors import InvalidInput, NotFound
from accord.ids import new_id
from accord.partners.model import EnrollmentStatus, PartnerType
from accord.partners.tables import Enrollment, Partner
from accord.programs.service import load_program
from accord.store.engine import Store
from accord.tenancy.model import Caller, OrganizationKind
from accord.tenancy.service import add_api_key, add_organization, require_brand


@dataclass(frozen=True, slots=True)
class NewPartner:
    partner: Partner
    enrollment: Enrollment
    api_key: str  # the partner's first key, shown once


def parse_partner_type(value: str) -> PartnerType:
    try:
        return PartnerType(value)
    except ValueError:
        allowed = ", ".join(t.value for t in PartnerType)
        raise InvalidInput("partner_type", f"{value!r} is not one of: {allowed}") from None


def create_partner(
    store: Store,
    caller: Caller,
    program_id: str,
    *,
    name: str,
    partner_type: str,
    country: str | None = None,
    email: str | None = None,
    contract_id: str | None = None,
    approved: bool = True,
) -> NewPartner:
    """A brand adds a partner (its own organization and key) and enrolls it in a program."""
    require_brand(caller)
    kind = parse_partner_type(partner_type)
    if not name.strip():
        raise InvalidInput("name", "must not be empty")
    if country is not None and (len(country) != 2 or not country.isalpha()):
        raise InvalidInput("country", "use a two-letter ISO 3166 code such as 'US' or 'CN'")
    now = store.clock.now()
    with store.unit() as session:
        program = load_program(session, caller, program_id)
        if contract_id is not None:
            from accord.contracts.service import load_contract

            load_contract(session, program.id, contract_id)
        org_id = add_organization(session, OrganizationKind.PARTNER, name, now)
        partner = Partner(
            id=new_id("prt"),
            organization_id=org_id,
            name=name.strip(),
            partner_type=kind.value,
            country=country.upper() if country else None,
            email=email,
            created_at=now,
        )
        session.add(partner)
        session.flush()
        enrollment = Enrollment(
            id=new_id("enr"),
            program_id=program.id,
            partner_id=partner.id,
            contract_id=contract_id,
            status=(EnrollmentStatus.APPROVED if approved else EnrollmentStatus.APPLIED).value,
            applied_at=now,
            decided_at=now if approved else None,
        )
        session.add(enrollment)
        token = add_api_key(session, org_id, "default", now)
    return NewPartner(partner, enrollment, token)


def set_enrollment_status(
    store: Store, caller: Caller, program_id: str, partner_id: str, status: str
) -> Enrollment:
    """Approve, decline or suspend a partner in a program."""
    require_brand(caller)
    try:
        target = EnrollmentStatus(status)
    except ValueError:
        raise InvalidInput("status", "use approved, declined or suspended") from None
    with store.unit() as session:
        load_program(session, caller, program_id)
        enrollment = session.scalar(
            select(Enrollment).where(
                Enrollment.program_id == program_id, Enrollment.partner_id == partner_id
            )
        )
        if enrollment is None:
            raise NotFound("partner", partner_id, field="partner_id")
        enrollment.status = target.value
        enrollment.decided_at = store.clock.now()
    return enrollment


def visible_partners(caller: Caller):
    """A query of the partners the caller may see: enrolled in its programs, or itself."""
    from accord.programs.tables import Program

    query = select(Partner)
    if caller.is_brand:
        enrolled = (
            select(Enrollment.partner_id)
            .join(Program, Program.id == Enrollment.program_id)
            .where(Program.organization_id == caller.organization_id)
        )
        return query.where(Partner.id.in_(enrolled))
    return query.where(Partner.id == caller.partner_id)


def load_partner(session: Session, caller: Caller, partner_id: str) -> Partner:
    partner = session.scalar(visible_partners(caller).where(Partner.id == partner_id))
    if partner is None:
        raise NotFound("partner", partner_id, field="partner_id")
    return partner


def load_enrollment(session: Session, program_id: str, partner_id: str) -> Enrollment | None:
    return session.scalar(
        select(Enrollment).where(
            Enrollment.program_id == program_id, Enrollment.partner_id == partner_id
        )
    )


PAYOUT_METHODS = ("sepa", "paypal", "stripe", "manual")


def set_payout_method(store: Store, caller: Caller, data: dict[str, str]) -> Partner:
    """A partner's payout method and currency, checked before it is kept: a valid IBAN
    (and BIC), an email for PayPal, a connected account id for Stripe."""
    from schwifty import BIC, IBAN
    from schwifty.exceptions import SchwiftyException

    from accord.money import check_currency

    if caller.partner_id is None:
        raise InvalidInput("method", "only a partner sets its payout method")
    method = data.get("method", "")
    if method not in PAYOUT_METHODS:
        raise InvalidInput("method", f"use one of: {', '.join(PAYOUT_METHODS)}")
    details: dict[str, str] = {}
    if data.get("account_name"):
        details["account_name"] = data["account_name"].strip()
    if method == "sepa":
        try:
            details["iban"] = IBAN(data.get("iban") or "").compact
        except SchwiftyException as error:
            raise InvalidInput("iban", f"is not a valid IBAN: {error}") from None
        if data.get("bic"):
            try:
                details["bic"] = str(BIC(data["bic"]))
            except SchwiftyException as error:
                raise InvalidInput("bic", f"is not a valid BIC: {error}") from None
    elif method == "paypal":
        email = (data.get("paypal_email") or "").strip()
        local, _, domain = email.partition("@")
        if not local or "." not in domain:
            raise InvalidInput("paypal_email", "give the email address of the PayPal account")
        details["paypal_email"] = email
    elif method == "stripe":
        account = (data.get("stripe_account_id") or "").strip()
        if not account.startswith("acct_") or len(account) < 10:
            raise InvalidInput("stripe_account_id", "give the connected account id (acct_...)")
        details["stripe_account_id"] = account
    currency = check_currency(data["currency"]) if data.get("currency") else None
    with store.unit() as session:
        partner = session.get(Partner, caller.partner_id)
        if partner is None:
            raise NotFound("partner", caller.partner_id)
        partner.payout_method = method
        partner.payout_currency = currency
        partner.payout_details = details
        return partner


def masked_details(details: dict[str, str]) -> dict[str, str]:
    """Payout details as shown back: account numbers cut to their last characters."""
    shown = dict(details)
    if "iban" in shown:
        shown["iban"] = f"{shown['iban'][:4]} **** {shown['iban'][-4:]}"
    if "paypal_email" in shown:
        local, _, domain = shown["paypal_email"].partition("@")
        shown["paypal_email"] = f"{local[:1]}***@{domain}"
    return shown
