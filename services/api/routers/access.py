"""Who read which internal record: recording a read (`record_read`, called by the routes
that show a recommendation's history, timeline or past state, and by exports) and the
list auditors read (`GET /access-records`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated
from uuid import UUID

import structlog
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from domain.access import AccessKind
from domain.errors import InvalidInput
from domain.user import User, user_id_for
from services.api.auth import Ability, Actor
from services.api.deps import AccessDep, StoreDep, require
from services.api.errors import ERROR_RESPONSES
from services.api.threads import OneHopRoute
from services.application.access_records import access_records, record_access
from services.application.store import Rectrack

router = APIRouter(route_class=OneHopRoute, tags=["audit"], responses=ERROR_RESPONSES)

Auditor = Annotated[Actor, Depends(require(Ability.READ_ACCESS_RECORDS))]
MAX_DAYS = 366


def record_read(
    access: AccessDep,
    actor: Actor,
    kind: AccessKind,
    recommendation_id: UUID | None = None,
    **query: object,
) -> None:
    """Record that `actor` read an internal record, with the query's parameters as given
    (None and empty ones left out). Raises when it cannot be recorded: no unrecorded read."""
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    record_access(
        access,
        reader_id=actor.actor_id,
        reader_role=actor.role.value,
        kind=kind,
        recommendation_id=recommendation_id,
        query={name: str(value) for name, value in query.items() if value is not None},
        request_id=str(request_id) if request_id else None,
    )


class AccessRecordOut(BaseModel):
    reader: str = Field(description="the reader's username (or the CLI's operating-system user)")
    reader_role: str
    recorded_at: datetime
    kind: AccessKind
    recommendation_id: UUID | None
    query: dict[str, str] = Field(description="as_of, basis, filters, search: as asked")
    request_id: str


class AccessRecordsOut(BaseModel):
    since: date
    until: date
    records: list[AccessRecordOut]


def _username(store: Rectrack, reader_id: str, known: dict[str, str]) -> str:
    if reader_id not in known:
        try:
            user = store.find(User, UUID(reader_id))
        except ValueError:
            user = None
        known[reader_id] = user.username if user is not None else reader_id
    return known[reader_id]


@router.get(
    "/access-records",
    summary="Who read which internal record (history, timeline, past state, export), "
    "with the query, oldest first",
)
def list_access_records(
    actor: Auditor,
    store: StoreDep,
    since: date | None = None,
    until: date | None = None,
    reader: Annotated[str | None, Query(max_length=64, description="a username")] = None,
    recommendation_id: UUID | None = None,
    kind: AccessKind | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1_000,
) -> AccessRecordsOut:
    until = until or date.today()
    since = since or until - timedelta(days=30)
    if since > until:
        raise InvalidInput("since", "must not be after until")
    if reader and (until - since).days >= MAX_DAYS:
        raise InvalidInput(
            "since", "one reader's reads: at most {count} days at a time", count=MAX_DAYS
        )
    reader_id = str(user_id_for(reader)) if reader and not reader.startswith("cli:") else reader
    found = access_records(
        store,
        since=since,
        until=until,
        reader_id=reader_id,
        recommendation_id=recommendation_id,
        kind=kind,
        limit=limit,
    )
    names: dict[str, str] = {}
    return AccessRecordsOut(
        since=since,
        until=until,
        records=[
            AccessRecordOut(
                reader=_username(store, r.reader_id, names),
                reader_role=r.reader_role,
                recorded_at=r.recorded_at,
                kind=AccessKind(r.kind),
                recommendation_id=UUID(r.recommendation_id) if r.recommendation_id else None,
                query=r.query,
                request_id=r.request_id,
            )
            for r in found
        ],
    )
