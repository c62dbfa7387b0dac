"""Reading the event log as leaf hashes of the transparency log (services/adapters/
transparency.py), fast: a first checkpoint reads every event ever recorded. Two ways,
for two levels of trust: `read_leaves` hashes every event here, from the binary COPY
stream (what verification uses: nothing the database computed is believed);
`read_leaf_records` lets the server hash them (what a checkpoint uses: it signs the log
as the database shows it at that moment anyway)."""

from __future__ import annotations

import contextlib
import hashlib
import queue
import struct
import threading
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg.sql import SQL, Identifier, Literal

_sha256 = hashlib.sha256


class TransparencyError(Exception):
    """The checkpoint file, its leaf record or a proof file cannot be used as it is."""


_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00"
_FIXED = struct.Struct(">hiqi16xiqi")  # fields, then position, id, version, topic length
_LENGTH = struct.Struct(">i")


def read_leaves(
    conn: psycopg.Connection[Any], schema: str, *, after: int = 0
) -> Iterator[tuple[int, bytes]]:
    """(position, leaf hash) in notification order, as event_leaf() makes them.

    The columns come as PostgreSQL's binary COPY, whose field encodings are the leaf's
    own (big-endian int8, the uuid's 16 bytes, int4 length then UTF-8 topic), so the
    leaf is hashed from slices of the stream with no per-row conversion: this is what
    makes a first checkpoint over a million events take seconds, not minutes."""
    query = SQL(
        "COPY (SELECT notification_id, originator_id, originator_version, topic, state "
        "FROM {0}.rectrack_events WHERE notification_id > {1} ORDER BY notification_id) "
        "TO STDOUT (FORMAT BINARY)"
    ).format(Identifier(schema), Literal(int(after)))
    base = _sha256(b"\x00")
    fixed, length = _FIXED.unpack_from, _LENGTH.unpack_from
    carry = b""
    started = False
    with conn.cursor().copy(query) as copy:
        for block in copy:
            data = carry + bytes(block) if carry else bytes(block)
            view = memoryview(data)
            offset = 0
            if not started:
                if len(data) < 19:
                    carry = data
                    continue
                if data[:11] != _COPY_HEADER:
                    raise TransparencyError("the database's COPY output is not PGCOPY")
                offset, started = 19 + length(data, 15)[0], True
            end = len(data)
            while end - offset >= 50:
                fields, _, position, _, _, _, topic_length = fixed(view, offset)
                if fields != 5:
                    raise TransparencyError(f"unexpected COPY tuple of {fields} fields")
                state_at = offset + 50 + topic_length
                if end - state_at < 4:
                    break
                state_length = length(view, state_at)[0]
                stop = state_at + 4 + state_length
                if stop > end:
                    break
                h = base.copy()
                h.update(view[offset + 6 : offset + 14])
                h.update(view[offset + 18 : offset + 34])
                h.update(view[offset + 38 : state_at])
                h.update(view[state_at + 4 : stop])
                yield position, h.digest()
                offset = stop
            view.release()
            carry = data[offset:]
    if carry not in (b"", b"\xff\xff"):
        raise TransparencyError("the database's COPY output ended mid-row")


def read_leaf_records(
    conn: psycopg.Connection[Any], schema: str, *, after: int = 0, group: int = 16384
) -> Iterator[bytes]:
    """The leaf record of the events after `after`, in blocks of the events of `group`
    consecutive positions, each entry (position, leaf hash) packed as `.leaves` keeps
    them, with the leaf hashes computed by the server (event_leaf()'s bytes, SHA-256 in
    C, 40 bytes an event on the wire). One query per block, each over a range of the
    index, so the server neither sorts the whole log nor spills to disk.

    Only for extending the tree: what a checkpoint signs is the log as the database shows
    it at that moment anyway, and a server lying about a hash makes the next verify fail,
    because verify_log hashes every event itself (read_leaves). `conn` must hold one
    snapshot (connect_snapshot) so that the blocks agree."""
    table = SQL("{0}.rectrack_events").format(Identifier(schema))
    row = conn.execute(SQL("SELECT max(notification_id) FROM {0}").format(table)).fetchone()
    last = int(row[0]) if row and row[0] is not None else 0
    query = SQL(
        "SELECT string_agg(int8send(notification_id) || sha256('\\x00'::bytea "
        "|| int8send(notification_id) || uuid_send(originator_id) "
        "|| int8send(originator_version) || int4send(octet_length(convert_to(topic, 'UTF8'))) "
        "|| convert_to(topic, 'UTF8') || state), ''::bytea ORDER BY notification_id) "
        "FROM {0} WHERE notification_id > %s AND notification_id <= %s"
    ).format(table)
    blocks: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=4)

    def fetch() -> None:
        # The server hashes the next block while the caller builds the tree from this one.
        try:
            with conn.cursor(binary=True) as curs:
                for low in range(after, last, group):
                    found = curs.execute(query, (low, low + group)).fetchone()
                    if found and found[0] is not None:
                        blocks.put(bytes(found[0]))
            blocks.put(None)
        except BaseException as error:  # handed to the caller, raised there
            blocks.put(error)

    fetcher = threading.Thread(target=fetch, name="transparency-fetch", daemon=True)
    fetcher.start()
    try:
        while (block := blocks.get()) is not None:
            if isinstance(block, BaseException):
                raise block
            yield block
    finally:
        while fetcher.is_alive():  # a caller that stopped early: let the fetcher finish
            with contextlib.suppress(queue.Empty):
                blocks.get(timeout=0.1)
