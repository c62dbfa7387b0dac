"""Free TCP ports on the loopback interface, for the servers the tests and the benchmarks
start (shared by both, as tests/builders.py is).

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


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int) -> int:
    """The first of `count` consecutive free ports (the health endpoints of `rectrack up`
    sit at fixed offsets from one setting)."""
    top = ephemeral_start()
    if top - LOWEST < 1_000:  # a range that leaves no room below it: let the kernel pick
        for _ in range(50):
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                first = int(s.getsockname()[1])
            if first + count <= 65_535 and all(_bindable(first + n) for n in range(1, count)):
                return first
        raise RuntimeError(f"no {count} consecutive free ports")
    for _ in range(200):
        first = random.randrange(LOWEST, top - count)
        if all(_bindable(first + n) for n in range(count)):
            return first
    raise RuntimeError(f"no {count} consecutive free ports between {LOWEST} and {top}")


def free_port() -> int:
    return free_ports(1)
