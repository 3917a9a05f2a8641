"""Chaos without loss: requests keep coming while every service is SIGKILLed in turn, the broker
is restarted and the database is restarted, and the donor accepts what is proposed, commits what
is reserved and disburses part of it; afterwards every accepted request reached its final state,
every event was handled exactly once, every ledger entry was recorded once, nothing is missing and
nothing was dead-lettered.

Bounded in time and self-stopping: the load runs for `LOAD_SECONDS`, the crasher stops with it,
and the system then has `SETTLE_SECONDS` to converge. `make soak` (tests/e2e/soak.py) runs it for
many seeds, with a load of any length.
"""

from __future__ import annotations

import asyncio
import os
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx

from deploy.local.__main__ import DEFINITIONS
from deploy.local.processes import ServiceProcess
from deploy.local.stack import LocalStack
from services import SERVICES
from shared.runtime import all_subscriptions
from shared.topics import Topics
from tests.database import fetch, snapshot
from tests.e2e.story import STATE, Clients, clients, subscribe, system
from tests.factories import request_body
from tests.integration.notifications.receiver import Receiver, receiving
from tests.inventory_factories import source_body, window_body
from tests.kafka import read_topic
from tests.polling import eventually
from tests.system import Environment, running

LOAD_SECONDS = float(os.environ.get("CHAOS_LOAD_SECONDS", "60"))  # `make soak` sets both
SEED = os.environ.get("CHAOS_SEED")
JOURNEYS_PER_SECOND = 0.7
SETTLE_SECONDS = 240.0
QUIET_SECONDS = 3.0
ASKED = "100000.00"
DISBURSED = "40000.00"  # of each commitment
EMITTERS = ("requests", "inventory", "matching", "notifications")
LEDGER_KINDS = ("committed", "disbursed")
STEPS = (  # each step of a journey, who takes it, and the status it leaves the request in
    ("submit", "state", "submitted"),
    ("endorse", "centre", "endorsed"),
    ("publish", "secretariat", "funded"),  # once published, the donor's acceptances fund it
)


@dataclass(eq=False)
class Crasher(threading.Thread):
    """For `LOAD_SECONDS`: SIGKILLs each service in turn at random moments and starts it again;
    restarts the broker once and the database once, a third and two thirds of the way through."""

    processes: list[ServiceProcess]
    stack: LocalStack
    rng: random.Random
    done: threading.Event = field(default_factory=threading.Event)
    kills: Counter[str] = field(default_factory=Counter)
    restarts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        super().__init__(daemon=True)

    def run(self) -> None:
        started, turn = time.monotonic(), 0
        infrastructure = [(LOAD_SECONDS / 3, "kafka"), (2 * LOAD_SECONDS / 3, "postgres")]
        while not self.done.wait(self.rng.uniform(1.0, 3.0)):
            self.revive()
            if time.monotonic() - started > LOAD_SECONDS:
                break  # the load's stragglers finish in peace
            if infrastructure and time.monotonic() - started > infrastructure[0][0]:
                self.restart(infrastructure.pop(0)[1])
                continue
            victim = self.processes[turn % len(self.processes)]
            turn += 1
            victim.kill()
            self.kills[victim.service] += 1
            time.sleep(self.rng.uniform(0, 1.0))
            victim.start(wait=False)
        self.revive()

    def restart(self, server: str) -> None:
        if server == "kafka":
            assert self.stack.kafka is not None
            self.stack.kafka.stop()
            self.stack.kafka.start(timeout=180)
        else:
            assert self.stack.postgres is not None
            self.stack.postgres.stop()
            self.stack.postgres.start()
        self.restarts[server] += 1

    def revive(self) -> None:
        """A service that died on its own (say, starting while the database was down) is started
        again, as the orchestrator would."""
        for process in self.processes:
            if not process.running:
                process.start(wait=False)


