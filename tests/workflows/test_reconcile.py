"""The reconciliation: a deadline workflow the events call for, found terminated or
missing in Temporal, is restarted from the facts and the restart recorded once; a running
or completed workflow is left alone."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from eventsourcing.persistence import Tracking
from temporalio.client import WorkflowExecutionStatus

from domain.reconciliation import WorkflowRestart
from domain.values import EscalationLevel, Position
from services.adapters.settings import Settings
from services.application.commands.recommendations import RecordResponse
from services.application.store import Rectrack
from services.cli import main
from tests.builders import issued_recommendation, reply
from tests.workflows.conftest import TASK_QUEUE, Deadlines
from workflows.reconcile import Reconciliation
from workflows.relay import APPLICATION_NAME

D = date


def restarts(app: Rectrack) -> list[tuple[str, str]]:
    """(workflow id, status found) of every restart recorded, from the event log."""
    out = []
    for notification in app.recorder.select_notifications(start=1, limit=10_000):
        if notification.topic.endswith("WorkflowRestart.Restarted"):
            event = app.mapper.to_domain_event(notification)
            out.append((event.workflow_id, event.found_status))
    return out


async def test_a_terminated_obligation_is_restarted_and_recorded_once(
    deadlines: Deadlines,
) -> None:
    authority_id = deadlines.authority(period=30)
    rec = issued_recommendation(deadlines.run, authority_id, D(2030, 4, 1), text="Open the yard")
    await deadlines.relay_all()
    wid = f"obligation-recommendation-{rec}"
    handle = deadlines.client.get_workflow_handle(wid)
    assert (await deadlines.state(handle))["due_on"] == "2030-05-02"
    terminated_run = (await handle.describe()).run_id
    await handle.terminate("lost in an incident")
    reconcile = Reconciliation(deadlines.relay, deadlines.run.executor)

    report = await reconcile.run(D(2030, 4, 2))

    assert [(f.workflow_id, f.found, f.restarted) for f in report.findings] == [
        (wid, "terminated", True)
    ]
    latest = deadlines.client.get_workflow_handle(wid)
    assert (await latest.describe()).status == WorkflowExecutionStatus.RUNNING
    state = await deadlines.state(latest)
    assert (state["due_on"], state["pending"]) == ("2030-05-02", [str(rec)])
    assert restarts(deadlines.app) == [(wid, "terminated")]
    restart = deadlines.app.get(
        WorkflowRestart,
        WorkflowRestart.create_id(wid, terminated_run),
    )
    assert restart.recommendation_ids == [str(rec)]

    # A second run finds it running: nothing restarted, nothing appended.
    position = deadlines.app.recorder.max_notification_id()
    again = await reconcile.run(D(2030, 4, 3))
    assert [(f.found, f.restarted) for f in again.findings] == [("running", False)]
    assert deadlines.app.recorder.max_notification_id() == position

    # The restarted run carries on from the facts: the deadline is missed on time.
    await deadlines.skip_to(D(2030, 5, 4))
    assert ("ReplyDeadlineMissed", D(2030, 5, 3), {"due_on": D(2030, 5, 2)}) in (
        deadlines.decisions(rec)
    )


async def test_a_terminated_follow_up_is_restarted_and_a_completed_obligation_left_alone(
    deadlines: Deadlines,
) -> None:
    authority_id = deadlines.authority(period=30)
    rec = issued_recommendation(deadlines.run, authority_id, D(2030, 4, 1), text="Open the yard")
    await deadlines.relay_all()
    obligation = deadlines.client.get_workflow_handle(f"obligation-recommendation-{rec}")
    deadlines.run(
        RecordResponse(
            received_on=D(2030, 4, 1),
            position=Position.ACCEPTED,
            text="By June",
            agreed_implementation_date=D(2030, 6, 1),
        ),
        rec,
        on=D(2030, 4, 1),
    )
    await deadlines.relay_all()
    await deadlines.finish(obligation)
    follow_up = deadlines.client.get_workflow_handle(f"implementation-{rec}")
    await follow_up.terminate("lost in an incident")

    report = await Reconciliation(deadlines.relay, deadlines.run.executor).run(D(2030, 4, 2))

    # The obligation ended because the reply came: no longer wanted, not even checked.
    assert [(f.workflow_id, f.found, f.restarted) for f in report.findings] == [
        (f"implementation-{rec}", "terminated", True)
    ]
    assert (await obligation.describe()).status == WorkflowExecutionStatus.COMPLETED
    state = await deadlines.state(deadlines.client.get_workflow_handle(f"implementation-{rec}"))
    assert (state["agreed_on"], state["verified"]) == ("2030-06-01", False)


async def test_an_obligation_never_started_is_started(deadlines: Deadlines) -> None:
    """The relay moved past the issue without delivering it (an incident): Temporal has
    never heard of the obligation."""
    authority_id = deadlines.authority(period=30)
    rec = issued_recommendation(deadlines.run, authority_id, D(2030, 4, 1), text="Open the yard")
    position = deadlines.app.recorder.max_notification_id()
    assert position is not None
    deadlines.relay.tracking.insert_tracking(Tracking(APPLICATION_NAME, position))
    reconcile = Reconciliation(deadlines.relay, deadlines.run.executor)

    report = await reconcile.run(D(2030, 4, 2))

    wid = f"obligation-recommendation-{rec}"
    assert [(f.workflow_id, f.found, f.restarted) for f in report.findings] == [
        (wid, "missing", True)
    ]
    state = await deadlines.state(deadlines.client.get_workflow_handle(wid))
    assert (state["due_on"], state["pending"]) == ("2030-05-02", [str(rec)])
    assert restarts(deadlines.app) == [(wid, "missing")]
    again = await reconcile.run(D(2030, 4, 3))
    assert [(f.found, f.restarted) for f in again.findings] == [("running", False)]
    assert restarts(deadlines.app) == [(wid, "missing")]


async def test_an_obligation_that_exhausted_its_ladder_is_left_alone(
    deadlines: Deadlines,
) -> None:
    authority_id = deadlines.authority(
        period=30, ladder=[EscalationLevel("send escalation letter", "ministry", 30)]
    )
    rec = issued_recommendation(deadlines.run, authority_id, D(2030, 4, 1), text="Open the yard")
    await deadlines.relay_all()
    wid = f"obligation-recommendation-{rec}"
    handle = deadlines.client.get_workflow_handle(wid)
    await deadlines.close_tasks(handle, D(2030, 6, 10))
    assert await deadlines.finish(handle) == "ended: escalation ladder exhausted"
    position = deadlines.app.recorder.max_notification_id()

    # Still unanswered, so still wanted; but it ended as it should: not restarted.
    report = await Reconciliation(deadlines.relay, deadlines.run.executor).run(D(2030, 6, 11))

    assert [(f.workflow_id, f.found, f.restarted) for f in report.findings] == [
        (wid, "completed", False)
    ]
    assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
    assert deadlines.app.recorder.max_notification_id() == position


async def test_the_command_restarts_and_says_what_it_did(
    deadlines: Deadlines,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert settings.database_url is not None
    monkeypatch.setenv("RECTRACK_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("RECTRACK_DATABASE_SCHEMA", settings.database_schema)
    monkeypatch.setenv(
        "RECTRACK_TEMPORAL_ADDRESS", deadlines.client.service_client.config.target_host
    )
    monkeypatch.setenv("RECTRACK_TASK_QUEUE", TASK_QUEUE)
    authority_id = deadlines.authority(period=30)
    rec = issued_recommendation(deadlines.run, authority_id, D(2030, 4, 1), text="Open the yard")
    await deadlines.relay_all()
    wid = f"obligation-recommendation-{rec}"
    await deadlines.client.get_workflow_handle(wid).terminate("lost in an incident")

    assert await asyncio.to_thread(main, ["workflows", "reconcile"]) == 0
    out = capsys.readouterr().out
    assert f"restarted {wid} (was terminated) for 1 recommendation(s)" in out
    status = (await deadlines.client.get_workflow_handle(wid).describe()).status
    assert status == WorkflowExecutionStatus.RUNNING

    assert await asyncio.to_thread(main, ["workflows", "reconcile"]) == 0
    out = capsys.readouterr().out
    assert "running: 1" in out and "Nothing to restart." in out
    assert restarts(deadlines.app) == [(wid, "terminated")]


async def test_a_report_obligation_is_rebuilt_from_all_its_facts(deadlines: Deadlines) -> None:
    """A report's obligation serves several recommendations: the new run learns the
    sending, both issues and the reply to one of them, and waits only for the other."""
    authority_id = deadlines.authority(period=30)
    report_id, (answered, open_one) = deadlines.report_sent(authority_id, D(2030, 4, 1))
    reply(deadlines.run, answered, D(2030, 4, 1))
    await deadlines.relay_all()
    wid = f"obligation-{report_id}-{authority_id}"
    await deadlines.client.get_workflow_handle(wid).terminate("lost in an incident")

    report = await Reconciliation(deadlines.relay, deadlines.run.executor).run(D(2030, 4, 2))

    assert [(f.workflow_id, f.recommendation_ids, f.restarted) for f in report.findings] == [
        (wid, [str(open_one)], True)
    ]
    state = await deadlines.state(deadlines.client.get_workflow_handle(wid))
    assert (state["due_on"], state["pending"], state["resolved"]) == (
        "2030-05-02",
        [str(open_one)],
        [str(answered)],
    )
