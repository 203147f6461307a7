"""Promo-code pools: a brand loads codes (one per line, or a CSV's first column) and each
approved partner (of the pool's group, if it has one) takes one. The code taken becomes the
partner's promo code in the program, so orders using it credit the partner as any of its
codes does. A partner takes at most one code of a pool; asking again gives the same code."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accord.engage.tables import CodePool, PoolCode
from accord.errors import Conflict, InvalidInput, NotFound, Text
from accord.ids import new_id
from accord.partners.enrollments import load_enrollment
from accord.partners.groups import group_in_program, require_approved
from accord.programs.promotions import check_promotion_key
from accord.programs.service import load_program, program_by_id
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand, require_partner
from accord.tracking.model import normalize_promo_code
from accord.tracking.service import give_promo_code, promo_codes_taken

MAX_CODES = 50_000
MAX_NAME = 120


@dataclass(frozen=True)
class Pool:
    id: str
    program_id: str
    name: str
    description: str
    group_id: str | None
    promotion: str | None
    active: bool
    total: int
    taken: int
    #: For a partner: the code it took (None: none yet).
    mine: str | None = None

    @property
    def left(self) -> int:
        return self.total - self.taken


@dataclass
class Loaded:
    """What loading codes did: how many were added, and each line left out with why."""

    added: int = 0
    left_out: list[dict] = field(default_factory=list)


def _codes_in(text: str) -> list[tuple[int, str]]:
    """(line, code) for each non-empty line (a CSV's first column; a header line `code` is
    skipped)."""
    out = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        value = re.split(r"[,;\t]", line, maxsplit=1)[0].strip().strip('"').strip()
        if not value or (number == 1 and value.casefold() in {"code", "codes", "promo_code"}):
            continue
        out.append((number, value))
    return out


def _view(session: Session, pool: CodePool, mine: str | None = None) -> Pool:
    total, taken = session.execute(
        select(func.count(), func.count(PoolCode.taken_at)).where(PoolCode.pool_id == pool.id)
    ).one()
    return Pool(pool.id, pool.program_id, pool.name, pool.description, pool.group_id,
                pool.promotion, pool.active, total, taken, mine)  # fmt: skip


def _load(session: Session, pool: CodePool, text: str) -> Loaded:
    result = Loaded()
    lines = _codes_in(text)
    if len(lines) > MAX_CODES:
        raise InvalidInput("codes", Text("at most %(most)s codes at a time", most=f"{MAX_CODES:,}"))
    wanted: dict[str, int] = {}
    for number, raw in lines:
        try:
            code = normalize_promo_code(raw, "codes")
        except InvalidInput as error:
            reason = error.message.removeprefix("codes: ")
            result.left_out.append({"line": number, "code": raw[:64], "reason": reason})
            continue
        if code in wanted:
            result.left_out.append({"line": number, "code": code,
                                    "reason": f"repeats line {wanted[code]}"})  # fmt: skip
            continue
        wanted[code] = number
    codes = list(wanted)
    used = promo_codes_taken(session, pool.program_id, codes)
    pooled: set[str] = set()
    for at in range(0, len(codes), 500):
        pooled.update(
            session.scalars(
                select(PoolCode.code)
                .join(CodePool, CodePool.id == PoolCode.pool_id)
                .where(
                    CodePool.program_id == pool.program_id, PoolCode.code.in_(codes[at : at + 500])
                )
            )
        )
    for code, number in wanted.items():
        if code in used:
            result.left_out.append({"line": number, "code": code,
                                    "reason": "already a promo code of the program"})  # fmt: skip
        elif code in pooled:
            result.left_out.append({"line": number, "code": code,
                                    "reason": "already in a pool of the program"})  # fmt: skip
        else:
            session.add(PoolCode(id=new_id("pcd"), pool_id=pool.id, code=code))
            result.added += 1
    result.left_out.sort(key=lambda r: r["line"])
    return result


def create_pool(store: Store, caller: Caller, program_id: str, *, name: str, codes: str = "",
                description: str = "", group_id: str | None = None,
                promotion: str | None = None) -> tuple[Pool, Loaded]:  # fmt: skip
    """A new pool of the program, with its first codes."""
    require_brand(caller)
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidInput("name", Text("give the pool a name of 1 to %(most)s characters",
                                        most=MAX_NAME))  # fmt: skip
    promotion = check_promotion_key(store, caller, program_id, promotion)
    with store.unit() as session:
        program = load_program(session, caller, program_id)
        pool = CodePool(id=new_id("pool"), organization_id=program.organization_id,
                        program_id=program.id, name=name, description=(description or "").strip(),
                        group_id=group_in_program(session, program.id, group_id),
                        promotion=promotion, active=True,
                        created_at=store.clock.now())  # fmt: skip
        session.add(pool)
        session.flush()
        loaded = _load(session, pool, codes)
        session.flush()
        return _view(session, pool), loaded


def _own_pool(session: Session, caller: Caller, pool_id: str) -> CodePool:
    pool = session.get(CodePool, pool_id)
    if pool is None or pool.organization_id != caller.organization_id:
        raise NotFound("pool", pool_id, field="pool_id")
    return pool


def add_codes(store: Store, caller: Caller, pool_id: str, codes: str) -> tuple[Pool, Loaded]:
    """More codes for a pool; the ones it or another pool holds, or the program's promo codes
    use, are left out with the reason."""
    require_brand(caller)
    with store.unit() as session:
        pool = _own_pool(session, caller, pool_id)
        loaded = _load(session, pool, codes)
        session.flush()
        return _view(session, pool), loaded


def set_active(store: Store, caller: Caller, pool_id: str, active: bool) -> Pool:
    """Open a pool to partners again, or close it (codes taken stay the partners')."""
    require_brand(caller)
    with store.unit() as session:
        pool = _own_pool(session, caller, pool_id)
        pool.active = active
        return _view(session, pool)


def pools(store: Store, caller: Caller, program_id: str) -> list[Pool]:
    """A program's pools with how many codes each holds and how many were taken."""
    require_brand(caller)
    with store.read() as session:
        program = load_program(session, caller, program_id)
        rows = session.scalars(
            select(CodePool).where(CodePool.program_id == program.id).order_by(CodePool.created_at)
        )
        return [_view(session, p) for p in rows]


def taken_codes(store: Store, caller: Caller, pool_id: str) -> list[tuple[str, str, object]]:
    """(code, partner id, taken at) of a pool's codes that partners took."""
    require_brand(caller)
    with store.read() as session:
        pool = _own_pool(session, caller, pool_id)
        return [
            tuple(row)
            for row in session.execute(
                select(PoolCode.code, PoolCode.partner_id, PoolCode.taken_at)
                .where(PoolCode.pool_id == pool.id, PoolCode.partner_id.is_not(None))
                .order_by(PoolCode.taken_at, PoolCode.code)
            )
        ]


def partner_pools(store: Store, caller: Caller, program_id: str) -> list[Pool]:
    """The pools of a program the calling partner may take a code from, with its code."""
    if caller.partner_id is None:
        raise NotFound("program", program_id, field="program_id")
    with store.read() as session:
        standing = require_approved(session, caller, program_id, "codes")
        mine = dict(
            session.execute(
                select(PoolCode.pool_id, PoolCode.code)
                .join(CodePool, CodePool.id == PoolCode.pool_id)
                .where(CodePool.program_id == program_id, PoolCode.partner_id == caller.partner_id)
            ).all()
        )
        rows = session.scalars(
            select(CodePool).where(CodePool.program_id == program_id).order_by(CodePool.created_at)
        )
        return [
            _view(session, p, mine.get(p.id))
            for p in rows
            if (p.active and standing.opens(p.group_id)) or p.id in mine
        ]


def take_code(store: Store, caller: Caller, pool_id: str) -> str:
    """The calling partner's code from a pool: the one it took before, else a free one, which
    becomes its promo code in the program. Conflict when the pool has none left."""
    require_partner(caller)
    for _ in range(20):  # another partner may take the free code first: take the next
        try:
            with store.unit() as session:
                pool = session.get(CodePool, pool_id)
                program = program_by_id(session, pool.program_id) if pool else None
                if pool is None or program is None:
                    raise NotFound("pool", pool_id, field="pool_id")
                enrollment = load_enrollment(session, pool.program_id, caller.partner_id)
                if enrollment is None:
                    raise NotFound("pool", pool_id, field="pool_id")
                had = session.scalar(
                    select(PoolCode.code).where(
                        PoolCode.pool_id == pool.id, PoolCode.partner_id == caller.partner_id
                    )
                )
                if had is not None:
                    return had
                standing = require_approved(session, caller, pool.program_id, "codes")
                if not (pool.active and standing.opens(pool.group_id)):
                    raise NotFound("pool", pool_id, field="pool_id")
                free = session.execute(
                    select(PoolCode.id, PoolCode.code)
                    .where(PoolCode.pool_id == pool.id, PoolCode.taken_at.is_(None))
                    .order_by(PoolCode.id)
                    .limit(1)
                ).first()
                if free is None:
                    raise Conflict("every code of this pool was taken; ask the brand for more")
                now = store.clock.now()
                claimed = session.execute(
                    update(PoolCode)
                    .where(PoolCode.id == free.id, PoolCode.taken_at.is_(None))
                    .values(partner_id=caller.partner_id, taken_at=now)
                    .execution_options(synchronize_session=False)
                ).rowcount
                if not claimed:
                    continue
                try:
                    give_promo_code(session, pool.program_id, caller.partner_id, free.code, now)
                except Conflict:  # made a promo code since it was loaded: set it aside
                    session.execute(
                        update(PoolCode).where(PoolCode.id == free.id).values(partner_id=None)
                    )
                    continue
                return free.code
        except IntegrityError:
            continue  # a request of the same partner took one at the same moment: read it
    raise Conflict("the pool is busy; try again")


def require_own_pool(store: Store, caller: Caller, pool_id: str) -> None:
    """The pool is the calling brand's, or NotFound."""
    require_brand(caller)
    with store.read() as session:
        _own_pool(session, caller, pool_id)
