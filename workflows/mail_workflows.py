"""The e-mail's workflows: the digests, each on a durable timer (a daily one for
caseworkers, a weekly one for compliance staff), and the sending of one generated letter
to its authority's contact address. The work is in activities (workflows/mail.py); these
only keep time. Timers rather than Temporal Schedules, as for the audit checkpoints, so
the time-skipping test server (which has no schedules) proves them, and a new hour or day
takes effect by a signal without a restart. Kept in a module of their own, because the
workflow sandbox re-imports the module a workflow is defined in."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.mail_messages import ACTIVITY, DigestPlan, LetterMail, next_run

RUN_TIMEOUT = timedelta(minutes=30)
HEARTBEAT_TIMEOUT = timedelta(minutes=2)  # a digest beats once per recipient
# A letter's activity beats once, before the send: a killed worker's letter is retried
# by another within this. A slow send outliving it is safe: the retry waits for the
# send record's lock, then finds the letter sent (workflows/mail.py).
LETTER_HEARTBEAT_TIMEOUT = timedelta(seconds=30)
# Retried until it succeeds (an SMTP server down for a day still gets its digest); each
# retry sends only what the earlier attempts did not (the sends are keyed).
RETRY = RetryPolicy(initial_interval=timedelta(seconds=5), maximum_interval=timedelta(hours=1))
ROUNDS_PER_RUN = 100  # then continue-as-new, which bounds the history


@workflow.defn
class DigestWorkflow:
    def __init__(self) -> None:
        self.plan: DigestPlan | None = None
        self.changed = False

    @workflow.run
    async def run(self, plan: DigestPlan) -> None:
        self.plan = plan
        for _ in range(ROUNDS_PER_RUN):
            due = await self._until_due()
            await workflow.execute_activity(
                ACTIVITY[self.plan.kind],
                due.date(),
                start_to_close_timeout=RUN_TIMEOUT,
                heartbeat_timeout=HEARTBEAT_TIMEOUT,
                retry_policy=RETRY,
                result_type=int,
            )
        workflow.continue_as_new(self.plan)

    async def _until_due(self) -> datetime:
        while True:
            assert self.plan is not None
            self.changed = False
            now = workflow.now()
            due = next_run(now, self.plan)
            try:
                await workflow.wait_condition(lambda: self.changed, timeout=due - now)
            except TimeoutError:
                return due

    @workflow.signal
    def replan(self, plan: DigestPlan) -> None:
        if plan != self.plan:
            self.plan = plan
            self.changed = True

    @workflow.query
    def next_due(self) -> str:
        assert self.plan is not None
        return next_run(workflow.now(), self.plan).isoformat()


@workflow.defn
class LetterMailWorkflow:
    """Sends one letter; its id is the send key, so starting it twice sends nothing twice."""

    @workflow.run
    async def run(self, letter: LetterMail) -> str:
        message_id: str = await workflow.execute_activity(
            "email_letter",
            letter,
            start_to_close_timeout=RUN_TIMEOUT,
            heartbeat_timeout=LETTER_HEARTBEAT_TIMEOUT,
            retry_policy=RETRY,
            result_type=str,
        )
        return message_id
