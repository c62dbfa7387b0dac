"""`rectrack users ...`: create users, grant and revoke roles, issue and revoke tokens
(`users tokens list|create|revoke`: scoped, expiring API tokens for machines), set a
user's e-mail address and language, disable users. Each is an event on the user, with
the operating-system user who ran the command as its actor, so the audit trail says who
handed out which power."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from uuid import UUID

from pydantic import ValidationError

from domain.errors import DomainError, NotFound
from domain.tokens import IssuedToken, TokenScope
from domain.user import GRANTABLE_ROLES, User, user_id_for
from domain.values import Language, Role
from services.adapters.settings import Settings
from services.application.bootstrap import issue_token
from services.application.commands.users import (
    CreateUser,
    DisableUser,
    GrantRole,
    RevokeRole,
    RevokeToken,
    SetUserContact,
)
from services.application.executor import Caller, Executor
from services.application.runtime import build_runtime
from services.cli import signin

ROLE_NAMES = sorted(role.value for role in GRANTABLE_ROLES)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    users = subparsers.add_parser(
        "users",
        help="manage users, roles and API tokens",
        description="Manage users, roles and API tokens. Tokens are shown once.",
    )
    commands = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")

    add = commands.add_parser("add", help="create a user", description="Create a user.")
    add.add_argument("username")
    add.add_argument("--name", help="display name (default: the username)")
    add.add_argument("--role", choices=ROLE_NAMES, help="grant this role at once")
    add.add_argument("--authority", type=UUID, help="the authority of an authority_liaison")
    add.add_argument("--token", action="store_true", help="also issue a token and print it")
    add.set_defaults(handler=run_add)

    grant = commands.add_parser("grant", help="grant a role", description="Grant a role.")
    grant.add_argument("username")
    grant.add_argument("role", choices=ROLE_NAMES)
    grant.add_argument("--authority", type=UUID, help="the authority of an authority_liaison")
    grant.set_defaults(handler=run_grant)

    revoke = commands.add_parser("revoke", help="revoke a role", description="Revoke a role.")
    revoke.add_argument("username")
    revoke.add_argument("role", choices=ROLE_NAMES)
    revoke.set_defaults(handler=run_revoke)

    token = commands.add_parser(
        "token", help="issue a new token (printed once)", description="Issue a new API token."
    )
    token.add_argument("username")
    token.add_argument("--label", default="cli", help="what the token is for")
    token.set_defaults(handler=run_token)

    revoke_token = commands.add_parser(
        "revoke-token", help="revoke a token by its id", description="Revoke an API token."
    )
    revoke_token.add_argument("username")
    revoke_token.add_argument("token_id")
    revoke_token.set_defaults(handler=run_revoke_token)

    tokens = commands.add_parser(
        "tokens",
        help="list, create and revoke a user's API tokens",
        description="API tokens for machines: scoped (read, write, admin) and expiring.",
    )
    token_actions = tokens.add_subparsers(dest="tokens_command", required=True, metavar="ACTION")
    listed = token_actions.add_parser("list", help="a user's live tokens")
    listed.add_argument("username")
    listed.set_defaults(handler=run_tokens_list)
    create = token_actions.add_parser("create", help="issue a token (printed once)")
    create.add_argument("username")
    create.add_argument(
        "--scope",
        choices=[scope.value for scope in TokenScope],
        default=TokenScope.READ.value,
        help="read: reads only; write: reads and casework; admin: all the roles allow "
        "(default: read)",
    )
    create.add_argument(
        "--days", type=int, help="days until it expires (default RECTRACK_TOKEN_DEFAULT_DAYS)"
    )
    create.add_argument("--label", default="cli", help="what the token is for")
    create.set_defaults(handler=run_tokens_create)
    revoked = token_actions.add_parser("revoke", help="revoke a token by its id")
    revoked.add_argument("username")
    revoked.add_argument("token_id")
    revoked.set_defaults(handler=run_revoke_token)
    contact = commands.add_parser(
        "contact",
        help="set a user's e-mail address and language (for the digests)",
        description="Set where a user's e-mail (the daily or weekly digest) goes and the "
        "language it is written in. Without --email the user gets no e-mail.",
    )
    contact.add_argument("username")
    contact.add_argument("--email", help="one address, e.g. hedda@npm.example.org")
    contact.add_argument("--language", choices=[lang.value for lang in Language], default="en")
    contact.set_defaults(handler=run_contact)

    disable = commands.add_parser(
        "disable", help="disable a user and all its tokens", description="Disable a user."
    )
    disable.add_argument("username")
    disable.set_defaults(handler=run_disable)

    show = commands.add_parser(
        "show", help="show a user's roles and token ids", description="Show a user."
    )
    show.add_argument("username")
    show.set_defaults(handler=run_show)
    signin.register(commands)  # password, reset-link, sign-in-link, sign-out-everywhere


def _caller() -> Caller:
    # The operating-system user who ran the command is the actor on its events.
    return Caller(f"cli:{getpass.getuser()}", Role.ADMIN.value)


def _with_executor(action: str, run: Callable[[Executor], None]) -> int:
    runtime = build_runtime(Settings())
    try:
        run(runtime.executor)
    except DomainError as error:
        print(f"rectrack users {action}: {error}", file=sys.stderr)
        return 1
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc']) or 'input'}: {e['msg']}"
            for e in error.errors()
        )
        print(f"rectrack users {action}: {problems}", file=sys.stderr)
        return 1
    finally:
        runtime.close()
    return 0


def _user(executor: Executor, username: str) -> User:
    user = executor.store.find(User, user_id_for(username))
    if user is None:
        raise NotFound("user", username)
    return user


def _print_token(username: str, token: str) -> None:
    print(f"token for {username} (shown once, keep it safe):\n{token}")


def run_add(args: argparse.Namespace) -> int:
    def run(executor: Executor) -> None:
        created = CreateUser(username=args.username, display_name=args.name or args.username)
        user_id = executor.execute(created, _caller()).aggregate_id
        print(f"created user {args.username} ({user_id})")
        if args.role:
            grant = GrantRole(role=Role(args.role), authority_id=args.authority)
            executor.execute(grant, _caller(), target_id=user_id)
            print(f"granted {args.role}")
        if args.token:
            _print_token(args.username, issue_token(executor, _caller(), user_id, "cli").token)

    return _with_executor("add", run)


def run_grant(args: argparse.Namespace) -> int:
    def run(executor: Executor) -> None:
        user = _user(executor, args.username)
        grant = GrantRole(role=Role(args.role), authority_id=args.authority)
        executor.execute(grant, _caller(), target_id=user.id)
        print(f"granted {args.role} to {args.username}")

    return _with_executor("grant", run)


def run_revoke(args: argparse.Namespace) -> int:
    def run(executor: Executor) -> None:
        user = _user(executor, args.username)
        executor.execute(RevokeRole(role=Role(args.role)), _caller(), target_id=user.id)
        print(f"revoked {args.role} from {args.username}")

    return _with_executor("revoke", run)


def run_token(args: argparse.Namespace) -> int:
    def run(executor: Executor) -> None:
        new = issue_token(executor, _caller(), _user(executor, args.username).id, args.label)
        print(f"token id {new.token_id}")
        _print_token(args.username, new.token)

    return _with_executor("token", run)


def run_revoke_token(args: argparse.Namespace) -> int:
    def run(executor: Executor) -> None:
        user = _user(executor, args.username)
        executor.execute(RevokeToken(token_id=args.token_id), _caller(), target_id=user.id)
        print(f"revoked token {args.token_id} of {args.username}; it no longer works")

    return _with_executor("revoke-token", run)


def run_contact(args: argparse.Namespace) -> int:
    def run(executor: Executor) -> None:
        user = _user(executor, args.username)
        contact = SetUserContact(email=args.email, language=Language(args.language))
        executor.execute(contact, _caller(), target_id=user.id)
        where = args.email or "no e-mail"
        print(f"{args.username}: {where}, in {args.language}")

    return _with_executor("contact", run)


def run_disable(args: argparse.Namespace) -> int:
    def run(executor: Executor) -> None:
        executor.execute(DisableUser(), _caller(), target_id=_user(executor, args.username).id)
        print(f"disabled {args.username}; its tokens no longer work")

    return _with_executor("disable", run)


def run_show(args: argparse.Namespace) -> int:
    def run(executor: Executor) -> None:
        user = _user(executor, args.username)
        print(f"{user.username} ({user.id}) {user.display_name!r}")
        print(f"  roles: {', '.join(sorted(r.value for r in user.roles)) or 'none'}")
        if user.authority_id:
            print(f"  authority: {user.authority_id}")
        print(f"  e-mail: {user.email or 'none'} ({user.language.value})")
        print(f"  disabled: {'yes' if user.disabled else 'no'}")
        print(f"  password: {'set' if user.password_hash else 'none'}")
        print(f"  second factor: {'yes' if user.totp_secret else 'no'}")
        for token in user.tokens.values():
            print(f"  token {describe(token)}")

    return _with_executor("show", run)


def describe(token: IssuedToken) -> str:
    if token.legacy:
        life = "from before scopes: all the user's roles, no expiry; replace and revoke it"
    else:
        life = f"scope {token.effective_scope.value}, expires on {token.expires_on}"
    return f"{token.token_id} ({token.label}): {life}"


def run_tokens_list(args: argparse.Namespace) -> int:
    def run(executor: Executor) -> None:
        user = _user(executor, args.username)
        if not user.tokens:
            print(f"{args.username} has no live token")
        for token in user.tokens.values():
            print(describe(token))

    return _with_executor("tokens list", run)


def run_tokens_create(args: argparse.Namespace) -> int:
    def run(executor: Executor) -> None:
        user_id = _user(executor, args.username).id
        scope = TokenScope(args.scope)
        new = issue_token(executor, _caller(), user_id, args.label, scope, args.days)
        print(f"token id {new.token_id}, scope {new.scope}, expires on {new.expires_on}")
        _print_token(args.username, new.token)

    return _with_executor("tokens create", run)
