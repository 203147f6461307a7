"""Hand-off, the rules: a contact as a CRM takes it (HubSpot's contact properties,
Salesforce's Lead fields, or Accord's own shape), and an outcome as a CRM reports it back
(HubSpot's lifecycle stages and lead statuses, Salesforce's lead statuses, or Accord's
stages). Pure: no database, no web.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: The shapes a hand-off is sent in.
FORMATS = ("hubspot", "salesforce", "accord")

#: Accord's stages as HubSpot's `lifecyclestage` values.
HUBSPOT_STAGES = {
    "new": "lead",
    "mql": "marketingqualifiedlead",
    "sql": "salesqualifiedlead",
    "opportunity": "opportunity",
    "customer": "customer",
    "lost": "other",
}
#: Accord's stages as Salesforce's standard lead `Status` picklist.
SALESFORCE_STATUS = {
    "new": "Open - Not Contacted",
    "mql": "Open - Not Contacted",
    "sql": "Working - Contacted",
    "opportunity": "Working - Contacted",
    "customer": "Closed - Converted",
    "lost": "Closed - Not Converted",
}
#: What a CRM's outcome means as an Accord stage (keys lower case, spaces kept).
OUTCOMES = {
    "sql": "sql", "salesqualifiedlead": "sql", "sales qualified lead": "sql",
    "working - contacted": "sql", "working": "sql", "in_progress": "sql", "connected": "sql",
    "opportunity": "opportunity", "open_deal": "opportunity",
    "won": "customer", "customer": "customer", "closed won": "customer",
    "closed - converted": "customer", "converted": "customer",
    "lost": "lost", "closed lost": "lost", "closed - not converted": "lost",
    "unqualified": "lost", "bad_timing": "lost", "disqualified": "lost",
}  # fmt: skip

_CJK = re.compile(r"[\u3400-\u9fff]")


def split_name(name: str | None) -> tuple[str, str]:
    """(first name, last name): a Chinese name's first character is the family name; a
    name in Latin letters ends with it. Either may be empty."""
    text = " ".join((name or "").split())
    if not text:
        return "", ""
    if _CJK.match(text) and " " not in text:
        return text[1:], text[:1]
    first, _, last = text.rpartition(" ")
    return (first, last) if first else ("", last)


@dataclass(frozen=True)
class Lead:
    """What a hand-off says of a contact."""

    contact_id: str
    name: str | None
    email: str | None
    phone: str | None
    company: str | None
    title: str | None
    industry: str | None
    company_size: int | None
    region: str | None
    city: str | None
    stage: str
    behaviour: int
    fit: int
    grade: str
    source: str | None
    campaign: str | None
    owner_email: str | None = None


def hubspot(lead: Lead) -> dict[str, Any]:
    """A HubSpot CRM v3 contact (`{"properties": ...}`), with Accord's id and scores as the
    custom properties `accord_contact_id`, `accord_score` and `accord_grade`."""
    first, last = split_name(lead.name)
    properties = {
        "email": lead.email, "firstname": first or None, "lastname": last or None,
        "phone": lead.phone, "company": lead.company, "jobtitle": lead.title,
        "industry": lead.industry, "numemployees": lead.company_size,
        "country": lead.region, "city": lead.city,
        "lifecyclestage": HUBSPOT_STAGES.get(lead.stage, "lead"),
        "hs_lead_status": "NEW", "hs_analytics_source_data_1": lead.source,
        "accord_contact_id": lead.contact_id, "accord_score": lead.behaviour,
        "accord_grade": lead.grade, "accord_campaign": lead.campaign,
    }  # fmt: skip
    return {"properties": {k: v for k, v in properties.items() if v not in (None, "")}}


def salesforce(lead: Lead) -> dict[str, Any]:
    """A Salesforce Lead (the sObject's fields), with Accord's id and scores in the custom
    fields `Accord_Contact_Id__c`, `Accord_Score__c` and `Accord_Grade__c`. Salesforce
    requires a last name and a company: `[not provided]` stands in, as web-to-lead does."""
    first, last = split_name(lead.name)
    if not last:
        last = (lead.email or "").partition("@")[0] or "[not provided]"
    fields = {
        "FirstName": first or None, "LastName": last, "Email": lead.email,
        "Phone": lead.phone, "Company": lead.company or "[not provided]",
        "Title": lead.title, "Industry": lead.industry,
        "NumberOfEmployees": lead.company_size, "Country": lead.region, "City": lead.city,
        "LeadSource": lead.source, "Status": SALESFORCE_STATUS.get(lead.stage),
        "Rating": {"A": "Hot", "B": "Warm"}.get(lead.grade, "Cold"),
        "Accord_Contact_Id__c": lead.contact_id, "Accord_Score__c": lead.behaviour,
        "Accord_Grade__c": lead.grade,
    }  # fmt: skip
    return {k: v for k, v in fields.items() if v not in (None, "")}


def accord(lead: Lead) -> dict[str, Any]:
    """Accord's own shape: every field by its name."""
    return {k: v for k, v in lead.__dict__.items() if v not in (None, "")}


def shaped(lead: Lead, shape: str) -> dict[str, Any]:
    return {"hubspot": hubspot, "salesforce": salesforce}.get(shape, accord)(lead)


#: The CSV columns of each shape, in the CRM's import order.
CSV_COLUMNS = {
    "hubspot": ("email", "firstname", "lastname", "phone", "company", "jobtitle", "industry",
                "numemployees", "country", "city", "lifecyclestage", "hs_lead_status",
                "hs_analytics_source_data_1", "accord_contact_id", "accord_score",
                "accord_grade", "accord_campaign"),
    "salesforce": ("FirstName", "LastName", "Email", "Phone", "Company", "Title", "Industry",
                   "NumberOfEmployees", "Country", "City", "LeadSource", "Status", "Rating",
                   "Accord_Contact_Id__c", "Accord_Score__c", "Accord_Grade__c"),
    "accord": ("contact_id", "name", "email", "phone", "company", "title", "industry",
               "company_size", "region", "city", "stage", "behaviour", "fit", "grade",
               "source", "campaign", "owner_email"),
}  # fmt: skip


def csv_row(lead: Lead, shape: str) -> dict[str, Any]:
    found = shaped(lead, shape)
    return found["properties"] if shape == "hubspot" else found


# outcomes ---------------------------------------------------------------------------------
class BadOutcome(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Outcome:
    """What sales made of a lead: its contact (by Accord's id, or an e-mail), the stage it
    reached, the amount of a deal and the reason of a loss."""

    contact_id: str | None
    email: str | None
    stage: str
    amount: str | None = None
    currency: str | None = None
    reason: str | None = None


#: Column names a CRM export may use for each of an outcome's fields (lower case).
_NAMES = {
    "contact_id": ("contact_id", "accord_contact_id", "accord_contact_id__c", "accord contact id"),
    "email": ("email", "email address", "e-mail"),
    "stage": ("outcome", "stage", "status", "lead status", "lifecycle stage", "lifecyclestage",
              "hs_lead_status", "deal stage", "dealstage"),
    "amount": ("amount", "deal amount", "opportunity amount", "expected revenue"),
    "currency": ("currency", "currencyisocode", "deal currency code"),
    "reason": ("reason", "closed lost reason", "lost reason", "disqualified reason",
               "closed_lost_reason"),
}  # fmt: skip


def outcome_of(row: Mapping[str, Any]) -> Outcome:
    """An outcome from a CSV row or a JSON object in any of the CRMs' column names
    (raises BadOutcome naming the field)."""
    lower = {str(k).strip().lower(): v for k, v in row.items() if k is not None}

    def pick(field: str) -> str | None:
        for name in _NAMES[field]:
            value = lower.get(name)
            if value not in (None, ""):
                return str(value).strip()
        return None

    contact_id, email = pick("contact_id"), pick("email")
    if not contact_id and not email:
        raise BadOutcome("contact_id", "give the contact's Accord id or its e-mail")
    said = pick("stage")
    if not said:
        raise BadOutcome("outcome", "say what sales made of it: opportunity, won or lost")
    stage = OUTCOMES.get(said.lower())
    if stage is None:
        raise BadOutcome("outcome", f"{said!r} is not an outcome Accord knows: use sql, "
                         "opportunity, won or lost (or the CRM's own status)")  # fmt: skip
    amount = pick("amount")
    if amount and stage not in ("opportunity", "customer"):
        raise BadOutcome("amount", "only an opportunity or a won deal has an amount")
    return Outcome(contact_id, email.lower() if email else None, stage, amount,
                   (pick("currency") or "").upper() or None, pick("reason"))  # fmt: skip
