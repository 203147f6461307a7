"""Driving wrk: a Lua script that spreads requests over link codes, and its output parsed."""

from __future__ import annotations

import re
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

# Requests are formatted once per thread in init(); request() only picks the next one, so the
# load generator spends as little as possible per request, the same for every target.
_SCRIPT = """\
local paths = {%(paths)s}
local prepared = {}
local n = 0

function init(args)
  for i, path in ipairs(paths) do
    prepared[i] = wrk.format("GET", path)
  end
end

function request()
  n = n + 1
  return prepared[(n %% #prepared) + 1]
end
"""

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
_TIME = r"([\d.]+)(us|ms|s|m|h)"


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured; latencies in milliseconds."""

    requests: int
    seconds: float
    requests_per_s: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    socket_errors: int
    bad_status: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def write_script(path: Path, paths: list[str]) -> Path:
    """Write a wrk Lua script that requests `paths` round-robin."""
    quoted = ", ".join(_lua_string(p) for p in paths)
    path.write_text(_SCRIPT % {"paths": quoted})
    return path


def _lua_string(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9/_.~%-]+", text):
        raise ValueError(f"unsafe path for the wrk script: {text!r}")
    return f'"{text}"'


def run(
    url: str,
    script: Path,
    *,
    seconds: float,
    threads: int,
    connections: int,
    timeout_s: float = 5.0,
) -> WrkResult:
    """Run wrk with `--latency` against `url` and parse what it prints."""
    argv = [
        "wrk",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        f"--timeout={timeout_s:g}s",
        "--latency",
        f"--script={script}",
        url,
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse(done.stdout)


def parse(text: str) -> WrkResult:
    """Parse wrk 4's report (with `--latency`) into numbers."""
    dist = {
        int(pct): _ms(value, unit)
        for pct, value, unit in re.findall(rf"^\s+(\d+)%\s+{_TIME}\s*$", text, re.M)
    }
    if not {50, 75, 90, 99} <= dist.keys():
        raise ValueError(f"no latency distribution in wrk's output:\n{text}")
    latency = re.search(rf"^\s+Latency\s+{_TIME}\s+{_TIME}\s+{_TIME}", text, re.M)
    total = re.search(r"^\s+(\d+) requests in ([\d.]+)(us|ms|s|m|h)", text, re.M)
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    if latency is None or total is None or rate is None:
        raise ValueError(f"unexpected wrk output:\n{text}")
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return WrkResult(
        requests=int(total.group(1)),
        seconds=_ms(total.group(2), total.group(3)) / 1e3,
        requests_per_s=float(rate.group(1)),
        p50_ms=dist[50],
        p75_ms=dist[75],
        p90_ms=dist[90],
        p99_ms=dist[99],
        max_ms=_ms(latency.group(5), latency.group(6)),
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
        bad_status=int(bad.group(1)) if bad else 0,
    )


def _ms(value: str, unit: str) -> float:
    return float(value) * _UNITS[unit]
