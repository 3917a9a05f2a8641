"""Typed errors of the domains and use cases: each kind knows its HTTP status and problem type.

The domain raises them without knowing about HTTP; one exception handler (`shared.http`) turns any
of them into RFC 9457 problem details. A service that wants its own problem type for a kind of
refusal subclasses one of these and sets `kind` (the `type` becomes
`urn:clearinghouse:problem:<kind>`).
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """A refusal the caller can act on; `rule` and `field` say which rule or input was broken."""

    status: ClassVar[int] = 409
    kind: ClassVar[str] = "conflict"
    title: ClassVar[str] = "Not allowed now"

    def __init__(
        self, message: str, *, rule: str | None = None, field: str | None = None, **extensions: Any
    ) -> None:
        super().__init__(message)
        self.rule = rule
        self.field = field
        self.extensions = extensions

    @property
    def members(self) -> dict[str, Any]:
        """The problem's extension members: the rule, the field and anything else it carries."""
        named = {"rule": self.rule, "field": self.field}
        return {**{k: v for k, v in named.items() if v is not None}, **self.extensions}


class NotFound(DomainError):
    status = 404
    kind = "not-found"
    title = "Not found"


class Forbidden(DomainError):
    status = 403
    kind = "forbidden"
    title = "Forbidden"


class Conflict(DomainError):
    """The state of what is changed does not allow the change now."""


class Invalid(DomainError):
    """The input breaks a rule of the domain."""

    status = 422
    kind = "validation"
    title = "Invalid request"


class Stale(DomainError):
    """The caller's version of the thing it changes is not the current one."""

    status = 412
    kind = "stale"
    title = "Changed since read"


class VersionRequired(DomainError):
    status = 428
    kind = "precondition-required"
    title = "If-Match required"
