"""Payout files a finance team opens in a spreadsheet or uploads to its bank. Pure, no I/O.

`payouts_csv` lists a batch for people; `sepa_credit_transfer` writes the ISO 20022
pain.001.001.09 message that banks in the SEPA zone accept for paying many partners at once.
Everything a bank would refuse is refused here first, naming the payout, so a rejected file
never reaches the bank.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from lxml import etree
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from accord.errors import InvalidInput, InvalidRequest, Text
from accord.money import Money, exponent
from accord.spreadsheets import spreadsheet_safe

PAIN_001_NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"

#: The most one SEPA credit transfer may carry (EPC rulebook): 999,999,999.99 EUR.
SEPA_MAX_AMOUNT = Decimal("999999999.99")


class PayoutMethod(StrEnum):
    """How a partner receives money."""

    SEPA = "sepa"
    PAYPAL = "paypal"
    STRIPE = "stripe"
    ALIPAY = "alipay"
    WECHAT_PAY = "wechat_pay"
    PAYONEER = "payoneer"
    SWIFT = "swift"
    MANUAL = "manual"


@dataclass(frozen=True, slots=True)
class Payee:
    """Who is paid and where; any of the method details may be missing."""

    partner_id: str
    name: str
    email: str | None = None
    country: str | None = None
    iban: str | None = None
    bic: str | None = None
    paypal_email: str | None = None
    stripe_account_id: str | None = None
    #: Alipay, WeChat Pay, Payoneer: the account the app pays (e-mail, phone or WeChat ID).
    app_account: str | None = None
    #: A SWIFT wire: the account number and the bank's SWIFT code, name, address and country.
    account_number: str | None = None
    bank_name: str | None = None
    bank_address: str | None = None
    bank_country: str | None = None
    intermediary_bic: str | None = None


@dataclass(frozen=True, slots=True)
class PayoutInstruction:
    """One payment to one partner, as the payout batch decided it.

    The amount must be positive and exact to the currency's minor unit: a payout file that
    silently rounded would pay a different sum than the ledger holds.
    """

    payout_id: str
    partner_id: str
    payee: Payee
    amount: Money
    reference: str = ""
    method: PayoutMethod | None = None

    def __post_init__(self) -> None:
        if not self.payout_id:
            raise InvalidInput("payout_id", "is required")
        if self.payee.partner_id != self.partner_id:
            raise InvalidInput(
                "payee.partner_id",
                Text(
                    "payout %(payout)s is for partner %(partner)s but its payee belongs to "
                    "%(payee)s",
                    payout=repr(self.payout_id),
                    partner=repr(self.partner_id),
                    payee=repr(self.payee.partner_id),
                ),
            )
        if not isinstance(self.amount, Money):
            raise InvalidInput(
                "amount",
                Text("payout %(payout)s: amount must be Money", payout=repr(self.payout_id)),
            )
        if self.amount.amount <= 0:
            raise InvalidInput(
                "amount",
                Text(
                    "payout %(payout)s: %(amount)s is not a positive amount",
                    payout=repr(self.payout_id),
                    amount=self.amount,
                ),
            )
        if self.amount.quantized().amount != self.amount.amount:
            raise InvalidInput(
                "amount",
                Text(
                    "payout %(payout)s: %(amount)s has more decimals than %(currency)s allows "
                    "(%(places)s)",
                    payout=repr(self.payout_id),
                    amount=self.amount.amount,
                    currency=self.amount.currency,
                    places=exponent(self.amount.currency),
                ),
            )

    @property
    def resolved_method(self) -> PayoutMethod:
        """The method asked for, else the first detail on file: Stripe, then IBAN, then PayPal."""
        if self.method is not None:
            return self.method
        if self.payee.stripe_account_id:
            return PayoutMethod.STRIPE
        if self.payee.iban:
            return PayoutMethod.SEPA
        if self.payee.paypal_email:
            return PayoutMethod.PAYPAL
        return PayoutMethod.MANUAL


@dataclass(frozen=True, slots=True)
class Debtor:
    """The account the money leaves from: the program owner's own bank account."""

    name: str
    iban: str
    bic: str | None = None
    country: str | None = None


