"""Where each view stands in the log, and read-your-writes: a caller that has just
written (and so holds the notification id of its last event, CommandResult's
`notification_id`) waits until the views it is about to read have processed it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.sql import SQL, Identifier

from projections.engine.recorder import APPLICATION_NAME
from projections.engine.registry import select


@dataclass(frozen=True)
class ViewPosition:
    name: str
    position: int
    log_position: int

    @property
    def lag(self) -> int:
        return max(self.log_position - self.position, 0)


def view_positions(
    conn: psycopg.Connection[Any], schema: str, names: list[str] | None = None
) -> dict[str, int]:
    """Each view's tracked notification id (0 before its first event or table)."""
    specs = select(names)
    existing = {
        row[0]
        for row in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (schema,),
        )
    }
    positions: dict[str, int] = {}
    for spec in specs:
        tracking = spec.view.tracking_table()
        if tracking not in existing:
            positions[spec.name] = 0
            continue
        row = conn.execute(
            SQL("SELECT notification_id FROM {0}.{1} WHERE application_name = %s").format(
                Identifier(schema), Identifier(tracking)
            ),
            (APPLICATION_NAME,),
        ).fetchone()
        positions[spec.name] = int(row[0]) if row and row[0] is not None else 0
    return positions


def log_position(conn: psycopg.Connection[Any], schema: str) -> int:
    row = conn.execute(
        SQL("SELECT max(notification_id) FROM {0}.rectrack_events").format(Identifier(schema))
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def status(
    conn: psycopg.Connection[Any], schema: str, names: list[str] | None = None
) -> list[ViewPosition]:
    head = log_position(conn, schema)
    return [
        ViewPosition(name, position, head)
        for name, position in view_positions(conn, schema, names).items()
    ]


def wait_until_caught_up(
    database_url: str,
    schema: str,
    notification_id: int,
    *,
    timeout: float,
    names: list[str] | None = None,
) -> None:
    """Return once every named view (all when None) has processed `notification_id`;
    raise TimeoutError naming the views still behind after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    interval = 0.005
    with psycopg.connect(database_url, autocommit=True) as conn:
        while True:
            positions = view_positions(conn, schema, names)
            behind = {n: p for n, p in positions.items() if p < notification_id}
            if not behind:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                detail = ", ".join(f"{n} at {p}" for n, p in sorted(behind.items()))
                raise TimeoutError(
                    f"views not caught up with notification {notification_id} after "
                    f"{timeout:g}s: {detail}"
                )
            # Poll with a growing interval: quick for the usual sub-second catch-up.
            time.sleep(min(interval, remaining))
            interval = min(interval * 2, 0.1)
