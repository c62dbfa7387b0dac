"""Who is calling, and what their roles let them do.

Every route names one ability; the table below says which roles hold it. Keeping the whole
policy in one table (rather than scattered checks) is what lets the role-matrix test walk
every endpoint and prove the table is what the server enforces.

Authentication loads the user aggregate named by the token (see domain/user.py)
and caches the outcome for a few seconds, keyed by the token's hash, so a busy client
costs no replay per request. A revocation made through this process clears the cache at
once; one made elsewhere (the CLI) takes effect within the cache's lifetime.

The FastAPI dependencies that apply this (`authenticated`, `require`) are in deps.py.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from domain.task import TASK_WORKER_ROLES
from domain.user import hash_token
from domain.values import Role
from services.application.handlers.users import user_for_token
from services.application.store import Rectrack


class Ability(StrEnum):
    READ = "read"  # recommendations, history (a liaison: its own authority's only)
    READ_ALL = "read_all"  # registries, tasks, statistics
    REGISTER = "register"  # authorities, places, visits, reports, sending
    DRAFT = "draft"  # drafting and every caseworker action on a recommendation
    RESPOND = "respond"  # record an authority's reply (a liaison: its own authority's)
    EXTEND = "extend"  # extend a reply deadline
    END = "end"  # withdraw or close a recommendation
    WORK_TASKS = "work_tasks"  # claim and complete tasks
    REASSIGN_TASKS = "reassign_tasks"
    MANAGE_USERS = "manage_users"
    ATTACH_EVIDENCE = "attach_evidence"  # a liaison: to its own authority's responses
    PUBLISH = "publish"  # put a recommendation in the public register


_STAFF = frozenset({Role.ADMIN, Role.CASEWORKER})

PERMISSIONS: dict[Ability, frozenset[Role]] = {
    Ability.READ: frozenset(
        {Role.ADMIN, Role.CASEWORKER, Role.COMPLIANCE, Role.AUDITOR, Role.AUTHORITY_LIAISON}
    ),
    Ability.READ_ALL: frozenset({Role.ADMIN, Role.CASEWORKER, Role.COMPLIANCE, Role.AUDITOR}),
    Ability.REGISTER: _STAFF,
    Ability.DRAFT: _STAFF,
    Ability.RESPOND: _STAFF | {Role.AUTHORITY_LIAISON},
    Ability.EXTEND: _STAFF | {Role.COMPLIANCE},
    Ability.END: _STAFF | {Role.COMPLIANCE},
    Ability.WORK_TASKS: TASK_WORKER_ROLES,
    Ability.REASSIGN_TASKS: frozenset({Role.ADMIN, Role.COMPLIANCE}),
    Ability.MANAGE_USERS: frozenset({Role.ADMIN}),
    Ability.ATTACH_EVIDENCE: _STAFF | {Role.AUTHORITY_LIAISON},
    Ability.PUBLISH: _STAFF,
}

# When a user holds several roles, the event records the most senior one that allowed it.
_SENIORITY = (
    Role.ADMIN,
    Role.COMPLIANCE,
    Role.CASEWORKER,
    Role.AUDITOR,
    Role.AUTHORITY_LIAISON,
)


@dataclass(frozen=True)
class Principal:
    user_id: UUID
    username: str
    roles: frozenset[Role]
    authority_id: UUID | None

    def role_for(self, ability: Ability) -> Role | None:
        allowed = PERMISSIONS[ability]
        for role in _SENIORITY:
            if role in self.roles and role in allowed:
                return role
        return None

    @property
    def abilities(self) -> list[Ability]:
        """What this user may do: clients (the web UI) show only the actions it allows."""
        return [ability for ability in Ability if self.role_for(ability) is not None]

    @property
    def scoped_authority(self) -> UUID | None:
        """The one authority this user may see, or None when it may see all of them."""
        if self.roles & PERMISSIONS[Ability.READ_ALL]:
            return None
        return self.authority_id

    @property
    def sees_published_only(self) -> bool:
        """Whether this user sees only what domain/publication.py calls publishable (an
        authority liaison), rather than the whole record (the NPM's own roles)."""
        return self.scoped_authority is not None

    def may_see(self, authority_id: str | UUID | None) -> bool:
        """Whether a recommendation addressed to this authority is in this user's scope.
        Out of scope is answered as "does not exist" (404), never 403, so that a liaison
        cannot learn which ids exist at other authorities."""
        scope = self.scoped_authority
        return scope is None or str(scope) == str(authority_id)


@dataclass(frozen=True)
class Actor:
    """The authenticated user acting in the role that allowed this request."""

    principal: Principal
    role: Role

    @property
    def actor_id(self) -> str:
        return str(self.principal.user_id)


class Authenticator:
    def __init__(self, app: Rectrack, ttl_seconds: float = 10.0) -> None:
        self.app = app
        self.ttl = ttl_seconds
        self._cache: dict[str, tuple[Principal | None, float]] = {}
        self._lock = threading.Lock()

    def cached(self, token: str) -> tuple[bool, Principal | None]:
        """(hit, principal): answers from the cache only, never touching the store."""
        hit = self._cache.get(hash_token(token))
        if hit is not None and hit[1] > time.monotonic():
            return True, hit[0]
        return False, None

    def authenticate(self, token: str) -> Principal | None:
        key = hash_token(token)
        now = time.monotonic()
        user = user_for_token(self.app, token)
        principal = (
            None
            if user is None
            else Principal(
                user_id=user.id,
                username=user.username,
                roles=frozenset(user.roles),
                authority_id=UUID(user.authority_id) if user.authority_id else None,
            )
        )
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key] = (principal, now + self.ttl)
        return principal

    def forget_all(self) -> None:
        with self._lock:
            self._cache.clear()
