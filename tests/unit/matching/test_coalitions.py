"""Country coalitions in the domain: their rules, the dialogue log's follow-ups, the summary of
who gives what, and the preference for members in the score (one pair and in arrays alike)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from services.matching.domain import policy
from services.matching.domain.candidates import WindowRef, WindowTable, candidate_pairs
from services.matching.domain.coalition_summary import Given, summarise
from services.matching.domain.coalitions import (
    Coalition,
    CoalitionStatus,
    DialogueEntry,
    DialogueKind,
    FollowUp,
    MemberKind,
)
from services.matching.domain.model import Match, MatchStatus
from services.matching.domain.scoring import Context, Weights, explain
from shared.errors import Conflict, Invalid
from shared.events.inventory import SourceDetails, Support
from shared.events.requests import Amount
from shared.geography import load_network
from shared.principal import Principal
from tests.factories import NOW
from tests.matching_factories import TODAY, open_request, request_details, source, window
from tests.system import TEST_CENTRES

NETWORK = load_network(TEST_CENTRES)
STATE = Principal.national("BIH")


def coalition(**changes: Any) -> Coalition:
    values: dict[str, Any] = {
        "state": "BIH",
        "regional_centre": "western-balkans",
        "convention": "CCM",
        "areas": ["survey-and-clearance"],
        "title": "Country coalition for Bosnia and Herzegovina",
        "members": [("netherlands", MemberKind.STATE), ("norway", MemberKind.STATE)],
        "lead": "netherlands",
        "actor": "secretariat",
        "now": NOW,
    }
    return Coalition.propose(**{**values, **changes})


def entry(*follow_ups: FollowUp, on: date = TODAY) -> DialogueEntry:
    return DialogueEntry(
        date=on,
        kind=DialogueKind.ROUND_TABLE,
        participants=("BIH", "netherlands"),
        agreed="Survey of the remaining hazardous areas first.",
        follow_ups=follow_ups,
        recorded_by="national:BIH",
        recorded_at=NOW,
    )


def test_a_coalition_with_a_lead_is_active_and_records_its_proposal() -> None:
    c = coalition()

    assert c.status is CoalitionStatus.ACTIVE
    assert [m.party for m in c.members] == ["netherlands", "norway"]
    assert [e.action for e in c.events] == ["propose"]
    assert coalition(lead=None).status is CoalitionStatus.PROPOSED


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"state": None}, "coalition-state"),
        ({"state": "XXX"}, "coalition-state"),
        ({"convention": "NPT"}, "coalition-convention"),
        ({"areas": ["stockpile-destruction", "moon-clearance"]}, "coalition-area"),
        ({"lead": "japan"}, "lead-not-member"),
    ],
)
def test_a_coalition_needs_a_state_known_obligations_and_a_lead_among_its_members(
    changes: dict[str, Any], rule: str
) -> None:
    with pytest.raises(Invalid) as refused:
        coalition(**changes)
    assert refused.value.rule == rule


def test_members_join_once_leave_when_members_and_the_lead_stays_until_replaced() -> None:
    c = coalition()
    c.join("undp", MemberKind.ORGANISATION, "donor:undp", NOW)

    with pytest.raises(Conflict) as twice:
        c.join("undp", MemberKind.ORGANISATION, "donor:undp", NOW)
    with pytest.raises(Conflict) as stranger:
        c.leave("japan", "donor:japan", NOW)
    with pytest.raises(Conflict) as lead:
        c.leave("netherlands", "secretariat", NOW)
    with pytest.raises(Invalid) as outsider:
        c.change_lead("japan", "secretariat", NOW)

    assert (twice.value.rule, stranger.value.rule, lead.value.rule, outsider.value.rule) == (
        "member-twice",
        "not-a-member",
        "lead-leaving",
        "lead-not-member",
    )
    previous = c.change_lead("norway", "donor:netherlands", NOW)
    c.leave("netherlands", "donor:netherlands", NOW)
    assert (previous, c.lead, [m.party for m in c.members]) == (
        "netherlands",
        "norway",
        ["norway", "undp"],
    )
    assert [e.action for e in c.events] == ["propose", "join", "lead", "leave"]
    assert c.version == 4


def test_the_state_a_coalition_is_formed_around_is_not_one_of_its_members() -> None:
    c = coalition()

    with pytest.raises(Invalid) as joining:
        c.join("bosnia-and-herzegovina", MemberKind.STATE, "national:BIH", NOW)
    with pytest.raises(Invalid) as proposed:
        coalition(members=[("bosnia-and-herzegovina", MemberKind.STATE)], lead=None)

    assert joining.value.rule == proposed.value.rule == "state-not-member"
    assert not c.may_join("bosnia-and-herzegovina")
    assert not c.may_join("norway")  # a member already
    assert c.may_join("japan")
    assert [m.party for m in c.members] == ["netherlands", "norway"]


def test_a_follow_up_has_an_owner_and_is_due_on_or_after_the_dialogue() -> None:
    on_the_day = entry(FollowUp("Share the survey plan", "BIH", TODAY))

    with pytest.raises(Invalid) as early:
        entry(FollowUp("Share the survey plan", "BIH", TODAY - timedelta(days=1)))
    with pytest.raises(Invalid) as nobody:
        entry(FollowUp("Share the survey plan", "  ", TODAY))

    assert early.value.rule == "follow-up-due-before-dialogue"
    assert early.value.field == "follow_ups.0.due"
    assert nobody.value.rule == "follow-up-owner"
    c = coalition()
    c.record_dialogue(on_the_day, NOW)
    assert c.dialogue == [on_the_day]


def test_a_closed_coalition_changes_no_more() -> None:
    c = coalition()
    c.close("secretariat", "obligations fulfilled", NOW)

    with pytest.raises(Conflict) as closed:
        c.join("undp", MemberKind.ORGANISATION, "donor:undp", NOW)
    assert closed.value.rule == "coalition-closed"


def test_who_may_see_and_change_a_coalition() -> None:
    c = coalition()
    netherlands, japan = Principal.for_donor("netherlands"), Principal.for_donor("japan")
    balkans, asia = Principal.regional("western-balkans"), Principal.regional("south-eastern-asia")

    seen = {
        p.label: policy.can_see_country_coalition(p, c)
        for p in (STATE, Principal.national("LAO"), balkans, asia, netherlands, japan)
    }
    assert seen == {
        "national:BIH": True,
        "national:LAO": False,
        "regional:western-balkans": True,
        "regional:south-eastern-asia": False,
        "donor:netherlands": True,
        "donor:japan": False,
    }
    assert policy.may_change_membership(japan, c, "japan")
    assert not policy.may_change_membership(japan, c, "undp")
    assert policy.may_change_membership(STATE, c, "undp")
    assert not policy.may_change_membership(Principal.operator(), c, "undp")
    assert policy.may_record_dialogue(netherlands, c)
    assert not policy.may_record_dialogue(Principal.for_donor("norway"), c)
    assert not policy.may_record_dialogue(balkans, c)
    assert policy.may_propose_coalition(STATE, "BIH")
    assert not policy.may_propose_coalition(STATE, "HRV")
    assert not policy.may_propose_coalition(Principal.operator(), "BIH")


def _match(request_id: Any, donor: str, amount: str, status: MatchStatus) -> Match:
    return Match(
        request_id=request_id,
        state="BIH",
        regional_centre="western-balkans",
        source_id=request_id,
        window_id=request_id,
        donor=donor,
        amount=Decimal(amount),
        currency="USD",
        score=0.5,
        explanation={},
        created_at=NOW,
        expires_at=NOW,
        status=status,
    )


def test_the_summary_sets_the_need_against_what_each_party_gives() -> None:
    usd = lambda value: Amount(value=Decimal(value), currency="USD")  # noqa: E731
    open_ = request_details(state="BIH", amount=usd("1000000.00"))
    funded = request_details(state="BIH", status="funded", amount=usd("300000.00"))
    other_area = request_details(state="BIH", areas=["victim-assistance"], amount=usd("50.00"))
    other_state = request_details(state="HRV", amount=usd("70.00"))
    matches = [
        _match(open_.request_id, "norway", "400000.00", MatchStatus.ACCEPTED),
        _match(open_.request_id, "japan", "100000.00", MatchStatus.PROPOSED),
        _match(funded.request_id, "netherlands", "300000.00", MatchStatus.RESERVED),
    ]
    ledger = [
        Given("netherlands", "committed", Decimal("300000.00"), "USD"),
        Given("netherlands", "disbursed", Decimal("120000.00"), "USD"),
        Given("norway", "pledged", Decimal("500000.00"), "USD"),
    ]

    s = summarise(coalition(), [open_, funded, other_area, other_state], matches, ledger)

    assert [r.request_id for r in s.open_requests] == [open_.request_id]
    assert [r.request_id for r in s.funded_requests] == [funded.request_id]
    (need,) = s.needs
    assert (need.measure, need.asked, need.covered, need.missing) == (
        "USD",
        Decimal("1300000.00"),
        Decimal("700000.00"),
        Decimal("600000.00"),
    )
    netherlands, norway, japan = (s.by_party[p]["USD"] for p in ("netherlands", "norway", "japan"))
    assert (netherlands.covered, netherlands.committed, netherlands.disbursed) == (
        Decimal("300000.00"),
        Decimal("300000.00"),
        Decimal("120000.00"),
    )
    assert (norway.covered, norway.pledged, japan.proposed) == (
        Decimal("400000.00"),
        Decimal("500000.00"),
        Decimal("100000.00"),
    )
    assert s.members == {"netherlands", "norway"}


def _sources() -> list[SourceDetails]:
    supports = [Support(convention="CCM", areas=["survey-and-clearance"])]
    return [
        source(window(), donor=donor, supports=supports, regional_focus=["western-balkans"])
        for donor in ("japan", "norway")
    ]


def test_a_coalition_member_scores_higher_and_the_arrays_agree_with_the_pair() -> None:
    request = open_request(state="BIH", regional_centre="western-balkans")
    japan, norway = _sources()
    plain = Context(TODAY, NOW, Weights(), {})
    with_coalition = Context(TODAY, NOW, Weights(), {}, {"BIH": [coalition()]})

    japan_score, _ = explain(request, japan, with_coalition)
    norway_score, _ = explain(request, norway, with_coalition)
    before, _ = explain(request, norway, plain)

    assert japan_score == pytest.approx(before)
    assert norway_score == pytest.approx(before + 0.25 * (1 - before))
    table = WindowTable([WindowRef(s, s.windows[0], 1e6) for s in (japan, norway)], NETWORK)
    _, windows, scores = candidate_pairs([request], table, with_coalition, 5).arrays()
    assert np.allclose(scores[np.argsort(windows)], [japan_score, norway_score])


def test_members_of_a_coalition_on_other_obligations_are_not_preferred() -> None:
    request = open_request(state="BIH", regional_centre="western-balkans")
    _, norway = _sources()
    elsewhere = coalition(areas=["victim-assistance"])
    closed = coalition()
    closed.close("secretariat", None, NOW)

    for coalitions in ([elsewhere], [coalition(state="HRV")], [closed]):
        context = Context(TODAY, NOW, Weights(), {}, {"BIH": coalitions})
        assert not context.coalition_member(request.details, norway)
