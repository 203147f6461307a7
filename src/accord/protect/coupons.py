"""Coupon and deal sites, for the coupon_site rule: a list shipped with Accord
(`coupon_sites.txt`, dated) and the operator's own (ACCORD_FRAUD_COUPON_SITES, same
format). A host matches a listed host when it is that host or one of its subdomains."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

SHIPPED = Path(__file__).with_name("coupon_sites.txt")


def read_hosts(lines: Iterable[str]) -> frozenset[str]:
    """The hosts of a list: one per line, `#` starts a comment, case and a leading
    `www.` ignored."""
    out = set()
    for line_number, raw in enumerate(lines, 1):
        text = raw.split("#", 1)[0].strip().lower().removeprefix("www.")
        if not text:
            continue
        if "/" in text or " " in text or "." not in text:
            raise ValueError(f"line {line_number}: {text!r} is not a host name")
        out.add(text)
    return frozenset(out)


def listed(host: str | None, hosts: frozenset[str]) -> str | None:
    """The listed host `host` falls under (itself or a parent domain), or None."""
    if not host:
        return None
    parts = host.split(".")
    for start in range(len(parts) - 1):
        candidate = ".".join(parts[start:])
        if candidate in hosts:
            return candidate
    return None


_loaded: tuple[Path | None, frozenset[str]] | None = None
_lock = threading.Lock()


def coupon_sites() -> frozenset[str]:
    """The shipped list and the operator's, read once per process (again when the
    operator's file setting changes)."""
    global _loaded
    from accord.settings import get_settings

    extra = get_settings().fraud_coupon_sites
    with _lock:
        if _loaded is None or _loaded[0] != extra:
            hosts = read_hosts(SHIPPED.read_text(encoding="utf-8").splitlines())
            if extra is not None:
                try:
                    text = extra.read_text(encoding="utf-8")
                except OSError as error:
                    raise ValueError(f"ACCORD_FRAUD_COUPON_SITES: {error}") from None
                try:
                    hosts |= read_hosts(text.splitlines())
                except ValueError as error:
                    raise ValueError(f"ACCORD_FRAUD_COUPON_SITES {extra}: {error}") from None
            _loaded = (extra, hosts)
        return _loaded[1]


def coupon_site(referrer_host: str | None) -> str | None:
    """The coupon or deal site the shopper came from, or None."""
    return listed(referrer_host, coupon_sites())
