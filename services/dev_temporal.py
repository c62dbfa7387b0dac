"""The Temporal dev server `rectrack up` runs: its command line, whether its port is free,
how to tell that it failed because the port was taken, and waiting for ports.

A port can be taken without anything listening on it: an outgoing connection (to
PostgreSQL, to another Temporal, an HTTP client) holds its local port, picked from the
ephemeral range (/proc/sys/net/ipv4/ip_local_port_range, 32768-60999 by default), and
the server's bind on that port then fails ("address already in use") though a connect
to it is refused. The tests and benchmarks give `up` a port of that range, found free a
moment before; on a busy machine a connection took it in between once (#16)."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

#: What the dev server says when it cannot listen on its port.
BIND_FAILED = b"address already in use"


def wait_until(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.2) -> None:
    """Polls `check` until it is true; raises TimeoutError naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not become ready within {timeout:.0f} s")
        threading.Event().wait(interval)


def port_open(host: str, port: int) -> bool:
    """Whether a server answers on the port."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def port_free(host: str, port: int) -> bool:
    """Whether a server could listen on `port`: bound here with SO_REUSEADDR, as the dev
    server (Go) binds, so a port an outgoing connection holds counts as taken and one
    left in TIME_WAIT by a server that stopped counts as free."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def dev_server_command(data_dir: Path, port: int, namespace: str) -> list[str]:
    """The dev server on 127.0.0.1:`port`, its state in data_dir/temporal.db."""
    binary = Path(sys.executable).with_name("temporal")
    return [
        str(binary) if binary.exists() else "temporal",
        "server",
        "start-dev",
        "--db-filename",
        str(data_dir / "temporal.db"),
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--namespace",
        namespace,
        "--headless",
        "--log-level",
        "warn",
    ]


def log_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def bind_failed(log: Path, since: int) -> bool:
    """Whether the dev server's log, from byte `since` on (this run's lines), says its
    port was taken."""
    try:
        with log.open("rb") as lines:
            lines.seek(since)
            return BIND_FAILED in lines.read()
    except OSError:
        return False
