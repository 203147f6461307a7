"""Languages of the console and portal: English and Simplified Chinese.

Texts are marked with `_()` in templates and code; the Chinese catalog is a Babel message
catalog (`locale/zh_Hans/LC_MESSAGES/messages.po`) compiled in memory when first used.
Amounts and dates are formatted for the locale with Babel.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import NullTranslations, Translations

from accord.partners import taxonomy

LOCALES = ("en", "zh_Hans")
LANGUAGE_NAMES = {"en": "English", "zh_Hans": "简体中文"}
COOKIE = "accord_lang"
CATALOGS = Path(__file__).parent / "locale"


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalog for a locale (English texts are the message ids themselves)."""
    po = CATALOGS / locale / "LC_MESSAGES" / "messages.po"
    if locale == "en" or not po.exists():
        return _EnglishWords()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    for code, (_en, zh) in taxonomy_words().items():  # partner types, named in one place
        catalog.add(code, zh)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def pick_locale(cookie: str | None, accept_language: str | None) -> str:
    """The visitor's choice (cookie), else the browser's first supported language."""
    if cookie in LOCALES:
        return cookie
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh_Hans"
        if tag.startswith("en"):
            return "en"
    return "en"


class Formatter:
    """Numbers, money and dates for one locale, as templates use them."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.babel = Locale.parse(locale)

    def money(self, amount: Decimal | str | int, currency: str) -> str:
        return format_currency(Decimal(str(amount)), currency, locale=self.babel)

    def minor(self, minor: int, currency: str) -> str:
        """Stored minor units as money: 1234 USD is $12.34."""
        from accord.money import Money

        return self.money(Money.from_minor(minor, currency).amount, currency)

    def number(self, value: int | Decimal) -> str:
        return format_decimal(value, locale=self.babel)

    def percent(self, value: Decimal | float | None) -> str:
        if value is None:
            return "\u2013"
        return format_percent(value, format="#,##0.0%", locale=self.babel)

    def date(self, value: date | datetime) -> str:
        return format_date(value, format="medium", locale=self.babel)

    def datetime(self, value: datetime) -> str:
        return format_datetime(value, format="medium", locale=self.babel)


def N_(text: str) -> str:  # noqa: N802 (the name gettext tools look for)
    """Marks a word for the catalog that templates translate from data (a status, a type)."""
    return text


#: Words stored in data that pages show translated: statuses, reason codes (partner types
#: are named by `accord.partners.taxonomy`).
DATA_WORDS = (
    N_("applied"), N_("approved"), N_("declined"), N_("suspended"),
    N_("pending"), N_("locked"), N_("paid"), N_("reversed"), N_("over_cap"), N_("held"),
    N_("new"), N_("returning"), N_("any"),
    N_("sepa"), N_("paypal"), N_("stripe"), N_("manual"), N_("alipay"), N_("wechat_pay"),
    N_("payoneer"), N_("swift"),
    N_("conversion"), N_("bonus"), N_("fee"), N_("bounty"), N_("adjustment"), N_("clicks"),
    N_("renewal"),
    N_("returned"), N_("order_error"), N_("fraud"), N_("test"), N_("duplicate"),
    N_("cancelled"), N_("other"), N_("tier_retroactive"),
    N_("queued"), N_("running"), N_("done"), N_("failed"), N_("created"), N_("rejected"),
    N_("attributed"), N_("unattributed"),
    N_("awaiting_confirmation"), N_("confirmed"), N_("signed"),
    N_("sale"), N_("lead"), N_("signup"), N_("install"), N_("first_purchase"),
    N_("last_click_in_window"), N_("promo_code"), N_("subscription_renewal"),
    N_("inquiry_accepted"), N_("view_through"), N_("click_after_conversion"),
    N_("click_outside_window"), N_("no_touchpoint"), N_("unknown_click_id"),
    N_("unknown_promo_code"), N_("partner_not_approved"), N_("no_matching_rule"),
    N_("view_through_not_paid"), N_("invalid_click"),
    N_("last_click"), N_("first_click"), N_("linear"), N_("position_based"), N_("time_decay"),
    N_("always"), N_("when_involved"), N_("only_when_wins"), N_("without_click"),
    N_("promo_code_always"), N_("first_click_in_window"), N_("linear_in_window"),
    N_("position_based_in_window"), N_("time_decay_in_window"), N_("linear_split"),
    N_("position_based_split"), N_("time_decay_split"), N_("code_did_not_win"),
    N_("click"), N_("impression"), N_("app_identity"), N_("subscription"), N_("inquiry"),
    N_("matched"), N_("merged"),
    N_("imported"), N_("imported_history"), N_("paid_before_import"), N_("owed_from_import"),
    N_("reversed_before_import"), N_("no_commission_in_import"), N_("skipped"),
)  # fmt: skip

#: How English pages write data words whose code is not a word.
_ENGLISH = {
    "rest": "rest of the order",
    "over_cap": "over cap",
    "order_error": "order error",
    "tier_retroactive": "retroactive tier",
    "awaiting_confirmation": "awaiting confirmation",
    "first_purchase": "first purchase",
    "last_click_in_window": "last click in the window",
    "promo_code": "promo code",
    "subscription_renewal": "renewal of a subscription",
    "inquiry_accepted": "inquiry accepted",
    "view_through": "view-through",
    "click_after_conversion": "the click came after the order",
    "click_outside_window": "the click is outside the window",
    "no_touchpoint": "no click or code",
    "unknown_click_id": "unknown click id",
    "unknown_promo_code": "unknown promo code",
    "partner_not_approved": "the partner is not approved",
    "no_matching_rule": "no rule of the contract matches",
    "view_through_not_paid": "view-through is not paid under the contract",
    "invalid_click": "the click was judged invalid by fraud protection",
    "last_click": "last click",
    "first_click": "first click",
    "position_based": "position-based",
    "time_decay": "time decay",
    "always": "always",
    "when_involved": "as one more touch",
    "only_when_wins": "only when it wins",
    "without_click": "only when no click qualifies",
    "promo_code_always": "the promo code takes the credit (policy: always)",
    "first_click_in_window": "first click in the window",
    "linear_in_window": "linear model, the largest share takes it all",
    "position_based_in_window": "position-based model, the largest share takes it all",
    "time_decay_in_window": "time-decay model, the largest share takes it all",
    "linear_split": "linear model, credit split",
    "position_based_split": "position-based model, credit split",
    "time_decay_split": "time-decay model, credit split",
    "code_did_not_win": "the promo code did not win under the model",
    "app_identity": "app or mini-program identity",
    "imported_history": "imported from the platform the program moved from",
    "paid_before_import": "paid on the platform the program moved from",
    "owed_from_import": "owed as the old platform left it: a commission of its own",
    "reversed_before_import": "reversed on the platform the program moved from",
    "no_commission_in_import": "the old platform paid nothing for it",
    "sepa": "SEPA",
    "paypal": "PayPal",
    "stripe": "Stripe",
    "alipay": "Alipay",
    "wechat_pay": "WeChat Pay",
    "payoneer": "Payoneer",
    "swift": "SWIFT wire",
}


def taxonomy_words() -> dict[str, tuple[str, str]]:
    """Partner types' and groups' codes with their English and Chinese names."""
    words = {k.code: (k.en, k.zh) for k in taxonomy.KINDS}
    words.update({g.code: (g.en, g.zh) for g in taxonomy.GROUPS})
    return words


_ENGLISH.update({code: en for code, (en, _zh) in taxonomy_words().items()})


#: What a field a message names is called on a page (the message ids of the catalog).
FIELD_LABELS = {
    "action_id": "Action ID",
    "amount": "Amount",
    "body": "Message",
    "code": "Code",
    "codes": "Codes",
    "commission": "Commission",
    "country": "Country",
    "currency": "Currency",
    "customer_id": "Customer ID",
    "days": "Days",
    "description": "Description",
    "email": "Email",
    "emails": "Email addresses",
    "ends_at": "Ends",
    "event_type": "Event type",
    "external_id": "ID on the other platform",
    "file": "File",
    "image": "Image",
    "kind": "Kind",
    "language": "Language",
    "name": "Name",
    "note": "Note",
    "occurred_at": "Date",
    "order_id": "Order ID",
    "partner": "Partner",
    "partner_id": "Partner",
    "password": "Password",
    "program": "Program",
    "promo_code": "Promo code",
    "reason": "Reason",
    "since": "From",
    "stage": "Stage",
    "starts_at": "Starts",
    "status": "Status",
    "title": "Title",
    "until": "To",
    "url": "URL",
    "website": "Website",
}


def say(locale: str, message: str, words: dict | None = None, with_field: bool = True) -> str:
    """A message for people (an error, an import row's result) in the page's language:
    English as it was; in another language its words (`accord.errors.words_of`: a message
    id, values, the field it names) looked up in the catalog and filled in, after the
    field's name. A message the catalog does not hold yet stays as it was. Without
    `with_field` (a table that names the field in a column of its own), the words alone."""
    if not words:
        return message
    msgid = str(words.get("id") or "")
    values = words.get("values")
    if not with_field and msgid:
        message = _filled(msgid, values) or message  # the English words alone
    if locale == "en":
        return message
    catalog = translations(locale)
    translated = catalog.gettext(msgid) if msgid else msgid
    said = _filled(translated, values) if translated != msgid else None
    if said is None:  # not in the catalog yet, or its entry out of step: as it was
        return message
    label = FIELD_LABELS.get(str(words.get("field") or "")) if with_field else None
    return f"{catalog.gettext(label)}\uff1a{said}" if label else said


def _filled(text: str, values) -> str | None:
    if not values:
        return text
    try:
        return text % values
    except (KeyError, TypeError, ValueError):
        return None


def field_name(locale: str, field: str | None) -> str | None:
    """What a field is called on a page in `locale`, or None for a field without a name."""
    label = FIELD_LABELS.get(field or "")
    return translations(locale).gettext(label) if label else None


def say_all(locale: str, message: str, words: list | None, with_field: bool = True) -> str:
    """`say` for a message made of several (an import row's notes): each said in the
    page's language, or all of `message` as it was when one is not in the catalog yet."""
    if not words:
        return message
    said = [say(locale, "", w, with_field) for w in words]
    joiner = "; " if locale == "en" else "\uff1b"
    return joiner.join(said) if all(said) else message


def english(word: str) -> str:
    """A data code as English text shows it (b2b_referral -> B2B referral)."""
    return _ENGLISH.get(word, word)


class _EnglishWords(NullTranslations):
    """English is the message ids themselves, but for data codes such as b2b_referral."""

    def gettext(self, message: str) -> str:
        return _ENGLISH.get(message, message)

    ugettext = gettext  # what Jinja's i18n extension calls when it exists
