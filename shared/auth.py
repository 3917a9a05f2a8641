"""Authentication by API key, the same in every service.

A key reads `ch_<key id>_<secret>`. Services store only the SHA-256 of the secret: the secret is
32 random bytes, so a fast hash is as safe as a slow one and keeps every request cheap. Keys are
issued and revoked as events on the global `access` topic (`issue_key`, `revoke_key`); every
service keeps its own `api_keys` table from them, so no service reads another's tables. A new
key works as soon as a service has consumed its event; a revocation applies within
`CACHE_SECONDS`.

Each key names one principal: a national focal point (one state), a regional centre (one
region), the global secretariat, an operator (reads everything, changes nothing) or a donor.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy import Column, DateTime, MetaData, String, Table, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import Sessions
from shared.events import Envelope, encode
from shared.events.access import ApiKeyIssued, ApiKeyRevoked
from shared.http import PROBLEMS, Problem
from shared.principal import Principal, Role
from shared.settings import CommonSettings
from shared.topics import Stream, Topics

KEY_PREFIX = "ch"
CACHE_SECONDS = 5.0
SOURCE = "/clearinghouse/access"
PARTIES = {Role.DONOR.value, Role.NATIONAL.value}
"""The roles whose keys answer for sources of assistance (`Principal.party`)."""


def api_keys_table(metadata: MetaData) -> Table:
    return Table(
        "api_keys",
        metadata,
        Column("key_id", String(32), primary_key=True),
        Column("secret_sha256", String(64), nullable=False),
        Column("role", String(20), nullable=False),
        Column("state", String(3)),
        Column("centre", String(63)),
        Column("donor", String(100)),
        Column("name", String(200), nullable=False, server_default=""),
        Column("issued_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("revoked_at", DateTime(timezone=True)),
    )


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _split(key: str) -> tuple[str, str] | None:
    parts = key.split("_")
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def new_key() -> tuple[str, str, str]:
    """A fresh key: (key, key id, secret hash)."""
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32).replace("_", "-")
    return f"{KEY_PREFIX}_{key_id}_{secret}", key_id, _sha256(secret)


def issued_event(principal: Principal, key_id: str, secret_sha256: str, name: str) -> ApiKeyIssued:
    return ApiKeyIssued(
        key_id=key_id,
        secret_sha256=secret_sha256,
        role=principal.role.value,
        state=principal.state,
        centre=principal.centre,
        donor=principal.donor,
        name=name,
    )


async def issue_key(settings: CommonSettings, principal: Principal, name: str = "") -> str:
    """Issue a key for `principal` and announce it to every service; returns the key, once."""
    key, key_id, secret_hash = new_key()
    await _announce(settings, key_id, issued_event(principal, key_id, secret_hash, name))
    return key


async def revoke_key(settings: CommonSettings, key_id: str) -> None:
    await _announce(settings, key_id, ApiKeyRevoked(key_id=key_id))


async def _announce(settings: CommonSettings, key_id: str, payload: Any) -> None:
    message = encode(Envelope(payload=payload, key=key_id, source=SOURCE))
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers, enable_idempotence=True, acks="all"
    )
    await producer.start()
    try:
        await producer.send_and_wait(
            Topics(settings.topic_prefix).global_(Stream.ACCESS),
            value=message.value,
            key=key_id.encode(),
            headers=list(message.headers.items()),
        )
    finally:
        await producer.stop()


async def store_issued_key(session: AsyncSession, table: Table, event: ApiKeyIssued) -> None:
    """Keep an issued key in a service's own table (the handler of `access.key-issued`)."""
    values = event.model_dump()
    await session.execute(
        insert(table).values(**values).on_conflict_do_update(index_elements=["key_id"], set_=values)
    )


async def parties_with_keys(session: AsyncSession, table: Table) -> set[str]:
    """The parties holding a key that is not revoked: the parties that can answer for a source.
    Donors (agencies, organisations) by their own keys, states by their focal points' keys."""
    rows = await session.execute(
        select(table.c.role, table.c.donor, table.c.state)
        .where(table.c.role.in_(PARTIES))
        .where(table.c.revoked_at.is_(None))
        .distinct()
    )
    parties = {_party(row.role, row.donor, row.state) for row in rows}
    return {party for party in parties if party}


async def party_of_key(session: AsyncSession, table: Table, key_id: str) -> str | None:
    """The party a stored key answers sources for (`Principal.party`); None for a key of any
    other role, or none stored."""
    t = table
    row = (
        await session.execute(select(t.c.role, t.c.donor, t.c.state).where(t.c.key_id == key_id))
    ).first()
    return None if row is None else _party(row.role, row.donor, row.state)


def _party(role: str, donor: str | None, state: str | None) -> str | None:
    return Principal(Role(role), state=state, donor=donor).party if role in PARTIES else None


async def store_revoked_key(session: AsyncSession, table: Table, key_id: str) -> None:
    await session.execute(
        update(table).where(table.c.key_id == key_id).values(revoked_at=datetime.now(UTC))
    )


class Authenticator:
    """Finds the principal of a bearer key in the service's table, with a short cache."""

    def __init__(self, table: Table, sessions: Sessions) -> None:
        self.table = table
        self.sessions = sessions
        self._cache: dict[str, tuple[float, str, Principal | None]] = {}

    async def principal(self, key: str) -> Principal | None:
        parts = _split(key)
        if parts is None:
            return None
        key_id, secret = parts
        cached = self._cache.get(key_id)
        if cached is None or cached[0] < time.monotonic():
            cached = (time.monotonic() + CACHE_SECONDS, *await self._load(key_id))
            self._cache[key_id] = cached
        _, expected_hash, principal = cached
        if principal is None or not hmac.compare_digest(expected_hash, _sha256(secret)):
            return None
        return principal

    async def _load(self, key_id: str) -> tuple[str, Principal | None]:
        t = self.table
        async with self.sessions() as session:
            row = (await session.execute(select(t).where(t.c.key_id == key_id))).first()
        if row is None or row.revoked_at is not None:
            return "", None
        principal = Principal(
            Role(row.role), state=row.state, centre=row.centre, donor=row.donor, key_id=key_id
        )
        return row.secret_sha256, principal


def _unauthorized(detail: str) -> Problem:
    return Problem(
        401,
        "Not authenticated",
        detail,
        kind="unauthenticated",
        headers={"WWW-Authenticate": "Bearer"},
    )


async def authenticate(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key:
        raise _unauthorized("Send 'Authorization: Bearer <api key>'.")
    authenticator: Authenticator = request.app.state.resources.authenticator
    principal = await authenticator.principal(key.strip())
    if principal is None:
        raise _unauthorized("The API key is not valid or was revoked.")
    return principal


PrincipalDep = Annotated[Principal, Depends(authenticate)]


class WhoAmI(BaseModel):
    role: Role
    state: str | None
    centre: str | None
    donor: str | None
    key_id: str
    label: str


whoami_router = APIRouter(tags=["access"])


@whoami_router.get(
    "/v1/whoami",
    response_model=WhoAmI,
    responses={401: PROBLEMS[401]},
    summary="Who the API key speaks for",
)
async def whoami(principal: PrincipalDep) -> WhoAmI:
    """Lets a partner system check its key, and tells when a new key has reached this service."""
    return WhoAmI(**asdict(principal), label=principal.label)
