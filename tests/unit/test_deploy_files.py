"""docker-compose.yml and the Kubernetes manifests: valid, and naming only settings the code reads.

No Docker engine or cluster runs here, so the files are checked offline: the compose file against
the Compose Specification's schema (as check-jsonschema vendors it), the manifests against
Kubernetes' own schemas (kubernetes-validate). Strimzi's Kafka resources have no schema there.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import kubernetes_validate
import pytest
import yaml
from pydantic import AliasChoices

from deploy.local.regional_access import CentreAccess
from services.inventory.settings import InventorySettings
from services.matching.settings import MatchingSettings
from services.notifications.settings import NotificationsSettings
from services.requests.settings import RequestsSettings
from shared.topics import Topics
from tests.system import ROOT

COMPOSE = ROOT / "docker-compose.yml"
MANIFESTS = sorted((ROOT / "deploy" / "k8s").glob("*.yaml"))
NOT_IN_KUBERNETES_SCHEMAS = {"Kustomization", "Kafka", "KafkaNodePool", "KafkaUser"}
READ_BY_LIBRARIES = {"OTEL_EXPORTER_OTLP_ENDPOINT"}


def _settings_variables() -> set[str]:
    names = set(READ_BY_LIBRARIES)
    for settings in (RequestsSettings, InventorySettings, MatchingSettings, NotificationsSettings):
        prefix = str(settings.model_config.get("env_prefix", ""))
        for name, field in settings.model_fields.items():
            if isinstance(field.validation_alias, AliasChoices):
                names |= {str(c).upper() for c in field.validation_alias.choices}
            else:
                names.add(f"{prefix}{name}".upper())
    return names


def _documents() -> list[dict[str, Any]]:
    return [d for path in MANIFESTS for d in yaml.safe_load_all(path.read_text()) if d]


def test_the_compose_file_follows_the_compose_specification() -> None:
    check = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec"]
    result = subprocess.run(
        [*check, str(COMPOSE)],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_compose_file_sets_only_settings_the_code_reads() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    ours = {name: s for name, s in services.items() if "build" in s}
    set_there = {variable for s in ours.values() for variable in s.get("environment", {})}

    assert set(ours) == {"migrate", "requests", "inventory", "matching", "notifications"}
    assert set_there - _settings_variables() == set()


@pytest.mark.parametrize(
    "document",
    [d for d in _documents() if d["kind"] not in NOT_IN_KUBERNETES_SCHEMAS],
    ids=lambda d: f"{d['kind']}/{d['metadata']['name']}",
)
def test_each_manifest_is_valid_kubernetes(document: dict[str, Any]) -> None:
    kubernetes_validate.validate(document, "1.31.0", strict=True)


def test_the_config_map_and_secret_name_only_settings_the_code_reads() -> None:
    keys = {
        key
        for d in _documents()
        if d["kind"] in ("ConfigMap", "Secret")
        for key in {**d.get("data", {}), **d.get("stringData", {})}
    }

    assert keys - _settings_variables() == set()


def test_every_service_is_probed_on_readyz_and_healthz() -> None:
    deployments = [d for d in _documents() if d["kind"] == "Deployment"]
    probes = {
        d["metadata"]["name"]: (
            d["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["path"],
            d["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["path"],
        )
        for d in deployments
    }

    assert probes == {
        name: ("/readyz", "/healthz")
        for name in ("requests", "inventory", "matching", "notifications")
    }


def test_each_centre_s_kafka_user_is_granted_what_the_operator_command_grants() -> None:
    """Strimzi's KafkaUser and `regional-access create` give a centre the same ACLs."""
    users = [d for d in _documents() if d["kind"] == "KafkaUser"]
    assert users
    for user in users:
        centre = user["metadata"]["name"].removeprefix("clearinghouse.regional.")
        access = CentreAccess(centre, Topics("clearinghouse").regional_prefix(centre))
        granted = {
            (acl["resource"]["type"], acl["resource"]["name"], operation.upper())
            for acl in user["spec"]["authorization"]["acls"]
            if acl["resource"]["patternType"] == "prefix" and acl["host"] == "*"
            for operation in acl["operations"]
        }

        assert user["metadata"]["name"] == access.username
        assert user["spec"]["authentication"]["type"] == "scram-sha-512"
        assert granted == {
            (b.restype.name.lower(), b.name, b.operation.name) for b in access.acls()
        }
