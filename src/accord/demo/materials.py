"""The demo's creatives, codes and briefs: a banner and a piece of copy, a pool of promo
codes the best partner took one from, and a creator brief whose first post missed the ad
disclosure (rejected with a note) and whose second waits for the manager's approval."""

from __future__ import annotations

import io

from accord.engage import briefs, creatives, pools
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
    creatives.create_creative(store, caller, program_id, kind="banner",
                              name="Spring sale, 728 \u00d7 90", image=banner())  # fmt: skip
    creatives.create_creative(
        store, caller, program_id, kind="copy", name="Spring sale post",
        body="Lumen's tents and sleeping bags are 20% off until 15 March. Use {code} at "
        "checkout: {link}",
    )  # fmt: skip
    codes = "\n".join(f"SPRING-{n:04d}" for n in range(1, 201))
    pool, _ = pools.create_pool(store, caller, program_id, name="Spring sale codes",
                                description="20% off tents, until 15 March",
                                codes=codes)  # fmt: skip
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
