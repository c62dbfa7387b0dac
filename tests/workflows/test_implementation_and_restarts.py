"""Implementation follow-up, a worker restart mid-wait, and activities that are retried."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from domain.attachments import DOCX, PDF
from domain.recommendation import Recommendation
from domain.task import Task, TaskKind
from domain.values import EscalationLevel, ImplementationStatus, Position, Role
from services.application.commands.recommendations import AssessImplementation, RecordResponse
from tests.workflows.conftest import TASK_QUEUE, Deadlines, save_history
from workflows.activities import DeadlineActivities
from workflows.messages import Decision, DecisionKind, TaskRequest
from workflows.worker import build_worker

D = date


def agreed(
    deadlines: Deadlines, rec: UUID, on: date, position: Position, text: str, by: date
) -> None:
    """The authority's reply, received `on`, agreeing to implement `by` a date."""
    deadlines.run(
        RecordResponse(received_on=on, position=position, text=text, agreed_implementation_date=by),
        rec,
    )


async def test_an_agreed_implementation_date_that_passes(deadlines: Deadlines) -> None:
    authority_id = deadlines.authority(period=30)
    _, (rec,) = deadlines.report_sent(authority_id, D(2030, 4, 1), recommendations=1)
    await deadlines.skip_to(D(2030, 4, 10))
    agreed(
        deadlines,
        rec,
        D(2030, 4, 10),
        Position.ACCEPTED,
        "A new exercise yard by June",
        D(2030, 6, 1),
    )
    await deadlines.relay_all()
    handle = deadlines.client.get_workflow_handle(f"implementation-{rec}")
    # The verify task and both escalation letters are still to do after the last level.
    assert len(await deadlines.close_tasks(handle, D(2030, 8, 20), "visit planned")) == 3
    assert await deadlines.finish(handle) == "ended: escalation ladder exhausted"
    await save_history(handle, "implementation_overdue")

    wid = f"implementation-{rec}"
    verify = deadlines.app.get(Task, Task.create_id(f"{wid}:verify-2030-06-01"))
    assert (verify.kind, verify.opened_on, verify.due_on) == (
        "verify_implementation",
        D(2030, 6, 1),
        D(2030, 7, 1),
    )
    # The reply came in time, so the reply obligation recorded nothing.
    assert deadlines.decisions(rec) == [
        ("ImplementationOverdue", D(2030, 7, 1), {"due_on": D(2030, 6, 1)}),
        ("Escalated", D(2030, 7, 1), {"level": 1, "addressee": "head of institution"}),
        ("Escalated", D(2030, 7, 15), {"level": 2, "addressee": "ministry"}),
    ]
    # The overdue step's letter, on the recommendation, once (workflows/implementation_letter.py)
    letters = deadlines.app.get(Recommendation, rec).letters
    overdue = [letter for letter in letters if letter["kind"] == "implementation_overdue"]
    assert len(overdue) == 1, letters
    assert (overdue[0]["due_on"], overdue[0]["recommendation_ids"]) == ("2030-06-01", [str(rec)])
    assert [d["media_type"] for d in overdue[0]["documents"]] == [PDF, DOCX]


async def test_implemented_and_verified_ends_the_follow_up(deadlines: Deadlines) -> None:
    authority_id = deadlines.authority(period=30)
    _, (rec,) = deadlines.report_sent(authority_id, D(2030, 4, 1), recommendations=1)
    agreed(deadlines, rec, D(2030, 4, 1), Position.PARTIALLY_ACCEPTED, "Partly", D(2030, 5, 1))
    await deadlines.relay_all()
    await deadlines.skip_to(D(2030, 5, 20))
    deadlines.run(
        AssessImplementation(
            status=ImplementationStatus.IMPLEMENTED,
            verified=True,
            verification_method="follow-up visit",
        ),
        rec,
        on=D(2030, 5, 20),
    )
    await deadlines.relay_all()
    handle = deadlines.client.get_workflow_handle(f"implementation-{rec}")
    assert await deadlines.finish(handle) == "ended: implemented and verified"
    assert deadlines.decisions(rec) == []
    # The verify task opened on 1 May is no longer needed: the workflow cancelled it.
    verify = deadlines.app.get(Task, Task.create_id(f"implementation-{rec}:verify-2030-05-01"))
    assert (verify.state, verify.opened_on) == ("cancelled", D(2030, 5, 1))


async def test_a_worker_restart_while_waiting_escalates_exactly_once(
    deadlines: Deadlines,
) -> None:
    authority_id = deadlines.authority(
        period=30, ladder=[EscalationLevel("send escalation letter", "ministry", 30)]
    )
    report_id, (rec,) = deadlines.report_sent(authority_id, D(2030, 4, 1), recommendations=1)
    await deadlines.relay_all()
    handle = deadlines.client.get_workflow_handle(f"obligation-{report_id}-{authority_id}")
    assert (await deadlines.state(handle))["due_on"] == "2030-05-02"
    await deadlines.skip_to(D(2030, 4, 2))  # past the sending's transmittal letter
    # Stop the worker while the workflow sleeps towards its due date...
    assert deadlines.worker is not None
    await deadlines.worker.shutdown()
    await deadlines.skip_to(D(2030, 4, 20))
    # ...and start a fresh one: it replays the history and carries on from the timer.
    async with build_worker(
        deadlines.client, deadlines.run.executor, TASK_QUEUE, cache_workflows=False
    ):
        await deadlines.close_tasks(handle, D(2030, 6, 10))
        assert await deadlines.finish(handle) == "ended: escalation ladder exhausted"
    escalations = [d for d in deadlines.decisions(rec) if d[0] == "Escalated"]
    assert escalations == [("Escalated", D(2030, 5, 3), {"level": 1, "addressee": "ministry"})]


def test_a_retried_activity_appends_nothing_twice(deadlines: Deadlines) -> None:
    authority_id = deadlines.authority(period=30)
    _, (rec,) = deadlines.report_sent(authority_id, D(2030, 4, 1), recommendations=1)
    activities = DeadlineActivities(deadlines.run.executor)
    decision = Decision(
        "obligation-x",
        "missed-2030-05-02",
        DecisionKind.MISSED,
        [str(rec)],
        D(2030, 5, 3),
        D(2030, 5, 2),
    )
    assert activities.record_decision(decision) == [str(rec)]
    assert activities.record_decision(decision) == [str(rec)]
    request = TaskRequest(
        "obligation-x",
        "escalation-1",
        TaskKind.SEND_ESCALATION_LETTER,
        "Letter",
        Role.CASEWORKER,
        D(2030, 5, 3),
        D(2030, 5, 17),
        [str(rec)],
    )
    assert activities.open_task(request) == activities.open_task(request)
    assert [d[0] for d in deadlines.decisions(rec)] == ["ReplyDeadlineMissed"]
    task = deadlines.app.get(Task, Task.create_id("obligation-x:escalation-1"))
    assert task.version == 1
