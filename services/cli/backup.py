"""`rectrack backup FILE`, `rectrack restore FILE` and `rectrack migrate`: the operator's
commands around the record's tables (services/adapters/backup.py holds the file format).

A restore loads the events into an empty schema, rebuilds every view from them and puts
the checkpoint files back; `rectrack workflows reconcile` then re-drives the deadline
workflows in Temporal, which a restore cannot carry. `migrate` is what a deployment runs
before the processes start: with RECTRACK_DATABASE_OWNER_URL set, the event store's tables
are made (and migrated) as the owner and the processes' role is granted append-only rights
(services/application/database_roles.py); the read models and the relay's tracking are
then made as the processes' role, which must own them to rebuild them."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import structlog

from projections.engine.rebuild import ensure_live_tables, rebuild
from projections.engine.registry import select
from projections.engine.runner import projector_env
from services.adapters.backup import (
    BackupError,
    read_manifest,
    restore_audit_files,
    take_backup,
)
from services.adapters.backup import load_tables as load_backup_tables
from services.adapters.database import ensure_schema, eventsourcing_env, resolve_database_url
from services.adapters.privileges import role_of
from services.adapters.settings import Settings
from services.adapters.signin_store import SignInStore, connecting
from services.adapters.signing import SigningKeyError, load_private_key, public_text
from services.adapters.transparency import leaves_path
from services.application.database_roles import prepare_as_owner
from services.application.store import Rectrack
from services.cli.progress import Progress
from workflows.relay import TRACKING_TABLE, RelayTrackingRecorder

log = structlog.get_logger(__name__)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup = subparsers.add_parser(
        "backup",
        help="write the record (events, command log, checkpoints) to one file",
        description="Back up the event store from one snapshot of the database, with the "
        "relay's position and the signed checkpoint files. Views are not included: a "
        "restore rebuilds them.",
    )
    backup.add_argument("file", type=Path, metavar="FILE")
    backup.set_defaults(handler=run_backup)

    restore = subparsers.add_parser(
        "restore",
        help="load a backup into an empty schema and rebuild the views",
        description="Load a backup made by `rectrack backup` into RECTRACK_DATABASE_SCHEMA, "
        "which must hold no events; rebuild every view; put the checkpoint files back where "
        "none are. Then run `rectrack workflows reconcile` against Temporal.",
    )
    restore.add_argument("file", type=Path, metavar="FILE")
    restore.set_defaults(handler=run_restore)

    migrate = subparsers.add_parser(
        "migrate",
        help="create and migrate every table, and grant the processes' role its rights "
        "(run on each deploy, before the processes start)",
        description="The event store's tables as RECTRACK_DATABASE_OWNER_URL (where set; "
        "then the role of RECTRACK_DATABASE_URL may append events, never change them), "
        "the relay's tracking and every view's tables as RECTRACK_DATABASE_URL. Running it "
        "again is harmless.",
    )
    migrate.set_defaults(handler=run_migrate)


def _audit_files(settings: Settings) -> dict[str, Path]:
    checkpoints = settings.checkpoint_path
    return {
        "checkpoints.jsonl": checkpoints,
        "checkpoints.jsonl.leaves": leaves_path(checkpoints),
        "public.key": checkpoints.with_name("public.key"),
    }


def create_tables(settings: Settings, url: str) -> None:
    """Every table the processes would otherwise create on their first start."""
    ensure_schema(url, settings.database_schema)
    app = Rectrack(env=eventsourcing_env(settings, url))
    try:
        datastore = app.recorder.datastore  # type: ignore[attr-defined]
        RelayTrackingRecorder(datastore, tracking_table_name=TRACKING_TABLE).create_table()
    finally:
        app.close()
    ensure_live_tables(projector_env(settings, url), select(None))
    SignInStore(connecting(url), settings.database_schema).create_tables()


def run_migrate(args: argparse.Namespace) -> int:
    settings = Settings()
    url = resolve_database_url(settings)
    owner_url = settings.database_owner_url
    if owner_url and owner_url != url:
        prepare_as_owner(settings, owner_url, url)
    create_tables(settings, url)
    if owner_url and owner_url != url:
        print(
            f"tables ready in schema {settings.database_schema}: the event store owned by "
            f"{role_of(owner_url)}; {role_of(url)} may append events, not change them"
        )
    else:
        print(f"tables ready in schema {settings.database_schema}")
    return 0


def run_backup(args: argparse.Namespace) -> int:
    settings = Settings()
    url = resolve_database_url(settings)
    bound = log.bind(schema=settings.database_schema, file=str(args.file))
    audit = _audit_files(settings)
    with tempfile.TemporaryDirectory() as scratch:
        # The public key, never the private one: whoever restores can check the heads.
        try:
            key = load_private_key(settings.signing_key_path)
            public = Path(scratch) / "public.key"
            public.write_text(public_text(key.public_key()) + "\n")
            audit["public.key"] = public
        except (SigningKeyError, OSError):
            pass
        try:
            manifest = take_backup(
                url,
                settings.database_schema,
                args.file,
                audit,
                progress=Progress("backup", unit="rows"),
            )
        except BackupError as error:
            bound.error("backup failed", error=str(error))
            print(str(error), file=sys.stderr)
            return 1
    bound.info("backup written", log_position=manifest.log_position, rows=manifest.rows)
    print(
        f"backup of {manifest.rows.get('rectrack_events', 0):,} events (log position "
        f"{manifest.log_position:,}) written to {args.file}"
        + (f", with {', '.join(manifest.audit_files)}" if manifest.audit_files else "")
    )
    return 0


def run_restore(args: argparse.Namespace) -> int:
    settings = Settings()
    schema = settings.database_schema
    bound = log.bind(schema=schema, file=str(args.file))
    try:
        manifest = read_manifest(args.file)
        url = resolve_database_url(settings)
        create_tables(settings, url)
        load_backup_tables(url, schema, args.file, progress=Progress("restore", unit="rows"))
    except BackupError as error:
        bound.error("restore refused", error=str(error))
        print(str(error), file=sys.stderr)
        return 1
    bound.info("tables restored", log_position=manifest.log_position, taken_at=manifest.taken_at)
    result = rebuild(
        projector_env(settings, url), url, schema, select(None), progress=Progress("views")
    )
    written = restore_audit_files(args.file, _audit_files(settings))
    bound.info("views rebuilt", events=result.events, audit_files=[str(p) for p in written])
    print(
        f"restored {manifest.rows.get('rectrack_events', 0):,} events (backup of "
        f"{manifest.taken_at}) into schema {schema}; views rebuilt"
        + (f"; wrote {', '.join(str(p) for p in written)}" if written else "")
    )
    print("next: `rectrack workflows reconcile` re-drives the deadline workflows in Temporal")
    return 0
