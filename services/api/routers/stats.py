"""Statistics for compliance staff and the annual report, from the projections.

An authority's liaison gets the same routes scoped to its authority: figures over that
authority's issued recommendations only, and only the figures domain/publication.py
lets out (no tags, reasons, follow-ups or escalations). Another authority's figures, or
a tag's, are answered as those of nothing, as the lists answer them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response
from pydantic import AfterValidator, BaseModel

from domain.access import AccessKind
from domain.origin import Source
from domain.publication import PUBLISHABLE_FIELDS
from domain.values import PlaceType, RecommendationKind
from projections.views.statistics import Breakdown
from services.api.auth import Ability, Actor
from services.api.deps import AccessDep, ReadConnection, RuntimeDep, Schema, StoreDep, require
from services.api.errors import ERROR_RESPONSES
from services.api.lists import NO_NUL
from services.api.routers.access import record_read
from services.api.threads import OneHopRoute
from services.application.commands.base import RuleBroken

router = APIRouter(
    route_class=OneHopRoute, prefix="/stats", tags=["statistics"], responses=ERROR_RESPONSES
)

Reader = Annotated[Actor, Depends(require(Ability.READ))]
Year = Annotated[int | None, Query(ge=1900, le=2200)]

FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2200, 12, 31)


def _within_the_record(day: date) -> date:
    # The same span as `year`; a date at the calendar's end would overflow the day after.
    if not FIRST_DAY <= day <= LAST_DAY:
        raise RuleBroken("must be between {first} and {last}", first=FIRST_DAY, last=LAST_DAY)
    return day


Day = Annotated[date, AfterValidator(_within_the_record)]


def _scope(actor: Actor, authority_id: UUID | None) -> tuple[UUID | None, bool]:
    """(the authority the figures are about, whether they are about nothing): a liaison's
    own authority whatever it asked; nothing when it asked about another one."""
    principal = actor.principal
    scope = principal.scoped_authority
    if scope is None:
        return authority_id, False
    return scope, not principal.may_see(authority_id or scope)


class StatsOut(BaseModel):
    year: int | None
    items: list[dict[str, Any]]


@router.get("/authorities", summary="Per-authority scorecard")
def authorities(actor: Reader, conn: ReadConnection, schema: Schema, year: Year = None) -> StatsOut:
    from projections.views.scorecard import authority_scorecard

    scope, _ = _scope(actor, None)
    rows = authority_scorecard(conn, schema, year=year, authority_id=scope)
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

    if actor.principal.sees_published_only:  # tags and repeats are internal
        return ThemesOut(year=year, dimension=dimension, counts=[], repeat_chains=[])
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
    access: AccessDep,
    day: Annotated[Day, Query(alias="date")],
    basis: Literal["recorded", "business"] = "business",
) -> StatusAsOfOut:
    from projections.engine.as_of import status_counts_as_of

    record_read(access, actor, AccessKind.AS_OF, None, date=day, basis=basis)
    scope, _ = _scope(actor, None)
    counts = status_counts_as_of(store, day, basis=basis, authority_id=scope)
    return StatusAsOfOut(date=day, basis=basis, counts=counts)


class PublishedFiguresOut(BaseModel):
    """The figures an authority's liaison gets: the published ones, over its authority."""

    filters: dict[str, Any]
    by: str | None
    definitions: list[dict[str, str]]
    totals: dict[str, Any]
    groups: list[dict[str, Any]]


class FiguresOut(PublishedFiguresOut):
    """Every figure for the recommendations the filters select (issued in the year
    range), in all and, with `by`, per group; follow-ups by kind, escalations by level."""

    follow_ups: dict[str, int]
    escalations: dict[str, int]


@router.get(
    "/figures",
    summary="Statistics by position and outcome, for a year range and the lists' filters",
    description="Counts of issued recommendations: replied on time, late or not at all; "
    "average and median days to the first reply; each position; each implementation "
    "status and the reasons for non-implementation; verified; repeated; with acceptance "
    "and implementation rates. `by` breaks them down per year, authority, theme, place "
    "type, kind, source or recommending body (a recommendation with two themes, or two "
    "recommending bodies, counts under each). An authority's liaison gets its "
    "authority's published figures only (no reasons, repeats, follow-ups or escalations).",
    response_model=FiguresOut | PublishedFiguresOut,
)
def figures(
    actor: Reader,
    runtime: RuntimeDep,
    conn: ReadConnection,
    schema: Schema,
    year_from: Year = None,
    year_to: Year = None,
    authority_id: UUID | None = None,
    place_id: UUID | None = None,
    theme: Annotated[str | None, Query(max_length=200, pattern=NO_NUL)] = None,
    place_type: PlaceType | None = None,
    kind: RecommendationKind | None = None,
    source: Source | None = None,
    by: Breakdown | None = None,
) -> BaseModel:
    from projections.views.figures import FIGURES, PUBLISHED_FIGURES, RATES
    from projections.views.statistics import BREAKDOWN_READS, Filters, published, statistics

    outsider = actor.principal.sees_published_only
    scope, nothing = _scope(actor, authority_id)
    internal_by = by is not None and BREAKDOWN_READS[by] not in PUBLISHABLE_FIELDS
    if outsider and (theme is not None or internal_by):
        nothing = True  # tags are internal: figures per theme would tell what they hold
    filters = Filters(
        year_from=year_from,
        year_to=year_to,
        authority_id=scope,
        place_id=place_id,
        theme=theme,
        place_type=place_type.value if place_type else None,
        kind=kind.value if kind else None,
        source=source.value if source else None,
        nothing=nothing,
    )
    found = statistics(conn, schema, filters, by=by, max_age=runtime.settings.stats_max_age_seconds)
    given = {k: v for k, v in vars(filters).items() if v is not None and k != "nothing"}
    shown = PUBLISHED_FIGURES if outsider else FIGURES
    answer: dict[str, Any] = {
        "filters": {k: str(v) if isinstance(v, UUID) else v for k, v in given.items()},
        "by": by,
        "definitions": [{"key": f.key, "label": f.label} for f in shown]
        + [{"key": k, "label": v} for k, v in RATES.items()],
    }
    if outsider:
        return PublishedFiguresOut(**answer, **published(found))
    return FiguresOut(**answer, **found)


REPORT_MEDIA_TYPES = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "text/html",
    "application/pdf",
)


@router.get(
    "/annual-report",
    summary="The annual report pack for one year: XLSX, printable HTML or PDF",
    description="Tables (summary, by authority, theme, place type, kind and recommending "
    "body, reasons for non-implementation, follow-up actions, escalations, implementation "
    "over five years) and charts, for the recommendations issued in `year`; the same numbers as "
    "`/stats/figures`. An authority's liaison gets its authority's pack with the "
    "published figures only (no theme, reason, follow-up or escalation tables).",
    response_class=Response,
    responses={200: {"content": {t: {} for t in REPORT_MEDIA_TYPES}}},
)
def annual_report(
    actor: Reader,
    conn: ReadConnection,
    schema: Schema,
    year: Annotated[int, Query(ge=1900, le=2200)],
    format: Literal["xlsx", "html", "pdf"] = "xlsx",
) -> Response:
    from services.reporting.annual import annual_report as make

    scope, _ = _scope(actor, None)
    published_only = actor.principal.sees_published_only
    rendered = make(conn, schema, year, format, authority_id=scope, published_only=published_only)
    disposition = "inline" if format == "html" else "attachment"
    return Response(
        rendered.content,
        media_type=rendered.media_type,
        headers={"Content-Disposition": f'{disposition}; filename="{rendered.filename}"'},
    )
