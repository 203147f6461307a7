"""Contract terms as a form, without JSON: rules (event, rate or fixed amount, customers,
countries, promo code, order size, per item, tiers, recurring), caps, bonuses, bounties and
the view-through share, as rows of named fields (`rule-2-percent`). `terms_from_form` builds
the terms the contracts stage validates; a field it refuses is named back in the row and
field the person typed in. `rows_from_terms` fills the form from stored terms.

The rows a form shows: the terms' own and a few empty ones to add more (a row left empty
is ignored).
"""

from __future__ import annotations

import re

#: Empty rows offered below the filled ones.
SPARE = {"rule": 2, "cap": 1, "bonus": 1, "bounty": 1}
RULE_FIELDS = ("name", "event_type", "percent", "fixed", "customer_status", "basis",
               "countries", "promo", "order_min", "tier_metric", "tier_mode", "tiers",
               "recurring")  # fmt: skip
CAP_FIELDS = ("scope", "period", "measure", "limit")
BONUS_FIELDS = ("name", "metric", "event_type", "threshold", "amount")
BOUNTY_FIELDS = ("name", "event_type", "amount", "starts_at", "ends_at")
FIELDS = {"rule": RULE_FIELDS, "cap": CAP_FIELDS, "bonus": BONUS_FIELDS, "bounty": BOUNTY_FIELDS}
LISTS = {"rule": "rules", "cap": "caps", "bonus": "bonuses", "bounty": "bounties"}


def _typed(form: dict[str, str], kind: str) -> list[tuple[int, dict[str, str]]]:
    """Every row of one kind as typed, by its number in the form, in order."""
    numbers = sorted(
        {int(key.split("-")[1]) for key in form
         if key.startswith(f"{kind}-") and key.split("-")[1].isdigit()}
    )  # fmt: skip
    return [(n, {f: (form.get(f"{kind}-{n}-{f}") or "").strip() for f in FIELDS[kind]})
            for n in numbers]  # fmt: skip


def _rows(form: dict[str, str], kind: str) -> list[tuple[int, dict[str, str]]]:
    """The filled rows of one kind (a row of defaults only is left out)."""
    defaults = _DEFAULTS.get(kind, {})
    return [(n, row) for n, row in _typed(form, kind)
            if any(v and v != defaults.get(k, "") for k, v in row.items())]  # fmt: skip


def rows_from_form(form: dict[str, str]) -> dict[str, list[dict[str, str]]]:
    """The rows as typed, to show them again beside what was refused."""
    return {kind: [row for _, row in _typed(form, kind)] for kind in FIELDS}


#: Values a row carries even when left empty (select boxes); they alone do not make a row.
_DEFAULTS = {
    "rule": {"customer_status": "any", "basis": "order", "promo": "any", "tier_metric": "",
             "tier_mode": "marginal"},
    "cap": {"scope": "partner", "period": "month", "measure": "commission"},
    "bonus": {"metric": "conversions", "event_type": "sale"},
    "bounty": {"event_type": "sale"},
}  # fmt: skip


def _codes(text: str) -> list[str]:
    return [part.strip().upper() for part in text.replace(";", ",").split(",") if part.strip()]


def _steps(text: str) -> list[dict[str, str]]:
    """Tier steps, one a line: `10: 12` (from 10 conversions, 12 %) or `10: 12 + 1.50`, or
    `10: +2.00` for a fixed amount only."""
    steps = []
    for line in text.replace(";", "\n").splitlines():
        if not line.strip():
            continue
        start, _, pay = line.partition(":")
        step: dict[str, str] = {"from": start.strip()}
        rate, plus, fixed = pay.partition("+")
        if rate.strip():
            step["percent"] = rate.strip().rstrip("%").strip()
        if plus and fixed.strip():
            step["fixed"] = fixed.strip()
        steps.append(step)
    return steps


