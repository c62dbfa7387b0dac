"""`rectrack up`'s Temporal dev server and a port that an outgoing connection holds as its
local port: nothing listens there, so a connect is refused, yet the server cannot bind it
(services/dev_temporal.py). `up` says so before starting the server, and starts the server
again when the port was taken between that check and the server's bind."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from services.adapters.settings import Settings
from services.dev_temporal import dev_server_command, log_size, port_free
from services.stack import Stack, port_open


@contextmanager
def held_as_local_port() -> Iterator[tuple[int, Callable[[], None]]]:
    """A connection whose client end sits on a port of its own: that port, and how to end
    the connection (the server's end first, so the port is left with no TIME_WAIT)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        client = socket.socket()
        client.bind(("127.0.0.1", 0))
        client.connect(server.getsockname())
        accepted, _ = server.accept()

        def end() -> None:
            accepted.close()
            client.recv(1)  # the server's FIN
            client.close()

        try:
            yield client.getsockname()[1], end
        finally:
            if client.fileno() != -1:
                end()


def test_a_port_held_by_a_connection_is_taken_though_a_connect_is_refused() -> None:
    with held_as_local_port() as (port, end):
        assert not port_open("127.0.0.1", port)
        assert not port_free("127.0.0.1", port)
        end()
        assert port_free("127.0.0.1", port)


def test_up_refuses_a_temporal_port_a_server_listens_on(tmp_path: Path) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        settings = Settings(data_dir=tmp_path, temporal_dev_port=port, _env_file=None)  # type: ignore[call-arg]
        stack = Stack(settings, say=lambda line: None)
        with pytest.raises(RuntimeError, match=f"port {port} is taken"):
            stack._launch_temporal()
        assert stack.children == []


def test_up_waits_for_a_temporal_port_a_connection_holds(tmp_path: Path) -> None:
    said: list[str] = []
    with held_as_local_port() as (port, end):

        def say(line: str) -> None:
            said.append(line)
            end()  # the connection ends while `up` waits

        settings = Settings(data_dir=tmp_path, temporal_dev_port=port, _env_file=None)  # type: ignore[call-arg]
        stack = Stack(settings, say=say)
        try:
            stack._launch_temporal()
            stack._wait_for_temporal(port, timeout=120)
            assert port_open("127.0.0.1", port)
        finally:
            stack.stop()
    assert said == [f"rectrack: a connection holds temporal's port {port}; waiting (<= 60 s)"]


def test_temporal_is_started_again_when_its_port_was_taken_as_it_started(tmp_path: Path) -> None:
    said: list[str] = []
    with held_as_local_port() as (port, end):

        def say(line: str) -> None:
            said.append(line)
            if "waiting" in line:
                end()

        settings = Settings(data_dir=tmp_path, temporal_dev_port=port, _env_file=None)  # type: ignore[call-arg]
        stack = Stack(settings, say=say)
        try:
            # What _launch_temporal does once its check passed, and the port was taken since.
            (tmp_path / "temporal").mkdir()
            stack._temporal_log_at = log_size(tmp_path / "logs" / "temporal.log")
            command = dev_server_command(tmp_path / "temporal", port, "default")
            stack._launch("temporal", command, {})
            stack._wait_for_temporal(port, timeout=120)
            assert port_open("127.0.0.1", port)
        finally:
            stack.stop()
    assert said == [
        f"rectrack: temporal's port {port} was taken as it started; again",
        f"rectrack: a connection holds temporal's port {port}; waiting (<= 60 s)",
    ]
