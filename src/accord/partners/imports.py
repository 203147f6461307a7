"""Moving a program's partners from another platform: the partner exports of impact.com,
PartnerStack, Rewardful, FirstPromoter and Dub, recognised by their header row, each row
becoming a partner of the program with its standing, its group, its old referral token as
its link's code and its promo code, or a result saying why not.

Headers are compared without case, spaces, dashes or underscores (`Partner Id`,
`partner_id` and `PartnerId` are one column). A partner already in the program (the same
e-mail address, or the same id on the same platform) is a duplicate, not a second partner,
so a file may be uploaded again.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from babel import Locale
from sqlalchemy import func, select

from accord.errors import AccordError, InvalidInput, Text, words_of
from accord.partners.groups import set_members
from accord.partners.recruiting import add_group, groups
from accord.partners.service import check_website, create_partner, set_enrollment_status
from accord.partners.tables import Enrollment, Partner, PartnerImportKey
from accord.partners.types import check_type, own_types
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand

PLATFORMS = {
    "impact": "impact.com",
    "partnerstack": "PartnerStack",
    "rewardful": "Rewardful",
    "firstpromoter": "FirstPromoter",
    "dub": "Dub",
}
MAX_ROWS = 50_000

#: Each platform's columns for each field (normalised: lowercase letters and digits).
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "impact": {
        "external_id": ("partnerid", "mediapartnerid", "id"),
        "name": ("partnername", "mediapartnername", "name", "partner"),
        "email": ("contactemail", "email", "partneremail"),
        "first_name": ("contactfirstname", "firstname"),
        "last_name": ("contactlastname", "lastname"),
        "website": ("website", "websiteurl", "url"),
        "country": ("country", "addresscountry"),
        "status": ("state", "status", "partnerstatus"),
        "group": ("group", "groupname", "partnergroup"),
        "promo_code": ("promocode",),
    },
    "partnerstack": {
        "external_id": ("partnerkey", "key"),
        "name": ("company", "companyname", "partner", "name"),
        "email": ("partneremail", "email"),
        "first_name": ("partnerfirst", "firstname", "partnerfirstname"),
        "last_name": ("partnerlast", "lastname", "partnerlastname"),
        "website": ("website",),
        "country": ("country", "addresscountry"),
        "status": ("status", "state"),
        "group": ("partnergroup", "group", "groupname"),
        "link_token": ("partnerkey", "key"),
    },
    "rewardful": {
        "external_id": ("id", "affiliateid"),
        "email": ("email",),
        "first_name": ("firstname",),
        "last_name": ("lastname",),
        "status": ("state", "status"),
        "group": ("campaign", "campaignname"),
        "link_token": ("token", "linktoken", "referraltoken"),
        "promo_code": ("coupon", "couponcode", "coupontoken"),
    },
    "firstpromoter": {
        "external_id": ("id", "promoterid"),
        "email": ("email",),
        "first_name": ("firstname",),
        "last_name": ("lastname",),
        "name": ("name", "companyname", "company"),
        "website": ("website",),
        "country": ("country",),
        "status": ("status", "state"),
        "group": ("campaign", "campaignname"),
        "link_token": ("refid", "defaultrefid", "reftoken"),
        "promo_code": ("promocode", "coupon"),
    },
    "dub": {
        "external_id": ("id", "partnerid"),
        "name": ("name",),
        "email": ("email",),
        "website": ("website",),
        "country": ("country",),
        "status": ("status",),
    },
}

#: What recognises each platform's partner export: every name of one of these sets.
SIGNATURES: tuple[tuple[str, tuple[frozenset[str], ...]], ...] = (
    ("dub", (frozenset({"enrolledat", "email"}), frozenset({"payoutsenabledat"}))),
    (
        "partnerstack",
        (
            frozenset({"partnerkey"}),
            frozenset({"partnerfirst", "partneremail"}),
            frozenset({"partneremail", "partnergroup"}),
        ),
    ),
    (
        "rewardful",
        (
            frozenset({"token", "paypalemail"}),
            frozenset({"token", "firstname", "email"}),
            frozenset({"stripecustomerid", "token"}),
        ),
    ),
    (
        "firstpromoter",
        (frozenset({"refid"}), frozenset({"defaultrefid"}), frozenset({"reftoken"})),
    ),
    (
        "impact",
        (
            frozenset({"partnerid"}),
            frozenset({"mediapartnerid"}),
            frozenset({"mediapartnername"}),
            frozenset({"partnername"}),
        ),
    ),
)

APPROVED = {"approved", "active", "accepted", "enrolled", "joined", "live"}
WAITING = {"pending", "applied", "invited", "new", "notset", "review", "inreview"}
STOPPED = {"declined", "rejected", "denied", "banned", "suspended", "deactivated", "archived",
           "inactive", "closed", "closing", "expired", "blocked", "disabled"}  # fmt: skip

#: Country names some platforms write instead of codes (impact: UNITED_STATES, UK).
_COUNTRY_NAMES = {
    re.sub(r"[^a-z]", "", name.lower()): code
    for code, name in Locale("en").territories.items()
    if len(code) == 2 and code.isalpha()
}
_COUNTRY_NAMES.update({"uk": "GB", "usa": "US", "unitedstatesofamerica": "US"})
_CODE = re.compile(r"[A-Za-z0-9_-]{3,64}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", (header or "").lower())


def detect(headers: list[str], signatures=SIGNATURES, what: str = "a partner export") -> str:
    """The platform whose export (`what`) has these headers: the first whose `signatures`
    has a set of names all among them; else InvalidInput naming the file's columns."""
    have = {norm(h) for h in headers}
    for platform, sets in signatures:
        if any(sig <= have for sig in sets):
            return platform
    known = ", ".join(PLATFORMS.values())
    raise InvalidInput("file", Text(
        "this is not %(what)s of %(platforms)s that Accord recognises; its columns are: "
        "%(columns)s", what=what, platforms=known,
        columns=", ".join(h for h in headers if h)[:300]))  # fmt: skip


