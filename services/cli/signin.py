"""`rectrack users password|reset-link|sign-in-link|sign-out-everywhere NAME`: how an
administrator at the console gives a person a way in. A password set here is an event
on the user (the actor: the operating-system user), its hash only; the links are
one-time and expire (RECTRACK_RESET_LINK_HOURS, RECTRACK_SIGNIN_LINK_MINUTES)."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from pydantic import ValidationError

from domain.errors import DomainError, NotFound
from domain.user import User, user_id_for
from domain.values import Role
from services.adapters.settings import Settings
from services.adapters.signin_store import SignInStore, connecting
from services.application.executor import Caller
from services.application.runtime import Runtime, build_runtime
from services.application.signin import RESET_LINK, SIGN_IN_LINK, SignIn, SignInPolicy


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    password = commands.add_parser(
        "password",
        help="set a user's password (asked for, or read from stdin with --stdin)",
        description="Set a user's password. Its sessions end.",
    )
    password.add_argument("username")
    password.add_argument("--stdin", action="store_true", help="read the password from stdin")
    password.set_defaults(handler=run_password)
    for name, purpose, what in (
        ("reset-link", RESET_LINK, "a one-time link to choose a new password"),
        ("sign-in-link", SIGN_IN_LINK, "a one-time link that signs the user in"),
    ):
        link = commands.add_parser(name, help=f"print {what}", description=f"Print {what}.")
        link.add_argument("username")
        link.add_argument(
            "--base-url", help="the address people reach the service at (default: the API's)"
        )
        link.set_defaults(handler=run_link, purpose=purpose)
    everywhere = commands.add_parser(
        "sign-out-everywhere",
        help="end every web session of a user",
        description="End every web session of a user.",
    )
    everywhere.add_argument("username")
    everywhere.set_defaults(handler=run_sign_out_everywhere)


def _caller() -> Caller:
    return Caller(f"cli:{getpass.getuser()}", Role.ADMIN.value)


def _signin(runtime: Runtime) -> SignIn:
    store = SignInStore(connecting(runtime.database_url), runtime.settings.database_schema)
    return SignIn(runtime.executor, store, SignInPolicy.from_settings(runtime.settings))


def _run(action: str, work: Callable[[Runtime, SignIn], None]) -> int:
    runtime = build_runtime(Settings())
    try:
        work(runtime, _signin(runtime))
    except DomainError as error:
        print(f"rectrack users {action}: {error}", file=sys.stderr)
        return 1
    except ValidationError as error:
        problems = "; ".join(str(e["msg"]) for e in error.errors())
        print(f"rectrack users {action}: {problems}", file=sys.stderr)
        return 1
    finally:
        runtime.close()
    return 0


def _user(runtime: Runtime, username: str) -> User:
    user = runtime.app.find(User, user_id_for(username))
    if user is None:
        raise NotFound("user", username)
    return user


def run_password(args: argparse.Namespace) -> int:
    if args.stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"new password for {args.username}: ")
        if getpass.getpass("again: ") != password:
            print("rectrack users password: the two entries differ", file=sys.stderr)
            return 1

    def work(runtime: Runtime, signin: SignIn) -> None:
        signin.set_password(_caller(), _user(runtime, args.username).id, password)
        print(f"password set for {args.username}; its web sessions ended")

    return _run("password", work)


def run_link(args: argparse.Namespace) -> int:
    def work(runtime: Runtime, signin: SignIn) -> None:
        settings = runtime.settings
        base = (args.base_url or f"http://{settings.api_host}:{settings.api_port}").rstrip("/")
        token, expires_at = signin.link(_user(runtime, args.username).id, args.purpose)
        page = "reset" if args.purpose == RESET_LINK else "link"
        print(f"one-time link for {args.username}, until {expires_at:%Y-%m-%d %H:%M} UTC:")
        print(f"{base}/ui/#/{page}/{token}")

    return _run(args.purpose, work)


def run_sign_out_everywhere(args: argparse.Namespace) -> int:
    def work(runtime: Runtime, signin: SignIn) -> None:
        ended = signin.sign_out_everywhere(_user(runtime, args.username).id)
        print(f"ended {ended} web session(s) of {args.username}")

    return _run("sign-out-everywhere", work)
