"""`rectrack audit verify` as an operator runs it: against the configured checkpoint file
by default, refusing to call a log sound when there is no signed head to prove it against,
and naming the first position at fault when an event was altered after a checkpoint."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from uuid import UUID

import psycopg
import pytest

from domain.values import Position
from services.cli import main
from tests.builders import Commander, authority, issued_recommendation, reply


@pytest.fixture
def operator_env(
    database_url: str, schema: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The settings `rectrack` reads; the returned path is the configured checkpoint file."""
    checkpoints = tmp_path / "outside" / "checkpoints.jsonl"
    monkeypatch.setenv("RECTRACK_DATABASE_URL", database_url)
    monkeypatch.setenv("RECTRACK_DATABASE_SCHEMA", schema)
    monkeypatch.setenv("RECTRACK_AUDIT_SIGNING_KEY_FILE", str(tmp_path / "outside" / "key"))
    monkeypatch.setenv("RECTRACK_AUDIT_CHECKPOINT_FILE", str(checkpoints))
    return checkpoints


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


def test_verify_without_a_signed_head_says_so_and_fails(
    recommendation: UUID, operator_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert f"no signed checkpoints at {operator_env}" in err
    assert "rectrack audit checkpoint" in err


def test_verify_uses_the_configured_checkpoints_and_names_the_altered_position(
    recommendation: UUID,
    run: Commander,
    operator_env: Path,
    database_url: str,
    schema: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["audit", "keygen"]) == 0
    assert main(["audit", "checkpoint"]) == 0
    reply(run, recommendation, date(2026, 3, 1), position=Position.ACCEPTED, text="later")
    capsys.readouterr()
    assert main(["audit", "verify"]) == 0
    assert "extends all 1 signed heads" in capsys.readouterr().out

    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            f'SELECT notification_id FROM "{schema}".rectrack_events '
            "WHERE originator_id = %s AND originator_version = 4",
            (recommendation,),
        ).fetchone()
        assert row is not None
        conn.execute(
            f'UPDATE "{schema}".rectrack_events SET state = '
            "convert_to(replace(convert_from(state, 'UTF8'), 'accepted', 'rejected'), 'UTF8') "
            "WHERE notification_id = %s",
            (row[0],),
        )
    assert main(["audit", "verify"]) == 1
    assert f"position {row[0]}: altered" in capsys.readouterr().err
