"""The partner portal over HTTP: sign up, apply, accept terms, make links, see earnings and
why, payouts, payout method and postbacks; and what one partner may never see."""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from accord.commissions.service import approve, lock_due
from accord.contracts.service import add_version
from accord.contracts.terms import RuleSpec
from accord.partners.service import set_enrollment_status
from accord.payouts.service import run_batch
from accord.programs.service import update_program
from accord.tenancy.service import create_user
from tests.factories import add_partner, click, convert, make_brand
from tests.web.conftest import PASSWORD, csrf_of, sign_in, unique_email

FORM = {"content-type": "application/x-www-form-urlencoded"}


def form(**fields: str) -> str:
    from urllib.parse import urlencode

    return urlencode(fields)


def sign_up(client, *, name="Lena Reviews", email=None, password=PASSWORD, **extra):
    """Sign up through the page as a browser would; returns the response and the email."""
    email = email or unique_email("partner")
    page = client.get("/portal/signup")
    assert page.status_code == 200
    fields = {
        "csrf": csrf_of(page.text),
        "name": name,
        "email": email,
        "password": password,
        "partner_type": "content",
        "website": "lena.example",
        "country": "de",
        **extra,
    }
    return client.post("/portal/signup", content=form(**fields), headers=FORM), email


@pytest.fixture
def listed(store):
    """A brand whose program is listed for applications."""
    brand = make_brand(store, locking_days=0)
    update_program(
        store,
        brand.caller,
        brand.program_id,
        {"listed": True, "description": "Headphones for travellers.\nReviews welcome."},
    )
    return brand


def _partner_caller(store, email):
    from sqlalchemy import select

    from accord.partners.tables import Partner
    from accord.tenancy.model import Caller, OrganizationKind
    from accord.tenancy.tables import User

    with store.read() as session:
        org = session.scalar(select(User.organization_id).where(User.email == email))
        partner_id = session.scalar(select(Partner.id).where(Partner.organization_id == org))
    return Caller(org, OrganizationKind.PARTNER, partner_id)


def test_a_partner_signs_up_applies_is_approved_and_makes_a_deep_link(client, store, listed):
    response, email = sign_up(client)
    assert response.status_code == 303
    assert response.headers["location"] == "/portal/programs?welcome=1"
    programs = client.get("/portal/programs?welcome=1")
    assert "Your account is ready" in programs.text
    assert "Headphones for travellers." in programs.text  # the brand's description
    token = csrf_of(programs.text)

    applied = client.post(
        f"/portal/programs/{listed.program_id}/apply",
        content=form(csrf=token, note="I review travel gear on my blog."),
        headers=FORM,
    )
    assert applied.status_code == 303 and "applied=applied" in applied.headers["location"]
    home = client.get("/portal")
    assert "waiting for their review" in home.text
    assert client.get(f"/portal/links?program={listed.program_id}").status_code == 200
    again = client.post(
        f"/portal/programs/{listed.program_id}/apply", content=form(csrf=token), headers=FORM
    )
    assert again.status_code == 409 and "already applied" in again.text

    caller = _partner_caller(store, email)
    set_enrollment_status(store, listed.caller, listed.program_id, caller.partner_id, "approved")
    made = client.post(
        "/portal/links",
        content=form(csrf=token, program=listed.program_id, code=f"lena-{caller.partner_id[-6:]}"),
        headers=FORM,
    )
    assert made.status_code == 303
    code = parse_qs(urlsplit(made.headers["location"]).query)["made"][0]
    built = client.get(
        f"/portal/links?program={listed.program_id}&link={code}&url=/products/42&sub1=yt&sub2=ep9"
    )
    match = re.search(r'<code id="built-url">([^<]+)</code>', built.text)
    assert match is not None
    url = match.group(1).replace("&amp;", "&")
    assert url.startswith(f"http://testserver/c/{code}?")
    assert parse_qs(urlsplit(url).query) == {
        "url": ["/products/42"],
        "sub1": ["yt"],
        "sub2": ["ep9"],
    }
    assert "https://brand.example/products/42" in built.text  # where visitors land
    elsewhere = client.get(
        f"/portal/links?program={listed.program_id}&link={code}&url=https://evil.example/x"
    )
    assert "not on the brand's permitted sites" in elsewhere.text
    # With a tracking domain configured (ACCORD_PUBLIC_URL), links are built on it.
    client.app.settings.public_url = "https://go.brand.example/"
    on_domain = client.get(f"/portal/links?program={listed.program_id}&link={code}&sub1=yt")
    assert f"https://go.brand.example/c/{code}?sub1=yt" in on_domain.text


