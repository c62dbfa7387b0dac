"""`rectrack audit evidence`: every evidence document an event names is stored, and every
stored document still hashes to its key (services/application/evidence_audit.py)."""

from __future__ import annotations

import argparse
import sys

import structlog

from services.adapters.documents import DocumentStore
from services.adapters.settings import Settings
from services.application.evidence_audit import audit_evidence
from services.application.runtime import build_runtime

log = structlog.get_logger(__name__)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "evidence",
        help="check each evidence document and letter against the SHA-256 its event holds",
    )
    parser.set_defaults(handler=run_evidence)


def run_evidence(args: argparse.Namespace) -> int:
    settings = Settings()
    runtime = build_runtime(settings)
    try:
        store = DocumentStore(runtime.database_url, settings.database_schema)
        audit = audit_evidence(runtime.app, store)
    finally:
        runtime.close()
    for problem in audit.missing:
        print(f"MISSING {problem}", file=sys.stderr)
    for problem in audit.altered:
        print(f"ALTERED {problem}", file=sys.stderr)
    print(
        f"{audit.stored:,} stored document(s), {audit.named:,} named by evidence events, "
        f"{len(audit.unreferenced):,} by none of them"
    )
    if not audit.intact:
        log.error(
            "evidence fails the audit", missing=len(audit.missing), altered=len(audit.altered)
        )
        return 1
    print("every evidence document matches the hash its event holds")
    return 0
