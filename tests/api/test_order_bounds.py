"""What a program accepts as an order: carts that add up, amounts it can pay to the cent,
orders no larger than its maximum, times that make sense. Everything refused is kept."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from accord.commissions.tables import Commission
from accord.conversions.model import ConversionReport, check_order_total
from accord.errors import InvalidInput
from tests.factories import add_partner, make_brand

ITEM_RULES = {
    "rules": [
        {
            "event_type": "sale",
            "basis": "item",
            "percent": "12",
            "when": {"categories": {"include": ["tents"]}},
        },
        {"event_type": "sale", "percent": "5"},
    ]
}


@pytest.fixture
def shop(store, client):
    brand = make_brand(store, terms=ITEM_RULES)
    partner = add_partner(brand)
    client.headers["authorization"] = f"Bearer {brand.api_key}"
    return brand, partner, client


def _order(brand, partner, order_id, amount, **extra):
    return {
        "program_id": brand.program_id,
        "order_id": order_id,
        "amount": amount,
        "currency": brand.currency,
        "promo_code": None,
        **extra,
    }


def _send(client, body):
    body = {k: v for k, v in body.items() if v is not None}
    return client.post("/api/v1/conversions", json=body)


def _refused(response, field):
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == field, error
    assert error["rejected_event_id"].startswith("rej_")
    return error


def test_an_item_priced_far_above_the_order_earns_nothing(shop):
    brand, partner, client = shop
    huge = [{"sku": "TENT-1", "category": "tents", "quantity": 1, "price": "99999999999999.99"}]
    response = _send(client, _order(brand, partner, "BIG-1", "10.00", items=huge))
    error = _refused(response, "items")
    assert "10.00" in error["message"]
    commissions = client.get(f"/api/v1/commissions?program_id={brand.program_id}").json()
    assert commissions["data"] == []
    kept = client.get("/api/v1/rejected-events").json()["data"]
    assert error["rejected_event_id"] in [r["id"] for r in kept]


def test_lines_shipping_tax_and_discount_must_add_up_to_the_amount(shop):
    brand, partner, client = shop
    items = [
        {"sku": "TENT-1", "category": "tents", "quantity": 2, "price": "150.00"},
        {"sku": "MUG", "category": "kitchen", "quantity": 1, "price": "12.50"},
    ]
    # 300.00 + 12.50 + 9.90 shipping + 25.00 tax - 30.00 discount = 317.40
    ok = _send(
        client,
        _order(
            brand,
            partner,
            "CART-1",
            "317.40",
            items=items,
            shipping="9.90",
            tax="25.00",
            discount="30.00",
        ),
    )
    assert ok.status_code == 201, ok.text
    # Without the named fields the same cart is 5% off the amount: refused.
    _refused(_send(client, _order(brand, partner, "CART-2", "317.40", items=items)), "items")
    # Within the program's 1% tolerance (a rounding difference): accepted.
    near = _send(client, _order(brand, partner, "CART-3", "314.00", items=items))
    assert near.status_code == 201, near.text


def test_a_retry_of_an_order_sent_before_shipping_existed_is_still_the_same_request(shop):
    brand, partner, client = shop
    first = _send(client, _order(brand, partner, "R-1", "20.00"))
    again = _send(client, _order(brand, partner, "R-1", "20.00", shipping="0", tax="0.00"))
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["duplicate"] is True


def test_an_order_above_the_programs_maximum_is_refused_until_the_brand_raises_it(shop):
    brand, partner, client = shop
    program = client.get(f"/api/v1/programs/{brand.program_id}").json()
    assert program["max_order_amount"] == {"amount": "1000000.00", "currency": "USD"}
    error = _refused(_send(client, _order(brand, partner, "HUGE-1", "2000000.00")), "amount")
    assert "1000000.00 USD" in error["message"]
    raised = client.patch(
        f"/api/v1/programs/{brand.program_id}", json={"max_order_amount": "5000000"}
    )
    assert raised.status_code == 200, raised.text
    assert _send(client, _order(brand, partner, "HUGE-2", "2000000.00")).status_code == 201


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        ("0.001", "USD"),
        ("10.005", "USD"),
        ("10.5", "JPY"),
        ("\uff11\uff12\uff13", "USD"),  # full-width digits
        ("\u0661\u0662\u0663", "USD"),  # Arabic-Indic digits
        ("1e3", "USD"),
        (" 12", "USD"),
        ("12,50", "EUR"),
    ],
)
def test_an_amount_the_currency_cannot_hold_exactly_is_refused_not_rounded(
    store, client, amount, currency
):
    brand = make_brand(store, currency=currency)
    client.headers["authorization"] = f"Bearer {brand.api_key}"
    body = {
        "program_id": brand.program_id,
        "order_id": "P-1",
        "amount": amount,
        "currency": currency,
    }
    _refused(client.post("/api/v1/conversions", json=body), "amount")


def test_amounts_the_currency_holds_are_taken_as_written(store, client):
    brand = make_brand(store)
    client.headers["authorization"] = f"Bearer {brand.api_key}"
    for order_id, amount, stored in [
        ("A", "10.50", "10.50"),
        ("B", "10.500", "10.50"),
        ("C", 129.9, "129.90"),
        ("D", 7, "7.00"),
    ]:
        body = {
            "program_id": brand.program_id,
            "order_id": order_id,
            "amount": amount,
            "currency": "USD",
        }
        response = client.post("/api/v1/conversions", json=body)
        assert response.status_code == 201, response.text
        assert response.json()["amount"] == {"amount": stored, "currency": "USD"}


def test_an_item_price_with_more_decimals_than_the_currency_is_refused(shop):
    brand, partner, client = shop
    items = [{"sku": "X", "quantity": 3, "price": "3.333"}]
    _refused(_send(client, _order(brand, partner, "I-1", "10.00", items=items)), "items[0].price")


@pytest.mark.parametrize(
    "when", ["1970-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "2022-06-01T00:00:00Z"]
)
def test_a_conversion_from_long_ago_is_refused(shop, when):
    brand, partner, client = shop
    _refused(
        _send(client, _order(brand, partner, "OLD-1", "10.00", occurred_at=when)), "occurred_at"
    )


def test_the_summary_flags_a_commission_larger_than_its_order(shop, store):
    brand, partner, client = shop
    code = client.post(
        "/api/v1/promo-codes",
        json={"program_id": brand.program_id, "partner_id": partner.id, "code": "FLAG10"},
    )
    assert code.status_code == 201, code.text
    credited = _send(client, _order(brand, partner, "F-2", "100.00", promo_code="FLAG10"))
    [commission] = credited.json()["commissions"]
    commission_id = commission["id"]
    summary = client.get(f"/api/v1/programs/{brand.program_id}/summary").json()
    assert summary["checks"]["commissions_within_orders"] is True
    with store.unit() as session:  # what a defect in the terms engine would have written
        session.execute(
            update(Commission)
            .where(Commission.id == commission_id)
            .values(original_minor=10_000_00, version=Commission.version + 1)
        )
    summary = client.get(f"/api/v1/programs/{brand.program_id}/summary").json()
    assert summary["checks"]["commissions_within_orders"] is False


def test_patching_a_setting_to_null_is_refused_and_changes_nothing(shop):
    brand, _, client = shop
    url = f"/api/v1/programs/{brand.program_id}"
    assert client.patch(url, json={"permitted_domains": ["shop.example"]}).status_code == 200
    for field in ("permitted_domains", "name", "locking_days", "payout_threshold", "description"):
        response = client.patch(url, json={field: None})
        assert response.status_code == 422, (field, response.text)
        assert response.json()["error"]["field"] == field
    assert client.get(url).json()["permitted_domains"] == ["shop.example"]


_money = st.decimals(
    min_value=0, max_value=100_000, places=2, allow_nan=False, allow_infinity=False
)


@settings(max_examples=300, deadline=None)
@given(
    prices=st.lists(st.tuples(_money, st.integers(1, 20)), min_size=1, max_size=8),
    shipping=_money,
    tax=_money,
    discount_share=st.decimals(min_value=0, max_value=1, places=2),
    off_by=st.decimals(min_value=Decimal("-50000"), max_value=Decimal("50000"), places=2),
)
def test_a_cart_is_accepted_exactly_when_it_adds_up_within_the_tolerance(
    prices, shipping, tax, discount_share, off_by
):
    lines = sum((p * q for p, q in prices), Decimal(0))
    discount = (lines * discount_share).quantize(Decimal("0.01"))
    exact = lines + shipping + tax - discount
    amount = exact + off_by
    if amount < 0:
        return
    report = ConversionReport(
        program_id="prg_x",
        order_id="o",
        amount=amount,
        currency="USD",
        items=[{"sku": f"S{i}", "quantity": q, "price": p} for i, (p, q) in enumerate(prices)],
        shipping=shipping,
        tax=tax,
        discount=discount,
    )
    allowed = max(amount / 100, Decimal("0.01") * len(prices))
    if abs(off_by) <= allowed:
        check_order_total(report, Decimal(1))
    else:
        with pytest.raises(InvalidInput) as refused:
            check_order_total(report, Decimal(1))
        assert refused.value.field == "items"
