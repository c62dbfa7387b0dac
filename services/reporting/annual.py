"""The annual report pack in one of its formats: what the CLI writes to a file and the
API sends, by the same function, so that both give the same bytes for the same data."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

import psycopg
import structlog

from services.reporting import html, pack, pdf, xlsx

Format = Literal["xlsx", "html", "pdf"]
MEDIA_TYPES: dict[str, str] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Rendered:
    content: bytes
    media_type: str
    filename: str


def annual_report(
    conn: psycopg.Connection[Any],
    schema: str,
    year: int,
    fmt: Format,
    *,
    authority_id: UUID | None = None,
    published_only: bool = False,
) -> Rendered:
    """The pack (pack.build: one authority's with `authority_id`; an outsider's with
    `published_only`) in `fmt`."""
    started = time.perf_counter()
    content = pack.build(
        conn, schema, year, authority_id=authority_id, published_only=published_only
    )
    if fmt == "xlsx":
        body = xlsx.render(content)
    elif fmt == "html":
        body = html.render(content).encode()
    else:
        body = pdf.render(html.render(content))
    log.info(
        "annual report made",
        year=year,
        format=fmt,
        bytes=len(body),
        seconds=round(time.perf_counter() - started, 2),
    )
    return Rendered(body, MEDIA_TYPES[fmt], f"recommendations-{year}.{fmt}")
