"""A source of assistance and what is recorded against its funding windows. No I/O: methods check
the rules, change the source and record domain events; the unit of work stores the source and
publishes the events.

    active ⇄ paused           pause, resume
    active, paused ─close─▶ closed (final)

Each window keeps running totals of what was pledged, committed, reserved (held for accepted
matches) and disbursed. What it still has available is its capacity less what is committed and
reserved, which never goes below zero; what is disbursed for a request never exceeds what is
committed for it. Pledges announce intent and limit nothing.

New pledges, commitments and reservations need an active source. A paused or closed source still
honours what it committed: disbursements, conversions of reservations and corrections go on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

from services.inventory.domain.ledger import (
    ZERO,
    Acceptance,
    Act,
    Balance,
    Correction,
    EntryKind,
    LedgerEntry,
    Original,
    Refusal,
    Reservation,
    ReservationStatus,
)
from shared.eligibility import Eligibility, is_eligible
from shared.errors import Conflict, DomainError, Invalid
from shared.events.inventory import ReservationFailure, SourceKind, SourceStatus, WindowKind
from shared.geography import RegionalNetwork
from shared.taxonomy import MAX_QUANTITY
from shared.values import Contact, Money, Quantity

STATE_RULES = frozenset(
    {
        "source-closed",
        "source-not-active",
        "not-active",
        "not-paused",
        "window-in-use",
        "capacity-below-use",
        "capacity-exceeded",
        "exceeds-commitment",
        "below-disbursed",
        "correction-below-zero",
        "not-held",
    }
)
"""Rules that the source's status or its ledger stand behind (409); the others judge the input
(422)."""


class SourceConflict(Conflict):
    """The source's status or its ledger does not allow this now."""


class InvalidTerms(Invalid):
    """The terms, amounts or dates given break a rule; `field` names the input at fault."""


def refusal(rule: str, message: str, field: str | None = None) -> DomainError:
    """The typed error of a broken rule: a conflict or invalid input, by the rule's nature."""
    kind = SourceConflict if rule in STATE_RULES else InvalidTerms
    return kind(message, rule=rule, field=field)


@dataclass(frozen=True)
class Support:
    """A convention the source supports, and which of its areas (every area when empty)."""

    convention: str
    areas: tuple[str, ...] = ()


@dataclass(frozen=True)
class Requirements:
    """Conditions of access: the first two can be checked by a search, the rest is for reading."""

    cofinancing_percent: Decimal | None = None
    proposal_languages: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    notes: str | None = None


@dataclass(frozen=True)
class Profile:
    """What an editor states about a source: everything but its windows and its status."""

    kind: SourceKind
    name: str
    description: str
    donor: str | None
    home_country: str | None
    supports: tuple[Support, ...]
    assistance_types: tuple[str, ...]
    eligibility: Eligibility
    regional_focus: tuple[str, ...]
    min_grant: Decimal | None
    max_grant: Decimal | None
    requirements: Requirements
    contact: Contact


@dataclass(frozen=True)
class WindowTerms:
    """What an editor states about a window; `id` names an existing window, None a new one.
    Money in a `currency`, or help in kind counted in a `unit` of the taxonomy: one of the two."""

    opens: date
    closes: date
    currency: str | None
    capacity: Decimal
    id: UUID | None = None
    unit: str | None = None
    kind: WindowKind | None = None  # None: as the currency or the unit says

    @property
    def implied_kind(self) -> WindowKind:
        return WindowKind.MONEY if self.unit is None else WindowKind.IN_KIND


@dataclass
class Window:
    """A window of money (`currency`) or of help in kind (`unit`). Its capacity and running
    totals are counted in that currency or unit alone: they are never added to another's."""

    id: UUID
    opens: date
    closes: date
    currency: str | None
    capacity: Decimal
    pledged: Decimal = ZERO
    committed: Decimal = ZERO
    reserved: Decimal = ZERO
    disbursed: Decimal = ZERO
    in_use: bool = False  # ledger entries or reservations refer to it: it stays
    unit: str | None = None

    @property
    def kind(self) -> WindowKind:
        return WindowKind.MONEY if self.unit is None else WindowKind.IN_KIND

    @property
    def measure(self) -> str:
        """What its figures are counted in: its currency, or its unit."""
        return self.unit or self.currency or ""

    @property
    def available(self) -> Decimal:
        return self.capacity - self.committed - self.reserved

    def is_open(self, day: date) -> bool:
        return self.opens <= day <= self.closes


