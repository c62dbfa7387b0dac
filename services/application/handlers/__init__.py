"""The handlers, one per command, entered in the handler table as their modules load."""

from services.application.handlers import (
    mail,
    recommendations,
    reconciliation,
    registry,
    tasks,
    users,
)
from services.application.handlers.table import HANDLERS

__all__ = ["HANDLERS", "mail", "recommendations", "reconciliation", "registry", "tasks", "users"]
