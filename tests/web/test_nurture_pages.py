"""Nurturing in the console, as a marketer does it without the API: a sequence written as
rows of a form (a wrong row is refused naming its step, what was typed kept), saved and
switched on; a person added from their page and taken out again; the sequence's funnel
once mail went out; an unsubscribe page a person can use; in English and in Chinese."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from accord.leads import nurture
from accord.leads.model import Capture
from accord.leads.service import capture
from accord.mail.sender import Mailer
from tests.web.conftest import csrf_of, sign_in


def _post(client, path: str, fields: list[tuple[str, str]]):
    return client.post(path, content=urlencode(fields),
                       headers={"content-type": "application/x-www-form-urlencoded"})  # fmt: skip


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


ROWS = [
    ("name", "GMP follow-up"), ("status", "active"), ("stage", "new"), ("per_hour", "50"),
    ("purpose", "marketing"), ("needs_consent", "yes"), ("language", "zh_Hans"),
    ("from_name", "Acme 制药"),
    ("step0.kind", "email"), ("step0.subject", "{name}\uff0cGMP 白皮书"),
    ("step0.body", "{name}您好\uff1a\n\n请查收 https://brand.example/gmp.pdf"),
    # row 2 left empty: dropped, and the branch's "step 6" follows its row (to step 5)
    ("step1.kind", ""),
    ("step2.kind", "wait"), ("step2.days", "3"),
    ("step3.kind", "branch"), ("step3.condition", "clicked"), ("step3.then", "6"),
    ("step4.kind", "email"), ("step4.subject", "提醒"), ("step4.body", "别错过"),
    ("step5.kind", "email"), ("step5.subject", "预约演示"), ("step5.body", "https://brand.example/demo"),
]  # fmt: skip


def test_a_marketer_writes_a_sequence_and_adds_a_person_from_their_page(
    client, manager, smtp, mail_settings
):
    brand, user = manager
    store = brand.store
    sign_in(client, user.email)
    page = client.get("/console/nurture")
    assert page.status_code == 200
    assert "No sequence yet" in page.text
    csrf = csrf_of(page.text)
    bad = _post(client, "/console/nurture", [("csrf", csrf), *[
        (k, "0" if k == "step2.days" else v) for k, v in ROWS]])  # fmt: skip
    assert bad.status_code == 422
    assert "Step 2: must be from 1 to 365" in _text(bad.text)  # the wait, second once compacted
    assert "GMP follow-up" in bad.text  # what was typed is kept
    saved = _post(client, "/console/nurture", [("csrf", csrf), *ROWS])
    assert saved.status_code == 303
    seq_id = saved.headers["location"].split("/")[-1].split("?")[0]
    [seq] = nurture.sequences_of(store, brand.caller)
    assert [s.kind for s in seq.steps] == ["email", "wait", "branch", "email", "email"]
    assert seq.steps[2].then == "5" and seq.language == "zh_Hans" and seq.status == "active"
    shown = client.get(f"/console/nurture/{seq_id}?saved=1")
    assert "The sequence is saved." in shown.text and "No e-mail sent yet." in shown.text

    li = capture(
        store,
        brand.caller,
        Capture(email="li@acme.example", name="李伟", consent={"marketing": True}),
    ).contact_id
    person = client.get(f"/console/contacts/{li}")
    assert "Not in any sequence." in person.text
    added = _post(client, f"/console/contacts/{li}/nurture",
                  [("csrf", csrf_of(person.text)), ("sequence", seq_id)])  # fmt: skip
    assert added.status_code == 303 and "nurture=enrolled" in added.headers["location"]
    again = _post(client, f"/console/contacts/{li}/nurture",
                  [("csrf", csrf_of(person.text)), ("sequence", seq_id)])  # fmt: skip
    assert "nurture=already" in again.headers["location"]
    assert "They are, or were, in this sequence already" in client.get(
        again.headers["location"]).text  # fmt: skip

    nurture.run_nurture(store, Mailer(mail_settings), base_url="https://accord.brand.example")
    inbox, _ = smtp
    [mail] = inbox.wait_for("li@acme.example")
    assert mail["Subject"] == "李伟\uff0cGMP 白皮书"
    assert (
        "退订" in mail.get_body(("plain",)).get_content()
    )  # the footer in the sequence's language
    person = client.get(f"/console/contacts/{li}")
    text = _text(person.text)
    assert "Was sent an e-mail" in text and "step 2 of 5" in text
    funnel = _text(client.get(f"/console/nurture/{seq_id}").text)
    assert "1 people entered; 1 are in it now." in funnel or "1 people entered" in funnel
    assert "李伟\uff0cGMP 白皮书" not in funnel and "{name}\uff0cGMP 白皮书" in funnel

    taken = _post(client, f"/console/contacts/{li}/nurture/stop",
                  [("csrf", csrf_of(person.text)), ("sequence", seq_id)])  # fmt: skip
    assert taken.status_code == 303
    after = _text(client.get(taken.headers["location"]).text)
    assert "Taken out of the sequence." in after and "taken out by a person" in after

    client.cookies.set("accord_lang", "zh_Hans")
    zh = _text(client.get(f"/console/nurture/{seq_id}").text)
    assert "线索培育" in zh and "离开原因" in zh and "被人工移出" in zh
    assert "Nurturing" not in zh and "Why people left" not in zh


def test_the_unsubscribe_page_speaks_the_visitors_language(client, manager):
    brand, _ = manager
    assert client.get("/n/u/nms_nothing/0000").status_code == 404
    zh = client.get("/n/u/nms_nothing/0000", headers={"accept-language": "zh-CN,zh;q=0.9"})
    assert "此链接无效" in zh.text
    pixel = client.get("/n/o/nms_nothing/0000.gif")
    assert pixel.status_code == 200 and pixel.headers["content-type"] == "image/gif"
    assert client.get("/n/c/nms_nothing/0000/0").status_code == 404
    assert brand
