"""Least privilege in the database: an owner role owns the schema and the event store's
tables; the runtime role the processes run as may read and append events, never change or
remove them. The runtime role owns the read models (views, tracking) it creates, and may
create schemas and tables, because a projection rebuild builds views in a scratch schema
and swaps them in; none of that reaches the event store's tables.

PostgreSQL 15 lets `LOCK TABLE ... IN EXCLUSIVE MODE` (which the eventsourcing library
takes on every insert, so that notification ids commit in order) only to a role with
UPDATE, DELETE or TRUNCATE on the table. The runtime role therefore holds UPDATE on the
events table, and a trigger owned by the owner refuses every UPDATE and DELETE of an
event; DELETE and TRUNCATE are not granted at all. The runtime role cannot drop the
trigger (only the owner can). The signed transparency log does not depend on any of this:
it catches a superuser too. This only stops the everyday credentials from being enough.
"""

from __future__ import annotations

import contextlib
from typing import Any

import psycopg
import structlog
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier, Literal

log = structlog.get_logger(__name__)

APPEND_ONLY_TABLES = (
    "rectrack_events",
    "rectrack_events_chain",  # the retired per-aggregate chain, in databases from before
    "rectrack_events_commands",
    "rectrack_documents",  # evidence and letters, by SHA-256: insert-only as well
)


def as_role(url: str, role: str, password: str | None = None) -> str:
    """The same database reached as another role."""
    params: dict[str, Any] = conninfo_to_dict(url)
    params["user"] = role
    params.pop("password", None)
    if password:
        params["password"] = password
    return make_conninfo(**params)


def role_of(url: str) -> str:
    return str(conninfo_to_dict(url).get("user") or "postgres")


def create_roles(admin_url: str, *roles: str) -> None:
    """Creates the login roles that are missing (without passwords: local trust, or set
    them separately). Needs a superuser or CREATEROLE."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for role in roles:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            if not exists:
                # Another process (or test) may make it meanwhile.
                with contextlib.suppress(psycopg.errors.DuplicateObject):
                    conn.execute(SQL("CREATE ROLE {0} LOGIN").format(Identifier(role)))


def hand_over(admin_url: str, schema: str, owner: str, runtime: str) -> None:
    """The schema and the event store's tables to the owner, every other table (read
    models, tracking) to the runtime role, and CREATE on the database to the runtime role
    (a rebuild's scratch schema). Run as a superuser; running it again is harmless."""
    s, o, r = Identifier(schema), Identifier(owner), Identifier(runtime)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(SQL("ALTER SCHEMA {0} OWNER TO {1}").format(s, o))
        for (table,) in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
        ).fetchall():
            to = o if table in APPEND_ONLY_TABLES else r
            conn.execute(SQL("ALTER TABLE {0}.{1} OWNER TO {2}").format(s, Identifier(table), to))
        conn.execute(
            SQL("GRANT CREATE ON DATABASE {0} TO {1}").format(Identifier(str(conn.info.dbname)), r)
        )


