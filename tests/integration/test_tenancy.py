"""Tenancy at the service level: one brand never reaches another's data, partners stay partners."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from accord.commissions.service import approve, get_commission, lock_due
from accord.contracts.service import RuleSpec, create_contract
from accord.conversions.model import ConversionReport, ReversalRequest
from accord.conversions.reversals import reverse_conversion
from accord.conversions.service import record_conversion
from accord.conversions.tables import Conversion
from accord.errors import Forbidden, NotFound, Unauthenticated
from accord.partners.service import create_partner, set_enrollment_status
from accord.payouts.service import get_payout, run_batch
from accord.programs.model import ProgramTerms
from accord.programs.service import create_program, list_programs
from accord.reports.service import program_summary
from accord.tenancy.model import parse_token
from accord.tenancy.service import (
    authenticate,
    create_api_key,
    list_api_keys,
    revoke_api_key,
)
from accord.tenancy.tables import ApiKey
from accord.tracking.service import create_link, create_promo_code
from tests.factories import add_partner, click, convert, make_brand


@pytest.fixture
def two_brands(store, clock):
    """Brand A with a locked commission on a conversion; brand B with a program of its own."""
    a = make_brand(store)
    partner = add_partner(a)
    recorded = convert(a, amount="200.00", click_id=click(a, partner))
    clock.advance(timedelta(days=31))
    assert lock_due(store, a.caller, a.program_id) == 1
    b = make_brand(store)
    add_partner(b)
    return a, b, partner, recorded


def _status(store, caller, commission_id):
    commission, _ = get_commission(store, caller, commission_id)
    return commission.status, commission.amount_minor


def test_another_brand_gets_not_found_for_the_program(store, two_brands):
    a, b, _, _ = two_brands
    report = ConversionReport(
        program_id=a.program_id, order_id="x-1", amount=Decimal("10.00"), currency="USD"
    )
    someone = a.partners[0].id
    attempts = [
        lambda: lock_due(store, b.caller, a.program_id),
        lambda: approve(store, b.caller, a.program_id),
        lambda: run_batch(store, b.caller, a.program_id),
        lambda: program_summary(store, b.caller, a.program_id),
        lambda: record_conversion(store, b.caller, report),
        lambda: create_partner(store, b.caller, a.program_id, name="Spy", partner_type="content"),
        lambda: create_contract(store, b.caller, a.program_id, "Mine", [RuleSpec(event_type="sale", percent="50")]),  # noqa: E501
        lambda: create_link(store, b.caller, a.program_id, partner_id=someone),
        lambda: create_promo_code(store, b.caller, a.program_id, "STEAL", partner_id=someone),
        lambda: set_enrollment_status(store, b.caller, a.program_id, someone, "suspended"),
    ]  # fmt: skip
    for attempt in attempts:
        with pytest.raises(NotFound) as caught:
            attempt()
        assert caught.value.field == "program_id"
    assert a.program_id not in {p.id for p in list_programs(store, b.caller)}
    with store.read() as session:
        assert session.scalar(select(Conversion.id).where(Conversion.order_id == "x-1")) is None


def test_another_brand_cannot_approve_the_commissions(store, two_brands):
    a, b, _, recorded = two_brands
    (commission_id,) = recorded.commission_ids
    with pytest.raises(NotFound):
        approve(store, b.caller, a.program_id, [commission_id])
    # through its own program, naming the other brand's commission: not found either
    with pytest.raises(NotFound) as caught:
        approve(store, b.caller, b.program_id, [commission_id])
    assert caught.value.field == "commission_ids"
    # and approving "all locked" in its own program leaves the other brand's alone
    assert approve(store, b.caller, b.program_id) == []
    with pytest.raises(NotFound):
        get_commission(store, b.caller, commission_id)

    assert _status(store, a.caller, commission_id) == ("locked", 2000)
    summary = program_summary(store, a.caller, a.program_id)
    assert summary.payable == 0 and summary.pending == Decimal("20.00")


def test_another_brand_cannot_reverse_the_conversions(store, two_brands):
    a, b, _, recorded = two_brands
    conversion_id = recorded.conversion.id
    for request in (
        ReversalRequest(reason_code="fraud"),
        ReversalRequest(amount=Decimal("50.00"), reason_code="returned"),
    ):
        with pytest.raises(NotFound) as caught:
            reverse_conversion(store, b.caller, conversion_id, request)
        assert caught.value.field == "conversion_id"

    with store.read() as session:
        row = session.get(Conversion, conversion_id)
    assert (row.reversed_minor, row.status) == (0, "attributed")
    assert _status(store, a.caller, recorded.commission_ids[0]) == ("locked", 2000)


def test_a_reversal_idempotency_key_belongs_to_its_brand(store, two_brands):
    """Two brands may each use the same idempotency key; one must not see or block the other."""
    a, b, _, recorded = two_brands
    key = f"refund-{recorded.conversion.id}"
    first = reverse_conversion(
        store,
        a.caller,
        recorded.conversion.id,
        ReversalRequest(amount=Decimal("20.00"), reason_code="returned", idempotency_key=key),
    )
    assert first.created

    theirs = convert(b, amount="80.00")
    result = reverse_conversion(
        store,
        b.caller,
        theirs.conversion.id,
        ReversalRequest(amount=Decimal("30.00"), reason_code="returned", idempotency_key=key),
    )
    assert result.created
    assert result.reversal.conversion_id == theirs.conversion.id
    assert result.conversion.reversed_minor == 3000


def test_a_partner_is_refused_brand_only_actions(store, two_brands):
    a, _, partner, recorded = two_brands
    caller = partner.caller
    assert not caller.is_brand
    report = ConversionReport(
        program_id=a.program_id, order_id="p-1", amount=Decimal("10.00"), currency="USD"
    )
    terms = ProgramTerms("Mine", "USD", "https://partner.example/")
    attempts = [
        lambda: lock_due(store, caller, a.program_id),
        lambda: approve(store, caller, a.program_id),
        lambda: approve(store, caller, a.program_id, recorded.commission_ids),
        lambda: run_batch(store, caller, a.program_id),
        lambda: program_summary(store, caller, a.program_id),
        lambda: record_conversion(store, caller, report),
        lambda: reverse_conversion(
            store, caller, recorded.conversion.id, ReversalRequest(reason_code="fraud")
        ),
        lambda: create_program(store, caller, terms),
        lambda: create_partner(store, caller, a.program_id, name="Sub", partner_type="content"),
        lambda: create_contract(
            store, caller, a.program_id, "Mine", [RuleSpec(event_type="sale", percent="90")]
        ),
        lambda: create_promo_code(store, caller, a.program_id, "MINE"),
        lambda: set_enrollment_status(store, caller, a.program_id, partner.id, "approved"),
    ]
    for attempt in attempts:
        with pytest.raises(Forbidden):
            attempt()
    assert _status(store, a.caller, recorded.commission_ids[0]) == ("locked", 2000)
    with store.read() as session:
        assert session.get(Conversion, recorded.conversion.id).reversed_minor == 0


def test_a_partner_sees_only_its_own_commissions_and_payouts(store, clock, two_brands):
    a, b, partner, recorded = two_brands
    other = add_partner(a)
    theirs = convert(a, amount="300.00", click_id=click(a, other))
    clock.advance(timedelta(days=31))
    lock_due(store, a.caller, a.program_id)
    approve(store, a.caller, a.program_id)
    batch = run_batch(store, a.caller, a.program_id)
    payouts = {p.partner_id: p.id for p in batch.payouts}
    assert set(payouts) == {partner.id, other.id}

    assert get_commission(store, partner.caller, recorded.commission_ids[0])[0].status == "paid"
    assert get_payout(store, partner.caller, payouts[partner.id]).partner_id == partner.id
    with pytest.raises(NotFound):
        get_commission(store, partner.caller, theirs.commission_ids[0])
    with pytest.raises(NotFound):
        get_payout(store, partner.caller, payouts[other.id])
    # another brand sees neither
    with pytest.raises(NotFound):
        get_payout(store, b.caller, payouts[partner.id])
    # a partner of brand B does not reach brand A's program at all
    outsider = b.partners[0]
    with pytest.raises(NotFound):
        create_link(store, outsider.caller, a.program_id)


# --- API keys ---------------------------------------------------------------------------


def _api_key_rows(store):
    with store.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text("SELECT * FROM api_keys"))]


def test_api_keys_are_stored_hashed(store):
    brand = make_brand(store)
    partner = add_partner(brand)
    extra = create_api_key(store, brand.caller, "ci")
    rows = _api_key_rows(store)
    for token in (brand.api_key, partner.api_key, extra):
        key_id, secret = parse_token(token)
        assert authenticate(store, token).organization_id in {
            brand.caller.organization_id,
            partner.caller.organization_id,
        }
        for row in rows:
            for value in row:
                assert token not in str(value)
                assert secret not in str(value)
        with store.read() as session:
            stored = session.scalar(select(ApiKey).where(ApiKey.key_id == key_id))
        assert stored.secret_hash != secret and len(stored.secret_hash) == 64
    listed = list_api_keys(store, brand.caller)
    assert len(listed) == 2
    for key in listed:
        assert all(brand.api_key not in str(v) and extra not in str(v) for v in vars(key).values())


def test_a_wrong_secret_or_a_malformed_key_is_unauthenticated(store):
    brand = make_brand(store)
    key_id, secret = parse_token(brand.api_key)
    for token in (
        f"acc_{key_id}_{secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}",
        f"acc_{key_id}_",
        f"acc_nosuchkey_{secret}",
        "Bearer " + brand.api_key,
        "",
    ):
        with pytest.raises(Unauthenticated):
            authenticate(store, token)


def test_a_revoked_key_is_unauthenticated(store):
    brand = make_brand(store)
    token = create_api_key(store, brand.caller, "temporary")
    key_id, _ = parse_token(token)
    assert authenticate(store, token).organization_id == brand.caller.organization_id

    other = make_brand(store)
    with pytest.raises(NotFound):
        revoke_api_key(store, other.caller, key_id)  # not its key
    assert authenticate(store, token).organization_id == brand.caller.organization_id

    revoke_api_key(store, brand.caller, key_id)
    with pytest.raises(Unauthenticated):
        authenticate(store, token)
    revoke_api_key(store, brand.caller, key_id)  # revoking again changes nothing
    with pytest.raises(Unauthenticated):
        authenticate(store, token)
    # the brand's other key still works
    assert authenticate(store, brand.api_key).organization_id == brand.caller.organization_id


def test_a_revoked_partner_key_is_unauthenticated(store):
    brand = make_brand(store)
    partner = add_partner(brand)
    key_id, _ = parse_token(partner.api_key)
    revoke_api_key(store, partner.caller, key_id)
    with pytest.raises(Unauthenticated):
        authenticate(store, partner.api_key)


def test_a_partner_reaches_only_the_contract_it_is_on(store):
    from accord.contracts.service import (
        accept_version,
        acceptances,
        add_version,
        list_contracts,
        list_versions,
    )

    brand = make_brand(store)
    rules = [RuleSpec(event_type="sale", percent="12")]
    own = create_contract(store, brand.caller, brand.program_id, "Creators", rules)
    on_own = add_partner(brand, contract_id=own.id)
    on_default = add_partner(brand)
    waiting = add_version(store, brand.caller, brand.contract_id, rules, requires_acceptance=True)
    other_brand = make_brand(store)

    assert [c.id for c in list_contracts(store, on_own.caller, brand.program_id)] == [own.id]
    assert [c.id for c in list_contracts(store, on_default.caller, brand.program_id)] == [
        brand.contract_id
    ]
    assert len(list_versions(store, on_default.caller, brand.contract_id)) == 2
    attempts = [
        lambda: list_versions(store, on_own.caller, brand.contract_id),
        lambda: accept_version(store, on_own.caller, waiting.id, accepted_by="test"),
        lambda: list_versions(store, other_brand.caller, own.id),
        lambda: add_version(store, other_brand.caller, own.id, rules),
        lambda: acceptances(store, other_brand.caller, waiting.id),
    ]
    for attempt in attempts:
        with pytest.raises(NotFound) as caught:
            attempt()
        assert brand.program_id not in caught.value.message
        assert caught.value.field in ("contract_id", "contract_version_id")
    assert acceptances(store, brand.caller, waiting.id) == []
    accept_version(store, on_default.caller, waiting.id, accepted_by="test")
    assert [a.partner_id for a in acceptances(store, brand.caller, waiting.id)] == [on_default.id]
