"""A country coalition: the partners that help one affected state with its remaining obligations
under one convention (the CCM's Country Coalitions, the Mine Ban Convention's individualised
approach). No I/O: methods check the rules, change state and record domain events; the unit of
work stores the coalition and publishes the events.

    proposed ──lead named──▶ active ──close──▶ closed
       └────────────────close────────────────────┘

A coalition is formed around the state and its obligations, not around one request: every
request of the state under that convention and those areas is the coalition's. Its members are
parties (donor and partner states, organisations, operators) named by party id, as sources name
their donor; the lead donor (the coordinator) is always one of them. The dialogue log keeps what
the partners met about and agreed, with follow-up actions that each have an owner and a due date
on or after the meeting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from shared.errors import Conflict, Invalid
from shared.geography import countries, party_of_state
from shared.taxonomy import taxonomy


class CoalitionStatus(StrEnum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    CLOSED = "closed"


class MemberKind(StrEnum):
    STATE = "state"
    ORGANISATION = "organisation"
    OPERATOR = "operator"


class DialogueKind(StrEnum):
    MEETING = "meeting"
    ROUND_TABLE = "round-table"
    FIELD_VISIT = "field-visit"


@dataclass(frozen=True)
class Member:
    party: str
    kind: MemberKind
    joined_at: datetime
    added_by: str


@dataclass(frozen=True)
class FollowUp:
    action: str
    owner: str
    due: date


@dataclass(frozen=True)
class DialogueEntry:
    """One meeting, round table or field visit: who took part, what was agreed, what follows."""

    date: date
    kind: DialogueKind
    participants: tuple[str, ...]
    agreed: str
    follow_ups: tuple[FollowUp, ...]
    recorded_by: str
    recorded_at: datetime
    id: UUID = field(default_factory=uuid4)

    def __post_init__(self) -> None:
        for number, follow_up in enumerate(self.follow_ups):
            where = f"follow_ups.{number}"
            if not follow_up.owner.strip():
                raise Invalid(
                    f"Follow-up “{follow_up.action}” names no owner: say who does it.",
                    rule="follow-up-owner",
                    field=f"{where}.owner",
                )
            if follow_up.due < self.date:
                raise Invalid(
                    f"Follow-up “{follow_up.action}” is due on {follow_up.due}, before the "
                    f"{self.kind.value.replace('-', ' ')} of {self.date} that agreed it.",
                    rule="follow-up-due-before-dialogue",
                    field=f"{where}.due",
                )


@dataclass(frozen=True)
class Changed:
    """Domain event: what changed in the coalition, by whom; `detail` names the member or the
    dialogue entry concerned."""

    action: str
    actor: str
    detail: Any = None
    reason: str | None = None


@dataclass
class Coalition:
    state: str
    regional_centre: str | None
    convention: str
    areas: list[str]
    title: str
    proposed_by: str
    created_at: datetime
    members: list[Member] = field(default_factory=list)
    lead: str | None = None
    status: CoalitionStatus = CoalitionStatus.PROPOSED
    dialogue: list[DialogueEntry] = field(default_factory=list)
    id: UUID = field(default_factory=uuid4)
    version: int = 1
    updated_at: datetime | None = None
    events: list[Changed] = field(default_factory=list)

    @classmethod
    def propose(
        cls,
        *,
        state: str | None,
        regional_centre: str | None,
        convention: str,
        areas: list[str],
        title: str,
        members: list[tuple[str, MemberKind]],
        lead: str | None,
        actor: str,
        now: datetime,
    ) -> Coalition:
        """A new coalition around `state`, with its first members and, if named, its lead."""
        coalition = cls(
            state=_checked_obligations(state, convention, areas),
            regional_centre=regional_centre,
            convention=convention,
            areas=sorted(set(areas)),
            title=title,
            proposed_by=actor,
            created_at=now,
            updated_at=now,
        )
        for party, kind in members:
            coalition._add(Member(party, kind, now, actor))
        if lead is not None:
            coalition._require_member(lead, "lead-not-member", "the lead")
            coalition.lead = lead
            coalition.status = CoalitionStatus.ACTIVE
        coalition.events.append(Changed("propose", actor))
        return coalition

    def member(self, party: str) -> Member | None:
        return next((m for m in self.members if m.party == party), None)

    def may_join(self, party: str) -> bool:
        """Whether `party` could join: neither a member already nor the coalition's own state."""
        return self.member(party) is None and party != party_of_state(self.state)

    def join(self, party: str, kind: MemberKind, actor: str, now: datetime) -> Member:
        self._require_open()
        member = Member(party, kind, now, actor)
        self._add(member)
        self._changed(Changed("join", actor, member), now)
        return member

    def leave(self, party: str, actor: str, now: datetime) -> Member:
        self._require_open()
        member = self._require_member(party, "not-a-member", party)
        if party == self.lead:
            raise Conflict(
                f"{party} leads the coalition: name another lead before it leaves.",
                rule="lead-leaving",
            )
        self.members.remove(member)
        self._changed(Changed("leave", actor, member), now)
        return member

    def change_lead(self, party: str, actor: str, now: datetime) -> str | None:
        """Name the lead donor (a member); returns the previous lead."""
        self._require_open()
        self._require_member(party, "lead-not-member", "the lead")
        previous, self.lead = self.lead, party
        self.status = CoalitionStatus.ACTIVE
        self._changed(Changed("lead", actor, previous), now)
        return previous

    def record_dialogue(self, entry: DialogueEntry, now: datetime) -> None:
        self._require_open()
        self.dialogue.append(entry)
        self._changed(Changed("dialogue", entry.recorded_by, entry), now)

    def close(self, actor: str, reason: str | None, now: datetime) -> None:
        self._require_open()
        self.status = CoalitionStatus.CLOSED
        self._changed(Changed("close", actor, reason=reason), now)

    def _add(self, member: Member) -> None:
        if member.party == party_of_state(self.state):
            raise Invalid(
                f"{member.party} is the state the coalition is formed around, not a member of it.",
                rule="state-not-member",
                field="party",
            )
        if self.member(member.party) is not None:
            raise Conflict(
                f"{member.party} is a member of the coalition already.",
                rule="member-twice",
                field="party",
            )
        self.members.append(member)

    def _require_member(self, party: str, rule: str, who: str) -> Member:
        member = self.member(party)
        if member is None:
            error = Invalid if rule == "lead-not-member" else Conflict
            raise error(f"{who} ({party}) is not a member of the coalition.", rule=rule)
        return member

    def _require_open(self) -> None:
        if self.status is CoalitionStatus.CLOSED:
            raise Conflict("The coalition is closed.", rule="coalition-closed")

    def _changed(self, event: Changed, now: datetime) -> None:
        self.events.append(event)
        self.version += 1
        self.updated_at = now


def _checked_obligations(state: str | None, convention: str, areas: list[str]) -> str:
    """The coalition's state, once it is known, as are its convention and areas in the shared
    taxonomy: a coalition is formed around one state and its obligations."""
    if not state:
        raise Invalid("A coalition is formed around a state: name it.", rule="coalition-state")
    if state not in countries():
        raise Invalid(f"No state {state}.", rule="coalition-state", field="state")
    if taxonomy().convention(convention) is None:
        known = ", ".join(taxonomy().conventions)
        raise Invalid(
            f"Unknown convention {convention}; known: {known}.",
            rule="coalition-convention",
            field="convention",
        )
    unknown = taxonomy().unknown_areas(convention, areas)
    if unknown:
        raise Invalid(
            f"Not areas of {convention}: {', '.join(unknown)}.",
            rule="coalition-area",
            field="areas",
        )
    return state


def concerns(coalition: Coalition, convention: str, areas: list[str]) -> bool:
    """The coalition covers an obligation under `convention` in one of `areas` (a coalition
    naming no area covers them all; a request naming none is covered by any)."""
    if coalition.convention != convention:
        return False
    return not coalition.areas or not areas or bool(set(coalition.areas) & set(areas))
