"""The relay's part in the letters per authority and day (workflows/letter_batch.py): a
reply obligation's step records a reminder, a missed deadline or an escalation on each
recommendation it names, and the relay turns each such event into a request to the
batch of its authority, day and kind, instead of the step handing its letter over
itself (#16: in a burst, the hand-over's activity and signals cost the steps more than
the steps themselves).

A page of events makes one signal-with-start per batch, not one per event. The requests
of one event are recognised by the batch however often the relay delivers it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from temporalio.client import Client

from domain.letters import LetterKind
from workflows.letter_batch import LetterBatchWorkflow, batch_id
from workflows.messages import LetterRequest, letters_queue

# As workflows/obligation.py LETTER_HORIZON: a step recorded more than this long after its
# day (a back-dated import, the demo) gets no letter; nobody would send it now.
LETTER_HORIZON = timedelta(days=31)

# After a round of deliveries that handed requests to letter batches, the relay's next
# poll waits this long, not its half second: each hand-over is a signal-with-start and a
# workflow task of the batch, and a burst's events, read every half second, made a third
# as many batch tasks as there were escalations (#16; 362 signals for 1,000). A batch
# waits QUIET (30 s) for more anyway; other events wait at most this much longer.
BATCH_PAUSE = 5.0

# The events a reply obligation's step records, and the letter each one joins.
STEP_LETTERS = {
    "ReplyReminderSent": LetterKind.REMINDER,
    "ReplyDeadlineMissed": LetterKind.DEADLINE_MISSED,
    "Escalated": LetterKind.ESCALATION,
}


def letters_batched(event: Any) -> bool:
    """Whether the step left its letter to the batches (an obligation's step under patch
    letters-per-authority-day says so on its events). A step of an obligation started
    before the patch wrote its own letter, as an implementation follow-up's escalation
    does: batching its events as well would send that letter twice."""
    # (events recorded before #16 do not carry the flag)
    return bool(getattr(event, "letters_batched", False))


def step_letter(event: Any, obligation: str, authority_id: str) -> LetterRequest | None:
    """The batch request of one step event that letters_batched() admits, or None: an
    implementation follow-up's escalation, or a step long past. `obligation` is the
    workflow that recorded it; the event's id is the request's step."""
    kind = STEP_LETTERS[type(event).__name__]
    level: int | None = None
    if kind is LetterKind.ESCALATION:
        obligation = event.obligation_id
        if not obligation.startswith("obligation-"):
            return None
        level = event.level
    on: date = event.meta.business_date
    if on < event.timestamp.date() - LETTER_HORIZON:
        return None
    return LetterRequest(
        obligation,
        f"{event.originator_id}:{event.originator_version}",
        kind,
        authority_id,
        [str(event.originator_id)],
        on,
        # (an escalation recorded before #16 does not carry its due date)
        getattr(event, "due_on", None),
        level,
    )


async def hand_to_batch(client: Client, task_queue: str, requests: Sequence[LetterRequest]) -> None:
    """One page's requests for one batch, in one signal-with-start on the letters' queue
    (its worker runs the batch, beside the renderer, not in the deadlines' cache)."""
    key = batch_id(requests[0])
    await client.start_workflow(
        LetterBatchWorkflow.run,
        args=[key, None],
        id=key,
        task_queue=letters_queue(task_queue),
        start_signal="add",
        start_signal_args=[list(requests)],
    )