@dataclass
class Load:
    """Journeys of requests at a steady rate, each step retried with its Idempotency-Key until
    the service answers, and a donor accepting whatever is proposed, then committing each
    reservation and disbursing part of it."""

    cast: Clients
    rng: random.Random
    reached: dict[str, str] = field(default_factory=dict)
    retries: int = 0
    accepted: set[str] = field(default_factory=set)
    disbursed: set[str] = field(default_factory=set)  # requests committed to and disbursed to

    async def call(self, service: str, path: str, who: str, key: str, body: Any = None) -> Any:
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            try:
                answer = await self.cast[service].post(
                    path, json=body, headers=self.cast.as_(who, idempotency_key=key)
                )
                if answer.status_code < 500:
                    return answer
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"{path} never answered"
            self.retries += 1
            await asyncio.sleep(0.5)

    async def journey(self, number: int) -> None:
        body = request_body(STATE, amount={"value": ASKED, "currency": "USD"})
        body["title"] = f"Chaos journey {number}"
        created = await self.call("requests", "/v1/requests", "state", f"create-{number}", body)
        assert created.status_code == 201, created.text
        request_id = created.json()["id"]
        self.reached[request_id] = "draft"
        for action, who, status in STEPS:
            path = f"/v1/requests/{request_id}/{action}"
            answer = await self.call("requests", path, who, f"{action}-{number}", {})
            assert answer.status_code == 200, (path, answer.text)
            self.reached[request_id] = status

    async def run(self, seconds: float) -> None:
        journeys, number = [], 0
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            journeys.append(asyncio.create_task(self.journey(number)))
            number += 1
            await asyncio.sleep(self.rng.expovariate(JOURNEYS_PER_SECOND))
        await asyncio.gather(*journeys)

    async def donor_until_cancelled(self) -> None:
        while True:
            await self.accept_standing()
            await self.follow_through()
            await asyncio.sleep(1)

    async def listed(self, service: str, path: str, status: str) -> list[dict[str, Any]]:
        """What the donor sees there with that status; nothing while the service is down."""
        try:
            answer = await self.cast[service].get(
                path, params={"status": status}, headers=self.cast.as_("donor")
            )
        except httpx.TransportError:
            return []
        return list(answer.json()) if answer.status_code == 200 else []

    async def accept_standing(self) -> None:
        """Accept every standing proposal; one withdrawn meanwhile answers 409 and is skipped."""
        for proposal in await self.listed("matching", "/v1/proposals", "proposed"):
            path = f"/v1/proposals/{proposal['id']}/accept"
            accepted = await self.call("matching", path, "donor", f"accept-{proposal['id']}")
            if accepted.status_code == 200:
                self.accepted.add(proposal["id"])

    async def follow_through(self) -> None:
        """Commit every held reservation, then disburse part of it: real ledger entries, each
        act retried with its own Idempotency-Key."""
        for reservation in await self.listed("inventory", "/v1/reservations", "held"):
            await self.commit_and_disburse(reservation)

    async def commit_and_disburse(self, reservation: dict[str, Any]) -> None:
        today = date.today().isoformat()
        number = reservation["id"]
        path = f"/v1/reservations/{number}/commitment"
        committed = await self.call("inventory", path, "donor", f"commit-{number}", {"date": today})
        assert committed.status_code == 201, committed.text
        act = {
            "window_id": reservation["window_id"],
            "request_id": reservation["request_id"],
            "amount": {"value": DISBURSED, "currency": reservation["currency"]},
            "date": today,
        }
        path = f"/v1/sources/{reservation['source_id']}/disbursements"
        disbursed = await self.call("inventory", path, "donor", f"disburse-{number}", act)
        assert disbursed.status_code == 201, disbursed.text
        self.disbursed.add(reservation["request_id"])


