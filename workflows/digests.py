"""What the digests say, read from the read models: a caseworker's due and overdue tasks
(the inbox view), and the week's figures for compliance staff (the status and statistics
views). Who receives them: the enabled users of a role with an e-mail address, loaded
from the store (users are few; found by their creation events, as the API's workers list
finds them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.sql import SQL, Identifier

from domain.user import User
from domain.values import Role
from projections.views.inbox import TaskFilter, list_tasks
from services.application.catalogs import Speech
from services.application.store import Rectrack
from services.application.task_titles import title_in

LISTED = 20  # the longest list a digest shows; the rest is a count


@dataclass(frozen=True)
class Recipient:
    user_id: str
    username: str
    display_name: str
    email: str
    language: str


def recipients(
    store: Rectrack, conn: psycopg.Connection[Any], schema: str, role: Role
) -> list[Recipient]:
    events = Identifier(schema, store.recorder.events_table_name)  # type: ignore[attr-defined]
    ids = [
        row[0]
        for row in conn.execute(
            SQL("SELECT DISTINCT originator_id FROM {0} WHERE topic LIKE %s").format(events),
            ["%:User.Created"],
        )
    ]
    found = []
    for user_id in ids:
        user = store.find(User, user_id)
        if user is None or user.disabled or role not in user.roles or not user.email:
            continue
        found.append(
            Recipient(str(user.id), user.username, user.display_name, user.email, user.language)
        )
    return sorted(found, key=lambda r: r.username)


def daily_tasks(
    conn: psycopg.Connection[Any], schema: str, who: Recipient, day: date, horizon_days: int
) -> dict[str, Any]:
    """The recipient's open tasks overdue on `day` and due within the horizon, and how
    many tasks of the caseworkers' role nobody holds."""
    until = day + timedelta(days=horizon_days)
    # A task's assignee is the user's id (services/application/handlers/tasks.py).
    mine = TaskFilter(state="open", assignee=who.user_id, due_before=until + timedelta(days=1))
    items, _ = list_tasks(conn, schema, where=mine, today=day, limit=500)
    # a workflow's title as the recipient reads it (stored in English, read back by form)
    said = title_in(Speech(who.language or "en"))
    items = [{**t, "title": said(t["title"])} for t in items]
    overdue = [t for t in items if t["overdue"]]
    due = [t for t in items if not t["overdue"]]
    _, unclaimed = list_tasks(
        conn,
        schema,
        where=TaskFilter(state="unclaimed", role=Role.CASEWORKER.value),
        today=day,
        limit=1,
    )
    return {"overdue": overdue, "due": due, "unclaimed": unclaimed, "until": until}


def weekly_figures(conn: psycopg.Connection[Any], schema: str, day: date) -> dict[str, Any]:
    """The week before `day` (`day` - 7 to `day` - 1) for compliance staff."""
    since, until = day - timedelta(days=7), day - timedelta(days=1)
    recs = Identifier(schema, "status_recommendations")
    authorities = Identifier(schema, "status_authorities")
    tasks = Identifier(schema, "inbox_tasks")
    escalated = Identifier(schema, "statistics_escalations")
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            SQL(
                "SELECT count(*) FILTER (WHERE status = 'issued') AS awaiting,"
                " count(*) FILTER (WHERE status = 'issued' AND due_on < %s) AS overdue_replies,"
                " count(*) FILTER (WHERE status <> 'issued' AND due_on < %s)"
                " AS overdue_implementation FROM {0}"
            ).format(recs),
            [day, day],
        )
        counts = dict(cur.fetchone() or {})
        cur.execute(
            SQL(
                "SELECT count(*) AS open_tasks,"
                " count(*) FILTER (WHERE due_on < %s) AS overdue_tasks"
                " FROM {0} WHERE state IN ('open', 'claimed')"
            ).format(tasks),
            [day],
        )
        counts.update(cur.fetchone() or {})
        cur.execute(
            SQL(
                "SELECT r.reference, left(r.text, 80) AS text, a.name AS authority, r.due_on"
                " FROM {0} r LEFT JOIN {1} a ON a.authority_id = r.authority_id"
                " WHERE r.status = 'issued' AND r.due_on < %s"
                " ORDER BY r.due_on, r.recommendation_id LIMIT %s"
            ).format(recs, authorities),
            [day, LISTED],
        )
        overdue_replies = cur.fetchall()
        cur.execute(
            SQL(
                "SELECT e.business_date AS on, r.reference, left(r.text, 80) AS text,"
                " a.name AS authority, e.level::text AS level,"
                " e.action, e.addressee"
                " FROM {0} e JOIN {1} r ON r.recommendation_id = e.recommendation_id"
                " LEFT JOIN {2} a ON a.authority_id = r.authority_id"
                " WHERE e.business_date BETWEEN %s AND %s"
                " ORDER BY e.business_date, r.reference, e.recommendation_id"
            ).format(escalated, recs, authorities),
            [since, until],
        )
        escalations = cur.fetchall()
    counts = {name: int(value or 0) for name, value in counts.items()}
    return {
        "since": since,
        "until": until,
        "counts": counts,
        "overdue_replies": overdue_replies,
        "more_overdue": max(0, counts["overdue_replies"] - len(overdue_replies)),
        "escalations": escalations,
    }
