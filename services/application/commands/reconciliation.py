"""The reconciliation's command: record that a deadline workflow the events call for was
found missing or ended abnormally in Temporal and was restarted from the facts."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import Field

from services.application.commands.base import Command, Name


class RecordWorkflowRestart(Command):
    subject: ClassVar[str] = "restart_id"
    workflow_id: Name
    found_run_id: Name
    found_status: Name
    recommendation_ids: list[UUID] = Field(min_length=1, max_length=10_000)
