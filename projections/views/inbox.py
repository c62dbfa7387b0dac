"""The caseworkers' inbox: open tasks by role and assignee, overdue first.

Tasks are opened by the deadline workflows (through the domain) and claimed, reassigned,
completed or cancelled by people; this view keeps one row per task so the inbox is a
single indexed query (`list_tasks`, `get_task`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg.sql import SQL, Composed, Identifier

from domain.errors import InvalidInput
from projections.base import Rows, Table, View, on, update_row
from projections.events import Task
from projections.facts import Fact

TASKS = Table(
    "inbox_tasks",
    {
        "task_id": "uuid",
        "kind": "text",
        "title": "text",
        "role": "text",
        "state": "text",
        "assignee": "text",
        "due_on": "date",
        "opened_on": "date",
        "recommendation_ids": "text[]",
        "workflow_id": "text",
        "outcome": "text",
        "closed_on": "date",
        "version": "integer",
    },
    key=("task_id",),
    indexes=("(state, role, due_on)", "(assignee, state, due_on)"),
)


class InboxView(View):
    name = "inbox"
    tables: ClassVar[tuple[Table, ...]] = (TASKS,)

    @on(Task.Opened)
    def opened(self, fact: Fact, rows: Rows) -> None:
        data = fact.data
        rows.put(
            TASKS,
            {
                "task_id": str(fact.originator_id),
                "kind": data["kind"],
                "title": data["title"],
                "role": data["role"],
                "state": "open",
                "assignee": None,
                "due_on": data["due_on"],
                "opened_on": fact.meta.get("business_date"),
                "recommendation_ids": list(data.get("recommendation_ids") or ()),
                "workflow_id": data["workflow_id"],
                "outcome": None,
                "closed_on": None,
                "version": fact.version,
            },
        )

    @on(Task.Claimed, Task.Reassigned)
    def claimed(self, fact: Fact, rows: Rows) -> None:
        self._change(fact, rows, state="claimed", assignee=fact.data["assignee"])

    @on(Task.Completed)
    def completed(self, fact: Fact, rows: Rows) -> None:
        self._change(
            fact,
            rows,
            state="completed",
            assignee=fact.data["completed_by"],
            outcome=fact.data["outcome"],
            closed_on=fact.meta.get("business_date"),
        )

    @on(Task.Cancelled)
    def cancelled(self, fact: Fact, rows: Rows) -> None:
        self._change(fact, rows, state="cancelled", closed_on=fact.meta.get("business_date"))

    @staticmethod
    def _change(fact: Fact, rows: Rows, **changed: Any) -> None:
        update_row(rows, TASKS, str(fact.originator_id), **changed, version=fact.version)


STATES = ("open", "claimed", "completed", "cancelled")
SORTS = {"overdue": "overdue first, then by due date", "due": "by due date"}
FACETS = ("kind", "authority_id", "assignee", "overdue")


@dataclass(frozen=True)
class TaskFilter:
    """What the inbox shows: the state and role, and the filters a caseworker picks
    (each with its counts: see `task_counts`)."""

    state: str | None = "open"
    role: str | None = None
    assignee: str | None = None
    recommendation_id: UUID | str | None = None
    kind: str | None = None
    authority_id: UUID | str | None = None
    overdue: bool | None = None
    due_before: date | None = None

    def conditions(self, today: date, *, leave_out: str = "") -> tuple[Composed | SQL, list[Any]]:
        where: list[Composed | SQL] = []
        params: list[Any] = []
        state = self.state
        if state == "open":
            where.append(SQL("t.state IN ('open', 'claimed')"))
        elif state == "unclaimed":
            where.append(SQL("t.state = 'open'"))
        elif state is not None:
            if state not in STATES:
                raise InvalidInput(
                    "state",
                    "must be one of open, unclaimed, {allowed}",
                    allowed=", ".join(STATES[1:]),
                )
            where.append(SQL("t.state = %s"))
            params.append(state)
        plain = {
            "role": ("t.role = %s", self.role),
            "assignee": ("t.assignee = %s", self.assignee),
            "recommendation_id": (
                "%s = ANY(t.recommendation_ids)",
                None if self.recommendation_id is None else str(self.recommendation_id),
            ),
            "kind": ("t.kind = %s", self.kind),
            "authority_id": (
                "r.authority_id = %s",
                None if self.authority_id is None else str(self.authority_id),
            ),
            "due_before": ("t.due_on < %s", self.due_before),
        }
        for name, (clause, value) in plain.items():
            if value is not None and name != leave_out:
                where.append(SQL(clause))  # type: ignore[arg-type]
                params.append(value)
        if self.overdue is not None and leave_out != "overdue":
            where.append(SQL(OVERDUE if self.overdue else f"NOT ({OVERDUE})"))  # type: ignore[arg-type]
            params.append(today)
        return (SQL(" AND ").join(where) if where else SQL("true")), params


OVERDUE = "(t.due_on < %s AND t.state IN ('open', 'claimed'))"


def _from(conn: psycopg.Connection[Any], schema: str) -> Composed:
    """The tasks, each with its first recommendation (reference, text, authority) from
    the status view, which the projector keeps in the same schema (where it is not kept,
    as in a deployment projecting the inbox alone, those columns stay empty)."""
    tasks = SQL("{0}.{1}").format(Identifier(schema), Identifier(TASKS.name))
    row = conn.execute(
        "SELECT to_regclass(%s), to_regclass(%s)",
        [f'"{schema}".status_recommendations', f'"{schema}".status_authorities'],
    ).fetchone()
    if row is None or row[0] is None or row[1] is None:
        return SQL(
            "{tasks} t LEFT JOIN (SELECT NULL::text AS reference, NULL::text AS text, "
            "NULL::uuid AS authority_id) r ON false "
            "LEFT JOIN (SELECT NULL::uuid AS authority_id, NULL::text AS name) a ON false"
        ).format(tasks=tasks)
    return SQL(
        "{tasks} t LEFT JOIN {recs} r ON r.recommendation_id::text = t.recommendation_ids[1] "
        "LEFT JOIN {authorities} a ON a.authority_id = r.authority_id"
    ).format(
        tasks=tasks,
        recs=SQL("{0}.{1}").format(Identifier(schema), Identifier("status_recommendations")),
        authorities=SQL("{0}.{1}").format(Identifier(schema), Identifier("status_authorities")),
    )


def list_tasks(
    conn: psycopg.Connection[Any],
    schema: str,
    *,
    state: str | None = "open",
    role: str | None = None,
    assignee: str | None = None,
    recommendation_id: UUID | str | None = None,
    limit: int = 50,
    offset: int = 0,
    today: date | None = None,
    where: TaskFilter | None = None,
    sort: str = "overdue",
) -> tuple[list[dict[str, Any]], int]:
    """Tasks, overdue first, then by due date (`sort="due"`: by due date only), each with
    the reference, the opening words and the authority of the recommendation it is about.
    `state="open"` means not yet done (open or claimed); "unclaimed" is only the open ones
    nobody holds. `where` (a TaskFilter) replaces the keyword filters."""
    if not 1 <= limit <= 500:
        raise InvalidInput("limit", "must be between 1 and 500")
    if offset < 0:
        raise InvalidInput("offset", "must not be negative")
    if sort not in SORTS:
        raise InvalidInput("sort", "must be one of {allowed}", allowed=", ".join(SORTS))
    today = today or date.today()
    where = where or TaskFilter(state, role, assignee, recommendation_id)
    condition, params = where.conditions(today)
    order = SQL("t.due_on, t.task_id" if sort == "due" else f"{OVERDUE} DESC, t.due_on, t.task_id")  # type: ignore[arg-type]
    order_params = [] if sort == "due" else [today]
    with conn.cursor(row_factory=dict_row) as curs:
        curs.execute(
            SQL("SELECT count(*) AS n FROM {0} WHERE {1}").format(_from(conn, schema), condition),
            params,
        )
        total = int(curs.fetchone()["n"])  # type: ignore[index]
        curs.execute(
            SQL(
                "SELECT t.*, r.reference AS reference, left(r.text, 120) AS recommendation_text, "
                "r.authority_id AS authority_id, a.name AS authority "
                "FROM {0} WHERE {1} ORDER BY {2} LIMIT %s OFFSET %s"
            ).format(_from(conn, schema), condition, order),
            [*params, *order_params, limit, offset],
        )
        items = [_with_overdue(row, today) for row in curs.fetchall()]
    return items, total


def task_counts(
    conn: psycopg.Connection[Any], schema: str, where: TaskFilter, *, today: date | None = None
) -> dict[str, list[dict[str, Any]]]:
    """For each filter (kind, authority, assignee, overdue): how many tasks each of its
    values would show, the other filters applied: {facet: [{value, label, count}]}."""
    today = today or date.today()
    columns = {
        "kind": ("t.kind", "min(t.kind)"),
        "authority_id": ("r.authority_id::text", "min(a.name)"),
        "assignee": ("t.assignee", "min(t.assignee)"),
        "overdue": (OVERDUE, "NULL"),
    }
    counts: dict[str, list[dict[str, Any]]] = {}
    with conn.cursor(row_factory=dict_row) as curs:
        for facet, (column, label) in columns.items():
            condition, params = where.conditions(today, leave_out=facet)
            extra = [today] if facet == "overdue" else []
            curs.execute(
                SQL(
                    "SELECT {c} AS value, {l} AS label, count(*) AS n FROM {f} WHERE {w} "
                    "GROUP BY 1 ORDER BY 3 DESC, 1"
                ).format(
                    c=SQL(column),  # type: ignore[arg-type]
                    l=SQL(label),  # type: ignore[arg-type]
                    f=_from(conn, schema),
                    w=condition,
                ),
                [*extra, *params],
            )
            counts[facet] = [
                {"value": row["value"], "label": row["label"], "count": int(row["n"])}
                for row in curs.fetchall()
            ]
    return counts


def get_task(
    conn: psycopg.Connection[Any], schema: str, task_id: UUID | str, *, today: date | None = None
) -> dict[str, Any] | None:
    with conn.cursor(row_factory=dict_row) as curs:
        curs.execute(
            SQL("SELECT * FROM {0}.{1} WHERE task_id = %s").format(
                Identifier(schema), Identifier(TASKS.name)
            ),
            [str(task_id)],
        )
        row = curs.fetchone()
    return None if row is None else _with_overdue(row, today or date.today())


def _with_overdue(row: dict[str, Any], today: date) -> dict[str, Any]:
    active = row["state"] in ("open", "claimed")
    row["overdue"] = active and row["due_on"] < today
    row["days_overdue"] = (today - row["due_on"]).days if row["overdue"] else 0
    return row
