"""One letter per authority, day and step kind, however many obligations reached the step.

An authority that misses 300 deadlines on one day is sent one letter listing them, as an
NPM would write it, not 300 (#16): rendering is the costly part of a letter (about a
CPU-second each), and a burst of 10,000 deadlines used to leave 20,000 letters behind it,
more than the renderer could write within LETTER_TIMEOUT. The reply obligations (patch
BATCHED_LETTERS, workflows/obligation.py) hand each step's letter to a workflow whose id
is the business key `letters-reply-<authority>-<day>-<kind>[-<level>]`, by
signal-with-start from a local activity (a workflow cannot signal-with-start itself). That
workflow waits until no request came for QUIET (at most MOST), then has one letter written
for every recommendation the requests name, through the same generate_letter activity and
command as a single step's letter.

Exactly once: a request is taken once per run (by its workflow id and step; a re-sent
request after a lost workflow task is dropped), and a letter's command id is the batch's
id and a digest of the recommendations it names, so a retried activity, a replayed
workflow or a request re-sent into a later run of the same key records nothing twice.
Requests that arrive while a letter is being written make the next round's letter.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from domain.letters import LetterKind
    from workflows import casework
    from workflows.messages import LetterRequest, letters_queue

# Patch (asked once at the start of a reply obligation's run, after ONE_COMMAND_STEP):
# the step's reminder, missed-deadline and escalation letters are handed to their batch
# instead of written by the obligation; the *_v6 histories were recorded before it.
BATCHED_LETTERS = "letters-per-authority-day"

# The wait after the last request before writing (a burst's steps arrive over minutes);
# never longer than MOST after the round's first request.
QUIET = timedelta(seconds=30)
MOST = timedelta(minutes=15)
# GenerateLetter names at most this many recommendations (a longer list is split).
PER_LETTER = 500
# Temporal caps the signals one run may take (10,000 by default): a new run first.
REQUESTS_PER_RUN = 2_000
# A letter of PER_LETTER items renders in tens of seconds, not the one second of a step's.
RENDER_TIMEOUT = timedelta(minutes=10)
KINDS = (LetterKind.REMINDER, LetterKind.DEADLINE_MISSED, LetterKind.ESCALATION)


def batched(kind: LetterKind) -> bool:
    """Whether a reply obligation's letter of this kind goes through a batch (the
    transmittal goes with its report, on its own)."""
    return kind in KINDS


def batch_id(request: LetterRequest) -> str:
    """The business key of the batch a step's letter joins."""
    level = f"-{request.level}" if request.level is not None else ""
    return f"letters-reply-{request.authority_id}-{request.business_date}-{request.kind}{level}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class BatchState:
    """Carried into a new run: what this key already took (digests of workflow id and
    step) and the requests not written yet."""

    taken: list[str] = field(default_factory=list)
    pending: list[LetterRequest] = field(default_factory=list)
    written: int = 0


@workflow.defn
class LetterBatchWorkflow:
    @workflow.init
    def __init__(self, key: str, carried: BatchState | None = None) -> None:
        self.key = key
        self.state = carried if carried is not None else BatchState()
        self.received = 0  # in this run
        self.last_at = workflow.now()

    @workflow.signal
    def add(self, request: LetterRequest) -> None:
        taken = _digest(f"{request.workflow_id}:{request.step}")
        if taken in self.state.taken:
            return
        self.state.taken.append(taken)
        self.state.pending.append(request)
        self.received += 1
        self.last_at = workflow.now()

    @workflow.run
    async def run(self, key: str, carried: BatchState | None = None) -> int:
        """The number of letters written (this run and the runs it continues)."""
        while True:
            await self._settle()
            if not self.state.pending:
                return self.state.written
            requests, self.state.pending = self.state.pending, []
            for letter in merged(key, requests):
                written = await casework.write_letter(
                    letter, own_queue=True, render_timeout=RENDER_TIMEOUT
                )
                self.state.written += int(written)
            if self.received >= REQUESTS_PER_RUN or workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(args=[key, self.state])

    async def _settle(self) -> None:
        """Until a QUIET window passed with no new request, or MOST since the round began.
        One timer a window, not one per request: a burst's requests cost no commands."""
        began = workflow.now()
        while True:
            window = workflow.now()
            await workflow.sleep(QUIET)
            if self.last_at <= window or workflow.now() - began >= MOST:
                return


def merged(key: str, requests: list[LetterRequest]) -> list[LetterRequest]:
    """The letters for these requests: every recommendation named once, at most
    PER_LETTER a letter, due the earliest of their due dates; the command id (step) is a
    digest of the recommendations named. `origin` is the one obligation they came from,
    if one (then its letter is its report's, as a single step's)."""
    first = requests[0]
    recs = sorted({rec for r in requests for rec in r.recommendation_ids})
    dues = [r.due_on for r in requests if r.due_on is not None]
    origins = {r.workflow_id for r in requests}
    origin = origins.pop() if len(origins) == 1 else None
    letters = []
    for start in range(0, len(recs), PER_LETTER):
        named = recs[start : start + PER_LETTER]
        letters.append(
            LetterRequest(
                key,
                f"batch-{_digest(','.join(named))}",
                first.kind,
                first.authority_id,
                named,
                first.business_date,
                min(dues) if dues else None,
                first.level,
                origin=origin,
            )
        )
    return letters


async def hand_over(outbox: list[LetterRequest]) -> None:
    """In a workflow: the step's letters to their batches, in one activity (none if the
    step wrote none); empties the outbox. On the letters' queue, one at a time like the
    letters themselves: a burst's steps come first, their hand-overs after them (the
    server's work for an activity and its signals is what the steps wait on, #16). Not a
    local activity: the time-skipping test server holds a signal-with-start until the
    sender's workflow task is done."""
    if not outbox:
        return
    requests = list(outbox)
    outbox.clear()
    queue = workflow.info().task_queue
    await workflow.execute_activity(
        request_letters,
        args=[requests, queue],
        task_queue=letters_queue(queue),
        start_to_close_timeout=casework.ACTIVITY_TIMEOUT,
        schedule_to_close_timeout=casework.LETTER_TIMEOUT,
    )


@activity.defn
async def request_letters(requests: list[LetterRequest], task_queue: str) -> None:
    """The step's letters into their batches (signal-with-start, on the step's queue)."""
    client = activity.client()
    for request in requests:
        key = batch_id(request)
        await client.start_workflow(
            "LetterBatchWorkflow",
            args=[key],
            id=key,
            task_queue=task_queue,
            start_signal="add",
            start_signal_args=[request],
        )