@dataclass(frozen=True)
class Edited:
    """Domain event: the source's profile, windows or status changed (a new version)."""

    change: str
    actor: str
    at: datetime
    focus_before: tuple[str, ...]


@dataclass(frozen=True)
class EntryRecorded:
    entry: LedgerEntry


@dataclass(frozen=True)
class ReservationMade:
    """A match was answered: held on a window, or failed."""

    reservation: Reservation


@dataclass(frozen=True)
class ReservationSettled:
    """A held reservation was converted into a commitment or released."""

    reservation: Reservation
    actor: str


DomainEvent = Edited | EntryRecorded | ReservationMade | ReservationSettled


@dataclass
class UnknownSourceAnswer:
    """The answer to an accepted match about a source the inventory does not have: refused,
    recorded and told like any other answer, though no source records it."""

    reservation: Reservation
    events: list[DomainEvent] = field(default_factory=list)

    @classmethod
    def of(cls, refused: Reservation) -> UnknownSourceAnswer:
        return cls(refused, [ReservationMade(refused)])


@dataclass
class Source:
    profile: Profile
    windows: list[Window]
    id: UUID = field(default_factory=uuid4)
    status: SourceStatus = SourceStatus.ACTIVE
    version: int = 1
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    events: list[DomainEvent] = field(default_factory=list)

    @classmethod
    def register(
        cls, profile: Profile, windows: Sequence[WindowTerms], actor: str, now: datetime
    ) -> Source:
        source = cls(profile=profile, windows=[], created_at=now, updated_at=now)
        source._set_terms(profile, windows)
        source.events.append(Edited("registered", actor, now, ()))
        return source

    def update(
        self, profile: Profile, windows: Sequence[WindowTerms], actor: str, now: datetime
    ) -> None:
        _require(self.status is not SourceStatus.CLOSED, "source-closed", "the source is closed")
        focus_before = self.profile.regional_focus
        self._set_terms(profile, windows)
        self._edited("updated", actor, now, focus_before)

    def pause(self, actor: str, now: datetime) -> None:
        self._move(SourceStatus.ACTIVE, SourceStatus.PAUSED, "paused", actor, now)

    def resume(self, actor: str, now: datetime) -> None:
        self._move(SourceStatus.PAUSED, SourceStatus.ACTIVE, "resumed", actor, now)

    def close(self, actor: str, now: datetime) -> None:
        _require(
            self.status is not SourceStatus.CLOSED, "source-closed", "the source is already closed"
        )
        self.status = SourceStatus.CLOSED
        self._edited("closed", actor, now, self.profile.regional_focus)

    def window(self, window_id: UUID | None) -> Window:
        found = next((w for w in self.windows if w.id == window_id), None)
        if found is None:
            raise refusal("unknown-window", f"the source has no window {window_id}", "window_id")
        return found

    def record(self, act: Act, balance: Balance, actor: str, now: datetime) -> LedgerEntry:
        """Enter a pledge, commitment or disbursement; `balance` is the window's for the request."""
        window = self.window(act.window_id)
        _require_measure(window, act.amount)
        _require_past(act.date, now)
        if act.kind is not EntryKind.DISBURSED:
            self._require_active()
        if act.kind is EntryKind.COMMITTED:
            self._check_commitment(window, act)
        _require_room(act.kind, window, balance, act.amount)
        entry = LedgerEntry(
            act.kind,
            self.id,
            window.id,
            act.request_id,
            act.amount.value,
            window.currency,
            act.date,
            actor,
            now,
            unit=window.unit,
            note=act.note,
            reference=act.reference,
        )
        self._enter(window, entry)
        return entry

    def _check_commitment(self, window: Window, act: Act) -> None:
        """Dated within its window; to a request, a grant within the source's limits."""
        _require(
            window.is_open(act.date),
            "outside-window",
            f"a commitment from this window is dated {window.opens} to {window.closes}",
            "date",
        )
        if act.request_id is not None and isinstance(act.amount, Money):  # limits are money
            self._require_grant_limits(act.amount.value)

    def correct(
        self, original: Original, correction: Correction, actor: str, now: datetime
    ) -> LedgerEntry:
        """Enter the difference a correction makes to an entry, as an entry of its own."""
        entry = original.entry
        _require(
            entry.corrects is None,
            "not-an-original",
            f"entry {entry.id} is itself a correction; correct the entry {entry.corrects}",
        )
        window = self.window(entry.window_id)
        _require_measure(window, correction.delta)
        _require_past(correction.date, now)
        _require(
            correction.date >= entry.date,
            "before-original",
            f"a correction cannot precede its entry of {entry.date}",
            "date",
        )
        _require(
            original.standing + correction.delta.value >= 0,
            "correction-below-zero",
            f"the entry stands at {original.standing}; it cannot go below zero",
            "amount",
        )
        _require_room(entry.kind, window, original.balance, correction.delta)
        entry = replace(
            entry,
            id=uuid4(),
            amount=correction.delta.value,
            date=correction.date,
            actor=actor,
            recorded_at=now,
            note=correction.reason,
            corrects=entry.id,
            reservation_id=None,
            reference=None,
        )
        self._enter(window, entry)
        return entry

    def reserve(
        self,
        acceptance: Acceptance,
        today: date,
        network: RegionalNetwork,
        now: datetime,
        granted: Decimal = Decimal(0),
    ) -> Reservation:
        """Answer an accepted match: hold its amount on a window, or say why not. `granted` is
        what the source holds or has committed for the request already: the maximum grant is
        per request, whatever the number of matches."""
        try:
            window: Window | None = self._window_for(acceptance, today, network, granted)
            refusal = None
        except Refusal as error:
            window, refusal = None, error
        reservation = Reservation.answer(
            acceptance, now, window_id=window.id if window else None, refusal=refusal
        )
        if window is not None:
            window.reserved += acceptance.amount
            window.in_use = True
        self.events.append(ReservationMade(reservation))
        return reservation

    def convert(
        self, reservation: Reservation, day: date, note: str | None, actor: str, now: datetime
    ) -> LedgerEntry:
        """Turn a held reservation into a commitment for its request."""
        window = self._settle(reservation, ReservationStatus.CONVERTED, actor, now)
        _require_past(day, now)
        entry = LedgerEntry(
            EntryKind.COMMITTED,
            self.id,
            window.id,
            reservation.request_id,
            reservation.amount,
            window.currency,
            day,
            actor,
            now,
            unit=window.unit,
            note=note,
            reservation_id=reservation.id,
        )
        self._enter(window, entry)
        return entry

    def release(self, reservation: Reservation, actor: str, now: datetime) -> None:
        """Give a held reservation's amount back to its window."""
        self._settle(reservation, ReservationStatus.RELEASED, actor, now)

    def _settle(
        self, reservation: Reservation, status: ReservationStatus, actor: str, now: datetime
    ) -> Window:
        _require(
            reservation.status is ReservationStatus.HELD,
            "not-held",
            f"the reservation is {reservation.status}",
        )
        window = self.window(reservation.window_id)
        window.reserved -= reservation.amount
        reservation.status = status
        reservation.updated_at = now
        self.events.append(ReservationSettled(reservation, actor))
        return window

    def _window_for(
        self, acceptance: Acceptance, today: date, network: RegionalNetwork, granted: Decimal
    ) -> Window:
        if self.status is not SourceStatus.ACTIVE:
            raise Refusal(ReservationFailure.SOURCE_INACTIVE, f"the source is {self.status}")
        if (acceptance.currency is None) == (acceptance.unit is None):
            raise Refusal(
                ReservationFailure.CURRENCY_MISMATCH, "the match names no currency, or no unit"
            )
        if not is_eligible(self.profile.eligibility, acceptance.state, network):
            raise Refusal(
                ReservationFailure.NOT_ELIGIBLE, f"{acceptance.state} is not eligible for it"
            )
        self._refuse_invalid_amount(acceptance.amount)
        if acceptance.unit is None:  # grant limits are money: help in kind has none
            self._refuse_outside_grant_limits(acceptance.amount)
            self._refuse_above_maximum(acceptance.amount, granted)
        if acceptance.window_id is not None:
            return self._named_window(acceptance, today)
        return self._open_window(acceptance, today)

    def _refuse_invalid_amount(self, amount: Decimal) -> None:
        exponent = amount.as_tuple().exponent
        if amount <= 0 or not isinstance(exponent, int) or exponent < -2:
            raise Refusal(ReservationFailure.INVALID_AMOUNT, f"{amount} is not an amount to hold")

    def _refuse_outside_grant_limits(self, amount: Decimal) -> None:
        try:
            self._require_grant_limits(amount)
        except (SourceConflict, InvalidTerms) as violation:
            raise Refusal(ReservationFailure.INVALID_AMOUNT, str(violation)) from violation

    def _refuse_above_maximum(self, amount: Decimal, granted: Decimal) -> None:
        high = self.profile.max_grant
        if high is not None and granted + amount > high:
            raise Refusal(
                ReservationFailure.ABOVE_MAXIMUM_GRANT,
                f"the request has {granted} from this source already; {amount} more would pass "
                f"its maximum grant of {high}",
            )

    def _named_window(self, acceptance: Acceptance, today: date) -> Window:
        window = next((w for w in self.windows if w.id == acceptance.window_id), None)
        if window is None:
            raise Refusal(
                ReservationFailure.UNKNOWN_SOURCE,
                f"the source has no window {acceptance.window_id}",
            )
        if (window.currency, window.unit) != acceptance.measure:
            raise Refusal(
                ReservationFailure.CURRENCY_MISMATCH,
                f"the window is in {window.measure}, the match in "
                f"{acceptance.currency or acceptance.unit}",
            )
        if window.closes < today:
            raise Refusal(ReservationFailure.WINDOW_CLOSED, f"the window closed on {window.closes}")
        if window.available < acceptance.amount:
            raise Refusal(
                ReservationFailure.CAPACITY_GONE, f"the window has {window.available} available"
            )
        return window

    def _open_window(self, acceptance: Acceptance, today: date) -> Window:
        """The window open today, in the match's currency or unit, with room, that closes
        first."""
        candidates = [w for w in self.windows if (w.currency, w.unit) == acceptance.measure]
        if not candidates:
            raise Refusal(
                ReservationFailure.CURRENCY_MISMATCH,
                f"no window in {acceptance.currency or acceptance.unit}",
            )
        candidates = [w for w in candidates if w.is_open(today)]
        if not candidates:
            raise Refusal(ReservationFailure.WINDOW_CLOSED, f"no window open on {today}")
        candidates = [w for w in candidates if w.available >= acceptance.amount]
        if not candidates:
            raise Refusal(
                ReservationFailure.CAPACITY_GONE, f"no open window has {acceptance.amount} left"
            )
        return min(candidates, key=lambda w: (w.closes, str(w.id)))

    def _enter(self, window: Window, entry: LedgerEntry) -> None:
        name = entry.kind.value  # the window's running total of that kind
        setattr(window, name, getattr(window, name) + entry.amount)
        window.in_use = True
        self.events.append(EntryRecorded(entry))

    def _require_active(self) -> None:
        _require(
            self.status is SourceStatus.ACTIVE,
            "source-not-active",
            f"the source is {self.status}: it takes no new pledges, commitments or reservations",
        )

    def _require_grant_limits(self, amount: Decimal) -> None:
        low, high = self.profile.min_grant, self.profile.max_grant
        _require(
            (low is None or amount >= low) and (high is None or amount <= high),
            "outside-grant-limits",
            f"a grant from this source is between {low or 0} and {high or 'any amount'}",
            "amount",
        )

    def _set_terms(self, profile: Profile, terms: Sequence[WindowTerms]) -> None:
        windows = _merged_windows(self.windows, terms)
        _check_grant_limits(profile, windows)
        self.windows, self.profile = windows, profile

    def _move(
        self, before: SourceStatus, after: SourceStatus, change: str, actor: str, now: datetime
    ) -> None:
        _require(
            self.status is before, f"not-{before}", f"a {self.status} source cannot be {change}"
        )
        self.status = after
        self._edited(change, actor, now, self.profile.regional_focus)

    def _edited(
        self, change: str, actor: str, now: datetime, focus_before: tuple[str, ...]
    ) -> None:
        self.version += 1
        self.updated_at = now
        self.events.append(Edited(change, actor, now, focus_before))


