"""Run the demo: set up a program, drive clicks and conversions over HTTP, pay partners.

Everything a partner or brand engineer would do over the wire goes through the real HTTP
server on localhost: clicks on `GET /c/{code}`, conversions, retries and reversals on the
conversion API, then locking, approval and the payout batch on the commission API.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import httpx
import uvicorn

from accord.clock import ShiftableClock
from accord.contracts.service import add_version, create_contract
from accord.demo import cast
from accord.demo.directory import seed_directory, seed_messages, seed_recruiting
from accord.demo.leads import drive_leads, leads_summary
from accord.demo.materials import seed_materials
from accord.fx.service import set_rate
from accord.ids import short_code
from accord.money import Money
from accord.partners.service import (
    apply_to_program,
    create_partner,
    get_partner,
    set_payout_method,
    sign_up_partner,
)
from accord.programs.model import ProgramTerms
from accord.programs.service import create_program
from accord.protect.partner_risk import score_program
from accord.reports.monitoring import WatchedProgram
from accord.reports.service import Summary, program_summary
from accord.server import AccordApp
from accord.settings import Settings
from accord.store.engine import Store
from accord.tenancy.model import Caller, OrganizationKind
from accord.tenancy.service import authenticate, create_organization, create_user
from accord.tracking.service import create_link, create_promo_code

Progress = Callable[[str, int, int], None]  # (phase, done, total)

LOCKING_DAYS = 30
#: The demo's traffic is spread over this many days before today (fewer for tiny runs).
DAYS = 28
WINDOW_DAYS = 30


@dataclass
class DemoPartner:
    id: str
    name: str
    partner_type: str
    weight: float
    link_code: str
    promo_code: str | None
    api_key: str


@dataclass
class Traffic:
    clicks_sent: int = 0
    clicks_redirected: int = 0
    conversions_sent: int = 0
    conversions_created: int = 0
    duplicates_sent: int = 0
    duplicates_answered: int = 0
    reversals_sent: int = 0
    clawbacks_sent: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class DemoResult:
    summary: Summary
    traffic: Traffic
    wall_seconds: float
    base_url: str
    brand_api_key: str
    partner_api_key: str
    payouts: int
    documents: dict[str, str] = field(default_factory=dict)
    console_email: str = ""
    portal_email: str = ""
    #: contacts, by stage
    leads: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        s = self.summary
        return {
            "program_id": s.program_id,
            "currency": s.currency,
            "clicks": s.clicks,
            "unique_clicks": s.unique_clicks,
            "impressions": s.impressions,
            "conversions": s.conversions,
            "attributed_conversions": s.attributed_conversions,
            "revenue": str(s.revenue),
            "commissions": str(s.commissions),
            "pending": str(s.pending),
            "payable": str(s.payable),
            "paid": str(s.paid),
            "payouts": self.payouts,
            "ledger_balanced": s.ledger_balanced,
            "checks": s.checks,
            "http": {
                "clicks_sent": self.traffic.clicks_sent,
                "clicks_redirected": self.traffic.clicks_redirected,
                "conversions_sent": self.traffic.conversions_sent,
                "conversions_created": self.traffic.conversions_created,
                "retries_sent": self.traffic.duplicates_sent,
                "retries_answered_as_duplicates": self.traffic.duplicates_answered,
                "reversals_sent": self.traffic.reversals_sent,
                "clawbacks_sent": self.traffic.clawbacks_sent,
                "errors": self.traffic.errors[:20],
            },
            "by_partner_type": [r.as_dict() for r in s.by_partner_type],
            "top_partners": [r.as_dict() for r in s.top_partners],
            "wall_seconds": round(self.wall_seconds, 2),
            "api_url": self.base_url,
            "brand_api_key": self.brand_api_key,
            "partner_api_key": self.partner_api_key,
            "documents": self.documents,
            "console": {"email": self.console_email, "password": cast.CONSOLE_PASSWORD},
            "portal": {"email": self.portal_email, "password": cast.CONSOLE_PASSWORD},
            "leads": self.leads,
        }


class LocalServer:
    """The real ASGI app served by uvicorn on localhost, in a background thread."""

    def __init__(self, app: AccordApp, host: str, port: int) -> None:
        config = uvicorn.Config(
            app, host=host, port=port, log_level="warning", lifespan="on", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="accord-http", daemon=True)
        self.base_url = f"http://{host}:{port}"

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the HTTP server did not start on {self.base_url}; is the port in use? "
                    "Pass --port to choose another."
                )
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)

    def wait(self) -> None:
        while self.thread.is_alive():
            self.thread.join(0.5)


#: How long after their clicks the demo's shoppers order.
BUYING_TIME = timedelta(hours=2)


def sizes(scale: float) -> tuple[int, int]:
    """How many partners and clicks the demo has at `scale` (1 = 200 partners, 5,000 clicks)."""
    return max(5, round(200 * scale)), max(50, round(5000 * scale))


def run_demo(
    store: Store,
    settings: Settings,
    *,
    scale: float = 1.0,
    seed: int = 7,
    progress: Progress | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
) -> tuple[DemoResult, LocalServer]:
    """Run the whole lifecycle once; returns the result and the still-running server."""
    if not isinstance(store.clock, ShiftableClock):
        raise ValueError("the demo needs a store with a ShiftableClock to move time forward")
    started = time.perf_counter()
    report = progress or (lambda phase, done, total: None)
    rng = random.Random(seed)
    n_partners, n_clicks = sizes(scale)
    # The program starts the day before the traffic, which is spread over the last `days`
    # days a day at a time, so that the console's charts show a program with a history.
    days = max(1, min(DAYS, n_clicks // 50))
    store.clock.shift(-timedelta(days=days + 1))

    brand = create_organization(store, OrganizationKind.BRAND, cast.BRAND)
    console_email = f"manager+{brand.organization_id[-6:].lower()}@lumen-outdoor.example"
    create_user(store, brand.organization_id, console_email, cast.CONSOLE_PASSWORD)
    caller = authenticate(store, brand.api_key)
    program = create_program(
        store,
        caller,
        ProgramTerms(
            name=cast.PROGRAM,
            currency="USD",
            default_landing_url=cast.LANDING,
            attribution_window_days=WINDOW_DAYS,
            locking_days=LOCKING_DAYS,
            payout_threshold=Money.of("25", "USD"),
            listed=True,
            description=cast.PROGRAM_DESCRIPTION,
        ),
    )
    create_contract(store, caller, program.id, "Standard", cast.DEFAULT_RULES, is_default=True)
    contract_ids = {
        ptype: create_contract(store, caller, program.id, name, rules).id
        for ptype, (_, name, rules) in cast.CONTRACTS.items()
    }
    # Euro-zone orders are converted at the rate of the day; euro payouts back at its inverse.
    a_day_ago = store.clock.now() - timedelta(days=1)
    set_rate(store, caller, "EUR", "USD", cast.EUR_USD, a_day_ago)
    partners: list[DemoPartner] = []
    seeds = cast.partners(n_partners, rng)
    for i, seed_partner in enumerate(seeds, 1):
        new = create_partner(
            store,
            caller,
            program.id,
            name=seed_partner.name,
            partner_type=seed_partner.partner_type,
            country=seed_partner.country,
            contract_id=contract_ids[seed_partner.partner_type],
        )
        link = create_link(store, caller, program.id, partner_id=new.partner.id)
        if i % 2:  # half the partners are paid by PayPal, euro-zone ones in EUR
            euro = seed_partner.country in ("DE", "FR", "NL")
            set_payout_method(
                store,
                authenticate(store, new.api_key),
                {
                    "method": "paypal",
                    "paypal_email": f"payouts+{i}@partner.example",
                    **({"currency": "EUR"} if euro else {}),
                },
            )
        if seed_partner.promo_code:
            create_promo_code(
                store, caller, program.id, seed_partner.promo_code, partner_id=new.partner.id
            )
        partners.append(
            DemoPartner(
                new.partner.id,
                seed_partner.name,
                seed_partner.partner_type,
                seed_partner.weight,
                link.code,
                seed_partner.promo_code,
                new.api_key,
            )
        )
        report("partners", i, len(seeds))

    # The demo plays weeks of a whole program's traffic in a minute or two from one key and
    # one address: faster than the API's rate limits allow any one caller.
    settings = settings.model_copy(update={"trusted_proxies": ["127.0.0.1"], "rate_limits": False})
    server = LocalServer(AccordApp(store, settings), host, port)
    server.start()
    traffic = Traffic()
    watched = WatchedProgram(program.id, brand.organization_id, program.name, program.currency)
    try:
        with httpx.Client(
            base_url=server.base_url,
            timeout=30,
            headers={"authorization": f"Bearer {brand.api_key}"},
        ) as http:
            created: list[dict] = []
            store.clock.shift(timedelta(days=1))
            expected = _expected_conversions(n_clicks, days)
            for day, n_day in enumerate(_daily_clicks(n_clicks, days, store.clock.now(), rng)):
                clicks = _drive_clicks(
                    server.base_url, partners, n_day, rng, traffic, report, total=n_clicks
                )
                # shoppers buy a while after they click: orders seconds after their click
                # are what fraud protection's too-soon rule is for
                store.clock.shift(BUYING_TIME)
                created += _drive_conversions(
                    http, program.id, partners, clicks, rng, traffic, report,
                    tag=f"{day:02d}", total=expected,
                )  # fmt: skip
                # the daily pass scores each partner's risk, so its history has days
                score_program(store, watched, store.clock.now().date())
                store.clock.shift(timedelta(days=1) - BUYING_TIME)
            report("conversions", traffic.conversions_sent, traffic.conversions_sent)
            _drive_reversals(http, created, rng, traffic, report, clawback=False)
            # the brand's lead funnel: people from its site, a trade show, WeChat, stores
            drive_leads(http, rng, store.clock.now(), report)
            store.clock.shift(timedelta(days=LOCKING_DAYS + 1))
            report("lock, approve, pay", 0, 3)
            _ok(http.post("/api/v1/commissions/lock", json={"program_id": program.id}))
            report("lock, approve, pay", 1, 3)
            _ok(http.post("/api/v1/commissions/approve", json={"program_id": program.id}))
            report("lock, approve, pay", 2, 3)
            deposit = {
                "program_id": program.id,
                "amount": str(max(1000, round(20000 * scale, -3))),
                "reference": "WIRE-LUMEN-0001",
            }
            _ok(http.post("/api/v1/funding", json=deposit))  # the brand funds its payouts
            batch = _ok(http.post("/api/v1/payout-batches", json={"program_id": program.id}))
            report("lock, approve, pay", 3, 3)
            documents = _write_documents(http, settings.data_dir / "demo", batch)
            store.clock.shift(timedelta(days=2))
            _drive_reversals(http, created, rng, traffic, report, clawback=True)
            _ask_about_orders(server.base_url, program.id, program.currency, partners,
                              store.clock.now())  # fmt: skip
    except BaseException:
        server.stop()
        raise
    finally:
        store.clock.reset()
    score_program(store, watched)
    top_partner = max(partners, key=lambda p: p.weight)
    portal_email = _portal_users(store, caller, program.id, top_partner, contract_ids)
    newcomers = seed_directory(
        store,
        [
            SimpleNamespace(partner_type=p.partner_type, country=s.country,
                            caller=authenticate(store, p.api_key))
            for p, s in zip(partners, seeds, strict=True)
        ],
        rng,
        cast.CONSOLE_PASSWORD,
    )  # fmt: skip
    best = sorted(partners, key=lambda p: -p.weight)[:3]
    seed_recruiting(store, caller, program.id, newcomers, [p.id for p in best])
    seed_messages(store, caller, program.id, top_partner)
    seed_materials(store, caller, program.id, top_partner)
    summary = program_summary(store, caller, program.id)
    result = DemoResult(
        summary,
        traffic,
        time.perf_counter() - started,
        server.base_url,
        brand.api_key,
        top_partner.api_key,
        len(batch["payouts"]),
        documents,
        console_email,
        portal_email,
        leads_summary(store, caller),
    )
    return result, server


#: Orders two partners say they brought, which earned them nothing: waiting for the brand.
INQUIRIES = (
    (
        "WEB-88213",
        "142.50",
        "A reader bought the stove after our review; the customer "
        "forwarded the receipt, and our link was in the e-mail they clicked.",
    ),
    (
        "WEB-88407",
        "89.90",
        "Ordered through our cashback page, but no cashback was "
        "confirmed. The shopper's browser blocked cookies.",
    ),
)


def _ask_about_orders(base_url: str, program_id: str, currency: str,
                      partners: list, now: datetime) -> None:  # fmt: skip
    """Two partners open inquiries about orders they expected a commission for."""
    askers = sorted(partners, key=lambda p: -p.weight)[1:3]
    for partner, (order, amount, evidence) in zip(askers, INQUIRIES, strict=False):
        with httpx.Client(
            base_url=base_url, timeout=30, headers={"authorization": f"Bearer {partner.api_key}"}
        ) as http:
            _ok(http.post("/api/v1/inquiries", json={
                "program_id": program_id, "order_id": order, "amount": amount,
                "currency": currency, "event_type": "sale", "evidence": evidence,
                "occurred_at": (now - timedelta(days=3)).isoformat()}))  # fmt: skip


def _portal_users(store: Store, caller, program_id: str, top, contract_ids: dict) -> str:
    """The top partner signs in to the portal, where new terms wait for its acceptance; two
    newcomers have signed up and applied, waiting for the brand's review."""
    partner_caller = authenticate(store, top.api_key)
    email = f"partner+{partner_caller.organization_id[-6:].lower()}@lumen-partners.example"
    create_user(store, partner_caller.organization_id, email, cast.CONSOLE_PASSWORD)
    country = get_partner(store, partner_caller, top.id).country
    for name, kind, site in cast.APPLICANTS:
        # each newcomer writes from its own site's domain: two unrelated businesses share
        # none (fraud protection links partners that do)
        new = sign_up_partner(
            store,
            name=name,
            email=f"{kind}+{short_code(6).lower()}@{urlsplit(site).hostname}",
            password=cast.CONSOLE_PASSWORD,
            partner_type=kind,
            country=country,
            website=site,
        )
        applicant = authenticate_partner(store, new.partner)
        apply_to_program(store, applicant, program_id, cast.APPLICATION_NOTE[kind])
    _, contract_name, rules = cast.CONTRACTS[top.partner_type]
    add_version(
        store,
        caller,
        contract_ids[top.partner_type],
        cast.raised(rules),
        effective_from=store.clock.now() + timedelta(days=7),
        requires_acceptance=True,
        note=f"{contract_name}: higher rates from next week, for partners who accept them.",
    )
    return email


