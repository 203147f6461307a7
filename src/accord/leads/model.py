"""Leads, the rules: identifiers normalised so that one person is found again whatever
channel they come back through, the behaviour score (points per activity, caps per group,
decay with a half-life), the fit grade from profile fields, the MQL zone of the fit x
engagement grid, and the stages. Pure: no database, no web.

A **contact** is one person as the brand knows them. Each **identity** names them on one
channel: an e-mail, a phone in E.164, a WeChat OpenID (scoped to its app) or UnionID, a
device's advertising or vendor id, the JS tag's cookie id, the brand's own customer id. Each
**activity** is something they did (viewed a page, downloaded a white paper, registered for an
event, came to the stand), with its channel, source, campaign, UTM tags, referrer and keyword.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, field_validator

# identities -------------------------------------------------------------------------------
#: Every kind of identifier, in the order a page lists them.
IDENTITY_KINDS = (
    "email",
    "phone",
    "unionid",
    "openid",
    "customer_id",
    "gaid",
    "idfa",
    "idfv",
    "cookie",
)
#: An identifier seen with more than this many different values of another personal kind
#: (e-mails, phones, UnionIDs, customer ids) is shared by several people: a company
#: switchboard, a family phone, an event kiosk. It never merges contacts and is flagged.
SHARED_AFTER = 2
#: The kinds counted to tell that an identifier is shared.
PERSONAL_KINDS = frozenset({"email", "phone", "unionid", "customer_id"})

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s.]{2,63}$")
_COOKIE = re.compile(r"^[A-Za-z0-9_.-]{8,64}$")
_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class BadIdentity(ValueError):
    """An identifier that cannot be one: names the field and what is wrong."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


def normal_email(value: str) -> str:
    text = value.strip().lower()
    if not _EMAIL.match(text):
        raise BadIdentity("email", f"{value[:80]!r} is not an e-mail address")
    return text


def normal_phone(value: str, region: str | None) -> str:
    """E.164 (+8613800138000): a number with its country code, or a local one read in the
    brand's default region."""
    text = value.strip()
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else region)
    except phonenumbers.NumberParseException:
        hint = "" if region else " (no default region is set: give the country code, +86...)"
        raise BadIdentity("phone", f"{value[:40]!r} is not a phone number{hint}") from None
    if not phonenumbers.is_possible_number(number):
        raise BadIdentity("phone", f"{value[:40]!r} has the wrong length for its country")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normal_token(kind: str, value: str, *, limit: int = 128) -> str:
    text = value.strip()
    if not text or len(text) > limit or any(c.isspace() for c in text):
        raise BadIdentity(kind, f"must be 1 to {limit} characters without spaces")
    return text


def identities_of(given: Mapping[str, Any], region: str | None) -> dict[str, str]:
    """The normalised identifiers of a capture, by kind. `given` may hold email, phone,
    customer_id, cookie, a `wechat` mapping (appid, openid, unionid) and a `device` mapping
    (gaid, idfa, idfv); empty values are skipped. Raises BadIdentity naming the field."""
    out: dict[str, str] = {}
    if given.get("email"):
        out["email"] = normal_email(str(given["email"]))
    if given.get("phone"):
        out["phone"] = normal_phone(str(given["phone"]), region)
    if given.get("customer_id"):
        out["customer_id"] = normal_token("customer_id", str(given["customer_id"]), limit=200)
    if given.get("cookie"):
        text = str(given["cookie"]).strip()
        if not _COOKIE.match(text):
            raise BadIdentity("cookie", "must be the tag's cookie id: 8 to 64 letters and digits")
        out["cookie"] = text
    wechat = given.get("wechat") or {}
    if wechat.get("openid"):
        if not wechat.get("appid"):
            raise BadIdentity("wechat.appid", "an OpenID belongs to one app: give its appid")
        appid = normal_token("wechat.appid", str(wechat["appid"]), limit=64)
        out["openid"] = f"{appid}:{normal_token('wechat.openid', str(wechat['openid']))}"
    if wechat.get("unionid"):
        out["unionid"] = normal_token("wechat.unionid", str(wechat["unionid"]))
    device = given.get("device") or {}
    for kind in ("gaid", "idfa", "idfv"):
        value = device.get(kind)
        if value and str(value).strip("0- "):  # all zeros: tracking is off
            out[kind] = normal_token(f"device.{kind}", str(value), limit=64).lower()
    return out


def shared_kinds(others: Mapping[str, int]) -> bool:
    """Whether an identifier seen with these counts of distinct values per other personal
    kind is shared by several people."""
    return any(count > SHARED_AFTER for count in others.values())


