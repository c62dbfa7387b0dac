"""Statutory reply deadlines on the time-skipping server, each with exact dates."""

from __future__ import annotations

from datetime import date

import psycopg
from temporalio.api.enums.v1 import EventType

from domain.recommendation import Recommendation
from domain.task import Task
from domain.values import DayKind, EscalationLevel, Position, RecommendationKind
from services.application.commands.recommendations import (
    ExtendReplyDeadline,
    RecordResponse,
    WithdrawRecommendation,
)
from tests.builders import issued_recommendation
from tests.workflows.conftest import TASK_QUEUE, Deadlines, save_history
from workflows.obligation import ReplyObligationWorkflow
from workflows.relay import TRACKING_TABLE, Relay

D = date


def obligation(report_id: object, authority_id: object) -> str:
    return f"obligation-{report_id}-{authority_id}"


async def test_thirty_calendar_days_reminder_and_every_ladder_level(deadlines: Deadlines) -> None:
    authority_id = deadlines.authority(period=30)
    report_id, (rec, _) = deadlines.report_sent(authority_id, D(2030, 4, 1))
    # 1 April + 30 days is 1 May, Labour Day in Germany: due the next working day.
    assert deadlines.app.get(Recommendation, rec).reply_due == D(2030, 5, 2)
    await deadlines.relay_all()

    handle = deadlines.client.get_workflow_handle_for(
        ReplyObligationWorkflow.run, obligation(report_id, authority_id)
    )
    # After the last level the obligation waits for its letters to be sent.
    closed = await deadlines.close_tasks(handle, D(2030, 6, 3))
    assert len(closed) == 2
    assert await deadlines.finish(handle) == "ended: escalation ladder exhausted"
    assert (await handle.describe()).close_time.date() == D(2030, 6, 3)  # type: ignore[union-attr]
    await save_history(handle, "reply_obligation_ladder")
    # Its patches are all recorded by its first workflow task: a patch marker recorded
    # for the first time comes with a search-attribute upsert (a visibility write), which
    # the last ladder step paid for in every firing of a burst (#16).
    events = [e.event_type for e in (await handle.fetch_history()).events]
    tasks = [i for i, e in enumerate(events) if e == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED]
    upsert = EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
    upserts = [i for i, e in enumerate(events) if e == upsert]
    assert upserts and max(upserts) < tasks[1]

    assert deadlines.decisions(rec) == [
        ("ReplyReminderSent", D(2030, 4, 25), {"due_on": D(2030, 5, 2)}),
        ("ReplyDeadlineMissed", D(2030, 5, 3), {"due_on": D(2030, 5, 2)}),
        ("Escalated", D(2030, 5, 3), {"level": 1, "addressee": "head of institution"}),
        ("Escalated", D(2030, 5, 17), {"level": 2, "addressee": "ministry"}),
    ]
    # each level names the due date it escalates (its letter's, workflows/relay_letters.py)
    escalated = [e for e in deadlines.app.events.get(rec) if type(e).__name__ == "Escalated"]
    assert [e.due_on for e in escalated] == [D(2030, 5, 2)] * 2
    wid = obligation(report_id, authority_id)
    first = deadlines.app.get(Task, Task.create_id(f"{wid}:escalation-2030-05-02-1"))
    second = deadlines.app.get(Task, Task.create_id(f"{wid}:escalation-2030-05-02-2"))
    assert (first.opened_on, first.due_on) == (D(2030, 5, 3), D(2030, 5, 17))
    assert (second.opened_on, second.due_on) == (D(2030, 5, 17), D(2030, 6, 16))
    assert "ministry" in second.title and len(second.recommendation_ids) == 2