@dataclass(frozen=True)
class ExportLine:
    """A non-blank line of a platform's export, its cells found by normalised header."""

    line: int
    values: list[str]
    where: dict[str, int]

    def cell(self, column: str) -> str:
        i = self.where.get(column)
        return self.values[i].strip() if i is not None and i < len(self.values) else ""

    def first(self, columns: tuple[str, ...]) -> str:
        """The first of `columns` the line has a value in."""
        return next((v for c in columns if (v := self.cell(c))), "")


def read_export(
    text: str, signatures, what: str, max_rows: int, noun: str
) -> tuple[str, list[ExportLine]]:
    """The platform of a CSV export (recognised by its header row, `detect`) and its
    non-blank lines; at most `max_rows` of them (`noun`: what a line is, for the error)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = next(reader, None)
        if not header:
            raise InvalidInput("file", "is empty: the first line must name the columns")
        platform = detect(header, signatures, what)
        where = {norm(h): i for i, h in reversed(list(enumerate(header)))}
        lines: list[ExportLine] = []
        for line, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(lines) >= max_rows:
                raise InvalidInput("file", Text("import at most %(most)s %(noun)s per file",
                                                most=f"{max_rows:,}", noun=noun))  # fmt: skip
            lines.append(ExportLine(line, values, where))
    except csv.Error as error:
        raise InvalidInput("file", Text("line %(line)s: %(error)s", line=reader.line_num,
                                        error=error)) from None  # fmt: skip
    return platform, lines


def country_code(value: str) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if len(value) == 2 and value.isalpha():
        return "GB" if value.upper() == "UK" else value.upper()
    return _COUNTRY_NAMES.get(re.sub(r"[^a-z]", "", value.lower()))


@dataclass
class Row:
    line: int
    external_id: str = ""
    name: str = ""
    email: str = ""
    website: str = ""
    country: str | None = None
    status: str = "approved"
    raw_status: str = ""
    group: str = ""
    link_token: str = ""
    promo_code: str = ""


@dataclass
class RowResult:
    row: int
    status: str  # created, duplicate, rejected
    partner_id: str | None = None
    error: dict | None = None
    notes: list[str] = field(default_factory=list)


def said(result) -> dict[str, str | None]:
    """What a platform import's row result says: the field and message of its error, else
    its notes."""
    error = result.error or {}
    return {"field": error.get("field"),
            "message": error.get("message") or "; ".join(result.notes) or None}  # fmt: skip


def words_said(result) -> list[dict[str, object]]:
    """What `said` says, as words a page says in its reader's language (`words_of`): the
    error's message (without its field) and field, else each note."""
    if result.error:
        message = result.error.get("said") or result.error["message"]
        return [{**words_of(message), "field": result.error.get("field")}]
    return [words_of(note) for note in result.notes]


