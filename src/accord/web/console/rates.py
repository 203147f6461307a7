"""The console's exchange rates: the rate in force for each pair, every rate entered, and a
form to enter one (from a date, or from now). Earlier figures keep the rate they used."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from accord.errors import AccordError, InvalidInput
from accord.fx.service import list_rates, set_rate
from accord.web.pages import Form, SignedIn, program_or_first, render, retry_with, said

router = APIRouter(include_in_schema=False)


def pairs_in_force(rates, now: datetime) -> list[dict]:
    """Per pair, the rate in force now (the latest that has begun) and any that begin later."""
    out: dict[tuple[str, str], dict] = {}
    for rate in rates:  # ordered by pair, then effective moment
        empty = {"base": rate.base, "quote": rate.quote, "now": None, "later": [], "count": 0}
        pair = out.setdefault((rate.base, rate.quote), empty)
        pair["count"] += 1
        if rate.effective_from <= now:
            pair["now"] = rate
        else:
            pair["later"].append(rate)
    return list(out.values())


def rates_page(request: Request, visitor, program: str | None, *, form=None, error=None,
               field=None, added=None, status: int = 200):  # fmt: skip
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    rates = list_rates(store, visitor.caller)
    return render(
        request,
        "exchange_rates.html",
        http_status=status,
        visitor=visitor,
        programs=programs,
        current=current,
        section="exchange-rates",
        pairs=pairs_in_force(rates, store.clock.now()),
        history=sorted(rates, key=lambda r: r.created_at, reverse=True)[:200],
        total=len(rates),
        form=form or {},
        error=error,
        field=field,
        added=added,
        currency=current.currency if current else None,
    )


@router.get("/console/settings/exchange-rates")
def exchange_rates(request: Request, visitor: SignedIn, program: str | None = None,
                   added: str | None = None):  # fmt: skip
    return rates_page(request, visitor, program, added=added)


@router.post("/console/settings/exchange-rates")
def add_rate(request: Request, visitor: SignedIn, form: Form):
    program = form.get("program") or None

    def again(error: AccordError):
        return rates_page(request, visitor, program, form=form, error=said(request, error),
                          field=error.field, status=error.status)  # fmt: skip

    retry_with(request, again)
    effective = None
    typed = (form.get("effective_from") or "").strip()
    if typed:
        try:
            day = date.fromisoformat(typed)
        except ValueError:
            return again(InvalidInput("effective_from", "expected a date like 2026-12-01"))
        effective = datetime(day.year, day.month, day.day, tzinfo=UTC)
    rate = (form.get("rate") or "").strip().replace(",", ".")
    row = set_rate(request.app.state.store, visitor.caller, (form.get("base") or "").strip(),
                   (form.get("quote") or "").strip(), rate, effective)  # fmt: skip
    target = f"/console/settings/exchange-rates?added={row.base}-{row.quote}"
    if program:
        target += f"&program={program}"
    return RedirectResponse(target, status_code=303)