def test_sign_up_names_what_is_wrong_and_keeps_what_was_typed(client):
    response, _ = sign_up(client, name="Kai Deals", password="short")
    assert response.status_code == 422
    assert "use at least 10 characters" in response.text
    assert 'value="Kai Deals"' in response.text  # nothing typed is lost
    assert 'name="password" required' in response.text and "short" not in response.text
    bad_site, _ = sign_up(client, website="not a site")
    assert bad_site.status_code == 422 and "is not a web address" in bad_site.text
    first, email = sign_up(client)
    assert first.status_code == 303
    client.cookies.clear()
    taken, _ = sign_up(client, email=email)
    assert taken.status_code == 422 and "already exists" in taken.text
    page = client.get("/portal/signup")
    forged = client.post(
        "/portal/signup",
        content=form(
            csrf="forged", name="X", email=unique_email("x"), password=PASSWORD, partner_type="c"
        ),
        headers=FORM,
    )
    assert page.status_code == 200 and forged.status_code == 403


def test_a_program_that_approves_partners_at_once_gives_links_straight_away(client, store, listed):
    update_program(store, listed.caller, listed.program_id, {"auto_approve_partners": True})
    sign_up(client)
    token = csrf_of(client.get("/portal/programs").text)
    applied = client.post(
        f"/portal/programs/{listed.program_id}/apply", content=form(csrf=token), headers=FORM
    )
    assert "applied=approved" in applied.headers["location"]
    made = client.post(
        "/portal/links", content=form(csrf=token, program=listed.program_id), headers=FORM
    )
    assert made.status_code == 303


def test_unlisted_programs_are_neither_shown_nor_open_to_applications(client, store):
    hidden = make_brand(store)
    sign_up(client)
    page = client.get("/portal/programs")
    assert hidden.program_id not in page.text
    refused = client.post(
        f"/portal/programs/{hidden.program_id}/apply",
        content=form(csrf=csrf_of(page.text)),
        headers=FORM,
    )
    assert refused.status_code == 404


def _earning_partner(store, client, brand):
    """A portal partner in `brand` with one commission (after a click) and a paid payout."""
    response, email = sign_up(client)
    assert response.status_code == 303
    caller = _partner_caller(store, email)
    token = csrf_of(client.get("/portal/programs").text)
    client.post(
        f"/portal/programs/{brand.program_id}/apply", content=form(csrf=token), headers=FORM
    )
    set_enrollment_status(store, brand.caller, brand.program_id, caller.partner_id, "approved")
    made = client.post(
        "/portal/links", content=form(csrf=token, program=brand.program_id), headers=FORM
    )
    code = parse_qs(urlsplit(made.headers["location"]).query)["made"][0]
    return email, caller, code, token


