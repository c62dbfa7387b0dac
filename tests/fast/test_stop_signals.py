"""How `rectrack up` hears a stop signal (services/supervision.py StopSignals), with real
signals sent to this process: the first interrupts the start, one that arrives while a
child is being spawned interrupts only once the child is listed, later ones and those
while `up` runs or stops only ask for the stop, and a SIGINT inherited as ignored (a
shell's background job) is handled all the same. tests/e2e/test_up_interrupted.py runs
the same against a real `up`."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

from services.supervision import StopSignals


def send(sig: signal.Signals) -> None:
    """Sends `sig` to this process; the handler runs in the main thread before this
    returns (CPython runs pending handlers at the next instruction)."""
    os.kill(os.getpid(), sig)
    for _ in range(3):  # a few instructions for the handler to run in
        pass


@pytest.fixture
def signals() -> Iterator[StopSignals]:
    before = {sig: signal.getsignal(sig) for sig in StopSignals.SIGNALS}
    heard = StopSignals()
    yield heard
    heard.restore()
    for sig, handler in before.items():
        signal.signal(sig, handler)


def test_the_first_signal_interrupts_the_start_and_no_later_one(signals: StopSignals) -> None:
    signals.install()
    with pytest.raises(KeyboardInterrupt, match="SIGTERM"):
        send(signal.SIGTERM)
    send(signal.SIGINT)  # the stop is under way: a second Ctrl-C must not cut it short
    assert signals.requested.is_set()


def test_a_signal_while_a_child_is_spawned_interrupts_after_it(signals: StopSignals) -> None:
    signals.install()
    listed = []
    with pytest.raises(KeyboardInterrupt), signals.held():
        send(signal.SIGINT)
        listed.append("child")  # what `up` does between the fork and its list
    assert listed == ["child"]
    send(signal.SIGINT)


def test_while_running_or_stopping_a_signal_only_asks_for_the_stop(
    signals: StopSignals,
) -> None:
    signals.install()
    signals.waiting()
    send(signal.SIGHUP)
    assert signals.requested.is_set()
    signals.stopping()
    send(signal.SIGINT)
    send(signal.SIGTERM)


def test_a_sigint_inherited_as_ignored_still_stops_up(signals: StopSignals) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # nohup
    signals.install()
    assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
    with pytest.raises(KeyboardInterrupt, match="SIGINT"):
        send(signal.SIGINT)
    signals.restore()
    assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
