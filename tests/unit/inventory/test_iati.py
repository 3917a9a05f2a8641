"""IATI 2.03 mapping: sectors, identifiers, transaction types, corrections, and the file itself
against the official schema."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from lxml import etree

from services.inventory.adapters import iati as iati_file
from services.inventory.domain.iati import (
    KnownRequest,
    Organisation,
    Publisher,
    ReadTransaction,
    Recipient,
    Unrecordable,
    activity_of,
    checked,
    kind_of,
    request_named,
    sector_shares,
    standing,
)
from services.inventory.domain.ledger import EntryKind, LedgerEntry
from shared.taxonomy import taxonomy
from tests.inventory_factories import NOW, TODAY

PUBLISHER = Publisher("XI-IATI-EXAMPLE", "Secretariat", "40", {"norway": "XM-DAC-8"})
NORWAY = Organisation("Norway: mine action", "XM-DAC-8", "10")


def request(**changes: object) -> KnownRequest:
    values: dict[str, object] = {
        "request_id": uuid4(),
        "version": 5,
        "state": "LAO",
        "status": "funded",
        "convention": "CCM",
        "areas": ("survey-and-clearance", "victim-assistance"),
        "title": "Survey and clearance in Xieng Khouang",
        "description": "Technical survey of 40 km² of suspected hazardous areas.",
        "amount": Decimal("2500000.00"),
        "currency": "USD",
        "deadline": TODAY + timedelta(days=200),
        "created_at": NOW - timedelta(days=20),
    }
    return KnownRequest(**{**values, **changes})  # type: ignore[arg-type]


def entry(kind: EntryKind, amount: str, **changes: object) -> LedgerEntry:
    values: dict[str, object] = {
        "kind": kind,
        "source_id": uuid4(),
        "window_id": uuid4(),
        "request_id": None,
        "amount": Decimal(amount),
        "currency": "USD",
        "date": TODAY - timedelta(days=3),
        "actor": "donor:norway",
        "recorded_at": NOW,
    }
    return LedgerEntry(**{**values, **changes})  # type: ignore[arg-type]


def read_transaction(**changes: object) -> ReadTransaction:
    values: dict[str, object] = {
        "activity": f"XI-IATI-EXAMPLE-{uuid4()}",
        "line": 12,
        "ref": "t-1",
        "type_code": "2",
        "date": TODAY,
        "value": Decimal("1000.00"),
        "currency": "USD",
        "provider_ref": "XM-DAC-8",
        "provider_name": "Norway: mine action",
        "receiver_activity": None,
    }
    return ReadTransaction(**{**values, **changes})  # type: ignore[arg-type]


def test_every_area_of_the_taxonomy_has_a_dac_code_of_the_list() -> None:
    data = json.loads(iati_file.SECTORS_FILE.read_text())
    for code, convention in taxonomy().conventions.items():
        mapped = data["conventions"][code]
        assert set(mapped["areas"]) == set(convention.areas), code
        for dac in [*mapped["areas"].values(), mapped["default"]]:
            assert len(dac) == 5, (code, dac)
            assert dac in data["codes"], (code, dac)


def test_mine_action_is_15250_and_chemicals_and_biosafety_are_environmental_codes() -> None:
    assert iati_file.sector_codes("CCM", ["survey-and-clearance"]) == ["15250"]
    assert iati_file.sector_codes("APMBC", ["victim-assistance", "stockpile-destruction"]) == [
        "15250",
        "15250",
    ]
    assert iati_file.sector_codes("Stockholm", ["pcb-elimination"]) == ["14050"]
    assert iati_file.sector_codes("Cartagena", ["risk-assessment-and-management"]) == ["41030"]
    assert iati_file.sector_codes("Stockholm", []) == ["41010"]  # no areas: the convention's


def test_sector_shares_add_up_to_a_hundred() -> None:
    shares = sector_shares(["41010", "14050", "41010", "12262"])
    assert [s.code for s in shares] == ["41010", "14050", "12262"]
    assert sum(s.percentage for s in shares) == 100
    assert shares[1].percentage == Decimal("33.33")


def test_identifiers_name_requests_and_donors_of_the_publisher_only() -> None:
    request_id = uuid4()
    assert PUBLISHER.request_of(PUBLISHER.activity_id(request_id)) == request_id
    assert PUBLISHER.request_of(f"XM-DAC-8-{request_id}") is None
    assert PUBLISHER.request_of("XI-IATI-EXAMPLE-not-a-request") is None
    assert PUBLISHER.donor_ref("norway") == "XM-DAC-8"
    assert PUBLISHER.donor_ref("japan") == "XI-IATI-EXAMPLE-japan"
    assert PUBLISHER.party_of("XM-DAC-8") == "norway"
    assert PUBLISHER.party_of("XI-IATI-EXAMPLE-japan") == "japan"
    assert PUBLISHER.party_of("XM-DAC-701") is None


def test_transaction_types_map_to_ledger_acts_and_others_are_refused() -> None:
    assert kind_of(read_transaction(type_code="12")) is EntryKind.PLEDGED
    assert kind_of(read_transaction(type_code="2")) is EntryKind.COMMITTED
    assert kind_of(read_transaction(type_code="3")) is EntryKind.DISBURSED
    for code in ("1", "4", "11", "13"):
        with pytest.raises(Unrecordable) as refused:
            kind_of(read_transaction(type_code=code))
        assert refused.value.rule == "transaction-type"


def test_a_transaction_names_its_request_by_its_receiver_activity_or_its_own() -> None:
    request_id, other = uuid4(), uuid4()
    own = read_transaction(activity=PUBLISHER.activity_id(request_id))
    assert request_named(own, PUBLISHER) == request_id
    donors = read_transaction(
        activity="XM-DAC-8-LAO-2026-1", receiver_activity=f"{PUBLISHER.activity_id(other)}"
    )
    assert request_named(donors, PUBLISHER) == other
    with pytest.raises(Unrecordable) as refused:
        request_named(read_transaction(activity="XM-DAC-8-LAO-2026-1"), PUBLISHER)
    assert refused.value.rule == "unknown-request"


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"ref": None}, "transaction-ref"),
        ({"value": Decimal("0")}, "value"),
        ({"value": Decimal("-10.00")}, "value"),
        ({"value": Decimal("10.005")}, "value"),
        ({"currency": None}, "currency"),
    ],
)
def test_a_transaction_without_ref_currency_or_positive_value_is_refused(
    changes: dict[str, object], rule: str
) -> None:
    with pytest.raises(Unrecordable) as refused:
        checked(read_transaction(**changes))
    assert refused.value.rule == rule


def test_an_entry_stands_at_its_amount_with_its_corrections() -> None:
    original = entry(EntryKind.COMMITTED, "100000.00")
    cancelled = entry(EntryKind.PLEDGED, "500.00")
    entries = [
        original,
        entry(EntryKind.COMMITTED, "-25000.00", corrects=original.id),
        cancelled,
        entry(EntryKind.PLEDGED, "-500.00", corrects=cancelled.id),
    ]
    assert standing(entries) == [(original, Decimal("75000.00"))]


def test_an_activity_of_the_ledger_is_valid_iati_2_03() -> None:
    asked = request()
    committed = entry(EntryKind.COMMITTED, "600000.00", request_id=asked.request_id)
    disbursed = replace(
        entry(EntryKind.DISBURSED, "200000.00", request_id=asked.request_id),
        source_id=committed.source_id,
        note="First tranche",
    )
    activity = activity_of(
        asked,
        [committed, disbursed],
        {committed.source_id: NORWAY},
        PUBLISHER,
        iati_file.sector_codes(asked.convention, asked.areas),
        Recipient("Lao People's Democratic Republic", "LA"),
    )
    document = iati_file.write([activity], PUBLISHER, NOW)
    root = etree.fromstring(document)
    assert iati_file.schema().validate(root), iati_file.schema().error_log
    [element] = root.findall("iati-activity")
    assert element.findtext("iati-identifier") == PUBLISHER.activity_id(asked.request_id)
    assert element.find("recipient-country").get("code") == "LA"  # type: ignore[union-attr]
    assert [s.get("code") for s in element.findall("sector")] == ["15250"]
    assert [t.find("transaction-type").get("code") for t in element.findall("transaction")] == [  # type: ignore[union-attr]
        "2",
        "3",
    ]
    assert [p.get("role") for p in element.findall("participating-org")] == ["1", "4"]
    assert element.find("activity-status").get("code") == "2"  # type: ignore[union-attr]
    read = iati_file.read(document)
    assert [(t.type_code, t.value, t.currency, t.provider_ref) for t in read] == [
        ("2", Decimal("600000.00"), "USD", "XM-DAC-8"),
        ("3", Decimal("200000.00"), "USD", "XM-DAC-8"),
    ]
    assert read[1].description == "First tranche"
    assert read[0].ref == str(committed.id)


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (b"ref,type,value\nt-1,2,100\n", "not-xml"),
        (b"", "not-xml"),
        (b'<iati-activities version="1.05"/>', "iati-version"),
        (b'<iati-organisations version="2.03"/>', "iati-version"),
        (b'<iati-activities version="2.03"><iati-activity/></iati-activities>', "iati-schema"),
    ],
)
def test_a_file_that_is_not_iati_2_0x_is_refused_with_why(data: bytes, rule: str) -> None:
    with pytest.raises(iati_file.NotIati) as refused:
        iati_file.read(data)
    assert refused.value.rule == rule


def test_a_schema_error_names_its_line() -> None:
    data = (
        b'<iati-activities version="2.03">\n\n<iati-activity>\n</iati-activity>\n</iati-activities>'
    )
    with pytest.raises(iati_file.NotIati) as refused:
        iati_file.read(data)
    errors = refused.value.extensions["errors"]
    assert errors[0]["line"] == 3
    assert "line 3" in str(refused.value)


def test_entities_are_not_expanded_nor_fetched() -> None:
    data = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<iati-activities version="2.03"><iati-activity><iati-identifier>&x;</iati-identifier>'
        b"</iati-activity></iati-activities>"
    )
    with pytest.raises(iati_file.NotIati) as refused:
        iati_file.read(data)
    assert refused.value.rule == "doctype"
    assert "root:" not in str(refused.value)
