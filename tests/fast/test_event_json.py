"""The stored events' bytes do not depend on which encoder wrote them: the store's
transcoder (orjson where it writes the same bytes) against the library's own, on the
values events hold and on the ones orjson would write otherwise. The fast tier's store
also compares every event it writes (tests/fast/conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import uuid4

import orjson
import pytest
from eventsourcing.persistence import JSONTranscoder, Transcoding

from domain.values import EventMeta, Position
from services.adapters.event_json import _OPTIONS as OPTIONS
from services.adapters.event_json import ExactJSONTranscoder
from services.adapters.memory_store import MEMORY_ENV
from services.application.store import Rectrack
from tests.builders import DAY

META = EventMeta("carla", "caseworker", DAY, "cmd-1", "why", None)


class Colour(Enum):
    RED = "red"


@dataclass(frozen=True)
class Money:
    amount: float


class MoneyAsDict(Transcoding):
    type = Money
    name = "money"

    def encode(self, obj: Money) -> dict[str, Any]:
        return {"amount": obj.amount}

    def decode(self, data: dict[str, Any]) -> Money:
        return Money(data["amount"])


class Stamp(datetime):
    pass


def _both() -> tuple[JSONTranscoder, ExactJSONTranscoder]:
    library, exact = JSONTranscoder(), ExactJSONTranscoder()
    store = Rectrack.__new__(Rectrack)  # only its transcodings
    for transcoder in (library, exact):
        store.register_transcodings(transcoder)
        transcoder.register(MoneyAsDict())
    return library, exact


PLAIN: list[Any] = [
    {
        "timestamp": datetime(2026, 12, 1, 14, 0, 1, 123456, tzinfo=UTC),
        "originator_topic": "domain.recommendation:Recommendation",
        "meta": META,
        "text": 'Ensure the "quiet room" — «0» — is closed\nsee §4 \u2028 \x00\x1f\x7f \\ ',
        "tags": {"themes": ["éducation", "santé"], "keywords": []},
        "staff": ("A. Novák", "Ж. Петрова"),
        "position": Position.ACCEPTED,
        "level": 2**63 - 1,
        "verified": False,
        "report_id": None,
        "issued_on": date(2024, 4, 30),
        "nested": [[{"a": [1, -2, True, None]}]],
        "amount": Decimal("1.50"),
    },
    {},
    [],
    "text",
]
#: values orjson writes otherwise, or refuses: the library writes them
OTHER: list[Any] = [
    {"authority": uuid4()},
    {"ids": (uuid4(), "x")},
    {"share": 0.1, "big": 1e16, "small": 1e-7},
    {"money": Money(1e-7)},
    {"count": 2**70},
    {1: "int key", None: "none key"},
]


@pytest.mark.parametrize("state", PLAIN + OTHER)
def test_the_bytes_are_the_librarys(state: Any) -> None:
    library, exact = _both()
    assert exact.encode(state) == library.encode(state)
    assert exact.decode(exact.encode(state)) == library.decode(library.encode(state))


@pytest.mark.parametrize("state", PLAIN)
def test_plain_states_go_to_orjson(state: Any) -> None:
    """Else the fast path would quietly be gone."""
    _, exact = _both()
    assert exact._plain(state)


@pytest.mark.parametrize("state", OTHER)
def test_orjson_alone_would_write_the_others_otherwise(state: Any) -> None:
    """What the walk keeps from orjson matters: unguarded, the bytes would differ."""
    library, exact = _both()
    try:
        unguarded = orjson.dumps(state, default=exact._encode_obj, option=OPTIONS)
    except TypeError:
        return
    assert unguarded != library.encode(state)


def test_what_the_library_refuses_is_refused_alike() -> None:
    library, exact = _both()
    refused = ({"colour": Colour.RED}, {"day": object()}, {"at": Stamp(2026, 1, 1, tzinfo=UTC)})
    for state in refused:
        with pytest.raises(TypeError) as expected:
            library.encode(state)
        with pytest.raises(type(expected.value)):
            exact.encode(state)
    cycle: list[Any] = []
    cycle.append(cycle)
    with pytest.raises(ValueError, match="Circular"):
        exact.encode(cycle)


def test_the_store_writes_with_it() -> None:
    store = Rectrack(env=MEMORY_ENV)
    try:
        assert isinstance(store.mapper.transcoder, ExactJSONTranscoder)
    finally:
        store.close()


def test_a_shared_metadata_is_written_as_each_states_own() -> None:
    """The events one command triggers share its EventMeta, whose wrapper the encoder
    reuses: each state still writes the metadata it holds, whichever came before."""
    library, exact = _both()
    other = EventMeta("dora", "admin", date(2024, 5, 1), "cmd-2", None, "00-trace")
    states = [
        {"meta": META, "at": date(2024, 4, 30)},
        {"meta": META, "nested": [{"meta": META}]},
        {"meta": other},
        {"meta": META},
        {"first": other, "second": META, "third": other},
    ]
    for state in states:
        assert exact.encode(state) == library.encode(state)
