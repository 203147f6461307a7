"""What the services say (a refusal, an import row's reason) in the page's language: a
message written as `Text` keeps its message id and values, the console and portal look it
up in the Chinese catalog and fill the values in, after the name of the field it is about;
a message the catalog does not hold yet stays as it was, never a broken sentence."""

from __future__ import annotations

import ast
import html
import re
from pathlib import Path

from babel.messages.pofile import read_po

from accord.errors import InvalidInput, NotFound, Text, words_of
from accord.web.i18n import CATALOGS, FIELD_LABELS, field_name, say, say_all
from tests.web.conftest import csrf_of, sign_in
from tests.web.test_words_on_every_page import problems_of

SRC = Path(__file__).parent.parent.parent / "src" / "accord"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _catalog():
    with (CATALOGS / "zh_Hans" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if isinstance(m.id, str)}


#: Errors whose message a page shows (the message of `InvalidInput` is its second argument).
ERRORS = {"InvalidInput": 1, "Conflict": 0, "Forbidden": 0, "Gone": 0, "InvalidTransition": 0,
          "AccordError": 0}  # fmt: skip
#: Read by API clients and the command line only, or another party's own words.
NOT_SHOWN = ("api/", "cli/", "payouts/providers/")


def _static_errors() -> dict[str, str]:
    """Every error message the stages and pages raise as a plain literal, with where."""
    found = {}
    for path in SRC.rglob("*.py"):
        where = str(path.relative_to(SRC))
        if where.startswith(NOT_SHOWN):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            at = ERRORS.get(getattr(node.func, "id", ""), -1) if isinstance(node, ast.Call) else -1
            if 0 <= at < len(node.args):
                message = node.args[at]
                if isinstance(message, ast.Constant) and isinstance(message.value, str):
                    found[message.value] = f"{where}:{node.lineno}"
    return found


def _written_as_text() -> dict[str, str]:
    """Every message id the code writes as `Text(...)` or `refuse(...)`, with where."""
    found = {}
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {target.id: node.value.value for node in tree.body
                     if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                     for target in node.targets if isinstance(target, ast.Name)}  # fmt: skip
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and node.args
                    and getattr(node.func, "id", getattr(node.func, "attr", None))
                    in ("Text", "refuse")):  # fmt: skip
                first, where = node.args[0], f"{path.relative_to(SRC)}:{node.lineno}"
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found[first.value] = where
                elif isinstance(first, ast.Name) and first.id in constants:
                    found[constants[first.id]] = where
                elif not isinstance(first, ast.Name):  # a name passes a message id along
                    found[f"<not a literal at {where}>"] = ""
    return found


def test_every_message_written_as_text_is_in_chinese_with_the_same_values():
    catalog = _catalog()
    written = _written_as_text()
    assert len(written) > 30  # the scan finds them
    for msgid, where in written.items():
        assert catalog.get(msgid), f"no Chinese for {msgid!r} ({where})"
        extra = set(PLACEHOLDER.findall(catalog[msgid])) - set(PLACEHOLDER.findall(msgid))
        assert not extra, f"the Chinese of {msgid!r} names values it is not given: {extra}"
        assert not problems_of(catalog[msgid] % dict.fromkeys(PLACEHOLDER.findall(msgid), "1"),
                               "zh_Hans"), msgid  # fmt: skip
    for label in FIELD_LABELS.values():
        assert catalog.get(label), f"no Chinese for the field name {label!r}"


def test_every_error_a_page_shows_is_in_chinese():
    """A plain message is its own message id: the console says it in Chinese once the
    catalog has it, and every one a page can show has it."""
    catalog = _catalog()
    missing = {m: w for m, w in _static_errors().items() if not catalog.get(m)}
    assert not missing, (
        f"{len(missing)} messages have no Chinese, such as {list(missing.items())[:5]}"
    )
    for msgid in _static_errors():
        assert not problems_of(catalog[msgid], "zh_Hans"), msgid