def _merged_windows(current: list[Window], terms: Sequence[WindowTerms]) -> list[Window]:
    """The windows `terms` describe, keeping what the ledger holds on the existing ones."""
    by_id = {w.id: w for w in current}
    named = [t.id for t in terms if t.id is not None]
    _require(len(named) == len(set(named)), "duplicate-window", "a window is listed twice")
    unknown = [str(i) for i in named if i not in by_id]
    _require(not unknown, "unknown-window", f"no window {', '.join(unknown)}", "windows")
    dropped = [str(w.id) for w in current if w.in_use and w.id not in named]
    _require(
        not dropped,
        "window-in-use",
        f"window {', '.join(dropped)} has ledger entries or reservations and stays",
        "windows",
    )
    merged = []
    for index, t in enumerate(terms):
        _require(
            t.closes >= t.opens,
            "window-closes-before-opens",
            f"window {index} closes on {t.closes}, before it opens on {t.opens}",
            f"windows.{index}.closes",
        )
        _check_measure(t, index)
        if t.id is None:
            merged.append(Window(uuid4(), t.opens, t.closes, t.currency, t.capacity, unit=t.unit))
        else:
            merged.append(_amended(by_id[t.id], t, index))
    return merged


def _check_measure(terms: WindowTerms, index: int) -> None:
    """Money in a currency or help in kind in a unit, never both in one window nor neither; a
    quantity in kind below the taxonomy's maximum."""
    field = f"windows.{index}.{'currency' if terms.unit is not None else 'unit'}"
    _require(
        (terms.currency is None) != (terms.unit is None),
        "window-kind",
        f"window {index} offers money (a currency) or help in kind (a unit): one of the two; "
        "offer both with a window each",
        field,
    )
    _require(
        terms.kind in (None, terms.implied_kind),
        "window-kind",
        f"window {index} is {terms.kind} but gives a {'unit' if terms.unit else 'currency'}",
        f"windows.{index}.kind",
    )
    _require(
        terms.unit is None or terms.capacity <= MAX_QUANTITY,
        "quantity-too-large",
        f"window {index} offers {terms.capacity} {terms.unit}; at most {MAX_QUANTITY:,}",
        f"windows.{index}.capacity",
    )


