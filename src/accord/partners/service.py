"""Use cases for partners and their enrollments."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from accord.contracts.service import contract_for_type, load_contract
from accord.errors import Conflict, Forbidden, InvalidInput, NotFound, Text
from accord.events.model import (
    EnrollmentChange,
    PartnerApplied,
    PartnerApproved,
    PartnerDeclined,
    PartnerSuspended,
)
from accord.events.service import record
from accord.ids import new_id
from accord.inputs import free_text
from accord.money import check_currency
from accord.partners.enrollments import (
    coming_move,
    contract_at,
    enrollment_change,
    load_enrollment,
)
from accord.partners.model import EnrollmentStatus
from accord.partners.recruiting import accept_invitation, decide_at_once, open_invitation
from accord.partners.rules import check_answers
from accord.partners.tables import Enrollment, Partner, PartnerImportKey
from accord.partners.types import NO_OWN_TYPES, OwnTypes, check_type, own_types
from accord.programs.service import load_program
from accord.programs.tables import Program
from accord.store.engine import Store
from accord.store.paging import Slice, read_page
from accord.tenancy.model import Caller, OrganizationKind
from accord.tenancy.service import (
    add_api_key,
    add_organization,
    add_user,
    check_credentials,
    require_brand,
)
from accord.tenancy.tables import Organization, User


@dataclass(frozen=True, slots=True)
class NewPartner:
    partner: Partner
    enrollment: Enrollment
    api_key: str  # the partner's first key, shown once
    password: str | None = None  # its first user's one-time password, shown once


def parse_partner_type(value: str, own: OwnTypes = NO_OWN_TYPES) -> str:
    """A partner's type: one of the taxonomy's or the brand's own (`own`)."""
    return check_type(value, own)


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
    with_login: bool = False,
    website: str | None = None,
    import_key: tuple[str, str] | None = None,
) -> NewPartner:
    """A brand adds a partner (its own organization and key) and enrolls it in a program;
    `with_login`: also a user for the portal at `email`, with a one-time password;
    `import_key`: (platform, id there) of a partner moved from another platform, so that
    importing the same file again adds nobody twice."""
    require_brand(caller)
    website = check_website(website)
    if not name.strip():
        raise InvalidInput("name", "must not be empty")
    if country is not None and (len(country) != 2 or not country.isalpha()):
        raise InvalidInput("country", "use a two-letter ISO 3166 code such as 'US' or 'CN'")
    now = store.clock.now()
    with store.unit() as session:
        kind = parse_partner_type(partner_type, own_types(session, caller.organization_id))
        program = load_program(session, caller, program_id)
        if contract_id is not None:
            load_contract(session, program.id, contract_id)
        else:  # the contract meant for its type, else the default
            contract_id = contract_for_type(session, program.id, kind)
        org_id = add_organization(session, OrganizationKind.PARTNER, name, now)
        partner = Partner(
            id=new_id("prt"),
            organization_id=org_id,
            name=name.strip(),
            partner_type=kind,
            country=country.upper() if country else None,
            email=email,
            website=website,
            created_at=now,
        )
        session.add(partner)
        session.flush()
        if import_key is not None:
            platform, external_id = import_key
            key = PartnerImportKey(program_id=program.id, platform=platform,
                                   external_id=external_id, partner_id=partner.id)  # fmt: skip
            session.add(key)
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
        kind = PartnerApproved if approved else PartnerApplied
        record(session, enrollment_change(kind, program.organization_id, enrollment, None, now))
        token = add_api_key(session, org_id, "default", now)
        password = None
        if with_login:
            if not email:
                raise InvalidInput("email", "give the e-mail address the partner signs in with")
            password = secrets.token_urlsafe(12)
            add_user(session, org_id, email, password, now)
    return NewPartner(partner, enrollment, token, password)


#: The longest reason for a decline or a suspension.
MAX_DECISION_REASON = 2000


def set_enrollment_status(
    store: Store,
    caller: Caller,
    program_id: str,
    partner_id: str,
    status: str,
    reason: str | None = None,
    *,
    reason_required: bool = False,
    contract_id: str | None = None,
) -> Enrollment:
    """Approve, decline or suspend a partner in a program; a decline or a suspension keeps
    its reason for the partner to read (`reason_required`: refuse one without it).
    Approving an applicant may put it on a contract of the program (`contract_id`)."""
    require_brand(caller)
    try:
        target = EnrollmentStatus(status)
    except ValueError:
        raise InvalidInput("status", "use approved, declined or suspended") from None
    refusing = target in (EnrollmentStatus.DECLINED, EnrollmentStatus.SUSPENDED)
    reason = free_text("reason", reason, MAX_DECISION_REASON,
                       required=refusing and reason_required)  # fmt: skip
    with store.unit() as session:
        program = load_program(session, caller, program_id)
        enrollment = session.scalar(
            select(Enrollment).where(
                Enrollment.program_id == program_id, Enrollment.partner_id == partner_id
            )
        )
        if enrollment is None:
            raise NotFound("partner", partner_id, field="partner_id")
        before, now = enrollment.status, store.clock.now()
        if contract_id and target == EnrollmentStatus.APPROVED and before == "applied":
            enrollment.contract_id = load_contract(session, program.id, contract_id).id
        enrollment.status = target.value
        enrollment.decided_at = now
        enrollment.decision_reason = reason if refusing else None
        if before != target.value and target in _ENROLLMENT_EVENTS:
            change = enrollment_change(
                _ENROLLMENT_EVENTS[target], program.organization_id, enrollment, before, now
            )
            record(session, change)
    return enrollment


def visible_partners(caller: Caller):
    """A query of the partners the caller may see: enrolled in its programs, or itself."""
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


PAYOUT_METHODS = ("sepa", "paypal", "stripe", "alipay", "wechat_pay", "payoneer", "swift",
                  "manual")  # fmt: skip
#: A WeChat ID: 6 to 20 letters, digits, _ and -, starting with a letter.
_WECHAT_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{5,19}")
#: A phone number as payment apps take it: an optional +, 6 to 15 digits.
_PHONE = re.compile(r"\+?[0-9]{6,15}")
#: A bank account number for a wire: 4 to 34 letters and digits.
_ACCOUNT = re.compile(r"[A-Za-z0-9]{4,34}")


def _email_or_none(value: str) -> str | None:
    local, _, domain = value.partition("@")
    return value if local and "." in domain and " " not in value else None


def _required(data: dict[str, str], field: str, ask: str, longest: int = 200) -> str:
    """The field's value, trimmed; else InvalidInput saying `ask` ("give the bank's name")."""
    value = (data.get(field) or "").strip()
    if not value:
        raise InvalidInput(field, ask)
    if len(value) > longest:
        raise InvalidInput(field, Text("keep it under %(longest)s characters", longest=longest))
    return value


def _payment_app_details(method: str, data: dict[str, str]) -> dict[str, str]:
    """Alipay, WeChat Pay, Payoneer and SWIFT wires: what each needs to pay a partner."""
    details: dict[str, str] = {}
    if method == "alipay":
        account = _required(data, "alipay_account", "give the Alipay account (e-mail or phone)")
        compact = account.replace(" ", "").replace("-", "")
        if not (_email_or_none(account) or _PHONE.fullmatch(compact)):
            raise InvalidInput("alipay_account", "give the e-mail or phone of the Alipay account")
        details["alipay_account"] = _email_or_none(account) or compact
        details["account_name"] = _required(
            data, "account_name", "give the account holder's real name"
        )
    elif method == "wechat_pay":
        wechat = _required(data, "wechat_id", "give the WeChat ID or phone")
        compact = wechat.replace(" ", "").replace("-", "")
        if not (_WECHAT_ID.fullmatch(wechat) or _PHONE.fullmatch(compact)):
            raise InvalidInput("wechat_id", "give a WeChat ID (6 to 20 letters and digits, "
                               "starting with a letter) or a phone number")  # fmt: skip
        details["wechat_id"] = wechat if _WECHAT_ID.fullmatch(wechat) else compact
        details["account_name"] = _required(
            data, "account_name", "give the account holder's real name"
        )
    elif method == "payoneer":
        email = _email_or_none(
            _required(data, "payoneer_email", "give the Payoneer account's e-mail")
        )
        if email is None:
            raise InvalidInput("payoneer_email", "give the e-mail of the Payoneer account")
        details["payoneer_email"] = email
    elif method == "swift":
        details["account_name"] = _required(data, "account_name", "give the account holder's name")
        number = _required(data, "account_number", "give the account number or IBAN")
        number = number.replace(" ", "")
        if not _ACCOUNT.fullmatch(number):
            raise InvalidInput("account_number", "give 4 to 34 letters and digits")
        details["account_number"] = number.upper()
        try:
            bic = _required(data, "swift_bic", "give the bank's SWIFT code")
            details["swift_bic"] = str(BIC(bic))
        except SchwiftyException as error:
            raise InvalidInput(
                "swift_bic", Text("is not a valid SWIFT code: %(error)s", error=error)
            ) from None
        details["bank_name"] = _required(data, "bank_name", "give the bank's name")
        details["bank_address"] = _required(data, "bank_address", "give the bank's address", 400)
        country = _required(data, "bank_country", "give the bank's country").upper()
        if len(country) != 2 or not country.isalpha():
            raise InvalidInput("bank_country", "use a two-letter ISO 3166 code such as 'HK'")
        details["bank_country"] = country
        if (data.get("intermediary_bic") or "").strip():
            try:
                details["intermediary_bic"] = str(BIC(data["intermediary_bic"].strip()))
            except SchwiftyException as error:
                raise InvalidInput(
                    "intermediary_bic", Text("is not a valid SWIFT code: %(error)s", error=error)
                ) from None
    return details


