"""Demo sources of assistance, from the seeds, loaded through the service's own HTTP API.

Who they are comes from the documents in the team's seeds:

- the donor states of the Anti-Personnel Mine Ban Convention's Oslo Action Plan indicators for
  2020: the 19 states reporting financial or other support to affected States Parties (action
  42/44), with mine clearance for the 16 reporting support to clearance and victim assistance for
  the 5 reporting support to it (action 45); Cambodia and Thailand, both also sharing practice
  South-South (action 47), as sources of expertise and training;
- the sources the Stockholm Convention's capacity assistance network names: the Global Environment
  Facility, the United Nations Development Programme, the World Bank, the regional development
  banks (each focused on its region's centres), bilateral development agencies, and the
  Inter-Organization Programme for the Sound Management of Chemicals;
- for the Cartagena Protocol, the UNEP-GEF project on the Biosafety Clearing-House.

Six of the donor states (Germany, Japan, the Netherlands, Norway, Switzerland, the United Kingdom)
are also shown supporting CCM clearance and victim assistance from the same window, each giving
one request at most a maximum grant below the 2.5 million a survey-and-clearance request asks, so
that the CCM requests of the requests demo meet sources and the larger ones are met by a coalition
of several donors: that is illustrative. The UNDP and the World Bank
answer their proposals with keys of their own; the sources naming no donor (the GEF, the regional
banks, the IOMC, the Biosafety Clearing-House project) are answered by the secretariat.

After matching's demo has funded its requests, the follow-up records their commitments and a
first disbursement, and carries each out as a project (seed 004: projects followed to their
results): a capacity-building project of the Lao PDR's victim assistance request under the CCM
(indicators survivors assisted, officials trained) and a biosafety capacity-building project of
Cambodia's request under the Cartagena Protocol (officials trained, laboratories equipped,
records published in the Biosafety Clearing-House). Each is funded by the donors whose proposals
were accepted, implemented by the first of them, with a disbursement schedule whose first
instalment the ledger covers and a progress report filed by the state's focal point, with its
challenges and lessons learned. Their figures are illustrative.

Everything else is illustrative, not data: the capacities (in US dollars, so that they compare;
the South-South sources offer expert-days in kind instead),
the funding windows (fixed dates, so that loading again on another day changes nothing), grant
limits, requirements and contact addresses.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

from shared.geography import party_of_state, slug
from shared.principal import Principal

MINE_ACTION_WINDOW = {"opens": "2025-01-01", "closes": "2029-12-31", "currency": "USD"}
EXPERTISE_WINDOW = {"opens": "2025-01-01", "closes": "2029-12-31", "unit": "expert-days"}
GEF_9 = {"opens": "2026-07-01", "closes": "2030-06-30", "currency": "USD"}
AFRICA = ["northern-africa", "western-africa", "middle-africa", "eastern-africa", "southern-africa"]
ASIA_PACIFIC = [
    "central-asia",
    "eastern-asia",
    "south-eastern-asia",
    "southern-asia",
    "melanesia",
    "micronesia",
    "polynesia",
]
LATIN_AMERICA = ["caribbean", "central-america", "south-america"]


CCM_SUPPORT = [
    {"convention": "CCM", "areas": ["survey-and-clearance", "victim-assistance"]},
]


@dataclass(frozen=True)
class DonorState:
    """A donor state of the Oslo Action Plan indicators and what it reports supporting."""

    name: str
    iso3: str
    capacity: str  # illustrative, over 2025-2029: US dollars, or expert-days for South-South
    clearance: bool = False
    victim_assistance: bool = False
    south_south: bool = False
    ccm: bool = False  # also supports Convention on Cluster Munitions work (illustrative)
    max_grant: str | None = None  # the most it gives one request (illustrative)


DONOR_STATES = [
    DonorState("Austria", "AUT", "4000000.00", clearance=True, victim_assistance=True),
    DonorState("Belgium", "BEL", "6000000.00", clearance=True, victim_assistance=True),
    DonorState("Cambodia", "KHM", "400", south_south=True),
    DonorState("Canada", "CAN", "15000000.00", clearance=True, victim_assistance=True),
    DonorState("Czechia", "CZE", "1000000.00", clearance=True),
    DonorState("Estonia", "EST", "1000000.00", clearance=True),
    DonorState("France", "FRA", "8000000.00"),
    DonorState("Germany", "DEU", "50000000.00", clearance=True, ccm=True, max_grant="1000000.00"),
    DonorState("Ireland", "IRL", "5000000.00", clearance=True),
    DonorState("Japan", "JPN", "40000000.00", clearance=True, ccm=True, max_grant="1000000.00"),
    DonorState(
        "Netherlands", "NLD", "20000000.00", clearance=True, ccm=True, max_grant="800000.00"
    ),
    DonorState("New Zealand", "NZL", "3000000.00", clearance=True, victim_assistance=True),
    DonorState(
        "Norway",
        "NOR",
        "45000000.00",
        clearance=True,
        victim_assistance=True,
        ccm=True,
        max_grant="1200000.00",
    ),
    DonorState("Slovakia", "SVK", "500000.00", clearance=True),
    DonorState("Spain", "ESP", "3000000.00", clearance=True),
    DonorState("Sweden", "SWE", "12000000.00", clearance=True),
    DonorState(
        "Switzerland", "CHE", "18000000.00", clearance=True, ccm=True, max_grant="600000.00"
    ),
    DonorState("Thailand", "THA", "300", south_south=True),
    DonorState(
        "United Kingdom", "GBR", "30000000.00", clearance=True, ccm=True, max_grant="900000.00"
    ),
]


def _contact(organisation: str) -> dict[str, str]:
    return {
        "name": "Assistance focal point",
        "email": f"assistance@{slug(organisation)}.example.org",
        "organisation": organisation,
    }


def donor_state_source(state: DonorState) -> dict[str, Any]:
    """A donor state's mine action source; areas not broken down by the indicators: all."""
    areas = [
        area
        for area, supported in (
            ("mine-clearance", state.clearance),
            ("victim-assistance", state.victim_assistance),
        )
        if supported
    ]
    kinds = ["technical", "expertise-and-training"] if state.south_south else ["financial"]
    return {
        "kind": "donor-state",
        "name": f"{state.name}: mine action",
        "description": f"Support {state.name} reports to affected States Parties (Oslo Action"
        " Plan, 2020 indicators).",
        "donor": party_of_state(state.iso3),
        "home_country": state.iso3,
        "supports": [{"convention": "APMBC", "areas": areas}, *(CCM_SUPPORT if state.ccm else [])],
        "assistance_types": kinds,
        "eligibility": {"rule": "all"},
        "windows": [
            {
                **(EXPERTISE_WINDOW if state.south_south else MINE_ACTION_WINDOW),
                "capacity": state.capacity,
            }
        ],
        "requirements": {"documents": ["Article 7 transparency report"]},
        "contact": _contact(f"Ministry of Foreign Affairs of {state.name}"),
        **({"max_grant": state.max_grant} if state.max_grant else {}),
    }


