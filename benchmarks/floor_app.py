"""The floor for a Python click endpoint: a raw ASGI app that only answers 302.

It runs under granian with the same settings as `accord serve` (see `serve`), so the gap
between it and Accord is the edge's own work, and the gap between it and nginx is the cost
of the Python ASGI server itself.

    python -m benchmarks.floor_app --port 8001 --workers 2
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

_START = {
    "type": "http.response.start",
    "status": 302,
    "headers": [
        (b"location", b"https://example.com/"),
        (b"cache-control", b"no-store"),
        (b"content-length", b"0"),
    ],
}
_BODY = {"type": "http.response.body", "body": b""}


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Answer every HTTP request with the same 302; acknowledge lifespan events."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send(_START)
    await send(_BODY)


def serve(port: int, workers: int, host: str = "127.0.0.1") -> None:
    """Serve `app` with granian as `accord serve` configures it (src/accord/cli.py)."""
    from granian.constants import Interfaces
    from granian.server import Server

    Server(
        "benchmarks.floor_app:app",
        address=host,
        port=port,
        workers=workers,
        interface=Interfaces.ASGI,
        log_access=False,
    ).serve()


def main() -> None:
    """Command line: `python -m benchmarks.floor_app --port P --workers N`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    serve(args.port, args.workers)


if __name__ == "__main__":
    main()
