"""The floor for `make bench-api`: the thinnest FastAPI + psycopg app that runs the SQL
rectrack's API runs for the same three requests, on the same rows, with no domain, no
authentication, no validation beyond FastAPI's path types:

- list page: the status view's page query and its capped count (projections/views/status.py);
- one recommendation: the aggregate's events, read in version order (the store's read);
- follow-up: the events read, then one transaction that locks the log, notifies, inserts
  the event (a copy of a real FollowUpRecorded state, so the projector can still read it)
  and records the command, as the event store does.

Whatever rectrack takes beyond this is its own cost. Served by uvicorn like rectrack
(`python -m benchmarks.floor_api` with FLOOR_DATABASE_URL, FLOOR_SCHEMA, FLOOR_PORT,
FLOOR_WORKERS, FLOOR_STATE_HEX).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
import uvicorn
from fastapi import FastAPI, Response
from psycopg.sql import SQL, Identifier
from psycopg_pool import ConnectionPool

SCHEMA = os.environ.get("FLOOR_SCHEMA", "public")
S = Identifier(SCHEMA)
LIST = SQL(
    "SELECT r.*, a.name AS authority_name, p.name AS place_name, rp.title AS report_title, "
    "rp.link AS report_link FROM {0}.status_recommendations r "
    "LEFT JOIN {0}.status_authorities a ON a.authority_id = r.authority_id "
    "LEFT JOIN {0}.status_places p ON p.place_id = r.place_id "
    "LEFT JOIN {0}.status_reports rp ON rp.report_id = r.report_id "
    'WHERE r."themes" @> ARRAY[%s]::text[] '
    "ORDER BY r.made_on DESC, r.recommendation_id LIMIT %s OFFSET %s"
).format(S)
COUNT = SQL(
    "SELECT count(*) AS n FROM (SELECT 1 FROM {0}.status_recommendations r "
    'WHERE r."themes" @> ARRAY[%s]::text[] LIMIT %s) matches'
).format(S)
EVENTS = SQL(
    "SELECT * FROM {0}.rectrack_events WHERE originator_id = %s ORDER BY originator_version ASC"
).format(S)
LOCK = SQL("LOCK TABLE {0}.rectrack_events IN EXCLUSIVE MODE").format(S)
NOTIFY = SQL("NOTIFY rectrack_events")
INSERT = SQL(
    "INSERT INTO {0}.rectrack_events (originator_id, originator_version, topic, state) "
    "SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::text[], %s::bytea[]) "
    "RETURNING notification_id"
).format(S)
COMMAND = SQL(
    "INSERT INTO {0}.rectrack_events_commands (command_id, originator_id, originator_version, "
    "command_digest) VALUES (%s, %s, %s, %s)"
).format(S)
TOPIC = "domain.recommendation:Recommendation.FollowUpRecorded"
STATE = bytes.fromhex(os.environ.get("FLOOR_STATE_HEX", ""))

pool = ConnectionPool(
    os.environ.get("FLOOR_DATABASE_URL", ""),
    min_size=int(os.environ.get("FLOOR_POOL_SIZE", "10")),
    max_size=int(os.environ.get("FLOOR_POOL_SIZE", "10")),
    kwargs={"row_factory": psycopg.rows.dict_row},
    open=False,
)


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    pool.open(wait=True)
    yield
    pool.close()


app = FastAPI(lifespan=lifespan)


def _json(value: Any) -> Response:
    return Response(json.dumps(value, default=str), media_type="application/json")


@app.get("/list")
def list_page(theme: str, limit: int = 20, offset: int = 0) -> Response:
    # Unprepared, as rectrack runs them (projections/views/status.py): the plan that
    # suits a list depends on the values, so neither side keeps a generic one.
    with pool.connection() as conn:
        items = conn.execute(LIST, (theme, limit, offset), prepare=False).fetchall()
        total = conn.execute(COUNT, (theme, 10_001), prepare=False).fetchone()
    return _json({"items": items, "total": total["n"] if total else 0})


@app.get("/one/{rid}")
def one(rid: uuid.UUID) -> Response:
    with pool.connection() as conn:
        events = conn.execute(EVENTS, (rid,), prepare=True).fetchall()
    if not events:
        return _json({"detail": "not found"})
    return _json({"id": rid, "version": events[-1]["originator_version"], "events": len(events)})


@app.post("/follow-up/{rid}")
def follow_up(rid: uuid.UUID) -> Response:
    with pool.connection() as conn:
        events = conn.execute(EVENTS, (rid,), prepare=True).fetchall()
        version = events[-1]["originator_version"] + 1
        args = ([rid], [version], [TOPIC], [STATE])
        try:
            with conn.transaction():
                conn.execute("SET LOCAL lock_timeout = '5s'")
                conn.execute(LOCK, prepare=True)
                conn.execute(NOTIFY)
                row = conn.execute(INSERT, args, prepare=True).fetchone()
                conn.execute(COMMAND, (str(uuid.uuid4()), rid, version, "0" * 64), prepare=True)
        except psycopg.errors.UniqueViolation:
            return Response(status_code=409)
    return _json(
        {"id": rid, "version": version, "notification_id": row["notification_id"] if row else None}
    )


if __name__ == "__main__":
    uvicorn.run(
        "benchmarks.floor_api:app",
        host="127.0.0.1",
        port=int(os.environ["FLOOR_PORT"]),
        workers=int(os.environ.get("FLOOR_WORKERS", "2")),
        access_log=False,
        log_level="warning",
    )