def authenticate_partner(store: Store, partner) -> object:
    return Caller(partner.organization_id, OrganizationKind.PARTNER, partner.id)


def _write_documents(http: httpx.Client, folder, batch: dict) -> dict[str, str]:
    """The payout batch's CSV and the largest payout's statement, in English and Chinese,
    fetched through the API as a finance team and a partner would."""
    if not batch.get("id"):
        return {}
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    response = http.get(f"/api/v1/payout-batches/{batch['id']}/payouts.csv")
    if response.status_code == 200:
        path = folder / "payouts.csv"
        path.write_text(response.text, encoding="utf-8")
        written["payouts_csv"] = str(path)
    largest = max(batch["payouts"], key=lambda p: Decimal(p["amount"]["amount"]))
    for locale in ("en", "zh_Hans"):
        response = http.get(
            f"/api/v1/payouts/{largest['id']}/statement.pdf", params={"locale": locale}
        )
        if response.status_code == 200:
            path = folder / f"statement-{locale}.pdf"
            path.write_bytes(response.content)
            written[f"statement_{locale}"] = str(path)
    return written


def _ok(response: httpx.Response) -> dict:
    if response.status_code >= 400:
        raise RuntimeError(
            f"{response.request.method} {response.request.url} answered "
            f"{response.status_code}: {response.text}"
        )
    return response.json()