def _amended(window: Window, terms: WindowTerms, index: int) -> Window:
    _require(
        not window.in_use or (terms.currency, terms.unit) == (window.currency, window.unit),
        "window-in-use",
        f"window {window.id} has ledger entries or reservations in {window.measure}; "
        "what it offers stays",
        f"windows.{index}.{'unit' if window.unit else 'currency'}",
    )
    _require(
        terms.capacity >= window.committed + window.reserved,
        "capacity-below-use",
        f"window {window.id} has {window.committed + window.reserved} committed or reserved",
        f"windows.{index}.capacity",
    )
    return replace(
        window,
        opens=terms.opens,
        closes=terms.closes,
        currency=terms.currency,
        unit=terms.unit,
        capacity=terms.capacity,
    )


def _check_grant_limits(profile: Profile, windows: list[Window]) -> None:
    low, high = profile.min_grant, profile.max_grant
    _require(
        low is None or high is None or low <= high,
        "grant-limits",
        f"the minimum grant {low} is above the maximum {high}",
        "min_grant",
    )
    currencies = {w.currency for w in windows if w.kind is WindowKind.MONEY}
    _require(
        (low is None and high is None) or len(currencies) <= 1,
        "grant-limits-currency",
        "grant limits are in the money windows' currency: keep them in one currency",
        "windows",
    )