def set_payout_method(store: Store, caller: Caller, data: dict[str, str]) -> Partner:
    """A partner's payout method and currency, checked before it is kept: a valid IBAN
    (and BIC), an email for PayPal, a connected account id for Stripe."""
    if caller.partner_id is None:
        raise InvalidInput("method", "only a partner sets its payout method")
    method = data.get("method", "")
    if method not in PAYOUT_METHODS:
        raise InvalidInput(
            "method", Text("use one of: %(methods)s", methods=", ".join(PAYOUT_METHODS))
        )
    details: dict[str, str] = {}
    if data.get("account_name"):
        details["account_name"] = data["account_name"].strip()
    if method == "sepa":
        try:
            details["iban"] = IBAN(data.get("iban") or "").compact
        except SchwiftyException as error:
            raise InvalidInput(
                "iban", Text("is not a valid IBAN: %(error)s", error=error)
            ) from None
        if data.get("bic"):
            try:
                details["bic"] = str(BIC(data["bic"]))
            except SchwiftyException as error:
                raise InvalidInput(
                    "bic", Text("is not a valid BIC: %(error)s", error=error)
                ) from None
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
    elif method in ("alipay", "wechat_pay", "payoneer", "swift"):
        details.update(_payment_app_details(method, data))
    if data.get("tax_id") and data["tax_id"].strip():
        details["tax_id"] = check_tax_id(data["tax_id"])
    currency = check_currency(data["currency"]) if data.get("currency") else None
    with store.unit() as session:
        partner = session.get(Partner, caller.partner_id)
        if partner is None:
            raise NotFound("partner", caller.partner_id)
        kept = (partner.payout_details or {}).get("tax_id")
        if kept and "tax_id" not in details:  # a new method keeps the tax id given before
            details["tax_id"] = kept
        partner.payout_method = method
        partner.payout_currency = currency
        partner.payout_details = details
        return partner


def check_tax_id(value: str) -> str:
    """A tax identification number as kept: upper case, without spaces, dots, dashes or
    slashes; 5 to 30 letters and digits."""
    compact = "".join(c for c in value.upper() if c not in " .-/")
    if not 5 <= len(compact) <= 30 or not compact.isascii() or not compact.isalnum():
        raise InvalidInput(
            "tax_id", "give 5 to 30 letters and digits (spaces and dashes may be left in)"
        )
    return compact


def masked_details(details: dict[str, str]) -> dict[str, str]:
    """Payout details as shown back: account numbers cut to their last characters."""
    shown = dict(details)
    if "iban" in shown:
        shown["iban"] = f"{shown['iban'][:4]} **** {shown['iban'][-4:]}"
    if "tax_id" in shown:
        shown["tax_id"] = f"*** {shown['tax_id'][-4:]}"
    for key in ("paypal_email", "payoneer_email", "account_number", "alipay_account",
                "wechat_id"):  # fmt: skip
        if key in shown:
            local, at, domain = shown[key].partition("@")
            shown[key] = f"{local[:1]}***@{domain}" if at else f"**** {shown[key][-4:]}"
    return shown


