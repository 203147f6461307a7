"""Nurturing sequences as data: their steps, checked; where a person goes next; and a
marketer's text made into a mail whose links are counted.

A sequence is a list of steps run in order for each person enrolled:

- **email**: a subject and a plain-text body (`{name}` is the person's name; every
  http(s) address becomes a link whose clicks are counted);
- **wait**: a number of days before the next step;
- **branch**: a condition (opened or clicked one of the sequence's mails, did an activity
  since enrolling, or has a score of at least N) and what to do when it holds: leave the
  sequence, or go on at a later step. When it does not hold, the next step follows.

A branch only jumps forward, so every run of a sequence ends.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from accord.leads.model import BadIdentity, check_activity_type

KINDS = ("email", "wait", "branch")
CONDITIONS = ("opened", "clicked", "activity", "score")
MAX_STEPS = 20
MAX_WAIT_DAYS = 365
SUBJECT_LIMIT = 200
BODY_LIMIT = 20_000
#: What `{name}` becomes for a person whose name is not known, by the mail's language.
NO_NAME = {"en": "there", "zh_Hans": ""}
LANGUAGES = tuple(NO_NAME)

_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}\u3002\uff0c\uff1b\uff1a\uff01\uff1f\uff09\u300d"


class BadStep(ValueError):
    """A step that cannot run, naming its field (`steps[2].days`)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class Step:
    kind: str
    subject: str | None = None
    body: str | None = None
    days: int | None = None
    condition: str | None = None
    activity: str | None = None
    at_least: int | None = None
    #: "exit", or the number (1-based) of a later step to go on at
    then: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def _text(raw: Mapping[str, Any], name: str, where: str, limit: int) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadStep(f"{where}.{name}", "is required")
    value = value.strip()
    if len(value) > limit:
        raise BadStep(f"{where}.{name}", f"at most {limit:,} characters")
    return value


def _whole(raw: Mapping[str, Any], name: str, where: str, low: int, high: int) -> int:
    value = raw.get(name)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadStep(f"{where}.{name}", "give a whole number")
    if not low <= value <= high:
        raise BadStep(f"{where}.{name}", f"must be from {low:,} to {high:,}")
    return value


def check_steps(raw: Any) -> tuple[Step, ...]:
    """The steps, checked one by one; raises `BadStep` naming the first field that is wrong."""
    if not isinstance(raw, list | tuple) or not raw:
        raise BadStep("steps", "give at least one step")
    if len(raw) > MAX_STEPS:
        raise BadStep("steps", f"at most {MAX_STEPS} steps")
    steps: list[Step] = []
    for n, item in enumerate(raw):
        where = f"steps[{n}]"
        if not isinstance(item, Mapping):
            raise BadStep(where, "each step is an object with its kind")
        kind = item.get("kind")
        if kind not in KINDS:
            raise BadStep(f"{where}.kind", f"use one of: {', '.join(KINDS)}")
        if kind == "email":
            steps.append(Step("email", subject=_text(item, "subject", where, SUBJECT_LIMIT),
                              body=_text(item, "body", where, BODY_LIMIT)))  # fmt: skip
        elif kind == "wait":
            steps.append(Step("wait", days=_whole(item, "days", where, 1, MAX_WAIT_DAYS)))
        else:
            steps.append(_branch(item, where, n, len(raw)))
    if not any(s.kind == "email" for s in steps):
        raise BadStep("steps", "a sequence needs at least one e-mail")
    return tuple(steps)


def _branch(item: Mapping[str, Any], where: str, n: int, count: int) -> Step:
    condition = item.get("condition")
    if condition not in CONDITIONS:
        raise BadStep(f"{where}.condition", f"use one of: {', '.join(CONDITIONS)}")
    activity = at_least = None
    if condition == "activity":
        try:
            activity = check_activity_type(str(item.get("activity") or ""))
        except BadIdentity as error:
            raise BadStep(f"{where}.activity", error.message) from None
    if condition == "score":
        at_least = _whole(item, "at_least", where, 0, 100_000)
    then = str(item.get("then") or "").strip()
    if then != "exit":
        if not then.isdigit():
            raise BadStep(f"{where}.then", "use exit, or the number of a later step")
        target = int(then)
        if not n + 1 < target <= count:
            raise BadStep(f"{where}.then", f"go on at a later step: {n + 2} to {count}"
                          if n + 2 <= count else "this is the last step: use exit")  # fmt: skip
    return Step("branch", condition=condition, activity=activity, at_least=at_least, then=then)


# where a person goes next -----------------------------------------------------------------
@dataclass(frozen=True)
class Facts:
    """What is known of an enrolled person when a branch is read: whether they opened or
    clicked any of the sequence's mails, what they did since enrolling, their score now."""

    opened: bool = False
    clicked: bool = False
    done: frozenset[str] = frozenset()
    score: int = 0


def holds(step: Step, facts: Facts) -> bool:
    if step.condition == "opened":
        return facts.opened or facts.clicked
    if step.condition == "clicked":
        return facts.clicked
    if step.condition == "activity":
        return step.activity in facts.done
    return facts.score >= (step.at_least or 0)


@dataclass(frozen=True)
class Move:
    """What to do now: `send` the e-mail at `step`, `wait` some days, or end (`done`: the
    steps are over; `exit`: a branch said to leave). `position` is the step to run next."""

    action: str
    position: int
    step: int | None = None
    days: int = 0


def step_on(steps: Sequence[Step], position: int, facts: Facts) -> Move:
    """From `position`, follow branches until an e-mail to send, a wait or the end."""
    while position < len(steps):
        step = steps[position]
        if step.kind == "email":
            return Move("send", position + 1, step=position)
        if step.kind == "wait":
            return Move("wait", position + 1, days=step.days or 0)
        if holds(step, facts):
            if step.then == "exit":
                return Move("exit", len(steps), step=position)
            position = int(step.then or 0) - 1
        else:
            position += 1
    return Move("done", len(steps))


# a mail whose links are counted -------------------------------------------------------------
@dataclass(frozen=True)
class Composed:
    text: str
    html: str
    #: the addresses the mail links to, in order: link n opens links[n]
    links: tuple[str, ...]


def personal(text: str, name: str | None, language: str) -> str:
    return text.replace("{name}", (name or "").strip() or NO_NAME.get(language, ""))


def compose(body: str, link_base: str) -> Composed:
    """The body as plain text and as HTML, every address in it replaced by `link_base`
    followed by its number, so that a click is counted before the person goes on."""
    links: list[str] = []
    text_parts: list[str] = []
    html_parts: list[str] = []
    at = 0
    for found in _URL.finditer(body):
        url = found.group(0).rstrip(_TRAILING)
        end = found.start() + len(url)
        text_parts.append(body[at : found.start()])
        html_parts.append(html.escape(body[at : found.start()]))
        if url not in links:
            links.append(url)
        tracked = f"{link_base}{links.index(url)}"
        text_parts.append(tracked)
        html_parts.append(f'<a href="{html.escape(tracked)}">{html.escape(url)}</a>')
        at = end
    text_parts.append(body[at:])
    html_parts.append(html.escape(body[at:]))
    text = "".join(text_parts)
    paragraphs = "".join(html_parts).replace("\r\n", "\n").split("\n\n")
    markup = "".join(
        f"<p>{p.strip().replace(chr(10), '<br>')}</p>" for p in paragraphs if p.strip()
    )
    return Composed(text, markup, tuple(links))
