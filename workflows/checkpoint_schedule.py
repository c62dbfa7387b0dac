"""The audit checkpoint taken by the worker every `RECTRACK_AUDIT_CHECKPOINT_MINUTES`: a
CheckpointWorkflow (one per Temporal namespace, id `rectrack-audit-checkpoint`) whose one
activity runs what `rectrack audit checkpoint` runs, with the key file and checkpoint file
from the settings. It appends a head only when events were recorded since the last one,
so an idle system's checkpoint file does not grow. All I/O is in the activity."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import structlog
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

from services.adapters.signing import ensure_key, known_public_keys
from services.adapters.transparency import checkpoint
from workflows.checkpoint_workflow import CheckpointWorkflow

log = structlog.get_logger(__name__)

WORKFLOW_ID = "rectrack-audit-checkpoint"


@dataclass(frozen=True)
class CheckpointActivities:
    database_url: str
    schema: str
    key_file: Path
    checkpoint_file: Path

    @activity.defn(name="audit_checkpoint")
    def audit_checkpoint(self) -> str:
        key, made = ensure_key(self.key_file)
        if made:
            log.warning("made a new audit signing key", key_file=str(self.key_file))
        signed = checkpoint(
            self.database_url,
            self.schema,
            key,
            self.checkpoint_file,
            only_when_new=True,
            known_keys=known_public_keys(self.key_file),
        )
        head = signed.head
        log.info(
            "audit checkpoint",
            tree_size=head.tree_size,
            root=head.root.hex(),
            checkpoint_file=str(self.checkpoint_file),
        )
        return f"{head.tree_size} events, root {head.root.hex()}"


async def ensure_checkpoints(client: Client, task_queue: str, minutes: int) -> None:
    """Starts the checkpoint workflow, or sets the running one's interval; with 0, ends it."""
    handle = client.get_workflow_handle(WORKFLOW_ID)
    if minutes <= 0:
        try:
            await handle.terminate("audit checkpoints switched off (interval 0)")
        except Exception:  # none running
            log.debug("no audit checkpoint workflow to end")
        return
    try:
        await client.start_workflow(
            CheckpointWorkflow.run, minutes, id=WORKFLOW_ID, task_queue=task_queue
        )
        log.info("audit checkpoints scheduled", every_minutes=minutes)
    except WorkflowAlreadyStartedError:
        await handle.signal(CheckpointWorkflow.interval, minutes)
        log.info("audit checkpoint interval set", every_minutes=minutes)
