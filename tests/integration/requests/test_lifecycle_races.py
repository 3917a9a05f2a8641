"""The request lifecycle and the expiry sweep write the same rows: a state submitting and
withdrawing its requests while several sweeps expire them, all at once, many times over. Every
call gets a definite answer (never a 500), every request ends in one final state, and each
transition is told once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from services.requests.app.workers import ExpirySweep
from tests.database import fetch
from tests.integration.requests.conftest import LAO
from tests.integration.requests.flows import create
from tests.service_api import Api
from tests.system import Environment

REQUESTS = 30
SWEEPS = 3
ROUNDS = 3


async def lifecycle(api: Api, request_id: str) -> list[int]:
    """The state submits, then withdraws; each answered, whoever got there first."""
    answers = []
    for action, body in (("submit", {}), ("withdraw", {"reason": "Funded bilaterally"})):
        response = await api.client.post(
            f"/v1/requests/{request_id}/{action}", json=body, headers=api.headers_for(LAO)
        )
        answers.append(response.status_code)
    return answers


async def one_round(api: Api, sweep: ExpirySweep) -> tuple[list[str], Counter[int], int]:
    """Requests due to expire, raced by their state and the sweeps: their ids, the answers the
    state got, and how many the sweeps expired."""
    soon = (date.today() + timedelta(days=2)).isoformat()
    ids = [(await create(api, deadline=soon))["id"] for _ in range(REQUESTS)]
    in_a_week = datetime.now(UTC) + timedelta(days=7)
    answers, expired = await asyncio.gather(
        asyncio.gather(*(lifecycle(api, request_id) for request_id in ids)),
        asyncio.gather(*(sweep.sweep(in_a_week) for _ in range(SWEEPS))),
    )
    return ids, Counter(code for codes in answers for code in codes), sum(expired)


async def test_the_lifecycle_and_the_expiry_sweep_never_collide(
    api: Api, environment: Environment
) -> None:
    sweep = ExpirySweep(api.resources)
    ids: list[str] = []
    answers: Counter[int] = Counter()
    expired_by_sweeps = 0
    for _ in range(ROUNDS):
        round_ids, round_answers, round_expired = await one_round(api, sweep)
        ids += round_ids
        answers += round_answers
        expired_by_sweeps += round_expired

    rows = await fetch(
        environment.database_url,
        "SELECT id::text AS id, status FROM requests.requests WHERE id::text = ANY($1::text[])",
        ids,
    )
    statuses = Counter(r["status"] for r in rows)
    [told] = await fetch(
        environment.database_url,
        "SELECT count(DISTINCT event_id) AS n FROM requests.outbox "
        "WHERE event_type LIKE '%request.expired%'",
    )

    assert set(answers) <= {200, 409}, answers
    assert set(statuses) <= {"expired", "withdrawn"}, statuses
    assert sum(statuses.values()) == REQUESTS * ROUNDS
    assert statuses["expired"] == expired_by_sweeps == told["n"]