def test_a_message_is_said_in_the_pages_language_with_its_values():
    error = InvalidInput("email", Text("%(email)s is in the program already", email="a@b.example"))
    assert error.message == "email: a@b.example is in the program already"  # the API's
    assert error.words() == {"id": "%(email)s is in the program already",
                             "values": {"email": "a@b.example"}, "field": "email"}  # fmt: skip
    assert say("en", error.message, error.words()) == error.message
    assert say("zh_Hans", error.message, error.words()) == "邮箱\uff1aa@b.example 已在此计划中"
    # a static message is its own id; one the catalog lacks stays as it was
    plain = InvalidInput("partner", "the row names no partner (an id or an e-mail address)")
    assert say("zh_Hans", plain.message, plain.words()).endswith(
        "此行未写合作伙伴\uff08ID 或电子邮件地址\uff09"
    )
    odd = InvalidInput("zone", "nothing the catalog knows")
    assert say("zh_Hans", odd.message, odd.words()) == "zone: nothing the catalog knows"
    assert say("zh_Hans", "as it was", None) == "as it was"
    missing = NotFound("program", "prg_x")
    assert missing.message == "program 'prg_x' not found"
    assert say("zh_Hans", missing.message, missing.words()) == "找不到 'prg_x'"


def test_notes_are_said_together_or_not_at_all():
    notes = [
        words_of(Text("no currency: read as the program's %(currency)s", currency="USD")),
        words_of(Text("website %(url)s is not a web address: left out", url="'x'")),
    ]
    joined = "no currency: read as the program's USD; website 'x' is not a web address: left out"
    assert say_all("zh_Hans", joined, notes) == (
        "未写币种\uff1a按计划的币种 USD 读取\uff1b网站 'x' 不是网址\uff0c未导入"
    )
    assert say_all("zh_Hans", joined, [*notes, words_of("a note nobody translated")]) == joined
    assert say_all("en", joined, notes) == joined


def test_a_refused_upload_is_explained_in_chinese(client, manager):
    brand, user = manager
    assert sign_in(client, user.email).status_code == 303
    for language, expected in (("en", "file: choose a CSV file to upload"),
                               ("zh_Hans", "文件\uff1a请选择要上传的 CSV 文件")):  # fmt: skip
        client.cookies.set("accord_lang", language)
        page = client.get(f"/console/imports?program={brand.program_id}")
        refused = client.post("/console/imports/conversions",
                              data={"csrf": csrf_of(page.text), "program": brand.program_id},
                              files={"file": ("", b"", "text/csv")})  # fmt: skip
        assert refused.status_code == 422
        assert expected in refused.text
    assert not problems_of(re.sub(r"<[^>]+>", " ", refused.text), "zh_Hans")


def test_a_form_refused_by_a_service_says_why_in_chinese(store, client, manager):
    """A sales rep in the Chinese console writes an amount the money service refuses: the
    contact's page comes back with the reason in Chinese, naming the field."""
    from accord.leads.model import Capture
    from accord.leads.service import capture

    brand, user = manager
    person = capture(store, brand.caller, Capture(email="wu@acme.example", name="Wu Lei",
                                                  type="demo_request", channel="web"))  # fmt: skip
    assert sign_in(client, user.email).status_code == 303
    client.cookies.set("accord_lang", "zh_Hans")
    page = client.get(f"/console/contacts/{person.contact_id}")
    refused = client.post(f"/console/contacts/{person.contact_id}/stage",
                          data={"csrf": csrf_of(page.text), "stage": "won", "amount": "abc",
                                "currency": "USD"})  # fmt: skip
    assert refused.status_code == 422
    msgid = "%(value)s is not a decimal number written with 0-9 and a point"
    expected = f"金额\uff1a{_catalog()[msgid] % {'value': repr('abc')}}"
    assert expected in html.unescape(refused.text)
    assert "decimal number" not in refused.text


def test_a_table_that_names_the_field_gets_the_words_alone():
    error = InvalidInput("email", Text("%(email)s is in the program already", email="a@b.example"))
    assert say("en", error.message, error.words(), with_field=False) == (
        "a@b.example is in the program already"
    )
    assert (
        say("zh_Hans", error.message, error.words(), with_field=False) == "a@b.example 已在此计划中"
    )
    assert field_name("zh_Hans", "email") == "邮箱" and field_name("en", "email") == "Email"
    assert field_name("zh_Hans", "zone") is None
    assert say_all("en", "as stored", [words_of("a"), words_of("b")], False) == "a; b"
