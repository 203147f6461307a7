"""What every payment provider adapter promises, and the error it raises.

Adapters translate between Accord's payout instructions and one provider's HTTP API; they hold
no business rules. Each reports, per payout, the provider's own reference and a status from
one small set, so the rest of Accord never reads a provider's vocabulary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import httpx

from accord.errors import AccordError, InvalidInput
from accord.payouts.files import PayoutInstruction


class PayoutStatus(StrEnum):
    """Where a payout stands at the provider.

    sent: accepted, money not yet with the partner (pending, unclaimed, on hold);
    paid: the partner has the money; failed: it never left us; returned: it came back.
    """

    SENT = "sent"
    PAID = "paid"
    FAILED = "failed"
    RETURNED = "returned"


@dataclass(frozen=True, slots=True)
class ProviderResult:
    """The outcome of one payout at a provider."""

    payout_id: str
    reference: str
    status: PayoutStatus
    provider_status: str
    message: str = ""


class PayoutProvider(Protocol):
    """Sends a batch of payouts; a retry with the same batch and payout ids never pays twice."""

    name: str

    def send(
        self, batch_id: str, instructions: Sequence[PayoutInstruction]
    ) -> list[ProviderResult]: ...


class ProviderError(AccordError):
    """The provider refused a request or could not be reached; the message says why.

    `results` holds the payouts already done in the same batch before the failure, so the
    caller can record them instead of losing track of money that moved.
    """

    code = "provider_error"
    status = 502

    def __init__(
        self,
        provider: str,
        message: str,
        *,
        http_status: int | None = None,
        error_code: str | None = None,
        error_type: str | None = None,
        field: str | None = None,
        results: Sequence[ProviderResult] = (),
    ) -> None:
        super().__init__(message, field=field)
        self.provider = provider
        self.http_status = http_status
        self.error_code = error_code
        self.error_type = error_type
        self.results: list[ProviderResult] = list(results)


def new_client(timeout: float = 30.0) -> httpx.Client:
    """A client that ignores proxy variables and never follows redirects with credentials."""
    return httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)


def json_object(response: httpx.Response) -> dict:
    """The response body as a JSON object, or {} when it is not one (an HTML error page)."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def require_instructions(instructions: Sequence[PayoutInstruction]) -> None:
    """Refuse an empty batch before any request is made."""
    if not instructions:
        raise InvalidInput("instructions", "a payout batch needs at least one payout")


def refuse_duplicates(instructions: Sequence[PayoutInstruction]) -> None:
    """Refuse a batch naming one payout twice: providers key idempotency on the payout id."""
    seen: set[str] = set()
    for index, ins in enumerate(instructions):
        if ins.payout_id in seen:
            raise InvalidInput(
                f"instructions[{index}].payout_id",
                f"payout {ins.payout_id!r} appears twice in the batch",
            )
        seen.add(ins.payout_id)
