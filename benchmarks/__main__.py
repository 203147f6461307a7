"""`python -m benchmarks`: measure the click endpoint and conversion ingestion against baselines.

`--only commissions` measures the contract engine alone (no server, wrk or nginx); it runs
only when asked for.

Prints figures and ratios against baselines measured in the same run; never asserts on a
time. Progress goes to stderr, the figures to stdout (`--json` for one JSON object).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from benchmarks.clicks import ClickLoad, run_clicks
from benchmarks.commissions import DEFAULT_CONVERSIONS, run_commissions
from benchmarks.commissions import render as render_commissions
from benchmarks.conversions import BATCH_MAX, ConversionLoad, run_conversions
from benchmarks.fraud import LEVELS, run_fraud
from benchmarks.fraud import render as render_fraud
from benchmarks.jobs import DEFAULT_JOBS, run_jobs
from benchmarks.jobs import render as render_jobs
from benchmarks.machine import CpuWatch, describe
from benchmarks.nginx import nginx_binary
from benchmarks.processes import ProcessFailed, interrupts_unwind, log
from benchmarks.report import as_json, render
from benchmarks.reports import render as render_reports
from benchmarks.reports import run_reports
from benchmarks.stores import DEFAULT_POSTGRES

INSTALL_HINT = """\
The click benchmark loads Accord and nginx with wrk; not found: {missing}. Install them with:

    {sudo}apt-get update && {sudo}apt-get install -y wrk nginx

or run only the conversion benchmark: --only conversions"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Accord's benchmarks: click endpoint vs nginx, conversion ingestion vs "
        "bulk inserts. Figures are compared with baselines measured in the same run.",
    )
    parser.add_argument(
        "--only",
        choices=[
            "clicks",
            "conversions",
            "commissions",
            "jobs",
            "reports",
            "fraud",
            "identity",
            "scoring",
        ],
        help="Run one benchmark (default: clicks and conversions; commissions, jobs, "
        "reports and fraud only when asked for).",
    )
    parser.add_argument(
        "--duration", type=float, default=10.0, help="Seconds of load per click target (10)."
    )
    parser.add_argument(
        "--warmup", type=float, default=2.0, help="Seconds of warm-up before each (2; 0 = none)."
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2).")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (64).")
    parser.add_argument(
        "--workers",
        default="1,2",
        help="Accord worker counts to measure clicks with, comma-separated (1,2).",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="Conversion counts: 1 = 1,000 single requests and 5,000 in batches; for reports, "
        "1 = 20,000,000 clicks and 1,000,000 conversions.",
    )
    parser.add_argument(
        "--clients", type=int, default=4, help="Concurrent client threads for conversions (4)."
    )
    parser.add_argument(
        "--api-workers",
        type=int,
        default=1,
        help="`accord serve --workers` for the conversion benchmark (1).",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=BATCH_MAX,
        help=f"Conversions per batch request, at most {BATCH_MAX} ({BATCH_MAX}).",
    )
    parser.add_argument(
        "--postgres",
        default=DEFAULT_POSTGRES,
        help="PostgreSQL server URL without a database; a temporary database is created "
        f"and dropped there ({DEFAULT_POSTGRES}).",
    )
    parser.add_argument(
        "--no-postgres", action="store_true", help="Measure conversions on SQLite only."
    )
    parser.add_argument(
        "--conversions",
        type=int,
        default=DEFAULT_CONVERSIONS,
        help=f"Conversions the commissions benchmark computes ({DEFAULT_CONVERSIONS:,}).",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=2,
        help="Commissions: also run the engine sharded by partner over N processes (2; 1 = no).",
    )
    parser.add_argument(
        "--native-threads",
        default="1,2",
        help="Thread counts for Accord's native click edge, comma separated (1,2; 0 = skip).",
    )
    parser.add_argument(
        "--jobs", type=int, default=DEFAULT_JOBS, help=f"Jobs per queue run ({DEFAULT_JOBS})."
    )
    parser.add_argument(
        "--queue-workers", type=int, default=2, help="Worker threads draining the queue (2)."
    )
    parser.add_argument(
        "--levels",
        default=",".join(LEVELS),
        help="Fraud protection levels the fraud benchmark simulates (relaxed,moderate,strict).",
    )
    parser.add_argument(
        "--records",
        type=int,
        default=100_000,
        help="Contacts the identity benchmark generates and resolves (default 100,000).",
    )
    parser.add_argument(
        "--people",
        type=int,
        default=1_000_000,
        help="People the scoring benchmark generates, 20 activities each (default 1,000,000).",
    )
    parser.add_argument("--json", action="store_true", help="Print all figures as JSON.")
    parser.add_argument(
        "--keep-temp",
        action="store_true",
        help="Keep the temp dir (server logs, stores, wrk scripts) and print where it is.",
    )
    args = parser.parse_args(argv)
    try:
        args.worker_counts = tuple(int(w) for w in args.workers.split(",") if w.strip())
    except ValueError:
        parser.error("--workers takes numbers separated by commas, e.g. 1,2")
    try:
        args.native_counts = tuple(
            n for n in (int(t) for t in args.native_threads.split(",") if t.strip()) if n > 0
        )
    except ValueError:
        parser.error("--native-threads takes numbers separated by commas, e.g. 1,2")
    if not args.worker_counts or min(args.worker_counts) < 1:
        parser.error("--workers needs at least one count of 1 or more")
    if args.duration < 1 or args.warmup < 0 or args.scale <= 0:
        parser.error("--duration must be at least 1, --warmup 0 or more, --scale above 0")
    if args.conversions < 1 or args.processes < 1:
        parser.error("--conversions and --processes must be at least 1")
    if not 1 <= args.batch_size <= BATCH_MAX:
        parser.error(f"--batch-size must be between 1 and {BATCH_MAX}")
    return args


