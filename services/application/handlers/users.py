"""Handlers of the user commands. Tokens are made here, from the operating system's
randomness, and only their hash reaches an event; the token itself is handed back once
(as the result's detail) and is unrecoverable afterwards."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from domain.authority import Authority
from domain.errors import ConcurrencyConflict, InvalidInput
from domain.passwords import check_password
from domain.user import TOKEN_PREFIX, USERNAME, User, hash_token, user_id_for, user_id_of_token
from services.adapters.credentials import hash_password
from services.application.commands.users import (
    CreateUser,
    DisableTotp,
    DisableUser,
    EnableTotp,
    GrantRole,
    IssueToken,
    LinkIdentity,
    RevokeRole,
    RevokeToken,
    SetPassword,
    SetUserContact,
)
from services.application.handlers.table import Changed, Context, handles
from services.application.store import Rectrack


@dataclass(frozen=True)
class NewToken:
    token_id: str
    token: str
    scope: str = "read"
    expires_on: date | None = None


@handles(CreateUser)
def create_user(ctx: Context, c: CreateUser) -> User:
    name = c.username.strip().lower()
    if not USERNAME.fullmatch(name):
        raise InvalidInput(
            "username", "2-64 characters: lower-case letters, digits, '.', '_', '@' or '-'"
        )
    if ctx.store.find(User, user_id_for(name)) is not None:
        raise ConcurrencyConflict("user", name, "the username is already taken")
    return User(meta=ctx.meta, username=name, display_name=c.display_name)


@handles(GrantRole)
def grant_role(ctx: Context, c: GrantRole) -> User:
    user = ctx.target(User)
    if c.authority_id is not None:
        ctx.reference(Authority, c.authority_id, "authority_id")
    user.grant_role(ctx.meta, c.role, str(c.authority_id) if c.authority_id else None)
    return user


@handles(RevokeRole)
def revoke_role(ctx: Context, c: RevokeRole) -> User:
    user = ctx.target(User)
    user.revoke_role(ctx.meta, c.role)
    return user


@handles(IssueToken)
def issue_token(ctx: Context, c: IssueToken) -> Changed:
    user = ctx.target(User)
    token = f"{TOKEN_PREFIX}{user.id.hex}_{secrets.token_urlsafe(32)}"
    token_id = str(uuid.uuid4())
    days = c.days or ctx.token_days.default
    if days > ctx.token_days.maximum:
        raise InvalidInput(
            "days",
            "at most {count} (RECTRACK_TOKEN_MAX_DAYS); got {days}",
            count=ctx.token_days.maximum,
            days=days,
        )
    expires_on = ctx.meta.business_date + timedelta(days=days)
    label = c.label.strip() or "token"
    user.issue_token(ctx.meta, token_id, hash_token(token), label, c.scope, expires_on)
    return Changed([user], NewToken(token_id, token, c.scope.value, expires_on))


@handles(RevokeToken)
def revoke_token(ctx: Context, c: RevokeToken) -> User:
    user = ctx.target(User)
    user.revoke_token(ctx.meta, c.token_id)
    return user


@handles(SetUserContact)
def set_user_contact(ctx: Context, c: SetUserContact) -> User:
    user = ctx.target(User)
    user.record_contact(ctx.meta, c.email or None, c.language)
    return user


@handles(DisableUser)
def disable_user(ctx: Context, c: DisableUser) -> User:
    user = ctx.target(User)
    if user.id == user_id_for(ctx.meta.actor_id) or str(user.id) == ctx.meta.actor_id:
        raise InvalidInput("user_id", "users cannot disable themselves")
    user.disable(ctx.meta)
    return user


@handles(SetPassword)
def set_password(ctx: Context, c: SetPassword) -> User:
    user = ctx.target(User)
    password = c.password.get_secret_value()
    check_password(password, username=user.username, display_name=user.display_name)
    user.set_password(ctx.meta, hash_password(password))
    return user


@handles(EnableTotp)
def enable_totp(ctx: Context, c: EnableTotp) -> User:
    user = ctx.target(User)
    user.enable_totp(ctx.meta, c.secret)
    return user


@handles(DisableTotp)
def disable_totp(ctx: Context, c: DisableTotp) -> User:
    user = ctx.target(User)
    user.disable_totp(ctx.meta)
    return user


@handles(LinkIdentity)
def link_identity(ctx: Context, c: LinkIdentity) -> User:
    user = ctx.target(User)
    user.link_identity(ctx.meta, c.issuer, c.account)
    return user


def user_for_token(store: Rectrack, token: str, today: date | None = None) -> User | None:
    """The enabled user holding this token, live on `today`, or None."""
    user_id: UUID | None = user_id_of_token(token)
    if user_id is None:
        return None
    user = store.find(User, user_id)
    if user is None or user.disabled:
        return None
    if user.token_for(hash_token(token), today or date.today()) is None:
        return None
    return user
