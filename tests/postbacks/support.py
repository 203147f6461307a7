"""Helpers for the postback tests: clicks with sub ids, a fake resolver and a fake sender."""

from __future__ import annotations

import threading

from sqlalchemy import select

from accord.postbacks.service import Outgoing, register_endpoint
from accord.postbacks.tables import PostbackDelivery, PostbackEndpoint
from accord.store.engine import Store
from accord.tracking.model import new_click_id
from accord.tracking.tables import Click, Link
from tests.factories import Brand, TestPartner

PUBLIC_IP = "93.184.216.34"


def public(host: str) -> list[str]:
    """A resolver that answers a public address for every host."""
    return [PUBLIC_IP]


def register(partner: TestPartner, store: Store, url: str, **options) -> PostbackEndpoint:
    """The partner registers a postback URL; hosts resolve to a public address."""
    options.setdefault("resolve", public)
    return register_endpoint(store, partner.caller, url, **options)


def click_with_subs(brand: Brand, partner: TestPartner, **subs: str) -> str:
    """A click on the partner's link now, carrying sub ids, as the edge stores it."""
    click_id = new_click_id()
    with brand.store.unit() as session:
        link_id = session.scalar(select(Link.id).where(Link.code == partner.link_code))
        session.add(
            Click(
                id=click_id,
                link_id=link_id,
                program_id=brand.program_id,
                partner_id=partner.id,
                at=brand.store.clock.now(),
                ip="203.0.113.7",
                user_agent="pytest",
                **subs,
            )
        )
    return click_id


def deliveries(store: Store, endpoint_id: str) -> list[PostbackDelivery]:
    """An endpoint's deliveries, oldest first."""
    with store.read() as session:
        return list(
            session.scalars(
                select(PostbackDelivery)
                .where(PostbackDelivery.endpoint_id == endpoint_id)
                .order_by(PostbackDelivery.id)
            )
        )


class Receiver:
    """A fake partner server: answers the given status codes in turn (then 200)."""

    def __init__(self, *codes: int | Exception) -> None:
        self.codes = list(codes)
        self.requests: list[Outgoing] = []
        self._lock = threading.Lock()

    def __call__(self, outgoing: Outgoing) -> int:
        with self._lock:
            self.requests.append(outgoing)
            answer = self.codes.pop(0) if self.codes else 200
        if isinstance(answer, Exception):
            raise answer
        return answer
