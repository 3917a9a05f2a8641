"""Queries of the notifications schema: the feed, the events, the read models and the alerts.

The repositories work on a unit of work's session. Nothing this service stores records domain
events (it publishes none), so they track nothing; `FeedReader` reads the feed from any session,
as a live stream does between its units of work.

The feed is read live by id ("everything after the last id I saw"), so its ids must become
visible in increasing order. A sequence alone does not promise that: two transactions may take
ids 10 and 11 and commit 11 first, and a reader who saw 11 would never look back for 10. Every
transaction that adds notifications therefore takes one transaction-scoped advisory lock first
and keeps it until it commits, so ids are taken and committed one transaction at a time. Adding
notifications is a few small inserts, so the serialisation costs little; readers never wait.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.notifications.adapters.tables import (
    AlertRow,
    CoalitionViewRow,
    DeliveryRow,
    EventRow,
    LedgerFactRow,
    NotificationRow,
    RequestViewRow,
    SourceViewRow,
    StandingProposalRow,
    SubscriptionRow,
)
from services.notifications.domain.alerts import Alert
from services.notifications.domain.charts import History
from services.notifications.domain.model import (
    AlertKind,
    Notice,
    NoticeFilter,
    RequestView,
    Severity,
)
from services.notifications.domain.notices import RequestFacts, supports
from services.notifications.domain.policy import Scope
from shared.events import Envelope
from shared.events import inventory as inv
from shared.events import matching as mat
from shared.events import requests as req
from shared.unit_of_work import UnitOfWork
from shared.values import attributes, field_names

FEED_LOCK = zlib.crc32(b"notifications:feed")
ALERT_LOCK = zlib.crc32(b"notifications:alerts")
FEED_CHANNEL = "notifications_feed"
DELIVERY_CHANNEL = "notifications_deliveries"


@dataclass(frozen=True)
class FeedFilter:
    """What a feed query or stream asks for, within the caller's scope."""

    audience: str | None = None
    region: str | None = None
    state: str | None = None
    kind: str | None = None
    min_severity: Severity = Severity.INFO
    since: datetime | None = None
    request_id: UUID | None = None


def _feed_conditions(scope: Scope, where: FeedFilter) -> list[Any]:
    n = NotificationRow
    conditions: list[Any] = []
    if scope.audiences is not None:
        conditions.append(col(n.audience).in_(scope.audiences))
    for column, value in (
        (n.audience, where.audience),
        (n.region, where.region),
        (n.state, where.state),
        (n.kind, where.kind),
        (n.request_id, where.request_id),
    ):
        if value is not None:
            conditions.append(col(column) == value)
    if where.min_severity is not Severity.INFO:
        conditions.append(col(n.severity).in_(where.min_severity.at_least()))
    if where.since is not None:
        conditions.append(col(n.occurred_at) >= where.since)
    return conditions