def test_the_partner_sees_its_earning_why_and_its_statement(client, store, listed):
    from tests.factories import TestPartner

    _email, caller, code, _token = _earning_partner(store, client, listed)
    partner = TestPartner(caller.partner_id, "", caller, code)
    recorded = convert(
        listed,
        order_id="ORD-PORTAL-1",
        amount="120.00",
        click_id=click(listed, partner),
        customer_id="cust-secret-77",
        email_sha256="a" * 64,
        ip="198.51.100.23",
    )
    commission_id = recorded.commission_ids[0]
    home = client.get(f"/portal?program={listed.program_id}")
    assert home.status_code == 200
    assert "$12.00" in home.text  # 10% of 120.00, pending
    assert 'id="trend-data"' in home.text
    earnings = client.get(f"/portal/commissions?program={listed.program_id}")
    assert "ORD-PORTAL-1" in earnings.text
    assert f"/portal/commissions/{commission_id}" in earnings.text
    export = client.get(f"/portal/commissions.csv?program={listed.program_id}").text
    assert export.splitlines()[0].startswith("commission_id,order_id,kind,event_type,status")
    assert "ORD-PORTAL-1" in export and "cust-secret-77" not in export
    why = client.get(f"/portal/commissions/{commission_id}")
    assert why.status_code == 200 and "120.00 x 10% = 12.00 USD" in why.text
    for secret in ("cust-secret-77", "a" * 64, "198.51.100.23"):
        for page in (home, earnings, why):
            assert secret not in page.text  # the brand's customers stay the brand's

    lock_due(store, listed.caller, listed.program_id)
    approve(store, listed.caller, listed.program_id, [commission_id])
    batch = run_batch(store, listed.caller, listed.program_id)
    payout_id = batch.payouts[0].id
    payouts = client.get(f"/portal/payouts?program={listed.program_id}")
    assert f"/portal/payouts/{payout_id}/statement.pdf" in payouts.text
    exported = client.get(f"/portal/payouts.csv?program={listed.program_id}").text
    assert payout_id in exported and ",12.00,USD," in exported
    pdf = client.get(f"/portal/payouts/{payout_id}/statement.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_a_partner_never_sees_another_partners_data(client, store, listed):
    other = add_partner(listed)
    theirs = convert(listed, order_id="THEIRS-1", amount="300.00", click_id=click(listed, other))
    lock_due(store, listed.caller, listed.program_id)
    approve(store, listed.caller, listed.program_id, theirs.commission_ids)
    their_payout = run_batch(store, listed.caller, listed.program_id).payouts[0].id
    with store.read() as session:
        from sqlalchemy import select

        from accord.tracking.tables import Link

        their_link = session.scalar(select(Link.code).where(Link.partner_id == other.id))

    _earning_partner(store, client, listed)
    assert client.get(f"/portal/commissions/{theirs.commission_ids[0]}").status_code == 404
    assert client.get(f"/portal/payouts/{their_payout}/statement.pdf").status_code == 404
    assert their_payout not in client.get(f"/portal/payouts.csv?program={listed.program_id}").text
    for path in (
        f"/portal?program={listed.program_id}",
        f"/portal/commissions?program={listed.program_id}",
        f"/portal/payouts?program={listed.program_id}",
        f"/portal/links?program={listed.program_id}&link={their_link}",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        assert "THEIRS-1" not in page.text and f"/c/{their_link}" not in page.text, path
        assert "$30.00" not in page.text, path  # their commission
    # brand-only pages stay closed
    for path in (
        f"/console/partners?program={listed.program_id}",
        f"/console/commissions?program={listed.program_id}",
        f"/console/conversions?program={listed.program_id}",
        f"/console/payouts?program={listed.program_id}",
    ):
        assert client.get(path).status_code == 403, path
    assert client.get("/console").headers["location"] == "/portal"
    # and the program's brand-only settings are not on any portal page
    contract = client.get(f"/portal/contract?program={listed.program_id}")
    assert contract.status_code == 200 and "platform_fee" not in contract.text


def test_new_terms_wait_for_acceptance_and_are_accepted_in_the_portal(client, store, listed):
    _email, _caller, _code, token = _earning_partner(store, client, listed)
    version = add_version(
        store,
        listed.caller,
        listed.contract_id,
        [RuleSpec(event_type="sale", percent=Decimal("12"), name="Sales, raised")],
        requires_acceptance=True,
    )
    home = client.get(f"/portal?program={listed.program_id}")
    assert "New terms need your acceptance" in home.text and version.id in home.text
    terms = client.get(f"/portal/contract?program={listed.program_id}")
    assert "Sales, raised" in terms.text and "12" in terms.text
    accepted = client.post(
        f"/portal/programs/{listed.program_id}/accept",
        content=form(csrf=token, version_id=version.id),
        headers=FORM,
    )
    assert accepted.status_code == 303 and accepted.headers["location"].endswith("accepted=1")
    after = client.get(accepted.headers["location"])
    assert "you accepted the new terms" in after.text
    assert "New terms need your acceptance" not in after.text


def test_payout_method_and_postbacks_are_set_in_the_portal(client, store, listed):
    _email, _caller, _code, token = _earning_partner(store, client, listed)
    bad = client.post(
        "/portal/settings/payout-method",
        content=form(csrf=token, method="sepa", iban="DE00 1234"),
        headers=FORM,
    )
    assert bad.status_code == 422 and "iban" in bad.text and "not a valid IBAN" in bad.text
    saved = client.post(
        "/portal/settings/payout-method",
        content=form(csrf=token, method="sepa", iban="DE89 3704 0044 0532 0130 00", currency="EUR"),
        headers=FORM,
    )
    assert saved.status_code == 303
    settings = client.get("/portal/settings?saved=payout")
    assert "DE89 **** 3000" in settings.text and "DE89370400440532013000" not in settings.text
    private = client.post(
        "/portal/settings/postbacks",
        content=form(csrf=token, url="http://127.0.0.1/pb?cid={click_id}"),
        headers=FORM,
    )
    assert private.status_code in (400, 422) and "127.0.0.1" in private.text
    forged = client.post(
        "/portal/settings/postbacks",
        content=form(csrf="nope", url="https://93.184.215.14/pb?cid={click_id}"),
        headers=FORM,
    )
    assert forged.status_code == 403


def test_brand_users_are_sent_to_the_console_and_strangers_to_sign_in(client, store, listed):
    assert client.get("/portal").headers["location"] == "/portal/login?next=/portal"
    email = unique_email("pm")
    create_user(store, listed.caller.organization_id, email, PASSWORD)

    sign_in(client, email)
    assert client.get("/portal/commissions").headers["location"] == "/console"


def test_the_portal_speaks_chinese(client, store, listed):
    sign_up(client)
    page = client.get("/portal/programs", headers={"accept-language": "zh-CN,zh;q=0.9"})
    assert "申请" in page.text and 'lang="zh-Hans"' in page.text


def test_the_brand_reviews_an_application_on_the_partners_profile(client, store, listed):

    _response, partner_email = sign_up(client, name="Mia Travels")
    token = csrf_of(client.get("/portal/programs").text)
    client.post(
        f"/portal/programs/{listed.program_id}/apply",
        content=form(csrf=token, note="Weekly travel newsletter, 40k readers."),
        headers=FORM,
    )
    partner_id = _partner_caller(store, partner_email).partner_id
    client.cookies.clear()
    email = unique_email("pm")
    create_user(store, listed.caller.organization_id, email, PASSWORD)
    sign_in(client, email)
    dashboard = client.get(f"/console?program={listed.program_id}")
    assert f"/console/partners?program={listed.program_id}&status=applied" in dashboard.text
    waiting = client.get(f"/console/partners?program={listed.program_id}&status=applied")
    assert "Mia Travels" in waiting.text
    profile = client.get(f"/console/partners/{partner_id}?program={listed.program_id}")
    assert profile.status_code == 200
    assert "Weekly travel newsletter, 40k readers." in profile.text
    assert "https://lena.example" in profile.text  # the website given at sign-up
    approved = client.post(
        f"/console/partners/{partner_id}/status",
        content=form(csrf=csrf_of(profile.text), program=listed.program_id, status="approved"),
        headers=FORM,
    )
    assert approved.status_code == 303
    after = client.get(approved.headers["location"])
    assert 'class="status approved"' in after.text and "Suspend Mia Travels" in after.text

    # suspending asks why (the partner reads it), then takes effect
    csrf = csrf_of(after.text)
    silent = client.post(
        f"/console/partners/{partner_id}/status",
        content=form(csrf=csrf, program=listed.program_id, status="suspended", reason="  "),
        headers=FORM,
    )
    asked = client.get(silent.headers["location"])
    assert "Say why: the partner reads the reason in the portal." in asked.text
    assert 'class="status approved"' in asked.text  # nothing changed
    reason = "Paid search on our brand name, which the terms forbid."
    suspended = client.post(
        f"/console/partners/{partner_id}/status",
        content=form(csrf=csrf, program=listed.program_id, status="suspended", reason=reason),
        headers=FORM,
    )
    shown = client.get(suspended.headers["location"])
    assert 'class="status suspended"' in shown.text and reason in shown.text
    client.cookies.clear()
    sign_in(client, partner_email)
    programs = client.get("/portal/programs", headers={"accept-language": "zh-CN"})
    assert "品牌给出的原因" in programs.text and reason in programs.text
    client.cookies.clear()
    sign_in(client, email)
    assert (
        client.get(f"/console/partners/prt_nobody?program={listed.program_id}").status_code == 404
    )


def test_a_partner_key_reads_programs_without_the_brands_settings(store, listed):
    from starlette.testclient import TestClient

    from accord.server import AccordApp
    from accord.settings import Settings

    partner = add_partner(listed)
    with TestClient(AccordApp(store, Settings())) as api:
        mine = api.get("/api/v1/programs", headers={"authorization": f"Bearer {partner.api_key}"})
        theirs = api.get("/api/v1/programs", headers={"authorization": f"Bearer {listed.api_key}"})
    assert mine.status_code == 200 and [p["id"] for p in mine.json()] == [listed.program_id]
    seen = mine.json()[0]
    for brand_only in ("platform_fee_percent", "auto_approve", "locking_days", "listed",
                       "auto_approve_partners", "payout_schedule", "lock_policy"):  # fmt: skip
        assert brand_only not in seen
        assert brand_only in theirs.json()[0]
    assert seen["description"].startswith("Headphones for travellers.")


def test_applications_through_the_api_name_what_is_wrong(store, listed):
    from starlette.testclient import TestClient

    from accord.server import AccordApp
    from accord.settings import Settings

    brand_key = {"authorization": f"Bearer {listed.api_key}"}
    with TestClient(AccordApp(store, Settings())) as api:
        assert api.get("/api/v1/listed-programs", headers=brand_key).status_code == 403
        refused = api.post(
            "/api/v1/applications", json={"program_id": listed.program_id}, headers=brand_key
        )
        assert refused.status_code == 403 and "brands add partners" in refused.text
        partner = add_partner(listed)
        wrong = api.put(
            f"/api/v1/programs/{listed.program_id}/partners/{partner.id}/status",
            json={"status": "maybe"},
            headers=brand_key,
        )
        assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "status"
        unknown = api.put(
            f"/api/v1/programs/{listed.program_id}/partners/prt_x/status",
            json={"status": "maybe"},
            headers=brand_key,
        )
        assert unknown.status_code == 404  # the path's objects are checked first
        waiting = api.get(f"/api/v1/programs/{listed.program_id}/applications", headers=brand_key)
        assert waiting.status_code == 200 and waiting.json() == []


def test_sign_ups_from_one_address_are_limited_per_hour(client):
    for _ in range(20):
        made, _email = sign_up(client)
        assert made.status_code == 303
        client.cookies.clear()
    refused, _ = sign_up(client)
    assert refused.status_code == 429 and "Too many accounts" in refused.text


def test_partners_sign_in_on_a_page_of_their_own_and_come_back_to_the_portal(client):
    """`/portal` leads a stranger to the partners' sign-in, worded for partners in their
    language; signing in there leads to the page asked for, and signing out back to it."""
    _, email = sign_up(client)
    portal = client.get("/portal")
    out = client.post("/console/logout", content=form(csrf=csrf_of(portal.text)), headers=FORM)
    assert out.headers["location"] == "/portal/login"
    client.cookies.clear()
    asked = client.get("/portal/commissions")
    assert asked.headers["location"] == "/portal/login?next=/portal/commissions"
    page = client.get(asked.headers["location"], headers={"accept-language": "zh-CN"})
    assert page.status_code == 200 and "合作伙伴登录" in page.text
    assert 'name="next" value="/portal/commissions"' in page.text
    elsewhere = client.get("/portal/login?next=/console/payouts")
    assert 'name="next" value="/portal"' in elsewhere.text  # the portal's page leads only there
    assert "Partner sign-in" in elsewhere.text and "Sign in to Accord" not in elsewhere.text
    signed = client.post(
        "/console/login",
        content=form(csrf=csrf_of(elsewhere.text), email=email, password=PASSWORD,
                     next="/portal/commissions"),
        headers=FORM,
    )  # fmt: skip
    assert signed.headers["location"] == "/portal/commissions"
    assert client.get("/portal/login").headers["location"] == "/portal"


def test_the_partners_earnings_and_export_carry_the_sub_ids_of_its_links(client, store, listed):
    """The sub-ids a partner put on its link come back beside each order it earned on, in the
    page and in the export, as the link builder promises."""
    from accord.tracking.model import new_click_id
    from accord.tracking.service import click_row, link_target, record_clicks

    _email, caller, code, _token = _earning_partner(store, client, listed)
    with store.read() as session:
        target = link_target(session, code)
    tagged = new_click_id()
    record_clicks(store, [click_row(target, tagged, store.clock.now(), "203.0.113.4", "pytest",
                                    None, subs={"sub1": "yt", "sub3": "ep9"})])  # fmt: skip
    convert(listed, order_id="ORD-SUB-1", amount="50.00", click_id=tagged)
    convert(listed, order_id="ORD-SUB-2", amount="60.00",
            click_id=click(listed, _partner_of(caller, code)))  # fmt: skip
    earnings = client.get(f"/portal/commissions?program={listed.program_id}").text
    row = earnings[earnings.index("ORD-SUB-1") :].split("</tr>", 1)[0]
    assert "sub1: yt" in row and "sub3: ep9" in row and "sub2" not in row
    export = client.get(f"/portal/commissions.csv?program={listed.program_id}").text.splitlines()
    assert export[0].endswith(",sub1,sub2,sub3,sub4,sub5")
    [tagged_line] = [line for line in export if "ORD-SUB-1" in line]
    assert tagged_line.endswith(",yt,,ep9,,")
    [plain_line] = [line for line in export if "ORD-SUB-2" in line]
    assert plain_line.endswith(",,,,,")


def _partner_of(caller, code):
    from tests.factories import TestPartner

    return TestPartner(caller.partner_id, "", caller, code)


def test_a_partner_tests_its_postback_and_reads_each_calls_answer(store, listed):
    """ "Send a test" calls the partner's server at once, signed, with a made-up commission,
    and says what came back; the delivery log lists real calls with their attempts."""
    import warnings

    from accord.postbacks.service import deliver_due, register_endpoint
    from accord.postbacks.worker import HttpSender, http_client
    from accord.server import AccordApp
    from accord.settings import Settings
    from tests.factories import events_settled
    from tests.receivers import running

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    app = AccordApp(store, Settings(postback_allow_private=True))
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client, \
            running(500, 200) as server:  # fmt: skip
        _email, caller, code, _token = _earning_partner(store, client, listed)
        url = f"http://127.0.0.1:{server.port}/pb?order={{order_id}}&s={{sub1}}"
        endpoint = register_endpoint(store, caller, url=url, allow_private=True)
        page = client.get("/portal/settings")
        assert "Send a test" in page.text and "No call yet" in page.text
        csrf = csrf_of(page.text)
        failed = client.post(f"/portal/settings/postbacks/{endpoint.id}/test",
                             content=form(csrf=csrf), headers=FORM)  # fmt: skip
        assert failed.status_code == 200 and "Your server answered 500" in failed.text
        passed = client.post(f"/portal/settings/postbacks/{endpoint.id}/test",
                             content=form(csrf=csrf), headers=FORM)  # fmt: skip
        assert "The test reached your server: it answered 200." in passed.text
        path, headers, body = server.received[-1]
        assert path.startswith("/pb?order=TEST-") and path.endswith("&s=test")
        assert b'"commission_id":"test_commission"' in body and headers.get("webhook-signature")

        partner = _partner_of(caller, code)
        convert(listed, order_id="ORD-PB-1", amount="80.00", click_id=click(listed, partner))
        events_settled(store, listed.caller.organization_id)  # the delivery is enqueued
        server.answers = [503]
        with http_client() as http:
            deliver_due(store, HttpSender(http), store.clock.now(), allow_private=True)
        log = client.get("/portal/settings", headers={"accept-language": "zh-CN"}).text
        assert "发送记录" in log and "HTTP 503" in log and "待重试" in log

        client.cookies.clear()
        other = _earning_partner(store, client, listed)[1]
        theirs = register_endpoint(store, other, url=url, allow_private=True)
        client.cookies.clear()
        sign_in(client, _email)
        csrf = csrf_of(client.get("/portal/settings").text)
        stranger = client.post(f"/portal/settings/postbacks/{theirs.id}/test",
                               content=form(csrf=csrf), headers=FORM)  # fmt: skip
        assert stranger.status_code == 404
        # pressed again and again, the button stops calling the partner's server
        for _ in range(8):
            client.post(f"/portal/settings/postbacks/{endpoint.id}/test",
                        content=form(csrf=csrf), headers=FORM)  # fmt: skip
        calls = len(server.received)
        slowed = client.post(f"/portal/settings/postbacks/{endpoint.id}/test",
                             content=form(csrf=csrf), headers=FORM)  # fmt: skip
        assert slowed.status_code == 429 and "Too many tests in a row" in slowed.text
        assert len(server.received) == calls
