"""Commission computation: the contract engine over a million conversions, in process.

A contract with item and order rules, conditions, tiers, caps, a bonus and a bounty is
compiled once; conversions generated beforehand from a fixed seed (about 2,000 partners, two
months in time order, carts, promo codes, shared credit) are then evaluated and recorded
one after the other, as a batch import or a what-if replay does. Beside it, the cheapest
per-conversion loop over the same data (a flat 5% rounded half-up, summed per partner) is
measured in the same run, and the engine in two processes: whole months each when every
cap is per day or month (exact), else sharded by partner without program caps.

    python -m benchmarks --only commissions [--conversions N] [--json]
    python -m benchmarks.commissions [--conversions N] [--processes 1|2] [--json]

No server, database, wrk or nginx is involved.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import random
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from accord.contracts.engine import CompiledTerms, Facts, Item, MemoryUsage, shard_by_month
from accord.contracts.terms import parse_terms
from benchmarks.machine import CpuWatch
from benchmarks.processes import log

GOAL_PER_S = 100_000
DEFAULT_CONVERSIONS = 1_000_000
PARTNERS = 2_000
SEED = 20261101
CURRENCY = "USD"
START = datetime(2026, 11, 1, tzinfo=UTC)
DAYS = 61  # November and December 2026
EU = ["DE", "FR", "NL", "ES", "IT", "BE", "AT"]


def contract() -> dict[str, Any]:
    """Terms as a merchant with a catalogue and several partner types would write them."""
    sale, item = "sale", "item"
    return {
        "rules": [
            # Cart lines, claimed one by one; lines no item rule takes fall to order rules.
            {
                "event_type": sale,
                "basis": item,
                "name": "Gift cards earn nothing",
                "percent": "0",
                "when": {"categories": {"include": ["gift-card*"]}},
            },
            {
                "event_type": sale,
                "basis": item,
                "name": "TVs, not refurbished",
                "percent": "3",
                "when": {"skus": {"include": ["TV-*"], "exclude": ["TV-REFURB-*"]}},
            },
            {
                "event_type": sale,
                "basis": item,
                "name": "Laptops and computers",
                "percent": "4",
                "when": {"categories": {"include": ["laptops", "computers/*"]}},
                "tiers": {
                    "metric": "conversions",
                    "steps": [{"from": "60", "percent": "5"}, {"from": "250", "percent": "6"}],
                },
            },
            {
                "event_type": sale,
                "basis": item,
                "name": "Phones, per unit",
                "percent": "2.5",
                "fixed": "1.00",
                "when": {"skus": {"include": ["PH-??-*"]}},
            },
            {
                "event_type": sale,
                "basis": item,
                "name": "Accessories and cables",
                "percent": "12",
                "when": {"categories": {"include": ["accessories*", "cables"]}},
            },
            {
                "event_type": sale,
                "basis": item,
                "name": "Apparel, not outlet",
                "percent": "8",
                "when": {"categories": {"include": ["apparel"]}, "skus": {"exclude": ["*-OUTLET"]}},
            },
            {
                "event_type": sale,
                "basis": item,
                "name": "Books, per copy",
                "fixed": "0.50",
                "when": {"categories": {"include": ["books"]}},
            },
            # Orders (or what the item rules left of them): first match wins.
            {
                "event_type": sale,
                "name": "Holiday window, no coupon",
                "percent": "9",
                "when": {
                    "starts_at": "2026-12-15T00:00:00Z",
                    "ends_at": "2026-12-25T00:00:00Z",
                    "promo": "absent",
                    "countries": {"include": ["US", "CA", "GB"]},
                },
            },
            {
                "event_type": sale,
                "name": "VIP codes, new customers",
                "percent": "15",
                "customer_status": "new",
                "when": {"promo_codes": {"include": ["VIP*"]}},
            },
            {
                "event_type": sale,
                "name": "Coupon sites",
                "percent": "3",
                "when": {"promo": "required"},
            },
            {
                "event_type": sale,
                "name": "Large EU orders",
                "percent": "6",
                "when": {"countries": {"include": EU}, "order_min": "500"},
            },
            {
                "event_type": sale,
                "name": "App, new customers",
                "percent": "10",
                "customer_status": "new",
                "when": {"devices": ["app"]},
            },
            {
                "event_type": sale,
                "name": "Small tablet orders",
                "fixed": "1.00",
                "when": {"devices": ["tablet"], "order_max": "30"},
            },
            {
                "event_type": sale,
                "name": "New customers, North America",
                "percent": "8",
                "customer_status": "new",
                "when": {"countries": {"include": ["US", "CA"]}},
                "tiers": {
                    "metric": "revenue",
                    "mode": "marginal",
                    "steps": [
                        {"from": "20000", "percent": "9"},
                        {"from": "60000", "percent": "10"},
                    ],
                },
            },
            {
                "event_type": sale,
                "name": "New customers elsewhere",
                "percent": "7",
                "customer_status": "new",
                "when": {"countries": {"exclude": ["CN", "R?"]}},
                "tiers": {
                    "metric": "conversions",
                    "mode": "retroactive",
                    "steps": [{"from": "150", "percent": "8"}, {"from": "400", "percent": "9"}],
                },
            },
            {
                "event_type": sale,
                "name": "Returning customers",
                "percent": "4",
                "customer_status": "returning",
                "tiers": {"metric": "conversions", "steps": [{"from": "300", "percent": "4.5"}]},
            },
            {"event_type": sale, "name": "Any other sale", "percent": "3"},
            # Other events.
            {
                "event_type": "lead",
                "name": "Leads, core markets",
                "fixed": "2.00",
                "when": {"countries": {"include": ["US", "CA", "GB"]}},
            },
            {"event_type": "lead", "name": "Leads", "fixed": "1.00"},
            {
                "event_type": "signup",
                "name": "Mobile signups, new",
                "fixed": "5.00",
                "customer_status": "new",
                "when": {"devices": ["mobile", "app"]},
            },
            {"event_type": "signup", "name": "Signups", "fixed": "3.00"},
            {
                "event_type": "install",
                "name": "App installs",
                "fixed": "1.50",
                "when": {"devices": ["app"], "countries": {"exclude": ["CN"]}},
            },
            {"event_type": "install", "name": "Installs", "fixed": "0.75"},
            {
                "event_type": "first_purchase",
                "name": "First purchases",
                "percent": "12",
                "fixed": "2.00",
                "when": {"order_min": "20"},
            },
            {
                "event_type": "renewal",
                "name": "Renewals, first year",
                "percent": "10",
                "recurring": {"months": 12},
            },
        ],
        "caps": [
            {"scope": "partner", "period": "day", "measure": "commission", "limit": "2500"},
            {"scope": "partner", "period": "month", "measure": "commission", "limit": "50000"},
            {"scope": "program", "period": "month", "measure": "conversions", "limit": "400000"},
        ],
        "bonuses": [
            {
                "name": "100 sales in a month",
                "metric": "conversions",
                "threshold": "100",
                "amount": "50",
            },
            {
                "name": "10,000 in sales in a month",
                "metric": "revenue",
                "threshold": "10000",
                "amount": "100",
            },
        ],
        "bounties": [
            {
                "name": "Black Friday, US",
                "event_type": "sale",
                "amount": "5.00",
                "starts_at": "2026-11-27T00:00:00Z",
                "ends_at": "2026-12-01T00:00:00Z",
                "when": {"countries": {"include": ["US"]}},
            },
        ],
    }


def without_program_caps(terms: dict[str, Any]) -> dict[str, Any]:
    """The same terms with only the partner-scoped caps (exact when sharded by partner)."""
    return {**terms, "caps": [c for c in terms["caps"] if c.get("scope") != "program"]}


# data ---------------------------------------------------------------------------------------
CATALOGUE = (  # sku prefix, category, price range in minor units
    ("TV-", "tvs", 20_000, 150_000),
    ("TV-REFURB-", "tvs", 10_000, 60_000),
    ("LT-", "laptops", 40_000, 250_000),
    ("PC-", "computers/desktops", 50_000, 200_000),
    ("PH-US-", "phones", 15_000, 120_000),
    ("PH-EU-", "phones", 15_000, 120_000),
    ("AC-", "accessories/audio", 1_000, 20_000),
    ("AC-", "accessories", 500, 8_000),
    ("CB-", "cables", 500, 3_000),
    ("AP-", "apparel", 1_500, 12_000),
    ("AP-OUT-", "apparel", 800, 5_000),
    ("BK-", "books", 800, 4_000),
    ("GC-", "gift-card", 2_500, 10_000),
    ("HM-", "home", 1_000, 40_000),
    ("TOY-", None, 800, 9_000),
)
EVENTS = (("sale", 70), ("lead", 10), ("signup", 8), ("install", 7), ("first_purchase", 2))
EVENTS += (("renewal", 3),)
COUNTRIES = (("US", 33), ("GB", 9), ("DE", 9), ("FR", 7), ("CA", 6), ("NL", 4), ("ES", 4))
COUNTRIES += (("IT", 4), ("BE", 2), ("AT", 2), ("BR", 5), ("IN", 5), ("JP", 4), ("AU", 3))
COUNTRIES += (("CN", 1), ("RO", 1), ("MX", 1))
DEVICES = (("desktop", 40), ("mobile", 38), ("tablet", 8), ("app", 12), ("other", 1))
DEVICES += ((None, 1),)
PROMOS = ("VIP10", "VIP-GOLD", "SAVE10", "WELCOME5", "FREESHIP", "BF2026", "vip-partner")


def _picker(rng: random.Random, weighted: Sequence[tuple[Any, int]]) -> Callable[[], Any]:
    """Draws from weighted choices through a 1,000-slot table (fast and deterministic)."""
    total = sum(w for _, w in weighted)
    table = [v for v, w in weighted for _ in range(round(1000 * w / total))]
    size = len(table)
    return lambda: table[int(rng.random() * size)]


def _catalogue(rng: random.Random) -> list[tuple[str, str | None, int]]:
    skus = []
    for prefix, category, low, high in CATALOGUE:
        for n in range(40):
            sku = f"{prefix}{n:04d}"
            if prefix == "AP-OUT-":
                sku = f"AP-{n:04d}-OUTLET"
            skus.append((sku, category, rng.randrange(low, high, 100) - 1))
    return skus


def generate(count: int, seed: int = SEED) -> list[Facts]:
    """`count` conversions in time order, the same for the same count and seed."""
    rng = random.Random(seed)
    partners = [f"partner-{i:04d}" for i in range(PARTNERS)]
    # A few large partners and a long tail, as affiliate programs have.
    weights = [1 / (rank + 1) ** 0.8 for rank in range(PARTNERS)]
    partner_table = rng.choices(partners, weights, k=100_000)
    event = _picker(rng, EVENTS)
    country = _picker(rng, COUNTRIES)
    device = _picker(rng, DEVICES)
    catalogue = _catalogue(rng)
    half = Decimal("0.5")
    span = DAYS * 86_400
    offsets = sorted(rng.random() * span for _ in range(count))
    random_ = rng.random
    facts = []
    for offset in offsets:
        kind = event()
        partner = partner_table[int(random_() * 100_000)]
        status = "new" if random_() < 0.4 else "returning"
        at = START + timedelta(seconds=offset)
        promo = rng.choice(PROMOS) if random_() < 0.2 else None
        share = half if random_() < 0.05 else Decimal(1)
        items: tuple[Item, ...] = ()
        started = None
        if kind in ("sale", "first_purchase", "renewal"):
            if kind != "renewal" and random_() < 0.3:
                lines = []
                for _ in range(rng.randint(1, 4)):
                    sku, category, price = catalogue[int(random_() * len(catalogue))]
                    lines.append(Item(sku, category, 1 if random_() < 0.8 else 2, price))
                items = tuple(lines)
                amount = sum(i.total_minor for i in items) + (0 if random_() < 0.7 else 499)
            else:
                amount = int(rng.lognormvariate(8.4, 0.9)) + 99
            if kind == "renewal":
                started = at - timedelta(days=rng.randint(20, 540))
        else:
            amount = 0
        facts.append(
            Facts(partner, kind, amount, at, status, country(), device(), promo, items, share,
                  started)
        )  # fmt: skip
    return facts


# runs ---------------------------------------------------------------------------------------
def _chunks(facts: Sequence[Facts], label: str, quiet: bool) -> Iterator[Sequence[Facts]]:
    """The data in tenths, with a counter line on stderr after each."""
    step = max(1, -(-len(facts) // 10))
    for start in range(0, len(facts), step):
        yield facts[start : start + step]
        if not quiet:
            log(f"{label}: {min(start + step, len(facts)):,} / {len(facts):,}")


def run_engine(
    facts: Sequence[Facts], terms: dict[str, Any], label: str = "engine", quiet: bool = False
) -> dict[str, Any]:
    """Evaluate and record every conversion in order; the time covers nothing else."""
    compiled = CompiledTerms(parse_terms(terms), CURRENCY)
    usage = MemoryUsage(compiled)
    evaluate, record = compiled.evaluate, usage.record
    total = paid = unmatched = over_cap = cut = bonuses = retro = 0
    started = time.perf_counter()
    for chunk in _chunks(facts, label, quiet):
        for f in chunk:
            outcome = evaluate(f, usage)
            record(f, outcome)
            if outcome.rule is None:
                unmatched += 1
                continue
            total += outcome.amount_minor
            if outcome.over_cap:
                over_cap += 1
            elif outcome.cap is not None:
                cut += 1
            if outcome.amount_minor:
                paid += 1
            if outcome.bonuses:
                bonuses += len(outcome.bonuses)
            if outcome.retro is not None:
                retro += 1
    seconds = time.perf_counter() - started
    return {
        "conversions": len(facts),
        "seconds": seconds,
        "per_s": len(facts) / seconds if seconds else None,
        "commission_minor": total,
        "paid": paid,
        "no_rule": unmatched,
        "over_cap": over_cap,
        "cut_by_cap": cut,
        "bonuses_reached": bonuses,
        "retro_flags": retro,
    }


def run_baseline(facts: Sequence[Facts], quiet: bool = False) -> dict[str, Any]:
    """The cheapest honest loop: a flat 5% of the amount, rounded half-up, per partner."""
    per_partner: dict[str, int] = {}
    get = per_partner.get
    started = time.perf_counter()
    for chunk in _chunks(facts, "baseline", quiet):
        for f in chunk:
            pid = f.partner_id
            per_partner[pid] = get(pid, 0) + (f.amount_minor * 10 + 100) // 200
    seconds = time.perf_counter() - started
    return {
        "conversions": len(facts),
        "seconds": seconds,
        "per_s": len(facts) / seconds if seconds else None,
        "commission_minor": sum(per_partner.values()),
    }


def _shard_worker(shard: Sequence[Facts], terms: dict[str, Any], ready, go, results) -> None:
    """One process of the sharded run: compile, wait for the start, evaluate its partners."""
    ready.put(None)
    go.wait()
    results.put(run_engine(shard, terms, quiet=True))


def run_sharded(
    facts: Sequence[Facts], terms: dict[str, Any], processes: int, by: str = "partner"
) -> dict[str, Any]:
    """The engine in `processes` forked workers, each with whole months (exact when months
    are independent) or the conversions of its partners (then without program caps).

    The shards are split before the clock starts and inherited through fork; the time runs
    from the start signal until the last worker has sent its figures.
    """
    if by == "month":
        shards = shard_by_month(facts, processes)
    else:
        shards = [[] for _ in range(processes)]
        for f in facts:
            shards[int(f.partner_id.rsplit("-", 1)[1]) % processes].append(f)
    context = multiprocessing.get_context("fork")
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    workers = [
        context.Process(target=_shard_worker, args=(shard, terms, ready, go, results))
        for shard in shards
    ]
    for worker in workers:
        worker.start()
    try:
        for _ in workers:
            ready.get(timeout=120)
        log(f"{processes} processes: started, {', '.join(f'{len(s):,}' for s in shards)}")
        started = time.perf_counter()
        go.set()
        parts = [results.get(timeout=3600) for _ in workers]
        seconds = time.perf_counter() - started
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.kill()
                worker.join()
    log(f"{processes} processes: done")
    return {
        "processes": processes,
        "conversions": len(facts),
        "seconds": seconds,
        "per_s": len(facts) / seconds if seconds else None,
        "shard_per_s": [p["per_s"] for p in parts],
        "commission_minor": sum(p["commission_minor"] for p in parts),
        "over_cap": sum(p["over_cap"] for p in parts),
        "bonuses_reached": sum(p["bonuses_reached"] for p in parts),
        "retro_flags": sum(p["retro_flags"] for p in parts),
        "by": by,
        "caps": (
            "every cap, tier and bonus is per day or month, so whole months in parallel "
            "give exactly the one-process result"
            if by == "month"
            else "partner caps only (program-scoped caps dropped: not exact across shards)"
        ),
    }


def run_commissions(count: int = DEFAULT_CONVERSIONS, processes: int = 2) -> dict[str, Any]:
    """The whole benchmark: generate, baseline, engine, and optionally sharded engine."""
    terms = contract()
    spec = parse_terms(terms)
    log(f"commissions: generating {count:,} conversions (seed {SEED})")
    generating = time.perf_counter()
    facts = generate(count)
    log(f"commissions: generated in {time.perf_counter() - generating:.1f} s")
    # The conversions stay alive for the whole run; keep the collector from rescanning them
    # (a server holds one conversion at a time, not a million).
    gc.collect()
    gc.freeze()
    watch = CpuWatch()
    baseline = run_baseline(facts)
    engine = run_engine(facts, terms)
    sharded = None
    if processes > 1 and CompiledTerms(spec, CURRENCY).months_independent:
        sharded = run_sharded(facts, terms, processes, by="month")
        sharded["same_as_one_process"] = (
            sharded["commission_minor"] == engine["commission_minor"]
            and sharded["over_cap"] == engine["over_cap"]
        )
    elif processes > 1:
        sharded = run_sharded(facts, without_program_caps(terms), processes)
    return {
        "goal_per_s": GOAL_PER_S,
        "contract": {
            "rules": len(spec.rules),
            "item_rules": sum(r.basis == "item" for r in spec.rules),
            "tiered_rules": sum(r.tiers is not None for r in spec.rules),
            "caps": len(spec.caps),
            "bonuses": len(spec.bonuses),
            "bounties": len(spec.bounties),
        },
        "data": {
            "conversions": count,
            "partners": len({f.partner_id for f in facts}),
            "with_items": sum(1 for f in facts if f.items),
            "shared": sum(1 for f in facts if f.share != 1),
            "seed": SEED,
        },
        "baseline": baseline,
        "engine": engine,
        "sharded": sharded,
        "engine_vs_baseline": engine["per_s"] / baseline["per_s"],
        "engine_vs_goal": engine["per_s"] / GOAL_PER_S,
        "sharded_vs_goal": sharded["per_s"] / GOAL_PER_S if sharded else None,
        "others_cpu": watch.others_share(),
    }


def render(data: dict[str, Any]) -> str:
    """The figures as text."""
    c, d = data["contract"], data["data"]
    engine, baseline, sharded = data["engine"], data["baseline"], data["sharded"]
    usd = lambda minor: f"{minor / 100:,.2f} {CURRENCY}"  # noqa: E731
    lines = [
        f"Commissions: {d['conversions']:,} conversions ({d['partners']:,} partners, "
        f"{d['with_items']:,} with carts, {d['shared']:,} at share 0.5, seed {d['seed']})",
        f"contract: {c['rules']} rules ({c['item_rules']} per item, {c['tiered_rules']} tiered),"
        f" {c['caps']} caps, {c['bonuses']} bonuses, {c['bounties']} bounty",
        "",
        f"{'run':<36}{'conv/s':>12}{'seconds':>10}  commission",
        f"{'baseline: flat 5%, dict per partner':<36}{baseline['per_s']:>12,.0f}"
        f"{baseline['seconds']:>10.2f}  {usd(baseline['commission_minor'])}",
        f"{'engine: evaluate + record, 1 proc':<36}{engine['per_s']:>12,.0f}"
        f"{engine['seconds']:>10.2f}  {usd(engine['commission_minor'])}",
    ]
    if sharded:
        label = f"engine, {sharded['processes']} procs by {sharded['by']} *"
        lines.append(
            f"{label:<36}{sharded['per_s']:>12,.0f}{sharded['seconds']:>10.2f}"
            f"  {usd(sharded['commission_minor'])}"
        )
    lines += [
        "",
        f"engine: {engine['paid']:,} paid, {engine['no_rule']:,} without a rule, "
        f"{engine['over_cap']:,} over_cap, {engine['cut_by_cap']:,} cut by a cap, "
        f"{engine['bonuses_reached']:,} bonuses reached, {engine['retro_flags']:,} retro flags",
        f"engine vs baseline: {data['engine_vs_baseline']:.1%} "
        f"({1 / data['engine_vs_baseline']:.0f}x the baseline's time per conversion)",
        f"goal {data['goal_per_s']:,}/s: engine at {data['engine_vs_goal']:.0%} of it "
        f"({'met' if data['engine_vs_goal'] >= 1 else 'not met'})",
    ]
    if sharded:
        lines += [
            f"goal {data['goal_per_s']:,}/s: {sharded['processes']} processes at "
            f"{data['sharded_vs_goal']:.0%} of it "
            f"({'met' if data['sharded_vs_goal'] >= 1 else 'not met'}); per process: "
            + ", ".join(f"{r:,.0f}/s" for r in sharded["shard_per_s"]),
            f"* {sharded['caps']}; {sharded['over_cap']:,} over_cap, "
            f"{sharded['bonuses_reached']:,} bonuses, {sharded['retro_flags']:,} retro flags",
        ]
        if "same_as_one_process" in sharded:
            same = "yes" if sharded["same_as_one_process"] else "NO"
            lines.append(f"same commission and over_cap counts as one process: {same}")
    others = data["others_cpu"]
    if others is not None and others > 0.05:
        lines.append(f"Note: other processes used {others:.0%} of this machine's CPU meanwhile")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.commissions",
        description="The contract engine over many conversions, against a flat-rate loop.",
    )
    parser.add_argument(
        "--conversions",
        type=int,
        default=DEFAULT_CONVERSIONS,
        help=f"Conversions to compute ({DEFAULT_CONVERSIONS:,}).",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=2,
        help="Also shard by partner over N processes (2; 1 = no).",
    )
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    args = parser.parse_args(argv)
    if args.conversions < 1 or args.processes < 1:
        parser.error("--conversions and --processes must be at least 1")
    data = run_commissions(args.conversions, args.processes)
    print(json.dumps(data, indent=2) if args.json else render(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
