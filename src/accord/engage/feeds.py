"""Product feeds: a brand loads its products (a CSV with a header row: sku, title, price,
url and optionally description, image_url, category, availability), and each approved
partner downloads the feed, as CSV or as XML (RSS 2.0 with the `g:` product fields shopping
engines read), with every product's link its own tracking link to that product's page.

Loading a feed replaces it: products missing from the new file are dropped. Each row that
cannot be used is named with its line and why; the rest load. A product's page must be on
the program's sites (the same rule as a deep link)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from sqlalchemy import delete, select

from accord.engage.tables import FeedProduct
from accord.errors import AccordError, InvalidInput, NotFound, Text
from accord.ids import new_id
from accord.money import Money
from accord.partners.groups import require_approved
from accord.programs.model import check_url
from accord.programs.service import load_program
from accord.spreadsheets import spreadsheet_safe
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand
from accord.tracking.service import create_link, on_program_sites, partner_links

MAX_PRODUCTS = 100_000
REQUIRED = ("sku", "title", "price", "url")
ALIASES = {"id": "sku", "name": "title", "link": "url", "product_url": "url",
           "image": "image_url", "image_link": "image_url", "stock": "availability"}  # fmt: skip


@dataclass
class FeedLoad:
    loaded: int = 0
    removed: int = 0
    left_out: list[dict] = field(default_factory=list)


def _header(name: str) -> str:
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    return ALIASES.get(key, key)


def load_feed(store: Store, caller: Caller, program_id: str, text: str) -> FeedLoad:
    """Replace the program's products with the rows of a CSV."""
    require_brand(caller)
    rows = list(csv.reader(io.StringIO((text or "").lstrip("\ufeff"))))
    if not rows:
        raise InvalidInput("file", "the file is empty: give a header row and a product a row")
    header = [_header(h) for h in rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InvalidInput("file", Text("the header row lacks %(missing)s",
                                        missing=", ".join(missing)))  # fmt: skip
    if len(rows) - 1 > MAX_PRODUCTS:
        raise InvalidInput("file", Text("at most %(most)s products", most=f"{MAX_PRODUCTS:,}"))
    result = FeedLoad()
    now = store.clock.now()
    with store.unit() as session:
        program = load_program(session, caller, program_id)
        products: dict[str, FeedProduct] = {}
        for line, values in enumerate(rows[1:], start=2):
            if not any(v.strip() for v in values):
                continue
            row = {h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(header)}
            try:
                product = _product(program, row, now)
            except AccordError as error:
                result.left_out.append({"line": line, "sku": row.get("sku", "")[:100],
                                        "field": error.field, "reason": error.message})  # fmt: skip
                continue
            if product.sku in products:
                result.left_out.append({"line": line, "sku": product.sku, "field": "sku",
                                        "reason": "sku: repeats an earlier row"})  # fmt: skip
                continue
            products[product.sku] = product
        before = set(session.scalars(
            select(FeedProduct.sku).where(FeedProduct.program_id == program.id)))  # fmt: skip
        session.execute(delete(FeedProduct).where(FeedProduct.program_id == program.id))
        session.add_all(products.values())
        result.loaded = len(products)
        result.removed = len(before - set(products))
    return result


def _clean(value: str) -> str:
    """Text without control characters (a feed is XML too), tabs and new lines kept."""
    return "".join(ch for ch in value if ch in "\t\n" or (ord(ch) >= 32 and ord(ch) != 127))


def _product(program, row: dict, now) -> FeedProduct:
    row = {k: _clean(v) for k, v in row.items()}
    sku = row.get("sku", "")
    if not sku or len(sku) > 100:
        raise InvalidInput("sku", "give each product an sku of 1 to 100 characters")
    title = row.get("title", "")
    if not title or len(title) > 300:
        raise InvalidInput("title", "give each product a title of 1 to 300 characters")
    price_text, _, currency = row.get("price", "").partition(" ")
    currency = (currency or row.get("currency") or program.currency).upper()
    price = Money.parse(price_text, currency, field="price")
    if price.minor < 0:
        raise InvalidInput("price", "must not be negative")
    url = on_program_sites(program, check_url(row.get("url", ""), "url"), "url")
    image = row.get("image_url") or None
    if image:
        image = check_url(image, "image_url")
    availability = row.get("availability", "in stock").lower().replace("_", " ")
    return FeedProduct(id=new_id("fpr"), program_id=program.id, sku=sku, title=title,
                       description=row.get("description", "")[:5000], price_minor=price.minor,
                       currency=currency, url=url, image_url=image,
                       category=row.get("category", "")[:300],
                       in_stock=availability not in ("out of stock", "0", "no", "false"),
                       updated_at=now)  # fmt: skip


def products(store: Store, caller: Caller, program_id: str) -> list[FeedProduct]:
    """The program's products, by sku: for its brand, and for its approved partners."""
    with store.read() as session:
        program = load_program(session, caller, program_id)
        if caller.partner_id is not None:
            require_approved(session, caller, program.id, "products")
        return list(session.scalars(select(FeedProduct).where(
            FeedProduct.program_id == program.id).order_by(FeedProduct.sku)))  # fmt: skip


def _partner_link(store: Store, caller: Caller, program_id: str, links_base: str) -> str:
    if caller.partner_id is None:
        raise NotFound("program", program_id, field="program_id")
    links = [x for x in partner_links(store, caller, program_id, caller.partner_id) if x.active]
    link = links[-1] if links else create_link(store, caller, program_id)  # its first link
    return f"{links_base.rstrip('/')}/c/{link.code}"


def partner_feed(store: Store, caller: Caller, program_id: str, links_base: str,
                 kind: str) -> tuple[str, str]:  # fmt: skip
    """The feed for the calling partner as (body, media type): `csv` or `xml`."""
    if kind not in ("csv", "xml"):
        raise InvalidInput("format", "choose csv or xml")
    rows = products(store, caller, program_id)
    base = _partner_link(store, caller, program_id, links_base)

    def link(product: FeedProduct) -> str:
        return f"{base}?{urlencode({'url': product.url})}"

    if kind == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["sku", "title", "description", "price", "currency", "link",
                         "image_url", "category", "availability"])  # fmt: skip
        for p in rows:
            safe = spreadsheet_safe
            writer.writerow([safe(p.sku), safe(p.title), safe(p.description),
                             str(Money.from_minor(p.price_minor, p.currency).amount), p.currency,
                             link(p), p.image_url or "", safe(p.category),
                             "in stock" if p.in_stock else "out of stock"])  # fmt: skip
        return out.getvalue(), "text/csv; charset=utf-8"
    items = []
    for p in rows:
        price = Money.from_minor(p.price_minor, p.currency).amount
        image = f"<g:image_link>{escape(p.image_url)}</g:image_link>" if p.image_url else ""
        items.append(
            f"<item><g:id>{escape(p.sku)}</g:id><title>{escape(p.title)}</title>"
            f"<description>{escape(p.description)}</description><link>{escape(link(p))}</link>"
            f"{image}<g:price>{price} {p.currency}</g:price>"
            f"<g:availability>{'in_stock' if p.in_stock else 'out_of_stock'}</g:availability>"
            f"<g:product_type>{escape(p.category)}</g:product_type></item>"
        )
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            'xmlns:g="http://base.google.com/ns/1.0"><channel><title>Products</title>'
            + "".join(items) + "</channel></rss>\n")  # fmt: skip
    return body, "application/xml; charset=utf-8"
