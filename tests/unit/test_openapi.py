"""Every service's OpenAPI document is valid OpenAPI 3.1 and documents its problems."""

from __future__ import annotations

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

    with pytest.raises(Exception, match="is not of type 'object'"):
        validate(document)