async def test_nothing_accepted_is_lost_or_doubled_through_crashes_and_restarts(
    stack: LocalStack, environment: Environment
) -> None:
    seed = int(SEED) if SEED else random.randrange(1 << 30)
    rng = random.Random(seed)
    processes = system(environment)
    with running(*processes.values()):
        async with clients(environment, processes) as cast, receiving(Receiver()) as hook:
            await subscribe(cast, "secretariat", hook)
            await register_source(cast)
            crasher = Crasher(list(processes.values()), stack, rng)
            load = Load(cast, rng)
            donor = asyncio.create_task(load.donor_until_cancelled())
            crasher.start()
            try:
                await load.run(LOAD_SECONDS)
            finally:
                crasher.done.set()
                await asyncio.to_thread(crasher.join)
            checks = Checks(environment)
            try:
                funded = await eventually(lambda: all_funded(cast, load), seconds=SETTLE_SECONDS)
                await eventually(lambda: load.disbursed >= funded, seconds=SETTLE_SECONDS)
                await eventually(lambda: outboxes_drained(checks), seconds=SETTLE_SECONDS)
                await eventually(lambda: checks.all_delivered(hook), seconds=SETTLE_SECONDS)
            except TimeoutError:
                raise AssertionError(f"not settled: {await checks.stuck(load.reached)}") from None
            finally:
                donor.cancel()
        deadletters = await checks.deadletters()

    expected = Counter(load.reached.values())
    print(
        f"seed {seed}; kills {dict(crasher.kills)}; restarts {dict(crasher.restarts)}; "
        f"{len(load.reached)} requests {dict(expected)}; {load.retries} retried calls; "
        f"{len(load.accepted)} proposals accepted; {len(load.disbursed)} committed and disbursed; "
        f"{await checks.summary()}; webhook deliveries "
        f"{len(hook.handled)} handled of {sum(hook.attempts.values())} attempts"
    )
    assert all(crasher.kills[service] >= 2 for service in SERVICES), crasher.kills
    assert crasher.restarts == {"kafka": 1, "postgres": 1}
    assert funded == {r for r, status in load.reached.items() if status == "funded"}
    assert await checks.statuses() == load.reached
    assert await checks.reservations_once() == dict.fromkeys(funded, "converted")
    assert await checks.entries_once() == {(r, k): 1 for r in funded for k in LEDGER_KINDS}
    assert await checks.window_totals() == {
        "reserved": 0,
        "committed": Decimal(ASKED) * len(funded),
        "disbursed": Decimal(DISBURSED) * len(funded),
    }
    assert await checks.unhandled() == {}
    assert await checks.notified_twice() == 0
    assert len(hook.handled) == await checks.notified("secretariat"), await checks.undelivered(hook)
    assert Counter(events_delivered(hook).values()) == {1: len(hook.handled)}
    assert all(all(verified) for _, verified in hook.verified)
    assert deadletters == {service: 0 for service in SERVICES}


def events_delivered(receiver: Receiver) -> Counter[str]:
    """How many distinct webhook-ids carried each event: a repeat keeps its webhook-id."""
    return Counter(body["data"]["event"]["id"] for body in receiver.handled.values())


async def register_source(cast: Clients) -> None:
    body = source_body(windows=[window_body("100000000.00")])
    created = await cast["inventory"].post(
        "/v1/sources", json=body, headers=cast.as_("donor", idempotency_key="chaos-source")
    )
    assert created.status_code == 201, created.text


async def all_funded(cast: Clients, load: Load) -> set[str] | None:
    """The funded requests, once every request that was published is funded."""
    funded: set[str] = set()
    params: dict[str, str | int] = {"status": "funded", "limit": 200}
    while True:
        try:
            answer = await cast["requests"].get(
                "/v1/requests", params=params, headers=cast.as_("state")
            )
        except httpx.TransportError:
            return None
        if answer.status_code != 200:
            return None
        page = answer.json()
        funded |= {item["id"] for item in page["items"]}
        if not page["next_cursor"]:
            break
        params["cursor"] = page["next_cursor"]
    published = {r for r, status in load.reached.items() if status == "funded"}
    return funded if funded >= published else None


async def outboxes_drained(checks: Checks) -> bool:
    unsent = "SELECT count(*) AS n FROM {}.outbox WHERE sent_at IS NULL"
    return all([(await checks.rows(unsent.format(s)))[0]["n"] == 0 for s in EMITTERS])


