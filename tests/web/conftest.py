"""The console over HTTP: the real app, a brand with a signed-up program manager."""

from __future__ import annotations

import re
import warnings

import pytest

from accord.ids import short_code
from accord.server import AccordApp
from accord.settings import Settings
from accord.tenancy.service import create_user
from tests.factories import make_brand
from tests.monitoring.conftest import mail_settings, smtp  # noqa: F401 - fixtures

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Every test starts with no failed sign-ins, sign-ups, reset links or postback tests
    counted against it."""
    from accord.web.throttle import POSTBACK_TESTS, RESET, SIGN_IN, SIGN_UP

    for throttle in (SIGN_IN, SIGN_UP, RESET, POSTBACK_TESTS):
        throttle.reset()


@pytest.fixture
def client(store):
    with TestClient(
        AccordApp(store, Settings()), raise_server_exceptions=False, follow_redirects=False
    ) as test_client:
        yield test_client


@pytest.fixture
def manager(store):
    brand = make_brand(store)
    user = create_user(store, brand.caller.organization_id, unique_email("pm"), PASSWORD)
    return brand, user


def unique_email(who: str) -> str:
    """Emails are unique across organizations: each test makes its own."""
    return f"{who}-{short_code(8).lower()}@brand.example"


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def sign_in(client, email: str, password: str = PASSWORD):
    page = client.get("/console/login")
    return client.post(
        "/console/login",
        content=f"email={email}&password={password}&csrf={csrf_of(page.text)}&next=/console",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )


def wait_for_job(client, page_path: str, seconds: float = 60) -> str:
    """Poll a job's status fragment as the page does, until the job ends; its last HTML."""
    import time

    deadline = time.monotonic() + seconds
    while True:
        fragment = client.get(page_path.rstrip("/") + "/status").text
        if "hx-trigger" not in fragment:  # the page stops polling once the job has ended
            return fragment
        if time.monotonic() > deadline:
            raise AssertionError(f"the job at {page_path} did not end: {fragment}")
        time.sleep(0.05)