def missing_tools() -> list[str]:
    """The load generator and the baseline server the click benchmark needs, if missing."""
    missing = [] if shutil.which("wrk") else ["wrk"]
    return missing if nginx_binary() else [*missing, "nginx"]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; 0 when they ran, non-zero when they could not."""
    args = parse_args(argv)
    if args.only == "commissions":
        return commissions(args)
    if args.only == "jobs":
        return queue_jobs(args)
    if args.only == "reports":
        return reports(args)
    if args.only == "fraud":
        return fraud(args)
    if args.only == "identity":
        from benchmarks.identity import render as render_identity
        from benchmarks.identity import run_identity

        data = run_identity(args.records)
        print(json.dumps(data, indent=2) if args.json else render_identity(data))
        return 0
    if args.only == "scoring":
        from benchmarks.scoring import render as render_scoring
        from benchmarks.scoring import run_scoring

        data = run_scoring(args.people, None if args.no_postgres else args.postgres)
        print(json.dumps(data, indent=2) if args.json else render_scoring(data))
        return 0
    want_clicks = args.only in (None, "clicks")
    want_conversions = args.only in (None, "conversions")
    if want_clicks and (missing := missing_tools()):
        sudo = "" if os.geteuid() == 0 else "sudo "
        print(INSTALL_HINT.format(missing=", ".join(missing), sudo=sudo), file=sys.stderr)
        return 2
    click_load = ClickLoad(
        args.duration,
        args.warmup,
        args.threads,
        args.connections,
        args.worker_counts,
        args.native_counts,
    )
    conversion_load = ConversionLoad(
        count=max(1, round(1000 * args.scale)),
        batch_count=max(1, round(5000 * args.scale)),
        batch_size=args.batch_size,
        clients=args.clients,
        workers=args.api_workers,
    )
    info = describe()
    click_others = None
    work = Path(tempfile.mkdtemp(prefix="accord-bench-"))
    clicks = conversions = None
    try:
        with interrupts_unwind():
            if want_clicks:
                watch = CpuWatch()
                clicks = run_clicks(work, click_load)
                click_others = watch.others_share()
            if want_conversions:
                conversions = run_conversions(
                    work, conversion_load, None if args.no_postgres else args.postgres
                )
    except KeyboardInterrupt:
        log("interrupted: every process the benchmark started has been stopped")
        return 130
    except (ProcessFailed, RuntimeError, OSError) as error:
        log(f"benchmark failed: {error}")
        args.keep_temp = True
        return 1
    finally:
        if args.keep_temp:
            log(f"logs, stores and scripts kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    data = as_json(info, click_load, clicks, click_others, conversion_load, conversions)
    print(json.dumps(data, indent=2) if args.json else render(data))
    return 0


def commissions(args: argparse.Namespace) -> int:
    """The commission engine benchmark: in process, nothing to install or start."""
    try:
        data = run_commissions(args.conversions, args.processes)
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    print(json.dumps(data, indent=2) if args.json else render_commissions(data))
    return 0


def queue_jobs(args: argparse.Namespace) -> int:
    """The job queue benchmark: in process, on each queue storage that answers."""
    try:
        data = run_jobs(args.jobs, args.queue_workers, None if args.no_postgres else args.postgres)
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    print(json.dumps(data, indent=2) if args.json else render_jobs(data))
    return 0


def reports(args: argparse.Namespace) -> int:
    """The reports benchmark: a large program in a temporary SQLite store, in process."""
    watch = CpuWatch()
    try:
        data = run_reports(args.scale)
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    data["others_cpu"] = watch.others_share()
    print(json.dumps(data, indent=2, default=str) if args.json else render_reports(data))
    return 0


def fraud(args: argparse.Namespace) -> int:
    """Fraud protection on simulated traffic: in process, a temporary store per level."""
    levels = tuple(lv.strip() for lv in args.levels.split(",") if lv.strip())
    if not levels or set(levels) - set(LEVELS):
        log("--levels takes relaxed, moderate and strict, separated by commas")
        return 2
    try:
        data = run_fraud(args.scale, levels)
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    print(json.dumps(data, indent=2) if args.json else render_fraud(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
