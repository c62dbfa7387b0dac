"""The live projector applies a page of events per transaction, exactly once: a failure
inside a page rolls the whole page back (view rows and tracking row together), the
pages before it stay, and the restarted runner applies every event once more than
zero times and never twice."""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import Tracking

from domain.values import RecommendationKind
from projections.engine import runner as runner_module
from projections.engine.catchup import wait_until_caught_up
from projections.engine.recorder import APPLICATION_NAME
from projections.engine.registry import VIEWS
from projections.engine.replay import replay_and_compare
from projections.engine.runner import Projector, projector_env
from services.adapters.settings import Settings
from services.application.commands.recommendations import DraftRecommendation, Tags
from services.application.store import Rectrack
from tests.builders import Commander, authority
from tests.projections.scenario import positions, wait_for

PAGE = 16


def count_of(database_url: str, schema: str, sql: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(sql.replace("S.", f'"{schema}".')).fetchone()
        assert row is not None
        return int(row[0])


def test_a_failure_inside_a_page_loses_nothing_and_repeats_nothing(
    run: Commander,
    settings: Settings,
    database_url: str,
    schema: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ministry = authority(run)
    count = 120
    head = 0
    for index in range(count):
        rec = run(
            DraftRecommendation(
                kind=RecommendationKind.VISIT,
                text=f"Recommendation {index}",
                authority_id=ministry,
                tags=Tags(themes=[f"theme {index % 3}"]),
                issued_on=date(2026, 1, 5) if index % 2 else None,
            )
        )
        assert rec.notification_id is not None
        head = rec.notification_id
    issued = count // 2
    fail_at = head // 2

    # The status view fails once on the event in the middle of the log.
    status_view = VIEWS["status"].view
    original_apply = status_view.apply
    failed: list[int] = []

    def apply_failing_once(fact: Any, rows: Any) -> None:
        if fact.notification_id == fail_at and not failed:
            failed.append(fact.notification_id)
            raise RuntimeError("simulated crash inside a page")
        original_apply(fact, rows)

    monkeypatch.setattr(status_view, "apply", apply_failing_once)
    monkeypatch.setattr(runner_module, "RESTART_BACKOFF_SECONDS", 0.0)
    paged = settings.model_copy(update={"projector_page_size": PAGE})
    projector = Projector(paged, database_url, ["status", "trends"])
    projector.start()
    try:
        wait_for(
            lambda: projector.runners["status"].is_interrupted.is_set(),
            timeout=60,
            what="the status runner to fail on its injected error",
        )
        stopped_at = positions(database_url, schema)[0]["status"]
        # The pages before the failing one stayed; the failing page left nothing behind:
        # the view holds exactly the recommendations drafted up to the tracked position.
        assert 0 < stopped_at < fail_at
        assert fail_at - stopped_at <= PAGE
        drafted_before = count_of(
            database_url,
            schema,
            f"SELECT count(*) FROM S.rectrack_events WHERE notification_id <= {stopped_at} "
            "AND topic LIKE '%Recommendation.Drafted'",
        )
        assert count_of(database_url, schema, "SELECT count(*) FROM S.status_recommendations") == (
            drafted_before
        )
        # The runner is restarted from its tracked position and finishes the log.
        wait_for(
            lambda: (
                (projector.supervise(), positions(database_url, schema)[0]["status"])[1] >= head
            ),
            timeout=60,
            what="the restarted status runner to catch up",
        )
        wait_until_caught_up(database_url, schema, head, timeout=60, names=["status", "trends"])

        # Handing the recorder a page it has already applied (in part or whole) applies
        # none of it again.
        recorder = projector.runners["trends"].view
        app = Rectrack(env=projector_env(settings, database_url))
        try:
            notifications = app.recorder.select_notifications(
                start=max(head - 30, 1), limit=30, inclusive_of_start=True
            )
            page = [
                (app.mapper.to_domain_event(n), Tracking(APPLICATION_NAME, n.id))
                for n in notifications
            ]
        finally:
            app.close()
        recorder.project_page(page)
    finally:
        projector.stop()

    assert failed == [fail_at]
    assert count_of(database_url, schema, "SELECT count(*) FROM S.status_recommendations") == count
    assert (
        count_of(
            database_url,
            schema,
            "SELECT count(*) FROM S.status_recommendations WHERE status = 'issued'",
        )
        == issued
    )
    # The trends view's counters: a page applied twice would count its events twice.
    assert (
        count_of(database_url, schema, "SELECT sum(n) FROM S.trends_counts WHERE period = '2026'")
        == count
    )
    report = replay_and_compare(
        projector_env(settings, database_url), database_url, schema, ["status", "trends"]
    )
    assert report.consistent, report.differences
