"""The request form of the portal: its fields, the API body they make, and back again.

The form's fields are named by their path in the API's body (`title`, `amount.value`,
`contact.email`, `in_kind.0.quantity`), so a refusal of the body names the field it concerns.
Help in kind and evidence are a few fixed rows; a blank row is left out of the body, so a
refusal of the body's second row in kind may concern the form's third: `placed` puts it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from services.requests.domain.model import AssistanceRequest, Urgency
from shared.portal.forms import Form, Refusal
from shared.taxonomy import taxonomy

IN_KIND_ROWS = 3
EVIDENCE_ROWS = 2
TEXTS = ("convention", "title", "description", "deadline", "deadline_reason", "urgency")
CONTACT = ("name", "email", "phone", "organisation")
CHOICES = ("areas", "assistance_types")
"""Fields of several values: a refusal of any of their items is shown beside the whole field."""
PATTERNS = {
    "contact.email": "not an e-mail address: write it as name@example.org",
    "amount.currency": "an ISO 4217 code of three capital letters, e.g. USD",
}
"""What a field's pattern asks, for people: the API names the pattern itself."""
LABELS = {
    "convention": "Convention",
    "areas": "Thematic areas",
    "assistance_types": "Kinds of assistance",
    "title": "Title",
    "description": "Description",
    "amount.value": "Amount",
    "amount.currency": "Currency",
    "in_kind": "Help in kind",
    "evidence": "Evidence",
    "deadline": "Deadline",
    "deadline_reason": "Why that deadline",
    "urgency": "Urgency",
    "contact.name": "Contact's name",
    "contact.email": "Contact's e-mail",
    "contact.phone": "Contact's phone",
    "contact.organisation": "Contact's organisation",
}


@dataclass(frozen=True)
class Rows:
    """A list of the body drawn as `count` rows of the form, each of `fields`."""

    name: str
    fields: tuple[str, ...]
    count: int


IN_KIND = Rows("in_kind", ("unit", "quantity", "description"), IN_KIND_ROWS)
EVIDENCE = Rows("evidence", ("kind", "description", "reference", "date"), EVIDENCE_ROWS)


@dataclass(frozen=True)
class Options:
    """What the form's lists offer, named in English as the taxonomy labels them."""

    conventions: list[tuple[str, str]]
    areas: list[tuple[str, list[tuple[str, str]]]]
    assistance_types: list[tuple[str, str]]
    units: list[tuple[str, str]]
    urgencies: list[tuple[str, str]]


def options() -> Options:
    known = taxonomy()
    return Options(
        conventions=[(c.code, c.name) for c in known.conventions.values()],
        areas=[
            (c.name, [(f"{c.code}/{area}", name) for area, name in c.areas.items()])
            for c in known.conventions.values()
        ],
        assistance_types=list(known.assistance_types.items()),
        units=list(known.in_kind_units.items()),
        urgencies=[(u.value, u.value.capitalize()) for u in Urgency],
    )


def need_body(form: Form) -> tuple[dict[str, Any], dict[str, str]]:
    """The body of `NeedIn` the form's fields make (blank fields left out, as a partner would),
    and where each item of its lists came from in the form (`in_kind.0` → `in_kind.2`)."""
    body: dict[str, Any] = {name: form.get(name) for name in TEXTS if form.given(name)}
    areas = [value.partition("/")[2] for value in form.all("areas")]
    if areas:
        body["areas"] = areas
    if kinds := form.all("assistance_types"):
        body["assistance_types"] = kinds
    if form.given("amount.value"):
        money = {"value": form.get("amount.value"), "currency": form.given("amount.currency")}
        body["amount"] = {k: v for k, v in money.items() if v}
    body["contact"] = {f: form.get(f"contact.{f}") for f in CONTACT if form.given(f"contact.{f}")}
    moved: dict[str, str] = {}
    for rows in (IN_KIND, EVIDENCE):
        body[rows.name] = []
        for row in range(rows.count):
            item = {f: form.get(_cell(rows, row, f)) for f in rows.fields}
            if any(item.values()):
                moved[f"{rows.name}.{len(body[rows.name])}"] = f"{rows.name}.{row}"
                body[rows.name].append({f: v for f, v in item.items() if v})
    return body, moved


def need_fields(request: AssistanceRequest) -> Form:
    """The form filled with what the request asks now: where an amendment starts."""
    need = request.need
    fields: dict[str, list[str]] = {
        "convention": [need.convention],
        "areas": [f"{need.convention}/{area}" for area in need.areas],
        "assistance_types": list(need.assistance_types),
        "title": [need.title],
        "description": [need.description],
        "deadline": [need.deadline.isoformat()],
        "deadline_reason": [need.deadline_reason or ""],
        "urgency": [need.urgency.value],
    }
    if need.amount:
        fields["amount.value"] = [str(need.amount.value)]
        fields["amount.currency"] = [need.amount.currency]
    for name in CONTACT:
        fields[f"contact.{name}"] = [getattr(need.contact, name) or ""]
    for row, n in enumerate(need.in_kind):
        for name, value in (
            ("unit", n.unit),
            ("quantity", n.quantity),
            ("description", n.description),
        ):
            fields[_cell(IN_KIND, row, name)] = [str(value)]
    for row, e in enumerate(need.evidence):
        for name in EVIDENCE.fields:
            value = getattr(e, name)
            fields[_cell(EVIDENCE, row, name)] = [
                value.isoformat() if name == "date" and value else value or ""
            ]
    return Form(fields)


def placed(refusal: Refusal, moved: Mapping[str, str]) -> Refusal:
    """The refusal of a body `need_body` made, each message beside the form's field it concerns,
    and the fields named as the form labels them."""
    fields = {_field(name, moved): _readable(name, m) for name, m in refusal.fields.items()}
    if not fields:
        return refusal
    detail = ", ".join(dict.fromkeys(label_of(name) for name in fields))
    return replace(refusal, detail=detail, fields=fields)


def label_of(name: str) -> str:
    rows, _, rest = name.partition(".")
    if rows in (IN_KIND.name, EVIDENCE.name) and rest[:1].isdigit():
        row, _, cell = rest.partition(".")
        return f"{LABELS[rows]}, row {int(row) + 1}" + (f": {cell}" if cell else "")
    return LABELS.get(name, name)


def _readable(name: str, message: str) -> str:
    if name in PATTERNS and message.startswith("String should match pattern"):
        return PATTERNS[name]
    return message


def _field(name: str, moved: Mapping[str, str]) -> str:
    parts = name.split(".")
    if parts[0] in CHOICES:
        return parts[0]
    item = ".".join(parts[:2])
    return ".".join([moved[item], *parts[2:]]) if item in moved else name


def _cell(rows: Rows, row: int, name: str) -> str:
    return f"{rows.name}.{row}.{name}"
