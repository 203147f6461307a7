"""Accord under test: `accord serve` on a fresh store, and a small program set up over the API."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks.processes import Managed

REPO = Path(__file__).resolve().parent.parent
LANDING = "https://shop.example/landing"


@dataclass(frozen=True)
class Fixture:
    """A brand with one program, a default contract, partners and their tracking links."""

    api_key: str
    program_id: str
    partner_ids: list[str]
    link_codes: list[str]


def accord_executable() -> str:
    """The `accord` command of the Python running the benchmark (the project's venv)."""
    beside = Path(sys.executable).parent / "accord"
    if beside.exists():
        return str(beside)
    found = shutil.which("accord")
    if found is None:
        raise FileNotFoundError("accord (install Accord in this Python: ./run sets up .venv)")
    return found


def sqlite_url(data_dir: Path) -> str:
    """The SQLite URL Accord uses for `ACCORD_DATA_DIR=data_dir`."""
    return f"sqlite:///{(data_dir / 'accord.db').as_posix()}"


def server_env(data_dir: Path, database_url: str, port: int) -> dict[str, str]:
    """This environment without any ACCORD_* setting, plus the store and URL under test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env.update(
        ACCORD_DATA_DIR=str(data_dir),
        ACCORD_DATABASE_URL=database_url,
        ACCORD_PUBLIC_URL=f"http://127.0.0.1:{port}",
        # The benchmarks send from one key and one address far faster than a real caller.
        ACCORD_RATE_LIMITS="false",
    )
    return env


def accord_server(
    data_dir: Path,
    database_url: str,
    port: int,
    workers: int,
    log_path: Path,
    *,
    tracking_port: int | None = None,
    tracking_threads: int = 2,
) -> Managed:
    """`accord serve --port P --workers N [--tracking-port T]` on the store (not started yet)."""
    argv = [accord_executable(), "serve", "--port", str(port), "--workers", str(workers)]
    if tracking_port is not None:
        argv += ["--tracking-port", str(tracking_port), "--tracking-threads", str(tracking_threads)]
    env = server_env(data_dir, database_url, port)
    return Managed(f"accord serve --workers {workers}", argv, log_path, env=env, cwd=data_dir)


def floor_server(port: int, workers: int, log_path: Path) -> Managed:
    """The trivial raw ASGI 302 app under granian, configured like `accord serve`."""
    argv = [sys.executable, "-m", "benchmarks.floor_app", "--port", str(port)]
    argv += ["--workers", str(workers)]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return Managed(f"raw ASGI 302 --workers {workers}", argv, log_path, env=env, cwd=REPO)


def create_brand(database_url: str) -> str:
    """Create the brand organization with Accord's services; returns its API key.

    This also migrates the store, as `accord serve` would.
    """
    from accord.store.engine import open_store
    from accord.tenancy.model import OrganizationKind
    from accord.tenancy.service import create_organization

    store = open_store(url=database_url)
    try:
        return create_organization(store, OrganizationKind.BRAND, "Benchmark Outdoor").api_key
    finally:
        store.dispose()


#: The REST calls that set up a program: yields (path, body), is sent each response's JSON,
#: returns (program id, partner ids, link codes). Drive it with any HTTP client.
FixtureSteps = Generator[
    tuple[str, dict[str, Any]], dict[str, Any], tuple[str, list[str], list[str]]
]


def fixture_steps(partners: int = 4, links_per_partner: int = 2) -> FixtureSteps:
    """A program, its default contract, `partners` partners with their links."""
    program = yield (
        "/programs",
        {"name": "Benchmark", "currency": "USD", "default_landing_url": LANDING},
    )
    yield (
        f"/programs/{program['id']}/contracts",
        {"name": "Standard", "is_default": True, "rules": [{"event_type": "sale", "percent": "8"}]},
    )
    partner_ids, codes = [], []
    for i in range(partners):
        partner = yield (
            "/partners",
            {"program_id": program["id"], "name": f"Partner {i + 1}", "partner_type": "content"},
        )
        partner_ids.append(partner["id"])
        for _ in range(links_per_partner):
            link = yield ("/links", {"program_id": program["id"], "partner_id": partner["id"]})
            codes.append(link["code"])
    return program["id"], partner_ids, codes


def create_fixture(base_url: str, api_key: str) -> Fixture:
    """Set up a program with partners and links through the REST API of a running server."""
    headers = {"authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=f"{base_url}/api/v1", headers=headers, timeout=30) as http:
        steps = fixture_steps()
        try:
            request = next(steps)
            while True:
                request = steps.send(_post(http, *request))
        except StopIteration as done:
            program_id, partner_ids, codes = done.value
    return Fixture(api_key, program_id, partner_ids, codes)


def _post(http: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = http.post(path, json=body)
    if response.status_code >= 300:
        raise RuntimeError(f"POST {path} failed with {response.status_code}: {response.text}")
    return response.json()
