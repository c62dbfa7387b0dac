"""`rectrack users ...`: create users, grant and revoke roles, issue and revoke tokens,
disable users. Each is an event on the user, with the operating-system user who ran the
command as its actor, so the audit trail says who handed out which power."""

from __future__ import annotations

import argparse
import getpass
import sys
import uuid
from collections.abc import Callable
from datetime import date
from uuid import UUID

from domain.errors import DomainError, NotFound
from domain.user import GRANTABLE_ROLES, User
from domain.values import EventMeta, Role
from services.adapters.settings import Settings
from services.application.runtime import build_runtime
from services.application.store import Rectrack

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


def _meta() -> EventMeta:
    return EventMeta(
        actor_id=f"cli:{getpass.getuser()}",
        actor_role=Role.ADMIN.value,
        business_date=date.today(),
        command_id=str(uuid.uuid4()),
    )


def _with_app(action: str, run: Callable[[Rectrack], None]) -> int:
    runtime = build_runtime(Settings())
    try:
        run(runtime.app)
    except DomainError as error:
        print(f"rectrack users {action}: {error}", file=sys.stderr)
        return 1
    finally:
        runtime.close()
    return 0


def _user(app: Rectrack, username: str) -> User:
    user = app.find_user(username)
    if user is None:
        raise NotFound("user", username)
    return user


def _print_token(username: str, token: str) -> None:
    print(f"token for {username} (shown once, keep it safe):\n{token}")


def run_add(args: argparse.Namespace) -> int:
    def run(app: Rectrack) -> None:
        user_id = app.create_user(
            _meta(), username=args.username, display_name=args.name or args.username
        ).aggregate_id
        print(f"created user {args.username} ({user_id})")
        if args.role:
            app.grant_role(_meta(), user_id, role=Role(args.role), authority_id=args.authority)
            print(f"granted {args.role}")
        if args.token:
            _, new = app.issue_token(_meta(), user_id, label="cli")
            assert new is not None
            _print_token(args.username, new.token)

    return _with_app("add", run)


def run_grant(args: argparse.Namespace) -> int:
    def run(app: Rectrack) -> None:
        user = _user(app, args.username)
        app.grant_role(_meta(), user.id, role=Role(args.role), authority_id=args.authority)
        print(f"granted {args.role} to {args.username}")

    return _with_app("grant", run)


def run_revoke(args: argparse.Namespace) -> int:
    def run(app: Rectrack) -> None:
        app.revoke_role(_meta(), _user(app, args.username).id, role=Role(args.role))
        print(f"revoked {args.role} from {args.username}")

    return _with_app("revoke", run)


def run_token(args: argparse.Namespace) -> int:
    def run(app: Rectrack) -> None:
        _, new = app.issue_token(_meta(), _user(app, args.username).id, label=args.label)
        assert new is not None
        print(f"token id {new.token_id}")
        _print_token(args.username, new.token)

    return _with_app("token", run)


def run_revoke_token(args: argparse.Namespace) -> int:
    def run(app: Rectrack) -> None:
        app.revoke_token(_meta(), _user(app, args.username).id, token_id=args.token_id)
        print(f"revoked token {args.token_id} of {args.username} (the API notices within 10 s)")

    return _with_app("revoke-token", run)


def run_disable(args: argparse.Namespace) -> int:
    def run(app: Rectrack) -> None:
        app.disable_user(_meta(), _user(app, args.username).id)
        print(f"disabled {args.username}; its tokens no longer work")

    return _with_app("disable", run)


def run_show(args: argparse.Namespace) -> int:
    def run(app: Rectrack) -> None:
        user = _user(app, args.username)
        print(f"{user.username} ({user.id}) {user.display_name!r}")
        print(f"  roles: {', '.join(sorted(r.value for r in user.roles)) or 'none'}")
        if user.authority_id:
            print(f"  authority: {user.authority_id}")
        print(f"  disabled: {'yes' if user.disabled else 'no'}")
        for token in user.tokens.values():
            print(f"  token {token.token_id} ({token.label})")

    return _with_app("show", run)
