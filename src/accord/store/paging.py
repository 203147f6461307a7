"""Keyset paging: one page of a query's rows after a given id, and whether more follow.

Ids are time-ordered (`accord.ids`), so ordering by id is ordering by creation: a page is
stable while rows are added, and no OFFSET scan grows with the page number. Services list
rows with `read_page`; adapters turn the `Slice` into their own page shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

from accord.store.engine import Store

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Slice(Generic[T]):
    """One page of rows, oldest first; `next_after` is the id to ask the next page after."""

    rows: list[T]
    has_more: bool
    next_after: str | None


def page_of(
    session: Session, query: Select, id_column: Any, limit: int, starting_after: str | None
) -> Slice:
    """The `limit` rows of `query` after `starting_after` (by `id_column`), in id order."""
    if starting_after:
        query = query.where(id_column > starting_after)
    rows = list(session.scalars(query.order_by(id_column).limit(limit + 1)))
    has_more = len(rows) > limit
    rows = rows[:limit]
    return Slice(rows, has_more, rows[-1].id if has_more and rows else None)


def read_page(
    store: Store, query: Select, id_column: Any, limit: int, starting_after: str | None
) -> Slice:
    """`page_of` in a read-only session of its own."""
    with store.read() as session:
        return page_of(session, query, id_column, limit, starting_after)
