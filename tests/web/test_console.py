"""Signing in to the console, sessions and CSRF, languages, and the dashboard's figures."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import add_partner, click, convert
from tests.web.conftest import PASSWORD, csrf_of, sign_in, unique_email

FORM = {"content-type": "application/x-www-form-urlencoded"}


def test_a_signed_out_visitor_is_sent_to_sign_in_and_back(client, manager):
    response = client.get("/console?program=x")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login?next=/console%3Fprogram%3Dx"


def test_signing_in_sets_a_safe_session_cookie_and_shows_the_dashboard(client, manager):
    brand, _ = manager
    partner = add_partner(brand)
    convert(brand, amount="250.00", click_id=click(brand, partner))

    response = sign_in(client, manager[1].email)
    assert response.status_code == 303 and response.headers["location"] == "/console"
    cookie = next(
        h for h in response.headers.get_list("set-cookie") if h.startswith("accord_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie

    page = client.get("/console")
    assert page.status_code == 200
    html = page.text
    assert "Test program" in html
    assert "$250.00" in html  # revenue
    assert "$25.00" in html  # commissions: 10% for a new customer
    assert 'id="trend"' in html and "trend-data" in html
    assert "/console/static/vendor/echarts.min.js" in html
    assert client.get("/console/static/vendor/echarts.min.js").status_code == 200


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client, manager):
    response = sign_in(client, manager[1].email, password="not the password")
    assert response.status_code == 401
    assert "Wrong email or password" in response.text
    assert f'value="{manager[1].email}"' in response.text  # the email is kept
    assert "accord_session" not in response.headers.get("set-cookie", "")
    assert sign_in(client, unique_email("nobody")).status_code == 401


def test_sign_in_without_the_forms_token_is_refused(client, manager):
    response = client.post(
        "/console/login", content=f"email={manager[1].email}&password={PASSWORD}", headers=FORM
    )
    assert response.status_code == 403
    assert "expired" in response.text


def test_signing_out_needs_the_sessions_csrf_token(client, manager):
    sign_in(client, manager[1].email)
    refused = client.post("/console/logout", content="csrf=forged", headers=FORM)
    assert refused.status_code == 403
    assert client.get("/console").status_code == 200  # still signed in
    token = csrf_of(client.get("/console").text)
    out = client.post("/console/logout", content=f"csrf={token}", headers=FORM)
    assert out.status_code == 303
    assert client.get("/console").status_code == 303  # the session is gone


def test_a_session_ends_after_twelve_idle_hours(client, manager, store):
    sign_in(client, manager[1].email)
    assert client.get("/console").status_code == 200
    store.clock.advance(timedelta(hours=12, minutes=1))
    assert client.get("/console").status_code == 303


def test_the_next_page_after_sign_in_stays_on_this_site(client, manager):
    page = client.get("/console/login?next=//evil.example/")
    assert 'name="next" value="/console"' in page.text


def test_the_dashboard_speaks_chinese_by_browser_or_by_choice(client, manager):
    sign_in(client, manager[1].email)
    chinese = client.get("/console", headers={"accept-language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert "待处理" in chinese.text and "点击" in chinese.text
    assert '<html lang="zh-Hans">' in chinese.text
    switched = client.get("/console/language/en?next=/console")
    assert switched.status_code == 303
    english = client.get("/console", headers={"accept-language": "zh-CN"})
    assert "Needs attention" in english.text  # the visitor's choice wins over the browser


def test_a_partner_user_is_not_shown_the_brand_console(client, manager, store):
    from accord.tenancy.service import authenticate, create_user

    brand, _ = manager
    partner = add_partner(brand)
    org = authenticate(store, partner.api_key).organization_id
    email = unique_email("partner")
    create_user(store, org, email, PASSWORD)
    sign_in(client, email)
    assert client.get("/console").headers["location"] == "/portal"  # a partner's home
    page = client.get(f"/console/partners?program={brand.program_id}")
    assert page.status_code == 403
    assert "This console is for brands" in page.text and 'href="/portal"' in page.text
    assert "Test program" not in page.text


def test_a_brand_without_programs_sees_how_to_start(client, store):
    from accord.tenancy.model import OrganizationKind
    from accord.tenancy.service import create_organization, create_user

    org = create_organization(store, OrganizationKind.BRAND, "New Brand")
    email = unique_email("new")
    create_user(store, org.organization_id, email, PASSWORD)
    sign_in(client, email)
    page = client.get("/console")
    assert page.status_code == 200 and "No program yet" in page.text


def test_password_guessing_is_slowed_down_per_address_and_email(client, manager):
    _brand, user = manager
    for _ in range(10):
        assert sign_in(client, user.email, "wrong password!").status_code == 401
    blocked = sign_in(client, user.email)  # even the right password must wait now
    assert blocked.status_code == 429 and "Too many wrong passwords" in blocked.text
    assert int(blocked.headers["retry-after"]) > 0
    other = unique_email("other")
    assert sign_in(client, other, "wrong password!").status_code == 401  # not this one


def test_an_address_that_leads_nowhere_is_a_page_in_the_visitors_language(client, manager):
    """Under the console or the portal, a wrong address is a page with a way home, not the
    API's JSON; the API keeps its JSON answer."""
    sign_in(client, manager[1].email)
    page = client.get("/console/no-such-page", headers={"accept-language": "zh-CN"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "页面不存在" in page.text and 'href="/console"' in page.text
    assert "no such endpoint" not in page.text
    portal = client.get("/portal/nowhere", headers={"accept-language": "en"})
    assert portal.status_code == 404 and "Page not found" in portal.text
    assert 'href="/portal"' in portal.text
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"


def test_browsers_find_the_icon_where_they_look_for_it(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert icon.text.startswith("<svg")
    assert (
        '<link rel="icon" href="/console/static/favicon.svg"' in client.get("/console/login").text
    )
