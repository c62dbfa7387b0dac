"""`GET /recommendations/export`: the list the same filters select, every row of it, as
CSV or XLSX in the import's columns (services/spreadsheet_export.py), streamed.

An authority liaison exports what its list shows: its authority's issued
recommendations, in the columns domain/publication.py lets out. Declared before the
recommendations router, so that `export` is not read as a recommendation's id.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from projections.views.status import ListFilters
from services.api.auth import Ability, Actor
from services.api.deps import ReadPool, Schema, require
from services.api.errors import ERROR_RESPONSES
from services.api.lists import ListQuery, given, visible
from services.api.threads import OneHopRoute
from services.spreadsheet_export import MEDIA_TYPES, export

router = APIRouter(
    route_class=OneHopRoute,
    prefix="/recommendations",
    tags=["recommendations"],
    responses=ERROR_RESPONSES,
)

Reader = Annotated[Actor, Depends(require(Ability.READ))]

# Nothing matches this: a liaison asking for what it may not see gets an empty file.
_NOTHING = ListFilters(status="__none__")


@router.get(
    "/export",
    summary="Export the list as CSV or XLSX (the import's columns; every row, streamed)",
    description="Takes the list's filters. The columns are the spreadsheet import's, so "
    "the file imports into another store as the same records. An authority liaison "
    "gets its authority's issued recommendations and the publishable columns only.",
    response_class=StreamingResponse,
    responses={200: {"content": {t.split(";")[0]: {} for t in MEDIA_TYPES.values()}}},
)
def export_list(
    actor: Reader,
    pool: ReadPool,
    schema: Schema,
    filters: ListQuery,
    format: Annotated[Literal["csv", "xlsx"], Query(description="csv or xlsx")] = "csv",
) -> StreamingResponse:
    from projections.views.export_rows import iter_rows

    principal = actor.principal
    narrowed = visible(filters, principal) or _NOTHING

    def rows(fields: list[str]) -> Iterator[tuple[object, ...]]:
        # Taken when the stream starts and handed back when it ends or is dropped.
        with pool.connection() as conn:
            yield from iter_rows(conn, schema, fields, narrowed, date.today())

    made = export(
        rows,
        format,
        published_only=principal.sees_published_only,
        reader=f"user:{actor.actor_id} as {actor.role.value}",
        filters=given(filters),
    )
    return StreamingResponse(
        made.chunks,
        media_type=made.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{made.filename}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )
