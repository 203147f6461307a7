"""PayPal Payouts: one batch payout per Accord batch, paid to partners' PayPal emails.

PayPal refuses a second batch with a `sender_batch_id` used in the last 30 days, so sending
the same Accord batch again (after a timeout, say) never pays twice. The create call only
accepts the batch; `batch_results` reads each item's final state later.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from accord.errors import InvalidInput
from accord.money import Money
from accord.payouts.files import PayoutInstruction, amount_text
from accord.payouts.providers.base import (
    PayoutStatus,
    ProviderError,
    ProviderResult,
    json_object,
    new_client,
    refuse_duplicates,
    require_instructions,
)

SANDBOX_URL = "https://api-m.sandbox.paypal.com"
LIVE_URL = "https://api-m.paypal.com"

#: PayPal's limit of items in one batch payout.
MAX_ITEMS = 15_000
#: PayPal's limit on sender_item_id, which carries our payout id.
MAX_ITEM_ID = 63
#: PayPal takes these in whole units only, although ISO 4217 gives HUF and TWD two decimals.
ZERO_DECIMAL = frozenset({"HUF", "JPY", "TWD"})
#: Renew the access token this many seconds before PayPal says it expires.
TOKEN_MARGIN = 60.0

#: PayPal's item transaction_status mapped to ours. Unclaimed money waits up to 30 days for
#: the partner to open an account, so it is still on its way (sent), not failed.
ITEM_STATUSES: dict[str, PayoutStatus] = {
    "SUCCESS": PayoutStatus.PAID,
    "PENDING": PayoutStatus.SENT,
    "UNCLAIMED": PayoutStatus.SENT,
    "ONHOLD": PayoutStatus.SENT,
    "NEW": PayoutStatus.SENT,
    "FAILED": PayoutStatus.FAILED,
    "BLOCKED": PayoutStatus.FAILED,
    "DENIED": PayoutStatus.FAILED,
    "RETURNED": PayoutStatus.RETURNED,
    "REFUNDED": PayoutStatus.RETURNED,
    "REVERSED": PayoutStatus.RETURNED,
}


def paypal_value(money: Money, *, field: str = "amount") -> str:
    """The amount as PayPal's `value` string: "12.50" USD, "1500" JPY, "100" HUF."""
    if money.currency in ZERO_DECIMAL:
        if money.amount != money.amount.to_integral_value():
            raise InvalidInput(
                field, f"{money} cannot be paid through PayPal, which takes whole {money.currency}"
            )
        return str(int(money.amount))
    return amount_text(money)


def item_status(transaction_status: str) -> PayoutStatus:
    """Our status for PayPal's; an unknown one is treated as still under way."""
    return ITEM_STATUSES.get(transaction_status.upper(), PayoutStatus.SENT)


