"""Recruiting: questions to applicants, rules that decide applications at once (the rule
that decided is kept on the application), invitations by e-mail or link with a message and
a proposed contract, and groups whose contract their members move onto."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.clock import FixedClock
from accord.contracts.service import RuleSpec, create_contract
from accord.errors import Conflict, Forbidden, Gone, InvalidInput, NotFound
from accord.ids import short_code
from accord.partners import recruiting as rc
from accord.partners import rules as r
from accord.partners.directory import ProfileIn, save_profile
from accord.partners.groups import set_members
from accord.partners.service import apply_to_program, sign_up_partner
from accord.partners.tables import Enrollment
from accord.programs.service import update_program
from accord.store.engine import Store
from accord.tenancy.model import Caller, OrganizationKind
from tests.conftest import START
from tests.factories import add_partner, make_brand

PASSWORD = "correct horse battery"
QUESTIONS = [
    {"text": "Do you disclose paid posts?", "kind": "yes_no", "required": True},
    {"text": "Where do you publish?", "kind": "choice", "choices": ["Douyin", "Blog"]},
    {"text": "Your best post", "kind": "url"},
]


def _partner(store, kind="creator_douyin", country="CN", audience=None):
    email = f"p-{short_code(8).lower()}@x.example"
    made = sign_up_partner(store, name=f"P {short_code(4)}", email=email, password=PASSWORD,
                           partner_type=kind, country=country)  # fmt: skip
    caller = Caller(made.partner.organization_id, OrganizationKind.PARTNER, made.partner.id)
    if audience is not None:
        save_profile(store, caller, ProfileIn(audience={"douyin": audience}))
    return made.partner, caller


@pytest.fixture
def program(engine):
    store = Store(engine, FixedClock(START))
    brand = make_brand(store)
    update_program(store, brand.caller, brand.program_id, {"listed": True})
    rc.set_questions(store, brand.caller, brand.program_id, QUESTIONS)
    return store, brand


def _status(store, enrollment_id):
    with store.read() as session:
        row = session.get(Enrollment, enrollment_id)
        return row.status, row.decided_by, row.decision_reason, row.application_answers


def test_rules_decide_at_once_and_say_which(program):
    store, brand = program
    rc.add_rule(store, brand.caller, brand.program_id, name="No disclosure", action="decline",
                conditions={"answers": {"q1": "no"}},
                reason="We only work with creators who mark paid posts.")  # fmt: skip
    rc.add_rule(store, brand.caller, brand.program_id, name="Chinese creators, 10k+",
                action="approve", conditions={"types": ["creators"], "countries": ["CN"],
                                              "min_audience": 10000})  # fmt: skip
    _, good_caller = _partner(store, audience=50_000)
    applied = apply_to_program(store, good_caller, brand.program_id, "hi",
                               {"q1": "yes", "q2": "Douyin", "q3": "v.douyin.com/x"})  # fmt: skip
    status, decided, _, answers = _status(store, applied.id)
    assert status == "approved" and decided["by"] == "rule"
    assert decided["name"] == "Chinese creators, 10k+"
    assert ["countries", "CN"] in decided["met"] and ["audience", "50000"] in decided["met"]
    assert answers == {"q1": "yes", "q2": "Douyin", "q3": "https://v.douyin.com/x"}

    _, hider = _partner(store, audience=50_000)
    declined = apply_to_program(store, hider, brand.program_id, None, {"q1": "no"})
    status, decided, reason, _ = _status(store, declined.id)
    assert status == "declined" and decided["name"] == "No disclosure"
    assert reason == "We only work with creators who mark paid posts."

    _, small = _partner(store, audience=900)  # no rule holds: a person decides
    waiting = apply_to_program(store, small, brand.program_id, None, {"q1": "yes"})
    assert _status(store, waiting.id)[:2] == ("applied", None)

    _, careless = _partner(store)
    for answers, field in (({}, "answers.q1"), ({"q1": "maybe"}, "answers.q1"),
                           ({"q1": "yes", "q2": "Radio"}, "answers.q2"),
                           ({"q1": "yes", "q3": "not a site"}, "answers.q3")):  # fmt: skip
        with pytest.raises(InvalidInput) as caught:
            apply_to_program(store, careless, brand.program_id, None, answers)
        assert caught.value.field == field


def test_a_rule_is_checked_when_it_is_made(program):
    store, brand = program
    for conditions, field in (
        ({}, "conditions"),
        ({"types": ["wizards"]}, "conditions.types"),
        ({"countries": ["China"]}, "conditions.countries"),
        ({"min_audience": "lots"}, "conditions.min_audience"),
        ({"min_audience": 10, "max_audience": 5}, "conditions.max_audience"),
        ({"max_risk": 300}, "conditions.max_risk"),
        ({"answers": {"q9": "yes"}}, "conditions.answers"),
        ({"answers": {"q1": "perhaps"}}, "conditions.answers"),
        ({"weather": "sunny"}, "conditions.weather"),
    ):
        with pytest.raises(InvalidInput) as caught:
            rc.add_rule(store, brand.caller, brand.program_id, name="x", action="approve",
                        conditions=conditions)  # fmt: skip
        assert caught.value.field == field
    with pytest.raises(InvalidInput) as caught:  # a declined partner reads why
        rc.add_rule(store, brand.caller, brand.program_id, name="x", action="decline",
                    conditions={"countries": ["US"]})  # fmt: skip
    assert caught.value.field == "reason"
    rule = rc.add_rule(store, brand.caller, brand.program_id, name="Answers", action="approve",
                       conditions={"answers": {"q1": "yes"}})  # fmt: skip
    asked = rc.questions_of(store, brand.caller, brand.program_id)
    assert [q["id"] for q in asked] == ["q1", "q2", "q3"]
    with pytest.raises(InvalidInput):  # the rule reads q1: it cannot be taken away
        rc.set_questions(store, brand.caller, brand.program_id, asked[1:])
    kept = rc.set_questions(store, brand.caller, brand.program_id, [*asked, {"text": "New?"}])
    assert [q["id"] for q in kept] == ["q1", "q2", "q3", "q4"]
    other = make_brand(store)
    with pytest.raises(NotFound):
        rc.change_rule(store, other.caller, rule.id, delete_it=True)


def test_invitations_by_mail_and_link(program):
    store, brand = program
    vip = create_contract(store, brand.caller, brand.program_id, "VIP",
                          [RuleSpec(event_type="sale", percent="12")])  # fmt: skip
    listed, listed_caller = _partner(store)
    save_profile(store, listed_caller, ProfileIn(listed=True, contact_email="hi@listed.example"))
    written = []

    def mail(session, row, token, to, lang):
        written.append((to, lang))

    made = rc.invite(store, brand.caller, brand.program_id, partner_id=listed.id, mail=mail,
                     message="We love your trail videos.", contract_id=vip.id,
                     preapproved=True)  # fmt: skip
    assert written == [("hi@listed.example", "zh_Hans")]  # a CN partner reads Chinese
    seen = rc.view_invitation(store, made.token)
    assert seen.message == "We love your trail videos." and seen.contract_name == "VIP"
    _, intruder = _partner(store)
    with pytest.raises(Forbidden):  # an invitation for one partner is that partner's
        apply_to_program(store, intruder, brand.program_id, None, {"q1": "yes"},
                         invitation_token=made.token)  # fmt: skip
    joined = apply_to_program(store, listed_caller, brand.program_id, None, {"q1": "yes"},
                              invitation_token=made.token)  # fmt: skip
    status, decided, _, _ = _status(store, joined.id)
    assert status == "approved" and decided == {
        "by": "invitation",
        "invitation_id": made.invitation.id,
    }
    assert joined.contract_id == vip.id
    with pytest.raises((Gone, Conflict)):
        rc.view_invitation(store, made.token)

    link = rc.invite(store, brand.caller, brand.program_id, link=True, max_uses=2,
                     message="Join our spring campaign")  # fmt: skip
    for _ in range(2):
        _, someone = _partner(store, audience=100)
        got = apply_to_program(store, someone, brand.program_id, None, {"q1": "yes"},
                               invitation_token=link.token)  # fmt: skip
        assert _status(store, got.id)[0] == "applied"  # not preapproved: decided as usual
    _, late = _partner(store)
    with pytest.raises(Gone):
        apply_to_program(store, late, brand.program_id, None, {"q1": "yes"},
                         invitation_token=link.token)  # fmt: skip
    expiring = rc.invite(store, brand.caller, brand.program_id, email="x@y.example", days=1)
    store.clock.advance(timedelta(days=2))
    with pytest.raises(Gone):
        rc.view_invitation(store, expiring.token)
    with pytest.raises(NotFound):
        rc.view_invitation(store, "made-up")
    for kwargs, field in (({}, "email"), ({"email": "a@b.example", "link": True}, "email"),
                          ({"email": "nope"}, "email"), ({"link": True, "days": 0}, "days"),
                          ({"email": "a@b.example", "max_uses": 3}, "max_uses")):  # fmt: skip
        with pytest.raises(InvalidInput) as caught:
            rc.invite(store, brand.caller, brand.program_id, **kwargs)
        assert caught.value.field == field


def test_a_group_moves_its_members_onto_its_contract(program):
    store, brand = program
    vip = create_contract(store, brand.caller, brand.program_id, "VIP",
                          [RuleSpec(event_type="sale", percent="12")])  # fmt: skip
    a, b = add_partner(brand), add_partner(brand)
    group = rc.add_group(store, brand.caller, brand.program_id, name="Top creators",
                         contract_id=vip.id)  # fmt: skip
    assert set_members(store, brand.caller, group.id, [a.id, b.id]) == sorted([a.id, b.id])
    from accord.partners.service import contract_holders

    holders = {h.partner_id: h for h in contract_holders(store, brand.caller, brand.program_id)}
    assert holders[a.id].contract_id == vip.id and holders[b.id].contract_id == vip.id
    [shown] = rc.groups(store, brand.caller, brand.program_id)
    assert shown.name == "Top creators" and len(shown.members) == 2
    with pytest.raises(Conflict):
        rc.add_group(store, brand.caller, brand.program_id, name="top CREATORS")
    stranger = add_partner(make_brand(store))
    with pytest.raises(InvalidInput):
        set_members(store, brand.caller, group.id, [stranger.id])


FACTS = st.builds(
    r.Facts,
    partner_type=st.sampled_from(["creator_douyin", "coupon", "review_site", "reseller"]),
    countries=st.frozensets(st.sampled_from(["CN", "US", "DE"]), max_size=2),
    audience_total=st.integers(0, 2_000_000),
    risk=st.none() | st.integers(0, 100),
    answers=st.dictionaries(st.just("q1"), st.sampled_from(["yes", "no"])),
)
CONDITIONS = st.fixed_dictionaries(
    {},
    optional={
        "types": st.lists(st.sampled_from(["creators", "coupon", "business_partners"]),
                          min_size=1, max_size=2),
        "countries": st.lists(st.sampled_from(["CN", "US", "DE"]), min_size=1, max_size=2),
        "min_audience": st.integers(0, 1_000_000),
        "max_risk": st.integers(0, 100),
        "answers": st.fixed_dictionaries({"q1": st.sampled_from(["yes", "no"])}),
    },
)  # fmt: skip


@given(st.lists(CONDITIONS, max_size=5), FACTS)
def test_the_first_rule_that_holds_decides(conditions, facts):
    rules = [r.Rule(f"r{i}", f"rule {i}", "approve" if i % 2 else "decline", c)
             for i, c in enumerate(conditions)]  # fmt: skip
    found = r.decide(rules, facts)
    holding = [rule for rule in rules if r.holds(rule.conditions, facts) is not None]
    assert (found.rule if found else None) == (holding[0] if holding else None)
    if found is not None:  # every condition of the deciding rule is named as met
        assert len(found.met) == len(found.rule.conditions) - (
            "answers" in found.rule.conditions
        ) + len(found.rule.conditions.get("answers", {}))
        if "max_risk" in found.rule.conditions:
            assert facts.risk is not None and facts.risk <= found.rule.conditions["max_risk"]
