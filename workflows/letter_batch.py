"""One letter per authority, day and step kind, however many obligations reached the step.

An authority that misses 300 deadlines on one day is sent one letter listing them, as an
NPM would write it, not 300 (#16): rendering is the costly part of a letter (about a
CPU-second each), and a burst of 10,000 deadlines used to leave 20,000 letters behind it,
more than the renderer could write within LETTER_TIMEOUT. The reply obligations (patch
BATCHED_LETTERS, workflows/obligation.py) write none of their steps' letters: the relay
reads the events each step recorded (reminder, missed deadline, escalation; one per
recommendation) and hands them, a page at a time, to a workflow whose id is the business
key `letters-reply-<authority>-<day>-<kind>[-<level>]`, by signal-with-start
(workflows/relay_letters.py). So a step pays nothing for its letter, and a burst's
thousand events reach a batch in a few signals. That workflow runs on the letters' task
queue (its worker renders one letter at a time), waits until no request came for QUIET
(at most MOST), then has one letter written for every recommendation the requests name,
through the same generate_letter activity and command as a single step's letter.

Exactly once: a request is taken once per run (by its origin, step and recommendations: a
relay that delivers a page again after a crash is ignored), and a letter's command id is
the batch's id and a digest of the recommendations it names, so a retried activity, a
replayed workflow or a request re-sent into a later run of the same key records nothing
twice. Requests that arrive while a letter is being written make the next round's letter.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.letters import LetterKind
    from workflows import casework
    from workflows.messages import LetterRequest

# Patch (asked once at the start of a reply obligation's run, after ONE_COMMAND_STEP):
# the obligation writes no reminder, missed-deadline or escalation letter; the relay
# batches them from the step's events. The *_v6 histories were recorded before it.
BATCHED_LETTERS = "letters-per-authority-day"

# The wait after the last request before writing (a burst's steps arrive over minutes);
# never longer than MOST after the round's first request.
QUIET = timedelta(seconds=30)
MOST = timedelta(minutes=15)
# GenerateLetter names at most this many recommendations (a longer list is split). Each
# named recommendation records the letter with every name, so a letter's events grow with
# the square of this: at 500 the worker peaked at 366-375 MB while writing one, at 100 at
# 300 MB (1,000 due at one instant, 20 letters instead of 4; NOTES.md).
PER_LETTER = 100
# Temporal caps the signals one run may take (10,000 by default), and each request is
# kept in the history: a new run first.
REQUESTS_PER_RUN = 5_000
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
        # state.taken's lookup, kept beside it: a burst's thousands of requests arrive in
        # hundreds of signals, and a set built again for each was quadratic in the burst
        self.taken = set(self.state.taken)
        self.received = 0  # in this run
        self.last_at = workflow.now()

    @workflow.signal
    def add(self, requests: list[LetterRequest]) -> None:
        """Requests the relay read from one page of events (each once, however often
        delivered)."""
        for request in requests:
            key = _digest(
                f"{request.workflow_id}:{request.step}:{','.join(request.recommendation_ids)}"
            )
            if key in self.taken:
                continue
            self.taken.add(key)
            self.state.taken.append(key)
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
