"""A regional centre's own access to Kafka: SCRAM credentials and ACLs on its topic prefix.

A centre reads its region's topics (`<prefix>.regional.<centre>.<stream>`) directly, as an outside
system, through the broker's SCRAM-SHA-512 listener. Creating its access upserts a SCRAM user
named like its topics (`<prefix>.regional.<centre>`) with a new random password and grants that
user, by prefixed ACLs:

- READ and DESCRIBE on topics starting with `<prefix>.regional.<centre>.`;
- READ on consumer groups starting with the same string, so its groups are its own.

The trailing dot is what keeps one centre from another whose id starts with the same letters
(`asia.` is not a prefix of `asia-east.requests`). The broker denies everything no ACL allows
(`allow.everyone.if.no.acl.found=false`), so the centre cannot read another region's, the
national or the global topics, nor write anywhere. Creating access again rotates the password;
revoking deletes the credentials and the ACLs, and the broker refuses the centre from then on.

The admin calls go through confluent-kafka's AdminClient (aiokafka's cannot manage SCRAM
credentials) on the services' own, trusted listener.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)

from shared.geography import load_network
from shared.settings import CommonSettings
from shared.topics import Topics

MECHANISM = "SCRAM-SHA-512"
# Kafka's minimum for SCRAM-SHA-512 is 4096; more iterations make a stolen hash costlier to crack.
ITERATIONS = 8192
ADMIN_TIMEOUT_SECONDS = 30.0
GRANTS = (
    (ResourceType.TOPIC, AclOperation.READ),
    (ResourceType.TOPIC, AclOperation.DESCRIBE),
    (ResourceType.GROUP, AclOperation.READ),
)


@dataclass(frozen=True)
class CentreAccess:
    """What one regional centre of one deployment is given on the broker."""

    centre: str
    topic_prefix: str

    @property
    def username(self) -> str:
        return self.topic_prefix.rstrip(".")

    @property
    def group_prefix(self) -> str:
        """Consumer groups the centre may use must start with this (its topic prefix too)."""
        return self.topic_prefix

    @property
    def principal(self) -> str:
        return f"User:{self.username}"

    def acls(self) -> list[AclBinding]:
        return [
            AclBinding(
                resource,
                self.topic_prefix,
                ResourcePatternType.PREFIXED,
                self.principal,
                "*",
                operation,
                AclPermissionType.ALLOW,
            )
            for resource, operation in GRANTS
        ]


@dataclass(frozen=True)
class Credentials:
    """A centre's SCRAM user and password, and where it connects."""

    access: CentreAccess
    password: str
    bootstrap_servers: str

    def client_properties(self) -> str:
        """A Kafka client configuration (librdkafka's names, which kcat's `-F` reads)."""
        return (
            f"# Kafka access of regional centre {self.access.centre}: keep this file secret.\n"
            f"# Topics: {self.access.topic_prefix}*  consumer groups: {self.access.group_prefix}*\n"
            f"bootstrap.servers={self.bootstrap_servers}\n"
            "security.protocol=SASL_PLAINTEXT\n"
            f"sasl.mechanisms={MECHANISM}\n"
            f"sasl.username={self.access.username}\n"
            f"sasl.password={self.password}\n"
        )


def access_of(settings: CommonSettings, centre: str) -> CentreAccess:
    """The access of a centre the deployment's network knows; ValueError for any other id."""
    network = load_network(settings.regional_centres_file)
    if centre not in network.centres:
        raise ValueError(f"unknown regional centre {centre!r}; known: {', '.join(network.ids)}")
    return CentreAccess(centre, Topics(settings.topic_prefix).regional_prefix(centre))


def create(settings: CommonSettings, centre: str, regional_servers: str) -> Credentials:
    """Give `centre` a new password (replacing any earlier one) and its ACLs."""
    access = access_of(settings, centre)
    password = secrets.token_urlsafe(32)
    admin = _admin(settings)
    credential = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, ITERATIONS)
    upsert = UserScramCredentialUpsertion(access.username, credential, password.encode())
    _wait(admin.alter_user_scram_credentials([upsert]).values())
    _wait(admin.create_acls(access.acls()).values())
    credentials = Credentials(access, password, regional_servers)
    _await_effect(admin, credentials)
    return credentials


def revoke(settings: CommonSettings, centre: str) -> None:
    """Delete the centre's ACLs and credentials; revoking twice is harmless."""
    access = access_of(settings, centre)
    admin = _admin(settings)
    _wait(admin.delete_acls(_filters(access)).values())
    deletion = UserScramCredentialDeletion(access.username, ScramMechanism.SCRAM_SHA_512)
    try:
        _wait(admin.alter_user_scram_credentials([deletion]).values())
    except KafkaException as error:
        if error.args[0].code() != KafkaError.RESOURCE_NOT_FOUND:
            raise


def write_private(path: Path, text: str) -> None:
    """Write a secret to a file only its owner can read, never briefly readable by others."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        os.fchmod(descriptor, 0o600)  # the mode above does not apply to an existing file
        file.write(text)


def _await_effect(admin: AdminClient, credentials: Credentials) -> None:
    """Return once the broker accepts the new password and enforces the ACLs.

    The controller has committed both when the admin calls return, but the broker applies them
    to what it enforces a moment later; a centre connecting at once must not be refused. Logging
    in also proves `bootstrap_servers`, written into the centre's configuration, is right.
    """
    deadline = time.monotonic() + ADMIN_TIMEOUT_SECONDS
    while not (_enforced(admin, credentials.access) and _logs_in(credentials)):
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"{credentials.bootstrap_servers} did not accept {credentials.access.username}"
            )
        time.sleep(0.2)


def _filters(access: CentreAccess) -> list[AclBindingFilter]:
    """Filters matching exactly the centre's ACLs, one each."""
    return [
        AclBindingFilter(
            binding.restype,
            binding.name,
            binding.resource_pattern_type,
            binding.principal,
            binding.host,
            binding.operation,
            binding.permission_type,
        )
        for binding in access.acls()
    ]


def _enforced(admin: AdminClient, access: CentreAccess) -> bool:
    """Whether the broker's authorizer holds every one of the centre's ACLs."""
    found = [admin.describe_acls(f).result(timeout=ADMIN_TIMEOUT_SECONDS) for f in _filters(access)]
    return all(found)


def _logs_in(credentials: Credentials) -> bool:
    client = AdminClient(
        {
            "bootstrap.servers": credentials.bootstrap_servers,
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanisms": MECHANISM,
            "sasl.username": credentials.access.username,
            "sasl.password": credentials.password,
        }
    )
    try:
        client.list_topics(timeout=2)
    except KafkaException:
        return False
    return True


def _admin(settings: CommonSettings) -> AdminClient:
    return AdminClient({"bootstrap.servers": settings.kafka_bootstrap_servers})


def _wait(futures: Iterable[Future[object]]) -> None:
    for future in futures:
        future.result(timeout=ADMIN_TIMEOUT_SECONDS)
