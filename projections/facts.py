"""Stored events as the views see them: plain facts, not domain objects.

Every view is fed the same `Fact`, decoded by `FactMapper` straight from the stored bytes,
both when the library's ProjectionRunner follows the log live (the mapper is installed on
the followed application through the library's MAPPER_TOPIC setting) and when a rebuild
reads the log in large pages. One decoding for both paths is what makes a rebuilt view
equal the live one.

A fact's `data` is the event's state with the transcoder's wrappers taken off the top
level: dates and timestamps stay ISO strings, `meta` is a plain dict. That is cheap to
decode (no objects are built), JSON-friendly, and ISO dates sort and compare as dates.
A fact keeps the topic its event is stored under; views are dispatched on it
(projections/base.py), and `is_a` compares it with a domain event class's topic.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    InfrastructureFactory,
    JSONTranscoder,
    Mapper,
    StoredEvent,
)
from eventsourcing.utils import Environment, get_topic

try:  # A C parser makes a rebuild markedly faster; the results are identical.
    import orjson

    _loads: Any = orjson.loads
except ImportError:  # pragma: no cover - depends on the environment
    _loads = json.loads

_NAMES: dict[str, str] = {}


def event_name(topic: str) -> str:
    """ "domain.recommendation:Recommendation.Issued" -> "Recommendation.Issued"."""
    name = _NAMES.get(topic)
    if name is None:
        name = _NAMES[topic] = topic.rpartition(":")[2]
    return name


class Fact:
    """One stored event: which aggregate, which version, what happened (the topic it is
    stored under, and its name, e.g. "Recommendation.Issued"), its data."""

    __slots__ = ("data", "name", "notification_id", "originator_id", "topic", "version")

    def __init__(
        self,
        originator_id: UUID,
        version: int,
        topic: str,
        data: dict[str, Any],
        notification_id: int | None = None,
    ) -> None:
        self.originator_id = originator_id
        self.version = version
        self.topic = topic
        self.name = event_name(topic)
        self.data = data
        self.notification_id = notification_id

    def is_a(self, event_class: type) -> bool:
        """Whether this is an event of that domain event class."""
        return self.topic == get_topic(event_class)

    @property
    def meta(self) -> dict[str, Any]:
        meta: dict[str, Any] | None = self.data.get("meta")
        return meta or {}

    @property
    def recorded_at(self) -> str:
        return str(self.data.get("timestamp", ""))

    def __repr__(self) -> str:
        return f"Fact({self.name} {self.originator_id} v{self.version} #{self.notification_id})"


def decode_state(state: bytes) -> dict[str, Any]:
    data: dict[str, Any] = _loads(state)
    for key, value in data.items():
        if type(value) is dict and "_type_" in value:
            data[key] = value["_data_"]
    return data


class FactMapper(Mapper[UUID]):
    """The library's mapper turned one way: stored event -> Fact (decrypting and
    decompressing as configured, so encryption at rest is transparent to the views)."""

    @classmethod
    def like(cls, mapper: Mapper[Any]) -> FactMapper:
        """A FactMapper with another mapper's transcoder, compressor and cipher (the
        store's: `app.mapper`), for reading the store's events as facts."""
        return cls(transcoder=mapper.transcoder, compressor=mapper.compressor, cipher=mapper.cipher)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        return self.fact(
            stored_event.originator_id,
            stored_event.originator_version,
            stored_event.topic,
            stored_event.state,
            getattr(stored_event, "id", None),
        )

    def fact(
        self,
        originator_id: UUID | str,
        version: int,
        topic: str,
        state: bytes,
        notification_id: int | None,
    ) -> Fact:
        return Fact(
            originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id)),
            version,
            topic,
            self.data(state),
            notification_id,
        )

    def data(self, state: bytes) -> dict[str, Any]:
        """A stored event's state as the views read it: decrypted and decompressed as
        configured, then decoded (the live runner's facts and the bulk folds alike)."""
        if self.cipher:
            state = self.cipher.decrypt(state)
        if self.compressor:
            state = self.compressor.decompress(state)
        return decode_state(state)


MAPPER_TOPIC = "projections.facts:FactMapper"


def fact_mapper(env: dict[str, str]) -> FactMapper:
    """A FactMapper with the cipher and compressor the application's environment
    configures, for reading stored events outside the library's runner."""
    factory = InfrastructureFactory.construct(Environment("rectrack", env))
    try:
        mapper = factory.mapper(transcoder=JSONTranscoder(), mapper_class=FactMapper)
    finally:
        factory.close()
    assert isinstance(mapper, FactMapper)
    return mapper
