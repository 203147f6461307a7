"""The native edge's request handling under libFuzzer, with AddressSanitizer and UBSan.

Builds src/accord/edge/native/fuzz/fuzz_request.c (the server's own parsing and answering
code, fed bytes without a socket) and runs it for FUZZ_SECONDS from the seed corpus. The
run must end without a crash, a sanitizer report or a malformed response. Needs clang
with libFuzzer (on Debian: the packages clang-14 and libclang-rt-14-dev); without it the
test is skipped, except under CI=true, where it fails. The file header of fuzz_request.c
says how to run a longer campaign.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import IN_CI

FUZZ = Path(__file__).resolve().parents[2] / "src" / "accord" / "edge" / "native" / "fuzz"
FUZZ_SECONDS = 20
SANITIZE = ["-fsanitize=fuzzer,address,undefined", "-fno-sanitize-recover=undefined"]
PROBE = b"""
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return 0; }
"""


def _clang() -> str | None:
    names = [os.environ.get("CLANG") or "clang", *(f"clang-{v}" for v in range(20, 13, -1))]
    return next((found for name in names if (found := shutil.which(name))), None)


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}; CI requires the fuzz run", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def fuzzer(tmp_path_factory) -> Path:
    clang = _clang()
    if clang is None:
        _unavailable("no clang to build the fuzz target (apt-get install clang-14)")
    folder = tmp_path_factory.mktemp("fuzz")
    probe = folder / "probe.c"
    probe.write_bytes(PROBE)
    done = subprocess.run(
        [clang, *SANITIZE, "-o", str(folder / "probe"), str(probe)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        _unavailable(
            f"{clang} cannot link libFuzzer with the sanitizers (apt-get install "
            f"libclang-rt-14-dev, or the one for this clang): {done.stderr.strip()[-300:]}"
        )
    binary = folder / "fuzz-request"
    command = [clang, "-g", "-O1", *SANITIZE, "-pthread", "-o", str(binary)]
    done = subprocess.run(
        [*command, str(FUZZ / "fuzz_request.c")], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"building the fuzz target failed:\n{done.stderr[-3000:]}"
    return binary


def test_the_request_parser_survives_a_fuzzing_run(fuzzer, tmp_path, record_property):
    corpus = tmp_path / "corpus"  # what this run finds; the seeds are only read
    corpus.mkdir()
    seeds = FUZZ / "corpus"
    assert any(seeds.iterdir()), "the seed corpus is empty"
    command = [
        str(fuzzer),
        f"-max_total_time={FUZZ_SECONDS}",
        "-print_final_stats=1",
        "-timeout=10",
        "-rss_limit_mb=2048",
        f"-artifact_prefix={tmp_path}/",
        str(corpus),
        str(seeds),
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=FUZZ_SECONDS + 120, check=False
    )
    found = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("crash-", "leak-")))
    assert done.returncode == 0 and not found, (
        f"the fuzzer failed ({done.returncode}, {found}):\n{done.stderr[-5000:]}"
    )
    executed = re.search(r"stat::number_of_executed_units:\s*(\d+)", done.stderr)
    assert executed, f"no final stats:\n{done.stderr[-2000:]}"
    runs = int(executed.group(1))
    record_property("fuzz_executions", runs)
    print(f"fuzzed {runs} inputs in {FUZZ_SECONDS} s without a crash")
    assert runs > 10_000  # it really ran, not just loaded the seeds
