"""User and role commands: users are event-sourced like everything else.

A mixin of the Rectrack application (domain/user.py holds the aggregate)."""

from __future__ import annotations


class UserCommands:
    """Filled in by the API issue."""
