"""The digests kept by the worker: a DigestWorkflow per kind (ids `rectrack-digest-daily`
and `rectrack-digest-weekly`), started when the worker starts, told the new hour or day
when the settings changed, and ended when e-mail is off or the hour is -1."""

from __future__ import annotations

import structlog
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

from services.adapters.settings import Settings
from workflows.mail_messages import DigestKind, DigestPlan, LetterMail
from workflows.mail_workflows import DigestWorkflow, LetterMailWorkflow

log = structlog.get_logger(__name__)

WORKFLOW_IDS = {kind: f"rectrack-digest-{kind.value}" for kind in DigestKind}


def digest_plans(settings: Settings) -> dict[DigestKind, DigestPlan | None]:
    """What the settings ask for; None: that digest is off."""
    if not settings.smtp_host:
        return dict.fromkeys(DigestKind)
    daily, weekly = settings.digest_daily_hour, settings.digest_weekly_hour
    return {
        DigestKind.DAILY: DigestPlan(DigestKind.DAILY, daily) if daily >= 0 else None,
        DigestKind.WEEKLY: (
            DigestPlan(DigestKind.WEEKLY, weekly, settings.digest_weekly_day)
            if weekly >= 0
            else None
        ),
    }


async def ensure_digests(
    client: Client, task_queue: str, plans: dict[DigestKind, DigestPlan | None]
) -> None:
    for kind, plan in plans.items():
        handle = client.get_workflow_handle(WORKFLOW_IDS[kind])
        if plan is None:
            try:
                await handle.terminate("digest switched off")
                log.info("digest switched off", kind=kind.value)
            except Exception:  # none running
                log.debug("no digest workflow to end", kind=kind.value)
            continue
        try:
            await client.start_workflow(
                DigestWorkflow.run, plan, id=WORKFLOW_IDS[kind], task_queue=task_queue
            )
            log.info("digest scheduled", kind=kind.value, hour=plan.hour, weekday=plan.weekday)
        except WorkflowAlreadyStartedError:
            await handle.signal(DigestWorkflow.replan, plan)
            log.info("digest plan set", kind=kind.value, hour=plan.hour, weekday=plan.weekday)


async def email_letter(client: Client, task_queue: str, letter: LetterMail) -> None:
    """Starts the sending of a generated letter (where a LetterGenerated event is
    recorded); the workflow id is the send key, so a second start is refused."""
    try:
        await client.start_workflow(
            LetterMailWorkflow.run, letter, id=letter.workflow_id, task_queue=task_queue
        )
    except WorkflowAlreadyStartedError:
        log.info("letter already being e-mailed", key=letter.key)