def check_activity_type(value: str) -> str:
    text = value.strip().lower()
    if not _TYPE.match(text):
        raise BadIdentity(
            "type", "use lower-case letters, digits and _ (e.g. form_submit, download)"
        )
    return text


# stages -----------------------------------------------------------------------------------
class Stage(StrEnum):
    NEW = "new"
    MQL = "mql"
    SQL = "sql"
    OPPORTUNITY = "opportunity"
    CUSTOMER = "customer"
    LOST = "lost"


STAGES = tuple(Stage)


# the behaviour score ----------------------------------------------------------------------
@dataclass(frozen=True)
class ScoreRule:
    """Points for one activity type (on any channel, or on `channel` only), counted in a
    group whose total is capped."""

    activity: str
    points: int
    group: str
    channel: str | None = None


#: What a brand starts with; each brand changes points, caps and the half-life.
DEFAULT_RULES: tuple[ScoreRule, ...] = (
    ScoreRule("page_view", 1, "web"),
    ScoreRule("pricing_view", 8, "intent"),
    ScoreRule("content_view", 3, "content"),
    ScoreRule("download", 10, "content"),
    ScoreRule("video_watch", 5, "content"),
    ScoreRule("share", 5, "social"),
    ScoreRule("wechat_follow", 5, "social"),
    ScoreRule("form_submit", 15, "forms"),
    ScoreRule("event_registered", 10, "events"),
    ScoreRule("event_attended", 25, "events"),
    ScoreRule("store_visit", 15, "events"),
    ScoreRule("email_open", 1, "email"),
    ScoreRule("email_click", 4, "email"),
    ScoreRule("demo_request", 40, "intent"),
    ScoreRule("trial_signup", 30, "intent"),
)
DEFAULT_CAPS: dict[str, int] = {
    "web": 15,
    "content": 40,
    "social": 15,
    "forms": 30,
    "events": 50,
    "email": 15,
    "intent": 60,
}
DEFAULT_HALF_LIFE_DAYS = 30


@dataclass(frozen=True)
class Scoring:
    """A brand's behaviour rules: points per activity, caps per group, the half-life."""

    rules: tuple[ScoreRule, ...] = DEFAULT_RULES
    caps: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_CAPS))
    half_life_days: Decimal = Decimal(DEFAULT_HALF_LIFE_DAYS)

    def points(self, activity: str, channel: str | None) -> tuple[int, str] | None:
        """(points, group) for an activity, a channel-specific rule first; None: scores 0."""
        general = None
        for rule in self.rules:
            if rule.activity != activity:
                continue
            if rule.channel is not None and rule.channel == channel:
                return rule.points, rule.group
            if rule.channel is None and general is None:
                general = (rule.points, rule.group)
        return general


@dataclass(frozen=True)
class Done:
    """One activity as the score reads it."""

    activity: str
    channel: str | None
    at: datetime


def decay(points: int, age_days: float, half_life_days: Decimal) -> float:
    """Points after `age_days`: halved every half-life (future activities count in full)."""
    if age_days <= 0 or half_life_days <= 0:
        return float(points)
    return points * 0.5 ** (age_days / float(half_life_days))


@dataclass(frozen=True)
class Behaviour:
    """A contact's behaviour score, and each group's part of it (after its cap)."""

    score: int
    groups: Mapping[str, Decimal]


