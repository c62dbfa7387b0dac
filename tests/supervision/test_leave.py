"""How a `rectrack` process ends once its command returns (services/cli `leave`): with the
command's code, its exit functions run and its output flushed, whether or not Temporal's
bridge (whose threads made a cleanly stopped worker die in the interpreter's teardown)
was loaded."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = """
import atexit, sys
{load}
atexit.register(lambda: print("exit functions ran", flush=True))
sys.stdout.write("said before leaving")  # no newline, no flush: buffered
sys.stderr.write("and on stderr")
from services.cli import leave
leave(3)
"""


@pytest.mark.parametrize(
    "load", ["import temporalio.bridge.temporal_sdk_bridge", "pass"], ids=["bridge", "no bridge"]
)
def test_leave_ends_with_the_code_after_the_exit_functions_and_flushed_output(load: str) -> None:
    ended = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(load=load)],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert ended.returncode == 3, ended.stderr
    assert ended.stdout == "said before leavingexit functions ran\n"
    assert "and on stderr" in ended.stderr
