"""The extension request: a State Party asks the meeting of States Parties to extend a treaty
deadline it will not meet (CCM Articles 3 and 4, Mine Ban Convention Article 5). No I/O: methods
check the rules, change state and record domain events.

    submitted ──ask──▶ questions open ──answer (the last open one)──▶ under analysis
        │                   ▲                                            │
        │                   └────────────────────ask─────────────────────┤
        └──────────────────────────analyse───────────────────────────────┴──▶ analysed
                                                                                 │ decide
                                                                   granted ◀─────┴─────▶ not granted

The state files it (submitted) with the plan and its cost; the convention's analysis group asks
questions, which the state answers, and writes its analysis; the secretariat records the decision
of the meeting of States Parties: granted, with the new deadline the meeting set (which may differ
from the one asked), or not granted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from services.requests.domain.lifecycle import Lifecycle, Transition
from shared.errors import Conflict, Invalid
from shared.obligations import Obligation
from shared.values import Money


class ExtensionStatus(StrEnum):
    SUBMITTED = "submitted"
    QUESTIONS_OPEN = "questions_open"
    UNDER_ANALYSIS = "under_analysis"
    ANALYSED = "analysed"
    GRANTED = "granted"
    NOT_GRANTED = "not_granted"


DECIDED = frozenset({ExtensionStatus.GRANTED, ExtensionStatus.NOT_GRANTED})
ANALYSABLE = frozenset({ExtensionStatus.SUBMITTED, ExtensionStatus.UNDER_ANALYSIS})
ASKABLE = ANALYSABLE | {ExtensionStatus.QUESTIONS_OPEN}


class ExtensionRefused(Conflict):
    """A change the extension request's lifecycle does not allow now; `rule` names the rule."""

    kind = "lifecycle"


class DeadlineRefused(Invalid):
    """A deadline the rules of an extension do not allow; `field` names the input."""


@dataclass(frozen=True)
class Plan:
    """What the state asks: the new deadline, the plan to meet it, what that costs, and why the
    current deadline will not be met."""

    requested_deadline: date
    plan: str
    cost: Money
    reasons: str


@dataclass
class Question:
    """A question of the analysis group and the state's answer, once given."""

    text: str
    asked_by: str
    asked_at: datetime
    answer: str | None = None
    answered_by: str | None = None
    answered_at: datetime | None = None

    @property
    def open(self) -> bool:
        return self.answer is None


@dataclass(frozen=True)
class Decision:
    """The meeting of States Parties' decision, as the secretariat recorded it."""

    granted: bool
    deadline: date | None
    meeting: str
    text: str | None


@dataclass(frozen=True)
class ExtensionChanged:
    """Domain event: the extension request changed (or was filed); carries the transition."""

    extension_id: UUID
    transition: Transition[ExtensionStatus]


