"""From each event of the other services, the notifications it yields and for whom. No I/O.

Who hears of an event follows the tiers the events travel on:

- request events: the requesting state always, its regional centre when it has one, and the
  secretariat once the request is on the global tier (endorsed or later, or when no centre
  reviews it); a published request escalated because nothing was proposed for it also reaches
  the members of its state's coalition under its obligations, or else the donors whose active
  sources support its convention and areas, who are asked to act;
- match events: the donor who answers for the source, the requesting state and its centre, and
  the secretariat;
- funds events: the same, with the request and donor taken from this service's read models;
  a ledger entry (pledge, commitment, disbursement) reaches the request's side only when it is
  for a request, and the source's donor and the operators always;
- source events: the donor who manages the source and the secretariat; the centres a source
  focuses on when it opens, pauses, resumes or closes;
- project events: the project's state, its centre, the secretariat, its funders and its
  implementing partner; an overdue report warns the state and its centre, a late disbursement
  the funder that owes it;
- coalition events: the coalition's state, its regional centre, the secretariat and every member
  (a member who left hears of it too);
- extension requests: the requesting state, its regional centre, the secretariat and each member
  of the convention's analysis group, whatever the step (they are on every tier at once);
- operators: every event, once.

The audience that has to act gets a warning (a centre asked to review, a state whose request came
back, the secretariat asked to publish, a donor asked to answer a proposal, an analysis group
asked to review an extension request or an answer, a state asked a question); the others get
information.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from services.notifications.domain.model import (
    OPERATOR,
    SECRETARIAT,
    Draft,
    Notice,
    Severity,
    donor,
    national,
    regional,
)
from shared.events import EventPayload
from shared.events import inventory as inv
from shared.events import matching as mat
from shared.events import requests as req
from shared.geography import countries

GLOBAL_TIER_STATUSES = frozenset(
    {"endorsed", "published", "partly_matched", "matched", "funded", "completed"}
)
SOURCE_MILESTONES = frozenset({"registered", "paused", "resumed", "closed"})


@dataclass(frozen=True)
class RequestFacts:
    """What this service knows of a request an event names only by id."""

    request_id: UUID
    state: str
    region: str | None
    title: str


@dataclass(frozen=True)
class Known:
    """Facts from the read models, for events that carry ids only."""

    request: RequestFacts | None = None
    source_donor: str | None = None
    source_name: str | None = None
    donors_to_ask: frozenset[str] = frozenset()
    """The donors an escalated request is brought to: those whose sources support it."""


def name_of(state: str) -> str:
    country = countries().get(state)
    return country.name if country else state


def _amount(amount: Decimal, currency: str | None, unit: str | None = None) -> str:
    """Money with its currency, or a quantity of help in kind with its unit."""
    if unit is not None:
        return f"{amount:,f} {unit}"
    return f"{amount:,.2f} {currency or ''}".strip()


# --- requests ---------------------------------------------------------------------------------

REQUEST_SUMMARIES: dict[type[req.RequestEvent], Callable[[req.RequestEvent], str]] = {
    req.RequestSubmitted: lambda e: "submitted for review",
    req.RequestEscalated: lambda e: f"escalated to the secretariat: {e.reason or 'not reviewed'}",
    req.RequestEscalatedToDonors: lambda e: f"brought to donors: {e.reason or 'nothing proposed'}",
    req.RequestEndorsed: lambda e: f"endorsed by {e.actor}",
    req.RequestReturned: lambda e: f"returned for amendment: {e.reason or 'no reason given'}",
    req.RequestPublished: lambda e: "published for matching",
    req.RequestMatchStatusChanged: lambda e: f"now {e.request.status.replace('_', ' ')}",
    req.RequestFunded: lambda e: "funded",
    req.RequestCompleted: lambda e: "completed",
    req.RequestWithdrawn: lambda e: f"withdrawn{': ' + e.reason if e.reason else ''}",
    req.RequestExpired: lambda e: f"expired ({e.reason or 'deadline passed'})",
    req.RequestDeadlineExtended: lambda e: f"deadline now {e.request.deadline} ({e.reason})",
}


def supports(source_supports: list[dict[str, Any]], convention: str, areas: list[str]) -> bool:
    """Whether a source's supports (as `inventory.Support` tells them) cover the convention and
    at least one of the areas; a support naming no areas covers them all."""
    return any(
        s["convention"] == convention and (not s["areas"] or set(s["areas"]) & set(areas))
        for s in source_supports
    )


def _request_actors(event: req.RequestEvent, known: Known) -> set[str]:
    """The audiences that have to act on this request event."""
    r = event.request
    if isinstance(event, req.RequestEscalatedToDonors):
        return {donor(d) for d in known.donors_to_ask}
    if isinstance(event, req.RequestSubmitted):
        return {regional(r.regional_centre) if r.regional_centre else SECRETARIAT}
    if isinstance(event, req.RequestReturned):
        return {national(r.state)}
    if isinstance(event, req.RequestEndorsed):
        return {SECRETARIAT}
    if isinstance(event, req.RequestEscalated):
        return {SECRETARIAT, regional(r.regional_centre or "")}
    if isinstance(event, req.RequestExpired):
        return {national(r.state), SECRETARIAT, OPERATOR}
    return set()


def request_notices(event: req.RequestEvent, known: Known) -> list[Notice]:
    r = event.request
    summary = f"{name_of(r.state)}: “{r.title}” {REQUEST_SUMMARIES[type(event)](event)}"
    draft = Draft(
        event.event_type, summary, str(r.request_id), r.state, r.regional_centre, r.request_id
    )
    audiences = [national(r.state), OPERATOR]
    if r.regional_centre:
        audiences.append(regional(r.regional_centre))
    on_global_tier = (
        r.regional_centre is None
        or r.status in GLOBAL_TIER_STATUSES
        or event.from_status in GLOBAL_TIER_STATUSES
        or isinstance(event, req.RequestEscalated)
    )
    if on_global_tier:
        audiences.append(SECRETARIAT)
    actors = _request_actors(event, known)
    if isinstance(event, req.RequestEscalatedToDonors):
        audiences.extend(actors)
    return [
        draft.to(a, Severity.WARNING if a in actors else Severity.INFO) for a in sorted(audiences)
    ]


# --- extension requests -----------------------------------------------------------------------

EXTENSION_SUMMARIES: dict[type[req.ExtensionEvent], Callable[[req.ExtensionEvent], str]] = {
    req.ExtensionSubmitted: lambda e: f"asked for, to {e.extension.requested_deadline}",
    req.ExtensionQuestionAsked: lambda e: f"question from {e.actor}: {e.reason}",
    req.ExtensionAnswered: lambda e: f"answered: {e.reason}",
    req.ExtensionAnalysed: lambda e: f"analysed by {e.actor}",
    req.ExtensionDecided: lambda e: (
        f"granted to {e.extension.granted_deadline}"
        if e.extension.granted_deadline
        else "not granted"
    ),
}


def _extension_actors(event: req.ExtensionEvent) -> set[str]:
    """The audiences that have to act next on this extension request."""
    x = event.extension
    match event:
        case req.ExtensionSubmitted() | req.ExtensionAnswered():
            return set(x.analysis_group)
        case req.ExtensionQuestionAsked() | req.ExtensionDecided():
            return {national(x.state)}
        case req.ExtensionAnalysed():
            return {SECRETARIAT}
    return set()


def extension_notices(event: req.ExtensionEvent) -> list[Notice]:
    x = event.extension
    summary = (
        f"{name_of(x.state)}: extension of the {x.convention} Article {x.article} deadline "
        f"{x.current_deadline} {EXTENSION_SUMMARIES[type(event)](event)}"
    )
    draft = Draft(
        event.event_type, summary, str(x.extension_id), x.state, x.regional_centre, event.request_id
    )
    audiences = {national(x.state), SECRETARIAT, OPERATOR, *x.analysis_group}
    if x.regional_centre:
        audiences.add(regional(x.regional_centre))
    actors = _extension_actors(event)
    return [
        draft.to(a, Severity.WARNING if a in actors else Severity.INFO) for a in sorted(audiences)
    ]


# --- matches ----------------------------------------------------------------------------------


def _match_summary(event: mat.MatchEvent, title: str) -> str:
    m = event.match
    amount = _amount(m.amount, m.currency, m.unit)
    what = f"{amount} from {m.donor or 'a source'} for {name_of(m.state)}{title}"
    match event:
        case mat.MatchProposed():
            return f"Proposed: {what} (score {event.score:.2f})"
        case mat.MatchAccepted():
            return f"Accepted by {event.accepted_by}: {what}"
        case mat.MatchDeclined():
            return f"Declined by {event.declined_by}: {what}{_reason(event.reason)}"
        case mat.MatchWithdrawn():
            return f"Proposal withdrawn: {what}{_reason(event.reason)}"


def _reason(reason: str | None) -> str:
    return f" ({reason})" if reason else ""


def match_notices(event: mat.MatchEvent, known: Known) -> list[Notice]:
    m = event.match
    title = f": “{known.request.title}”" if known.request else ""
    draft = Draft(
        event.event_type,
        _match_summary(event, title),
        str(m.request_id),
        m.state,
        m.regional_centre,
        m.request_id,
    )
    notices = [draft.to(national(m.state)), draft.to(SECRETARIAT), draft.to(OPERATOR)]
    if m.regional_centre:
        notices.append(draft.to(regional(m.regional_centre)))
    replaced = isinstance(event, mat.MatchWithdrawn) and event.replaced
    if m.donor and not replaced:  # the donor hears of a new amount once: by its new proposal
        proposed = isinstance(event, mat.MatchProposed)
        notices.append(draft.to(donor(m.donor), Severity.WARNING if proposed else Severity.INFO))
    return notices


def coverage_notices(event: mat.RequestCoverageChanged, known: Known) -> list[Notice]:
    r = known.request
    in_kind = [_amount(q.quantity, None, q.unit) for q in event.in_kind]
    money = [_amount(event.matched_amount, event.currency)] if event.currency or not in_kind else []
    covered = ", ".join(money + in_kind)
    full = "fully" if event.fully_matched else "partly"
    summary = f"Coverage of {name_of(r.state) + ': “' + r.title + '”' if r else event.request_id}"
    draft = Draft(
        event.event_type,
        f"{summary}: {covered} matched ({full})",
        str(event.request_id),
        r.state if r else None,
        r.region if r else None,
        event.request_id,
    )
    return [draft.to(OPERATOR)]


# --- funds ------------------------------------------------------------------------------------

FundsEvent = inv.FundsReserved | inv.FundsReservationFailed


def funds_notices(event: FundsEvent, known: Known) -> list[Notice]:
    r = known.request
    target = f"{name_of(r.state)}: “{r.title}”" if r else str(event.request_id)
    source = known.source_name or str(event.source_id)
    amount = _amount(event.amount, event.currency, event.unit)
    failed = isinstance(event, inv.FundsReservationFailed)
    summary = (
        f"Reservation of {amount} from {source} for {target} failed: {event.reason}"
        if isinstance(event, inv.FundsReservationFailed)
        else f"{amount} reserved from {source} for {target}"
    )
    draft = Draft(
        event.event_type,
        summary,
        str(event.request_id),
        r.state if r else None,
        r.region if r else None,
        event.request_id,
    )
    attention = Severity.WARNING if failed else Severity.INFO
    notices = [draft.to(SECRETARIAT, attention), draft.to(OPERATOR, attention)]
    if r:
        notices.append(draft.to(national(r.state)))
        if r.region:
            notices.append(draft.to(regional(r.region)))
    if known.source_donor:
        notices.append(draft.to(donor(known.source_donor), attention))
    return notices


def ledger_notices(event: inv.LedgerEntryRecorded, known: Known) -> list[Notice]:
    """A pledge, commitment or disbursement: news for the source's donor and the operators, and,
    when it is for a request, for the request's state, its centre and the secretariat."""
    r = known.request
    source = known.source_name or str(event.source_id)
    amount = _amount(event.amount, event.currency, event.unit)
    target = f" for {name_of(r.state)}: “{r.title}”" if r else ""
    correction = " (a correction)" if event.corrects else ""
    draft = Draft(
        event.event_type,
        f"{amount} {event.kind} from {source}{target}{correction}",
        str(event.request_id or event.source_id),
        r.state if r else None,
        r.region if r else None,
        event.request_id,
    )
    audiences = [OPERATOR]
    if known.source_donor:
        audiences.append(donor(known.source_donor))
    if r:
        audiences += [national(r.state), SECRETARIAT]
        audiences += [regional(r.region)] if r.region else []
    return [draft.to(audience) for audience in audiences]