# The partner portal: sign-up and applications -------------------------------------------
@dataclass(frozen=True, slots=True)
class SignedUp:
    partner: Partner
    user_id: str


def check_website(value: str | None) -> str | None:
    """A partner's site as an http(s) URL, or None when none was given."""
    value = (value or "").strip()
    if not value:
        return None
    if "://" not in value:
        value = f"https://{value}"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or "." not in (parts.hostname or ""):
        raise InvalidInput("website", Text("%(value)s is not a web address such as "
                                           "https://example.com", value=repr(value)))  # fmt: skip
    if len(value) > 2000:
        raise InvalidInput("website", "keep it under 2,000 characters")
    return value


def sign_up_partner(
    store: Store,
    *,
    name: str,
    email: str,
    password: str,
    partner_type: str,
    country: str | None = None,
    website: str | None = None,
) -> SignedUp:
    """A partner signs itself up: its organization, its partner record and its first user,
    in one transaction. It is in no program until it applies to one."""
    kind = parse_partner_type(partner_type)
    if not name.strip():
        raise InvalidInput("name", "must not be empty")
    if len(name.strip()) > 200:
        raise InvalidInput("name", "keep it under 200 characters")
    country = (country or "").strip() or None
    if country is not None and (len(country) != 2 or not country.isalpha()):
        raise InvalidInput("country", "use a two-letter ISO 3166 code such as 'US' or 'CN'")
    site = check_website(website)
    email = check_credentials(email, password)
    now = store.clock.now()
    with store.unit() as session:
        org_id = add_organization(session, OrganizationKind.PARTNER, name, now)
        partner = Partner(
            id=new_id("prt"),
            organization_id=org_id,
            name=name.strip(),
            partner_type=kind,
            country=country.upper() if country else None,
            email=email,
            website=site,
            created_at=now,
        )
        session.add(partner)
        session.flush()
        user = add_user(session, org_id, email, password, now)
        return SignedUp(partner, user.id)


@dataclass(frozen=True, slots=True)
class Listing:
    """A program as a partner sees it in the portal's list, with its own standing there."""

    program_id: str
    name: str
    brand: str
    currency: str
    description: str
    attribution_window_days: int
    status: str | None  # the partner's enrollment status, None before applying
    reason: str | None = None  # why the brand declined or suspended it
    questions: tuple = ()  # the program's questions to applicants


def listed_programs(store: Store, caller: Caller) -> list[Listing]:
    """Programs open to applications, and those the partner is already in."""
    if caller.partner_id is None:
        raise Forbidden("the list of programs to apply to is for partners' keys")
    with store.read() as session:
        rows = session.execute(
            select(Program, Organization.name, Enrollment.status, Enrollment.decision_reason)
            .join(Organization, Organization.id == Program.organization_id)
            .outerjoin(
                Enrollment,
                (Enrollment.program_id == Program.id)
                & (Enrollment.partner_id == caller.partner_id),
            )
            .where(or_(Program.listed.is_(True), Enrollment.id.is_not(None)))
            .order_by(Program.name, Program.id)
        ).all()
    return [
        Listing(
            p.id,
            p.name,
            brand,
            p.currency,
            p.description or "",
            p.attribution_window_days,
            status,
            reason,
            tuple(p.application_questions or ()),
        )
        for p, brand, status, reason in rows
    ]


