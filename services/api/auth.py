"""Who is calling, and what their roles let them do.

Every route names one ability; the table below says which roles hold it. Keeping the whole
policy in one table (rather than scattered checks) is what lets the role-matrix test walk
every endpoint and prove the table is what the server enforces.

A token's scope (domain/tokens.py) caps what its roles allow: each ability names the scope
it needs (SCOPE_NEEDED), so a read token reads and nothing else, and only a full-scope
caller (a person, or an admin-scope token) manages users or mints tokens.

Authentication and its cache are in token_cache.py; the FastAPI dependencies that apply
this (`authenticated`, `require`) are in deps.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from domain.task import TASK_WORKER_ROLES
from domain.tokens import TokenScope
from domain.values import Role


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
    READ_ACCESS_RECORDS = "read_access_records"  # who read which internal record
    KEEP_OWN_TOKENS = "keep_own_tokens"  # list and revoke one's own API tokens
    MINT_OWN_TOKENS = "mint_own_tokens"  # issue oneself an API token


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
    Ability.READ_ACCESS_RECORDS: frozenset({Role.ADMIN, Role.AUDITOR}),
    Ability.KEEP_OWN_TOKENS: frozenset(
        {Role.ADMIN, Role.CASEWORKER, Role.COMPLIANCE, Role.AUDITOR, Role.AUTHORITY_LIAISON}
    ),
    Ability.MINT_OWN_TOKENS: frozenset(
        {Role.ADMIN, Role.CASEWORKER, Role.COMPLIANCE, Role.AUDITOR, Role.AUTHORITY_LIAISON}
    ),
}

# The scope a token needs for each ability: reading needs a read token, the casework a
# write token, managing users an admin token. A person signed in (or a token from before
# scopes) holds the admin scope: its roles alone decide. Revoking one's own token lowers
# one's power, so any token may; minting one takes the full scope, so that a leaked read
# token cannot breed tokens that outlive its revocation.
_READING = frozenset(
    {Ability.READ, Ability.READ_ALL, Ability.READ_ACCESS_RECORDS, Ability.KEEP_OWN_TOKENS}
)
_FULL_SCOPE = frozenset({Ability.MANAGE_USERS, Ability.MINT_OWN_TOKENS})
SCOPE_NEEDED: dict[Ability, TokenScope] = {
    ability: TokenScope.READ
    if ability in _READING
    else TokenScope.ADMIN
    if ability in _FULL_SCOPE
    else TokenScope.WRITE
    for ability in Ability
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
    #: what the credential used allows: a token's scope, or admin (all the roles allow)
    scope: TokenScope = TokenScope.ADMIN
    #: the token used, if the caller came with one
    token_id: str | None = None
    #: the language the user chose in their profile (None: not chosen, follow the request)
    language: str | None = None

    def scope_allows(self, ability: Ability) -> bool:
        return self.scope.covers(SCOPE_NEEDED[ability])

    def role_for(self, ability: Ability) -> Role | None:
        if not self.scope_allows(ability):
            return None
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
