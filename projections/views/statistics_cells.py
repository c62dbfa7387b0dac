"""Statistics cells: every figure of projections/views/figures.py summed ahead of time,
so that a year-wide or all-years question reads a few hundred rows instead of every
recommendation.

A cube is a set of dimensions (the status row's year, authority, place type, kind and,
where recorded, source; and theme or recommending body, under which a recommendation
counts once per theme or body, as the views' breakdowns by theme and by recommending
body do). Each cube has three tables: its cells, with
each count figure's own aggregate per cell; the reply days per cell as a histogram
(value, how many), over which each days figure's histogram form runs, so a median is
exact, not a median of medians; and follow-ups by kind and escalations by level. The
two finest cubes are built from the views, the coarser ones by summing those. A question
reads the smallest cube that holds every dimension it filters or groups on.

They are built whole, in one transaction, from one snapshot of the views, and swapped in
(`refresh`): the projector rebuilds them when the views have moved on, at most every
`RECTRACK_STATS_REFRESH_SECONDS`. A question reads them only when they are current (the
views' positions equal those the cells were built at) or, where the caller allows it,
no older than `max_age` seconds; otherwise it is answered from the views themselves, so
an answer is never silently older than asked for. A question about one place, or about
one theme broken down by theme, is always answered from the views (its rows are few, or
its meaning differs per theme).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
import structlog
from psycopg.sql import SQL, Composed, Identifier

from projections.views.figures import FIGURES, REPLY_DAYS
from projections.views.reading import fetch
from projections.views.status import RECOMMENDATIONS as STATUS

log = structlog.get_logger(__name__)

DIMENSIONS: tuple[str, ...] = ("year", "authority_id", "place_type", "kind") + (
    ("source",) if "source" in STATUS.columns else ()
)
"""The status row's columns a cell is keyed by: every filter the lists take but a place."""
THEME = "theme"
BODY = "recommending_body"
UNNESTED: dict[str, str] = {THEME: "themes", BODY: "recommending_bodies"}
"""The dimensions a recommendation has several values of, each the status row's array
column it is unnested from."""

STATE = "statistics_cells_state"
NEW = "__new"  # a table's name while it is built, before the swap
#: The views the cells are built from: their positions tell whether the cells are current.
SOURCES = ("status", "statistics")


@dataclass(frozen=True)
class Cube:
    name: str
    dims: tuple[str, ...]
    parent: str | None = None  # the finer cube it is summed from; None: from the views

    @property
    def cells(self) -> str:
        return f"statistics_cells_{self.name}"

    @property
    def days(self) -> str:
        return f"statistics_cells_{self.name}_days"

    @property
    def actions(self) -> str:
        return f"statistics_cells_{self.name}_actions"


FINE = Cube("fine", DIMENSIONS)
FINE_THEME = Cube("fine_theme", (*DIMENSIONS, THEME))
FINE_BODY = Cube("fine_body", (*DIMENSIONS, BODY))
CUBES: tuple[Cube, ...] = (
    # smallest first: a question reads the first that holds its dimensions
    Cube("year", ("year",), "fine"),
    Cube("year_kind", ("year", "kind"), "fine"),
    Cube("year_place_type", ("year", "place_type"), "fine"),
    Cube("year_theme", ("year", THEME), "fine_theme"),
    Cube("year_authority", ("year", "authority_id"), "fine"),
    Cube("year_place_type_theme", ("year", "place_type", THEME), "fine_theme"),
    Cube("year_kind_theme", ("year", "kind", THEME), "fine_theme"),
    Cube("year_body", ("year", BODY), "fine_body"),
    FINE,
    FINE_THEME,
    FINE_BODY,
)
_BY_NAME = {cube.name: cube for cube in CUBES}
COUNTS = tuple(f for f in FIGURES if f.kind == "count")


def cube_for(needed: set[str]) -> Cube | None:
    """The smallest cube holding every dimension in `needed`, or None."""
    return next((cube for cube in CUBES if needed <= set(cube.dims)), None)


