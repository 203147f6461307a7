"""Applications decided by rules: the questions a program asks applicants, their answers,
and the rules that approve or decline an application at once.

A rule holds when every condition it names holds: the partner's type is one of `types`
(types or groups), it promotes to one of `countries`, its audience is at least
`min_audience` and at most `max_audience`, its risk score is at most `max_risk` (a partner
never scored does not meet a risk condition), and each question in `answers` was answered
with the value given. The first active rule that holds decides; when none does, a person
decides (or the program's "approve at once" setting). Pure functions, no database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from accord.errors import InvalidInput, Text
from accord.partners import taxonomy

QUESTION_KINDS = ("text", "yes_no", "choice", "number", "url")
ACTIONS = ("approve", "decline")
MAX_QUESTIONS = 20
MAX_RULES = 50
MAX_ANSWER = 2000
CONDITIONS = ("types", "countries", "min_audience", "max_audience", "max_risk", "answers")


def check_questions(raw: Sequence[Mapping]) -> list[dict]:
    """The questions as stored: each with an id (q1, q2... when not given), its text, kind,
    choices (for choice) and whether an answer is required."""
    if len(raw) > MAX_QUESTIONS:
        raise InvalidInput("questions", Text("ask at most %(most)s questions", most=MAX_QUESTIONS))
    out: list[dict] = []
    ids: set[str] = set()
    for n, item in enumerate(raw, 1):
        field_name = f"questions.{n}"
        text = str(item.get("text") or "").strip()
        if not text:
            raise InvalidInput(f"{field_name}.text", "write the question")
        if len(text) > 500:
            raise InvalidInput(f"{field_name}.text", "keep a question under 500 characters")
        kind = str(item.get("kind") or "text")
        if kind not in QUESTION_KINDS:
            raise InvalidInput(
                f"{field_name}.kind", Text("use one of: %(kinds)s", kinds=", ".join(QUESTION_KINDS))
            )
        qid = str(item.get("id") or "").strip() or f"q{n}"
        while qid in ids:
            qid = f"{qid}_{n}"
        if not re.fullmatch(r"[a-z0-9_]{1,32}", qid):
            raise InvalidInput(f"{field_name}.id", "use 1 to 32 lowercase letters, digits, _")
        ids.add(qid)
        choices = [str(c).strip() for c in item.get("choices") or [] if str(c).strip()]
        if kind == "choice" and len(choices) < 2:
            raise InvalidInput(f"{field_name}.choices", "give at least two choices")
        if len(choices) > 20 or any(len(c) > 200 for c in choices):
            raise InvalidInput(f"{field_name}.choices", "give at most 20 short choices")
        out.append({"id": qid, "text": text, "kind": kind,
                    "choices": choices if kind == "choice" else [],
                    "required": bool(item.get("required"))})  # fmt: skip
    return out


def check_answers(questions: Sequence[Mapping], answers: Mapping[str, object]) -> dict:
    """The applicant's answers as stored, or InvalidInput naming the first question that is
    unanswered (and required) or answered out of its kind."""
    out: dict[str, str] = {}
    for q in questions:
        qid = q["id"]
        value = str(answers.get(qid) or "").strip()
        where = f"answers.{qid}"
        if not value:
            if q.get("required"):
                raise InvalidInput(where, Text("answer: %(question)s", question=q["text"]))
            continue
        if len(value) > MAX_ANSWER:
            raise InvalidInput(
                where, Text("keep an answer under %(most)s characters", most=MAX_ANSWER)
            )
        kind = q.get("kind", "text")
        if kind == "yes_no" and value not in ("yes", "no"):
            raise InvalidInput(where, "answer yes or no")
        if kind == "choice" and value not in q.get("choices", []):
            choices = ", ".join(q.get("choices", []))
            raise InvalidInput(where, Text("choose one of: %(choices)s", choices=choices))
        if kind == "number":
            try:
                Decimal(value.replace(",", ""))
            except InvalidOperation:
                raise InvalidInput(
                    where, Text("%(value)s is not a number", value=repr(value))
                ) from None
        if kind == "url":
            if "://" not in value:
                value = f"https://{value}"
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or "." not in (parts.hostname or ""):
                raise InvalidInput(where, Text("%(value)s is not a web address", value=repr(value)))
        out[qid] = value
    return out


def _whole(value, where: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value).replace(",", "").strip())
    except ValueError:
        raise InvalidInput(
            where, Text("%(value)s is not a whole number", value=repr(value))
        ) from None
    if number < 0:
        raise InvalidInput(where, "give a number of 0 or more")
    return number


def check_conditions(
    raw: Mapping, questions: Sequence[Mapping], own: Mapping[str, str] | None = None
) -> dict:
    """A rule's conditions as stored; InvalidInput names the condition that is wrong."""
    unknown = [k for k in raw if k not in CONDITIONS]
    if unknown:
        raise InvalidInput(
            f"conditions.{unknown[0]}",
            Text("use: %(conditions)s", conditions=", ".join(CONDITIONS)),
        )
    out: dict = {}
    types = [str(t).strip() for t in raw.get("types") or [] if str(t).strip()]
    for t in types:
        if not taxonomy.is_selector(t, dict(own or {})):
            raise InvalidInput(
                "conditions.types", Text("%(value)s is not a partner type or group", value=repr(t))
            )
    if types:
        out["types"] = types
    countries = [str(c).strip().upper() for c in raw.get("countries") or [] if str(c).strip()]
    for c in countries:
        if not re.fullmatch(r"[A-Z]{2}", c):
            raise InvalidInput(
                "conditions.countries",
                Text("%(value)s is not a two-letter country code", value=repr(c)),
            )
    if countries:
        out["countries"] = countries
    for name in ("min_audience", "max_audience", "max_risk"):
        number = _whole(raw.get(name), f"conditions.{name}")
        if number is not None:
            out[name] = number
    if "max_risk" in out and out["max_risk"] > 100:
        raise InvalidInput("conditions.max_risk", "risk scores run from 0 to 100")
    low, high = out.get("min_audience"), out.get("max_audience")
    if low is not None and high is not None and low > high:
        raise InvalidInput("conditions.max_audience", "must be at least the smallest audience")
    answers = {str(k): str(v).strip() for k, v in (raw.get("answers") or {}).items()
               if str(v).strip()}  # fmt: skip
    known = {q["id"]: q for q in questions}
    for qid, value in answers.items():
        if qid not in known:
            raise InvalidInput(
                "conditions.answers", Text("%(value)s is not one of the questions", value=repr(qid))
            )
        q = known[qid]
        if q["kind"] == "yes_no" and value not in ("yes", "no"):
            raise InvalidInput("conditions.answers", "a yes-or-no question is answered yes or no")
        if q["kind"] == "choice" and value not in q["choices"]:
            raise InvalidInput(
                "conditions.answers", Text("%(value)s is not one of its choices", value=repr(value))
            )
    if answers:
        out["answers"] = answers
    return out


