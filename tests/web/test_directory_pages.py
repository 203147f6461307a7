"""The directory in the browser's pages: a partner lists itself from the portal's Profile,
a program manager finds it by words and facets, opens its profile, sees it suggested as
like the program's best partner, and adds a partner type of the brand's own."""

from __future__ import annotations

from accord.ids import short_code
from accord.partners.directory import ProfileIn, save_profile
from accord.partners.service import sign_up_partner
from accord.tenancy.service import create_user
from tests.factories import add_partner, convert
from tests.reports.builders import clicks_at
from tests.web.conftest import PASSWORD, csrf_of, sign_in, unique_email

FORM = {"content-type": "application/x-www-form-urlencoded"}


def _post(client, path, fields: list[tuple[str, str]]):
    from urllib.parse import urlencode

    page = client.get(path)
    return client.post(path, content=urlencode([("csrf", csrf_of(page.text)), *fields]),
                       headers=FORM)  # fmt: skip


def _listed_partner(store, client, tag: str):
    email = unique_email("creator")
    made = sign_up_partner(store, name=f"Shan Ye {tag}", email=email, password=PASSWORD,
                           partner_type="influencer", country="CN")  # fmt: skip
    assert sign_in(client, email).status_code == 303
    return made


def test_a_partner_lists_itself_and_a_manager_finds_it(store, client, manager):
    tag = "zq" + short_code(6).lower()
    made = _listed_partner(store, client, tag)
    page = client.get("/portal/profile")
    assert page.status_code == 200 and "List me in the partner directory" in page.text
    fields = [
        ("listed", "1"), ("partner_type", "creator_douyin"), ("headline", f"Trails {tag}"),
        ("countries", "CN, tw"), ("languages", "zh"), ("verticals", "outdoor"),
        ("verticals", "travel"), ("audience.douyin", "120,000"), ("social.douyin", "shanye"),
        ("contact_email", "shan@ye.example"),
    ]  # fmt: skip
    bad = _post(client, "/portal/profile", [*fields[:3], ("countries", "CN, Narnia")])
    assert bad.status_code == 422
    assert "Write each country as a two-letter code" in bad.text
    assert 'name="countries" value="CN, Narnia" maxlength="200" aria-invalid="true"' in bad.text
    saved = _post(client, "/portal/profile", fields)
    assert saved.status_code == 303 and saved.headers["location"] == "/portal/profile?saved=1"
    assert "Brands on this Accord can find you" in client.get("/portal/profile?saved=1").text
    assert client.get("/console/directory").status_code in (303, 403)  # not a partner's page

    brand, user = manager
    client.cookies.clear()
    assert sign_in(client, user.email).status_code == 303
    found = client.get(f"/console/directory?q={tag}&program={brand.program_id}")
    assert found.status_code == 200
    assert f"Shan Ye {tag}" in found.text and "1 partner found" in found.text
    assert "Douyin creator" in found.text and "120,000" in found.text
    assert "Taiwan" in found.text and "Outdoor and camping" in found.text
    outside = client.get(f"/console/directory?q={tag}&program={brand.program_id}&outside=1")
    assert f"Shan Ye {tag}" in outside.text  # not in the brand's program
    narrowed = client.get(f"/console/directory?q={tag}&type=creators&country=TW")
    assert f"Shan Ye {tag}" in narrowed.text
    none = client.get(f"/console/directory?q={tag}&type=coupons_and_deals")
    assert "No listed partner matches all of this" in none.text
    wrong = client.get("/console/directory?sort=loudest")
    assert wrong.status_code == 200 and "This search could not be run" in wrong.text

    profile = client.get(f"/console/directory/{made.partner.id}")
    assert profile.status_code == 200 and "shan@ye.example" in profile.text
    assert "shanye" in profile.text and "No badge yet" in profile.text
    zh = client.get(f"/console/directory/{made.partner.id}", cookies={"accord_lang": "zh_Hans"})
    assert "抖音创作者" in zh.text and "户外与露营" in zh.text and "台湾" in zh.text


def test_suggestions_name_the_best_partner_and_the_reasons(store, client, manager):
    tag = "zq" + short_code(6).lower()
    brand, user = manager
    best = add_partner(brand, partner_type="creator_douyin", name=f"Best {tag}")
    save_profile(store, best.caller, ProfileIn(countries=["CN"]))  # not listed itself
    convert(brand, amount="500.00", click_id=clicks_at(brand, best, 1))
    made = _listed_partner(store, client, tag)
    _post(client, "/portal/profile", [("listed", "1"), ("partner_type", "creator_douyin"),
                                      ("countries", "CN")])  # fmt: skip
    client.cookies.clear()
    assert sign_in(client, user.email).status_code == 303
    page = client.get(f"/console/directory/suggestions?program={brand.program_id}")
    assert page.status_code == 200
    assert f"Best {tag}" in page.text and f"Shan Ye {tag}" in page.text
    assert "the same type: Douyin creator" in page.text and "promotes to China" in page.text
    assert f"/console/directory/{made.partner.id}" in page.text


def test_a_brand_adds_a_type_of_its_own(store, client, manager):
    brand, user = manager
    assert sign_in(client, user.email).status_code == 303
    page = client.get("/console/settings/partner-types")
    assert page.status_code == 200 and "Xiaohongshu creator" in page.text
    code = "pod_" + short_code(5).lower()
    added = _post(client, "/console/settings/partner-types",
                  [("group", "content_and_reviews"), ("code", code),
                   ("name_en", "Podcast network"), ("name_zh", "播客网络")])  # fmt: skip
    assert added.status_code == 303
    shown = client.get(added.headers["location"])
    assert "Podcast network" in shown.text and "your own" in shown.text
    taken = [("group", "content_and_reviews"), ("code", "coupon"), ("name_en", "X")]
    again = _post(client, "/console/settings/partner-types", taken)
    assert again.status_code == 422 and "not a built-in type" in again.text
    # the brand's own type can be given to a partner it adds, and is named on its pages
    partner = add_partner(brand, partner_type=code, name="Pods")
    listed = client.get(f"/console/partners?program={brand.program_id}&type=content_and_reviews")
    assert "Pods" in listed.text and "Podcast network" in listed.text
    zh = client.get(f"/console/partners/{partner.id}?program={brand.program_id}",
                    cookies={"accord_lang": "zh_Hans"})  # fmt: skip
    assert "播客网络" in zh.text
    analyst = unique_email("analyst")
    create_user(store, brand.caller.organization_id, analyst, PASSWORD, role="analyst")
    client.cookies.clear()
    assert sign_in(client, analyst).status_code == 303
    page = client.get("/console/settings/partner-types")
    assert "Add a type of your own" not in page.text
