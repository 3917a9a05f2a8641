"""The extension request's state machine and the rules of who may act on it, on plain objects."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from services.requests.domain import extension_policy as policy
from services.requests.domain.extensions import (
    DeadlineRefused,
    Decision,
    ExtensionRefused,
    ExtensionRequest,
    ExtensionStatus,
    Plan,
)
from services.requests.domain.model import LifecycleRefused, Status
from services.requests.settings import RequestsSettings
from shared.errors import Forbidden, Invalid
from shared.obligations import obligations
from shared.principal import Principal
from shared.values import Money
from tests.factories import NOW, draft_request

LAO_CLEARANCE = obligations().of("LAO", "CCM", "survey-and-clearance")
LATER = NOW + timedelta(hours=1)
GROUP = {"CCM": frozenset({"national:MNE", "donor:netherlands"})}


def plan(requested: date = date(2030, 8, 1)) -> Plan:
    return Plan(requested, "Survey then clear 40 km²", Money(Decimal("9000000"), "USD"), "Access")


def filed(requested: date = date(2030, 8, 1)) -> ExtensionRequest:
    assert LAO_CLEARANCE is not None
    return ExtensionRequest.file(
        LAO_CLEARANCE,
        LAO_CLEARANCE.deadline,
        plan(requested),
        "south-eastern-asia",
        "national:LAO",
        NOW,
    )


def test_the_data_names_the_obligations_with_their_article_and_deadline() -> None:
    assert LAO_CLEARANCE is not None
    assert (LAO_CLEARANCE.article, LAO_CLEARANCE.deadline) == ("4", date(2025, 8, 1))
    assert obligations().of("MNE", "CCM", "survey-and-clearance") is None


def test_questions_answers_analysis_and_grant_in_order() -> None:
    extension = filed()
    extension.ask("What does the survey cover?", "national:MNE", NOW)
    extension.ask("Who clears?", "donor:netherlands", NOW)
    extension.answer("Four provinces", "national:LAO", NOW)
    assert extension.status is ExtensionStatus.QUESTIONS_OPEN
    extension.answer("The national authority and two operators", "national:LAO", NOW)
    extension.analyse("The plan is realistic", "national:MNE", LATER)
    extension.decide(Decision(True, date(2029, 8, 1), "13MSP", None), "secretariat", LATER)

    assert extension.status is ExtensionStatus.GRANTED
    assert extension.granted_deadline == date(2029, 8, 1)
    assert [t.action for t in extension.history] == [
        "submit",
        "ask",
        "ask",
        "answer",
        "answer",
        "analyse",
        "decide",
    ]
    assert [t.to_status for t in extension.history][3:6] == [
        ExtensionStatus.QUESTIONS_OPEN,
        ExtensionStatus.UNDER_ANALYSIS,
        ExtensionStatus.ANALYSED,
    ]
    assert extension.version == 7
    assert [q.answered_by for q in extension.questions] == ["national:LAO", "national:LAO"]


def test_a_refusal_sets_no_deadline() -> None:
    extension = filed()
    extension.analyse("Not enough survey", "national:MNE", NOW)
    extension.decide(Decision(False, None, "13MSP", "Resubmit"), "secretariat", NOW)

    assert (extension.status, extension.granted_deadline) == (ExtensionStatus.NOT_GRANTED, None)
    decided = filed()
    decided.analyse("x", "national:MNE", NOW)
    with pytest.raises(DeadlineRefused) as refused:
        decided.decide(Decision(False, date(2031, 1, 1), "13MSP", None), "secretariat", NOW)
    assert refused.value.rule == "no-deadline-when-not-granted"


@pytest.mark.parametrize(
    ("stated", "requested", "rule"),
    [
        (date(2025, 8, 2), date(2030, 8, 1), "current-deadline-on-record"),
        (date(2025, 8, 1), date(2025, 8, 1), "deadline-after-current"),
        (date(2025, 8, 1), date(2024, 1, 1), "deadline-after-current"),
    ],
    ids=["current deadline not on record", "same deadline", "earlier deadline"],
)
def test_filing_checks_the_deadlines(stated: date, requested: date, rule: str) -> None:
    assert LAO_CLEARANCE is not None
    with pytest.raises(DeadlineRefused) as refused:
        ExtensionRequest.file(LAO_CLEARANCE, stated, plan(requested), None, "national:LAO", NOW)
    assert refused.value.rule == rule


def test_steps_out_of_order_are_refused_naming_the_rule() -> None:
    extension = filed()
    with pytest.raises(ExtensionRefused, match="no question") as no_question:
        extension.answer("unasked", "national:LAO", NOW)
    with pytest.raises(ExtensionRefused) as undecidable:
        extension.decide(Decision(True, date(2030, 1, 1), "13MSP", None), "secretariat", NOW)
    extension.ask("Why?", "national:MNE", NOW)
    with pytest.raises(ExtensionRefused) as open_questions:
        extension.analyse("early", "national:MNE", NOW)

    assert (no_question.value.rule, undecidable.value.rule) == ("no-open-question", "not-decidable")
    assert open_questions.value.rule == "not-analysable"
    assert extension.version == 2


def test_a_grant_names_a_deadline_after_the_current_one() -> None:
    extension = filed()
    extension.analyse("fine", "national:MNE", NOW)
    for deadline, rule in [
        (None, "granted-deadline-required"),
        (date(2025, 8, 1), "deadline-after-current"),
    ]:
        with pytest.raises(DeadlineRefused) as refused:
            extension.decide(Decision(True, deadline, "13MSP", None), "secretariat", NOW)
        assert refused.value.rule == rule
    assert extension.status is ExtensionStatus.ANALYSED


def test_who_sees_and_who_acts() -> None:
    extension = filed()
    seers = [
        Principal.national("LAO"),
        Principal.regional("south-eastern-asia"),
        Principal.national("MNE"),
        Principal.secretariat(),
        Principal.operator(),
    ]
    blind = [Principal.national("KHM"), Principal.for_donor("norway"), Principal.regional("x")]

    assert all(policy.can_see(p, extension, GROUP) for p in seers)
    assert not any(policy.can_see(p, extension, GROUP) for p in blind)
    assert policy.can_see(Principal.for_donor("netherlands"), extension, GROUP)
    with pytest.raises(Forbidden) as outsider:
        policy.require_analysis_group(Principal.secretariat(), extension, GROUP)
    with pytest.raises(Forbidden) as other_state:
        policy.require_files_for(Principal.national("KHM"), "LAO")
    assert (outsider.value.rule, other_state.value.rule) == (
        "analysis-group-only",
        "state-files-own-extension",
    )


def test_lists_are_scoped_by_office_and_group() -> None:
    member = policy.scope(Principal.national("MNE"), GROUP)

    assert (member.state, member.conventions, member.everything) == ("MNE", {"CCM"}, False)
    assert policy.scope(Principal.operator(), GROUP).everything
    assert policy.scope(Principal.for_donor("norway"), GROUP).conventions == frozenset()


@pytest.mark.parametrize("member", ["national:XXX", "secretariat", "donor:", "nobody"])
def test_an_analysis_group_names_principals_only(member: str) -> None:
    with pytest.raises(Invalid) as refused:
        policy.analysis_member(member)
    assert refused.value.rule == "analysis-member"


def test_a_request_under_way_has_its_deadline_extended_and_a_closed_one_not() -> None:
    request = draft_request()
    request.submit("national:LAO", NOW)
    request.extend_deadline(date(2030, 1, 1), "secretariat", NOW, "Article 4 deadline extended")
    assert (request.status, request.need.deadline) == (Status.SUBMITTED, date(2030, 1, 1))
    assert request.history[-1].action == "extend-deadline"
    request.withdraw("national:LAO", NOW)
    with pytest.raises(LifecycleRefused) as refused:
        request.extend_deadline(date(2031, 1, 1), "secretariat", NOW, "again")
    assert refused.value.rule == "not-extendable"


def test_the_steps_open_to_each_office_follow_the_lifecycle() -> None:
    extension = filed()
    lao, mne, secretariat = (
        Principal.national("LAO"),
        Principal.national("MNE"),
        Principal.secretariat(),
    )
    assert policy.steps_open_to(mne, extension, GROUP) == ["questions", "analysis"]
    assert policy.steps_open_to(lao, extension, GROUP) == []
    extension.ask("Why?", "national:MNE", NOW)
    assert policy.steps_open_to(lao, extension, GROUP) == ["answers"]
    assert policy.steps_open_to(mne, extension, GROUP) == ["questions"]
    extension.answer("Because", "national:LAO", NOW)
    extension.analyse("Fine", "national:MNE", NOW)
    assert policy.steps_open_to(secretariat, extension, GROUP) == ["decision"]
    assert policy.steps_open_to(mne, extension, GROUP) == []


def test_a_deployment_names_its_own_obligations_file(tmp_path: Path) -> None:
    own = tmp_path / "obligations.json"
    mine = {"mine-clearance": {"article": "5", "states": {"LKA": "2028-06-01"}}}
    own.write_text(json.dumps({"notice": "ours", "conventions": {"APMBC": mine}}))
    wrong = tmp_path / "wrong.json"
    bad = {"peacekeeping": {"article": "9", "states": {}}}
    wrong.write_text(json.dumps({"notice": "", "conventions": {"CCM": bad}}))

    assert obligations(own).of("LKA", "APMBC", "mine-clearance") is not None
    assert obligations(own).of("LAO", "CCM", "survey-and-clearance") is None
    with pytest.raises(ValueError, match="peacekeeping"):
        obligations(wrong)
    assert RequestsSettings(obligations_file=own).obligations_file == own
