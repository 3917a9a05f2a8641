"""Schemathesis against every service: cases generated from its own OpenAPI document, sent with the
secretariat's key to the service served on a free port (the real database and broker), and each
answer checked: no server error, and a status code, content type and body its document declares.

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
from shared.principal import Principal
from tests.service_api import over_http
from tests.system import OUTPUT, Environment

SECRETARIAT = Principal.secretariat()
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 25
SETTINGS: dict[str, dict[str, object]] = {
    "matching": {"allocation_poll_seconds": 0.2},
    "notifications": {"alert_sweep_seconds": 3600},
}
NOT_FUZZED = {
    # An endless stream of server-sent events: its answer never ends, so no case sent to it
    # could be read whole and checked. Its filters are those of GET /v1/feed, fuzzed above.
    ("notifications", "GET", "/v1/stream"),
}
FUZZING = hypothesis.settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,  # the same cases on every run, so a failure is there to be found again
    database=None,
    deadline=None,
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    suppress_health_check=list(hypothesis.HealthCheck),
)


@dataclass
class Report:
    """How many cases each operation was sent, and what every failing check said."""

    cases: dict[str, int] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.cases.values())


def fuzz(service: str, document: dict[str, Any], url: str, headers: dict[str, str]) -> Report:
    """Every operation of `document` but those `NOT_FUZZED`, its cases sent to `url`."""
    report = Report()
    schema = schemathesis.openapi.from_dict(document)
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            if (service, operation.method.upper(), operation.path) in NOT_FUZZED:
                continue
            _fuzz_operation(
                operation,
                report,
                lambda case: case.call_and_validate(
                    base_url=url, session=session, headers=headers, checks=CHECKS
                ),
            )
    return report


def _fuzz_operation(
    operation: schemathesis.APIOperation, report: Report, send: Callable[[Any], Any]
) -> None:
    label = operation.label
    report.cases[label] = 0

    @FUZZING
    @hypothesis.given(case=operation.as_strategy())
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
    async with over_http(
        definition, environment, [SECRETARIAT], **SETTINGS.get(service, {})
    ) as api:
        document = (await api.client.get("/openapi.json")).json()
        headers = api.headers_for(SECRETARIAT)
        report = await asyncio.to_thread(fuzz, service, document, api.url, headers)

    OUTPUT.joinpath("fuzz").mkdir(parents=True, exist_ok=True)
    summary = {"service": service, "total": report.total, "cases": report.cases}
    OUTPUT.joinpath("fuzz", f"{service}.json").write_text(json.dumps(summary, indent=2))
    print(f"\n{service}: {report.total} cases over {len(report.cases)} operations")
    assert report.total > 0
    assert report.failures == {}, "\n\n".join(report.failures.values())
