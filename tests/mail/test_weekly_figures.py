"""The weekly digest's escalations (workflows/digests.py `weekly_figures`): each one of the
week before the day, with its recommendation, level, action and addressee, read from the
statistics view's row per escalation; live and after a rebuild alike."""

from __future__ import annotations

from datetime import date

import psycopg

from projections.engine.catchup import wait_until_caught_up
from projections.engine.rebuild import rebuild
from projections.engine.registry import select
from projections.engine.runner import Projector, projector_env
from services.adapters.settings import Settings
from services.application.commands.recommendations import RecordEscalation
from services.application.store import Rectrack
from tests.builders import Commander, authority, issued_recommendation
from workflows.digests import weekly_figures


def _escalate(run: Commander, rec: object, level: int, on: date) -> None:
    step = RecordEscalation(
        level=level, action=f"letter {level}", addressee="minister", obligation_id=f"o-{level}"
    )
    run(step, rec, on=on)


def test_the_weeks_escalations(
    run: Commander, app: Rectrack, settings: Settings, database_url: str, schema: str
) -> None:
    rec = issued_recommendation(run, authority(run), date(2026, 1, 5))
    _escalate(run, rec, 1, date(2026, 3, 2))  # the week before
    _escalate(run, rec, 2, date(2026, 3, 9))  # the week itself: Monday 9 to Sunday 15
    _escalate(run, rec, 3, date(2026, 3, 16))  # the day of the digest: next week's
    projector = Projector(settings, database_url)
    projector.start()
    try:
        head = app.recorder.max_notification_id() or 0
        wait_until_caught_up(database_url, schema, head, timeout=60)
    finally:
        projector.stop()

    def listed() -> list[tuple[object, ...]]:
        with psycopg.connect(database_url) as conn:
            figures = weekly_figures(conn, schema, date(2026, 3, 16))
        return [(e["on"], e["level"], e["action"], e["addressee"]) for e in figures["escalations"]]

    expected = [(date(2026, 3, 9), "2", "letter 2", "minister")]
    assert listed() == expected
    rebuild(projector_env(settings, database_url), database_url, schema, select(None))
    assert listed() == expected
