"""Scoring clicks where they are stored: the tracking stage hands each batch to
`score_clicks` inside the unit of work that inserts it, so the edge that answers the
shopper (Python or native) does nothing more per request.

Each click is checked for a bot's User-Agent (crawlerdetect), a missing User-Agent, an
address from a data centre or anonymising network (the operator's range file, or a MaxMind
anonymous-IP / IPinfo privacy database), and counted in two sliding windows: clicks from its
IP on the program in the last 10 minutes, clicks on its link and sub-id in the last minute.
The windows live in the storing process (one per server: the edge's recorder stores every
click of that server), so after a restart they start empty.

The score and the rules that fired go on the click's row; in active mode a click whose score
reaches the program's hold threshold is invalid: it does not count as unique and cannot win
attribution. Each rule's daily hits are counted in `fraud_click_days` for the fraud page.
"""

from __future__ import annotations

import bisect
import ipaddress
import re
import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from crawlerdetect import CrawlerDetect
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.protect.model import (
    IP_WINDOW_SECONDS,
    SUB_ID_WINDOW_SECONDS,
    ClickFacts,
    Mode,
    Tuning,
    score_click,
)
from accord.protect.tables import FraudClickDay, FraudSettings, tuning_of

#: Sec-Fetch-Dest values of a link loaded without being visited (cookie-stuffing tags).
NOT_VISITS = frozenset(
    {"image", "iframe", "frame", "embed", "object", "script", "style", "font", "audio",
     "video", "track", "worker", "sharedworker", "serviceworker", "manifest", "xslt"}
)  # fmt: skip
#: A program's settings are read again after this many seconds.
SETTINGS_TTL = 10.0
#: Windows with no click for this long are dropped (memory stays bounded by live keys).
PURGE_EVERY = 5000

_detector = CrawlerDetect()
_detector_lock = threading.Lock()


@lru_cache(maxsize=65536)
def bot_of(user_agent: str) -> str | None:
    """The bot pattern a User-Agent matches (crawlerdetect), or None for a browser."""
    with _detector_lock:  # the detector keeps its last matches on itself
        if _detector.isCrawler(user_agent):
            return str(_detector.getMatches() or "bot")[:40]
    return None


_CHROMIUM = re.compile(r"\bChrome/(\d+)\.")
_FIREFOX = re.compile(r"\bFirefox/(\d+)\.")


def claims_fetch_metadata(user_agent: str | None) -> bool:
    """Whether the User-Agent names a browser that sends Sec-Fetch-Dest on every
    navigation (Chromium 80 and later, Edge, Opera, Samsung Internet and WeChat's Android
    browser among them; Firefox 90 and later). A click that claims one and lacks the
    header came from something else wearing its name."""
    if not user_agent:
        return False
    found = _CHROMIUM.search(user_agent)
    if found is not None and int(found.group(1)) >= 80:
        return True
    found = _FIREFOX.search(user_agent)
    return found is not None and int(found.group(1)) >= 90


class IpRanges:
    """Address ranges of data centres and anonymising networks, from a text file of CIDR
    blocks (one per line; `#` starts a comment) and/or a MaxMind anonymous-IP or IPinfo
    privacy database (.mmdb)."""

    def __init__(self, blocks: Iterable[str] = (), database: Path | None = None) -> None:
        spans: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
        for line_number, raw in enumerate(blocks, 1):
            text = raw.split("#", 1)[0].strip()
            if not text:
                continue
            try:
                network = ipaddress.ip_network(text, strict=False)
            except ValueError:
                raise ValueError(f"line {line_number}: {text!r} is not a CIDR block") from None
            spans[network.version].append(
                (int(network.network_address), int(network.broadcast_address))
            )
        self._starts: dict[int, list[int]] = {}
        self._ends: dict[int, list[int]] = {}
        for version, found in spans.items():
            merged: list[tuple[int, int]] = []
            for start, end in sorted(found):
                if merged and start <= merged[-1][1] + 1:
                    merged[-1] = (merged[-1][0], max(merged[-1][1], end))
                else:
                    merged.append((start, end))
            self._starts[version] = [s for s, _ in merged]
            self._ends[version] = [e for _, e in merged]
        self.blocks = sum(len(v) for v in self._starts.values())
        self._reader = None
        if database is not None:
            import maxminddb

            self._reader = maxminddb.open_database(str(database))

    @classmethod
    def from_file(cls, path: Path | None, database: Path | None = None) -> IpRanges:
        lines = path.read_text().splitlines() if path is not None else ()
        return cls(lines, database)

    def __contains__(self, address: str | None) -> bool:
        if not address:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        starts = self._starts.get(ip.version, [])
        value = int(ip)
        i = bisect.bisect_right(starts, value) - 1
        if i >= 0 and value <= self._ends[ip.version][i]:
            return True
        return self._reader is not None and _anonymous(self._reader.get(address))


