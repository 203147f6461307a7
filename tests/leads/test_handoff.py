"""Hand-off as sales and their CRM see it: a new MQL reaches the CRM's server on 127.0.0.1,
signed, in HubSpot's or Salesforce's shape, and is tried again after a 500; the built-in CRM
gives new MQLs to the rep with the fewest open leads, with a call for today; a CSV in the
CRM's columns; and outcomes come back in the CRM's own words, each row with its result."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest

from accord.errors import InvalidInput
from accord.leads import crm
from accord.leads.handoff import (
    change_handoff,
    deliver_handoffs,
    handoff_csv,
    outcomes_from_csv,
    recent_handoffs,
    record_outcomes,
)
from accord.leads.handoff_model import BadOutcome, Lead, hubspot, outcome_of, salesforce, split_name
from accord.leads.model import Capture
from accord.leads.service import capture, change_lead_settings, contact_view
from accord.postbacks.model import verify
from accord.postbacks.worker import HttpSender, http_client
from accord.tenancy.service import create_user
from tests.factories import events_settled, make_brand
from tests.receivers import Receiver, running


@pytest.fixture
def crm_server() -> Iterator[Receiver]:
    """The brand's CRM middleware: it answers 500 first, then 200."""
    with running(500) as server:
        yield server


@pytest.fixture
def brand(store):
    made = make_brand(store)
    change_lead_settings(store, made.caller, industries={"software": 30})
    return made


def _qualify(store, brand, email: str, name: str) -> str:
    """A decision maker at a big software company asks for a demo: an MQL at once."""
    done = capture(store, brand.caller, Capture(
        email=email, name=name, company="Acme Software", title="CTO", industry="software",
        company_size=2000, type="demo_request", channel="web", source="google",
        campaign="Q4 demo"))  # fmt: skip
    assert contact_view(store, brand.caller, done.contact_id).stage == "mql"
    return done.contact_id


def _deliver(store):
    with http_client() as client:
        return deliver_handoffs(store, HttpSender(client), allow_private=True)


def test_names_split_as_crms_want_them():
    assert split_name("李伟") == ("伟", "李")
    assert split_name("欧阳娜娜") == ("阳娜娜", "欧")
    assert split_name("Ada  King Lovelace") == ("Ada King", "Lovelace")
    assert split_name("Cher") == ("", "Cher")
    assert split_name(None) == ("", "")


def test_a_lead_in_hubspots_and_salesforces_shapes():
    lead = Lead("ct_1", "李伟", "li@acme.example", "+8613800138000", None, "CTO", "software",
                2000, "CN", "Shanghai", "mql", 40, 100, "A", "google", "Q4")  # fmt: skip
    props = hubspot(lead)["properties"]
    assert props["firstname"] == "伟" and props["lastname"] == "李"
    assert props["lifecyclestage"] == "marketingqualifiedlead"
    assert props["accord_contact_id"] == "ct_1" and "company" not in props
    fields = salesforce(lead)
    assert fields["LastName"] == "李" and fields["Company"] == "[not provided]"
    assert fields["Status"] == "Open - Not Contacted" and fields["Rating"] == "Hot"
    assert fields["Accord_Contact_Id__c"] == "ct_1"


def test_outcomes_in_each_crms_words():
    assert outcome_of({"Email": "A@x.example", "Status": "Closed - Converted", "Amount": "5",
                       "CurrencyIsoCode": "usd"}).stage == "customer"  # fmt: skip
    assert outcome_of({"accord_contact_id": "ct_1", "lifecyclestage": "opportunity"}).stage == (
        "opportunity"
    )
    lost = outcome_of({"contact_id": "ct_1", "outcome": "lost", "Closed Lost Reason": "budget"})
    assert (lost.stage, lost.reason) == ("lost", "budget")
    with pytest.raises(BadOutcome) as bad:
        outcome_of({"email": "a@x.example", "outcome": "maybe"})
    assert bad.value.field == "outcome" and "'maybe'" in bad.value.message
    with pytest.raises(BadOutcome) as bad:
        outcome_of({"outcome": "won"})
    assert bad.value.field == "contact_id"
    with pytest.raises(BadOutcome) as bad:
        outcome_of({"email": "a@x.example", "outcome": "lost", "amount": "5"})
    assert bad.value.field == "amount"


