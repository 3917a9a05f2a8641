"""Events of the matching service: proposals, donors' answers, and how much of a request is covered.

A proposal names one source window and an amount for one request: money in the window's
`currency`, or a quantity of help in kind in the window's `unit` (one of the two, never both). A
donor's acceptance goes to the inventory, which answers with `FundsReserved` or
`FundsReservationFailed` for the same `match_id`.

Country coalitions (`coalition.*`) are matching's records too: each event carries the coalition
as it is after the change, keyed by the coalition id.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.events.base import EventPayload


class Match(BaseModel):
    """Who proposes how much to whom."""

    model_config = ConfigDict(frozen=True)

    match_id: UUID
    request_id: UUID
    state: str
    regional_centre: str | None
    source_id: UUID
    window_id: UUID | None
    donor: str | None = Field(description="The donor principal that answers for the source.")
    amount: Decimal = Field(ge=0, description="Money in `currency`, or a quantity of `unit`.")
    currency: str | None
    unit: str | None = Field(None, description="Help in kind: the taxonomy unit; None for money.")
    lead: bool = Field(default=False, description="The lead donor of the request's coalition.")


class MatchProposed(EventPayload):
    """A proposal, with the reasons: the rules that passed and what each criterion scored."""

    event_type: ClassVar[str] = "match.proposed"

    match: Match
    score: float
    explanation: dict[str, object]


AMOUNT_CHANGED = "amount changed"
"""How the reason of a withdrawal starts when a proposal of the same window for a materially
different amount replaces it (in the same run, told right after)."""


class MatchWithdrawn(EventPayload):
    """A proposal no longer stands (re-allocation moved the capacity, or the request closed).
    `reason` starts with one of the phrases of docs/matching.md (Steady proposals)."""

    event_type: ClassVar[str] = "match.withdrawn"

    match: Match
    reason: str

    @property
    def replaced(self) -> bool:
        """Whether a new proposal of the same window replaces it."""
        return self.reason.startswith(AMOUNT_CHANGED)


class MatchAccepted(EventPayload):
    """A donor accepted a proposal; the inventory reserves the amount exactly once per match."""

    event_type: ClassVar[str] = "match.accepted"

    match: Match
    accepted_by: str


class MatchDeclined(EventPayload):
    event_type: ClassVar[str] = "match.declined"

    match: Match
    declined_by: str
    reason: str | None = None


class Quantity(BaseModel):
    """A quantity of help in kind, in a unit of the shared taxonomy."""

    model_config = ConfigDict(frozen=True)

    unit: str
    quantity: Decimal = Field(ge=0)


MatchEvent = MatchProposed | MatchWithdrawn | MatchAccepted | MatchDeclined
"""A change of one proposal: made, withdrawn (or expired), accepted or declined."""


class RequestCoverageChanged(EventPayload):
    """How much of a request the accepted proposals now cover: money in the request's currency,
    and help in kind per unit (never added to the money).

    A snapshot, numbered per request: a consumer keeps the highest `sequence` it has seen and
    ignores older ones, so redelivery and reordering do no harm.
    """

    event_type: ClassVar[str] = "match.coverage-changed"

    request_id: UUID
    sequence: int = Field(ge=1)
    matched_amount: Decimal = Field(ge=0)
    currency: str | None = None
    in_kind: list[Quantity] = Field(
        default_factory=list, description="What is covered of each in-kind need, per unit."
    )
    fully_matched: bool = Field(description="Every need covered: the money and each unit.")


class CoalitionMember(BaseModel):
    """A party taking part in a country coalition: a donor or partner state, an organisation,
    an operator, named by its party id as sources name their donor."""

    model_config = ConfigDict(frozen=True)

    party: str
    kind: str = Field(description="state, organisation or operator")


class Coalition(BaseModel):
    """A country coalition as it is after the change: one affected state and its remaining
    obligations under one convention (some of its areas; none listed: all), its lead donor and
    its members."""

    model_config = ConfigDict(frozen=True)

    coalition_id: UUID
    version: int = Field(ge=1)
    state: str
    regional_centre: str | None
    convention: str
    areas: list[str]
    title: str
    status: str = Field(description="proposed, active or closed")
    lead: str | None = Field(description="The lead donor's party; always a member.")
    members: list[CoalitionMember]


class CoalitionProposed(EventPayload):
    """The secretariat or the state's focal point proposed a coalition around the state."""

    event_type: ClassVar[str] = "coalition.proposed"

    coalition: Coalition
    actor: str


class CoalitionMemberJoined(EventPayload):
    event_type: ClassVar[str] = "coalition.member-joined"

    coalition: Coalition
    member: CoalitionMember
    actor: str


class CoalitionMemberLeft(EventPayload):
    event_type: ClassVar[str] = "coalition.member-left"

    coalition: Coalition
    member: CoalitionMember
    actor: str


class CoalitionLeadChanged(EventPayload):
    """The coalition's lead donor (its coordinator) is now `coalition.lead`."""

    event_type: ClassVar[str] = "coalition.lead-changed"

    coalition: Coalition
    previous_lead: str | None
    actor: str


class FollowUp(BaseModel):
    model_config = ConfigDict(frozen=True)

    action: str
    owner: str
    due: date


class CoalitionDialogueRecorded(EventPayload):
    """A meeting, round table or field visit of the coalition: who took part, what was agreed,
    and the follow-up actions with their owners and due dates."""

    event_type: ClassVar[str] = "coalition.dialogue-recorded"

    coalition: Coalition
    entry_id: UUID
    date: date
    kind: str = Field(description="meeting, round-table or field-visit")
    participants: list[str]
    agreed: str
    follow_ups: list[FollowUp]
    actor: str


class CoalitionClosed(EventPayload):
    event_type: ClassVar[str] = "coalition.closed"

    coalition: Coalition
    reason: str | None = None
    actor: str


CoalitionEvent = (
    CoalitionProposed
    | CoalitionMemberJoined
    | CoalitionMemberLeft
    | CoalitionLeadChanged
    | CoalitionDialogueRecorded
    | CoalitionClosed
)
"""A change of one country coalition; each carries the coalition as it is after it."""

COALITION_PAYLOADS: tuple[type[EventPayload], ...] = (
    CoalitionProposed,
    CoalitionMemberJoined,
    CoalitionMemberLeft,
    CoalitionLeadChanged,
    CoalitionDialogueRecorded,
    CoalitionClosed,
)

PAYLOADS: tuple[type[EventPayload], ...] = (
    MatchProposed,
    MatchWithdrawn,
    MatchAccepted,
    MatchDeclined,
    RequestCoverageChanged,
    *COALITION_PAYLOADS,
)
