"""Least privilege in the database: an owner role owns the schema's tables; the runtime
role the processes run as may read and append events, never change or remove them.

PostgreSQL 15 lets `LOCK TABLE ... IN EXCLUSIVE MODE` (which the eventsourcing library
takes on every insert, so that notification ids commit in order) only to a role with
UPDATE, DELETE or TRUNCATE on the table. The runtime role therefore holds UPDATE on the
events table, and a trigger owned by the owner refuses every UPDATE and DELETE of an
event; DELETE and TRUNCATE are not granted at all. The runtime role cannot drop the
trigger (only the owner can). The signed transparency log does not depend on any of this:
it catches a superuser too. This only stops the everyday credentials from being enough.
"""

from __future__ import annotations

import psycopg
from psycopg.sql import SQL, Identifier

APPEND_ONLY_TABLES = (
    "rectrack_events",
    "rectrack_events_chain",
    "rectrack_events_commands",
    "rectrack_documents",  # evidence and letters, by SHA-256: insert-only as well
)


def set_up_roles(admin_url: str, schema: str, owner: str, runtime: str) -> None:
    """Creates the two roles if missing (without login passwords: set those separately),
    hands the schema's objects to the owner and grants the runtime role its rights.
    Run as a superuser, after the tables exist; running it again is harmless."""
    s, o, r = Identifier(schema), Identifier(owner), Identifier(runtime)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for role in (owner, runtime):
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            if not exists:
                conn.execute(SQL("CREATE ROLE {0} LOGIN").format(Identifier(role)))
        conn.execute(SQL("ALTER SCHEMA {0} OWNER TO {1}").format(s, o))
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
            )
        ]
        for table in tables:
            conn.execute(SQL("ALTER TABLE {0}.{1} OWNER TO {2}").format(s, Identifier(table), o))
        conn.execute(SQL("GRANT USAGE ON SCHEMA {0} TO {1}").format(s, r))
        conn.execute(SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {0} TO {1}").format(s, r))
        conn.execute(SQL("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {0} TO {1}").format(s, r))
        for table in tables:
            t = Identifier(table)
            if table in APPEND_ONLY_TABLES:
                conn.execute(SQL("REVOKE ALL ON {0}.{1} FROM {2}").format(s, t, r))
                conn.execute(SQL("GRANT SELECT, INSERT ON {0}.{1} TO {2}").format(s, t, r))
            else:  # read models, tracking, and the like: rebuilt and rewritten freely
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
        conn.execute(SQL("ALTER FUNCTION {0}.rectrack_append_only() OWNER TO {1}").format(s, o))
        for table in APPEND_ONLY_TABLES:
            if table in tables:
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
