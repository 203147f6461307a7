"""Checking a creator's post against a brief: pure functions, no storage.

A brief lists what a post must say and must not say:

- keywords: each must appear;
- hashtags: each must appear as a hashtag (`#trail` or the `#话题#` form of Chinese
  platforms), not as part of a longer one (`#trail` is not met by `#trails`);
- disclosure: at least one of the markers must appear (`#ad`, `广告`, `#sponsored`...);
- forbidden words: none may appear.

Text is compared after Unicode NFKC folding and case folding, so full-width letters and
capitals match their plain forms. A term made of letters, digits and underscores only
(a Latin word) matches whole words; any other term (Chinese, or with spaces or signs)
matches anywhere in the text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: The kinds of requirement, in the order they are shown.
KINDS = ("keyword", "hashtag", "disclosure", "forbidden")
MAX_TERMS = 50
MAX_TERM = 100


@dataclass(frozen=True)
class Check:
    kind: str
    value: str
    met: bool

    def as_dict(self) -> dict:
        return {"kind": self.kind, "value": self.value, "met": self.met}


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").casefold()


def _word(term: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-z_]+", term))


def contains(text: str, term: str) -> bool:
    """Whether folded `text` holds folded `term` (whole words for a Latin word)."""
    term = fold(term).strip()
    if not term:
        return False
    if _word(term):
        return re.search(rf"(?<![0-9a-z_]){re.escape(term)}(?![0-9a-z_])", text) is not None
    return term in text


def has_hashtag(text: str, tag: str) -> bool:
    """`#tag` ending where the tag ends (a space, a sign, the text's end, or the closing `#`
    of the `#话题#` form)."""
    tag = fold(tag).strip().strip("#").strip()
    if not tag:
        return False
    return re.search(rf"#{re.escape(tag)}(?![\w])", text) is not None


def _marker(text: str, marker: str) -> bool:
    folded = fold(marker).strip()
    if folded.startswith("#"):
        return has_hashtag(text, folded)
    return contains(text, folded)


def check(text: str, *, keywords=(), hashtags=(), disclosure=(), forbidden=()) -> list[Check]:
    """Each requirement of a brief, met or not, for a post's text."""
    folded = fold(text)
    found: list[Check] = []
    found += [Check("keyword", k, contains(folded, k)) for k in keywords]
    found += [Check("hashtag", _tag(h), has_hashtag(folded, h)) for h in hashtags]
    if disclosure:
        found.append(
            Check("disclosure", " / ".join(disclosure), any(_marker(folded, m) for m in disclosure))
        )
    found += [Check("forbidden", w, not contains(folded, w)) for w in forbidden]
    return found


def passes(checks: list[Check] | list[dict]) -> bool:
    return all((c["met"] if isinstance(c, dict) else c.met) for c in checks)


def _tag(value: str) -> str:
    return "#" + value.strip().lstrip("#").rstrip("#").strip()


def terms(values, field: str, *, hashtag: bool = False) -> list[str]:
    """A brief's list of terms as given (a list, or text split on commas, new lines and the
    Chinese list signs), cleaned, without repeats; a clear error for what cannot be used."""
    from accord.errors import InvalidInput, Text

    if isinstance(values, str):
        values = re.split(r"[,\n\u3001\uff0c;]+", values)
    out: list[str] = []
    seen: set[str] = set()
    for raw in values or ():
        value = str(raw).strip()
        if hashtag:
            value = value.strip("#").strip()
        if not value:
            continue
        if len(value) > MAX_TERM:
            raise InvalidInput(field, Text("%(term)s…: at most %(most)s characters a term",
                                           term=repr(value[:20]), most=MAX_TERM))  # fmt: skip
        if hashtag and re.search(r"\s|#", value):
            raise InvalidInput(field, Text("%(term)s: a hashtag has no spaces", term=repr(value)))
        key = fold(value)
        if key not in seen:
            seen.add(key)
            out.append(("#" + value) if hashtag else value)
    if len(out) > MAX_TERMS:
        raise InvalidInput(field, Text("at most %(most)s terms", most=MAX_TERMS))
    return out
