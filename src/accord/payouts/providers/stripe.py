"""Stripe Connect transfers: one transfer per payout, into the partner's connected account.

Each transfer carries our payout id as its Idempotency-Key, so a retried request (after a
timeout, or a rerun of the whole batch) returns the first transfer instead of paying again.
Stripe keeps keys for at least 24 hours, and keeps refusals too: a transfer refused for a
low balance is refused again under the same key until the key expires.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from accord.errors import InvalidInput
from accord.money import Money
from accord.payouts.files import PayoutInstruction
from accord.payouts.providers.base import (
    PayoutStatus,
    ProviderError,
    ProviderResult,
    json_object,
    new_client,
    refuse_duplicates,
    require_instructions,
)

API_URL = "https://api.stripe.com"

#: Stripe's zero-decimal currencies. Stripe's exponent differs from ISO 4217 for some
#: (MGA has two ISO decimals; ISK has none in ISO but two in Stripe's API).
ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA"}
    | {"PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)
#: Three-decimal currencies, whose amounts Stripe requires to end in 0.
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})

#: HTTP statuses that concern one transfer (bad destination, insufficient balance); others
#: (bad key, rate limit, outage) and a key reused with other parameters stop the whole batch.
_PER_TRANSFER = frozenset({400, 402, 404})


def stripe_amount(money: Money, *, field: str = "amount") -> int:
    """The amount in Stripe's minor units: 12.50 EUR is 1250, 1500 JPY is 1500, 5 ISK is 500.

    Refuses amounts Stripe cannot carry instead of rounding them.
    """
    code = money.currency
    digits = 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2
    scaled = money.amount.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise InvalidInput(
            field,
            f"{money} cannot be sent through Stripe, which takes {digits} decimals for {code}",
        )
    minor = int(scaled)
    if code in THREE_DECIMAL and minor % 10:
        raise InvalidInput(
            field, f"{money}: Stripe needs {code} amounts in steps of 0.010 (last digit 0)"
        )
    return minor


class StripeTransfers:
    """Adapter for Stripe's Transfers API (Connect), form-encoded with a secret key."""

    name = "stripe"

    def __init__(
        self,
        secret_key: str,
        *,
        client: httpx.Client | None = None,
        api_version: str | None = None,
        base_url: str = API_URL,
    ) -> None:
        self._secret_key = secret_key
        self._client = client or new_client()
        self.api_version = api_version
        self.base_url = base_url

    def transfer_form(self, batch_id: str, ins: PayoutInstruction, *, at: str = "") -> dict:
        """The create-transfer form; refuses a payee without a connected account."""
        prefix = f"{at}." if at else ""
        account = ins.payee.stripe_account_id or ""
        if not account.startswith("acct_"):
            raise InvalidInput(
                f"{prefix}payee.stripe_account_id",
                f"payout {ins.payout_id!r} (partner {ins.partner_id!r}) needs a Stripe "
                f"connected account id (acct_...), not {account!r}",
            )
        return {
            "amount": str(stripe_amount(ins.amount, field=f"{prefix}amount")),
            "currency": ins.amount.currency.lower(),
            "destination": account,
            "transfer_group": batch_id,
            "description": ins.reference or f"Payout {ins.payout_id}",
            "metadata[payout_id]": ins.payout_id,
            "metadata[partner_id]": ins.partner_id,
        }

    def transfer(self, batch_id: str, ins: PayoutInstruction) -> ProviderResult:
        """Create one transfer; raises ProviderError with Stripe's reason if refused."""
        form = self.transfer_form(batch_id, ins)
        headers = {
            "Authorization": f"Bearer {self._secret_key}",
            "Idempotency-Key": ins.payout_id,
        }
        if self.api_version:
            headers["Stripe-Version"] = self.api_version
        try:
            response = self._client.post(
                f"{self.base_url}/v1/transfers", data=form, headers=headers
            )
        except httpx.TransportError as exc:
            raise ProviderError(
                "stripe",
                f"Stripe could not be reached for payout {ins.payout_id!r} "
                f"({exc.__class__.__name__}); sending it again is safe",
            ) from exc
        if response.status_code >= 400:
            raise stripe_error(response, ins.payout_id)
        body = json_object(response)
        if (
            str(body.get("amount")) != form["amount"]
            or body.get("destination") != form["destination"]
        ):
            raise ProviderError(
                "stripe",
                f"Stripe answered payout {ins.payout_id!r} with a transfer of "
                f"{body.get('amount')} to {body.get('destination')!r}, not what was sent",
            )
        reversed_ = bool(body.get("reversed"))
        replayed = response.headers.get("Idempotent-Replayed") == "true"
        return ProviderResult(
            payout_id=ins.payout_id,
            reference=str(body.get("id") or ""),
            status=PayoutStatus.RETURNED if reversed_ else PayoutStatus.PAID,
            provider_status="reversed" if reversed_ else "created",
            message="replayed: this transfer was made by an earlier request" if replayed else "",
        )

    def send(
        self, batch_id: str, instructions: Sequence[PayoutInstruction]
    ) -> list[ProviderResult]:
        """Transfer every payout; one refused transfer is `failed` and the rest go on.

        Everything is checked before the first request, so a bad payout never leaves a batch
        half paid. An error that is not about one transfer (a wrong key, an outage) raises,
        carrying the results so far.
        """
        require_instructions(instructions)
        refuse_duplicates(instructions)
        for index, ins in enumerate(instructions):
            self.transfer_form(batch_id, ins, at=f"instructions[{index}]")
        results: list[ProviderResult] = []
        for ins in instructions:
            try:
                results.append(self.transfer(batch_id, ins))
            except ProviderError as exc:
                if exc.http_status not in _PER_TRANSFER or exc.error_type == "idempotency_error":
                    exc.results = list(results)
                    raise
                results.append(
                    ProviderResult(
                        ins.payout_id, "", PayoutStatus.FAILED, exc.error_code or "", exc.message
                    )
                )
        return results


def stripe_error(response: httpx.Response, payout_id: str) -> ProviderError:
    """Stripe's `error` object as one readable message naming the payout, code and param."""
    error: dict[str, Any] = json_object(response).get("error") or {}
    kind = error.get("type") or f"http_{response.status_code}"
    code = error.get("code")
    message = error.get("message") or response.reason_phrase
    text = f"Stripe refused payout {payout_id!r} ({response.status_code} {kind}"
    text += f"/{code}): {message}" if code else f"): {message}"
    if error.get("param"):
        text += f" [param {error['param']}]"
    return ProviderError(
        "stripe",
        text,
        http_status=response.status_code,
        error_code=code or kind,
        error_type=kind,
        field=error.get("param"),
    )
