"""What an evidence document may be, and what it may support: the rules the
recommendation's `attach_evidence` applies, kept here so the aggregate stays small.

The type is judged by the document's first bytes (its magic number), never by the name
or the type a client declares: `sniff()` is what the API calls before storing anything.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from domain.errors import InvalidInput

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
GIF = "image/gif"
WEBP = "image/webp"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"

ALLOWED_TYPES = frozenset({PDF, PNG, JPEG, GIF, WEBP, DOCX, XLSX, ODT})
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class Supports(StrEnum):
    """What part of the record a document is evidence for."""

    RESPONSE = "response"
    FOLLOW_UP = "follow_up"
    ASSESSMENT = "assessment"


def sniff(content: bytes) -> str | None:
    """The allowed type these bytes are, by their magic number; None for any other.

    DOCX, XLSX and ODT are all ZIP files: the part names inside tell them apart (an ODT
    starts with its `mimetype` entry, by the OpenDocument rule)."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return WEBP
    if content.startswith(b"PK\x03\x04"):
        if content[30:38] == b"mimetype" and ODT.encode() in content[38:120]:
            return ODT
        if b"word/" in content:
            return DOCX
        if b"xl/" in content:
            return XLSX
    return None


def check_evidence(recommendation: Any, doc: dict[str, Any]) -> dict[str, Any]:
    """The document as the event records it (sha256, filename, media_type, size,
    supports, index), or InvalidInput naming the field that breaks a rule."""
    known = {"sha256", "filename", "media_type", "size", "supports", "index"}
    if set(doc) - known:
        raise InvalidInput(
            "document", "unknown fields: {names}", names=", ".join(sorted(set(doc) - known))
        )
    sha256, filename = str(doc.get("sha256", "")), str(doc.get("filename", ""))
    media_type, size = str(doc.get("media_type", "")), doc.get("size")
    if not _SHA256.match(sha256):
        raise InvalidInput("sha256", "must be 64 lower-case hexadecimal digits")
    if not filename.strip() or "/" in filename or "\\" in filename:
        raise InvalidInput("filename", "must be a file's name, without folders")
    if media_type not in ALLOWED_TYPES:
        raise InvalidInput(
            "media_type", "{value} is not an allowed document type", value=repr(media_type)
        )
    if not isinstance(size, int) or size < 1:
        raise InvalidInput("size", "a document must not be empty")
    try:
        supports = Supports(str(doc.get("supports")))
    except ValueError:
        raise InvalidInput(
            "supports", "must be one of {allowed}", allowed=", ".join(Supports)
        ) from None
    index = doc.get("index")
    if supports == Supports.ASSESSMENT:
        if recommendation.implementation is None:
            raise InvalidInput("supports", "the implementation has not been assessed yet")
        index = None
    else:
        parts = (
            recommendation.responses if supports == Supports.RESPONSE else recommendation.follow_ups
        )
        if not isinstance(index, int) or not 0 <= index < len(parts):
            raise InvalidInput(
                "index",
                "there is no {part} number {index} (of {count})",
                part=supports.replace("_", "-"),
                index=index,
                count=len(parts),
            )
    return {
        "sha256": sha256,
        "filename": filename,
        "media_type": media_type,
        "size": size,
        "supports": supports.value,
        "index": index,
    }
