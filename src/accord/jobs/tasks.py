"""Every task a queue worker runs, in one place: import this module before starting a
consumer (`accord worker`, `accord serve`).

Importing a module declares its tasks (`accord.jobs.queue.task` / `periodic`):

- `run_job` and `recover_jobs` (every ACCORD_JOB_RECOVER_EVERY s): accord.jobs.service
- `money_schedule` (hourly: lock, approve, pay what is due) and the job kinds:
  accord.jobs.work
- `deliver_postbacks` (every ACCORD_POSTBACKS_EVERY s): accord.postbacks.worker
- `dispatch_events` (every 5 s, and enqueued after each commit that recorded events):
  accord.events.tasks
- `scan_for_alerts`, `weekly_digests`: accord.monitoring.tasks
- `sum_report_days` (hourly: the reports' per-partner daily sums): accord.reports.tasks
- `refresh_fraud_baselines` (daily: how fast each program's customers buy),
  `score_partner_risk` (daily: each partner's risk score, alerts when it rises) and
  `forget_partner_marks` (daily: partners' marks unseen for 90 days): accord.protect.tasks
- `score_leads` (daily: every contact's score from its activities): accord.leads.tasks
- `send_mail` (every minute: the outbox's notices to partners, managers and users):
  accord.notices.tasks
- `directory_badges` (daily: the badges of the partners listed in the directory):
  accord.partners.tasks
- `settle_bounties` (hourly: the rewards of sales and revenue bounties that ended):
  accord.engage.tasks

A stage with background work of its own declares it in its module and adds that module here.
"""

from __future__ import annotations

import accord.engage.tasks
import accord.events.tasks
import accord.jobs.service
import accord.jobs.work
import accord.leads.tasks
import accord.monitoring.tasks
import accord.notices.tasks
import accord.partners.tasks
import accord.postbacks.worker
import accord.protect.tasks
import accord.reports.tasks  # noqa: F401 - declares sum_report_days
from accord.jobs.queue import declared

__all__ = ["declared"]