async def test_twenty_working_days_skip_easter_and_labour_day(deadlines: Deadlines) -> None:
    authority_id = deadlines.authority(period=20, day_kind=DayKind.WORKING, ladder=[])
    await deadlines.skip_to(D(2030, 4, 15))
    report_id, (rec, _) = deadlines.report_sent(authority_id, D(2030, 4, 15))
    # Counted by hand: Good Friday 19.4, Easter Monday 22.4, 1.5 and the weekends skipped.
    assert deadlines.app.get(Recommendation, rec).reply_due == D(2030, 5, 16)
    await deadlines.relay_all()
    handle = deadlines.client.get_workflow_handle(obligation(report_id, authority_id))
    assert await deadlines.finish(handle) == "ended: escalation ladder exhausted"
    assert deadlines.decisions(rec) == [
        ("ReplyReminderSent", D(2030, 5, 9), {"due_on": D(2030, 5, 16)}),
        ("ReplyDeadlineMissed", D(2030, 5, 17), {"due_on": D(2030, 5, 16)}),
    ]


async def test_a_full_reply_stops_every_timer(deadlines: Deadlines) -> None:
    authority_id = deadlines.authority(period=30)
    report_id, recs = deadlines.report_sent(authority_id, D(2030, 4, 1))
    await deadlines.relay_all()
    await deadlines.skip_to(D(2030, 4, 10))
    for rec in recs:
        deadlines.run(
            RecordResponse(received_on=D(2030, 4, 10), position=Position.ACCEPTED, text="Agreed"),
            rec,
        )
    await deadlines.relay_all()
    handle = deadlines.client.get_workflow_handle(obligation(report_id, authority_id))
    assert await deadlines.finish(handle) == "ended: every recommendation answered or released"
    assert sorted((await deadlines.state(handle))["resolved"]) == sorted(str(r) for r in recs)
    closed = (await handle.describe()).close_time
    assert closed is not None and closed.date() == D(2030, 4, 10)
    assert [deadlines.decisions(rec) for rec in recs] == [[], []]


async def test_a_partial_reply_keeps_the_obligation_open_for_the_rest(
    deadlines: Deadlines,
) -> None:
    authority_id = deadlines.authority(period=30)
    report_id, (answered, unanswered) = deadlines.report_sent(authority_id, D(2030, 4, 1))
    await deadlines.relay_all()
    await deadlines.skip_to(D(2030, 4, 28))  # after the reminder went out
    deadlines.run(
        RecordResponse(received_on=D(2030, 4, 28), position=Position.REJECTED, text="No budget"),
        answered,
    )
    await deadlines.relay_all()
    handle = deadlines.client.get_workflow_handle(obligation(report_id, authority_id))
    assert (await deadlines.state(handle))["pending"] == [str(unanswered)]
    await deadlines.close_tasks(handle, D(2030, 6, 3))
    await deadlines.finish(handle)
    assert [d[0] for d in deadlines.decisions(answered)] == ["ReplyReminderSent"]
    assert deadlines.decisions(unanswered) == [
        ("ReplyReminderSent", D(2030, 4, 25), {"due_on": D(2030, 5, 2)}),
        ("ReplyDeadlineMissed", D(2030, 5, 3), {"due_on": D(2030, 5, 2)}),
        ("Escalated", D(2030, 5, 3), {"level": 1, "addressee": "head of institution"}),
        ("Escalated", D(2030, 5, 17), {"level": 2, "addressee": "ministry"}),
    ]
    wid = obligation(report_id, authority_id)
    task = deadlines.app.get(Task, Task.create_id(f"{wid}:escalation-2030-05-02-1"))
    assert task.recommendation_ids == [str(unanswered)]


