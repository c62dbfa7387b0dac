"""A process tells whoever started it that it is ready, the moment it is: systemd's notify
protocol (one `READY=1` datagram to the unix socket named in NOTIFY_SOCKET), so that
`rectrack up` waits for an event instead of polling each child, and the same processes
under systemd (`Type=notify`) need nothing else. Without NOTIFY_SOCKET nothing is sent."""

from __future__ import annotations

import contextlib
import os
import select
import socket
import time
from collections.abc import Callable, Iterable, Iterator

NOTIFY_VARIABLE = "NOTIFY_SOCKET"
READY = b"READY=1"


def _address(name: str) -> str:
    # systemd's spelling of a Linux abstract socket: no file to clean up, no path limit.
    return "\0" + name[1:] if name.startswith("@") else name


def notify_ready() -> None:
    """Sends READY=1 to NOTIFY_SOCKET, if set. Never blocks and never fails the process: a
    supervisor that stopped listening (a restarted child) just does not hear it."""
    target = os.environ.get(NOTIFY_VARIABLE)
    if not target:
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock, contextlib.suppress(OSError):
        sock.sendto(READY, socket.MSG_DONTWAIT, _address(target))


class ReadyListener:
    """One notify socket per child name, on the abstract namespace (Linux), for the time
    of a start: `environment(name)` is what the child gets, `wait` returns as each child
    says it is ready."""

    def __init__(self, prefix: str, names: Iterable[str]) -> None:
        self._sockets: dict[socket.socket, str] = {}
        self._names: dict[str, str] = {}
        for name in names:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            address = f"@{prefix}-{os.getpid()}-{name}"
            sock.bind(_address(address))
            self._sockets[sock] = name
            self._names[name] = address

    def environment(self, name: str) -> dict[str, str]:
        """What the child `name` is told; nothing for a child this does not listen for."""
        return {NOTIFY_VARIABLE: self._names[name]} if name in self._names else {}

    def wait(
        self,
        expect: Iterable[str],
        timeout: float,
        *,
        probe: Callable[[str], bool] = lambda name: False,
        check: Callable[[], object] = lambda: None,
        tick: float = 0.05,
    ) -> Iterator[str]:
        """Yields each name of `expect` once it is ready: a child with a socket here when
        it says READY=1, any other when `probe(name)` is true (a port answering; asked
        every `tick`). `check` runs every tick and may raise (a child died). TimeoutError
        names the ones still waited for."""
        waiting = set(expect)
        deadline = time.monotonic() + timeout
        while waiting:
            check()
            listening = [sock for sock, name in self._sockets.items() if name in waiting]
            readable = select.select(listening, [], [], tick)[0]
            ready = [self._sockets[sock] for sock in readable if sock.recv(64).startswith(READY)]
            ready += [name for name in waiting - set(self._names) if probe(name)]
            for name in ready:
                if name in waiting:
                    waiting.discard(name)
                    yield name
            if waiting and time.monotonic() > deadline:
                raise TimeoutError(
                    f"{', '.join(sorted(waiting))} did not become ready within {timeout:.0f} s"
                )

    def close(self) -> None:
        for sock in self._sockets:
            sock.close()
        self._sockets.clear()
