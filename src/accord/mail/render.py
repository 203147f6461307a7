"""E-mail from templates, in the recipient's language.

Each e-mail is a pair of Jinja templates in `templates/`: `<name>.txt` (plain text) and
`<name>.html`; the subject is the text template's first line (`Subject: ...`). Texts are
marked with `_()`; the Chinese catalog of e-mail is `locale/zh_Hans/LC_MESSAGES/
messages.po`. Numbers, money and dates are formatted for the language with Babel.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from accord.partners import taxonomy

HERE = Path(__file__).parent
LANGUAGES = ("en", "zh_Hans")

#: How English e-mail writes data codes whose code is not a word.
_ENGLISH = {"conversion_rate": "conversion rate", "reversal_rate": "reversal rate"}
_ENGLISH.update({k.code: k.en for k in taxonomy.KINDS})


class _English(NullTranslations):
    def gettext(self, message: str) -> str:
        return _ENGLISH.get(message, message)


@cache
def translations(language: str) -> NullTranslations:
    po = HERE / "locale" / language / "LC_MESSAGES" / "messages.po"
    if language == "en" or not po.exists():
        return _English()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    for kind in taxonomy.KINDS:  # partner types are named by the taxonomy
        catalog.add(kind.code, kind.zh)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def language_of(value: str | None) -> str:
    return value if value in LANGUAGES else "en"


@cache
def environment(language: str, html: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]) if html else False,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


class Formatter:
    """Numbers, money, percentages and dates for one language."""

    def __init__(self, language: str) -> None:
        self.babel = Locale.parse(language)

    def money(self, amount: Decimal | str | int, currency: str) -> str:
        return format_currency(Decimal(str(amount)), currency, locale=self.babel)

    def number(self, value: int | float | Decimal, digits: int = 0) -> str:
        if isinstance(value, float):
            value = round(value, digits)
        return format_decimal(value, locale=self.babel)

    def percent(self, value: Decimal | float | None) -> str:
        if value is None:
            return "\u2013"
        return format_percent(value, format="#,##0.0%", locale=self.babel)

    def change(self, value: float | None) -> str:
        """A relative change with its sign (+12.5 %), or a dash from zero."""
        if value is None:
            return "\u2013"
        sign = "+" if value > 0 else ""
        return sign + format_percent(value, format="#,##0.0%", locale=self.babel)

    def date(self, value: date | datetime) -> str:
        return format_date(value, format="medium", locale=self.babel)

    def country(self, code: str | None) -> str:
        """A country's name in the language (DE: Germany, 德国); the code if unknown."""
        return self.babel.territories.get((code or "").upper(), code or "")

    def month(self, value: date) -> str:
        """A month and its year: December 2026, 2026年12月."""
        return format_skeleton("yMMMM", value, locale=self.babel)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(name: str, language: str, **context) -> Rendered:
    """The e-mail `name` in `language` (en or zh_Hans; anything else is English)."""
    language = language_of(language)
    shared = {"fmt": Formatter(language), "language": language, **context}
    text = environment(language, False).get_template(f"{name}.txt").render(**shared)
    first, _, body = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"mail template {name}.txt must start with a Subject: line")
    html = environment(language, True).get_template(f"{name}.html").render(**shared)
    return Rendered(first.removeprefix("Subject:").strip(), body.lstrip("\n"), html)
