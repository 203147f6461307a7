"""Payees, instructions and a recording HTTP transport for the payout file and provider tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from accord.money import Money
from accord.payouts.files import Payee, PayoutInstruction

DATA = Path(__file__).parent / "data"
BATCH_ID = "bat_01JD7Q8M6W9X2ZK3T4V5B6N7P8"


def fixture(name: str) -> dict:
    """A recorded provider response body from tests/payout_files/data."""
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def payout(
    payout_id: str,
    amount: str,
    currency: str = "EUR",
    *,
    partner_id: str = "prt_ana",
    name: str = "Ana Lima",
    reference: str = "",
    **details: str,
) -> PayoutInstruction:
    """One payout instruction; keyword details fill the payee (iban=..., paypal_email=...)."""
    payee = Payee(partner_id=partner_id, name=name, **details)
    return PayoutInstruction(payout_id, partner_id, payee, Money.of(amount, currency), reference)


@dataclass
class Recorder:
    """An httpx transport that answers from a list of (status, body) and keeps each request."""

    answers: list[tuple[int, dict] | Callable[[httpx.Request], httpx.Response]]
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        answer = self.answers.pop(0)
        if callable(answer):
            return answer(request)
        status, body = answer
        return httpx.Response(status, json=body)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))
