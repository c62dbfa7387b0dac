"""Caseworker task commands (opened by workflows, claimed and completed by people).

A mixin of the Rectrack application, kept in its own module so the task rules sit
beside the task aggregate rather than inside the recommendation commands."""

from __future__ import annotations


class TaskCommands:
    """Filled in by the workflows issue (domain/task.py holds the aggregate)."""
