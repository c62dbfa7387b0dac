"""Backup and restore of the record: the only state that cannot be derived again.

A backup is one zip file holding, from a single snapshot of the database, the event
store's tables (the events with their notification ids and the command log)
and the relay's position, each as a binary COPY stream; beside them the latest signed
checkpoint file, its leaf record and the public key that checks them, where present.
The views are not in it: they are rebuilt from the events after a restore. Neither is
Temporal's state: `rectrack workflows reconcile` re-drives the workflows from the events.

COPY through psycopg, not pg_dump: it needs no server binaries of a matching version on
the machine, and it keeps the notification ids the signed checkpoints cover."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg.sql import SQL, Identifier

FORMAT = "rectrack-backup/1"
EVENTS_TABLE = "rectrack_events"
#: The tables a backup holds, in the order a restore loads them.
TABLES = (
    EVENTS_TABLE,
    f"{EVENTS_TABLE}_commands",
    "relay_tracking",
)
#: Positions, not facts: a restore replaces what table creation put there.
REPLACED = ("relay_tracking",)
#: Held by backups from before the signed log replaced the per-aggregate hash chain; a
#: restore leaves it out (the signed checkpoints in the backup cover the events).
RETIRED = (f"{EVENTS_TABLE}_chain",)

ProgressCallback = Callable[[int, int], None]


class BackupError(Exception):
    """A backup that cannot be taken or a restore that must not go ahead; says why."""


@dataclass
class Manifest:
    schema: str
    log_position: int
    rows: dict[str, int]
    audit_files: list[str] = field(default_factory=list)
    taken_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    format: str = FORMAT

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "schema": self.schema,
            "log_position": self.log_position,
            "rows": self.rows,
            "audit_files": self.audit_files,
            "taken_at": self.taken_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        if data.get("format") != FORMAT:
            raise BackupError(f"not a rectrack backup of format {FORMAT}: {data.get('format')}")
        return cls(
            schema=str(data["schema"]),
            log_position=int(data["log_position"]),
            rows={str(k): int(v) for k, v in data["rows"].items()},
            audit_files=[str(f) for f in data.get("audit_files", [])],
            taken_at=str(data["taken_at"]),
        )


def _existing(conn: psycopg.Connection[Any], schema: str) -> set[str]:
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
    ).fetchall()
    return {str(r[0]) for r in rows}


def _count(conn: psycopg.Connection[Any], schema: str, table: str) -> int:
    row = conn.execute(
        SQL("SELECT count(*) FROM {0}.{1}").format(Identifier(schema), Identifier(table))
    ).fetchone()
    return int(row[0]) if row else 0


def take_backup(
    database_url: str,
    schema: str,
    target: Path,
    audit_files: dict[str, Path],
    *,
    progress: ProgressCallback | None = None,
) -> Manifest:
    """Write the backup to `target` (through a temporary file, renamed when complete)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        with psycopg.connect(database_url) as conn:
            # One snapshot for every table: the command log matches the events.
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            conn.execute("SET LOCAL statement_timeout = 0")
            present = _existing(conn, schema)
            if EVENTS_TABLE not in present:
                raise BackupError(f"schema {schema} has no event store ({EVENTS_TABLE})")
            tables = [t for t in TABLES if t in present]
            rows = {t: _count(conn, schema, t) for t in tables}
            total = sum(rows.values())
            done = 0
            row = conn.execute(
                SQL("SELECT coalesce(max(notification_id), 0) FROM {0}.{1}").format(
                    Identifier(schema), Identifier(EVENTS_TABLE)
                )
            ).fetchone()
            manifest = Manifest(schema=schema, log_position=int(row[0]) if row else 0, rows=rows)
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for table in tables:
                    copy = SQL("COPY {0}.{1} TO STDOUT (FORMAT binary)").format(
                        Identifier(schema), Identifier(table)
                    )
                    with (
                        archive.open(f"tables/{table}.copy", "w", force_zip64=True) as out,
                        conn.cursor().copy(copy) as stream,
                    ):
                        for chunk in stream:
                            out.write(chunk)
                    done += rows[table]
                    if progress:
                        progress(done, total)
                for name, path in audit_files.items():
                    if path.is_file():
                        archive.write(path, f"audit/{name}")
                        manifest.audit_files.append(name)
                archive.writestr("manifest.json", json.dumps(manifest.to_json(), indent=2))
    except BaseException:
        # Nothing half-written: only a complete backup ever has the target's name.
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)
    return manifest


def read_manifest(source: Path) -> Manifest:
    try:
        with zipfile.ZipFile(source) as archive:
            return Manifest.from_json(json.loads(archive.read("manifest.json")))
    except (OSError, KeyError, zipfile.BadZipFile, ValueError) as error:
        raise BackupError(f"{source}: not a readable rectrack backup ({error})") from error


def load_tables(
    database_url: str,
    schema: str,
    source: Path,
    *,
    progress: ProgressCallback | None = None,
) -> Manifest:
    """Load the backup's tables into `schema`, whose tables exist and hold no events;
    all in one transaction, so a failed restore leaves nothing half-written."""
    manifest = read_manifest(source)
    total = sum(n for t, n in manifest.rows.items() if t not in RETIRED)
    done = 0
    with zipfile.ZipFile(source) as archive, psycopg.connect(database_url) as conn:
        conn.execute("SET LOCAL statement_timeout = 0")
        present = _existing(conn, schema)
        tables = [t for t in manifest.rows if t not in RETIRED]
        for table in tables:
            if table not in present:
                raise BackupError(f"schema {schema} has no table {table} to restore into")
            if table not in REPLACED and _count(conn, schema, table):
                raise BackupError(
                    f"schema {schema} already holds rows in {table}: restore only into an "
                    "empty record (a new schema or database)"
                )
        for table in tables:
            target = (Identifier(schema), Identifier(table))
            if table in REPLACED:
                conn.execute(SQL("DELETE FROM {0}.{1}").format(*target))
            copy = SQL("COPY {0}.{1} FROM STDIN (FORMAT binary)").format(*target)
            with archive.open(f"tables/{table}.copy") as data, conn.cursor().copy(copy) as sink:
                while chunk := data.read(1 << 20):
                    sink.write(chunk)
            loaded = _count(conn, schema, table)
            if loaded != manifest.rows[table]:
                raise BackupError(
                    f"{table}: {loaded} rows loaded, the backup holds {manifest.rows[table]}"
                )
            done += loaded
            if progress:
                progress(done, total)
        # The next event continues the log after the restored notification ids.
        conn.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'notification_id'), %s, %s)",
            (
                f'"{schema}".{EVENTS_TABLE}',
                max(manifest.log_position, 1),
                manifest.log_position > 0,
            ),
        )
    return manifest


def restore_audit_files(source: Path, targets: dict[str, Path]) -> list[Path]:
    """Put the backup's checkpoint files back where the settings say, never over a file
    that is already there (it may be newer than the backup). Returns the files written."""
    written: list[Path] = []
    with zipfile.ZipFile(source) as archive:
        names = set(archive.namelist())
        for name, path in targets.items():
            member = f"audit/{name}"
            if member in names and not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(archive.read(member))
                written.append(path)
    return written