def amount_text(money: Money) -> str:
    """A plain decimal with exactly the currency's decimals: 12.50 EUR, 1500 JPY, 1.250 KWD."""
    return format(money.quantized().amount, "f")


# CSV --------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "payout_id",
    "partner_id",
    "payee_name",
    "email",
    "country",
    "method",
    "iban",
    "bic",
    "paypal_email",
    "stripe_account",
    "amount",
    "currency",
    "reference",
    # Alipay, WeChat Pay and Payoneer accounts; SWIFT wires (the SWIFT code is in `bic`)
    "app_account",
    "account_number",
    "bank_name",
    "bank_address",
    "bank_country",
    "intermediary_bic",
)


def payouts_csv(instructions: Iterable[PayoutInstruction]) -> str:
    """The batch as CSV with a header row, one payout a row, for review before paying.

    Partner-supplied text (names, emails, references) is defused against formula injection;
    amounts are plain decimals in the currency's own precision so sums in a spreadsheet agree
    with the ledger.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for ins in instructions:
        payee = ins.payee
        text = [
            ins.payout_id,
            ins.partner_id,
            payee.name,
            payee.email,
            payee.country,
            ins.resolved_method.value,
            payee.iban,
            payee.bic,
            payee.paypal_email,
            payee.stripe_account_id,
        ]
        wire = [payee.app_account, payee.account_number, payee.bank_name, payee.bank_address,
                payee.bank_country, payee.intermediary_bic]  # fmt: skip
        writer.writerow(
            [spreadsheet_safe(cell) for cell in text]
            + [amount_text(ins.amount), ins.amount.currency, spreadsheet_safe(ins.reference)]
            + [spreadsheet_safe(cell) for cell in wire]
        )
    return buffer.getvalue()


# SEPA text rules ---------------------------------------------------------------------------

#: Letters that Unicode decomposition does not reduce to a base Latin letter.
_LATIN_SPELLINGS = str.maketrans(
    {
        "ß": "ss",
        "Æ": "AE",
        "æ": "ae",
        "Œ": "OE",
        "œ": "oe",
        "Ø": "O",
        "ø": "o",
        "Þ": "TH",
        "þ": "th",
        "Ð": "D",
        "ð": "d",
        "Đ": "D",
        "đ": "d",
        "Ł": "L",
        "ł": "l",
        "\u0131": "i",
        "&": "+",
        "_": "-",
        "\u2019": "'",
        "\u2018": "'",
        "\u2013": "-",
        "\u2014": "-",
    }
)
#: Anything outside the EPC basic Latin character set, which every SEPA bank must accept.
_NOT_SEPA = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")


def sepa_text(value: str, limit: int) -> str:
    """Text reduced to the SEPA character set and cut to `limit` characters.

    Accents are dropped (é to e), a few letters are spelled out (ß to ss), and anything else
    becomes a space, so a bank never rejects the file for a partner's name.
    """
    spelled = unicodedata.normalize("NFKD", value.translate(_LATIN_SPELLINGS))
    bare = "".join(ch for ch in spelled if not unicodedata.combining(ch))
    cleaned = " ".join(_NOT_SEPA.sub(" ", bare).split())
    return cleaned[:limit].rstrip()


def sepa_identifier(value: str, limit: int = 35) -> str:
    """An identifier banks accept: SEPA characters, no spaces, no '//', no '/' at either end."""
    text = sepa_text(value, len(value) + 1).replace(" ", "-")
    text = re.sub(r"/{2,}", "/", text).strip("/")
    return text[:limit].strip("/")


# SEPA validation ---------------------------------------------------------------------------


def _check_iban(raw: str | None, field: str, owner: str, errors: list[dict[str, str]]) -> str:
    if not raw:
        errors.append({"field": field, "message": f"{owner} has no IBAN; SEPA pays only to IBANs"})
        return ""
    try:
        iban = IBAN(raw)
    except SchwiftyException as exc:
        errors.append({"field": field, "message": f"{owner}: {raw!r} is not a valid IBAN ({exc})"})
        return ""
    if not iban.in_sepa_zone:
        errors.append(
            {
                "field": field,
                "message": f"{owner}: IBAN country {iban.country_code} is outside the SEPA zone",
            }
        )
    return iban.compact


def _check_bic(raw: str | None, field: str, owner: str, errors: list[dict[str, str]]) -> str:
    if not raw:
        return ""
    try:
        return BIC(raw).compact
    except SchwiftyException as exc:
        errors.append({"field": field, "message": f"{owner}: {raw!r} is not a valid BIC ({exc})"})
        return ""


def _check_country(
    raw: str | None, field: str, owner: str, errors: list[dict[str, str]]
) -> str | None:
    if not raw:
        return None
    code = raw.strip().upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        errors.append(
            {"field": field, "message": f"{owner}: {raw!r} is not a two-letter country code"}
        )
        return None
    return code


def _check_name(raw: str, field: str, owner: str, errors: list[dict[str, str]]) -> str:
    name = sepa_text(raw or "", 70)
    if not name:
        errors.append(
            {
                "field": field,
                "message": f"{owner}: name {raw!r} has no characters SEPA can carry; "
                "give a name in Latin letters",
            }
        )
    return name


@dataclass(frozen=True, slots=True)
class _Transfer:
    end_to_end_id: str
    amount: Money
    name: str
    iban: str
    bic: str
    country: str | None
    remittance: str


def _transfers(
    instructions: Sequence[PayoutInstruction], errors: list[dict[str, str]]
) -> list[_Transfer]:
    transfers: list[_Transfer] = []
    seen: dict[str, str] = {}
    for index, ins in enumerate(instructions):
        at = f"instructions[{index}]"
        owner = f"payout {ins.payout_id!r} (partner {ins.partner_id!r})"
        if ins.amount.currency != "EUR":
            errors.append(
                {
                    "field": f"{at}.amount.currency",
                    "message": f"{owner} is in {ins.amount.currency}; "
                    "SEPA credit transfers carry only EUR",
                }
            )
        elif ins.amount.amount > SEPA_MAX_AMOUNT:
            errors.append(
                {
                    "field": f"{at}.amount",
                    "message": f"{owner}: {ins.amount} is above the SEPA limit of "
                    f"{SEPA_MAX_AMOUNT} EUR",
                }
            )
        end_to_end = sepa_identifier(ins.payout_id)
        if not end_to_end:
            errors.append(
                {"field": f"{at}.payout_id", "message": f"{owner}: id has no SEPA characters"}
            )
        elif end_to_end in seen:
            errors.append(
                {
                    "field": f"{at}.payout_id",
                    "message": f"{owner} gives the same SEPA end-to-end id {end_to_end!r} "
                    f"as payout {seen[end_to_end]!r}",
                }
            )
        seen.setdefault(end_to_end, ins.payout_id)
        payee = ins.payee
        transfers.append(
            _Transfer(
                end_to_end_id=end_to_end,
                amount=ins.amount,
                name=_check_name(payee.name, f"{at}.payee.name", owner, errors),
                iban=_check_iban(payee.iban, f"{at}.payee.iban", owner, errors),
                bic=_check_bic(payee.bic, f"{at}.payee.bic", owner, errors),
                country=_check_country(payee.country, f"{at}.payee.country", owner, errors),
                remittance=sepa_text(ins.reference, 140) or f"Payout {end_to_end}"[:140],
            )
        )
    return transfers


# SEPA XML ----------------------------------------------------------------------------------


def _add(
    parent: etree._Element, tag: str, text: str | None = None, **attrib: str
) -> etree._Element:
    element = etree.SubElement(parent, f"{{{PAIN_001_NS}}}{tag}", attrib)
    if text is not None:
        element.text = text
    return element


def _party(parent: etree._Element, tag: str, name: str, country: str | None) -> None:
    party = _add(parent, tag)
    _add(party, "Nm", name)
    if country:
        _add(_add(party, "PstlAdr"), "Ctry", country)


def _account(parent: etree._Element, tag: str, iban: str) -> None:
    _add(_add(_add(parent, tag), "Id"), "IBAN", iban)


def _agent(parent: etree._Element, tag: str, bic: str) -> None:
    institution = _add(_add(parent, tag), "FinInstnId")
    if bic:
        _add(institution, "BICFI", bic)
    else:
        _add(_add(institution, "Othr"), "Id", "NOTPROVIDED")


def sepa_credit_transfer(
    debtor: Debtor,
    instructions: Sequence[PayoutInstruction],
    *,
    message_id: str,
    execution_date: date,
    created_at: datetime,
    batch_booking: bool = True,
) -> bytes:
    """A pain.001.001.09 SEPA credit transfer paying every instruction from `debtor`.

    Raises InvalidRequest (an InvalidInput) listing every problem at once, each naming the
    payout and field: non-EUR amounts, missing or invalid IBANs and BICs, names with no
    Latin letters. Text is reduced to the SEPA character set and cut to the schema's limits.
    `batch_booking` asks the bank for one debit line for the whole file.
    """
    errors: list[dict[str, str]] = []
    if not instructions:
        errors.append({"field": "instructions", "message": "a SEPA file needs at least one"})
    msg_id = sepa_identifier(message_id or "")
    if not msg_id:
        errors.append({"field": "message_id", "message": "is required, in SEPA characters"})
    debtor_name = _check_name(debtor.name, "debtor.name", "the debtor", errors)
    debtor_iban = _check_iban(debtor.iban, "debtor.iban", "the debtor", errors)
    debtor_bic = _check_bic(debtor.bic, "debtor.bic", "the debtor", errors)
    debtor_country = _check_country(debtor.country, "debtor.country", "the debtor", errors)
    transfers = _transfers(instructions, errors)
    if errors:
        raise InvalidRequest(errors)

    count = str(len(transfers))
    total = amount_text(sum((t.amount for t in transfers), Money.zero("EUR")))
    document = etree.Element(f"{{{PAIN_001_NS}}}Document", nsmap={None: PAIN_001_NS})
    initiation = _add(document, "CstmrCdtTrfInitn")

    header = _add(initiation, "GrpHdr")
    _add(header, "MsgId", msg_id)
    _add(header, "CreDtTm", created_at.replace(microsecond=0).isoformat())
    _add(header, "NbOfTxs", count)
    _add(header, "CtrlSum", total)
    _add(_add(header, "InitgPty"), "Nm", debtor_name)

    payment = _add(initiation, "PmtInf")
    _add(payment, "PmtInfId", msg_id)
    _add(payment, "PmtMtd", "TRF")
    _add(payment, "BtchBookg", "true" if batch_booking else "false")
    _add(payment, "NbOfTxs", count)
    _add(payment, "CtrlSum", total)
    _add(_add(_add(payment, "PmtTpInf"), "SvcLvl"), "Cd", "SEPA")
    _add(_add(payment, "ReqdExctnDt"), "Dt", execution_date.isoformat())
    _party(payment, "Dbtr", debtor_name, debtor_country)
    _account(payment, "DbtrAcct", debtor_iban)
    _agent(payment, "DbtrAgt", debtor_bic)
    _add(payment, "ChrgBr", "SLEV")

    for transfer in transfers:
        tx = _add(payment, "CdtTrfTxInf")
        _add(_add(tx, "PmtId"), "EndToEndId", transfer.end_to_end_id)
        _add(_add(tx, "Amt"), "InstdAmt", amount_text(transfer.amount), Ccy="EUR")
        if transfer.bic:
            _agent(tx, "CdtrAgt", transfer.bic)
        _party(tx, "Cdtr", transfer.name, transfer.country)
        _account(tx, "CdtrAcct", transfer.iban)
        _add(_add(tx, "RmtInf"), "Ustrd", transfer.remittance)

    return etree.tostring(document, xml_declaration=True, encoding="UTF-8", pretty_print=True)
