"""Jobs: work that takes longer than a page view, with its progress and result.

A job row is the durable record of the work: its kind and arguments (enough for any worker
to run it), who started it, and the lease of the worker running it. The queue only carries
the job's id to a worker; a job the queue lost is found here and enqueued again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.base import Base, UTCDateTime


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    #: Who started it (a console user), when a person did.
    user_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: import_conversions, import_reversals, payout_batch, schedule (see accord.jobs.work)
    kind: Mapped[str] = mapped_column(String(32))
    program_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: queued, running, done or failed
    status: Mapped[str] = mapped_column(String(16), index=True)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: Why it failed, in words for the person who started it.
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    result: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: The work's arguments (JSON), as its kind's function takes them.
    args: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    #: Whom the work runs as: the starter's caller and audit actor (JSON).
    caller: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    #: A large input the work needs (an import's CSV text); dropped once the job has ended.
    payload: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: How many times a worker has started it (a retry after a killed worker adds one).
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The worker running it (host:pid:thread) and when that worker last said it was alive.
    claimed_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
