"""Evidence documents on a recommendation: upload (the bytes stored content-addressed,
then `AttachEvidence` through the executor with their SHA-256), the list (who attached
each, by name, and when; with the upload rules, so a form can show them before a file is
sent) and download.

An authority's liaison lists and downloads only what domain/publication.py shares with
it (the documents of its own authority's responses), and sees who attached one only when
that was one of its authority's own people.

The type is judged by the bytes (domain/attachments.py `sniff`), never by the name or the
declared Content-Type alone; a declared type that disagrees is refused too, so a client
learns its mistake. Downloads are always `attachment` with `nosniff`: a browser saves the
file and never renders an uploaded document as a page of this site.

The bytes are stored before the event is written: a refused command leaves an unreferenced
document (content-addressed, harmless, reported by `rectrack audit documents`), never an
event naming bytes that are not there.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import structlog
from fastapi import APIRouter, Body, Depends, Header, Path, Query, Response
from pydantic import BaseModel, Field

from domain.attachments import ALLOWED_TYPES, Supports, sniff
from domain.errors import InvalidInput, NotFound
from domain.publication import published_actor, shared_with_authority
from domain.recommendation import Recommendation
from domain.values import EventMeta
from services.api.auth import Ability, Actor
from services.api.deps import DocumentsDep, RuntimeDep, StoreDep, require
from services.api.downloads import attachment
from services.api.errors import ERROR_RESPONSES, ApiError
from services.api.routers.recommendations import load_visible
from services.api.threads import OneHopRoute
from services.api.writes import CommandOut, Write, run_command, writer
from services.application.commands.recommendations import AttachEvidence
from services.application.store import Rectrack
from services.application.summaries import Names

log = structlog.get_logger(__name__)

_R: Any = Recommendation  # its event classes are made by the @event decorator

router = APIRouter(
    route_class=OneHopRoute, prefix="/recommendations", tags=["evidence"], responses=ERROR_RESPONSES
)

Attaching = Annotated[Write, Depends(writer(Ability.ATTACH_EVIDENCE))]
Reader = Annotated[Actor, Depends(require(Ability.READ))]

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            t: {"schema": {"type": "string", "format": "binary"}}
            for t in ("application/octet-stream", *sorted(ALLOWED_TYPES))
        },
    }
}
_FILENAME = r"^[^/\\\x00-\x1f]{1,200}$"


@router.post(
    "/{recommendation_id}/evidence",
    summary="Attach an evidence document (the request body is the file) to a response, "
    "a follow-up or the assessment",
    openapi_extra=_UPLOAD_BODY,
)
def attach(
    recommendation_id: UUID,
    write: Attaching,
    documents: DocumentsDep,
    content: Annotated[bytes, Body(media_type="application/octet-stream")],
    supports: Annotated[Supports, Query(description="what the document is evidence for")],
    filename: Annotated[str, Query(pattern=_FILENAME, description="the file's name")],
    index: Annotated[
        int | None, Query(ge=0, le=10_000, description="which response or follow-up, from 0")
    ] = None,
    content_type: Annotated[str | None, Header(alias="Content-Type")] = None,
) -> CommandOut:
    principal = write.actor.principal
    if principal.sees_published_only:
        load_visible(write.runtime.app, write.actor, recommendation_id)
        if supports is not Supports.RESPONSE:
            raise ApiError(
                403,
                "forbidden",
                "an authority's liaison attaches evidence to its authority's responses only",
                field="supports",
            )
    media_type = sniff(content)
    if media_type is None:
        raise InvalidInput("body", "is not a PDF, PNG, JPEG, GIF, WebP, DOCX, XLSX or ODT document")
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared not in ("", "application/octet-stream", media_type):
        raise InvalidInput(
            "Content-Type",
            "says {declared} but the document is {actual}",
            declared=declared,
            actual=media_type,
        )
    sha256 = documents.put(content, media_type)
    log.info("evidence stored", recommendation_id=str(recommendation_id), sha256=sha256)
    command = AttachEvidence(
        sha256=sha256,
        filename=filename,
        media_type=media_type,
        size=len(content),
        supports=supports,
        index=index,
    )
    return run_command(write, command, target_id=recommendation_id)


@router.get(
    "/{recommendation_id}/evidence/{sha256}",
    summary="Download an evidence document attached to this recommendation",
    response_class=Response,
    responses={200: {"content": {t: {} for t in ALLOWED_TYPES}}},
)
def download(
    recommendation_id: UUID,
    sha256: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")],
    actor: Reader,
    store: StoreDep,
    documents: DocumentsDep,
) -> Response:
    # Only a document this recommendation's events name (and, for a liaison, one shared
    # with it): the store holds letters and other recommendations' evidence too, which a
    # hash alone must not open.
    attached = [
        e.document
        for e in _attachings(store, actor, recommendation_id)
        if e.document["sha256"] == sha256
    ]
    document = documents.get(sha256) if attached else None
    if document is None:
        raise NotFound("evidence document", sha256)
    return attachment(document, attached[-1]["filename"])


class EvidenceOut(BaseModel):
    sha256: str = Field(description="download at evidence/{sha256}")
    filename: str
    media_type: str
    size: int
    supports: Supports
    index: int | None = Field(description="which response or follow-up, from 0")
    attached_at: datetime = Field(description="when it was recorded")
    attached_on: date | None = Field(description="the business date of the attaching")
    attached_by: str | None = Field(
        description="who attached it, by name; for a liaison only when it was one of its "
        "authority's own people (else none: the NPM)"
    )


class EvidenceListOut(BaseModel):
    recommendation_id: UUID
    items: list[EvidenceOut]
    max_bytes: int = Field(description="the largest document the server accepts")
    allowed_types: list[str] = Field(description="the media types the server accepts")


@router.get(
    "/{recommendation_id}/evidence",
    summary="The evidence documents attached to this recommendation, who attached each "
    "and when, and the rules an upload must meet",
)
def list_evidence(
    recommendation_id: UUID, actor: Reader, store: StoreDep, runtime: RuntimeDep
) -> EvidenceListOut:
    names = Names(store)
    items = []
    for event in _attachings(store, actor, recommendation_id):
        meta = event.meta if isinstance(event.meta, EventMeta) else None
        role, who = (meta.actor_role, meta.actor_id) if meta else (None, None)
        if actor.principal.sees_published_only:
            role, who = published_actor(role, who)  # the NPM's staff stay unnamed
        items.append(
            EvidenceOut(
                **event.document,
                attached_at=event.timestamp,
                attached_on=meta.business_date if meta else None,
                attached_by=names.actor(who) if who else None,
            )
        )
    return EvidenceListOut(
        recommendation_id=recommendation_id,
        items=items,
        max_bytes=runtime.settings.document_max_bytes,
        allowed_types=sorted(ALLOWED_TYPES),
    )


def _attachings(store: Rectrack, actor: Actor, recommendation_id: UUID) -> list[Any]:
    """The EvidenceAttached events this caller may see, in the order recorded; for a
    recommendation it may not see, the same NotFound as for one that does not exist."""
    load_visible(store, actor, recommendation_id)
    principal = actor.principal
    return [
        event
        for event in store.events.get(recommendation_id)
        if isinstance(event, _R.EvidenceAttached)
        and (not principal.sees_published_only or shared_with_authority(event.document))
    ]
