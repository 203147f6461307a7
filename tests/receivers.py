"""A real HTTP server on 127.0.0.1 standing for another party's receiver (a partner's
postback endpoint, a brand's CRM): it records each POST (path, headers in lower case, body)
and answers the codes a test scripts, then 200."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        with self.server.lock:
            self.server.received.append(
                (self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            code = self.server.answers.pop(0) if self.server.answers else 200
        self.send_response(code)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:  # keep the test output quiet
        pass


class Receiver(ThreadingHTTPServer):
    """Records each request and answers scripted codes (then 200)."""

    def __init__(self, *answers: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answers = list(answers)
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.lock = threading.Lock()

    @property
    def port(self) -> int:
        return self.server_address[1]


@contextmanager
def running(*answers: int) -> Iterator[Receiver]:
    """A receiver serving in a thread for the length of the block."""
    server = Receiver(*answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
