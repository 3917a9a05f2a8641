"""Every service's OpenAPI document is valid OpenAPI 3.1, documents its problems, the
Idempotency-Key its writes take and the If-Match its versioned writes take; its API docs are
served without a network."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from deploy.local.__main__ import DEFINITIONS
from shared.runtime import ServiceDefinition, create_app


@pytest.mark.parametrize("definition", DEFINITIONS.values(), ids=list(DEFINITIONS))
def test_the_openapi_document_is_valid(definition: ServiceDefinition) -> None:
    document = create_app(definition, definition.settings_type()).openapi()

    validate(document)  # raises on an invalid document
    assert "/v1/whoami" in document["paths"]


def test_a_broken_document_is_caught() -> None:
    document = create_app(
        DEFINITIONS["requests"], DEFINITIONS["requests"].settings_type()
    ).openapi()
    document["paths"]["/v1/whoami"]["get"]["responses"] = "none"

    # jsonschema quotes the type 'object'; jsonschema-rs, which the validator prefers when it is
    # installed (Schemathesis brings it), quotes it "object".
    with pytest.raises(Exception, match=r"""is not of type ['"]object['"]"""):
        validate(document)


@pytest.mark.parametrize("definition", DEFINITIONS.values(), ids=list(DEFINITIONS))
def test_every_post_documents_the_idempotency_key_it_honours(
    definition: ServiceDefinition,
) -> None:
    """A partner system reading the OpenAPI learns that its retries are safe."""
    document = create_app(definition, definition.settings_type()).openapi()
    posts = {
        path: operations["post"]
        for path, operations in document["paths"].items()
        if path.startswith("/v1/") and "post" in operations
    }
    undocumented = [
        path
        for path, operation in posts.items()
        if not any(
            parameter["in"] == "header" and parameter["name"] == "Idempotency-Key"
            for parameter in operation.get("parameters", [])
        )
    ]

    assert posts
    assert undocumented == []


async def test_the_api_docs_need_no_network() -> None:
    """Swagger UI and ReDoc, and their scripts, come from the service itself."""
    app = create_app(DEFINITIONS["requests"], DEFINITIONS["requests"].settings_type())
    transport = httpx.ASGITransport(app=app)  # no lifespan: the pages need no broker or database
    async with httpx.AsyncClient(transport=transport, base_url="http://requests") as client:
        pages = {path: await client.get(path) for path in ("/docs", "/redoc")}
        scripts = [
            src
            for page in pages.values()
            for src in re.findall(r'<script src="([^"]+)"', page.text)
        ]
        fetched = {src: (await client.get(src)).status_code for src in scripts}

    assert {path: page.status_code for path, page in pages.items()} == {"/docs": 200, "/redoc": 200}
    assert scripts
    assert all(src.startswith("/") for src in scripts), scripts
    assert set(fetched.values()) == {200}


def _takes_if_match(operation: dict[str, Any]) -> bool:
    return any(
        p["in"] == "header" and p["name"].lower() == "if-match"
        for p in operation.get("parameters", [])
    )


@pytest.mark.parametrize("definition", DEFINITIONS.values(), ids=list(DEFINITIONS))
def test_every_replacement_documents_the_if_match_it_requires(
    definition: ServiceDefinition,
) -> None:
    """A partner learns from the OpenAPI that a replacement needs the ETag it read (428 without
    it), and that any write taking If-Match answers 412 when the resource changed since."""
    document = create_app(definition, definition.settings_type()).openapi()
    operations = {
        (method, path): operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
        if path.startswith("/v1/")
    }
    puts = {key: op for key, op in operations.items() if key[0] == "put"}
    versioned = {key: op for key, op in operations.items() if _takes_if_match(op)}

    assert all(_takes_if_match(op) for op in puts.values()), list(puts)
    assert [key for key, op in puts.items() if "428" not in op["responses"]] == []
    assert [key for key, op in versioned.items() if "412" not in op["responses"]] == []
