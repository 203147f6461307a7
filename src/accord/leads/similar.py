"""Near-duplicates that share no identifier: the same person typed twice with a typo in the
name, a transposed digit in the phone, another e-mail at the same company. Candidate pairs
come from blocking (records sorted by name compared with their neighbours, and records
sharing a blocking key), each pair's fields are compared (Jaro-Winkler for names and words,
Damerau-Levenshtein for digits, exact for codes) with the recordlinkage library, and a
pair's score is the weighted mean of its fields' similarities. Pairs at or above the
threshold are suggested to a person, never merged on their own.

`LinkSpec` says which fields to compare and how; `CONTACT_SPEC` is the one contacts use,
and the benchmark measures the same machinery on the FEBRL data sets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd
import recordlinkage

#: How a field is compared: jarowinkler (names, words), levenshtein (digits, codes with
#: typos), exact.
METHODS = ("jarowinkler", "levenshtein", "exact")


@dataclass(frozen=True)
class LinkSpec:
    """Which fields decide, how, and how much: `fields` is {name: (method, weight)}."""

    fields: Mapping[str, tuple[str, float]]
    #: the column records are sorted on to compare neighbours, and the window
    sort_key: str
    window: int = 9
    #: columns whose equal values make a candidate pair on their own
    blocks: Sequence[str] = ()
    threshold: float = 0.6
    #: fields that speak against a pair when both records have them and they differ more
    #: than a typo would ({field: the least similarity a typo leaves}): such a pair's score
    #: is scaled by `conflict_factor` (two namesakes at one company with their own phones)
    conflicts: Mapping[str, float] = field(default_factory=dict)
    conflict_factor: float = 0.75

    def __post_init__(self) -> None:
        for name, (method, weight) in self.fields.items():
            if method not in METHODS or weight <= 0:
                raise ValueError(f"{name}: {method}/{weight} is not a comparison")


@dataclass(frozen=True)
class Suggestion:
    first: str
    second: str
    score: float
    #: each field's similarity (0 to 1; fields missing on either side are left out)
    fields: dict[str, float] = field(default_factory=dict)


def pairs(frame: pd.DataFrame, spec: LinkSpec) -> pd.DataFrame:
    """Every candidate pair with each field's similarity and the score (index: the two
    records' ids)."""
    if len(frame) < 2:
        return pd.DataFrame(columns=[*spec.fields, "score"])
    index = recordlinkage.Index()
    index.sortedneighbourhood(spec.sort_key, window=spec.window)
    for column in spec.blocks:
        index.block(column)
    candidates = index.index(frame)
    compare = recordlinkage.Compare()
    for name, (method, _) in spec.fields.items():
        if method == "exact":
            compare.exact(name, name, label=name, missing_value=float("nan"))
        else:
            kind = "damerau_levenshtein" if method == "levenshtein" else method
            compare.string(name, name, method=kind, label=name, missing_value=float("nan"))
    found = compare.compute(candidates, frame)
    weights = pd.Series({name: weight for name, (_, weight) in spec.fields.items()})
    present = found.notna()
    total = (found.fillna(0) * weights).sum(axis=1)
    weight = (present * weights).sum(axis=1)
    # a pair with little to compare says little: its score counts the missing at zero,
    # up to half the weights
    found["score"] = total / weight.clip(lower=weights.sum() / 2)
    for name, least in spec.conflicts.items():
        differ = found[name].notna() & (found[name] < least)
        found.loc[differ, "score"] *= spec.conflict_factor
    return found


def suggest(frame: pd.DataFrame, spec: LinkSpec, limit: int = 200) -> list[Suggestion]:
    """The pairs at or above the spec's threshold, best first."""
    found = pairs(frame, spec)
    if found.empty:
        return []
    chosen = found[found["score"] >= spec.threshold].sort_values("score", ascending=False)
    out = []
    for (first, second), row in chosen.head(limit).iterrows():
        sims = {k: round(float(row[k]), 3) for k in spec.fields if pd.notna(row[k])}
        out.append(Suggestion(str(first), str(second), round(float(row["score"]), 3), sims))
    return out


#: Contacts: name and company typed twice, an e-mail's local part, a phone's digits.
CONTACT_SPEC = LinkSpec(
    fields={
        "name": ("jarowinkler", 2.0),
        "company": ("jarowinkler", 1.0),
        "title": ("jarowinkler", 0.5),
        "email_user": ("jarowinkler", 1.5),
        "email_domain": ("exact", 1.0),
        "phone": ("levenshtein", 2.0),
    },
    sort_key="sort",
    window=7,
    blocks=("phone_tail",),
    threshold=0.8,
    # a swapped or mistyped digit leaves a phone at least 0.85 alike; another number is
    # another phone, most often another person
    conflicts={"phone": 0.8},
)


def contact_frame(rows: Sequence[Mapping[str, str | None]]) -> pd.DataFrame:
    """Contacts as the resolver reads them: id, name, company, title, email, phone."""
    frame = pd.DataFrame(list(rows)).set_index("id")
    email = frame["email"].fillna("").str.lower()
    frame["email_user"] = email.str.partition("@")[0].replace("", None)
    frame["email_domain"] = email.str.partition("@")[2].replace("", None)
    digits = frame["phone"].fillna("").str.replace(r"\D", "", regex=True)
    frame["phone"] = digits.replace("", None)
    frame["phone_tail"] = digits.str[-4:].replace("", None)
    for column in ("name", "company", "title"):
        frame[column] = frame[column].fillna("").str.strip().str.lower().replace("", None)
    frame["sort"] = frame["name"].fillna("") + "|" + frame["company"].fillna("")
    return frame
