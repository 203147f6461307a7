"""The promotions calendar: the program's promotion periods (the shopping festivals every
program shares, 618, 双十一, Black Friday, Cyber Monday, and the program's own, such as its
brand days or a Prime Day) from a month ago to a year ahead, each with the creatives, code
pools, briefs and bounties made for it. A partner sees the ones open to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from accord.engage import bounties as bt
from accord.engage import briefs as br
from accord.engage import creatives as cr
from accord.engage import pools as pl
from accord.programs.promotions import Promotion, program_promotions
from accord.store.engine import Store
from accord.tenancy.model import Caller

BEHIND = timedelta(days=31)
AHEAD = timedelta(days=366)


@dataclass
class Entry:
    promotion: Promotion
    creatives: list = field(default_factory=list)
    pools: list = field(default_factory=list)
    briefs: list = field(default_factory=list)
    bounties: list = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.creatives or self.pools or self.briefs or self.bounties)


def calendar(store: Store, caller: Caller, program_id: str) -> list[Entry]:
    """The promotions from a month ago to a year ahead, soonest first, with what each carries
    (for a partner: the active ones open to it)."""
    now = store.clock.now()
    entries = {
        p.key: Entry(p)
        for p in sorted(program_promotions(store, caller, program_id), key=lambda p: p.starts_at)
        if p.ends_at > now - BEHIND and p.starts_at < now + AHEAD
    }
    if caller.is_brand:
        creatives = [c for c in cr.creatives(store, caller, program_id) if c.active]
        pools = [p for p in pl.pools(store, caller, program_id) if p.active]
        briefs = [v.brief for v in br.briefs(store, caller, program_id) if v.brief.active]
        bounties = [b for b, _ in bt.bounties(store, caller, program_id) if b.active]
    else:
        creatives = cr.partner_creatives(store, caller, program_id)
        pools = pl.partner_pools(store, caller, program_id)
        briefs = [b for b, _ in br.partner_briefs(store, caller, program_id)]
        bounties = [p.bounty for p in bt.partner_bounties(store, caller, program_id)]
    found = (("creatives", creatives), ("pools", pools), ("briefs", briefs),
             ("bounties", bounties))  # fmt: skip
    for kind, rows in found:
        for row in rows:
            entry = entries.get(row.promotion or "")
            if entry is not None:
                getattr(entry, kind).append(row)
    return list(entries.values())
