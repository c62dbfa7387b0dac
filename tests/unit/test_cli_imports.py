"""The processes `rectrack up` starts must not load what they never use: importing every
command group (FastAPI in the worker, the spreadsheet and report libraries anywhere) was
most of each process's start (services/cli, `make bench-startup`). A fresh interpreter
per command, so outside the fast tier."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("fastapi", "uvicorn", "openpyxl", "weasyprint", "services.api", "services.demo")
#: what each process of `rectrack up` may load of HEAVY when its command is parsed
ALLOWED: dict[str, set[str]] = {
    "worker": set(),
    "relay": set(),
    "projector": set(),
    "api": {"fastapi", "uvicorn", "services.api"},
}


@pytest.mark.parametrize("command", sorted(ALLOWED))
def test_a_process_of_up_imports_only_what_its_command_needs(command: str) -> None:
    probe = (
        "import json, sys; from services.cli import build_parser; "
        f"build_parser({command!r}); "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert set(json.loads(out)) <= ALLOWED[command]