# --- coalitions -------------------------------------------------------------------------------


def _coalition_summary(event: mat.CoalitionEvent) -> str:
    c = event.coalition
    match event:
        case mat.CoalitionProposed():
            return f"proposed by {event.actor}"
        case mat.CoalitionMemberJoined():
            return f"{event.member.party} joined"
        case mat.CoalitionMemberLeft():
            return f"{event.member.party} left"
        case mat.CoalitionLeadChanged():
            return f"now led by {c.lead}"
        case mat.CoalitionDialogueRecorded():
            return f"{event.kind.replace('-', ' ')} of {event.date} recorded by {event.actor}"
        case mat.CoalitionClosed():
            return f"closed{_reason(event.reason)}"


def coalition_notices(event: mat.CoalitionEvent) -> list[Notice]:
    """News of a country coalition for its state, its centre, the secretariat and its members."""
    c = event.coalition
    draft = Draft(
        event.event_type,
        f"Coalition for {name_of(c.state)} ({c.convention}): {_coalition_summary(event)}",
        str(c.coalition_id),
        c.state,
        c.regional_centre,
        None,
    )
    parties = {m.party for m in c.members}
    if isinstance(event, mat.CoalitionMemberLeft):
        parties.add(event.member.party)
    audiences = [national(c.state), SECRETARIAT, OPERATOR, *(donor(p) for p in sorted(parties))]
    audiences += [regional(c.regional_centre)] if c.regional_centre else []
    return [draft.to(audience) for audience in audiences]


