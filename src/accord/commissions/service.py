"""Use cases for commissions: create on conversion, lock, approve, adjust, read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import case, distinct, func, select, update
from sqlalchemy.orm import Session

from accord.attribution.split import split_minor
from accord.commissions.changes import CHUNK, commission_change, commission_changes
from accord.commissions.model import (
    UNAPPROVED,
    CommissionStatus,
    check_transition,
    lock_due_at,
)
from accord.commissions.tables import Commission, CommissionAdjustment
from accord.contracts.engine import SCALE, Facts, Item, rescale, round_half_up, stored_lines
from accord.contracts.service import Terms, terms_at
from accord.conversions.tables import Attribution, Conversion, ConversionReversal
from accord.errors import InvalidInput, NotFound, Text, not_one_of
from accord.events.model import (
    CommissionAdjusted,
    CommissionApproved,
    CommissionCreated,
    CommissionHeld,
    CommissionLocked,
    CommissionReleased,
    CommissionReversed,
)
from accord.events.service import record, record_many
from accord.fx.service import convert_minor
from accord.ids import new_id
from accord.inputs import free_text
from accord.ledger.model import AccountKind, accounts_for, program_account, transfer
from accord.ledger.service import post
from accord.money import Money
from accord.partners.tables import Enrollment
from accord.programs.service import load_program
from accord.programs.tables import Program
from accord.store.engine import Store
from accord.store.paging import Slice, read_page
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand
from accord.tracking.service import click_sub_ids


class SqlUsage:
    """What a partner and the program earned before a conversion, read from commissions.

    Tiers count the partner's commissions of the event type in the month (over-cap ones
    too: the conversion happened); caps count those not reversed and not over a cap.
    """

    def __init__(self, session: Session, program_id: str) -> None:
        self.session = session
        self.program_id = program_id

    def month(self, partner_id: str, event_type: str, month: int) -> tuple[int, int]:
        row = self.session.execute(
            select(func.count(), func.coalesce(func.sum(Commission.basis_minor), 0)).where(
                Commission.program_id == self.program_id,
                Commission.partner_id == partner_id,
                Commission.month_key == month,
                Commission.event_type == event_type,
                Commission.kind == "conversion",
                Commission.status != CommissionStatus.REVERSED.value,
            )
        ).one()
        return int(row[0]), int(row[1])

    def used(self, partner_id: str | None, period: int | None) -> tuple[int, int]:
        query = select(func.count(), func.coalesce(func.sum(Commission.amount_minor), 0)).where(
            Commission.program_id == self.program_id,
            Commission.kind == "conversion",
            Commission.status.not_in(
                [CommissionStatus.REVERSED.value, CommissionStatus.OVER_CAP.value]
            ),
        )
        if partner_id is not None:
            query = query.where(Commission.partner_id == partner_id)
        if period is not None:
            if period > 999_999:
                query = query.where(Commission.day_key == period)
            else:
                query = query.where(Commission.month_key == period)
        row = self.session.execute(query).one()
        return int(row[0]), int(row[1])


def conversion_facts(
    session: Session, program: Program, conversion, partner_id: str, share: Decimal
) -> tuple[Facts, Decimal | None]:
    """The conversion as the contract sees it, in the program's currency, at the exchange
    rate stored with it when it was recorded (None: the program's own currency)."""
    rate = conversion.fx_rate
    items = ()
    if conversion.items:
        items = tuple(
            Item(
                str(item["sku"]),
                item.get("category"),
                int(item.get("quantity") or 1),
                convert_minor(
                    Money.of(item["price"], conversion.currency).minor,
                    conversion.currency,
                    program.currency,
                    rate or Decimal(1),
                ),
            )
            for item in conversion.items
        )
    started = None
    if conversion.subscription_id:
        started = session.scalar(
            select(func.min(Conversion.occurred_at)).where(
                Conversion.program_id == program.id,
                Conversion.subscription_id == conversion.subscription_id,
            )
        )
    facts = Facts(
        partner_id=partner_id,
        event_type=conversion.event_type,
        amount_minor=conversion.program_amount_minor,
        occurred_at=conversion.occurred_at,
        customer_status=conversion.customer_status,
        country=conversion.country,
        device=conversion.device_type,
        promo_code=conversion.promo_code,
        items=items,
        share=share,
        subscription_started_at=started,
    )
    return facts, rate


def _serialise(session: Session, program: Program, partner_id: str, terms: Terms) -> None:
    """Caps, tiers and bonuses read what was earned before: writers of the same partner (or,
    with program caps, of the program) take turns."""
    compiled = terms.compiled
    if any(not cap.partner for cap in compiled.caps):
        session.execute(select(Program.id).where(Program.id == program.id).with_for_update())
    elif compiled.caps or compiled.bonuses or any(r.tier_metric for r in compiled.rules):
        session.execute(
            select(Enrollment.id)
            .where(Enrollment.program_id == program.id, Enrollment.partner_id == partner_id)
            .with_for_update()
        )


@dataclass(frozen=True, slots=True)
class Part:
    """One partner's part of a commission split among several partners."""

    minor: int
    whole_minor: int  # the commission the parts add back to
    partners: int


def create_commissions(
    session: Session,
    program: Program,
    conversion,
    credited: Sequence[tuple[Attribution, str | None]],
    now: datetime,
) -> list[Commission | None]:
    """The commissions of a conversion's credited partners (attribution, contract id), in
    their order; None where a partner earns nothing.

    Credit split among several partners splits one commission. The engine multiplies a
    contract's exact sum (integer SCALE-units) by the partner's share and rounds half-up
    once; done for each partner alone, a third of 10.00 three times makes 9.99. So the
    exact sum is computed once for the conversion under each partner's terms, at the whole
    credit. Partners whose terms give the same sum (the same contract: the usual case) share
    one whole: that sum times their shares added up, rounded half-up once (with shares
    adding up to 1, exactly what one partner alone would earn). `split_minor` divides it
    among them by their shares, by the largest remainder, so that the parts add back to the
    whole to the cent. A partner whose terms give a sum of its own is paid on its own share,
    as before; caps and view-through pay still apply to each partner's part.
    """
    if len(credited) < 2:
        return [create_commission(session, program, conversion, a, c, now) for a, c in credited]
    parts = _split(session, program, conversion, credited)
    return [
        create_commission(session, program, conversion, a, c, now, part=parts.get(a.id))
        for a, c in credited
    ]


def _terms(
    session: Session, program: Program, conversion, contract_id: str | None, partner_id: str
) -> Terms | None:
    """The partner's terms in force when the conversion occurred."""
    return terms_at(
        session,
        program.id,
        contract_id,
        conversion.occurred_at,
        currency=program.currency,
        partner_id=partner_id,
    )


def _paid_share(terms: Terms, attribution: Attribution) -> Decimal | None:
    """The share of a click's pay the attribution earns; None: view-through not paid."""
    share = attribution.share
    if attribution.touchpoint_kind == "impression":
        # View-through: paid only where the terms say so, at their share of a click's pay.
        paid = terms.compiled.terms.view_through
        if paid is None:
            return None
        share = share * paid.share / 100
    return share


def _split(
    session: Session,
    program: Program,
    conversion,
    credited: Sequence[tuple[Attribution, str | None]],
) -> dict[str, Part]:
    """Each credited partner's part (by attribution id); see create_commissions."""
    groups: dict[Fraction, list[tuple[str, Decimal]]] = {}
    for attribution, contract_id in sorted(credited, key=lambda pair: pair[0].id):
        terms = _terms(session, program, conversion, contract_id, attribution.partner_id)
        share = None if terms is None else _paid_share(terms, attribution)
        if terms is None or share is None:
            continue
        whole, _ = conversion_facts(
            session, program, conversion, attribution.partner_id, Decimal(1)
        )
        outcome = terms.compiled.evaluate(whole, SqlUsage(session, program.id))
        if outcome.rule is not None:
            exact = Fraction(sum(line.units for line in outcome.lines))
            groups.setdefault(exact, []).append((attribution.id, share))
    return split_parts(groups)


def split_parts(groups: dict[Fraction, list[tuple[str, Decimal]]]) -> dict[str, Part]:
    """Split each group's whole (its exact sum of SCALE-units times its members' shares,
    rounded half-up once) among its members by their shares."""
    parts = {}
    for exact, members in groups.items():
        num, den = (exact * Fraction(sum(share for _, share in members))).as_integer_ratio()
        whole = round_half_up(num, SCALE * den)
        split = split_minor(whole, [share for _, share in members])
        for (attribution_id, _), minor in zip(members, split, strict=True):
            parts[attribution_id] = Part(minor, whole, len(members))
    return parts


def _take_part(outcome, part: Part) -> None:
    """The engine rounded the partner's share alone; its part of the split replaces it. A
    cap that cut the commission still holds; a refused one stays refused."""
    cut = outcome.amount_minor < outcome.gross_minor
    outcome.gross_minor = part.minor
    if outcome.over_cap:
        return
    outcome.amount_minor = min(outcome.amount_minor, part.minor) if cut else part.minor


def create_commission(
    session: Session,
    program: Program,
    conversion,
    attribution,
    contract_id: str | None,
    now: datetime,
    *,
    part: Part | None = None,
) -> Commission | None:
    """Compute the commission for one attributed share and accrue it in the ledger.
    `part`: the partner's part of a commission split among several (create_commissions)."""
    partner_id = attribution.partner_id
    terms = _terms(session, program, conversion, contract_id, partner_id)
    if terms is None:
        return None
    share = _paid_share(terms, attribution)
    if share is None:
        return None
    facts, rate = conversion_facts(session, program, conversion, partner_id, share)
    compiled = terms.compiled
    if compiled.caps or compiled.bonuses or compiled.needs_month.get(facts.event_type):
        _serialise(session, program, partner_id, terms)
    outcome = compiled.evaluate(facts, SqlUsage(session, program.id))
    if outcome.rule is None:
        return None
    if part is not None:
        _take_part(outcome, part)
    explanation = compiled.explain(facts, outcome)
    if part is not None:
        explanation["split"] = {
            "whole": str(Money.from_minor(part.whole_minor, program.currency).amount),
            "partners": part.partners,
            "part": str(Money.from_minor(part.minor, program.currency).amount),
            "method": "largest remainder: the parts add back to the whole",
        }
    explanation["contract_version"] = {
        "id": terms.version.id,
        "number": terms.version.number,
        "effective_from": terms.version.effective_from.isoformat(),
    }
    if rate is not None:
        explanation["exchange"] = {
            "from": conversion.currency,
            "to": program.currency,
            "rate": str(rate),
            "order_amount": str(Money.from_minor(conversion.amount_minor, conversion.currency)),
        }
    status = CommissionStatus.OVER_CAP if outcome.over_cap else CommissionStatus.PENDING
    commission = Commission(
        id=new_id("com"),
        organization_id=program.organization_id,
        program_id=program.id,
        partner_id=partner_id,
        kind="conversion",
        conversion_id=conversion.id,
        attribution_id=attribution.id,
        contract_version_id=terms.version.id,
        payout_rule_id=terms.rule_ids[outcome.rule.index],
        event_type=conversion.event_type,
        basis_minor=facts.amount_minor,
        gross_minor=outcome.gross_minor,
        source_currency=conversion.currency if rate is not None else None,
        fx_rate=rate,
        lines=stored_lines(outcome),
        month_key=outcome.month,
        day_key=outcome.day,
        status=status.value,
        amount_minor=outcome.amount_minor,
        original_minor=outcome.amount_minor,
        currency=program.currency,
        explanation=explanation,
        occurred_at=conversion.occurred_at,
        created_at=now,
        lock_due_at=lock_due_at(conversion.occurred_at, program.locking_days, program.lock_policy),
    )
    session.add(commission)
    session.flush()
    _accrue(session, program, commission, f"commission on order {conversion.order_id}", now)
    record(session, commission_change(CommissionCreated, commission, conversion, now))
    if outcome.retro is not None:
        _retroactive_top_up(session, program, commission, terms, outcome.retro, now)
    for bonus in outcome.bonuses:
        _award_bonus(session, program, terms, partner_id, bonus, outcome.month, now)
    return commission


def _accrue(session: Session, program: Program, commission: Commission, memo: str, now) -> None:
    acct = accounts_for(program.id, commission.partner_id, commission.currency)
    post(
        session,
        program.organization_id,
        transfer(
            f"commission:{commission.id}:accrue",
            memo,
            acct[AccountKind.COMMISSION_EXPENSE],
            acct[AccountKind.PARTNER_PENDING],
            Money.from_minor(commission.amount_minor, commission.currency),
        ),
        now,
    )


def _retroactive_top_up(
    session: Session,
    program: Program,
    reached_by: Commission,
    terms: Terms,
    retro: tuple[int, int],
    now: datetime,
) -> None:
    """A retroactive tier was reached: the month's earlier commissions under the same rule
    are recomputed at the new rate, and the difference is posted as an adjustment."""
    rule_index, tier = retro
    step = terms.compiled.rules[rule_index].steps[tier]
    earlier = session.scalars(
        select(Commission)
        .where(
            Commission.program_id == program.id,
            Commission.partner_id == reached_by.partner_id,
            Commission.month_key == reached_by.month_key,
            Commission.payout_rule_id == reached_by.payout_rule_id,
            Commission.id != reached_by.id,
            Commission.status.not_in(
                [CommissionStatus.REVERSED.value, CommissionStatus.OVER_CAP.value]
            ),
        )
        .order_by(Commission.occurred_at, Commission.id)
    ).all()
    for commission in earlier:
        if commission.original_minor < commission.gross_minor:
            continue  # a cap cut it: the cap still holds
        lines = [dict(line) for line in commission.lines or []]
        changed = False
        for line in lines:
            if line.get("rule") == rule_index and int(line.get("tier") or 0) < tier:
                line["percent_units"], line["tier"] = step.percent, tier
                if line["kind"] != "item":
                    line["fixed_minor"] = step.fixed or 0
                changed = True
        if not changed:
            continue
        commission.lines = lines
        target = _recomputed(session, commission, None)
        delta = target - commission.amount_minor
        _post_adjustment(session, commission, delta, "tier_retroactive", None, now)
        if delta:
            facts = {"delta": Money.from_minor(delta, commission.currency).amount}
            facts["reason_code"] = "tier_retroactive"
            record(session, commission_change(CommissionAdjusted, commission, None, now, **facts))


def _award_bonus(
    session: Session,
    program: Program,
    terms: Terms,
    partner_id: str,
    bonus,
    month: int,
    now: datetime,
) -> None:
    key = f"bonus:{terms.version.id}:{bonus.index}:{partner_id}:{month}"
    if session.scalar(select(Commission.id).where(Commission.bonus_key == key)):
        return
    spec = terms.compiled.terms.bonuses[bonus.index]
    commission = Commission(
        id=new_id("com"),
        organization_id=program.organization_id,
        program_id=program.id,
        partner_id=partner_id,
        kind="bonus",
        bonus_key=key,
        contract_version_id=terms.version.id,
        event_type=spec.event_type,
        basis_minor=0,
        gross_minor=bonus.amount,
        lines=[],
        month_key=month,
        day_key=month * 100 + 1,
        status=CommissionStatus.PENDING.value,
        amount_minor=bonus.amount,
        original_minor=bonus.amount,
        currency=program.currency,
        explanation={
            "bonus": spec.name,
            "metric": spec.metric,
            "threshold": str(spec.threshold),
            "event_type": spec.event_type,
            "month": f"{month // 100:04d}-{month % 100:02d}",
            "amount": str(Money.from_minor(bonus.amount, program.currency).amount),
            "contract_version": {"id": terms.version.id, "number": terms.version.number},
            "arithmetic": f"target {spec.threshold} {spec.metric} reached: "
            f"{Money.from_minor(bonus.amount, program.currency)}",
        },
        occurred_at=now,
        created_at=now,
        lock_due_at=lock_due_at(now, program.locking_days, program.lock_policy),
    )
    session.add(commission)
    session.flush()
    _accrue(session, program, commission, f"bonus {spec.name}", now)
    record(session, commission_change(CommissionCreated, commission, None, now))


def award_fixed(session: Session, program_id: str, partner_id: str, *, key: str, kind: str,
                amount: Money, reason: str, explanation: dict,
                now: datetime) -> Commission:  # fmt: skip
    """A fixed amount earned outside a conversion (a creator brief's fee, a bounty), as a
    pending commission of `kind` on the partner's terms in force, posted to the ledger like
    any commission. `key` makes it once: awarding the same key again returns the first."""
    had = session.scalar(select(Commission).where(Commission.bonus_key == key))
    if had is not None:
        return had
    program = session.get(Program, program_id)
    if program is None:
        raise NotFound("program", program_id, field="program_id")
    if amount.currency != program.currency:
        raise InvalidInput(
            "amount",
            Text("pay it in the program's currency, %(currency)s", currency=program.currency),
        )
    if amount.minor <= 0:
        raise InvalidInput("amount", "must be more than zero")
    enrollment = session.scalar(
        select(Enrollment).where(
            Enrollment.program_id == program_id, Enrollment.partner_id == partner_id
        )
    )
    if enrollment is None:
        raise NotFound("partner", partner_id, field="partner_id")
    terms = terms_at(session, program_id, enrollment.contract_id, now,
                     currency=program.currency, partner_id=partner_id)  # fmt: skip
    if terms is None:
        raise InvalidInput("contract", "the program has no contract to pay under")
    month = now.year * 100 + now.month
    value = amount.minor
    commission = Commission(
        id=new_id("com"), organization_id=program.organization_id, program_id=program_id,
        partner_id=partner_id, kind=kind, bonus_key=key, contract_version_id=terms.version.id,
        event_type=kind, basis_minor=0, gross_minor=value, lines=[], month_key=month,
        day_key=month * 100 + now.day, status=CommissionStatus.PENDING.value,
        amount_minor=value, original_minor=value, currency=program.currency,
        explanation={**explanation, "amount": str(amount.amount), "arithmetic": reason,
                     "contract_version": {"id": terms.version.id,
                                          "number": terms.version.number}},
        occurred_at=now, created_at=now,
        lock_due_at=lock_due_at(now, program.locking_days, program.lock_policy),
    )  # fmt: skip
    session.add(commission)
    session.flush()
    _accrue(session, program, commission, reason[:200], now)
    record(session, commission_change(CommissionCreated, commission, None, now))
    return commission


def _recomputed(session: Session, commission: Commission, returned: dict[str, int] | None) -> int:
    """A conversion commission's amount from its stored lines, the order's remaining
    amount and any returned items."""
    conversion = session.get(Conversion, commission.conversion_id)
    attribution = session.get(Attribution, commission.attribution_id)
    remaining = conversion.amount_minor - conversion.reversed_minor
    num, den = rescale(
        commission.lines or [],
        original_minor=conversion.amount_minor,
        remaining_minor=remaining,
        returned=returned,
    )
    if attribution.share != 1:  # the credit was split: so is the commission
        split = _split_on_reversal(session, commission, conversion, remaining, returned)
        if split is not None:
            return split
    share_num, share_den = attribution.share.as_integer_ratio()
    return round_half_up(num * share_num, SCALE * den * share_den)


def _split_on_reversal(
    session: Session,
    commission: Commission,
    conversion: Conversion,
    remaining: int,
    returned: dict[str, int] | None,
) -> int | None:
    """A split commission's part of its recomputed whole, split again as create_commissions
    split it, so that the parts still add back to the whole; None when it was not split."""
    rows = session.execute(
        select(Commission, Attribution)
        .join(Attribution, Attribution.id == Commission.attribution_id)
        .where(Commission.conversion_id == conversion.id, Commission.kind == "conversion")
        .order_by(Attribution.id)
    ).all()
    if len(rows) < 2:
        return None
    groups: dict[Fraction, list[tuple[str, Decimal]]] = {}
    mine = None
    for sibling, attribution in rows:
        num, den = rescale(
            sibling.lines or [],
            original_minor=conversion.amount_minor,
            remaining_minor=remaining,
            returned=returned,
        )
        paid = (sibling.explanation or {}).get("inputs", {}).get("share")
        share = Decimal(paid) if paid is not None else attribution.share
        groups.setdefault(Fraction(num, den), []).append((attribution.id, share))
        if sibling.id == commission.id:
            mine = attribution.id
    parts = split_parts(groups)
    if mine is None or parts[mine].partners < 2:
        return None
    return parts[mine].minor


def _post_adjustment(
    session: Session,
    commission: Commission,
    delta: int,
    reason_code: str,
    reversal_id: str | None,
    now: datetime,
) -> None:
    """Change a commission's amount by `delta`, with an immutable adjustment and the
    ledger posting on the side its money sits (pending, or payable once approved)."""
    if not delta:
        return
    status_before = commission.status
    adjustment = CommissionAdjustment(
        id=new_id("adj"),
        commission_id=commission.id,
        delta_minor=delta,
        currency=commission.currency,
        reason_code=reason_code,
        status_before=status_before,
        reversal_id=reversal_id,
        at=now,
    )
    session.add(adjustment)
    acct = accounts_for(commission.program_id, commission.partner_id, commission.currency)
    side = (
        AccountKind.PARTNER_PENDING
        if CommissionStatus(status_before) in UNAPPROVED
        else AccountKind.PARTNER_PAYABLE
    )
    post(
        session,
        commission.organization_id,
        transfer(
            f"adjustment:{adjustment.id}",
            f"adjustment ({reason_code})",
            acct[AccountKind.COMMISSION_EXPENSE],
            acct[side],
            Money.from_minor(delta, commission.currency),
        ),
        now,
    )
    commission.amount_minor += delta


def adjust_for_reversal(
    session: Session,
    commission: Commission,
    returned: dict[str, int] | None,
    reason_code: str,
    reversal_id: str,
    now: datetime,
) -> int:
    """Recompute a commission after its order was reversed in whole or in part.

    Percent lines shrink with what is left of the order (or with the returned items);
    fixed amounts stay until the whole order is reversed. Money already approved or paid
    comes back out of the partner's payable balance, which may go negative: a clawback
    netted against the next payout. A commission never grows from a reversal.
    """
    if commission.status == CommissionStatus.REVERSED:
        return 0
    conversion = session.get(Conversion, commission.conversion_id)
    whole = conversion.amount_minor - conversion.reversed_minor <= 0
    target = (
        0 if whole else min(_recomputed(session, commission, returned), commission.amount_minor)
    )
    delta = target - commission.amount_minor
    _post_adjustment(session, commission, delta, reason_code, reversal_id, now)
    if whole:
        check_transition(commission.status, CommissionStatus.REVERSED, commission.id)
        commission.status = CommissionStatus.REVERSED.value
        commission.reversed_at = now
    if delta or whole:
        kind = CommissionReversed if whole else CommissionAdjusted
        change = Money.from_minor(delta, commission.currency).amount
        facts = {"delta": change, "reason_code": reason_code, "reversal_id": reversal_id}
        record(session, commission_change(kind, commission, conversion, now, **facts))
    return delta


def hold_for_review(
    session: Session, commissions: Sequence[Commission], score: int, reasons: Sequence[str], now
) -> list[Commission]:
    """Hold a new conversion's pending commissions for a fraud review (the caller's unit of
    work): they stay in the partner's pending balance and neither lock nor pay until
    `release_held` or a reversal. Returns those held (over-cap ones earn nothing anyway)."""
    held = []
    for commission in commissions:
        if commission.status != CommissionStatus.PENDING.value:
            continue
        check_transition(commission.status, CommissionStatus.HELD, commission.id)
        commission.status = CommissionStatus.HELD.value
        held.append(commission)
    for commission in held:
        facts = {"score": score, "reasons": tuple(reasons)}
        record(session, commission_change(CommissionHeld, commission, None, now, **facts))
    return held


def release_held(session: Session, conversion_id: str, note: str | None, now) -> list[str]:
    """Release a conversion's held commissions (pending again; one whose locking period
    has passed locks at the next pass); the ids released."""
    rows = list(
        session.scalars(
            select(Commission)
            .where(
                Commission.conversion_id == conversion_id,
                Commission.status == CommissionStatus.HELD.value,
            )
            .order_by(Commission.id)
            .with_for_update()
        )
    )
    for commission in rows:
        check_transition(commission.status, CommissionStatus.PENDING, commission.id)
        commission.status = CommissionStatus.PENDING.value
        record(session, commission_change(CommissionReleased, commission, None, now, note=note))
    return [c.id for c in rows]


def held_commissions(session: Session, conversion_ids: Sequence[str]) -> dict[str, list[Money]]:
    """The held amounts of each of these conversions (a queue's "money involved")."""
    out: dict[str, list[Money]] = {}
    if not conversion_ids:
        return out
    for start in range(0, len(conversion_ids), CHUNK):
        rows = session.execute(
            select(Commission.conversion_id, Commission.amount_minor, Commission.currency).where(
                Commission.conversion_id.in_(list(conversion_ids[start : start + CHUNK])),
                Commission.status == CommissionStatus.HELD.value,
            )
        )
        for conversion_id, minor, currency in rows:
            out.setdefault(conversion_id, []).append(Money.from_minor(minor, currency))
    return out


def lock_due(store: Store, caller: Caller, program_id: str) -> int:
    """Lock every pending commission whose locking period has passed; returns how many.
    A held commission (`hold_reason`) waits, however old.

    A program that approves automatically then approves what is locked, in the same way a
    person would (see `approve`).
    """
    require_brand(caller)
    now = store.clock.now()
    with store.unit() as session:
        program = load_program(session, caller, program_id)
        due = select(Commission.id).where(
            Commission.program_id == program_id,
            Commission.status == CommissionStatus.PENDING.value,
            Commission.lock_due_at <= now,
            Commission.hold_reason.is_(None),
        )
        ids = list(session.scalars(due.order_by(Commission.id).with_for_update()))
        for start in range(0, len(ids), CHUNK):
            session.execute(
                update(Commission)
                .where(
                    Commission.program_id == program_id,
                    Commission.id.in_(ids[start : start + CHUNK]),
                )
                .values(
                    status=CommissionStatus.LOCKED.value,
                    locked_at=now,
                    version=Commission.version + 1,
                )
                .execution_options(synchronize_session=False)
            )
        locked = len(ids)
        record_many(session, commission_changes(session, CommissionLocked, ids, now))
    if program.auto_approve:
        approve(store, caller, program_id)
    return locked


def approve(
    store: Store, caller: Caller, program_id: str, commission_ids: Sequence[str] | None = None
) -> list[str]:
    """Approve locked commissions (the listed ones, or all locked); moves money to payable.

    Approving a commission that is not locked is refused, naming it; a second approval of
    the same commission fails instead of paying twice.
    """
    require_brand(caller)
    now = store.clock.now()
    with store.unit() as session:
        # The program row lock orders approvals with payout batches: a batch never sees a
        # commission approved half-way through it.
        program = load_program(session, caller, program_id, for_update=True)
        query = select(Commission).where(Commission.program_id == program.id)
        if commission_ids is None:
            query = query.where(Commission.status == CommissionStatus.LOCKED.value)
        else:
            query = query.where(Commission.id.in_(list(commission_ids)))
        rows = list(session.scalars(query.order_by(Commission.id)))
        if commission_ids is not None:
            missing = set(commission_ids) - {c.id for c in rows}
            if missing:
                raise NotFound("commission", sorted(missing)[0], field="commission_ids")
        approved = []
        for commission in rows:
            check_transition(commission.status, CommissionStatus.APPROVED, commission.id)
            commission.status = CommissionStatus.APPROVED.value
            commission.approved_at = now
            acct = accounts_for(program.id, commission.partner_id, commission.currency)
            post(
                session,
                program.organization_id,
                transfer(
                    f"commission:{commission.id}:approve",
                    "commission approved",
                    acct[AccountKind.PARTNER_PENDING],
                    acct[AccountKind.PARTNER_PAYABLE],
                    Money.from_minor(commission.amount_minor, commission.currency),
                ),
                now,
            )
            _charge_fee(session, program, commission, now)
            approved.append(commission.id)
        record_many(session, commission_changes(session, CommissionApproved, approved, now))
        return approved


def visible_commissions(caller: Caller):
    query = select(Commission)
    if caller.is_brand:
        return query.where(Commission.organization_id == caller.organization_id)
    return query.where(Commission.partner_id == caller.partner_id)


def get_commission(store: Store, caller: Caller, commission_id: str) -> tuple[Commission, list]:
    with store.read() as session:
        commission = session.scalar(
            visible_commissions(caller).where(Commission.id == commission_id)
        )
        if commission is None:
            raise NotFound("commission", commission_id, field="commission_id")
        adjustments = list(
            session.scalars(
                select(CommissionAdjustment)
                .where(CommissionAdjustment.commission_id == commission.id)
                .order_by(CommissionAdjustment.at)
            )
        )
        return commission, adjustments


def parse_status(value: str | None) -> CommissionStatus | None:
    if value is None:
        return None
    try:
        return CommissionStatus(value)
    except ValueError:
        raise not_one_of("status", value, (s.value for s in CommissionStatus)) from None


def explain(store: Store, caller: Caller, commission_id: str) -> dict[str, object]:
    """Everything that decided a commission: version, rule, inputs, lines and arithmetic,
    the exchange rate used, and each adjustment since, with the amount they add up to."""
    commission, adjustments = get_commission(store, caller, commission_id)

    def money(minor: int) -> str:
        return str(Money.from_minor(minor, commission.currency).amount)

    history = [
        {
            "at": a.at.isoformat(),
            "change": money(a.delta_minor),
            "reason_code": a.reason_code,
            "status_before": a.status_before,
            "reversal_id": a.reversal_id,
        }
        for a in adjustments
    ]
    total = commission.original_minor + sum(a.delta_minor for a in adjustments)
    steps = [f"{money(commission.original_minor)} computed"] + [
        f"{'+' if a.delta_minor >= 0 else '-'} {money(abs(a.delta_minor))} ({a.reason_code})"
        for a in adjustments
    ]
    return {
        "commission_id": commission.id,
        "kind": commission.kind,
        "status": commission.status,
        "partner_id": commission.partner_id,
        "conversion_id": commission.conversion_id,
        "currency": commission.currency,
        "amount": money(commission.amount_minor),
        "original": money(commission.original_minor),
        "computed": commission.explanation,
        "adjustments": history,
        "current": f"{' '.join(steps)} = {money(total)} {commission.currency}",
        "consistent": total == commission.amount_minor,
    }


def _charge_fee(session: Session, program: Program, commission: Commission, now) -> None:
    """The platform's fee on an approved commission, rounded half-up once."""
    percent = program.platform_fee_percent or Decimal(0)
    if not percent or commission.amount_minor <= 0:
        return
    num, den = (percent / 100).as_integer_ratio()
    fee = round_half_up(commission.amount_minor * num, den)
    post(
        session,
        program.organization_id,
        transfer(
            f"commission:{commission.id}:fee",
            f"platform fee {percent}%",
            program_account(program.id, AccountKind.PLATFORM_FEE_EXPENSE, commission.currency),
            program_account(program.id, AccountKind.PLATFORM_FEES, commission.currency),
            Money.from_minor(fee, commission.currency),
        ),
        now,
    )


def commissions_page(
    store: Store,
    caller: Caller,
    *,
    limit: int,
    starting_after: str | None = None,
    program_id: str | None = None,
    partner_id: str | None = None,
    status: str | None = None,
) -> Slice[Commission]:
    """A page of the commissions the caller may see, oldest first, filtered."""
    query = visible_commissions(caller)
    if program_id:
        query = query.where(Commission.program_id == program_id)
    if partner_id:
        query = query.where(Commission.partner_id == partner_id)
    wanted = parse_status(status)
    if wanted:
        query = query.where(Commission.status == wanted.value)
    return read_page(store, query, Commission.id, limit, starting_after)


def commissions_of_conversions(
    store: Store, conversion_ids: list[str]
) -> dict[str, list[Commission]]:
    """Each conversion's commissions, oldest first (the caller has checked the conversions)."""
    result: dict[str, list[Commission]] = {cid: [] for cid in conversion_ids}
    if not conversion_ids:
        return result
    with store.read() as session:
        for c in session.scalars(
            select(Commission)
            .where(Commission.conversion_id.in_(conversion_ids))
            .order_by(Commission.id)
        ):
            result[c.conversion_id].append(c)
    return result


# reads for the console and the portal -------------------------------------------------------
def commission_page(
    store: Store,
    caller: Caller,
    program_id: str,
    *,
    status: str | None = None,
    after: str | None = None,
    limit: int = 50,
) -> tuple[list[tuple[Commission, str | None]], bool]:
    """A page of a brand's commissions in a program, oldest id first, after the id `after`:
    (commission, order id); and whether another page follows."""
    query = (
        visible_commissions(caller)
        .where(Commission.program_id == program_id)
        .add_columns(Conversion.order_id)
        .outerjoin(Conversion, Conversion.id == Commission.conversion_id)
    )
    if status:
        query = query.where(Commission.status == status)
    if after:
        query = query.where(Commission.id > after)
    with store.read() as session:
        rows = [tuple(r) for r in session.execute(query.order_by(Commission.id).limit(limit + 1))]
    return rows[:limit], len(rows) > limit


def partner_commission_page(
    store: Store,
    caller: Caller,
    program_id: str,
    *,
    status: str | None = None,
    before: str | None = None,
    limit: int = 50,
) -> tuple[list[tuple[Commission, str | None]], bool]:
    """A page of the caller's commissions in a program, newest first, before the id
    `before`: (commission, order id); and whether another page follows."""
    query = (
        visible_commissions(caller)
        .where(Commission.program_id == program_id)
        .add_columns(Conversion.order_id)
        .outerjoin(Conversion, Conversion.id == Commission.conversion_id)
    )
    if status:
        query = query.where(Commission.status == status)
    if before:
        query = query.where(Commission.id < before)
    with store.read() as session:
        found = session.execute(query.order_by(Commission.id.desc()).limit(limit + 1))
        rows = [tuple(r) for r in found]
    return rows[:limit], len(rows) > limit


def earned_by_status(store: Store, caller: Caller, program_id: str) -> dict[str, int]:
    """The calling partner's commissions in a program, summed by status (minor units)."""
    with store.read() as session:
        return {
            status: int(total or 0)
            for status, total in session.execute(
                select(Commission.status, func.coalesce(func.sum(Commission.amount_minor), 0))
                .where(
                    Commission.program_id == program_id,
                    Commission.partner_id == caller.partner_id,
                )
                .group_by(Commission.status)
            )
        }


def commission_totals(session: Session, conversion_ids: Sequence[str]) -> dict[str, int]:
    """What each conversion's commissions were first computed at (minor units of the
    program's currency), by conversion id."""
    out: dict[str, int] = {}
    for start in range(0, len(conversion_ids), CHUNK):
        rows = session.execute(
            select(Commission.conversion_id, func.sum(Commission.original_minor))
            .where(Commission.conversion_id.in_(list(conversion_ids[start : start + CHUNK])))
            .group_by(Commission.conversion_id)
        )
        out.update({cid: int(total or 0) for cid, total in rows})
    return out


@dataclass(frozen=True)
class ReversalLine:
    """A reversal of one of the program's conversions, and what it did to commissions."""

    id: str
    at: datetime
    conversion_id: str
    order_id: str
    partner_id: str | None
    amount: Money
    reason_code: str
    note: str | None
    commission_change: Money
    clawback: bool  # some commission it took back had been paid already


def reversal_lines(store: Store, caller: Caller, program_id: str, *, limit: int = 100,
                   before: str | None = None) -> list[ReversalLine]:  # fmt: skip
    """The program's reversals, newest first (`before`: older than that reversal), each with
    the change it made to commissions and whether it took back money already paid."""
    require_brand(caller)
    with store.read() as session:
        program = load_program(session, caller, program_id)
        query = (
            select(ConversionReversal, Conversion.order_id, Conversion.partner_id)
            .join(Conversion, Conversion.id == ConversionReversal.conversion_id)
            .where(Conversion.program_id == program.id)
            .order_by(ConversionReversal.id.desc())
            .limit(limit)
        )
        if before:
            query = query.where(ConversionReversal.id < before)
        rows = session.execute(query).all()
        changes: dict[str, tuple[int, bool]] = {}
        if rows:
            for reversal_id, delta, paid in session.execute(
                select(CommissionAdjustment.reversal_id, func.sum(CommissionAdjustment.delta_minor),
                       func.max(case((CommissionAdjustment.status_before == "paid", 1), else_=0)))
                .where(CommissionAdjustment.reversal_id.in_([r[0].id for r in rows]))
                .group_by(CommissionAdjustment.reversal_id)
            ):  # fmt: skip
                changes[reversal_id] = (int(delta or 0), bool(paid))
    out = []
    for reversal, order_id, partner_id in rows:
        delta, paid = changes.get(reversal.id, (0, False))
        out.append(ReversalLine(
            reversal.id, reversal.at, reversal.conversion_id, order_id, partner_id,
            Money.from_minor(reversal.amount_minor, reversal.currency), reversal.reason_code,
            reversal.note, Money.from_minor(delta, program.currency), paid))  # fmt: skip
    return out


def partner_commission_subs(store: Store, caller: Caller, commission_ids) -> dict[str, tuple]:
    """For the calling partner's commissions, the sub-ids (sub1 to sub5) of the click that
    led to each order, as its links carried them; commissions without a click are left out."""
    wanted = sorted(set(commission_ids))
    if not wanted or caller.partner_id is None:
        return {}
    with store.read() as session:
        clicks = dict(
            session.execute(
                select(Commission.id, Conversion.click_id)
                .join(Conversion, Conversion.id == Commission.conversion_id)
                .where(Commission.id.in_(wanted), Commission.partner_id == caller.partner_id)
            ).all()
        )
        subs = click_sub_ids(session, caller.partner_id, clicks.values())
    return {cid: subs[click] for cid, click in clicks.items() if click in subs}


# a person's hand on one commission ----------------------------------------------------------
#: `Commission.hold_reason` of a commission the brand holds by hand (its words: `hold_note`).
HELD_BY_BRAND = "held_by_brand"
MAX_HOLD_NOTE = 2000


def _own_commission(session: Session, caller: Caller, commission_id: str) -> Commission:
    commission = session.scalar(
        visible_commissions(caller).where(Commission.id == commission_id).with_for_update()
    )
    if commission is None:
        raise NotFound("commission", commission_id, field="commission_id")
    return commission


def hold(store: Store, caller: Caller, commission_id: str, note: str) -> Commission:
    """Keep a pending commission from locking (and so from being paid) until it is released,
    with the brand's reason, which the partner reads."""
    require_brand(caller)
    note = free_text("note", note, MAX_HOLD_NOTE)
    with store.unit() as session:
        commission = _own_commission(session, caller, commission_id)
        if commission.status != CommissionStatus.PENDING.value or commission.hold_reason:
            if commission.hold_reason:
                raise InvalidInput(
                    "commission_id",
                    Text(
                        "only a pending commission that nothing holds yet can be held; this "
                        "one is %(status)s (%(reason)s)",
                        status=commission.status,
                        reason=commission.hold_reason,
                    ),
                )
            raise InvalidInput(
                "commission_id",
                Text(
                    "only a pending commission that nothing holds yet can be held; this one "
                    "is %(status)s",
                    status=commission.status,
                ),
            )
        commission.hold_reason, commission.hold_note = HELD_BY_BRAND, note
        return commission


def release(store: Store, caller: Caller, commission_id: str) -> Commission:
    """Release a commission the brand held: pending again, locking when its period is over
    (at the next pass, if that is already)."""
    require_brand(caller)
    with store.unit() as session:
        commission = _own_commission(session, caller, commission_id)
        if commission.hold_reason != HELD_BY_BRAND:
            raise InvalidInput("commission_id", "this commission is not held by the brand")
        commission.hold_reason, commission.hold_note = None, None
        return commission


def lock_now(store: Store, caller: Caller, program_id: str, commission_ids: Sequence[str]) -> int:
    """Lock these pending commissions before their locking period ends (a brand that trusts
    the orders and wants to pay sooner); any held, or not pending, is refused by id."""
    require_brand(caller)
    wanted = sorted(set(commission_ids))
    if not wanted:
        raise InvalidInput("id", "select at least one commission")
    now = store.clock.now()
    with store.unit() as session:
        program = load_program(session, caller, program_id)
        rows = list(
            session.scalars(
                select(Commission)
                .where(Commission.program_id == program.id, Commission.id.in_(wanted))
                .order_by(Commission.id)
                .with_for_update()
            )
        )
        found = {c.id for c in rows}
        missing = [i for i in wanted if i not in found]
        if missing:
            raise NotFound("commission", missing[0], field="id")
        for commission in rows:
            if commission.status != CommissionStatus.PENDING.value or commission.hold_reason:
                if commission.hold_reason:
                    raise InvalidInput(
                        "id",
                        Text(
                            "commission %(commission)s is %(status)s and held (%(reason)s); "
                            "only pending ones that nothing holds lock early",
                            commission=commission.id,
                            status=commission.status,
                            reason=commission.hold_reason,
                        ),
                    )
                raise InvalidInput(
                    "id",
                    Text(
                        "commission %(commission)s is %(status)s; only pending ones that "
                        "nothing holds lock early",
                        commission=commission.id,
                        status=commission.status,
                    ),
                )
            commission.status, commission.locked_at = CommissionStatus.LOCKED.value, now
        session.flush()
        record_many(session, commission_changes(session, CommissionLocked, wanted, now))
    if program.auto_approve:
        approve(store, caller, program_id)
    return len(wanted)


def track_records(session: Session, partner_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Per partner, across every program: conversions whose commission stands past review
    (locked, approved or paid) and those reversed; for the directory's badges, which show
    thresholds, never a brand's own figures."""
    standing = (
        CommissionStatus.LOCKED.value,
        CommissionStatus.APPROVED.value,
        CommissionStatus.PAID.value,
    )
    found: dict[str, tuple[int, int]] = {}
    ids = list(partner_ids)
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(
                Commission.partner_id,
                func.count(distinct(Commission.conversion_id)).filter(
                    Commission.status.in_(standing)
                ),
                func.count(distinct(Commission.conversion_id)).filter(
                    Commission.status == CommissionStatus.REVERSED.value
                ),
            )
            .where(
                Commission.partner_id.in_(ids[start : start + 500]),
                Commission.kind == "conversion",
            )
            .group_by(Commission.partner_id)
        ).all()
        found.update({pid: (int(ok or 0), int(bad or 0)) for pid, ok, bad in rows})
    return found
