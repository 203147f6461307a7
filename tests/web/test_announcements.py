"""Announcements: a brand publishes news to every partner, a group or a type; partners it
is for see it in the portal (others do not), mail goes out when asked, in each partner's
language, and the console counts who read it."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from accord.engage import service as engage
from accord.errors import InvalidInput
from accord.notices.tables import OutboxMail
from accord.partners.groups import set_members
from accord.partners.recruiting import add_group
from accord.partners.service import create_partner
from tests.factories import add_partner, events_settled, make_brand
from tests.web.conftest import csrf_of, sign_in, unique_email

FORM = {"content-type": "application/x-www-form-urlencoded"}


def test_news_to_a_group_read_in_the_portal_and_counted(store, client, manager):
    brand, user = manager
    email = unique_email("creator")
    creator = create_partner(store, brand.caller, brand.program_id, name="Trail Mei",
                             partner_type="creator_douyin", country="CN", email=email,
                             with_login=True)  # fmt: skip
    coupon = add_partner(brand, partner_type="coupon")
    group = add_group(store, brand.caller, brand.program_id, name="Creators we love")
    set_members(store, brand.caller, group.id, [creator.partner.id])

    assert sign_in(client, user.email).status_code == 303
    page = client.get(f"/console/announcements?program={brand.program_id}")
    assert "Nothing published yet." in page.text
    published = client.post("/console/announcements", headers=FORM, content=urlencode({
        "csrf": csrf_of(page.text), "program": brand.program_id, "title": "Spring shoot",
        "body": "Free tents for your spring videos.", "audience": "group", "group": group.id,
        "by_mail": "1"}))  # fmt: skip
    assert published.status_code == 303
    listed = client.get(f"/console/announcements?program={brand.program_id}").text
    assert "Spring shoot" in listed and "0 / 1" in listed
    missing = client.post("/console/announcements", headers=FORM, content=urlencode({
        "csrf": csrf_of(page.text), "program": brand.program_id, "title": "X", "body": "Y",
        "audience": "group"}))  # fmt: skip
    assert missing.status_code == 422 and "Choose the group or the type" in missing.text

    events_settled(store, brand.caller.organization_id)  # here, or by another test's worker
    with store.read() as session:
        sent = select(OutboxMail).where(
            OutboxMail.kind == "announcement", OutboxMail.program_id == brand.program_id
        )
        mails = session.scalars(sent).all()
    assert [m.recipient for m in mails] == [email]  # the coupon site is not in the group
    assert mails[0].language == "zh_Hans" and "Free tents" in mails[0].text

    client.cookies.clear()
    assert sign_in(client, email, creator.password).status_code == 303
    portal = client.get(f"/portal/announcements?program={brand.program_id}").text
    assert "Free tents for your spring videos." in portal and "Not read yet" in portal
    again = client.get(f"/portal/announcements?program={brand.program_id}").text
    assert "Not read yet" not in again  # read once, counted once
    assert [a.title for a in engage.announcements(store, coupon.caller, brand.program_id)] == []

    client.cookies.clear()
    assert sign_in(client, user.email).status_code == 303
    assert "1 / 1" in client.get(f"/console/announcements?program={brand.program_id}").text


def test_news_to_a_type_and_bad_input(store):
    brand = make_brand(store)
    creator = add_partner(brand, partner_type="creator_bilibili")
    coupon = add_partner(brand, partner_type="coupon")
    made = engage.publish(store, brand.caller, brand.program_id, title="For creators",
                          body="Hello creators", audience="type", value="creators")  # fmt: skip
    assert made.recipients == 1
    assert [a.id for a in engage.announcements(store, creator.caller, brand.program_id)] == [
        made.id
    ]
    assert engage.announcements(store, coupon.caller, brand.program_id) == []
    for kwargs, field in (({"title": ""}, "title"), ({"body": ""}, "body"),
                          ({"audience": "everyone"}, "audience"),
                          ({"audience": "type", "value": "wizards"}, "audience_value"),
                          ({"audience": "group", "value": "pgr_x"}, "audience_value")):  # fmt: skip
        args = {"title": "T", "body": "B", **kwargs}
        with pytest.raises(InvalidInput) as caught:
            engage.publish(store, brand.caller, brand.program_id, **args)
        assert caught.value.field == field
