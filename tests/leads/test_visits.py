"""The tag's page views as a marketer relies on them: what a browser read before its person
was known waits under its cookie id, and becomes that person's history (and score) the
moment a hosted form is sent from it or the page identifies them; after that each view is
theirs at once. And as an attacker would send them: from another site, with a bad id, an
unknown program, too much data, or a flood of views from one browser."""

from __future__ import annotations

import warnings
from datetime import timedelta

import pytest

from accord.leads import visits
from accord.leads.forms import save_form
from accord.leads.service import contact_view, erase_contact
from accord.leads.tables import AnonymousVisit
from accord.server import AccordApp
from accord.settings import Settings
from tests.factories import make_brand

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

SITE = {"origin": "https://brand.example", "content-type": "text/plain"}
VID = "b7c1d2e3f4a5968778695a4b3c2d1e0f"


@pytest.fixture
def app(store):
    with TestClient(AccordApp(store, Settings()), raise_server_exceptions=False,
                    follow_redirects=False) as client:  # fmt: skip
        yield client


def _send(app, brand, **body):
    import json

    return app.post("/t/leads", content=json.dumps({"program_id": brand.program_id, **body}),
                    headers=SITE)  # fmt: skip


def _waiting(store, cookie=VID) -> int:
    with store.read() as session:
        return session.query(AnonymousVisit).filter(AnonymousVisit.cookie == cookie).count()


def test_views_before_a_form_become_the_persons_history_and_score(store, clock, app):
    brand = make_brand(store)
    for page, title in [("/pricing", "Pricing"), ("/gmp", "GMP white paper")]:
        kind = "pricing_view" if page == "/pricing" else "page_view"
        sent = _send(app, brand, vid=VID, type=kind, title=title,
                     url=f"https://brand.example{page}?utm_source=baidu",
                     referrer="https://www.baidu.com/s?wd=mes",
                     utm={"source": "baidu", "term": "mes system"})  # fmt: skip
        assert sent.status_code == 202 and sent.json() == {"recorded": "waiting"}
        clock.advance(timedelta(hours=1))
    assert _waiting(store) == 2
    form = save_form(
        store,
        brand.caller,
        {
            "name": "Demo",
            "activity": "demo_request",
            "fields": [{"name": "email", "required": True}],
        },
    )
    page = app.get(f"/f/{form.id}?vid={VID}")
    assert f'name="vid" value="{VID}"' in page.text
    assert (
        app.post(f"/f/{form.id}", data={"email": "li@acme.example", "vid": VID}).status_code == 200
    )
    assert _waiting(store) == 0
    from accord.leads.service import contacts_page

    [row] = contacts_page(store, brand.caller, search="li@acme.example").rows
    view = contact_view(store, brand.caller, row.id)
    by_type = {a.type: a for a in view.activities}
    assert set(by_type) == {"pricing_view", "page_view", "demo_request"}
    assert by_type["pricing_view"].source == "baidu" and by_type["pricing_view"].keyword == (
        "mes system")  # fmt: skip
    assert by_type["page_view"].subject == "GMP white paper"
    assert by_type["pricing_view"].at < by_type["demo_request"].at  # when it happened
    assert view.behaviour == 40 + 8 + 1  # the demo, pricing and a page, by the default rules
    # known now: the next view is theirs at once
    assert _send(app, brand, vid=VID, url="https://brand.example/case").json()["recorded"] == (
        "activity")  # fmt: skip
    assert len(contact_view(store, brand.caller, row.id).activities) == 4
    erase_contact(store, brand.caller, row.id)
    assert _send(app, brand, vid=VID).json()["recorded"] == "waiting"  # forgotten with them


def test_the_page_can_say_who_the_browser_is(store, app):
    brand = make_brand(store)
    _send(app, brand, vid=VID, url="https://brand.example/a")
    named = _send(app, brand, vid=VID, identify={"email": "Wang@Acme.example", "name": "Wang"})
    assert named.status_code == 202 and named.json()["recorded"] == "activity"
    view = contact_view(store, brand.caller, named.json()["contact_id"])
    assert sorted(a.type for a in view.activities) == ["identified", "page_view"]
    assert {(i.kind, i.value) for i in view.identities} >= {("email", "wang@acme.example"),
                                                          ("cookie", VID)}  # fmt: skip
    nobody = _send(app, brand, vid=VID, identify={"name": "Only a name"})
    assert nobody.status_code == 422 and nobody.json()["error"]["field"] == "identify"


@pytest.mark.parametrize(
    ("body", "headers", "status", "field"),
    [
        ({"vid": "short"}, SITE, 422, "vid"),
        ({"vid": VID, "type": "Page View!"}, SITE, 422, "type"),
        ({"vid": VID, "salary": 1}, SITE, 422, "salary"),
        ({"vid": VID, "data": {"k": "v" * 3000}}, SITE, 422, "data"),
        ({"vid": VID}, {**SITE, "origin": "https://evil.example"}, 403, "origin"),
        ({"vid": VID, "program_id": "prg_nothing"}, SITE, 404, "program_id"),
    ],
)
def test_hostile_views_are_refused_naming_what_is_wrong(store, app, body, headers, status, field):
    import json

    brand = make_brand(store)
    sent = app.post("/t/leads", content=json.dumps({"program_id": brand.program_id, **body}),
                    headers=headers)  # fmt: skip
    assert sent.status_code == status
    assert sent.json()["error"]["field"] == field
    assert sent.headers["access-control-allow-origin"] == "*"
    with store.read() as session:  # nothing refused is kept
        org = brand.caller.organization_id
        assert session.query(AnonymousVisit).filter_by(organization_id=org).count() == 0


def test_one_browser_cannot_fill_the_database(store, app, monkeypatch):
    brand = make_brand(store)
    monkeypatch.setattr(visits, "MAX_WAITING", 5)
    cookie = "flood-" + "a" * 20
    for n in range(9):
        _send(app, brand, vid=cookie, url=f"https://brand.example/{n}")
    assert _waiting(store, cookie) == 5
    with store.read() as session:
        kept = sorted(r.data["url"] for r in session.query(AnonymousVisit).filter(
            AnonymousVisit.cookie == cookie))  # fmt: skip
    assert kept == [f"https://brand.example/{n}" for n in range(4, 9)]  # the newest


def test_views_never_named_are_forgotten_after_90_days(store, clock, app):
    brand = make_brand(store)
    cookie = "old-" + "b" * 20
    _send(app, brand, vid=cookie)
    clock.advance(timedelta(days=91))
    assert visits.forget_old_visits(store) >= 1
    assert _waiting(store, cookie) == 0
