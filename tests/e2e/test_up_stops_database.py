"""Stopping `rectrack up` stops the embedded PostgreSQL too: after Ctrl-C even when an
earlier run was killed (the wheel then keeps the killed process on its list of holders
and its own exit handler stops nothing), and after a SIGTERM that arrives while `up` is
still starting (which used to end the process before any exit handler ran)."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

import psutil
import pytest

from tests.e2e.test_up import CLI, Up, up_environment
from tests.ports import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.temporal]

# Starts the embedded server and dies without running exit handlers, as a killed `up`.
CRASHED_RUN = (
    "import os, sys; from pathlib import Path; "
    "from services.adapters.database import start_embedded_postgres; "
    "start_embedded_postgres(Path(sys.argv[1])); os._exit(0)"
)


def postmaster(data_dir: Path) -> psutil.Process | None:
    """The embedded server of data_dir, if one runs."""
    try:
        pid = int((data_dir / "postgres" / "postmaster.pid").read_text().splitlines()[0])
        process = psutil.Process(pid)
    except (OSError, ValueError, psutil.NoSuchProcess):
        return None
    return process if process.is_running() and process.name() == "postgres" else None


def gone(process: psutil.Process, timeout: float = 30.0) -> bool:
    try:
        process.wait(timeout)
    except psutil.TimeoutExpired:
        return False
    return True


def test_ctrl_c_stops_the_database_even_after_a_killed_run(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    subprocess.run([sys.executable, "-c", CRASHED_RUN, str(data_dir)], check=True, timeout=120)
    left_over = postmaster(data_dir)
    assert left_over is not None, "the killed run should have left its server running"
    up = Up(data_dir, free_port(), free_port())
    server = postmaster(data_dir)
    assert server is not None and server.pid == left_over.pid  # `up` took it over
    code = up.stop()
    stopped = gone(server, 30)
    if not stopped:
        server.send_signal(signal.SIGQUIT)  # leave nothing behind
    assert code == 0, "".join(up.output[-30:])
    assert stopped, "the embedded PostgreSQL is still running after `up` stopped"
    assert "rectrack: database stopped" in "".join(up.output)


def test_sigterm_while_starting_stops_the_database(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    process = subprocess.Popen(
        [sys.executable, "-c", CLI, "up"],
        env=up_environment(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    ready = threading.Event()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if "database ready" in line:
                ready.set()

    threading.Thread(target=pump, daemon=True).start()
    assert ready.wait(120), "".join(output)
    server = postmaster(data_dir)
    assert server is not None
    # Temporal is being started now: `up` has not printed its banner yet.
    process.send_signal(signal.SIGTERM)
    process.wait(90)
    stopped = gone(server, 30)
    if not stopped:
        server.send_signal(signal.SIGQUIT)
    assert stopped, "SIGTERM during start left the embedded PostgreSQL running:\n" + "".join(
        output[-20:]
    )
    assert not any("rectrack is running at" in line for line in output)
    assert "rectrack: stopped" in "".join(output)
