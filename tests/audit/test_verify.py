"""Tamper evidence: each kind of tampering, done with plain SQL, is detected and named."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import psycopg
import pytest

from domain.values import Position
from services.adapters.integrity import head_digest, verify_chain
from services.cli import main
from tests.builders import Commander, authority, issued_recommendation, reply


@pytest.fixture
def recommendation(run: Commander) -> UUID:
    """A recommendation at version 4: drafted, issued, two replies."""
    rec = issued_recommendation(run, authority(run))
    for day, position in (
        (date(2026, 1, 20), Position.NOTED),
        (date(2026, 2, 1), Position.ACCEPTED),
    ):
        reply(run, rec, day, position=position, text="reply")
    return rec


def run_sql(database_url: str, sql: str, *params: object) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute(sql, params)


def test_intact_chain_verifies(
    recommendation: UUID,
    database_url: str,
    schema: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert verify_chain(database_url, schema) == []
    monkeypatch.setenv("RECTRACK_DATABASE_URL", database_url)
    monkeypatch.setenv("RECTRACK_DATABASE_SCHEMA", schema)
    assert main(["audit", "verify"]) == 0
    assert head_digest(database_url, schema) in capsys.readouterr().out


def test_altered_payload(recommendation: UUID, database_url: str, schema: str) -> None:
    run_sql(
        database_url,
        f'UPDATE "{schema}".rectrack_events SET state = '
        "convert_to(replace(convert_from(state, 'UTF8'), 'accepted', 'rejected'), 'UTF8') "
        "WHERE originator_id = %s AND originator_version = 4",
        recommendation,
    )
    breaks = verify_chain(database_url, schema)
    assert [(b.aggregate_id, b.version) for b in breaks] == [(recommendation, 4)]
    assert "altered" in breaks[0].problem


def test_deleted_event(recommendation: UUID, database_url: str, schema: str) -> None:
    run_sql(
        database_url,
        f'DELETE FROM "{schema}".rectrack_events '
        "WHERE originator_id = %s AND originator_version = 2",
        recommendation,
    )
    breaks = verify_chain(database_url, schema)
    assert [(b.aggregate_id, b.version) for b in breaks] == [(recommendation, 2)]
    assert "deleted" in breaks[0].problem


def test_deleted_event_and_its_chain_entry(
    recommendation: UUID, database_url: str, schema: str
) -> None:
    for table in ("rectrack_events", "rectrack_events_chain"):
        run_sql(
            database_url,
            f'DELETE FROM "{schema}".{table} WHERE originator_id = %s AND originator_version = 3',
            recommendation,
        )
    breaks = verify_chain(database_url, schema)
    assert [(b.aggregate_id, b.version) for b in breaks] == [(recommendation, 4)]
    assert "versions 3..3 missing" in breaks[0].problem


def test_inserted_event(recommendation: UUID, database_url: str, schema: str) -> None:
    run_sql(
        database_url,
        f'INSERT INTO "{schema}".rectrack_events (originator_id, originator_version, topic, state) '
        f'SELECT originator_id, 5, topic, state FROM "{schema}".rectrack_events '
        "WHERE originator_id = %s AND originator_version = 4",
        recommendation,
    )
    breaks = verify_chain(database_url, schema)
    assert [(b.aggregate_id, b.version) for b in breaks] == [(recommendation, 5)]
    assert "inserted" in breaks[0].problem


def test_swapped_events(
    recommendation: UUID,
    database_url: str,
    schema: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_sql(
        database_url,
        f'UPDATE "{schema}".rectrack_events e SET topic = o.topic, state = o.state '
        f'FROM "{schema}".rectrack_events o WHERE e.originator_id = %s AND o.originator_id = %s '
        "AND ((e.originator_version = 3 AND o.originator_version = 4) OR "
        "(e.originator_version = 4 AND o.originator_version = 3))",
        recommendation,
        recommendation,
    )
    breaks = verify_chain(database_url, schema)
    assert [(b.aggregate_id, b.version) for b in breaks] == [
        (recommendation, 3),
        (recommendation, 4),
    ]
    monkeypatch.setenv("RECTRACK_DATABASE_URL", database_url)
    monkeypatch.setenv("RECTRACK_DATABASE_SCHEMA", schema)
    assert main(["audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert f"aggregate {recommendation} version 3" in err
    assert f"aggregate {recommendation} version 4" in err


def test_head_digest_catches_a_truncated_tail(
    recommendation: UUID,
    database_url: str,
    schema: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = head_digest(database_url, schema)
    for table in ("rectrack_events", "rectrack_events_chain"):
        run_sql(
            database_url,
            f'DELETE FROM "{schema}".{table} WHERE originator_id = %s AND originator_version = 4',
            recommendation,
        )
    assert verify_chain(database_url, schema) == []  # invisible without the kept digest
    assert head_digest(database_url, schema) != before
    monkeypatch.setenv("RECTRACK_DATABASE_URL", database_url)
    monkeypatch.setenv("RECTRACK_DATABASE_SCHEMA", schema)
    assert main(["audit", "verify", "--expect-head", before]) == 1
    assert "chain head" in capsys.readouterr().err
