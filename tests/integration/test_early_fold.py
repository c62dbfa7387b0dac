"""The views' early fold (projections/engine/incremental.py `Follower.fold_early`, which
the import's fold process runs, engine/early.py): records folded from their encoded
events before those are committed, then the log read past them. What the log holds
after a folded record's last folded version (another writer's reply to it, written
while the import runs) is applied once; what was folded is not applied again. Real
PostgreSQL; the live views must equal a replay of the whole log."""

from __future__ import annotations

from datetime import date

import psycopg
import pytest

from domain.values import Position
from projections.engine import incremental
from projections.engine.catchup import log_position, view_positions
from projections.engine.incremental import Follower
from projections.engine.registry import select
from projections.engine.replay import replay_and_compare
from projections.engine.runner import projector_env
from services.adapters.settings import Settings
from services.application.commands.recommendations import RecordResponse
from services.application.store import Rectrack
from tests.builders import Commander, import_meta, unsaved_issued_recommendation


def _columns(app: Rectrack, count: int, authority_id: str) -> tuple[list, tuple]:
    day = date(2024, 3, 1)
    records = [
        unsaved_issued_recommendation(
            authority_id, day, text=f"Early {n}", meta=import_meta(day, "importer")
        )
        for n in range(count)
    ]
    events = app.encode(records)
    ids = b"".join(e.originator_id.bytes for e in events)  # type: ignore[union-attr]
    columns = (ids, [e.originator_version for e in events], [e.topic for e in events])
    return events, (*columns, [e.state for e in events])


@pytest.mark.parametrize("chunk", [1, 5000], ids=["written", "in-the-fold"])
def test_a_later_reply_to_a_folded_record_is_applied_once(
    world: Rectrack,
    run: Commander,
    settings: Settings,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    chunk: int,
) -> None:
    """The reply taken by the views' handlers on the rows written already (chunk 1), or
    by the fold still holding its record."""
    monkeypatch.setattr(incremental, "CHUNK", chunk)
    schema = settings.database_schema
    env = projector_env(settings, database_url)
    specs = select(None)
    with psycopg.connect(database_url, autocommit=True) as conn:
        authority_id = conn.execute(
            f'SELECT authority_id FROM "{schema}".status_authorities'
        ).fetchone()[0]  # type: ignore[index]
    events, columns = _columns(world, 3, str(authority_id))
    with Follower(env, database_url, schema, specs) as follower:
        follower.catch_up()
        follower.fold_early(*columns)
        assert list(world.save_encoded_batches([(events, [])])) == [len(events)]
        # Another writer answers a folded record after its import's events.
        answered = events[0].originator_id
        run(
            RecordResponse(received_on=date(2024, 4, 2), position=Position.ACCEPTED, text="Yes."),
            answered,
            on=date(2024, 4, 2),
        )
        caught = follower.finish()
    assert caught.folded >= len(events)  # once per group of views at one position
    with psycopg.connect(database_url, autocommit=True) as conn:
        head = log_position(conn, schema)
        positions = view_positions(conn, schema)
        status = conn.execute(
            f'SELECT count(*), count(first_response_on) FROM "{schema}".status_recommendations'
        ).fetchone()
    assert status == (3, 1)
    assert all(positions[spec.name] == head for spec in specs)
    report = replay_and_compare(env, database_url, schema, [s.name for s in specs])
    assert report.consistent, report.differences[:5]

