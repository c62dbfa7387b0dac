"""The published figures, each defined once: its key, a person's words for it and its SQL
aggregate over the issued recommendations `r` of the status view. The statistics
(projections/views/statistics.py), the statistics cells built ahead of time
(projections/views/statistics_cells.py), the API, the annual report pack and the web UI
all read these.

Rates are computed from the counts, never stored: acceptance = (accepted + partially
accepted) / those with a position; implementation = implemented / issued.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from domain.publication import PUBLISHABLE_FIELDS
from domain.values import ImplementationStatus, NonImplementationReason, Position


@dataclass(frozen=True)
class Figure:
    """One published figure: its key (the API's field), a person's words for it, and its
    SQL aggregate over the matching issued recommendations `r` of the status view.

    A days figure (kind "days", over the reply days of REPLY_DAYS) also has its
    `histogram` form: the same aggregate over a histogram `h` of those days (`h.v` a
    value, `h.n` how many had it, `h.cum` how many had it or less, `h.lo` and `h.hi` the
    ranks of the middle value or values), which is how the statistics cells keep them.
    tests/projections/test_statistics.py checks both forms against the events."""

    key: str
    label: str
    sql: str
    #: the fields it reads, by domain/publication.py's names: an outsider gets the figure
    #: only if every one of them is publishable
    reads: tuple[str, ...]
    kind: Literal["count", "days"] = "count"
    histogram: str | None = None


def _count_where(condition: str) -> str:
    return f"count(*) FILTER (WHERE {condition})"


REPLY_DAYS = "(r.first_response_on - r.issued_on)"
"""The days figures' value: days from issue to the first reply."""

_REPLY = ("issued_on", "reply_due", "first_response_on")


def replied_on_time(first_response_on: str | None, reply_due: str | None) -> bool:
    """The "replied_on_time" figure's rule for one recommendation, for the views that
    keep it as a counter (the scorecard): the same condition as its SQL below (a reply
    with no due date, as in a report not yet sent, is on time)."""
    return first_response_on is not None and (reply_due is None or first_response_on <= reply_due)


ACCEPTING = (Position.ACCEPTED.value, Position.PARTIALLY_ACCEPTED.value)
"""The positions the acceptance rate counts as accepting."""

FIGURES: tuple[Figure, ...] = (
    Figure("issued", "Issued", "count(*)", ("issued_on",)),
    Figure(
        "replied_on_time",
        "Replied on time",
        _count_where(
            "r.first_response_on IS NOT NULL"
            " AND (r.reply_due IS NULL OR r.first_response_on <= r.reply_due)"
        ),
        _REPLY,
    ),
    Figure(
        "replied_late", "Replied late", _count_where("r.first_response_on > r.reply_due"), _REPLY
    ),
    Figure("not_replied", "Not replied", _count_where("r.first_response_on IS NULL"), _REPLY),
    Figure(
        "average_reply_days",
        "Average days to reply",
        f"round(avg({REPLY_DAYS}), 1)::float8",
        _REPLY,
        "days",
        "round(sum(h.v * h.n)::numeric / nullif(sum(h.n), 0), 1)::float8",
    ),
    Figure(
        "median_reply_days",
        "Median days to reply",
        # the middle value, or the mean of the two middle values (percentile_cont's own
        # interpolation at 0.5)
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {REPLY_DAYS})",
        _REPLY,
        "days",
        "((min(h.v) FILTER (WHERE h.cum >= h.lo) + min(h.v) FILTER (WHERE h.cum >= h.hi))"
        " / 2.0)::float8",
    ),
    *(
        Figure(
            p.value,
            p.value.replace("_", " ").capitalize(),
            _count_where(f"r.position = '{p}'"),
            ("position",),
        )
        for p in Position
    ),
    *(
        Figure(
            s.value,
            s.value.replace("_", " ").capitalize(),
            _count_where(f"r.implementation = '{s}'"),
            ("implementation",),
        )
        for s in ImplementationStatus
    ),
    *(
        Figure(
            f"not_implemented_{reason.value}",
            f"Not implemented: {reason.value.replace('_', ' ')}",
            _count_where(
                f"r.implementation = 'not_implemented' AND r.non_implementation_reason = '{reason}'"
            ),
            ("implementation", "non_implementation_reason"),
        )
        for reason in NonImplementationReason
    ),
    Figure("verified", "Verified by the NPM", _count_where("r.verified"), ("verified",)),
    Figure(
        "repeated",
        "Repeating an earlier recommendation",
        _count_where("r.repeats_id IS NOT NULL"),
        ("repeats_id",),
    ),
)
"""Every figure, in the order of the tables. One definition each: the API, the annual
report pack, the scorecard and the web UI all read these."""

FIGURE_BY_KEY = {f.key: f for f in FIGURES}

PUBLISHED_FIGURES: tuple[Figure, ...] = tuple(
    f for f in FIGURES if set(f.reads) <= PUBLISHABLE_FIELDS
)
"""The figures an outsider (an authority's liaison) gets: those read from publishable
fields only. The follow-up actions and escalations (internal events) are not among them."""

RATES: dict[str, str] = {
    "acceptance_rate": "Acceptance rate (accepted or partially, of those with a position)",
    "implementation_rate": "Implementation rate (implemented, of issued)",
}


def rates(row: dict[str, Any]) -> dict[str, float | None]:
    """The rates of one row of figures, in per cent to one decimal (None: nothing to
    divide by)."""
    positioned = sum(row[p.value] for p in Position)
    accepted = sum(row[p] for p in ACCEPTING)
    return {
        "acceptance_rate": percent(accepted, positioned),
        "implementation_rate": percent(row[ImplementationStatus.IMPLEMENTED.value], row["issued"]),
    }


def percent(part: int, whole: int) -> float | None:
    """A rate in per cent to one decimal (None: nothing to divide by); every rate of
    the statistics and the scorecard."""
    return round(100.0 * part / whole, 1) if whole else None