def _stockholm(name: str, kind: str, capacity: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": kind,
        "name": name,
        "supports": [{"convention": "Stockholm"}],
        "assistance_types": ["financial", "technical"],
        "eligibility": {"rule": "developing"},
        "windows": [{**GEF_9, "capacity": capacity}],
        "requirements": {"documents": ["National implementation plan"]},
        "contact": _contact(name),
    }
    return {**body, **fields}


INSTITUTIONS: dict[str, dict[str, Any]] = {
    "gef": _stockholm(
        "Global Environment Facility",
        "global-fund",
        "150000000.00",
        description="The principal entity of the Convention's financial mechanism.",
        min_grant="50000.00",
        requirements={
            "cofinancing_percent": "50.00",
            "documents": ["National implementation plan"],
        },
    ),
    "undp": _stockholm(
        "United Nations Development Programme",
        "intergovernmental-organisation",
        "20000000.00",
        donor="undp",
        supports=[
            {
                "convention": "Stockholm",
                "areas": ["national-implementation-plan", "pops-inventory", "public-awareness"],
            }
        ],
    ),
    "world-bank": _stockholm(
        "World Bank",
        "development-bank",
        "80000000.00",
        donor="world-bank",
        supports=[
            {"convention": "Stockholm", "areas": ["pcb-elimination", "pops-waste-management"]}
        ],
        assistance_types=["financial"],
        min_grant="1000000.00",
    ),
    "asdb": _stockholm(
        "Asian Development Bank",
        "development-bank",
        "25000000.00",
        regional_focus=ASIA_PACIFIC,
        eligibility={"rule": "regions", "regions": ASIA_PACIFIC},
    ),
    "afdb": _stockholm(
        "African Development Bank",
        "development-bank",
        "25000000.00",
        regional_focus=AFRICA,
        eligibility={"rule": "regions", "regions": AFRICA},
    ),
    "iadb": _stockholm(
        "Inter-American Development Bank",
        "development-bank",
        "20000000.00",
        regional_focus=LATIN_AMERICA,
        eligibility={"rule": "regions", "regions": LATIN_AMERICA},
    ),
    "jica": _stockholm(
        "Japan International Cooperation Agency",
        "bilateral-agency",
        "10000000.00",
        donor="japan",
        home_country="JPN",
        supports=[
            {"convention": "Stockholm", "areas": ["monitoring-and-laboratories"]},
            {"convention": "Cartagena", "areas": ["detection-and-identification"]},
        ],
        assistance_types=["technical", "expertise-and-training"],
    ),
    "sida": _stockholm(
        "Swedish International Development Cooperation Agency",
        "bilateral-agency",
        "8000000.00",
        donor="sweden",
        home_country="SWE",
    ),
    "iomc": _stockholm(
        "Inter-Organization Programme for the Sound Management of Chemicals",
        "intergovernmental-organisation",
        "2000000.00",
        assistance_types=["technical", "expertise-and-training"],
        eligibility={"rule": "all"},
    ),
    "unep-gef-bch": {
        "kind": "intergovernmental-organisation",
        "name": "UNEP-GEF Biosafety Clearing-House project",
        "supports": [
            {
                "convention": "Cartagena",
                "areas": ["biosafety-clearing-house", "institutional-capacity"],
            }
        ],
        "assistance_types": ["technical", "expertise-and-training"],
        "eligibility": {"rule": "developing"},
        "windows": [{**GEF_9, "capacity": "5000000.00"}],
        "requirements": {
            "notes": "Countries report the project's results to the Biosafety Clearing-House."
        },
        "contact": _contact("UNEP-GEF Biosafety Clearing-House project"),
    },
}


