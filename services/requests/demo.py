"""Demo data: the requests for assistance in the CCM's 2018 Article 7 transparency reports.

The CCM concept note on international cooperation and assistance (November 2019) lists the eleven
States Parties that asked for assistance in their 2018 reports, and for which obligations:

- stockpile destruction: Peru;
- survey and clearance: Afghanistan, Chad, Lao PDR, Lebanon, Montenegro, State of Palestine (the
  note counts seven but names these six);
- risk reduction education: Afghanistan, Iraq, Lebanon, Montenegro, Somalia;
- victim assistance: Afghanistan, Albania, Chad, Iraq, Lao PDR, Lebanon, Montenegro, Somalia,
  State of Palestine;
- destruction of munitions the Convention does not cover (obsolete aerial bombs): Mozambique.

Each becomes one request per state and obligation, taken through review to publication so that
matching sees it. States, obligations and the source are real; the amounts, deadlines, urgency and
contact addresses are illustrative, since the reports summarised there give none.

One more request shows help in kind: Sri Lanka asks, under the Mine Ban Convention, for
expert-days of technical survey and land release through South-South exchange (Oslo Action Plan
action 47), and no money; the inventory demo's South-South sources (Cambodia, Thailand) offer
expert-days. That request is illustrative.

One request shows biosafety capacity building (seed 004): Cambodia asks, under the Cartagena
Protocol, for its laboratories' staff to be trained in detecting and identifying living modified
organisms; the inventory demo's Japanese source supports that area. It is illustrative.

One extension request follows seed 001's activity 7: Lao PDR asks to extend its CCM Article 4
(clearance) deadline of the obligations data. The CCM analysis group is Montenegro and the
Netherlands, as the concept note has them; the Netherlands asks a question, Lao PDR answers, the
Netherlands writes the analysis, and the secretariat records the meeting's grant, a year short of
the deadline asked. The assistance request for the plan's resources then goes through review to
publication with the granted deadline, so that matching proposes for it. The plan, its cost and
the dates asked and granted are illustrative.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import httpx

from shared.geography import countries
from shared.principal import Principal

LAO = Principal.national("LAO")
NETHERLANDS = Principal.for_donor("netherlands")
CCM_ANALYSIS_GROUP = ("national:MNE", "donor:netherlands")
DONORS = ("netherlands",)
"""Donors the demo acts as: a key is issued for each (see deploy/local/demo.py)."""

OBLIGATIONS: dict[str, tuple[str, ...]] = {
    "stockpile-destruction": ("PER",),
    "survey-and-clearance": ("AFG", "TCD", "LAO", "LBN", "MNE", "PSE"),
    "risk-reduction-education": ("AFG", "IRQ", "LBN", "MNE", "SOM"),
    "victim-assistance": ("AFG", "ALB", "TCD", "IRQ", "LAO", "LBN", "MNE", "SOM", "PSE"),
    "other-munitions-destruction": ("MOZ",),
}

# Per obligation: what is asked for, an illustrative amount in USD, the days from the next
# 1 January to the deadline that matters, and the urgency.
PROFILE: dict[str, tuple[str, list[str], str, int, str]] = {
    "stockpile-destruction": (
        "Destruction of stockpiled cluster munitions before the Article 3 deadline",
        ["financial", "technical"],
        "350000.00",
        300,
        "high",
    ),
    "survey-and-clearance": (
        "Survey and clearance of cluster munition remnants under Article 4",
        ["financial", "technical", "material"],
        "2500000.00",
        540,
        "high",
    ),
    "risk-reduction-education": (
        "Risk reduction education for communities near contaminated areas",
        ["financial", "expertise-and-training"],
        "400000.00",
        450,
        "medium",
    ),
    "victim-assistance": (
        "Assistance to cluster munition victims under Article 5",
        ["financial", "expertise-and-training"],
        "750000.00",
        720,
        "medium",
    ),
    "other-munitions-destruction": (
        "Destruction of obsolete aerial bombs outside the Convention's scope",
        ["technical", "material"],
        "200000.00",
        365,
        "low",
    ),
}
STEPS = ("submit", "endorse", "publish")


def requests(today: date) -> list[tuple[str, dict[str, Any]]]:
    """(idempotency key, body) of every demo request.

    Deadlines count from the 1 January after `today`, so they stay in the future and the bodies
    stay the same all year: loading again within the year replays, a new year brings a new set.
    """
    anchor = date(today.year + 1, 1, 1)
    items = []
    for area, states in OBLIGATIONS.items():
        purpose, kinds, amount, days, urgency = PROFILE[area]
        for state in states:
            name = countries()[state].name
            body = {
                "state": state,
                "convention": "CCM",
                "areas": [area],
                "assistance_types": kinds,
                "title": purpose,
                "description": f"{purpose}. Requested in the 2018 Article 7 transparency report.",
                "evidence": [
                    {
                        "kind": "transparency-report",
                        "description": f"CCM Article 7 report of {name} for 2018",
                        "reference": "https://www.clusterconvention.org/transparency-reports/",
                        "date": "2019-04-30",
                    }
                ],
                "amount": {"value": amount, "currency": "USD"},
                "deadline": (anchor + timedelta(days=days)).isoformat(),
                "deadline_reason": "Illustrative: the date that matters for this obligation",
                "urgency": urgency,
                "contact": {
                    "name": f"CCM national focal point, {name}",
                    "email": f"ccm.focal-point@{state.lower()}.example.org",
                },
            }
            items.append((f"demo-ccm-2018-{state}-{area}-{anchor.year}", body))
    items.append((f"demo-apmbc-south-south-LKA-{anchor.year}", south_south_request(anchor)))
    items.append((f"demo-cartagena-KHM-{anchor.year}", biosafety_request(anchor)))
    return items


def biosafety_request(anchor: date) -> dict[str, Any]:
    """Cambodia's request for capacity building under the Cartagena Protocol: laboratory staff
    trained to detect and identify living modified organisms."""
    return {
        "state": "KHM",
        "convention": "Cartagena",
        "areas": ["detection-and-identification"],
        "assistance_types": ["technical", "expertise-and-training"],
        "title": "Laboratory capacity to detect and identify living modified organisms",
        "description": "Training for the staff of two national laboratories, and the reference "
        "materials they need, as the national biosafety framework plans. Illustrative.",
        "evidence": [
            {
                "kind": "national-framework",
                "description": "National biosafety framework of Cambodia",
                "reference": "https://bch.cbd.int/",
            }
        ],
        "amount": {"value": "180000.00", "currency": "USD"},
        "deadline": (anchor + timedelta(days=500)).isoformat(),
        "deadline_reason": "Illustrative: the framework's laboratory milestone",
        "urgency": "medium",
        "contact": {
            "name": "Cartagena Protocol national focal point, Cambodia",
            "email": "biosafety.focal-point@khm.example.org",
        },
    }


def south_south_request(anchor: date) -> dict[str, Any]:
    """Sri Lanka's request for expert-days in kind, and no money."""
    return {
        "state": "LKA",
        "convention": "APMBC",
        "areas": ["mine-clearance"],
        "assistance_types": ["technical", "expertise-and-training"],
        "title": "Technical survey and land release experts through South-South exchange",
        "description": "Experts from affected States Parties with recent land release experience"
        " to train survey teams, as Oslo Action Plan action 47 encourages. Illustrative.",
        "evidence": [],
        "in_kind": [
            {
                "unit": "expert-days",
                "quantity": "90",
                "description": "Technical survey and land release experts, on site",
            }
        ],
        "deadline": (anchor + timedelta(days=400)).isoformat(),
        "deadline_reason": "Illustrative: the Article 5 work plan's next milestone",
        "urgency": "medium",
        "contact": {
            "name": "APMBC national focal point, Sri Lanka",
            "email": "apmbc.focal-point@lka.example.org",
        },
    }