def apply_to_program(
    store: Store,
    caller: Caller,
    program_id: str,
    note: str | None = None,
    answers: dict | None = None,
    *,
    invitation_token: str | None = None,
) -> Enrollment:
    """A partner applies to a listed program (or to any program it was invited to, with the
    invitation's token), answering the program's questions. The application is decided at
    once by an invitation that approves whoever accepts, else by the first of the
    program's rules that holds, else by its "approve at once" setting; else it waits for
    the brand. Applying twice is refused."""
    if caller.partner_id is None:
        raise Forbidden("only a partner's key applies to a program; brands add partners")
    note = (note or "").strip() or None
    if note is not None and len(note) > 2000:
        raise InvalidInput("note", "keep it under 2,000 characters")
    now = store.clock.now()
    with store.unit() as session:
        invitation = None
        if invitation_token is not None:
            invitation = open_invitation(session, invitation_token, now)
            program = session.get(Program, invitation.program_id)
            if program is None or program.id != program_id:
                raise NotFound("program", program_id, field="program_id")
        else:
            program = session.get(Program, program_id)
            if program is None or not program.listed:
                raise NotFound("program", program_id, field="program_id")
        existing = load_enrollment(session, program.id, caller.partner_id)
        if existing is not None:
            raise Conflict(Text("you have already applied to this program: %(status)s",
                                status=existing.status))  # fmt: skip
        checked = check_answers(program.application_questions or [], answers or {})
        partner = session.get(Partner, caller.partner_id)
        contract_id = invitation.contract_id if invitation and invitation.contract_id else None
        enrollment = Enrollment(
            id=new_id("enr"),
            program_id=program.id,
            partner_id=caller.partner_id,
            # the contract proposed, else the one meant for its type (the brand may choose
            # another at approval)
            contract_id=contract_id or contract_for_type(session, program.id, partner.partner_type),
            status=EnrollmentStatus.APPLIED.value,
            applied_at=now,
            application_note=note,
            application_answers=checked or None,
            invitation_id=invitation.id if invitation else None,
        )
        session.add(enrollment)
        org = program.organization_id
        record(session, enrollment_change(PartnerApplied, org, enrollment, None, now))
        if invitation is not None:
            accept_invitation(session, invitation, caller.partner_id, now)
        decide_at_once(session, program, enrollment, partner, invitation, now)
    return enrollment


def enrollments(store: Store, caller: Caller, program_id: str, status: str) -> list[Enrollment]:
    """A brand's enrollments in a program with one status, oldest first."""
    require_brand(caller)
    if status not in {s.value for s in EnrollmentStatus}:
        raise InvalidInput("status", "use applied, approved, declined or suspended")
    with store.read() as session:
        program = load_program(session, caller, program_id)
        return list(
            session.scalars(
                select(Enrollment)
                .where(Enrollment.program_id == program.id, Enrollment.status == status)
                .order_by(Enrollment.applied_at, Enrollment.id)
            )
        )


_ENROLLMENT_EVENTS: dict[EnrollmentStatus, type[EnrollmentChange]] = {
    EnrollmentStatus.APPROVED: PartnerApproved,
    EnrollmentStatus.DECLINED: PartnerDeclined,
    EnrollmentStatus.SUSPENDED: PartnerSuspended,
}


