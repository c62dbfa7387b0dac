"""A stored document sent as a download: the one place the API writes the headers of an
attachment (evidence and letters alike), so a file is never rendered by the browser and
never kept in a shared cache."""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import Response

from services.adapters.documents import Document


def attachment(document: Document, filename: str) -> Response:
    """`document` as a file named `filename` (an ASCII fallback for old clients)."""
    ascii_name = re.sub(r"[^A-Za-z0-9._ -]", "_", filename)
    return Response(
        content=document.content,
        media_type=document.media_type,
        headers={
            "Content-Disposition": (
                f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
            ),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
