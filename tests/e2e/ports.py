"""A free TCP port on the loopback interface, for servers the end-to-end tests start.

Picked below the kernel's ephemeral range (/proc/sys/net/ipv4/ip_local_port_range): a
port the kernel hands out may be taken, a moment after we found it free, as the local end
of any outgoing connection (to PostgreSQL, to Temporal), and the server's bind then fails
with "address already in use" though nothing listens there (services/dev_temporal.py)."""

from __future__ import annotations

import random
import socket
from pathlib import Path

#: The lowest port tried; below it lie the well-known and commonly configured ones.
LOWEST = 10_000


def ephemeral_start() -> int:
    """The first port of the kernel's ephemeral range (32768 where it cannot be read)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768


def free_port() -> int:
    top = ephemeral_start()
    if top - LOWEST < 1_000:  # a range that leaves no room below it: let the kernel pick
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])
    for _ in range(200):
        port = random.randrange(LOWEST, top)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port between {LOWEST} and {top}")
