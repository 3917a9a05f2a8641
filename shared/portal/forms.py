"""Forms of the portal: their fields, and the refusal a page shows beside them.

A form's write runs the same use case as the API route, with the signed-in principal, and is
idempotent by a key the page puts in the form when it is drawn (`idempotency_key`; see
`shared.deps.page_call`): sending the same form twice gets the first answer and changes nothing,
as `Idempotency-Key` does for the API.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import Depends, Request
from pydantic import ValidationError

from shared.errors import DomainError
from shared.http import Problem

FORM_KEY = "idempotency_key"


def new_form_key() -> str:
    """The idempotency key a page puts in a form it draws."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Form:
    """The fields of a posted form (`application/x-www-form-urlencoded`), blank ones kept."""

    fields: Mapping[str, list[str]]

    def get(self, name: str, default: str = "") -> str:
        values = self.fields.get(name)
        return values[0].strip() if values else default

    def all(self, name: str) -> list[str]:
        return [v.strip() for v in self.fields.get(name, [])]

    def given(self, name: str) -> str | None:
        """The field's value, or None when it is blank or missing."""
        return self.get(name) or None


async def read_form(request: Request) -> Form:
    body = (await request.body()).decode(errors="replace")
    return Form(parse_qs(body, keep_blank_values=True))


FormDep = Annotated[Form, Depends(read_form)]


@dataclass(frozen=True)
class Refusal:
    """Why a write was refused, as a page shows it: a message, one beside each field named, and
    the status the page answers with (the problem's: 422, or 403, 409, 412...)."""

    title: str
    detail: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    status: int = 422

    @classmethod
    def of(cls, error: Exception) -> Refusal:
        """The refusal of a validation error, a problem or a domain error (others propagate)."""
        if isinstance(error, ValidationError):
            fields = {_name(e["loc"]): e["msg"] for e in error.errors()}
            return cls("Some fields need correcting", "; ".join(fields), fields)
        if isinstance(error, Problem):
            detail = error.detail or ""
            return cls(
                error.title, detail, _one(error.extensions.get("field"), detail), error.status
            )
        if isinstance(error, DomainError):
            return cls(error.title, str(error), _one(error.field, str(error)), error.status)
        raise error


REFUSED = (ValidationError, Problem, DomainError)
"""What a form's write may be refused with, shown beside the form."""


def _one(name: str | None, message: str) -> dict[str, str]:
    return {_name(name.split(".")): message} if name else {}


def _name(location: Any) -> str:
    """A field's name in the form: its path in the API's body, without `body.`."""
    parts = [str(p) for p in location]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts)
