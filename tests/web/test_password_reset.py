"""Choosing a new password by the mail that arrives (a real SMTP server on localhost), for a
brand's user and a partner's, and the outbox page when no server is set up."""

from __future__ import annotations

import re

from accord.notices.service import send_due
from accord.partners.service import create_partner
from accord.signin.tables import PasswordReset
from accord.tenancy.service import create_user
from accord.web.throttle import RESET
from tests.factories import events_settled, make_brand
from tests.monitoring.conftest import body
from tests.web.conftest import PASSWORD, csrf_of, sign_in, unique_email

FORM = {"content-type": "application/x-www-form-urlencoded"}
NEW = "a much longer passphrase"


def ask_for_link(client, email: str, **headers):
    page = client.get("/console/password/forgot")
    assert page.status_code == 200
    return client.post("/console/password/forgot",
                       content=f"email={email}&csrf={csrf_of(page.text)}&next=/console",
                       headers={**FORM, **headers})  # fmt: skip


def link_in(message) -> str:
    return re.search(r"https://accord\.brand\.example(/console/password/reset\?token=\S+)",
                     body(message)).group(1)  # fmt: skip


def choose(client, path: str, password: str, again: str | None = None):
    page = client.get(path)
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    return client.post("/console/password/reset",
                       content=f"token={token}&password={password}&again={again or password}"
                               f"&csrf={csrf_of(page.text)}",
                       headers=FORM)  # fmt: skip


def test_a_brand_user_chooses_a_new_password_by_the_mail_that_arrives(
    store, smtp, mail_settings, client
):
    RESET.reset()
    inbox, _ = smtp
    brand = make_brand(store)
    email = unique_email("pm")
    user = create_user(store, brand.caller.organization_id, email, PASSWORD)

    # the link is built from the settings, not from a Host header the asker chose
    asked = ask_for_link(client, email.upper(), host="evil.example")
    assert asked.status_code == 200
    assert "a link to choose a new password is on its way" in asked.text
    assert send_due(store, mail_settings, organization_id=brand.caller.organization_id).sent == 1
    [message] = inbox.wait_for(email)
    assert message["Subject"] == "Choose a new password for Accord"
    path = link_in(message)
    assert "evil.example" not in body(message) and "evil.example" not in body(message, "html")

    page = client.get(path)
    assert page.status_code == 200 and page.headers["referrer-policy"] == "no-referrer"
    mismatch = choose(client, path, NEW, "another passphrase!")
    assert mismatch.status_code == 422 and "The two passwords differ" in mismatch.text
    short = choose(client, path, "short", "short")
    assert short.status_code == 422 and "at least 10 characters" in short.text

    done = choose(client, path, NEW)
    assert done.status_code == 303 and done.headers["location"] == "/console/login?changed=1"
    assert "Your new password is saved" in client.get(done.headers["location"]).text
    assert sign_in(client, email, PASSWORD).status_code == 401
    assert sign_in(client, email, NEW).status_code == 303
    # the link worked once
    assert client.get(path).status_code == 410
    with store.read() as session:
        kept = session.query(PasswordReset).filter(PasswordReset.user_id == user.id).one()
        assert kept.used_at is not None and kept.id not in path  # only its hash is kept


def test_a_partner_resets_in_chinese_and_an_unknown_address_learns_nothing(
    store, smtp, mail_settings, client
):
    RESET.reset()
    inbox, _ = smtp
    brand = make_brand(store)
    email = unique_email("partner")
    made = create_partner(store, brand.caller, brand.program_id, name="Lina", email=email,
                          partner_type="content", with_login=True)  # fmt: skip
    events_settled(store, brand.caller.organization_id)
    client.cookies.set("accord_lang", "zh_Hans")
    known = ask_for_link(client, email)
    unknown = ask_for_link(client, unique_email("nobody"))
    assert known.status_code == unknown.status_code == 200
    assert "重置" in known.text or "链接" in known.text
    partner_org = made.partner.organization_id
    assert send_due(store, mail_settings, organization_id=partner_org).sent == 1
    [message] = inbox.wait_for(email)
    assert message["Subject"] == "设置新的 Accord 密码"
    done = choose(client, link_in(message), NEW)
    assert done.headers["location"] == "/console/login?next=/portal&changed=1"


