"""Creatives: banners (an image) and copy (text with `{link}` and `{code}` to fill in) a
brand gives its partners, for all approved partners or one group, optionally for one
promotion. A partner using a creative gets its own tracking link to the creative's landing
page (made once, then reused) and, for copy, the text with that link and its promo code.

Banners are PNG, JPEG, GIF or WebP of at most 2 MiB and 4,000 pixels a side; the image is
served on the public address (partners' sites embed it) under the creative's id."""

from __future__ import annotations

import html
import io
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from accord.engage.tables import IMAGE_EXTENSIONS, CodePool, Creative, PoolCode
from accord.errors import InvalidInput, NotFound, Text
from accord.ids import new_id
from accord.partners.groups import group_in_program, require_approved
from accord.programs.model import check_url
from accord.programs.promotions import check_promotion_key
from accord.programs.service import load_program
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand, require_partner
from accord.tracking.service import create_link, on_program_sites, partner_codes, partner_links

KINDS = ("banner", "copy")
MAX_IMAGE = 2 * 1024 * 1024
MAX_SIDE = 4000
MAX_BODY = 5000
#: Pillow's name of each format served: (media type, extension).
FORMATS = {
    name: (media, IMAGE_EXTENSIONS[media])
    for name, media in (
        ("PNG", "image/png"),
        ("JPEG", "image/jpeg"),
        ("GIF", "image/gif"),
        ("WEBP", "image/webp"),
    )
}
EXTENSIONS = {ext: media for media, ext in IMAGE_EXTENSIONS.items()}


@dataclass(frozen=True)
class Used:
    """A creative as one partner uses it: its link, and the copy or banner filled in."""

    creative: Creative
    link_url: str
    code: str | None
    #: For copy: the text; for a banner: the HTML to paste.
    text: str


