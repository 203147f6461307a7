"""Bounties: sales and revenue targets settled when the period ends (reversed orders not
counted, each reward paid once through the ledger), and content the brand approves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accord.conversions.model import ReversalRequest
from accord.conversions.reversals import reverse_conversion
from accord.engage import bounties as bt
from accord.errors import Conflict, InvalidInput, NotFound
from accord.partners import recruiting
from accord.partners.groups import set_members
from accord.reports.service import program_summary
from tests.factories import add_partner, click, convert, make_brand

#: Ten years on: no other test's clock reaches these periods.
LATER = datetime(2036, 3, 1, tzinfo=UTC)


def test_a_sales_bounty_pays_those_who_reached_it_once_the_period_ends(store, clock):
    clock.set(LATER)
    brand = make_brand(store)
    steady, nearly, late = add_partner(brand), add_partner(brand), add_partner(brand)
    bt.create_bounty(store, brand.caller, brand.program_id, bt.BountyIn(
        title="Three sales in March", kind="sales", target=3, starts_at=LATER,
        ends_at=LATER + timedelta(days=31), reward="50.00"))  # fmt: skip
    for partner, n in ((steady, 3), (nearly, 3)):
        for _ in range(n):
            recorded = convert(brand, click_id=click(brand, partner))
    reverse_conversion(store, brand.caller, recorded.conversion.id,
                       ReversalRequest(reason_code="returned"))  # fmt: skip
    convert(brand, click_id=click(brand, late))  # one sale only
    [mine] = bt.partner_bounties(store, nearly.caller, brand.program_id)
    assert (mine.value, mine.reached) == (2, False)  # the reversed order does not count
    assert bt.settle_due(store, program_id=brand.program_id) == 0  # not ended yet
    clock.set(LATER + timedelta(days=31))
    convert(brand, click_id=click(brand, late))  # after the period: not counted
    assert bt.settle_due(store, program_id=brand.program_id) == 1
    assert bt.settle_due(store, program_id=brand.program_id) == 0  # once
    [(_, rows)] = bt.bounties(store, brand.caller, brand.program_id)
    by = {p.partner_id: p for p in rows}
    assert by[steady.id].paid and not by[nearly.id].paid and not by[late.id].paid
    assert (by[steady.id].value, by[late.id].value) == (3, 1)
    assert program_summary(store, brand.caller, brand.program_id).ledger_balanced


def test_a_revenue_bounty_counts_net_revenue(store, clock):
    clock.set(LATER)
    brand = make_brand(store)
    partner = add_partner(brand)
    bt.create_bounty(store, brand.caller, brand.program_id, bt.BountyIn(
        title="1,000 in a week", kind="revenue", target="1000.00", starts_at=LATER,
        ends_at=LATER + timedelta(days=7), reward="80.00"))  # fmt: skip
    big = convert(brand, amount="900.00", click_id=click(brand, partner))
    convert(brand, amount="150.00", click_id=click(brand, partner))
    [progress] = bt.partner_bounties(store, partner.caller, brand.program_id)
    assert progress.value == 105_000 and progress.reached
    reverse_conversion(store, brand.caller, big.conversion.id,
                       ReversalRequest(amount="100.00", reason_code="returned"))  # fmt: skip
    [progress] = bt.partner_bounties(store, partner.caller, brand.program_id)
    assert progress.value == 95_000 and not progress.reached and progress.share == 0.95


def test_content_is_approved_by_the_brand_and_paid_once(store, clock):
    clock.set(LATER)
    brand = make_brand(store)
    writer, outsider = add_partner(brand), add_partner(brand)
    group = recruiting.add_group(store, brand.caller, brand.program_id, name="Reviewers")
    set_members(store, brand.caller, group.id, [writer.id])
    bounty = bt.create_bounty(store, brand.caller, brand.program_id, bt.BountyIn(
        title="Review the Ridge 2", kind="content", target=None, starts_at=LATER,
        ends_at=LATER + timedelta(days=30), reward="40.00", group_id=group.id))  # fmt: skip
    with pytest.raises(NotFound):
        bt.submit_content(store, outsider.caller, bounty.id, "https://blog.example/ridge2")
    assert bt.partner_bounties(store, outsider.caller, brand.program_id) == []
    with pytest.raises(InvalidInput) as caught:
        bt.submit_content(store, writer.caller, bounty.id, "javascript:alert(1)")
    assert caught.value.field == "url"
    bt.submit_content(store, writer.caller, bounty.id, "https://blog.example/ridge2")
    bt.decide(store, brand.caller, bounty.id, writer.id, approve=False, note="Add photos")
    bt.submit_content(store, writer.caller, bounty.id, "https://blog.example/ridge2-photos")
    claim = bt.decide(store, brand.caller, bounty.id, writer.id, approve=True)
    assert claim.commission_id is not None
    with pytest.raises(Conflict):
        bt.decide(store, brand.caller, bounty.id, writer.id, approve=True)
    [progress] = bt.partner_bounties(store, writer.caller, brand.program_id)
    assert progress.reached and progress.paid
    other = make_brand(store)
    with pytest.raises(NotFound):
        bt.decide(store, other.caller, bounty.id, writer.id, approve=True)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"title": ""}, "title"),
        ({"kind": "likes"}, "kind"),
        ({"target": "many"}, "target"),
        ({"target": 0}, "target"),
        ({"reward": "0"}, "reward"),
        ({"ends_at": LATER}, "ends_at"),
        ({"promotion": "nope:2036"}, "promotion"),
    ],
)
def test_a_bounty_refuses_bad_input_naming_the_field(store, change, field):
    brand = make_brand(store)
    data = {"title": "T", "kind": "sales", "target": 3, "starts_at": LATER,
            "ends_at": LATER + timedelta(days=1), "reward": "10.00", **change}  # fmt: skip
    with pytest.raises(InvalidInput) as caught:
        bt.create_bounty(store, brand.caller, brand.program_id, bt.BountyIn(**data))
    assert caught.value.field == field


def test_the_activity_score_counts_each_signal(store, clock):
    from accord.engage import briefs as br
    from accord.reports.engagement import Signals, activity
    from accord.signin.service import sign_in
    from accord.tenancy.service import create_user
    from accord.tracking.service import create_link
    from tests.web.conftest import unique_email

    clock.set(LATER)
    brand = make_brand(store)
    busy, seller, idle = add_partner(brand), add_partner(brand), add_partner(brand)
    email = unique_email("busy")
    create_user(store, busy.caller.organization_id, email, "correct horse battery")
    for day in range(3):  # signs in on three days
        clock.set(LATER + timedelta(days=day))
        sign_in(store, email, "correct horse battery")
    for _ in range(2):
        create_link(store, busy.caller, brand.program_id)
    brief = br.create_brief(store, brand.caller, brand.program_id, br.BriefIn(title="Post"))
    br.submit(store, busy.caller, brief.id, text="my post")
    convert(brand, amount="200.00", click_id=click(brand, seller))
    scores = activity(store, brand.caller, brand.program_id)
    assert scores[busy.id].signals.sign_in_days == 3
    assert scores[busy.id].signals.links >= 2 and scores[busy.id].signals.content == 1
    assert scores[seller.id].signals.revenue_minor == 20_000
    assert scores[seller.id].score >= 40  # the reference is its own revenue
    assert scores[idle.id].signals == Signals(0, 1, 0, 0)  # the link made when it joined
    assert scores[idle.id].score == 4
    clock.set(LATER + timedelta(days=40))  # a month later it has all run out
    assert all(a.score == 0 for a in activity(store, brand.caller, brand.program_id).values())
