"""A signed transparency log over the event log (the construction of RFC 9162, Certificate
Transparency): what makes the record trustworthy against someone who can write to the
database, a superuser included.

- Every stored event, in notification (global) order, is a leaf of an RFC 9162 Merkle
  tree (services/adapters/merkle.py). The leaf covers its position, aggregate id, version,
  topic and stored state bytes; the state holds the event's recording timestamp, and is
  the ciphertext when encryption is on, so nothing here needs the encryption key.
- A checkpoint extends the tree with the events recorded since the previous one (nothing
  is rebuilt, nothing runs on the write path), signs (tree size, root hash, last position,
  time) with an Ed25519 key kept outside the database, and appends the signed head as one
  JSON line to a checkpoint file outside the database. Beside it, `<file>.leaves` keeps the
  position and leaf hash of every checkpointed event (40 bytes each): it is what lets
  `verify` name the first position at fault, and it is itself checked against the signed
  roots before it is believed. Each head names the key that signed it (key_id); keys
  rotate (services/adapters/signing.py). The worker checkpoints on a timer
  (workflows/checkpoint_schedule.py).
- `verify_log` recomputes every leaf from the events as they are now and proves that the
  log is an append-only extension of every signed head (RFC 9162 consistency proofs).
  Nothing stored in the database is trusted, and no hash is kept there at all
  (services/adapters/leaf_stream.py hashes every event here). `prove` writes a
  recommendation's events with inclusion proofs against a signed head, and `check_proof`
  verifies such a file with the public key alone.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import struct
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from psycopg.sql import SQL, Identifier

from services.adapters.leaf_stream import TransparencyError, read_leaf_records, read_leaves
from services.adapters.merkle import Frontier, Levels, leaf_hash, verify_consistency
from services.adapters.signing import is_valid, key_id

HEAD_CONTEXT = b"rectrack signed tree head v1\n"
PROOF_FORMAT = "rectrack-inclusion-proof/1"
_RECORD = struct.Struct(">q32s")


def event_leaf(position: int, aggregate_id: UUID, version: int, topic: str, state: bytes) -> bytes:
    topic_bytes = topic.encode("utf-8")
    return leaf_hash(
        position.to_bytes(8, "big", signed=True)
        + aggregate_id.bytes
        + version.to_bytes(8, "big", signed=True)
        + len(topic_bytes).to_bytes(4, "big")
        + topic_bytes
        + state
    )


@dataclass(frozen=True)
class TreeHead:
    tree_size: int
    root: bytes
    last_position: int
    timestamp: str

    def to_json(self) -> dict[str, Any]:
        return {
            "tree_size": self.tree_size,
            "root": self.root.hex(),
            "last_position": self.last_position,
            "timestamp": self.timestamp,
        }

    def message(self) -> bytes:
        """The bytes signed: a context string and the head as canonical JSON."""
        return HEAD_CONTEXT + json.dumps(
            self.to_json(), sort_keys=True, separators=(",", ":")
        ).encode("ascii")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TreeHead:
        return cls(
            int(data["tree_size"]),
            bytes.fromhex(data["root"]),
            int(data["last_position"]),
            str(data["timestamp"]),
        )


@dataclass(frozen=True)
class SignedHead:
    head: TreeHead
    key_id: str
    signature: bytes
    frontier: list[bytes] = field(default_factory=list)

    def signed_json(self) -> dict[str, Any]:
        return {
            "head": self.head.to_json(),
            "key_id": self.key_id,
            "signature": base64.b64encode(self.signature).decode("ascii"),
        }

    def line(self) -> str:
        data = self.signed_json() | {"frontier": [p.hex() for p in self.frontier]}
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SignedHead:
        return cls(
            TreeHead.from_json(data["head"]),
            str(data["key_id"]),
            base64.b64decode(data["signature"], validate=True),
            [bytes.fromhex(p) for p in data.get("frontier", [])],
        )

    def signed_by(self, key: Ed25519PublicKey) -> bool:
        return is_valid(key, self.signature, self.head.message())


PublicKeys = Ed25519PublicKey | Sequence[Ed25519PublicKey]


def signature_problem(signed: SignedHead, keys: PublicKeys) -> str | None:
    """None when the head is signed by the key it names and that key is among `keys`."""
    ring = {key_id(k): k for k in ([keys] if isinstance(keys, Ed25519PublicKey) else keys)}
    key = ring.get(signed.key_id)
    if key is None:
        return (
            f"signature not valid for the given public keys: signed by unknown key "
            f"{signed.key_id} (known: {', '.join(ring) or 'none'})"
        )
    if not signed.signed_by(key):
        return f"signature not valid for key {signed.key_id}"
    return None


def read_checkpoints(path: Path) -> list[SignedHead]:
    if not path.exists():
        return []
    heads: list[SignedHead] = []
    for number, text in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            heads.append(SignedHead.from_json(json.loads(text)))
        except (ValueError, KeyError, TypeError) as error:
            raise TransparencyError(f"{path} line {number} is not a signed head: {error}") from None
    return heads


def leaves_path(checkpoint_file: Path) -> Path:
    return checkpoint_file.with_name(checkpoint_file.name + ".leaves")


def read_leaf_record(checkpoint_file: Path) -> tuple[array[int], list[bytes]]:
    """(positions, leaf hashes) of every checkpointed event, as recorded outside the database."""
    path = leaves_path(checkpoint_file)
    data = path.read_bytes() if path.exists() else b""
    positions: array[int] = array("q")
    hashes: list[bytes] = []
    for position, digest in _RECORD.iter_unpack(data[: len(data) // _RECORD.size * _RECORD.size]):
        positions.append(position)
        hashes.append(digest)
    return positions, hashes


def read_events(
    conn: psycopg.Connection[Any], schema: str, *, after: int = 0, aggregate: UUID | None = None
) -> Iterator[tuple[int, UUID, int, str, bytes]]:
    table = SQL("{0}.rectrack_events").format(Identifier(schema))
    where = SQL("originator_id = %s") if aggregate else SQL("notification_id > %s")
    query = SQL(
        "SELECT notification_id, originator_id, originator_version, topic, state "
        "FROM {0} WHERE {1} ORDER BY notification_id"
    ).format(table, where)
    with conn.cursor(name="transparency_events", binary=True) as curs:
        curs.itersize = 20_000
        curs.execute(query, (aggregate if aggregate else after,))
        for position, oid, version, topic, state in curs:
            yield int(position), oid, int(version), topic, bytes(state)


def _event_at(conn: psycopg.Connection[Any], schema: str, position: int) -> str:
    row = conn.execute(
        SQL(
            "SELECT originator_id, originator_version FROM {0}.rectrack_events "
            "WHERE notification_id = %s"
        ).format(Identifier(schema)),
        (position,),
    ).fetchone()
    return "" if row is None else f"aggregate {row[0]} version {row[1]}"


def connect_snapshot(database_url: str) -> psycopg.Connection[Any]:
    conn = psycopg.connect(database_url)
    conn.execute("SET statement_timeout = 0")
    # One snapshot for the whole read, so the count and the events agree.
    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    return conn


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One checkpoint at a time per file (the worker's schedule and an operator's command)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _append(path: Path, data: bytes) -> None:
    with open(path, "ab") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def checkpoint(
    database_url: str,
    schema: str,
    key: Ed25519PrivateKey,
    checkpoint_file: Path,
    *,
    only_when_new: bool = False,
    known_keys: Sequence[Ed25519PublicKey] = (),
) -> SignedHead:
    """Extends the tree with the events recorded since the last signed head, signs the new
    head and appends it (and the new leaves) to the files outside the database. With
    `only_when_new`, no events since the last head append nothing (it is returned). The
    last head must be signed by this key or one of `known_keys` (the keys it replaced)."""
    public = key.public_key()
    with _locked(checkpoint_file):
        heads = read_checkpoints(checkpoint_file)
        frontier, last_position = Frontier(), 0
        if heads:
            last = heads[-1]
            problem = signature_problem(last, [public, *known_keys])
            if problem:
                raise TransparencyError(
                    f"the last head in {checkpoint_file}: {problem}; this key is {key_id(public)}"
                )
            frontier = Frontier(last.head.tree_size, list(last.frontier))
            if frontier.root() != last.head.root:
                raise TransparencyError(f"the last head in {checkpoint_file} is damaged")
            last_position = last.head.last_position
        record = leaves_path(checkpoint_file)
        expected = frontier.size * _RECORD.size
        have = record.stat().st_size if record.exists() else 0
        if have < expected:
            raise TransparencyError(f"{record} is shorter than the last signed head")
        if have > expected:  # a checkpoint interrupted before it signed: redo its leaves
            os.truncate(record, expected)
        chunk = bytearray()
        with connect_snapshot(database_url) as conn:
            for block in read_leaf_records(conn, schema, after=last_position):
                frontier.extend(block[i + 8 : i + 40] for i in range(0, len(block), 40))
                chunk += block
        if chunk:
            last_position = _RECORD.unpack_from(chunk, len(chunk) - _RECORD.size)[0]
        if only_when_new and heads and frontier.size == heads[-1].head.tree_size:
            return heads[-1]
        _append(record, bytes(chunk))
        head = TreeHead(
            frontier.size,
            frontier.root(),
            last_position,
            datetime.now(UTC).isoformat(timespec="seconds"),
        )
        signed = SignedHead(head, key_id(public), key.sign(head.message()), frontier.peaks)
        _append(checkpoint_file, (signed.line() + "\n").encode("utf-8"))
        return signed


@dataclass
class Verification:
    events: int
    checkpoints: int
    faults: list[str] = field(default_factory=list)
    first_position: int | None = None

    @property
    def ok(self) -> bool:
        return not self.faults


def _describe(
    i: int,
    recorded: array[int],
    db_positions: array[int],
    conn: psycopg.Connection[Any],
    schema: str,
) -> tuple[int, str]:
    expected = recorded[i]
    if i >= len(db_positions):
        return expected, f"position {expected}: missing (deleted, or the log's tail truncated)"
    found = db_positions[i]
    where = f"(the log has {_event_at(conn, schema, found)} there)"
    if found == expected:
        return expected, f"position {expected}: altered or reordered {where}"
    if found > expected:
        return expected, f"position {expected}: deleted or moved; position {found} follows {where}"
    return found, f"position {found}: inserted, not in the signed log {where}"


def verify_log(
    database_url: str, schema: str, checkpoint_file: Path, public_key: PublicKeys
) -> Verification:
    """Whether the log now is an append-only extension of every signed head in the file,
    each signed by the key it names, one of `public_key` (one key, or all of them)."""
    heads = read_checkpoints(checkpoint_file)
    if not heads:
        raise TransparencyError(f"no signed heads in {checkpoint_file}")
    db_positions: array[int] = array("q")
    db_leaves: list[bytes] = []
    conn = connect_snapshot(database_url)
    for position, leaf in read_leaves(conn, schema):
        db_positions.append(position)
        db_leaves.append(leaf)
    tree = Levels(db_leaves)
    root = tree.root()
    report = Verification(len(db_leaves), len(heads))
    valid: list[tuple[int, SignedHead]] = []
    for number, signed in enumerate(heads, start=1):
        problem = signature_problem(signed, public_key)
        if problem is None:
            valid.append((number, signed))
        else:
            report.faults.append(f"checkpoint {number}: {problem}")
    # The leaf record outside the database, believed only as far as the signed roots vouch.
    recorded, recorded_leaves = read_leaf_record(checkpoint_file)
    vouched = Levels(recorded_leaves)
    trusted = 0
    for _, signed in valid:
        size = signed.head.tree_size
        if size <= len(vouched) and vouched.root(size) == signed.head.root:
            trusted = max(trusted, size)
    first_bad: int | None = None
    for i in range(min(trusted, len(db_leaves))):
        if db_leaves[i] != recorded_leaves[i]:
            first_bad = i
            break
    else:
        if trusted > len(db_leaves):
            first_bad = len(db_leaves)
    previous = 0
    for number, signed in valid:
        m = signed.head.tree_size
        n = len(db_leaves)
        consistent = m <= n and (
            m == 0 or verify_consistency(m, n, signed.head.root, root, tree.consistency_proof(m))
        )
        if not consistent:
            if first_bad is not None and first_bad < m:
                report.first_position, problem = _describe(
                    first_bad, recorded, db_positions, conn, schema
                )
            else:
                report.first_position = previous + 1
                problem = (
                    f"positions {previous + 1}..{signed.head.last_position}: changed "
                    "(no leaf record to narrow it down)"
                )
            report.faults.append(
                f"checkpoint {number} (size {m}, {signed.head.timestamp}): the log is not an "
                f"append-only extension of it; first fault at {problem}"
            )
            break
        previous = signed.head.last_position
    conn.close()
    return report