class PayPalPayouts:
    """Adapter for PayPal's Payouts API (v1), with client-credentials OAuth."""

    name = "paypal"

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        live: bool = False,
        client: httpx.Client | None = None,
        email_subject: str = "You have a payout",
        email_message: str = "You received a payout from our partner program.",
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = LIVE_URL if live else SANDBOX_URL
        self._credentials = (client_id, client_secret)
        self._client = client or new_client()
        self.email_subject = email_subject
        self.email_message = email_message
        self._monotonic = monotonic
        self._token: str | None = None
        self._token_until = 0.0

    # auth ----------------------------------------------------------------------------
    def access_token(self) -> str:
        """A bearer token, fetched once and reused until shortly before it expires."""
        if self._token and self._monotonic() < self._token_until:
            return self._token
        response = self._call(
            "POST",
            "/v1/oauth2/token",
            auth=self._credentials,
            data={"grant_type": "client_credentials"},
            headers={"Accept": "application/json"},
        )
        body = json_object(response)
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise ProviderError("paypal", "PayPal's token response had no access_token")
        lifetime = float(body.get("expires_in") or 0)
        self._token = token
        self._token_until = self._monotonic() + max(lifetime - TOKEN_MARGIN, 0.0)
        return token

    # payouts -------------------------------------------------------------------------
    def payout_body(self, batch_id: str, instructions: Sequence[PayoutInstruction]) -> dict:
        """The create-batch request body; refuses payouts PayPal could not deliver."""
        require_instructions(instructions)
        refuse_duplicates(instructions)
        if len(instructions) > MAX_ITEMS:
            raise InvalidInput("instructions", f"PayPal takes at most {MAX_ITEMS} per batch")
        items = []
        for index, ins in enumerate(instructions):
            at = f"instructions[{index}]"
            if not ins.payee.paypal_email:
                raise InvalidInput(
                    f"{at}.payee.paypal_email",
                    f"payout {ins.payout_id!r} (partner {ins.partner_id!r}) has no PayPal email",
                )
            if len(ins.payout_id) > MAX_ITEM_ID:
                raise InvalidInput(
                    f"{at}.payout_id", f"PayPal takes item ids of at most {MAX_ITEM_ID} characters"
                )
            items.append(
                {
                    "recipient_type": "EMAIL",
                    "amount": {
                        "value": paypal_value(ins.amount, field=f"{at}.amount"),
                        "currency": ins.amount.currency,
                    },
                    "receiver": ins.payee.paypal_email,
                    "note": ins.reference or f"Payout {ins.payout_id}",
                    "sender_item_id": ins.payout_id,
                }
            )
        return {
            "sender_batch_header": {
                "sender_batch_id": batch_id,
                "email_subject": self.email_subject,
                "email_message": self.email_message,
            },
            "items": items,
        }

    def send(
        self, batch_id: str, instructions: Sequence[PayoutInstruction]
    ) -> list[ProviderResult]:
        """Create the batch payout; every payout is `sent` with PayPal's batch id as reference.

        A denied batch makes every payout `failed`. PayPal-Request-Id carries the batch id
        too, so a retried request is answered from PayPal's record of the first.
        """
        body = self.payout_body(batch_id, instructions)
        response = self._authorized(
            "POST",
            "/v1/payments/payouts",
            json=body,
            headers={"PayPal-Request-Id": batch_id},
        )
        header = json_object(response).get("batch_header") or {}
        reference = str(header.get("payout_batch_id") or "")
        batch_status = str(header.get("batch_status") or "PENDING")
        if not reference:
            raise ProviderError("paypal", "PayPal accepted the batch but sent no payout_batch_id")
        status = PayoutStatus.FAILED if batch_status == "DENIED" else PayoutStatus.SENT
        return [
            ProviderResult(ins.payout_id, reference, status, batch_status) for ins in instructions
        ]

    def batch_results(self, payout_batch_id: str, *, page_size: int = 1000) -> list[ProviderResult]:
        """Each item's state, keyed by our payout id (PayPal's `sender_item_id`).

        The reference is PayPal's payout_item_id; reads every page of a large batch.
        """
        results: list[ProviderResult] = []
        page = 1
        while True:
            response = self._authorized(
                "GET",
                f"/v1/payments/payouts/{payout_batch_id}",
                params={"page": page, "page_size": page_size, "total_required": "true"},
            )
            body = json_object(response)
            results.extend(self._item_result(item) for item in body.get("items") or [])
            total_pages = int(body.get("total_pages") or 1)
            if page >= total_pages:
                return results
            page += 1

    @staticmethod
    def _item_result(item: dict[str, Any]) -> ProviderResult:
        raw = str(item.get("transaction_status") or "PENDING")
        errors = item.get("errors") or {}
        message = ""
        if isinstance(errors, dict) and errors:
            message = f"{errors.get('name', '')}: {errors.get('message', '')}".strip(": ")
        return ProviderResult(
            payout_id=str((item.get("payout_item") or {}).get("sender_item_id") or ""),
            reference=str(item.get("payout_item_id") or ""),
            status=item_status(raw),
            provider_status=raw,
            message=message,
        )

    # http ----------------------------------------------------------------------------
    def _authorized(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Call with the bearer token; a rejected token is renewed once and the call repeated.

        Repeating is safe: PayPal ran nothing for a 401, and batches are idempotent anyway.
        """
        headers = dict(kwargs.pop("headers", {}))
        headers["Authorization"] = f"Bearer {self.access_token()}"
        try:
            return self._call(method, path, headers=headers, **kwargs)
        except ProviderError as exc:
            if exc.http_status != 401:
                raise
        self._token = None
        headers["Authorization"] = f"Bearer {self.access_token()}"
        return self._call(method, path, headers=headers, **kwargs)

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._client.request(method, self.base_url + path, **kwargs)
        except httpx.TransportError as exc:
            raise ProviderError(
                "paypal",
                f"PayPal could not be reached ({exc.__class__.__name__}); sending the same "
                "batch id again is safe",
            ) from exc
        if response.status_code >= 400:
            raise paypal_error(response)
        return response


def paypal_error(response: httpx.Response) -> ProviderError:
    """PayPal's error body as one readable message: name, message, each detail's issue."""
    body = json_object(response)
    if isinstance(body.get("error"), str):  # the OAuth endpoint's shape
        name = body["error"]
        message = body.get("error_description") or name
    else:
        name = body.get("name") or f"HTTP_{response.status_code}"
        message = body.get("message") or response.reason_phrase
    text = f"PayPal refused the request ({response.status_code} {name}): {message}"
    details = [d for d in body.get("details") or [] if isinstance(d, dict)]
    for detail in details:
        issue = f"{detail.get('field') or 'request'}: {detail.get('issue') or 'invalid'}"
        if detail.get("description"):
            issue += f" ({detail['description']})"
        text += f"; {issue}"
    if body.get("debug_id"):
        text += f" [debug_id {body['debug_id']}]"
    return ProviderError(
        "paypal",
        text,
        http_status=response.status_code,
        error_code=name,
        field=details[0].get("field") if details else None,
    )