def test_a_new_mql_reaches_the_crm_signed_and_is_retried_after_a_500(store, brand, crm_server):
    url = f"http://127.0.0.1:{crm_server.port}/hooks/accord"
    made = change_handoff(store, brand.caller, url=url, format="hubspot", allow_private=True)
    assert made.secret and made.secret.startswith("whsec_")
    contact_id = _qualify(store, brand, "li@acme.example", "李伟")
    events_settled(store, brand.caller.organization_id)
    events_settled(
        store, brand.caller.organization_id
    )  # a second dispatch hands nothing over twice
    first = _deliver(store)
    assert (first.sent, first.retrying) == (0, 1)
    [item] = recent_handoffs(store, brand.caller)
    assert (item.status, item.attempts, item.error) == ("pending", 1, "HTTP 500")
    store.clock.advance(timedelta(hours=1))
    assert _deliver(store).sent == 1
    assert _deliver(store).sent == 0  # sent once
    _, headers, body = crm_server.received[-1]
    verify(made.secret, headers, body, store.clock.now())
    sent = json.loads(body)["properties"]
    assert sent["email"] == "li@acme.example" and sent["accord_contact_id"] == contact_id
    assert sent["lifecyclestage"] == "marketingqualifiedlead"
    assert sent["hs_analytics_source_data_1"] == "google"
    assert recent_handoffs(store, brand.caller)[0].status == "sent"


def test_a_hand_off_sent_again_keeps_when_it_was_made_and_tries_anew(store, brand, crm_server):
    from accord.leads.handoff import send_again
    from accord.leads.tables import LeadHandoff

    url = f"http://127.0.0.1:{crm_server.port}/hooks/accord"
    change_handoff(store, brand.caller, url=url, format="accord", allow_private=True)
    _qualify(store, brand, "gave.up@acme.example", "Gave Up")
    events_settled(store, brand.caller.organization_id)
    [item] = recent_handoffs(store, brand.caller)
    made_at = item.created_at
    with store.unit() as session:  # the schedule of attempts ran out while the CRM was down
        row = session.get(LeadHandoff, item.id)
        row.status, row.attempts, row.next_at = "failed", 12, None
    store.clock.advance(timedelta(days=3))
    send_again(store, brand.caller, item.id)
    with store.read() as session:
        row = session.get(LeadHandoff, item.id)
        assert (row.status, row.attempts) == ("pending", 0)
        assert row.created_at == made_at and row.retried_at == store.clock.now()
    crm_server.answers.clear()
    assert _deliver(store).sent == 1
    assert recent_handoffs(store, brand.caller)[0].created_at == made_at


def test_a_crm_on_a_private_address_is_refused(store, brand):
    with pytest.raises(InvalidInput) as refused:
        change_handoff(store, brand.caller, url="http://10.0.0.8/hook",
                       resolve=lambda host: ["10.0.0.8"])  # fmt: skip
    assert refused.value.field == "url"
    with pytest.raises(InvalidInput) as refused:
        change_handoff(store, brand.caller, url="ftp://crm.example/", allow_private=True)
    assert refused.value.field == "url"


