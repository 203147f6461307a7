"""The demo's creatives, codes, briefs, bounties and product feed: a banner and a piece of
copy, a pool of promo codes the best partner took one from, a creator brief whose first
post missed the ad disclosure (rejected with a note) and whose second waits for the
manager's approval, two bounties (sales this month, a review) and twelve products."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from accord.demo.cast import LANDING
from accord.engage import bounties, briefs, creatives, feeds, pools
from accord.programs.promotions import add_promotion
from accord.store.engine import Store
from accord.tenancy.service import authenticate


def banner(width: int = 728, height: int = 90) -> bytes:
    """A plain banner: a dark green field with a lighter band (drawn, not a photograph)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), (22, 78, 56))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, height * 2 // 3, width, height), fill=(52, 128, 92))
    for i in range(5):  # five tents along the band
        x = width // 8 + i * width // 6
        draw.polygon([(x, height * 2 // 3), (x + 24, height // 5), (x + 48, height * 2 // 3)],
                     fill=(240, 200, 90))  # fmt: skip
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def seed_materials(store: Store, caller, program_id: str, top) -> None:
    year = store.clock.now().year + 1
    opens, closes = datetime(year, 3, 1, tzinfo=UTC), datetime(year, 3, 16, tzinfo=UTC)
    spring = add_promotion(store, caller, program_id, "Lumen spring sale", opens, closes)
    creatives.create_creative(store, caller, program_id, kind="banner",
                              name="Spring sale, 728 \u00d7 90", image=banner(),
                              promotion=spring.id)  # fmt: skip
    creatives.create_creative(
        store, caller, program_id, kind="copy", name="Spring sale post",
        body="Lumen's tents and sleeping bags are 20% off until 15 March. Use {code} at "
        "checkout: {link}", promotion=spring.id,
    )  # fmt: skip
    codes = "\n".join(f"SPRING-{n:04d}" for n in range(1, 201))
    pool, _ = pools.create_pool(store, caller, program_id, name="Spring sale codes",
                                description="20% off tents, until 15 March",
                                codes=codes, promotion=spring.id)  # fmt: skip
    partner = authenticate(store, top.api_key)
    pools.take_code(store, partner, pool.id)
    brief = briefs.create_brief(store, caller, program_id, briefs.BriefIn(
        title="Ridge 2 tent review", deliverables="One video of 3 to 8 minutes, pitched outdoors",
        keywords="Ridge 2, waterproof", hashtags="LumenOutdoor", disclosure="#ad, 广告",
        forbidden="cheap", fee="200.00"))  # fmt: skip
    first = briefs.submit(store, partner, brief.id, url="https://video.example/ridge2",
                          text="The Ridge 2 stayed waterproof through a night of rain. "
                          "#LumenOutdoor")  # fmt: skip
    briefs.decide(store, caller, first.id, approve=False,
                  note="Great video. Please say it is an ad (#ad) and send it again.")  # fmt: skip
    briefs.submit(store, partner, brief.id, url="https://video.example/ridge2",
                  text="#ad The Ridge 2 stayed waterproof through a night of rain. "
                  "#LumenOutdoor")  # fmt: skip

    now = store.clock.now()
    bounties.create_bounty(store, caller, program_id, bounties.BountyIn(
        title="Five sales this month", kind="sales", target=5,
        starts_at=now - timedelta(days=10), ends_at=now + timedelta(days=20), reward="50.00",
        description="Five orders through your links or codes by the end of the month.",
    ))  # fmt: skip
    review = bounties.create_bounty(store, caller, program_id, bounties.BountyIn(
        title="Review the Ridge 2 tent", kind="content", target=None,
        starts_at=now - timedelta(days=3), ends_at=now + timedelta(days=27), reward="80.00",
        description="A written or video review, published where your readers are."))  # fmt: skip
    bounties.submit_content(store, partner, review.id, "https://video.example/ridge2")
    loaded = feeds.load_feed(store, caller, program_id, _products())
    if loaded.left_out:  # the demo's own feed loads whole
        raise RuntimeError(f"the demo's product feed left rows out: {loaded.left_out}")


PRODUCTS = (
    ("RIDGE-2", "Ridge 2 tent", "249.00", "Tents"),
    ("RIDGE-3", "Ridge 3 tent", "329.00", "Tents"),
    ("SUMMIT-1", "Summit bivy", "189.00", "Tents"),
    ("EMBER-0", "Ember sleeping bag, 0 °C", "159.00", "Sleeping bags"),
    ("EMBER-5", "Ember sleeping bag, -5 °C", "199.00", "Sleeping bags"),
    ("DRIFT-PAD", "Drift sleeping pad", "89.00", "Sleeping bags"),
    ("TRAIL-40", "Trail 40 L pack", "139.00", "Packs"),
    ("TRAIL-60", "Trail 60 L pack", "179.00", "Packs"),
    ("GLOW-HL", "Glow headlamp", "39.00", "Lights"),
    ("GLOW-LN", "Glow lantern", "49.00", "Lights"),
    ("STOVE-1", "Pocket stove", "59.00", "Kitchen"),
    ("MUG-2", "Camp mug, pair", "24.00", "Kitchen"),
)


def _products() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["sku", "title", "price", "url", "category", "availability"])
    for sku, title, price, category in PRODUCTS:
        stock = "out of stock" if sku == "RIDGE-3" else "in stock"
        writer.writerow([sku, title, price, f"{LANDING}p/{sku.lower()}", category, stock])
    return out.getvalue()
