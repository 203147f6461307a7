"""Payment providers that pay partners: PayPal Payouts and Stripe Connect transfers."""

from accord.payouts.providers.base import (
    PayoutProvider,
    PayoutStatus,
    ProviderError,
    ProviderResult,
)
from accord.payouts.providers.paypal import PayPalPayouts
from accord.payouts.providers.stripe import StripeTransfers

__all__ = [
    "PayPalPayouts",
    "PayoutProvider",
    "PayoutStatus",
    "ProviderError",
    "ProviderResult",
    "StripeTransfers",
]