async def load(client: httpx.AsyncClient, keys: Mapping[Principal, str]) -> int:
    """Create, submit, endorse and publish every demo request; loading twice changes nothing.

    `client` speaks to the requests service with a secretariat key. Every call carries an
    Idempotency-Key derived from the item, so a second load replays the first one's answers.
    """
    items = requests(date.today())
    for key, body in items:
        created = await _post(client, "/v1/requests", f"{key}-create", body)
        for step in STEPS:
            await _post(client, f"/v1/requests/{created['id']}/{step}", f"{key}-{step}", {})
    await extension_story(client, keys, date.today())
    return len(items) + 1


def extension_body(today: date) -> dict[str, Any]:
    """Lao PDR's request to extend its CCM Article 4 deadline, asked for four years on."""
    return {
        "state": "LAO",
        "convention": "CCM",
        "area": "survey-and-clearance",
        "current_deadline": "2025-08-01",
        "requested_deadline": f"{today.year + 4}-08-01",
        "plan": "Evidence-based technical survey of the provinces still suspected, then "
        "clearance of the confirmed hazardous areas it finds, province by province. Illustrative.",
        "cost": {"value": "12000000.00", "currency": "USD"},
        "reasons": "Survey keeps finding more contamination than the baseline estimated, and "
        "clearance capacity fell with funding. Illustrative.",
        "assistance_types": ["financial", "technical"],
        "contact": {
            "name": "CCM national focal point, Lao PDR",
            "email": "ccm.focal-point@lao.example.org",
        },
    }