async def test_an_extension_moves_the_reminder_the_deadline_and_the_ladder(
    deadlines: Deadlines,
) -> None:
    authority_id = deadlines.authority(period=30)
    report_id, (rec,) = deadlines.report_sent(authority_id, D(2030, 4, 1), recommendations=1)
    await deadlines.relay_all()
    await deadlines.skip_to(D(2030, 4, 28))
    deadlines.run(ExtendReplyDeadline(new_due=D(2030, 5, 20)), rec, on=D(2030, 4, 28))
    await deadlines.relay_all()
    handle = deadlines.client.get_workflow_handle(obligation(report_id, authority_id))
    assert (await deadlines.state(handle))["due_on"] == "2030-05-20"
    await deadlines.close_tasks(handle, D(2030, 7, 1))
    await deadlines.finish(handle)
    assert deadlines.decisions(rec) == [
        ("ReplyReminderSent", D(2030, 4, 25), {"due_on": D(2030, 5, 2)}),
        ("ReplyReminderSent", D(2030, 5, 13), {"due_on": D(2030, 5, 20)}),
        ("ReplyDeadlineMissed", D(2030, 5, 21), {"due_on": D(2030, 5, 20)}),
        ("Escalated", D(2030, 5, 21), {"level": 1, "addressee": "head of institution"}),
        ("Escalated", D(2030, 6, 4), {"level": 2, "addressee": "ministry"}),
    ]


async def test_an_urgent_recommendation_is_an_obligation_of_its_own(
    deadlines: Deadlines,
) -> None:
    authority_id = deadlines.authority(period=30, urgent=5)
    rec = issued_recommendation(
        deadlines.run,
        authority_id,
        D(2030, 4, 1),
        text="Stop placing detainees in the unheated cell",
        kind=RecommendationKind.URGENT,
    )
    await deadlines.relay_all()
    handle = deadlines.client.get_workflow_handle(f"obligation-urgent-{rec}")
    await deadlines.close_tasks(handle, D(2030, 5, 1))
    await deadlines.finish(handle)
    # 1 April + 5 days is Saturday 6 April: due Monday 8 April. Too short for a reminder.
    assert deadlines.decisions(rec) == [
        ("ReplyDeadlineMissed", D(2030, 4, 9), {"due_on": D(2030, 4, 8)}),
        ("Escalated", D(2030, 4, 9), {"level": 1, "addressee": "head of institution"}),
        ("Escalated", D(2030, 4, 23), {"level": 2, "addressee": "ministry"}),
    ]


async def test_a_back_dated_import_escalates_at_once_to_the_level_its_dates_call_for(
    deadlines: Deadlines,
) -> None:
    authority_id = deadlines.authority(period=30)
    # Typed in on 1 April 2030; the report went out in January.
    report_id, (rec, _) = deadlines.report_sent(authority_id, D(2030, 1, 7))
    await deadlines.relay_all()
    handle = deadlines.client.get_workflow_handle(obligation(report_id, authority_id))
    # Everything it owes happens at once, on the day it is imported.
    await deadlines.skip_to(D(2030, 4, 1))
    state = await deadlines.state(handle)
    assert (state["missed_on"], state["levels_done"]) == ("2030-02-07", 2)
    await deadlines.close_tasks(handle, D(2030, 4, 1))
    assert await deadlines.finish(handle) == "ended: escalation ladder exhausted"
    await save_history(handle, "reply_obligation_back_dated")
    # Due 6 Feb, missed 7 Feb, level 2 due 21 Feb: no reminder, no level 1 replayed.
    assert deadlines.decisions(rec) == [
        ("ReplyDeadlineMissed", D(2030, 2, 7), {"due_on": D(2030, 2, 6)}),
        ("Escalated", D(2030, 2, 21), {"level": 2, "addressee": "ministry"}),
    ]
    closed = (await handle.describe()).close_time
    assert closed is not None and closed.date() == D(2030, 4, 1)


async def test_a_withdrawal_releases_the_recommendation(deadlines: Deadlines) -> None:
    authority_id = deadlines.authority(period=30, ladder=[EscalationLevel("letter", "ministry", 7)])
    report_id, (kept, withdrawn) = deadlines.report_sent(authority_id, D(2030, 4, 1))
    await deadlines.relay_all()
    await deadlines.skip_to(D(2030, 4, 5))
    deadlines.run(
        WithdrawRecommendation(reason="duplicate"),
        withdrawn,
        on=D(2030, 4, 5),
        command_id="withdraw-1",
    )
    await deadlines.relay_all()
    handle = deadlines.client.get_workflow_handle(obligation(report_id, authority_id))
    assert (await deadlines.state(handle))["pending"] == [str(kept)]
    await deadlines.close_tasks(handle, D(2030, 5, 20))
    await deadlines.finish(handle)
    assert deadlines.decisions(withdrawn) == []
    assert [d[0] for d in deadlines.decisions(kept)] == [
        "ReplyReminderSent",
        "ReplyDeadlineMissed",
        "Escalated",
    ]


