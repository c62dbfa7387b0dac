"""The stored events' JSON written by orjson, byte for byte what the library's transcoder
writes, at a fraction of its cost.

The library encodes each event's state with the standard `json` module (compact
separators, UTF-8 kept as it is, registered transcodings as `{"_type_", "_data_"}`
wrappers): about a fifth of the import's checking CPU (issue #12). orjson writes the same
bytes for strings (the same escapes), integers, booleans, None, dicts and lists, and hands
dates, datetimes and dataclasses to the same transcodings when told to pass them through.
Where it would write something else (a UUID as a plain string instead of its wrapper, a
float in another notation, a subclass of dict or list, a value orjson knows natively that
`json` passes to a transcoding), the state is written by the library instead: a state is
walked first, and only a state made of those values goes to orjson. Decoding is the
library's, unchanged: the bytes are the same.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder, Transcoding

from domain.transcodings import DateAsISO
from domain.values import EventMeta

#: orjson hands these to `default` (the transcodings) instead of writing them itself
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
#: types orjson writes natively, or `json` writes natively: never handed to a transcoding
#: by both alike
_NATIVE = (str, int, float, list, tuple, dict, UUID, Enum)
#: transcodings whose data is the value's own `isoformat()`: that called without theirs
_ISO: dict[type[Transcoding], Any] = {DatetimeAsISO: datetime.isoformat, DateAsISO: date.isoformat}


class _Other(Exception):
    """A transcoding's data holds a value orjson would write otherwise."""


class ExactJSONTranscoder(JSONTranscoder):
    """The library's JSONTranscoder, encoding through orjson when the bytes are the same."""

    def __init__(self) -> None:
        super().__init__()
        #: the types written alike that hold nothing to walk: plain values, strings'
        #: subclasses (a StrEnum), and the registered types orjson passes to `default`
        #: (so to the same transcoding, whose data `_default` checks)
        self._leaves: set[type] = {str, int, bool, type(None)}
        #: the types looked at, and whether they are leaves
        self._looked: dict[type, bool] = {}
        #: each registered type met by `_default`: its transcoding's name and encoding
        #: (one call less per value than the library's `_encode_obj`), and if frozen
        self._named: dict[type, tuple[str, Any, bool]] = {}
        #: the last event metadata written (the events one command triggers share it)
        #: and its wrapper, written once for all of them
        self._last: tuple[Any, dict[str, Any]] = (None, {})

    def encode(self, obj: Any) -> bytes:
        try:
            if self._plain(obj):
                return orjson.dumps(obj, default=self._default, option=_OPTIONS)
        except (TypeError, RecursionError):
            pass  # a key or integer orjson refuses, _Other, a cycle: the library decides
        return super().encode(obj)

    def _default(self, o: Any) -> dict[str, Any]:
        kind = type(o)
        named = self._named.get(kind)
        if named is None:
            named = self._named[kind] = _named(self.types[kind])  # KeyError: the library's
        name, encode, frozen = named
        if frozen:
            last, wrapped = self._last
            if o is last:  # kept alive here, so `is` cannot name another object
                return wrapped
        data = encode(o)
        if type(data) is not str and not self._plain(data):  # a date's or time's: a str
            raise _Other
        wrapped = {"_type_": name, "_data_": data}
        if frozen:
            self._last = (o, wrapped)
        return wrapped

    def _plain(self, value: Any) -> bool:
        """Whether orjson writes `value` as `json` would (walking dicts and lists)."""
        kind = type(value)
        leaves = self._leaves
        if kind in leaves:
            return True
        if kind is dict:
            items = value.values()
        elif kind is list or kind is tuple:
            items = value
        else:
            return self._leaf(kind)
        for item in items:
            if type(item) in leaves:  # the common case, without a call
                continue
            if not self._plain(item):
                return False
        return True

    def _leaf(self, kind: type) -> bool:
        """A subclass of str (both write the string itself), or a registered type that
        both encoders hand to its transcoding."""
        found = self._looked.get(kind)
        if found is None:
            found = issubclass(kind, str) or (
                kind in self.types
                and not issubclass(kind, _NATIVE)
                and (kind in (date, datetime, Decimal) or dataclasses.is_dataclass(kind))
            )
            self._looked[kind] = found
            if found:
                self._leaves.add(kind)
        return found


def _named(transcoding: Transcoding) -> tuple[str, Any, bool]:
    """A transcoding's name, its encoding (the type's own `isoformat` for the
    transcodings that call it), and whether the same object always writes the same
    data (EventMeta: frozen, and its fields strings and a date), so that its wrapper
    may be reused."""
    frozen = transcoding.type is EventMeta
    return transcoding.name, _ISO.get(type(transcoding), transcoding.encode), frozen