def _key(state: DonorState) -> str:
    """The source's part of its Idempotency-Key; the South-South sources' changed when they came
    to offer expert-days, so that loading into a system loaded before registers them anew."""
    return f"{slug(state.name)}-in-kind" if state.south_south else slug(state.name)


SOURCES: dict[str, dict[str, Any]] = {
    **{_key(state): donor_state_source(state) for state in DONOR_STATES},
    **INSTITUTIONS,
}
DONORS = tuple(sorted({body["donor"] for body in SOURCES.values() if body.get("donor")}))
"""The parties the sources name as their donors: each needs a key to answer its proposals
(the demo issues them); a source naming none is answered by the secretariat."""


async def load(client: httpx.AsyncClient, keys: Mapping[Principal, str]) -> int:
    """Register every demo source once; returns how many were created or found."""
    loaded = 0
    for key, body in SOURCES.items():
        response = await client.post(
            "/v1/sources", json=body, headers={"Idempotency-Key": f"demo-source-{key}"}
        )
        response.raise_for_status()
        loaded += 1
    return loaded


FOLLOW_UP_SECONDS = 60.0
COMMITTED_ON = "2026-09-15"
DISBURSED_ON = "2026-10-01"


async def follow_up(client: httpx.AsyncClient, keys: Mapping[Principal, str]) -> int:
    """Once matching's demo has accepted its proposals: each money reservation held for them
    becomes a commitment and a fifth of it is disbursed, so that the ledger and its IATI export
    show a funded request's money; then the request becomes a project with a progress report.
    Reservations come from the accepted matches over Kafka: waits for them up to
    `FOLLOW_UP_SECONDS`. Returns how many entries, projects and reports were recorded or found."""
    reservations = [
        r
        for r in await _reservations(client)
        if r["currency"] is not None and r["status"] in ("held", "converted")
    ]
    recorded = 0
    for reservation in reservations:
        await _once(
            client,
            f"/v1/reservations/{reservation['id']}/commitment",
            {"date": COMMITTED_ON, "note": "Grant agreement signed"},
            f"demo-commitment-{reservation['id']}",
        )
        first_instalment = Decimal(reservation["amount"]) / 5
        await _once(
            client,
            f"/v1/sources/{reservation['source_id']}/disbursements",
            {
                "window_id": reservation["window_id"],
                "request_id": reservation["request_id"],
                "amount": {"value": str(first_instalment), "currency": reservation["currency"]},
                "date": DISBURSED_ON,
                "note": "First instalment",
            },
            f"demo-disbursement-{reservation['id']}",
        )
        recorded += 2
    return recorded + await carry_out(client, keys, reservations)


