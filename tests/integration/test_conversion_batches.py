"""A batch of conversions is recorded exactly as the same conversions sent one by one.

The batch path records many conversions in one unit of work, with a savepoint for each and
the program, enrollments, contract versions and clicks read once. These tests hold it to
the single path: the same outcomes item by item (created, duplicate, refused and why), the
same attribution, the same commissions after tiers, caps and bonuses, the same ledger.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from accord.commissions.tables import Commission
from accord.conversions.service import Recorded, record_batch, record_submitted
from accord.conversions.tables import Conversion, RejectedEvent
from accord.errors import AccordError
from accord.ledger.tables import Account, EntryLine
from accord.partners.service import set_enrollment_status
from tests.factories import Brand, add_partner, click, make_brand

TERMS = {
    "rules": [
        {
            "event_type": "sale",
            "percent": "10",
            "customer_status": "new",
            "tiers": {
                "metric": "conversions",
                "mode": "retroactive",
                "steps": [{"from": "3", "percent": "12"}],
            },
        },
        {"event_type": "sale", "percent": "5"},
        {"event_type": "lead", "fixed": "20.00"},
    ],
    "caps": [{"scope": "partner", "period": "month", "measure": "commission", "limit": "60"}],
    "bonuses": [{"name": "Four sales", "metric": "conversions", "threshold": "4", "amount": "25"}],
}

#: One conversion as drawn: which partner's click (2 = a suspended partner, "unknown" a
#: click id never answered, None no click), order, amount, event, customer, currency.
item = st.fixed_dictionaries(
    {
        "click": st.sampled_from([0, 1, 2, "unknown", None]),
        "order": st.sampled_from(["o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8"]),
        "amount": st.sampled_from(["19.99", "100.00", "250.00", "0.01", "ten"]),
        "event_type": st.sampled_from(["sale", "sale", "sale", "lead"]),
        "customer": st.sampled_from([None, "c1", "c2"]),
        "currency": st.sampled_from(["USD", "USD", "USD", "ZZZ"]),
    }
)


class _Setup:
    """A brand on TERMS with three partners, each clicked; the third is then suspended, so
    its clicks are credited but earn nothing (`partner_not_approved`)."""

    def __init__(self, store) -> None:
        self.brand: Brand = make_brand(store, terms=TERMS)
        partners = [add_partner(self.brand) for _ in range(3)]
        self.names = {p.id: f"partner{i}" for i, p in enumerate(partners)}
        self.clicks = {i: click(self.brand, p) for i, p in enumerate(partners)}
        set_enrollment_status(
            store, self.brand.caller, self.brand.program_id, partners[2].id, "suspended"
        )

    def body(self, drawn: dict) -> dict:
        body = {
            "program_id": self.brand.program_id,
            "order_id": drawn["order"],
            "amount": drawn["amount"],
            "currency": drawn["currency"],
            "event_type": drawn["event_type"],
        }
        if drawn["click"] == "unknown":
            body["click_id"] = "clk_neveranswered000000000"
        elif drawn["click"] is not None:
            body["click_id"] = self.clicks[drawn["click"]]
        if drawn["customer"]:
            body["customer_id"] = drawn["customer"]
        return body

    def outcome(self, result: Recorded | AccordError) -> tuple:
        """What a caller learns about one item, without ids that differ between brands."""
        if isinstance(result, AccordError):
            return ("rejected", result.code, result.field, bool(result.rejected_event_id))
        conversion = result.conversion
        return (
            "created" if result.created else "duplicate",
            conversion.status,
            self.names.get(conversion.partner_id),
            conversion.customer_status,
            conversion.attribution_reason,
            conversion.commission_note,
            tuple((self.names[c.partner_id], c.status) for c in result.commissions),
        )

    def stored(self, store) -> tuple:
        """Every commission (after retroactive tiers and caps), rejected events and the
        ledger's balances per account, as they are in the store now."""
        program_id = self.brand.program_id
        with store.read() as session:
            orders = dict(
                session.execute(
                    select(Conversion.id, Conversion.order_id).where(
                        Conversion.program_id == program_id
                    )
                ).all()
            )
            commissions = sorted(
                (
                    orders.get(c.conversion_id, "-"),
                    c.kind,
                    self.names[c.partner_id],
                    c.status,
                    c.amount_minor,
                    c.original_minor,
                )
                for c in session.scalars(
                    select(Commission).where(Commission.program_id == program_id)
                )
            )
            rejected = Counter(
                (r.error_code, r.field)
                for r in session.scalars(
                    select(RejectedEvent).where(
                        RejectedEvent.organization_id == self.brand.caller.organization_id
                    )
                )
            )
            balances = Counter()
            for kind, partner_id, debit, credit in session.execute(
                select(
                    Account.kind, Account.partner_id, EntryLine.debit_minor, EntryLine.credit_minor
                )
                .join(Account, Account.id == EntryLine.account_id)
                .where(Account.program_id == program_id)
            ):
                balances[(kind, self.names.get(partner_id))] += debit - credit
        return commissions, rejected, {k: v for k, v in balances.items() if v}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=st.lists(item, min_size=1, max_size=14))
def test_a_batch_records_exactly_what_single_requests_record(store, drawn):
    one_by_one, batched = _Setup(store), _Setup(store)

    singles = []
    for body in map(one_by_one.body, drawn):
        try:
            singles.append(record_submitted(store, one_by_one.brand.caller, body, source="api"))
        except AccordError as error:
            singles.append(error)
    batch = record_batch(
        store, batched.brand.caller, [batched.body(d) for d in drawn], source="api"
    )

    assert [batched.outcome(r) for r in batch] == [one_by_one.outcome(r) for r in singles]
    assert batched.stored(store) == one_by_one.stored(store)


def test_a_batch_over_several_units_keeps_order_and_counts(store, monkeypatch):
    """Items past the first unit of work are recorded too, in order, each once."""
    import accord.conversions.service as service

    monkeypatch.setattr(service, "BATCH_UNIT", 3)
    setup = _Setup(store)
    bodies = [
        setup.body(
            {
                "click": i % 2,
                "order": f"u{i}",
                "amount": "ten" if i == 4 else "10.00",
                "event_type": "sale",
                "customer": None,
                "currency": "USD",
            }
        )
        for i in range(8)
    ]
    bodies.append(dict(bodies[1]))  # a retry of an order recorded in an earlier unit

    results = record_batch(store, setup.brand.caller, bodies, source="api")

    kinds = [r.code if isinstance(r, AccordError) else r.created for r in results]
    assert kinds == [True, True, True, True, "invalid_input", True, True, True, False]
    assert results[8].conversion.id == results[1].conversion.id
    commissions, rejected, _ = setup.stored(store)
    assert len([c for c in commissions if c[1] == "conversion"]) == 7
    # Each partner reaches the retroactive tier (12% from the third sale) in this batch, so
    # every sale earns 12% of 10.00 in the end, including those recorded in earlier units.
    assert sorted(c[4] for c in commissions if c[1] == "conversion") == [120] * 7
    assert rejected == Counter({("invalid_input", "amount"): 1})


def test_a_failing_item_leaves_the_items_before_it_in_its_unit_recorded(store):
    """A refused item rolls back only its own savepoint, not the unit's earlier work."""
    setup = _Setup(store)
    good = setup.body(
        {
            "click": 0,
            "order": "k1",
            "amount": "50.00",
            "event_type": "sale",
            "customer": None,
            "currency": "USD",
        }
    )
    conflict = {**good, "amount": "60.00"}  # the same order with another amount: refused
    results = record_batch(store, setup.brand.caller, [good, conflict], source="api")

    assert results[0].created
    assert isinstance(results[1], AccordError) and results[1].code == "idempotency_conflict"
    assert "amount" in results[1].message
    with store.read() as session:
        stored = session.scalars(
            select(Conversion.amount_minor).where(Conversion.program_id == setup.brand.program_id)
        ).all()
    assert stored == [5000]
    assert results[0].commissions[0].amount_minor == 500


def test_concurrent_batches_with_the_same_orders_record_each_order_once(store):
    """Four batches at once, each naming orders the others name too, in another order.

    On PostgreSQL their units run side by side, each holding the orders it has inserted
    until it commits, so they can wait on each other; every order must still be recorded
    once, and every item answered created or duplicate."""
    import random
    import threading

    setup = _Setup(store)
    orders = [f"race-{n}" for n in range(60)]

    def body(order: str) -> dict:
        n = int(order.split("-")[1])
        drawn = {
            "click": n % 2,
            "order": order,
            "amount": f"{10 + n}.00",
            "event_type": "sale",
            "customer": f"c{n % 7}",
            "currency": "USD",
        }
        return setup.body(drawn)

    plans = []
    for worker in range(4):
        mine = orders[worker * 10 : worker * 10 + 30]
        random.Random(worker).shuffle(mine)
        plans.append([body(order) for order in mine])
    barrier = threading.Barrier(len(plans))
    results: list = [None] * len(plans)

    def run(worker: int) -> None:
        barrier.wait()
        try:
            results[worker] = record_batch(store, setup.brand.caller, plans[worker], source="batch")
        except BaseException as error:  # reported below
            results[worker] = error

    threads = [threading.Thread(target=run, args=(w,)) for w in range(len(plans))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
        assert not thread.is_alive(), "a batch did not finish"

    assert not [r for r in results if isinstance(r, BaseException)], results
    by_order: dict[str, set[str]] = {}
    created = Counter()
    for plan, outcomes in zip(plans, results, strict=True):
        for sent, outcome in zip(plan, outcomes, strict=True):
            assert not isinstance(outcome, AccordError), outcome
            by_order.setdefault(sent["order_id"], set()).add(outcome.conversion.id)
            created[sent["order_id"]] += outcome.created
    sent_orders = {item["order_id"] for plan in plans for item in plan}
    assert set(by_order) == sent_orders
    assert all(len(ids) == 1 for ids in by_order.values())
    assert all(created[order] == 1 for order in sent_orders)
    commissions, rejected, balances = setup.stored(store)
    assert len([c for c in commissions if c[1] == "conversion"]) == len(sent_orders)
    assert not rejected
    assert balances and sum(balances.values()) == 0  # debits equal credits


def test_a_suspended_partners_click_in_a_batch_is_credited_but_earns_nothing(store):
    setup = _Setup(store)
    drawn = {
        "click": 2,
        "order": "s1",
        "amount": "80.00",
        "event_type": "sale",
        "customer": None,
        "currency": "USD",
    }
    [result] = record_batch(store, setup.brand.caller, [setup.body(drawn)], source="api")

    assert setup.names[result.conversion.partner_id] == "partner2"
    assert result.conversion.commission_note == "partner_not_approved"
    assert result.commissions == []