async def test_a_reply_after_the_escalation_cancels_the_letter_nobody_needs(
    deadlines: Deadlines,
) -> None:
    authority_id = deadlines.authority(period=30)
    report_id, (rec,) = deadlines.report_sent(authority_id, D(2030, 4, 1), recommendations=1)
    await deadlines.relay_all()
    await deadlines.skip_to(D(2030, 5, 6))  # level 1 raised on 3 May, level 2 not yet
    deadlines.run(
        RecordResponse(
            received_on=D(2030, 5, 6), position=Position.ACCEPTED, text="Late, but agreed"
        ),
        rec,
    )
    await deadlines.relay_all()
    handle = deadlines.client.get_workflow_handle(obligation(report_id, authority_id))
    assert await deadlines.finish(handle) == "ended: every recommendation answered or released"
    await save_history(handle, "reply_after_escalation")
    assert [d[0] for d in deadlines.decisions(rec)] == [
        "ReplyReminderSent",
        "ReplyDeadlineMissed",
        "Escalated",
    ]
    wid = obligation(report_id, authority_id)
    letter = deadlines.app.get(Task, Task.create_id(f"{wid}:escalation-2030-05-02-1"))
    assert letter.state == "cancelled"
    assert [e[:2] for e in deadlines.events(letter.id)] == [
        ("Opened", D(2030, 5, 3)),
        ("Cancelled", D(2030, 5, 6)),
    ]


async def test_a_recommendation_issued_after_its_obligation_ended_is_still_followed(
    deadlines: Deadlines,
) -> None:
    authority_id = deadlines.authority(period=30)
    report_id, (answered,) = deadlines.report_sent(authority_id, D(2030, 4, 1), 1)
    await deadlines.relay_all()
    await deadlines.skip_to(D(2030, 4, 10))
    deadlines.run(
        RecordResponse(received_on=D(2030, 4, 10), position=Position.ACCEPTED, text="Agreed"),
        answered,
    )
    await deadlines.relay_all()
    wid = obligation(report_id, authority_id)
    first_run = deadlines.client.get_workflow_handle(wid)
    assert await deadlines.finish(first_run) == "ended: every recommendation answered or released"

    # A recommendation of the same report, issued later: the ended obligation starts again
    # for it, on its own due date, instead of dropping it.
    await deadlines.skip_to(D(2030, 4, 20))
    late = issued_recommendation(
        deadlines.run,
        authority_id,
        D(2030, 4, 20),
        text="Issued after the others were answered",
        report_id=report_id,
    )
    due = deadlines.app.get(Recommendation, late).reply_due
    assert due == D(2030, 5, 20)
    await deadlines.relay_all()
    await deadlines.relay_all()  # a redelivery starts nothing more
    second_run = deadlines.client.get_workflow_handle(wid)
    await deadlines.close_tasks(second_run, D(2030, 7, 1))
    assert await deadlines.finish(second_run) == "ended: escalation ladder exhausted"
    assert [(name, on) for name, on, _ in deadlines.decisions(late)] == [
        ("ReplyReminderSent", D(2030, 5, 13)),
        ("ReplyDeadlineMissed", D(2030, 5, 21)),
        ("Escalated", D(2030, 5, 21)),
        ("Escalated", D(2030, 6, 4)),
    ]
    assert deadlines.decisions(answered) == []