PROJECT_STARTS, PROJECT_ENDS = DISBURSED_ON, "2027-09-30"
SECOND_INSTALMENT_ON = "2027-04-01"


@dataclass(frozen=True)
class ProjectOutline:
    """What a funded demo request is carried out as, and the state's first progress report."""

    title: str
    milestones: list[dict[str, str]]
    targets: list[dict[str, str]]
    report: dict[str, Any]


PROJECTS: dict[tuple[str, str], ProjectOutline] = {
    ("LAO", "CCM"): ProjectOutline(
        title="Victim assistance capacity: rehabilitation staff and officials trained",
        milestones=[
            {"title": "Provincial rehabilitation staff trained", "due": "2026-12-15"},
            {"title": "National victim assistance plan reviewed", "due": "2027-06-30"},
        ],
        targets=[
            {"indicator": "survivors-assisted", "baseline": "0", "target": "600"},
            {"indicator": "officials-trained", "baseline": "4", "target": "60"},
        ],
        report={
            "values": {"survivors-assisted": "140", "officials-trained": "18"},
            "challenges": "Rainy-season floods cut the roads to two provinces for three weeks.",
            "lessons": "Training provincial staff first, then district staff, kept the "
            "referrals going when the national trainers could not travel; the trainers stay "
            "after the project ends.",
        },
    ),
    ("KHM", "Cartagena"): ProjectOutline(
        title="Biosafety capacity building: laboratories able to detect living modified organisms",
        milestones=[
            {"title": "Reference materials delivered to both laboratories", "due": "2027-01-31"},
            {"title": "Detection methods validated and published", "due": "2027-08-31"},
        ],
        targets=[
            {"indicator": "officials-trained", "baseline": "2", "target": "24"},
            {"indicator": "laboratories-equipped", "baseline": "0", "target": "2"},
            {"indicator": "bch-records-published", "baseline": "3", "target": "12"},
        ],
        report={
            "values": {"officials-trained": "9", "laboratories-equipped": "1"},
            "challenges": "Customs clearance of the reference materials took two months.",
            "lessons": "Registering the project in the Biosafety Clearing-House's database at "
            "the start let two other funders see what was already covered.",
        },
    ),
}
"""Seed 004's projects followed to their results, by state and convention: the Lao PDR's under
the CCM, Cambodia's under the Cartagena Protocol. Figures are illustrative."""


