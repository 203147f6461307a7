"""Inquiries in the console: a manager reads what the partner says, accepts (crediting the
order, at a corrected value if need be) or declines with a reason, without the API."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy import select

from accord.commissions.tables import Commission
from accord.inquiries.service import get_inquiry, open_inquiry
from accord.tenancy.service import create_user
from tests.factories import add_partner, make_brand
from tests.web.conftest import PASSWORD, csrf_of, sign_in, unique_email

FORM = {"content-type": "application/x-www-form-urlencoded"}


def _ask(store, brand, partner, order: str, amount: str = "80.00"):
    return open_inquiry(store, partner.caller, brand.program_id, order_id=order,
                        occurred_at=store.clock.now() - timedelta(minutes=30), amount=amount,
                        currency=brand.currency,
                        evidence="The customer used our link; the receipt is attached.",
                        )  # fmt: skip


def test_a_manager_accepts_one_inquiry_at_a_corrected_value_and_declines_another(client,
                                                                                store):  # fmt: skip
    brand = make_brand(store)
    partner = add_partner(brand)
    store.clock.advance(timedelta(hours=1))  # the orders come after the partner joined
    first = _ask(store, brand, partner, "ORD-501")
    second = _ask(store, brand, partner, "ORD-502")
    email = unique_email("pm")
    create_user(store, brand.caller.organization_id, email, PASSWORD)
    sign_in(client, email)

    home = client.get(f"/console?program={brand.program_id}")
    assert f'href="/console/inquiries?program={brand.program_id}"' in home.text
    page = client.get(f"/console/inquiries?program={brand.program_id}")
    assert page.status_code == 200
    assert "order ORD-501" in page.text and "the receipt is attached" in page.text
    assert f'href="/console/partners/{partner.id}' in page.text
    csrf = csrf_of(page.text)
    base = {"csrf": csrf, "program": brand.program_id, "status": "open"}

    wrong = client.post(f"/console/inquiries/{first.id}/accept",
                        content=urlencode({**base, "amount": "lots"}), headers=FORM)  # fmt: skip
    assert wrong.status_code == 422 and "amount" in wrong.text
    assert 'value="lots"' in wrong.text  # what was typed stays beside the error
    assert get_inquiry(store, brand.caller, first.id).status == "open"

    accepted = client.post(f"/console/inquiries/{first.id}/accept",
                           content=urlencode({**base, "amount": "64.50", "note": "net of VAT"}),
                           headers=FORM)  # fmt: skip
    assert accepted.status_code == 303 and "done=accepted" in accepted.headers["location"]
    decided = get_inquiry(store, brand.caller, first.id)
    assert decided.status == "accepted" and decided.conversion_id
    with store.read() as session:
        commission = session.scalar(
            select(Commission).where(Commission.conversion_id == decided.conversion_id)
        )
    assert commission is not None and commission.partner_id == partner.id

    no_reason = client.post(f"/console/inquiries/{second.id}/decline",
                            content=urlencode({**base, "reason": "  "}), headers=FORM)  # fmt: skip
    assert no_reason.status_code == 422 and "reason" in no_reason.text
    declined = client.post(
        f"/console/inquiries/{second.id}/decline",
        content=urlencode({**base, "reason": "The order was cancelled and refunded."}),
        headers=FORM,
    )
    assert declined.status_code == 303
    assert get_inquiry(store, brand.caller, second.id).decision_reason == (
        "The order was cancelled and refunded.")  # fmt: skip

    empty = client.get(declined.headers["location"])
    assert "The inquiry was declined" in empty.text and "No open inquiry" in empty.text
    done = client.get(f"/console/inquiries?program={brand.program_id}&status=all",
                      headers={"accept-language": "zh-CN"})  # fmt: skip
    assert "已接受" in done.text and "已拒绝" in done.text
    assert f'href="/console/commissions/{commission.id}"' in done.text
    assert "The order was cancelled and refunded." in done.text


def test_another_brands_inquiry_cannot_be_decided(client, store, manager):
    other = make_brand(store)
    theirs = _ask(store, other, add_partner(other), "ORD-900")
    sign_in(client, manager[1].email)
    csrf = csrf_of(client.get("/console/inquiries").text)
    tried = client.post(f"/console/inquiries/{theirs.id}/decline",
                        content=urlencode({"csrf": csrf, "reason": "mine now"}),
                        headers=FORM)  # fmt: skip
    assert tried.status_code == 404
    assert get_inquiry(store, other.caller, theirs.id).status == "open"
