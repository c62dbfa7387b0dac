"""The handlers, one per command, entered in the handler table as their modules load."""

from services.application.handlers import (
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
    "letters",
    "mail",
    "recommendations",
    "reconciliation",
    "registry",
    "tasks",
    "users",
]
