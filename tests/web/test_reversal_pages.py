"""Reversals in the console: each reversal of the program's orders with its reason in words,
the commission it took back, and a clawback named as one when that money had been paid."""

from __future__ import annotations

from decimal import Decimal

from accord.commissions.service import approve, lock_due, reversal_lines
from accord.conversions.model import ReversalRequest
from accord.conversions.reversals import reverse_conversion
from accord.payouts.service import run_batch
from accord.tenancy.service import create_user
from tests.factories import add_partner, click, convert, make_brand
from tests.web.conftest import PASSWORD, sign_in, unique_email


def test_the_manager_sees_each_reversal_its_reason_and_the_clawbacks(client, store):
    brand = make_brand(store, locking_days=0)
    email = unique_email("pm")
    create_user(store, brand.caller.organization_id, email, PASSWORD)
    partner = add_partner(brand)
    kept = convert(brand, order_id="ORD-KEEP", amount="100.00", click_id=click(brand, partner))
    paid = convert(brand, order_id="ORD-PAID", amount="200.00", click_id=click(brand, partner))
    sign_in(client, email)
    empty = client.get(f"/console/reversals?program={brand.program_id}")
    assert empty.status_code == 200 and "No reversal yet" in empty.text

    reverse_conversion(store, brand.caller, kept.conversion.id,
                       ReversalRequest(amount=Decimal("40.00"), reason_code="returned",
                                       note="one pair came back"))  # fmt: skip
    lock_due(store, brand.caller, brand.program_id)
    approve(store, brand.caller, brand.program_id)
    run_batch(store, brand.caller, brand.program_id)
    reverse_conversion(store, brand.caller, paid.conversion.id,
                       ReversalRequest(reason_code="order_error"))  # fmt: skip

    lines = reversal_lines(store, brand.caller, brand.program_id)
    assert [line.order_id for line in lines] == ["ORD-PAID", "ORD-KEEP"]  # newest first
    assert lines[0].clawback and lines[0].commission_change.amount < 0
    assert not lines[1].clawback and lines[1].commission_change.amount < 0

    page = client.get(f"/console/reversals?program={brand.program_id}")
    assert "ORD-PAID" in page.text and "ORD-KEEP" in page.text
    assert "order error" in page.text and "order_error" not in page.text
    assert "one pair came back" in page.text and "clawback" in page.text
    assert f'href="/console/conversions/{paid.conversion.id}"' in page.text
    zh = client.get(f"/console/reversals?program={brand.program_id}",
                    headers={"accept-language": "zh-CN"})  # fmt: skip
    assert "追回" in zh.text and "returned" not in zh.text
    home = client.get(f"/console?program={brand.program_id}")
    assert f'href="/console/reversals?program={brand.program_id}"' in home.text


def test_another_brands_program_shows_nothing_of_theirs(client, store, manager):
    other = make_brand(store)
    theirs = convert(other, order_id="THEIR-ORDER", click_id=click(other, add_partner(other)))
    reverse_conversion(store, other.caller, theirs.conversion.id,
                       ReversalRequest(reason_code="fraud"))  # fmt: skip
    sign_in(client, manager[1].email)
    page = client.get(f"/console/reversals?program={other.program_id}")
    assert "THEIR-ORDER" not in page.text
