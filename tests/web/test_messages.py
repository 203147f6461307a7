"""Messages between a brand and a partner: on the partner's page in the console and on the
portal's Messages page, each side told by mail, read receipts, and nobody else's thread."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from accord.engage import service as messages
from accord.errors import InvalidInput, NotFound
from accord.notices.tables import OutboxMail
from accord.partners.service import create_partner
from accord.tenancy.service import authenticate
from tests.factories import add_partner, events_settled, make_brand
from tests.web.conftest import csrf_of, sign_in, unique_email

FORM = {"content-type": "application/x-www-form-urlencoded"}


def _mails(store, kind, to, organization_id):
    events_settled(store, organization_id)  # here, or by another test's worker
    with store.read() as session:
        found = select(OutboxMail).where(OutboxMail.kind == kind, OutboxMail.recipient == to)
        return list(session.scalars(found))


def test_a_brand_and_a_partner_write_to_each_other(store, client, manager):
    brand, user = manager
    email = unique_email("partner")
    made = create_partner(store, brand.caller, brand.program_id, name="Trail Mei",
                          partner_type="creator_douyin", email=email, with_login=True)  # fmt: skip
    assert sign_in(client, user.email).status_code == 303
    page = f"/console/partners/{made.partner.id}?program={brand.program_id}"
    shown = client.get(page)
    assert "No message yet." in shown.text
    sent = client.post(f"/console/partners/{made.partner.id}/messages", headers=FORM,
                       content=urlencode({"csrf": csrf_of(shown.text), "program": brand.program_id,
                                          "body": "Could you review the new tent?"}))  # fmt: skip
    assert sent.status_code == 303
    assert "Could you review the new tent?" in client.get(page).text
    [mail] = _mails(store, "message_to_partner", email, brand.caller.organization_id)
    assert "Could you review the new tent?" in mail.text and "/portal/messages" in mail.text

    client.cookies.clear()
    assert sign_in(client, email, made.password).status_code == 303
    portal = client.get(f"/portal/messages?program={brand.program_id}")
    assert "Could you review the new tent?" in portal.text
    answered = client.post("/portal/messages", headers=FORM, content=urlencode(
        {"csrf": csrf_of(portal.text), "program": brand.program_id,
         "body": "Yes, next week on Douyin."}))  # fmt: skip
    assert answered.status_code == 303
    [to_brand] = _mails(store, "message_to_brand", user.email, brand.caller.organization_id)
    assert "Yes, next week on Douyin." in to_brand.text
    assert f"/console/partners/{made.partner.id}" in to_brand.text
    empty = client.post("/portal/messages", headers=FORM, content=urlencode(
        {"csrf": csrf_of(portal.text), "program": brand.program_id, "body": "  "}))  # fmt: skip
    assert empty.status_code == 422

    client.cookies.clear()
    assert sign_in(client, user.email).status_code == 303
    thread = client.get(page).text
    assert "Yes, next week on Douyin." in thread and "read by them" in thread


def test_nobody_else_reads_or_writes_a_thread(store):
    brand = make_brand(store)
    partner = add_partner(brand)
    other = make_brand(store)
    stranger = add_partner(other)
    messages.post(store, brand.caller, brand.program_id, "Hello", partner_id=partner.id)
    with pytest.raises(NotFound):  # another brand
        messages.thread(store, other.caller, brand.program_id, partner_id=partner.id)
    with pytest.raises(NotFound):  # a partner not in the program
        messages.thread(store, stranger.caller, brand.program_id)
    with pytest.raises(InvalidInput):
        messages.post(store, brand.caller, brand.program_id, "x" * 4001, partner_id=partner.id)
    assert messages.unread(store, partner.caller) == 1
    assert [m.body for m in messages.thread(store, partner.caller, brand.program_id)] == ["Hello"]
    assert messages.unread(store, partner.caller) == 0
    key_caller = authenticate(store, partner.api_key)
    assert messages.post(store, key_caller, brand.program_id, "Hi back").author == "partner"
    assert messages.unread(store, brand.caller, brand.program_id) == 1
