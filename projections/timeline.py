"""Audit timeline: every event of a recommendation, in order, readable by a person —
who did it and in which role, when it was recorded, which business date it refers to,
what changed (each field before -> after) and why.

The view keeps the recommendation's fields as they stand after its latest event
(`audit_state`) so that the next event's before -> after can be written as it happens."""

from __future__ import annotations

from typing import ClassVar

from projections.base import Rows, Table, View, ViewProjection, ViewRecorder, on
from projections.facts import Fact
from projections.recommendation_fields import LABELS, blank, changes

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
        "changes": "jsonb",
        "details": "jsonb",
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

    @on(*(f"Recommendation.{name}" for name in LABELS))
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
        event = fact.name[15:]
        rows.add(
            EVENTS,
            {
                "recommendation_id": rec_id,
                "version": fact.version,
                "notification_id": fact.notification_id,
                "event": event,
                "label": LABELS.get(event, event),
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


class TimelineRecorder(ViewRecorder):
    view = TimelineView()


class TimelineProjection(ViewProjection):
    name = "audit"
