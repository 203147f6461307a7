"""Protect's background work on the job queue.

- `refresh_fraud_baselines` (daily, at 03:17 UTC): each scoring program's baseline, the
  quantiles of the seconds from the winning click to the order over its last 90 days
  (`protect.service.refresh_baseline`), which the too-soon and too-old rules compare with.
- `score_partner_risk` (daily, at 03:47 UTC): every partner of every scoring program is
  scored on its last 28 days (`protect.partner_risk`); the managers of a partner whose
  score reached the high-risk band, or rose within it, get an e-mail.
- `forget_partner_marks` (daily, at 04:07 UTC): partners' marks (sign-in addresses,
  devices and cards of their own orders) not seen for MARK_DAYS days are deleted.
"""

from __future__ import annotations

from datetime import timedelta

from accord.jobs.queue import crontab, periodic
from accord.protect.marks import forget_old
from accord.protect.model import MARK_DAYS
from accord.protect.partner_risk import score_all_partners
from accord.protect.service import refresh_all_baselines
from accord.store.engine import Store


@periodic("refresh_fraud_baselines", crontab=crontab(minute="17", hour="3"))
def refresh_fraud_baselines(store: Store) -> dict[str, int]:
    refreshed = refresh_all_baselines(store)
    return {"programs": len(refreshed), "orders": sum(b.count for b in refreshed.values())}


@periodic("score_partner_risk", crontab=crontab(minute="47", hour="3"))
def score_partner_risk(store: Store) -> dict[str, int]:
    return score_all_partners(store)


@periodic("forget_partner_marks", crontab=crontab(minute="7", hour="4"))
def forget_partner_marks(store: Store) -> dict[str, int]:
    with store.unit() as session:
        gone = forget_old(session, store.clock.now() - timedelta(days=MARK_DAYS))
    return {"forgotten": gone}