def definition() -> str:
    """A digest of what the cells hold: cells built under other figures are not used."""
    cubes = (f"{c.name}={c.dims}" for c in CUBES)
    text = "|".join([*DIMENSIONS, *cubes, *(f"{f.key}={f.sql}" for f in FIGURES), REPLY_DAYS])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _from_views(schema: str, cube: Cube, table: str) -> Composed:
    """The SELECT that builds one of a finest cube's tables from the views."""
    several = [d for d in cube.dims if d in UNNESTED]
    dims = [f"r.{d}" for d in DIMENSIONS] + [f"{d}_value.value AS {d}" for d in several]
    themes = "".join(
        f" CROSS JOIN LATERAL unnest(r.{UNNESTED[d]}) AS {d}_value(value)" for d in several
    )
    keys = ", ".join(str(i) for i in range(1, len(dims) + 1))
    n = len(dims)
    if table == cube.actions:
        query = (
            f"SELECT {', '.join(dims)}, a.action, a.detail, sum(a.n)::bigint AS n"
            " FROM {0}.statistics_actions a"
            " JOIN {0}.status_recommendations r ON r.recommendation_id = a.recommendation_id"
            f"{themes} WHERE r.issued_on IS NOT NULL GROUP BY {keys}, {n + 1}, {n + 2}"
        )
    elif table == cube.days:
        query = (
            f"SELECT {', '.join(dims)}, {REPLY_DAYS} AS v, count(*) AS n"
            " FROM {0}.status_recommendations r"
            f"{themes} WHERE r.issued_on IS NOT NULL AND {REPLY_DAYS} IS NOT NULL"
            f" GROUP BY {keys}, {n + 1}"
        )
    else:
        counts = ", ".join(f"{f.sql} AS {f.key}" for f in COUNTS)
        query = (
            f"SELECT {', '.join(dims)}, {counts} FROM {{0}}.status_recommendations r"
            f"{themes} WHERE r.issued_on IS NOT NULL GROUP BY {keys}"
        )
    return SQL(query).format(Identifier(schema))  # type: ignore[arg-type]


def _from_parent(schema: str, cube: Cube, parent: Cube, table: str) -> Composed:
    """The SELECT that sums one of a coarser cube's tables from its parent's, as just
    built in the same transaction (under their `__new` names)."""
    dims = ", ".join(cube.dims)
    keys = ", ".join(str(i) for i in range(1, len(cube.dims) + 1))
    n = len(cube.dims)
    if table == cube.actions:
        query = (
            f"SELECT {dims}, action, detail, sum(n)::bigint AS n FROM {{0}}.{{1}}"
            f" GROUP BY {keys}, {n + 1}, {n + 2}"
        )
        source = parent.actions + NEW
    elif table == cube.days:
        query = f"SELECT {dims}, v, sum(n)::bigint AS n FROM {{0}}.{{1}} GROUP BY {keys}, {n + 1}"
        source = parent.days + NEW
    else:
        sums = ", ".join(f"sum({f.key})::bigint AS {f.key}" for f in COUNTS)
        query = f"SELECT {dims}, {sums} FROM {{0}}.{{1}} GROUP BY {keys}"
        source = parent.cells + NEW
    return SQL(query).format(Identifier(schema), Identifier(source))  # type: ignore[arg-type]


def _exists(conn: psycopg.Connection[Any], schema: str, *tables: str) -> bool:
    row = conn.execute(
        "SELECT bool_and(to_regclass(t) IS NOT NULL) FROM unnest(%s::text[]) AS t",
        ([f'"{schema}"."{table}"' for table in tables],),
    ).fetchone()
    return bool(row and row[0])


def _positions_sql(schema: str) -> Composed:
    # One tracking row per view: the projector follows one application.
    return SQL(", ").join(
        SQL("(SELECT max(notification_id) FROM {0}.{1})").format(
            Identifier(schema), Identifier(f"{name}_tracking")
        )
        for name in SOURCES
    )


def _positions(conn: psycopg.Connection[Any], schema: str) -> list[int] | None:
    """The source views' tracked positions, or None before they exist."""
    if not _exists(conn, schema, *(f"{name}_tracking" for name in SOURCES)):
        return None
    row = conn.execute(SQL("SELECT ") + _positions_sql(schema)).fetchone()
    return [int(p or 0) for p in row] if row else None


@dataclass(frozen=True)
class CellsState:
    built_at: datetime
    positions: list[int]
    definition: str


def state(conn: psycopg.Connection[Any], schema: str) -> CellsState | None:
    if not _exists(conn, schema, STATE):
        return None
    rows = fetch(
        conn,
        SQL("SELECT built_at, positions, definition FROM {0}.{1}").format(
            Identifier(schema), Identifier(STATE)
        ),
        [],
    )
    if not rows:
        return None
    return CellsState(rows[0]["built_at"], list(rows[0]["positions"]), rows[0]["definition"])