@dataclass
class ImportReport:
    platform: str
    rows: list[RowResult]


def read(text: str) -> tuple[str, list[Row]]:
    """The platform and the rows of an export, each with the fields it has."""
    platform, lines = read_export(text, SIGNATURES, "a partner export", MAX_ROWS, "partners")
    columns = COLUMNS[platform]
    rows: list[Row] = []
    for each in lines:

        def get(name: str, each=each) -> str:
            return each.first(columns.get(name, ()))

        raw = get("status")
        state = norm(raw)
        person = " ".join(p for p in (get("first_name"), get("last_name")) if p)
        rows.append(Row(
            line=each.line, external_id=get("external_id"), name=get("name") or person,
            email=get("email"), website=get("website"), country=country_code(get("country")),
            status=("approved" if not state or state in APPROVED else
                    "applied" if state in WAITING else
                    "declined" if state in STOPPED else "unknown"),
            raw_status=raw, group=get("group"), link_token=get("link_token"),
            promo_code=get("promo_code"),
        ))  # fmt: skip
    return platform, rows


def imported_partners(
    store: Store, caller: Caller, program_id: str, platform: str
) -> tuple[dict[str, str], dict[str, str]]:
    """The brand's program's partners by their id on `platform` (imported from it) and by
    e-mail address (lowercase), each to the partner's id in Accord: how a later export of
    that platform (actions, commissions) finds whom a row is for."""
    from accord.programs.service import get_program

    require_brand(caller)
    get_program(store, caller, program_id)  # the brand's own, else not found
    with store.read() as session:
        by_id = dict(
            session.execute(
                select(PartnerImportKey.external_id, PartnerImportKey.partner_id)
                .join(
                    Enrollment,
                    (Enrollment.partner_id == PartnerImportKey.partner_id)
                    & (Enrollment.program_id == PartnerImportKey.program_id),
                )
                .where(
                    PartnerImportKey.program_id == program_id,
                    PartnerImportKey.platform == platform,
                )
            ).all()
        )
        by_email = dict(
            session.execute(
                select(func.lower(Partner.email), Partner.id)
                .join(Enrollment, Enrollment.partner_id == Partner.id)
                .where(
                    Enrollment.program_id == program_id,
                    Partner.email.is_not(None),
                )
            ).all()
        )
    return by_id, by_email


