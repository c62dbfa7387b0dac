"""A build's pass over the notification log (engine/rebuild.py): pages read from one
snapshot, each event decoded once and handed to the fold and to the views' handlers.
Kept apart from the build so that a split fold's second process (engine/split.py) runs
the very same pass over its part of the log."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from psycopg import ServerCursor
from psycopg.sql import SQL, Composable

from projections.base import View
from projections.engine.bulk import FOLDED_TOPICS, RecommendationFold
from projections.engine.memory import MemoryRows
from projections.facts import Fact

PAGE = 20_000


@dataclass(frozen=True)
class Part:
    """Which recommendations a process folds: those whose id's last byte is `index`
    modulo `count`. Every other event is read by every part (the fold looks things up
    in what their handlers keep, such as a place's type); only the first part keeps
    what the handlers make of them."""

    index: int
    count: int


@dataclass
class Pass:
    """What one process does with the events it reads."""

    fold: RecommendationFold
    memory: MemoryRows
    views: list[tuple[View, int]]
    """Every view built, with the last event it takes."""
    unfolded: list[tuple[View, int]]
    """The views whose handlers still take recommendation events."""
    folded: frozenset[str]
    data_of: Callable[[bytes], Any]


def read_log(
    reader: psycopg.Connection[Any],
    events: Composable,
    upto: int,
    work: Pass,
    part: Part | None,
    on_page: Callable[[int], None],
) -> int:
    """Read the events up to `upto` (all, or `part`'s) in log order on `reader`'s
    snapshot and apply them; `on_page(rows)` after each page. Returns the rows read,
    which for a part but the first are only its recommendation events (the others
    are counted by the first)."""
    only_folded = part is not None and part.index > 0
    fold, memory, views, unfolded, folded = (
        work.fold,
        work.memory,
        work.views,
        work.unfolded,
        work.folded,
    )
    data_of = work.data_of
    query = SQL(
        "SELECT notification_id, uuid_send(originator_id), originator_version, topic, "
        "state FROM {0} WHERE notification_id <= %s"
    ).format(events)
    params: list[Any] = [upto]
    if part is not None:
        query += SQL(" AND (topic <> ALL(%s) OR get_byte(uuid_send(originator_id), 15) %% %s = %s)")
        params += [sorted(FOLDED_TOPICS), part.count, part.index]
    # Per topic: whether the fold takes it, and the views whose handlers take it (most
    # handle few events): worked out once, not per event.
    routes: dict[str, tuple[bool, list[tuple[View, int]]]] = {}
    done = 0
    with reader.cursor(name="rebuild_read", binary=True) as pages:
        pages.itersize = PAGE
        pages.execute(query + SQL(" ORDER BY notification_id"), params)
        for page in _read_ahead(pages):
            for notification_id, originator_id, version, topic, state in page:
                route = routes.get(topic)
                if route is None:
                    folds = bool(folded) and topic in fold.topics
                    targets = unfolded if folded and topic in FOLDED_TOPICS else views
                    route = routes[topic] = (
                        folds,
                        [(v, limit) for v, limit in targets if v.handles(topic)],
                    )
                folding, handlers = route
                if not folding and not handlers:
                    continue  # no view built here takes it: not even decoded
                data = data_of(state)
                if handlers:
                    event = Fact(UUID(bytes=originator_id), version, topic, data, notification_id)
                    for view, limit in handlers:
                        if notification_id <= limit:
                            view.apply(event, memory)
                if folding:  # last: the fold takes `data` over
                    fold.apply(originator_id, version, topic, data)
            rows = sum(1 for r in page if r[3] in FOLDED_TOPICS) if only_folded else len(page)
            done += rows
            on_page(rows)
    return done


def _read_ahead(pages: ServerCursor[Any]) -> Iterator[list[Any]]:
    """The cursor's pages, each next one fetched on a thread while this one is folded:
    the server reads and sends a page while Python works on the one before, instead of
    each waiting for the other."""
    with ThreadPoolExecutor(1, thread_name_prefix="read-ahead") as pool:
        ahead = pool.submit(pages.fetchmany, PAGE)
        while page := ahead.result():
            ahead = pool.submit(pages.fetchmany, PAGE)
            yield page
