"""Partner types and enrollment statuses."""

from __future__ import annotations

from enum import StrEnum


class PartnerType(StrEnum):
    AFFILIATE = "affiliate"
    COUPON = "coupon"
    CASHBACK = "cashback"
    CONTENT = "content"
    INFLUENCER = "influencer"
    B2B_REFERRAL = "b2b_referral"
    RESELLER = "reseller"
    AGENCY = "agency"
    ADVOCATE = "advocate"


class EnrollmentStatus(StrEnum):
    APPLIED = "applied"
    APPROVED = "approved"
    DECLINED = "declined"
    SUSPENDED = "suspended"
