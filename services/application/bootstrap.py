"""Bootstrapping a user with a role (and a fresh token or a password), as `rectrack up`
does for its administrator and the demo for one user per role. It lives here, below both
edges, so that the stack and the demo share it without importing each other."""

from __future__ import annotations

import secrets
from uuid import UUID

from domain.tokens import TokenScope
from domain.user import User, user_id_for
from domain.values import Role
from services.application.commands.users import CreateUser, GrantRole, IssueToken, SetPassword
from services.application.executor import Caller, Executor
from services.application.handlers.users import NewToken

BOOTSTRAP = Caller("rectrack-up", Role.SYSTEM.value)


def issue_user_token(
    executor: Executor,
    username: str,
    display_name: str,
    role: Role,
    *,
    label: str,
    authority_id: UUID | None = None,
) -> str:
    """Create the user and grant the role when missing (idempotently: the command ids
    derive from the username), then issue the user a new token and return it."""
    user_id = ensure_user(executor, username, display_name, role, authority_id=authority_id)
    return issue_token(executor, BOOTSTRAP, user_id, label).token


def ensure_user(
    executor: Executor,
    username: str,
    display_name: str,
    role: Role,
    *,
    authority_id: UUID | None = None,
) -> UUID:
    """Create the user and grant the role when missing (idempotently: the command ids
    derive from the username); the user's id."""
    user_id = user_id_for(username)
    user = executor.store.find(User, user_id)
    if user is None:
        executor.execute(
            CreateUser(username=username, display_name=display_name),
            BOOTSTRAP,
            command_id=f"bootstrap:create-{username}",
        )
    if user is None or role not in user.roles:
        executor.execute(
            GrantRole(role=role, authority_id=authority_id),
            BOOTSTRAP,
            command_id=f"bootstrap:grant-{username}",
            target_id=user_id,
        )
    return user_id


def give_password(executor: Executor, user_id: UUID) -> str:
    """Set a new random password (it passes the policy) and return it, to print once."""
    password = secrets.token_urlsafe(12)
    executor.execute(SetPassword(password=password), BOOTSTRAP, target_id=user_id)  # type: ignore[arg-type]
    return password


def issue_token(
    executor: Executor,
    caller: Caller,
    user_id: UUID,
    label: str,
    scope: TokenScope = TokenScope.ADMIN,
    days: int | None = None,
) -> NewToken:
    """Issue the user a new token under a fresh command id, which is never a replay: the
    token is always in the result. A person's sign-in token (up, the demo) is of the full
    scope of its roles; a machine's is asked for with its scope."""
    command = IssueToken(label=label, scope=scope, days=days)
    result = executor.execute(command, caller, target_id=user_id)
    assert isinstance(result.detail, NewToken)
    return result.detail
