"""The public register, for anyone, without signing in: the recommendations the NPM
published (`PublishRecommendation`), with their publishable fields only and the
authority's published responses, as JSON and CSV; filters by authority, theme, place type
and year.

The rows come from projections/views/register.py, which passes each one through
domain/publication.py; the CSV's columns are checked against the same split at import.
Answers are cacheable by anyone (`Cache-Control: public`) for RECTRACK_REGISTER_MAX_AGE_SECONDS,
with an ETag over the body, so a revalidation that finds nothing new is a 304 without one.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel

from domain.publication import PUBLISHABLE_FIELDS
from domain.values import PlaceType
from services.api.deps import ReadConnection, RuntimeDep, Schema
from services.api.errors import ERROR_RESPONSES
from services.api.threads import OneHopRoute

router = APIRouter(
    route_class=OneHopRoute,
    prefix="/public/v1",
    tags=["public register"],
    responses=ERROR_RESPONSES,
)

NO_NUL = r"^[^\x00]*$"

CSV_COLUMNS = (
    "reference",
    "issued_on",
    "published_on",
    "authority_name",
    "place_name",
    "place_type",
    "report_title",
    "kind",
    "text",
    "status",
    "reply_due",
    "position",
    "agreed_implementation_date",
    "implementation",
    "assessed_on",
    "verified",
    "responses",
)
if not set(CSV_COLUMNS) <= PUBLISHABLE_FIELDS:  # pragma: no cover - a programming error
    raise RuntimeError(f"internal fields in the CSV: {set(CSV_COLUMNS) - PUBLISHABLE_FIELDS}")


class RegisterOut(BaseModel):
    items: list[dict[str, Any]]
    authorities: list[dict[str, Any]]


Theme = Annotated[str | None, Query(max_length=200, pattern=NO_NUL)]
Year = Annotated[int | None, Query(ge=1900, le=2200)]
IfNoneMatch = Annotated[str | None, Header(alias="If-None-Match", max_length=200)]


def _rows(
    conn: ReadConnection,
    schema: str,
    authority_id: UUID | None,
    theme: str | None,
    place_type: PlaceType | None,
    year: int | None,
) -> list[dict[str, Any]]:
    from projections.views.register import published_recommendations

    return published_recommendations(
        conn,
        schema,
        authority_id=str(authority_id) if authority_id else None,
        theme=theme,
        place_type=place_type.value if place_type else None,
        year=year,
    )


def _cached(
    body: bytes, media_type: str, runtime: RuntimeDep, if_none_match: str | None
) -> Response:
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {
        "Cache-Control": f"public, max-age={runtime.settings.register_max_age_seconds}",
        "ETag": etag,
        "Vary": "Accept-Encoding",
        "Access-Control-Allow-Origin": "*",
    }
    if if_none_match is not None and etag in [t.strip() for t in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type=media_type, headers=headers)


@router.get(
    "/register",
    summary="The published recommendations (JSON), with the authorities to filter by",
    response_model=RegisterOut,
    responses={304: {"description": "unchanged since the ETag sent in If-None-Match"}},
)
def register_json(
    conn: ReadConnection,
    schema: Schema,
    runtime: RuntimeDep,
    authority_id: UUID | None = None,
    theme: Theme = None,
    place_type: PlaceType | None = None,
    year: Year = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    from projections.views.register import register_authorities

    out = {
        "items": _rows(conn, schema, authority_id, theme, place_type, year),
        "authorities": register_authorities(conn, schema),
    }
    body = json.dumps(out, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return _cached(body, "application/json", runtime, if_none_match)


@router.get(
    "/register.csv",
    summary="The published recommendations as CSV (one row each; responses in one cell)",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        304: {"description": "unchanged since the ETag sent in If-None-Match"},
    },
)
def register_csv(
    conn: ReadConnection,
    schema: Schema,
    runtime: RuntimeDep,
    authority_id: UUID | None = None,
    theme: Theme = None,
    place_type: PlaceType | None = None,
    year: Year = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    text = io.StringIO()
    out = csv.writer(text)
    out.writerow(CSV_COLUMNS)
    for item in _rows(conn, schema, authority_id, theme, place_type, year):
        item["responses"] = " | ".join(
            f"{r.get('received_on')}: {r.get('position')}: {r.get('text')}"
            for r in item.get("responses") or []
        )
        out.writerow(["" if item.get(c) is None else item.get(c) for c in CSV_COLUMNS])
    response = _cached(text.getvalue().encode("utf-8"), "text/csv", runtime, if_none_match)
    response.headers["Content-Disposition"] = 'attachment; filename="register.csv"'
    return response
