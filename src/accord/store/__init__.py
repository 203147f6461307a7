"""The operational store: engine, unit of work, shared column types and migrations."""

from accord.store.base import Base
from accord.store.engine import Store, open_store

__all__ = ["Base", "Store", "open_store"]
