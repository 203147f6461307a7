"""The portal's profile: what a partner tells brands about itself, and whether it is
listed in the partner directory that every brand on this Accord searches."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from accord.errors import AccordError
from accord.partners import directory as d
from accord.partners.service import partner_enrollments
from accord.partners.types import type_groups
from accord.web.console.directory import Words
from accord.web.pages import FormPairs, SignedIn, locale_of, portal_page, retry_with

router = APIRouter(include_in_schema=False)


def _codes(text: str) -> list[str]:
    return [c for c in re.split(r"[\s,;\u3001\uff0c]+", text or "") if c]


def _badges(profile) -> list[str]:
    if profile is None:
        return []
    return d.badges_of(profile.verified_conversions, profile.reversal_rate, profile.tenure_months)


def profile_form(partner, profile) -> dict:
    """The stored profile as the form's fields."""
    if profile is None:
        return {"partner_type": partner.partner_type, "countries": partner.country or ""}
    form = {
        "partner_type": partner.partner_type,
        "listed": "1" if profile.listed else "",
        "headline": profile.headline or "",
        "about": profile.about or "",
        "countries": ", ".join(profile.countries or []),
        "languages": ", ".join(profile.languages or []),
        "verticals": list(profile.verticals or []),
        "site_rank": str(profile.site_rank or ""),
        "monthly_visits": str(profile.monthly_visits or ""),
        "contact_name": profile.contact_name or "",
        "contact_email": profile.contact_email or "",
    }
    for k, v in (profile.audience or {}).items():
        form[f"audience.{k}"] = str(v)
    for k, v in (profile.social or {}).items():
        form[f"social.{k}"] = v
    return form


def profile_view(request: Request, visitor, *, form=None, error=None, saved=False,
                 status: int = 200):  # fmt: skip
    store = request.app.state.store
    partner, profile = d.own_profile(store, visitor.caller)
    locale = locale_of(request)
    return portal_page(
        request,
        "portal/profile.html",
        visitor,
        partner_enrollments(store, visitor.caller),
        None,
        "profile",
        http_status=status,
        partner=partner,
        profile=profile,
        form=form if form is not None else profile_form(partner, profile),
        error=error,
        saved=saved,
        types=type_groups(locale),
        verticals=d.VERTICALS,
        platforms=d.PLATFORMS,
        words=Words(locale),
        badges=_badges(profile),
    )


@router.get("/portal/profile")
def profile_page(request: Request, visitor: SignedIn, saved: int = 0):
    return profile_view(request, visitor, saved=bool(saved))


@router.post("/portal/profile")
def save_profile(request: Request, visitor: SignedIn, pairs: FormPairs):
    form: dict = dict(pairs)
    form["verticals"] = [v for k, v in pairs if k == "verticals"]

    def again(error: AccordError):
        return profile_view(request, visitor, form=form, error=error, status=error.status)

    retry_with(request, again)
    data = d.ProfileIn(
        listed=bool(form.get("listed")),
        headline=form.get("headline", ""),
        about=form.get("about", ""),
        countries=_codes(form.get("countries", "")),
        languages=_codes(form.get("languages", "")),
        verticals=form["verticals"],
        audience={
            k.split(".", 1)[1]: v.strip()
            for k, v in pairs
            if k.startswith("audience.") and v.strip()
        },
        site_rank=form.get("site_rank") or None,
        monthly_visits=form.get("monthly_visits") or None,
        social={k.split(".", 1)[1]: v for k, v in pairs if k.startswith("social.") and v.strip()},
        contact_name=form.get("contact_name", ""),
        contact_email=form.get("contact_email", ""),
    )
    d.save_profile(request.app.state.store, visitor.caller, data, form.get("partner_type") or None)
    return RedirectResponse("/portal/profile?saved=1", status_code=303)