QUEUED = "SELECT count(*) AS n FROM matching.allocation_queue"
UNDELIVERED = "SELECT count(*) AS n FROM notifications.deliveries WHERE status <> 'delivered'"
NOTIFIED = "SELECT count(*) AS n FROM notifications.notifications WHERE audience = $1"


@dataclass(frozen=True)
class Handling:
    """A consumer group, and the events it must handle: those of its types on its topics."""

    service: str
    consumer: str
    topics: tuple[str, ...]
    types: tuple[str, ...]

    def unhandled(self) -> str:
        """The SQL counting the events emitted for this group that its inbox has not claimed."""
        emitted = " UNION ALL ".join(
            f"SELECT event_id, topic, event_type FROM {s}.outbox" for s in EMITTERS
        )
        return (
            f"SELECT count(*) AS n FROM ({emitted}) AS emitted "
            "WHERE topic = ANY($1::text[]) AND event_type = ANY($2::text[]) "
            f"AND event_id NOT IN (SELECT event_id FROM {self.service}.inbox "
            "WHERE consumer = $3)"
        )


def handlings(topics: Topics) -> list[Handling]:
    """Every consumer group of every service, read from the services' own definitions, so no
    subscription is left out of the settle condition."""
    return [
        Handling(
            service,
            subscription.name,
            tuple(subscription.topics(topics)),
            tuple(payload.cloudevent_type() for payload in subscription.handlers),
        )
        for service, definition in DEFINITIONS.items()
        for subscription in all_subscriptions(definition)
    ]


