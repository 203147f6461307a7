"""`accord serve --tracking-port`: the API on one port, the native click edge on another."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.factories import add_partner, free_port, make_brand, wait_healthy

pytestmark = pytest.mark.e2e


def test_a_click_on_the_tracking_port_is_credited_by_the_api(store, database_url, tmp_path):
    api_port, tracking_port = free_port(), free_port()
    env = {**os.environ, "ACCORD_DATABASE_URL": database_url, "ACCORD_DATA_DIR": str(tmp_path)}
    env.pop("ACCORD_PUBLIC_URL", None)
    argv = [sys.executable, "-m", "accord.cli", "serve", "--port", str(api_port)]
    argv += ["--tracking-port", str(tracking_port), "--server", "uvicorn"]
    server = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        wait_healthy(f"http://127.0.0.1:{api_port}/health", server, 60)
        wait_healthy(f"http://127.0.0.1:{tracking_port}/health", server, 60)
        store.clock.set(store.clock.now().replace(year=2030))  # orders come after clicks
        brand = make_brand(store)
        partner = add_partner(brand)  # a link made while the edge runs
        deadline = time.monotonic() + 5
        while True:
            click = httpx.get(f"http://127.0.0.1:{tracking_port}/c/{partner.link_code}?sub1=e2e")
            if click.status_code == 302 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert click.status_code == 302, click.text
        links = httpx.get(
            f"http://127.0.0.1:{api_port}/api/v1/links",
            params={"program_id": brand.program_id},
            headers={"authorization": f"Bearer {brand.api_key}"},
        ).json()["data"]
        # the links handed to partners point at the tracking port
        assert links[0]["url"] == f"http://127.0.0.1:{tracking_port}/c/{partner.link_code}"
        click_id = parse_qs(urlsplit(click.headers["location"]).query)["accord_click"][0]
        response = httpx.post(
            f"http://127.0.0.1:{api_port}/api/v1/conversions",
            headers={"authorization": f"Bearer {brand.api_key}"},
            json={
                "program_id": brand.program_id,
                "order_id": "tracking-port-1",
                "amount": "50.00",
                "currency": "USD",
                "click_id": click_id,
            },
        )
        assert response.status_code == 201, response.text
        assert response.json()["partner_id"] == partner.id
    finally:
        server.terminate()
        server.wait(20)
    out = server.stdout.read().decode()
    assert f"on http://127.0.0.1:{tracking_port} (native edge)" in out
    with socket.socket() as probe:  # the edge stopped with the server
        assert probe.connect_ex(("127.0.0.1", tracking_port)) != 0


def test_a_tracking_port_in_use_is_refused_naming_it(database_url, tmp_path):
    """Another server on the tracking port must not pass for the edge."""
    env = {**os.environ, "ACCORD_DATABASE_URL": database_url, "ACCORD_DATA_DIR": str(tmp_path)}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        argv = [sys.executable, "-m", "accord.cli", "serve", "--port", str(free_port())]
        argv += ["--tracking-port", str(port)]
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert f"127.0.0.1:{port} is already in use" in done.stdout + done.stderr
    assert "serving on" not in done.stdout


def test_a_dead_edge_process_is_restarted_and_health_reports_it(database_url, tmp_path):
    """`accord edge`, the child that runs the native edge, is killed: the API's /health says
    the tracking edge is down, the child is started again, and the port answers clicks."""
    api_port, tracking_port = free_port(), free_port()
    env = {**os.environ, "ACCORD_DATABASE_URL": database_url, "ACCORD_DATA_DIR": str(tmp_path)}
    env.pop("ACCORD_PUBLIC_URL", None)
    argv = [sys.executable, "-m", "accord.cli", "serve", "--port", str(api_port)]
    argv += ["--tracking-port", str(tracking_port), "--server", "uvicorn"]
    server = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    api, edge = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{tracking_port}"
    try:
        wait_healthy(f"{api}/health", server, 60)
        wait_healthy(f"{edge}/health", server, 60)
        first = httpx.get(f"{api}/health").json()
        assert first["status"] == "ok"
        report = first["tracking_edge"]
        assert (report["state"], report["answering"], report["restarts"]) == ("running", True, 0)
        assert report["port"] == tracking_port

        os.kill(report["pid"], signal.SIGKILL)
        states = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            health = httpx.get(f"{api}/health").json()
            states.append((health["status"], health["tracking_edge"]["state"]))
            again = health["tracking_edge"]
            if again["restarts"] >= 1 and again["state"] == "running" and again["answering"]:
                break
            time.sleep(0.05)
        assert ("degraded", "restarting") in states  # noticed while it was down
        assert health["status"] == "ok", states
        assert again["pid"] != report["pid"]
        assert httpx.get(f"{edge}/health").status_code == 200  # the port answers again
    finally:
        server.terminate()
        server.wait(20)
    errors = server.stderr.read().decode()
    assert "tracking edge" in errors and "restarting" in errors  # the restart is logged
    deadline = time.monotonic() + 5
    while True:  # the restarted edge stops with the server too
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", tracking_port)) != 0:
                break
        assert time.monotonic() < deadline, "the tracking port stayed open after the server"
        time.sleep(0.1)
