"""A published request nothing is proposed for is brought to the donors who could help: the
members of its state's coalition under its obligations, or, when there is none, those whose
active sources support its convention and one of its areas; nobody else."""

from __future__ import annotations

from uuid import uuid4

from shared.events import inventory as inv
from shared.events import matching as mat
from shared.events import requests as req
from shared.events.inventory import SourceStatus, Support
from shared.topics import Stream
from tests.database import fetch
from tests.factories import envelope, request_event
from tests.integration.notifications.conftest import NORWAY, deliver, feed
from tests.matching_factories import source
from tests.service_api import Api


async def test_only_the_donors_whose_active_sources_support_the_request_are_asked(
    service: Api,
) -> None:
    sources = [
        source(donor="norway"),  # CCM survey and clearance
        source(donor="sweden", supports=[Support(convention="APMBC")]),
        source(donor="japan", status=SourceStatus.PAUSED),
        source(donor="canada", supports=[Support(convention="CCM", areas=["victim-assistance"])]),
    ]
    for details in sources:
        changed = inv.SourceChanged(source=details, change="registered", actor="secretariat")
        await deliver(service, Stream.SOURCES, envelope(changed, str(details.source_id), "/s"))
    escalated = request_event(
        req.RequestEscalatedToDonors,
        status="published",
        from_status="published",
        reason="nothing proposed within 30 days of its publication",
    )
    escalation = envelope(escalated, str(escalated.request.request_id), "/clearinghouse/requests")

    await deliver(service, Stream.REQUESTS, escalation)

    told = {
        item["audience"]: item["severity"]
        for item in await feed(service, NORWAY)
        if item["type"] == "request.escalated-to-donors"
    }
    rows = await fetch(
        service.resources.settings.database_url,
        "SELECT audience FROM notifications.notifications WHERE event_id = $1",
        escalation.id,
    )
    assert told == {"donor:norway": "warning"}
    assert sorted(r["audience"] for r in rows) == [
        "donor:norway",
        "national:LAO",
        "operator",
        "regional:south-eastern-asia",
        "secretariat",
    ]


async def test_a_state_with_a_coalition_on_the_obligation_has_its_members_asked(
    service: Api,
) -> None:
    norway = source(donor="norway")  # supports the request, but is not a member
    registered = inv.SourceChanged(source=norway, change="registered", actor="secretariat")
    await deliver(service, Stream.SOURCES, envelope(registered, str(norway.source_id), "/s"))
    around_lao = mat.Coalition(
        coalition_id=uuid4(),
        version=2,
        state="LAO",
        regional_centre="south-eastern-asia",
        convention="CCM",
        areas=["survey-and-clearance"],
        title="Country coalition for the Lao People's Democratic Republic",
        status="active",
        lead="netherlands",
        members=[mat.CoalitionMember(party=p, kind="state") for p in ("netherlands", "japan")],
    )
    elsewhere = around_lao.model_copy(
        update={"coalition_id": uuid4(), "areas": ["victim-assistance"], "lead": "canada"}
    )
    for coalition in (around_lao, elsewhere):
        proposed = mat.CoalitionProposed(coalition=coalition, actor="secretariat")
        await deliver(
            service, Stream.MATCHES, envelope(proposed, str(coalition.coalition_id), "/m")
        )
    escalated = request_event(
        req.RequestEscalatedToDonors, status="published", from_status="published", reason="late"
    )
    escalation = envelope(escalated, str(escalated.request.request_id), "/clearinghouse/requests")

    await deliver(service, Stream.REQUESTS, escalation)

    rows = await fetch(
        service.resources.settings.database_url,
        "SELECT audience, severity FROM notifications.notifications WHERE event_id = $1",
        escalation.id,
    )
    donors = {r["audience"]: r["severity"] for r in rows if r["audience"].startswith("donor:")}
    assert donors == {"donor:japan": "warning", "donor:netherlands": "warning"}