def _days(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / 86400


def weights(
    done: Iterable[Done], scoring: Scoring, epoch: datetime, until: datetime
) -> dict[str, float]:
    """Each group's points, uncapped, as they stand at `epoch`: an activity's points times
    2^(days from `epoch` to it / half-life), an activity after `until` counted as at
    `until`. Decaying a group from the epoch to any later time is one multiplication by
    `factor`, the same for every contact of a brand, so the daily pass needs no activity."""
    half_life = float(scoring.half_life_days)
    sums: dict[str, float] = {}
    for item in done:
        found = scoring.points(item.activity, item.channel)
        if found is None:
            continue
        points, group = found
        days = _days(min(item.at, until), epoch)
        sums[group] = sums.get(group, 0.0) + points * 2.0 ** (days / half_life)
    return sums


def factor(scoring: Scoring, epoch: datetime, now: datetime) -> float:
    """What a weight at `epoch` is worth at `now`: halved every half-life."""
    return 2.0 ** (-_days(now, epoch) / float(scoring.half_life_days))


def score_at(weights_: Mapping[str, float], scoring: Scoring, at_factor: float) -> Behaviour:
    """The score from the groups' weights: each group decayed by the factor and capped, the
    groups added up and rounded half-up to whole points (the parts to two decimals)."""
    total = 0.0
    groups: dict[str, Decimal] = {}
    for group, weight in weights_.items():
        value = weight * at_factor
        cap = scoring.caps.get(group)
        if cap is not None and value > cap:
            value = float(cap)
        total += value
        groups[group] = Decimal(str(round(value, 2)))
    return Behaviour(math.floor(total + 0.5), groups)


def behaviour(done: Iterable[Done], scoring: Scoring, now: datetime) -> Behaviour:
    """Sum every activity's decayed points by group, cap each group, and add the groups up
    (rounded half-up to whole points)."""
    return score_at(weights(done, scoring, now, now), scoring, 1.0)


# fit --------------------------------------------------------------------------------------
#: Words of a title that name a decision maker (English and Chinese), and their points.
SENIOR_TITLES = (
    ("chief", 30), ("ceo", 30), ("cto", 30), ("cfo", 30), ("cio", 30), ("vp", 25),
    ("vice president", 25), ("president", 25), ("head", 20), ("director", 20),
    ("manager", 10), ("lead", 10),
    ("总裁", 30), ("首席", 30), ("副总", 25), ("总监", 20), ("负责人", 20), ("经理", 10),
    ("主管", 10),
)  # fmt: skip


@dataclass(frozen=True)
class FitRules:
    """What makes a contact a fit for the brand: industries and regions it sells to, the
    company sizes that buy, and titles that decide (each with points; at most 100)."""

    industries: Mapping[str, int] = field(default_factory=dict)
    regions: Mapping[str, int] = field(default_factory=dict)
    #: (at least this many employees, points), largest first
    sizes: tuple[tuple[int, int], ...] = ((1000, 30), (200, 20), (50, 10))
    titles: tuple[tuple[str, int], ...] = SENIOR_TITLES
    #: points for naming a company at all
    company: int = 10


@dataclass(frozen=True)
class Profile:
    company: str | None = None
    title: str | None = None
    industry: str | None = None
    company_size: int | None = None
    region: str | None = None


def fit_score(profile: Profile, rules: FitRules) -> int:
    """0 to 100: the points of each profile field that matches."""
    total = 0
    if profile.company and profile.company.strip():
        total += rules.company
    if profile.industry:
        total += rules.industries.get(profile.industry.strip().lower(), 0)
    if profile.region:
        total += rules.regions.get(profile.region.strip().upper(), 0)
    if profile.company_size is not None:
        for least, points in rules.sizes:
            if profile.company_size >= least:
                total += points
                break
    if profile.title:
        title = profile.title.lower()
        words = set(re.findall(r"[a-z]+", title))
        best = 0
        for word, points in rules.titles:
            hit = word in words if word.isascii() and " " not in word else word in title
            if hit:
                best = max(best, points)
        total += best
    return max(0, min(100, total))


def grade(fit: int) -> str:
    """A (75 and more), B (50), C (25) or D."""
    return "A" if fit >= 75 else "B" if fit >= 50 else "C" if fit >= 25 else "D"


def engagement(score: int) -> int:
    """The engagement band of a behaviour score: 1 (under 25), 2, 3 or 4 (75 and more)."""
    return 4 if score >= 75 else 3 if score >= 50 else 2 if score >= 25 else 1


#: The cells of the fit x engagement grid that make a contact marketing-qualified.
DEFAULT_MQL_ZONE = frozenset({"A2", "A3", "A4", "B3", "B4", "C4"})


def in_zone(fit: int, score: int, zone: frozenset[str]) -> bool:
    return f"{grade(fit)}{engagement(score)}" in zone


def check_zone(cells: Sequence[str]) -> frozenset[str]:
    out = set()
    for cell in cells:
        text = cell.strip().upper()
        if len(text) != 2 or text[0] not in "ABCD" or text[1] not in "1234":
            raise ValueError(f"{cell!r} is not a cell of the grid (A1 to D4)")
        out.add(text)
    return frozenset(out)


@dataclass(frozen=True)
class Trigger:
    """What a new score does to a contact: whether it entered the MQL zone now (and the
    trigger fires), and whether the trigger is armed for next time."""

    fires: bool
    armed: bool


def trigger(was_armed: bool, inside: bool) -> Trigger:
    """The MQL trigger fires once when a contact enters the zone, and re-arms only when the
    contact falls out of it again."""
    if inside:
        return Trigger(fires=was_armed, armed=False)
    return Trigger(fires=False, armed=True)


# erasure ----------------------------------------------------------------------------------
def erasure_marks(pairs: Iterable[tuple[str, str]]) -> set[str]:
    """Short one-way marks of identifiers, so that a record refused before it became a
    contact (an import's rejected row) can still be found and erased with the person: an
    e-mail by its lower-case form, a phone by its last nine digits, a customer id as is."""
    marks = set()
    for kind, value in pairs:
        text = (value or "").strip()
        if kind == "phone":
            text = re.sub(r"\D", "", text)[-9:]
        elif kind == "email":
            text = text.lower()
        if len(text) >= 4:
            marks.add(hashlib.sha256(f"{kind}:{text}".encode()).hexdigest()[:16])
    return marks


# a capture, as the API, a form or an import sends it --------------------------------------
class WeChatIds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    appid: str | None = Field(default=None, max_length=64)
    openid: str | None = Field(default=None, max_length=128)
    unionid: str | None = Field(default=None, max_length=128)


class DeviceIds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gaid: str | None = Field(default=None, max_length=64)
    idfa: str | None = Field(default=None, max_length=64)
    idfv: str | None = Field(default=None, max_length=64)


class Utm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str | None = Field(default=None, max_length=200)
    medium: str | None = Field(default=None, max_length=200)
    campaign: str | None = Field(default=None, max_length=200)
    term: str | None = Field(default=None, max_length=200)
    content: str | None = Field(default=None, max_length=200)


class Capture(BaseModel):
    """A person and something they did, from any channel: at least one identifier, the
    profile fields known, and the activity with where it came from. Unknown fields are
    refused."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(
        default=None, max_length=40, description="With its country code (+86...), or local "
        "to the brand's default region."
    )  # fmt: skip
    customer_id: str | None = Field(default=None, max_length=200)
    cookie: str | None = Field(default=None, max_length=64, description="The JS tag's cookie id.")
    wechat: WeChatIds | None = None
    device: DeviceIds | None = None
    name: str | None = Field(default=None, max_length=200)
    company: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=200)
    industry: str | None = Field(default=None, max_length=100)
    company_size: int | None = Field(default=None, ge=1, le=10_000_000)
    region: str | None = Field(
        default=None, min_length=2, max_length=2, description="ISO 3166-1 alpha-2."
    )
    city: str | None = Field(default=None, max_length=100)
    type: str = Field(
        default="form_submit",
        max_length=40,
        description="What they did: page_view, content_view, download, form_submit, "
        "event_registered, event_attended, store_visit, demo_request, ... (lower case).",
    )
    channel: str | None = Field(
        default=None, max_length=40, description="web, wechat, event, store, phone, email, ..."
    )
    source: str | None = Field(default=None, max_length=200)
    campaign: str | None = Field(default=None, max_length=200)
    utm: Utm | None = None
    referrer: str | None = Field(default=None, max_length=2000)
    keyword: str | None = Field(
        default=None, max_length=200, description="The search keyword that brought them."
    )
    subject: str | None = Field(
        default=None, max_length=500, description="What it was about: a page, content or event."
    )
    occurred_at: datetime | None = Field(
        default=None, description="ISO 8601 with a timezone; defaults to now."
    )
    data: dict[str, Any] | None = Field(
        default=None, description="Other answers, up to 50 keys (kept with the activity)."
    )
    consent: dict[str, bool] | None = Field(
        default=None,
        description="Consents given (true) or withdrawn (false) with this activity, by "
        'purpose: {"marketing": true}. The latest per purpose is the person\'s.',
    )

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        try:
            return check_activity_type(value)
        except BadIdentity as error:
            raise ValueError(error.message) from None

    @field_validator("region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.isalpha():
            raise ValueError("must be a two-letter country code such as CN")
        return value.upper()

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give the time with its timezone, e.g. 2026-12-04T09:30:00+08:00")
        return value

    @field_validator("data")
    @classmethod
    def _data(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return None
        if len(value) > 50:
            raise ValueError("at most 50 keys")
        if len(json.dumps(value, default=str)) > 20_000:
            raise ValueError("at most 20,000 characters as JSON")
        return value

    @field_validator("consent")
    @classmethod
    def _consent(cls, value: dict[str, bool] | None) -> dict[str, bool] | None:
        if value is None:
            return None
        if len(value) > 10:
            raise ValueError("at most 10 purposes")
        for purpose in value:
            if not _TYPE.match(purpose):
                raise ValueError(f"{purpose[:40]!r}: name a purpose in lower case, e.g. marketing")
        return value

    def given_identities(self) -> dict[str, Any]:
        """The identifier fields as `identities_of` reads them."""
        return {
            "email": self.email,
            "phone": self.phone,
            "customer_id": self.customer_id,
            "cookie": self.cookie,
            "wechat": self.wechat.model_dump() if self.wechat else None,
            "device": self.device.model_dump() if self.device else None,
        }

    def profile(self) -> dict[str, Any]:
        """The profile fields given (not None)."""
        fields = ("name", "company", "title", "industry", "company_size", "region", "city")
        return {
            name: getattr(self, name) for name in fields if getattr(self, name) not in (None, "")
        }