def _require_room(
    kind: EntryKind, window: Window, balance: Balance, measured: Money | Quantity
) -> None:
    """A commitment needs room in the window; a disbursement, an undisbursed commitment."""
    amount, field = measured.value, "quantity" if isinstance(measured, Quantity) else "amount"
    if kind is EntryKind.COMMITTED and amount > 0:
        _require(
            amount <= window.available,
            "capacity-exceeded",
            f"the window has {window.available} {window.measure} available",
            field,
        )
    if kind is EntryKind.COMMITTED and amount < 0:
        _require(
            balance.committed + amount >= balance.disbursed,
            "below-disbursed",
            f"{balance.disbursed} is already disbursed against this commitment",
            field,
        )
    if kind is EntryKind.DISBURSED and amount > 0:
        _require(
            balance.disbursed + amount <= balance.committed,
            "exceeds-commitment",
            f"{balance.committed - balance.disbursed} committed is not yet disbursed",
            field,
        )


def _require_measure(window: Window, amount: Money | Quantity) -> None:
    """An act counts in its window's currency, or, on a window of help in kind, in its unit:
    money is never recorded in kind, nor a quantity as money."""
    if isinstance(amount, Quantity):
        _require(
            window.kind is WindowKind.IN_KIND,
            "money-window",
            f"the window gives money in {window.currency}: record an amount, not {amount.unit}",
            "quantity",
        )
        _require(
            amount.unit == window.unit,
            "unit-mismatch",
            f"the window counts in {window.unit}, not {amount.unit}",
            "quantity.unit",
        )
        return
    _require(
        window.kind is WindowKind.MONEY,
        "in-kind-window",
        f"the window gives {window.unit} in kind: record a quantity of it, not money",
        "window_id",
    )
    _require(
        amount.currency == window.currency,
        "currency-mismatch",
        f"the window is in {window.currency}, not {amount.currency}",
        "currency",
    )


def _require_past(day: date, now: datetime) -> None:
    _require(day <= now.date(), "date-in-future", f"{day} has not come yet", "date")


def _require(condition: bool, rule: str, message: str, field: str | None = None) -> None:
    if not condition:
        raise refusal(rule, message, field)
