"""The rebuild's fold (projections/engine/bulk.py) against the views' own handlers.

A rebuild folds recommendation events once for all views and derives each view's rows
at the end; live processing and `method="handlers"` apply each view's handlers event by
event. On a varied store (the lifecycles the benchmark generates, from tests/builders.py,
plus the awkward cases: a deadline extended after the reply, repeats, tag changes,
withdrawals, escalations) both must produce the very same rows in every table."""

from __future__ import annotations

import multiprocessing
import os
import random
import uuid
from datetime import date
from typing import Any

import psycopg
import pytest
from psycopg.sql import SQL, Identifier

from domain.values import Position
from projections.engine.bulk import RecommendationFold
from projections.engine.rebuild import Method, build_views, rebuild
from projections.engine.registry import select
from projections.engine.replay import _compare_table, _table_digest
from projections.engine.runner import projector_env
from services.adapters.settings import Settings
from services.application.commands.recommendations import (
    ChangeTags,
    ExtendReplyDeadline,
    RecordEscalation,
    Tags,
    WithdrawRecommendation,
)
from services.application.store import Rectrack
from tests.builders import Commander, lifecycle
from tests.projections.scenario import build, reply
from tests.projections.timeline_case import every_event


def write_store(app: Rectrack, run: Commander) -> None:
    scenario = build(run)
    # After the first reply, a later extension must not change "replied on time".
    run(ExtendReplyDeadline(new_due=date(2026, 4, 30)), scenario.late, on=date(2026, 3, 20))
    run(
        RecordEscalation(
            level=2,
            action="letter to the minister",
            addressee="minister",
            obligation_id="o-1",
        ),
        scenario.overdue,
        on=date(2026, 5, 5),
    )
    run(ChangeTags(tags=Tags(themes=["food"])), scenario.overdue, on=date(2026, 5, 6))
    run(WithdrawRecommendation(reason="merged"), scenario.draft, on=date(2026, 5, 7))
    reply(
        run,
        scenario.repeat,
        date(2026, 5, 8),
        Position.PARTIALLY_ACCEPTED,
        "In part",
        agreed_implementation_date=date(2026, 9, 1),
    )
    rng = random.Random(3)
    authority = str(scenario.authority_id)
    place = (str(scenario.place_id), authority)
    batch = [lifecycle(rng, authority, place if rng.random() < 0.7 else None) for _ in range(150)]
    # and one with every kind of event (a closure after a withdrawal among them)
    batch.append(every_event(authority, place[0], str(scenario.late)))
    app.save_batch(batch, command_id=str(uuid.uuid4()))


@pytest.mark.parametrize(
    "names",
    [None, ["scorecard", "trends", "places"], ["statistics", "register", "inbox"]],
    ids=["all views", "without the status view", "only views keeping a little per recommendation"],
)
def test_fold_equals_the_handlers(
    names: list[str] | None,
    app: Rectrack,
    run: Commander,
    settings: Settings,
    database_url: str,
    schema: str,
) -> None:
    write_store(app, run)
    env = projector_env(settings, database_url)
    specs = select(names)
    built = {}
    # The fold in one process and split over two (engine/split.py), against the handlers.
    methods: tuple[tuple[Method, int], ...] = (("fold", 1), ("fold", 2), ("handlers", 1))
    with psycopg.connect(database_url) as conn:
        for method, folders in methods:
            target = f"{schema}_{method}{folders}"
            conn.execute(SQL("CREATE SCHEMA {0}").format(Identifier(target)))
            calls: list[tuple[int, int]] = []
            result = build_views(
                env,
                database_url,
                conn,
                schema,
                target,
                specs,
                method=method,
                folders=folders,
                progress=lambda done, total, calls=calls: calls.append((done, total)),
            )
            conn.commit()
            # Progress counts every event once, whichever process read it.
            assert calls[-1] == (result.events, result.events)
            assert [done for done, _ in calls] == sorted(done for done, _ in calls)
            built[method, folders] = target
            assert result.events > 1000
            stored = conn.execute(
                SQL("SELECT count(*) FROM {0}.rectrack_events").format(Identifier(schema))
            )
            assert (result.events,) == stored.fetchone()
        try:
            for spec in specs:
                for table in spec.view.tables:
                    for fold in (("fold", 1), ("fold", 2)):
                        differences = _compare_table(
                            conn, built["handlers", 1], built[fold], spec.name, table
                        )
                        assert differences == [], (fold, differences)
                        assert _table_digest(conn, built[fold], table) == _table_digest(
                            conn, built["handlers", 1], table
                        )
        finally:
            for target in built.values():
                conn.execute(SQL("DROP SCHEMA {0} CASCADE").format(Identifier(target)))
            conn.commit()