# --- sources ----------------------------------------------------------------------------------


def source_notices(event: inv.SourceChanged) -> list[Notice]:
    s = event.source
    draft = Draft(
        event.event_type,
        f"Source “{s.name}” {event.change} by {event.actor} ({s.status})",
        str(s.source_id),
        None,
        None,
        None,
    )
    notices = [draft.to(OPERATOR)]
    if s.donor:
        notices.append(draft.to(donor(s.donor)))
    if event.change in SOURCE_MILESTONES:
        notices.append(draft.to(SECRETARIAT))
        notices += [draft.to(regional(centre)) for centre in sorted(set(s.regional_focus))]
    return notices


# --- projects ---------------------------------------------------------------------------------


def _project_summary(event: inv.ProjectEvent) -> str:
    match event:
        case inv.ProjectStarted():
            return f"started by {event.actor}, {event.starts} to {event.ends}"
        case inv.ProjectReportFiled():
            final = "final report" if event.final else "progress report"
            return (
                f"{final} for {event.period_start} to {event.period_end} filed by {event.filed_by}"
            )
        case inv.ProjectReportOverdue():
            return f"progress report overdue since {event.due}"
        case inv.ProjectDisbursementLate():
            planned = _amount(event.planned, event.currency)
            paid = _amount(event.disbursed, event.currency)
            return f"{event.funder} late: {planned} planned by {event.planned_on}, {paid} disbursed"
        case inv.ProjectCompleted():
            return "completed" + (", and with it the request" if event.request_complete else "")
    return event.event_type


