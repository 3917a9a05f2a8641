"""The request's state machine, on plain objects."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from services.requests.domain.model import AssistanceRequest, LifecycleRefused, Status
from tests.factories import NOW, draft_request, need

LATER = NOW + timedelta(hours=1)


def published() -> AssistanceRequest:
    request = draft_request()
    request.submit("national:LAO", NOW)
    request.endorse("regional:south-eastern-asia", NOW)
    request.publish("secretariat", NOW)
    return request


def test_the_happy_path_records_who_when_and_why() -> None:
    request = draft_request()
    request.submit("national:LAO", NOW)
    request.endorse("regional:south-eastern-asia", NOW, "priority for the region")
    request.publish("secretariat", NOW)
    request.record_coverage(1, Decimal("500000"), False, "matching", NOW)
    request.record_coverage(2, Decimal("1500000"), True, "matching", NOW)
    request.record_reservation(Decimal("1500000"), "inventory", NOW)
    request.complete("national:LAO", LATER)

    assert request.status is Status.COMPLETED
    assert [t.to_status for t in request.history] == [
        Status.DRAFT,
        Status.SUBMITTED,
        Status.ENDORSED,
        Status.PUBLISHED,
        Status.PARTLY_MATCHED,
        Status.MATCHED,
        Status.FUNDED,
        Status.COMPLETED,
    ]
    assert request.history[2].actor == "regional:south-eastern-asia"
    assert request.history[2].reason == "priority for the region"
    assert request.history[-1].at == LATER
    assert len(request.events) == len(request.history)


def test_a_returned_request_is_amended_and_resubmitted() -> None:
    request = draft_request()
    request.submit("national:LAO", NOW)
    request.return_for_amendment("regional:south-eastern-asia", NOW, "add the survey report")
    request.amend(need(title="Clearance with survey report attached"), "national:LAO", NOW)
    request.submit("national:LAO", NOW)

    assert request.status is Status.SUBMITTED
    assert request.need.title == "Clearance with survey report attached"
    assert [t.action for t in request.history] == ["create", "submit", "return", "amend", "submit"]


@pytest.mark.parametrize(
    ("steps", "illegal", "rule"),
    [
        ([], lambda r: r.endorse("x", NOW), "not-reviewable"),
        ([lambda r: r.submit("x", NOW)], lambda r: r.submit("x", NOW), "not-submittable"),
        ([lambda r: r.submit("x", NOW)], lambda r: r.amend(need(), "x", NOW), "not-editable"),
        ([lambda r: r.submit("x", NOW)], lambda r: r.publish("x", NOW), "not-publishable"),
        ([], lambda r: r.complete("x", NOW), "not-completable"),
        ([lambda r: r.withdraw("x", NOW)], lambda r: r.withdraw("x", NOW), "not-withdrawable"),
        (
            [lambda r: r.submit("x", NOW)],
            lambda r: r.return_for_amendment("x", NOW, "  "),
            "reason-required",
        ),
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(steps, illegal, rule) -> None:  # type: ignore[no-untyped-def]
    request = draft_request()
    for step in steps:
        step(request)
    before = (request.status, request.version, len(request.history), len(request.events))

    with pytest.raises(LifecycleRefused) as refused:
        illegal(request)

    assert refused.value.rule == rule
    assert (request.status, request.version, len(request.history), len(request.events)) == before


def test_a_request_cannot_be_submitted_or_published_past_its_deadline() -> None:
    request = draft_request(deadline=NOW.date())

    with pytest.raises(LifecycleRefused, match="deadline"):
        request.submit("national:LAO", NOW)


def test_open_requests_expire_after_their_deadline_and_others_do_not() -> None:
    request = draft_request()
    request.submit("national:LAO", NOW)
    deadline = request.need.deadline

    assert not request.expire_if_due(deadline, NOW)
    assert request.expire_if_due(deadline + timedelta(days=1), NOW)
    assert request.status is Status.EXPIRED
    assert request.history[-1].actor == "system"
    assert not request.expire_if_due(deadline + timedelta(days=2), NOW)


def test_older_coverage_is_ignored_and_coverage_can_fall_back() -> None:
    request = published()

    assert request.record_coverage(2, Decimal("1500000"), True, "matching", NOW)
    assert not request.record_coverage(1, Decimal("10"), False, "matching", NOW)
    assert request.status is Status.MATCHED
    request.record_coverage(3, Decimal("0"), False, "matching", NOW)
    assert request.status is Status.PUBLISHED


def test_funds_accumulate_until_they_cover_the_amount() -> None:
    request = published()
    request.record_coverage(1, Decimal("1500000"), True, "matching", NOW)

    request.record_reservation(Decimal("1000000"), "inventory", NOW)
    assert request.status is Status.MATCHED
    request.record_reservation(Decimal("500000"), "inventory", NOW)
    assert request.status is Status.FUNDED


def test_the_global_tier_sees_a_request_once_endorsed_or_when_no_centre_reviews_it() -> None:
    reviewed = draft_request()
    unreviewed = draft_request(state="ATA", centre=None)
    reviewed.submit("national:LAO", NOW)

    assert not reviewed.on_global_tier
    assert unreviewed.on_global_tier
    reviewed.endorse("regional:south-eastern-asia", NOW)
    assert reviewed.on_global_tier
