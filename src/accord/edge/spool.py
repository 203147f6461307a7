"""Where tracking events wait on disk: one spool folder per database.

The recorder (`accord.edge.recorder`) appends events to segments in a spool folder before the
edge answers; the in-process edge (`accord.server`) and the native one (`accord.edge.native`)
both keep that folder here, named by which database the store is, so events never cross
stores and a folder an earlier version named differently is taken over once.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
from pathlib import Path

from accord.edge.recorder import _decode
from accord.settings import Settings
from accord.store.engine import Store
from accord.tracking.tables import Link

log = logging.getLogger("accord.server")


def store_identity(store: Store) -> str:
    """Which database this is, however its URL was written.

    A SQLite file is known by its real path (a relative path, a symlink or `..` name the same
    file); a PostgreSQL database by its cluster's system identifier and the database's own
    oid, as the server reports them (host names and ports that reach the same server agree).
    Where the server does not say, the URL normalized: host in lower case, default port,
    no user or password.
    """
    url = store.engine.url
    backend = url.get_backend_name()
    if backend == "sqlite":
        database = url.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            return "sqlite:" + os.path.realpath(database)
        return "sqlite:" + database
    if backend == "postgresql":
        try:
            with store.engine.connect() as connection:
                system, oid = connection.exec_driver_sql(
                    "SELECT (SELECT system_identifier FROM pg_control_system()),"
                    " (SELECT oid FROM pg_database WHERE datname = current_database())"
                ).one()
            if system is not None and oid is not None:
                return f"postgresql:{system}:{oid}"
        except Exception:  # no right to read the control data: the URL will do
            log.debug("PostgreSQL did not name its cluster; naming the spool by URL")
    port = url.port or {"postgresql": 5432, "mysql": 3306}.get(backend, "")
    return f"{backend}://{(url.host or 'localhost').lower()}:{port}/{url.database}"


def _folder_name(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def spool_dir(settings: Settings, store: Store) -> Path:
    """The spool of this store: one folder per database, so events never cross stores,
    named by the store's identity (see `store_identity`), not by how it was written."""
    return settings.data_dir / "spool" / _folder_name(store_identity(store))


def adopt_old_spools(settings: Settings, store: Store, spool: Path) -> int:
    """Move into `spool` what earlier versions left in folders named after the URL as it
    was written; returns how many files moved.

    Such a folder's owner is told by its events: one whose first event's link is in this
    store belongs to it (link ids are unique across stores). Files a live process still
    writes (locked) stay where they are until it stops.
    """
    root = settings.data_dir / "spool"
    if not root.is_dir():
        return 0
    moved = 0
    for folder in root.iterdir():
        if folder == spool or not folder.is_dir() or (folder / IDENTITY_FILE).exists():
            continue
        segments = sorted(folder.glob("events-*.jsonl")) + sorted(folder.glob("edge-*"))
        if not segments or not _belongs_to(store, segments):
            continue
        spool.mkdir(parents=True, exist_ok=True)
        here = 0
        for path in segments:
            if path.suffix == ".new" or _in_use(path):
                continue
            try:
                os.rename(path, spool / path.name)
                here += 1
            except FileNotFoundError:
                continue  # stored meanwhile by the process that wrote it
        if here:
            log.warning("moved %d spooled event files from %s to %s", here, folder, spool)
        moved += here
    return moved


IDENTITY_FILE = "store"


def mark_spool(spool: Path, store: Store) -> None:
    """Write the store's identity into its spool folder (tells it from an earlier one)."""
    spool.mkdir(parents=True, exist_ok=True)
    marker = spool / IDENTITY_FILE
    if not marker.exists():
        marker.write_text(store_identity(store) + "\n")


def _belongs_to(store: Store, segments: list[Path]) -> bool:
    for path in segments:
        try:
            with open(path, "rb") as handle:
                for line in handle:
                    event = _decode(line)
                    if event is not None:
                        with store.read() as session:
                            return session.get(Link, event[1].get("link_id")) is not None
        except FileNotFoundError:
            continue
    return False


def _in_use(path: Path) -> bool:
    """Does a live process hold the lock of this spool file?"""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # the lock goes with it
    return False