def partner_types(session: Session, partner_ids: list[str]) -> dict[str, str]:
    """Each partner's type (content, coupon, cashback...), by partner id, in one query."""
    wanted = sorted(set(partner_ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(Partner.id, Partner.partner_type).where(Partner.id.in_(wanted))
    ).all()
    return {str(partner_id): str(kind) for partner_id, kind in rows}


def partners_page(
    store: Store,
    caller: Caller,
    *,
    limit: int,
    starting_after: str | None = None,
    program_id: str | None = None,
    partner_type: str | None = None,
) -> Slice[Partner]:
    """A page of the partners the caller may see, oldest first: in one program, of one type."""
    query = visible_partners(caller)
    if program_id:
        query = query.where(
            Partner.id.in_(select(Enrollment.partner_id).where(Enrollment.program_id == program_id))
        )
    if partner_type:
        query = query.where(Partner.partner_type == parse_partner_type(partner_type))
    return read_page(store, query, Partner.id, limit, starting_after)


def get_partner(store: Store, caller: Caller, partner_id: str) -> Partner:
    """`load_partner` read in a session of its own."""
    with store.read() as session:
        return load_partner(session, caller, partner_id)


def require_enrollment(store: Store, caller: Caller, program_id: str, partner_id: str) -> None:
    """The brand's own program and a partner in it, or NotFound (another brand's ids are not
    found, as ids that do not exist)."""
    require_brand(caller)
    with store.read() as session:
        program = load_program(session, caller, program_id)
        if load_enrollment(session, program.id, partner_id) is None:
            raise NotFound("partner", partner_id, field="partner_id")


# reads for the console and the portal -------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Enrolled:
    """A program the calling partner is enrolled in (any status), with the brand's name."""

    program: Program
    status: str
    brand: str


def partner_enrollments(store: Store, caller: Caller) -> list[Enrolled]:
    """The calling partner's programs, by name."""
    with store.read() as session:
        rows = session.execute(
            select(Program, Enrollment.status, Organization.name)
            .join(Enrollment, Enrollment.program_id == Program.id)
            .join(Organization, Organization.id == Program.organization_id)
            .where(Enrollment.partner_id == caller.partner_id)
            .order_by(Program.name, Program.id)
        ).all()
    return [Enrolled(program, status, brand) for program, status, brand in rows]


def partner_in_program(
    store: Store, caller: Caller, program_id: str, partner_id: str
) -> tuple[Partner, Enrollment]:
    """A partner the caller may see and its enrollment in a program; NotFound if none."""
    with store.read() as session:
        partner = load_partner(session, caller, partner_id)
        enrollment = load_enrollment(session, program_id, partner.id)
        if enrollment is None:
            raise NotFound("partner", partner_id, field="partner_id")
        return partner, enrollment


def approved_partners(store: Store, caller: Caller, program_id: str) -> list[Partner]:
    """The partners approved in a brand's program, by name."""
    approved = {e.partner_id for e in enrollments(store, caller, program_id, "approved")}
    with store.read() as session:
        return list(
            session.scalars(select(Partner).where(Partner.id.in_(approved)).order_by(Partner.name))
        )


def own_partner(store: Store, caller: Caller) -> Partner:
    """The calling partner itself."""
    with store.read() as session:
        partner = session.get(Partner, caller.partner_id) if caller.partner_id else None
        if partner is None:
            raise NotFound("partner", caller.partner_id or "", field="partner_id")
        return partner


def partner_names(store: Store, caller: Caller, partner_ids) -> dict[str, str]:
    """The names of the partners the caller may see, by id (others are left out)."""
    wanted = {pid for pid in partner_ids if pid}
    if not wanted:
        return {}
    with store.read() as session:
        query = visible_partners(caller).where(Partner.id.in_(wanted))
        return {p.id: p.name for p in session.scalars(query)}


def partners_named(store: Store, caller: Caller, program_id: str, needle: str) -> set[str]:
    """The ids of a brand's partners in a program whose name holds `needle`."""
    with store.read() as session:
        program = load_program(session, caller, program_id)
        return set(
            session.scalars(
                select(Partner.id)
                .join(Enrollment, Enrollment.partner_id == Partner.id)
                .where(Enrollment.program_id == program.id, Partner.name.icontains(needle))
            )
        )


def email_sha256(email: str) -> str:
    """SHA-256 (hex) of a trimmed, lower-case e-mail: how conversions carry a customer's."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def own_email_hashes(session: Session, partner_id: str) -> frozenset[str]:
    """The hashed e-mails that are the partner's own: its contact address, its users'
    sign-in addresses and a PayPal payout address (fraud scoring: self-referral)."""
    partner = session.get(Partner, partner_id)
    if partner is None:
        return frozenset()
    emails = set(
        session.scalars(select(User.email).where(User.organization_id == partner.organization_id))
    )
    if partner.email:
        emails.add(partner.email)
    paypal = (partner.payout_details or {}).get("paypal_email")
    if isinstance(paypal, str) and "@" in paypal:
        emails.add(paypal)
    return frozenset(email_sha256(e) for e in emails if e and e.strip())


#: Mail providers anyone can sign up with: two partners on one of these share nothing.
FREE_MAIL = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "ymail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.ru",
        "yandex.ru",
        "zoho.com",
        "qq.com",
        "foxmail.com",
        "163.com",
        "126.com",
        "yeah.net",
        "sina.com",
        "sina.cn",
        "sohu.com",
        "139.com",
        "aliyun.com",
        "naver.com",
        "hanmail.net",
        "yahoo.co.jp",
    ]
)


def _site(website: str | None) -> str | None:
    """The host of a partner's website without `www.`, or None."""
    if not website:
        return None
    host = (urlsplit(website.strip()).hostname or "").lower().removeprefix("www.")
    return host or None


def account_fingerprints(session: Session, program_id: str) -> dict[str, set[str]]:
    """What identifies each partner enrolled in the program as a person or business:
    hashes of its payout account (IBAN, PayPal address, Stripe account), its tax id, its contact
    e-mail, of that e-mail's domain when it is not a free mail provider's, and of its
    website's host, by partner id (fraud scoring: one person's duplicate accounts)."""
    rows = session.execute(
        select(Partner.id, Partner.email, Partner.payout_details, Partner.website)
        .join(Enrollment, Enrollment.partner_id == Partner.id)
        .where(Enrollment.program_id == program_id)
    )
    out: dict[str, set[str]] = {}
    for partner_id, email, details, website in rows:
        found = out.setdefault(partner_id, set())
        if email and email.strip():
            found.add("email:" + email_sha256(email))
            domain = email.strip().lower().rpartition("@")[2]
            if domain and domain not in FREE_MAIL:
                found.add("email_domain:" + hashlib.sha256(domain.encode()).hexdigest())
        host = _site(website)
        if host:
            found.add("website:" + hashlib.sha256(host.encode()).hexdigest())
        for key in ("iban", "paypal_email", "stripe_account_id", "tax_id"):
            value = (details or {}).get(key)
            if isinstance(value, str) and value.strip():
                canonical = value.replace(" ", "").lower()
                found.add(f"{key}:" + hashlib.sha256(canonical.encode()).hexdigest())
    return out


def suspensions(session: Session, organization_id: str) -> dict[str, dict[str, str]]:
    """Every partner the brand suspended in one of its programs: {partner id: {program id:
    program name}}, in one query. A ban in one program is seen from the others."""
    rows = session.execute(
        select(Enrollment.partner_id, Program.id, Program.name)
        .join(Program, Program.id == Enrollment.program_id)
        .where(
            Program.organization_id == organization_id,
            Enrollment.status == EnrollmentStatus.SUSPENDED.value,
        )
        .order_by(Program.name, Program.id)
    )
    out: dict[str, dict[str, str]] = {}
    for partner_id, program_id, name in rows:
        out.setdefault(partner_id, {})[program_id] = name
    return out


def suspended_in(store: Store, caller: Caller, partner_id: str) -> dict[str, str]:
    """The brand's programs that suspended this partner: {program id: name}."""
    require_brand(caller)
    with store.read() as session:
        return suspensions(session, caller.organization_id).get(partner_id, {})


def brand_suspensions(store: Store, caller: Caller) -> dict[str, dict[str, str]]:
    """`suspensions` of the caller's brand."""
    require_brand(caller)
    with store.read() as session:
        return suspensions(session, caller.organization_id)


# what other stages need to write to partners ----------------------------------------------
@dataclass(frozen=True, slots=True)
class PartnerAddress:
    """Where a partner's mail goes: its company's users, else its contact address."""

    partner_id: str
    name: str
    organization_id: str
    email: str | None
    country: str | None
    partner_type: str
    website: str | None


def partner_address(session: Session, partner_id: str) -> PartnerAddress | None:
    row = session.get(Partner, partner_id)
    if row is None:
        return None
    return PartnerAddress(
        row.id,
        row.name,
        row.organization_id,
        row.email,
        row.country,
        row.partner_type,
        row.website,
    )


@dataclass(frozen=True, slots=True)
class EnrollmentState:
    program_id: str
    partner_id: str
    status: str
    reason: str | None
    note: str | None


def enrollment_state(session: Session, enrollment_id: str) -> EnrollmentState | None:
    """An enrollment as it is now (a notice checks it has not moved on meanwhile)."""
    row = session.get(Enrollment, enrollment_id)
    if row is None:
        return None
    return EnrollmentState(
        row.program_id, row.partner_id, row.status, row.decision_reason, row.application_note
    )


def partners_on_contract(
    session: Session, program_id: str, contract_id: str, is_default: bool, at: datetime
) -> list[str]:
    """The approved partners of a program who earn under a contract at `at`: those put on
    it, and (for the default contract) those on none."""
    wanted = {contract_id, None} if is_default else {contract_id}
    return sorted(
        e.partner_id
        for e in session.scalars(
            select(Enrollment).where(
                Enrollment.program_id == program_id,
                Enrollment.status == EnrollmentStatus.APPROVED.value,
            )
        )
        if contract_at(e, at) in wanted
    )


#: How far in the past a move may be dated (the time it takes to fill in the form).
MOVE_GRACE = timedelta(minutes=10)


def move_to_contract(
    store: Store,
    caller: Caller,
    program_id: str,
    partner_ids: list[str],
    contract_id: str | None,
    effective_from: datetime | None = None,
) -> int:
    """Put partners on another contract of the program (None: the program's default) from
    `effective_from` (now when not given) on: orders from then are paid under it, orders
    before under the contract of their time, and nothing already computed changes. A move
    decided later replaces any still to come. Returns how many partners move."""
    require_brand(caller)
    now = store.clock.now()
    start = effective_from or now
    if start.tzinfo is None:
        raise InvalidInput("effective_from", "give a time with its zone (UTC)")
    if start < now - MOVE_GRACE:
        raise InvalidInput(
            "effective_from",
            "a move starts now or later: orders before it keep the contract of their time",
        )
    if not partner_ids:
        raise InvalidInput("partner_ids", "choose at least one partner")
    moved = 0
    with store.unit() as session:
        program = load_program(session, caller, program_id)
        if contract_id is not None:
            contract_id = load_contract(session, program.id, contract_id).id
        for partner_id in sorted(set(partner_ids)):
            enrollment = load_enrollment(session, program.id, partner_id)
            if enrollment is None:
                raise NotFound("partner", partner_id, field="partner_ids")
            current = list(enrollment.contract_moves or ())
            kept = [m for m in current if datetime.fromisoformat(m["from"]) < start]
            if contract_at(enrollment, start) == contract_id and len(kept) == len(current):
                continue  # already on it then, and nothing to come is replaced
            kept.append({"contract_id": contract_id, "from": start.isoformat(),
                         "decided_at": now.isoformat()})  # fmt: skip
            enrollment.contract_moves = kept
            moved += 1
    return moved


@dataclass(frozen=True, slots=True)
class ContractHolder:
    """An approved partner and the contract it earns under now (None: the default), with
    a move still to come."""

    partner_id: str
    name: str
    partner_type: str
    contract_id: str | None
    #: When it moves next (None: no move to come), and to which contract (None: default).
    coming_at: datetime | None
    coming_contract: str | None


def contract_holders(store: Store, caller: Caller, program_id: str) -> list[ContractHolder]:
    """Every approved partner of a program with its contract now and any move to come."""
    require_brand(caller)
    now = store.clock.now()
    with store.read() as session:
        program = load_program(session, caller, program_id)
        rows = session.execute(
            select(Enrollment, Partner.name, Partner.partner_type)
            .join(Partner, Partner.id == Enrollment.partner_id)
            .where(
                Enrollment.program_id == program.id,
                Enrollment.status == EnrollmentStatus.APPROVED.value,
            )
            .order_by(Partner.name, Partner.id)
        ).all()
        holders = []
        for e, name, kind in rows:
            move = coming_move(e, now)
            at = datetime.fromisoformat(move["from"]) if move else None
            holders.append(ContractHolder(e.partner_id, name, kind, contract_at(e, now), at,
                                          move["contract_id"] if move else None))  # fmt: skip
        return holders


def audience(session: Session, program_id: str, kind: str, value: str | None) -> list[str]:
    """The approved partners of a program an announcement is for: all of them, a group's
    members (`value`: its id), or those of a type or group of types (`value`)."""
    from accord.partners import taxonomy
    from accord.partners.tables import PartnerGroupMember

    query = (
        select(Partner.id)
        .join(Enrollment, Enrollment.partner_id == Partner.id)
        .where(
            Enrollment.program_id == program_id,
            Enrollment.status == EnrollmentStatus.APPROVED.value,
        )
    )
    if kind == "group":
        query = query.where(
            Partner.id.in_(
                select(PartnerGroupMember.partner_id).where(PartnerGroupMember.group_id == value)
            )
        )
    elif kind == "type":
        program = session.get(Program, program_id)
        own = own_types(session, program.organization_id if program else None).groups
        query = query.where(Partner.partner_type.in_(taxonomy.types_in(value or "", own)))
    return list(session.scalars(query.order_by(Partner.id)))
