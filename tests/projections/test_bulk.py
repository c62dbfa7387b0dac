"""The rebuild's fold (projections/bulk.py) against the views' own handlers.

A rebuild folds recommendation events once for all views and derives each view's rows
at the end; live processing and `method="handlers"` apply each view's handlers event by
event. On a varied store (the benchmark's lifecycles plus the awkward cases: a deadline
extended after the reply, repeats, tag changes, withdrawals, escalations) both must
produce the very same rows in every table."""

from __future__ import annotations

import random
import uuid
from datetime import date

import psycopg
import pytest
from psycopg.sql import SQL, Identifier

from benchmarks.bench_projections import lifecycle
from domain.values import Position
from projections.rebuild import Method, build_views
from projections.registry import select
from projections.replay import _compare_table, _table_digest
from projections.runner import projector_env
from services.adapters.settings import Settings
from services.application.store import Rectrack
from tests.conftest import MetaFactory
from tests.projections.scenario import build


def write_store(app: Rectrack, meta: MetaFactory) -> None:
    scenario = build(app, meta)
    # After the first reply, a later extension must not change "replied on time".
    app.extend_reply_deadline(meta(date(2026, 3, 20)), scenario.late, new_due=date(2026, 4, 30))
    app.record_escalation(
        meta(date(2026, 5, 5)),
        scenario.overdue,
        level=2,
        action="letter to the minister",
        addressee="minister",
        obligation_id="o-1",
    )
    app.change_tags(meta(date(2026, 5, 6)), scenario.overdue, tags={"themes": ["food"]})
    app.withdraw_recommendation(meta(date(2026, 5, 7), reason="merged"), scenario.draft)
    app.record_response(
        meta(date(2026, 5, 8)),
        scenario.repeat,
        received_on=date(2026, 5, 8),
        position=Position.PARTIALLY_ACCEPTED,
        text="In part",
        agreed_implementation_date=date(2026, 9, 1),
    )
    rng = random.Random(3)
    authority = str(scenario.authority_id)
    place = (str(scenario.place_id), authority)
    batch = [lifecycle(rng, authority, place if rng.random() < 0.7 else None) for _ in range(150)]
    app.save_batch(batch, command_id=str(uuid.uuid4()))


@pytest.mark.parametrize(
    "names",
    [None, ["scorecard", "trends", "places", "audit"]],
    ids=["all views", "without the status view"],
)
def test_fold_equals_the_handlers(
    names: list[str] | None,
    app: Rectrack,
    meta: MetaFactory,
    settings: Settings,
    database_url: str,
    schema: str,
) -> None:
    write_store(app, meta)
    env = projector_env(settings, database_url)
    specs = select(names)
    built = {}
    methods: tuple[Method, ...] = ("fold", "handlers")
    with psycopg.connect(database_url) as conn:
        for method in methods:
            target = f"{schema}_{method}"
            conn.execute(SQL("CREATE SCHEMA {0}").format(Identifier(target)))
            result = build_views(env, database_url, conn, schema, target, specs, method=method)
            conn.commit()
            built[method] = target
            assert result.events > 1000
        try:
            for spec in specs:
                for table in spec.view.tables:
                    columns, key = list(table.columns), list(table.key)
                    differences = _compare_table(
                        conn, built["handlers"], built["fold"], spec.name, table.name, columns, key
                    )
                    assert differences == [], differences
                    assert _table_digest(
                        conn, built["fold"], table.name, columns, key
                    ) == _table_digest(conn, built["handlers"], table.name, columns, key)
        finally:
            for target in built.values():
                conn.execute(SQL("DROP SCHEMA {0} CASCADE").format(Identifier(target)))
            conn.commit()


def test_views_at_different_positions_are_built_with_the_handlers(
    app: Rectrack, meta: MetaFactory, settings: Settings, database_url: str, schema: str
) -> None:
    """A replay stops each view where it stands; the fold needs one stop for all, so
    this takes the handlers' path, with the audit tables shared all the same."""
    write_store(app, meta)
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
            assert result.positions["audit"] == head
            counted = conn.execute(
                SQL("SELECT count(*), max(notification_id) FROM {0}.audit_events").format(
                    Identifier(target)
                )
            ).fetchone()
            assert counted is not None and counted[0] > 1000 and counted[1] <= head
        finally:
            conn.rollback()
            conn.execute(SQL("DROP SCHEMA {0} CASCADE").format(Identifier(target)))
            conn.commit()
