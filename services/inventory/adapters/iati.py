"""IATI 2.03 activity files: written from activities, read into transactions, validated against
the official schema shipped in `shared/data/iati/2.03` (offline: no network, no entities).

The DAC 5-digit sector of each thematic area is data too (`shared/data/dac-sectors.json`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import cast

from lxml import etree

import shared
from services.inventory.domain.iati import Activity, Organisation, Publisher, ReadTransaction
from shared.errors import Invalid

DATA = Path(shared.__file__).parent / "data"
SCHEMA_FILE = DATA / "iati" / "2.03" / "iati-activities-schema.xsd"
SECTORS_FILE = DATA / "dac-sectors.json"
VERSION = "2.03"
READABLE_VERSIONS = ("2.01", "2.02", "2.03")
"""The 2.0x versions read, each against the 2.03 schema (2.02 and 2.03 only added to 2.01)."""
SCHEMA_ERRORS_SHOWN = 5
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _parser() -> etree.XMLParser:
    """Nothing fetched, no entity expanded, no DTD loaded: a file can only be what it says."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@cache
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_FILE), _parser()))


class NotIati(Invalid):
    """The file cannot be read as IATI 2.0x activities; `rule` says why."""


@cache
def _sectors() -> dict[str, dict[str, object]]:
    conventions: dict[str, dict[str, object]] = json.loads(SECTORS_FILE.read_text())["conventions"]
    return conventions


def sector_codes(convention: str, areas: Iterable[str]) -> list[str]:
    """The DAC codes of a request's areas; its convention's own code when it names none."""
    mapping = _sectors()[convention]
    by_area = mapping["areas"]
    assert isinstance(by_area, dict)
    codes = [str(by_area[area]) for area in areas if area in by_area]
    return codes or [str(mapping["default"])]


def _text(parent: etree._Element, tag: str, text: str, **attributes: str) -> etree._Element:
    """`<tag><narrative>text</narrative></tag>`."""
    element = etree.SubElement(parent, tag, attributes)
    etree.SubElement(element, "narrative").text = text
    return element


def _organisation(parent: etree._Element, tag: str, org: Organisation, **extra: str) -> None:
    attributes = {"ref": org.ref, "type": org.type, **extra}
    _text(parent, tag, org.name, **{k: v for k, v in attributes.items() if v is not None})


def _value(parent: etree._Element, amount: Decimal, currency: str, day: date) -> None:
    value = etree.SubElement(parent, "value", {"currency": currency, "value-date": day.isoformat()})
    value.text = f"{amount:.2f}"


def write(activities: Iterable[Activity], publisher: Publisher, generated: datetime) -> bytes:
    """An IATI 2.03 activity file of these activities."""
    root = etree.Element(
        "iati-activities", {"version": VERSION, "generated-datetime": generated.isoformat()}
    )
    for activity in activities:
        _activity(root, activity, publisher)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _activity(root: etree._Element, activity: Activity, publisher: Publisher) -> None:
    element = etree.SubElement(
        root,
        "iati-activity",
        {"last-updated-datetime": activity.updated.isoformat(), XML_LANG: "en"},
    )
    etree.SubElement(element, "iati-identifier").text = activity.identifier
    _text(element, "reporting-org", publisher.name, ref=publisher.ref, type=publisher.type)
    _text(element, "title", activity.title)
    _text(element, "description", activity.description, type="1")
    for funder in activity.funders:
        _organisation(element, "participating-org", funder, role="1")
    _organisation(element, "participating-org", activity.recipient, role="4")
    etree.SubElement(element, "activity-status", code=activity.status)
    etree.SubElement(element, "activity-date", {"type": "1", "iso-date": str(activity.start)})
    etree.SubElement(element, "activity-date", {"type": "3", "iso-date": str(activity.end)})
    if activity.country is not None:
        _text(
            element,
            "recipient-country",
            activity.recipient.name,
            code=activity.country,
            percentage="100",
        )
    for sector in activity.sectors:
        etree.SubElement(
            element,
            "sector",
            {"vocabulary": "1", "code": sector.code, "percentage": str(sector.percentage)},
        )
    if activity.budget is not None:
        budget = etree.SubElement(element, "budget", {"type": "1", "status": "1"})
        etree.SubElement(budget, "period-start", {"iso-date": str(activity.budget.start)})
        etree.SubElement(budget, "period-end", {"iso-date": str(activity.budget.end)})
        _value(budget, activity.budget.value, activity.budget.currency, activity.budget.start)
    for t in activity.transactions:
        transaction = etree.SubElement(element, "transaction", ref=t.ref)
        etree.SubElement(transaction, "transaction-type", code=t.type_code)
        etree.SubElement(transaction, "transaction-date", {"iso-date": str(t.date)})
        _value(transaction, t.value, t.currency, t.date)
        if t.description:
            _text(transaction, "description", t.description)
        _organisation(transaction, "provider-org", t.provider)
        _organisation(transaction, "receiver-org", t.receiver)


