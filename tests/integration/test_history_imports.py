"""A program's history from the platform it moved from: each row of an actions or
commissions export becomes a conversion credited to its partner, with what the old platform
still owed owed once at its amount, what it paid never owed again, and what it reversed
reversed; or the row's result says why not."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from accord.clock import FixedClock
from accord.commissions.service import get_commission
from accord.conversions.history import amount, detect, import_history, moment
from accord.conversions.service import get_conversion
from accord.errors import InvalidInput
from accord.ids import short_code
from accord.partners.imports import import_partners
from accord.payouts.service import partner_balances
from accord.store.engine import Store
from tests.conftest import START
from tests.factories import make_brand

FILES = Path(__file__).parent.parent / "fixtures" / "platforms"


@pytest.fixture
def brand(engine):
    return make_brand(Store(engine, FixedClock(START)))


def _files(brand, partners: str, history: str, token: str | None = None):
    def text(name):
        body = (FILES / name).read_text()
        return body.replace("campwise", token) if token else body

    moved = import_partners(brand.store, brand.caller, brand.program_id, text(partners))
    report = import_history(brand.store, brand.caller, brand.program_id, text(history))
    return moved, report


def test_an_impact_actions_export_credits_owes_settles_and_reverses(brand):
    moved, report = _files(brand, "impact_partners.csv", "impact_actions.csv")
    partner = {r.row: r.partner_id for r in moved.rows}
    lab, deals = partner[2], partner[3]
    assert report.platform == "impact"
    by_line = {r.row: r for r in report.rows}
    assert [by_line[n].status for n in range(2, 11)] == [
        "created", "created", "created", "created", "created",
        "rejected", "rejected", "rejected", "rejected",
    ]  # fmt: skip
    assert [by_line[n].error["field"] for n in range(7, 11)] == [
        "partner",
        "currency",
        "occurred_at",
        "status",
    ]
    assert "9999999" in by_line[7].error["message"]
    assert "DISPUTED" in by_line[10].error["message"]

    # paid on impact.com (a cleared date): credited to the partner, counted, never owed
    paid = get_conversion(brand.store, brand.caller, by_line[2].conversion_id)
    assert paid.partner_id == lab and paid.amount_minor == 124_900
    assert paid.occurred_at.isoformat() == "2025-09-14T17:21:00+00:00"  # over a year ago
    assert paid.commission_note == "paid_before_import" and by_line[2].commission_id is None
    assert paid.promo_code == "TRAILLAB10"  # reports by promo code keep their history
    assert (paid.attribution_reason, paid.source, paid.customer_id) == (
        "imported_history",
        "import",
        "cus-17",
    )
    # not yet paid there: owed once, at the file's amount, whatever the contract says
    owed, _ = get_commission(brand.store, brand.caller, by_line[3].commission_id)
    assert (owed.kind, owed.status, owed.amount_minor, owed.partner_id) == (
        "imported",
        "pending",
        800,
        lab,
    )
    assert owed.explanation["imported"] == "impact.com 19870.4410.2"
    assert owed.explanation["conversion_id"] == by_line[3].conversion_id
    approved, _ = get_commission(brand.store, brand.caller, by_line[4].commission_id)
    assert (approved.amount_minor, approved.partner_id) == (300, deals)
    # reversed there: recorded and reversed in whole, no commission
    reversed_ = get_conversion(brand.store, brand.caller, by_line[5].conversion_id)
    assert reversed_.reversed_minor == reversed_.amount_minor == 4_500
    assert by_line[5].commission_id is None
    # a lead paid on the old platform (cleared): an event type of its own, owed nothing
    lead = get_conversion(brand.store, brand.caller, by_line[6].conversion_id)
    assert (lead.event_type, lead.commission_note) == ("lead", "paid_before_import")

    assert _pending(brand) == {lab: 800, deals: 300}  # the ledger owes them, no more

    again = import_history(brand.store, brand.caller, brand.program_id,
                           (FILES / "impact_actions.csv").read_text())  # fmt: skip
    assert [r.status for r in again.rows][:5] == ["duplicate"] * 5
    assert [r.commission_id for r in again.rows][:5] == [r.commission_id
                                                         for r in report.rows][:5]  # fmt: skip
    assert _pending(brand) == {lab: 800, deals: 300}


def _pending(brand) -> dict[str, int]:
    return {b.partner_id: b.pending_minor
            for b in partner_balances(brand.store, brand.caller, brand.program_id)
            if b.pending_minor}  # fmt: skip


def test_a_partnerstack_rewards_export_finds_partners_by_key_or_email(brand):
    token = "camp" + short_code(6).lower()
    moved, report = _files(brand, "partnerstack_partners.csv", "partnerstack_rewards.csv",
                           token)  # fmt: skip
    assert report.platform == "partnerstack"
    statuses = [(r.row, r.status, (r.error or {}).get("field")) for r in report.rows]
    assert statuses == [(2, "created", None), (3, "created", None), (4, "created", None),
                        (5, "created", None), (6, "rejected", "partner"),
                        (7, "rejected", "commission")]  # fmt: skip
    campwise, tentpro = moved.rows[0].partner_id, moved.rows[1].partner_id
    paid, owed, by_email = (get_conversion(brand.store, brand.caller, report.rows[i].conversion_id)
                            for i in (0, 1, 2))  # fmt: skip
    assert paid.partner_id == owed.partner_id == campwise and by_email.partner_id == tentpro
    assert paid.order_id == "txn_01" and paid.amount_minor == 20_000
    assert report.rows[0].commission_id is None
    commission, _ = get_commission(brand.store, brand.caller, report.rows[1].commission_id)
    assert (commission.amount_minor, commission.kind) == (4_000, "imported")
    declined = get_conversion(brand.store, brand.caller, report.rows[3].conversion_id)
    assert declined.reversed_minor == 9_900


def test_a_file_that_is_not_a_history_export_is_refused_naming_its_columns(brand):
    with pytest.raises(InvalidInput) as caught:
        import_history(brand.store, brand.caller, brand.program_id, "order,colour\n1,red\n")
    assert caught.value.field == "file" and "colour" in caught.value.message


def test_exports_are_read_as_people_write_them():
    assert detect(["Action Id", "Partner Id", "Payout"]) == "impact"
    assert detect(["reward_key", "partner_key", "amount"]) == "partnerstack"
    assert detect(["id", "affiliate_id", "commission_amount", "state"]) == "rewardful"
    assert detect(["id", "promoter_email", "amount"]) == "firstpromoter"
    assert detect(["id", "partnerId", "earnings", "status"]) == "dub"
    assert amount("1,249.00") == Decimal("1249.00") and amount("$12.50") == Decimal("12.50")
    assert amount("12,5") == Decimal("12.5") and amount("USD 7") == Decimal("7")
    with pytest.raises(ValueError):
        amount("twelve")
    assert moment("09/14/2025 10:21").isoformat() == "2025-09-14T10:21:00+00:00"
    assert moment("2025-09-14T10:21:00Z") == moment("2025-09-14 10:21:00")
    with pytest.raises(ValueError):
        moment("yesterday")


def test_a_commission_past_the_largest_order_is_refused_not_owed(brand):
    moved = import_partners(brand.store, brand.caller, brand.program_id,
                            (FILES / "impact_partners.csv").read_text())  # fmt: skip
    assert moved.rows[0].status == "created"
    text = ("Action Id,Partner Id,Event Date,Oid,Sale Amount,Payout,Currency,State\n"
            "big-1,4410221,2026-10-01,BIG-1,10.00,99999999999.00,USD,PENDING\n"
            "big-2,4410221,2026-10-01,BIG-2,10.00,1.005,USD,PENDING\n"
            "lead-0,4410221,2026-10-02,LEAD-0,0,5.00,USD,REVERSED\n")  # fmt: skip
    report = import_history(brand.store, brand.caller, brand.program_id, text)
    assert [(r.status, (r.error or {}).get("field")) for r in report.rows] == [
        ("rejected", "commission"), ("rejected", "commission"), ("created", None)
    ]  # fmt: skip
    # an order of no amount reversed there is recorded as reversed, owing nothing
    lead = get_conversion(brand.store, brand.caller, report.rows[2].conversion_id)
    assert (lead.event_type, lead.commission_note) == ("sale", "reversed_before_import")
    assert report.rows[2].commission_id is None
    assert "largest order" in report.rows[0].error["message"]


@pytest.mark.parametrize(
    ("partners", "history", "platform", "expected"),
    [
        # (status, owed minor units) per row
        ("rewardful_affiliates.csv", "rewardful_commissions.csv", "rewardful",
         [("created", 0), ("created", 1_000), ("created", 0)]),
        ("firstpromoter_promoters.csv", "firstpromoter_commissions.csv", "firstpromoter",
         [("created", 1_980), ("created", 0)]),
        ("dub_partners.csv", "dub_commissions.csv", "dub",
         [("created", 1_200), ("created", 50), ("created", 0)]),
    ],
)  # fmt: skip
def test_rewardful_firstpromoter_and_dub_commissions(brand, partners, history, platform,
                                                     expected):  # fmt: skip
    _, report = _files(brand, partners, history)
    assert report.platform == platform
    assert [(r.status, r.owed_minor) for r in report.rows] == expected, report.rows
    assert report.owed.minor == sum(owed for _, owed in expected)
    assert _pending(brand) == {p: m for p, m in _owed_by_partner(brand, report).items() if m}


def _owed_by_partner(brand, report) -> dict[str, int]:
    owed: dict[str, int] = {}
    for row in report.rows:
        if row.commission_id:
            commission, _ = get_commission(brand.store, brand.caller, row.commission_id)
            owed[commission.partner_id] = owed.get(commission.partner_id, 0) + row.owed_minor
    return owed


def test_a_long_id_is_refused_whole_never_cut(brand):
    import_partners(brand.store, brand.caller, brand.program_id,
                    (FILES / "impact_partners.csv").read_text())  # fmt: skip
    long = "O" * 141
    text = ("Action Id,Partner Id,Event Date,Oid,Sale Amount,Payout,Currency,State\n"
            f"a-{long},4410221,2026-10-01,L-1,10.00,1.00,USD,PENDING\n"
            f"a-2,4410221,2026-10-01,{long},10.00,1.00,USD,PENDING\n")  # fmt: skip
    report = import_history(brand.store, brand.caller, brand.program_id, text)
    assert [(r.status, r.error["field"]) for r in report.rows] == [
        ("rejected", "action_id"), ("rejected", "order_id")
    ]  # fmt: skip
    assert "at most 140" in report.rows[1].error["message"]
