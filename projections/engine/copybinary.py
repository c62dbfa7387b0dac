"""Values in PostgreSQL's binary COPY format, for the rebuild's tables written that way
(engine/bulk.py): PostgreSQL then parses no ids, numbers, dates or timestamps, only
json and jsonb documents (sent as text, jsonb's after a version byte). Each field is its
length (4 bytes) and its bytes; NULL is length -1."""

from __future__ import annotations

import struct
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson

COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
COPY_TRAILER = struct.pack(">h", -1)
NULL = struct.pack(">i", -1)
_LENGTH = struct.Struct(">i").pack
_JSONB_HEAD = struct.Struct(">ib").pack
TIMESTAMP = struct.Struct(">iq").pack
_DAY = struct.Struct(">ii").pack
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_PG_EPOCH_DAY = date(2000, 1, 1).toordinal()
_MICROSECOND = timedelta(microseconds=1)


def binary_text(value: str) -> bytes:
    encoded = value.encode()
    return _LENGTH(len(encoded)) + encoded


class Cached(dict[Any, Any]):
    """Fields that repeat (event names, dates, actors), encoded once each."""

    def __init__(self, encode: Callable[[Any], Any]) -> None:
        super().__init__()
        self._encode = encode

    def __missing__(self, value: Any) -> Any:
        encoded = self._encode(value)
        if len(self) < 100_000:
            self[value] = encoded
        return encoded


def _encode_day(value: str | None) -> bytes:
    if value is None:
        return NULL
    return _DAY(4, date.fromisoformat(value).toordinal() - _PG_EPOCH_DAY)


def _encode_optional(value: Any) -> bytes:
    return NULL if value is None else binary_text(str(value))


def micros(value: str) -> int:
    """An ISO timestamp as microseconds since PostgreSQL's epoch. isoformat()'s UTC form
    (what the events hold) by its second, cached: events of a command share it."""
    if (
        len(value) == 32
        and value[19] == "."
        and value.endswith("+00:00")
        and value[20:26] != "000000"
    ):
        return _SECONDS[value[:19]] + int(value[20:26])
    return (datetime.fromisoformat(value) - _PG_EPOCH) // _MICROSECOND


_SECONDS = Cached(lambda head: micros(head + ".000000+00:00"))
DAYS = Cached(_encode_day)
"""An ISO date (or None) as a binary date field."""
REPEATED = Cached(_encode_optional)
"""A value that repeats (or None) as binary text."""


def jsonb(value: Any) -> bytes:
    encoded = orjson.dumps(value)
    return _JSONB_HEAD(len(encoded) + 1, 1) + encoded


def json(value: Any) -> bytes:
    """A json field (its binary form is its text)."""
    encoded = orjson.dumps(value)
    return _LENGTH(len(encoded)) + encoded
