"""Recruiting in the browser's pages: a program manager writes the questions and a rule,
invites by e-mail and by link; a newcomer opens the invitation, signs up, answers and is
approved by the rule; the manager sees the answers and the rule on the partner's page, and
puts partners in a group with its own contract."""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode, urlsplit

from sqlalchemy import select

from accord.contracts.service import RuleSpec, create_contract
from accord.ids import short_code
from accord.notices.tables import OutboxMail
from accord.programs.service import update_program
from accord.tenancy.service import create_user
from tests.factories import add_partner
from tests.web.conftest import PASSWORD, csrf_of, sign_in, unique_email

FORM = {"content-type": "application/x-www-form-urlencoded"}


def _post(client, path, fields, page=None):
    token = csrf_of(client.get(page or path).text)
    return client.post(path, content=urlencode([("csrf", token), *fields]), headers=FORM)


def _link_in_mail(store, address: str) -> str:
    with store.read() as session:
        text = session.scalars(
            select(OutboxMail.text).where(
                OutboxMail.recipient == address, OutboxMail.kind == "program_invitation"
            )
        ).one()
    return re.search(r"https?://\S+/portal/invitations/\S+", text).group(0)


def test_questions_rules_invitations_and_a_rule_that_approves(store, client, manager):
    brand, user = manager
    update_program(store, brand.caller, brand.program_id, {"listed": True})
    program = f"?program={brand.program_id}"
    assert sign_in(client, user.email).status_code == 303
    settings = f"/console/settings/applications{program}"
    saved = _post(client, "/console/settings/applications", [
        ("program", brand.program_id),
        ("q1.text", "Do you mark paid posts as ads?"), ("q1.kind", "yes_no"),
        ("q1.required", "1"),
        ("q2.text", "Where do you publish?"), ("q2.kind", "choice"),
        ("q2.choices", "Douyin\nXiaohongshu"),
    ], page=settings)  # fmt: skip
    assert saved.status_code == 303
    bad = _post(client, "/console/application-rules", [
        ("program", brand.program_id), ("name", "Big"), ("action", "approve"),
        ("countries", "China"),
    ], page=settings)  # fmt: skip
    assert bad.status_code == 422 and "two-letter codes" in bad.text
    assert 'value="China"' in bad.text  # what was typed is kept
    added = _post(client, "/console/application-rules", [
        ("program", brand.program_id), ("name", "Honest creators"), ("action", "approve"),
        ("types", "creators"), ("answer_q", "q1"), ("answer_value", "yes"),
    ], page=settings)  # fmt: skip
    assert added.status_code == 303
    page = client.get(settings)
    assert "Honest creators" in page.text and "Creators" in page.text
    assert "Do you mark paid posts as ads?" in page.text

    invitations = f"/console/invitations{program}"
    address = unique_email("newcomer")
    sent = _post(client, "/console/invitations", [
        ("program", brand.program_id), ("kind", "email"), ("emails", f"{address}\nnot-mail"),
        ("message", "We love your camping videos."),
    ], page=invitations)  # fmt: skip
    assert sent.status_code == 422 and "one per line" in sent.text  # nothing half-sent
    sent = _post(client, "/console/invitations", [
        ("program", brand.program_id), ("kind", "email"), ("emails", address),
        ("message", "We love your camping videos."),
    ], page=invitations)  # fmt: skip
    assert sent.status_code == 303
    listed = client.get(invitations)
    assert address in listed.text and "open" in listed.text
    made = _post(client, "/console/invitations", [
        ("program", brand.program_id), ("kind", "link"), ("max_uses", "5"),
    ], page=invitations)  # fmt: skip
    assert made.status_code == 200 and "/portal/invitations/" in made.text

    link = _link_in_mail(store, address)
    path = urlsplit(link).path
    client.cookies.clear()
    shown = client.get(path)
    assert shown.status_code == 200 and "We love your camping videos." in shown.text
    assert "Sign up as a partner" in shown.text
    signup = client.get(f"/portal/signup?next={path}")
    assert f'name="next" value="{path}"' in signup.text
    joined = client.post("/portal/signup", headers=FORM, content=urlencode({
        "csrf": csrf_of(signup.text), "next": path, "name": f"Trail Mei {short_code(4)}",
        "email": address, "password": PASSWORD, "partner_type": "creator_douyin",
        "country": "CN",
    }))  # fmt: skip
    assert joined.status_code == 303 and joined.headers["location"] == path
    answer = client.get(path)
    assert "Accept the invitation" in answer.text and "Where do you publish?" in answer.text
    missing = _post(client, f"{path}/accept", [("answer.q2", "Douyin")], page=path)
    assert missing.status_code == 422 and "Answer the brand" in missing.text
    accepted = _post(client, f"{path}/accept", [("answer.q1", "yes"), ("answer.q2", "Douyin")],
                     page=path)  # fmt: skip
    assert accepted.status_code == 303 and "applied=approved" in accepted.headers["location"]
    assert client.get(path).status_code == 410  # an e-mail invitation is answered once

    client.cookies.clear()
    assert sign_in(client, user.email).status_code == 303
    listed = client.get(invitations)
    assert "accepted" in listed.text
    partners = client.get(f"/console/partners{program}&q=Trail Mei")
    partner_id = re.search(r"/console/partners/(prt_\w+)\?", partners.text).group(1)
    profile = client.get(f"/console/partners/{partner_id}{program}")
    assert "Decided at once by the rule" in profile.text and "Honest creators" in profile.text
    assert "Do you mark paid posts as ads?" in profile.text
    zh = client.get(f"/console/partners/{partner_id}{program}", cookies={"accord_lang": "zh_Hans"})
    assert "由规则" in zh.text and "对您问题的回答" in zh.text


