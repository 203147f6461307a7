"""The demo's leads: people who came to the brand through its site (with search-ad keywords),
a trade show, WeChat and its stores over the last month, sent through the API as the
brand's engineers would. Some come back through another channel and are recognised; an
office switchboard shared by four colleagues merges none of them."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx

FIRST = ("Wei", "Fang", "Min", "Lei", "Jing", "Tao", "Yan", "Hui", "Emma", "Lucas", "Sofia",
         "Noah", "Mia", "Ethan", "Chloe", "Leo")  # fmt: skip
LAST = ("Zhang", "Wang", "Li", "Liu", "Chen", "Yang", "Zhao", "Huang", "Müller", "Smith",
        "García", "Rossi", "Dubois", "Novak")  # fmt: skip
COMPANIES = (
    ("Hengda Pharma", "pharma", 2400), ("Nanhai Chemicals", "chemicals", 800),
    ("Bluepeak Software", "software", 150), ("Orion Finance", "finance", 5200),
    ("Kestrel Motors", "automotive", 12000), ("Lotus Education", "education", 60),
    ("Redwood Logistics", "logistics", 350),
)  # fmt: skip
TITLES = ("CTO", "IT Director", "Procurement Manager", "Engineer", "Analyst", "Head of Data",
          "采购经理", "信息总监", "Marketing Specialist")  # fmt: skip
CONTENT = ("White paper: data platforms in pharma", "Case study: Kestrel Motors",
           "Webinar: GMP compliance", "Price list 2027")  # fmt: skip
KEYWORDS = (
    "gmp compliance software",
    "数据中台 方案",
    "lims system price",
    "batch record software",
)
APPID = "wx5f3c1a9e0d2b4c6a"


#: A one-page PDF for the demo's white paper.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def drive_leads(
    http: httpx.Client, rng: random.Random, now: datetime, report: Callable[[str, int, int], None]
) -> dict[str, int]:
    """Capture about 150 people's activities over the 30 days before `now`; returns counts."""
    # the brand sells to pharma and chemicals makers first; local numbers are Chinese
    http.put(
        "/api/v1/lead-settings",
        json={"default_region": "CN",
              "industries": {"pharma": 25, "chemicals": 20, "software": 10}},
    ).raise_for_status()  # fmt: skip
    form = http.post(
        "/api/v1/lead-forms",
        json={
            "name": "Download the GMP white paper",
            "activity": "download",
            "subject": "White paper: data platforms in pharma",
            "fields": [{"name": "name", "required": True}, {"name": "email", "required": True},
                       {"name": "company"}, {"name": "title"}, {"name": "company_size"}],
            "consents": [
                {"purpose": "privacy", "required": True,
                 "text": "I have read the privacy notice / 我已阅读隐私声明"},
                {"purpose": "marketing",
                 "text": "Send me news about our products / 向我发送产品资讯"},
            ],
            "thanks": "Thank you! Your copy is ready. / 您的白皮书已可下载。",
            "download_url": "https://files.lumen.example/gmp-white-paper.pdf",
        },
    )  # fmt: skip
    form.raise_for_status()
    # the content library: the white paper behind that form, a free article and a video
    paper = http.post("/api/v1/lead-content", json={
        "kind": "white_paper", "title": "Data platforms in pharma", "published": True,
        "summary": "What GMP auditors ask of batch records, and how a data platform answers.",
        "tags": ["GMP", "audit"], "category": "Pharma", "form_id": form.json()["id"]})  # fmt: skip
    paper.raise_for_status()
    http.put(
        f"/api/v1/lead-content/{paper.json()['id']}/file?name=gmp-white-paper.pdf",
        content=DEMO_PDF,
        headers={"content-type": "application/pdf"},
    ).raise_for_status()
    for item in (
        {"kind": "article", "title": "Three audit findings we see most", "published": True,
         "summary": "And how to avoid them.", "tags": ["GMP"], "category": "Pharma",
         "body": "Missing audit trails come first.\n\nThen unsigned changes to recipes."},
        {"kind": "video", "title": "The platform in ten minutes", "published": True,
         "url": "https://video.brand.example/platform", "tags": ["demo"]},
    ):  # fmt: skip
        http.post("/api/v1/lead-content", json=item).raise_for_status()
    sent = 0
    people = []
    for n in range(48):
        company, industry, size = rng.choice(COMPANIES)
        people.append(
            {
                "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                "email": f"lead{n:03d}@{company.split()[0].lower()}.example",
                "phone": f"+86 13{rng.randint(100000000, 999999999)}",
                "company": company,
                "industry": industry,
                "company_size": size,
                "title": rng.choice(TITLES),
                "cookie": f"ck{rng.getrandbits(64):016x}",
                "openid": f"o{rng.getrandbits(80):020x}",
            }
        )
    total = len(people) + 4
    for done, person in enumerate(people):
        start = now - timedelta(days=rng.uniform(3, 30))
        channel = rng.choice(("web", "web", "event", "wechat", "store"))
        steps: list[dict] = []
        if channel == "web":
            keyword = rng.choice(KEYWORDS)
            utm = {"source": "baidu", "medium": "cpc", "campaign": "q4-search", "term": keyword}
            for _ in range(rng.randint(1, 4)):
                steps.append({"cookie": person["cookie"], "type": "page_view", "channel": "web",
                              "utm": utm, "keyword": keyword,
                              "referrer": "https://www.baidu.com/"})  # fmt: skip
            steps.append({"cookie": person["cookie"], "email": person["email"],
                          "name": person["name"], "company": person["company"],
                          "title": person["title"], "industry": person["industry"],
                          "company_size": person["company_size"],
                          "type": "download", "channel": "web", "subject": rng.choice(CONTENT),
                          "utm": utm, "keyword": keyword})  # fmt: skip
            if rng.random() < 0.3:
                steps.append({"cookie": person["cookie"], "type": "pricing_view", "channel": "web"})
            if rng.random() < 0.3:
                steps.append({"email": person["email"], "type": "demo_request", "channel": "web",
                              "title": person["title"], "company_size": person["company_size"],
                              "phone": person["phone"]})  # fmt: skip
        elif channel == "event":
            show = "Shanghai CPhI trade show"
            steps.append({"phone": person["phone"], "name": person["name"],
                          "company": person["company"], "title": person["title"],
                          "industry": person["industry"], "company_size": person["company_size"],
                          "type": "event_registered", "channel": "event", "source": show,
                          "campaign": "cphi-2026"})  # fmt: skip
            if rng.random() < 0.7:
                steps.append({"phone": person["phone"], "type": "event_attended",
                              "channel": "event", "source": show,
                              "campaign": "cphi-2026"})  # fmt: skip
            if rng.random() < 0.5:  # later, on the site, with e-mail and phone
                steps.append({"email": person["email"], "phone": person["phone"],
                              "type": "download", "channel": "web",
                              "subject": rng.choice(CONTENT)})  # fmt: skip
        elif channel == "wechat":
            wechat = {"appid": APPID, "openid": person["openid"]}
            steps.append({"wechat": wechat, "type": "wechat_follow", "channel": "wechat"})
            for _ in range(rng.randint(1, 3)):
                steps.append({"wechat": wechat, "type": "content_view", "channel": "wechat",
                              "subject": rng.choice(CONTENT)})  # fmt: skip
            if rng.random() < 0.5:
                steps.append({"wechat": wechat, "phone": person["phone"], "name": person["name"],
                              "type": "form_submit", "channel": "wechat",
                              "subject": "Mini-program: book a consultation"})  # fmt: skip
        else:
            store = rng.choice(("Beijing showroom", "Shenzhen showroom"))
            steps.append({"phone": person["phone"], "name": person["name"],
                          "type": "store_visit", "channel": "store",
                          "source": store})  # fmt: skip
        at = start
        for step in steps:
            at += timedelta(hours=rng.uniform(1, 60))
            if at > now:
                at = now - timedelta(minutes=rng.uniform(1, 600))
            response = http.post(
                "/api/v1/leads/captures", json={**step, "occurred_at": at.isoformat()}
            )
            if response.status_code != 201:
                raise RuntimeError(f"capture answered {response.status_code}: {response.text}")
            sent += 1
        report("leads", done + 1, total)
    # four colleagues leave the office switchboard at the stand: it merges none of them
    for n in range(4):
        http.post(
            "/api/v1/leads/captures",
            json={"phone": "+86 21 6888 0000", "email": f"staff{n}@orion.example",
                  "company": "Orion Finance", "type": "event_registered", "channel": "event",
                  "source": "Shanghai CPhI trade show",
                  "occurred_at": (now - timedelta(days=2, hours=n)).isoformat()},
        ).raise_for_status()  # fmt: skip
        sent += 1
        report("leads", len(people) + n + 1, total)
    # a few read the white paper through the hosted form, as a visitor's browser sends it
    for n in range(8):
        company, _, size = rng.choice(COMPANIES)
        answers = {
            "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            "email": f"reader{n}@{company.split()[0].lower()}.example",
            "company": company, "title": rng.choice(TITLES), "company_size": str(size),
            "consent.privacy": "yes", "utm_source": "linkedin", "utm_campaign": "gmp-paper",
        }  # fmt: skip
        if rng.random() < 0.6:
            answers["consent.marketing"] = "yes"
        answered = http.post(f"/f/{form.json()['id']}", data=answers)
        if answered.status_code != 200:
            raise RuntimeError(f"the form answered {answered.status_code}")
        sent += 1
    # a seminar in ten days: a few of the readers register on its page
    seminar = http.post("/api/v1/lead-events", json={
        "kind": "seminar", "name": "GMP audit seminar", "place": "Shanghai, Hall 2",
        "starts_at": (now + timedelta(days=10)).replace(hour=6, minute=0, second=0,
                                                         microsecond=0).isoformat(),
        "timezone": "Asia/Shanghai", "capacity": 80, "language": "zh_Hans",
        "summary": "Three auditors on what they ask of batch records, and a line demo.",
        "consents": [{"purpose": "marketing",
                      "text": "Send me news about our products / 向我发送产品资讯"}]})  # fmt: skip
    seminar.raise_for_status()
    for n in range(5):
        http.post(f"/events/{seminar.json()['id']}", data={
            "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            "email": f"reader{n}@seminar.example", "consent.marketing": "yes"})  # fmt: skip
    # sales worked the readiest: two deals won, two opportunities open
    ready = http.get("/api/v1/contacts", params={"sort": "score", "limit": 4}).json()["data"]
    for n, contact in enumerate(ready):
        stage = {"stage": "customer", "amount": f"{rng.randint(40, 200) * 1000}.00",
                 "currency": "CNY", "reason": "Signed after the trial"} if n < 2 else {
                 "stage": "opportunity", "amount": f"{rng.randint(40, 200) * 1000}.00",
                 "currency": "CNY"}  # fmt: skip
        http.put(f"/api/v1/contacts/{contact['id']}/stage", json=stage).raise_for_status()
    # the readers who said yes to marketing get a short sequence about the white paper
    http.post("/api/v1/nurture-sequences", json={
        "name": "GMP white paper follow-up", "status": "active", "auto_enrol": True,
        "per_hour": 200,
        "steps": [
            {"kind": "email", "subject": "{name}, your GMP white paper",
             "body": "Hello {name},\n\nThank you for reading our white paper. The checklist "
                     "that goes with it: https://brand.example/gmp-checklist"},
            {"kind": "wait", "days": 4},
            {"kind": "branch", "condition": "clicked", "then": "5"},
            {"kind": "email", "subject": "Three audit findings we see most",
             "body": "Hello {name},\n\nThe three findings auditors raise most, and how to "
                     "avoid them: https://brand.example/audit-findings"},
            {"kind": "email", "subject": "A demo with your own batch records",
             "body": "Hello {name},\n\nSee the platform read your batch records: "
                     "https://brand.example/demo"},
        ],
    }).raise_for_status()  # fmt: skip
    return {"captures": sent}


def leads_summary(store, caller) -> dict[str, int]:
    """The brand's contacts by stage, and in all."""
    from accord.leads.content import library
    from accord.leads.events import events_of
    from accord.leads.nurture import sequences_of
    from accord.leads.service import stage_counts

    counts = stage_counts(store, caller)
    events = events_of(store, caller)
    return {
        "contacts": sum(counts.values()), **counts,
        "content_items": len(library(store, caller)), "events": len(events),
        "registered": sum(e.registered for e in events),
        "sequences": len(sequences_of(store, caller)),
    }  # fmt: skip
