"""QR codes for hosted forms: one per place a form is offered (a store's counter, an event's
stand, an employee's card, a partner's shop, a poster), each crediting the people it brings
to that place. The code opens `/f/{form}?qr={code}`; a send through it records the activity
with the place as its channel and the code's label as its source, so the sources report
shows what each store, event or person brought. Images are PNG or SVG (segno).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

import segno
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accord.errors import InvalidInput, NotFound, Text
from accord.ids import new_id
from accord.leads.tables import LeadForm, LeadQrCode
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand

#: Where a code hangs, and the channel its people come through.
PLACES = {"store": "store", "event": "event", "employee": "employee", "partner": "partner",
          "print": "print"}  # fmt: skip


@dataclass(frozen=True)
class QrCode:
    id: str
    form_id: str
    place: str
    label: str
    scans: int
    people: int
    created_at: datetime


def _code(row: LeadQrCode) -> QrCode:
    return QrCode(row.id, row.form_id, row.place, row.label, row.scans, row.people,
                  row.created_at)  # fmt: skip


def make_code(store: Store, caller: Caller, form_id: str, place: str, label: str) -> QrCode:
    require_brand(caller)
    if place not in PLACES:
        raise InvalidInput("place", Text("use one of: %(choices)s", choices=", ".join(PLACES)))
    text = " ".join((label or "").split())[:200]
    if not text:
        raise InvalidInput("label", "name the place: the store, the event, the person")
    with store.unit() as session:
        form = session.get(LeadForm, form_id)
        if form is None or form.organization_id != caller.organization_id:
            raise NotFound("form", form_id)
        row = LeadQrCode(id=new_id("qr"), organization_id=caller.organization_id,
                         form_id=form_id, place=place, label=text, scans=0, people=0,
                         created_at=store.clock.now())  # fmt: skip
        session.add(row)
        session.flush()
        return _code(row)


def codes_of(store: Store, caller: Caller, form_id: str) -> list[QrCode]:
    require_brand(caller)
    with store.read() as session:
        return [
            _code(r)
            for r in session.scalars(
                select(LeadQrCode)
                .where(LeadQrCode.organization_id == caller.organization_id,
                       LeadQrCode.form_id == form_id)
                .order_by(LeadQrCode.created_at, LeadQrCode.id)
            )
        ]  # fmt: skip


def code_of(store: Store, caller: Caller, code_id: str) -> QrCode:
    require_brand(caller)
    with store.read() as session:
        row = session.get(LeadQrCode, code_id)
        if row is None or row.organization_id != caller.organization_id:
            raise NotFound("QR code", code_id)
        return _code(row)


def code_url(base_url: str, code: QrCode) -> str:
    return f"{base_url.rstrip('/')}/f/{code.form_id}?qr={code.id}"


def image(url: str, kind: str) -> tuple[bytes, str]:
    """The code as PNG or SVG: (bytes, media type). Error correction M survives a worn
    print; the quiet zone is the standard four modules."""
    if kind not in ("png", "svg"):
        raise InvalidInput("format", "use png or svg")
    made = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    if kind == "png":
        made.save(out, kind="png", scale=10, border=4)
        return out.getvalue(), "image/png"
    made.save(out, kind="svg", scale=10, border=4, xmldecl=True)
    return out.getvalue(), "image/svg+xml"


# the public form's side -------------------------------------------------------------------
def scanned(session: Session, form_id: str, code_id: str | None) -> LeadQrCode | None:
    """The code a visitor came through, if it is the form's; counts the scan."""
    if not code_id:
        return None
    row = session.get(LeadQrCode, code_id[:40])
    if row is None or row.form_id != form_id:
        return None
    session.execute(update(LeadQrCode).where(LeadQrCode.id == row.id)
                    .values(scans=LeadQrCode.scans + 1))  # fmt: skip
    return row


def source_of(store: Store, form_id: str, code_id: str | None) -> tuple[str, str, str] | None:
    """(channel, source, code id) a send through a code is credited to; counts a person."""
    if not code_id:
        return None
    with store.unit() as session:
        row = session.get(LeadQrCode, code_id[:40])
        if row is None or row.form_id != form_id:
            return None
        session.execute(update(LeadQrCode).where(LeadQrCode.id == row.id)
                        .values(people=LeadQrCode.people + 1))  # fmt: skip
        return PLACES[row.place], row.label, row.id


def count_scan(store: Store, form_id: str, code_id: str | None) -> bool:
    with store.unit() as session:
        return scanned(session, form_id, code_id) is not None
