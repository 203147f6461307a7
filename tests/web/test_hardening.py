"""Bad or hostile input to the pages gets a clear refusal, never a crash or a leak."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from accord.contracts.service import add_version
from accord.errors import Conflict
from accord.jobs import service as jobs
from accord.partners.service import set_enrollment_status
from accord.programs.service import update_program
from accord.tenancy.service import create_user
from tests.factories import make_brand
from tests.web.conftest import PASSWORD, csrf_of, sign_in, unique_email
from tests.web.test_portal import _partner_caller, sign_up
from tests.web.test_setup_pages import signed_in  # noqa: F401 (a fixture)

FORM = {"content-type": "application/x-www-form-urlencoded"}


def test_pages_refuse_to_be_framed(client, signed_in):  # noqa: F811
    page = client.get("/console")
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_a_non_ascii_csrf_token_is_refused_not_a_crash(client, signed_in):  # noqa: F811
    refused = client.post(
        "/console/api-keys", content=urlencode({"csrf": "ключ", "name": "x"}), headers=FORM
    )
    assert refused.status_code == 403
    client.cookies.clear()
    client.get("/console/login")
    login = client.post(
        "/console/login", content=urlencode({"csrf": "ключ", "email": "a@b.example"}), headers=FORM
    )
    assert login.status_code == 403


def test_oversized_forms_and_uploads_are_refused(client, signed_in, monkeypatch):  # noqa: F811
    from accord.web import jobs_pages

    huge = client.post(
        "/console/api-keys", content=b"name=" + b"x" * (1024 * 1024 + 1), headers=FORM
    )
    assert huge.status_code == 413 and "larger than" in huge.text
    monkeypatch.setattr(jobs_pages, "MAX_UPLOAD", 100)
    page = client.get(f"/console/imports?program={signed_in.program_id}")
    upload = client.post(
        "/console/imports/conversions",
        data={"csrf": csrf_of(page.text), "program": signed_in.program_id},
        files={"file": ("big.csv", b"order_id,currency\n" + b"A,USD\n" * 50, "text/csv")},
    )
    assert upload.status_code == 413 and "split it" in upload.text


def test_absurd_paging_and_long_names_are_refused_or_capped(client, signed_in):  # noqa: F811
    page = client.get(f"/console/links?program={signed_in.program_id}&page={10**19}")
    assert page.status_code == 200
    client.cookies.clear()
    long, _ = sign_up(client, name="N" * 201)
    assert long.status_code == 422 and "under 200 characters" in long.text


def test_one_brand_has_a_few_jobs_at_once(store):
    brand = make_brand(store)  # no worker runs here: the jobs stay queued
    started = [
        jobs.start(store, brand.caller, "sleep", {"seconds": 0})
        for _ in range(jobs.PER_ORGANIZATION)
    ]
    with pytest.raises(Conflict, match="still waiting or running"):
        jobs.start(store, brand.caller, "sleep", {"seconds": 0})
    other = make_brand(store)  # another brand is not held up by this one's limit
    jobs.start(store, other.caller, "sleep", {"seconds": 0})
    assert len(started) == jobs.PER_ORGANIZATION


def test_a_brand_sees_only_acceptances_of_its_own_contract(client, store):
    first, second = make_brand(store), make_brand(store)
    for brand in (first, second):
        update_program(store, brand.caller, brand.program_id, {"listed": True})
    _response, email = sign_up(client)
    token = csrf_of(client.get("/portal/programs").text)
    partner = _partner_caller(store, email)
    for brand in (first, second):
        client.post(
            f"/portal/programs/{brand.program_id}/apply", content=f"csrf={token}", headers=FORM
        )
        set_enrollment_status(store, brand.caller, brand.program_id, partner.partner_id, "approved")
    version = add_version(
        store, first.caller, first.contract_id, {"rules": [{"event_type": "sale", "percent": "9"}]},
        requires_acceptance=True,
    )  # fmt: skip
    accepted = client.post(
        f"/portal/programs/{first.program_id}/accept",
        content=f"csrf={token}&version_id={version.id}",
        headers=FORM,
    )
    assert accepted.status_code == 303
    client.cookies.clear()
    manager = unique_email("pm")
    create_user(store, second.caller.organization_id, manager, PASSWORD)
    sign_in(client, manager)
    profile = client.get(f"/console/partners/{partner.partner_id}?program={second.program_id}")
    assert profile.status_code == 200 and "accepted version" not in profile.text


def test_behind_a_trusted_proxy_the_throttle_counts_each_visitor_on_its_own(store):
    from starlette.testclient import TestClient

    from accord.server import AccordApp
    from accord.settings import Settings

    brand = make_brand(store)
    email = unique_email("pm")
    create_user(store, brand.caller.organization_id, email, PASSWORD)
    app = AccordApp(store, Settings(trusted_proxies=["testclient"]))
    with TestClient(app, follow_redirects=False) as proxy:
        for _ in range(10):
            proxy.headers["x-forwarded-for"] = "198.51.100.7"
            assert sign_in(proxy, email, "wrong password!").status_code == 401
        assert sign_in(proxy, email).status_code == 429  # this visitor waits
        proxy.headers["x-forwarded-for"] = "203.0.113.8"
        assert sign_in(proxy, email).status_code == 303  # another visitor does not