def image_facts(data: bytes) -> tuple[str, int, int]:
    """(media type, width, height) of an uploaded banner, or InvalidInput saying why not."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise InvalidInput("image", "choose an image file for the banner")
    if len(data) > MAX_IMAGE:
        raise InvalidInput("image", Text("at most %(mib)s MiB", mib=MAX_IMAGE // (1024 * 1024)))
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, (width, height) = image.format, image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise InvalidInput(
            "image", "not an image Accord can read (PNG, JPEG, GIF or WebP)"
        ) from error
    if kind not in FORMATS:
        raise InvalidInput("image", Text("%(kind)s images are not taken: use PNG, JPEG, GIF or "
                                          "WebP", kind=kind))  # fmt: skip
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise InvalidInput("image", Text("at most %(most)s pixels a side", most=MAX_SIDE))
    return FORMATS[kind][0], width, height


def create_creative(store: Store, caller: Caller, program_id: str, *, kind: str, name: str,
                    body: str = "", image: bytes | None = None, landing_url: str | None = None,
                    group_id: str | None = None,
                    promotion: str | None = None) -> Creative:  # fmt: skip
    require_brand(caller)
    if kind not in KINDS:
        raise InvalidInput("kind", "choose banner or copy")
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidInput("name", "give the creative a name of 1 to 200 characters")
    body = (body or "").strip()
    if len(body) > MAX_BODY:
        raise InvalidInput("body", Text("at most %(most)s characters", most=f"{MAX_BODY:,}"))
    if kind == "copy" and not body:
        raise InvalidInput("body", "write the copy partners will use")
    media = width = height = None
    if kind == "banner":
        media, width, height = image_facts(image or b"")
    promotion = check_promotion_key(store, caller, program_id, promotion)
    landing = check_url(landing_url, "landing_url") if (landing_url or "").strip() else None
    with store.unit() as session:
        program = load_program(session, caller, program_id)
        if landing is not None:
            landing = on_program_sites(program, landing, "landing_url")
        row = Creative(id=new_id("crv"), organization_id=program.organization_id,
                       program_id=program.id, kind=kind, name=name, body=body,
                       image=image if kind == "banner" else None, image_type=media, width=width,
                       height=height, landing_url=landing,
                       group_id=group_in_program(session, program.id, group_id),
                       promotion=promotion, active=True,
                       created_at=store.clock.now())  # fmt: skip
        session.add(row)
    return row


def _own(session: Session, caller: Caller, creative_id: str) -> Creative:
    row = session.get(Creative, creative_id)
    if row is None or row.organization_id != caller.organization_id:
        raise NotFound("creative", creative_id, field="creative_id")
    return row


def set_active(store: Store, caller: Caller, creative_id: str, active: bool) -> Creative:
    require_brand(caller)
    with store.unit() as session:
        row = _own(session, caller, creative_id)
        row.active = active
    return row


def creatives(store: Store, caller: Caller, program_id: str) -> list[Creative]:
    """A program's creatives, newest first (the brand's view)."""
    require_brand(caller)
    with store.read() as session:
        program = load_program(session, caller, program_id)
        return list(
            session.scalars(
                select(Creative)
                .where(Creative.program_id == program.id)
                .order_by(Creative.created_at.desc(), Creative.id)
            )
        )


def partner_creatives(store: Store, caller: Caller, program_id: str) -> list[Creative]:
    """The active creatives of a program for the calling partner (its groups' included)."""
    with store.read() as session:
        standing = require_approved(session, caller, program_id, "creatives")
        return [
            c
            for c in session.scalars(
                select(Creative)
                .where(Creative.program_id == program_id, Creative.active)
                .order_by(Creative.created_at.desc(), Creative.id)
            )
            if standing.opens(c.group_id)
        ]


def use(store: Store, caller: Caller, creative_id: str, links_base: str,
        public_base: str) -> Used:  # fmt: skip
    """The creative filled in for the calling partner: its link to the creative's landing
    page (made the first time) and, in copy, its promo code (the one it took from a pool of
    the creative's promotion first, else its first code)."""
    require_partner(caller)
    with store.read() as session:
        creative = session.get(Creative, creative_id)
        if creative is None or not creative.active:
            raise NotFound("creative", creative_id, field="creative_id")
        standing = require_approved(session, caller, creative.program_id, "creatives")
        if not standing.opens(creative.group_id):
            raise NotFound("creative", creative_id, field="creative_id")
        program = load_program(session, caller, creative.program_id)
        landing = creative.landing_url or program.default_landing_url
        for_promotion = None
        if creative.promotion:
            for_promotion = session.scalar(
                select(PoolCode.code)
                .join(CodePool, CodePool.id == PoolCode.pool_id)
                .where(CodePool.program_id == creative.program_id,
                       CodePool.promotion == creative.promotion,
                       PoolCode.partner_id == caller.partner_id)
                .limit(1)
            )  # fmt: skip
    links = partner_links(store, caller, creative.program_id, caller.partner_id)
    link = next((x for x in links if x.active and x.destination_url == landing), None)
    if link is None:
        link = create_link(store, caller, creative.program_id, destination_url=landing)
    url = f"{links_base.rstrip('/')}/c/{link.code}"
    codes = [c.code for c in partner_codes(store, caller, creative.program_id, caller.partner_id)
             if c.active]  # fmt: skip
    code = for_promotion or (codes[0] if codes else None)
    if creative.kind == "copy":
        text = creative.body.replace("{link}", url).replace("{code}", code or "{code}")
    else:
        src = f"{public_base.rstrip('/')}{creative.image_path}"
        alt = html.escape(creative.name, quote=True)
        size = f'width="{creative.width}" height="{creative.height}"'
        text = f'<a href="{url}" rel="sponsored noopener"><img src="{src}" {size} alt="{alt}"></a>'

    return Used(creative, url, code, text)


def public_image(store: Store, creative_id: str, ext: str) -> tuple[bytes, str]:
    """An active banner's image for the public address (partners' pages embed it)."""
    with store.read() as session:
        row = session.scalar(
            select(Creative).options(undefer(Creative.image)).where(Creative.id == creative_id)
        )
        if (
            row is None
            or not row.active
            or row.kind != "banner"
            or row.image is None
            or IMAGE_EXTENSIONS.get(row.image_type or "") != ext
        ):
            raise NotFound("creative", creative_id)
        return row.image, row.image_type


def require_own_creative(store: Store, caller: Caller, creative_id: str) -> None:
    """The creative is the calling brand's, or NotFound."""
    require_brand(caller)
    with store.read() as session:
        _own(session, caller, creative_id)
