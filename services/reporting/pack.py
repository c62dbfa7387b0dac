"""The annual report pack's content: its tables and charts for one year, read once from
the statistics (projections/views/statistics.py) so that the XLSX, HTML and PDF show the
same numbers as GET /stats/figures. Each format only lays this out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

import psycopg

from domain.publication import PUBLISHABLE_FIELDS
from domain.values import FollowUpKind, NonImplementationReason
from projections.views.figures import FIGURE_BY_KEY, FIGURES, PUBLISHED_FIGURES, RATES
from projections.views.statistics import BREAKDOWN_READS, Breakdown, Filters, figures, statistics
from services.reporting import svg

CellType = Literal["text", "int", "float", "percent", "number"]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    type: CellType


@dataclass
class Sheet:
    """One table of the pack: a sheet of the XLSX, a table of the HTML and PDF."""

    title: str
    intro: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    """A row's "type", when given, says what its "number" cells are (the summary's rates)."""


@dataclass
class Pack:
    year: int
    title: str
    sheets: list[Sheet] = field(default_factory=list)
    charts: list[tuple[str, str]] = field(default_factory=list)
    """(title, inline SVG)"""


# The columns of every breakdown table, in this order: the figures a reader compares
# across authorities, themes, place types and kinds.
BREAKDOWN_FIGURES = (
    "issued",
    "replied_on_time",
    "replied_late",
    "not_replied",
    "median_reply_days",
    "accepted",
    "partially_accepted",
    "rejected",
    "noted",
    "acceptance_rate",
    "implemented",
    "partially_implemented",
    "in_progress",
    "not_implemented",
    "verified",
    "implementation_rate",
)
BREAKDOWN_SHEETS: tuple[tuple[Breakdown, str, str], ...] = (
    ("authority", "By authority", "Authority"),
    ("theme", "By theme", "Theme"),
    ("place_type", "By place type", "Place type"),
    ("kind", "By kind", "Kind"),
    ("recommending_body", "By recommending body", "Recommending body"),
)
_COUNTED_UNDER = {
    "theme": " (one with two themes counts under each).",
    "recommending_body": " (one made by several counts under each; one with no recommending"
    " body, as the NPM's own usually are, is in none).",
}
YEARS_BACK = 4


def figure_column(key: str) -> Column:
    if key in RATES:
        return Column(key, RATES[key].split(" (")[0], "percent")
    figure = FIGURE_BY_KEY[key]
    return Column(key, figure.label, "float" if figure.kind == "days" else "int")


# Follow-ups raised with an international body (domain/values.py FollowUpKind), by its
# acronym as people write it.
_INTERNATIONAL = {
    k.value: f"with the {k.value.upper()}"
    for k in (FollowUpKind.SPT, FollowUpKind.CAT, FollowUpKind.CPT)
}


def _words(value: Any) -> str:
    return str(value).replace("_", " ") if value is not None else "(none)"


def build(
    conn: psycopg.Connection[Any],
    schema: str,
    year: int,
    *,
    authority_id: UUID | None = None,
    published_only: bool = False,
) -> Pack:
    """The pack for recommendations issued in `year`; with `authority_id`, those issued
    to that authority. `published_only` (an authority's liaison): the figures and tables
    domain/publication.py lets out, without tags, reasons, follow-ups or escalations."""
    in_year = Filters(year_from=year, year_to=year, authority_id=authority_id)
    found = statistics(conn, schema, in_year)
    totals = found["totals"]
    pack = Pack(year=year, title=f"Recommendations issued in {year}: replies and implementation")
    shown = PUBLISHED_FIGURES if published_only else FIGURES
    summary_rows = [
        {"figure": figure_column(f.key).label, "value": totals[f.key]}
        for f in shown
        if not f.key.startswith("not_implemented_")
    ] + [{"figure": figure_column(k).label, "value": totals[k], "type": "percent"} for k in RATES]
    pack.sheets.append(
        Sheet(
            "Summary",
            f"Every recommendation issued in {year}, by the authority's position and the "
            "outcome. Rates are per cent: acceptance of those with a position, "
            "implementation of those issued.",
            [Column("figure", "Figure", "text"), Column("value", "Value", "number")],
            summary_rows,
        )
    )
    columns = [figure_column(k) for k in BREAKDOWN_FIGURES]
    by_group: dict[str, list[dict[str, Any]]] = {}
    for by, title, label in BREAKDOWN_SHEETS:
        if published_only and BREAKDOWN_READS[by] not in PUBLISHABLE_FIELDS:
            by_group[by] = []
            continue
        rows = figures(conn, schema, in_year, by=by)
        by_group[by] = rows
        pack.sheets.append(
            Sheet(
                title,
                f"Recommendations issued in {year}, per {label.lower()}"
                + _COUNTED_UNDER.get(by, "."),
                [Column("name", label, "text"), *columns],
                # a recommending body is a name as given (a state, a treaty body), not a value
                [
                    {**r, "name": r["name"] if by == "recommending_body" else _words(r["name"])}
                    for r in rows
                ],
            )
        )
    if published_only:
        _add_trend(pack, conn, schema, year, authority_id, by_group, totals, None)
        return pack
    reasons = [
        {"reason": _words(r.value), "n": totals[f"not_implemented_{r.value}"]}
        for r in NonImplementationReason
    ]
    pack.sheets.append(
        Sheet(
            "Not implemented, why",
            "Recommendations assessed as not implemented, by the reason given.",
            [Column("reason", "Reason", "text"), Column("n", "Recommendations", "int")],
            reasons,
        )
    )
    follow_ups = [
        {"kind": _INTERNATIONAL.get(k) or _words(k), "n": n}
        for k, n in sorted(found["follow_ups"].items())
    ]
    pack.sheets.append(
        Sheet(
            "Follow-up actions",
            "Follow-up actions recorded on these recommendations, by kind.",
            [Column("kind", "Kind", "text"), Column("n", "Actions", "int")],
            follow_ups,
        )
    )
    escalations = [
        {"level": int(level), "n": n}
        for level, n in sorted(found["escalations"].items(), key=lambda kv: int(kv[0]))
    ]
    pack.sheets.append(
        Sheet(
            "Escalations",
            "Escalations recorded on these recommendations, by level of the ladder.",
            [Column("level", "Level", "int"), Column("n", "Escalations", "int")],
            escalations,
        )
    )
    _add_trend(pack, conn, schema, year, authority_id, by_group, totals, escalations)
    return pack


def _add_trend(
    pack: Pack,
    conn: psycopg.Connection[Any],
    schema: str,
    year: int,
    authority_id: UUID | None,
    by_group: dict[str, list[dict[str, Any]]],
    totals: dict[str, Any],
    escalations: list[dict[str, Any]] | None,
) -> None:
    """The implementation trend sheet and the charts; `escalations` None: an outsider's
    pack, without the theme and escalation charts."""
    years = list(range(year - YEARS_BACK, year + 1))
    over_years = figures(
        conn,
        schema,
        Filters(year_from=years[0], year_to=year, authority_id=authority_id),
        by="authority",
    )
    trend: dict[str, dict[str, Any]] = {}
    for authority in over_years:
        per_year = figures(
            conn,
            schema,
            Filters(year_from=years[0], year_to=year, authority_id=authority["group"]),
            by="year",
        )
        rates = {int(r["group"]): r["implementation_rate"] for r in per_year}
        trend[authority["name"]] = {str(y): rates.get(y) for y in years}
    pack.sheets.append(
        Sheet(
            "Implementation by year",
            f"Implementation rate (per cent of those issued) per authority, {years[0]}-{year}.",
            [Column("name", "Authority", "text")]
            + [Column(str(y), str(y), "percent") for y in years],
            [{"name": name, **values} for name, values in sorted(trend.items())],
        )
    )
    charts = [
        (
            "Implementation rate over the years, per authority",
            svg.line_chart(
                [str(y) for y in years],
                {name: [v[str(y)] for y in years] for name, v in sorted(trend.items())},
                unit="%",
            ),
        ),
        (
            "Acceptance rate by theme",
            svg.bar_chart(
                [(_words(r["name"]), r["acceptance_rate"]) for r in by_group["theme"]],
                unit="%",
                maximum=100.0,
            ),
        ),
        (
            "Reply timeliness",
            svg.bar_chart(
                [
                    ("Replied on time", totals["replied_on_time"]),
                    ("Replied late", totals["replied_late"]),
                    ("Not replied", totals["not_replied"]),
                ]
            ),
        ),
        (
            "Escalations by level",
            svg.bar_chart([(f"Level {e['level']}", e["n"]) for e in escalations or []]),
        ),
    ]
    internal = ("Acceptance rate by theme", "Escalations by level")
    pack.charts = [(t, c) for t, c in charts if escalations is not None or t not in internal]
