"""SEPA credit transfer files (pain.001.001.09) that a bank accepts, checked against the XSD."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from accord.errors import InvalidInput, InvalidRequest
from accord.payouts.files import PAIN_001_NS, Debtor, sepa_credit_transfer, sepa_text
from tests.payout_files.support import DATA, payout

NS = {"p": PAIN_001_NS}
SEPA_CHARS = re.compile(r"[A-Za-z0-9/\-?:().,'+ ]*")
DEBTOR = Debtor("Acme Partnerships GmbH", "DE89 3704 0044 0532 0130 00", "COBADEFFXXX", "DE")
WHEN = {
    "message_id": "bat_2026_11",
    "execution_date": date(2026, 11, 3),
    "created_at": datetime(2026, 11, 1, 12, 0, 5, 999, tzinfo=UTC),
}
FR_IBAN = "FR1420041010050500013M02606"
NL_IBAN = "NL91ABNA0417164300"


@cache
def schema() -> etree.XMLSchema:
    """The official ISO 20022 pain.001.001.09 schema (as shipped in the sepaxml 2.7.0 sdist)."""
    return etree.XMLSchema(etree.parse(str(DATA / "pain.001.001.09.xsd")))


def build(instructions, debtor=DEBTOR, **overrides) -> etree._Element:
    """Write the file, prove it valid against the XSD, and return the parsed document."""
    xml = sepa_credit_transfer(debtor, instructions, **{**WHEN, **overrides})
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    document = etree.fromstring(xml)
    schema().assertValid(document)
    return document


def texts(document: etree._Element, path: str) -> list[str]:
    found = document.xpath(path, namespaces=NS)
    return [str(e) if isinstance(e, str) else e.text for e in found]


def one(document: etree._Element, path: str) -> str:
    (value,) = texts(document, path)
    return value


def three_payouts():
    return [
        payout("pay_01", "1250", iban=FR_IBAN, bic="BNPAFRPP", country="FR", reference="Nov"),
        payout("pay_02", "0.01", partner_id="prt_ben", name="Ben de Vries", iban=NL_IBAN),
        payout("pay_03", "999.99", partner_id="prt_cho", name="Cho", iban="DE02120300000000202051"),
    ]


def test_the_file_is_valid_pain_001_001_09():
    document = build(three_payouts())
    assert document.tag == f"{{{PAIN_001_NS}}}Document"
    assert document.nsmap[None] == "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"


def test_the_control_sums_and_counts_add_up_to_the_transfers():
    document = build(three_payouts())
    amounts = texts(document, "//p:CdtTrfTxInf/p:Amt/p:InstdAmt")
    assert amounts == ["1250.00", "0.01", "999.99"]
    assert sum(Decimal(a) for a in amounts) == Decimal("2250.00")
    assert one(document, "/p:Document/*/p:GrpHdr/p:CtrlSum") == "2250.00"
    assert one(document, "//p:PmtInf/p:CtrlSum") == "2250.00"
    assert one(document, "/p:Document/*/p:GrpHdr/p:NbOfTxs") == "3"
    assert one(document, "//p:PmtInf/p:NbOfTxs") == "3"
    assert texts(document, "//p:InstdAmt/@Ccy") == ["EUR", "EUR", "EUR"]


def test_the_header_and_payment_information_carry_what_the_bank_needs():
    document = build(three_payouts())
    assert one(document, "//p:GrpHdr/p:MsgId") == "bat-2026-11"
    assert one(document, "//p:GrpHdr/p:CreDtTm") == "2026-11-01T12:00:05+00:00"
    assert one(document, "//p:GrpHdr/p:InitgPty/p:Nm") == "Acme Partnerships GmbH"
    assert one(document, "//p:PmtInf/p:PmtMtd") == "TRF"
    assert one(document, "//p:PmtInf/p:BtchBookg") == "true"
    assert one(document, "//p:PmtInf/p:PmtTpInf/p:SvcLvl/p:Cd") == "SEPA"
    assert one(document, "//p:PmtInf/p:ReqdExctnDt/p:Dt") == "2026-11-03"
    assert one(document, "//p:Dbtr/p:Nm") == "Acme Partnerships GmbH"
    assert one(document, "//p:Dbtr/p:PstlAdr/p:Ctry") == "DE"
    assert one(document, "//p:DbtrAcct/p:Id/p:IBAN") == "DE89370400440532013000"
    assert one(document, "//p:DbtrAgt/p:FinInstnId/p:BICFI") == "COBADEFFXXX"
    assert one(document, "//p:PmtInf/p:ChrgBr") == "SLEV"


def test_each_transfer_names_its_payout_creditor_account_and_remittance():
    document = build(three_payouts())
    assert texts(document, "//p:PmtId/p:EndToEndId") == ["pay-01", "pay-02", "pay-03"]
    assert texts(document, "//p:Cdtr/p:Nm") == ["Ana Lima", "Ben de Vries", "Cho"]
    assert texts(document, "//p:CdtrAcct/p:Id/p:IBAN") == [
        FR_IBAN,
        NL_IBAN,
        "DE02120300000000202051",
    ]
    assert texts(document, "//p:RmtInf/p:Ustrd") == ["Nov", "Payout pay-02", "Payout pay-03"]
    assert texts(document, "//p:Cdtr/p:PstlAdr/p:Ctry") == ["FR"]
    # a creditor BIC is optional in SEPA: only the payout that gave one has a CdtrAgt
    assert texts(document, "//p:CdtrAgt/p:FinInstnId/p:BICFI") == ["BNPAFRPP"]


def test_a_debtor_without_a_bic_is_marked_not_provided():
    debtor = Debtor("Acme", "DE89370400440532013000")
    document = build(three_payouts(), debtor=debtor, batch_booking=False)
    assert one(document, "//p:DbtrAgt/p:FinInstnId/p:Othr/p:Id") == "NOTPROVIDED"
    assert one(document, "//p:PmtInf/p:BtchBookg") == "false"
    assert texts(document, "//p:Dbtr/p:PstlAdr") == []


def test_a_payout_in_another_currency_is_refused_naming_the_payout():
    batch = [payout("pay_01", "10", iban=FR_IBAN), payout("pay_02", "10", "USD", iban=NL_IBAN)]
    with pytest.raises(InvalidInput) as refused:
        sepa_credit_transfer(DEBTOR, batch, **WHEN)
    assert refused.value.field == "instructions[1].amount.currency"
    assert "'pay_02'" in refused.value.message
    assert "USD" in refused.value.message
    assert "only EUR" in refused.value.message


def test_a_payee_without_an_iban_is_refused_naming_payout_and_partner():
    batch = [payout("pay_07", "10", partner_id="prt_zed", paypal_email="z@example.com")]
    with pytest.raises(InvalidInput) as refused:
        sepa_credit_transfer(DEBTOR, batch, **WHEN)
    assert refused.value.field == "instructions[0].payee.iban"
    assert "'pay_07'" in refused.value.message
    assert "'prt_zed'" in refused.value.message
    assert "no IBAN" in refused.value.message


@pytest.mark.parametrize(
    ("details", "field", "words"),
    [
        ({"iban": "DE89370400440532013001"}, "payee.iban", "not a valid IBAN"),
        ({"iban": "BR1800360305000010009795493C1"}, "payee.iban", "outside the SEPA zone"),
        ({"iban": FR_IBAN, "bic": "BNPAFR"}, "payee.bic", "not a valid BIC"),
        ({"iban": FR_IBAN, "bic": "BNPAXXPP"}, "payee.bic", "not a valid BIC"),
        ({"iban": FR_IBAN, "country": "France"}, "payee.country", "two-letter country"),
    ],
)
def test_invalid_account_details_are_refused(details, field, words):
    with pytest.raises(InvalidInput) as refused:
        sepa_credit_transfer(DEBTOR, [payout("pay_01", "10", **details)], **WHEN)
    assert refused.value.field == f"instructions[0].{field}"
    assert words in refused.value.message


def test_an_invalid_debtor_account_is_refused():
    debtor = Debtor("Acme", "DE00 0000 0000 0000 0000 00", "NOPE")
    with pytest.raises(InvalidRequest) as refused:
        sepa_credit_transfer(debtor, three_payouts(), **WHEN)
    assert [e["field"] for e in refused.value.errors] == ["debtor.iban", "debtor.bic"]


def test_every_problem_in_the_batch_is_reported_at_once():
    batch = [
        payout("pay_01", "10", "USD", iban=FR_IBAN),
        payout("pay_02", "10", iban=FR_IBAN),
        payout("pay_03", "10", partner_id="prt_x", name="Xi"),
    ]
    with pytest.raises(InvalidRequest) as refused:
        sepa_credit_transfer(DEBTOR, batch, **WHEN)
    assert [e["field"] for e in refused.value.errors] == [
        "instructions[0].amount.currency",
        "instructions[2].payee.iban",
    ]
    assert refused.value.as_dict()["code"] == "invalid_input"


def test_an_empty_batch_and_a_missing_message_id_are_refused():
    with pytest.raises(InvalidRequest) as refused:
        sepa_credit_transfer(DEBTOR, [], **{**WHEN, "message_id": "//"})
    assert [e["field"] for e in refused.value.errors] == ["instructions", "message_id"]


def test_an_amount_above_the_sepa_limit_is_refused():
    with pytest.raises(InvalidInput, match="above the SEPA limit"):
        sepa_credit_transfer(DEBTOR, [payout("pay_01", "1000000000", iban=FR_IBAN)], **WHEN)
    build([payout("pay_01", "999999999.99", iban=FR_IBAN)])


def test_two_payouts_that_would_share_an_end_to_end_id_are_refused():
    batch = [payout("pay_01", "1", iban=FR_IBAN), payout("pay-01", "1", iban=NL_IBAN)]
    with pytest.raises(InvalidInput, match="same SEPA end-to-end id 'pay-01'"):
        sepa_credit_transfer(DEBTOR, batch, **WHEN)


def test_names_are_transliterated_into_the_sepa_character_set():
    batch = [
        payout("pay_01", "1", name="Zoë Müller-Øster & Søn", iban=FR_IBAN),
        payout("pay_02", "1", name="Straße Łódź Ærø", iban=FR_IBAN, reference="Réf: “Q4” 50% €"),
    ]
    document = build(batch)
    assert texts(document, "//p:Cdtr/p:Nm") == ["Zoe Muller-Oster + Son", "Strasse Lodz AEro"]
    assert texts(document, "//p:Ustrd")[1] == "Ref: Q4 50"


def test_a_reference_with_no_sepa_characters_falls_back_to_the_payout_id():
    document = build([payout("pay_01", "1", iban=FR_IBAN, reference="%%%")])
    assert one(document, "//p:Ustrd") == "Payout pay-01"


def test_a_name_with_no_latin_letters_is_refused():
    with pytest.raises(InvalidInput) as refused:
        sepa_credit_transfer(DEBTOR, [payout("pay_01", "1", name="Иван 王", iban=FR_IBAN)], **WHEN)
    assert refused.value.field == "instructions[0].payee.name"
    assert "Latin letters" in refused.value.message


def test_long_text_is_cut_to_the_schema_limits():
    long_id = "pay_" + "9" * 60
    batch = [payout(long_id, "1", name="N" * 100, iban=FR_IBAN, reference="R" * 200)]
    document = build(batch, message_id="/" + "m" * 50)
    assert one(document, "//p:Cdtr/p:Nm") == "N" * 70
    assert one(document, "//p:Ustrd") == "R" * 140
    assert one(document, "//p:EndToEndId") == ("pay-" + "9" * 60)[:35]
    assert one(document, "//p:GrpHdr/p:MsgId") == "m" * 35


def test_identifiers_never_start_or_end_with_a_slash_nor_hold_two():
    document = build([payout("/a//b c/", "1", iban=FR_IBAN)])
    assert one(document, "//p:EndToEndId") == "a/b-c"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Ana Lima", "Ana Lima"),
        ("  Ana\t\nLima  ", "Ana Lima"),
        ("François Ñúñez", "Francois Nunez"),
        ("O\u2019Brien \u2013 Co", "O'Brien - Co"),
        ("a_b@c.de", "a-b c.de"),
    ],
)
def test_sepa_text_keeps_only_sepa_characters(raw, clean):
    assert sepa_text(raw, 70) == clean


@settings(max_examples=60, deadline=None)
@given(name=st.text(min_size=1, max_size=120), reference=st.text(max_size=300))
def test_any_partner_text_gives_a_valid_file_or_a_clear_refusal(name, reference):
    batch = [payout("pay_01", "10", name=name, iban=FR_IBAN, reference=reference)]
    try:
        document = build(batch)
    except InvalidInput as refused:
        assert refused.field == "instructions[0].payee.name"
        return
    for path, limit in (("//p:Cdtr/p:Nm", 70), ("//p:Ustrd", 140)):
        value = one(document, path)
        assert 0 < len(value) <= limit
        assert SEPA_CHARS.fullmatch(value)
