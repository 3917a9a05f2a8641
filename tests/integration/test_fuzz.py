"""Schemathesis against every service: cases generated from its own OpenAPI document, sent with the
keys of the secretariat, a state (LAO) and a donor (Norway) to the service served on a free port
(the real database and broker), and each answer checked: no server error, and a status code,
content type and body its document declares.

The service first holds what the authorization test sets up (requests, a source and its ledger, a
proposal, feed entries and webhooks), and an operation whose path names one of those is sent
cases for it as well as for ids of nothing, so that what it answers about something is checked
too, not only its 404.

The number of cases each service was sent is printed and kept in test-output/fuzz/<service>.json.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from deploy.local.__main__ import DEFINITIONS
from services import SERVICES
from services.requests.service import SERVICE as REQUESTS
from tests.database import fetch
from tests.factories import request_body
from tests.integration.notifications.conftest import FAST
from tests.integration.test_authorization import (
    LAO,
    NORWAY,
    OWNERS,
    PARAMETER,
    SECRETARIAT,
    SETUPS,
    Owned,
)
from tests.service_api import in_process_api, over_http
from tests.system import OUTPUT, Environment

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = {SECRETARIAT: 20, LAO: 8, NORWAY: 8}
"""The secretariat may do the most; a state and a donor each see and change their own."""
SETTINGS: dict[str, dict[str, object]] = {
    "matching": {"allocation_poll_seconds": 0.2},
    "notifications": FAST,
}
NOT_FUZZED = {
    # An endless stream of server-sent events: its answer never ends, so no case sent to it
    # could be read whole and checked. Its filters are GET /v1/feed's, fuzzed there.
    ("notifications", "GET", "/v1/stream"),
}
FUZZING = hypothesis.settings(
    derandomize=True,  # the same cases on every run, so a failure is there to be found again
    database=None,
    deadline=None,
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    suppress_health_check=list(hypothesis.HealthCheck),  # a live service is slow to answer
)


@dataclass
class Report:
    """How many cases each operation was sent, and what every failing check said."""

    cases: dict[str, int] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.cases.values())


@dataclass(frozen=True)
class Target:
    """Where the cases go, as whom, and what the service holds."""

    url: str
    headers: dict[str, str]
    owned: Owned
    examples: int


def fuzz(service: str, document: dict[str, Any], target: Target) -> Report:
    """Every operation of `document` but those `NOT_FUZZED`, its cases sent to the target: with
    any id in its path, and with the id of what is `owned` under the path parameter's name."""
    report = Report()
    schema = schemathesis.openapi.from_dict(document)
    url, headers, owned = target.url, target.headers, target.owned
    cases = hypothesis.settings(FUZZING, max_examples=target.examples)
    with requests.Session() as session:

        def send(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=url, session=session, headers=headers, checks=CHECKS)

        for result in schema.get_all_operations():
            operation = result.ok()
            if (service, operation.method.upper(), operation.path) in NOT_FUZZED:
                continue
            _fuzz_operation(operation, operation.label, report, send, cases)
            for name in PARAMETER.findall(operation.path):
                if name in owned.ids:
                    pinned = {name: owned.ids[name]}
                    label = f"{operation.label} ({name} owned)"
                    _fuzz_operation(operation, label, report, send, cases, pinned)
    return report


def _fuzz_operation(
    operation: schemathesis.APIOperation,
    label: str,
    report: Report,
    send: Callable[[schemathesis.Case], None],
    cases: hypothesis.settings,
    path_parameters: dict[str, str] | None = None,
) -> None:
    report.cases[label] = 0

    @cases
    @hypothesis.given(case=operation.as_strategy(path_parameters=path_parameters))
    def run(case: schemathesis.Case) -> None:
        report.cases[label] += 1
        try:
            send(case)
        except FailureGroup as failures:
            for failure in failures.exceptions:
                report.failures.setdefault(f"{label}: {failure.title}", str(failures))

    run()


# The service runs in this process while cases are drawn in a thread of their own, and it draws
# from the global `random` (OpenTelemetry's span ids, the broker client's choice of node): to
# Hypothesis that looks as if the strategy had used it.
@pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module inside strategies"
    ":hypothesis.errors.HypothesisDeprecationWarning"
)
@pytest.mark.parametrize("service", SERVICES)
async def test_every_operation_answers_as_its_document_says(
    environment: Environment, service: str
) -> None:
    definition = DEFINITIONS[service]
    settings = SETTINGS.get(service, {})
    async with over_http(definition, environment, OWNERS, **settings) as api:
        owned = await SETUPS[service](api)
        document = (await api.client.get("/openapi.json")).json()
        reports = {}
        for who, examples in EXAMPLES_PER_OPERATION.items():
            target = Target(api.url, api.headers_for(who), owned, examples)
            reports[who.label] = await asyncio.to_thread(fuzz, service, document, target)

    checks = [check.__name__ for check in CHECKS]
    total = sum(report.total for report in reports.values())
    summary = {
        "service": service,
        "checks": checks,
        "total": total,
        "by_caller": {who: {"total": r.total, "cases": r.cases} for who, r in reports.items()},
    }
    OUTPUT.joinpath("fuzz").mkdir(parents=True, exist_ok=True)
    OUTPUT.joinpath("fuzz", f"{service}.json").write_text(json.dumps(summary, indent=2))
    each = ", ".join(f"{who} {r.total}" for who, r in reports.items())
    print(f"\n{service}: {total} cases ({each}), checked by {', '.join(checks)}")
    failures = [f"{who}: {text}" for who, r in reports.items() for text in r.failures.values()]
    assert all(report.total > 0 for report in reports.values())
    assert failures == [], "\n\n".join(failures)


async def test_text_postgresql_cannot_hold_is_refused_as_invalid_input(
    environment: Environment,
) -> None:
    """Found by the fuzzing: a NUL character in a query parameter reached PostgreSQL, which
    cannot hold it in text, and the call was answered 500. In a body's string it is the same."""
    async for api in in_process_api(REQUESTS, environment, [SECRETARIAT], workers=False):
        headers = api.headers_for(SECRETARIAT)
        answers = [
            await api.client.get(
                "/v1/reports/states-by-obligation",
                params={"convention": "CCM\x00"},
                headers=headers,
            ),
            await api.client.post(
                "/v1/requests", json=request_body(title="Clearance\x00 survey"), headers=headers
            ),
        ]

    assert [(a.status_code, a.json()["type"]) for a in answers] == [
        (422, "urn:clearinghouse:problem:validation")
    ] * 2
    [row] = await fetch(environment.database_url, "SELECT count(*) FROM requests.requests")
    assert row[0] == 0