def project_notices(event: inv.ProjectEvent) -> list[Notice]:
    """Everyone who takes part hears of a project's news; who must act on it is warned."""
    draft = Draft(
        event.event_type,
        f"Project “{event.title}” of {name_of(event.state)}: {_project_summary(event)}",
        str(event.project_id),
        event.state,
        event.regional_centre,
        event.request_id,
    )
    centre = [regional(event.regional_centre)] if event.regional_centre else []
    parties = {*event.funders, event.implementing_partner}
    audiences = {national(event.state), *centre, SECRETARIAT, OPERATOR}
    audiences |= {donor(party) for party in parties}
    actors: set[str] = set()
    if isinstance(event, inv.ProjectReportOverdue):
        actors = {national(event.state), *centre}
    if isinstance(event, inv.ProjectDisbursementLate):
        actors = {donor(event.funder)}
    return [
        draft.to(a, Severity.WARNING if a in actors else Severity.INFO) for a in sorted(audiences)
    ]


def notices_for(payload: EventPayload, known: Known) -> list[Notice]:
    """Every notification one event yields, one per audience."""
    notices: list[Notice]
    match payload:
        case req.RequestEvent():
            notices = request_notices(payload, known)
        case req.ExtensionEvent():
            notices = extension_notices(payload)
        case mat.MatchProposed() | mat.MatchWithdrawn() | mat.MatchAccepted() | mat.MatchDeclined():
            notices = match_notices(payload, known)
        case mat.RequestCoverageChanged():
            notices = coverage_notices(payload, known)
        case inv.FundsReserved() | inv.FundsReservationFailed():
            notices = funds_notices(payload, known)
        case inv.LedgerEntryRecorded():
            notices = ledger_notices(payload, known)
        case inv.SourceChanged():
            notices = source_notices(payload)
        case inv.ProjectEvent():
            notices = project_notices(payload)
        case (
            mat.CoalitionProposed()
            | mat.CoalitionMemberJoined()
            | mat.CoalitionMemberLeft()
            | mat.CoalitionLeadChanged()
            | mat.CoalitionDialogueRecorded()
            | mat.CoalitionClosed()
        ):
            notices = coalition_notices(payload)
        case _:
            notices = []
    return notices


def request_id_of(payload: EventPayload) -> UUID | None:
    """The request an event is about, if any: what a request's journey is made of."""
    found: Any = (
        getattr(payload, "request", None)
        or getattr(payload, "match", None)
        or payload  # funds and coverage events carry request_id themselves
    )
    request_id = getattr(found, "request_id", None)
    return request_id if isinstance(request_id, UUID) else None
