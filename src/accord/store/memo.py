"""Lookups remembered for one unit of work, where its caller promises they hold still.

A batch of conversions reads the same program, enrollments, contract versions and clicks
over and over. Inside `memoized(session)`, `remembered(session, name, key, load)` runs
`load()` once per (name, key) and returns the same answer after that; outside it, it simply
runs `load()`. The caller opts in because only it knows that nothing it does in that unit
changes what was remembered (recording conversions never edits a program or a contract).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")

_KEY = "accord.memo"


@contextmanager
def memoized(session: Session) -> Iterator[None]:
    """Remember lookups made through `remembered` in this session until the block ends."""
    session.info[_KEY] = {}
    try:
        yield
    finally:
        session.info.pop(_KEY, None)


def remembered(session: Session, name: str, key: Hashable, load: Callable[[], T]) -> T:
    """`load()`, or its earlier answer for (name, key) inside `memoized(session)`.

    An exception from `load()` is not remembered."""
    memo = session.info.get(_KEY)
    if memo is None:
        return load()
    slot = (name, key)
    if slot not in memo:
        memo[slot] = load()
    return memo[slot]


def forget(session: Session, name: str, key: Hashable) -> None:
    """Drop one remembered answer: the next lookup asks the store again."""
    memo = session.info.get(_KEY)
    if memo is not None:
        memo.pop((name, key), None)


def remember(session: Session, name: str, answers: dict[Hashable, object]) -> None:
    """Store answers found in bulk (one query for a whole batch) inside `memoized(session)`."""
    memo = session.info.get(_KEY)
    if memo is not None:
        for key, value in answers.items():
            memo[(name, key)] = value
