"""An extension request across the four services, each its own process, on the real broker and
database: Lao PDR asks to extend its CCM Article 4 deadline; the analysis group the secretariat
named (here Norway) asks a question, the state answers, the group writes its analysis; the
secretariat records the grant; the linked assistance request, carrying the granted deadline, goes
through review to publication and matching proposes for it; the operators' feed tells each step
to those who should hear of it."""

from __future__ import annotations

from decimal import Decimal

from tests.e2e.story import clients, system
from tests.e2e.test_story import feed_about, proposed, register_source, step
from tests.factories import extension_body
from tests.polling import eventually
from tests.system import Environment, running

COST = "400000.00"
GRANTED = "2029-08-01"
STEPS = {
    "extension.submitted",
    "extension.question-asked",
    "extension.answered",
    "extension.analysed",
    "extension.decided",
}


async def test_an_extension_is_granted_and_its_resources_matched(environment: Environment) -> None:
    processes = system(environment)
    with running(*processes.values()):
        async with clients(environment, processes) as cast:
            source = await register_source(cast)
            group = "/v1/analysis-groups/CCM/members"
            await step(cast, "requests", group, "secretariat", {"member": "donor:norway"})
            body = extension_body(cost={"value": COST, "currency": "USD"})
            filed = await cast["requests"].post(
                "/v1/extension-requests",
                json=body,
                headers=cast.as_("state", idempotency_key="lao-extension"),
            )
            assert filed.status_code == 201, filed.text
            path = f"/v1/extension-requests/{filed.json()['id']}"
            request_id = filed.json()["assistance_request_id"]
            await step(cast, "requests", f"{path}/questions", "donor", {"question": "Where?"})
            await step(cast, "requests", f"{path}/answers", "state", {"answer": "Xekong"})
            await step(cast, "requests", f"{path}/analysis", "donor", {"analysis": "Sound"})
            decision = {"granted": True, "new_deadline": GRANTED, "meeting": "13MSP"}
            decided = await step(cast, "requests", f"{path}/decision", "secretariat", decision)
            for action, who in (("submit", "state"), ("endorse", "centre")):
                await step(cast, "requests", f"/v1/requests/{request_id}/{action}", who, {})
            published = await step(
                cast, "requests", f"/v1/requests/{request_id}/publish", "secretariat"
            )
            proposal = await proposed(cast, request_id)

            async def operators_told() -> dict[str, str] | None:
                seen = await feed_about(cast, "operator", request_id)
                return seen if set(seen) >= STEPS else None

            operator = await eventually(operators_told, seconds=60)
            state = await feed_about(cast, "state", request_id)
            donor = await feed_about(cast, "donor", request_id)
            other_state = await feed_about(cast, "other state", request_id)

    assert (decided["status"], decided["granted_deadline"]) == ("granted", GRANTED)
    assert (published["status"], published["deadline"]) == ("published", GRANTED)
    assert proposal["source_id"] == source["id"]
    assert Decimal(proposal["amount"]) == Decimal(COST)
    assert set(operator) >= STEPS
    assert state["extension.question-asked"] == state["extension.decided"] == "warning"
    assert donor["extension.submitted"] == donor["extension.answered"] == "warning"  # the group
    assert other_state == {}