@pytest.mark.parametrize("failing", ["forked part", "build's own part"])
def test_a_failing_fold_part_fails_the_rebuild_and_changes_nothing(
    failing: str,
    app: Rectrack,
    run: Commander,
    settings: Settings,
    database_url: str,
    schema: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_store(app, run)
    env = projector_env(settings, database_url)
    rebuild(env, database_url, schema, select(None))
    before = _live_rows(database_url, schema)
    build_pid = os.getpid()
    apply = RecommendationFold.apply

    def broken(self: RecommendationFold, *event: Any) -> None:
        if (os.getpid() == build_pid) == (failing == "build's own part"):
            raise ValueError("a broken event")
        apply(self, *event)

    monkeypatch.setattr(RecommendationFold, "apply", broken)
    expected = (
        "fold part 1 failed: ValueError: a broken event"
        if failing == "forked part"
        else "a broken event"
    )
    with pytest.raises((RuntimeError, ValueError), match=expected):
        rebuild(env, database_url, schema, select(None), progress=lambda done, total: None)
    assert multiprocessing.active_children() == []
    assert _live_rows(database_url, schema) == before


def _live_rows(database_url: str, schema: str) -> dict[str, int]:
    with psycopg.connect(database_url) as conn:
        names = [t.name for spec in select(None) for t in spec.view.tables]
        names += [spec.view.tracking_table() for spec in select(None)]
        return {
            name: conn.execute(
                SQL("SELECT count(*) FROM {0}.{1}").format(Identifier(schema), Identifier(name))
            ).fetchone()[0]  # type: ignore[index]
            for name in names
        }


def test_views_at_different_positions_are_built_with_the_handlers(
    app: Rectrack, run: Commander, settings: Settings, database_url: str, schema: str
) -> None:
    """A replay stops each view where it stands; the fold needs one stop for all, so
    this takes the handlers' path."""
    write_store(app, run)
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            SQL("SELECT max(notification_id) FROM {0}.rectrack_events").format(Identifier(schema))
        ).fetchone()
        assert row is not None
        head = int(row[0])
        target = f"{schema}_stops"
        conn.execute(SQL("CREATE SCHEMA {0}").format(Identifier(target)))
        try:
            result = build_views(
                projector_env(settings, database_url),
                database_url,
                conn,
                schema,
                target,
                select(None),
                stops={"status": head - 10},
            )
            assert result.positions["status"] == head - 10
            assert result.positions["statistics"] == head
            counted = conn.execute(
                SQL("SELECT count(*), sum(version) FROM {0}.status_recommendations").format(
                    Identifier(target)
                )
            ).fetchone()
            assert counted is not None and counted[0] > 150 and counted[1] > 1000
            escalations = conn.execute(
                SQL("SELECT count(*) FROM {0}.statistics_escalations").format(Identifier(target))
            ).fetchone()
            assert escalations is not None and escalations[0] >= 2
        finally:
            conn.rollback()
            conn.execute(SQL("DROP SCHEMA {0} CASCADE").format(Identifier(target)))
            conn.commit()
