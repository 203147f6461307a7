"""API keys (issue, parse, check) and identifiers."""

from __future__ import annotations

import time

import pytest

from accord.errors import Unauthenticated
from accord.ids import new_id, short_code, ulid
from accord.tenancy.model import (
    Caller,
    OrganizationKind,
    hash_secret,
    issue_key,
    parse_token,
    secret_matches,
)

CROCKFORD = set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")


# API keys -----------------------------------------------------------------------------


def test_issued_token_parses_back_to_its_key_id_and_secret():
    for _ in range(50):  # secrets may contain '_' and '-'; the split must still hold
        issued = issue_key()
        key_id, secret = parse_token(issued.token)
        assert key_id == issued.key_id
        assert issued.token == f"acc_{key_id}_{secret}"
        assert secret_matches(secret, issued.secret_hash)


def test_issued_keys_are_distinct_and_store_only_a_hash():
    a, b = issue_key(), issue_key()
    assert a.key_id != b.key_id
    assert a.token != b.token
    _, secret = parse_token(a.token)
    assert secret not in a.secret_hash
    assert a.secret_hash == hash_secret(secret)


def test_secret_matches_is_false_for_a_wrong_secret():
    issued = issue_key()
    _, secret = parse_token(issued.token)
    other = issue_key()
    _, other_secret = parse_token(other.token)
    assert not secret_matches(other_secret, issued.secret_hash)
    assert not secret_matches(secret + "x", issued.secret_hash)
    assert not secret_matches(secret[:-1], issued.secret_hash)
    assert not secret_matches("", issued.secret_hash)


def test_parse_token_keeps_underscores_inside_the_secret():
    assert parse_token("acc_k1_se_cr_et") == ("k1", "se_cr_et")


@pytest.mark.parametrize(
    "token",
    [
        "",
        "acc",
        "acc_",
        "acc_abc",
        "acc__secret",
        "acc_abc_",
        "key_abc_secret",
        "ACC_abc_secret",
        "Bearer acc_abc_secret",
        "abc_secret",
    ],
)
def test_malformed_tokens_raise_unauthenticated(token):
    with pytest.raises(Unauthenticated) as caught:
        parse_token(token)
    assert caught.value.status == 401
    assert caught.value.code == "unauthenticated"


@pytest.mark.parametrize(
    ("kind", "is_brand"),
    [
        (OrganizationKind.BRAND, True),
        (OrganizationKind.AGENCY, True),
        (OrganizationKind.PARTNER, False),
    ],
)
def test_caller_is_brand_for_brands_and_agencies_only(kind, is_brand):
    assert Caller("org_1", kind).is_brand is is_brand


# identifiers --------------------------------------------------------------------------


def test_ulid_is_26_crockford_characters():
    value = ulid()
    assert len(value) == 26
    assert set(value) <= CROCKFORD


def test_ulids_sort_by_creation_time():
    first = ulid()
    time.sleep(0.003)
    second = ulid()
    assert first < second


def test_new_id_has_the_prefix():
    value = new_id("cnv")
    assert value.startswith("cnv_")
    assert len(value) == 4 + 26


def test_short_code_is_lower_case_from_the_alphabet():
    codes = [short_code() for _ in range(100)]
    assert all(len(c) == 8 for c in codes)
    assert all(set(c) <= {ch.lower() for ch in CROCKFORD} for c in codes)
    assert len(short_code(12)) == 12
    assert len(set(codes)) > 95


def test_ids_stay_unique_across_refills_threads_and_a_fork():
    import os
    import threading

    from accord.ids import ulid

    seen: list[str] = []
    workers = [threading.Thread(target=lambda: seen.extend(ulid() for _ in range(5000)))
               for _ in range(4)]  # fmt: skip
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert len(set(seen)) == len(seen) == 20_000  # many refills of the 4 KiB pool
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child's ids must not repeat the parent's buffered randomness
        os.write(write, "".join(ulid() for _ in range(50)).encode())
        os._exit(0)
    os.waitpid(child, 0)
    os.close(write)
    theirs = os.read(read, 26 * 50).decode()
    mine = "".join(ulid() for _ in range(50))
    os.close(read)
    assert {theirs[i : i + 26][10:] for i in range(0, len(theirs), 26)}.isdisjoint(
        {mine[i : i + 26][10:] for i in range(0, len(mine), 26)}
    )