class FeedRepository:
    """Stores notifications (in commit order, see above) and queues their webhooks."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    async def add(
        self, notices: Sequence[Notice], event_id: UUID, occurred_at: datetime
    ) -> list[int]:
        """Store the notices of one event and queue their webhooks."""
        if not notices:
            return []
        await self.session.execute(select(func.pg_advisory_xact_lock(FEED_LOCK)))
        rows = [
            {
                "event_id": event_id,
                "kind": n.kind,
                "audience": n.audience,
                "severity": n.severity.value,
                "summary": n.summary[:1000],
                "subject": n.subject[:200],
                "state": n.state,
                "region": n.region,
                "request_id": n.request_id,
                "occurred_at": occurred_at,
            }
            for n in notices
        ]
        inserted = await self.session.execute(
            insert(NotificationRow)
            .values(rows)
            .returning(col(NotificationRow.id), col(NotificationRow.audience))
        )
        ids = {row.audience: row.id for row in inserted.all() if row.id is not None}
        await self._queue_deliveries([(ids[n.audience], n) for n in notices])
        await self.session.execute(select(func.pg_notify(FEED_CHANNEL, "")))
        return sorted(ids.values())

    async def _queue_deliveries(self, added: list[tuple[int, Notice]]) -> None:
        audiences = {notice.audience for _, notice in added}
        subscriptions = (
            await self.session.scalars(
                select(SubscriptionRow).where(col(SubscriptionRow.audience).in_(audiences))
            )
        ).all()
        now = datetime.now(UTC)
        deliveries = [
            {
                "id": uuid4(),
                "subscription_id": s.id,
                "notification_id": notification_id,
                "status": "pending" if s.status == "active" else "paused",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for s in subscriptions
            for notification_id, notice in added
            if s.audience == notice.audience and subscription_filter(s).accepts(notice)
        ]
        if deliveries:
            await self.session.execute(insert(DeliveryRow).values(deliveries))
            await self.session.execute(select(func.pg_notify(DELIVERY_CHANNEL, "")))


class FeedReader:
    """Pages and live reads of the feed, within a caller's scope."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def newest(
        self, scope: Scope, where: FeedFilter, limit: int, before: int | None
    ) -> list[NotificationRow]:
        """Newest first, older than `before` when given: the feed's pages."""
        query = select(NotificationRow).where(*_feed_conditions(scope, where))
        if before is not None:
            query = query.where(col(NotificationRow.id) < before)
        query = query.order_by(col(NotificationRow.id).desc()).limit(limit)
        return list((await self.session.scalars(query)).all())

    async def after(
        self, scope: Scope, where: FeedFilter, after: int, limit: int
    ) -> list[NotificationRow]:
        """Oldest first, newer than `after`: what a live stream sends next."""
        query = (
            select(NotificationRow)
            .where(*_feed_conditions(scope, where), col(NotificationRow.id) > after)
            .order_by(col(NotificationRow.id))
            .limit(limit)
        )
        return list((await self.session.scalars(query)).all())

    async def visible(self, scope: Scope, notification_id: int) -> bool:
        query = select(func.count()).where(
            *_feed_conditions(scope, FeedFilter()), col(NotificationRow.id) == notification_id
        )
        return bool(await self.session.scalar(query))

    async def last_id(self) -> int:
        last = await self.session.scalar(select(func.max(NotificationRow.id)))
        return int(last or 0)


def subscription_filter(subscription: SubscriptionRow) -> NoticeFilter:
    return NoticeFilter(
        kinds=frozenset(subscription.kinds),
        regions=frozenset(subscription.regions),
        min_severity=Severity(subscription.min_severity),
    )


