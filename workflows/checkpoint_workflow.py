"""The audit checkpoint's workflow: every `minutes`, one activity, `audit_checkpoint`,
extends the Merkle tree with the events recorded since the last signed head and appends a
newly signed head (workflows/checkpoint_schedule.py). A durable timer rather than a
Temporal Schedule, so that the time-skipping test server (which has no schedules) can
prove it; the interval can be changed by a signal without restarting. Kept alone in its
module, because the workflow sandbox re-imports the module a workflow is defined in."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

RUN_TIMEOUT = timedelta(minutes=30)
# Bounds the history: after this many checkpoints the workflow continues as new.
ROUNDS_PER_RUN = 200


@workflow.defn
class CheckpointWorkflow:
    def __init__(self) -> None:
        self.minutes = 0
        self.changed = False

    @workflow.run
    async def run(self, minutes: int) -> None:
        self.minutes = minutes
        for _ in range(ROUNDS_PER_RUN):
            self.changed = False
            # Woken early by a new interval: wait again, for the new one.
            while not await self._wait():
                self.changed = False
            await workflow.execute_activity(
                "audit_checkpoint", start_to_close_timeout=RUN_TIMEOUT, result_type=str
            )
        workflow.continue_as_new(self.minutes)

    async def _wait(self) -> bool:
        """Whether the interval passed (False: the interval was changed meanwhile)."""
        try:
            await workflow.wait_condition(
                lambda: self.changed, timeout=timedelta(minutes=self.minutes)
            )
        except TimeoutError:
            return True
        return False

    @workflow.signal
    def interval(self, minutes: int) -> None:
        if minutes != self.minutes:
            self.minutes = minutes
            self.changed = True
