"""What the matching API accepts and answers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from services.matching.domain.model import Match
from shared.values import attributes


class DeclineIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str | None = Field(None, max_length=2000, examples=["outside our 2027 priorities"])


class ProposalOut(BaseModel):
    id: UUID
    request_id: UUID
    state: str
    regional_centre: str | None
    source_id: UUID
    window_id: UUID
    donor: str | None
    amount: Decimal = Field(description="Money in `currency`, or a quantity of `unit`.")
    currency: str | None
    unit: str | None = Field(description="Help in kind: the unit `amount` counts; None: money.")
    lead: bool
    score: float
    explanation: dict[str, Any] = Field(
        description="The rules the pair passed, what each criterion scored, and the fair share "
        "the allocation guaranteed the request."
    )
    status: str
    created_at: datetime
    expires_at: datetime
    decided_by: str | None
    reason: str | None

    @classmethod
    def of(cls, match: Match) -> ProposalOut:
        return cls.model_validate(match, from_attributes=True)


class CoalitionMember(BaseModel):
    donor: str | None
    source_id: UUID
    match_id: UUID
    amount: Decimal = Field(description="Money in `currency`, or a quantity of `unit`.")
    currency: str | None
    unit: str | None = Field(description="Help in kind: the unit `amount` counts; None: money.")
    status: str
    lead: bool


class InKindCoverage(BaseModel):
    """One in-kind need of the request and what covers it, in its unit."""

    unit: str
    asked: Decimal
    committed: Decimal
    reserved: Decimal
    proposed: Decimal
    remaining: Decimal


class DroppedMember(BaseModel):
    """A donor whose proposal for the request no longer stands, and why."""

    donor: str | None
    source_id: UUID
    match_id: UUID
    amount: Decimal
    status: str = Field(description="withdrawn, expired, declined or failed.")
    reason: str | None = Field(
        description="Why: for a withdrawal one of the reasons of docs/matching.md (Steady "
        "proposals), e.g. 'capacity taken by other requests' or 'amount changed: 119,999.68 to "
        "80,000.00 USD'; the donor's own reason for a decline, the inventory's for a failure."
    )
    at: datetime = Field(description="When the proposal stopped standing.")

    @classmethod
    def of(cls, match: Match) -> DroppedMember:
        at = match.updated_at or match.created_at
        status = match.status.value
        values = attributes(match, cls.model_fields, match_id=match.id, status=status, at=at)
        return cls(**values)


class CoalitionOut(BaseModel):
    """Who covers what of one request: commitments first, then standing proposals."""

    request_id: UUID
    state: str
    title: str
    asked: Decimal | None
    currency: str | None
    committed: Decimal = Field(description="Accepted by donors and not refused by the inventory.")
    reserved: Decimal = Field(description="Reserved by the inventory.")
    proposed: Decimal = Field(description="Proposed and not answered yet.")
    remaining: Decimal | None = Field(description="Asked less committed.")
    in_kind: list[InKindCoverage] = Field(
        description="Each in-kind need and what covers it, in its unit (never added to money)."
    )
    lead_donor: str | None
    members: list[CoalitionMember]
    dropped: list[DroppedMember] = Field(
        description="The sources whose latest proposal for the request no longer stands and "
        "that are not members now, newest first, each with its reason and when."
    )


class UnmatchedOut(BaseModel):
    request_id: UUID
    state: str
    regional_centre: str | None
    convention: str
    title: str
    remaining: Decimal | None
    currency: str | None
    waiting_days: int
    reason: str = Field(
        description="Why nothing fits: the first rule broken by the windows nearest to fitting "
        "(rules in the order of docs/matching.md); `eligible-but-capacity-taken` when some "
        "window fits but its capacity went elsewhere or its donor declined; `no-sources` when "
        "there is no window at all; `pending` while the allocator has not yet considered it."
    )
    nearest: list[MissOut] = Field(
        description="The windows nearest to fitting, and what their first broken rule says."
    )
    windows_stopped_by: dict[str, int] = Field(
        description="How many windows each hard rule stopped first."
    )


class MissOut(BaseModel):
    source_id: UUID
    source: str
    window_id: UUID
    rule: str
    detail: str = Field(description="What the rule found, e.g. 'window closed on 2026-06-30'.")


class AllocationOut(BaseModel):
    requests: int
    candidate_pairs: int
    proposed: int
    withdrawn: int
    covered: Decimal = Field(description="The money the run's proposals give.")
    covered_in_kind: dict[str, Decimal] = Field(description="What they give in kind, by unit.")
    fairness_floor: float = Field(
        description="The share of its reach every request is guaranteed (see docs/matching.md)."
    )