def test_new_mqls_go_to_the_rep_with_fewest_open_leads_with_a_call_today(store, brand):
    org = brand.caller.organization_id
    wang = create_user(store, org, "wang@brand.example", "a long password 1", role="sales")
    zhao = create_user(store, org, "zhao@brand.example", "a long password 2", role="sales")
    change_handoff(store, brand.caller, url=None, assign=True)
    first = _qualify(store, brand, "a@acme.example", "Ann Lee")
    events_settled(store, brand.caller.organization_id)
    second = _qualify(store, brand, "b@acme.example", "Bo Chen")
    events_settled(store, brand.caller.organization_id)
    third = _qualify(store, brand, "c@acme.example", "Cai Xu")
    events_settled(store, brand.caller.organization_id)
    owners = [contact_view(store, brand.caller, c) for c in (first, second, third)]
    mine = crm.my_contacts(store, brand.caller, wang.id)
    theirs = crm.my_contacts(store, brand.caller, zhao.id)
    assert sorted([len(mine), len(theirs)]) == [1, 2]  # in turn, by load
    tasks = crm.tasks_of(store, brand.caller, owner_id=wang.id)
    assert tasks and all(t.due == store.clock.now().date() for t in tasks)
    assert any("Ann Lee" in t.title or "Cai Xu" in t.title or "Bo Chen" in t.title
               for t in tasks)  # fmt: skip
    assert len(owners) == 3


def test_a_csv_in_salesforces_columns(store, brand):
    _qualify(store, brand, "li@acme.example", "李伟")
    text = handoff_csv(store, brand.caller, "salesforce")
    header, row = text.splitlines()[:2]
    assert header.startswith("FirstName,LastName,Email,Phone,Company,Title")
    assert row.startswith("伟,李,li@acme.example,,Acme Software,CTO")
    with pytest.raises(InvalidInput):
        handoff_csv(store, brand.caller, "pipedrive")


def test_a_csv_defuses_what_a_visitor_typed_as_a_formula(store, brand):
    """A form's visitor writes a formula as their name and company: a sales rep who opens
    the export in a spreadsheet sees the text, and nothing runs."""
    done = capture(store, brand.caller, Capture(
        email="eve@acme.example", name='=HYPERLINK("http://evil.example","x") Eve',
        company="@SUM(1+1)", title="CTO", industry="software", company_size=2000,
        type="demo_request", channel="web", source="+google"))  # fmt: skip
    assert contact_view(store, brand.caller, done.contact_id).stage == "mql"
    for shape in ("salesforce", "hubspot"):
        rows = list(csv.reader(io.StringIO(handoff_csv(store, brand.caller, shape))))
        eve = next(r for r in rows if "eve@acme.example" in r)
        assert all(not cell.startswith(("=", "+", "-", "@")) for cell in eve), eve
        assert "'@SUM(1+1)" in eve


def test_outcomes_come_back_by_csv_each_row_with_its_result(store, brand):
    won = _qualify(store, brand, "won@acme.example", "Wu Won")
    lost = _qualify(store, brand, "lost@acme.example", "Lu Lost")
    other = make_brand(store)
    change_lead_settings(store, other.caller, industries={"software": 30})
    foreign = _qualify(store, other, "spy@acme.example", "Sp Y")
    text = (
        "Email,Status,Amount,CurrencyIsoCode,Closed Lost Reason\n"
        'WON@acme.example,Closed - Converted,"12,000.50",CNY,\n'
        "lost@acme.example,Closed - Not Converted,,,no budget\n"
        "nobody@acme.example,Closed - Converted,1,USD,\n"
        "spy@acme.example,Closed - Not Converted,,,\n"
        "won@acme.example,Closed - Converted,12000,,\n"
    )
    rows = outcomes_from_csv(store, brand.caller, text)
    assert [r.status for r in rows] == ["updated", "updated", "rejected", "rejected", "rejected"]
    assert [r.row for r in rows] == [2, 3, 4, 5, 6]
    assert rows[4].field == "currency"
    view = contact_view(store, brand.caller, won)
    assert view.stage == "customer"
    assert view.stages[0].amount is not None and str(view.stages[0].amount.amount) == "12000.50"
    lost_view = contact_view(store, brand.caller, lost)
    assert (lost_view.stage, lost_view.stages[0].reason) == ("lost", "no budget")
    assert contact_view(store, other.caller, foreign).stage == "mql"  # another brand's: untouched
    again = record_outcomes(store, brand.caller, [{"contact_id": won, "outcome": "won"}])
    assert again[0].status == "unchanged"
