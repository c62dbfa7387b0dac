"""`rectrack audit keygen | checkpoint | verify --checkpoints | prove | check-proof`: the
signed transparency log (services/adapters/transparency.py) from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from services.adapters.database import resolve_database_url
from services.adapters.inclusion import check_proof, prove
from services.adapters.settings import Settings
from services.adapters.signing import (
    SigningKeyError,
    generate_key,
    key_id,
    known_public_keys,
    load_private_key,
    load_public_keys,
    public_keys_path,
    public_text,
    rotate_key,
)
from services.adapters.transparency import TransparencyError, checkpoint, verify_log

log = structlog.get_logger(__name__)

Commands = argparse._SubParsersAction  # type: ignore[type-arg]


def register(commands: Commands) -> None:
    keygen = commands.add_parser("keygen", help="make the key that signs tree heads")
    keygen.add_argument("--key", type=Path, help="where (default: the configured key file)")
    keygen.add_argument(
        "--rotate",
        action="store_true",
        help="retire the key (kept beside it as <key>.<key id>.retired) and make a new one "
        "that signs from now on; earlier heads still verify with the public keys file",
    )
    keygen.set_defaults(handler=run_keygen)

    take = commands.add_parser(
        "checkpoint", help="sign the log's tree head and append it to the checkpoint file"
    )
    take.add_argument("--key", type=Path, help="signing key (default: the configured one)")
    take.add_argument("--checkpoints", type=Path, help="default: the configured file")
    take.set_defaults(handler=run_checkpoint)

    proof = commands.add_parser(
        "prove", help="a recommendation's events with inclusion proofs, for outsiders"
    )
    proof.add_argument("aggregate_id", type=UUID, metavar="ID")
    proof.add_argument("--out", type=Path, help="file to write (default: standard output)")
    proof.add_argument("--checkpoints", type=Path, help="default: the configured file")
    proof.add_argument(
        "--public-key", metavar="KEY", action="append", help="default: the key file's keys"
    )
    proof.add_argument(
        "--no-checkpoint", action="store_true", help="prove against the latest head as it is"
    )
    proof.set_defaults(handler=run_prove)

    check = commands.add_parser(
        "check-proof", help="verify a proof file offline against the public key"
    )
    check.add_argument("file", type=Path, metavar="FILE")
    check.add_argument(
        "--public-key",
        metavar="KEY",
        action="append",
        required=True,
        help="base64, or a file of keys one a line; may be repeated",
    )
    check.set_defaults(handler=run_check_proof)


def add_verify_options(verify: argparse.ArgumentParser) -> None:
    verify.add_argument(
        "--checkpoints",
        type=Path,
        metavar="FILE",
        help="the signed heads to prove the log against (default: the configured file; "
        "give a copy kept outside the database's reach)",
    )
    verify.add_argument(
        "--public-key",
        metavar="KEY",
        action="append",
        help="base64, or a file of keys one a line; may be repeated (default: the key "
        "file's public keys file, every key it has used)",
    )


def _public_keys(settings: Settings, given: list[str] | None) -> list[Ed25519PublicKey]:
    if given:
        return [key for text in given for key in load_public_keys(text)]
    keys = known_public_keys(settings.signing_key_path)
    if not keys:
        raise SigningKeyError(f"no signing key at {settings.signing_key_path}; give --public-key")
    return keys


def _database(settings: Settings) -> str:
    return resolve_database_url(settings)


def run_keygen(args: argparse.Namespace) -> int:
    settings = Settings()
    path = args.key or settings.signing_key_path
    try:
        if args.rotate:
            key, retired = rotate_key(path)
        else:
            key = generate_key(path)
    except SigningKeyError as error:
        print(str(error), file=sys.stderr)
        return 1
    if args.rotate:
        print(f"the old key is retired to {retired} (keep it offline, or destroy it)")
        log.info("audit signing key rotated", key_id=key_id(key.public_key()))
    print(f"signing key written to {path} (keep it outside the database, and a copy offline)")
    print(f"key id {key_id(key.public_key())}; all public keys: {public_keys_path(path)}")
    print(f"public key (give it to whoever checks the log): {public_text(key.public_key())}")
    return 0


def run_checkpoint(args: argparse.Namespace) -> int:
    settings = Settings()
    try:
        key_file = args.key or settings.signing_key_path
        key = load_private_key(key_file)
        signed = checkpoint(
            _database(settings),
            settings.database_schema,
            key,
            args.checkpoints or settings.checkpoint_path,
            known_keys=known_public_keys(key_file),
        )
    except (SigningKeyError, TransparencyError) as error:
        print(str(error), file=sys.stderr)
        return 1
    head = signed.head
    print(f"signed head: {head.tree_size:,} events, root {head.root.hex()}, at {head.timestamp}")
    return 0


def run_verify_log(args: argparse.Namespace, settings: Settings, database_url: str) -> bool:
    """The transparency part of `audit verify`; whether the log checks out."""
    checkpoints = args.checkpoints or settings.checkpoint_path
    if not checkpoints.is_file():
        print(
            f"no signed checkpoints at {checkpoints}: nothing to prove the log against. The "
            "worker signs one every RECTRACK_AUDIT_CHECKPOINT_MINUTES; `rectrack audit "
            "checkpoint` signs one now.",
            file=sys.stderr,
        )
        return False
    try:
        public = _public_keys(settings, args.public_key)
        report = verify_log(database_url, settings.database_schema, checkpoints, public)
    except (SigningKeyError, TransparencyError) as error:
        print(f"BROKEN {error}", file=sys.stderr)
        return False
    for fault in report.faults:
        print(f"BROKEN {fault}", file=sys.stderr)
    if report.ok:
        print(
            f"log of {report.events:,} events extends all {report.checkpoints} signed heads "
            f"(keys {', '.join(key_id(k) for k in public)})"
        )
    else:
        log.error("transparency log broken", first_position=report.first_position)
    return report.ok


def run_prove(args: argparse.Namespace) -> int:
    settings = Settings()
    checkpoints = args.checkpoints or settings.checkpoint_path
    try:
        database_url = _database(settings)
        if not args.no_checkpoint:
            key = load_private_key(settings.signing_key_path)
            known = known_public_keys(settings.signing_key_path)
            checkpoint(database_url, settings.database_schema, key, checkpoints, known_keys=known)
        public = _public_keys(settings, args.public_key)
        document = prove(
            database_url, settings.database_schema, checkpoints, public, args.aggregate_id
        )
    except (SigningKeyError, TransparencyError) as error:
        print(str(error), file=sys.stderr)
        return 1
    text = json.dumps(document, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
        print(f"{len(document['events'])} events with proofs written to {args.out}")
    else:
        print(text)
    return 0


def run_check_proof(args: argparse.Namespace) -> int:
    try:
        public = [key for text in args.public_key for key in load_public_keys(text)]
        document: Any = json.loads(args.file.read_text("utf-8"))
    except (SigningKeyError, OSError, ValueError) as error:
        print(f"{args.file}: {error}", file=sys.stderr)
        return 1
    problems = check_proof(document, public) if isinstance(document, dict) else ["not a proof"]
    for problem in problems:
        print(f"INVALID {problem}", file=sys.stderr)
    if problems:
        return 1
    head = document["signed_head"]["head"]
    print(
        f"{len(document['events'])} events of {document['aggregate_id']} are in the log "
        f"signed at {head['timestamp']} (size {head['tree_size']:,}, root {head['root'][:16]}...)"
    )
    return 0
