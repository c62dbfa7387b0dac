"""Single sign-on: who an identity provider's account is here, and which roles it holds.

The account is found by its (issuer, subject) link, else by the username the provider
suggests (preferred_username, else email). A new username creates the user; an existing
user already linked to another account, or a local user never linked, is not taken over
(else a provider account named "admin" would become our administrator). The roles are
the provider's groups mapped by RECTRACK_OIDC_ROLE_MAP, kept in step at every sign-in:
a group removed at the provider takes its role away here. Every change is a command
through the one executor, so it is an event on the user (actor `oidc:<issuer>`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from domain.user import GRANTABLE_ROLES, USERNAME, User, user_id_for
from domain.values import Role
from services.application.commands.users import CreateUser, GrantRole, LinkIdentity, RevokeRole
from services.application.executor import Caller, Executor
from services.application.signin import SignInRefused


def username_from(claims: Mapping[str, Any]) -> str:
    suggested = str(claims.get("preferred_username") or claims.get("email") or "").lower()
    name = re.sub(r"[^a-z0-9._@-]", "-", suggested).strip("-._@")[:64]
    if not USERNAME.fullmatch(name):
        raise SignInRefused(
            "sso_no_username", "the identity provider gave no usable username or e-mail"
        )
    return name


def roles_from(
    claims: Mapping[str, Any], groups_claim: str, role_map: Mapping[str, str]
) -> set[Role]:
    groups = claims.get(groups_claim) or []
    if isinstance(groups, str):
        groups = [groups]
    roles = {Role(role_map[g]) for g in groups if g in role_map}
    # A liaison speaks for one authority, which no provider group names.
    return {r for r in roles if r in GRANTABLE_ROLES and r is not Role.AUTHORITY_LIAISON}


def provision(
    executor: Executor,
    issuer: str,
    claims: Mapping[str, Any],
    *,
    groups_claim: str,
    role_map: Mapping[str, str],
) -> User:
    """The user this account signs in as, created or brought up to date."""
    subject = str(claims["sub"])
    username = username_from(claims)
    roles = roles_from(claims, groups_claim, role_map)
    if not roles:
        raise SignInRefused(
            "sso_no_role",
            "your organisation's groups give you no role here: ask an administrator",
        )
    caller = Caller(f"oidc:{issuer}", Role.SYSTEM.value)
    user = executor.store.find(User, user_id_for(username))
    if user is None:
        display = str(claims.get("name") or username)[:200]
        executor.execute(CreateUser(username=username, display_name=display), caller)
        user = executor.store.get(User, user_id_for(username))
    elif user.external_identity != (issuer, subject):
        raise SignInRefused(
            "sso_conflict",
            f"the username {username} belongs to another account here: ask an administrator",
        )
    if user.disabled:
        raise SignInRefused("sign_in_failed", "this user is disabled")
    for role in sorted(roles - user.roles):
        executor.execute(GrantRole(role=role), caller, target_id=user.id)
    for role in sorted(user.roles - roles):
        executor.execute(RevokeRole(role=role), caller, target_id=user.id)
    if user.external_identity is None:
        link = LinkIdentity(issuer=issuer, account=subject)
        executor.execute(link, caller, target_id=user.id)
    return executor.store.get(User, user.id)