@dataclass(frozen=True, slots=True)
class _Click:
    partner: DemoPartner
    click_id: str


def _drive_clicks(
    base_url: str,
    partners: list[DemoPartner],
    n: int,
    rng: random.Random,
    traffic: Traffic,
    report: Progress,
    *,
    total: int | None = None,
) -> list[_Click]:
    """Click partners' links over HTTP, Pareto-weighted, from a few threads at once;
    progress counts towards `total` (all days' clicks)."""
    total = total or n
    picks = rng.choices(partners, weights=[p.weight for p in partners], k=n)
    agents = [rng.choice(cast.USER_AGENTS) for _ in range(n)]
    # A shopper in ten clicks twice in a row: the edge flags the repeat as a duplicate.
    shoppers = [
        f"198.51.100.{rng.randint(1, 254)}"
        if rng.random() < 0.1
        else f"203.0.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        for _ in range(n)
    ]
    # Partners tag some clicks with a sub id and UTM parameters for their own reporting.
    queries = [
        {"sub1": rng.choice(cast.PLACEMENTS), "utm_source": "partner", "utm_medium": "affiliate"}
        if rng.random() < 0.4
        else {}
        for _ in range(n)
    ]
    out: list[_Click] = []
    lock = threading.Lock()

    def work(chunk: list[int]) -> None:
        with httpx.Client(base_url=base_url, timeout=30) as http:
            for i in chunk:
                partner = picks[i]
                # The demo server sits behind "a load balancer" on localhost that passes
                # each shopper's address on.
                headers = {"user-agent": agents[i], "x-forwarded-for": shoppers[i]}
                if i % 4 == 0:  # the partner's banner was seen before it was clicked
                    seen = {**headers, "sec-fetch-dest": "image"}
                    http.get(f"/i/{partner.link_code}", headers=seen)
                # a browser says it is navigating to the link (Sec-Fetch-Dest: document)
                visit = {**headers, "sec-fetch-dest": "document"}
                response = http.get(f"/c/{partner.link_code}", params=queries[i], headers=visit)
                with lock:
                    traffic.clicks_sent += 1
                    if response.status_code == 302:
                        traffic.clicks_redirected += 1
                        query = parse_qs(urlsplit(response.headers["location"]).query)
                        out.append(_Click(partner, query["accord_click"][0]))
                    else:
                        traffic.errors.append(f"click {response.status_code}")
                    done = traffic.clicks_sent
                if done % 50 == 0 or done == total:
                    report("clicks", done, total)

    workers = 4
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(work, [list(range(k, n, workers)) for k in range(workers)]))
    return out


