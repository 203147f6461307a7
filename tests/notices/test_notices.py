"""Notices to partners and managers, read from a real SMTP server on localhost: an
application received, approved, declined with the reason, a contract version to accept, a
payout sent, a postback endpoint failing; each in the reader's language, text and HTML.
Without a server every mail waits in the outbox and leaves once one is set up."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accord.commissions.service import approve, lock_due
from accord.contracts.service import RuleSpec, add_version
from accord.events.model import PartnerApproved
from accord.ids import short_code
from accord.notices.service import RETRY_DELAYS, outbox_counts, outbox_page, send_again, send_due
from accord.notices.tables import OutboxMail
from accord.partners.service import apply_to_program, create_partner, set_enrollment_status
from accord.payouts.service import run_batch
from accord.postbacks.service import deliver_due
from accord.programs.service import set_mail_from, update_program
from accord.settings import Settings
from accord.tenancy.model import Caller, OrganizationKind
from accord.tenancy.service import authenticate, create_user, remember_language
from tests.factories import click, convert, events_settled, make_brand
from tests.monitoring.conftest import body
from tests.postbacks.support import Receiver, deliveries, public, register

PASSWORD = "correct horse battery"


def email(who: str) -> str:
    return f"{who}-{short_code(8).lower()}@partner.example"


def new_partner(brand, *, approved=True, country=None, name="Lina Reviews"):
    """A partner the brand adds, with a portal sign-in."""
    address = email("lina")
    made = create_partner(
        brand.store, brand.caller, brand.program_id, name=name, partner_type="content",
        country=country, email=address, approved=approved, with_login=True,
    )  # fmt: skip
    return made, address


def outbox(brand, kind=None):
    rows = outbox_page(brand.store, brand.caller, limit=200).rows
    return [r for r in rows if kind is None or r.kind == kind]


def test_a_partner_added_by_the_brand_is_welcomed_in_its_language(store, smtp, mail_settings):
    inbox, _ = smtp
    brand = make_brand(store)
    set_mail_from(store, brand.caller, brand.program_id, "Lumen Partners <partners@lumen.example>")
    _, address = new_partner(brand, country="CN")
    events_settled(store, brand.caller.organization_id)

    run = send_due(store, mail_settings, organization_id=brand.caller.organization_id)
    assert run.sent == 1
    [message] = inbox.wait_for(address)
    # a partner from China that has not chosen a language yet reads Chinese
    assert message["Subject"] == "欢迎加入 Test program 的合作伙伴计划"
    assert message["From"] == "Lumen Partners <partners@lumen.example>"
    text = body(message)
    assert "Lina Reviews\uff0c您好" in text and "https://accord.brand.example/portal/links" in text
    assert "合作伙伴门户" in body(message, "html")
    [row] = outbox(brand, "application_approved")
    assert (row.status, row.recipient, row.language) == ("sent", address, "zh_Hans")


def test_application_received_approved_and_declined_with_the_reason(store, smtp, mail_settings):
    inbox, _ = smtp
    brand = make_brand(store)
    manager = email("pm")
    create_user(store, brand.caller.organization_id, manager, PASSWORD, role="manager")
    update_program(store, brand.caller, brand.program_id, {"listed": True})
    from accord.partners.service import sign_up_partner

    first, second = email("first"), email("second")
    one = sign_up_partner(store, name="First Site", email=first, password=PASSWORD,
                          partner_type="coupon", country="DE",
                          website="https://first.example")  # fmt: skip
    two = sign_up_partner(store, name="Second Site", email=second, password=PASSWORD,
                          partner_type="content")  # fmt: skip
    remember_language(store, two.user_id, "zh_Hans")  # the second reads Accord in Chinese
    one_caller = Caller(one.partner.organization_id, OrganizationKind.PARTNER, one.partner.id)
    two_caller = Caller(two.partner.organization_id, OrganizationKind.PARTNER, two.partner.id)
    applied_one = apply_to_program(store, one_caller, brand.program_id, note="Deals blog, 40k")
    applied_two = apply_to_program(store, two_caller, brand.program_id)
    events_settled(store, brand.caller.organization_id)
    send_due(store, mail_settings, organization_id=brand.caller.organization_id)

    [received] = inbox.wait_for(first)
    assert received["Subject"] == "Test program received your application"
    [review_one, review_two] = inbox.wait_for(manager, 2)
    assert {review_one["Subject"], review_two["Subject"]} == {
        "New application to Test program: First Site",
        "New application to Test program: Second Site",
    }
    about_first = next(m for m in (review_one, review_two) if "First Site" in m["Subject"])
    text = body(about_first)
    assert "Type: coupon" in text and "Country: Germany" in text
    assert "What they wrote: Deals blog, 40k" in text
    assert f"/console/partners?program={brand.program_id}&status=applied" in text

    set_enrollment_status(store, brand.caller, brand.program_id, applied_one.partner_id,
                          "approved")  # fmt: skip
    set_enrollment_status(store, brand.caller, brand.program_id, applied_two.partner_id,
                          "declined", reason="我们只与评测网站合作。")  # fmt: skip
    events_settled(store, brand.caller.organization_id)
    send_due(store, mail_settings, organization_id=brand.caller.organization_id)

    approved_mail = inbox.wait_for(first, 2)[-1]
    assert approved_mail["Subject"] == "Welcome to Test program: your application is approved"
    declined_mail = inbox.wait_for(second, 2)[-1]
    assert declined_mail["Subject"] == "Test program 未通过您的申请"
    assert "原因: 我们只与评测网站合作。" in body(declined_mail)
    assert "我们只与评测网站合作。" in body(declined_mail, "html")
    # the managers heard of each application once, and nothing was written twice
    assert len(inbox.to(manager)) == 2
    counts = outbox_counts(store, brand.caller)
    assert counts["sent"] == len(outbox(brand)) == 6 and counts["waiting"] == 0


def test_a_contract_version_to_accept_and_a_payout_sent_reach_the_partner(
    store, smtp, mail_settings
):
    inbox, _ = smtp
    brand = make_brand(store, locking_days=0)
    made, address = new_partner(brand)
    add_version(store, brand.caller, brand.contract_id,
                [RuleSpec(event_type="sale", percent="12")], requires_acceptance=True)  # fmt: skip
    add_version(
        store, brand.caller, brand.contract_id, [RuleSpec(event_type="sale", percent="13")]
    )  # needs no acceptance: no mail
    from accord.tracking.service import create_link
    from tests.factories import TestPartner

    code = create_link(store, brand.caller, brand.program_id, partner_id=made.partner.id).code
    partner = TestPartner(made.partner.id, made.api_key, authenticate(store, made.api_key), code)
    convert(brand, amount="250.00", click_id=click(brand, partner))
    lock_due(store, brand.caller, brand.program_id)
    approve(store, brand.caller, brand.program_id)
    batch = run_batch(store, brand.caller, brand.program_id)
    assert len(batch.payouts) == 1
    events_settled(store, brand.caller.organization_id)
    send_due(store, mail_settings, organization_id=brand.caller.organization_id)

    mails = inbox.wait_for(address, 3)
    subjects = [m["Subject"] for m in mails]
    assert "New terms to accept in Test program" in subjects
    terms = next(m for m in mails if m["Subject"] == "New terms to accept in Test program")
    assert 'version 2 of your contract "Standard"' in body(terms)
    assert "/portal/contract" in body(terms)
    [paid] = [m for m in mails if m["Subject"].startswith("Payout sent")]
    assert paid["Subject"] == "Payout sent: $32.50 from Test program"  # 13 % of 250
    assert "for 1 commission" in body(paid)
    assert len(mails) == 3  # welcome, terms, payout


def test_a_failing_postback_endpoint_is_told_once_a_day(store, clock, smtp, mail_settings):
    inbox, _ = smtp
    # deliveries are taken by whoever runs deliver_due when they are due: ten years on, no
    # other test's worker (and its receiver that answers 200) reaches these
    clock.advance(timedelta(days=3650))
    brand = make_brand(store)
    made, address = new_partner(brand)
    from accord.tracking.service import create_link
    from tests.factories import TestPartner

    code = create_link(store, brand.caller, brand.program_id, partner_id=made.partner.id).code
    partner = TestPartner(made.partner.id, made.api_key, authenticate(store, made.api_key), code)
    endpoint = register(partner, store, "https://hooks.partner.example/pb?token=secret-token")
    receiver = Receiver(*([503] * 40))
    for _ in range(2):  # two deliveries given up on the same day: one mail
        convert(brand, click_id=click(brand, partner))
    events_settled(store, brand.caller.organization_id)
    for _ in range(16):  # past the retries' 72 hours
        deliver_due(store, receiver, clock.now(), resolve=public)
        clock.advance(timedelta(hours=6))
    assert [d.status for d in deliveries(store, endpoint.id)] == ["failed", "failed"]
    partner_org = made.partner.organization_id
    events_settled(store, partner_org)
    assert send_due(store, mail_settings, organization_id=partner_org).sent == 1
    failing = [m for m in inbox.wait_for(address) if "postback" in m["Subject"]]
    assert len(failing) == 1
    assert failing[0]["Subject"] == "Your postback endpoint at hooks.partner.example is failing"
    text = body(failing[0])
    assert "The last answer was HTTP 503." in text and "secret-token" not in text


def test_without_a_server_mail_waits_and_leaves_once_one_is_set_up(store, clock, smtp):
    inbox, port = smtp
    brand = make_brand(store)
    _, address = new_partner(brand)
    events_settled(store, brand.caller.organization_id)
    org = brand.caller.organization_id
    run = send_due(store, Settings(smtp_host=None), organization_id=org)
    assert run.waiting_for_server and run.sent == 0
    [row] = outbox(brand)
    assert row.status == "waiting" and "Welcome" in row.subject and "Lina Reviews" in row.text

    server = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False,
                      mail_from="Accord <mail@brand.example>")  # fmt: skip
    assert send_due(store, server, organization_id=org).sent == 1
    assert inbox.wait_for(address)
    assert send_due(store, server, organization_id=org).sent == 0  # sent once


class Refusing:
    """A server that refuses every recipient, as a mailer reports it."""

    configured = True

    def __init__(self) -> None:
        self.tries = 0

    def send_each(self, mails):
        self.tries += len(mails)
        return ["refused: 550 mailbox unavailable"] * len(mails)


def test_a_refused_mail_is_tried_again_then_given_up_and_can_be_sent_again(store, clock):
    brand = make_brand(store)
    new_partner(brand)
    events_settled(store, brand.caller.organization_id)
    org = brand.caller.organization_id
    refusing = Refusing()
    for delay in RETRY_DELAYS:
        run = send_due(store, Settings(), mailer=refusing, organization_id=org)
        assert run.retrying == 1
        assert send_due(store, Settings(), mailer=refusing, organization_id=org).retrying == 0
        clock.advance(delay)
    run = send_due(store, Settings(), mailer=refusing, organization_id=org)
    assert run.failed == 1 and refusing.tries == len(RETRY_DELAYS) + 1
    [row] = outbox(brand)
    assert row.status == "failed" and row.last_error == "refused: 550 mailbox unavailable"
    send_again(store, brand.caller, row.id)
    [row] = outbox(brand)
    assert (row.status, row.attempts) == ("waiting", 0)


def test_a_notice_is_written_once_however_often_its_event_is_handled(store, clock):
    brand = make_brand(store)
    made, _ = new_partner(brand)
    events_settled(store, brand.caller.organization_id)
    from accord.notices.subscribers import approved

    clock.advance(timedelta(days=1))  # approved again, later: a second event
    event = PartnerApproved(
        organization_id=brand.caller.organization_id, program_id=brand.program_id,
        occurred_at=store.clock.now(), partner_id=made.partner.id,
        enrollment_id=made.enrollment.id, status_before=None, status="approved",
    )  # fmt: skip
    with store.unit() as session:
        approved(session, event)
        approved(session, event)
    with store.unit() as session:
        approved(session, event)
    with store.read() as session:
        mine = session.query(OutboxMail).filter(OutboxMail.organization_id == event.organization_id)
        assert mine.count() == 2  # the welcome when added, and this event's, once


@pytest.mark.parametrize(
    "value", ["not an address", "a@b", "x" * 401 + "@l.example", "a@b.c\r\nBcc: x@y.z"]
)
def test_a_program_sender_must_be_one_address(store, value):
    from accord.errors import InvalidInput

    brand = make_brand(store)
    with pytest.raises(InvalidInput) as refused:
        set_mail_from(store, brand.caller, brand.program_id, value)
    assert refused.value.field == "mail_from"
