"""The console's partner directory: partners who listed themselves, searched by words and
facets; a listed partner's profile; "partners like your best ones"; and Settings, Partner
types (the taxonomy, and the brand's own types)."""

from __future__ import annotations

from urllib.parse import urlencode

from babel import Locale
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from accord.contracts.service import list_contracts
from accord.errors import AccordError
from accord.partners import directory as d
from accord.partners import taxonomy
from accord.partners.types import add_type, brand_types
from accord.reports.service import top_partners
from accord.web import i18n
from accord.web.pages import (
    Form,
    SignedIn,
    back_to,
    locale_of,
    program_or_first,
    render,
    retry_with,
)

router = APIRouter(include_in_schema=False)

FACETS = ("group", "country", "vertical", "platform", "language", "audience", "badge")


class Words:
    """Names of the directory's codes in the page's language."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.zh = locale.startswith("zh")
        self.babel = Locale.parse(locale)
        self.gettext = i18n.translations(locale).gettext
        self.ngettext = i18n.translations(locale).ngettext
        self.fmt = i18n.Formatter(locale)

    def country(self, code: str) -> str:
        return self.babel.territories.get(code, code)

    def language(self, code: str) -> str:
        return self.babel.languages.get(code, code)

    def vertical(self, code: str) -> str:
        for c, en, zh in d.VERTICALS:
            if c == code:
                return zh if self.zh else en
        return code

    def platform(self, code: str) -> str:
        for c, en, zh in d.PLATFORMS:
            if c == code:
                return zh if self.zh else en
        return code

    def audience(self, code: str) -> str:
        for c, low, high in d.AUDIENCES:
            if c != code:
                continue
            if low == 0:
                return self.gettext("Under %(n)s") % {"n": self.fmt.number(high or 0)}
            if high is None:
                return self.gettext("%(n)s or more") % {"n": self.fmt.number(low)}
            return self.gettext("%(low)s to %(high)s") % {
                "low": self.fmt.number(low),
                "high": self.fmt.number(high),
            }
        return code

    def badge(self, code: str) -> str:
        if code.startswith("conversions_"):
            n = int(code.split("_")[1])
            return self.gettext("%(n)s+ verified conversions") % {"n": self.fmt.number(n)}
        if code == "low_reversals":
            return self.gettext("At most %(rate)s reversed") % {
                "rate": self.fmt.percent(d.LOW_REVERSALS)
            }
        if code.startswith("tenure_"):
            years = int(code.split("_")[1].rstrip("y"))
            return self.ngettext("%(n)s year in Accord", "%(n)s years in Accord", years) % {
                "n": years
            }
        return code

    def value(self, facet: str, code: str) -> str:
        if facet in ("group", "type"):
            return taxonomy.name(code, self.locale)
        return getattr(self, facet)(code)

    def reason(self, kind: str, value: str) -> str:
        if kind == "type":
            return self.gettext("the same type: %(type)s") % {
                "type": taxonomy.name(value, self.locale)
            }
        if kind == "group":
            return self.gettext("a type of the same group: %(group)s") % {
                "group": taxonomy.name(value, self.locale)
            }
        if kind == "country":
            return self.gettext("promotes to %(country)s") % {"country": self.country(value)}
        if kind == "vertical":
            return self.gettext("works in %(vertical)s") % {"vertical": self.vertical(value)}
        if kind == "platform":
            return self.gettext("publishes on %(platform)s") % {"platform": self.platform(value)}
        if kind == "language":
            return self.gettext("writes in %(language)s") % {"language": self.language(value)}
        if kind == "audience":
            return self.gettext("an audience of the same size (%(range)s)") % {
                "range": self.audience(value)
            }
        return value


def _query(params) -> d.DirectoryQuery:
    try:
        page = int(params.get("page") or 1)
    except ValueError:
        page = 1
    return d.DirectoryQuery(
        text=params.get("q") or "",
        partner_type=params.get("type") or params.get("group") or "",
        country=params.get("country") or "",
        language=params.get("language") or "",
        vertical=params.get("vertical") or "",
        platform=params.get("platform") or "",
        audience=params.get("audience") or "",
        badge=params.get("badge") or "",
        sort=params.get("sort") or "",
        page=page,
    )


@router.get("/console/directory")
def directory_page(request: Request, visitor: SignedIn, program: str | None = None):
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    locale = locale_of(request)
    params = dict(request.query_params)
    error = None
    program_id = current.id if current else None
    outside = params.get("outside") == "1"
    try:
        query = _query(params)
        page = d.search(store, visitor.caller, query, program_id, outside=outside)
    except AccordError as exc:
        error = exc
        query = d.DirectoryQuery()
        page = d.search(store, visitor.caller, query, program_id, outside=outside)
    kept = {k: v for k, v in params.items() if v and k not in ("page",)}

    def link(**changes) -> str:
        wanted = {**kept, **changes}
        if "type" in changes or "group" in changes:
            wanted.pop("group" if "type" in changes else "type", None)
        wanted = {k: v for k, v in wanted.items() if v}
        return "/console/directory?" + urlencode(wanted)

    back_to(request, link(page=str(query.page)) if query.page > 1 else link())
    return render(
        request,
        "directory.html",
        visitor=visitor,
        programs=programs,
        current=current,
        section="directory",
        page=page,
        params=kept,
        link=link,
        words=Words(locale),
        types=brand_types(store, visitor.caller, locale),
        verticals=d.VERTICALS,
        platforms=d.PLATFORMS,
        audiences=[a[0] for a in d.AUDIENCES],
        sorts=d.SORTS,
        facet_order=FACETS,
        error=error,
        filtered=any(kept.get(k) for k in (*FACETS, "type", "q", "outside")),
    )


@router.get("/console/directory/suggestions")
def suggestions_page(request: Request, visitor: SignedIn, program: str | None = None):
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    locale = locale_of(request)
    top: list[tuple[str, int]] = []
    found: list[d.Suggestion] = []
    names: dict[str, str] = {}
    if current is not None:
        top = top_partners(store, visitor.caller, current.id)
        found = d.suggest(store, visitor.caller, current.id, top)
        from accord.partners.service import partner_names

        names = partner_names(store, visitor.caller, [pid for pid, _ in top])
    return render(
        request,
        "directory_suggestions.html",
        visitor=visitor,
        programs=programs,
        current=current,
        section="directory",
        top=[(pid, names.get(pid, pid), revenue) for pid, revenue in top],
        suggestions=found,
        words=Words(locale),
    )


def profile_view(request: Request, visitor, partner_id: str, program: str | None, *,
                 error=None, status: int = 200, invite_form=None, invited=False):  # fmt: skip
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    shown = d.listed_profile(store, visitor.caller, partner_id, current.id if current else None)
    contracts = list_contracts(store, visitor.caller, current.id) if current else []
    return render(
        request,
        "directory_profile.html",
        http_status=status,
        visitor=visitor,
        programs=programs,
        current=current,
        section="directory",
        contracts=contracts,
        error=error,
        invite_form=invite_form or {},
        invited=invited,
        p=shown,
        taxonomy_group=taxonomy.group_of(shown.partner_type),
        words=Words(locale_of(request)),
    )


@router.get("/console/directory/{partner_id}")
def profile_page(request: Request, visitor: SignedIn, partner_id: str,
                 program: str | None = None, invited: int = 0):  # fmt: skip
    return profile_view(request, visitor, partner_id, program, invited=bool(invited))


# --- Settings, Partner types --------------------------------------------------------------


def types_page(request: Request, visitor, *, form=None, error=None, added=None,
               status: int = 200):  # fmt: skip
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, request.query_params.get("program"))
    return render(
        request,
        "partner_types.html",
        http_status=status,
        visitor=visitor,
        programs=programs,
        current=current,
        section="partner-types",
        groups=brand_types(store, visitor.caller, locale_of(request)),
        form=form or {},
        error=error,
        added=added,
    )


@router.get("/console/settings/partner-types")
def partner_types(request: Request, visitor: SignedIn, added: str | None = None):
    return types_page(request, visitor, added=added)


@router.post("/console/settings/partner-types")
def add_partner_type(request: Request, visitor: SignedIn, form: Form):
    def again(error: AccordError):
        return types_page(request, visitor, form=form, error=error, status=error.status)

    retry_with(request, again)
    made = add_type(
        request.app.state.store,
        visitor.caller,
        code=form.get("code", ""),
        group=form.get("group", ""),
        name_en=form.get("name_en", ""),
        name_zh=form.get("name_zh", ""),
    )
    return RedirectResponse(f"/console/settings/partner-types?added={made.code}", status_code=303)