#: Fields of MaxMind's anonymous-IP and IPinfo's privacy databases that mark a network.
_ANONYMOUS_FIELDS = (
    "is_hosting_provider", "is_anonymous", "is_anonymous_vpn", "is_public_proxy",
    "is_residential_proxy", "is_tor_exit_node", "hosting", "vpn", "proxy", "tor", "relay",
)  # fmt: skip


def _anonymous(record: Any) -> bool:
    if not isinstance(record, dict):
        return False
    return any(record.get(name) in (True, "true", 1) for name in _ANONYMOUS_FIELDS)


@dataclass
class _Window:
    """Times (seconds) of the clicks of one key within the last `seconds`."""

    seconds: float
    times: deque = field(default_factory=deque)

    def add(self, at: float) -> int:
        times = self.times
        times.append(at)
        while times and times[0] <= at - self.seconds:
            times.popleft()
        return len(times)


class ClickScorer:
    """Scores batches of clicks; one per process (see `scorer()`)."""

    def __init__(self, ranges: IpRanges | None = None) -> None:
        self.ranges = ranges or IpRanges()
        self._ip: dict[tuple[str, str], _Window] = {}
        self._sub: dict[tuple[str, str, str], _Window] = {}
        self._tunings: dict[str, tuple[float, Tuning]] = {}
        self._seen = 0
        self._lock = threading.Lock()

    def forget(self) -> None:
        """Drop the windows and cached settings (tests, or after settings change)."""
        with self._lock:
            self._ip.clear()
            self._sub.clear()
            self._tunings.clear()

    def settings_changed(self, program_id: str) -> None:
        """Read the program's settings again at the next click."""
        with self._lock:
            self._tunings.pop(program_id, None)

    def _tunings_for(self, session: Session, programs: set[str]) -> dict[str, Tuning]:
        now = time.monotonic()
        stale = {p for p in programs if now - self._tunings.get(p, (-1e9, None))[0] > SETTINGS_TTL}
        if stale:
            rows = {
                row.program_id: row
                for row in session.scalars(
                    select(FraudSettings).where(FraudSettings.program_id.in_(sorted(stale)))
                )
            }
            for program_id in stale:
                self._tunings[program_id] = (now, tuning_of(rows.get(program_id)))
        return {p: self._tunings[p][1] for p in programs}

    def score(self, session: Session, rows: Sequence[dict[str, Any]]) -> dict[tuple, list[int]]:
        """Set `risk`, `risk_reasons` and `invalid` (and `duplicate` when invalid) on each
        click row, in place; returns the hits to count: {(program, day, code): [fired,
        invalid]}."""
        tunings = self._tunings_for(session, {row["program_id"] for row in rows})
        hits: dict[tuple, list[int]] = {}
        with self._lock:
            for row in rows:
                tuning = tunings[row["program_id"]]
                if tuning.mode == Mode.OFF:
                    row["risk"], row["risk_reasons"], row["invalid"] = 0, None, False
                    continue
                at: datetime = row["at"]
                stamp = at.timestamp()
                agent = row.get("user_agent")
                program = row["program_id"]
                ip = row.get("ip") or ""
                ip_window = self._ip.get((program, ip))
                if ip_window is None:
                    ip_window = self._ip[(program, ip)] = _Window(IP_WINDOW_SECONDS)
                sub_clicks = 0
                sub = row.get("sub1")
                if sub:
                    key = (program, row["link_id"], sub)
                    window = self._sub.get(key)
                    if window is None:
                        window = self._sub[key] = _Window(SUB_ID_WINDOW_SECONDS)
                    sub_clicks = window.add(stamp)
                bot = bot_of(agent) if agent else None
                facts = ClickFacts(
                    bot=bot,
                    no_landing=(row.get("fetch_dest") or "").lower() in NOT_VISITS,
                    no_user_agent=not agent,
                    inconsistent=bot is None
                    and not row.get("fetch_dest")
                    and claims_fetch_metadata(agent),
                    data_center=ip in self.ranges,
                    ip_clicks=ip_window.add(stamp) if ip else 0,
                    sub_id_clicks=sub_clicks,
                )
                score, codes, invalid = score_click(facts, tuning)
                row["risk"] = score
                row["risk_reasons"] = ",".join(codes)[:100] or None
                row["invalid"] = invalid
                if invalid:
                    row["duplicate"] = True  # not unique
                day = at.astimezone(UTC).date()
                for code in codes:
                    counts = hits.setdefault((program, day, code), [0, 0])
                    counts[0] += 1
                    counts[1] += int(invalid)
            self._seen += len(rows)
            if self._seen >= PURGE_EVERY:
                self._seen = 0
                self._purge(max((row["at"].timestamp() for row in rows), default=0.0))
        return hits

    def _purge(self, now: float) -> None:
        for windows in (self._ip, self._sub):
            for key in [
                k for k, w in windows.items() if not w.times or w.times[-1] <= now - w.seconds
            ]:
                del windows[key]