async def extension_story(
    client: httpx.AsyncClient, keys: Mapping[Principal, str], today: date
) -> None:
    """The analysis group named, Lao PDR's extension filed, asked about, answered, analysed and
    granted; its linked assistance request submitted, endorsed and published."""
    tag = f"demo-extension-LAO-{today.year}"
    for member in CCM_ANALYSIS_GROUP:
        await _post(
            client, "/v1/analysis-groups/CCM/members", f"{tag}-{member}", {"member": member}
        )
    lao, netherlands = _as(keys[LAO]), _as(keys[NETHERLANDS])
    body = extension_body(today)
    filed = await _post(client, "/v1/extension-requests", f"{tag}-file", body, lao)
    path = f"/v1/extension-requests/{filed['id']}"
    question = {"question": "Which provinces does the survey start with, and why?"}
    await _post(client, f"{path}/questions", f"{tag}-ask", question, netherlands)
    answer = {"answer": "The provinces with the most accidents reported since 2020."}
    await _post(client, f"{path}/answers", f"{tag}-answer", answer, lao)
    analysis = {"analysis": "The plan is costed and realistic; the survey comes first."}
    await _post(client, f"{path}/analysis", f"{tag}-analyse", analysis, netherlands)
    decision = {
        "granted": True,
        "new_deadline": f"{today.year + 3}-08-01",
        "meeting": "Meeting of States Parties",
        "text": "Granted for three years, with a progress report at each meeting.",
    }
    decided = await _post(client, f"{path}/decision", f"{tag}-decide", decision)
    request = f"/v1/requests/{decided['assistance_request_id']}"
    await _post(client, f"{request}/submit", f"{tag}-submit", {}, lao)
    for step in ("endorse", "publish"):
        await _post(client, f"{request}/{step}", f"{tag}-{step}", {})


def _as(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def _post(
    client: httpx.AsyncClient,
    url: str,
    idempotency_key: str,
    body: dict[str, Any],
    acting_as: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """POST as the client's secretariat, or as whoever `acting_as` names (their Authorization)."""
    headers = {"Idempotency-Key": idempotency_key, **(acting_as or {})}
    response = await client.post(url, json=body, headers=headers)
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer
