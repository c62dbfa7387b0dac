"""Every command's log line says which command (and command id) acted on which
recommendation or other aggregate, so an operator can follow one case through the logs;
a refused command is logged with the same bindings and the rule it broke."""

from __future__ import annotations

from datetime import date

import pytest
from structlog.testing import capture_logs

from domain.errors import IllegalTransition
from services.application.commands.recommendations import ExtendReplyDeadline, IssueRecommendation
from services.application.commands.registry import RegisterPlace
from services.application.executor import execute
from services.application.store import Rectrack
from tests.conftest import MetaFactory
from tests.integration.helpers import authority, issued_recommendation


def test_command_log_lines_name_the_command_and_what_it_acted_on(
    app: Rectrack, meta: MetaFactory
) -> None:
    authority_id = authority(app, meta)
    rec = issued_recommendation(app, meta, authority_id)
    run = {"actor_id": "carla", "actor_role": "caseworker", "today": date(2026, 1, 20)}
    with capture_logs() as logs:
        execute(
            app,
            ExtendReplyDeadline(new_due=date(2026, 3, 1), reason="asked by letter"),
            command_id="cmd-1",
            target_id=rec,
            **run,
        )
        with pytest.raises(IllegalTransition):
            execute(
                app,
                IssueRecommendation(issued_on=date(2026, 1, 20)),
                command_id="cmd-2",
                target_id=rec,
                **run,
            )
        place = execute(
            app,
            RegisterPlace(name="Prison A", place_type="prison", authority_id=authority_id),
            command_id="cmd-3",
            **run,
        )
    applied, refused, registered = logs
    assert applied["event"] == "command applied"
    assert applied["command_id"] == "cmd-1"
    assert applied["recommendation_id"] == str(rec)
    assert applied["command"] == "ExtendReplyDeadline"
    assert refused["event"] == "command refused"
    assert refused["command_id"] == "cmd-2"
    assert refused["recommendation_id"] == str(rec)
    assert refused["code"] == "illegal_transition"
    assert registered["aggregate_id"] == str(place.aggregate_id)
    assert "recommendation_id" not in registered