@dataclass
class ExtensionRequest(Lifecycle[ExtensionStatus]):
    state: str
    regional_centre: str | None
    convention: str
    area: str
    article: str
    current_deadline: date
    plan: Plan
    id: UUID = field(default_factory=uuid4)
    status: ExtensionStatus = ExtensionStatus.SUBMITTED
    version: int = 1
    assistance_request_id: UUID | None = None
    """The assistance request that mobilises the resources the extended plan needs."""
    questions: list[Question] = field(default_factory=list)
    analysis: str | None = None
    decision: Decision | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    analysis_group: frozenset[str] = frozenset()
    """Its convention's analysis group as the use case found it: not stored with it, told with
    its events so that the group hears of them."""
    history: list[Transition[ExtensionStatus]] = field(default_factory=list)
    events: list[ExtensionChanged] = field(default_factory=list)
    refused = ExtensionRefused

    @classmethod
    def file(
        cls,
        obligation: Obligation,
        stated_deadline: date,
        plan: Plan,
        regional_centre: str | None,
        actor: str,
        now: datetime,
    ) -> ExtensionRequest:
        """Filed by the state for one of its obligations: the deadline it states as current must
        be the one on record, and the one it asks for later than that."""
        if stated_deadline != obligation.deadline:
            raise DeadlineRefused(
                f"the current deadline of {obligation.state}'s {obligation.convention} "
                f"{obligation.area} obligation is {obligation.deadline.isoformat()}, not "
                f"{stated_deadline.isoformat()}",
                rule="current-deadline-on-record",
                field="current_deadline",
            )
        _require_later(plan.requested_deadline, obligation.deadline, "requested_deadline")
        extension = cls(
            state=obligation.state,
            regional_centre=regional_centre,
            convention=obligation.convention,
            area=obligation.area,
            article=obligation.article,
            current_deadline=obligation.deadline,
            plan=plan,
            created_at=now,
            updated_at=now,
        )
        extension._record("submit", None, ExtensionStatus.SUBMITTED, actor, now)
        return extension

    def link(self, assistance_request_id: UUID) -> None:
        """The assistance request drafted for the resources of the plan."""
        self.assistance_request_id = assistance_request_id

    @property
    def open_questions(self) -> list[Question]:
        return [q for q in self.questions if q.open]

    @property
    def granted_deadline(self) -> date | None:
        return self.decision.deadline if self.decision and self.decision.granted else None

    def ask(self, question: str, actor: str, now: datetime) -> None:
        self._require(
            self.status in ASKABLE,
            "not-askable",
            f"an extension request {self.status} takes no more questions",
        )
        self.questions.append(Question(question, actor, now))
        self._record("ask", self.status, ExtensionStatus.QUESTIONS_OPEN, actor, now, question)

    def answer(self, answer: str, actor: str, now: datetime) -> None:
        """The answer to the oldest open question; once none is open, the analysis goes on."""
        self._require(
            bool(self.open_questions), "no-open-question", "no question is waiting for an answer"
        )
        question = self.open_questions[0]
        question.answer, question.answered_by, question.answered_at = answer, actor, now
        target = (
            ExtensionStatus.QUESTIONS_OPEN
            if self.open_questions
            else ExtensionStatus.UNDER_ANALYSIS
        )
        self._record("answer", self.status, target, actor, now, answer)

    def analyse(self, analysis: str, actor: str, now: datetime) -> None:
        self._require(
            self.status in ANALYSABLE,
            "not-analysable",
            "questions are still open"
            if self.status is ExtensionStatus.QUESTIONS_OPEN
            else f"an extension request {self.status} cannot be analysed",
        )
        self.analysis = analysis
        self._record("analyse", self.status, ExtensionStatus.ANALYSED, actor, now)

    def decide(self, decision: Decision, actor: str, now: datetime) -> None:
        """The meeting's decision, once the analysis is written; a grant names the new deadline,
        later than the current one (the meeting may set another than the one asked)."""
        self._require(
            self.status is ExtensionStatus.ANALYSED,
            "not-decidable",
            f"an extension request {self.status} cannot be decided; the analysis group's "
            "analysis comes first",
        )
        if decision.granted:
            if decision.deadline is None:
                raise DeadlineRefused(
                    "a granted extension names its new deadline",
                    rule="granted-deadline-required",
                    field="new_deadline",
                )
            _require_later(decision.deadline, self.current_deadline, "new_deadline")
        elif decision.deadline is not None:
            raise DeadlineRefused(
                "an extension not granted sets no new deadline",
                rule="no-deadline-when-not-granted",
                field="new_deadline",
            )
        self.decision = decision
        target = ExtensionStatus.GRANTED if decision.granted else ExtensionStatus.NOT_GRANTED
        self._record("decide", self.status, target, actor, now, decision.text)

    def plain_fields(self) -> dict[str, Any]:
        """Its simple fields, enums as their values: what its row and its events carry alike."""
        return {
            "state": self.state,
            "regional_centre": self.regional_centre,
            "convention": self.convention,
            "area": self.area,
            "article": self.article,
            "status": self.status.value,
            "version": self.version,
            "current_deadline": self.current_deadline,
            "requested_deadline": self.plan.requested_deadline,
            "plan": self.plan.plan,
            "reasons": self.plan.reasons,
            "analysis": self.analysis,
            "assistance_request_id": self.assistance_request_id,
            "created_at": self.created_at,
        }

    def _changed(self, transition: Transition[ExtensionStatus]) -> ExtensionChanged:
        return ExtensionChanged(self.id, transition)


def _require_later(deadline: date, current: date, field_name: str) -> None:
    if deadline <= current:
        raise DeadlineRefused(
            f"the new deadline {deadline.isoformat()} must come after the current deadline "
            f"{current.isoformat()}",
            rule="deadline-after-current",
            field=field_name,
        )
