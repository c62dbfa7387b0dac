"""Every command's log line says which command (and command id) acted on which
recommendation or other aggregate, so an operator can follow one case through the logs;
a refused command is logged with the same bindings and the rule it broke."""

from __future__ import annotations

from datetime import date

import pytest
from structlog.testing import capture_logs

from domain.errors import IllegalTransition
from domain.values import PlaceType
from services.application.commands.recommendations import ExtendReplyDeadline, IssueRecommendation
from services.application.commands.registry import RegisterPlace
from services.application.executor import Caller, Executor
from tests.builders import Commander, authority, issued_recommendation


def test_command_log_lines_name_the_command_and_what_it_acted_on(
    executor: Executor, run: Commander
) -> None:
    authority_id = authority(run)
    rec = issued_recommendation(run, authority_id)
    carla = Caller("carla", "caseworker")
    today = date(2026, 1, 20)
    with capture_logs() as logs:
        executor.execute(
            ExtendReplyDeadline(new_due=date(2026, 3, 1), reason="asked by letter"),
            carla,
            command_id="cmd-1",
            today=today,
            target_id=rec,
        )
        with pytest.raises(IllegalTransition):
            executor.execute(
                IssueRecommendation(issued_on=date(2026, 1, 20)),
                carla,
                command_id="cmd-2",
                today=today,
                target_id=rec,
            )
        place = executor.execute(
            RegisterPlace(name="Prison A", place_type=PlaceType.PRISON, authority_id=authority_id),
            carla,
            command_id="cmd-3",
            today=today,
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
