"""Audit timeline: every event of a recommendation, in order, readable by a person —
who did it and in which role, when it was recorded, which business date it refers to,
what changed (each field before -> after) and why.

The view keeps the recommendation's fields as they stand after its latest event
(`audit_state`) so that the next event's before -> after can be written as it happens.
The query is `audit_timeline`."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

import psycopg
from psycopg.sql import SQL, Identifier

from projections.base import Rows, Table, View, on
from projections.facts import Fact
from projections.views.reading import as_uuid, fetch
from projections.views.recommendation_fields import LABEL_BY_TOPIC, LABELS, blank, changes, event_of

EVENTS = Table(
    "audit_events",
    {
        "recommendation_id": "uuid",
        "version": "int",
        "notification_id": "bigint",
        "event": "text",
        "label": "text",
        "recorded_at": "timestamptz",
        "business_date": "date",
        "actor_id": "text",
        "actor_role": "text",
        "command_id": "text",
        "reason": "text",
        # json, not jsonb: kept as written, so a rebuild's million rows are checked,
        # not parsed into jsonb (two-fifths of their COPY); the query that shows them
        # reads them as jsonb, in jsonb's key order whichever way they were written.
        "changes": "json",
        "details": "json",
    },
    key=("recommendation_id", "version"),
)
STATE = Table(
    "audit_state", {"recommendation_id": "uuid", "fields": "jsonb"}, key=("recommendation_id",)
)

_NOT_DETAILS = frozenset({"meta", "timestamp", "originator_topic", "class_version"})


class TimelineView(View):
    name = "audit"
    tables: ClassVar[tuple[Table, ...]] = (EVENTS, STATE)

    @on(*LABELS)
    def recommendation_event(self, fact: Fact, rows: Rows) -> None:
        rec_id = str(fact.originator_id)
        state_row = rows.get(STATE, rec_id)
        fields = state_row["fields"] if state_row is not None else blank()
        update = changes(fields, fact)
        changed = []
        for name, after in update.items():
            before = fields.get(name)
            if before != after:
                changed.append({"field": name, "before": before, "after": after})
        fields.update(update)
        meta = fact.meta
        rows.add(
            EVENTS,
            {
                "recommendation_id": rec_id,
                "version": fact.version,
                "notification_id": fact.notification_id,
                "event": event_of(fact.topic),
                "label": LABEL_BY_TOPIC[fact.topic],
                "recorded_at": fact.recorded_at or None,
                "business_date": meta.get("business_date"),
                "actor_id": meta.get("actor_id"),
                "actor_role": meta.get("actor_role"),
                "command_id": meta.get("command_id"),
                "reason": meta.get("reason"),
                "changes": changed,
                "details": {k: v for k, v in fact.data.items() if k not in _NOT_DETAILS},
            },
        )
        rows.put(STATE, {"recommendation_id": rec_id, "fields": fields})


# --- queries ---------------------------------------------------------------------------


def audit_timeline(
    conn: psycopg.Connection[Any], schema: str, recommendation_id: UUID | str
) -> list[dict[str, Any]]:
    """Every event of the recommendation in order: who (and role), when recorded, for
    which business date, what changed (field, before, after), why, and the event's data."""
    return fetch(
        conn,
        SQL(
            "SELECT version, notification_id, event, label, recorded_at, business_date, "
            "actor_id, actor_role, command_id, reason, changes::jsonb AS changes, "
            "details::jsonb AS details "
            "FROM {0}.audit_events WHERE recommendation_id = %s ORDER BY version"
        ).format(Identifier(schema)),
        [as_uuid("recommendation_id", recommendation_id)],
    )