async def carry_out(
    client: httpx.AsyncClient, keys: Mapping[Principal, str], reservations: list[dict[str, Any]]
) -> int:
    """Each funded demo request's project, started by the secretariat, with its state's progress
    report (when the state's key is given); returns how many were made or found. A request with
    no outline for its state and convention (one posted by hand, say) is left as it is."""
    made = 0
    for request_id, state in dict.fromkeys((r["request_id"], r["state"]) for r in reservations):
        ledger = (await client.get(f"/v1/ledger/requests/{request_id}")).raise_for_status()
        outline = PROJECTS.get((state, ledger.json()["convention"]))
        budget = await _budget(client, [r for r in reservations if r["request_id"] == request_id])
        if outline is None or not budget:
            continue
        project = await _started(client, project_plan(request_id, budget, outline))
        made += 1
        if (focal_point := Principal.national(state)) in keys:
            await _once(
                client,
                f"/v1/projects/{project['id']}/reports",
                {"period_start": PROJECT_STARTS, "period_end": "2026-11-30", **outline.report},
                f"demo-project-report-{request_id}",
                {"Authorization": f"Bearer {keys[focal_point]}"},
            )
            made += 1
    return made


async def _budget(
    client: httpx.AsyncClient, reservations: list[dict[str, Any]]
) -> dict[tuple[str, str], Decimal]:
    """What each donor holds for the request, by currency: the project's budget by funder."""
    budget: dict[tuple[str, str], Decimal] = {}
    for r in reservations:
        source = (await client.get(f"/v1/sources/{r['source_id']}")).raise_for_status().json()
        if source["donor"]:
            key = (source["donor"], r["currency"])
            budget[key] = budget.get(key, Decimal(0)) + Decimal(r["amount"])
    return budget


def project_plan(
    request_id: str, budget: Mapping[tuple[str, str], Decimal], outline: ProjectOutline
) -> dict[str, Any]:
    """The project of a funded request: its funders' budget, a fifth of each disbursed at the
    start (as the follow-up's first instalment) and the rest planned for April."""
    schedule = []
    for (funder, currency), amount in sorted(budget.items()):
        first = amount / 5
        for on, part in ((PROJECT_STARTS, first), (SECOND_INSTALMENT_ON, amount - first)):
            schedule.append(
                {"funder": funder, "on": on, "amount": f"{part:.2f}", "currency": currency}
            )
    return {
        "request_id": request_id,
        "title": outline.title,
        "implementing_partner": sorted(budget)[0][0],
        "starts": PROJECT_STARTS,
        "ends": PROJECT_ENDS,
        "budget": [
            {"funder": funder, "amount": f"{amount:.2f}", "currency": currency}
            for (funder, currency), amount in sorted(budget.items())
        ],
        "milestones": outline.milestones,
        "schedule": schedule,
        "targets": outline.targets,
    }


async def _started(client: httpx.AsyncClient, plan: dict[str, Any]) -> dict[str, Any]:
    """Start the project, waiting (up to `FOLLOW_UP_SECONDS`) for the inventory to hear over
    Kafka that its request is funded."""
    deadline = asyncio.get_running_loop().time() + FOLLOW_UP_SECONDS
    headers = {"Idempotency-Key": f"demo-project-{plan['request_id']}"}
    while True:
        response = await client.post("/v1/projects", json=plan, headers=headers)
        waiting = response.status_code in (409, 422) and response.json().get("rule") in (
            "request-not-funded",
            "unknown-request",
        )
        if not waiting or asyncio.get_running_loop().time() > deadline:
            response.raise_for_status()
            started: dict[str, Any] = response.json()
            return started
        await asyncio.sleep(1)


async def _reservations(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    deadline = asyncio.get_running_loop().time() + FOLLOW_UP_SECONDS
    while True:
        response = await client.get("/v1/reservations")
        response.raise_for_status()
        found: list[dict[str, Any]] = response.json()
        if found or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(1)


async def _once(
    client: httpx.AsyncClient,
    path: str,
    body: dict[str, Any],
    key: str,
    headers: Mapping[str, str] | None = None,
) -> None:
    response = await client.post(
        path, json=body, headers={**(headers or {}), "Idempotency-Key": key}
    )
    response.raise_for_status()
