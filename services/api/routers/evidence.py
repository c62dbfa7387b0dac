"""Evidence documents on a recommendation: upload (the bytes stored content-addressed,
then `AttachEvidence` through the executor with their SHA-256) and download.

The type is judged by the bytes (domain/attachments.py `sniff`), never by the name or the
declared Content-Type alone; a declared type that disagrees is refused too, so a client
learns its mistake. Downloads are always `attachment` with `nosniff`: a browser saves the
file and never renders an uploaded document as a page of this site.

The bytes are stored before the event is written: a refused command leaves an unreferenced
document (content-addressed, harmless, reported by `rectrack audit documents`), never an
event naming bytes that are not there.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import structlog
from fastapi import APIRouter, Body, Depends, Header, Path, Query, Response

from domain.attachments import ALLOWED_TYPES, Supports, sniff
from domain.errors import InvalidInput, NotFound
from domain.recommendation import Recommendation
from services.api.auth import Ability, Actor
from services.api.deps import DocumentsDep, StoreDep, require
from services.api.downloads import attachment
from services.api.errors import ERROR_RESPONSES, ApiError
from services.api.threads import OneHopRoute
from services.api.writes import CommandOut, Write, run_command, writer
from services.application.commands.recommendations import AttachEvidence

log = structlog.get_logger(__name__)

router = APIRouter(
    route_class=OneHopRoute, prefix="/recommendations", tags=["evidence"], responses=ERROR_RESPONSES
)

Attaching = Annotated[Write, Depends(writer(Ability.ATTACH_EVIDENCE))]
Reader = Annotated[Actor, Depends(require(Ability.READ_ALL))]

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
        recommendation = write.runtime.app.find(Recommendation, recommendation_id)
        if recommendation is None or not principal.may_see(recommendation.authority_id):
            raise NotFound("recommendation", recommendation_id)
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
        raise InvalidInput("Content-Type", f"says {declared} but the document is {media_type}")
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
    # Only a document this recommendation's events name: the store holds letters and
    # other recommendations' evidence too, which a hash alone must not open.
    recommendation = store.get(Recommendation, recommendation_id)
    attached = [d for d in recommendation.evidence if d["sha256"] == sha256]
    document = documents.get(sha256) if attached else None
    if document is None:
        raise NotFound("evidence document", sha256)
    return attachment(document, attached[-1]["filename"])
