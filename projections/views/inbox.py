"""The caseworkers' inbox: open tasks by role and assignee, overdue first.

Tasks are opened by the deadline workflows (through the domain) and claimed, reassigned,
completed or cancelled by people; this view keeps one row per task so the inbox is a
single indexed query (`list_tasks`, `get_task`)."""

from __future__ import annotations

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
) -> tuple[list[dict[str, Any]], int]:
    """Tasks, overdue first, then by due date. `state="open"` means not yet done
    (open or claimed); "unclaimed" is only the open ones nobody holds."""
    if not 1 <= limit <= 500:
        raise InvalidInput("limit", "must be between 1 and 500")
    if offset < 0:
        raise InvalidInput("offset", "must not be negative")
    today = today or date.today()
    where: list[Composed | SQL] = []
    params: list[Any] = []
    if state == "open":
        where.append(SQL("state IN ('open', 'claimed')"))
    elif state == "unclaimed":
        where.append(SQL("state = 'open'"))
    elif state is not None:
        if state not in STATES:
            raise InvalidInput("state", f"must be one of open, unclaimed, {', '.join(STATES[1:])}")
        where.append(SQL("state = %s"))
        params.append(state)
    if role is not None:
        where.append(SQL("role = %s"))
        params.append(role)
    if assignee is not None:
        where.append(SQL("assignee = %s"))
        params.append(assignee)
    if recommendation_id is not None:
        where.append(SQL("%s = ANY(recommendation_ids)"))
        params.append(str(recommendation_id))
    condition = SQL(" AND ").join(where) if where else SQL("true")
    table = SQL("{0}.{1}").format(Identifier(schema), Identifier(TASKS.name))
    with conn.cursor(row_factory=dict_row) as curs:
        curs.execute(
            SQL("SELECT count(*) AS n FROM {0} WHERE {1}").format(table, condition), params
        )
        total = int(curs.fetchone()["n"])  # type: ignore[index]
        curs.execute(
            SQL(
                "SELECT * FROM {0} WHERE {1} "
                "ORDER BY (due_on < %s AND state IN ('open', 'claimed')) DESC, due_on, task_id "
                "LIMIT %s OFFSET %s"
            ).format(table, condition),
            [*params, today, limit, offset],
        )
        items = [_with_overdue(row, today) for row in curs.fetchall()]
    return items, total


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
