"""The handlers, one per command, entered in the handler table as their modules load."""

from services.application.handlers import (
    deadlines,
    letters,
    mail,
    recommendations,
    reconciliation,
    registry,
    tasks,
    users,
)
from services.application.handlers.table import HANDLERS

__all__ = [
    "HANDLERS",
    "deadlines",
    "letters",
    "mail",
    "recommendations",
    "reconciliation",
    "registry",
    "tasks",
    "users",
]
