"""Printing the figures: aligned tables for people, one JSON object for machines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from benchmarks.clicks import ClickLoad, ClickRun
from benchmarks.conversions import ConversionLoad, StoreRun

CLICK_GOAL_SHARE = 0.40
CLICK_GOAL_P99_MS = 10.0
OTHERS_NOTICE = 0.05  # share of all cores used by other processes worth a warning


def as_json(
    info: dict[str, Any],
    click_load: ClickLoad | None,
    clicks: list[ClickRun] | None,
    click_others: float | None,
    conversion_load: ConversionLoad | None,
    conversions: list[StoreRun] | None,
) -> dict[str, Any]:
    """Every figure as one JSON-ready object."""
    out: dict[str, Any] = {"machine": info}
    if clicks is not None and click_load is not None:
        nginx = _nginx_rps(clicks)
        floors = {r.workers: r.result.requests_per_s for r in clicks if r.kind == "floor"}
        out["clicks"] = {
            "load": {
                "duration_s": click_load.duration,
                "warmup_s": click_load.warmup,
                "threads": click_load.threads,
                "connections": click_load.connections,
            },
            "targets": [run.as_dict(nginx, floors.get(run.workers)) for run in clicks],
            "goal": _goal(clicks),
            "cpu_used_by_other_processes": None if click_others is None else round(click_others, 3),
        }
    if conversions is not None and conversion_load is not None:
        out["conversions"] = {
            "load": {
                "single": conversion_load.count,
                "batch": conversion_load.batch_count,
                "batch_size": conversion_load.batch_size,
                "clients": conversion_load.clients,
                "server_workers": conversion_load.workers,
            },
            "stores": [run.as_dict() for run in conversions],
        }
    return out


def _nginx_rps(clicks: list[ClickRun]) -> float | None:
    return next((r.result.requests_per_s for r in clicks if r.kind == "nginx"), None)


def _goal(clicks: list[ClickRun]) -> dict[str, Any]:
    nginx = _nginx_rps(clicks)
    verdicts = {}
    for run in clicks:
        if run.kind not in ("accord", "native") or not nginx:
            continue
        share = run.result.requests_per_s / nginx
        verdicts[run.target] = {
            "share_of_nginx": round(share, 4),
            "p99_ms": run.result.p99_ms,
            "met": share >= CLICK_GOAL_SHARE and run.result.p99_ms < CLICK_GOAL_P99_MS,
        }
    return {
        "share_of_nginx_at_least": CLICK_GOAL_SHARE,
        "p99_ms_below": CLICK_GOAL_P99_MS,
        "by_target": verdicts,
    }


def render(data: dict[str, Any]) -> str:
    """The figures as text tables."""
    info = data["machine"]
    lines = [
        f"Accord benchmarks, {info['when']}: {info['cores']} cores ({info['cpu']}), "
        f"Python {info['python']}, granian {info['granian']}, SQLite {info['sqlite']}, "
        f"nginx {info['nginx']}, wrk {info['wrk']}, Accord at {info.get('commit') or '?'}",
    ]
    if "clicks" in data:
        lines += ["", *_render_clicks(data["clicks"])]
    if "conversions" in data:
        lines += ["", *_render_conversions(data["conversions"])]
    return "\n".join(lines)


def _render_clicks(clicks: dict[str, Any]) -> list[str]:
    load = clicks["load"]
    rows = [
        [
            t["target"],
            t["workers"],
            f"{t['requests_per_s']:,.0f}",
            f"{t['p50_ms']:.2f}",
            f"{t['p99_ms']:.2f}",
            _pct(t["ratio_to_nginx"]),
            _pct(t["ratio_to_raw_asgi"]),
            _errors(t),
        ]
        for t in clicks["targets"]
    ]
    lines = [
        f"Clicks: GET /c/{{code}} with wrk, {load['threads']} threads, {load['connections']} "
        f"connections, {load['duration_s']:g} s "
        + (f"after a {load['warmup_s']:g} s warm-up" if load["warmup_s"] else "without warm-up"),
        *_table(
            ["target", "workers", "req/s", "p50 ms", "p99 ms", "vs nginx", "vs raw ASGI", "errors"],
            rows,
        ),
        "",
    ]
    for t in clicks["targets"]:
        if "clicks" not in t:
            continue
        c = t["clicks"]
        extra = c["stored_during_run"] - c["requests_completed"]
        lines.append(
            f"{t['target']}: wrk completed {c['requests_completed']:,} requests, "
            f"{c['stored_during_run']:,} clicks stored ({extra:+,} "
            + ("answered but not counted by wrk when it stopped" if extra >= 0 else "MISSING")
            + f"); {c['stored_before_shutdown']:,} were stored before the server stopped"
            + (
                f", all of them {c['seconds_to_store_after_load']:g} s after the load ended"
                if c.get("seconds_to_store_after_load") is not None
                else ""
            )
        )
    others = clicks.get("cpu_used_by_other_processes")
    if others is not None and others > OTHERS_NOTICE:
        lines.append(
            f"Note: other processes used {others:.0%} of this machine's CPU during the click "
            "benchmark: its figures are lower and noisier than on an idle machine."
        )
    goal = clicks["goal"]
    for target, verdict in goal["by_target"].items():
        lines.append(
            f"Goal (>= {goal['share_of_nginx_at_least']:.0%} of nginx, p99 < "
            f"{goal['p99_ms_below']:g} ms), {target}: "
            f"{verdict['share_of_nginx']:.0%} of nginx, p99 {verdict['p99_ms']:.2f} ms: "
            + ("met" if verdict["met"] else "not met")
        )
    return lines


def _render_conversions(conversions: dict[str, Any]) -> list[str]:
    load = conversions["load"]
    rows = []
    notes = []
    for store in conversions["stores"]:
        if store["skipped"]:
            rows.append([store["store"], "-", "-", "-", "-", "-", "-", "-", "-"])
            notes.append(f"{store['store']}: skipped ({store['skipped']})")
            continue
        for path in ("single", "batch"):
            ing = store.get(path)
            if ing is None:
                continue
            if ing["ok"] == 0 and ing["note"].startswith("skipped"):
                rows.append([store["store"], path, "-", "-", "-", "-", "-", "-", "-"])
                notes.append(f"{store['store']} {path}: {ing['note']}")
                continue
            base = ing["baseline"]
            rows.append(
                [
                    store["store"],
                    path,
                    f"{ing['ok']:,}/{ing['conversions']:,}",
                    f"{ing['conversions_per_s']:,.0f}",
                    _ms(ing["request_p50_ms"]),
                    _ms(ing["request_p99_ms"]),
                    f"{base['rows_per_s']:,.0f}" if base else "-",
                    _pct(ing["ratio_to_baseline"], digits=2),
                    f"{ing['attributed']:,}" if ing["attributed"] is not None else "-",
                ]
            )
            if ing["note"]:
                notes.append(f"{store['store']} {path}: {ing['note']}")
    return [
        f"Conversions: POST /api/v1/conversions from {load['clients']} client threads, and "
        f"/batch with {load['batch_size']:,} per request (accord serve --workers "
        f"{load['server_workers']})",
        "Baseline: the same rows bulk-inserted into a copy of the conversions table "
        "(executemany, 1,000 rows per transaction, best of 3)",
        *_table(
            [
                "store",
                "path",
                "ok/sent",
                "conv/s",
                "p50 ms",
                "p99 ms",
                "bulk rows/s",
                "vs bulk",
                "attributed",
            ],
            rows,
        ),
        *notes,
        *_busy_notes(conversions["stores"]),
    ]


def _busy_notes(stores: list[dict[str, Any]]) -> list[str]:
    notes = []
    for store in stores:
        share = store.get("cpu_used_by_other_processes")
        if share is None or share <= OTHERS_NOTICE:
            continue
        why = (
            " (PostgreSQL's own work for the benchmark counts here, so some is expected)"
            if store["store"] == "postgresql"
            else ": its figures are lower and noisier than on an idle machine"
        )
        notes.append(
            f"Note: other processes used {share:.0%} of the CPU during the {store['store']} "
            f"run{why}."
        )
    return notes


def _pct(ratio: float | None, digits: int = 0) -> str:
    return "-" if ratio is None else f"{ratio:.{digits}%}"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def _errors(target: dict[str, Any]) -> str:
    bad = target["socket_errors"] + target["bad_status"]
    return f"{bad:,}" if bad else "0"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        first, *rest = cells
        parts = [str(first).ljust(widths[0])]
        parts += [str(c).rjust(w) for c, w in zip(rest, widths[1:], strict=True)]
        return "  ".join(parts).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]
