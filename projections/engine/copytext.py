"""Rows as lines of PostgreSQL's COPY text format, built in bulk.

A rebuild writes about a million rows. psycopg's `write_row` adapts each value through
its generic dumpers one at a time; joining pre-formatted lines and writing them in large
strings costs a fraction of that, and the text format lets PostgreSQL parse jsonb and
arrays itself. Values are the handlers' plain values (projections/base.py): strings for
ids and dates, lists for arrays, dicts and lists for jsonb.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import psycopg
from psycopg.sql import SQL, Composed, Identifier

from projections.base import Row, Table

NULL = "\\N"


def text(value: Any) -> str:
    """A string escaped for COPY text format (backslash, tab, newline, carriage return)."""
    if type(value) is not str:
        value = str(value)
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return value


def jsonb(value: Any) -> str:
    # orjson escapes every control character, so only backslashes need doubling.
    encoded = orjson.dumps(value).decode()
    return encoded.replace("\\", "\\\\") if "\\" in encoded else encoded


def uuid_text(raw: bytes) -> str:
    """A uuid's 16 bytes as its text (str(UUID(bytes=raw)) at a quarter of the cost, for
    the hundreds of thousands of ids a rebuild writes)."""
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def text_array(values: list[str]) -> str:
    if not values:
        return "{}"
    quoted = ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
    return text("{" + quoted + "}")


def boolean(value: Any) -> str:
    return "t" if value else "f"


def plain(value: Any) -> str:
    """ids, dates, timestamps and numbers: their str() never needs escaping."""
    return str(value)


_BY_TYPE: dict[str, Callable[[Any], str]] = {
    "text": text,
    "jsonb": jsonb,
    "json": jsonb,  # the same text
    "text[]": text_array,
    "boolean": boolean,
}


def converter(sql_type: str) -> Callable[[Any], str]:
    return _BY_TYPE.get(sql_type, plain)


def encoder(
    table: Table, *, arguments: str = "row", terms: dict[str, str] | None = None
) -> Callable[..., str]:
    """row -> one COPY line (with its newline), columns in `table.columns` order.

    The function is generated for the table, one f-string with a term per column, so
    that ids, dates and numbers (most columns) are formatted inline rather than through
    a converter call each: the status view's 54 columns for 150,000 rows add up.
    `arguments` and `terms` (a Python expression per column over those arguments, else
    `row.get(column)`) let a caller format its own objects without building a dict per
    row first (engine/bulk.py: a recommendation's fields and record)."""
    parts = []
    namespace: dict[str, Any] = {"NULL": NULL}
    for index, (column, sql_type) in enumerate(table.columns.items()):
        value = (terms or {}).get(column, f'row.get("{column}")')
        convert = _BY_TYPE.get(sql_type)
        if convert is None:
            # str() of these never needs escaping; f-string formatting is str().
            parts.append(f"{{NULL if (v{index} := {value}) is None else v{index}}}")
        else:
            namespace[f"convert{index}"] = convert
            parts.append(f"{{NULL if (v{index} := {value}) is None else convert{index}(v{index})}}")
    source = f"def encode({arguments}):\n    return f'" + "\\t".join(parts) + "\\n'\n"
    exec(source, namespace)
    encode: Callable[..., str] = namespace["encode"]
    return encode


def copy_lines(
    conn: psycopg.Connection[Any],
    schema: str,
    table: Table,
    lines: list[str],
    *,
    freeze: bool = True,
) -> None:
    """COPY lines already formatted (encoder()) in large chunks."""
    with conn.cursor() as curs, curs.copy(copy_statement(schema, table, freeze=freeze)) as copy:
        for offset in range(0, len(lines), COPY_CHUNK):
            copy.write("".join(lines[offset : offset + COPY_CHUNK]))


def copy_statement(
    schema: str, table: Table, *, binary: bool = False, freeze: bool = True
) -> Composed:
    options = [o for o, wanted in (("FORMAT binary", binary), ("FREEZE", freeze)) if wanted]
    statement = SQL("COPY {0}.{1} ({2}) FROM STDIN").format(
        Identifier(schema),
        Identifier(table.name),
        SQL(", ").join(Identifier(c) for c in table.columns),
    )
    if options:
        statement += SQL(" WITH ({0})").format(SQL(", ".join(options)))  # type: ignore[arg-type]
    return statement


COPY_CHUNK = 20_000


def copy_rows(
    conn: psycopg.Connection[Any],
    schema: str,
    table: Table,
    rows: list[Row],
    *,
    freeze: bool = True,
) -> None:
    """COPY rows as text lines written in large chunks. `freeze` (the table was created
    in the current transaction): the rows are loaded frozen and all-visible, so
    index-only scans work without a VACUUM first."""
    encode = encoder(table)
    with conn.cursor() as curs, curs.copy(copy_statement(schema, table, freeze=freeze)) as copy:
        for offset in range(0, len(rows), COPY_CHUNK):
            copy.write("".join([encode(row) for row in rows[offset : offset + COPY_CHUNK]]))
