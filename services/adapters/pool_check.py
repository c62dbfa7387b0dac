"""The store's pool checks a connection before lending it only when the connection has
been idle a while.

The library's pre-ping (`POSTGRES_PRE_PING`) sends an empty query before every
checkout: one round trip more on every read of an aggregate and two more on every
command (load, then save), which `make bench-api` measured against the floor. A
connection lent within the last `fresh_seconds` was working then; one idle longer (the
case a database restart or a dropped link leaves behind) is still pinged, and the store's
retry of a dropped connection (event_store.py) covers the remaining window.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from typing import Any

from psycopg_pool import ConnectionPool

FRESH_SECONDS = 1.0


def ping_when_idle(
    fresh_seconds: float = FRESH_SECONDS,
    *,
    ping: Callable[[Any], None] = ConnectionPool.check_connection,
    clock: Callable[[], float] = time.monotonic,
) -> Callable[[Any], None]:
    """A pool `check` that pings a connection only if it was last lent more than
    `fresh_seconds` ago (or never)."""
    lent_at: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()

    def check(conn: Any) -> None:
        now = clock()
        last = lent_at.get(conn)
        if last is None or now - last > fresh_seconds:
            ping(conn)  # raises for a dead connection: the pool discards it
        lent_at[conn] = now

    return check


def install(pool: ConnectionPool[Any]) -> None:
    """Replace a pool's every-checkout ping with `ping_when_idle` (a pool built without
    a check keeps none)."""
    if pool._check is not None:  # the library passes its check only to the constructor
        pool._check = ping_when_idle()
