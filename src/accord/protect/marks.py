"""A partner's own marks: the addresses its users sign in from, and the devices, payment
cards and addresses of orders found to be its own. Scoring reads them (self-referral under
another e-mail, orders from the partner's own network); the duplicate-account check
compares them between partners.

Sign-ins reach protect as `partner.signed_in` events (see `protect.subscribers`); own
orders teach their marks as they are scored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from accord.ids import new_id
from accord.partners.service import own_email_hashes
from accord.protect.model import MARK_DAYS, OwnMarks
from accord.protect.tables import PartnerMark

KINDS = ("ip", "device", "payment")
SOURCES = ("sign_in", "own_order")


def keep_marks(
    session: Session, partner_id: str, marks: Iterable[tuple[str, str]], source: str, at: datetime
) -> None:
    """Add (kind, hashed value) marks to the partner's, or note that they were seen again
    (one upsert each: two orders or sign-ins at once both keep theirs)."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    for kind, value in sorted(set(marks)):
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        statement = insert(PartnerMark).values(
            id=new_id("mrk"),
            partner_id=partner_id,
            kind=kind,
            value=value,
            source=source,
            first_seen=at,
            last_seen=at,
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["partner_id", "kind", "value"],
                set_={"last_seen": statement.excluded.last_seen},
                where=PartnerMark.last_seen < statement.excluded.last_seen,
            )
        )


def own_marks(session: Session, partner_id: str, at: datetime) -> OwnMarks:
    """Everything known to be the partner's own at `at`: its hashed e-mails and the marks
    seen in the MARK_DAYS days before."""
    found: dict[str, set[str]] = defaultdict(set)
    for kind, value in session.execute(
        select(PartnerMark.kind, PartnerMark.value).where(
            PartnerMark.partner_id == partner_id,
            PartnerMark.last_seen >= at - timedelta(days=MARK_DAYS),
        )
    ):
        found[kind].add(value)
    return OwnMarks(
        emails=own_email_hashes(session, partner_id),
        devices=frozenset(found["device"]),
        payments=frozenset(found["payment"]),
        ips=frozenset(found["ip"]),
    )


def shared_marks(session: Session, partner_ids: Sequence[str], at: datetime) -> dict[str, set[str]]:
    """Marks of these partners seen in the last MARK_DAYS days, as fingerprints
    ("sign_in_ip:<hash>", "device:<hash>", "payment:<hash>") by partner id, for the
    duplicate-account check."""
    out: dict[str, set[str]] = defaultdict(set)
    ids = list(partner_ids)
    for start in range(0, len(ids), 500):
        for partner_id, kind, value, source in session.execute(
            select(
                PartnerMark.partner_id, PartnerMark.kind, PartnerMark.value, PartnerMark.source
            ).where(
                PartnerMark.partner_id.in_(ids[start : start + 500]),
                PartnerMark.last_seen >= at - timedelta(days=MARK_DAYS),
            )
        ):
            name = "sign_in_ip" if kind == "ip" and source == "sign_in" else kind
            out[partner_id].add(f"{name}:{value}")
    return out


def forget_old(session: Session, before: datetime) -> int:
    """Drop marks last seen before `before` (they no longer count)."""
    result = session.execute(delete(PartnerMark).where(PartnerMark.last_seen < before))
    return int(result.rowcount or 0)
