"""The requests service's use cases. Each takes the unit of work it runs in and the principal who
acts, checks the policy, changes the request through its own methods and saves it; the unit of
work publishes the events when the caller's boundary (a route, a consumer, a worker) commits it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from services.requests.adapters.repository import RequestRepository
from services.requests.domain.model import CLOSED, AssistanceRequest, Need, Status
from services.requests.domain.policy import Action, can_see, may
from shared.errors import Forbidden, NotFound
from shared.geography import RegionalNetwork
from shared.principal import Principal
from shared.unit_of_work import UnitOfWork
from shared.versioning import check_if_match

log = logging.getLogger(__name__)

Change = Callable[[AssistanceRequest, str, datetime], None]
"""One lifecycle method of the request, given who acts and when."""

ReasonedChange = Callable[[AssistanceRequest, str, datetime, str | None], None]
"""One lifecycle method of the request, given who acts, when and why (if they say)."""

OPEN = frozenset(s.value for s in Status if s not in CLOSED | {Status.FUNDED})


async def visible_request(
    repository: RequestRepository, principal: Principal, request_id: UUID, *, lock: bool = False
) -> AssistanceRequest:
    """The request, if the principal may see it; otherwise it does not exist for them."""
    request = await repository.get(request_id, for_update=lock)
    if request is None or not can_see(principal, request):
        raise NotFound(f"No request {request_id}.")
    return request


def _authorise(principal: Principal, action: Action, request: AssistanceRequest) -> None:
    if not may(principal, action, request.state, request.regional_centre):
        raise Forbidden(f"{principal.label} may not {action} this request.")


def new_draft(
    network: RegionalNetwork, principal: Principal, state: str, need: Need, now: datetime
) -> AssistanceRequest:
    """A draft for `state`, reviewed by the centre that covers it (if any), if the principal may
    create one; not stored yet."""
    centre = network.centre_of(state)
    centre_id = centre.id if centre else None
    if not may(principal, Action.CREATE, state, centre_id):
        raise Forbidden(f"{principal.label} may not create requests for {state}.", field="state")
    return AssistanceRequest.draft(state, need, centre_id, principal.label, now)


async def create_request(
    uow: UnitOfWork, principal: Principal, state: str, need: Need, now: datetime
) -> AssistanceRequest:
    """A draft for `state`, reviewed by the centre that covers it (if any)."""
    request = new_draft(uow.network, principal, state, need, now)
    await RequestRepository(uow).add(request)
    return request


async def amend_request(
    uow: UnitOfWork,
    principal: Principal,
    request_id: UUID,
    need: Need,
    if_match: str | None,
    now: datetime,
) -> AssistanceRequest:
    """Replace what a draft or returned request asks; only against the version last read."""

    def amend(request: AssistanceRequest, actor: str, at: datetime) -> None:
        request.amend(need, actor, at)

    return await change_request(
        uow, principal, request_id, Action.AMEND, amend, if_match, now, version_required=True
    )


async def change_request(
    uow: UnitOfWork,
    principal: Principal,
    request_id: UUID,
    action: Action,
    change: Change,
    if_match: str | None,
    now: datetime,
    *,
    version_required: bool = False,
) -> AssistanceRequest:
    """One lifecycle change (submit, endorse, return, publish, withdraw, complete, amend), against
    the version last read when the caller sends it (or must: `version_required`)."""
    repository = RequestRepository(uow)
    request = await visible_request(repository, principal, request_id, lock=True)
    _authorise(principal, action, request)
    check_if_match(request.version, if_match, required=version_required, what="request")
    change(request, principal.label, now)
    await repository.save(request)
    return request


async def _known_request(
    repository: RequestRepository, request_id: UUID, news: str
) -> AssistanceRequest | None:
    """The request, locked, that another service's news is about; None, logged, when this service
    does not know it: the news is ignored."""
    request = await repository.get(request_id, for_update=True)
    if request is None:
        log.warning("%s unknown request %s ignored", news, request_id)
    return request


async def record_coverage(
    uow: UnitOfWork,
    request_id: UUID,
    sequence: int,
    matched: Decimal,
    in_kind: Mapping[str, Decimal],
    fully_matched: bool,
    now: datetime,
) -> None:
    """Matching's latest view of how much of the request is covered."""
    repository = RequestRepository(uow)
    request = await _known_request(repository, request_id, "coverage of")
    if request is None:
        return
    if request.record_coverage(sequence, matched, fully_matched, "matching", now, in_kind):
        await repository.save(request)


