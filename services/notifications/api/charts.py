"""The operators' charts as the dashboard draws them: each a figure with a title, the series the
browser draws (Chart.js, vendored under `static/`, reading them from the canvas's `data-chart`)
and the same numbers in a table for screen readers, keyboards and anyone who would rather read.

The figures are computed in `domain.charts`; this module only names and formats them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from services.notifications.domain.charts import LEDGER_KINDS, Charts, Money, Waits
from services.notifications.domain.model import region_name
from shared.geography import RegionalNetwork
from shared.languages import Names

Number = Decimal | float | int


@dataclass(frozen=True)
class Row:
    """One line of a figure: what it is (`key`, for tests and scripts), its label, its values
    (one per series); `charted` False for lines the table alone shows (e.g. medians)."""

    key: str
    label: str
    values: tuple[Number | None, ...]
    currency: str | None = None
    charted: bool = True


@dataclass(frozen=True)
class Figure:
    id: str
    title: str
    heading: str
    series: tuple[str, ...]
    rows: list[Row]
    unit: str
    format: Callable[[Number | None], str]
    horizontal: bool = False
    note: str = ""

    def spec(self) -> dict[str, Any]:
        """What the browser draws: the charted rows, one dataset per series."""
        charted = [r for r in self.rows if r.charted]
        return {
            "horizontal": self.horizontal,
            "unit": self.unit,
            "whole": self.unit != "amount",  # counts and days: ticks on whole numbers
            "labels": [r.label for r in charted],
            "datasets": [
                {"label": name, "data": [float(r.values[i] or 0) for r in charted]}
                for i, name in enumerate(self.series)
            ],
        }

    def cells(self, row: Row) -> list[tuple[str, str]]:
        """The row's values as the table shows them, each with its series' name."""
        return [(s, self.format(v)) for s, v in zip(self.series, row.values, strict=True)]


def _money(value: Number | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def _days(value: Number | None) -> str:
    return "n/a" if value is None else f"{value:,.1f}"


def _count(value: Number | None) -> str:
    return "" if value is None else f"{value:,}"


MONEY_SERIES = ("need", *LEDGER_KINDS)


def _money_figure(
    id: str, title: str, heading: str, sums: Sequence[Money], label: Callable[[str], str]
) -> Figure:
    rows = [
        Row(
            m.key,
            f"{label(m.key)} ({m.currency})",
            (m.need, m.pledged, m.committed, m.disbursed),
            currency=m.currency,
        )
        for m in sums
    ]
    return Figure(
        id,
        title,
        heading,
        MONEY_SERIES,
        rows,
        "amount",
        note="Each currency apart; a request's ledger entries in its own currency.",
        format=_money,
    )


def _waits_figure(to_proposal: Waits, to_funding: Waits) -> Figure:
    spans = [
        Row(label.replace(" ", "-"), label, (count, to_funding.spans()[label]))
        for label, count in to_proposal.spans().items()
    ]
    extra = [
        Row("median", "median (days)", (to_proposal.median, to_funding.median), charted=False),
        Row("waiting", "still waiting", (to_proposal.waiting, to_funding.waiting), charted=False),
    ]
    return Figure(
        "chart-time-to-proposal",
        "Time from publication to the first proposal and to funding",
        "time taken",
        ("to first proposal", "to funding"),
        spans + extra,
        "requests",
        note="Requests counted by how long they took; the medians in days.",
        format=lambda v: _days(v) if isinstance(v, float) or v is None else _count(v),
    )


def figures(charts: Charts, names: Names, network: RegionalNetwork) -> list[Figure]:
    """The dashboard's charts, in the order it shows them."""
    return [
        _money_figure(
            "chart-need-by-region",
            "Need against pledged, committed and disbursed, by region",
            "region",
            charts.by_region,
            lambda region: region_name(region, network),
        ),
        _money_figure(
            "chart-need-by-convention",
            "Need against pledged, committed and disbursed, by convention",
            "convention",
            charts.by_convention,
            names.convention,
        ),
        _waits_figure(charts.to_proposal, charts.to_funding),
        Figure(
            "chart-unmatched-reasons",
            "Unmatched requests by reason",
            "reason",
            ("requests",),
            [Row(r.value, r.label, (n,)) for r, n in charts.unmatched.items()],
            "requests",
            horizontal=True,
            note="What last happened to each request with nothing proposed and no donor.",
            format=_count,
        ),
        Figure(
            "chart-waiting-longest",
            "States waiting longest",
            "state",
            ("days",),
            [Row(s, names.state(s) or s, (d,)) for s, d in charts.waiting],
            "days",
            horizontal=True,
            note="Days since the state's oldest open, unfunded request was submitted.",
            format=_count,
        ),
    ]