_scorer: ClickScorer | None = None


def scorer() -> ClickScorer:
    """This process's scorer (with no ranges until `configure` loads some)."""
    global _scorer
    if _scorer is None:
        _scorer = ClickScorer()
    return _scorer


class Geo:
    """Countries of addresses, from a MaxMind GeoIP2/GeoLite2 Country or City database or
    an IPinfo country database (.mmdb)."""

    def __init__(self, database: Path) -> None:
        import maxminddb

        self._reader = maxminddb.open_database(str(database))

    def country_of(self, address: str | None) -> str | None:
        """The ISO 3166 code of the address's country, or None when unknown."""
        if not address:
            return None
        try:
            record = self._reader.get(address)
        except ValueError:  # not an address
            return None
        if not isinstance(record, dict):
            return None
        country = record.get("country") or record.get("registered_country")
        if isinstance(country, dict):
            country = country.get("iso_code")
        if country is None:
            country = record.get("country_code")
        if isinstance(country, str) and len(country) == 2 and country.isalpha():
            return country.upper()
        return None


_geo: tuple[Path | None, Geo | None] | None = None
_geo_lock = threading.Lock()


def geo() -> Geo | None:
    """This process's country database (ACCORD_FRAUD_GEO_DATABASE), opened on first use;
    None without one."""
    global _geo
    from accord.settings import get_settings

    wanted = get_settings().fraud_geo_database
    with _geo_lock:
        if _geo is None or _geo[0] != wanted:
            _geo = (wanted, Geo(wanted) if wanted is not None else None)
        return _geo[1]


def configure(ranges_file: Path | None, database: Path | None) -> IpRanges:
    """Load the operator's data-centre ranges (and database) into this process's scorer."""
    ranges = IpRanges.from_file(ranges_file, database)
    scorer().ranges = ranges
    return ranges


def count_hits(session: Session, hits: dict[tuple[str, date, str], list[int]]) -> None:
    """Add a batch's rule hits to `fraud_click_days` (one upsert per program, day, rule)."""
    if not hits:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    for (program_id, day, code), (fired, invalid) in sorted(hits.items()):
        statement = insert(FraudClickDay).values(
            program_id=program_id, day=day, code=code, fired=fired, invalid=invalid
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["program_id", "day", "code"],
                set_={
                    "fired": FraudClickDay.fired + statement.excluded.fired,
                    "invalid": FraudClickDay.invalid + statement.excluded.invalid,
                },
            )
        )


def score_clicks(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Score a batch of click rows about to be stored (in place) and count the hits."""
    if rows:
        count_hits(session, scorer().score(session, rows))