def encode_cursor(notification_id: int) -> str:
    return base64.urlsafe_b64encode(f"n{notification_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """Raises ValueError for a cursor this service did not make."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError("invalid cursor") from error
    if not raw.startswith("n") or not raw[1:].isdigit():
        raise ValueError("invalid cursor")
    return int(raw[1:])


class EventRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    async def add(self, envelope: Envelope[Any], request_id: UUID | None) -> None:
        await self.session.execute(
            insert(EventRow)
            .values(
                event_id=envelope.id,
                type=envelope.type,
                source=envelope.source,
                subject=envelope.key[:200],
                request_id=request_id,
                occurred_at=envelope.time,
                data=envelope.payload.model_dump(mode="json"),
            )
            .on_conflict_do_nothing()
        )

    async def histories(self, types: Sequence[str]) -> dict[UUID, History]:
        """For each request, when events of `types` first and last happened to it."""
        e = EventRow
        query = (
            select(col(e.request_id), col(e.type), func.min(e.occurred_at), func.max(e.occurred_at))
            .where(col(e.type).in_(types), col(e.request_id).is_not(None))
            .group_by(col(e.request_id), col(e.type))
        )
        times: dict[UUID | None, tuple[dict[str, datetime], dict[str, datetime]]] = {}
        for request_id, kind, first, last in (await self.session.execute(query)).all():
            firsts, lasts = times.setdefault(request_id, ({}, {}))
            firsts[kind], lasts[kind] = first, last
        return {request_id: History(*both) for request_id, both in times.items() if request_id}

    async def journey(self, request_id: UUID) -> list[EventRow]:
        query = (
            select(EventRow)
            .where(col(EventRow.request_id) == request_id)
            .order_by(col(EventRow.occurred_at), col(EventRow.event_id))
        )
        return list((await self.session.scalars(query)).all())


class ViewRepository:
    """The read models of requests and sources, each row kept at the newest version seen."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    async def record_request(self, event: req.RequestEvent, at: datetime) -> None:
        r = event.request
        values: dict[str, Any] = {
            "request_id": r.request_id,
            "state": r.state,
            "region": r.regional_centre,
            "status": r.status,
            "version": r.version,
            "convention": r.convention,
            "areas": list(r.areas),
            "title": r.title,
            "deadline": r.deadline,
            "amount": r.amount.value if r.amount else None,
            "currency": r.amount.currency if r.amount else None,
            "updated_at": at,
        }
        if isinstance(event, req.RequestSubmitted):
            values["submitted_at"] = at
        if isinstance(event, req.RequestPublished):
            values["published_at"] = at
        t = RequestViewRow.__table__  # type: ignore[attr-defined]
        statement = insert(t).values(values)
        changes: dict[str, Any] = {k: statement.excluded[k] for k in values if k != "request_id"}
        if "submitted_at" in values:  # a resubmission keeps the first submission's time
            changes["submitted_at"] = func.coalesce(t.c.submitted_at, changes["submitted_at"])
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["request_id"],
                set_=changes,
                where=t.c.version < statement.excluded.version,
            )
        )

    async def record_source(self, source: inv.SourceDetails) -> None:
        t = SourceViewRow.__table__  # type: ignore[attr-defined]
        values: dict[str, Any] = {
            "source_id": source.source_id,
            "version": source.version,
            "name": source.name,
            "donor": source.donor,
            "kind": source.kind.value,
            "home_country": source.home_country,
            "status": source.status.value,
            "supports": [s.model_dump(mode="json") for s in source.supports],
            "assistance_types": list(source.assistance_types),
            "windows": [w.model_dump(mode="json") for w in source.windows],
        }
        statement = insert(t).values(values)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["source_id"],
                set_={k: statement.excluded[k] for k in values if k != "source_id"},
                where=t.c.version < statement.excluded.version,
            )
        )

    async def record_ledger_entry(self, entry: inv.LedgerEntryRecorded) -> None:
        """Entries never change, so one seen again is left as it is."""
        row = {
            "entry_id": entry.entry_id,
            "source_id": entry.source_id,
            "request_id": entry.request_id,
            "kind": entry.kind,
            "amount": entry.amount,
            "currency": entry.currency,
            "unit": entry.unit,
            "day": entry.date,
        }
        await self.session.execute(insert(LedgerFactRow).values(row).on_conflict_do_nothing())

    async def record_match(self, event: mat.MatchEvent) -> None:
        """A proposal starts standing when proposed and stops at its first answer or withdrawal
        (an expiry is told as a withdrawal); a match's events come in order, keyed by request."""
        t = StandingProposalRow.__table__  # type: ignore[attr-defined]
        m = event.match
        if isinstance(event, mat.MatchProposed):
            row = {"match_id": m.match_id, "request_id": m.request_id}
            await self.session.execute(insert(t).values(row).on_conflict_do_nothing())
        else:
            await self.session.execute(delete(t).where(t.c.match_id == m.match_id))

    async def request_facts(self, request_id: UUID) -> RequestFacts | None:
        row = await self.session.get(RequestViewRow, request_id)
        return (
            None if row is None else RequestFacts(row.request_id, row.state, row.region, row.title)
        )

    async def source(self, source_id: UUID) -> SourceViewRow | None:
        return await self.session.get(SourceViewRow, source_id)

    async def record_coalition(self, coalition: mat.Coalition) -> None:
        t = CoalitionViewRow.__table__  # type: ignore[attr-defined]
        values: dict[str, Any] = {
            "coalition_id": coalition.coalition_id,
            "version": coalition.version,
            "state": coalition.state,
            "convention": coalition.convention,
            "areas": list(coalition.areas),
            "status": coalition.status,
            "members": [m.party for m in coalition.members],
        }
        statement = insert(t).values(values)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["coalition_id"],
                set_={k: statement.excluded[k] for k in values if k != "coalition_id"},
                where=t.c.version < statement.excluded.version,
            )
        )

    async def coalition_members(
        self, state: str, convention: str, areas: list[str]
    ) -> frozenset[str]:
        """The members of the state's open coalitions under the convention that share an area
        with `areas` (a coalition naming no areas shares them all)."""
        c = CoalitionViewRow
        rows = await self.session.execute(
            select(col(c.areas), col(c.members)).where(
                col(c.state) == state, col(c.convention) == convention, col(c.status) != "closed"
            )
        )
        return frozenset(
            member
            for around, members in rows
            if not around or set(around) & set(areas)
            for member in members
        )

    async def donors_supporting(self, convention: str, areas: list[str]) -> frozenset[str]:
        """The donors with an active source that supports the convention and one of the areas."""
        s = SourceViewRow
        rows = await self.session.execute(
            select(col(s.donor), col(s.supports)).where(
                col(s.donor).is_not(None),
                col(s.status) == "active",
                col(s.supports).contains([{"convention": convention}]),
            )
        )
        return frozenset(d for d, found in rows if supports(found, convention, areas))

    async def requests(self, states: frozenset[str] | None = None) -> list[RequestView]:
        """The requests (of `states`), each with how many proposals stand for it."""
        p = StandingProposalRow
        standing = (
            select(col(p.request_id), func.count().label("n")).group_by(col(p.request_id))
        ).subquery()
        query = select(RequestViewRow, func.coalesce(standing.c.n, 0)).outerjoin(
            standing, standing.c.request_id == col(RequestViewRow.request_id)
        )
        if states is not None:
            query = query.where(col(RequestViewRow.state).in_(states))
        return [_view(row, n) for row, n in (await self.session.execute(query)).all()]


