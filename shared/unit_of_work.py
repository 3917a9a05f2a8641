"""The unit of work: one transaction, the aggregates it touched, and the events they recorded.

`async with uow:` opens a transaction. Repositories built on `uow.session` register every
aggregate they load or add (`uow.track`); an aggregate's methods record domain events in its
`events` list and never await anything. When the block ends without an error, the unit of work
asks the service's event mapping what those domain events are told as (integration payloads of
`shared.events` and the topics of their tier), writes them to the outbox in the same transaction,
and commits once. An error rolls back the changes and their events together. A repository may
hand it the writes that nothing reads back (`uow.write_last`): they go in the same statement as
the events, so a call that changes one row costs a round trip less per write.

Nothing else writes to the outbox, so a change can never be stored without its events: routes,
consumers and workers open a unit of work, call a use case, and leave.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import Sessions, Write, together
from shared.events import Envelope, EventPayload
from shared.geography import RegionalNetwork
from shared.outbox import Outbox
from shared.topics import Topics


class Aggregate(Protocol):
    """Anything that records domain events for the unit of work to publish."""

    events: list[Any]


A = TypeVar("A", bound=Aggregate)


@dataclass(frozen=True)
class Message:
    """An integration event and the topics it goes to; `key` keeps one aggregate's in order."""

    payload: EventPayload
    key: str
    topics: Sequence[str]
    time: datetime | None = None


class EventMapping(Protocol):
    """A service's one translation of its domain events into messages (its `adapters.events`)."""

    def messages(self, aggregate: Any, events: Sequence[Any]) -> Iterable[Message]: ...


EventMappingFactory = Callable[[Topics, RegionalNetwork], EventMapping]


class UnitOfWork:
    """One transaction of a service; see the module's docstring."""

    session: AsyncSession

    def __init__(
        self,
        sessions: Sessions,
        *,
        network: RegionalNetwork,
        outbox: Outbox | None = None,
        mapping: EventMapping | None = None,
        source: str = "",
    ) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._mapping = mapping
        self._source = source
        self._tracked: dict[int, Aggregate] = {}
        self._deferred: list[Write] = []
        self.network = network

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        await self.session.begin()
        self._tracked, self._deferred = {}, []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                await self._finish()
                await self.session.commit()
            else:
                await self.session.rollback()
        finally:
            await self.session.close()
            self._tracked, self._deferred = {}, []

    async def abandon(self) -> None:
        """Undo everything so far, events included, and go on in a new transaction: a page that
        shows a refused write beside its form still reads, but keeps nothing of the write."""
        await self.session.rollback()
        self._tracked, self._deferred = {}, []
        await self.session.begin()

    def track(self, aggregate: A) -> A:
        """Remember an aggregate loaded or added in this unit of work; returns it."""
        self._tracked.setdefault(id(aggregate), aggregate)
        return aggregate

    def write_last(self, write: Write) -> None:
        """A write nothing in this unit of work reads back: made with the events, in the one
        statement that ends the unit of work, which saves a round trip to the server per write.
        Its errors (a constraint refused) show at the end too."""
        self._deferred.append(write)

    async def _finish(self) -> None:
        envelopes: list[tuple[Envelope[Any], Sequence[str]]] = []
        for aggregate in self._tracked.values():
            recorded, aggregate.events = list(aggregate.events), []
            if not recorded:
                continue
            if self._mapping is None or self._outbox is None:
                raise RuntimeError(f"{type(aggregate).__name__} recorded events nobody publishes")
            for message in self._mapping.messages(aggregate, recorded):
                envelope = Envelope(message.payload, message.key, self._source)
                if message.time is not None:
                    envelope = replace(envelope, time=message.time)
                envelopes.append((envelope, message.topics))
        if envelopes:
            assert self._outbox is not None
            await self._outbox.write(self.session, envelopes, self._deferred)
        elif self._deferred:
            await self.session.execute(together(self._deferred))
