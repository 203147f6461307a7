"""The process's ASGI application: the tracking edge on `/c/` and `/i/`, the API elsewhere."""

from __future__ import annotations

import hashlib
import logging
from functools import partial
from pathlib import Path

from accord.api.app import create_api
from accord.edge import native
from accord.edge.click import CLICK_PREFIX, IMPRESSION_PREFIX, TrackingEdge
from accord.edge.recorder import EventRecorder
from accord.settings import Settings, get_settings
from accord.store.engine import Store, open_store
from accord.tracking.service import record_events

EDGE_PREFIXES = (CLICK_PREFIX, IMPRESSION_PREFIX)


def spool_dir(settings: Settings, store: Store) -> Path:
    """The spool of this store: one folder per database, so events never cross stores."""
    url = store.engine.url.render_as_string(hide_password=True)
    return settings.data_dir / "spool" / hashlib.sha256(url.encode()).hexdigest()[:16]


log = logging.getLogger("accord.server")


class AccordApp:
    """Routes `/c/...` and `/i/...` to the raw tracking edge, everything else to FastAPI."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        spool = spool_dir(settings, store)
        self.recorder = EventRecorder(
            partial(record_events, store),
            spool_dir=spool if settings.spool else None,
            interval_ms=settings.click_flush_interval_ms,
            batch_size=settings.click_batch_size,
            catch_up=partial(native.catch_up, store, spool),
        )
        self.edge = TrackingEdge(store, self.recorder, frozenset(settings.trusted_proxies))
        self.api = create_api(store, settings, self.recorder)
        self.started = False

    def start(self) -> None:
        if not self.started:
            replayed = self.recorder.replay()
            if replayed:
                log.warning("stored %d events a stopped process had spooled", replayed)
            links = self.edge.warm()
            self.recorder.start()
            self.started = True
            log.info("click edge ready with %d links cached", links)

    def stop(self) -> None:
        if self.started:
            self.recorder.stop()
            self.started = False

    async def __call__(self, scope, receive, send) -> None:
        kind = scope["type"]
        if kind == "http" and scope["path"].startswith(EDGE_PREFIXES):
            await self.edge(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        else:
            await self.api(scope, receive, send)

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    self.start()
                except Exception as exc:  # pragma: no cover - reported to the server
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return


def build_app(store: Store | None = None, settings: Settings | None = None) -> AccordApp:
    settings = settings or get_settings()
    return AccordApp(store or open_store(settings), settings)


def app_from_env() -> AccordApp:
    """Factory for granian/uvicorn workers: reads ACCORD_* settings from the environment.

    `accord serve` migrates once before starting workers and sets ACCORD_SKIP_MIGRATE so
    that workers do not race to migrate.
    """
    import os

    settings = get_settings()
    migrate = os.environ.get("ACCORD_SKIP_MIGRATE") != "1"
    return build_app(open_store(settings, migrate=migrate), settings)