def validate(document: etree._Element) -> None:
    """Refuse a document the 2.03 schema does not accept, naming its first errors and lines."""
    checker = schema()
    if checker.validate(document):
        return
    errors = [
        {"line": error.line, "message": error.message}
        for error in list(cast(Iterable[etree._LogEntry], checker.error_log))[:SCHEMA_ERRORS_SHOWN]
    ]
    first = errors[0]
    raise NotIati(
        f"not valid IATI {VERSION}: line {first['line']}: {first['message']}",
        rule="iati-schema",
        errors=errors,
    )


def read(data: bytes) -> list[ReadTransaction]:
    """The transactions of an IATI 2.0x activity file, in file order; NotIati if it is none."""
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        raise NotIati(f"not XML: {error}", rule="not-xml") from None
    if root.getroottree().docinfo.internalDTD is not None:
        raise NotIati("an IATI file declares no document type nor entities", rule="doctype")
    version = root.get("version")
    if root.tag != "iati-activities" or version not in READABLE_VERSIONS:
        found = f"<{root.tag}> version {version!r}"
        raise NotIati(
            f"not an IATI 2.0x activity file ({', '.join(READABLE_VERSIONS)}): found {found}",
            rule="iati-version",
        )
    validate(root)
    return [
        _transaction(transaction, activity)
        for activity in root.iterfind("iati-activity")
        for transaction in activity.iterfind("transaction")
    ]


def _transaction(element: etree._Element, activity: etree._Element) -> ReadTransaction:
    value = element.find("value")
    provider = element.find("provider-org")
    receiver = element.find("receiver-org")
    assert value is not None  # the schema requires it
    identifier = (activity.findtext("iati-identifier") or "").strip()
    return ReadTransaction(
        activity=identifier,
        line=_line(element),
        ref=element.get("ref"),
        type_code=_attribute(element, "transaction-type", "code"),
        date=_day(_attribute(element, "transaction-date", "iso-date"), element),
        value=_amount(value),
        currency=value.get("currency") or activity.get("default-currency"),
        provider_ref=provider.get("ref") if provider is not None else None,
        provider_name=_narrative(provider),
        receiver_activity=receiver.get("receiver-activity-id") if receiver is not None else None,
        description=_narrative(element.find("description")),
    )


def _line(element: etree._Element) -> int:
    line: int | None = getattr(element, "sourceline", None)
    return line or 0


def _attribute(element: etree._Element, child: str, name: str) -> str:
    """An attribute of a child the schema requires."""
    found = element.find(child)
    return "" if found is None else found.get(name, "")


def _day(text: str, element: etree._Element) -> date:
    """An xsd:date, its time zone (which a day in the ledger has not) left aside."""
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise NotIati(
            f"line {_line(element)}: {text!r} is not a date", rule="iati-schema"
        ) from None


def _amount(value: etree._Element) -> Decimal:
    try:
        return Decimal((value.text or "").strip())
    except InvalidOperation:
        raise NotIati(
            f"line {_line(value)}: {value.text!r} is not a number", rule="iati-schema"
        ) from None


def _narrative(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    text = element.findtext("narrative")
    return text.strip() if text else None
