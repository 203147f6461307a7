"""Tracking rules: link codes, click ids and the redirect target. Pure, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from accord.errors import InvalidInput
from accord.ids import ulid

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$")
PROMO_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,63}$")


@dataclass(frozen=True, slots=True)
class LinkTarget:
    """What the click edge needs to answer a click, cached in memory."""

    link_id: str
    program_id: str
    partner_id: str
    destination_url: str
    click_id_param: str


def check_link_code(code: str) -> str:
    if not CODE_PATTERN.fullmatch(code):
        raise InvalidInput(
            "code", "use 3-64 letters, digits, '-' or '_', starting with a letter or digit"
        )
    return code


def normalize_promo_code(code: str, field: str = "promo_code") -> str:
    """Promo codes compare case-insensitively; they are stored upper case."""
    code = code.strip()
    if not PROMO_PATTERN.fullmatch(code):
        raise InvalidInput(field, "use 2-64 letters, digits, '-' or '_'")
    return code.upper()


def new_click_id() -> str:
    """A time-ordered click id, minted at the edge without the database."""
    return f"clk_{ulid()}"


def redirect_url(destination: str, param: str, click_id: str) -> str:
    """The destination with the click id appended as a query parameter."""
    parts = urlsplit(destination)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != param]
    query.append((param, click_id))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))
