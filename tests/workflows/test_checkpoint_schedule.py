"""The worker's audit checkpoints on the time-skipping server: after the interval passes
a signed head is appended and the log verifies against it; an idle interval appends
nothing; a new interval takes effect without a restart; 0 ends the checkpoints."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from services.adapters.signing import load_private_key
from services.adapters.transparency import read_checkpoints, verify_log
from services.application.executor import Executor
from tests.builders import Commander, authority
from tests.workflows.conftest import TASK_QUEUE
from workflows.checkpoint_schedule import WORKFLOW_ID, CheckpointActivities, ensure_checkpoints
from workflows.worker import build_worker

pytestmark = pytest.mark.temporal


async def test_the_worker_checkpoints_on_its_interval(
    executor: Executor,
    skipping: WorkflowEnvironment,
    database_url: str,
    schema: str,
    tmp_path: Path,
) -> None:
    run = Commander(executor)
    authority(run)
    key_file, file = tmp_path / "audit" / "signing.key", tmp_path / "audit" / "checkpoints.jsonl"
    activities = CheckpointActivities(database_url, schema, key_file, file)
    client = skipping.client
    async with build_worker(
        client, executor, TASK_QUEUE, cache_workflows=False, checkpoints=activities
    ):
        await ensure_checkpoints(client, TASK_QUEUE, 30)
        await skipping.sleep(timedelta(minutes=20))
        assert read_checkpoints(file) == []  # not yet due
        await skipping.sleep(timedelta(minutes=11))
        heads = read_checkpoints(file)
        assert [h.head.tree_size for h in heads] == [1]
        public = load_private_key(key_file).public_key()  # made on first use
        assert verify_log(database_url, schema, file, public).ok

        await skipping.sleep(timedelta(minutes=31))  # nothing new: nothing appended
        assert len(read_checkpoints(file)) == 1

        authority(run, name="Ministry of Health")
        await ensure_checkpoints(client, TASK_QUEUE, 5)  # running: its interval changes
        await skipping.sleep(timedelta(minutes=6))
        assert [h.head.tree_size for h in read_checkpoints(file)] == [1, 2]
        report = verify_log(database_url, schema, file, public)
        assert (report.ok, report.checkpoints, report.events) == (True, 2, 2)

        await ensure_checkpoints(client, TASK_QUEUE, 0)
        status = (await client.get_workflow_handle(WORKFLOW_ID).describe()).status
        assert status == WorkflowExecutionStatus.TERMINATED
