"""Audit timeline: every event of a recommendation, in order, readable by a person —
who did it and in which role, when it was recorded, which business date it refers to,
what changed (each field before -> after) and why.

Read on demand from the recommendation's own event stream (the event store is keyed by
(originator_id, originator_version), and a recommendation has a few dozen events at
most), folded from `blank()` with the same `changes()` the status view follows. So the
timeline auditors read IS the immutable log: never behind it, never able to drift from
it, and there is nothing to rebuild or keep current. (It used to be a view of its own,
`audit_events`, a row per event: a million rows, the largest cost of every rebuild and
import, to save a few milliseconds on a read that is rare.)

The query is `audit_timeline`; its rows are what the old view's query returned (json
objects with jsonb's key order included)."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Any
from uuid import UUID

import psycopg
from psycopg.sql import SQL, Identifier

from projections.facts import FactMapper
from projections.views.reading import as_uuid
from projections.views.recommendation_fields import LABEL_BY_TOPIC, blank, changes_of, event_of

_NOT_DETAILS = frozenset({"meta", "timestamp", "originator_topic", "class_version"})


def _jsonb_key(key: str) -> tuple[int, bytes]:
    encoded = key.encode()
    return len(encoded), encoded


def _as_jsonb(value: Any) -> Any:
    """`value` as PostgreSQL's jsonb gives it back (objects' keys shorter first, then
    by bytes), as a copy: a later event's rule may change a list the fold still holds."""
    if isinstance(value, dict):
        return {k: _as_jsonb(value[k]) for k in sorted(value, key=_jsonb_key)}
    if isinstance(value, list | tuple):
        return [_as_jsonb(v) for v in value]
    return value


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def timeline_of(
    events: list[tuple[int, int, str, dict[str, Any]]], zone: tzinfo
) -> list[dict[str, Any]]:
    """The timeline's rows of one recommendation's events, given as (version,
    notification id, topic, decoded data) in version order; times in `zone` (as
    PostgreSQL gives a timestamptz: in the session's time zone)."""
    fields = blank()
    rows = []
    for version, notification_id, topic, data in events:
        label = LABEL_BY_TOPIC.get(topic)
        if label is None:
            continue  # not an event the views follow
        meta = data.get("meta") or {}
        day = meta.get("business_date")
        update = changes_of(fields, topic, data, day)
        changed = []
        for name, after in update.items():
            before = fields.get(name)
            if before != after:
                changed.append({"field": name, "before": before, "after": after})
        fields.update(update)
        recorded_at = data.get("timestamp")
        rows.append(
            {
                "version": version,
                "notification_id": notification_id,
                "event": event_of(topic),
                "label": label,
                "recorded_at": (
                    datetime.fromisoformat(recorded_at).astimezone(zone) if recorded_at else None
                ),
                "business_date": date.fromisoformat(day) if day else None,
                "actor_id": _text(meta.get("actor_id")),
                "actor_role": _text(meta.get("actor_role")),
                "command_id": _text(meta.get("command_id")),
                "reason": _text(meta.get("reason")),
                "changes": _as_jsonb(changed),
                "details": _as_jsonb({k: v for k, v in data.items() if k not in _NOT_DETAILS}),
            }
        )
    return rows


# --- queries ---------------------------------------------------------------------------


def audit_timeline(
    conn: psycopg.Connection[Any],
    schema: str,
    recommendation_id: UUID | str,
    mapper: FactMapper,
) -> list[dict[str, Any]]:
    """Every event of the recommendation in order: who (and role), when recorded, for
    which business date, what changed (field, before, after), why, and the event's data.
    Read from the event store of `schema`, decoded by `mapper` (the store's cipher and
    compressor: projections/facts.py `fact_mapper` or `FactMapper.like`)."""
    rec_id = as_uuid("recommendation_id", recommendation_id)
    with conn.cursor(binary=True) as curs:
        curs.execute(
            SQL(
                "SELECT originator_version, notification_id, topic, state "
                "FROM {0}.rectrack_events WHERE originator_id = %s ORDER BY originator_version"
            ).format(Identifier(schema)),
            [rec_id],
        )
        stored = curs.fetchall()
    data_of = mapper.data
    events = [(v, n, topic, data_of(state)) for v, n, topic, state in stored]
    return timeline_of(events, conn.info.timezone)
