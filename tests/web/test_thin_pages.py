"""The pages are thin: a service's refusal becomes the problem page in one place, and the
web layer runs no SQL of its own."""

from __future__ import annotations

import re
from pathlib import Path

from tests.web.conftest import csrf_of
from tests.web.test_portal import FORM, sign_up
from tests.web.test_setup_pages import settings_form, signed_in  # noqa: F401 (a fixture)

WEB = Path(__file__).parents[2] / "src" / "accord" / "web"


def _back_link(html: str) -> str:
    return re.search(r'<p><a href="([^"]*)">', html).group(1)


def test_a_refusal_in_a_console_page_is_the_problem_page(client, signed_in):  # noqa: F811
    missing = client.get("/console/commissions/com_nothing")
    assert missing.status_code == 404
    assert "That did not work" in missing.text and "com_nothing" in missing.text
    assert _back_link(missing.text) == "/console/commissions"
    assert missing.headers["x-frame-options"] == "DENY"

    page = client.get("/console/api-keys")
    revoked = client.post(
        "/console/api-keys/key_nothing/revoke", content=f"csrf={csrf_of(page.text)}", headers=FORM
    )
    assert revoked.status_code == 404 and "key_nothing" in revoked.text
    assert _back_link(revoked.text) == "/console/api-keys"


def test_a_refusal_in_a_form_page_shows_the_form_again_with_the_reason(client, signed_in):  # noqa: F811
    page = client.get("/console/settings")
    fields = settings_form(page.text, program=signed_in.program_id, locking_days="soon")
    again = client.post("/console/settings", content=fields, headers=FORM)
    assert again.status_code == 422
    assert "locking_days: must be a whole number" in again.text
    assert 'name="attribution_window_days"' in again.text  # the settings form, not a dead end


def test_a_refusal_in_a_portal_page_is_the_problem_page(client):
    signed_up, _ = sign_up(client)
    assert signed_up.status_code == 303
    missing = client.get("/portal/commissions/com_nothing")
    assert missing.status_code == 404
    assert "That did not work" in missing.text and "com_nothing" in missing.text
    assert _back_link(missing.text) == "/portal/commissions"

    page = client.get("/portal/settings")
    disabled = client.post(
        "/portal/settings/postbacks/pbe_nothing/disable",
        content=f"csrf={csrf_of(page.text)}",
        headers=FORM,
    )
    assert disabled.status_code == 404 and "pbe_nothing" in disabled.text
    assert _back_link(disabled.text) == "/portal/settings"


#: What running SQL looks like: SQLAlchemy itself, a stage's tables, or a session's queries.
SQL = re.compile(
    r"^\s*(from|import) sqlalchemy|\.tables import|from accord\.\w+ import tables\b"
    r"|\bselect\(|\bsession\.(execute|scalars?|get|add|query)\b|\bstore\.(read|unit)\(",
    re.MULTILINE,
)


def test_the_web_layer_runs_no_sql_of_its_own():
    modules = sorted(WEB.rglob("*.py"))
    assert len(modules) > 20  # the console's and the portal's page groups are found
    found = [
        f"{path.relative_to(WEB)}: {match.group(0).strip()}"
        for path in modules
        for match in SQL.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "reads go through a stage's service or a report:\n" + "\n".join(found)


def test_the_check_finds_sql_when_there_is_some():
    samples = [
        "from sqlalchemy import select",
        "from accord.partners.tables import Partner",
        "    rows = session.execute(query)",
        "    with store.read() as session:",
        "    query = select(Payout)",
    ]
    assert all(SQL.search(sample) for sample in samples)
    assert not SQL.search("from accord.partners.service import partner_figures")