def _amount(rng: random.Random, low: int, high: int) -> str:
    cents = rng.randint(low * 100, high * 100)
    return str(Decimal(cents) / 100)


#: Landing referrers of the demo's promo-code orders (one in twelve a coupon site).
PROMO_REFERRERS = (
    *["https://www.instagram.com/"] * 4,
    *["https://www.youtube.com/"] * 3,
    *["https://www.xiaohongshu.com/explore"] * 2,
    "https://t.co/lumen",
    "https://www.google.com/",
    "https://www.retailmenot.com/view/lumen.example",
)


def _drive_conversions(
    http: httpx.Client,
    program_id: str,
    partners: list[DemoPartner],
    clicks: list[_Click],
    rng: random.Random,
    traffic: Traffic,
    report: Progress,
    *,
    tag: str = "",
    total: int | None = None,
) -> list[dict]:
    """Convert about one click in ten, plus orders with promo codes and no click; `tag`
    keeps order ids unique from day to day."""
    customers = [f"cust-{i:05d}" for i in range(max(20, len(clicks) // 12))]
    bodies = []
    for n, click in enumerate(rng.sample(clicks, k=min(len(clicks), max(2, len(clicks) // 10)))):
        body = {
            "program_id": program_id,
            "order_id": f"ORD-{tag}{n:05d}",
            "click_id": click.click_id,
            "customer_id": rng.choice(customers),
            "currency": "USD",
        }
        if click.partner.partner_type == "b2b_referral":
            body.update(event_type=rng.choice(["lead", "lead", "sale"]))
            body["amount"] = _amount(rng, 300, 2500) if body["event_type"] == "sale" else "0"
        elif click.partner.partner_type == "influencer" and rng.random() < 0.2:
            body.update(event_type="signup", amount="0")
        else:
            body.update(
                event_type="sale",
                amount=_amount(rng, 15, 400),
                items=[
                    {
                        "sku": f"SKU-{rng.randint(100, 140)}",
                        "category": rng.choice(cast.CATEGORIES),
                        "quantity": 1,
                        "price": "0",
                    }
                ],
            )
            body["items"][0]["price"] = body["amount"]
            if rng.random() < 0.1:  # a euro-zone shopper, in EUR
                body.update(currency="EUR", country=rng.choice(["DE", "FR", "NL"]))
        bodies.append(body)
    coded = [p for p in partners if p.promo_code]
    for n in range(max(2, len(clicks) // 60)):
        if not coded:
            break
        bodies.append(
            {
                "program_id": program_id,
                "order_id": f"PROMO-{tag}{n:04d}",
                "event_type": "sale",
                "amount": _amount(rng, 20, 250),
                "currency": "USD",
                "promo_code": rng.choice(coded).promo_code.lower(),
                "customer_id": rng.choice(customers),
                # where the shopper came from: the creator's followers mostly, and now and
                # then a coupon site the code leaked to (fraud protection flags those)
                "referrer": rng.choice(PROMO_REFERRERS),
            }
        )
    for n in range(max(1, len(clicks) // 200)):
        bodies.append(
            {
                "program_id": program_id,
                "order_id": f"DIRECT-{tag}{n:04d}",
                "event_type": "sale",
                "amount": _amount(rng, 20, 150),
                "currency": "USD",
            }
        )
    retries = rng.sample(bodies, k=max(1, len(bodies) // 20))
    created: list[dict] = []
    total = max(total or 0, traffic.conversions_sent + len(bodies) + len(retries))
    for body in bodies:
        response = http.post("/api/v1/conversions", json=body)
        traffic.conversions_sent += 1
        if response.status_code == 201:
            traffic.conversions_created += 1
            created.append(response.json())
        else:
            traffic.errors.append(f"conversion {response.status_code}: {response.text[:200]}")
        if traffic.conversions_sent % 10 == 0:
            report("conversions", traffic.conversions_sent, total)
    for body in retries:  # the network dropped the answer; the brand sends it again
        response = http.post("/api/v1/conversions", json=body)
        traffic.conversions_sent += 1
        traffic.duplicates_sent += 1
        if response.status_code == 200 and response.json()["duplicate"]:
            traffic.duplicates_answered += 1
        else:
            traffic.errors.append(f"retry {response.status_code}: {response.text[:200]}")
    report("conversions", traffic.conversions_sent, total)
    return created


def _daily_clicks(n_clicks: int, days: int, first, rng: random.Random) -> list[int]:
    """How many clicks each day gets: growing through the period, quieter at weekends,
    and never quite the same from one day to the next. They add up to `n_clicks`."""
    weights = []
    for day in range(days):
        weekend = (first + timedelta(days=day)).weekday() >= 5
        weights.append((1 + 0.04 * day) * (0.7 if weekend else 1.0) * rng.uniform(0.8, 1.2))
    counts = [max(1, int(n_clicks * w / sum(weights))) for w in weights]
    counts[-1] += n_clicks - sum(counts)
    return counts


def _expected_conversions(n_clicks: int, days: int) -> int:
    """About how many conversion requests the days' traffic sends, for the progress bar."""
    per_day = n_clicks // days
    sales = min(per_day, max(2, per_day // 10)) + max(2, per_day // 60) + max(1, per_day // 200)
    return days * (sales + max(1, sales // 20))


def _drive_reversals(
    http: httpx.Client,
    created: list[dict],
    rng: random.Random,
    traffic: Traffic,
    report: Progress,
    *,
    clawback: bool,
) -> None:
    """Returns before locking (whole and partial), and after payout (clawbacks)."""
    paid = [c for c in created if c["commissions"] and Decimal(c["amount"]["amount"]) > 0]
    share = 100 if clawback else 20
    wanted = min(len(paid), max(1, len(created) // share))
    phase = "clawbacks" if clawback else "reversals"
    candidates = rng.sample(paid, k=len(paid))  # in random order; skip what is all returned
    sent = 0
    for conversion in candidates:
        if sent >= wanted:
            break
        latest = _ok(http.get(f"/api/v1/conversions/{conversion['id']}"))
        left = Decimal(latest["amount"]["amount"]) - Decimal(latest["reversed_amount"]["amount"])
        if left <= 0:
            continue
        body: dict[str, object] = {
            "reason_code": rng.choice(["returned", "returned", "order_error", "cancelled"])
        }
        if rng.random() < 0.5 and left > 1:
            body["amount"] = str((left / 2).quantize(Decimal("0.01")))
        response = http.post(f"/api/v1/conversions/{conversion['id']}/reversals", json=body)
        sent += 1
        if response.status_code == 201:
            if clawback:
                traffic.clawbacks_sent += 1
            else:
                traffic.reversals_sent += 1
        else:
            traffic.errors.append(f"reversal {response.status_code}: {response.text[:200]}")
        report(phase, sent, wanted)
