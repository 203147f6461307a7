"""The postback worker: sends due postbacks over HTTP.

Delivery is a periodic task of the job queue (`deliver_postbacks`, every
`ACCORD_POSTBACKS_EVERY` seconds): `accord worker`, or `accord serve` on its own, runs it.
`accord postbacks deliver` still runs the loop in the foreground, and `--once` sends what is
due now and exits. Several workers may run at once: each takes its own deliveries.
"""

from __future__ import annotations

import logging
import threading
from typing import Annotated

import httpx
import typer
from rich.console import Console

from accord import __version__
from accord.jobs.queue import periodic
from accord.postbacks.model import Resolver
from accord.postbacks.service import DeliveryRun, Outgoing, Send, deliver_due, system_resolve
from accord.settings import get_settings
from accord.store.engine import Store, open_store

log = logging.getLogger("accord.postbacks")

#: Seconds a partner's server gets to answer one attempt.
TIMEOUT = 10.0


class HttpSender:
    """Sends attempts with an httpx client, connecting to the address that was checked.

    The URL's host is replaced by the checked IP address and sent as the Host header (and
    as TLS SNI, so the certificate is still verified for the host name): a DNS answer that
    changes between the check and the connection cannot point the request elsewhere.
    Redirects are not followed, and the response body is not read.
    """

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def __call__(self, outgoing: Outgoing) -> int:
        url = httpx.URL(outgoing.url)
        headers = {**outgoing.headers, "user-agent": f"Accord-Postbacks/{__version__}"}
        extensions = {}
        if outgoing.addresses:
            headers["host"] = url.netloc.decode("ascii")
            if url.scheme == "https":
                extensions["sni_hostname"] = url.raw_host.decode("ascii")
            url = url.copy_with(host=str(outgoing.addresses[0]))
        with self.client.stream(
            "POST",
            url,
            content=outgoing.body.encode("utf-8"),
            headers=headers,
            extensions=extensions,
        ) as response:
            return response.status_code


def http_client() -> httpx.Client:
    """The client production uses: short timeouts, no redirects, no proxies from the env."""
    return httpx.Client(timeout=TIMEOUT, follow_redirects=False, trust_env=False)


def run(
    store: Store,
    send: Send,
    *,
    once: bool = False,
    interval: float = 5.0,
    batch: int = 100,
    allow_private: bool = False,
    resolve: Resolver | None = None,
    stop: threading.Event | None = None,
) -> DeliveryRun:
    """Deliver due postbacks until `stop` is set (or, with `once`, until none is due).

    Returns the totals. A full batch is followed at once by the next; otherwise the loop
    waits `interval` seconds.
    """
    stop = stop or threading.Event()
    total = DeliveryRun()
    while not stop.is_set():
        result = deliver_due(
            store,
            send,
            store.clock.now(),
            limit=batch,
            resolve=resolve or system_resolve,
            allow_private=allow_private,
        )
        total.delivered += result.delivered
        total.retrying += result.retrying
        total.failed += result.failed
        if result.attempted:
            log.info(
                "postbacks: %d delivered, %d to retry, %d failed",
                result.delivered,
                result.retrying,
                result.failed,
            )
        if result.attempted >= batch:
            continue
        if once:
            break
        stop.wait(interval)
    return total


@periodic("deliver_postbacks", every="postbacks_every")
def deliver_postbacks(store: Store) -> DeliveryRun:
    """The queue's periodic delivery pass: what is due now, in batches until none is."""
    with http_client() as client:
        return run(
            store,
            HttpSender(client),
            once=True,
            allow_private=get_settings().postback_allow_private,
        )


cli = typer.Typer(help="Outbound postbacks to partners.", no_args_is_help=True)


@cli.command("deliver")
def deliver_command(
    once: Annotated[bool, typer.Option("--once", help="Send what is due now, then exit.")] = False,
    interval: Annotated[
        float, typer.Option(min=0.1, help="Seconds between passes when nothing is due.")
    ] = 5.0,
    batch: Annotated[int, typer.Option(min=1, max=1000, help="Deliveries per pass.")] = 100,
) -> None:
    """Send due postbacks to partners, signed, retrying failures for up to three days.

    Runs until Ctrl+C unless --once is given. Start as many as you like: each worker takes
    its own deliveries. `accord worker` (or `accord serve`) delivers them too, as a
    periodic task of the job queue: this command is for running delivery on its own.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    settings = get_settings()
    store = open_store(settings)
    console = Console()
    with http_client() as client:
        try:
            total = run(
                store,
                HttpSender(client),
                once=once,
                interval=interval,
                batch=batch,
                allow_private=settings.postback_allow_private,
            )
        except KeyboardInterrupt:
            console.print("stopped")
            return
        finally:
            store.dispose()
    console.print(
        f"postbacks: {total.delivered} delivered, {total.retrying} to retry, {total.failed} failed"
    )