@dataclass(frozen=True, slots=True)
class Facts:
    """What rules read of an application."""

    partner_type: str
    countries: frozenset[str] = frozenset()
    audience_total: int = 0
    risk: int | None = None
    answers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    action: str
    conditions: Mapping
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    rule: Rule
    #: Each condition that held: (condition, what the application had).
    met: tuple[tuple[str, str], ...]


def holds(conditions: Mapping, facts: Facts, own: Mapping[str, str] | None = None):
    """The conditions met, when every one of them holds; else None."""
    met: list[tuple[str, str]] = []
    types = conditions.get("types")
    if types:
        if not any(taxonomy.covers(t, facts.partner_type, dict(own or {})) for t in types):
            return None
        met.append(("types", facts.partner_type))
    countries = conditions.get("countries")
    if countries:
        common = sorted(set(countries) & facts.countries)
        if not common:
            return None
        met.append(("countries", ", ".join(common)))
    low, high = conditions.get("min_audience"), conditions.get("max_audience")
    if low is not None or high is not None:
        if low is not None and facts.audience_total < low:
            return None
        if high is not None and facts.audience_total > high:
            return None
        met.append(("audience", str(facts.audience_total)))
    if conditions.get("max_risk") is not None:
        if facts.risk is None or facts.risk > conditions["max_risk"]:
            return None
        met.append(("risk", str(facts.risk)))
    for qid, wanted in (conditions.get("answers") or {}).items():
        if facts.answers.get(qid) != wanted:
            return None
        met.append((f"answer:{qid}", wanted))
    return tuple(met)


def decide(
    rules: Sequence[Rule], facts: Facts, own: Mapping[str, str] | None = None
) -> Decision | None:
    """The first rule that holds, with what held; None when none does."""
    for rule in rules:
        met = holds(rule.conditions, facts, own)
        if met is not None:
            return Decision(rule, met)
    return None