async def test_an_extension_for_one_recommendation_leaves_the_others_on_their_date(
    deadlines: Deadlines,
) -> None:
    authority_id = deadlines.authority(period=30)
    report_id, (extended, kept) = deadlines.report_sent(authority_id, D(2030, 4, 1))
    await deadlines.relay_all()
    await deadlines.skip_to(D(2030, 4, 28))
    deadlines.run(ExtendReplyDeadline(new_due=D(2030, 5, 20)), extended, on=D(2030, 4, 28))
    await deadlines.relay_all()
    handle = deadlines.client.get_workflow_handle(obligation(report_id, authority_id))
    assert (await deadlines.state(handle))["due_on"] == "2030-05-02"

    # The other one is missed on its own date and escalated alone.
    await deadlines.skip_to(D(2030, 5, 10))
    assert deadlines.decisions(kept) == [
        ("ReplyReminderSent", D(2030, 4, 25), {"due_on": D(2030, 5, 2)}),
        ("ReplyDeadlineMissed", D(2030, 5, 3), {"due_on": D(2030, 5, 2)}),
        ("Escalated", D(2030, 5, 3), {"level": 1, "addressee": "head of institution"}),
    ]
    assert deadlines.decisions(extended) == [
        ("ReplyReminderSent", D(2030, 4, 25), {"due_on": D(2030, 5, 2)}),
    ]
    wid = obligation(report_id, authority_id)
    first = deadlines.app.get(Task, Task.create_id(f"{wid}:escalation-2030-05-02-1"))
    assert first.recommendation_ids == [str(kept)]

    # Once it is answered, the obligation runs on the extended date for the other one.
    deadlines.run(
        RecordResponse(received_on=D(2030, 5, 10), position=Position.ACCEPTED, text="Agreed"),
        kept,
    )
    await deadlines.relay_all()
    assert (await deadlines.state(handle))["due_on"] == "2030-05-20"
    await deadlines.close_tasks(handle, D(2030, 7, 1))
    assert await deadlines.finish(handle) == "ended: escalation ladder exhausted"
    await save_history(handle, "reply_obligation_extension_for_one")
    assert deadlines.decisions(extended) == [
        ("ReplyReminderSent", D(2030, 4, 25), {"due_on": D(2030, 5, 2)}),
        ("ReplyReminderSent", D(2030, 5, 13), {"due_on": D(2030, 5, 20)}),
        ("ReplyDeadlineMissed", D(2030, 5, 21), {"due_on": D(2030, 5, 20)}),
        ("Escalated", D(2030, 5, 21), {"level": 1, "addressee": "head of institution"}),
        ("Escalated", D(2030, 6, 4), {"level": 2, "addressee": "ministry"}),
    ]
    assert len(deadlines.decisions(kept)) == 3


async def test_a_relay_that_lost_its_position_delivers_again_and_nothing_changes(
    deadlines: Deadlines, database_url: str, schema: str
) -> None:
    """At-least-once delivery: after a crash between delivering and recording its
    position, the relay delivers the same events again; the workflow acts on each once."""
    authority_id = deadlines.authority(period=30)
    report_id, (rec, other) = deadlines.report_sent(authority_id, D(2030, 4, 1))
    await deadlines.relay_all()
    await deadlines.skip_to(D(2030, 4, 28))
    deadlines.run(ExtendReplyDeadline(new_due=D(2030, 5, 20)), rec, on=D(2030, 4, 28))
    deadlines.run(
        RecordResponse(received_on=D(2030, 4, 28), position=Position.ACCEPTED, text="Agreed"),
        other,
    )
    await deadlines.relay_all()
    handle = deadlines.client.get_workflow_handle(obligation(report_id, authority_id))
    before = await deadlines.state(handle)
    assert before["due_on"] == "2030-05-20"

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'DELETE FROM "{schema}".{TRACKING_TABLE}')
    again = Relay(deadlines.app, deadlines.client, task_queue=TASK_QUEUE, reminder_days=7)
    assert again.position == 0
    assert await again.deliver_pending() > 0
    assert await deadlines.state(handle) == before

    await deadlines.close_tasks(handle, D(2030, 7, 1))
    await deadlines.finish(handle)
    names = [name for name, _, _ in deadlines.decisions(rec)]
    assert names.count("ReplyDeadlineMissed") == 1
    assert names.count("Escalated") == 2