def usable(conn: psycopg.Connection[Any], schema: str, max_age: float | None) -> bool:
    """Whether the cells answer for the views now: current, or (max_age) fresh enough.
    Two round trips: whether the tables exist, then the state beside the positions."""
    if not _exists(conn, schema, STATE, *(f"{name}_tracking" for name in SOURCES)):
        return False
    row = conn.execute(
        SQL("SELECT s.built_at, s.positions, s.definition, ARRAY[{0}] FROM {1}.{2} s").format(
            _positions_sql(schema), Identifier(schema), Identifier(STATE)
        )
    ).fetchone()
    if row is None or row[2] != definition():
        return False
    fresh_enough = max_age is not None and max_age > 0
    if fresh_enough and (datetime.now(UTC) - row[0]).total_seconds() <= (max_age or 0):
        return True
    return list(row[1]) == [int(p or 0) for p in row[3]]


def refresh(database_url: str, schema: str, *, force: bool = False) -> bool:
    """Build every cube from one snapshot of the views and swap them in. Skipped (False)
    when the cells are already current or another process is building them."""
    s = Identifier(schema)
    with psycopg.connect(database_url) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        conn.execute("SET LOCAL statement_timeout = 0")
        locked = conn.execute(
            "SELECT pg_try_advisory_xact_lock(hashtext(%s))", (f"{schema}.statistics_cells",)
        ).fetchone()
        if not locked or not locked[0]:
            return False
        positions = _positions(conn, schema)
        if positions is None:
            return False
        built = state(conn, schema)
        if (
            not force
            and built is not None
            and built.positions == positions
            and built.definition == definition()
        ):
            return False
        started = datetime.now(UTC)
        fresh: list[tuple[str, str]] = []
        finest_first = sorted(CUBES, key=lambda c: c.parent is not None)
        for cube in finest_first:
            for table in (cube.cells, cube.days, cube.actions):
                new = table + NEW
                conn.execute(SQL("DROP TABLE IF EXISTS {0}.{1}").format(s, Identifier(new)))
                select = (
                    _from_views(schema, cube, table)
                    if cube.parent is None
                    else _from_parent(schema, cube, _BY_NAME[cube.parent], table)
                )
                conn.execute(SQL("CREATE TABLE {0}.{1} AS ").format(s, Identifier(new)) + select)
                fresh.append((new, table))
        for new, table in fresh:
            conn.execute(SQL("DROP TABLE IF EXISTS {0}.{1}").format(s, Identifier(table)))
            conn.execute(
                SQL("ALTER TABLE {0}.{1} RENAME TO {2}").format(
                    s, Identifier(new), Identifier(table)
                )
            )
        conn.execute(
            SQL(
                "CREATE TABLE IF NOT EXISTS {0}.{1} "
                "(built_at timestamptz NOT NULL, positions bigint[] NOT NULL, definition text)"
            ).format(s, Identifier(STATE))
        )
        conn.execute(SQL("DELETE FROM {0}.{1}").format(s, Identifier(STATE)))
        conn.execute(
            SQL("INSERT INTO {0}.{1} VALUES (%s, %s, %s)").format(s, Identifier(STATE)),
            (started, positions, definition()),
        )
    log.info(
        "statistics cells built",
        schema=schema,
        positions=positions,
        seconds=round((datetime.now(UTC) - started).total_seconds(), 2),
    )
    return True


class Refresher:
    """What the projector calls every second: rebuild the cells when the views have moved
    on and the last build began at least `every` seconds ago (0: never).

    A build runs on a thread of its own, with its own connection, one at a time: the
    projector's loop goes on beating its health meanwhile (a build over a minute, on a
    large store, would otherwise mark the projector not live, projections/engine/
    leader.py). A build the process does not live to finish is one transaction, rolled
    back whole; the next projector builds again."""

    def __init__(self, database_url: str, schema: str, every: float) -> None:
        self.database_url, self.schema, self.every = database_url, schema, every
        self._last = 0.0
        self._building: threading.Thread | None = None

    def tick(self, now: float) -> None:
        if self.every <= 0 or now - self._last < self.every or self.building():
            return
        self._last = now
        self._building = threading.Thread(
            target=self._build, name=f"statistics-cells-{self.schema}", daemon=True
        )
        self._building.start()

    def building(self) -> bool:
        return self._building is not None and self._building.is_alive()

    def _build(self) -> None:
        try:
            refresh(self.database_url, self.schema)
        except Exception:
            # The questions are answered from the views meanwhile; the next tick tries
            # again. Anything else would end only this thread, silently.
            log.exception("statistics cells not built", schema=self.schema)