def _rule(row: dict[str, str]) -> dict:
    rule: dict = {"event_type": row["event_type"]}
    for key in ("name", "percent", "fixed"):
        if row[key]:
            rule[key] = row[key].rstrip("%").strip() if key == "percent" else row[key]
    if row["customer_status"] and row["customer_status"] != "any":
        rule["customer_status"] = row["customer_status"]
    if row["basis"] == "item":
        rule["basis"] = "item"
    when: dict = {}
    if row["countries"]:
        when["countries"] = {"include": _codes(row["countries"])}
    if row["promo"] in ("required", "absent"):
        when["promo"] = row["promo"]
    if row["order_min"]:
        when["order_min"] = row["order_min"]
    if when:
        rule["when"] = when
    if row["tier_metric"] in ("conversions", "revenue"):
        rule["tiers"] = {"metric": row["tier_metric"], "mode": row["tier_mode"] or "marginal",
                         "steps": _steps(row["tiers"])}  # fmt: skip
    if row["recurring"]:
        months = row["recurring"]
        rule["recurring"] = {} if months == "0" else {"months": months}
    return rule


def _item(row: dict[str, str]) -> dict:
    return {k: v for k, v in row.items() if v}


def terms_from_form(form: dict[str, str]) -> tuple[dict, dict[str, str]]:
    """The terms the form describes, and where each of their items came from: a terms'
    path (`rules.0`) to its form row (`rule-3`), to name a refused field in the form."""
    terms: dict = {}
    origin: dict[str, str] = {}
    for kind, key in LISTS.items():
        items = []
        for n, row in _rows(form, kind):
            origin[f"{key}.{len(items)}"] = f"{kind}-{n}"
            items.append(_rule(row) if kind == "rule" else _item(row))
        if items:
            terms[key] = items
    share = (form.get("view_through_share") or "").strip().rstrip("%").strip()
    if share:
        terms["view_through"] = {"share": share}
    if "rules" not in terms:
        terms["rules"] = []
    return terms, origin


def form_field(path: str, origin: dict[str, str]) -> str:
    """The form field a terms' path names (`rules.0.when.countries.include.0` ->
    `rule-3-countries`), or the path itself when it has no field of its own."""
    parts = re.sub(r"\[(\d+)\]", r".\1", path).split(".")  # rules[0].percent, too
    if parts and parts[0] == "view_through":
        return "view_through_share"
    if len(parts) >= 2 and f"{parts[0]}.{parts[1]}" in origin:
        row = origin[f"{parts[0]}.{parts[1]}"]
        rest = parts[2:]
        inner = {"when": None, "tiers": "tiers", "recurring": "recurring"}
        if rest and rest[0] == "when":
            name = {"countries": "countries", "promo": "promo", "order_min": "order_min"}.get(
                rest[1] if len(rest) > 1 else "", "countries"
            )
        elif rest and rest[0] in inner:
            name = inner[rest[0]] or rest[0]
        else:
            name = rest[0] if rest else "event_type"
        return f"{row}-{name}"
    return "rules" if parts[0] == "rules" else path


def rows_from_terms(terms: dict | None) -> dict[str, list[dict[str, str]]]:
    """Form rows (field -> text) for stored terms, with spare empty rows after them."""
    terms = terms or {}
    rows: dict[str, list[dict[str, str]]] = {}
    for kind, key in LISTS.items():
        filled = [_row(kind, item) for item in terms.get(key) or ()]
        empty = dict.fromkeys(FIELDS[kind], "") | _DEFAULTS.get(kind, {})
        rows[kind] = filled + [dict(empty) for _ in range(SPARE[kind])]
    return rows


def _row(kind: str, item: dict) -> dict[str, str]:
    row = dict.fromkeys(FIELDS[kind], "") | _DEFAULTS.get(kind, {})
    if kind != "rule":
        row.update({k: str(v) for k, v in item.items() if k in row and v is not None})
        return row
    for key in ("name", "event_type", "percent", "fixed", "customer_status", "basis"):
        if item.get(key) is not None:
            row[key] = str(item[key])
    when = item.get("when") or {}
    countries = (when.get("countries") or {}).get("include") or ()
    row["countries"] = ", ".join(countries)
    row["promo"] = when.get("promo") or "any"
    row["order_min"] = str(when.get("order_min") or "")
    tiers = item.get("tiers")
    if tiers:
        row["tier_metric"] = tiers.get("metric", "")
        row["tier_mode"] = tiers.get("mode", "marginal")
        row["tiers"] = "\n".join(_step_text(s) for s in tiers.get("steps") or ())
    recurring = item.get("recurring")
    if recurring is not None:
        row["recurring"] = str(recurring.get("months") or "0")
    return row


def _step_text(step: dict) -> str:
    pay = str(step.get("percent") or "")
    if step.get("fixed"):
        pay = f"{pay} + {step['fixed']}".strip()
    return f"{step.get('from')}: {pay}"
