"""The signed transparency log against an attacker with write access to the database: each
kind of tampering, done after a checkpoint and more legitimate writes, is caught and its
first position named. The database holds no hash for the attacker to recompute: every
leaf is hashed again from the events by the verifier. Plus the offline inclusion proof."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from uuid import UUID, uuid4

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.values import Position
from services.adapters.signing import generate_key, public_text
from services.adapters.transparency import checkpoint, read_checkpoints, verify_log
from services.cli import main
from tests.builders import Commander, authority, issued_recommendation, reply


@dataclass
class Log:
    first: UUID  # a recommendation at version 4
    second: UUID  # another, at version 3
    key: Ed25519PrivateKey
    key_file: Path
    checkpoints: Path
    signed_size: int  # events covered by the first checkpoint


def positions(database_url: str, schema: str) -> list[tuple[int, UUID, int]]:
    with psycopg.connect(database_url) as conn:
        return [
            (int(p), oid, int(v))
            for p, oid, v in conn.execute(
                f'SELECT notification_id, originator_id, originator_version FROM "{schema}"'
                ".rectrack_events ORDER BY notification_id"
            )
        ]


def position_of(database_url: str, schema: str, oid: UUID, version: int) -> int:
    return next(p for p, o, v in positions(database_url, schema) if o == oid and v == version)


def sql(database_url: str, statement: str, *params: object) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute(statement, params)


@pytest.fixture
def log(run: Commander, database_url: str, schema: str, tmp_path: Path) -> Log:
    """Two recommendations, a checkpoint, then more legitimate writes (not yet signed)."""
    authority_id = authority(run)
    first = issued_recommendation(run, authority_id)
    second = issued_recommendation(run, authority_id)
    reply(run, first, date(2026, 1, 20), position=Position.NOTED, text="noted")
    reply(run, second, date(2026, 1, 21), position=Position.ACCEPTED, text="accepted")
    reply(run, first, date(2026, 2, 1), position=Position.ACCEPTED, text="accepted")
    key_file = tmp_path / "outside" / "signing.key"
    key = generate_key(key_file)
    checkpoints = tmp_path / "outside" / "checkpoints.jsonl"
    signed = checkpoint(database_url, schema, key, checkpoints)
    reply(run, second, date(2026, 2, 10), position=Position.REJECTED, text="later, legitimately")
    third = issued_recommendation(run, authority_id)
    reply(run, third, date(2026, 2, 11), text="later too")
    assert len(positions(database_url, schema)) > signed.head.tree_size
    return Log(first, second, key, key_file, checkpoints, signed.head.tree_size)


def check(log: Log, database_url: str, schema: str) -> tuple[int | None, str]:
    report = verify_log(database_url, schema, log.checkpoints, log.key.public_key())
    assert not report.ok
    return report.first_position, report.faults[0]


def test_untouched_log_verifies_after_later_writes_and_checkpoints(
    log: Log,
    database_url: str,
    schema: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = verify_log(database_url, schema, log.checkpoints, log.key.public_key())
    assert report.ok and report.faults == []
    checkpoint(database_url, schema, log.key, log.checkpoints)  # extends, does not rebuild
    heads = read_checkpoints(log.checkpoints)
    assert [h.head.tree_size for h in heads] == [log.signed_size, report.events]
    monkeypatch.setenv("RECTRACK_DATABASE_URL", database_url)
    monkeypatch.setenv("RECTRACK_DATABASE_SCHEMA", schema)
    public = public_text(log.key.public_key())
    args = ["audit", "verify", "--checkpoints", str(log.checkpoints), "--public-key", public]
    assert main(args) == 0
    assert "extends all 2 signed heads" in capsys.readouterr().out


def test_altered_event(log: Log, database_url: str, schema: str) -> None:
    target = position_of(database_url, schema, log.first, 4)
    sql(
        database_url,
        f'UPDATE "{schema}".rectrack_events SET state = '
        "convert_to(replace(convert_from(state, 'UTF8'), 'accepted', 'rejected'), 'UTF8') "
        "WHERE notification_id = %s",
        target,
    )
    first, fault = check(log, database_url, schema)
    assert first == target
    assert f"position {target}: altered" in fault


def test_deleted_event(log: Log, database_url: str, schema: str) -> None:
    target = position_of(database_url, schema, log.second, 2)
    events = f'"{schema}".rectrack_events'
    sql(database_url, f"DELETE FROM {events} WHERE notification_id = %s", target)
    # The later versions renumbered, so the aggregate still loads with no gap.
    for version in (3, 4):
        sql(
            database_url,
            f"UPDATE {events} SET originator_version = %s "
            "WHERE originator_id = %s AND originator_version = %s",
            version - 1,
            log.second,
            version,
        )
    first, fault = check(log, database_url, schema)
    assert first == target
    assert f"position {target}: deleted" in fault


def test_inserted_event(log: Log, database_url: str, schema: str) -> None:
    target = position_of(database_url, schema, log.first, 2)
    events = f'"{schema}".rectrack_events'
    # Room made in the middle of the signed range, and a fabricated aggregate put there.
    sql(
        database_url,
        f"UPDATE {events} SET notification_id = -notification_id WHERE notification_id >= %s",
        target,
    )
    sql(
        database_url,
        f"UPDATE {events} SET notification_id = 1 - notification_id WHERE notification_id < 0",
    )
    sql(
        database_url,
        f"INSERT INTO {events} (notification_id, originator_id, originator_version, topic, state) "
        f"SELECT %s, %s, 1, topic, state FROM {events} WHERE notification_id = %s",
        target,
        uuid4(),
        target + 1,
    )
    first, fault = check(log, database_url, schema)
    assert first == target
    assert f"position {target}:" in fault


def swap_positions(database_url: str, schema: str, a: int, b: int) -> None:
    events = f'"{schema}".rectrack_events'
    sql(database_url, f"UPDATE {events} SET notification_id = -1 WHERE notification_id = %s", a)
    sql(database_url, f"UPDATE {events} SET notification_id = %s WHERE notification_id = %s", a, b)
    sql(database_url, f"UPDATE {events} SET notification_id = %s WHERE notification_id = -1", b)


def test_reorder_within_an_aggregate(log: Log, database_url: str, schema: str) -> None:
    a = position_of(database_url, schema, log.first, 3)
    b = position_of(database_url, schema, log.first, 4)
    swap_positions(database_url, schema, a, b)
    first, fault = check(log, database_url, schema)
    assert first == min(a, b)
    assert f"position {min(a, b)}:" in fault


def test_reorder_across_aggregates(
    log: Log,
    database_url: str,
    schema: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    a = position_of(database_url, schema, log.first, 3)
    b = position_of(database_url, schema, log.second, 3)
    swap_positions(database_url, schema, a, b)
    first, _ = check(log, database_url, schema)
    assert first == min(a, b)
    # Each aggregate's own sequence is intact; only an order across the whole log shows it.
    monkeypatch.setenv("RECTRACK_DATABASE_URL", database_url)
    monkeypatch.setenv("RECTRACK_DATABASE_SCHEMA", schema)
    monkeypatch.setenv("RECTRACK_AUDIT_SIGNING_KEY_FILE", str(log.key_file))
    assert main(["audit", "verify", "--checkpoints", str(log.checkpoints)]) == 1
    captured = capsys.readouterr()
    assert f"first fault at position {min(a, b)}" in captured.err


def test_truncated_tail(log: Log, database_url: str, schema: str) -> None:
    everything = positions(database_url, schema)
    # Cut back past the later writes into the signed range.
    first_cut = everything[log.signed_size - 2][0]
    sql(
        database_url,
        f'DELETE FROM "{schema}".rectrack_events WHERE notification_id >= %s',
        first_cut,
    )
    first, fault = check(log, database_url, schema)
    assert first == first_cut
    assert "truncated" in fault


def test_a_head_signed_by_another_key_is_refused(log: Log, database_url: str, schema: str) -> None:
    other = Ed25519PrivateKey.generate()
    report = verify_log(database_url, schema, log.checkpoints, other.public_key())
    assert not report.ok
    assert "signature not valid" in report.faults[0]


def test_proof_checks_out_offline_and_fails_on_one_changed_byte(
    log: Log,
    database_url: str,
    schema: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("RECTRACK_DATABASE_URL", database_url)
    monkeypatch.setenv("RECTRACK_DATABASE_SCHEMA", schema)
    monkeypatch.setenv("RECTRACK_AUDIT_SIGNING_KEY_FILE", str(log.key_file))
    monkeypatch.setenv("RECTRACK_AUDIT_CHECKPOINT_FILE", str(log.checkpoints))
    proof_file = tmp_path / "proof.json"
    assert main(["audit", "prove", str(log.second), "--out", str(proof_file)]) == 0
    document = json.loads(proof_file.read_text())
    assert [e["version"] for e in document["events"]] == [1, 2, 3, 4]  # the later write too
    public = public_text(log.key.public_key())
    # Offline: no database named anywhere.
    monkeypatch.setenv("RECTRACK_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    assert main(["audit", "check-proof", str(proof_file), "--public-key", public]) == 0
    assert "4 events of" in capsys.readouterr().out

    event = document["events"][2]
    state = event["state"]
    i = state.index("accepted")
    event["state"] = state[:i] + "A" + state[i + 1 :]  # one byte
    proof_file.write_text(json.dumps(document))
    assert main(["audit", "check-proof", str(proof_file), "--public-key", public]) == 1
    err = capsys.readouterr().err
    assert "event 3 (position" in err and "not in the signed log" in err