def test_asking_too_often_is_slowed_down(store, client):
    RESET.reset()
    email = unique_email("nobody")
    for _ in range(5):
        assert ask_for_link(client, email).status_code == 200
    slowed = ask_for_link(client, email)
    assert slowed.status_code == 429 and "Retry-After" in slowed.headers
    RESET.reset()


def test_a_made_up_or_empty_token_gets_the_page_to_ask_again(client):
    for path in ("/console/password/reset", "/console/password/reset?token=made-up",
                 "/console/password/reset?token=" + "x" * 5000):  # fmt: skip
        page = client.get(path)
        assert page.status_code == 410 and "Send me a new link" in page.text


def test_the_outbox_shows_waiting_mail_without_a_server_and_hides_reset_links(store, client):
    RESET.reset()
    brand = make_brand(store)
    email = unique_email("pm")
    create_user(store, brand.caller.organization_id, email, PASSWORD)
    create_partner(store, brand.caller, brand.program_id, name="Lina Reviews",
                   email=unique_email("lina"), partner_type="content", with_login=True)  # fmt: skip
    events_settled(store, brand.caller.organization_id)
    ask_for_link(client, email)
    assert sign_in(client, email).status_code == 303

    page = client.get("/console/settings/mail")
    assert page.status_code == 200
    assert "No mail server is set up" in page.text
    assert "Welcome to Test program" in page.text and "Choose a new password" in page.text
    assert "Waiting" in page.text and "Application approved" in page.text
    welcome = re.search(r'href="(/console/settings/mail/mail_[^"?]+)[^"]*">Welcome', page.text)
    shown = client.get(welcome.group(1))
    assert shown.status_code == 200 and "Lina Reviews" in shown.text
    reset = re.search(r'href="(/console/settings/mail/mail_[^"?]+)[^"]*">Choose', page.text)
    hidden = client.get(reset.group(1))
    assert "token=" not in hidden.text and "only its recipient reads it" in hidden.text

    client.cookies.set("accord_lang", "zh_Hans")
    zh = client.get("/console/settings/mail")
    assert "邮件" in zh.text and "Waiting" not in zh.text


def test_another_brands_mail_is_not_found(store, client):
    mine, theirs = make_brand(store), make_brand(store)
    create_partner(store, theirs.caller, theirs.program_id, name="Theirs",
                   email=unique_email("t"), partner_type="content", with_login=True)  # fmt: skip
    events_settled(store, theirs.caller.organization_id)
    from accord.notices.service import outbox_page

    [their_mail] = outbox_page(store, theirs.caller).rows
    email = unique_email("pm")
    create_user(store, mine.caller.organization_id, email, PASSWORD)
    assert sign_in(client, email).status_code == 303
    assert client.get(f"/console/settings/mail/{their_mail.id}").status_code == 404


def test_a_partner_added_with_an_invitation_chooses_its_password_from_the_mail(
    store, smtp, mail_settings, client, manager
):
    inbox, _ = smtp
    brand, user = manager
    assert sign_in(client, user.email).status_code == 303
    page = client.get(f"/console/partners/new?program={brand.program_id}")
    assert "send an invitation by e-mail" in page.text
    email = unique_email("invited")
    made = client.post(
        "/console/partners/new",
        content=f"csrf={csrf_of(page.text)}&program={brand.program_id}&partner_type=content"
        f"&name=Deal+Hub&country=CN&email={email}&sign_in=invite",
        headers=FORM,
    )
    assert made.status_code == 201 and f"An invitation went to {email}" in made.text
    assert 'id="one-time"' not in made.text  # no password to pass on
    events_settled(store, brand.caller.organization_id)
    assert send_due(store, mail_settings, organization_id=brand.caller.organization_id).sent == 2
    mails = inbox.wait_for(email, 2)
    [invitation] = [m for m in mails if "邀请" in m["Subject"]]  # a partner in China: Chinese
    assert (
        invitation["Subject"]
        == f"{user_org_name(store, brand)} 邀请您加入 Test program 的合作伙伴计划"
    )
    client.cookies.clear()
    done = choose(client, link_in(invitation), NEW)
    assert done.headers["location"] == "/console/login?next=/portal&changed=1"
    assert sign_in(client, email, NEW).status_code == 303
    assert "Deal Hub" in client.get("/portal/settings").text


def user_org_name(store, brand) -> str:
    from accord.tenancy.service import organization_name

    with store.read() as session:
        return organization_name(session, brand.caller.organization_id)
