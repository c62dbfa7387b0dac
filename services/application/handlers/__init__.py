"""The handlers, one per command, entered in the handler table as their modules load."""

from services.application.handlers import recommendations, registry, tasks, users
from services.application.handlers.table import HANDLERS

__all__ = ["HANDLERS", "recommendations", "registry", "tasks", "users"]
