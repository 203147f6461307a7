"""Every page a program manager or a partner reaches, on the demo's data, in English and in
Chinese: English never shows a raw code (`b2b_referral`), Chinese never shows English
(an untranslated label, a data code such as `coupon`, a sentence). Pages are found by
following the links of the console and the portal from their home pages, so a new page is
checked as soon as something links to it.

What a person typed (names, notes, reasons) and what is in another language on purpose (a
mail shown as its recipient reads it) is marked in the templates with `translate="no"` or
a `lang` of its own, and is not judged.
"""

from __future__ import annotations

import re
import warnings
from collections import defaultdict
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from babel.messages.pofile import read_po

from accord.web.i18n import CATALOGS, taxonomy_words

#: Pages of one shape (ids replaced) checked at most this many times.
PER_SHAPE = 2
#: Pages checked at most per home page and language.
MOST = 260
#: Never followed: they change something, leave the site, or are downloads.
SKIP = re.compile(
    r"/(logout|language)/?|\.(csv|xlsx|json|pdf|png|svg|js|css)(\?|$)|/export|/download"
    r"|/static/|/console/jobs/[^/]+/status"
)
#: Elements whose text is not judged: code, data shown as typed, other languages.
OPAQUE = {"script", "style", "code", "pre", "textarea", "svg", "kbd", "samp", "template"}
SNAKE = re.compile(r"(?<![\w@/.:=-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w@/.-])")
ENGLISH_RUN = re.compile(
    r"(?<![\w@/.-])[A-Za-z]{2,}\s+(?:the|of|and|to|in|is|are|for|with|not|by|from|on|at|"
    r"or|per|each|this|that|your|you|no|has|have|was|a|an)\s+[A-Za-z]{2,}(?![\w@/-])"
)
LATIN_WORD = re.compile(r"(?<![\w@/.:=#&?{-])[a-z]{3,}(?![\w@/.}-])")


