"""Payout methods partners of brands selling abroad use: Alipay and WeChat Pay (with the
real name on the account), Payoneer, and SWIFT wires with what a bank needs; each checked
before it is kept, shown masked, and in the batch's CSV."""

from __future__ import annotations

import csv
import io

import pytest

from accord.commissions.service import approve, lock_due
from accord.errors import InvalidInput
from accord.partners.service import masked_details, set_payout_method
from accord.payouts.exports import batch_csv
from accord.payouts.service import run_batch
from tests.factories import add_partner, click, convert, make_brand

SWIFT = {"method": "swift", "account_name": "Shenzhen Trail Media Ltd",
         "account_number": "012 345 678 901", "swift_bic": "HSBCHKHHHKH",
         "bank_name": "HSBC Hong Kong", "bank_address": "1 Queen's Road Central, Hong Kong",
         "bank_country": "hk"}  # fmt: skip


@pytest.mark.parametrize(
    ("data", "kept"),
    [
        ({"method": "alipay", "alipay_account": "138 0013 8000", "account_name": "李娜"},
         {"alipay_account": "13800138000", "account_name": "李娜"}),
        ({"method": "wechat_pay", "wechat_id": "lina_trail", "account_name": "李娜"},
         {"wechat_id": "lina_trail", "account_name": "李娜"}),
        ({"method": "payoneer", "payoneer_email": "lina@trail.example"},
         {"payoneer_email": "lina@trail.example"}),
        (SWIFT, {"account_name": "Shenzhen Trail Media Ltd", "account_number": "012345678901",
                 "swift_bic": "HSBCHKHHHKH", "bank_name": "HSBC Hong Kong",
                 "bank_address": "1 Queen's Road Central, Hong Kong", "bank_country": "HK"}),
    ],
)  # fmt: skip
def test_each_method_keeps_what_pays_the_partner(store, data, kept):
    brand = make_brand(store)
    partner = add_partner(brand)
    saved = set_payout_method(store, partner.caller, data)
    assert saved.payout_method == data["method"] and saved.payout_details == kept


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"method": "alipay", "alipay_account": "13800138000"}, "account_name"),
        ({"method": "alipay", "alipay_account": "not an account", "account_name": "李娜"},
         "alipay_account"),
        ({"method": "wechat_pay", "wechat_id": "9abc", "account_name": "李娜"}, "wechat_id"),
        ({"method": "payoneer", "payoneer_email": "lina"}, "payoneer_email"),
        (SWIFT | {"swift_bic": "HSBC"}, "swift_bic"),
        (SWIFT | {"account_number": "12"}, "account_number"),
        (SWIFT | {"bank_country": "Hong Kong"}, "bank_country"),
        ({k: v for k, v in SWIFT.items() if k != "bank_address"}, "bank_address"),
    ],
)  # fmt: skip
def test_a_wrong_or_missing_detail_is_named(store, data, field):
    brand = make_brand(store)
    partner = add_partner(brand)
    with pytest.raises(InvalidInput) as refused:
        set_payout_method(store, partner.caller, data)
    assert refused.value.field == field


def test_details_are_shown_masked_and_the_batch_csv_carries_them(store):
    assert masked_details({"alipay_account": "13800138000"}) == {"alipay_account": "**** 8000"}
    assert masked_details({"payoneer_email": "lina@trail.example"}) == {
        "payoneer_email": "l***@trail.example"}  # fmt: skip
    brand = make_brand(store, locking_days=0)
    partner = add_partner(brand, name="Trail Media")
    set_payout_method(store, partner.caller, SWIFT)
    convert(brand, amount="300.00", click_id=click(brand, partner))
    lock_due(store, brand.caller, brand.program_id)
    approve(store, brand.caller, brand.program_id)
    batch = run_batch(store, brand.caller, brand.program_id).batch
    [columns] = list(csv.DictReader(io.StringIO(batch_csv(store, brand.caller, batch.id))))
    assert columns["method"] == "swift" and columns["bic"] == "HSBCHKHHHKH"
    assert columns["account_number"] == "012345678901" and columns["bank_country"] == "HK"
    assert columns["bank_name"] == "HSBC Hong Kong"
    assert columns["bank_address"] == "1 Queen's Road Central, Hong Kong"
