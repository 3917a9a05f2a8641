"""The AsyncAPI document: complete, committed as generated, valid against AsyncAPI 3.0's schema.

The schema is the one the @asyncapi/specs package ships, fetched from the npm registry once and
kept in `.cache/`.
"""

from __future__ import annotations

import copy
import json
import subprocess
import tarfile
from typing import Any

import pytest
from jsonschema import Draft7Validator

from deploy.local.__main__ import DEFINITIONS
from shared.asyncapi import document
from shared.events.registry import ALL_PAYLOADS
from tests.system import ROOT

SPECS = "@asyncapi/specs@6.11.1"
SCHEMA_MEMBER = "package/schemas/3.0.0.json"


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    cache = ROOT / ".cache" / SPECS.replace("/", "-").replace("@", "")
    schema_path = cache / SCHEMA_MEMBER
    if not schema_path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "pack", "--silent", SPECS], cwd=cache, check=True)
        [tarball] = cache.glob("*.tgz")
        with tarfile.open(tarball) as archive:
            archive.extract(SCHEMA_MEMBER, cache, filter="data")
    return Draft7Validator(json.loads(schema_path.read_text()))


def test_the_document_is_valid_asyncapi_3(validator: Draft7Validator) -> None:
    errors = [
        f"{list(e.absolute_path)}: {e.message}"
        for e in validator.iter_errors(document(DEFINITIONS.values()))
    ]

    assert errors == []


def test_the_validator_would_catch_a_broken_document(validator: Draft7Validator) -> None:
    broken: dict[str, Any] = copy.deepcopy(document(DEFINITIONS.values()))
    first = next(iter(broken["operations"]))
    broken["operations"][first]["action"] = "publish"  # AsyncAPI 2's word, not 3's

    assert not validator.is_valid(broken)


def test_every_event_type_is_described_with_its_cloudevents_type() -> None:
    messages = document(DEFINITIONS.values())["components"]["messages"]

    assert {m["name"] for m in messages.values()} == {p.cloudevent_type() for p in ALL_PAYLOADS}


def test_the_committed_document_is_the_generated_one() -> None:
    committed = json.loads((ROOT / "docs" / "asyncapi.json").read_text())

    assert committed == document(DEFINITIONS.values()), (
        "run `python -m deploy.local asyncapi` and commit"
    )
