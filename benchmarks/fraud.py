"""Fraud protection on simulated traffic: how well each rule catches its kind of fraud, how
many honest orders it holds, and what scoring costs, against baselines from the same run.

    python -m benchmarks --only fraud [--scale S] [--levels relaxed,moderate,strict]

Per level, `accord.protect.simulate` plays three weeks of a program with labelled fraud
through the real click store and conversion recording, in active mode, in a temporary
embedded store. Baselines measured in the same run: a naive rule (hold every order within
two minutes of its click) on the same orders, for the share of honest orders held; and
recording the same conversions with scoring off, for the cost per conversion. Prints
figures and ratios; never asserts on a time.
"""

from __future__ import annotations

import sys
from typing import Any

from accord.protect.simulate import make_plan, simulate
from benchmarks.processes import log

LEVELS = ("relaxed", "moderate", "strict")


def run_fraud(scale: float = 1.0, levels: tuple[str, ...] = LEVELS, seed: int = 7) -> dict:
    """Simulate each level on the same traffic; returns the figures."""
    plan = make_plan(seed=seed, scale=scale)
    out: dict[str, Any] = {"scale": scale, "seed": seed, "levels": {}}
    for level in levels:
        log(f"fraud: simulating the {level} level ({len(plan.clicks):,} clicks, "
            f"{len(plan.orders):,} orders)")  # fmt: skip

        def step(done: int, total: int, level: str = level) -> None:
            if done == total or done % 5000 == 0:
                print(f"\r  {level}: {done:,} / {total:,}", end="", file=sys.stderr)

        measured = simulate(plan, level, seed=seed, scale=scale, progress=step)
        print(file=sys.stderr)
        out["levels"][level] = measured.as_dict()
    return out


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def render(data: dict) -> str:
    lines = [f"Fraud protection on simulated traffic (scale {data['scale']}, seed {data['seed']})"]
    for level, figures in data["levels"].items():
        speed = figures["speed"]
        off, active = speed["ms_per_conversion_off"], speed["ms_per_conversion_active"]
        naive = figures["naive_clean_held_share"]
        held = figures["clean_held_share"]
        lines += [
            "",
            f"{level}: {figures['clicks']:,} clicks, {figures['orders']:,} orders, "
            f"{figures['seconds']:.1f} s",
            f"  {'scenario':<22} {'precision':>9} {'recall':>7}",
        ]
        for s in figures["scenarios"]:
            lines.append(
                f"  {s['scenario']:<22} {_share(s['precision']):>9} {_share(s['recall']):>7}"
            )
        lines += [
            f"  {'overall':<22} {_share(figures['overall_precision']):>9} "
            f"{_share(figures['overall_recall']):>7}",
            f"  honest orders held      {held:.2%}   naive rule (baseline): {naive:.2%}"
            f"   ratio {held / naive if naive else 0:.2f}x",
            f"  ms per conversion       {active:.2f} active   {off:.2f} off (baseline)"
            f"   ratio {active / off if off else 0:.2f}x",
            f"  clicks scored per s     {speed['clicks_scored_per_s']:,.0f}",
        ]
    return "\n".join(lines)
