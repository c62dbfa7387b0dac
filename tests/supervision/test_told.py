"""`rectrack up` starts its processes before the database is up (services/stack.py): each
imports its command's modules, then reads its environment as one JSON line on stdin
(services/cli main_when_told). The line's settings are the ones the command runs with;
a process whose `up` ended before telling it exits without running."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from services.application.store import Rectrack
from services.stack import CLI_ENTRY


def told(arguments: list[str], line: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECTRACK_DATABASE")}
    return subprocess.run(
        [sys.executable, "-c", CLI_ENTRY, *arguments],
        input=line,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_command_runs_with_the_environment_read_on_stdin(
    app: Rectrack, database_url: str, schema: str
) -> None:
    line = json.dumps({"RECTRACK_DATABASE_URL": database_url, "RECTRACK_DATABASE_SCHEMA": schema})
    done = told(["projections", "status"], line + "\n")
    assert done.returncode == 0, done.stderr
    assert "log position: 0" in done.stdout


def test_without_a_line_the_process_ends_without_running() -> None:
    done = told(["projections", "status"], "")
    assert done.returncode == 1
    assert "log position" not in done.stdout
