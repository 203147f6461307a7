"""Partner-level fraud signals: one person or business behind several partner accounts of
the same program (a shared payout account, tax id, contact e-mail, company domain or
website, or a sign-in address, device or card seen on both accounts)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from accord.partners.service import account_fingerprints
from accord.programs.service import load_program
from accord.protect.marks import shared_marks
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand

#: What a shared fingerprint is, in words (English; pages translate).
SHARED = {
    "email": "contact e-mail",
    "email_domain": "e-mail domain",
    "website": "website",
    "iban": "bank account (IBAN)",
    "paypal_email": "PayPal account",
    "stripe_account_id": "Stripe account",
    "tax_id": "tax id",
    "sign_in_ip": "sign-in address",
    "ip": "address of its own orders",
    "device": "device",
    "payment": "payment card",
}


@dataclass(frozen=True)
class DuplicateAccount:
    """A partner that shares something identifying with other partners of the program."""

    partner_id: str
    others: tuple[str, ...]
    #: what they share: keys of SHARED
    shared: tuple[str, ...]


def duplicate_accounts(store: Store, caller: Caller, program_id: str) -> list[DuplicateAccount]:
    """Every partner of the program that shares something identifying (SHARED) with
    another, with those others and what they share."""
    require_brand(caller)
    with store.read() as session:
        program = load_program(session, caller, program_id)
        prints = account_fingerprints(session, program.id)
        for partner_id, marks in shared_marks(session, list(prints), store.clock.now()).items():
            prints[partner_id] |= marks
    holders: dict[str, set[str]] = defaultdict(set)
    for partner_id, found in prints.items():
        for fingerprint in found:
            holders[fingerprint].add(partner_id)
    out = []
    for partner_id in sorted(prints):
        others: set[str] = set()
        shared: set[str] = set()
        for fingerprint in prints[partner_id]:
            together = holders[fingerprint] - {partner_id}
            if together:
                others |= together
                shared.add(fingerprint.split(":", 1)[0])
        if others:
            out.append(DuplicateAccount(partner_id, tuple(sorted(others)), tuple(sorted(shared))))
    return out
