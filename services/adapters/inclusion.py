"""Inclusion proofs for outsiders: one aggregate's events, each with its RFC 9162 audit
path to a signed tree head, in one JSON file that `check_proof` verifies with the public
key alone (no database, no rectrack installation beyond this module and merkle.py)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any
from uuid import UUID

from services.adapters.merkle import Levels, verify_inclusion
from services.adapters.transparency import (
    PROOF_FORMAT,
    PublicKeys,
    SignedHead,
    TransparencyError,
    connect_snapshot,
    event_leaf,
    read_checkpoints,
    read_events,
    read_leaf_record,
    signature_problem,
)


def _state_fields(state: bytes) -> dict[str, str]:
    try:
        return {"state": state.decode("utf-8"), "state_encoding": "utf-8"}
    except UnicodeDecodeError:
        return {"state": base64.b64encode(state).decode("ascii"), "state_encoding": "base64"}


def _state_bytes(event: dict[str, Any]) -> bytes:
    if event["state_encoding"] == "utf-8":
        return str(event["state"]).encode("utf-8")
    if event["state_encoding"] == "base64":
        return base64.b64decode(event["state"], validate=True)
    raise ValueError(f"state_encoding must be utf-8 or base64, not {event['state_encoding']!r}")


def prove(
    database_url: str,
    schema: str,
    checkpoint_file: Path,
    public_key: PublicKeys,
    aggregate_id: UUID,
) -> dict[str, Any]:
    """The aggregate's events with inclusion proofs against the latest signed head."""
    heads = read_checkpoints(checkpoint_file)
    if not heads:
        raise TransparencyError(f"no signed heads in {checkpoint_file} (run: audit checkpoint)")
    signed: SignedHead = heads[-1]
    problem = signature_problem(signed, public_key)
    if problem:
        raise TransparencyError(f"the latest head: {problem}")
    size = signed.head.tree_size
    positions, leaves = read_leaf_record(checkpoint_file)
    if len(leaves) < size:
        raise TransparencyError(f"the leaf record beside {checkpoint_file} is incomplete")
    tree = Levels(leaves[:size])
    if tree.root() != signed.head.root:
        raise TransparencyError(f"the leaf record beside {checkpoint_file} does not match its head")
    index_of = {position: i for i, position in enumerate(positions[:size])}
    events: list[dict[str, Any]] = []
    unsigned: list[int] = []
    with connect_snapshot(database_url) as conn:
        rows = read_events(conn, schema, aggregate=aggregate_id)
        for position, oid, version, topic, state in rows:
            if position > signed.head.last_position:
                unsigned.append(version)
                continue
            index = index_of.get(position)
            leaf = event_leaf(position, oid, version, topic, state)
            if index is None or leaves[index] != leaf:
                raise TransparencyError(
                    f"position {position} (version {version}) differs from the signed log; "
                    "run: rectrack audit verify --checkpoints"
                )
            events.append(
                {
                    "position": position,
                    "aggregate_id": str(oid),
                    "version": version,
                    "topic": topic,
                    **_state_fields(state),
                    "leaf_index": index,
                    "proof": [p.hex() for p in tree.inclusion_proof(index)],
                }
            )
    if not events and not unsigned:
        raise TransparencyError(f"no events of {aggregate_id} in the log")
    return {
        "format": PROOF_FORMAT,
        "aggregate_id": str(aggregate_id),
        "signed_head": signed.signed_json(),
        "events": events,
        "versions_not_yet_signed": unsigned,
    }


def check_proof(document: dict[str, Any], public_key: PublicKeys) -> list[str]:
    """Every problem with a proof file; empty when every event is in the signed log."""
    if document.get("format") != PROOF_FORMAT:
        return [f"format must be {PROOF_FORMAT!r}, not {document.get('format')!r}"]
    try:
        signed = SignedHead.from_json(document["signed_head"])
    except (KeyError, ValueError, TypeError) as error:
        return [f"signed_head: not a signed head ({error})"]
    problem = signature_problem(signed, public_key)
    if problem:
        return [f"signed_head: {problem}"]
    head = signed.head
    problems: list[str] = []
    versions: list[int] = []
    for number, event in enumerate(document.get("events", []), start=1):
        try:
            leaf = event_leaf(
                int(event["position"]),
                UUID(event["aggregate_id"]),
                int(event["version"]),
                str(event["topic"]),
                _state_bytes(event),
            )
            proof = [bytes.fromhex(p) for p in event["proof"]]
            index = int(event["leaf_index"])
        except (KeyError, ValueError, TypeError) as error:
            problems.append(f"event {number}: malformed ({error})")
            continue
        if event["aggregate_id"] != document.get("aggregate_id"):
            problems.append(f"event {number}: of another aggregate")
        if not verify_inclusion(leaf, index, head.tree_size, proof, head.root):
            problems.append(
                f"event {number} (position {event['position']}, version {event['version']}): "
                "not in the signed log as given (altered, or a wrong proof)"
            )
        versions.append(int(event["version"]))
    if not versions:
        problems.append("no events")
    elif versions != list(range(1, len(versions) + 1)):
        problems.append(f"versions are not 1..{len(versions)} in order: {versions}")
    return problems
