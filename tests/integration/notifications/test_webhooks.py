"""Webhooks to a real local receiver: signed, retried with the same webhook-id, paused, replayed."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from prometheus_client.parser import text_string_to_metric_families

from services.notifications.app.commands import record_attempt, remove_subscription
from services.notifications.domain.webhooks import Outcome, RetryRules
from shared.events import requests as req
from shared.principal import Principal
from shared.topics import Stream
from tests.database import fetch
from tests.factories import envelope, request_event
from tests.integration.notifications.conftest import (
    OPERATOR,
    SOUTH_EAST_ASIA,
    deliver,
    feed,
    notifications,
)
from tests.integration.notifications.receiver import Receiver, receiving
from tests.polling import eventually
from tests.service_api import Api
from tests.system import Environment

SOURCE = "/clearinghouse/requests"


@pytest.fixture
async def patient(environment: Environment) -> AsyncIterator[Api]:
    """A service that pauses a subscription only after many failures in a row."""
    async with notifications(environment, webhook_pause_after_failures=50) as api:
        yield api


@pytest.fixture
async def strict(environment: Environment) -> AsyncIterator[Api]:
    """A service that pauses after three failures in a row."""
    async with notifications(environment, webhook_pause_after_failures=3) as api:
        yield api


async def _subscribe(api: Api, who: Principal, **body: Any) -> dict[str, Any]:
    response = await api.client.post("/v1/subscriptions", json=body, headers=api.headers_for(who))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _submit(api: Api, *states: str) -> None:
    events = [request_event(req.RequestSubmitted, s, _centre(s)) for s in states]
    await deliver(
        api, Stream.REQUESTS, *(envelope(e, str(e.request.request_id), SOURCE) for e in events)
    )


def _centre(state: str) -> str:
    return "western-balkans" if state == "MNE" else "south-eastern-asia"


async def _deliveries(api: Api, who: Principal, subscription_id: str) -> list[dict[str, Any]]:
    response = await api.client.get(
        f"/v1/subscriptions/{subscription_id}/deliveries", headers=api.headers_for(who)
    )
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


async def _outcomes(api: Api) -> Counter[str]:
    """The webhook attempts counted on /metrics, by outcome."""
    found: Counter[str] = Counter()
    for family in text_string_to_metric_families((await api.client.get("/metrics")).text):
        for sample in family.samples:
            if sample.name == "clearinghouse_webhook_deliveries_total":
                found[sample.labels["outcome"]] += int(sample.value)
    return found


async def test_retries_keep_the_webhook_id_and_a_valid_signature(patient: Api) -> None:
    script = ["fail", "handle-then-fail"]  # then acknowledged as a repeat
    counted_before = await _outcomes(patient)
    async with receiving(Receiver(script=script)) as receiver:
        subscription = await _subscribe(
            patient, SOUTH_EAST_ASIA, url=receiver.url, types=["request.submitted"]
        )
        receiver.secrets = [subscription["secret"]]
        await _submit(patient, "LAO", "KHM", "MNE")  # MNE is another centre's
        returned = request_event(
            req.RequestReturned, status="returned", from_status="submitted", version=3
        )
        await deliver(
            patient, Stream.REQUESTS, envelope(returned, str(returned.request.request_id), SOURCE)
        )

        async def all_delivered() -> bool:
            found = await _deliveries(patient, SOUTH_EAST_ASIA, subscription["id"])
            return len(found) == 2 and all(d["status"] == "delivered" for d in found)

        await eventually(all_delivered)
        deliveries = await _deliveries(patient, SOUTH_EAST_ASIA, subscription["id"])
    counted = await _outcomes(patient)
    counted.subtract(counted_before)

    assert +counted == {"rejected": 4, "delivered": 2}  # 503 and 500, then 204, twice
    ids = {d["webhook_id"] for d in deliveries}
    assert set(receiver.attempts) == ids
    assert all(count == 3 for count in receiver.attempts.values())
    assert all(valid == [True] for _, valid in receiver.verified)
    assert set(receiver.handled) == ids  # handled once each, though received three times
    assert {b["data"]["state"] for b in receiver.handled.values()} == {"LAO", "KHM"}
    assert {b["type"] for b in receiver.handled.values()} == {"request.submitted"}
    for delivery in deliveries:
        assert [a["status_code"] for a in delivery["attempts"]] == [503, 500, 204]
        assert [a["number"] for a in delivery["attempts"]] == [1, 2, 3]


async def test_a_failing_subscription_is_paused_its_owner_told_and_replayed(
    strict: Api, environment: Environment
) -> None:
    async with receiving(Receiver(script=["fail"] * 3)) as receiver:
        subscription = await _subscribe(strict, SOUTH_EAST_ASIA, url=receiver.url)
        receiver.secrets = [subscription["secret"]]
        url = f"/v1/subscriptions/{subscription['id']}"
        headers = strict.headers_for(SOUTH_EAST_ASIA)
        await _submit(strict, "LAO")

        async def paused() -> bool:
            return (await strict.client.get(url, headers=headers)).json()["status"] == "paused"

        await eventually(paused)
        await _submit(strict, "KHM")  # held while paused
        told = await feed(strict, SOUTH_EAST_ASIA, type="webhook.subscription-paused")
        failed_ids = set(receiver.attempts)
        receiver.script = []  # the partner fixed its receiver

        rotated = await strict.client.post(f"{url}/rotate-secret", headers=headers)
        receiver.secrets = [subscription["secret"], rotated.json()["secret"]]
        replay = await strict.client.post(f"{url}/replay", headers=headers)

        async def all_delivered() -> bool:
            found = await _deliveries(strict, SOUTH_EAST_ASIA, subscription["id"])
            return all(d["status"] == "delivered" for d in found)

        await eventually(all_delivered)

    assert [t["audience"] for t in told] == ["regional:south-eastern-asia"]
    assert told[0]["severity"] == "warning"
    assert replay.status_code == 200, replay.text
    assert replay.json()["subscription"]["status"] == "active"
    # the notice of the submission, the second one held while paused, and the pause notice
    assert len(receiver.handled) == replay.json()["requeued"] == 3
    assert failed_ids < set(receiver.handled)  # the same webhook-ids, delivered at last
    assert receiver.attempts[next(iter(failed_ids))] == 4
    before = [valid for _, valid in receiver.verified if len(valid) == 1]
    after_rotation = [valid for _, valid in receiver.verified if len(valid) == 2]
    assert before == [[True]] * 3
    assert after_rotation == [[True, True]] * 3  # both secrets sign until the old one expires
    [operators] = await feed(
        strict, OPERATOR, type="webhook.subscription-paused", audience="operator"
    )
    assert operators["audience"] == "operator"
    rows = await fetch(environment.database_url, "SELECT count(*) FROM notifications.deliveries")
    assert rows[0][0] == 3


async def test_bad_subscriptions_are_refused_and_nothing_is_stored(
    service: Api, environment: Environment
) -> None:
    headers = service.headers_for(SOUTH_EAST_ASIA)
    good = {"url": "https://centre.example.org/hooks"}
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"url": "ftp://centre.example.org/hooks"}, 422, "body.url"),
        ({"url": "javascript:alert(1)"}, 422, "body.url"),
        ({**good, "types": ["request.teleported"]}, 422, "body.types"),
        ({**good, "regions": ["atlantis"]}, 422, "body.regions"),
        ({**good, "regions": ["Not An Id"]}, 422, "body.regions"),
        ({**good, "min_severity": "apocalyptic"}, 422, "body.min_severity"),
        ({**good, "secret": "mine"}, 422, "body.secret"),
        ({**good, "audience": "regional:western-balkans"}, 403, ""),
    ]
    for body, status, field in cases:
        response = await service.client.post("/v1/subscriptions", json=body, headers=headers)
        assert response.status_code == status, (body, response.text)
        problem = response.json()
        fields = [problem.get("field")] + [e["field"] for e in problem.get("errors", [])]
        assert not field or field in fields, (body, problem)
    rows = await fetch(environment.database_url, "SELECT count(*) FROM notifications.subscriptions")
    assert rows[0][0] == 0


async def test_loopback_and_private_addresses_are_refused_unless_allowed(
    environment: Environment,
) -> None:
    async with notifications(environment, webhook_allow_private_addresses=False) as api:
        for url in (
            "http://127.0.0.1:9/hook",
            "http://localhost/hook",
            "https://10.1.2.3/",
            "http://[::1]/hook",
            "http://169.254.169.254/latest",
        ):
            response = await api.client.post(
                "/v1/subscriptions", json={"url": url}, headers=api.headers_for(SOUTH_EAST_ASIA)
            )
            assert response.status_code == 422, (url, response.text)
            assert response.json()["field"] == "body.url"


async def test_only_the_owner_sees_and_changes_a_subscription(service: Api) -> None:
    created = await _subscribe(service, SOUTH_EAST_ASIA, url="https://centre.example.org/hooks")
    url = f"/v1/subscriptions/{created['id']}"
    other = service.headers_for(OPERATOR)
    answers = [
        await service.client.get(url, headers=other),
        await service.client.post(f"{url}/replay", headers=other),
        await service.client.post(f"{url}/rotate-secret", headers=other),
        await service.client.delete(url, headers=other),
    ]
    listed = await service.client.get("/v1/subscriptions", headers=other)
    assert [a.status_code for a in answers] == [404, 404, 404, 404]
    assert listed.json() == []
    removed = await service.client.delete(url, headers=service.headers_for(SOUTH_EAST_ASIA))
    assert removed.status_code == 204


async def test_a_retried_registration_creates_one_subscription(
    service: Api, environment: Environment
) -> None:
    headers = {**service.headers_for(SOUTH_EAST_ASIA), "Idempotency-Key": "register-hook-1"}
    body = {"url": "https://centre.example.org/hooks", "types": ["request.submitted"]}
    first = await service.client.post("/v1/subscriptions", json=body, headers=headers)
    again = await service.client.post("/v1/subscriptions", json=body, headers=headers)
    other = await service.client.post(
        "/v1/subscriptions", json={**body, "types": []}, headers=headers
    )
    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 422)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    rows = await fetch(environment.database_url, "SELECT count(*) FROM notifications.subscriptions")
    assert rows[0][0] == 1


async def test_operators_read_the_feed_and_register_no_webhooks(
    service: Api, environment: Environment
) -> None:
    response = await service.client.post(
        "/v1/subscriptions",
        json={"url": "https://ops.example.org/hooks"},
        headers=service.headers_for(OPERATOR),
    )

    assert response.status_code == 403
    assert response.json()["type"] == "urn:clearinghouse:problem:forbidden"
    rows = await fetch(environment.database_url, "SELECT count(*) FROM notifications.subscriptions")
    assert rows[0][0] == 0


RULES = RetryRules(max_attempts=5, pause_after_failures=1, backoff_seconds=1, backoff_max_seconds=1)


async def _record_failure(api: Api, delivery_id: UUID) -> None:
    failed = Outcome(status_code=500, error="boom", duration_ms=10)
    async with api.resources.unit_of_work() as uow:
        await record_attempt(uow, delivery_id, failed, RULES, random.Random(1), datetime.now(UTC))


async def _remove(api: Api, subscription_id: UUID) -> None:
    async with api.resources.unit_of_work() as uow:
        await remove_subscription(uow, SOUTH_EAST_ASIA, subscription_id)


async def test_removing_a_subscription_while_its_delivery_is_recorded_never_deadlocks(
    environment: Environment,
) -> None:
    """The sender recording an attempt and the owner removing the webhook lock the same rows;
    both take the subscription first, so neither waits on the other in a cycle (each round runs
    the two use cases at once, with no retry behind them)."""
    async with notifications(environment, webhook_poll_seconds=3600) as api:
        for _ in range(15):
            created = await _subscribe(api, SOUTH_EAST_ASIA, url="https://centre.example.org/hooks")
            await _submit(api, "LAO")
            subscription_id = UUID(created["id"])
            [row] = await fetch(
                environment.database_url,
                "SELECT id FROM notifications.deliveries WHERE subscription_id = $1",
                subscription_id,
            )
            outcomes = await asyncio.gather(
                _record_failure(api, row["id"]),
                _remove(api, subscription_id),
                return_exceptions=True,
            )

            assert outcomes == [None, None]
    rows = await fetch(environment.database_url, "SELECT count(*) FROM notifications.subscriptions")
    assert rows[0][0] == 0
