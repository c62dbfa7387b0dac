"""The store pool's check pings a connection only after it has been idle a while."""

from __future__ import annotations

from services.adapters.pool_check import ping_when_idle


class Conn:
    """Stands for a pooled connection: only its identity matters to the check."""


def test_a_connection_lent_within_the_window_is_not_pinged_again() -> None:
    now = [100.0]
    pinged: list[Conn] = []
    check = ping_when_idle(1.0, ping=pinged.append, clock=lambda: now[0])
    first, second = Conn(), Conn()

    check(first)  # never lent: pinged
    now[0] += 0.5
    check(first)  # lent half a second ago: trusted
    check(second)  # another connection, never lent: pinged
    now[0] += 1.5
    check(first)  # idle longer than the window: pinged again
    assert pinged == [first, second, first]


def test_a_dead_connection_fails_the_check_and_is_not_remembered() -> None:
    now = [0.0]

    def ping(conn: Conn) -> None:
        raise ConnectionError("server closed the connection")

    check = ping_when_idle(1.0, ping=ping, clock=lambda: now[0])
    conn = Conn()
    for _ in range(2):  # refused each time: a failed check never makes it trusted
        try:
            check(conn)
        except ConnectionError:
            pass
        else:
            raise AssertionError("the check let a dead connection through")
