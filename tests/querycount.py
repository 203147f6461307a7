"""Count the SQL statements an engine runs, to pin how many queries a page or report needs.

Only statements that read or change data count (SELECT, INSERT, UPDATE, DELETE, WITH):
transaction control (SQLite's explicit BEGIN, savepoints) differs between backends and is
not a query. An executemany is one statement, as it is one round trip to the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine, event

_QUERY_VERBS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


@dataclass
class QueryLog:
    """The statements seen while the context was open, in order."""

    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)

    def __str__(self) -> str:
        return "\n".join(f"{i + 1}. {s.strip()[:300]}" for i, s in enumerate(self.statements))


@contextmanager
def count_queries(engine: Engine) -> Iterator[QueryLog]:
    """Record every query `engine` (or an engine derived from it with execution options)
    sends while the block runs."""
    log = QueryLog()

    def seen(_conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        if statement.lstrip().split(None, 1)[0].upper() in _QUERY_VERBS:
            log.statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield log
    finally:
        event.remove(engine, "before_cursor_execute", seen)
