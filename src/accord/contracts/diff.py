"""What changed between two versions of a contract's terms, as a list a person reads: each
rule, cap, bonus, bounty and the view-through share, matched by name (else by position),
with every field that was added, removed or changed and its value before and after.

Pure: it reads the terms as stored (`ContractVersion.terms`, JSON) and knows no storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: The lists of the terms, each item named by these fields when they have one.
_LISTS = ("rules", "caps", "bonuses", "bounties")


@dataclass(frozen=True, slots=True)
class Change:
    """One difference: `part` is the list and the item's label (("rules", "tents")) or the
    single part ("view_through",); `field` a dotted path inside it ("when.countries.include",
    "tiers.steps.2.percent"), empty for the whole item; `before`/`after` None when absent."""

    part: tuple[str, ...]
    field: str
    before: Any
    after: Any

    @property
    def kind(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "changed"


def _label(kind: str, item: dict, index: int, taken: set[str]) -> str:
    name = str(item.get("name") or "")
    if kind == "rules" and not name:
        name = str(item.get("event_type") or "")
    if kind == "caps" and not name:
        name = f"{item.get('scope', 'partner')} {item.get('period', 'month')}"
    label = name if name and name not in taken else f"{name} #{index + 1}".strip()
    taken.add(label)
    return label


def _items(kind: str, terms: dict) -> dict[str, dict]:
    taken: set[str] = set()
    return {_label(kind, item, i, taken): item for i, item in enumerate(terms.get(kind) or ())}


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """A nested value as dotted paths to its leaves; lists of plain values stay whole."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        out = {}
        for i, inner in enumerate(value):
            out.update(flatten(inner, f"{prefix}.{i + 1}"))
        return out
    if value in (None, [], {}, ""):
        return {}
    return {prefix: value}


def _compare(part: tuple[str, ...], before: dict | None, after: dict | None) -> list[Change]:
    """The fields that differ; an item added or removed shows each of its fields."""
    old, new = flatten(before or {}), flatten(after or {})
    if not old and not new and (before is None) != (after is None):
        return [Change(part, "", before, after)]
    return [
        Change(part, path, old.get(path), new.get(path))
        for path in sorted(set(old) | set(new))
        if old.get(path) != new.get(path)
    ]


def diff_terms(before: dict | None, after: dict) -> list[Change]:
    """Every difference from `before` (None: nothing) to `after`, rules first."""
    before = before or {}
    changes: list[Change] = []
    for kind in _LISTS:
        old, new = _items(kind, before), _items(kind, after)
        for label in list(old) + [k for k in new if k not in old]:
            changes += _compare((kind, label), old.get(label), new.get(label))
    changes += _compare(("view_through",), before.get("view_through"), after.get("view_through"))
    return changes
