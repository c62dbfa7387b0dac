"""One letter per authority and day (workflows/letter_batch.py), on the time-skipping
server with the real store, relay and renderer: two reports due the same day at one
authority get one reminder, one missed-deadline letter and one letter per ladder level,
each naming every recommendation once, rendered and stored once, and shown in each
recommendation's letters, however often the relay delivers the steps' events; another
authority's deadlines get letters of their own."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from domain.recommendation import Recommendation
from domain.task import TaskKind
from tests.workflows.conftest import Deadlines, save_history
from workflows.activities import DeadlineActivities
from workflows.letter_batch import LetterBatchWorkflow
from workflows.messages import Decision, DecisionKind, EscalationStep
from workflows.obligation import escalation_title
from workflows.relay import Target

D = date


async def deliver_the_steps_again(deadlines: Deadlines) -> int:
    """As a relay that crashed before moving its position: every step event again."""
    relay = deadlines.relay
    notifications = relay.app.recorder.select_notifications(start=1, limit=100_000)
    again = [d for d in relay._route_page(notifications) if d.workflow == Target.BATCH]
    await relay._deliver_page(again)
    return len(again)


def letters_on(deadlines: Deadlines, aggregate_id: UUID) -> list[Any]:
    return [e for e in deadlines.app.events.get(aggregate_id) if hasattr(e, "letter")]


async def test_a_burst_of_deadlines_gets_one_letter_per_authority_day_and_step(
    deadlines: Deadlines,
) -> None:
    prison = deadlines.authority(period=30)
    police = deadlines.authority(period=30)
    reports = [deadlines.report_sent(prison, D(2030, 4, 1)) for _ in range(2)]
    police_report, police_recs = deadlines.report_sent(police, D(2030, 4, 3), recommendations=1)
    recs = [rec for _, report_recs in reports for rec in report_recs]
    await deadlines.relay_all()
    # Day by day of the steps, the relay handing their events to the batches; each skip
    # returns once the day before's letters are written (the time-skipping server with a
    # non-caching worker stalls on four obligations' steps at one instant, with or
    # without batches, so the police's report goes two days later).
    for day in (D(2030, 4, 2), D(2030, 4, 26), D(2030, 5, 4), D(2030, 5, 18), D(2030, 5, 20)):
        await deadlines.skip_to(day)
        await deadlines.relay_all()
        if day == D(2030, 5, 4):
            # delivered twice while the batches of the day still wait: taken once
            assert await deliver_the_steps_again(deadlines) > 0
    await deadlines.skip_to(D(2030, 5, 21))

    # Each of the prison's recommendations shows the same letters: one per step's day (the
    # missed deadline's and the first level's batches end at one instant: in either order).
    seen = [
        sorted(
            (
                (e.meta.business_date, e.letter["kind"], e.letter["level"])
                for e in letters_on(deadlines, rec)
            ),
            key=lambda seen: (seen[0], seen[1]),
        )
        for rec in recs
    ]
    assert seen == [
        [
            (D(2030, 4, 25), "reminder", None),
            (D(2030, 5, 3), "deadline_missed", None),
            (D(2030, 5, 3), "escalation", 1),
            (D(2030, 5, 17), "escalation", 2),
        ]
    ] * len(recs)
    named = {str(rec) for rec in recs}
    letters: dict[str, list[str]] = {}
    for rec in recs:
        for event in letters_on(deadlines, rec):
            letters.setdefault(
                event.letter["documents"][0]["sha256"], event.letter["recommendation_ids"]
            )
    assert len(letters) == 4  # rendered once per step, not once per report
    for names in letters.values():
        assert Counter(names) == Counter(named)  # every recommendation, each once
    # the reports themselves hold only their transmittals
    for report_id, _ in reports:
        assert [e.letter["kind"] for e in letters_on(deadlines, report_id)] == ["transmittal"]

    # The police's deadline, the same days, is a letter of its own, on its report (the one
    # obligation its batch heard from, as a single step's letter is).
    police_letters = letters_on(deadlines, police_report)
    assert sorted((e.letter["kind"], e.letter["recommendation_ids"]) for e in police_letters) == [
        ("deadline_missed", [str(police_recs[0])]),
        ("escalation", [str(police_recs[0])]),
        ("escalation", [str(police_recs[0])]),
        ("reminder", [str(police_recs[0])]),
        ("transmittal", [str(police_recs[0])]),
    ]
    assert letters_on(deadlines, police_recs[0]) == []

    handle = deadlines.client.get_workflow_handle_for(
        LetterBatchWorkflow.run, f"letters-reply-{prison}-2030-05-03-deadline_missed"
    )
    assert await handle.result() == 1
    await save_history(handle, "letter_batch")
    first_run = (await handle.describe()).run_id

    # Delivered again after the batches ended: new runs of the same keys write the same
    # letters, under the same command ids, and so record nothing.
    assert await deliver_the_steps_again(deadlines) > 0
    await deadlines.skip_to(D(2030, 5, 23))
    assert [len(letters_on(deadlines, rec)) for rec in recs] == [4] * len(recs)
    latest = await deadlines.client.get_workflow_handle(handle.id).describe()
    assert latest.run_id != first_run  # the redelivery did reach a new run
    assert len(letters_on(deadlines, police_report)) == 5


def record_steps(deadlines: Deadlines, prison: UUID, recs: list[UUID], batched: bool) -> None:
    """A reply obligation's reminder, missed deadline and first ladder level on `recs`,
    through the steps' own activities (as a workflow's local activity runs them), with or
    without letters_batched."""
    steps = DeadlineActivities(deadlines.run.executor)
    due = deadlines.app.get(Recommendation, recs[0]).reply_due
    assert due is not None
    workflow_id = f"obligation-old-path-{batched}"
    named = [str(rec) for rec in recs]
    reminder = Decision(
        workflow_id,
        f"reminder-{due}",
        DecisionKind.REMINDER,
        named,
        due,
        due,
        letters_batched=batched,
    )
    assert steps.record_decision(reminder) == named
    missed_on = due + timedelta(days=1)
    done = steps.record_escalation_step(
        EscalationStep(
            workflow_id,
            f"missed-{due}",
            str(prison),
            named,
            due,
            missed_on,
            missed_on,
            0,
            TaskKind.SEND_ESCALATION_LETTER,
            escalation_title(due),
            DecisionKind.MISSED,
            awaiting_reply=True,
            letters_batched=batched,
        )
    )
    assert (done.deadline_on, done.level, done.escalated) == (named, 1, named)


async def test_a_step_that_wrote_its_own_letter_is_not_batched_again(deadlines: Deadlines) -> None:
    """An obligation started before patch letters-per-authority-day writes its steps'
    letters itself, and its steps' events do not say letters_batched: the relay hands
    them to no batch, so those letters are not written twice. The flagged steps of the
    same authority and days still get one letter per step, naming each of theirs once."""
    prison = deadlines.authority(period=30)
    old_report, old_recs = deadlines.report_sent(prison, D(2030, 4, 1))
    new_recs = [deadlines.report_sent(prison, D(2030, 4, 1), recommendations=1)[1][0] for _ in "ab"]
    record_steps(deadlines, prison, old_recs, batched=False)
    record_steps(deadlines, prison, new_recs, batched=True)

    # Only the batch's part of the relay (no obligation is started: nothing else writes).
    relay = deadlines.relay
    routed = relay._route_page(relay.app.recorder.select_notifications(start=1, limit=100_000))
    to_batches = [d for d in routed if d.workflow == Target.BATCH]
    named = Counter(rec for d in to_batches for r in d.requests for rec in r.recommendation_ids)
    assert named == Counter({str(rec): 3 for rec in new_recs})  # three steps each, flagged
    await relay._deliver_page(to_batches)
    await deadlines.skip_to(D(2030, 5, 10))

    for rec in old_recs:
        assert letters_on(deadlines, rec) == []
    assert letters_on(deadlines, old_report) == []
    # (the three batches end at one instant: in any order)
    kinds = [sorted(e.letter["kind"] for e in letters_on(deadlines, rec)) for rec in new_recs]
    assert kinds == [["deadline_missed", "escalation", "reminder"]] * 2
    for event in letters_on(deadlines, new_recs[0]):
        assert Counter(event.letter["recommendation_ids"]) == Counter(map(str, new_recs))
