"""API tokens for machines: what one may do (its scope) and until when (its expiry).

A token is a narrower key than its user: a script that only reads the overdue list gets a
read token, so a leaked copy cannot change the record. The scope caps the user's roles, it
never adds to them. Tokens issued before scopes existed (their TokenIssued events carry no
scope and no expiry) keep working as before: their user's full roles, no expiry; they are
listed as such so that an administrator can replace them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

#: How long a token lives when no expiry is asked for, and the longest an operator allows
#: by default (RECTRACK_TOKEN_DEFAULT_DAYS, RECTRACK_TOKEN_MAX_DAYS).
DEFAULT_TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 365


@dataclass(frozen=True)
class TokenDays:
    """An operator's bounds on a token's life, in days."""

    default: int = DEFAULT_TOKEN_DAYS
    maximum: int = MAX_TOKEN_DAYS


class TokenScope(StrEnum):
    READ = "read"  # reads only
    WRITE = "write"  # reads and the casework's writes
    ADMIN = "admin"  # everything the user's roles allow, managing users included

    def covers(self, needed: TokenScope) -> bool:
        """Whether a token of this scope may do what needs `needed`."""
        order = list(TokenScope)
        return order.index(self) >= order.index(needed)


@dataclass(frozen=True)
class IssuedToken:
    token_id: str
    token_hash: str
    label: str
    #: None for a token issued before scopes: its user's full roles
    scope: TokenScope | None = None
    #: the first day it no longer works; None for a token issued before expiries
    expires_on: date | None = None
    issued_on: date | None = None

    @property
    def legacy(self) -> bool:
        return self.scope is None

    @property
    def effective_scope(self) -> TokenScope:
        return self.scope or TokenScope.ADMIN

    def live_on(self, today: date) -> bool:
        return self.expires_on is None or today < self.expires_on
