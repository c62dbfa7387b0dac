"""What `rectrack up` does once PostgreSQL and Temporal are up: the key that signs the
audit log, the demo on a first `up --demo`, and the administrator's one-time sign-in link.

A module of its own so that `up` imports it (the executor, every handler, the demo: about
half of `up`'s own imports) only after it has spawned the processes, which import theirs
meanwhile (services/stack.py, `make bench-startup`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from domain.values import Role
from services.adapters.database import eventsourcing_env
from services.adapters.log_config import warnings_only
from services.adapters.settings import Settings
from services.adapters.signin_store import SignInStore, connecting
from services.adapters.signing import ensure_key, public_text
from services.application.bootstrap import ensure_user, issue_user_token
from services.application.executor import Executor
from services.application.signin import SIGN_IN_LINK, SignIn, SignInPolicy
from services.application.store import Rectrack
from services.demo import give_demo_passwords, load_demo

ADMIN_USERNAME = "admin"


def issue_admin_token(executor: Executor, label: str) -> str:
    """Create the administrator on first use (idempotently) and issue it a new token (for
    the benchmarks; `up` itself prints a one-time sign-in link instead)."""
    return issue_user_token(executor, ADMIN_USERNAME, "Administrator", Role.ADMIN, label=label)


def admin_sign_in_link(executor: Executor, settings: Settings, database_url: str) -> str:
    """Create the administrator on first use (idempotently) and make it a one-time
    sign-in link's secret."""
    admin = ensure_user(executor, ADMIN_USERNAME, "Administrator", Role.ADMIN)
    store = SignInStore(connecting(database_url), settings.database_schema)
    signin = SignIn(executor, store, SignInPolicy.from_settings(settings))
    return signin.link(admin, SIGN_IN_LINK)[0]


def ensure_signing_key(settings: Settings, data_dir: Path, say: Callable[[str], None]) -> None:
    """The audit log's signing key, made (and its public half said) on the first start."""
    key_path = settings.audit_signing_key_file or data_dir / "audit" / "signing.key"
    key, made = ensure_key(key_path)
    if made:
        say(
            f"rectrack: made the key that signs the audit log, {key_path}; public key "
            f"{public_text(key.public_key())} (keep both, and the checkpoint file, "
            "outside the database)"
        )


def load_first_data(
    settings: Settings,
    database_url: str,
    demo: bool,
    say: Callable[[str], None],
    tell_processes: Callable[[], None],
) -> tuple[list[tuple[str, Role, str]], str]:
    """The demo, where asked for and the store is empty; then the processes are told to
    run, and the administrator's sign-in link is made. Returns the demo users' passwords
    (none but on the first `up --demo`) and the link."""
    passwords: list[tuple[str, Role, str]] = []
    # Until the processes start (after the demo) this is the only writer, and then it
    # changes only the administrator, whom they never do: the aggregates it saves are
    # kept, not read back from the database by the next command (the demo: 1/3 of it).
    only_writer = {"AGGREGATE_CACHE_MAXSIZE": "5000", "AGGREGATE_CACHE_FASTFORWARD": "n"}
    app = Rectrack(env=eventsourcing_env(settings, database_url) | only_writer)
    try:
        executor = Executor(app, reference_prefix=settings.reference_prefix)
        fresh = not app.recorder.max_notification_id()
        if demo and fresh:
            say("rectrack: loading demo data ...")
            with warnings_only():
                loaded = load_demo(executor)
            say(f"rectrack: demo data loaded ({loaded.summary})")
            passwords = give_demo_passwords(executor, loaded.authorities["Ministry of Justice"])
        elif demo:
            say("rectrack: the data directory already holds data: demo not loaded")
        # The processes go on while the sign-in link is made; after the demo, which
        # then loads without them competing for the machine.
        tell_processes()
        return passwords, admin_sign_in_link(executor, settings, database_url)
    finally:
        app.close()
