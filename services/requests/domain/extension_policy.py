"""Who may see and do what with an extension request. Pure rules, no I/O.

- A national focal point files its own state's extension requests, answers the analysis group's
  questions, and sees its own state's.
- A regional centre sees those of its region's states.
- The analysis group of a convention (coordinators the secretariat names: national focal points,
  donors or centres, by their principal) sees all of that convention's, asks questions and writes
  the analysis.
- The secretariat sees everything, names the analysis groups and records the decision of the
  meeting of States Parties. Operators see everything and change nothing.
- Donors see none, unless named to an analysis group.

A caller who may not see an extension request gets 404, as if it did not exist; one who may see it
but not do the action gets 403 naming the rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from services.requests.domain.extensions import (
    ANALYSABLE,
    ASKABLE,
    ExtensionRequest,
    ExtensionStatus,
)
from shared.errors import Forbidden, Invalid
from shared.geography import countries
from shared.principal import Principal, Role

MEMBER = re.compile(r"^(national:[A-Z]{3}|donor:[a-z0-9][a-z0-9-]*|regional:[a-z0-9][a-z0-9-]*)$")

AnalysisGroups = Mapping[str, frozenset[str]]
"""The members of each convention's analysis group, as principal labels."""


@dataclass(frozen=True)
class ExtensionScope:
    """The extension requests a caller's lists are limited to: everything (`everything`), or
    those of `state`, of `centre`'s region, or of `conventions` (whose analysis group the caller
    is in)."""

    everything: bool = False
    state: str | None = None
    centre: str | None = None
    conventions: frozenset[str] = frozenset()


def analysis_member(member: str) -> str:
    """A member as the analysis group stores it: a principal's label (`national:MNE`,
    `donor:netherlands`, `regional:western-balkans`); Invalid otherwise."""
    if not MEMBER.match(member) or (
        member.startswith("national:") and member.removeprefix("national:") not in countries()
    ):
        raise Invalid(
            f"{member!r} is not a member an analysis group can have: name a national focal point "
            "(national:ISO3), a donor (donor:id) or a regional centre (regional:id)",
            rule="analysis-member",
            field="member",
        )
    return member


def scope(principal: Principal, groups: AnalysisGroups) -> ExtensionScope:
    if principal.role in (Role.SECRETARIAT, Role.OPERATOR):
        return ExtensionScope(everything=True)
    in_groups = frozenset(c for c, members in groups.items() if principal.label in members)
    return ExtensionScope(
        state=principal.state if principal.role is Role.NATIONAL else None,
        centre=principal.centre if principal.role is Role.REGIONAL else None,
        conventions=in_groups,
    )


def can_see(principal: Principal, extension: ExtensionRequest, groups: AnalysisGroups) -> bool:
    return principal.oversees(extension.state, extension.regional_centre) or (
        principal.label in groups.get(extension.convention, frozenset())
    )


def require_files_for(principal: Principal, state: str) -> None:
    if not (principal.role is Role.NATIONAL and principal.state == state):
        raise Forbidden(
            f"{principal.label} may not file an extension request for {state}: only the state's "
            "own national focal point does",
            rule="state-files-own-extension",
            field="state",
        )


def require_analysis_group(
    principal: Principal, extension: ExtensionRequest, groups: AnalysisGroups
) -> None:
    if principal.label not in groups.get(extension.convention, frozenset()):
        raise Forbidden(
            f"{principal.label} is not in the {extension.convention} analysis group: only its "
            "members ask questions and write the analysis",
            rule="analysis-group-only",
        )


def require_state(principal: Principal, extension: ExtensionRequest) -> None:
    if not (principal.role is Role.NATIONAL and principal.state == extension.state):
        raise Forbidden(
            f"{principal.label} may not answer for {extension.state}: only its national focal "
            "point does",
            rule="state-answers",
        )


def require_secretariat(principal: Principal, what: str) -> None:
    if principal.role is not Role.SECRETARIAT:
        raise Forbidden(
            f"{principal.label} may not {what}: only the secretariat does", rule="secretariat-only"
        )


def steps_open_to(
    principal: Principal, extension: ExtensionRequest, groups: AnalysisGroups
) -> list[str]:
    """The steps `principal` may take on `extension` now (`questions`, `answers`, `analysis`,
    `decision`): allowed by its status, and by the principal's part in it."""
    in_group = principal.label in groups.get(extension.convention, frozenset())
    is_state = principal.role is Role.NATIONAL and principal.state == extension.state
    open_now = {
        "questions": in_group and extension.status in ASKABLE,
        "answers": is_state and bool(extension.open_questions),
        "analysis": in_group and extension.status in ANALYSABLE,
        "decision": principal.role is Role.SECRETARIAT
        and extension.status is ExtensionStatus.ANALYSED,
    }
    return [step for step, allowed in open_now.items() if allowed]
