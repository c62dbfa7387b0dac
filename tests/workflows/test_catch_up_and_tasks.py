"""A workflow catching up on a back-dated report decides only on what the record confirms
(the demo's first report), and a caseworker task cancels itself, saying why, as soon as
nothing it names needs it any more. Time-skipping server, real relay and worker."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from domain.task import Task, TaskState
from domain.values import Position
from services.application.commands.recommendations import (
    AssessImplementation,
    WithdrawRecommendation,
)
from tests.builders import issued_recommendation, reply
from tests.workflows.conftest import Deadlines

D = date


def obligation(report_id: object, authority_id: object) -> str:
    return f"obligation-{report_id}-{authority_id}"


async def relay_up_to(deadlines: Deadlines, aggregate_id: UUID, topic_end: str) -> None:
    """Deliver the log only up to (and with) that event of that aggregate, as a relay
    caught in the middle of a burst would have; the position is not moved, so a later
    relay_all delivers everything again (the workflows ignore what they have seen)."""
    relay = deadlines.relay
    notifications = deadlines.app.recorder.select_notifications(start=1, limit=10_000)
    upto = next(
        i
        for i, n in enumerate(notifications)
        if n.originator_id == aggregate_id and n.topic.endswith(topic_end)
    )
    await relay._deliver_page(relay._route_page(notifications[: upto + 1]))


def task_of(deadlines: Deadlines, task_id: str | UUID) -> Task:
    return deadlines.app.get(Task, UUID(str(task_id)))


def cancel_reason(deadlines: Deadlines, task_id: str | UUID) -> str | None:
    events = list(deadlines.app.events.get(UUID(str(task_id))))
    cancelled = [e for e in events if type(e).__qualname__ == "Task.Cancelled"]
    return cancelled[-1].meta.reason if cancelled else None


async def test_a_back_dated_report_escalates_the_unanswered_one_not_its_answered_sibling(
    deadlines: Deadlines,
) -> None:
    """The demo's first report: written in one go years back, then relayed while the
    worker runs. The workflow heard of `answered` (issued) before its reply was relayed,
    and of `silent` only later. Before the fix it recorded the missed deadline for
    `answered` (refused: already answered), took the deadline as missed anyway, raised the
    top level and its letter task on `answered`, and `silent`, joining after the ladder
    was exhausted, got nothing at all."""
    authority_id = deadlines.authority(period=30)
    sent = D(2029, 6, 4)  # due 4 July 2029: the whole ladder is long past on 1 April 2030
    report_id, (answered,) = deadlines.report_sent(authority_id, sent, recommendations=1)
    reply(deadlines.run, answered, D(2029, 6, 20), position=Position.ACCEPTED)
    silent = issued_recommendation(
        deadlines.run, authority_id, sent, text="Recommendation 2", report_id=report_id
    )
    handle = deadlines.client.get_workflow_handle(obligation(report_id, authority_id))

    await relay_up_to(deadlines, answered, ".Issued")
    await deadlines.state(handle)  # the workflow has handled what was delivered
    await deadlines.skip_to(D(2030, 4, 1))  # a minute passes
    await deadlines.relay_all()
    await deadlines.skip_to(D(2030, 4, 1))
    state: dict[str, Any] = await deadlines.state(handle)

    assert deadlines.decisions(answered) == []
    assert deadlines.decisions(silent) == [
        ("ReplyDeadlineMissed", D(2029, 7, 5), {"due_on": D(2029, 7, 4)}),
        ("Escalated", D(2029, 7, 19), {"level": 2, "addressee": "ministry"}),
    ]
    assert len(state["open_tasks"]) == 1
    task = task_of(deadlines, state["open_tasks"][0])
    assert task.recommendation_ids == [str(silent)]
    assert "1 recommendation(s) unanswered since 2029-07-04" in task.title
    assert state["missed_on"] == "2029-07-05" and state["pending"] == [str(silent)]


async def test_an_escalation_task_cancels_itself_once_everything_it_names_is_resolved(
    deadlines: Deadlines,
) -> None:
    """Level 1 names the two recommendations then overdue; a third, issued later under
    the same report, keeps the obligation open. Once the two are answered and withdrawn,
    their letter is no longer needed: cancelled at once, saying why (before: it stayed
    in the inbox until the whole obligation ended)."""
    authority_id = deadlines.authority(period=30)
    report_id, (first, second) = deadlines.report_sent(authority_id, D(2030, 4, 1))
    await deadlines.relay_all()
    handle = deadlines.client.get_workflow_handle(obligation(report_id, authority_id))
    await deadlines.skip_to(D(2030, 5, 4))  # due 2 May: missed and level 1 on 3 May
    later = issued_recommendation(
        deadlines.run, authority_id, D(2030, 5, 3), text="Later one", report_id=report_id
    )
    await deadlines.relay_all()
    state = await deadlines.state(handle)
    (letter,) = state["open_tasks"]
    assert sorted(task_of(deadlines, letter).recommendation_ids) == sorted(
        [str(first), str(second)]
    )

    await deadlines.skip_to(D(2030, 5, 6))
    reply(deadlines.run, first, D(2030, 5, 6))
    await deadlines.relay_all()
    await deadlines.state(handle)
    assert task_of(deadlines, letter).state == TaskState.OPEN  # `second` still needs it

    deadlines.run(WithdrawRecommendation(reason="superseded"), second, on=D(2030, 5, 7))
    await deadlines.relay_all()
    await deadlines.skip_to(D(2030, 5, 7))
    state = await deadlines.state(handle)
    assert task_of(deadlines, letter).state == TaskState.CANCELLED
    assert cancel_reason(deadlines, letter) == (
        "no longer needed: every recommendation it names was resolved (the authority's "
        "reply was received on 2030-05-06; the recommendation was withdrawn on 2030-05-07)"
    )
    assert state["pending"] == [str(later)] and state["open_tasks"] == []


async def test_an_implementation_assessed_as_implemented_cancels_the_letters(
    deadlines: Deadlines,
) -> None:
    """An overdue implementation has its letter task to the authority; once assessed as
    implemented (not yet verified) the letter is cancelled, saying why, and only the
    verification task stays (before: the letter stayed open, and the ladder went on)."""
    authority_id = deadlines.authority(period=30)
    _, (rec, _) = deadlines.report_sent(authority_id, D(2030, 4, 1))
    reply(deadlines.run, rec, D(2030, 4, 10), agreed_implementation_date=D(2030, 5, 1))
    await deadlines.relay_all()
    handle = deadlines.client.get_workflow_handle(f"implementation-{rec}")
    await deadlines.skip_to(D(2030, 6, 1))  # verify on 1 May, overdue and level 1 on 31 May
    state = await deadlines.state(handle)
    verify = state["verify_task"]
    (letter,) = [t for t in state["open_tasks"] if t != verify]

    deadlines.run(
        AssessImplementation.model_validate(
            {"status": "implemented", "assessed_on": D(2030, 6, 1)}
        ),
        rec,
        on=D(2030, 6, 1),
    )
    await deadlines.relay_all()
    await deadlines.skip_to(D(2030, 9, 1))  # well past every further level
    state = await deadlines.state(handle)
    assert task_of(deadlines, letter).state == TaskState.CANCELLED
    assert cancel_reason(deadlines, letter) == (
        "no longer needed: the implementation was assessed as implemented on 2030-06-01"
    )
    assert state["open_tasks"] == [verify] and state["levels_done"] == 1
    assert task_of(deadlines, verify).state == TaskState.OPEN
