"""The demo's partner directory: most of the program's partners describe themselves and list
themselves, and a dozen partners in no program yet (creators on Xiaohongshu, Douyin,
Bilibili and YouTube, review and deal sites, a newsletter, a campus ambassador) are listed
for the brand to find."""

from __future__ import annotations

import random
from urllib.parse import urlsplit

from accord.engage import service as engage
from accord.ids import short_code
from accord.notices.subscribers import program_invitation
from accord.partners import recruiting
from accord.partners.directory import ProfileIn, refresh_badges, save_profile
from accord.partners.groups import set_members
from accord.partners.service import sign_up_partner
from accord.store.engine import Store
from accord.tenancy.model import Caller, OrganizationKind
from accord.tenancy.service import authenticate

#: Partners in no program yet: name, type, site, countries, languages, verticals,
#: audience by platform, headline.
NEWCOMERS = (
    ("山野小梅", "creator_xiaohongshu", "https://www.xiaohongshu.com/user/shanye",
     ["CN"], ["zh"], ["outdoor", "travel"], {"xiaohongshu": 86_000},
     "周末露营和徒步装备笔记"),
    ("Lu Guo Road Trips", "creator_douyin", "https://www.douyin.com/user/luguo",
     ["CN"], ["zh"], ["travel", "outdoor"], {"douyin": 1_450_000, "weibo": 210_000},
     "自驾、露营、越野\uff1a每周两条长视频"),
    ("Camp Lab", "creator_bilibili", "https://space.bilibili.com/campl",
     ["CN"], ["zh"], ["outdoor", "electronics"], {"bilibili": 320_000},
     "户外装备拆解与实测"),
    ("Summit Steve", "creator_youtube", "https://www.youtube.com/@summitsteve",
     ["US", "CA"], ["en"], ["outdoor", "sports"], {"youtube": 540_000, "instagram": 95_000},
     "Gear tests from the Rockies, one long video a week"),
    ("Wanderlust Wiebke", "creator_instagram", "https://www.instagram.com/wiebke.wandert",
     ["DE", "AT", "CH"], ["de", "en"], ["outdoor", "travel", "fashion"],
     {"instagram": 64_000, "tiktok": 22_000}, "Hiking in the Alps, honest gear notes"),
    ("Trail Gear Lab", "review_site", "https://trailgearlab.example",
     ["US", "GB"], ["en"], ["outdoor", "sports"], {"website": 0, "newsletter": 18_000},
     "Lab-tested reviews of tents, packs and stoves"),
    ("Base Camp Deals", "deal_site", "https://basecampdeals.example",
     ["US"], ["en"], ["outdoor", "sports", "electronics"], {"newsletter": 41_000},
     "Hand-checked outdoor deals every morning"),
    ("CashTrail", "cashback", "https://cashtrail.example",
     ["GB", "IE"], ["en"], ["outdoor", "fashion", "travel"], {"website": 0},
     "Cashback on outdoor and travel brands"),
    ("The Weekend Hiker", "newsletter", "https://weekendhiker.example",
     ["GB", "US"], ["en"], ["outdoor"], {"newsletter": 27_500},
     "A Friday newsletter: one trail, one piece of gear"),
    ("Vergleich Outdoor", "comparison_site", "https://vergleich-outdoor.example",
     ["DE", "AT"], ["de"], ["outdoor", "sports"], {"website": 0},
     "Preisvergleich für Zelte und Schlafsäcke"),
    ("Campus Trails Club", "campus_ambassador", "https://campustrails.example",
     ["US"], ["en"], ["outdoor", "education"], {"instagram": 8_200},
     "University hiking club, 40 trips a year"),
    ("Open Air Podcast", "podcast", "https://openairpod.example",
     ["US", "CA", "AU"], ["en"], ["outdoor", "travel"], {"podcast": 33_000},
     "Weekly interviews with people who live outside"),
)  # fmt: skip

#: Audience platforms a program partner of each demo type publishes on.
PLATFORMS_OF = {
    "content": ("website", "newsletter"),
    "coupon": ("website",),
    "cashback": ("website",),
    "influencer": ("instagram", "youtube"),
    "b2b_referral": ("linkedin",),
}
HEADLINES = {
    "content": "Reviews and guides for people who camp",
    "coupon": "Verified codes for outdoor shops",
    "cashback": "Cashback for outdoor and travel shoppers",
    "influencer": "Trips and gear, filmed where they happen",
    "b2b_referral": "Outfitting schools, clubs and guides",
}


