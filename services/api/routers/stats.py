"""Statistics for compliance staff and the annual report, from the projections."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from services.api.auth import Ability, Actor
from services.api.deps import ReadConnection, Schema, StoreDep, require
from services.api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/stats", tags=["statistics"], responses=ERROR_RESPONSES)

Reader = Annotated[Actor, Depends(require(Ability.READ_ALL))]
Year = Annotated[int | None, Query(ge=1900, le=2200)]


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
    description="Derived from the events, not the views: `basis=recorded` counts what had "
    "been recorded by then, `basis=business` what had happened by then (back-dated entries "
    "included).",
)
def status_as_of(
    actor: Reader,
    store: StoreDep,
    day: Annotated[date, Query(alias="date")],
    basis: Literal["recorded", "business"] = "recorded",
) -> StatusAsOfOut:
    from projections.engine.as_of import status_counts_as_of

    counts = status_counts_as_of(store, day, basis=basis)
    return StatusAsOfOut(date=day, basis=basis, counts=counts)
