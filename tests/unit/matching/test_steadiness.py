"""Steady proposals: a change below the threshold keeps the standing proposal as it is, unless
keeping it would break a hard limit; a material change is proposed anew; every withdrawal says
why, in the vocabulary of `steadiness.REASONS`."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from services.matching.domain import planner, steadiness
from services.matching.domain.model import Match, MatchStatus, OpenRequest
from shared.events.inventory import SourceDetails, SourceStatus
from shared.events.requests import Amount
from tests.factories import NOW
from tests.matching_factories import TODAY, open_request, source, window
from tests.unit.matching.test_planner import OPTIONS


def usd(value: str) -> Amount:
    return Amount(value=Decimal(value), currency="USD")


def first_run(requests: list[OpenRequest], sources: list[SourceDetails]) -> list[Match]:
    proposals = planner.plan(
        planner.Snapshot(requests, sources, [], frozenset()), None, OPTIONS, NOW
    ).proposals
    for match in proposals:
        match.events.clear()
    return proposals


def rerun(
    requests: list[OpenRequest], sources: list[SourceDetails], matches: list[Match]
) -> planner.Plan:
    return planner.plan(
        planner.Snapshot(requests, sources, matches, frozenset()), None, OPTIONS, NOW
    )


def one_proposal(
    available: str, asked: str = "500000.00"
) -> tuple[OpenRequest, SourceDetails, Match]:
    """A request, a fund with one window, and what a first run proposed."""
    request, fund = open_request(amount=usd(asked)), source(window(available))
    [proposal] = first_run([request], [fund])
    return request, fund, proposal


def drifted(match: Match, amount: str) -> Match:
    """The standing proposal as an earlier run left it, for a slightly different amount."""
    return replace(match, amount=Decimal(amount), events=[])


def test_an_amount_a_few_cents_apart_keeps_the_standing_proposal_and_tells_nobody() -> None:
    request, fund, proposal = one_proposal("119999.68")
    standing = drifted(proposal, "119999.60")

    again = rerun([request], [fund], [standing])

    assert proposal.amount == Decimal("119999.68")
    assert (again.proposals, again.withdrawals) == ([], [])
    assert (standing.status, standing.amount, standing.events) == (
        MatchStatus.PROPOSED,
        Decimal("119999.60"),
        [],
    )


def test_a_small_change_is_real_when_keeping_the_old_amount_would_pass_the_capacity() -> None:
    request, fund, proposal = one_proposal("300000.00")
    standing = drifted(proposal, "300000.08")

    again = rerun([request], [fund], [standing])

    assert [p.amount for p in again.proposals] == [Decimal("300000.00")]
    assert again.withdrawals == [standing]
    assert standing.reason == "amount changed: 300,000.08 to 300,000.00 USD"


@pytest.mark.parametrize(
    ("limit", "reason"),
    [
        ({"min_grant": Decimal("300000")}, "amount changed: 299,999.50 to 300,000.00 USD"),
        ({"max_grant": Decimal("299999.90")}, "amount changed: 300,000.00 to 299,999.90 USD"),
    ],
)
def test_a_small_change_is_real_when_the_old_amount_breaks_a_grant_limit(
    limit: dict[str, Decimal], reason: str
) -> None:
    request, fund, proposal = one_proposal("300000.00")
    capped = fund.model_copy(update=limit)
    standing = drifted(proposal, "299999.50" if "min_grant" in limit else "300000.00")

    again = rerun([request], [capped], [standing])

    assert len(again.proposals) == 1
    assert standing.reason == reason


def test_keeping_an_amount_never_over_funds_the_request() -> None:
    request, fund, proposal = one_proposal("300000.00", asked="200000.00")
    standing = drifted(proposal, "200000.50")

    again = rerun([request], [fund], [standing])

    assert [p.amount for p in again.proposals] == [Decimal("200000.00")]
    assert standing.status is MatchStatus.WITHDRAWN


def test_a_material_change_is_proposed_anew_with_the_amounts_in_its_reason() -> None:
    request, fund, proposal = one_proposal("300000.00")
    standing = drifted(proposal, "250000.00")

    again = rerun([request], [fund], [standing])

    assert [p.amount for p in again.proposals] == [Decimal("300000.00")]
    assert standing.reason == "amount changed: 250,000.00 to 300,000.00 USD"
    assert [e.reason for e in standing.events] == [standing.reason]


def test_the_threshold_is_a_share_of_the_need_or_an_amount_whichever_is_larger() -> None:
    rule = steadiness.Steadiness(share=Decimal("0.02"), amount=Decimal(100))

    assert rule.immaterial(Decimal(300_000), Decimal(290_001), need=Decimal(500_000))
    assert not rule.immaterial(Decimal(300_000), Decimal(290_000), need=Decimal(500_000))
    assert rule.immaterial(Decimal(1_000), Decimal("1099.99"), need=Decimal(2_000))
    assert not rule.immaterial(Decimal(1_000), Decimal(1_100), need=Decimal(2_000))
    assert steadiness.Steadiness(Decimal(0), Decimal(0)).immaterial(
        Decimal(5), Decimal(5), Decimal(5)
    )


def test_no_threshold_keeps_only_equal_amounts() -> None:
    request, fund, proposal = one_proposal("119999.68")
    standing = drifted(proposal, "119999.60")
    options = replace(OPTIONS, steady=steadiness.Steadiness(Decimal(0), Decimal(0)))

    again = planner.plan(
        planner.Snapshot([request], [fund], [standing], frozenset()), None, options, NOW
    )

    assert [p.amount for p in again.proposals] == [Decimal("119999.68")]
    assert standing.reason == "amount changed: 119,999.60 to 119,999.68 USD"


def two_windows_one_request() -> tuple[OpenRequest, SourceDetails, SourceDetails, list[Match]]:
    request = open_request(amount=usd("900000.00"))
    norway, sweden = source(window("600000.00")), source(window("300000.00"), donor="sweden")
    return request, norway, sweden, first_run([request], [norway, sweden])


def withdrawn_reason(plan: planner.Plan, donor: str) -> str | None:
    return next(m.reason for m in plan.withdrawals if m.donor == donor)


def test_a_request_covered_by_commitments_has_its_other_proposals_withdrawn_saying_so() -> None:
    request, norway, sweden, proposals = two_windows_one_request()
    covered = OpenRequest(request.details, request.published_at, Decimal(0))

    again = rerun([covered], [norway, sweden], proposals)

    assert {m.reason for m in again.withdrawals} == {"covered by commitments"}


def test_a_source_no_longer_proposed_is_withdrawn_as_unavailable() -> None:
    request, norway, _, proposals = two_windows_one_request()

    again = rerun([request], [norway], proposals)  # sweden paused, or nobody answers for it

    assert withdrawn_reason(again, "sweden") == "source unavailable"


def test_a_closed_window_is_withdrawn_naming_the_rule_it_now_breaks() -> None:
    request, norway, sweden, proposals = two_windows_one_request()
    closing = TODAY - timedelta(days=1)
    closed = sweden.model_copy(
        update={"windows": [sweden.windows[0].model_copy(update={"closes": closing})]}
    )

    again = rerun([request], [norway, closed], proposals)

    assert withdrawn_reason(again, "sweden") == (
        f"no longer eligible: window-open-before-deadline (window closed on {closing})"
    )


def test_a_paused_source_still_seen_is_withdrawn_naming_the_rule() -> None:
    request, norway, sweden, proposals = two_windows_one_request()
    paused = sweden.model_copy(update={"status": SourceStatus.PAUSED})

    again = rerun([request], [norway, paused], proposals)

    assert (withdrawn_reason(again, "sweden") or "").startswith("no longer eligible: source-active")


def test_a_window_whose_capacity_another_request_took_is_withdrawn_saying_so() -> None:
    lao = open_request(amount=usd("300000.00"))
    fund = source(window("300000.00"))
    [proposal] = first_run([lao], [fund])
    khm = open_request(state="KHM", amount=usd("300000.00"))
    [taken] = first_run([khm], [fund])
    taken.accept("donor:norway", NOW)

    again = rerun([lao, khm], [fund], [proposal, taken])

    assert again.withdrawals == [proposal]
    assert proposal.reason == "capacity taken by other requests"


def a_match(request: OpenRequest, fund: SourceDetails, at: int, amount: str) -> Match:
    """A proposal of the fund's window number `at`, as an earlier run made it."""
    match = Match.propose(
        NOW,
        request_id=request.request_id,
        state=request.details.state,
        regional_centre=request.details.regional_centre,
        source_id=fund.source_id,
        window_id=fund.windows[at].window_id,
        donor=fund.donor,
        amount=Decimal(amount),
        currency="USD",
        score=0.5,
        explanation={},
        expires_at=NOW + timedelta(days=30),
    )
    match.events.clear()
    return match


def test_a_source_whose_maximum_grant_its_commitments_took_is_withdrawn_saying_so() -> None:
    request = open_request(amount=usd("900000.00"))
    capped = source(window("300000.00"), window("600000.00"), max_grant=Decimal("600000"))
    committed = a_match(request, capped, 1, "600000.00")
    committed.accept("donor:norway", NOW)
    standing = a_match(request, capped, 0, "300000.00")
    left = OpenRequest(request.details, request.published_at, Decimal(300_000))

    again = rerun([left], [capped], [committed, standing])

    assert again.proposals == []
    assert standing.reason == (
        "grant limit: the source has committed 600,000.00 of its maximum grant 600,000 "
        "to the request"
    )


def test_every_reason_starts_with_a_word_of_the_vocabulary() -> None:
    assert steadiness.request_closed("withdrawn") == "request withdrawn"
    assert len(set(steadiness.REASONS)) == len(steadiness.REASONS) == 8