def test_a_group_with_its_contract(store, client, manager):
    brand, user = manager
    vip = create_contract(store, brand.caller, brand.program_id, "VIP terms",
                          [RuleSpec(event_type="sale", percent="12")])  # fmt: skip
    a, b = add_partner(brand, name="Alpha"), add_partner(brand, name="Beta")
    assert sign_in(client, user.email).status_code == 303
    page = f"/console/groups?program={brand.program_id}"
    assert "No group yet." in client.get(page).text
    made = _post(client, "/console/groups", [("program", brand.program_id), ("name", "Stars"),
                                             ("contract_id", vip.id)], page=page)  # fmt: skip
    assert made.status_code == 303
    again = _post(client, "/console/groups", [("program", brand.program_id), ("name", "stars")],
                  page=page)  # fmt: skip
    assert again.status_code == 409 and "a group of this name already" in again.text
    group_id = re.search(r"/console/groups/(pgr_\w+)/members", client.get(page).text).group(1)
    members = _post(client, f"/console/groups/{group_id}/members",
                    [("program", brand.program_id), ("partner_id", a.id), ("partner_id", b.id)],
                    page=page)  # fmt: skip
    assert members.status_code == 303
    shown = client.get(page)
    assert "2 members" in shown.text and "VIP terms" in shown.text
    analyst = unique_email("analyst")
    create_user(store, brand.caller.organization_id, analyst, PASSWORD, role="analyst")
    client.cookies.clear()
    assert sign_in(client, analyst).status_code == 303
    assert "Make a group" not in client.get(page).text
    refused = _post(client, "/console/groups", [("program", brand.program_id), ("name", "X")],
                    page=page)  # fmt: skip
    assert refused.status_code == 403


def test_moving_partners_from_partnerstack_in_the_console(store, client, manager):
    from pathlib import Path

    from tests.web.conftest import wait_for_job

    brand, user = manager
    assert sign_in(client, user.email).status_code == 303
    page = client.get(f"/console/imports?program={brand.program_id}")
    assert "Partners from another platform" in page.text
    text = (Path(__file__).parent.parent / "fixtures" / "platforms"
            / "partnerstack_partners.csv").read_bytes()  # fmt: skip
    started = client.post(
        "/console/imports/partners",
        data={"csrf": csrf_of(page.text), "program": brand.program_id, "partner_type": "reseller"},
        files={"file": ("partnerstack.csv", text, "text/csv")},
    )
    assert started.status_code == 303, started.text
    done = wait_for_job(client, started.headers["location"])
    assert "Recognised as a partner export of PartnerStack." in done
    assert "is in the program already" in done and "not an e-mail address" in done
    client.cookies.set("accord_lang", "zh_Hans")
    zh = client.get(started.headers["location"]).text
    assert "已在此计划中" in zh and "不是电子邮件地址" in zh
    assert "is in the program already" not in zh and "not an e-mail address" not in zh
    client.cookies.set("accord_lang", "en")
    results = client.get(started.headers["location"] + "/results.csv").text.splitlines()
    assert [line.split(",")[1] for line in results[1:]] == [
        "created", "created", "created", "duplicate", "rejected"
    ]  # fmt: skip
    listed = client.get(f"/console/partners?program={brand.program_id}&type=reseller")
    assert "Campwise" in listed.text and "TentPro AS" in listed.text
    groups = client.get(f"/console/groups?program={brand.program_id}")
    assert "Resellers" in groups.text and "Agencies" in groups.text


def test_moving_past_conversions_from_impact_in_the_console(store, client, manager):
    from pathlib import Path

    from tests.web.conftest import wait_for_job

    brand, user = manager
    assert sign_in(client, user.email).status_code == 303
    files = Path(__file__).parent.parent / "fixtures" / "platforms"
    for kind, name in (("partners", "impact_partners.csv"), ("history", "impact_actions.csv")):
        page = client.get(f"/console/imports?program={brand.program_id}")
        assert "Past conversions and commissions from another platform" in page.text
        started = client.post(
            f"/console/imports/{kind}",
            data={"csrf": csrf_of(page.text), "program": brand.program_id},
            files={"file": (name, (files / name).read_bytes(), "text/csv")},
        )
        assert started.status_code == 303, started.text
        done = wait_for_job(client, started.headers["location"])
    assert "Recognised as an actions or commissions export of impact.com." in done
    assert "is not a partner of this program" in done and "DISPUTED" in done
    assert "2 commissions not yet paid there are owed here: $11.00" in done
    results = client.get(started.headers["location"] + "/results.csv").text.splitlines()
    assert results[0] == "row,status,id,commission_id,field,message"
    owed = [line.split(",") for line in results[1:] if line.split(",")[3]]
    assert [row[0] for row in owed] == ["3", "4"]
    shown = client.get(f"/console/commissions/{owed[0][3]}")
    assert "Not yet paid on impact.com when the program moved" in shown.text
    assert "ORD-5002" in shown.text and "8.00" in shown.text
    paid = client.get(f"/console/conversions/{results[1].split(',')[2]}")
    assert "paid on the platform the program moved from" in paid.text

    # the same rows' reasons in Chinese: the page says them in its reader's language
    client.cookies.set("accord_lang", "zh_Hans")
    zh = html.unescape(client.get(started.headers["location"]).text)
    assert "不是此计划的合作伙伴\uff1a请先导入 impact.com 的合作伙伴导出文件" in zh
    assert "Accord 无法识别状态 'DISPUTED'" in zh
    assert "is not a partner of this program" not in zh and "not a state" not in zh