def _view(row: RequestViewRow, proposals: int) -> RequestView:
    values = attributes(row, field_names(RequestView), areas=tuple(row.areas))
    return RequestView(**{**values, "proposals": proposals})


class AlertRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    async def lock(self) -> None:
        """Take turns with other sweeps until this unit of work ends."""
        await self.session.execute(select(func.pg_advisory_xact_lock(ALERT_LOCK)))

    async def standing(self, states: frozenset[str] | None = None) -> list[AlertRow]:
        query = select(AlertRow).where(col(AlertRow.cleared_at).is_(None))
        if states is not None:
            query = query.where(col(AlertRow.state).in_(states))
        query = query.order_by(col(AlertRow.raised_at).desc(), col(AlertRow.id))
        return list((await self.session.scalars(query)).all())

    async def raise_(self, alert: Alert, now: datetime) -> UUID:
        alert_id = uuid4()
        self.session.add(
            AlertRow(
                id=alert_id,
                kind=alert.kind.value,
                subject=alert.subject,
                severity=alert.severity.value,
                summary=alert.summary,
                state=alert.state,
                region=alert.region,
                request_id=alert.request_id,
                raised_at=now,
            )
        )
        await self.session.flush()
        return alert_id

    async def standing_alerts(self) -> dict[tuple[str, str], tuple[UUID, Alert]]:
        """Every standing alert by (kind, subject), with its id."""
        return {(row.kind, row.subject): (row.id, _alert(row)) for row in await self.standing()}

    async def clear(self, alert_id: UUID, now: datetime) -> None:
        await self.session.execute(
            update(AlertRow).where(col(AlertRow.id) == alert_id).values(cleared_at=now)
        )


def _alert(row: AlertRow) -> Alert:
    return Alert(
        AlertKind(row.kind),
        row.summary,
        row.subject,
        row.state,
        row.region,
        row.request_id,
        severity=Severity(row.severity),
    )
