"""Bad input gets a problem that names the field or the rule, and changes nothing at all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

from shared.principal import Principal
from tests.database import fetch
from tests.integration.inventory.conftest import JAPAN, NORWAY, SECRETARIAT
from tests.integration.inventory.flows import record, register
from tests.inventory_factories import act_body, source_body, window_body
from tests.service_api import Api
from tests.system import Environment

TABLES = (
    "sources",
    "windows",
    "source_versions",
    "ledger_entries",
    "balances",
    "idempotency_keys",
    "outbox",
)
TOMORROW = (date.today() + timedelta(days=1)).isoformat()
LAST_YEAR = (date.today() - timedelta(days=365)).isoformat()


@dataclass
class Case:
    """One bad call: what it sends, and what the problem must say."""

    name: str
    method: str
    path: str
    body: Any
    status: int
    field: str | None = None
    rule: str | None = None
    who: Principal = NORWAY
    headers: dict[str, str] | None = None


async def state(environment: Environment) -> dict[str, Any]:
    """Everything the service stores, counted, and the sources' versions."""
    counts = {}
    for table in TABLES:
        rows = await fetch(environment.database_url, f"SELECT count(*) AS n FROM inventory.{table}")
        counts[table] = rows[0]["n"]
    versions = await fetch(environment.database_url, "SELECT id, version FROM inventory.sources")
    return {**counts, "versions": sorted((str(r["id"]), r["version"]) for r in versions)}


def source_cases(source: dict[str, Any]) -> list[Case]:
    return [
        Case("unknown kind", "POST", "/v1/sources", source_body(kind="lender"), 422, "body.kind"),
        Case(
            "a donor that holds no key, named by the secretariat",
            "POST",
            "/v1/sources",
            source_body(donor="atlantis"),
            422,
            "body.donor",
            "answering-party",
            who=SECRETARIAT,
        ),
        Case(
            "unknown convention",
            "POST",
            "/v1/sources",
            source_body(supports=[{"convention": "Basel"}]),
            422,
            "body.supports.0.convention",
        ),
        Case(
            "unknown area",
            "POST",
            "/v1/sources",
            source_body(supports=[{"convention": "CCM", "areas": ["pcb-elimination"]}]),
            422,
            "body.supports.0.areas",
        ),
        Case(
            "window closing before it opens",
            "POST",
            "/v1/sources",
            source_body(windows=[window_body(closes=LAST_YEAR)]),
            422,
            "body.windows.0.closes",
            "window-closes-before-opens",
        ),
        Case(
            "negative capacity",
            "POST",
            "/v1/sources",
            source_body(windows=[window_body("-5.00")]),
            422,
            "body.windows.0.capacity",
        ),
        Case(
            "unknown currency",
            "POST",
            "/v1/sources",
            source_body(windows=[window_body(currency="XYZ")]),
            422,
            "body.windows.0.currency",
        ),
        Case(
            "minimum grant above the maximum",
            "POST",
            "/v1/sources",
            source_body(min_grant="9.00", max_grant="8.00"),
            422,
            "body.min_grant",
            "grant-limits",
        ),
        Case(
            "unknown regional centre",
            "POST",
            "/v1/sources",
            source_body(regional_focus=["atlantis"]),
            422,
            "body.regional_focus",
        ),
        Case("unknown field", "POST", "/v1/sources", source_body(budget=3), 422, "body.budget"),
        Case(
            "a donor registering for another donor",
            "POST",
            "/v1/sources",
            source_body(donor="japan"),
            403,
        ),
        Case(
            "a donor editing someone else's source",
            "PUT",
            f"/v1/sources/{source['id']}",
            source_body(donor="japan"),
            403,
            who=JAPAN,
            headers={"If-Match": '"1"'},
        ),
        Case(
            "a stale If-Match",
            "PUT",
            f"/v1/sources/{source['id']}",
            source_body(),
            412,
            headers={"If-Match": '"7"'},
        ),
        Case("no If-Match", "PUT", f"/v1/sources/{source['id']}", source_body(), 428),
    ]


def ledger_cases(source: dict[str, Any], entry: dict[str, Any]) -> list[Case]:
    window = source["windows"][0]["id"]
    commitments = f"/v1/sources/{source['id']}/commitments"
    request = entry["request_id"]

    def act(amount: str, **changes: Any) -> dict[str, Any]:
        return act_body(window, amount, **changes)

    return [
        Case("zero amount", "POST", commitments, act("0.00"), 422, "body.amount.value"),
        Case("negative amount", "POST", commitments, act("-10.00"), 422, "body.amount.value"),
        Case("fraction of a cent", "POST", commitments, act("10.001"), 422, "body.amount.value"),
        Case(
            "amount in another currency",
            "POST",
            commitments,
            {**act("10000.00"), "amount": {"value": "10000.00", "currency": "EUR"}},
            422,
            "body.currency",
            "currency-mismatch",
        ),
        Case(
            "commitment above capacity",
            "POST",
            commitments,
            act("600000.01"),
            409,
            rule="capacity-exceeded",
        ),
        Case(
            "disbursement above the commitment",
            "POST",
            f"/v1/sources/{source['id']}/disbursements",
            act("400000.01", request_id=request),
            409,
            rule="exceeds-commitment",
        ),
        Case(
            "commitment above the grant limit",
            "POST",
            commitments,
            act("500000.01", request_id=request),
            422,
            "body.amount",
            "outside-grant-limits",
        ),
        Case(
            "unknown window",
            "POST",
            commitments,
            act_body(str(uuid4()), "10.00"),
            422,
            "body.window_id",
            "unknown-window",
        ),
        Case("date to come", "POST", commitments, act("10.00", date=TOMORROW), 422, "body.date"),
        Case(
            "correction of nothing",
            "POST",
            f"/v1/ledger/entries/{entry['id']}/corrections",
            {"amount": {"value": "0", "currency": "USD"}, "date": entry["date"], "reason": "x"},
            422,
            "body.amount.value",
        ),
        Case(
            "another donor's ledger",
            "POST",
            commitments,
            act("10.00"),
            403,
            who=JAPAN,
        ),
    ]


async def test_bad_input_is_refused_with_a_problem_and_changes_nothing(
    api: Api, environment: Environment
) -> None:
    source = await register(api)
    entry = await record(api, source, "commitments", "400000.00", request_id=uuid4())
    before = await state(environment)

    for number, case in enumerate(source_cases(source) + ledger_cases(source, entry)):
        headers = {
            **api.headers_for(case.who),
            "Idempotency-Key": f"bad-{number}",
            **(case.headers or {}),
        }
        response = await api.client.request(case.method, case.path, json=case.body, headers=headers)
        problem = response.json()

        assert response.status_code == case.status, (case.name, response.text)
        assert response.headers["content-type"] == "application/problem+json", case.name
        if case.field:
            fields = {problem.get("field")} | {e["field"] for e in problem.get("errors", [])}
            assert case.field in fields, (case.name, problem)
        if case.rule:
            assert problem["rule"] == case.rule, (case.name, problem)
        assert await state(environment) == before, case.name