def grant_runtime(owner_url: str, schema: str, runtime: str, version: str | None = None) -> None:
    """What the runtime role may do, granted by the owner of the schema and of the event
    store (or a superuser): read and append events; create and rewrite read models.

    One transaction; with `version`, its last statement marks the schema as prepared at
    that version (`at_version`), so the mark is never there without the grants."""
    s, r = Identifier(schema), Identifier(runtime)
    with psycopg.connect(owner_url, autocommit=True) as conn, conn.transaction():
        me = Identifier(str(conn.execute("SELECT current_user").fetchone()[0]))  # type: ignore[index]
        conn.execute(SQL("GRANT USAGE, CREATE ON SCHEMA {0} TO {1}").format(s, r))
        database = Identifier(str(conn.info.dbname))
        try:  # a rebuild builds the views in a scratch schema of its own
            with conn.transaction():  # a savepoint: a refusal leaves the rest standing
                conn.execute(SQL("GRANT CREATE ON DATABASE {0} TO {1}").format(database, r))
        except psycopg.errors.InsufficientPrivilege:
            log.warning(
                "the runtime role may not create schemas: projection rebuilds need "
                "GRANT CREATE ON DATABASE from the database's owner",
                runtime=runtime,
            )
        conn.execute(SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {0} TO {1}").format(s, r))
        conn.execute(SQL("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {0} TO {1}").format(s, r))
        owned = [
            name
            for (name,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s "
                "AND pg_has_role(tableowner, 'USAGE')",
                (schema,),
            )
        ]
        for table in owned:
            t = Identifier(table)
            if table in APPEND_ONLY_TABLES:
                conn.execute(SQL("REVOKE ALL ON {0}.{1} FROM {2}").format(s, t, r))
                conn.execute(SQL("GRANT SELECT, INSERT ON {0}.{1} TO {2}").format(s, t, r))
            else:
                conn.execute(SQL("GRANT ALL ON {0}.{1} TO {2}").format(s, t, r))
        events = Identifier("rectrack_events")
        # Only for the library's LOCK TABLE; the trigger below refuses any actual update.
        conn.execute(SQL("GRANT UPDATE ON {0}.{1} TO {2}").format(s, events, r))
        conn.execute(
            SQL(
                "CREATE OR REPLACE FUNCTION {0}.rectrack_append_only() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION "
                "'the event log is append-only: % of an event refused', TG_OP "
                "USING ERRCODE = 'insufficient_privilege'; END $$"
            ).format(s)
        )
        conn.execute(SQL("ALTER FUNCTION {0}.rectrack_append_only() OWNER TO {1}").format(s, me))
        for table in APPEND_ONLY_TABLES:
            if table in owned:
                t = Identifier(table)
                conn.execute(
                    SQL("DROP TRIGGER IF EXISTS rectrack_append_only ON {0}.{1}").format(s, t)
                )
                conn.execute(
                    SQL(
                        "CREATE TRIGGER rectrack_append_only BEFORE UPDATE OR DELETE ON {0}.{1} "
                        "FOR EACH ROW EXECUTE FUNCTION {0}.rectrack_append_only()"
                    ).format(s, t)
                )
        if version is not None:
            _mark(conn, schema, version)


#: How the schema's comment says which preparation it is at (see `at_version`).
VERSION_MARK = "rectrack schema version "


def _mark(conn: psycopg.Connection[Any], schema: str, version: str) -> None:
    try:
        with conn.transaction():  # only the schema's owner may comment on it
            conn.execute(
                SQL("COMMENT ON SCHEMA {0} IS {1}").format(
                    Identifier(schema), Literal(VERSION_MARK + version)
                )
            )
    except psycopg.errors.InsufficientPrivilege:
        log.info("schema not marked: the owner does not own it; prepared on every start")


def at_version(
    conn: psycopg.Connection[Any],
    schema: str,
    version: str,
    owner: str,
    runtime: str,
    *,
    handed_over: bool,
) -> bool:
    """Whether the owner's tables and grants are at `version` (the comment `grant_runtime`
    leaves on the schema) and still as preparing leaves them: the runtime role exists,
    every event-store table the owner owns has its append-only trigger and, where the
    tables were `handed_over`, every event-store table is the owner's and every other
    one the runtime role's (a table a process created since, such as the documents on
    first use, still needs the hand-over). One query, where preparing is dozens of
    statements and catalog locks on every start (`make bench-startup`)."""
    query = SQL(
        "SELECT obj_description(n.oid, 'pg_namespace') = %(mark)s "
        "AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %(runtime)s) "
        "AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = n.oid "
        "AND c.relkind IN ('r', 'p') AND CASE WHEN c.relname = ANY(%(append_only)s) "
        "THEN CASE WHEN pg_get_userbyid(c.relowner) = %(owner)s THEN NOT EXISTS ("
        "SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid "
        "AND g.tgname = 'rectrack_append_only') ELSE %(handed_over)s END "
        "ELSE %(handed_over)s AND pg_get_userbyid(c.relowner) <> %(runtime)s END) "
        "FROM pg_namespace n WHERE n.nspname = %(schema)s"
    )
    params = {
        "mark": VERSION_MARK + version,
        "runtime": runtime,
        "handed_over": handed_over,
        "owner": owner,
        "append_only": list(APPEND_ONLY_TABLES),
        "schema": schema,
    }
    with conn.cursor(row_factory=tuple_row) as cursor:
        row = cursor.execute(query, params).fetchone()
    return bool(row and row[0])


def set_up_roles(admin_url: str, schema: str, owner: str, runtime: str) -> None:
    """Both roles, the hand-over and the grants, as a superuser, after the tables exist."""
    create_roles(admin_url, owner, runtime)
    hand_over(admin_url, schema, owner, runtime)
    grant_runtime(as_role(admin_url, owner), schema, runtime)
