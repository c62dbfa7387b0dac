"""What is stored: versioned events with upcasting, encryption at rest,
and the embedded PostgreSQL a newcomer's machine runs on."""

from __future__ import annotations

import base64
import json
import os
from datetime import date
from pathlib import Path

import psycopg
import pytest
from pydantic import SecretStr

from domain.recommendation import Recommendation
from domain.values import Position
from services.adapters.database import eventsourcing_env, start_embedded_postgres
from services.adapters.settings import Settings
from services.application.executor import Executor
from services.application.store import Rectrack
from tests.builders import Commander, authority, issued_recommendation, reply


def test_version_1_response_is_upcast(
    app: Rectrack, run: Commander, database_url: str, schema: str
) -> None:
    """A reply stored before version 2 (no agreed implementation date) still loads."""
    rec_id = issued_recommendation(run, authority(run))
    reply(run, rec_id, date(2026, 1, 20), agreed_implementation_date=date(2026, 6, 1))
    with psycopg.connect(database_url) as conn:
        state = conn.execute(
            f'SELECT state FROM "{schema}".rectrack_events '
            "WHERE originator_id = %s AND originator_version = 3",
            (rec_id,),
        ).fetchone()[0]  # type: ignore[index]
        body = json.loads(bytes(state))
        assert body["class_version"] == 2
        del body["class_version"]
        del body["agreed_implementation_date"]
        conn.execute(
            f'UPDATE "{schema}".rectrack_events SET state = %s '
            "WHERE originator_id = %s AND originator_version = 3",
            (json.dumps(body).encode(), rec_id),
        )
    reloaded = Rectrack(env=app.env)
    recommendation = reloaded.get(Recommendation, rec_id)
    assert recommendation.position == Position.ACCEPTED
    assert recommendation.responses[0]["agreed_implementation_date"] is None
    assert recommendation.agreed_implementation_date is None
    reloaded.close()


def test_encryption_at_rest_leaves_no_plaintext(
    settings: Settings, database_url: str, schema: str
) -> None:
    key = base64.b64encode(os.urandom(32)).decode()
    secret = settings.model_copy(update={"encryption_key": SecretStr(key)})
    app = Rectrack(env=eventsourcing_env(secret, database_url))
    run = Commander(Executor(app))
    rec_id = issued_recommendation(run, authority(run))
    text = "The director refuses: no budget for window bars"
    reply(run, rec_id, date(2026, 1, 20), position=Position.REJECTED, text=text)
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT originator_id, originator_version, topic, state "
            f'FROM "{schema}".rectrack_events ORDER BY originator_id, originator_version'
        ).fetchall()
    raw = b"".join(bytes(r[3]) for r in rows)
    for plaintext in (b"window bars", b"Ministry of Justice", b"fresh air", b"caseworker"):
        assert plaintext not in raw
    assert app.get(Recommendation, rec_id).responses[0]["text"].endswith("window bars")
    # Without the key the events cannot be read.
    plain = Rectrack(env=eventsourcing_env(settings, database_url))
    with pytest.raises(Exception):  # noqa: B017 - the cipher's own error type varies
        plain.get(Recommendation, rec_id)
    plain.close()
    app.close()


def test_embedded_postgres_starts_and_keeps_data(tmp_path: Path) -> None:
    url = start_embedded_postgres(tmp_path / "data")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (n int)")
        conn.execute("INSERT INTO kept VALUES (42)")
    again = start_embedded_postgres(tmp_path / "data")
    with psycopg.connect(again) as conn:
        assert conn.execute("SELECT n FROM kept").fetchone() == (42,)