async def record_reservation(
    uow: UnitOfWork,
    request_id: UUID,
    amount: Decimal,
    currency: str | None,
    unit: str | None,
    now: datetime,
) -> None:
    """Money or help in kind the inventory reserved for the request; what the request does not
    ask (another currency, a unit it needs nothing of) is not counted."""
    repository = RequestRepository(uow)
    request = await _known_request(repository, request_id, "reservation for")
    if request is None:
        return
    asked = request.need.amount
    units = {n.unit for n in request.need.in_kind}
    if (unit is None and asked is not None and asked.currency != currency) or (
        unit is not None and unit not in units
    ):
        log.warning(
            "reservation in %s for request %s ignored: it asks %s",
            currency or unit,
            request_id,
            ", ".join([*([asked.currency] if asked else []), *sorted(units)]) or "nothing",
        )
        return
    request.record_reservation(amount, "inventory", now, unit)
    await repository.save(request)


async def requests_due_to_expire(uow: UnitOfWork, today: date) -> list[UUID]:
    return await RequestRepository(uow).ids_due_to_expire(today, OPEN)


async def expire_if_due(uow: UnitOfWork, request_id: UUID, now: datetime) -> bool:
    """Expire the request if it is still open past its deadline; True when it did."""
    repository = RequestRepository(uow)
    request = await repository.get(request_id, for_update=True)
    if request is None or not request.expire_if_due(now.date(), now):
        return False
    await repository.save(request)
    return True


async def requests_awaiting_review(uow: UnitOfWork, before: datetime) -> list[UUID]:
    return await RequestRepository(uow).awaiting_review_since(before)


async def escalate_if_due(
    uow: UnitOfWork, request_id: UUID, before: datetime, now: datetime
) -> bool:
    """Escalate the request to the secretariat if it still waits on its centre's review since
    before `before`; True when it did."""
    repository = RequestRepository(uow)
    request = await repository.get(request_id, for_update=True)
    if request is None or not await repository.awaiting_review_since(before, request_id):
        return False
    days = (now - before).days
    request.escalate(now, f"not reviewed by {request.regional_centre} within {days} days")
    await repository.save(request)
    return True


Waiting = Callable[[str], timedelta]
"""How long a request of a convention may wait for something."""


async def note_proposal(uow: UnitOfWork, request_id: UUID, at: datetime) -> None:
    await RequestRepository(uow).note_first_proposal(request_id, at)


async def requests_awaiting_first_proposal(
    uow: UnitOfWork, waiting: Waiting, now: datetime
) -> list[UUID]:
    waiting_since = await RequestRepository(uow).awaiting_first_proposal()
    return [id_ for id_, convention, at in waiting_since if at < now - waiting(convention)]


async def escalate_to_donors_if_due(
    uow: UnitOfWork, request_id: UUID, waiting: Waiting, now: datetime
) -> bool:
    """Escalate the request to those who could help if nothing has been proposed for it since
    it was published longer ago than its convention allows; True when it did."""
    repository = RequestRepository(uow)
    request = await repository.get(request_id, for_update=True)
    if request is None:
        return False
    allowed = waiting(request.need.convention)
    if not [
        at for *_, at in await repository.awaiting_first_proposal(request_id) if at < now - allowed
    ]:
        return False
    request.escalate_to_donors(
        now, f"nothing proposed within {allowed.days} days of its publication"
    )
    await repository.save(request)
    return True


async def complete_after_projects(uow: UnitOfWork, request_id: UUID, now: datetime) -> None:
    """Every project of the request is complete (the inventory says so): the funded request is
    done. A request that is not funded (partly funded, or completed already) stays as it is."""
    repository = RequestRepository(uow)
    request = await _known_request(repository, request_id, "projects completed for")
    if request is None:
        return
    if request.status is not Status.FUNDED:
        log.info(
            "request %s is %s: its projects' completion completes nothing",
            request_id,
            request.status,
        )
        return
    request.complete("inventory", now, "every project carrying it out is complete")
    await repository.save(request)
