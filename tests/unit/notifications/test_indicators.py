"""The indicators, recomputed by hand from a small data set whose answers are known."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from services.notifications.domain.indicators import (
    Fact,
    InvalidPeriod,
    LedgerRecord,
    NoIndicators,
    Period,
    Records,
    RegionNeeds,
    RequestRecord,
    SourceRecord,
    StateReport,
    UnknownConvention,
    indicators,
    known_convention,
    needs_by_region,
    pending_requests,
)

YEAR = Period(date(2026, 1, 1), date(2026, 12, 31))
OPEN = ((date(2025, 1, 1), date(2029, 12, 31)),)
LAST_YEAR_ONLY = ((date(2025, 1, 1), date(2025, 12, 31)),)


def source(
    state: str | None,
    *supports: tuple[str, tuple[str, ...]],
    kind: str = "donor-state",
    types: tuple[str, ...] = ("financial",),
    windows: tuple[tuple[date, date], ...] = OPEN,
    source_id: UUID | None = None,
) -> SourceRecord:
    return SourceRecord(source_id or uuid4(), kind, state, supports, types, windows)


def request(
    state: str,
    convention: str,
    *areas: str,
    status: str = "published",
    on: date | None = date(2026, 3, 1),
    region: str | None = "south-eastern-asia",
    amount: str | None = "100000.00",
    currency: str | None = "USD",
) -> RequestRecord:
    return RequestRecord(
        uuid4(),
        state,
        region,
        status,
        convention,
        areas,
        f"{state} {convention}",
        Decimal(amount) if amount else None,
        currency if amount else None,
        on,
    )


def entry(
    source_id: UUID,
    request_id: UUID | None,
    kind: str = "committed",
    day: date = date(2026, 6, 1),
    amount: str = "40000.00",
    currency: str = "USD",
) -> LedgerRecord:
    return LedgerRecord(uuid4(), source_id, request_id, kind, Decimal(amount), currency, day)


def report(
    state: str, fact: Fact, on: date = date(2026, 4, 30), convention: str = "APMBC"
) -> StateReport:
    return StateReport(state, convention, fact, on)


APMBC_ALL = ("APMBC", ())
CLEARANCE = ("APMBC", ("mine-clearance",))
BOTH = ("APMBC", ("mine-clearance", "victim-assistance"))
CCM_CLEARANCE = ("CCM", ("survey-and-clearance",))

# Who gives what, and what each should count for:
# AUT clearance and victim assistance, open in 2026: support, clearance, victims.
# FRA all APMBC areas (names none): support only.
# SWE a window closed in 2025, but a commitment in 2026 to a clearance request: support, clearance.
# FIN a window closed in 2025 and only a pledge in 2026: nothing (a pledge is no support given).
# KHM expertise in kind, no money: support and sharing practices.
# DEU CCM only: nothing for the APMBC; support and clearance for the CCM.
# An NGO's source: nothing (not a state).
LAO_CLEARANCE = request("LAO", "APMBC", "mine-clearance")
SWEDEN = source("SWE", CLEARANCE, windows=LAST_YEAR_ONLY)
FINLAND = source("FIN", APMBC_ALL, windows=LAST_YEAR_ONLY)
RECORDS = Records(
    sources=[
        source("AUT", BOTH),
        source("FRA", APMBC_ALL),
        SWEDEN,
        FINLAND,
        source("KHM", APMBC_ALL, types=("technical", "expertise-and-training")),
        source("DEU", CCM_CLEARANCE),
        source("GBR", APMBC_ALL, kind="ngo"),
    ],
    ledger=[
        entry(SWEDEN.source_id, LAO_CLEARANCE.request_id),
        entry(FINLAND.source_id, None, kind="pledged"),
    ],
    requests=[
        LAO_CLEARANCE,
        request("AGO", "APMBC", "victim-assistance", "mine-clearance"),
        request("TJK", "APMBC", "mine-clearance", status="draft"),
        request("YEM", "APMBC", "mine-clearance", status="withdrawn"),
        request("IRQ", "APMBC", "stockpile-destruction", on=date(2025, 5, 1)),
        request("PER", "CCM", "stockpile-destruction"),
    ],
    reports=[
        report("AGO", Fact.NATIONAL_FINANCIAL_COMMITMENT),
        report("BIH", Fact.NATIONAL_FINANCIAL_COMMITMENT),
        report("TJK", Fact.NATIONAL_FINANCIAL_COMMITMENT, on=date(2025, 12, 31)),
        report("AGO", Fact.INNOVATIVE_FINANCING),
        report("NER", Fact.INDIVIDUALISED_APPROACH_FOLLOW_UP),
        report("NER", Fact.NEEDS_INFORMATION),
        report("AGO", Fact.DIALOGUE_PLATFORM),
        report("BIH", Fact.DIALOGUE_PLATFORM),
        report("TJK", Fact.DIALOGUE_PLATFORM, convention="CCM"),
        report("CAN", Fact.COORDINATING_SUPPORT),
        report("ESP", Fact.SHARING_PRACTICES),
    ],
)

APMBC_ANSWERS = {
    "42-national-commitment": ("AGO", "BIH"),
    "42-support": ("AUT", "FRA", "KHM", "SWE"),
    "42-innovative-financing": ("AGO",),
    "43-needs-information": ("AGO", "LAO", "NER"),
    "43-individualised-approach": ("NER",),
    "44-dialogue-platform": ("AGO", "BIH"),
    "44-support": ("AUT", "FRA", "KHM", "SWE"),
    "45-victim-assistance": ("AUT",),
    "45-clearance": ("AUT", "SWE"),
    "46-coordinating-support": ("CAN",),
    "47-sharing-practices": ("ESP", "KHM"),
    "requests-stockpile-destruction": (),
    "requests-mine-clearance": ("AGO", "LAO"),
    "requests-mine-risk-education": (),
    "requests-victim-assistance": ("AGO",),
    "requests-transparency-reporting": (),
    "requests-national-implementation-measures": (),
}


def test_each_apmbc_indicator_counts_the_states_it_defines() -> None:
    computed = indicators("APMBC", YEAR, RECORDS)

    assert {i.id: i.states for i in computed} == APMBC_ANSWERS
    assert all(i.count == len(i.states) for i in computed)
    assert [i.action for i in computed[:11]] == [
        "42", "42", "42", "43", "43", "44", "44", "45", "45", "46", "47"
    ]  # fmt: skip


def test_the_ccm_has_the_same_support_indicators_over_its_own_areas() -> None:
    computed = {i.id: i.states for i in indicators("CCM", YEAR, RECORDS)}

    assert computed["42-support"] == ("DEU",)
    assert computed["45-clearance"] == ("DEU",)
    assert computed["45-victim-assistance"] == ()
    assert computed["44-dialogue-platform"] == ("TJK",)
    assert computed["43-needs-information"] == ("PER",)
    assert computed["requests-stockpile-destruction"] == ("PER",)
    assert computed["requests-survey-and-clearance"] == ()


def test_a_period_chooses_windows_entries_requests_and_reports() -> None:
    last_year = Period(date(2025, 1, 1), date(2025, 12, 31))
    computed = {i.id: i.states for i in indicators("APMBC", last_year, RECORDS)}

    assert computed["42-support"] == ("AUT", "FIN", "FRA", "KHM", "SWE")
    assert computed["42-national-commitment"] == ("TJK",)
    assert computed["43-needs-information"] == ("IRQ",)
    assert computed["requests-stockpile-destruction"] == ("IRQ",)


def test_a_commitment_to_another_conventions_request_supports_nothing_here() -> None:
    ccm_request = request("LAO", "CCM", "survey-and-clearance")
    dormant = source("NOR", CLEARANCE, windows=LAST_YEAR_ONLY)
    records = Records(
        [dormant], [entry(dormant.source_id, ccm_request.request_id)], [ccm_request], []
    )

    apmbc = {i.id: i.states for i in indicators("APMBC", YEAR, records)}
    ccm = {i.id: i.states for i in indicators("CCM", YEAR, records)}

    assert apmbc["42-support"] == ()
    assert ccm["42-support"] == ccm["45-clearance"] == ("NOR",)


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidPeriod, match="ends"):
        Period(date(2026, 12, 31), date(2026, 1, 1))


def test_only_known_conventions_with_indicators_are_computed() -> None:
    with pytest.raises(NoIndicators):
        indicators("Stockholm", YEAR, RECORDS)
    with pytest.raises(UnknownConvention, match="known: CCM, APMBC"):
        known_convention("Ottawa")


def test_pending_requests_and_their_needs_by_region() -> None:
    asia = request("LAO", "Stockholm", "pops-inventory", amount="300000.00")
    asia_2 = request("KHM", "Stockholm", "pcb-elimination", amount="200000.00")
    africa = request("SEN", "Stockholm", "pops-inventory", region="western-africa")
    global_tier = request("PER", "Stockholm", "pops-inventory", region=None, amount=None)
    funded = request("VNM", "Stockholm", "pops-inventory", status="funded")
    older = request("THA", "Stockholm", "pops-inventory", on=date(2025, 2, 1))
    gef = uuid4()
    records = Records(
        [],
        [
            entry(gef, asia.request_id, amount="120000.00"),
            entry(gef, asia.request_id, kind="disbursed", amount="50000.00"),
            entry(gef, asia_2.request_id, currency="EUR", amount="10.00"),
            entry(gef, asia_2.request_id, amount="250000.00"),
        ],
        [asia, asia_2, africa, global_tier, funded, older],
        [],
    )

    pending = pending_requests("Stockholm", YEAR, records)

    assert {p.request.state for p in pending} == {"LAO", "KHM", "SEN", "PER"}
    by_state = {p.request.state: p for p in pending}
    assert by_state["LAO"].committed == Decimal("120000.00")
    assert by_state["LAO"].outstanding == Decimal("180000.00")
    assert by_state["KHM"].outstanding == Decimal(0)  # more committed than asked
    assert by_state["PER"].outstanding is None
    assert needs_by_region(pending) == [
        RegionNeeds(None, None, 1, ("PER",), Decimal(0), Decimal(0), Decimal(0)),
        RegionNeeds(
            "south-eastern-asia",
            "USD",
            2,
            ("KHM", "LAO"),
            Decimal("500000.00"),
            Decimal("370000.00"),
            Decimal("180000.00"),
        ),
        RegionNeeds(
            "western-africa",
            "USD",
            1,
            ("SEN",),
            Decimal("100000.00"),
            Decimal(0),
            Decimal("100000.00"),
        ),
    ]
