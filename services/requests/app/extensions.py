"""Use cases of extension requests and of the analysis groups that review them. Each takes the
unit of work it runs in and the principal who acts, checks the policy, changes the extension
through its own methods and saves it; the unit of work publishes the events when it commits.

Filing an extension drafts, through the requests' own `create_request`, the assistance request
for the resources the extended plan needs; a grant moves that request's deadline to the one the
meeting set."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from uuid import UUID

from services.requests.adapters.extension_repository import (
    AnalysisGroupRepository,
    ExtensionRepository,
)
from services.requests.adapters.repository import RequestRepository
from services.requests.app import commands
from services.requests.domain import extension_policy as policy
from services.requests.domain.extension_policy import AnalysisGroups
from services.requests.domain.extensions import (
    Decision,
    ExtensionRefused,
    ExtensionRequest,
    Plan,
)
from services.requests.domain.model import CLOSED, EDITABLE, Evidence, Need, Urgency
from shared.errors import Invalid, NotFound
from shared.obligations import Obligation, Obligations
from shared.principal import Principal
from shared.unit_of_work import UnitOfWork
from shared.values import Contact
from shared.versioning import check_if_match

ExtensionChange = Callable[[ExtensionRequest, str, datetime], None]
"""One lifecycle method of the extension request, given who acts and when."""


@dataclass(frozen=True)
class Filing:
    """What the state files: the obligation, the deadline it states as current, its plan, and
    what the linked assistance request needs besides (the kinds of help, a contact)."""

    state: str
    convention: str
    area: str
    current_deadline: date
    plan: Plan
    assistance_types: tuple[str, ...]
    contact: Contact


async def visible_extension(
    uow: UnitOfWork, principal: Principal, extension_id: UUID, *, lock: bool = False
) -> tuple[ExtensionRequest, AnalysisGroups]:
    """The extension request, if the principal may see it (and the analysis groups, which
    decide that); otherwise it does not exist for them."""
    groups = await AnalysisGroupRepository(uow).groups()
    extension = await ExtensionRepository(uow).get(extension_id, for_update=lock)
    if extension is None or not policy.can_see(principal, extension, groups):
        raise NotFound(f"No extension request {extension_id}.")
    extension.analysis_group = groups.get(extension.convention, frozenset())
    return extension, groups


async def _obligation(
    repository: ExtensionRepository, obligations: Obligations, filing: Filing
) -> Obligation:
    """The state's obligation, with the deadline the last extension granted, if any. Refused
    while an earlier extension request for it still awaits its decision."""
    obligation = obligations.of(filing.state, filing.convention, filing.area)
    if obligation is None:
        held = ", ".join(f"{o.convention} {o.area}" for o in obligations.of_state(filing.state))
        raise Invalid(
            f"{filing.state} has no {filing.convention} {filing.area} obligation with a treaty "
            f"deadline on record (its obligations: {held or 'none'})",
            rule="obligation-of-state",
            field="area",
        )
    pending = await repository.undecided(obligation.state, obligation.convention, filing.area)
    if pending is not None:
        raise ExtensionRefused(
            f"{filing.state} already has an extension request for {filing.convention} "
            f"{filing.area} awaiting its decision: /v1/extension-requests/{pending}",
            rule="one-undecided-extension",
            existing=str(pending),
        )
    granted = await repository.granted_deadline(
        obligation.state, obligation.convention, filing.area
    )
    return replace(obligation, deadline=granted) if granted else obligation


def _resources_need(extension: ExtensionRequest, filing: Filing) -> Need:
    """What the assistance request asks: the cost of the extended plan, by its deadline."""
    return Need(
        convention=extension.convention,
        areas=(extension.area,),
        assistance_types=filing.assistance_types,
        title=f"Resources for the extended Article {extension.article} plan "
        f"({extension.convention} {extension.area})",
        description=extension.plan.plan,
        evidence=(
            Evidence(
                "extension-request",
                f"Request to extend the Article {extension.article} deadline of "
                f"{extension.current_deadline.isoformat()}",
                reference=f"/v1/extension-requests/{extension.id}",
            ),
        ),
        amount=extension.plan.cost,
        deadline=extension.plan.requested_deadline,
        deadline_reason=f"requested new Article {extension.article} deadline",
        urgency=Urgency.HIGH,
        contact=filing.contact,
    )


async def file_extension(
    uow: UnitOfWork, principal: Principal, obligations: Obligations, filing: Filing, now: datetime
) -> ExtensionRequest:
    """The state's extension request, and the draft assistance request linked to it."""
    policy.require_files_for(principal, filing.state)
    repository = ExtensionRepository(uow)
    obligation = await _obligation(repository, obligations, filing)
    centre = uow.network.centre_of(filing.state)
    extension = ExtensionRequest.file(
        obligation,
        filing.current_deadline,
        filing.plan,
        centre.id if centre else None,
        principal.label,
        now,
    )
    groups = await AnalysisGroupRepository(uow).groups()
    extension.analysis_group = groups.get(extension.convention, frozenset())
    request = await commands.create_request(
        uow, principal, filing.state, _resources_need(extension, filing), now
    )
    extension.link(request.id)
    await repository.add(extension)
    return extension


