"""Notices' background work on the job queue: `send_mail` (every minute) sends the outbox's
due mail through the SMTP server of the settings (`notices.service.send_due`)."""

from __future__ import annotations

from accord.jobs.queue import periodic
from accord.notices.service import SendRun, send_due
from accord.store.engine import Store


@periodic("send_mail", every=60)
def send_mail(store: Store) -> SendRun:
    return send_due(store)