def _caller(partner) -> Caller:
    return Caller(partner.organization_id, OrganizationKind.PARTNER, partner.id)


def seed_directory(store: Store, program_partners, rng: random.Random, password: str) -> list:
    """Profiles for the program's partners (three in four listed) and the newcomers;
    returns the newcomers (partners in no program yet)."""
    listed = 0
    newcomers = []
    for p in program_partners:
        platforms = PLATFORMS_OF.get(p.partner_type, ("website",))
        audience = {k: int(rng.paretovariate(1.2) * 4000) for k in platforms}
        listing = rng.random() < 0.75
        save_profile(
            store,
            p.caller,
            ProfileIn(
                listed=listing,
                headline=HEADLINES.get(p.partner_type, ""),
                countries=[p.country] if p.country else [],
                languages=["zh"] if p.country == "CN" else ["en"],
                verticals=["outdoor"],
                audience=audience,
            ),
        )
        listed += listing
    for name, kind, site, countries, languages, verticals, audience, headline in NEWCOMERS:
        new = sign_up_partner(
            store,
            name=name,
            email=f"hello+{short_code(6).lower()}@{urlsplit(site).hostname}",
            password=password,
            partner_type=kind,
            country=countries[0],
            website=site,
        )
        save_profile(
            store,
            _caller(new.partner),
            ProfileIn(
                listed=True,
                headline=headline,
                countries=countries,
                languages=languages,
                verticals=verticals,
                audience={k: v for k, v in audience.items() if v},
                site_rank=rng.randint(20_000, 900_000) if "website" in audience else None,
                monthly_visits=rng.randint(40, 900) * 1000 if "website" in audience else None,
                contact_name=name,
                contact_email=f"partners@{urlsplit(site).hostname}",
            ),
        )
        listed += 1
        newcomers.append(new.partner)
    refresh_badges(store)
    return newcomers


def seed_recruiting(store: Store, caller, program_id: str, newcomers, top_ids) -> None:
    """The program's questions to applicants, a rule that approves Chinese creators with an
    audience at once, invitations to two newcomers of the directory, and a group of its
    best partners."""
    recruiting.set_questions(store, caller, program_id, [
        {"text": "Do you mark paid posts as ads?", "kind": "yes_no", "required": True},
        {"text": "Where do you publish most?", "kind": "choice",
         "choices": ["Blog", "Video", "Social", "Newsletter"]},
    ])  # fmt: skip
    recruiting.add_rule(store, caller, program_id, name="Chinese creators, 10,000+",
                        action="approve", conditions={"types": ["creators"], "countries": ["CN"],
                                                      "min_audience": 10_000,
                                                      "answers": {"q1": "yes"}})  # fmt: skip
    reason = "We work only with partners who mark paid posts as ads."
    recruiting.add_rule(store, caller, program_id, name="No ad disclosure", action="decline",
                        conditions={"answers": {"q1": "no"}}, reason=reason)  # fmt: skip
    for partner in newcomers[:2]:
        message = ("We make tents for people who camp for real, and we love your work. "
                   "Join us: 10% on every sale.")  # fmt: skip
        recruiting.invite(store, caller, program_id, partner_id=partner.id,
                          mail=program_invitation, message=message)  # fmt: skip
    recruiting.invite(store, caller, program_id, link=True, max_uses=50,
                      message="Our spring campaign is open to new creators.")  # fmt: skip
    group = recruiting.add_group(store, caller, program_id, name="Top partners",
                                 description="The partners who bring the most")  # fmt: skip
    set_members(store, caller, group.id, list(top_ids))
    engage.publish(store, caller, program_id, title="Spring sale from 1 March",
                   body="Tents and sleeping bags are 20% off from 1 March to 15 March. "
                   "Your links and codes work as usual; the new banners are coming.",
                   by_mail=True)  # fmt: skip
    engage.publish(store, caller, program_id, title="A free tent to review",
                   body="Our best partners may ask for the new Ridge 2 tent to review.",
                   audience="group", value=group.id)  # fmt: skip


def seed_messages(store: Store, caller, program_id: str, top) -> None:
    """The brand writes to its best partner, which answers."""
    engage.post(store, caller, program_id, "Would you review the new Ridge 2 tent? We can "
                "send one this week.", partner_id=top.id, author_name="Lumen Outdoor")  # fmt: skip
    engage.post(store, authenticate(store, top.api_key), program_id, "Gladly: a video the "
                "week after it arrives.", author_name=top.name)  # fmt: skip
