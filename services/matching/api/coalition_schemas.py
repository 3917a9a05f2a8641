"""What the country coalitions' API accepts and answers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, Field, computed_field

from services.matching.domain.coalition_summary import Summary
from services.matching.domain.coalitions import (
    Coalition,
    DialogueEntry,
    DialogueKind,
    FollowUp,
    MemberKind,
)
from shared.events.requests import RequestDetails
from shared.schemas import Strict
from shared.taxonomy import taxonomy

Party = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        pattern=r"^[a-z0-9][a-z0-9-]*$",
        examples=["netherlands"],
        description="A party id, as sources name their donor (`norway`, `undp`, `halo-trust`).",
    ),
]


class MemberIn(Strict):
    party: Party | None = Field(None, description="The party that joins; none: the caller's own.")
    kind: MemberKind = MemberKind.STATE


class CoalitionIn(Strict):
    state: str | None = Field(
        None, pattern=r"^[A-Z]{3}$", examples=["BIH"], description="The affected state."
    )
    convention: str = Field(examples=["CCM"])
    areas: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="The obligations' thematic areas; none: every area of the convention.",
    )
    title: str = Field(min_length=3, max_length=300)
    members: list[MemberIn] = Field(default_factory=list, max_length=100)
    lead: Party | None = Field(None, description="The lead donor's party: one of the members.")


class LeadIn(Strict):
    party: Party


class CloseIn(Strict):
    reason: str | None = Field(None, max_length=2000)


class FollowUpIn(Strict):
    action: str = Field(min_length=1, max_length=1000)
    owner: str = Field(max_length=120, description="Who does it: a party or a person.")
    due: date


class DialogueIn(Strict):
    date: date
    kind: DialogueKind
    participants: list[str] = Field(min_length=1, max_length=100)
    agreed: str = Field(min_length=1, max_length=4000)
    follow_ups: list[FollowUpIn] = Field(default_factory=list, max_length=50)

    def entry(self, recorded_by: str, now: datetime) -> DialogueEntry:
        """The entry, checked by the domain (owners, due dates)."""
        return DialogueEntry(
            date=self.date,
            kind=self.kind,
            participants=tuple(self.participants),
            agreed=self.agreed,
            follow_ups=tuple(FollowUp(f.action, f.owner, f.due) for f in self.follow_ups),
            recorded_by=recorded_by,
            recorded_at=now,
        )


class MemberOut(BaseModel):
    party: str
    kind: str
    joined_at: datetime
    added_by: str
    lead: bool


class FollowUpOut(BaseModel):
    action: str
    owner: str
    due: date


class DialogueOut(BaseModel):
    id: UUID
    date: date
    kind: str
    participants: list[str]
    agreed: str
    follow_ups: list[FollowUpOut]
    recorded_by: str
    recorded_at: datetime

    @classmethod
    def of(cls, entry: DialogueEntry) -> DialogueOut:
        return cls(
            id=entry.id,
            date=entry.date,
            kind=entry.kind.value,
            participants=list(entry.participants),
            agreed=entry.agreed,
            follow_ups=[
                FollowUpOut(action=f.action, owner=f.owner, due=f.due) for f in entry.follow_ups
            ],
            recorded_by=entry.recorded_by,
            recorded_at=entry.recorded_at,
        )


class CountryCoalitionOut(BaseModel):
    id: UUID
    version: int
    state: str
    regional_centre: str | None
    convention: str
    areas: list[str]
    title: str
    status: str
    lead: str | None
    members: list[MemberOut]
    dialogue: list[DialogueOut]
    proposed_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, c: Coalition) -> CountryCoalitionOut:
        return cls(
            id=c.id,
            version=c.version,
            state=c.state,
            regional_centre=c.regional_centre,
            convention=c.convention,
            areas=c.areas,
            title=c.title,
            status=c.status.value,
            lead=c.lead,
            members=[
                MemberOut(
                    party=m.party,
                    kind=m.kind.value,
                    joined_at=m.joined_at,
                    added_by=m.added_by,
                    lead=m.party == c.lead,
                )
                for m in c.members
            ],
            dialogue=[DialogueOut.of(e) for e in c.dialogue],
            proposed_by=c.proposed_by,
            created_at=c.created_at,
            updated_at=c.updated_at or c.created_at,
        )


class RequestBrief(BaseModel):
    request_id: UUID
    title: str
    status: str
    areas: list[str]
    asked: Decimal | None
    currency: str | None

    @classmethod
    def of(cls, r: RequestDetails) -> RequestBrief:
        return cls(
            request_id=r.request_id,
            title=r.title,
            status=r.status,
            areas=r.areas,
            asked=r.amount.value if r.amount else None,
            currency=r.amount.currency if r.amount else None,
        )


def _is_unit(measure: str) -> bool:
    """Whether a measure is a unit of help in kind (else a currency)."""
    return measure in taxonomy().in_kind_units


class NeedOut(BaseModel):
    measure: str = Field(description="A currency, or a unit of help in kind.")
    asked: Decimal
    covered: Decimal = Field(description="Accepted in matches the inventory has not refused.")
    missing: Decimal

    @computed_field  # type: ignore[prop-decorator]
    @property
    def in_kind(self) -> bool:
        return _is_unit(self.measure)


class GiverOut(BaseModel):
    """What one party gives the coalition's requests in one currency or unit."""

    party: str | None = Field(description="None: sources registered without a donor.")
    member: bool
    measure: str
    proposed: Decimal
    covered: Decimal
    pledged: Decimal
    committed: Decimal
    disbursed: Decimal

    @computed_field  # type: ignore[prop-decorator]
    @property
    def in_kind(self) -> bool:
        return _is_unit(self.measure)


class CoalitionSummaryOut(BaseModel):
    """Who helps the state with what, and what is still missing."""

    coalition: CountryCoalitionOut
    open_requests: list[RequestBrief]
    funded_requests: list[RequestBrief]
    needs: list[NeedOut]
    givers: list[GiverOut] = Field(description="Members first (the lead first), then others.")

    @classmethod
    def of(cls, coalition: Coalition, summary: Summary) -> CoalitionSummaryOut:
        order = sorted(
            summary.by_party.items(),
            key=lambda item: (
                item[0] != coalition.lead,
                item[0] not in summary.members,
                item[0] or "",
            ),
        )
        givers = [
            GiverOut(
                party=party,
                member=party in summary.members,
                measure=measure,
                **vars(figures),
            )
            for party, by_measure in order
            for measure, figures in sorted(by_measure.items())
        ]
        return cls(
            coalition=CountryCoalitionOut.of(coalition),
            open_requests=[RequestBrief.of(r) for r in summary.open_requests],
            funded_requests=[RequestBrief.of(r) for r in summary.funded_requests],
            needs=[
                NeedOut(measure=n.measure, asked=n.asked, covered=n.covered, missing=n.missing)
                for n in summary.needs
            ],
            givers=givers,
        )
