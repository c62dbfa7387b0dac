"""Statistics for compliance staff and the annual report, from the projections."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import AfterValidator, BaseModel

from services.api.auth import Ability, Actor
from services.api.deps import ReadConnection, Schema, StoreDep, require
from services.api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/stats", tags=["statistics"], responses=ERROR_RESPONSES)

Reader = Annotated[Actor, Depends(require(Ability.READ_ALL))]
Year = Annotated[int | None, Query(ge=1900, le=2200)]

FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2200, 12, 31)


def _within_the_record(day: date) -> date:
    # The same span as `year`; a date at the calendar's end would overflow the day after.
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"must be between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}")
    return day


Day = Annotated[date, AfterValidator(_within_the_record)]


class StatsOut(BaseModel):
    year: int | None
    items: list[dict[str, Any]]


@router.get("/authorities", summary="Per-authority scorecard")
def authorities(actor: Reader, conn: ReadConnection, schema: Schema, year: Year = None) -> StatsOut:
    from projections.views.scorecard import authority_scorecard

    rows = authority_scorecard(conn, schema, year=year)
    return StatsOut(year=year, items=[dict(row) for row in rows])


class ThemesOut(BaseModel):
    year: int | None
    dimension: str | None
    counts: list[dict[str, Any]]
    repeat_chains: list[dict[str, Any]]


@router.get("/themes", summary="Recommendations per period, theme/keyword/group and status")
def themes(
    actor: Reader,
    conn: ReadConnection,
    schema: Schema,
    year: Year = None,
    dimension: Literal["theme", "keyword", "group"] | None = None,
) -> ThemesOut:
    from projections.views.trends import theme_trends

    found = theme_trends(conn, schema, year=year, dimension=dimension)
    return ThemesOut(
        year=year,
        dimension=dimension,
        counts=list(found["counts"]),
        repeat_chains=list(found["repeat_chains"]),
    )


class StatusAsOfOut(BaseModel):
    date: date
    basis: Literal["recorded", "business"]
    counts: dict[str, int]


@router.get(
    "/status-as-of",
    summary="How many recommendations were in each status at the end of a past date",
    description="Derived from the events, not the views: `basis=business` (the default) "
    "counts what had happened by then (back-dated and imported entries included), "
    "`basis=recorded` what had been recorded by then.",
)
def status_as_of(
    actor: Reader,
    store: StoreDep,
    day: Annotated[Day, Query(alias="date")],
    basis: Literal["recorded", "business"] = "business",
) -> StatusAsOfOut:
    from projections.engine.as_of import status_counts_as_of

    counts = status_counts_as_of(store, day, basis=basis)
    return StatusAsOfOut(date=day, basis=basis, counts=counts)