@dataclass
class Checks:
    """What the stores and the topics say once the system has settled."""

    environment: Environment
    quiet: tuple[tuple[int, int], float] | None = None  # what was seen settled, and since when
    settled_at: datetime | None = None

    async def rows(self, sql: str, *args: Any) -> list[Any]:
        return await fetch(self.environment.database_url, sql, *args)

    async def statuses(self) -> dict[str, str]:
        rows = await self.rows("SELECT id, status FROM requests.requests")
        return {str(r["id"]): r["status"] for r in rows}

    async def stuck(self, reached: dict[str, str]) -> str:
        """What differs from what was expected, to say why the system did not settle."""
        actual = await self.statuses()
        off = Counter((reached[r], actual.get(r)) for r in reached if actual.get(r) != reached[r])
        matches = await self.rows(
            "SELECT status, count(*) AS n FROM matching.matches GROUP BY status"
        )
        unsent = await self.rows(
            "SELECT 'requests' AS s, count(*) AS n FROM requests.outbox WHERE sent_at IS NULL "
            "UNION ALL SELECT 'inventory', count(*) FROM inventory.outbox WHERE sent_at IS NULL "
            "UNION ALL SELECT 'matching', count(*) FROM matching.outbox WHERE sent_at IS NULL"
        )
        waiting = (await self.pending())[0]
        return f"(expected, actual) {dict(off)}; matches {matches}; unsent {unsent}; {waiting}"

    async def reservations_once(self) -> dict[str, str]:
        """Each request's reservation and its status, checking there is exactly one per request
        among those that did not fail."""
        kept = await self.rows(
            "SELECT request_id, count(*) AS n, max(status) AS status FROM inventory.reservations "
            "WHERE status <> 'failed' GROUP BY request_id"
        )
        assert all(r["n"] == 1 for r in kept), kept
        return {str(r["request_id"]): r["status"] for r in kept}

    async def entries_once(self) -> dict[tuple[str, str], int]:
        """How many ledger entries of each kind each request has."""
        entries = await self.rows(
            "SELECT request_id, kind, count(*) AS n FROM inventory.ledger_entries "
            "GROUP BY request_id, kind"
        )
        return {(str(e["request_id"]), e["kind"]): e["n"] for e in entries}

    async def window_totals(self) -> dict[str, Decimal]:
        """What the inventory's windows hold as reserved, committed and disbursed."""
        sums = ", ".join(
            f"coalesce(sum({t}), 0) AS {t}" for t in ("reserved", "committed", "disbursed")
        )
        return dict((await self.rows(f"SELECT {sums} FROM inventory.windows"))[0])

    async def unhandled(self) -> dict[str, int]:
        """Events a consumer group should have handled and has not: per group, how many."""
        return (await self.pending())[0]

    async def pending(self) -> tuple[dict[str, int], int]:
        """In one snapshot of the database: what each consumer group, the allocator and the
        webhook sender have still to do, and how many notifications the secretariat has. One
        snapshot, because an event handled between two separate reads can emit another that the
        earlier read missed; and handling commits with the events it emits, so in one snapshot
        nothing pending means nothing more will come. The sender counts until each delivery is
        recorded delivered: one the receiver has had but whose sender was killed before it could
        record it is sent again when its lease ends, and must find the receiver still there."""
        groups = handlings(Topics(self.environment.topic_prefix))
        queries: list[tuple[Any, ...]] = [
            (g.unhandled(), list(g.topics), list(g.types), g.consumer) for g in groups
        ]
        queries += [(QUEUED,), (UNDELIVERED,), (NOTIFIED, "secretariat")]
        results = await snapshot(self.environment.database_url, queries)
        *missing, queued, undelivered, notified = [rows[0]["n"] for rows in results]
        names = [f"{g.service}.{g.consumer}" for g in groups]
        names += ["matching.allocator", "notifications.webhooks"]
        counts = zip(names, [*missing, queued, undelivered], strict=True)
        return {name: n for name, n in counts if n}, notified

    async def deadletters(self) -> dict[str, int]:
        topics = Topics(self.environment.topic_prefix)
        bootstrap = self.environment.kafka_bootstrap_servers
        return {
            service: len(await read_topic(bootstrap, topics.deadletter(service), 1, seconds=3))
            for service in SERVICES
        }

    async def notified(self, audience: str) -> int:
        count: int = (await self.rows(NOTIFIED, audience))[0]["n"]
        return count

    async def notified_twice(self) -> int:
        """Notifications made more than once for the same event and audience."""
        twice = await self.rows(
            "SELECT event_id, audience FROM notifications.notifications "
            "GROUP BY event_id, audience HAVING count(*) > 1"
        )
        return len(twice)

    async def all_delivered(self, receiver: Receiver) -> bool:
        """Every event was handled by its consumers, every notification of the secretariat then
        reached its webhook, and so it stayed for `QUIET_SECONDS`: the periodic workers (the
        alert sweep, the allocator) had their turn and told nothing more."""
        unhandled, notified = await self.pending()
        if unhandled or len(receiver.handled) < notified:
            self.quiet = None
            return False
        seen, now = (notified, len(receiver.handled)), time.monotonic()
        if self.quiet is None or self.quiet[0] != seen:
            self.quiet = (seen, now)
        if now - self.quiet[1] < QUIET_SECONDS:
            return False
        self.settled_at = datetime.now(UTC)
        return True

    async def undelivered(self, receiver: Receiver) -> list[dict[str, Any]]:
        """The secretariat's notifications whose event no webhook delivery carried, with their
        deliveries: what to look at when the counts differ."""
        rows = await self.rows(
            "SELECT n.id, n.kind, n.event_id, n.created_at, d.status, d.attempts, d.created_at "
            "AS queued_at FROM notifications.notifications n LEFT JOIN notifications.deliveries "
            "d ON d.notification_id = n.id WHERE n.audience = 'secretariat' "
            "AND NOT (n.event_id = ANY($1::uuid[]))",
            list(events_delivered(receiver)),
        )
        return [dict(row) | {"settled_at": self.settled_at} for row in rows]

    async def summary(self) -> str:
        counts = {
            table: (await self.rows(f"SELECT count(*) AS n FROM {table}"))[0]["n"]
            for table in (
                "requests.outbox",
                "inventory.reservations",
                "inventory.ledger_entries",
                "matching.matches",
                "notifications.notifications",
            )
        }
        inbox = "SELECT count(*) AS n FROM {}.inbox"
        inboxes = {s: (await self.rows(inbox.format(s)))[0]["n"] for s in EMITTERS}
        return f"rows {counts}; handled events {inboxes}"
