"""The demo's country coalitions, from the seed documents.

- **Albania, CCM victim assistance** (the CCM concept note on international cooperation and
  assistance, November 2019). The note counts Albania among the States Parties that asked, in
  their 2018 Article 7 reports, for assistance with victim assistance, and puts the Country
  Coalitions concept to work in South East Europe through the two Coordinators on International
  Cooperation and Assistance, Montenegro and the Netherlands. So the coalition is led by the
  Netherlands, with Montenegro as a member in its role of Coordinator (itself an affected state
  that shares its experience), and donors of the demo's CCM sources. Its dialogue log holds the
  closed meeting between affected and donor states the note describes.
- **Sri Lanka, Mine Ban Convention mine clearance** (the individualised approach, which the
  concept note seeks synergies with): the state presents its remaining contamination and needs
  to interested partners; Norway leads, Cambodia and Thailand bring South-South expertise in
  kind, an operator works on the ground, and Sweden joins with its own key.

Parties, conventions, areas and roles come from the seeds; dates, follow-ups and who exactly
takes part are illustrative.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from shared.principal import Principal

COALITIONS: dict[str, dict[str, Any]] = {
    "ALB": {
        "state": "ALB",
        "convention": "CCM",
        "areas": ["victim-assistance"],
        "title": "Country coalition for Albania: assistance to cluster munition victims",
        "members": [
            {"party": "netherlands", "kind": "state"},
            {"party": "montenegro", "kind": "state"},
            {"party": "norway", "kind": "state"},
            {"party": "germany", "kind": "state"},
        ],
        "lead": "netherlands",
    },
    "LKA": {
        "state": "LKA",
        "convention": "APMBC",
        "areas": ["mine-clearance"],
        "title": "Individualised approach: Sri Lanka's remaining mine clearance",
        "members": [
            {"party": "norway", "kind": "state"},
            {"party": "cambodia", "kind": "state"},
            {"party": "thailand", "kind": "state"},
            {"party": "halo-trust", "kind": "operator"},
        ],
        "lead": "norway",
    },
}
DIALOGUE: dict[str, dict[str, Any]] = {
    "ALB": {
        "date": "2020-02-12",
        "kind": "meeting",
        "participants": ["ALB", "netherlands", "montenegro", "norway", "germany", "CCM ISU"],
        "agreed": "Closed meeting of affected and donor states at the 23rd International Meeting"
        " of Mine Action National Directors: Albania sets out the unmet needs of cluster munition"
        " victims and the obstacles to reaching assistance; donors coordinate so that the need"
        " is covered once, and the Coordinators relay it to organisations with expertise.",
        "follow_ups": [
            {
                "action": "Detail the victims' needs and the assistance sought in the next Article"
                " 7 report",
                "owner": "ALB",
                "due": "2020-04-30",
            },
            {
                "action": "Relay the needs to donors and organisations with relevant expertise",
                "owner": "montenegro",
                "due": "2020-06-08",
            },
        ],
    },
    "LKA": {
        "date": "2020-06-30",
        "kind": "round-table",
        "participants": ["LKA", "norway", "cambodia", "thailand", "halo-trust", "sweden"],
        "agreed": "Sri Lanka presents its remaining contamination and land release plan; partners"
        " agree to pair funding with South-South expert-days in technical survey.",
        "follow_ups": [
            {
                "action": "Share the list of remaining hazardous areas and the survey plan",
                "owner": "LKA",
                "due": "2020-08-31",
            },
            {
                "action": "Propose expert-days for technical survey training",
                "owner": "cambodia",
                "due": "2020-09-30",
            },
        ],
    },
}
JOINS = {"LKA": "sweden"}
"""A donor that joins with its own key, as a donor does."""


async def load_coalitions(client: httpx.AsyncClient, keys: Mapping[Principal, str]) -> list[str]:
    """Propose each coalition (the secretariat), a donor joins one, and record each one's
    dialogue; returns the coalitions' ids."""
    ids = []
    for state, body in COALITIONS.items():
        created = await client.post(
            "/v1/coalitions", json=body, headers={"Idempotency-Key": f"demo-coalition-{state}-v1"}
        )
        created.raise_for_status()
        path = f"/v1/coalitions/{created.json()['id']}"
        if state in JOINS:
            donor = JOINS[state]
            joined = await client.post(
                f"{path}/members",
                json={"kind": "state"},
                headers={
                    "Authorization": f"Bearer {keys[Principal.for_donor(donor)]}",
                    "Idempotency-Key": f"demo-coalition-{state}-join-{donor}-v1",
                },
            )
            joined.raise_for_status()
        recorded = await client.post(
            f"{path}/dialogue",
            json=DIALOGUE[state],
            headers={"Idempotency-Key": f"demo-coalition-{state}-dialogue-v1"},
        )
        recorded.raise_for_status()
        ids.append(created.json()["id"])
    return ids
