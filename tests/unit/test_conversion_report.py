"""ConversionReport: field-by-field validation of a reported conversion, and its fingerprint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

from accord.conversions.model import ConversionReport, ReversalRequest

BASE = {"program_id": "prg_1", "order_id": "1001", "amount": "129.90", "currency": "USD"}


def report(**changes) -> ConversionReport:
    return ConversionReport(**{**BASE, **changes})


def error_fields(caught: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return {".".join(str(p) for p in err["loc"]) for err in caught.value.errors()}


def test_a_minimal_report_gets_defaults():
    r = report()
    assert r.event_type == "sale"
    assert r.amount == Decimal("129.90")
    assert r.occurred_at is None
    assert r.customer_status is None


def test_extra_fields_are_refused():
    with pytest.raises(ValidationError) as caught:
        report(coupon="SAVE10")
    assert "coupon" in error_fields(caught)
    assert caught.value.errors()[0]["type"] == "extra_forbidden"


def test_extra_fields_in_items_are_refused():
    with pytest.raises(ValidationError):
        report(items=[{"sku": "tent-2p", "price": "199.00", "colour": "green"}])


@pytest.mark.parametrize("event_type", ["sale", "lead", "first_purchase", "custom:webinar"])
def test_valid_event_types_are_accepted(event_type):
    assert report(event_type=event_type).event_type == event_type


@pytest.mark.parametrize("event_type", ["purchase", "custom:", "SALE", "custom:a b"])
def test_invalid_event_types_are_refused(event_type):
    with pytest.raises(ValidationError) as caught:
        report(event_type=event_type)
    assert "event_type" in error_fields(caught)


def test_currency_is_upper_cased():
    assert report(currency="usd").currency == "USD"


@pytest.mark.parametrize("currency", ["US", "USDX", ""])
def test_malformed_currency_is_refused(currency):
    with pytest.raises(ValidationError) as caught:
        report(currency=currency)
    assert "currency" in error_fields(caught)


@pytest.mark.parametrize("currency", ["XYZ", "12$"])
def test_unknown_currency_is_refused_as_a_validation_error_on_the_field(currency):
    # A field validator must raise ValueError so that pydantic reports a ValidationError;
    # an exception of another type escapes request validation (the API then skips keeping
    # the refused body as a rejected event).
    with pytest.raises(ValidationError) as caught:
        report(currency=currency)
    assert "currency" in error_fields(caught)


def test_negative_amount_is_refused():
    with pytest.raises(ValidationError) as caught:
        report(amount="-1")
    assert "amount" in error_fields(caught)


@pytest.mark.parametrize("amount", ["NaN", "Infinity"])
def test_non_finite_amount_is_refused(amount):
    with pytest.raises(ValidationError):
        report(amount=amount)


def test_naive_occurred_at_is_refused():
    with pytest.raises(ValidationError) as caught:
        report(occurred_at=datetime(2026, 11, 11, 10, 0))
    assert "occurred_at" in error_fields(caught)


def test_naive_occurred_at_string_is_refused():
    with pytest.raises(ValidationError):
        report(occurred_at="2026-11-11T10:00:00")


def test_aware_occurred_at_is_kept():
    at = datetime(2026, 11, 11, 18, 0, tzinfo=timezone(timedelta(hours=8)))
    assert report(occurred_at=at).occurred_at == datetime(2026, 11, 11, 10, 0, tzinfo=UTC)
    assert report(occurred_at="2026-11-11T10:00:00Z").occurred_at == datetime(
        2026, 11, 11, 10, 0, tzinfo=UTC
    )


def test_customer_status_must_be_new_or_returning():
    assert report(customer_status="returning").customer_status == "returning"
    with pytest.raises(ValidationError):
        report(customer_status="vip")


# fingerprint --------------------------------------------------------------------------


def test_fingerprint_is_equal_for_equal_content():
    assert report().fingerprint() == report().fingerprint()


def test_fingerprint_does_not_depend_on_field_order():
    reordered = ConversionReport.model_validate(
        {"currency": "USD", "amount": "129.90", "order_id": "1001", "program_id": "prg_1"}
    )
    assert reordered.fingerprint() == report().fingerprint()


def test_fingerprint_ignores_currency_case_and_explicit_defaults():
    assert report(currency="usd").fingerprint() == report().fingerprint()
    assert report(event_type="sale").fingerprint() == report().fingerprint()
    assert report(click_id=None).fingerprint() == report().fingerprint()


def test_fingerprint_changes_when_the_amount_changes():
    assert report(amount="129.91").fingerprint() != report().fingerprint()


def test_fingerprint_changes_when_another_field_changes():
    assert report(order_id="1002").fingerprint() != report().fingerprint()
    assert report(promo_code="SAVE10").fingerprint() != report().fingerprint()


def test_fingerprint_is_equal_for_the_same_amount_written_with_another_scale():
    # "129.9" and "129.90" are the same order value; a retry that formats it differently
    # is not a changed request.
    assert report(amount="129.9").fingerprint() == report(amount="129.90").fingerprint()


def test_fingerprint_is_a_sha256_hex_digest():
    digest = report().fingerprint()
    assert len(digest) == 64
    assert int(digest, 16) >= 0


# reversal request ---------------------------------------------------------------------


def test_reversal_request_refuses_a_zero_amount_and_extra_fields():
    assert ReversalRequest(reason_code="returned").amount is None
    with pytest.raises(ValidationError):
        ReversalRequest(amount="0", reason_code="returned")
    with pytest.raises(ValidationError):
        ReversalRequest(reason_code="returned", refund_id="r1")
