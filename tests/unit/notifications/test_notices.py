"""Which audiences hear of each event, and how loudly: pure rules, no I/O."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

from services.notifications.domain.model import Notice, Severity
from services.notifications.domain.notices import Known, RequestFacts, notices_for, supports
from shared.eligibility import Eligibility
from shared.events import inventory as inv
from shared.events import matching as mat
from shared.events import requests as req
from tests.factories import match, request_event


def _audiences(notices: list[Notice]) -> dict[str, Severity]:
    return {n.audience: n.severity for n in notices}


def test_a_returned_request_warns_its_state_only() -> None:
    event = request_event(
        req.RequestReturned, status="returned", from_status="submitted", reason="no survey"
    )
    notices = notices_for(event, Known())
    assert _audiences(notices) == {
        "national:LAO": Severity.WARNING,
        "regional:south-eastern-asia": Severity.INFO,
        "operator": Severity.INFO,
    }
    assert "no survey" in notices[0].summary
    assert {n.request_id for n in notices} == {event.request.request_id}


def test_a_returned_endorsement_reaches_the_secretariat_that_had_it() -> None:
    event = request_event(req.RequestReturned, status="returned", from_status="endorsed")
    assert "secretariat" in _audiences(notices_for(event, Known()))


def test_an_endorsement_asks_the_secretariat_to_publish() -> None:
    event = request_event(req.RequestEndorsed, status="endorsed", from_status="submitted")
    assert _audiences(notices_for(event, Known()))["secretariat"] is Severity.WARNING


def test_an_escalation_asks_the_secretariat_and_reminds_the_centre() -> None:
    event = request_event(
        req.RequestEscalated,
        status="submitted",
        from_status="submitted",
        reason="not reviewed by south-eastern-asia within 14 days",
    )
    notices = notices_for(event, Known())
    assert _audiences(notices) == {
        "national:LAO": Severity.INFO,
        "regional:south-eastern-asia": Severity.WARNING,
        "secretariat": Severity.WARNING,
        "operator": Severity.INFO,
    }
    assert "escalated to the secretariat: not reviewed" in notices[0].summary


def test_a_request_nothing_is_proposed_for_asks_the_donors_who_support_it() -> None:
    event = request_event(
        req.RequestEscalatedToDonors,
        status="published",
        from_status="published",
        reason="nothing proposed within 30 days of its publication",
    )
    known = Known(donors_to_ask=frozenset({"norway", "japan"}))
    notices = notices_for(event, known)
    assert _audiences(notices) == {
        "donor:japan": Severity.WARNING,
        "donor:norway": Severity.WARNING,
        "national:LAO": Severity.INFO,
        "regional:south-eastern-asia": Severity.INFO,
        "secretariat": Severity.INFO,
        "operator": Severity.INFO,
    }
    assert "brought to donors: nothing proposed within 30 days" in notices[0].summary


def test_a_source_supports_a_request_by_convention_and_one_shared_area() -> None:
    every_area = [{"convention": "CCM", "areas": []}]
    clearance = [{"convention": "CCM", "areas": ["survey-and-clearance"]}]
    assert supports(every_area, "CCM", ["victim-assistance"])
    assert supports(clearance, "CCM", ["victim-assistance", "survey-and-clearance"])
    assert not supports(clearance, "CCM", ["victim-assistance"])
    assert not supports(clearance, "APMBC", ["survey-and-clearance"])


def test_a_declined_match_informs_and_never_reaches_other_donors() -> None:
    request_id = uuid4()
    event = mat.MatchDeclined(match=match(request_id), declined_by="donor:norway")
    audiences = _audiences(notices_for(event, Known()))
    assert audiences == {
        "donor:norway": Severity.INFO,
        "national:LAO": Severity.INFO,
        "regional:south-eastern-asia": Severity.INFO,
        "secretariat": Severity.INFO,
        "operator": Severity.INFO,
    }


def test_a_donor_hears_of_a_new_amount_once_by_its_new_proposal() -> None:
    request_id = uuid4()
    replaced = mat.MatchWithdrawn(
        match=match(request_id), reason="amount changed: 120,000.00 to 80,000.00 USD"
    )
    taken = mat.MatchWithdrawn(match=match(request_id), reason="capacity taken by other requests")

    told = _audiences(notices_for(replaced, Known()))

    assert "donor:norway" not in told
    assert {"secretariat", "operator"} <= set(told)
    assert _audiences(notices_for(taken, Known()))["donor:norway"] == Severity.INFO


def test_a_failed_reservation_uses_the_read_models_to_find_its_audiences() -> None:
    request_id = uuid4()
    event = inv.FundsReservationFailed(
        match_id=uuid4(),
        request_id=request_id,
        source_id=uuid4(),
        amount=Decimal("100.00"),
        currency="USD",
        reason=inv.ReservationFailure.CAPACITY_GONE,
        detail="window spent",
    )
    unknown = _audiences(notices_for(event, Known()))
    known = Known(RequestFacts(request_id, "KHM", "south-eastern-asia", "Clearance"), "japan")
    assert unknown == {"secretariat": Severity.WARNING, "operator": Severity.WARNING}
    assert _audiences(notices_for(event, known)) == {
        "secretariat": Severity.WARNING,
        "operator": Severity.WARNING,
        "national:KHM": Severity.INFO,
        "regional:south-eastern-asia": Severity.INFO,
        "donor:japan": Severity.WARNING,
    }


def test_ledger_moves_of_a_source_stay_with_its_donor_and_operators() -> None:
    source = inv.SourceDetails(
        source_id=uuid4(),
        version=3,
        kind=inv.SourceKind.DONOR_STATE,
        name="Norwegian mine action fund",
        donor="norway",
        home_country="NOR",
        status=inv.SourceStatus.ACTIVE,
        supports=[inv.Support(convention="CCM")],
        assistance_types=["financial"],
        eligibility=Eligibility(),
        regional_focus=["south-eastern-asia"],
        windows=[],
        min_grant=None,
        max_grant=None,
    )
    ledger = inv.SourceChanged(source=source, change="ledger", actor="inventory")
    opened = inv.SourceChanged(source=source, change="registered", actor="donor:norway")
    assert set(_audiences(notices_for(ledger, Known()))) == {"donor:norway", "operator"}
    assert set(_audiences(notices_for(opened, Known()))) == {
        "donor:norway",
        "operator",
        "secretariat",
        "regional:south-eastern-asia",
    }


def _entry(request_id: UUID | None, kind: str = "disbursed") -> inv.LedgerEntryRecorded:
    return inv.LedgerEntryRecorded(
        entry_id=uuid4(),
        source_id=uuid4(),
        window_id=uuid4(),
        request_id=request_id,
        kind=kind,
        amount=Decimal("250000.00"),
        currency="USD",
        date=date(2026, 11, 23),
        actor="donor:japan",
    )


def test_a_disbursement_for_a_request_reaches_its_state_and_the_source_donor() -> None:
    request_id = uuid4()
    known = Known(
        RequestFacts(request_id, "KHM", "south-eastern-asia", "Clearance"), "japan", "JICA"
    )
    notices = notices_for(_entry(request_id), known)
    assert _audiences(notices) == {
        "operator": Severity.INFO,
        "donor:japan": Severity.INFO,
        "national:KHM": Severity.INFO,
        "regional:south-eastern-asia": Severity.INFO,
        "secretariat": Severity.INFO,
    }
    assert notices[0].summary == "250,000.00 USD disbursed from JICA for Cambodia: “Clearance”"
    assert {n.request_id for n in notices} == {request_id}


def test_a_pledge_to_no_request_stays_with_the_donor_and_operators() -> None:
    notices = notices_for(_entry(None, "pledged"), Known(source_donor="japan"))
    assert _audiences(notices) == {"operator": Severity.INFO, "donor:japan": Severity.INFO}
    assert {n.state for n in notices} == {None}


def test_access_events_yield_nothing() -> None:
    from shared.events.access import ApiKeyRevoked

    assert notices_for(ApiKeyRevoked(key_id="abc"), Known()) == []


def _project(kind: type[inv.ProjectEvent], **fields: object) -> inv.ProjectEvent:
    about = {
        "project_id": uuid4(),
        "request_id": uuid4(),
        "state": "LAO",
        "regional_centre": "south-eastern-asia",
        "convention": "CCM",
        "title": "Victim assistance capacity",
        "implementing_partner": "japan",
        "funders": ["norway"],
    }
    return kind(**about, **fields)


PROJECT_AUDIENCES = {
    "national:LAO",
    "regional:south-eastern-asia",
    "secretariat",
    "donor:norway",
    "donor:japan",
    "operator",
}


def test_an_overdue_project_report_warns_the_state_and_its_centre() -> None:
    event = _project(inv.ProjectReportOverdue, due=date(2027, 4, 1), interval_days=90)
    notices = notices_for(event, Known())
    assert _audiences(notices) == {
        a: Severity.WARNING
        if a in ("national:LAO", "regional:south-eastern-asia")
        else Severity.INFO
        for a in PROJECT_AUDIENCES
    }
    assert "overdue since 2027-04-01" in notices[0].summary
    assert {n.request_id for n in notices} == {event.request_id}


def test_a_late_disbursement_warns_the_funder_that_owes_it() -> None:
    event = _project(
        inv.ProjectDisbursementLate,
        funder="norway",
        planned_on=date(2027, 2, 1),
        planned=Decimal("40000"),
        disbursed=Decimal("0"),
        currency="USD",
        grace_days=30,
    )
    audiences = _audiences(notices_for(event, Known()))
    assert {a for a, s in audiences.items() if s is Severity.WARNING} == {"donor:norway"}
    assert set(audiences) == PROJECT_AUDIENCES


def _coalition(*members: str) -> mat.Coalition:
    return mat.Coalition(
        coalition_id=uuid4(),
        version=2,
        state="BIH",
        regional_centre="western-balkans",
        convention="CCM",
        areas=["survey-and-clearance"],
        title="Country coalition for Bosnia and Herzegovina",
        status="active",
        lead=members[0],
        members=[mat.CoalitionMember(party=p, kind="state") for p in members],
    )


def test_a_coalition_event_reaches_its_state_centre_secretariat_and_members() -> None:
    event = mat.CoalitionMemberLeft(
        coalition=_coalition("netherlands"),
        member=mat.CoalitionMember(party="norway", kind="state"),
        actor="donor:norway",
    )

    notices = notices_for(event, Known())

    assert set(_audiences(notices)) == {
        "national:BIH",
        "regional:western-balkans",
        "secretariat",
        "operator",
        "donor:netherlands",
        "donor:norway",
    }
    assert notices[0].summary == ("Coalition for Bosnia and Herzegovina (CCM): norway left")
    assert notices[0].subject == str(event.coalition.coalition_id)