def import_partners(
    store: Store,
    caller: Caller,
    program_id: str,
    text: str,
    *,
    partner_type: str = "affiliate",
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Every row of a partner export as a partner of the program, or why not."""
    require_brand(caller)
    with store.read() as session:
        partner_type = check_type(partner_type, own_types(session, caller.organization_id))
    platform, rows = read(text)
    by_id, by_email = imported_partners(store, caller, program_id, platform)  # checks the program
    emails, ids = set(by_email), set(by_id)
    label = PLATFORMS[platform]
    results: list[RowResult] = []
    members: dict[str, list[str]] = {}
    for done, row in enumerate(rows, 1):
        results.append(_one(store, caller, program_id, platform, label, partner_type, row,
                            emails, ids, members))  # fmt: skip
        if progress is not None and (done % 25 == 0 or done == len(rows)):
            progress(done, len(rows))
    if members:
        existing = {g.name.lower(): g for g in groups(store, caller, program_id)}
        for name, partner_ids in members.items():
            group = existing.get(name.lower())
            if group is None:
                made = add_group(store, caller, program_id, name=name,
                                 description=f"Imported from {label}")  # fmt: skip
                group_id, before = made.id, []
            else:
                group_id, before = group.id, [p for p, _ in group.members]
            set_members(store, caller, group_id, before + partner_ids)
    return ImportReport(platform, results)


def _one(store, caller, program_id, platform, label, partner_type, row: Row, emails, ids,
         members) -> RowResult:  # fmt: skip
    result = RowResult(row.line, "rejected")
    email = row.email.lower()
    if row.external_id and row.external_id in ids:
        result.status = "duplicate"
        message = Text("%(platform)s id %(id)s was imported already", platform=label,
                       id=row.external_id)  # fmt: skip
        result.error = {"field": "external_id", "message": message}
        return result
    if email and email in emails:
        result.status = "duplicate"
        result.error = {"field": "email", "message": Text("%(email)s is in the program "
                                                          "already", email=row.email)}  # fmt: skip
        return result
    if row.status == "unknown":
        result.error = {"field": "status", "message": Text(
            "%(state)s is not a standing Accord knows: approved, pending or declined",
            state=repr(row.raw_status))}  # fmt: skip
        return result
    if row.email and not _EMAIL.fullmatch(row.email):
        result.error = {"field": "email", "message": Text(
            "%(email)s is not an e-mail address", email=repr(row.email))}  # fmt: skip
        return result
    name = row.name or (row.email.split("@")[0] if row.email else "")
    if not name:
        result.error = {"field": "name", "message": "the row has neither a name nor an e-mail"}
        return result
    website = None
    if row.website:
        try:
            website = check_website(row.website)
        except InvalidInput:
            result.notes.append(Text("website %(url)s is not a web address: left out",
                                     url=repr(row.website)))  # fmt: skip
    try:
        made = create_partner(store, caller, program_id, name=name[:200],
                              partner_type=partner_type, country=row.country,
                              email=row.email or None, website=website,
                              import_key=(platform, row.external_id or f"line-{row.line}"),
                              approved=row.status == "approved")  # fmt: skip
    except AccordError as error:
        result.error = {"field": error.field, "message": error.message, "said": error.said}
        return result
    partner_id = made.partner.id
    result.status, result.partner_id = "created", partner_id
    if email:
        emails.add(email)
    if row.external_id:
        ids.add(row.external_id)
    if row.status == "declined":
        reason = f"Not active on {label} ({row.raw_status}) before the move"
        set_enrollment_status(store, caller, program_id, partner_id, "declined", reason)
    elif row.status == "approved":
        _link_and_code(store, caller, program_id, partner_id, row, result)
    if row.group:
        members.setdefault(row.group[:120], []).append(partner_id)
    return result


def _link_and_code(store, caller, program_id, partner_id, row: Row, result: RowResult) -> None:
    from accord.tracking.service import create_link, create_promo_code

    code = row.link_token if _CODE.fullmatch(row.link_token or "") else None
    try:
        create_link(store, caller, program_id, partner_id=partner_id, code=code)
    except AccordError:
        create_link(store, caller, program_id, partner_id=partner_id)
        result.notes.append(Text("the link token %(token)s is taken: a new code was made",
                                 token=repr(row.link_token)))  # fmt: skip
    if row.promo_code:
        try:
            create_promo_code(store, caller, program_id, row.promo_code, partner_id=partner_id)
        except AccordError as error:
            result.notes.append(Text("promo code %(code)s left out: %(why)s",
                                     code=repr(row.promo_code), why=error.message))  # fmt: skip
