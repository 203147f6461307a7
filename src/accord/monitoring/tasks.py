"""The monitoring stage's background work on the job queue (alerts, digests)."""

from __future__ import annotations