def _one_word_codes() -> set[str]:
    """Data codes the console translates as single words (coupon, sale, returning): shown
    as they are in Chinese, a `_()` is missing."""
    with (CATALOGS / "zh_Hans" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    words = {
        m.id
        for m in catalog
        if isinstance(m.id, str) and re.fullmatch(r"[a-z]{3,}", m.id) and m.string != m.id
    }
    # partner types and their groups are named by the taxonomy, not the catalog file
    return words | {code for code in taxonomy_words() if re.fullmatch(r"[a-z]{3,}", code)}


CODES = _one_word_codes()


class Visible(HTMLParser):
    """The text a person reads on a page (and placeholders, titles and labels), without
    what is opaque; and the page's links."""

    def __init__(self, page_lang: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_lang = page_lang
        self.stack: list[tuple[str, bool]] = []
        self.texts: list[str] = []
        self.links: list[str] = []

    @property
    def hidden(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        lang = attrs.get("lang")
        opaque = (
            self.hidden
            or tag in OPAQUE
            or attrs.get("translate") == "no"
            or (lang is not None and tag != "html" and not lang.startswith(self.page_lang))
        )
        if not opaque:
            for name in ("placeholder", "title", "alt"):
                if attrs.get(name):
                    self.texts.append(attrs[name])
        if tag in {"br", "img", "input", "meta", "link", "hr", "source", "wbr", "col"}:
            return
        self.stack.append((tag, opaque))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.texts.append(" ".join(data.split()))


def _shape(path: str) -> str:
    return re.sub(r"/[a-z]{2,5}_[0-9A-Z]{20,}", "/{id}", urlsplit(path).path)


def _strip_addresses(text: str) -> str:
    return re.sub(r"\S+@\S+|https?://\S+|/\S*", " ", text)


def problems_of(text: str, language: str) -> list[str]:
    text = _strip_addresses(text)
    found = [f"raw code {m!r}" for m in SNAKE.findall(text)]
    if language == "zh_Hans":
        found += [f"English {m.group(0)!r}" for m in ENGLISH_RUN.finditer(text)]
        found += [f"untranslated {w!r}" for w in LATIN_WORD.findall(text) if w in CODES]
    return found


#: Pages reached by a form's button rather than a link.
SEEDS = {"console": ["/console/payouts/preview"], "portal": []}
#: Pages for who has not signed in.
SIGNED_OUT = ["/console/login", "/portal/login", "/portal/signup", "/console/password/forgot",
              "/console/password/reset?token=run-out", "/console/no-such-page"]  # fmt: skip


def crawl(
    client: httpx.Client, home: str, language: str, *, follow: bool = True
) -> tuple[dict[str, list[str]], int]:
    """What is wrong on each page reached from `home` (a path, or a list of paths) by links
    under its prefix, and how many pages were read."""
    homes = [home] if isinstance(home, str) else list(home)
    prefix = "/" + homes[0].strip("/").split("/")[0]
    lang_attr = "zh" if language == "zh_Hans" else "en"
    queue, seen, shapes = homes, set(), defaultdict(int)
    wrong: dict[str, list[str]] = {}
    while queue and len(seen) < MOST:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        assert response.status_code < 500, f"{path} answered {response.status_code}"
        seen.add(str(response.url.path))  # where a redirect led
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        page = Visible(lang_attr)
        page.feed(response.text)
        found = sorted({p for t in page.texts for p in problems_of(t, language)})
        if found:
            wrong[path] = found
        for href in page.links if follow else ():
            target = urljoin(path, href)
            parts = urlsplit(target)
            if parts.netloc or not parts.path.startswith(prefix) or SKIP.search(target):
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            shape = _shape(local) + ("?" if parts.query else "")
            if local in seen or shapes[shape] >= PER_SHAPE:
                continue
            shapes[shape] += 1
            queue.append(local)
    return wrong, len(seen)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from accord.clock import ShiftableClock
    from accord.demo.run import run_demo
    from accord.settings import Settings
    from accord.store.engine import open_store
    from tests.factories import free_port

    work = tmp_path_factory.mktemp("demo")
    settings = Settings(data_dir=work, database_url=None)
    store = open_store(settings, clock=ShiftableClock())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result, server = run_demo(store, settings, scale=0.1, port=free_port())
    try:
        yield result
    finally:
        server.stop()
        store.engine.dispose()


def signed_in(demo, email: str, language: str) -> httpx.Client:
    from accord.demo.cast import CONSOLE_PASSWORD

    client = httpx.Client(base_url=demo.base_url, timeout=60, follow_redirects=True,
                          cookies={"accord_lang": language})  # fmt: skip
    page = client.get("/console/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    done = client.post("/console/login", data={"email": email, "password": CONSOLE_PASSWORD,
                                               "csrf": csrf, "next": "/console"})  # fmt: skip
    assert done.status_code == 200 and "/login" not in str(done.url)
    return client


@pytest.mark.parametrize("language", ["en", "zh_Hans"])
@pytest.mark.parametrize("who", ["console", "portal"])
def test_every_page_speaks_its_language(demo, who, language):
    email = demo.console_email if who == "console" else demo.portal_email
    client = signed_in(demo, email, language)
    try:
        wrong, read = crawl(client, [f"/{who}", *SEEDS[who]], language)
    finally:
        client.close()
    assert read >= (40 if who == "console" else 10)  # the pages were reached, signed in
    report = "\n".join(f"{path}: {'; '.join(found)}" for path, found in sorted(wrong.items()))
    assert not wrong, f"{len(wrong)} pages show words they should not:\n{report}"


@pytest.mark.parametrize("language", ["en", "zh_Hans"])
def test_the_pages_before_signing_in_speak_their_language(demo, language):
    with httpx.Client(base_url=demo.base_url, timeout=60, follow_redirects=True,
                      cookies={"accord_lang": language}) as client:  # fmt: skip
        wrong, read = crawl(client, SIGNED_OUT, language, follow=False)
    assert not wrong and read >= len(SIGNED_OUT), wrong


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Partner type: b2b_referral", "en", ["raw code 'b2b_referral'"]),
        ("合作伙伴类型\uff1acoupon", "zh_Hans", ["untranslated 'coupon'"]),
        ("没有 rule of the contract", "zh_Hans", ["English 'rule of the'"]),
        ("邮箱 a_b@x.example\uff0c网址 https://x.example/a_b", "zh_Hans", []),
        ("EPC 与 ROAS\uff08CSV、Excel\uff09", "zh_Hans", []),
        ("Lumen Outdoor", "zh_Hans", []),
    ],
)
def test_the_checks_find_what_they_look_for(text, language, expected):
    assert problems_of(text, language) == expected