async def _change(
    uow: UnitOfWork,
    principal: Principal,
    extension_id: UUID,
    authorise: Callable[[ExtensionRequest, AnalysisGroups], None],
    change: ExtensionChange,
    if_match: str | None,
    now: datetime,
) -> ExtensionRequest:
    extension, groups = await visible_extension(uow, principal, extension_id, lock=True)
    authorise(extension, groups)
    check_if_match(extension.version, if_match, required=False, what="extension request")
    change(extension, principal.label, now)
    await ExtensionRepository(uow).save(extension)
    return extension


async def ask(
    uow: UnitOfWork,
    principal: Principal,
    extension_id: UUID,
    question: str,
    if_match: str | None,
    now: datetime,
) -> ExtensionRequest:
    return await _change(
        uow,
        principal,
        extension_id,
        lambda e, groups: policy.require_analysis_group(principal, e, groups),
        lambda e, who, at: e.ask(question, who, at),
        if_match,
        now,
    )


async def answer(
    uow: UnitOfWork,
    principal: Principal,
    extension_id: UUID,
    text: str,
    if_match: str | None,
    now: datetime,
) -> ExtensionRequest:
    return await _change(
        uow,
        principal,
        extension_id,
        lambda e, groups: policy.require_state(principal, e),
        lambda e, who, at: e.answer(text, who, at),
        if_match,
        now,
    )


async def analyse(
    uow: UnitOfWork,
    principal: Principal,
    extension_id: UUID,
    analysis: str,
    if_match: str | None,
    now: datetime,
) -> ExtensionRequest:
    return await _change(
        uow,
        principal,
        extension_id,
        lambda e, groups: policy.require_analysis_group(principal, e, groups),
        lambda e, who, at: e.analyse(analysis, who, at),
        if_match,
        now,
    )


async def decide(
    uow: UnitOfWork,
    principal: Principal,
    extension_id: UUID,
    decision: Decision,
    if_match: str | None,
    now: datetime,
) -> ExtensionRequest:
    """The meeting's decision; a grant moves the linked assistance request's deadline."""
    extension = await _change(
        uow,
        principal,
        extension_id,
        lambda e, groups: policy.require_secretariat(principal, "record a decision"),
        lambda e, who, at: e.decide(decision, who, at),
        if_match,
        now,
    )
    await _move_deadline(uow, extension, principal, now)
    return extension


async def _move_deadline(
    uow: UnitOfWork, extension: ExtensionRequest, principal: Principal, now: datetime
) -> None:
    """Move the linked assistance request's deadline to the granted one, recorded in its
    history: a draft or returned request is amended (which the state alone hears of), one
    further on has its deadline extended (`request.deadline-extended`)."""
    granted, request_id = extension.granted_deadline, extension.assistance_request_id
    repository = RequestRepository(uow)
    request = await repository.get(request_id, for_update=True) if request_id else None
    if granted is None or request is None or request.need.deadline == granted:
        return
    if request.status in CLOSED:
        return  # withdrawn, expired or completed: no deadline left to move
    who_when = (principal.label, now)
    meeting = extension.decision.meeting if extension.decision else "the meeting"
    reason = f"Article {extension.article} deadline extended to {granted.isoformat()} by {meeting}"
    if request.status in EDITABLE:
        request.amend(replace(request.need, deadline=granted, deadline_reason=reason), *who_when)
    else:
        request.extend_deadline(granted, *who_when, reason)
    await repository.save(request)


async def name_member(
    uow: UnitOfWork, principal: Principal, convention: str, member: str, now: datetime
) -> list[str]:
    """Name a coordinator to the convention's analysis group; answers the group."""
    policy.require_secretariat(principal, "name analysis group members")
    repository = AnalysisGroupRepository(uow)
    await repository.name(convention, policy.analysis_member(member), principal.label, now)
    return sorted((await repository.groups()).get(convention, frozenset()))
