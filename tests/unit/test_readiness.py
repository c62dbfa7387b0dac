"""Readiness by event (services/adapters/readiness.py): a child that marks itself ready
is heard at once by the listener `rectrack up` holds, through NOTIFY_SOCKET; one that
never does times out naming it; a process started without NOTIFY_SOCKET sends nothing."""

from __future__ import annotations

import subprocess
import sys

import pytest

from services.adapters.health import Health
from services.adapters.readiness import NOTIFY_VARIABLE, ReadyListener

MARK_READY = (
    "from services.adapters.health import Health; import time; time.sleep(0.2); "
    "Health('worker').mark_ready()"
)


def test_a_child_marking_itself_ready_is_heard_and_a_probe_answers_for_another() -> None:
    listener = ReadyListener("rectrack-test", ["worker", "relay"])
    try:
        env = {"PATH": "/usr/bin:/bin", **listener.environment("worker")}
        child = subprocess.Popen([sys.executable, "-c", MARK_READY], env=env)
        heard = list(listener.wait(["worker", "api"], 60, probe=lambda name: name == "api"))
        assert child.wait(30) == 0
    finally:
        listener.close()
    assert sorted(heard) == ["api", "worker"]
    assert listener.environment("api") == {}


def test_a_child_that_never_says_ready_times_out_by_name() -> None:
    listener = ReadyListener("rectrack-test", ["relay"])
    try:
        with pytest.raises(TimeoutError, match="relay did not become ready"):
            list(listener.wait(["relay"], 0.3))
    finally:
        listener.close()


def test_a_dead_child_stops_the_wait() -> None:
    listener = ReadyListener("rectrack-test", ["projector"])

    def check() -> None:
        raise RuntimeError("projector exited with code 1")

    try:
        with pytest.raises(RuntimeError, match="projector exited"):
            list(listener.wait(["projector"], 30, check=check))
    finally:
        listener.close()


def test_without_notify_socket_marking_ready_sends_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    listener = ReadyListener("rectrack-test", ["worker"])
    monkeypatch.delenv(NOTIFY_VARIABLE, raising=False)
    try:
        Health("worker").mark_ready()
        with pytest.raises(TimeoutError):
            list(listener.wait(["worker"], 0.3))
    finally:
        listener.close()
