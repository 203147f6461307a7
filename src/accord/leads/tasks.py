"""Leads' background work on the job queue.

- `score_leads` (daily, at 02:37 UTC): every contact of every brand is scored again from its
  activity log (`leads.service.score_all`), so that decay and changed rules reach everyone,
  and contacts that entered the MQL zone become MQLs.
- `train_lead_models` (daily, at 03:07 UTC): each brand's predictive model is trained again
  on its outcomes, and every open contact's chance written (`leads.predict.train_all`).
- `send_nurture_mail` (every minute): nurturing sequences take their next steps and send
  the mail they reach (`leads.nurture.run_nurture`).
- `send_event_mail` (every minute): event registrants get their confirmation with their
  ticket, and the reminders due (`leads.events.send_event_mail`).
- `forget_anonymous_visits` (daily, at 04:17 UTC): page views of browsers never named
  within 90 days are dropped (`leads.visits.forget_old_visits`).
- `deliver_lead_handoffs` (every 30 seconds): MQLs handed to the brand's CRM by webhook are
  sent, signed, and failures tried again (`leads.handoff.deliver_handoffs`).
"""

from __future__ import annotations

from accord.jobs.queue import crontab, periodic
from accord.leads.handoff import HandoffRun, deliver_handoffs
from accord.leads.nurture import NurtureRun, run_nurture
from accord.leads.predict import train_all
from accord.leads.scoring import score_all
from accord.store.engine import Store


@periodic("score_leads", crontab=crontab(minute="37", hour="2"))
def score_leads(store: Store) -> dict[str, int]:
    return score_all(store)


@periodic("deliver_lead_handoffs", every=30)
def deliver_lead_handoffs(store: Store) -> HandoffRun:
    from accord.postbacks.worker import HttpSender, http_client
    from accord.settings import get_settings

    with http_client() as client:
        return deliver_handoffs(
            store, HttpSender(client), allow_private=get_settings().postback_allow_private
        )


@periodic("train_lead_models", crontab=crontab(minute="7", hour="3"))
def train_lead_models(store: Store) -> dict[str, int]:
    return train_all(store)


@periodic("send_nurture_mail", every=60)
def send_nurture_mail(store: Store) -> NurtureRun:
    from accord.mail.sender import Mailer
    from accord.settings import get_settings

    settings = get_settings()
    return run_nurture(store, Mailer(settings), base_url=settings.base_url())


@periodic("forget_anonymous_visits", crontab=crontab(minute="17", hour="4"))
def forget_anonymous_visits(store: Store) -> int:
    from accord.leads.visits import forget_old_visits

    return forget_old_visits(store)


@periodic("send_event_mail", every=60)
def send_event_mail(store: Store) -> dict[str, int]:
    from accord.leads.events import send_event_mail as send
    from accord.mail.sender import Mailer
    from accord.settings import get_settings

    settings = get_settings()
    run = send(store, Mailer(settings), base_url=settings.base_url())
    return {"confirmations": run.confirmations, "reminders": run.reminders,
            "failed": run.failed}  # fmt: skip
