"""nginx answering `return 302` from a temp dir: the physical baseline for the click endpoint."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from benchmarks.processes import Managed

_CONFIG = """\
# Written by Accord's benchmark: the cheapest possible redirect, as the physical baseline.
worker_processes auto;
daemon off;
pid %(root)s/nginx.pid;
error_log %(root)s/error.log warn;

events {
    worker_connections 4096;
}

http {
    access_log off;
    client_body_temp_path %(root)s/client_body;
    proxy_temp_path %(root)s/proxy;
    fastcgi_temp_path %(root)s/fastcgi;
    uwsgi_temp_path %(root)s/uwsgi;
    scgi_temp_path %(root)s/scgi;
    # Like granian, keep a client's connection for as many requests as it sends.
    keepalive_requests 10000000;
    keepalive_timeout 60s;

    server {
        listen 127.0.0.1:%(port)d;
        location / {
            return 302 https://example.com/;
        }
    }
}
"""

UNPRIVILEGED_USER = "nobody"


def nginx_binary() -> str | None:
    """Where nginx is, on PATH or in Debian's /usr/sbin."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def nginx_server(root: Path, port: int) -> Managed:
    """An nginx with its own minimal config, pid, logs and temp paths under `root`.

    It never runs as root: when the benchmark itself is root, nginx is started as `nobody`.
    """
    binary = nginx_binary()
    if binary is None:
        raise FileNotFoundError("nginx")
    root.mkdir(parents=True, exist_ok=True)
    config = root / "nginx.conf"
    config.write_text(_CONFIG % {"root": root, "port": port})
    user = UNPRIVILEGED_USER if os.geteuid() == 0 else None
    if user is not None:
        # nobody must reach its directory: the run's temp dir gets traverse-only (o+x).
        root.parent.chmod(root.parent.stat().st_mode | 0o001)
        shutil.chown(root, user=user)
    argv = [binary, "-p", str(root), "-c", str(config), "-e", str(root / "error.log")]
    return Managed("nginx", argv, root.parent / "nginx.out", user=user)
