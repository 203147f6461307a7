"""Moving partners from another platform: the partner exports of impact.com, PartnerStack,
Rewardful, FirstPromoter and Dub land every row as a partner, or say why not; uploading a
file again adds nobody twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.clock import FixedClock
from accord.errors import InvalidInput
from accord.ids import short_code
from accord.partners.imports import country_code, detect, import_partners
from accord.partners.recruiting import groups
from accord.partners.service import contract_holders, get_partner
from accord.store.engine import Store
from accord.tracking.service import partner_links
from tests.conftest import START
from tests.factories import make_brand

FILES = Path(__file__).parent.parent / "fixtures" / "platforms"


def _run(brand, name: str, partner_type="affiliate", token: str | None = None):
    text = (FILES / name).read_text()
    if token is not None:  # link codes are unique on the installation: one of this test's own
        text = text.replace("campwise", token)
    return import_partners(brand.store, brand.caller, brand.program_id, text,
                           partner_type=partner_type)  # fmt: skip


@pytest.fixture
def brand(engine):
    return make_brand(Store(engine, FixedClock(START)))


def test_an_impact_export_lands_every_row_or_says_why(brand):
    report = _run(brand, "impact_partners.csv", "content")
    assert report.platform == "impact"
    by_line = {r.row: r for r in report.rows}
    assert [by_line[n].status for n in range(2, 9)] == [
        "created", "created", "created", "created", "created", "rejected", "duplicate"
    ]  # fmt: skip
    assert by_line[7].error["field"] == "status" and "HALF_ACTIVE" in by_line[7].error["message"]
    assert by_line[8].error["field"] == "external_id"
    standing = {h.partner_id: h for h in contract_holders(brand.store, brand.caller,
                                                         brand.program_id)}  # fmt: skip
    lab = get_partner(brand.store, brand.caller, by_line[2].partner_id)
    assert (lab.name, lab.country, lab.partner_type) == ("Trail Gear Lab", "US", "content")
    assert get_partner(brand.store, brand.caller, by_line[3].partner_id).website == (
        "https://basecampdeals.example"
    )
    assert get_partner(brand.store, brand.caller, by_line[5].partner_id).country == "GB"
    assert by_line[2].partner_id in standing  # approved: earns under a contract
    named = {g.name: {p for p, _ in g.members} for g in groups(brand.store, brand.caller,
                                                               brand.program_id)}  # fmt: skip
    assert named["Content"] == {by_line[2].partner_id, by_line[4].partner_id}
    # the promo code came along, and every approved partner has a link
    links = partner_links(brand.store, brand.caller, brand.program_id, by_line[2].partner_id)
    assert links
    again = _run(brand, "impact_partners.csv", "content")
    assert {r.status for r in again.rows} == {"duplicate", "rejected"}


def test_a_partnerstack_export_keeps_the_partner_key_as_the_link_code(brand):
    token = "camp" + short_code(6).lower()
    report = _run(brand, "partnerstack_partners.csv", "reseller", token)
    assert report.platform == "partnerstack"
    statuses = [(r.row, r.status, (r.error or {}).get("field")) for r in report.rows]
    assert statuses == [(2, "created", None), (3, "created", None), (4, "created", None),
                        (5, "duplicate", "email"), (6, "rejected", "email")]  # fmt: skip
    first = report.rows[0].partner_id
    codes = [link.code for link in partner_links(brand.store, brand.caller, brand.program_id,
                                                 first)]  # fmt: skip
    assert codes == [token]
    assert get_partner(brand.store, brand.caller, first).name == "Campwise"


@pytest.mark.parametrize(
    ("name", "platform", "created"),
    [("rewardful_affiliates.csv", "rewardful", 2), ("firstpromoter_promoters.csv",
     "firstpromoter", 2), ("dub_partners.csv", "dub", 2)],
)  # fmt: skip
def test_rewardful_firstpromoter_and_dub(brand, name, platform, created):
    report = _run(brand, name)
    assert report.platform == platform
    assert sum(r.status == "created" for r in report.rows) == created


def test_a_file_that_is_not_an_export_is_refused_naming_its_columns(brand):
    with pytest.raises(InvalidInput) as caught:
        import_partners(brand.store, brand.caller, brand.program_id, "name,colour\nA,red\n")
    assert caught.value.field == "file" and "colour" in caught.value.message
    with pytest.raises(InvalidInput):
        import_partners(brand.store, brand.caller, brand.program_id, "")
    with pytest.raises(InvalidInput) as caught:
        import_partners(brand.store, brand.caller, brand.program_id, "partner_key\nx\n",
                        partner_type="wizard")  # fmt: skip
    assert caught.value.field == "partner_type"


def test_headers_and_countries_are_read_loosely():
    assert detect(["Partner ID", "Partner Name"]) == "impact"
    assert detect(["partner-key", "partner email"]) == "partnerstack"
    assert detect(["ID", "Name", "Email", "Enrolled at"]) == "dub"
    assert country_code("UNITED_KINGDOM") == "GB" and country_code("uk") == "GB"
    assert country_code("Germany") == "DE" and country_code("Narnia") is None
