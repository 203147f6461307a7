"""Program settings and their validation."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from accord.errors import InvalidInput
from accord.money import Money


@dataclass(frozen=True, slots=True)
class ProgramTerms:
    name: str
    currency: str
    default_landing_url: str
    attribution_window_days: int = 30
    locking_days: int = 30
    payout_threshold: Money | None = None
    click_id_param: str = "accord_click"

    def validate(self) -> None:
        if not self.name.strip():
            raise InvalidInput("name", "must not be empty")
        check_url(self.default_landing_url, "default_landing_url")
        if not 1 <= self.attribution_window_days <= 365:
            raise InvalidInput("attribution_window_days", "must be between 1 and 365")
        if not 0 <= self.locking_days <= 365:
            raise InvalidInput("locking_days", "must be between 0 and 365")
        if not self.click_id_param.replace("_", "").isalnum():
            raise InvalidInput("click_id_param", "use letters, digits and underscores only")


def check_url(url: str, field: str) -> str:
    """An absolute http(s) URL, or an error naming the field."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(field, f"{url!r} is not an absolute http(s) URL")
    return url
